/* SPDX-License-Identifier: GPL-2.0 */
/* vnetkit trace: per-event counts for a family of tracepoints found at run
 * time (the vhost tracepoints of our patch series), so new events show up
 * without a new BPF object. */
#ifndef VNETKIT_TRACE_EVENTS_H
#define VNETKIT_TRACE_EVENTS_H

#include <linux/types.h>
#include "trace.h"

struct vk_kbtf;
struct bpf_link;
struct trace_count_bpf;

struct vk_tp_events {
	const char *prefix;		/* tracepoint name prefix, e.g. "vhost_" */
	int n;
	char names[VK_MAX_EVENTS][64];
	__u64 counts[VK_MAX_EVENTS];
	struct trace_count_bpf *skels[VK_MAX_EVENTS];	/* one instance per event */
	struct bpf_link *links[VK_MAX_EVENTS];
	int map_fd;			/* instance 0's, shared by all */
	int ncpus;
	char status[160];		/* "" when attached, else why not */
};

/* Find the tracepoints named prefix* in kernel BTF (vmlinux and modules). */
void vk_tp_events_find(struct vk_tp_events *e, const struct vk_kbtf *btf);
/* One raw_tp counting program per event (bpf/trace_count.bpf.c); 0 or a
 * negative errno, with nothing left loaded. */
int vk_tp_events_attach(struct vk_tp_events *e, int ncpus);
void vk_tp_events_detach(struct vk_tp_events *e);
void vk_tp_events_read(struct vk_tp_events *e);
void vk_tp_events_free(struct vk_tp_events *e);

#endif
