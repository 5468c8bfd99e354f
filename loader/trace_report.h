/* SPDX-License-Identifier: GPL-2.0 */
/* vnetkit trace: the state a run collects and the reports printed from it. */
#ifndef VNETKIT_TRACE_REPORT_H
#define VNETKIT_TRACE_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "trace.h"
#include "trace_stages.h"
#include "trace_events.h"
#include "trace_vhost.h"

struct vk_trace_stage {
	const struct vk_stage_def *def;
	bool requested;
	enum vk_method method;		/* VK_M_NONE: unavailable */
	char how[160];			/* method detail for the report */
	char reason[256];		/* why unavailable */
	char brief[72];			/* the same, short, for --list */
	struct vk_stage_stats tot;	/* summed over CPUs */
};

struct vk_trace_run {
	const char *kernel;
	double duration;
	const char *dev;		/* NULL: every device */
	int ifindex;
	const char *ctr_mode;		/* "hw", "sw" or "none" */
	int nr_ctr;
	const char *ctr_names[VK_NR_CTR];
	char ctr_status[256];		/* "" when every counter opened */
	char **cmd;			/* NULL without -- CMD */
	int cmd_status;
	/* --packets N is a stop condition, checked every 10 ms: the report
	 * gives N and what the busiest stage saw (M >= N when it stopped). */
	__u64 packets_requested;	/* 0: no --packets */
	__u64 packets_seen;
	const char *end;		/* "duration", "packets", "command", "interrupted" */
	bool interrupted;
	struct vk_trace_stage st[VK_ST_MAX];
	struct vk_tp_events *events;	/* NULL: not asked for */
	struct vk_vhost_trace *vhost;	/* NULL: not asked for (trace_vhost.c) */
};

void vk_trace_print_text(FILE *f, const struct vk_trace_run *r);
/* The --json report (schema vnetkit-trace/1); rc: the exit code. */
void vk_trace_print_json(const struct vk_trace_run *r, int rc);
void vk_trace_print_list(FILE *f, const struct vk_trace_run *r);

#endif
