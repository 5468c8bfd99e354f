/* SPDX-License-Identifier: GPL-2.0 */
/* Named network namespaces (compatible with `ip netns`) and the few link
 * operations the testbed needs, done with syscalls and rtnetlink (nl.c, libnl
 * linked in) so they also work where only busybox is installed (the QEMU
 * guest). */
#ifndef VNETKIT_NETNS_H
#define VNETKIT_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VK_NETNS_RUN_DIR "/run/netns"

/* A valid interface name: 1..IFNAMSIZ-1 bytes, no '/', ':' or white space,
 * not "." or "..". Same rule for namespace names (they are file names). */
bool vk_valid_ifname(const char *name);
bool vk_valid_nsname(const char *name);

/* 1 if /run/netns/NAME is a mounted namespace, 0 if absent, -1 on error. */
int vk_netns_exists(const char *name);

/* Create /run/netns/NAME holding a new network namespace, like
 * `ip netns add`. The calling process stays in its own namespace. */
int vk_netns_create(const char *name);
/* Unmount and remove /run/netns/NAME, like `ip netns del`. */
int vk_netns_delete(const char *name);

/* Move the calling thread into namespace NAME. Returns a descriptor of
 * the namespace it came from, for vk_netns_leave(), or -1 (errno set). */
int vk_netns_enter(const char *name);
int vk_netns_leave(int saved_fd);

/* Link operations in the current network namespace; on failure they return
 * -errno and, when the kernel gave one, copy its extack text into msg. */
int vk_link_add_veth(const char *name, const char *peer, char *msg, size_t len);
int vk_link_del(const char *name, char *msg, size_t len);
int vk_link_set_up(const char *name);
int vk_link_set_mtu(const char *name, int mtu);
/* A persistent TAP (IFF_TAP | IFF_NO_PI), like `ip tuntap add mode tap`. */
int vk_tap_create(const char *name);
/* The one opener of /dev/net/tun: TUNSETIFF NAME as a TAP (IFF_TAP |
 * IFF_NO_PI | flags), which creates NAME when it is free and joins it
 * otherwise. The fd, or -errno with *step (may be NULL) naming what failed. */
int vk_tap_open(const char *name, short flags, bool nonblock, const char **step);

/* The TUN/TAP flags of device NAME (IFF_TAP, IFF_NO_PI, IFF_VNET_HDR,
 * IFF_PERSIST, IFF_MULTI_QUEUE) read over rtnetlink, so they are right in
 * any namespace whatever /sys shows; -errno, -ENOENT if not a TUN/TAP. */
int vk_tun_flags(const char *name);

struct vk_link_info {
	char name[16];
	char driver[32];	/* "tun", "veth", ... from ethtool */
	char bus[32];		/* tun: "tap" or "tun" */
	int ifindex;
	bool up;
	uint64_t rx_packets, tx_packets, rx_dropped, tx_dropped;
};

/* Describe link NAME in the current namespace; -errno if absent. */
int vk_link_info(const char *name, struct vk_link_info *li);

/* Write VAL to /proc/sys/KEY (current namespace for net.* keys). */
int vk_sysctl_write(const char *key, const char *val);

#endif
