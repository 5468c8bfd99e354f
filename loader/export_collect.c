// SPDX-License-Identifier: GPL-2.0
/* vnetkit export: the collectors. Every figure is read from kernel state at
 * collection time (link statistics, the vk_stats maps of vnetkit's XDP
 * programs, netdev qstats, the exporter's own vhost tracepoint maps), so
 * nothing is accumulated in the exporter and a restart neither loses nor
 * double-counts: only a reloaded XDP program or a re-attached vhost program
 * starts from zero, which Prometheus' rate() treats as a counter reset.
 *
 * Devices and namespaces are enumerated afresh on every collection, so
 * labels follow them as they appear and disappear.
 *
 * OVERHEAD: per collection, one rtnetlink link dump and one qstats dump per
 * namespace, one XDP query per device and VK_STATS_ENTRIES per-CPU lookups
 * per vnetkit XDP program; in the data path only the vhost tracepoint
 * programs (see loader/trace_vhost.c), and nothing per packet otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <linux/if_tun.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <netlink/route/link.h>

#include "export.h"
#include "kernel_syms.h"
#include "netdev.h"
#include "netns.h"
#include "trace_vhost.h"
#include "trace_vhost.skel.h"
#include "util.h"
#include "xdp_obj.h"
#include "nl.h"

/* uapi/linux/netdev.h of 6.9+ (Debian 12's headers predate qstats). */
#define VK_NETDEV_CMD_QSTATS_GET	12
#define VK_NETDEV_QSTATS_SCOPE_QUEUE	1
enum {
	VK_QS_IFINDEX = 1, VK_QS_QUEUE_TYPE, VK_QS_QUEUE_ID, VK_QS_SCOPE,
	VK_QS_RX_PACKETS = 8, VK_QS_RX_BYTES, VK_QS_TX_PACKETS, VK_QS_TX_BYTES,
	VK_QS_RX_ALLOC_FAIL, VK_QS_RX_HW_DROPS,
	VK_QS_TX_HW_DROPS = 23, VK_QS_TX_STOP = 31, VK_QS_TX_WAKE,
	VK_QS_MAX = 40,
};

struct vk_export {
	const struct vk_export_cfg *cfg;
	struct vk_vhost_trace vhost;
	int bpf_stats_fd;		/* held while --enable-bpf-stats is in force */
	bool bpf_stats_ours;		/* we enable them (not already on) */
	double bpf_stats_since;		/* when the fd was last taken */
	double bpf_stats_held;		/* seconds held, up to bpf_stats_since */
	double bpf_stats_cycle;		/* start of the current duty period */
	double bpf_stats_tried;		/* the period of the last attempt */
	char qstats_reason[128];	/* "" when the last dump worked */
	char xdp_reason[128];		/* "" unless a program or map was unreadable */
	uint64_t scrapes;
	double collect_cpu;
	int own_netns_ino;
};

static double rusage_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

struct vk_export *vk_export_new(const struct vk_export_cfg *cfg)
{
	struct vk_export *e = calloc(1, sizeof(*e));
	struct stat st;

	if (!e)
		return NULL;
	e->cfg = cfg;
	e->bpf_stats_fd = -1;
	if (!stat("/proc/self/ns/net", &st))
		e->own_netns_ino = st.st_ino;
	snprintf(e->vhost.status, sizeof(e->vhost.status), "not probed yet");
	return e;
}

void vk_export_free(struct vk_export *e)
{
	if (!e)
		return;
	vk_vhost_trace_free(&e->vhost);
	if (e->bpf_stats_ours) {
		if (e->bpf_stats_fd >= 0)
			close(e->bpf_stats_fd);
		fprintf(stderr, "vnetkit export: BPF run-time statistics released (off unless kernel.bpf_stats_enabled or another holder keeps them on)\n");
	}
	free(e);
}

