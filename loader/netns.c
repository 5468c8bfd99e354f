// SPDX-License-Identifier: GPL-2.0
/* Named network namespaces and testbed link operations (see netns.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>

#include "netdev.h"
#include "netns.h"

#define PATH_MAX_NS (sizeof(VK_NETNS_RUN_DIR) + 80)

bool vk_valid_ifname(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || *p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

bool vk_valid_nsname(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 64 || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static void ns_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", VK_NETNS_RUN_DIR, name);
}

int vk_netns_exists(const char *name)
{
	char path[PATH_MAX_NS];
	struct statfs sf;
	struct stat st;

	ns_path(path, sizeof(path), name);
	if (stat(path, &st))
		return errno == ENOENT ? 0 : -1;
	/* An unmounted placeholder file left behind by a crash is not a
	 * namespace: setns() on it fails with EINVAL. */
	if (statfs(path, &sf))
		return -1;
	return sf.f_type == NSFS_MAGIC ? 1 : 0;
}

/* Mount namespaces created later (ip netns exec, containers) must see the
 * bind mounts we add under /run/netns: make the directory a shared mount,
 * as iproute2 does. */
static int prepare_run_dir(void)
{
	/* A minimal root (the busybox guest) may lack /run itself. */
	if (mkdir("/run", 0755) && errno != EEXIST)
		return -1;
	if (mkdir(VK_NETNS_RUN_DIR, 0755) && errno != EEXIST)
		return -1;
	if (!mount("", VK_NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL))
		return 0;
	if (errno != EINVAL)
		return -1;
	if (mount(VK_NETNS_RUN_DIR, VK_NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL))
		return -1;
	return mount("", VK_NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL);
}

int vk_netns_create(const char *name)
{
	char path[PATH_MAX_NS];
	int fd, saved, err;

	if (prepare_run_dir())
		return -1;
	ns_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	close(fd);

	saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		goto err_unlink;
	if (unshare(CLONE_NEWNET))
		goto err_close;
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL)) {
		err = errno;
		setns(saved, CLONE_NEWNET);
		errno = err;
		goto err_close;
	}
	if (setns(saved, CLONE_NEWNET)) {
		err = errno;
		umount2(path, MNT_DETACH);
		errno = err;
		goto err_close;
	}
	close(saved);
	return 0;

err_close:
	err = errno;
	close(saved);
	errno = err;
err_unlink:
	err = errno;
	unlink(path);
	errno = err;
	return -1;
}

int vk_netns_delete(const char *name)
{
	char path[PATH_MAX_NS];

	ns_path(path, sizeof(path), name);
	if (umount2(path, MNT_DETACH) && errno != EINVAL && errno != ENOENT)
		return -1;
	if (unlink(path) && errno != ENOENT)
		return -1;
	return 0;
}

int vk_netns_enter(const char *name)
{
	char path[PATH_MAX_NS];
	int fd, saved, err;

	ns_path(path, sizeof(path), name);
	saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto err;
	if (setns(fd, CLONE_NEWNET)) {
		err = errno;
		close(fd);
		errno = err;
		goto err;
	}
	close(fd);
	return saved;
err:
	err = errno;
	close(saved);
	errno = err;
	return -1;
}

int vk_netns_leave(int saved_fd)
{
	int ret = setns(saved_fd, CLONE_NEWNET);

	close(saved_fd);
	return ret;
}

static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, req, ifr) ? -errno : 0;
	close(fd);
	return ret;
}

int vk_link_set_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int ret;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ret = ifreq_ioctl(SIOCGIFFLAGS, &ifr);
	if (ret)
		return ret;
	ifr.ifr_flags |= IFF_UP;
	return ifreq_ioctl(SIOCSIFFLAGS, &ifr);
}

int vk_link_set_mtu(const char *name, int mtu)
{
	struct ifreq ifr = { .ifr_mtu = mtu };

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	return ifreq_ioctl(SIOCSIFMTU, &ifr);
}

int vk_tap_open(const char *name, short flags, bool nonblock, const char **step)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | flags };
	int fd, err;

	if (step)
		*step = "cannot open /dev/net/tun";
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
	if (fd < 0)
		return -errno;
	if (step)
		*step = "TUNSETIFF";
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (!ioctl(fd, TUNSETIFF, &ifr))
		return fd;
	err = -errno;
	close(fd);
	return err;
}

int vk_tap_create(const char *name)
{
	int fd, ret = 0;

	/* TUNSETIFF creates the device when the name is free; refuse to
	 * take over an existing one. */
	if (if_nametoindex(name))
		return -EEXIST;
	fd = vk_tap_open(name, 0, false, NULL);
	if (fd < 0)
		return fd;
	if (ioctl(fd, TUNSETPERSIST, 1))
		ret = -errno;
	close(fd);
	return ret;
}

/* The one /proc/net/dev reader: -ENOENT when the device is not listed. */
static int read_dev_stats(struct vk_link_info *li)
{
	unsigned long long v[16];
	int ret = -ENOENT;
	char line[512];
	FILE *f;

	/* /proc/net follows the calling thread's network namespace. */
	f = fopen("/proc/thread-self/net/dev", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *p = line;

		if (!colon)
			continue;
		*colon = '\0';
		while (*p == ' ')
			p++;
		if (strcmp(p, li->name))
			continue;
		if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu "
			   "%llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
			   &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
			   &v[11]) == 12) {
			li->rx_packets = v[1];
			li->rx_dropped = v[3];
			li->tx_packets = v[9];
			li->tx_dropped = v[11];
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

int vk_link_info(const char *name, struct vk_link_info *li)
{
	struct ifreq ifr = { 0 };
	int ret;

	memset(li, 0, sizeof(*li));
	snprintf(li->name, sizeof(li->name), "%s", name);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ret = ifreq_ioctl(SIOCGIFFLAGS, &ifr);
	if (ret)
		return ret;
	li->up = ifr.ifr_flags & IFF_UP;
	li->ifindex = if_nametoindex(name);
	vk_driver_info(name, li->driver, sizeof(li->driver), li->bus, sizeof(li->bus));
	return read_dev_stats(li);
}

int vk_sysctl_write(const char *key, const char *val)
{
	char path[256];
	size_t n = strlen(val);
	int fd, ret = 0;
	char *p;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	for (p = path + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, n) != (ssize_t)n)
		ret = -errno;
	close(fd);
	return ret;
}
