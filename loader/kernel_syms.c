// SPDX-License-Identifier: GPL-2.0
/* See kernel_syms.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "kernel_syms.h"
#include "util.h"

static int ksym_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vk_ksym *)a)->name,
		      ((const struct vk_ksym *)b)->name);
}

int vk_ksyms_load(struct vk_ksyms *k)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], name[256], type;
	unsigned long addr;
	size_t cap = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx %c %255s", &addr, &type, name) != 3)
			continue;
		if (type != 't' && type != 'T')
			continue;
		if (k->nr == cap) {
			struct vk_ksym *n;

			cap = cap ? cap * 2 : 65536;
			n = realloc(k->syms, cap * sizeof(*n));
			if (!n) {
				fclose(f);
				return -ENOMEM;
			}
			k->syms = n;
		}
		k->syms[k->nr].name = strdup(name);
		k->syms[k->nr++].addr = addr;
	}
	fclose(f);
	qsort(k->syms, k->nr, sizeof(*k->syms), ksym_cmp);
	return 0;
}

unsigned long vk_ksym_addr(const struct vk_ksyms *k, const char *name)
{
	struct vk_ksym key = { .name = (char *)name }, *s;

	s = bsearch(&key, k->syms, k->nr, sizeof(key), ksym_cmp);
	if (!s)
		return 0;
	if ((s > k->syms && !strcmp(s[-1].name, name)) ||
	    (s + 1 < k->syms + k->nr && !strcmp(s[1].name, name)))
		return 0;
	return s->addr;
}

void vk_ksyms_free(struct vk_ksyms *k)
{
	for (size_t i = 0; i < k->nr; i++)
		free(k->syms[i].name);
	free(k->syms);
	k->syms = NULL;
	k->nr = 0;
}

static bool listed(const char *const *only, const char *name)
{
	for (; *only; only++)
		if (!strcmp(*only, name))
			return true;
	return false;
}

void vk_kbtf_load(struct vk_kbtf *k, const char *const *only)
{
	struct dirent *de;
	DIR *d;

	memset(k, 0, sizeof(*k));
	k->vmlinux = btf__load_vmlinux_btf();
	if (!k->vmlinux)
		return;
	d = opendir("/sys/kernel/btf");
	if (!d)
		return;
	while ((de = readdir(d)) && k->nr_mods < (int)ARRAY_SIZE(k->mods)) {
		char path[300];
		struct btf *b;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux") ||
		    (only && !listed(only, de->d_name)))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", de->d_name);
		b = btf__parse_split(path, k->vmlinux);
		if (b)
			k->mods[k->nr_mods++] = b;
	}
	closedir(d);
}

void vk_kbtf_free(struct vk_kbtf *k)
{
	while (k->nr_mods)
		btf__free(k->mods[--k->nr_mods]);
	btf__free(k->vmlinux);
	k->vmlinux = NULL;
}

bool vk_kbtf_has(const struct vk_kbtf *k, const char *name, __u32 kind)
{
	if (!k->vmlinux)
		return false;
	if (btf__find_by_name_kind(k->vmlinux, name, kind) > 0)
		return true;
	for (int i = 0; i < k->nr_mods; i++)
		if (btf__find_by_name_kind(k->mods[i], name, kind) > 0)
			return true;
	return false;
}

bool vk_kbtf_has_tp(const struct vk_kbtf *k, const char *tp)
{
	char name[128];

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	return vk_kbtf_has(k, name, BTF_KIND_TYPEDEF);
}
