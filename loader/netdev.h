/* SPDX-License-Identifier: GPL-2.0 */
/* What an interface supports: XDP features (netdev genetlink family), its
 * driver, its veth peer, GRO. The netlink queries are in nl.c. */
#ifndef VNETKIT_NETDEV_H
#define VNETKIT_NETDEV_H

#include <stdbool.h>
#include <linux/types.h>

/* NETDEV_XDP_ACT_* from uapi/linux/netdev.h (6.3+; not in older headers). */
#define VK_XDP_ACT_BASIC	(1ULL << 0)
#define VK_XDP_ACT_REDIRECT	(1ULL << 1)
#define VK_XDP_ACT_NDO_XMIT	(1ULL << 2)
#define VK_XDP_ACT_XSK_ZC	(1ULL << 3)
#define VK_XDP_ACT_HW_OFFLOAD	(1ULL << 4)
#define VK_XDP_ACT_RX_SG	(1ULL << 5)
#define VK_XDP_ACT_NDO_XMIT_SG	(1ULL << 6)

/* 0 with *feat filled; -EOPNOTSUPP when the kernel does not report
 * xdp_features (no netdev genetlink family); other -errno on failure. */
int vk_xdp_features(int ifindex, __u64 *feat);
/* "basic,redirect,ndo_xmit" into buf. */
const char *vk_xdp_features_str(__u64 feat, char *buf, size_t len);

/* Driver name and bus info (ethtool -i; tun's bus is "tap" or "tun"), ""
 * when unknown; bus may be NULL. The one ETHTOOL_GDRVINFO of vnetkit. */
int vk_driver_info(const char *ifname, char *drv, size_t dlen, char *bus, size_t blen);
int vk_driver_name(const char *ifname, char *buf, size_t len);
/* ifindex of the other end of a veth (its iflink); 0 when not a veth. */
int vk_veth_peer(const char *ifname);
/* GRO requested on the interface (ethtool -k ... generic-receive-offload). */
int vk_gro_enabled(const char *ifname, bool *on);

#endif
