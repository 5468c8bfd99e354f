// SPDX-License-Identifier: GPL-2.0
/* vnetkit trace: count every tracepoint of a family found at run time.
 * libbpf 1.1 has no BPF cookie for raw tracepoints, so each event gets its
 * own eight-instruction program that bumps its slot of a per-CPU array. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "trace_events.h"

static bool known(const struct vk_tp_events *e, const char *name)
{
	int i;

	for (i = 0; i < e->n; i++)
		if (!strcmp(e->names[i], name))
			return true;
	return false;
}

static void scan(struct vk_tp_events *e, const struct btf *btf)
{
	size_t plen = strlen("btf_trace_");
	__u32 id, cnt = btf__type_cnt(btf);

	for (id = 1; id < cnt && e->n < VK_MAX_EVENTS; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;

		if (!t || !btf_is_typedef(t))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (!name || strncmp(name, "btf_trace_", plen) ||
		    strncmp(name + plen, e->prefix, strlen(e->prefix)) ||
		    known(e, name + plen))
			continue;
		snprintf(e->names[e->n++], sizeof(e->names[0]), "%s", name + plen);
	}
}

void vk_tp_events_find(struct vk_tp_events *e, struct btf *vmlinux,
		       struct btf **mods, int nr_mods)
{
	int i;

	e->n = 0;
	e->map_fd = -1;
	for (i = 0; i < VK_MAX_EVENTS; i++)
		e->prog_fds[i] = e->link_fds[i] = -1;
	if (!vmlinux) {
		snprintf(e->status, sizeof(e->status), "kernel BTF unavailable");
		return;
	}
	scan(e, vmlinux);
	for (i = 0; i < nr_mods; i++)
		scan(e, mods[i]);
	if (!e->n)
		snprintf(e->status, sizeof(e->status),
			 "kernel has no %s* tracepoints", e->prefix);
}

/* r1 = &key; r0 = lookup(map, &key); if (r0) *(u64 *)r0 += 1; return 0 */
static int load_counter(int map_fd, __u32 slot)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = BPF_REG_10,
		  .off = -4, .imm = (int)slot },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_2,
		  .src_reg = BPF_REG_10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_2,
		  .imm = -4 },
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1,
		  .src_reg = BPF_PSEUDO_MAP_FD, .imm = map_fd },
		{ 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem },
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = BPF_REG_0,
		  .off = 2, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1,
		  .imm = 1 },
		/* atomic: a preempted or nested event may share the slot */
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = BPF_REG_0,
		  .src_reg = BPF_REG_1, .imm = BPF_ADD },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "vk_tp_count", "GPL",
			     insns, sizeof(insns) / sizeof(insns[0]), NULL);
}

int vk_tp_events_attach(struct vk_tp_events *e, int ncpus)
{
	int i = 0, err;

	if (!e->n)
		return 0;
	e->ncpus = ncpus;
	e->map_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "vk_tp_counts",
				   sizeof(__u32), sizeof(__u64), VK_MAX_EVENTS, NULL);
	if (e->map_fd < 0)
		goto fail;
	for (i = 0; i < e->n; i++) {
		e->prog_fds[i] = load_counter(e->map_fd, i);
		if (e->prog_fds[i] < 0)
			goto fail;
		e->link_fds[i] = bpf_raw_tracepoint_open(e->names[i], e->prog_fds[i]);
		if (e->link_fds[i] < 0)
			goto fail;
	}
	return 0;
fail:
	err = -errno;
	snprintf(e->status, sizeof(e->status), "cannot attach %s: %s",
		 i < e->n ? e->names[i] : "counters", strerror(-err));
	vk_tp_events_detach(e);
	return err;
}

void vk_tp_events_detach(struct vk_tp_events *e)
{
	int i;

	for (i = 0; i < VK_MAX_EVENTS; i++) {
		if (e->link_fds[i] >= 0)
			close(e->link_fds[i]);
		e->link_fds[i] = -1;
	}
}

void vk_tp_events_read(struct vk_tp_events *e)
{
	__u64 *v;
	__u32 i;
	int c;

	if (e->map_fd < 0 || !(v = calloc(e->ncpus, sizeof(*v))))
		return;
	for (i = 0; i < (__u32)e->n; i++) {
		e->counts[i] = 0;
		if (bpf_map_lookup_elem(e->map_fd, &i, v))
			continue;
		for (c = 0; c < e->ncpus; c++)
			e->counts[i] += v[c];
	}
	free(v);
}

void vk_tp_events_free(struct vk_tp_events *e)
{
	int i;

	vk_tp_events_detach(e);
	for (i = 0; i < VK_MAX_EVENTS; i++) {
		if (e->prog_fds[i] >= 0)
			close(e->prog_fds[i]);
		e->prog_fds[i] = -1;
	}
	if (e->map_fd >= 0)
		close(e->map_fd);
	e->map_fd = -1;
}
