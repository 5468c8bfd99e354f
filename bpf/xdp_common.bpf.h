/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Accounting shared by the XDP programs: one per-CPU counter pair per RX
 * queue and verdict, bumped once per frame. */
#ifndef VNETKIT_XDP_COMMON_BPF_H
#define VNETKIT_XDP_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "xdp_stats.h"

/* The multi-buffer variants (bpf/xdp_*_mb.bpf.c) define VK_XDP_FRAGS and
 * include the single-buffer source: the same program, declared
 * frags-aware (SEC("xdp.frags"), BPF_F_XDP_HAS_FRAGS), counting the bytes
 * of every buffer of a frame. A frame then may not fit the span between
 * data and data_end: only its first buffer does. */
#ifdef VK_XDP_FRAGS
#define VK_XDP_SEC		"xdp.frags"
#define VK_XDP_PROG(act)	vk_mb_##act
#else
#define VK_XDP_SEC		"xdp"
#define VK_XDP_PROG(act)	vk_xdp_##act
#endif

/* Set by user space before load; the verifier prunes what is off. */
const volatile bool per_rxq = true;	/* split counters by RX queue */
const volatile bool count_bytes = true;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VK_STATS_ENTRIES);
	__type(key, __u32);
	__type(value, struct vk_xdp_counter);
} vk_stats SEC(".maps");

static __always_inline __u32 vk_row(const struct xdp_md *ctx)
{
	__u32 rxq;

	if (!per_rxq)
		return 0;
	rxq = ctx->rx_queue_index;
	if (rxq >= VK_MAX_RXQ)
		rxq = VK_MAX_RXQ - 1;
	return rxq * VK_STAT_SLOTS;
}

/* Length of the whole frame: bpf_xdp_get_buff_len() adds the frags of a
 * multi-buffer frame; a single-buffer program saves the helper call. */
static __always_inline __u64 vk_frame_len(struct xdp_md *ctx)
{
#ifdef VK_XDP_FRAGS
	return bpf_xdp_get_buff_len(ctx);
#else
	return ctx->data_end - ctx->data;
#endif
}

static __always_inline void vk_bump(struct xdp_md *ctx, __u32 key)
{
	struct vk_xdp_counter *c = bpf_map_lookup_elem(&vk_stats, &key);

	if (!c)
		return;
	c->packets++;
	if (count_bytes)
		c->bytes += vk_frame_len(ctx);
}

/* Count the frame under @verdict and return it. */
static __always_inline int vk_account(struct xdp_md *ctx, int verdict)
{
	vk_bump(ctx, vk_row(ctx) + verdict);
	return verdict;
}

/* Count an error class, then the verdict the frame gets for it. */
static __always_inline int vk_account_err(struct xdp_md *ctx,
					  enum vk_xdp_error err, int verdict)
{
	__u32 row = vk_row(ctx);

	vk_bump(ctx, row + err);
	vk_bump(ctx, row + verdict);
	return verdict;
}

#endif
