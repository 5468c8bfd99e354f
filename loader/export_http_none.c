// SPDX-License-Identifier: GPL-2.0
/* vnetkit export without HTTP: the static build (QEMU guest). Debian's
 * libmicrohttpd cannot be linked statically (its GnuTLS needs p11-kit,
 * which has no static library), so there --textfile is the only output. */
#include <stdlib.h>

#include "export.h"
#include "util.h"

struct vk_http *vk_http_start(const struct sockaddr_storage *ss, socklen_t len,
			      const char *listen_s, vk_scrape_fn fn, void *ctx)
{
	vk_errf("export", "use --textfile DIR, or the dynamically linked build",
		"--listen %s: this static build has no HTTP server (no static libmicrohttpd)",
		listen_s);
	return NULL;
}

void vk_http_poll(struct vk_http *h, int timeout_ms)
{
}

void vk_http_stop(struct vk_http *h)
{
}
