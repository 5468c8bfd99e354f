// SPDX-License-Identifier: GPL-2.0
/* Netlink through libnl-3 (see nl.h): link creation and removal, the one
 * RTM_GETLINK parser (veth peer, TUN/TAP flags), netdev genl xdp_features. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "netdev.h"
#include "netns.h"
#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct nl_sock *vk_nl_socket(int proto)
{
	struct nl_sock *s = nl_socket_alloc();
	int one = 1;

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	if (nl_connect(s, proto)) {
		nl_socket_free(s);
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	/* Replies bigger than a page (a link with many queues) are peeked
	 * for their size rather than truncated. */
	nl_socket_enable_msg_peek(s);
	/* Without it the kernel keeps why it refused (extack) to itself. */
	setsockopt(nl_socket_get_fd(s), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return s;
}

struct xchg {
	int err;		/* the kernel's -errno */
	bool done;
	char *emsg;
	size_t elen;
};

static int on_done(struct nl_msg *msg, void *arg)
{
	((struct xchg *)arg)->done = true;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *h = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct xchg *x = arg;
	size_t off = sizeof(*e);

	x->err = e->error;
	x->done = true;
	if (!x->emsg || !(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	/* The TLVs follow the echoed request, whole unless capped. */
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (h->nlmsg_len < NLMSG_HDRLEN + off)
		return NL_STOP;
	if (!nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
		       h->nlmsg_len - NLMSG_HDRLEN - off, NULL) && tb[NLMSGERR_ATTR_MSG])
		snprintf(x->emsg, x->elen, "%s", nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

int vk_nl_exchange(struct nl_sock *s, struct nl_msg *m, nl_recvmsg_msg_cb_t cb,
		   void *arg, char *emsg, size_t elen)
{
	struct xchg x = { .emsg = elen ? emsg : NULL, .elen = elen };
	struct nl_cb *c = nl_cb_alloc(NL_CB_DEFAULT);
	int err;

	if (x.emsg)
		x.emsg[0] = '\0';
	if (!c) {
		nlmsg_free(m);
		return -ENOMEM;
	}
	if (cb)
		nl_cb_set(c, NL_CB_VALID, NL_CB_CUSTOM, cb, arg);
	nl_cb_set(c, NL_CB_ACK, NL_CB_CUSTOM, on_done, &x);
	nl_cb_set(c, NL_CB_FINISH, NL_CB_CUSTOM, on_done, &x);
	nl_cb_err(c, NL_CB_CUSTOM, on_error, &x);
	err = nl_send_auto(s, m);
	nlmsg_free(m);
	while (err >= 0 && !x.done)
		err = nl_recvmsgs(s, c);
	nl_cb_put(c);
	if (x.err)
		return x.err;
	return err < 0 ? -EIO : 0;
}

static struct nl_msg *link_msg(int type, int flags, int ifindex)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nl_msg *m = nlmsg_alloc_simple(type, flags);

	if (m && nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO)) {
		nlmsg_free(m);
		m = NULL;
	}
	return m;
}

static int route_call(struct nl_msg *m, nl_recvmsg_msg_cb_t cb, void *arg,
		      char *emsg, size_t elen)
{
	struct nl_sock *s;
	int err;

	if (emsg && elen)
		emsg[0] = '\0';
	if (!m)
		return -ENOMEM;
	s = vk_nl_socket(NETLINK_ROUTE);
	if (!s) {
		nlmsg_free(m);
		return -errno;
	}
	err = vk_nl_exchange(s, m, cb, arg, emsg, elen);
	nl_socket_free(s);
	return err;
}

int vk_link_add_veth(const char *name, const char *peer, char *msg, size_t len)
{
	struct ifinfomsg peer_ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg *m = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	struct nlattr *info, *data, *p;

	if (!m)
		return -ENOMEM;
	if (nla_put_string(m, IFLA_IFNAME, name) ||
	    !(info = nla_nest_start(m, IFLA_LINKINFO)) ||
	    nla_put_string(m, IFLA_INFO_KIND, "veth") ||
	    !(data = nla_nest_start(m, IFLA_INFO_DATA)) ||
	    !(p = nla_nest_start(m, VETH_INFO_PEER)) ||
	    nlmsg_append(m, &peer_ifi, sizeof(peer_ifi), NLMSG_ALIGNTO) ||
	    nla_put_string(m, IFLA_IFNAME, peer)) {
		nlmsg_free(m);
		return -ENOMEM;
	}
	nla_nest_end(m, p);
	nla_nest_end(m, data);
	nla_nest_end(m, info);
	return route_call(m, NULL, NULL, msg, len);
}

int vk_link_del(const char *name, char *msg, size_t len)
{
	int ifindex = if_nametoindex(name);

	if (!ifindex)
		return -ENODEV;
	return route_call(link_msg(RTM_DELLINK, 0, ifindex), NULL, NULL, msg, len);
}

static int tun_flags(struct nlattr *data)
{
	struct nlattr *tb[IFLA_TUN_MAX + 1];
	int f = 0;

	if (nla_parse_nested(tb, IFLA_TUN_MAX, data, NULL))
		return -EPROTO;
	if (tb[IFLA_TUN_TYPE])
		f |= nla_get_u8(tb[IFLA_TUN_TYPE]);	/* IFF_TUN or IFF_TAP */
	if (tb[IFLA_TUN_PI] && !nla_get_u8(tb[IFLA_TUN_PI]))
		f |= IFF_NO_PI;
	if (tb[IFLA_TUN_VNET_HDR] && nla_get_u8(tb[IFLA_TUN_VNET_HDR]))
		f |= IFF_VNET_HDR;
	if (tb[IFLA_TUN_PERSIST] && nla_get_u8(tb[IFLA_TUN_PERSIST]))
		f |= IFF_PERSIST;
	if (tb[IFLA_TUN_MULTI_QUEUE] && nla_get_u8(tb[IFLA_TUN_MULTI_QUEUE]))
		f |= IFF_MULTI_QUEUE;
	return f;
}

static int parse_link(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct vk_rtlink *l = arg;

	if (h->nlmsg_type != RTM_NEWLINK ||
	    nlmsg_parse(h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL))
		return NL_SKIP;
	l->ifindex = ((struct ifinfomsg *)nlmsg_data(h))->ifi_index;
	if (tb[IFLA_LINK])
		l->iflink = nla_get_u32(tb[IFLA_LINK]);
	if (!tb[IFLA_LINKINFO] || nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL))
		return NL_OK;
	if (li[IFLA_INFO_KIND])
		snprintf(l->kind, sizeof(l->kind), "%s", nla_get_string(li[IFLA_INFO_KIND]));
	if (!strcmp(l->kind, "tun") && li[IFLA_INFO_DATA])
		l->tun_flags = tun_flags(li[IFLA_INFO_DATA]);
	return NL_OK;
}

