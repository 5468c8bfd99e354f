/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Accounting shared by the XDP programs: one per-CPU counter pair per RX
 * queue and verdict, bumped once per frame. */
#ifndef VNETKIT_XDP_COMMON_BPF_H
#define VNETKIT_XDP_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "xdp_stats.h"

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

static __always_inline void vk_bump(const struct xdp_md *ctx, __u32 key)
{
	struct vk_xdp_counter *c = bpf_map_lookup_elem(&vk_stats, &key);

	if (!c)
		return;
	c->packets++;
	if (count_bytes)
		c->bytes += ctx->data_end - ctx->data;
}

/* Count the frame under @verdict and return it. */
static __always_inline int vk_account(const struct xdp_md *ctx, int verdict)
{
	vk_bump(ctx, vk_row(ctx) + verdict);
	return verdict;
}

/* Count an error class, then the verdict the frame gets for it. */
static __always_inline int vk_account_err(const struct xdp_md *ctx,
					  enum vk_xdp_error err, int verdict)
{
	__u32 row = vk_row(ctx);

	vk_bump(ctx, row + err);
	vk_bump(ctx, row + verdict);
	return verdict;
}

#endif
