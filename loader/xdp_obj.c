// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/if_link.h>

#include "util.h"
#include "xdp_obj.h"
#include "xdp_drop.skel.h"
#include "xdp_pass.skel.h"
#include "xdp_tx.skel.h"
#include "xdp_redirect.skel.h"
#include "xdp_cpu.skel.h"
#include "xdp_empty.skel.h"
#include "xdp_drop_mb.skel.h"
#include "xdp_pass_mb.skel.h"
#include "xdp_tx_mb.skel.h"
#include "xdp_redirect_mb.skel.h"

/* elf_mb: the multi-buffer (xdp.frags) variant, NULL when there is none. */
static const struct {
	const char *name;
	const void *(*elf)(size_t *sz);
	const void *(*elf_mb)(size_t *sz);
} actions[VK_NR_ACTIONS] = {
	[VK_ACT_DROP] = { "drop", xdp_drop_bpf__elf_bytes, xdp_drop_mb_bpf__elf_bytes },
	[VK_ACT_PASS] = { "pass", xdp_pass_bpf__elf_bytes, xdp_pass_mb_bpf__elf_bytes },
	[VK_ACT_TX] = { "tx", xdp_tx_bpf__elf_bytes, xdp_tx_mb_bpf__elf_bytes },
	[VK_ACT_REDIRECT] = { "redirect", xdp_redirect_bpf__elf_bytes,
			      xdp_redirect_mb_bpf__elf_bytes },
	[VK_ACT_CPU] = { "cpu", xdp_cpu_bpf__elf_bytes, NULL },
	[VK_ACT_EMPTY] = { "empty", xdp_empty_bpf__elf_bytes, NULL },
};

static const char *const slot_names[VK_STAT_SLOTS] = {
	"aborted", "drop", "pass", "tx", "redirect", "short", "no_target",
};

const char *vk_action_name(enum vk_action act)
{
	return act < VK_NR_ACTIONS ? actions[act].name : "?";
}

int vk_action_parse(const char *s)
{
	for (int i = 0; i < VK_NR_ACTIONS; i++)
		if (s && !strcmp(s, actions[i].name))
			return i;
	return -1;
}

const char *vk_slot_name(int slot)
{
	return slot >= 0 && slot < VK_STAT_SLOTS ? slot_names[slot] : "?";
}

int vk_xdp_open(struct vk_xdp *x, enum vk_action act)
{
	return vk_xdp_open_variant(x, act, false);
}

bool vk_action_has_frags(enum vk_action act)
{
	return act < VK_NR_ACTIONS && actions[act].elf_mb;
}

int vk_xdp_open_variant(struct vk_xdp *x, enum vk_action act, bool frags)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = actions[act].name);
	const void *elf;
	size_t sz;
	int err;

	memset(x, 0, sizeof(*x));
	if (frags && !vk_action_has_frags(act))
		return -EOPNOTSUPP;
	elf = frags ? actions[act].elf_mb(&sz) : actions[act].elf(&sz);
	x->act = act;
	x->frags = frags;
	x->obj = bpf_object__open_mem(elf, sz, &opts);
	err = libbpf_get_error(x->obj);
	if (err) {
		x->obj = NULL;
		return err;
	}
	x->prog = bpf_object__next_program(x->obj, NULL);
	x->stats = bpf_object__find_map_by_name(x->obj, VK_STATS_MAP_NAME);
	x->tx_port = bpf_object__find_map_by_name(x->obj, VK_TX_PORT_MAP_NAME);
	if (!x->prog) {
		vk_xdp_close(x);
		return -ENOENT;
	}
	return 0;
}

int vk_xdp_open_file(struct vk_xdp *x, const char *path)
{
	int err;

	memset(x, 0, sizeof(*x));
	x->act = VK_NR_ACTIONS;
	x->obj = bpf_object__open_file(path, NULL);
	err = libbpf_get_error(x->obj);
	if (err) {
		x->obj = NULL;
		return err;
	}
	x->prog = bpf_object__next_program(x->obj, NULL);
	if (!x->prog) {
		vk_xdp_close(x);
		return -ENOENT;
	}
	/* Whatever its section says, it is attached as XDP. */
	bpf_program__set_type(x->prog, BPF_PROG_TYPE_XDP);
	return 0;
}

