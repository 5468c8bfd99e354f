// SPDX-License-Identifier: GPL-2.0
/* Ownership records of testbeds (see owner.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "netns.h"
#include "owner.h"

void vk_tb_record_path(char *buf, size_t len, const char *ns)
{
	snprintf(buf, len, "%s/%s", VK_TB_RECORD_DIR, ns);
}

int vk_tb_record_load(const char *ns, struct vk_tb_record *r)
{
	char path[256], line[256];
	FILE *f;

	memset(r, 0, sizeof(*r));
	vk_tb_record_path(path, sizeof(path), ns);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ENOENT : -errno;
	while (fgets(line, sizeof(line), f)) {
		struct vk_tb_link *l = &r->links[r->nr_links];
		unsigned long long ino;

		if (sscanf(line, "netns %64s %llu", r->ns, &ino) == 2)
			r->ns_ino = ino;
		else if (sscanf(line, "created_by %ld %lld", &r->pid, &r->created) == 2)
			;
		else if (r->nr_links < VK_TB_MAX_LINKS &&
			 sscanf(line, "link %15s %d %7s", l->name, &l->ifindex, l->kind) == 3)
			r->nr_links++;
	}
	fclose(f);
	return strcmp(r->ns, ns) || !r->ns_ino ? -EINVAL : 0;
}

static int mkdir_p(const char *dir)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", dir);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0755) && errno != EEXIST ? -errno : 0;
}

/* Written to a temporary file and renamed: a crash leaves the old record
 * or the new one, never half of one. */
int vk_tb_record_save(const struct vk_tb_record *r)
{
	char path[256], tmp[280];
	int err, fd;
	FILE *f;

	err = mkdir_p(VK_TB_RECORD_DIR);
	if (err)
		return err;
	vk_tb_record_path(path, sizeof(path), r->ns);
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	fprintf(f, "# created by vnetkit testbed up; vnetkit testbed down removes\n"
		   "# only what is listed here, and only while the inode/ifindex match\n");
	fprintf(f, "netns %s %llu\n", r->ns, (unsigned long long)r->ns_ino);
	fprintf(f, "created_by %ld %lld\n", r->pid, r->created);
	for (int i = 0; i < r->nr_links; i++)
		fprintf(f, "link %s %d %s\n", r->links[i].name, r->links[i].ifindex,
			r->links[i].kind);
	if (fclose(f)) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	if (rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

int vk_tb_record_remove(const char *ns)
{
	char path[256];

	vk_tb_record_path(path, sizeof(path), ns);
	return unlink(path) && errno != ENOENT ? -errno : 0;
}

int vk_netns_ino(const char *name, uint64_t *ino)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", VK_NETNS_RUN_DIR, name);
	if (stat(path, &st))
		return -errno;
	*ino = st.st_ino;
	return 0;
}

int vk_netns_self_ino(uint64_t *ino)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/net", &st))
		return -errno;
	*ino = st.st_ino;
	return 0;
}

bool vk_tb_owns_link(const char *name, int ifindex)
{
	struct dirent *de;
	uint64_t self = 0;
	bool found = false;
	DIR *d;

	if (vk_netns_self_ino(&self))
		return false;
	d = opendir(VK_TB_RECORD_DIR);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		struct vk_tb_record r;
		uint64_t ino = 0;

		if (de->d_name[0] == '.' || strstr(de->d_name, ".tmp") ||
		    vk_tb_record_load(de->d_name, &r) || r.ns_ino != self ||
		    vk_netns_ino(r.ns, &ino) || ino != self)
			continue;
		for (int i = 0; i < r.nr_links; i++)
			if (!strcmp(r.links[i].name, name) && r.links[i].ifindex == ifindex)
				found = true;
	}
	closedir(d);
	return found;
}

static void pin_record_path(char *buf, size_t len, const char *real)
{
	size_t n = snprintf(buf, len, "%s/", VK_PIN_RECORD_DIR);

	for (const char *p = real; *p && n + 1 < len; p++)
		buf[n++] = *p == '/' ? '%' : *p;
	buf[n] = '\0';
}

int vk_pin_record_save(const struct vk_pin_record *r)
{
	char path[PATH_MAX + 64];
	int err = mkdir_p(VK_PIN_RECORD_DIR);
	FILE *f;

	if (err)
		return err;
	pin_record_path(path, sizeof(path), r->dir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "# pinned by vnetkit xdp attach; detach --pin removes a pin only\n"
		   "# while it is still the object of this id\n");
	fprintf(f, "dir %s %d\n", r->dir, r->dir_created);
	for (int i = 0; i < r->nr; i++)
		fprintf(f, "pin %s %u\n", r->pins[i].name, r->pins[i].id);
	if (fclose(f)) {
		err = -errno;
		unlink(path);
		return err;
	}
	return 0;
}

int vk_pin_record_load(const char *dir, struct vk_pin_record *r)
{
	char path[PATH_MAX + 64], line[PATH_MAX + 64], real[PATH_MAX];
	int created;
	FILE *f;

	memset(r, 0, sizeof(*r));
	if (!realpath(dir, real))
		return -errno;
	pin_record_path(path, sizeof(path), real);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "dir %4095s %d", r->dir, &created) == 2)
			r->dir_created = created;
		else if (r->nr < VK_PIN_MAX &&
			 sscanf(line, "pin %15s %u", r->pins[r->nr].name, &r->pins[r->nr].id) == 2)
			r->nr++;
	}
	fclose(f);
	return strcmp(r->dir, real) || !r->nr ? -EINVAL : 0;
}

int vk_pin_record_remove(const struct vk_pin_record *r)
{
	char path[PATH_MAX + 64];

	pin_record_path(path, sizeof(path), r->dir);
	return unlink(path) && errno != ENOENT ? -errno : 0;
}
