// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/sockios.h>

#include "netdev.h"
#include "util.h"

#define NETDEV_FAMILY		"netdev"
#define NETDEV_CMD_DEV_GET	1
#define NETDEV_A_DEV_IFINDEX	1
#define NETDEV_A_DEV_XDP_FEATURES 3

struct nlreq {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[64];
};

static void put_attr(struct nlreq *r, __u16 type, const void *data, __u16 len)
{
	struct nlattr *a = (void *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Send one request, receive one reply; returns the reply length or -errno. */
static int genl_call(int fd, struct nlreq *req, char *buf, size_t len)
{
	struct nlmsghdr *nh = (void *)buf;
	ssize_t n;

	if (send(fd, req, req->nh.nlmsg_len, 0) < 0)
		return -errno;
	n = recv(fd, buf, len, 0);
	if (n < 0)
		return -errno;
	if (!NLMSG_OK(nh, (size_t)n))
		return -EBADMSG;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(nh);

		return e->error ? e->error : -ENODATA;
	}
	return n;
}

/* Walk the attributes of a genetlink reply, calling back for @want. */
static const struct nlattr *find_attr(const char *buf, int len, __u16 want)
{
	const struct nlmsghdr *nh = (const void *)buf;
	const char *p = (const char *)NLMSG_DATA(nh) + GENL_HDRLEN;
	const char *end = buf + (len < (int)nh->nlmsg_len ? len : (int)nh->nlmsg_len);

	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const void *)p;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == want)
			return a;
		p += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static int family_id(int fd, const char *name)
{
	struct nlreq req = {
		.nh = { .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN),
			.nlmsg_type = GENL_ID_CTRL,
			.nlmsg_flags = NLM_F_REQUEST },
		.gh = { .cmd = CTRL_CMD_GETFAMILY, .version = 1 },
	};
	char buf[8192];
	const struct nlattr *a;
	int n;

	put_attr(&req, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	n = genl_call(fd, &req, buf, sizeof(buf));
	if (n < 0)
		return n;
	a = find_attr(buf, n, CTRL_ATTR_FAMILY_ID);
	if (!a)
		return -ENOENT;
	return *(const __u16 *)((const char *)a + NLA_HDRLEN);
}

int vk_xdp_features(int ifindex, __u64 *feat)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlreq req = {
		.nh = { .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN),
			.nlmsg_flags = NLM_F_REQUEST },
		.gh = { .cmd = NETDEV_CMD_DEV_GET, .version = 1 },
	};
	char buf[4096];
	const struct nlattr *a;
	__u32 idx = ifindex;
	int fd, fam, n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		n = -errno;
		goto out;
	}
	fam = family_id(fd, NETDEV_FAMILY);
	if (fam < 0) {
		n = fam == -ENOENT ? -EOPNOTSUPP : fam;
		goto out;
	}
	req.nh.nlmsg_type = fam;
	put_attr(&req, NETDEV_A_DEV_IFINDEX, &idx, sizeof(idx));
	n = genl_call(fd, &req, buf, sizeof(buf));
	if (n < 0)
		goto out;
	a = find_attr(buf, n, NETDEV_A_DEV_XDP_FEATURES);
	if (!a) {
		n = -EOPNOTSUPP;
		goto out;
	}
	memcpy(feat, (const char *)a + NLA_HDRLEN, sizeof(*feat));
	n = 0;
out:
	close(fd);
	return n;
}

const char *vk_xdp_features_str(__u64 feat, char *buf, size_t len)
{
	static const char *const names[] = {
		"basic", "redirect", "ndo_xmit", "xsk_zerocopy", "hw_offload",
		"rx_sg", "ndo_xmit_sg",
	};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (feat & (1ULL << i))
			off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
					off ? "," : "", names[i]);
	if (!off)
		snprintf(buf, len, "none");
	return buf;
}

static int ethtool_ioctl(const char *ifname, void *cmd)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		err = -errno;
	close(fd);
	return err;
}

int vk_driver_info(const char *ifname, char *drv, size_t dlen, char *bus, size_t blen)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	int err = ethtool_ioctl(ifname, &di);

	snprintf(drv, dlen, "%s", err ? "" : di.driver);
	if (bus)
		snprintf(bus, blen, "%s", err ? "" : di.bus_info);
	return err;
}

int vk_driver_name(const char *ifname, char *buf, size_t len)
{
	return vk_driver_info(ifname, buf, len, NULL, 0);
}

/* IFLA_LINK through rtnetlink rather than sysfs: /sys shows the namespace
 * it was mounted in, which is not ours under nsenter. */
int vk_veth_peer(const char *ifname)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
			.nlmsg_type = RTM_GETLINK, .nlmsg_flags = NLM_F_REQUEST },
		.ifi = { .ifi_family = AF_UNSPEC },
	};
	char drv[32], buf[8192];
	struct nlmsghdr *nh = (void *)buf;
	int fd, peer = 0;
	ssize_t n;

	if (vk_driver_name(ifname, drv, sizeof(drv)) || strcmp(drv, "veth"))
		return 0;
	req.ifi.ifi_index = if_nametoindex(ifname);
	if (!req.ifi.ifi_index)
		return 0;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return 0;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
		goto out;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0 || !NLMSG_OK(nh, (size_t)n) || nh->nlmsg_type != RTM_NEWLINK)
		goto out;
	{
		struct ifinfomsg *ifi = NLMSG_DATA(nh);
		struct rtattr *rta = IFLA_RTA(ifi);
		int len = IFLA_PAYLOAD(nh);

		for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
			if (rta->rta_type == IFLA_LINK)
				peer = *(int *)RTA_DATA(rta);
	}
out:
	close(fd);
	return peer;
}

int vk_gro_enabled(const char *ifname, bool *on)
{
	struct ethtool_value v = { .cmd = ETHTOOL_GGRO };
	int err = ethtool_ioctl(ifname, &v);

	if (!err)
		*on = v.data;
	return err;
}
