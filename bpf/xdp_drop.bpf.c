// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Drop every frame, counting it. The cheapest useful XDP program: the
 * figure to compare a device's XDP path against. */
#include "xdp_common.bpf.h"

SEC(VK_XDP_SEC)
int VK_XDP_PROG(drop)(struct xdp_md *ctx)
{
	return vk_account(ctx, XDP_DROP);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