/* Set a `const volatile` global by name, through the object's BTF. */
int vk_xdp_set_rodata(struct vk_xdp *x, const char *var, const void *val,
		      size_t sz)
{
	struct bpf_map *map = bpf_object__find_map_by_name(x->obj, ".rodata");
	const struct btf *btf = bpf_object__btf(x->obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	size_t data_sz;
	char *data;
	int id;

	if (!map || !btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return -ENOENT;
	sec = btf__type_by_id(btf, id);
	data = (char *)bpf_map__initial_value(map, &data_sz);
	vs = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *t = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, t->name_off), var))
			continue;
		if (vs->size != sz || vs->offset + sz > data_sz)
			return -EINVAL;
		memcpy(data + vs->offset, val, sz);
		return 0;
	}
	return -ENOENT;
}

int vk_xdp_load(struct vk_xdp *x)
{
	return bpf_object__load(x->obj);
}

void vk_xdp_close(struct vk_xdp *x)
{
	bpf_object__close(x->obj);
	x->obj = NULL;
}

static void find_our_maps(struct vk_attached *a, int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), ids[8] = {};

	info.nr_map_ids = ARRAY_SIZE(ids);
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return;
	for (__u32 i = 0; i < info.nr_map_ids && i < ARRAY_SIZE(ids); i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &mi, &mlen)) {
			if (!strcmp(mi.name, VK_STATS_MAP_NAME) &&
			    mi.type == BPF_MAP_TYPE_PERCPU_ARRAY &&
			    mi.value_size == sizeof(struct vk_xdp_counter) &&
			    mi.max_entries == VK_STATS_ENTRIES)
				a->stats_map_id = mi.id;
			else if (!strcmp(mi.name, VK_TX_PORT_MAP_NAME))
				a->tx_port_map_id = mi.id;
		}
		close(fd);
	}
}

int vk_xdp_query(int ifindex, struct vk_attached *a)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int err, fd;

	memset(a, 0, sizeof(*a));
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	a->drv_id = q.drv_prog_id;
	a->skb_id = q.skb_prog_id;
	a->hw_id = q.hw_prog_id;
	if (a->drv_id) {
		a->prog_id = a->drv_id;
		a->mode = "native";
	} else if (a->skb_id) {
		a->prog_id = a->skb_id;
		a->mode = "generic";
	} else if (a->hw_id) {
		a->prog_id = a->hw_id;
		a->mode = "offload";
	}
	if (!a->prog_id)
		return 0;
	fd = bpf_prog_get_fd_by_id(a->prog_id);
	if (fd < 0)
		return -errno;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		memcpy(a->name, info.name, sizeof(a->name) - 1);
		a->load_time_ns = info.load_time;
		a->run_cnt = info.run_cnt;
	}
	find_our_maps(a, fd);
	close(fd);
	return 0;
}

int vk_stats_init(struct vk_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->ncpu = libbpf_num_possible_cpus();
	if (s->ncpu <= 0)
		return s->ncpu ? s->ncpu : -EINVAL;
	s->cpu = calloc((size_t)s->ncpu * VK_STAT_SLOTS, sizeof(*s->cpu));
	return s->cpu ? 0 : -ENOMEM;
}

void vk_stats_free(struct vk_stats *s)
{
	free(s->cpu);
	s->cpu = NULL;
}

int vk_stats_read(int map_fd, struct vk_stats *s)
{
	struct vk_xdp_counter *vals;
	int ncpu = s->ncpu, err = 0;

	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	memset(s->total, 0, sizeof(s->total));
	memset(s->rxq, 0, sizeof(s->rxq));
	memset(s->cpu, 0, (size_t)ncpu * VK_STAT_SLOTS * sizeof(*s->cpu));
	for (__u32 key = 0; key < VK_STATS_ENTRIES; key++) {
		int q = key / VK_STAT_SLOTS, slot = key % VK_STAT_SLOTS;

		if (bpf_map_lookup_elem(map_fd, &key, vals)) {
			err = -errno;
			break;
		}
		for (int c = 0; c < ncpu; c++) {
			s->total[slot].packets += vals[c].packets;
			s->total[slot].bytes += vals[c].bytes;
			s->rxq[q][slot].packets += vals[c].packets;
			s->rxq[q][slot].bytes += vals[c].bytes;
			s->cpu[c * VK_STAT_SLOTS + slot].packets += vals[c].packets;
			s->cpu[c * VK_STAT_SLOTS + slot].bytes += vals[c].bytes;
		}
	}
	s->t = vk_now();
	free(vals);
	return err;
}

__u64 vk_stats_packets(const struct vk_stats *s)
{
	__u64 n = 0;

	for (int v = 0; v < VK_NR_VERDICTS; v++)
		n += s->total[v].packets;
	return n;
}
