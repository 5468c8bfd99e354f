// SPDX-License-Identifier: GPL-2.0
/* Misuse of VHOST_{SET,GET}_VRING_BUSYLOOP_ADAPTIVE (patches/0005), in the
 * QEMU guest (selftests/guest/test_vhost_adaptive.sh runs it): what the
 * kernel must refuse, with which errno, and that GET reads back what SET
 * stored, per ring. Prints TAP lines ("ok - ...", "not ok - ...") and
 * exits 0 when all passed, 1 when one failed, 77 when the kernel has no
 * such ioctl (ENOTTY: the caller reports that as unavailable).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vhost.h>

#ifndef VHOST_SET_VRING_BUSYLOOP_ADAPTIVE
#define VHOST_SET_VRING_BUSYLOOP_ADAPTIVE _IOW(VHOST_VIRTIO, 0x27,	\
					      struct vhost_vring_state)
#define VHOST_GET_VRING_BUSYLOOP_ADAPTIVE _IOWR(VHOST_VIRTIO, 0x28,	\
					       struct vhost_vring_state)
#endif

static int failed;

static void result(bool good, const char *what, int err)
{
	printf("%s - %s", good ? "ok" : "not ok", what);
	if (!good)
		printf(" (errno %d: %s)", err, strerror(err));
	printf("\n");
	if (!good)
		failed = 1;
}

/* adaptive FD REQ INDEX NUM: the ioctl's errno (0 on success); *got is
 * what GET returned.
 */
static int adaptive(int fd, unsigned long req, unsigned int index,
		    unsigned int num, unsigned int *got)
{
	struct vhost_vring_state s = { .index = index, .num = num };

	if (ioctl(fd, req, &s))
		return errno;
	if (got)
		*got = s.num;
	return 0;
}

/* expect WHAT ERRNO REQ INDEX NUM: the ioctl must fail with ERRNO. */
static void expect(int fd, const char *what, int want, unsigned long req,
		   unsigned int index, unsigned int num)
{
	int e = adaptive(fd, req, index, num, NULL);

	result(e == want, what, e);
}

/* set_ok WHAT INDEX NUM: SET succeeds. */
static void set_ok(int fd, const char *what, unsigned int index,
		   unsigned int num)
{
	int e = adaptive(fd, VHOST_SET_VRING_BUSYLOOP_ADAPTIVE, index, num,
			 NULL);

	result(!e, what, e);
}

/* get_is WHAT INDEX WANT: GET on INDEX succeeds and says WANT. */
static void get_is(int fd, const char *what, unsigned int index,
		   unsigned int want)
{
	unsigned int got = ~0U;
	int e = adaptive(fd, VHOST_GET_VRING_BUSYLOOP_ADAPTIVE, index, 0, &got);

	result(!e && got == want, what, e ? e : EBADMSG);
}

/* probe: GET on ring 0 of a device of its own with an owner: 0, or the
 * errno (ENOTTY: the kernel has no such ioctl).
 */
static int probe(void)
{
	int fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	int e;

	if (fd < 0)
		return errno;
	if (ioctl(fd, VHOST_SET_OWNER))
		e = errno;
	else
		e = adaptive(fd, VHOST_GET_VRING_BUSYLOOP_ADAPTIVE, 0, 0, NULL);
	close(fd);
	return e;
}

