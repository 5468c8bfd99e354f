// SPDX-License-Identifier: GPL-2.0
/* vnetkit trace: count every tracepoint of a family found at run time.
 * libbpf 1.1 has no BPF cookie for raw tracepoints, so each event gets its
 * own instance of bpf/trace_count.bpf.c, with its slot of the per-CPU array
 * all instances share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kernel_syms.h"
#include "trace_events.h"
#include "trace_count.skel.h"

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

void vk_tp_events_find(struct vk_tp_events *e, const struct vk_kbtf *btf)
{
	int i;

	e->n = 0;
	e->map_fd = -1;
	for (i = 0; i < VK_MAX_EVENTS; i++) {
		e->skels[i] = NULL;
		e->links[i] = NULL;
	}
	if (!btf->vmlinux) {
		snprintf(e->status, sizeof(e->status), "kernel BTF unavailable");
		return;
	}
	scan(e, btf->vmlinux);
	for (i = 0; i < btf->nr_mods; i++)
		scan(e, btf->mods[i]);
	if (!e->n)
		snprintf(e->status, sizeof(e->status),
			 "kernel has no %s* tracepoints", e->prefix);
}

/* Instance slot counts into the map of instance 0. */
static int load_counter(struct vk_tp_events *e, __u32 slot)
{
	struct trace_count_bpf *sk = trace_count_bpf__open();
	int err;

	if (!sk)
		return -errno;
	e->skels[slot] = sk;
	sk->rodata->slot = slot;
	if (slot) {
		err = bpf_map__reuse_fd(sk->maps.vk_tp_counts, e->map_fd);
		if (err)
			return err;
	}
	err = trace_count_bpf__load(sk);
	if (err)
		return err;
	if (!slot)
		e->map_fd = bpf_map__fd(sk->maps.vk_tp_counts);
	return 0;
}

int vk_tp_events_attach(struct vk_tp_events *e, int ncpus)
{
	int i, err = 0;

	if (!e->n)
		return 0;
	e->ncpus = ncpus;
	for (i = 0; i < e->n; i++) {
		err = load_counter(e, i);
		if (err)
			break;
		e->links[i] = bpf_program__attach_raw_tracepoint(e->skels[i]->progs.vk_tp_count,
								 e->names[i]);
		if (!e->links[i]) {
			err = -errno;
			break;
		}
	}
	if (!err)
		return 0;
	snprintf(e->status, sizeof(e->status), "cannot attach %s: %s",
		 e->names[i], strerror(-err));
	vk_tp_events_free(e);
	return err;
}

void vk_tp_events_detach(struct vk_tp_events *e)
{
	int i;

	for (i = 0; i < VK_MAX_EVENTS; i++) {
		bpf_link__destroy(e->links[i]);
		e->links[i] = NULL;
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
		trace_count_bpf__destroy(e->skels[i]);
		e->skels[i] = NULL;
	}
	e->map_fd = -1;
}
