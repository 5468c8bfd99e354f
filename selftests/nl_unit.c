// SPDX-License-Identifier: GPL-2.0
/* Unit tests of vnetkit's netlink module (loader/nl.c), run in a namespace
 * of their own (selftests/test_netlink.sh): veth creation and removal, the
 * kernel's extack text on a refused request, the RTM_GETLINK reader (veth
 * peer, TUN/TAP flags) and xdp_features. Prints TAP lines. */
#include <errno.h>
#include <string.h>
#include <net/if.h>
#include <linux/if_tun.h>

#include "netdev.h"
#include "netns.h"
#include "nl.h"
#include "tap.h"

int vkt_failures;

int main(void)
{
	const char *a = "vknla0", *b = "vknlb0", *t = "vknlt0";
	char msg[256] = "stale";
	struct vk_rtlink l;
	__u64 feat = 0;
	int err, fl;

	err = vk_link_add_veth(a, b, msg, sizeof(msg));
	CHECK(!err && !msg[0], "veth %s <-> %s created, no extack text (%d '%s')", a, b, err, msg);
	CHECK(vk_veth_peer(a) == (int)if_nametoindex(b) && vk_veth_peer(b) == (int)if_nametoindex(a),
	      "veth peer of each end is the other (IFLA_LINK)");
	err = vk_rtnl_link(a, &l);
	CHECK(!err && !strcmp(l.kind, "veth") && l.ifindex == (int)if_nametoindex(a) &&
	      l.tun_flags == -ENOENT, "RTM_GETLINK of %s: kind veth, its ifindex, not a TUN/TAP", a);
	err = vk_link_add_veth(a, "vknlc0", msg, sizeof(msg));
	CHECK(err == -EEXIST, "a second %s is refused with EEXIST (%d)", a, err);
	/* The kernel's policy refuses a 20-byte IFLA_IFNAME and says why in
	 * the extended ACK, after the request it echoes back whole. */
	err = vk_link_add_veth("vknld0", "vknl_name_far_too_long", msg, sizeof(msg));
	CHECK(err < 0 && msg[0], "a refused request gives the kernel's reason (%d '%s')", err, msg);
	err = vk_xdp_features(if_nametoindex(a), &feat);
	CHECK(!err && (feat & VK_XDP_ACT_BASIC) && (feat & VK_XDP_ACT_REDIRECT),
	      "xdp_features of a veth over netdev genetlink: basic, redirect (%d, 0x%llx)",
	      err, (unsigned long long)feat);
	err = vk_link_del(a, msg, sizeof(msg));
	CHECK(!err && vk_rtnl_link(b, &l) == -ENODEV && vk_rtnl_link(a, &l) == -ENODEV,
	      "deleting %s removes both ends (%d)", a, err);
	CHECK(vk_link_del(a, msg, sizeof(msg)) == -ENODEV && vk_tun_flags(a) == -ENODEV,
	      "a missing link: -ENODEV");

	err = vk_tap_create(t);
	fl = vk_tun_flags(t);
	CHECK(!err && fl == (IFF_TAP | IFF_NO_PI | IFF_PERSIST),
	      "TUN/TAP flags of a persistent TAP from IFLA_INFO_DATA (0x%x)", fl);
	err = vk_link_del(t, msg, sizeof(msg));
	CHECK(!err && !if_nametoindex(t), "the TAP is deleted (%d)", err);
	return vkt_failures ? 1 : 0;
}
