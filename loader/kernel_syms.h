/* SPDX-License-Identifier: GPL-2.0 */
/* What the running kernel has, as the tracing code asks it: its text
 * symbols (/proc/kallsyms: kprobe targets and addresses) and its BTF,
 * vmlinux's and the modules' split BTF (functions fentry can attach to,
 * tracepoints, struct members). One home for what trace, its vhost and
 * event counters and export each looked up on their own. */
#ifndef VNETKIT_KERNEL_SYMS_H
#define VNETKIT_KERNEL_SYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct btf;

struct vk_ksym {
	char *name;
	unsigned long addr;
};

/* Text symbols, sorted by name. */
struct vk_ksyms {
	struct vk_ksym *syms;
	size_t nr;
};

int vk_ksyms_load(struct vk_ksyms *k);
/* Address of a text symbol; 0 when absent or when several static
 * functions share the name (attaching to one of them would be a guess). */
unsigned long vk_ksym_addr(const struct vk_ksyms *k, const char *name);
void vk_ksyms_free(struct vk_ksyms *k);

#define VK_MAX_MOD_BTFS 64

struct vk_kbtf {
	struct btf *vmlinux;		/* NULL: the kernel has no BTF */
	struct btf *mods[VK_MAX_MOD_BTFS];
	int nr_mods;
};

/* vmlinux's BTF and the modules' (only: the modules named in this
 * NULL-ended list; NULL: every module). */
void vk_kbtf_load(struct vk_kbtf *k, const char *const *only);
void vk_kbtf_free(struct vk_kbtf *k);
/* A type of this name and kind in vmlinux or a module. */
bool vk_kbtf_has(const struct vk_kbtf *k, const char *name, __u32 kind);
/* Tracepoint tp exists (its btf_trace_<tp> typedef). */
bool vk_kbtf_has_tp(const struct vk_kbtf *k, const char *tp);

#endif