static int read_bpf_stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void detect_vhost(struct vk_export *e, bool verbose)
{
	/* vhost and vhost_net are the only modules that can hold them. */
	static const char *const mods[] = { "vhost", "vhost_net", NULL };
	struct vk_kbtf btf;

	/* Attached programs keep counting across reloads: never re-attach. */
	if (e->vhost.skel)
		return;
	vk_kbtf_load(&btf, mods);
	/* Sets the status (the reason) when none is found or attach fails. */
	vk_vhost_trace_find(&e->vhost, &btf);
	if (e->vhost.n)
		vk_vhost_trace_attach(&e->vhost);
	else if (btf.vmlinux)
		snprintf(e->vhost.status, sizeof(e->vhost.status),
			 "no vhost tracepoints in this kernel (patches/0004 not applied, or vhost_net not loaded)");
	vk_kbtf_free(&btf);
	if (verbose)
		fprintf(stderr, "vnetkit export: vhost tracepoints: %s\n",
			e->vhost.skel ? "attached" : e->vhost.status);
}

/* Every BPF program on the host pays two clock reads per run while the
 * statistics are on (on the TAP XDP-drop path 1077.7 -> 1142.8 instructions
 * per frame, +6.0 %, make kernel-cost W=tap-xdp-drop:export=b): an
 * always-on exporter holds them for a share of each period only (default
 * 2 %: +0.12 % on that path). The kernel counts run_cnt and run_time_ns
 * together, so their ratio, the mean time per run, is not biased by it. */
static bool bpf_stats_cycling(const struct vk_export *e)
{
	return e->bpf_stats_ours && !e->cfg->once && e->cfg->bpf_stats_duty < 1;
}

int vk_export_detect(struct vk_export *e, bool verbose)
{
	detect_vhost(e, verbose);
	if (e->cfg->enable_bpf_stats && !e->bpf_stats_ours) {
		if (read_bpf_stats_enabled() == 1) {
			if (verbose)
				fprintf(stderr, "vnetkit export: BPF run-time statistics already on; left as they are\n");
		} else {
			/* Held through an fd, not the sysctl: the kernel turns the
			 * statistics off again when the fd closes, even if we crash. */
			e->bpf_stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
			if (e->bpf_stats_fd < 0) {
				vk_errf("export", "needs CAP_SYS_ADMIN",
					"--enable-bpf-stats: cannot enable BPF run-time statistics: %s",
					strerror(errno));
				return -1;
			}
			e->bpf_stats_ours = true;
			e->bpf_stats_since = e->bpf_stats_cycle = vk_now();
			e->bpf_stats_tried = e->bpf_stats_cycle;
			if (bpf_stats_cycling(e))
				fprintf(stderr, "vnetkit export: enabled BPF run-time statistics (BPF_ENABLE_STATS: every BPF program pays two clock reads per run while they are on) for %g s of every %g s (--bpf-stats-duty %g), until export exits\n",
					e->cfg->bpf_stats_duty * e->cfg->bpf_stats_period,
					e->cfg->bpf_stats_period, e->cfg->bpf_stats_duty * 100);
			else
				fprintf(stderr, "vnetkit export: enabled BPF run-time statistics (BPF_ENABLE_STATS: what kernel.bpf_stats_enabled=1 does, though the sysctl keeps reading 0; every BPF program pays two clock reads per run) until export exits\n");
		}
	}
	return 0;
}

double vk_export_tick(struct vk_export *e, double now)
{
	const struct vk_export_cfg *c = e->cfg;
	double on_end, next;

	if (!bpf_stats_cycling(e))
		return 86400;
	/* Periods missed while stopped or busy are skipped, not replayed. */
	while (now >= e->bpf_stats_cycle + c->bpf_stats_period)
		e->bpf_stats_cycle += c->bpf_stats_period;
	on_end = e->bpf_stats_cycle + c->bpf_stats_duty * c->bpf_stats_period;
	if (now < on_end && e->bpf_stats_fd < 0 && e->bpf_stats_tried != e->bpf_stats_cycle) {
		e->bpf_stats_tried = e->bpf_stats_cycle;
		e->bpf_stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (e->bpf_stats_fd >= 0)
			e->bpf_stats_since = now;
		else
			vk_errf("export", "retrying next period",
				"--enable-bpf-stats: cannot enable BPF run-time statistics: %s",
				strerror(errno));
	} else if (now >= on_end && e->bpf_stats_fd >= 0) {
		close(e->bpf_stats_fd);
		e->bpf_stats_fd = -1;
		e->bpf_stats_held += now - e->bpf_stats_since;
	}
	next = now < on_end ? on_end : e->bpf_stats_cycle + c->bpf_stats_period;
	return next - now;
}

