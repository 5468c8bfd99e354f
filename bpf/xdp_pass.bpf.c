// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Pass every frame to the stack, counting it. Also the program to load on
 * a veth peer so that frames redirected into the veth are received. */
#include "xdp_common.bpf.h"

SEC(VK_XDP_SEC)
int VK_XDP_PROG(pass)(struct xdp_md *ctx)
{
	return vk_account(ctx, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
