/* SPDX-License-Identifier: GPL-2.0 */
/* vnetkit trace: per-device, per-virtqueue statistics from the vhost
 * tracepoints of patches/0004-vhost-add-tracepoints.patch and
 * patches/0005-vhost_net-adaptive-busy-polling.patch, shared by
 * bpf/trace_vhost.bpf.c and loader/trace_vhost.c. */
#ifndef VNETKIT_TRACE_VHOST_STATS_H
#define VNETKIT_TRACE_VHOST_STATS_H

#define VK_VHOST_MAX_QUEUES	1024	/* (device, vq) pairs tracked */
#define VK_VHOST_HIST		16	/* log2 buckets: 1, 2-3, 4-7, ... */
#define VK_VHOST_REASONS	5	/* enum vhost_busy_poll_exit */

/* enum vhost_busy_poll_exit of drivers/vhost/vhost.h */
enum vk_vhost_exit {
	VK_VHOST_EXIT_TIMEOUT,
	VK_VHOST_EXIT_NEED_RESCHED,
	VK_VHOST_EXIT_SIGNAL,
	VK_VHOST_EXIT_OTHER_WORK,
	VK_VHOST_EXIT_WORK,
};

/* enum vhost_dev_type of drivers/vhost/vhost.h */
#define VK_VHOST_TYPES		5

/* A virtqueue: the id vhost_dev_init() gave its device, and its index. */
struct vk_vhost_key {
	__u64 dev;
	__u32 vq;
	__u32 pad;
};

struct vk_vhost_vq_stats {
	__u64 tgid;			/* owner (VMM) thread group, last seen */
	__u64 type;			/* enum vhost_dev_type + 1, 0: unknown */
	__u64 batches;			/* vhost_net_used_batch events */
	__u64 entries;			/* sum of their counts */
	__u64 batch_hist[VK_VHOST_HIST];
	__u64 signalled;		/* vhost_signal, signalled=1 */
	__u64 suppressed;		/* vhost_signal, signalled=0 */
	__u64 xdp_batches;		/* vhost_net_tx_xdp_batch */
	__u64 xdp_frames;
	__u64 polls;			/* vhost_net_busy_poll_end */
	__u64 exits[VK_VHOST_REASONS];
	__u64 spin_ns;
	__u64 window_sum;		/* busy_clock units (1024 ns) */
	__u64 window_max;
	__u64 grows;			/* vhost_net_busy_poll_adapt */
	__u64 shrinks;
	__u64 errors;			/* vhost_vq_err */
	__u64 kicks;			/* vhost_work_queue of the kick handler, */
	__u64 requeues;			/* ... from elsewhere / from the worker */
};

#endif
