// SPDX-License-Identifier: GPL-2.0
/* vnetkit trace: text tables, log2 histograms and JSON. */
#include <stdio.h>
#include <string.h>

#include "plot.h"
#include "trace_report.h"
#include "vjson.h"

static const char *const verdict_names[VK_NR_VERDICTS] = {
	"aborted", "drop", "pass", "tx", "redirect", NULL, NULL, "invalid",
};

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

static json_t *json_hist(const __u64 *hist, __u64 cnt, __u64 sum, __u64 max)
{
	json_t *o, *arr;
	int i;

	if (!cnt)
		return json_null();
	o = json_object();
	arr = json_array();
	vk_ju64(o, "count", cnt);
	vk_jreal(o, "avg", (double)sum / cnt, 1);
	vk_ju64(o, "p50", hist_pct(hist, max, 50));
	vk_ju64(o, "p99", hist_pct(hist, max, 99));
	vk_ju64(o, "max", max);
	for (i = 0; i < VK_HIST_SLOTS; i++) {
		if (!hist[i])
			continue;
		json_array_append_new(arr, json_pack("{s:I, s:I, s:I}",
			"lo", (json_int_t)(i ? 1ULL << i : 0ULL),
			"hi", (json_int_t)((2ULL << i) - 1), "count", (json_int_t)hist[i]));
	}
	vk_jset(o, "log2_hist", arr);
	return o;
}

static json_t *json_stage(const struct vk_trace_run *r, int i)
{
	const struct vk_trace_stage *s = &r->st[i];
	const struct vk_stage_stats *t = &s->tot;
	json_t *o = json_object();
	int k;

	vk_jstr(o, "name", s->def->name);
	vk_jstr(o, "group", s->def->group);
	if (s->method == VK_M_NONE) {
		vk_jstr(o, "status", "unavailable");
		vk_jnull(o, "method");
		vk_jstr(o, "reason", s->reason);
		return o;
	}
	vk_jstr(o, "status", "ok");
	vk_jstr(o, "method", vk_method_name(s->method));
	vk_jstr(o, "attach", s->how);
	vk_ju64(o, "calls", t->calls);
	vk_jset(o, "packets", s->def->unit == VK_UNIT_CALL ? json_null() :
		vk_json_u64(stage_packets(s)));
	vk_jset(o, "latency_ns", json_hist(t->lat_hist, t->lat_cnt, t->lat_sum, t->lat_max));
	vk_jset(o, "path_ns", json_hist(t->path_hist, t->path_cnt, t->path_sum, t->path_max));
	vk_jstr(o, "path_from", t->path_cnt ? vk_stage_defs[t->path_head].name : NULL);
	vk_jset(o, "batch", json_hist(t->batch_hist, t->batch_cnt, t->batch_sum,
				      t->batch_max));
	if (s->def->group && !strcmp(s->def->group, "xdp") &&
	    i != VK_ST_XDP_BULK_TX && i != VK_ST_XDP_DEVMAP_XMIT) {
		json_t *v = json_object();

		for (k = 0; k < VK_NR_VERDICTS; k++)
			if (verdict_names[k])
				vk_ju64(v, verdict_names[k], t->verdict[k]);
		vk_jset(o, "verdicts", v);
	} else {
		vk_jnull(o, "verdicts");
	}
	if (r->nr_ctr && t->ctr_samples) {
		json_t *c = json_object(), *vals = json_object();
		bool per_pkt;
		double div = ctr_divisor(s, &per_pkt);

		vk_jstr(c, "per", per_pkt ? "packet" : "call");
		vk_ju64(c, "samples", t->ctr_samples);
		vk_ju64(c, "skipped_migrated", t->ctr_migrated);
		vk_ju64(c, "read_errors", t->ctr_errors);
		for (k = 0; k < r->nr_ctr; k++)
			vk_jreal(vals, r->ctr_names[k], (double)t->ctr_sum[k] / div, 2);
		vk_jset(c, "values", vals);
		vk_jset(o, "counters", c);
	} else {
		vk_jnull(o, "counters");
	}
	return o;
}

void vk_trace_print_json(const struct vk_trace_run *r, int rc)
{
	json_t *doc = vk_json_doc("trace", 1), *j, *arr;
	int i;

	vk_jstr(doc, "kernel", r->kernel);
	vk_jreal(doc, "duration_s", r->duration, 3);
	vk_jset(doc, "device", r->dev ? json_pack("{s:o, s:i}", "name",
		vk_json_str(r->dev), "ifindex", r->ifindex) : json_null());
	vk_jstr(doc, "end", r->end);
	vk_jbool(doc, "interrupted", r->interrupted);
	vk_jset(doc, "packets_requested", r->packets_requested ?
		vk_json_u64(r->packets_requested) : json_null());
	vk_jset(doc, "packets_seen", r->packets_requested ?
		vk_json_u64(r->packets_seen) : json_null());
	j = json_object();
	arr = json_array();
	vk_jstr(j, "mode", r->ctr_mode);
	for (i = 0; i < r->nr_ctr; i++)
		json_array_append_new(arr, vk_json_str(r->ctr_names[i]));
	vk_jset(j, "available", arr);
	vk_jstr(j, "status", r->ctr_status[0] ? r->ctr_status : NULL);
	vk_jset(doc, "counters", j);
	if (r->cmd) {
		j = json_object();
		arr = json_array();
		for (i = 0; r->cmd[i]; i++)
			json_array_append_new(arr, vk_json_str(r->cmd[i]));
		vk_jset(j, "argv", arr);
		vk_jint(j, "exit_status", r->cmd_status);
		vk_jset(doc, "command", j);
	} else {
		vk_jnull(doc, "command");
	}
	if (r->events) {
		const struct vk_tp_events *e = r->events;
		json_t *counts = json_object();

		j = json_object();
		vk_jstr(j, "prefix", e->prefix);
		vk_jstr(j, "status", e->status[0] ? "unavailable" : "ok");
		vk_jstr(j, "reason", e->status[0] ? e->status : NULL);
		for (i = 0; !e->status[0] && i < e->n; i++)
			vk_ju64(counts, e->names[i], e->counts[i]);
		vk_jset(j, "counts", counts);
		vk_jset(doc, "events", j);
	} else {
		vk_jnull(doc, "events");
	}
	vk_jset(doc, "vhost", r->vhost ? vk_vhost_trace_json(r->vhost) : json_null());
	arr = json_array();
	for (i = 0; i < VK_ST_MAX; i++)
		if (stage_shown(&r->st[i]))
			json_array_append_new(arr, json_stage(r, i));
	vk_jset(doc, "stages", arr);
	/* A stage per line: the guest tests grep a stage's line. */
	vk_json_print_lines(doc, rc);
}