/* ---- namespaces --------------------------------------------------------- */

/* Names to scan: the --netns list, or our own namespace ("") and every
 * named one. Returned strings are owned by the list. */
struct ns_list {
	char *name[256];
	int n;
};

static void ns_list_build(const struct vk_export *e, struct ns_list *l)
{
	struct dirent *de;
	DIR *d;

	l->n = 0;
	if (e->cfg->nr_netns) {
		for (int i = 0; i < e->cfg->nr_netns; i++)
			l->name[l->n++] = strdup(e->cfg->netns[i]);
		return;
	}
	l->name[l->n++] = strdup("");
	d = opendir(VK_NETNS_RUN_DIR);
	while (d && (de = readdir(d)) && l->n < (int)ARRAY_SIZE(l->name)) {
		char path[300];
		struct stat st;

		if (de->d_name[0] == '.' || vk_netns_exists(de->d_name) != 1)
			continue;
		snprintf(path, sizeof(path), "%s/%s", VK_NETNS_RUN_DIR, de->d_name);
		/* The namespace we run in is already scanned as "". */
		if (!stat(path, &st) && (int)st.st_ino == e->own_netns_ino)
			continue;
		l->name[l->n++] = strdup(de->d_name);
	}
	if (d)
		closedir(d);
}

static void ns_list_free(struct ns_list *l)
{
	while (l->n)
		free(l->name[--l->n]);
}

static bool dev_wanted(const struct vk_export *e, const char *name)
{
	if (!e->cfg->nr_dev)
		return strcmp(name, "lo") != 0;
	for (int i = 0; i < e->cfg->nr_dev; i++)
		if (!strcmp(e->cfg->dev[i], name))
			return true;
	return false;
}

/* ---- per-device collectors ------------------------------------------------ */

static void bpf_run_stats(struct vk_metrics *m, int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	char id[16];

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return;
	snprintf(id, sizeof(id), "%u", info.id);
	const char *l[] = { "prog_id", id, "name", info.name, NULL };

	vk_m_f64(m, F_BPF_RUN_SECONDS, NULL, l, info.run_time_ns / 1e9);
	vk_m_u64(m, F_BPF_RUN_COUNT, NULL, l, info.run_cnt);
}

/* The whole vk_stats map in one BPF_MAP_LOOKUP_BATCH (a per-CPU array:
 * values come as [key][cpu]), summed over CPUs into rows[queue][slot]. One
 * syscall instead of one per entry: this is most of a scrape's cost. */
static int read_xdp_stats(int fd, struct vk_xdp_counter (*rows)[VK_STAT_SLOTS])
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 keys[VK_STATS_ENTRIES], count = VK_STATS_ENTRIES, out;
	struct vk_xdp_counter *v;
	int err;

	if (ncpu <= 0)
		return -EINVAL;
	v = calloc((size_t)VK_STATS_ENTRIES * ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = bpf_map_lookup_batch(fd, NULL, &out, keys, v, &count, NULL);
	/* ENOENT: the batch reached the end of the map, count holds what came. */
	if (err && errno != ENOENT) {
		err = -errno;
		goto out;
	}
	err = 0;
	memset(rows, 0, sizeof(*rows) * VK_MAX_RXQ);
	for (__u32 i = 0; i < count; i++) {
		__u32 k = keys[i];

		if (k >= VK_STATS_ENTRIES)
			continue;
		for (int c = 0; c < ncpu; c++) {
			rows[k / VK_STAT_SLOTS][k % VK_STAT_SLOTS].packets += v[i * ncpu + c].packets;
			rows[k / VK_STAT_SLOTS][k % VK_STAT_SLOTS].bytes += v[i * ncpu + c].bytes;
		}
	}
out:
	free(v);
	return err;
}

