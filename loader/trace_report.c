// SPDX-License-Identifier: GPL-2.0
/* vnetkit trace: stage table, text tables, log2 histograms and JSON. */
#include <stdio.h>
#include <string.h>

#include "trace_report.h"

#define FN(n, g, fb, u) { .name = #n, .group = g, .func = #n, .fallback = fb, .unit = u }
#define FN2(n, f, g, fb, u) { .name = n, .group = g, .func = #f, .fallback = fb, .unit = u }
#define TP(n, g, u, ...) { .name = n, .group = g, .tps = { __VA_ARGS__ }, .unit = u }

/* Indexed by enum vk_stage. */
const struct vk_stage_def vk_stage_defs[VK_ST_MAX] = {
	[VK_ST_TUN_GET_USER]	= FN(tun_get_user, "tun", VK_FB_SYSCALL, VK_UNIT_PKT),
	[VK_ST_TUN_NET_XMIT]	= FN(tun_net_xmit, "tun", VK_FB_XMIT, VK_UNIT_PKT),
	[VK_ST_TUN_SENDMSG]	= FN(tun_sendmsg, "tun", VK_FB_NONE, VK_UNIT_BATCH),
	[VK_ST_TUN_RECVMSG]	= FN(tun_recvmsg, "tun", VK_FB_NONE, VK_UNIT_PKT),
	[VK_ST_TUN_XDP_XMIT]	= FN(tun_xdp_xmit, "tun", VK_FB_NONE, VK_UNIT_BATCH),
	[VK_ST_VETH_XMIT]	= FN(veth_xmit, "veth", VK_FB_XMIT, VK_UNIT_PKT),
	[VK_ST_VETH_POLL]	= FN(veth_poll, "veth", VK_FB_NAPI, VK_UNIT_BATCH),
	[VK_ST_VIRTNET_POLL]	= FN(virtnet_poll, "virtio_net", VK_FB_NAPI, VK_UNIT_BATCH),
	[VK_ST_VIRTNET_RECEIVE]	= FN(receive_buf, "virtio_net", VK_FB_NONE, VK_UNIT_PKT),
	[VK_ST_VIRTNET_XMIT]	= FN(start_xmit, "virtio_net", VK_FB_XMIT, VK_UNIT_PKT),
	[VK_ST_VHOST_HANDLE_TX]	= FN(handle_tx, "vhost_net", VK_FB_NONE, VK_UNIT_CALL),
	[VK_ST_VHOST_HANDLE_RX]	= FN(handle_rx, "vhost_net", VK_FB_NONE, VK_UNIT_CALL),
	[VK_ST_VHOST_GET_VQ_DESC] = FN(vhost_get_vq_desc, "vhost_net", VK_FB_NONE, VK_UNIT_CALL),
	[VK_ST_VHOST_ADD_USED]	= FN2("vhost_add_used", vhost_add_used_n, "vhost_net",
				      VK_FB_NONE, VK_UNIT_BATCH),
	[VK_ST_VHOST_SIGNAL]	= FN(vhost_signal, "vhost_net", VK_FB_NONE, VK_UNIT_CALL),
	[VK_ST_XDP_PROG]	= { .name = "xdp_prog", .group = "xdp", .unit = VK_UNIT_PKT },
	[VK_ST_XDP_EXCEPTION]	= TP("xdp_exception", "xdp", VK_UNIT_PKT, "xdp_exception"),
	[VK_ST_XDP_REDIRECT]	= TP("xdp_redirect", "xdp", VK_UNIT_PKT, "xdp_redirect"),
	[VK_ST_XDP_REDIRECT_ERR] = TP("xdp_redirect_err", "xdp", VK_UNIT_PKT, "xdp_redirect_err"),
	[VK_ST_XDP_BULK_TX]	= TP("xdp_bulk_tx", "xdp", VK_UNIT_BATCH, "xdp_bulk_tx"),
	[VK_ST_XDP_DEVMAP_XMIT]	= TP("xdp_devmap_xmit", "xdp", VK_UNIT_BATCH, "xdp_devmap_xmit"),
	[VK_ST_NET_DEV_XMIT]	= TP("net_dev_xmit", "net", VK_UNIT_PKT, "net_dev_start_xmit", "net_dev_xmit"),

	[VK_ST_NETIF_RECEIVE_SKB] = TP("netif_receive_skb", "net", VK_UNIT_PKT, "netif_receive_skb",
				       "netif_receive_skb_entry", "netif_receive_skb_exit"),
};

