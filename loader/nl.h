/* SPDX-License-Identifier: GPL-2.0 */
/* The one netlink stack of vnetkit: libnl-3 (route and genl), which the
 * exporter's link cache and qstats dump need anyway and which links into the
 * static guest binary too. Every request, reply parser and extack reader
 * lives here; the callers get plain values and -errno. */
#ifndef VNETKIT_NL_H
#define VNETKIT_NL_H

#include <stddef.h>
#include <netlink/netlink.h>

/* A connected socket of protocol proto (NETLINK_ROUTE, NETLINK_GENERIC) in
 * the calling thread's network namespace, with extended ACKs on; NULL with
 * errno set. Free with nl_socket_free(). */
struct nl_sock *vk_nl_socket(int proto);

/* Send m (freed here), hand each reply to cb (may be NULL) and wait for the
 * ACK, or for NLMSG_DONE of a dump. 0, or -errno: the kernel's error with
 * its extack text (if any) in emsg (may be NULL). */
int vk_nl_exchange(struct nl_sock *s, struct nl_msg *m, nl_recvmsg_msg_cb_t cb,
		   void *arg, char *emsg, size_t elen);

/* What RTM_GETLINK says of one link: the one RTM_GETLINK parser. */
struct vk_rtlink {
	int ifindex;
	int iflink;		/* IFLA_LINK: a veth's peer, 0 when none */
	char kind[16];		/* IFLA_INFO_KIND, "" when none */
	int tun_flags;		/* IFF_TAP/IFF_TUN | IFF_NO_PI | ...; -ENOENT if not tun */
};
/* Link name in the current namespace: 0, -ENODEV when absent, -errno. */
int vk_rtnl_link(const char *name, struct vk_rtlink *l);

#endif
