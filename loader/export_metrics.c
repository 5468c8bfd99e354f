// SPDX-License-Identifier: GPL-2.0
/* vnetkit export: the metric families and their exposition, in the
 * Prometheus text format 0.0.4 and OpenMetrics 1.0.0. The two differ in how
 * a counter family is named in # TYPE (OpenMetrics drops _total), in the
 * info type, and in the closing "# EOF". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "util.h"

const struct vk_family_def vk_families[VK_NR_FAMILIES] = {
	[F_SOURCE] = { "vnetkit_source_available", VK_GAUGE,
		"1 when the source is read, 0 when it is not (reason label says why)" },
	[F_SCRAPES] = { "vnetkit_exporter_scrapes", VK_COUNTER,
		"Collections made (HTTP scrapes and textfile writes)" },
	[F_SCRAPE_SECONDS] = { "vnetkit_exporter_scrape_duration_seconds", VK_GAUGE,
		"Wall time of this collection, up to rendering" },
	[F_CPU] = { "vnetkit_exporter_cpu_seconds", VK_COUNTER,
		"CPU time of the exporter process (getrusage), by mode" },
	[F_COLLECT_CPU] = { "vnetkit_exporter_collect_cpu_seconds", VK_COUNTER,
		"CPU time spent collecting, summed over collections (per-scrape cost = rate / rate of scrapes)" },
	[F_NETNS_UP] = { "vnetkit_netns_up", VK_GAUGE,
		"1 when the network namespace could be entered and read this scrape" },
	[F_BPF_RUN_SECONDS] = { "vnetkit_bpf_run_seconds", VK_COUNTER,
		"Run time of the BPF program (kernel BPF statistics; they count only while enabled, "
		"so rate() of this over rate(vnetkit_bpf_run_total) is the mean time per run)" },
	[F_BPF_RUN_COUNT] = { "vnetkit_bpf_run", VK_COUNTER,
		"Runs of the BPF program counted by the kernel BPF statistics (only while enabled)" },
	[F_BPF_STATS_HELD] = { "vnetkit_bpf_stats_held_seconds", VK_COUNTER,
		"Time export held the kernel BPF statistics on (--enable-bpf-stats, sampled by "
		"--bpf-stats-duty): the BPF run figures grow only then" },
	[F_BPF_STATS_DUTY] = { "vnetkit_bpf_stats_duty_ratio", VK_GAUGE,
		"Share of each --bpf-stats-period that export holds the BPF statistics on" },
	[F_XDP_PROG] = { "vnetkit_xdp_program", VK_INFO,
		"A vnetkit XDP program attached to the device (read only, never attached by export)" },
	[F_XDP_PACKETS] = { "vnetkit_xdp_packets", VK_COUNTER,
		"Frames seen by the vnetkit XDP program, per RX queue and verdict (vk_stats map)" },
	[F_XDP_BYTES] = { "vnetkit_xdp_bytes", VK_COUNTER,
		"Bytes of the frames seen by the vnetkit XDP program, per RX queue and verdict" },
	[F_XDP_ERRORS] = { "vnetkit_xdp_errors", VK_COUNTER,
		"Frames the vnetkit XDP program could not handle as asked, per RX queue and class" },
	[F_LINK] = { "vnetkit_link", VK_INFO,
		"A network device the exporter reads (kind from rtnetlink IFLA_INFO_KIND)" },
	[F_LINK_QUEUES] = { "vnetkit_link_queues", VK_GAUGE,
		"Queues of the device per direction (rtnetlink)" },
	[F_LINK_PACKETS] = { "vnetkit_link_packets", VK_COUNTER,
		"Packets of the device (rtnetlink 64-bit link statistics)" },
	[F_LINK_BYTES] = { "vnetkit_link_bytes", VK_COUNTER,
		"Bytes of the device (rtnetlink 64-bit link statistics)" },
	[F_LINK_DROPPED] = { "vnetkit_link_dropped", VK_COUNTER,
		"Packets the device dropped (rtnetlink 64-bit link statistics)" },
	[F_LINK_ERRORS] = { "vnetkit_link_errors", VK_COUNTER,
		"Errors of the device (rtnetlink 64-bit link statistics)" },
	[F_TUN] = { "vnetkit_tun", VK_INFO,
		"TUN/TAP flags (tun exposes no per-queue packet counters: use the XDP and qstats series)" },
	[F_Q_PACKETS] = { "vnetkit_queue_packets", VK_COUNTER,
		"Packets per device queue (netdev genetlink qstats, drivers that report them)" },
	[F_Q_BYTES] = { "vnetkit_queue_bytes", VK_COUNTER,
		"Bytes per device queue (netdev genetlink qstats)" },
	[F_Q_RX_ALLOC_FAIL] = { "vnetkit_queue_rx_alloc_fail", VK_COUNTER,
		"RX buffer allocation failures per queue (qstats)" },
	[F_Q_RX_HW_DROPS] = { "vnetkit_queue_rx_hw_drops", VK_COUNTER,
		"RX drops by the device per queue (qstats)" },
	[F_Q_TX_HW_DROPS] = { "vnetkit_queue_tx_hw_drops", VK_COUNTER,
		"TX drops by the device per queue (qstats)" },
	[F_Q_TX_STOP] = { "vnetkit_queue_tx_stop", VK_COUNTER,
		"Times the TX queue was stopped (full) (qstats)" },
	[F_Q_TX_WAKE] = { "vnetkit_queue_tx_wake", VK_COUNTER,
		"Times the TX queue was woken (qstats)" },
	[F_VH_DEVICE] = { "vnetkit_vhost_device", VK_INFO,
		"A vhost device: the id vhost gave it, its type and its owner (the VMM process)" },
	[F_VH_KICKS] = { "vnetkit_vhost_kicks", VK_COUNTER,
		"Guest notifications that woke the virtqueue's handler (tracepoint vhost_work_queue; kicks while it is queued coalesce)" },
	[F_VH_REQUEUES] = { "vnetkit_vhost_requeues", VK_COUNTER,
		"Times the virtqueue's handler re-queued itself from the worker (weight exceeded, busy poll)" },
	[F_VH_BATCH] = { "vnetkit_vhost_used_batch_size", VK_HISTOGRAM,
		"Used-ring entries added per vhost_net used-ring update (log2 buckets; tracepoint vhost_net_used_batch)" },
	[F_VH_SIGNALS] = { "vnetkit_vhost_signals", VK_COUNTER,
		"Guest notifications sent or suppressed by event index (tracepoint vhost_signal)" },
	[F_VH_XDP_BATCHES] = { "vnetkit_vhost_xdp_batches", VK_COUNTER,
		"Batches of XDP buffers vhost_net passed to tun (tracepoint vhost_net_tx_xdp_batch)" },
	[F_VH_XDP_FRAMES] = { "vnetkit_vhost_xdp_frames", VK_COUNTER,
		"XDP buffers in those batches" },
	[F_VH_POLLS] = { "vnetkit_vhost_busy_polls", VK_COUNTER,
		"Busy-poll loops ended (tracepoint vhost_net_busy_poll_end)" },
	[F_VH_POLL_EXITS] = { "vnetkit_vhost_busy_poll_exits", VK_COUNTER,
		"Busy-poll loop ends by reason (work_found is a hit)" },
	[F_VH_SPIN_SECONDS] = { "vnetkit_vhost_busy_poll_spin_seconds", VK_COUNTER,
		"Time spent spinning in busy-poll loops" },
	[F_VH_ERRORS] = { "vnetkit_vhost_vq_errors", VK_COUNTER,
		"Virtqueue errors (tracepoint vhost_vq_err)" },
};

/* Room for n more bytes and a NUL; false (and oom set) when there is none. */
static bool buf_room(struct vk_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	cap = (b->cap ? b->cap * 2 : 4096) + n;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void vk_buf_printf(struct vk_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (b->len + n >= b->cap) {
		if (!buf_room(b, n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += n;
}

void vk_buf_free(struct vk_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Append n bytes as they are: labels are written a run at a time, not a
 * printf per character (rendering is most of a scrape's user time). */
static void buf_put(struct vk_buf *b, const char *s, size_t n)
{
	if (!buf_room(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Label values: backslash, double quote and newline escaped (both formats). */
static void put_value(struct vk_buf *b, const char *v)
{
	const char *run = v;

	for (; *v; v++) {
		if (*v != '\\' && *v != '"' && *v != '\n')
			continue;
		buf_put(b, run, v - run);
		buf_put(b, *v == '\n' ? "\\n" : *v == '"' ? "\\\"" : "\\\\", 2);
		run = v + 1;
	}
	buf_put(b, run, v - run);
}

static void put_labels(struct vk_buf *b, const char *const *labels, const char *extra_k,
		       const char *extra_v)
{
	bool any = false;

	for (int i = 0; labels && labels[i]; i += 2) {
		buf_put(b, any ? "," : "{", 1);
		buf_put(b, labels[i], strlen(labels[i]));
		buf_put(b, "=\"", 2);
		put_value(b, labels[i + 1] ? labels[i + 1] : "");
		buf_put(b, "\"", 1);
		any = true;
	}
	if (extra_k) {
		vk_buf_printf(b, "%s%s=\"%s\"", any ? "," : "{", extra_k, extra_v);
		any = true;
	}
	if (any)
		buf_put(b, "}", 1);
}

static const char *default_suffix(enum vk_family f)
{
	switch (vk_families[f].type) {
	case VK_COUNTER:
		return "_total";
	case VK_INFO:
		return "_info";
	default:
		return "";
	}
}

void vk_m_u64(struct vk_metrics *m, enum vk_family f, const char *suffix,
	      const char *const *labels, uint64_t v)
{
	struct vk_buf *b = &m->fam[f];

	vk_buf_printf(b, "%s%s", vk_families[f].name, suffix ? suffix : default_suffix(f));
	put_labels(b, labels, NULL, NULL);
	vk_buf_printf(b, " %llu\n", (unsigned long long)v);
}

void vk_m_f64(struct vk_metrics *m, enum vk_family f, const char *suffix,
	      const char *const *labels, double v)
{
	struct vk_buf *b = &m->fam[f];

	vk_buf_printf(b, "%s%s", vk_families[f].name, suffix ? suffix : default_suffix(f));
	put_labels(b, labels, NULL, NULL);
	vk_buf_printf(b, " %.9g\n", v);
}

void vk_m_log2_hist(struct vk_metrics *m, enum vk_family f,
		    const char *const *labels, const unsigned long long *buckets, int n,
		    uint64_t sum)
{
	struct vk_buf *b = &m->fam[f];
	const char *name = vk_families[f].name;
	uint64_t cum = 0;
	char le[24];

	/* Values are integers: [2^i, 2^(i+1)) ends at le = 2^(i+1) - 1. */
	for (int i = 0; i < n - 1; i++) {
		cum += buckets[i];
		snprintf(le, sizeof(le), "%llu", (1ULL << (i + 1)) - 1);
		vk_buf_printf(b, "%s_bucket", name);
		put_labels(b, labels, "le", le);
		vk_buf_printf(b, " %llu\n", (unsigned long long)cum);
	}
	cum += buckets[n - 1];
	vk_buf_printf(b, "%s_bucket", name);
	put_labels(b, labels, "le", "+Inf");
	vk_buf_printf(b, " %llu\n", (unsigned long long)cum);
	vk_buf_printf(b, "%s_sum", name);
	put_labels(b, labels, NULL, NULL);
	vk_buf_printf(b, " %llu\n", (unsigned long long)sum);
	vk_buf_printf(b, "%s_count", name);
	put_labels(b, labels, NULL, NULL);
	vk_buf_printf(b, " %llu\n", (unsigned long long)cum);
}

void vk_m_render(const struct vk_metrics *m, bool om, struct vk_buf *out)
{
	static const char *const types[] = {
		[VK_COUNTER] = "counter", [VK_GAUGE] = "gauge",
		[VK_HISTOGRAM] = "histogram", [VK_INFO] = "info",
	};

	for (int f = 0; f < VK_NR_FAMILIES; f++) {
		const struct vk_family_def *d = &vk_families[f];
		const char *sfx = "";

		if (!m->fam[f].len)
			continue;
		/* 0.0.4 names a family by its sample name and has no info type. */
		if (!om)
			sfx = default_suffix(f);
		vk_buf_printf(out, "# HELP %s%s %s\n", d->name, sfx, d->help);
		vk_buf_printf(out, "# TYPE %s%s %s\n", d->name, sfx,
			      !om && d->type == VK_INFO ? "gauge" : types[d->type]);
		vk_buf_printf(out, "%.*s", (int)m->fam[f].len, m->fam[f].p);
	}
	if (om)
		vk_buf_printf(out, "# EOF\n");
}

void vk_m_free(struct vk_metrics *m)
{
	for (int f = 0; f < VK_NR_FAMILIES; f++)
		vk_buf_free(&m->fam[f]);
}
