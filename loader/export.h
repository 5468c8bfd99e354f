/* SPDX-License-Identifier: GPL-2.0 */
/* vnetkit export: the metric registry (Prometheus text 0.0.4 and OpenMetrics
 * 1.0.0 rendering), the collectors and the HTTP front end. */
#ifndef VNETKIT_EXPORT_H
#define VNETKIT_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A growing text buffer; on allocation failure it stays short and sets oom. */
struct vk_buf {
	char *p;
	size_t len, cap;
	bool oom;
};
void vk_buf_printf(struct vk_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vk_buf_free(struct vk_buf *b);

enum vk_mtype { VK_COUNTER, VK_GAUGE, VK_HISTOGRAM, VK_INFO };

/* Every family the exporter can emit, declared once (export_metrics.c). */
enum vk_family {
	F_SOURCE, F_SCRAPES, F_SCRAPE_SECONDS, F_CPU, F_COLLECT_CPU,
	F_NETNS_UP, F_BPF_RUN_SECONDS, F_BPF_RUN_COUNT, F_BPF_STATS_HELD, F_BPF_STATS_DUTY,
	F_XDP_PROG, F_XDP_PACKETS, F_XDP_BYTES, F_XDP_ERRORS,
	F_LINK, F_LINK_QUEUES, F_LINK_PACKETS, F_LINK_BYTES, F_LINK_DROPPED,
	F_LINK_ERRORS, F_TUN,
	F_Q_PACKETS, F_Q_BYTES, F_Q_RX_ALLOC_FAIL, F_Q_RX_HW_DROPS,
	F_Q_TX_HW_DROPS, F_Q_TX_STOP, F_Q_TX_WAKE,
	F_VH_DEVICE, F_VH_KICKS, F_VH_REQUEUES, F_VH_BATCH, F_VH_SIGNALS, F_VH_XDP_BATCHES, F_VH_XDP_FRAMES,
	F_VH_POLLS, F_VH_POLL_EXITS, F_VH_SPIN_SECONDS, F_VH_ERRORS,
	VK_NR_FAMILIES,
};

struct vk_family_def {
	const char *name;	/* family name: counters without _total */
	enum vk_mtype type;
	const char *help;
};
extern const struct vk_family_def vk_families[VK_NR_FAMILIES];

/* One scrape's samples, grouped per family so each family is written once
 * with its # HELP / # TYPE whatever order the collectors run in. */
struct vk_metrics {
	struct vk_buf fam[VK_NR_FAMILIES];
};

/* Labels: a NULL-terminated list of name, value pairs; values escaped here. */
void vk_m_u64(struct vk_metrics *m, enum vk_family f, const char *suffix,
	      const char *const *labels, uint64_t v);
void vk_m_f64(struct vk_metrics *m, enum vk_family f, const char *suffix,
	      const char *const *labels, double v);
/* A log2 histogram: bucket i counts values in [2^i, 2^(i+1)), the last one
 * everything above; sum is the exact total of the values. */
void vk_m_log2_hist(struct vk_metrics *m, enum vk_family f,
		    const char *const *labels, const unsigned long long *buckets, int n,
		    uint64_t sum);
void vk_m_render(const struct vk_metrics *m, bool openmetrics, struct vk_buf *out);
void vk_m_free(struct vk_metrics *m);

#define VK_EXPORT_MAX_LIST 32

struct vk_export_cfg {
	const char *listen;		/* NULL with --no-listen */
	const char *textfile_dir;
	double interval;
	const char *netns[VK_EXPORT_MAX_LIST];
	int nr_netns;
	const char *dev[VK_EXPORT_MAX_LIST];
	int nr_dev;
	bool enable_bpf_stats;
	double bpf_stats_duty;		/* share of each period they are held on */
	double bpf_stats_period;	/* seconds */
	bool once;
};

/* Collector state kept between scrapes (export_collect.c). */
struct vk_export;
struct vk_export *vk_export_new(const struct vk_export_cfg *cfg);
/* (Re)detect the sources: vhost tracepoints, BPF statistics, netdev
 * genetlink. Prints what it found on stderr when verbose. */
int vk_export_detect(struct vk_export *e, bool verbose);
/* Check that every --netns and --dev exists now; prints the error. */
int vk_export_check_cfg(struct vk_export *e);
/* Hold or release the BPF run-time statistics as --bpf-stats-duty's cycle
 * says at time now (vk_now()); returns the seconds until the next change,
 * or a day when there is no cycle. */
double vk_export_tick(struct vk_export *e, double now);
/* Collect every source into a fresh exposition. */
void vk_export_collect(struct vk_export *e, bool openmetrics, struct vk_buf *out);
void vk_export_free(struct vk_export *e);

/* HTTP front end (export_http.c; export_http_none.c in the static build). */
struct vk_http;
typedef void (*vk_scrape_fn)(void *ctx, bool openmetrics, struct vk_buf *out);
/* Parse "ADDR:PORT" / "[ADDR6]:PORT"; -1 on bad syntax. */
int vk_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len);
/* Bind and serve; prints the error and returns NULL on failure. */
struct vk_http *vk_http_start(const struct sockaddr_storage *ss, socklen_t len,
			      const char *listen, vk_scrape_fn fn, void *ctx);
/* Serve requests for at most timeout_ms (or until a signal arrives). */
void vk_http_poll(struct vk_http *h, int timeout_ms);
void vk_http_stop(struct vk_http *h);

#endif
