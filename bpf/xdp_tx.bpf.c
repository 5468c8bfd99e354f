// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Bounce every frame back out of the interface it came in on, with the
 * Ethernet source and destination swapped. Frames shorter than an Ethernet
 * header cannot be bounced: they are dropped and counted as short. */
#include "xdp_common.bpf.h"

#define VK_ETH_ALEN 6

SEC("xdp")
int vk_xdp_tx(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u8 tmp[VK_ETH_ALEN];
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return vk_account_err(ctx, VK_ERR_SHORT, XDP_DROP);

	__builtin_memcpy(tmp, eth->h_dest, VK_ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, VK_ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, VK_ETH_ALEN);
	return vk_account(ctx, XDP_TX);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