static const char *const verdict_names[VK_NR_VERDICTS] = {
	"aborted", "drop", "pass", "tx", "redirect", NULL, NULL, "invalid",
};

const char *vk_method_name(enum vk_method m)
{
	switch (m) {
	case VK_M_FENTRY:	return "fentry";
	case VK_M_KPROBE:	return "kprobe";
	case VK_M_TP:		return "tp_btf";
	case VK_M_SYSCALL:	return "syscall";
	default:		return "unavailable";
	}
}

/* Percentile from a log2 histogram: the upper edge of the bucket holding
 * it, capped by the exact maximum (so p50 <= p99 <= max always holds). */
static __u64 hist_pct(const __u64 *hist, __u64 max, double pct)
{
	__u64 total = 0, seen = 0, want;
	int i;

	for (i = 0; i < VK_HIST_SLOTS; i++)
		total += hist[i];
	if (!total)
		return 0;
	want = (__u64)(total * pct / 100.0 + 0.999999);
	if (!want)
		want = 1;
	for (i = 0; i < VK_HIST_SLOTS; i++) {
		seen += hist[i];
		if (seen >= want) {
			__u64 hi = (2ULL << i) - 1;

			return hi < max ? hi : max;
		}
	}
	return max;
}

static const char *fmt_ns(char *buf, size_t len, __u64 ns, bool have)
{
	if (!have)
		snprintf(buf, len, "-");
	else if (ns < 10000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 10000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 10000000000ULL)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.1fs", ns / 1e9);
	return buf;
}

/* libbpf-tools style log2 histogram of @nslots buckets, 80 columns. */
void vk_print_log2_hist(FILE *f, const __u64 *hist, int nslots, const char *unit)
{
	int i, lo = -1, hi = -1, j;
	__u64 vmax = 0;

	for (i = 0; i < nslots; i++) {
		if (!hist[i])
			continue;
		if (lo < 0)
			lo = i;
		hi = i;
		if (hist[i] > vmax)
			vmax = hist[i];
	}
	if (lo < 0)
		return;
	fprintf(f, "%24s : count     distribution\n", unit);
	for (i = lo; i <= hi; i++) {
		int stars = (int)(hist[i] * 40 / vmax);
		char bar[41];

		for (j = 0; j < 40; j++)
			bar[j] = j < stars ? '*' : ' ';
		bar[40] = 0;
		fprintf(f, "%11llu -> %-9llu : %-9llu |%s|\n",
			i ? 1ULL << i : 0ULL, (2ULL << i) - 1,
			(unsigned long long)hist[i], bar);
	}
}

/* Counter deltas are summed per entry/exit pair (per call); per packet
 * divides by the stage's average packets per call. */
static double ctr_divisor(const struct vk_trace_stage *s, bool *per_pkt)
{
	const struct vk_stage_stats *t = &s->tot;

	*per_pkt = s->def->unit != VK_UNIT_CALL;
	if (s->def->unit == VK_UNIT_BATCH && t->calls && t->packets)
		return t->ctr_samples * ((double)t->packets / t->calls);
	return t->ctr_samples;
}

static bool stage_shown(const struct vk_trace_stage *s)
{
	return s->requested;
}

static __u64 stage_packets(const struct vk_trace_stage *s)
{
	return s->def->unit == VK_UNIT_CALL ? 0 : s->tot.packets;
}

void vk_trace_print_list(FILE *f, const struct vk_trace_run *r)
{
	int i;

	for (i = 0; i < VK_ST_MAX; i++) {
		const struct vk_trace_stage *s = &r->st[i];

		if (s->method == VK_M_NONE)
			fprintf(f, "%-17s %-10s unavailable (%s)\n", s->def->name,
				s->def->group, s->brief[0] ? s->brief : s->reason);
		else
			fprintf(f, "%-17s %-10s %-7s %s\n", s->def->name,
				s->def->group, vk_method_name(s->method), s->how);
	}
}

/* "  name: reason" folded at 80 columns on "; " and ", " boundaries. */
static void print_wrapped(FILE *f, const char *name, const char *text)
{
	int col = fprintf(f, "  %s:", name);
	const char *p = text;

	while (*p) {
		const char *end = p;
		int len;

		while (*end && !(end[0] == ' ' && end > p &&
				 (end[-1] == ';' || end[-1] == ',')))
			end++;
		len = end - p;
		if (col + 1 + len > 80 && col > 6) {
			fputs("\n     ", f);
			col = 5;
		}
		col += fprintf(f, " %.*s", len, p);
		p = *end ? end + 1 : end;
	}
	fputc('\n', f);
}

