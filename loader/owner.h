/* SPDX-License-Identifier: GPL-2.0 */
/* What vnetkit created, so that it only ever removes or writes into that:
 * `testbed up` records its namespace (by inode, which a namespace deleted
 * and re-created under the same name does not keep) and its devices (by
 * ifindex) under VK_TB_RECORD_DIR; `down`, `status` and `gen --tap` check
 * the record against what is there now. */
#ifndef VNETKIT_OWNER_H
#define VNETKIT_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

#define VK_TB_RECORD_DIR "/run/vnetkit/testbed"
#define VK_TB_MAX_LINKS 8

struct vk_tb_link {
	char name[IFNAMSIZ];
	int ifindex;
	char kind[8];		/* "tap", "veth" */
};

struct vk_tb_record {
	char ns[65];
	uint64_t ns_ino;
	long pid;		/* the `testbed up` that created it */
	long long created;	/* unix time */
	int nr_links;
	struct vk_tb_link links[VK_TB_MAX_LINKS];
};

void vk_tb_record_path(char *buf, size_t len, const char *ns);
/* 0, -ENOENT when there is no record, -EINVAL when it is unreadable. */
int vk_tb_record_load(const char *ns, struct vk_tb_record *r);
int vk_tb_record_save(const struct vk_tb_record *r);
int vk_tb_record_remove(const char *ns);

/* Inode of namespace NAME (/run/netns/NAME) and of the calling thread's. */
int vk_netns_ino(const char *name, uint64_t *ino);
int vk_netns_self_ino(uint64_t *ino);

/* Is the link NAME, ifindex IFINDEX, in the calling thread's namespace one
 * that a live testbed record lists? */
bool vk_tb_owns_link(const char *name, int ifindex);

/* Pins made by `xdp attach --pin DIR`: the ids of what was pinned, kept
 * outside bpffs (which holds no plain files) under VK_PIN_RECORD_DIR, so
 * `detach --pin` removes a pin only when it is still that very object. */
#define VK_PIN_RECORD_DIR "/run/vnetkit/xdp-pin"
#define VK_PIN_MAX 4

struct vk_pin_record {
	char dir[4096];		/* realpath of DIR */
	bool dir_created;	/* rmdir only what we made */
	int nr;
	struct {
		char name[16];	/* file in DIR: prog, vk_stats, vk_tx_port */
		uint32_t id;	/* prog or map id */
	} pins[VK_PIN_MAX];
};

int vk_pin_record_save(const struct vk_pin_record *r);
/* DIR as given; 0, -ENOENT without a record, -errno. */
int vk_pin_record_load(const char *dir, struct vk_pin_record *r);
int vk_pin_record_remove(const struct vk_pin_record *r);

#endif
