// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "netdev.h"
#include "util.h"

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

int vk_gro_enabled(const char *ifname, bool *on)
{
	struct ethtool_value v = { .cmd = ETHTOOL_GGRO };
	int err = ethtool_ioctl(ifname, &v);

	if (!err)
		*on = v.data;
	return err;
}
