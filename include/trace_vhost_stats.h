/* SPDX-License-Identifier: GPL-2.0 */
/* vnetkit trace: per-virtqueue statistics from the vhost tracepoints of
 * patches/0004-vhost-add-tracepoints.patch, shared by bpf/trace_vhost.bpf.c and
 * loader/trace_vhost.c. */
#ifndef VNETKIT_TRACE_VHOST_STATS_H
#define VNETKIT_TRACE_VHOST_STATS_H

#define VK_VHOST_MAX_VQS	8	/* queues beyond this share the last slot */
#define VK_VHOST_HIST		16	/* log2 buckets: 1, 2-3, 4-7, ... */
#define VK_VHOST_REASONS	5	/* enum vhost_busy_poll_exit */

/* enum vhost_busy_poll_exit of include/trace/events/vhost.h */
enum vk_vhost_exit {
	VK_VHOST_EXIT_TIMEOUT,
	VK_VHOST_EXIT_NEED_RESCHED,
	VK_VHOST_EXIT_SIGNAL,
	VK_VHOST_EXIT_VQ_WORK,
	VK_VHOST_EXIT_WORK,
};

struct vk_vhost_vq_stats {
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
	__u64 errors;			/* vhost_vq_err */
};

#endif