static void collect_xdp(struct vk_export *e, struct vk_metrics *m, const char *ns,
			const char *dev, int ifindex, int nrxq, bool bpf_stats)
{
	static struct vk_xdp_counter rows[VK_MAX_RXQ][VK_STAT_SLOTS];
	struct vk_attached a;
	char id[16], q[16];
	int fd;

	int err = vk_xdp_query(ifindex, &a);

	/* Finding the program needs BPF_PROG_GET_FD_BY_ID: say so rather
	 * than report an empty, "available" source. */
	if (err) {
		snprintf(e->xdp_reason, sizeof(e->xdp_reason),
			 "cannot read the XDP program of %s: %s%s", dev, strerror(-err),
			 err == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		return;
	}
	if (!a.prog_id || !vk_prog_name_ours(a.name) ||
	    !a.stats_map_id)
		return;
	snprintf(id, sizeof(id), "%u", a.prog_id);
	const char *il[] = { "netns", ns, "device", dev, "prog_id", id, "name", a.name,
			     "mode", a.mode, NULL };

	vk_m_u64(m, F_XDP_PROG, NULL, il, 1);
	if (bpf_stats) {
		fd = bpf_prog_get_fd_by_id(a.prog_id);
		if (fd >= 0) {
			bpf_run_stats(m, fd);
			close(fd);
		}
	}
	fd = bpf_map_get_fd_by_id(a.stats_map_id);
	if (fd < 0) {
		snprintf(e->xdp_reason, sizeof(e->xdp_reason),
			 "cannot open the vk_stats map of %s: %s", dev, strerror(errno));
		return;
	}
	err = read_xdp_stats(fd, rows);
	if (err) {
		snprintf(e->xdp_reason, sizeof(e->xdp_reason),
			 "cannot read the vk_stats map of %s: %s", dev, strerror(-err));
		goto out;
	}
	for (int r = 0; r < VK_MAX_RXQ; r++) {
		bool any = false;

		for (int v = 0; v < VK_STAT_SLOTS; v++)
			any |= rows[r][v].packets != 0;
		/* The device's queues always have series, so rate() sees the
		 * first frames; rows beyond them only once they count (the
		 * program's queue index may exceed what rtnetlink reports,
		 * e.g. a shared last row). */
		if (!any && r >= nrxq)
			continue;
		/* Queues beyond the table share its last row. */
		snprintf(q, sizeof(q), "%d%s", r, r == VK_MAX_RXQ - 1 ? "+" : "");
		for (int v = 0; v < VK_STAT_SLOTS; v++) {
			const char *l[] = { "netns", ns, "device", dev, "queue", q,
					    v < VK_NR_VERDICTS ? "verdict" : "error",
					    vk_slot_name(v), NULL };

			if (v >= VK_NR_VERDICTS) {
				vk_m_u64(m, F_XDP_ERRORS, NULL, l, rows[r][v].packets);
				continue;
			}
			vk_m_u64(m, F_XDP_PACKETS, NULL, l, rows[r][v].packets);
			vk_m_u64(m, F_XDP_BYTES, NULL, l, rows[r][v].bytes);
		}
	}
out:
	close(fd);
}

static void collect_link(struct vk_export *e, struct vk_metrics *m, const char *ns,
			 struct rtnl_link *link, bool bpf_stats)
{
	static const struct {
		enum vk_family f;
		const char *dir;
		rtnl_link_stat_id_t id;
	} st[] = {
		{ F_LINK_PACKETS, "rx", RTNL_LINK_RX_PACKETS },
		{ F_LINK_PACKETS, "tx", RTNL_LINK_TX_PACKETS },
		{ F_LINK_BYTES, "rx", RTNL_LINK_RX_BYTES },
		{ F_LINK_BYTES, "tx", RTNL_LINK_TX_BYTES },
		{ F_LINK_DROPPED, "rx", RTNL_LINK_RX_DROPPED },
		{ F_LINK_DROPPED, "tx", RTNL_LINK_TX_DROPPED },
		{ F_LINK_ERRORS, "rx", RTNL_LINK_RX_ERRORS },
		{ F_LINK_ERRORS, "tx", RTNL_LINK_TX_ERRORS },
	};
	const char *name = rtnl_link_get_name(link);
	const char *kind = rtnl_link_get_type(link);
	int ifindex = rtnl_link_get_ifindex(link);
	char drv[32] = "", idx[16];

	vk_driver_name(name, drv, sizeof(drv));
	snprintf(idx, sizeof(idx), "%d", ifindex);
	const char *il[] = { "netns", ns, "device", name, "ifindex", idx,
			     "kind", kind ? kind : "", "driver", drv, NULL };

	vk_m_u64(m, F_LINK, NULL, il, 1);
	for (size_t i = 0; i < ARRAY_SIZE(st); i++) {
		const char *l[] = { "netns", ns, "device", name, "direction", st[i].dir, NULL };

		vk_m_u64(m, st[i].f, NULL, l, rtnl_link_get_stat(link, st[i].id));
	}
	{
		const char *rl[] = { "netns", ns, "device", name, "direction", "rx", NULL };
		const char *tl[] = { "netns", ns, "device", name, "direction", "tx", NULL };

		vk_m_u64(m, F_LINK_QUEUES, NULL, rl, rtnl_link_get_num_rx_queues(link));
		vk_m_u64(m, F_LINK_QUEUES, NULL, tl, rtnl_link_get_num_tx_queues(link));
	}
	if (kind && !strcmp(kind, "tun")) {
		int fl = vk_tun_flags(name);

		if (fl >= 0) {
			const char *l[] = { "netns", ns, "device", name,
					    "mode", (fl & IFF_TAP) ? "tap" : "tun",
					    "multi_queue", (fl & IFF_MULTI_QUEUE) ? "1" : "0",
					    "vnet_hdr", (fl & IFF_VNET_HDR) ? "1" : "0",
					    "persist", (fl & IFF_PERSIST) ? "1" : "0", NULL };

			vk_m_u64(m, F_TUN, NULL, l, 1);
		}
	}
	collect_xdp(e, m, ns, name, ifindex, rtnl_link_get_num_rx_queues(link), bpf_stats);
}

/* ---- netdev genetlink qstats ------------------------------------------------ */

struct qs_ctx {
	struct vk_export *e;
	struct vk_metrics *m;
	const char *ns;
	struct nl_cache *links;
};

static uint64_t nla_uint(const struct nlattr *a)
{
	/* NLA_UINT: 4 or 8 bytes, whichever the value needs. */
	return nla_len(a) == 8 ? nla_get_u64((struct nlattr *)a) : nla_get_u32((struct nlattr *)a);
}

static int qs_cb(struct nl_msg *msg, void *arg)
{
	static const struct {
		int attr;
		enum vk_family f;
	} map[] = {
		{ VK_QS_RX_PACKETS, F_Q_PACKETS }, { VK_QS_TX_PACKETS, F_Q_PACKETS },
		{ VK_QS_RX_BYTES, F_Q_BYTES }, { VK_QS_TX_BYTES, F_Q_BYTES },
		{ VK_QS_RX_ALLOC_FAIL, F_Q_RX_ALLOC_FAIL }, { VK_QS_RX_HW_DROPS, F_Q_RX_HW_DROPS },
		{ VK_QS_TX_HW_DROPS, F_Q_TX_HW_DROPS }, { VK_QS_TX_STOP, F_Q_TX_STOP },
		{ VK_QS_TX_WAKE, F_Q_TX_WAKE },
	};
	struct qs_ctx *c = arg;
	struct nlattr *tb[VK_QS_MAX + 1];
	struct rtnl_link *link;
	char name[IFNAMSIZ], q[16];
	const char *dir;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VK_QS_MAX, NULL) ||
	    !tb[VK_QS_IFINDEX] || !tb[VK_QS_QUEUE_TYPE] || !tb[VK_QS_QUEUE_ID])
		return NL_OK;
	link = rtnl_link_get(c->links, nla_get_u32(tb[VK_QS_IFINDEX]));
	if (!link)
		return NL_OK;
	snprintf(name, sizeof(name), "%s", rtnl_link_get_name(link));
	rtnl_link_put(link);
	if (!dev_wanted(c->e, name))
		return NL_OK;
	dir = nla_get_u32(tb[VK_QS_QUEUE_TYPE]) == 0 ? "rx" : "tx";
	snprintf(q, sizeof(q), "%u", nla_get_u32(tb[VK_QS_QUEUE_ID]));
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		const char *l[] = { "netns", c->ns, "device", name, "queue", q,
				    "direction", dir, NULL };

		if (tb[map[i].attr])
			vk_m_u64(c->m, map[i].f, NULL, l, nla_uint(tb[map[i].attr]));
	}
	return NL_OK;
}

