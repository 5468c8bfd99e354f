/* SPDX-License-Identifier: GPL-2.0 */
/* Our XDP objects (bpf/xdp_*.bpf.c): open from the embedded skeleton bytes
 * (or, for vhost --xdp-obj, a file the user names),
 * configure, load, find them again once attached, and read their counters.
 * Every BPF object vnetkit loads comes from a skeleton bpftool generated;
 * the trace objects through their typed skeletons (one object, its own
 * maps and programs), these ten through the generic API on the skeletons'
 * bytes, since they share one layout and every command picks one at run
 * time. */
#ifndef VNETKIT_XDP_OBJ_H
#define VNETKIT_XDP_OBJ_H

#include <stdbool.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include "xdp_stats.h"

enum vk_action {
	VK_ACT_DROP,
	VK_ACT_PASS,
	VK_ACT_TX,
	VK_ACT_REDIRECT,
	VK_ACT_CPU,		/* redirect into a CPUMAP entry */
	VK_ACT_EMPTY,		/* benchmark floor, not offered by attach */
	VK_NR_ACTIONS,
};

struct vk_xdp {
	enum vk_action act;
	bool frags;		/* the xdp.frags variant (multi-buffer) */
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *stats;
	struct bpf_map *tx_port;
};

const char *vk_action_name(enum vk_action act);
int vk_action_parse(const char *s);	/* -1 when unknown */
const char *vk_slot_name(int slot);	/* "drop", "short", ... */

int vk_xdp_open(struct vk_xdp *x, enum vk_action act);
/* frags: the variant loaded with BPF_F_XDP_HAS_FRAGS (SEC("xdp.frags")),
 * -EOPNOTSUPP for an action without one. */
int vk_xdp_open_variant(struct vk_xdp *x, enum vk_action act, bool frags);
bool vk_action_has_frags(enum vk_action act);
/* An object the user names (vhost --xdp-obj): its first program, loaded as
 * XDP; act is VK_NR_ACTIONS, stats and tx_port are NULL. -ENOENT when it
 * has no program. */
int vk_xdp_open_file(struct vk_xdp *x, const char *path);
int vk_xdp_set_rodata(struct vk_xdp *x, const char *var, const void *val,
		      size_t sz);
int vk_xdp_load(struct vk_xdp *x);
void vk_xdp_close(struct vk_xdp *x);

/* What is attached to an interface, per mode. */
struct vk_attached {
	__u32 drv_id, skb_id, hw_id;
	__u32 prog_id;			/* the one we report: drv, else skb, else hw */
	const char *mode;		/* "native", "generic", "offload" */
	char name[16];
	__u64 load_time_ns;		/* CLOCK_BOOTTIME at load */
	__u32 stats_map_id;		/* 0 when not one of ours */
	__u32 tx_port_map_id;
	__u32 run_cnt;
};
/* 0 and a->prog_id == 0 when nothing is attached; -errno on failure. */
int vk_xdp_query(int ifindex, struct vk_attached *a);

/* Counters summed over CPUs, per slot, per RX queue and per CPU. */
struct vk_stats {
	int ncpu;
	double t;				/* vk_now() when read */
	struct vk_xdp_counter total[VK_STAT_SLOTS];
	struct vk_xdp_counter rxq[VK_MAX_RXQ][VK_STAT_SLOTS];
	struct vk_xdp_counter *cpu;		/* [ncpu][VK_STAT_SLOTS] */
};
int vk_stats_init(struct vk_stats *s);
void vk_stats_free(struct vk_stats *s);
int vk_stats_read(int map_fd, struct vk_stats *s);
__u64 vk_stats_packets(const struct vk_stats *s);	/* all verdicts */

#endif
