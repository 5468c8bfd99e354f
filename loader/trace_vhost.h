/* SPDX-License-Identifier: GPL-2.0 */
/* vnetkit trace: vhost / vhost_net report per device and virtqueue from the
 * vhost tracepoints of our patch series (batch-size histograms, signals per
 * packet, busy-poll hit rate, spin time and window), when the kernel has
 * them. A device is named by the id vhost gave it, its type and the
 * thread group of its owner (the VMM). */
#ifndef VNETKIT_TRACE_VHOST_H
#define VNETKIT_TRACE_VHOST_H

#include <jansson.h>

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "trace_vhost_stats.h"

struct vk_kbtf;
struct bpf_link;
struct trace_vhost_bpf;

#define VK_VHOST_PROGS 7

/* One virtqueue of one vhost device, summed over CPUs. */
struct vk_vhost_queue {
	struct vk_vhost_key key;
	struct vk_vhost_vq_stats s;
};

struct vk_vhost_trace {
	bool have[VK_VHOST_PROGS];	/* which tracepoints the kernel has */
	int n;				/* how many */
	char status[160];		/* "" when attached, else why not */
	struct trace_vhost_bpf *skel;
	struct bpf_link *links[VK_VHOST_PROGS];
	struct vk_vhost_queue *q;	/* sorted by device, then queue */
	int nq;
	__u64 overflow;			/* events of queues that did not fit */
};

/* Which of our vhost tracepoints the kernel BTF (vmlinux, modules) has. */
void vk_vhost_trace_find(struct vk_vhost_trace *v, const struct vk_kbtf *btf);
/* Load and attach the programs of the tracepoints found; 0 or -errno
 * (status says why). Nothing to do when none was found. */
int vk_vhost_trace_attach(struct vk_vhost_trace *v);
void vk_vhost_trace_detach(struct vk_vhost_trace *v);
void vk_vhost_trace_read(struct vk_vhost_trace *v);
void vk_vhost_trace_free(struct vk_vhost_trace *v);
/* enum vhost_dev_type + 1 (as stored in vk_vhost_vq_stats.type) by name. */
const char *vk_vhost_type_name(__u64 type);
/* One line for vnetkit trace --list. */
void vk_vhost_trace_print_list(FILE *f, const struct vk_vhost_trace *v);
void vk_vhost_trace_print_text(FILE *f, const struct vk_vhost_trace *v);
/* The "vhost" member of trace's --json report. */
json_t *vk_vhost_trace_json(const struct vk_vhost_trace *v);

#endif
