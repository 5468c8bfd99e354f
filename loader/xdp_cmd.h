/* SPDX-License-Identifier: GPL-2.0 */
/* vnetkit xdp, split by concern: cmd_xdp.c reads the command line into
 * struct vk_xdp_opts and calls one subcommand; xdp_attach.c is the attach
 * engine (attach, run's bpf_link, pins, detach), xdp_report.c what is
 * attached and its counters (status, stats, run's watch), xdp_bench.c the
 * BPF_PROG_TEST_RUN benchmark. */
#ifndef VNETKIT_XDP_CMD_H
#define VNETKIT_XDP_CMD_H

#include <limits.h>
#include <stdbool.h>
#include <linux/types.h>
#include "xdp_obj.h"

enum vk_xdp_mode { VK_MODE_AUTO, VK_MODE_NATIVE, VK_MODE_GENERIC };

struct vk_xdp_opts {
	const char *sub;
	const char *dev, *to, *pin, *netns;
	int ifindex, to_ifindex;
	int action;
	enum vk_xdp_mode mode;
	double interval, duration;
	__u64 repeat, rounds, size;
	__u32 id, cpu;
	bool json, replace, per_rxq, per_cpu, force, frags, cpu_set;
	bool timed;		/* --interval or --duration given */
};

/* ---- xdp_attach.c ---- */

/* A program this process loaded and attached (or is attaching). */
struct vk_xdp_attachment {
	struct vk_xdp x;
	int ifindex;
	__u32 flags;		/* mode flag actually used */
	const char *mode;
	bool use_link;		/* bpf_link (run) rather than netlink (attach) */
	int link_fd;
	int old_fd;		/* --replace: the program we checked, or -1 */
	char pin_dir[PATH_MAX];
	bool pin_dir_created;
	unsigned int pinned;	/* bit i: pin i is our pin */
};

/* Load o->action's program and attach it to o->dev, through a bpf_link
 * (use_link: gone when this process is) or netlink; pins with o->pin.
 * 0, or -1 with the error said and nothing left behind. */
int vk_xdp_attach(const struct vk_xdp_opts *o, struct vk_xdp_attachment *st,
		  bool use_link);
/* Undo what vk_xdp_attach did; the netlink attachment only with detach. */
void vk_xdp_release(struct vk_xdp_attachment *st, bool detach);
void vk_xdp_print_attached(const struct vk_xdp_opts *o,
			   const struct vk_xdp_attachment *st);
/* The id of the bpf_link holding an XDP program on ifindex, 0 if none
 * (then it is attached through netlink). */
__u32 vk_xdp_link_id(int ifindex);
const char *vk_xdp_attach_how(bool link);
bool vk_xdp_is_ours(const struct vk_attached *a);
__u32 vk_bpf_obj_id(int fd);
/* An EPERM reading what is attached is a missing capability, never "no
 * program": says which. */
void vk_xdp_query_failed(const char *what, const char *dev, int err);

int vk_xdp_cmd_attach(const struct vk_xdp_opts *o);
int vk_xdp_cmd_detach(const struct vk_xdp_opts *o);

/* ---- xdp_report.c ---- */
int vk_xdp_cmd_status(const struct vk_xdp_opts *o);
int vk_xdp_cmd_stats(const struct vk_xdp_opts *o);
int vk_xdp_cmd_run(const struct vk_xdp_opts *o);

/* ---- xdp_bench.c ---- */
int vk_xdp_cmd_bench(const struct vk_xdp_opts *o);

#endif