int main(void)
{
	const unsigned long set = VHOST_SET_VRING_BUSYLOOP_ADAPTIVE;
	const unsigned long get = VHOST_GET_VRING_BUSYLOOP_ADAPTIVE;
	int fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	int e;

	if (fd < 0) {
		printf("# /dev/vhost-net: %s\n", strerror(errno));
		return 77;
	}
	/* A kernel without the ioctl answers ENOTTY only once the device has
	 * an owner: before that, vhost_dev_ioctl() refuses any request it does
	 * not know with EPERM, as it refuses this one. Ask a device of its own.
	 */
	e = probe();
	if (e == ENOTTY) {
		printf("# VHOST_GET_VRING_BUSYLOOP_ADAPTIVE: ENOTTY after VHOST_SET_OWNER (kernel without it)\n");
		close(fd);
		return 77;
	}
	if (e) {
		result(false, "VHOST_GET_VRING_BUSYLOOP_ADAPTIVE on a device with an owner", e);
		close(fd);
		return 1;
	}

	/* Before VHOST_SET_OWNER: refused, not silently stored. */
	e = adaptive(fd, get, 0, 0, NULL);
	result(e == EPERM, "GET before VHOST_SET_OWNER fails with EPERM", e);
	expect(fd, "SET before VHOST_SET_OWNER fails with EPERM", EPERM, set, 0, 1);

	if (ioctl(fd, VHOST_SET_OWNER)) {
		result(false, "VHOST_SET_OWNER", errno);
		close(fd);
		return 1;
	}
	get_is(fd, "ring 0 starts off", 0, 0);
	get_is(fd, "ring 1 starts off", 1, 0);

	/* Bad ring index: vhost-net has two rings (0 RX, 1 TX). */
	expect(fd, "SET ring 2 fails with ENOBUFS", ENOBUFS, set, 2, 1);
	expect(fd, "SET ring 0xffffffff fails with ENOBUFS", ENOBUFS, set,
	       0xffffffffU, 1);
	expect(fd, "GET ring 2 fails with ENOBUFS", ENOBUFS, get, 2, 0);
	expect(fd, "GET ring 0x80000000 fails with ENOBUFS", ENOBUFS, get,
	       0x80000000U, 0);

	/* Bad value: num is a boolean, not a window or a timeout. */
	expect(fd, "SET num 2 fails with EINVAL", EINVAL, set, 0, 2);
	expect(fd, "SET num 50 fails with EINVAL", EINVAL, set, 1, 50);
	expect(fd, "SET num 0xffffffff fails with EINVAL", EINVAL, set, 0,
	       0xffffffffU);
	get_is(fd, "a refused SET leaves ring 0 off", 0, 0);

	/* Round trips, one ring at a time. */
	set_ok(fd, "SET ring 0 on", 0, 1);
	get_is(fd, "GET ring 0 reads back on", 0, 1);
	get_is(fd, "ring 1 stays off when ring 0 is turned on", 1, 0);
	set_ok(fd, "SET ring 1 on", 1, 1);
	get_is(fd, "GET ring 1 reads back on", 1, 1);
	set_ok(fd, "SET ring 0 off", 0, 0);
	get_is(fd, "GET ring 0 reads back off", 0, 0);
	get_is(fd, "ring 1 stays on when ring 0 is turned off", 1, 1);
	set_ok(fd, "SET ring 1 on twice", 1, 1);
	get_is(fd, "GET ring 1 still on", 1, 1);

	/* VHOST_RESET_OWNER returns the device to its first state. */
	if (ioctl(fd, VHOST_RESET_OWNER)) {
		result(false, "VHOST_RESET_OWNER", errno);
	} else {
		expect(fd, "after VHOST_RESET_OWNER, GET fails with EPERM", EPERM,
		       get, 1, 0);
		if (ioctl(fd, VHOST_SET_OWNER))
			result(false, "VHOST_SET_OWNER again", errno);
		else
			get_is(fd, "VHOST_RESET_OWNER turned ring 1 off", 1, 0);
	}

	/* Another file: a second device does not see the first's setting. */
	{
		int fd2 = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);

		if (fd2 < 0 || ioctl(fd2, VHOST_SET_OWNER)) {
			result(false, "a second /dev/vhost-net device", errno);
		} else {
			adaptive(fd, set, 0, 1, NULL);
			get_is(fd2, "a second device's ring 0 stays off", 0, 0);
		}
		if (fd2 >= 0)
			close(fd2);
	}
	close(fd);
	return failed;
}