static void print_counters_line(FILE *f, const struct vk_trace_run *r)
{
	int i;

	if (!strcmp(r->ctr_mode, "none")) {
		fprintf(f, "counters: off (--counters none)\n");
		return;
	}
	if (!r->nr_ctr) {
		fprintf(f, "%s counters: unavailable (%s)\n",
			!strcmp(r->ctr_mode, "hw") ? "hardware" : "software",
			r->ctr_status);
		return;
	}
	fprintf(f, "%s counters:", !strcmp(r->ctr_mode, "hw") ? "hardware" :
		"software");
	for (i = 0; i < r->nr_ctr; i++)
		fprintf(f, " %s", r->ctr_names[i]);
	if (r->ctr_status[0])
		fprintf(f, " (%s)", r->ctr_status);
	fputc('\n', f);
}

static void print_events(FILE *f, const struct vk_trace_run *r)
{
	const struct vk_tp_events *e = r->events;
	int i;

	if (e->status[0]) {
		fprintf(f, "\ntracepoints %s*: unavailable (%s)\n", e->prefix,
			e->status);
		return;
	}
	fprintf(f, "\ntracepoints %s* (every device)\n", e->prefix);
	for (i = 0; i < e->n; i++)
		fprintf(f, "  %-40s %12llu\n", e->names[i],
			(unsigned long long)e->counts[i]);
}