static void collect_qstats(struct vk_export *e, struct vk_metrics *m, const char *ns,
			   struct nl_cache *links)
{
	struct qs_ctx c = { e, m, ns, links };
	struct nl_sock *s = vk_nl_socket(NETLINK_GENERIC);
	struct nl_msg *msg;
	int fam, err;

	if (!s) {
		snprintf(e->qstats_reason, sizeof(e->qstats_reason), "cannot open a genetlink socket");
		return;
	}
	fam = genl_ctrl_resolve(s, "netdev");
	if (fam < 0) {
		snprintf(e->qstats_reason, sizeof(e->qstats_reason),
			 "no netdev genetlink family (kernel before 6.5)");
		goto out;
	}
	msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, fam, 0, NLM_F_DUMP,
				 VK_NETDEV_CMD_QSTATS_GET, 1) ||
	    nla_put_u32(msg, VK_QS_SCOPE, VK_NETDEV_QSTATS_SCOPE_QUEUE)) {
		nlmsg_free(msg);
		snprintf(e->qstats_reason, sizeof(e->qstats_reason), "out of memory");
		goto out;
	}
	err = vk_nl_exchange(s, msg, qs_cb, &c, NULL, 0);
	if (err)
		snprintf(e->qstats_reason, sizeof(e->qstats_reason),
			 "NETDEV_CMD_QSTATS_GET failed: %s (kernel before 6.9?)", strerror(-err));
	else
		e->qstats_reason[0] = '\0';
