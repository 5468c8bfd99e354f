/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Counters shared by the XDP programs (bpf/xdp_*.bpf.c) and vnetkit.
 *
 * Every program owns one BPF_MAP_TYPE_PERCPU_ARRAY named "vk_stats" of
 * VK_MAX_RXQ * VK_STAT_SLOTS entries. Entry (rxq * VK_STAT_SLOTS + slot)
 * counts packets and bytes seen on RX queue rxq with verdict "slot" (the
 * XDP action value) or, for slots >= VK_NR_VERDICTS, one error class. A frame
 * counted under an error is also counted under the verdict it received.
 * Queues >= VK_MAX_RXQ - 1 share the last row.
 */
#ifndef VNETKIT_XDP_STATS_H
#define VNETKIT_XDP_STATS_H

#define VK_MAX_RXQ	64
#define VK_NR_VERDICTS	5	/* XDP_ABORTED .. XDP_REDIRECT */

enum vk_xdp_error {
	VK_ERR_SHORT = VK_NR_VERDICTS,	/* frame too short for the action */
	VK_ERR_NO_TARGET,		/* redirect: DEVMAP slot empty */
	VK_STAT_SLOTS,
};

#define VK_STATS_ENTRIES	(VK_MAX_RXQ * VK_STAT_SLOTS)
#define VK_STATS_MAP_NAME	"vk_stats"
#define VK_TX_PORT_MAP_NAME	"vk_tx_port"
/* Program names: the loader recognises its own programs by these prefixes
 * (with their vk_stats map): single-buffer vk_xdp_*, multi-buffer
 * (xdp.frags) vk_mb_*. */
#define VK_PROG_PREFIX		"vk_xdp_"
#define VK_PROG_PREFIX_MB	"vk_mb_"

#ifndef __bpf__
#include <string.h>

static inline int vk_prog_name_ours(const char *name)
{
	return !strncmp(name, VK_PROG_PREFIX, sizeof(VK_PROG_PREFIX) - 1) ||
	       !strncmp(name, VK_PROG_PREFIX_MB, sizeof(VK_PROG_PREFIX_MB) - 1);
}
#endif

struct vk_xdp_counter {
	__u64 packets;
	__u64 bytes;
};

#endif
