/* SPDX-License-Identifier: GPL-2.0 */
/* vnetkit trace: the stage catalogue. Per stage of the packet path, its
 * name and group (what --stages selects), the kernel function or
 * tracepoints it is attached to, the tracepoint it falls back to and what
 * one call counts. cmd_trace.c attaches from it; the reports only name. */
#ifndef VNETKIT_TRACE_STAGES_H
#define VNETKIT_TRACE_STAGES_H

#include <linux/types.h>
#include "trace.h"

enum vk_unit {
	VK_UNIT_PKT,		/* one call handles one packet */
	VK_UNIT_BATCH,		/* packets per call = the batch size */
	VK_UNIT_CALL,		/* per call, no packet count */
};

/* Tracepoint fallback a function stage may use when fentry and kprobes
 * are both refused. */
enum vk_fallback {
	VK_FB_NONE,
	VK_FB_XMIT,		/* net_dev_start_xmit -> net_dev_xmit, ndo filter */
	VK_FB_NAPI,		/* napi_poll, napi->poll filter */
	VK_FB_SYSCALL,		/* write(2)/writev(2) on a TAP fd */
};

struct vk_stage_def {
	const char *name;	/* CLI and report name */
	const char *group;	/* tun, veth, virtio_net, vhost_net, xdp, net */
	const char *func;	/* kernel function, NULL for tracepoint stages */
	const char *tps[3];	/* tracepoints of a tracepoint stage */
	enum vk_fallback fallback;
	enum vk_unit unit;
};

/* Indexed by enum vk_stage (include/trace.h). */
extern const struct vk_stage_def vk_stage_defs[VK_ST_MAX];
const char *vk_method_name(enum vk_method m);

#endif