int vk_rtnl_link(const char *name, struct vk_rtlink *l)
{
	int ifindex = if_nametoindex(name);

	memset(l, 0, sizeof(*l));
	l->tun_flags = -ENOENT;
	if (!ifindex)
		return -ENODEV;
	return route_call(link_msg(RTM_GETLINK, 0, ifindex), parse_link, l, NULL, 0);
}

int vk_tun_flags(const char *name)
{
	struct vk_rtlink l;
	int err = vk_rtnl_link(name, &l);

	return err ? err : l.tun_flags;
}

/* IFLA_LINK through rtnetlink rather than sysfs: /sys shows the namespace
 * it was mounted in, which is not ours under nsenter. */
int vk_veth_peer(const char *ifname)
{
	struct vk_rtlink l;

	if (vk_rtnl_link(ifname, &l) || strcmp(l.kind, "veth"))
		return 0;
	return l.iflink;
}

/* ---- netdev genetlink: xdp_features ---- */

#define NETDEV_CMD_DEV_GET	1
#define NETDEV_A_DEV_IFINDEX	1
#define NETDEV_A_DEV_XDP_FEATURES 3
#define NETDEV_A_DEV_MAX	NETDEV_A_DEV_XDP_FEATURES

struct feat_reply {
	bool have;
	__u64 feat;
};

static int parse_dev(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[NETDEV_A_DEV_MAX + 1];
	struct feat_reply *r = arg;

	if (!genlmsg_parse(nlmsg_hdr(msg), 0, tb, NETDEV_A_DEV_MAX, NULL) &&
	    tb[NETDEV_A_DEV_XDP_FEATURES] && nla_len(tb[NETDEV_A_DEV_XDP_FEATURES]) == 8) {
		r->feat = nla_get_u64(tb[NETDEV_A_DEV_XDP_FEATURES]);
		r->have = true;
	}
	return NL_OK;
}

int vk_xdp_features(int ifindex, __u64 *feat)
{
	struct feat_reply r = {};
	struct nl_sock *s = vk_nl_socket(NETLINK_GENERIC);
	struct nl_msg *m;
	int fam, err;

	if (!s)
		return -errno;
	fam = genl_ctrl_resolve(s, "netdev");
	if (fam < 0) {
		err = -EOPNOTSUPP;
		goto out;
	}
	m = nlmsg_alloc();
	if (!m || !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, fam, 0, 0, NETDEV_CMD_DEV_GET, 1) ||
	    nla_put_u32(m, NETDEV_A_DEV_IFINDEX, ifindex)) {
		nlmsg_free(m);
		err = -ENOMEM;
		goto out;
	}
	err = vk_nl_exchange(s, m, parse_dev, &r, NULL, 0);
	if (!err && !r.have)
		err = -EOPNOTSUPP;
	if (!err)
		*feat = r.feat;
out:
	nl_socket_free(s);
	return err;
}