void vk_trace_print_text(FILE *f, const struct vk_trace_run *r)
{
	char a[16], b[16], c[16];
	bool any_unavail = false;
	int i, k;

	fprintf(f, "vnetkit trace: %.2f s, kernel %s, device %s", r->duration,
		r->kernel, r->dev ? r->dev : "any");
	if (r->dev)
		fprintf(f, " (ifindex %d)", r->ifindex);
	fputc('\n', f);
	print_counters_line(f, r);
	if (r->cmd)
		fprintf(f, "command: %s, exit status %d\n", r->cmd[0],
			r->cmd_status);
	if (r->packets_requested)
		fprintf(f, "packets: stop after %llu requested, %llu seen at the busiest "
			"stage (a stop condition checked every 10 ms, not a cap)\n",
			(unsigned long long)r->packets_requested,
			(unsigned long long)r->packets_seen);
	fprintf(f, "ended: %s%s\n", r->end, r->interrupted ?
		" (interrupted: the figures cover only the time traced)" : "");
	fprintf(f, "\n%-19s %-7s %11s %11s %8s %8s %8s\n", "STAGE", "METHOD",
		"CALLS", "PACKETS", "P50", "P99", "MAX");
	for (i = 0; i < VK_ST_MAX; i++) {
		const struct vk_trace_stage *s = &r->st[i];
		const struct vk_stage_stats *t = &s->tot;
		bool lat = t->lat_cnt > 0;
		char pk[24];

		if (!stage_shown(s))
			continue;
		if (s->method == VK_M_NONE) {
			any_unavail = true;
			continue;
		}
		if (s->def->unit == VK_UNIT_CALL)
			snprintf(pk, sizeof(pk), "-");
		else
			snprintf(pk, sizeof(pk), "%llu",
				 (unsigned long long)t->packets);
		fprintf(f, "%-19s %-7s %11llu %11s %8s %8s %8s\n", s->def->name,
			vk_method_name(s->method), (unsigned long long)t->calls,
			pk, fmt_ns(a, sizeof(a), hist_pct(t->lat_hist, t->lat_max, 50), lat),
			fmt_ns(b, sizeof(b), hist_pct(t->lat_hist, t->lat_max, 99), lat),
			fmt_ns(c, sizeof(c), t->lat_max, lat));
	}
	if (any_unavail) {
		fprintf(f, "\nunavailable:\n");
		for (i = 0; i < VK_ST_MAX; i++) {
			const struct vk_trace_stage *s = &r->st[i];

			if (stage_shown(s) && s->method == VK_M_NONE)
				print_wrapped(f, s->def->name, s->reason);
		}
	}

	if (r->events)
		print_events(f, r);
	if (r->vhost)
		vk_vhost_trace_print_text(f, r->vhost);
	for (i = 0; i < VK_ST_MAX; i++) {
		const struct vk_trace_stage *s = &r->st[i];
		const struct vk_stage_stats *t = &s->tot;
		bool verdicts = false;

		if (!stage_shown(s) || s->method == VK_M_NONE || !t->calls)
			continue;
		fprintf(f, "\n%s (%s)\n", s->def->name, s->how);
		if (t->lat_cnt) {
			fprintf(f, "entry -> exit, avg %.0f ns\n",
				(double)t->lat_sum / t->lat_cnt);
			vk_print_log2_hist(f, t->lat_hist, VK_HIST_SLOTS, "nsecs");
		}
		if (t->path_cnt) {
			fprintf(f, "%s entry -> here, avg %.0f ns\n",
				vk_stage_defs[t->path_head].name,
				(double)t->path_sum / t->path_cnt);
			vk_print_log2_hist(f, t->path_hist, VK_HIST_SLOTS, "nsecs");
		}
		if (t->batch_cnt) {
			fprintf(f, "batch size, avg %.2f, max %llu\n",
				(double)t->batch_sum / t->batch_cnt,
				(unsigned long long)t->batch_max);
			vk_print_log2_hist(f, t->batch_hist, VK_HIST_SLOTS, "packets");
		}
		for (k = 0; k < VK_NR_VERDICTS; k++)
			verdicts |= t->verdict[k] != 0;
		if (verdicts) {
			fprintf(f, "verdicts:");
			for (k = 0; k < VK_NR_VERDICTS; k++)
				if (t->verdict[k])
					fprintf(f, " %s %llu", verdict_names[k],
						(unsigned long long)t->verdict[k]);
			fputc('\n', f);
		}
		if (r->nr_ctr && t->ctr_samples) {
			bool per_pkt;
			double div = ctr_divisor(s, &per_pkt);

			fprintf(f, "per %s (%llu samples):", per_pkt ? "packet" : "call",
				(unsigned long long)t->ctr_samples);
			for (k = 0; k < r->nr_ctr; k++)
				fprintf(f, " %s %.1f", r->ctr_names[k],
					(double)t->ctr_sum[k] / div);
			fputc('\n', f);
		}
		if (r->nr_ctr && (t->ctr_migrated || t->ctr_errors))
			fprintf(f, "counters skipped: %llu calls changed CPU, %llu reads failed\n",
				(unsigned long long)t->ctr_migrated,
				(unsigned long long)t->ctr_errors);
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_hist(FILE *f, const char *key, const __u64 *hist, __u64 cnt,
		      __u64 sum, __u64 max)
{
	bool first = true;
	int i;

	fprintf(f, ", \"%s\": ", key);
	if (!cnt) {
		fprintf(f, "null");
		return;
	}
	fprintf(f, "{\"count\": %llu, \"avg\": %.1f, \"p50\": %llu, \"p99\": %llu, "
		"\"max\": %llu, \"log2_hist\": [", (unsigned long long)cnt,
		(double)sum / cnt, (unsigned long long)hist_pct(hist, max, 50),
		(unsigned long long)hist_pct(hist, max, 99),
		(unsigned long long)max);
	for (i = 0; i < VK_HIST_SLOTS; i++) {
		if (!hist[i])
			continue;
		fprintf(f, "%s{\"lo\": %llu, \"hi\": %llu, \"count\": %llu}",
			first ? "" : ", ", i ? 1ULL << i : 0ULL,
			(2ULL << i) - 1, (unsigned long long)hist[i]);
		first = false;
	}
	fprintf(f, "]}");
}

void vk_trace_print_json(FILE *f, const struct vk_trace_run *r)
{
	bool first = true;
	int i, k;

	fprintf(f, "{\"schema\": \"vnetkit-trace/1\", \"kernel\": ");
	json_str(f, r->kernel);
	fprintf(f, ", \"duration_s\": %.3f, \"device\": ", r->duration);
	if (r->dev) {
		fprintf(f, "{\"name\": ");
		json_str(f, r->dev);
		fprintf(f, ", \"ifindex\": %d}", r->ifindex);
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ", \"end\": \"%s\", \"interrupted\": %s, \"packets_requested\": ",
		r->end, r->interrupted ? "true" : "false");
	if (r->packets_requested)
		fprintf(f, "%llu, \"packets_seen\": %llu",
			(unsigned long long)r->packets_requested,
			(unsigned long long)r->packets_seen);
	else
		fprintf(f, "null, \"packets_seen\": null");
	fprintf(f, ",\n \"counters\": {\"mode\": \"%s\", \"available\": [",
		r->ctr_mode);
	for (i = 0; i < r->nr_ctr; i++) {
		fprintf(f, "%s", i ? ", " : "");
		json_str(f, r->ctr_names[i]);
	}
	fprintf(f, "], \"status\": ");
	if (r->ctr_status[0])
		json_str(f, r->ctr_status);
	else
		fprintf(f, "null");
	fprintf(f, "},\n \"command\": ");
	if (r->cmd) {
		fprintf(f, "{\"argv\": [");
		for (i = 0; r->cmd[i]; i++) {
			fprintf(f, "%s", i ? ", " : "");
			json_str(f, r->cmd[i]);
		}
		fprintf(f, "], \"exit_status\": %d}", r->cmd_status);
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ",\n \"events\": ");
	if (r->events) {
		const struct vk_tp_events *e = r->events;

		fprintf(f, "{\"prefix\": ");
		json_str(f, e->prefix);
		fprintf(f, ", \"status\": \"%s\", \"reason\": ",
			e->status[0] ? "unavailable" : "ok");
		if (e->status[0])
			json_str(f, e->status);
		else
			fprintf(f, "null");
		fprintf(f, ", \"counts\": {");
		for (i = 0; !e->status[0] && i < e->n; i++) {
			fprintf(f, "%s", i ? ", " : "");
			json_str(f, e->names[i]);
			fprintf(f, ": %llu", (unsigned long long)e->counts[i]);
		}
		fprintf(f, "}}");
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ",\n \"vhost\": ");
	if (r->vhost)
		vk_vhost_trace_print_json(f, r->vhost);
	else
		fprintf(f, "null");
	fprintf(f, ",\n \"stages\": [");
	for (i = 0; i < VK_ST_MAX; i++) {
		const struct vk_trace_stage *s = &r->st[i];
		const struct vk_stage_stats *t = &s->tot;

		if (!stage_shown(s))
			continue;
		fprintf(f, "%s\n  {\"name\": \"%s\", \"group\": \"%s\", ",
			first ? "" : ",", s->def->name, s->def->group);
		first = false;
		if (s->method == VK_M_NONE) {
			fprintf(f, "\"status\": \"unavailable\", \"method\": null, "
				"\"reason\": ");
			json_str(f, s->reason);
			fprintf(f, "}");
			continue;
		}
		fprintf(f, "\"status\": \"ok\", \"method\": \"%s\", \"attach\": ",
			vk_method_name(s->method));
		json_str(f, s->how);
		fprintf(f, ", \"calls\": %llu, \"packets\": ",
			(unsigned long long)t->calls);
		if (s->def->unit == VK_UNIT_CALL)
			fprintf(f, "null");
		else
			fprintf(f, "%llu", (unsigned long long)stage_packets(s));
		json_hist(f, "latency_ns", t->lat_hist, t->lat_cnt, t->lat_sum,
			  t->lat_max);
		json_hist(f, "path_ns", t->path_hist, t->path_cnt, t->path_sum,
			  t->path_max);
		if (t->path_cnt)
			fprintf(f, ", \"path_from\": \"%s\"",
				vk_stage_defs[t->path_head].name);
		else
			fprintf(f, ", \"path_from\": null");
		json_hist(f, "batch", t->batch_hist, t->batch_cnt, t->batch_sum,
			  t->batch_max);
		fprintf(f, ", \"verdicts\": ");
		if (s->def->group && !strcmp(s->def->group, "xdp") &&
		    i != VK_ST_XDP_BULK_TX && i != VK_ST_XDP_DEVMAP_XMIT) {
			bool vfirst = true;

			fputc('{', f);
			for (k = 0; k < VK_NR_VERDICTS; k++) {
				if (!verdict_names[k])
					continue;
				fprintf(f, "%s\"%s\": %llu", vfirst ? "" : ", ",
					verdict_names[k],
					(unsigned long long)t->verdict[k]);
				vfirst = false;
			}
			fputc('}', f);
		} else {
			fprintf(f, "null");
		}
		fprintf(f, ", \"counters\": ");
		if (r->nr_ctr && t->ctr_samples) {
			bool per_pkt;
			double div = ctr_divisor(s, &per_pkt);

			fprintf(f, "{\"per\": \"%s\", \"samples\": %llu, "
				"\"skipped_migrated\": %llu, \"read_errors\": %llu, \"values\": {",
				per_pkt ? "packet" : "call",
				(unsigned long long)t->ctr_samples,
				(unsigned long long)t->ctr_migrated,
				(unsigned long long)t->ctr_errors);
			for (k = 0; k < r->nr_ctr; k++)
				fprintf(f, "%s\"%s\": %.2f", k ? ", " : "",
					r->ctr_names[k], (double)t->ctr_sum[k] / div);
			fprintf(f, "}}");
		} else {
			fprintf(f, "null");
		}
		fputc('}', f);
	}
	fprintf(f, "\n ]}\n");
}
