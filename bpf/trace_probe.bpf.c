// SPDX-License-Identifier: GPL-2.0
/* Empty programs that vnetkit trace loads and attaches to find out which
 * attach methods the running kernel allows for each function, before the
 * real object is loaded (one refused program fails a whole object). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("fentry/probe")
int probe_fentry(void *ctx)
{
	return 0;
}

SEC("kprobe/probe")
int probe_kprobe(void *ctx)
{
	return 0;
}
