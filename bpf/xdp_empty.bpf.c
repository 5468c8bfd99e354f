// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The floor for benchmarks: drop without counting anything. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int vk_xdp_empty(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
