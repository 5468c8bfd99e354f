// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Redirect every frame to the CPU set by `vnetkit xdp attach --action cpu
 * --cpu N`: the frames are queued into that CPU's entry of the vk_tx_port
 * CPUMAP (its kthread builds the skbs and passes them up the stack there).
 * An empty entry drops the frame and counts it as "no target". */
#include "xdp_common.bpf.h"

/* Set by user space before load, with the map's max_entries (cpu + 1). */
const volatile __u32 target_cpu;

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} vk_tx_port SEC(".maps");

SEC("xdp")
int vk_xdp_cpu(struct xdp_md *ctx)
{
	int ret = bpf_redirect_map(&vk_tx_port, target_cpu, XDP_DROP);

	if (ret != XDP_REDIRECT)
		return vk_account_err(ctx, VK_ERR_NO_TARGET, ret);
	return vk_account(ctx, XDP_REDIRECT);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
