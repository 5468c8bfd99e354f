/* SPDX-License-Identifier: GPL-2.0 */
/* vnetkit vhost, split by concern: cmd_vhost.c reads the command line into
 * struct vk_vhost_opts, sets the run up (device, TAP, XDP, pinning) and
 * tears it down; vhost_run.c is the engine, one loop per mode, driving the
 * rings (vhost_dev.c) and the host side and verifying every frame;
 * vhost_report.c turns the finished run into the report, the --json
 * document or the error. */
#ifndef VNETKIT_VHOST_RUN_H
#define VNETKIT_VHOST_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vhost_dev.h"

enum vk_vhost_mode { VK_VHOST_TX, VK_VHOST_RX, VK_VHOST_PINGPONG, VK_VHOST_REGIONS };
enum vk_vhost_inject { VK_INJ_NONE, VK_INJ_BAD_ADDR, VK_INJ_LOOP };

/* Frames per recvmmsg()/sendmmsg() on the packet socket: the scratch
 * buffer the engine is given holds this many. */
#define VK_VHOST_SOCK_BATCH 64

struct vk_vhost_opts {
	enum vk_vhost_mode mode;
	uint64_t frames, size, ring, batch, busyloop, rx_buf, window, interval;
	uint64_t warmup, publish, rebase, change_every, burst;
	int pin_drv, pin_worker;	/* -1: not pinned */
	double timeout;
	bool json, v1, event_idx, mrg, spin, busy_adaptive, pace_spin, lockstep;
	const char *dev;
	enum vk_vhost_inject inject;
	uint64_t inject_after;
	bool xdp_drop;
	const char *xdp_obj;
	bool via_xdp;
	const char *rtt_log;
};

struct vk_vhost_run {
	struct vk_vhost vh;
	const struct vk_vhost_opts *o;
	uint32_t cookie;
	uint64_t window;
	/* host side: frames seen on the packet socket (tx) or injected (rx) */
	uint64_t host_frames;
	uint64_t submitted, completed;	/* descriptors/frames through the ring */
	uint64_t verified, corrupt, dup, reordered, foreign, bad_used;
	uint64_t next_expected, lost;
	uint8_t *seen;
	double t0, t1, last_progress;
	uint64_t worker0, worker1, drv0, drv1;
	const char *wsrc, *wwhy;
	bool wok;
	uint64_t *rtt;		/* pingpong round trips, sorted at the end */
	uint64_t *rtt_start;	/* when each began, in frame order */
	uint64_t *rtt_w, rtt_w_n;	/* those after --warmup, sorted */
	FILE *rtt_file;			/* --rtt-log, opened before the run */
	uint64_t rtt_n;
	bool vhost_error, stalled, interrupted;
	int err_q;
	uint64_t later_sent, later_done;	/* frames after an injected chain */
	uint64_t pkt_drops;			/* packet socket overflow */
	uint64_t rebases, requeued, next_rebase;	/* --rebase-every */
	/* --busyloop-change-every: the next frame to change at, the changes
	 * made (log: 5 numbers each, see busyloop_change()) and how many of
	 * them read back something else */
	uint64_t next_change, changes, change_bad;
	uint64_t *change_log;
	uint64_t bursts;				/* --burst-every */
	uint64_t xdp_dropped;
	bool xdp_dropped_ok;
	bool xdp_attached;	/* --xdp-drop: ours on the TAP, detached at exit */
	int inject_ifindex;		/* rx --via-xdp: the veth we send into */
	/* RX reassembly of mergeable buffers */
	unsigned int mrg_left;
	uint64_t mrg_seq;
	size_t mrg_off;
	bool mrg_bad, mrg_ours;
	/* cost window: 0 not yet open, 1 open, 2 closed */
	int cost_state;
	uint64_t cost_f0, cost_frames;
};

/* ---- vhost_run.c: each returns 0, or -1 on an error said already; how the
 * run ended (stalled, interrupted, vhost's error) is in the state. ---- */
int vk_vhost_run_tx(struct vk_vhost_run *r, uint8_t *rbuf, size_t rblen);
int vk_vhost_run_rx(struct vk_vhost_run *r, uint8_t *fb);
int vk_vhost_run_pingpong(struct vk_vhost_run *r);
/* Close the vk_cost window if it is open (the last frame is done). */
void vk_vhost_cost_end(struct vk_vhost_run *r);
/* Record a descriptor error vhost signalled on either queue. */
void vk_vhost_check_err_fds(struct vk_vhost_run *r);

/* ---- vhost_report.c ---- */
/* "ok", or the first thing that went wrong (the --json result). */
const char *vk_vhost_outcome(const struct vk_vhost_run *r);
/* --rtt-log: write the round trips done (in frame order) and close it. */
int vk_vhost_write_rtt_log(struct vk_vhost_run *r);
void vk_vhost_print_json(const struct vk_vhost_run *r, int rc);
void vk_vhost_print_human(const struct vk_vhost_run *r);
/* The error line of a run whose outcome is not "ok"; nothing otherwise. */
void vk_vhost_report_failure(const struct vk_vhost_run *r);
/* vnetkit vhost regions: the fixed addresses as cost-plugin arguments. */
void vk_vhost_print_regions(const struct vk_vhost_cfg *cfg);

#endif
