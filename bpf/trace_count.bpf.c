// SPDX-License-Identifier: GPL-2.0
/* vnetkit trace --events: count one tracepoint of a family found at run time
 * (loader/trace_events.c). libbpf 1.1 has no BPF cookie for raw tracepoints,
 * so the loader opens this object once per event, each with its own slot
 * and all sharing the first one's map.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "trace.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 slot;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VK_MAX_EVENTS);
	__type(key, __u32);
	__type(value, __u64);
} vk_tp_counts SEC(".maps");

SEC("raw_tp")
int vk_tp_count(void *ctx)
{
	__u32 key = slot;
	__u64 *n = bpf_map_lookup_elem(&vk_tp_counts, &key);

	/* atomic: a preempted or nested event may share the slot */
	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}
