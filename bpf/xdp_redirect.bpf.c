// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Redirect every frame to the interface in slot 0 of the vk_tx_port DEVMAP
 * (filled by `vnetkit xdp attach --to IF`, or with bpftool map update).
 * An empty slot drops the frame and counts it as "no target" rather than
 * returning XDP_ABORTED. */
#include "xdp_common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} vk_tx_port SEC(".maps");

SEC(VK_XDP_SEC)
int VK_XDP_PROG(redirect)(struct xdp_md *ctx)
{
	int ret = bpf_redirect_map(&vk_tx_port, 0, XDP_DROP);

	if (ret != XDP_REDIRECT)
		return vk_account_err(ctx, VK_ERR_NO_TARGET, ret);
	return vk_account(ctx, XDP_REDIRECT);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
