// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Bounce every frame back out of the interface it came in on, with the
 * Ethernet source and destination swapped. Frames shorter than an Ethernet
 * header cannot be bounced: they are dropped and counted as short. */
#include "xdp_common.bpf.h"

#define VK_ETH_ALEN 6

#ifdef VK_XDP_FRAGS
/* A multi-buffer frame whose first buffer ends inside the MAC addresses
 * (drivers may put little or nothing in it): swap them through the
 * helpers, which read and write across buffers. False if the whole frame
 * is shorter than the two addresses. */
static __always_inline bool vk_swap_macs_frags(struct xdp_md *ctx)
{
	__u8 in[2 * VK_ETH_ALEN], out[2 * VK_ETH_ALEN];

	if (bpf_xdp_load_bytes(ctx, 0, in, sizeof(in)))
		return false;
	__builtin_memcpy(out, in + VK_ETH_ALEN, VK_ETH_ALEN);
	__builtin_memcpy(out + VK_ETH_ALEN, in, VK_ETH_ALEN);
	return !bpf_xdp_store_bytes(ctx, 0, out, sizeof(out));
}
#endif

SEC(VK_XDP_SEC)
int VK_XDP_PROG(tx)(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u8 tmp[VK_ETH_ALEN];
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end) {
#ifdef VK_XDP_FRAGS
		if (vk_frame_len(ctx) >= sizeof(*eth) && vk_swap_macs_frags(ctx))
			return vk_account(ctx, XDP_TX);
#endif
		return vk_account_err(ctx, VK_ERR_SHORT, XDP_DROP);
	}

	__builtin_memcpy(tmp, eth->h_dest, VK_ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, VK_ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, VK_ETH_ALEN);
	return vk_account(ctx, XDP_TX);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
