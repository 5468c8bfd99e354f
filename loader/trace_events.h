/* SPDX-License-Identifier: GPL-2.0 */
/* vnetkit trace: per-event counts for a family of tracepoints found at run
 * time (the vhost tracepoints of our patch series), so new events show up
 * without a new BPF object. */
#ifndef VNETKIT_TRACE_EVENTS_H
#define VNETKIT_TRACE_EVENTS_H

#include <linux/types.h>

#define VK_MAX_EVENTS 32

struct btf;

struct vk_tp_events {
	const char *prefix;		/* tracepoint name prefix, e.g. "vhost_" */
	int n;
	char names[VK_MAX_EVENTS][64];
	__u64 counts[VK_MAX_EVENTS];
	int prog_fds[VK_MAX_EVENTS];
	int link_fds[VK_MAX_EVENTS];
	int map_fd;
	int ncpus;
	char status[160];		/* "" when attached, else why not */
};

/* Find the tracepoints named prefix* in kernel BTF (vmlinux and modules). */
void vk_tp_events_find(struct vk_tp_events *e, struct btf *vmlinux,
		       struct btf **mods, int nr_mods);
/* One raw_tp counting program per event; 0 or a negative errno. */
int vk_tp_events_attach(struct vk_tp_events *e, int ncpus);
void vk_tp_events_detach(struct vk_tp_events *e);
void vk_tp_events_read(struct vk_tp_events *e);
void vk_tp_events_free(struct vk_tp_events *e);

#endif
