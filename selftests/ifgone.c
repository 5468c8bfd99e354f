// SPDX-License-Identifier: GPL-2.0
/* LD_PRELOAD shim for test_schemas.sh: SIOCGIFFLAGS on the interface named
 * by $VK_IFGONE fails with ENODEV, as when it vanishes between listing the
 * interfaces and reading one. That is how testbed status --json once
 * printed "[,{": a separator written after the first device was skipped. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, void *);
	const char *gone = getenv("VK_IFGONE");
	void *arg;
	va_list ap;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (int (*)(int, unsigned long, void *))dlsym(RTLD_NEXT, "ioctl");
	if (req == SIOCGIFFLAGS && gone && arg &&
	    !strcmp(((struct ifreq *)arg)->ifr_name, gone)) {
		errno = ENODEV;
		return -1;
	}
	return real(fd, req, arg);
}