out:
	nl_socket_free(s);
}

/* Everything of the namespace the calling thread is in. */
static int collect_ns(struct vk_export *e, struct vk_metrics *m, const char *ns,
		      bool bpf_stats)
{
	struct nl_sock *s = vk_nl_socket(NETLINK_ROUTE);
	struct nl_cache *cache = NULL;
	int err = -1;

	if (!s || rtnl_link_alloc_cache(s, AF_UNSPEC, &cache))
		goto out;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *link = (struct rtnl_link *)o;

		if (dev_wanted(e, rtnl_link_get_name(link)))
			collect_link(e, m, ns, link, bpf_stats);
	}
	collect_qstats(e, m, ns, cache);
	err = 0;
out:
	nl_cache_free(cache);
	nl_socket_free(s);
	return err;
}

/* ---- vhost ---------------------------------------------------------------- */

/* The command name of process pid, "" when it is gone or not visible from
 * our pid namespace. */
static void proc_comm(int pid, char *comm, size_t len)
{
	char path[32];
	FILE *f;

	comm[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = pid > 0 ? fopen(path, "r") : NULL;
	if (!f)
		return;
	if (fgets(comm, len, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

static void collect_vhost(struct vk_export *e, struct vk_metrics *m, bool bpf_stats)
{
	static const char *const exit_names[VK_VHOST_REASONS] = {
		"timeout", "need_resched", "signal_pending", "other_work", "work_found",
	};
	struct trace_vhost_bpf *sk = e->vhost.skel;

	vk_vhost_trace_read(&e->vhost);
	for (int i = 0; i < e->vhost.nq; i++) {
		const struct vk_vhost_vq_stats *s = &e->vhost.q[i].s;
		char dev[24], vq[16];

		if (!s->batches && !s->signalled && !s->suppressed && !s->polls &&
		    !s->xdp_batches && !s->errors && !s->kicks && !s->requeues)
			continue;
		/* A virtqueue of one vhost device: the id vhost gave the device
		 * (never reused while the host runs) and the queue index. */
		snprintf(dev, sizeof(dev), "%llu", (unsigned long long)e->vhost.q[i].key.dev);
		snprintf(vq, sizeof(vq), "%u", e->vhost.q[i].key.vq);
		const char *l[] = { "vhost_dev", dev, "vq", vq, NULL };

		/* The device once, at its first queue (the list is sorted):
		 * its owner names the VM, to join the vq series with. */
		if (!i || e->vhost.q[i - 1].key.dev != e->vhost.q[i].key.dev) {
			char pid[16], comm[32] = "";

			snprintf(pid, sizeof(pid), "%llu", (unsigned long long)s->tgid);
			proc_comm((int)s->tgid, comm, sizeof(comm));
			const char *dl[] = { "vhost_dev", dev,
					     "type", vk_vhost_type_name(s->type),
					     "owner_pid", pid, "owner_comm", comm, NULL };

			vk_m_u64(m, F_VH_DEVICE, NULL, dl, 1);
		}
		vk_m_u64(m, F_VH_KICKS, NULL, l, s->kicks);
		vk_m_u64(m, F_VH_REQUEUES, NULL, l, s->requeues);
		const char *sl[] = { "vhost_dev", dev, "vq", vq, "decision", "sent", NULL };
		const char *ul[] = { "vhost_dev", dev, "vq", vq, "decision", "suppressed", NULL };

		vk_m_log2_hist(m, F_VH_BATCH, l, s->batch_hist, VK_VHOST_HIST, s->entries);
		vk_m_u64(m, F_VH_SIGNALS, NULL, sl, s->signalled);
		vk_m_u64(m, F_VH_SIGNALS, NULL, ul, s->suppressed);
		vk_m_u64(m, F_VH_XDP_BATCHES, NULL, l, s->xdp_batches);
		vk_m_u64(m, F_VH_XDP_FRAMES, NULL, l, s->xdp_frames);
		vk_m_u64(m, F_VH_POLLS, NULL, l, s->polls);
		for (int r = 0; r < VK_VHOST_REASONS; r++) {
			const char *rl[] = { "vhost_dev", dev, "vq", vq, "reason", exit_names[r], NULL };

			vk_m_u64(m, F_VH_POLL_EXITS, NULL, rl, s->exits[r]);
		}
		vk_m_f64(m, F_VH_SPIN_SECONDS, NULL, l, s->spin_ns / 1e9);
		vk_m_u64(m, F_VH_ERRORS, NULL, l, s->errors);
	}
	if (bpf_stats && sk) {
		struct bpf_program *p;

		bpf_object__for_each_program(p, sk->obj)
			if (bpf_program__fd(p) >= 0)
				bpf_run_stats(m, bpf_program__fd(p));
	}
}

/* ---- one collection ----------------------------------------------------------- */

static void source(struct vk_metrics *m, const char *src, const char *reason)
{
	const char *l[] = { "source", src, "reason", reason ? reason : "", NULL };

	vk_m_u64(m, F_SOURCE, NULL, l, !reason);
}

void vk_export_collect(struct vk_export *e, bool om, struct vk_buf *out)
{
	double t0 = vk_now(), c0 = rusage_cpu();
	struct vk_metrics m = {};
	struct ns_list nl;
	struct rusage ru;
	/* Between samples the source stays available: its counters hold. */
	int bs = e->bpf_stats_ours ? 1 : read_bpf_stats_enabled();

	e->xdp_reason[0] = '\0';
	ns_list_build(e, &nl);
	for (int i = 0; i < nl.n; i++) {
		const char *l[] = { "netns", nl.name[i], NULL };
		int saved = -1, up = 0;

		if (nl.name[i][0])
			saved = vk_netns_enter(nl.name[i]);
		if (!nl.name[i][0] || saved >= 0) {
			up = !collect_ns(e, &m, nl.name[i], bs == 1);
			if (saved >= 0 && vk_netns_leave(saved)) {
				/* Staying in the wrong namespace would mislabel
				 * every later figure: stop here. */
				vk_errf("export", NULL, "cannot return to our network namespace: %s",
					strerror(errno));
				exit(EXIT_FAIL);
			}
		}
		vk_m_u64(&m, F_NETNS_UP, NULL, l, up);
	}
	ns_list_free(&nl);

	source(&m, "xdp_stats", e->xdp_reason[0] ? e->xdp_reason : NULL);
	source(&m, "link_stats", NULL);
	source(&m, "qstats", e->qstats_reason[0] ? e->qstats_reason : NULL);
	source(&m, "vhost_tracepoints", e->vhost.skel ? NULL : e->vhost.status);
	source(&m, "bpf_stats", bs == 1 ? NULL :
	       bs < 0 ? "kernel.bpf_stats_enabled unreadable" :
	       "kernel.bpf_stats_enabled is 0 (vnetkit export --enable-bpf-stats turns it on while it runs)");
	collect_vhost(e, &m, bs == 1);
	if (e->bpf_stats_ours) {
		double held = e->bpf_stats_held;

		if (e->bpf_stats_fd >= 0)
			held += vk_now() - e->bpf_stats_since;
		vk_m_f64(&m, F_BPF_STATS_HELD, NULL, NULL, held);
		vk_m_f64(&m, F_BPF_STATS_DUTY, NULL, NULL,
			 bpf_stats_cycling(e) ? e->cfg->bpf_stats_duty : 1);
	}

	e->scrapes++;
	e->collect_cpu += rusage_cpu() - c0;
	vk_m_u64(&m, F_SCRAPES, NULL, NULL, e->scrapes);
	vk_m_f64(&m, F_COLLECT_CPU, NULL, NULL, e->collect_cpu);
	getrusage(RUSAGE_SELF, &ru);
	{
		const char *ul[] = { "mode", "user", NULL };
		const char *sl[] = { "mode", "system", NULL };

		vk_m_f64(&m, F_CPU, NULL, ul, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6);
		vk_m_f64(&m, F_CPU, NULL, sl, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	}
	vk_m_f64(&m, F_SCRAPE_SECONDS, NULL, NULL, vk_now() - t0);
	vk_m_render(&m, om, out);
	vk_m_free(&m);
}

/* ---- start-up checks -------------------------------------------------------- */

int vk_export_check_cfg(struct vk_export *e)
{
	struct ns_list nl;
	int found[VK_EXPORT_MAX_LIST] = {};

	for (int i = 0; i < e->cfg->nr_netns; i++) {
		if (!vk_valid_nsname(e->cfg->netns[i]) || vk_netns_exists(e->cfg->netns[i]) != 1) {
			vk_errf("export", "ip netns list shows them",
				"--netns %s: no such network namespace", e->cfg->netns[i]);
			return -1;
		}
	}
	if (!e->cfg->nr_dev)
		return 0;
	ns_list_build(e, &nl);
	for (int i = 0; i < nl.n; i++) {
		int saved = nl.name[i][0] ? vk_netns_enter(nl.name[i]) : -1;

		if (nl.name[i][0] && saved < 0)
			continue;
		for (int d = 0; d < e->cfg->nr_dev; d++)
			found[d] |= if_nametoindex(e->cfg->dev[d]) != 0;
		if (saved >= 0)
			vk_netns_leave(saved);
	}
	ns_list_free(&nl);
	for (int d = 0; d < e->cfg->nr_dev; d++) {
		if (!found[d]) {
			vk_errf("export", "check the name, or add --netns NAME where it lives",
				"--dev %s: no such device in the namespaces scanned", e->cfg->dev[d]);
			return -1;
		}
	}
	return 0;
}
