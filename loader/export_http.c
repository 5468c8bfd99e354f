// SPDX-License-Identifier: GPL-2.0
/* vnetkit export: the HTTP endpoint, served by libmicrohttpd from the main
 * thread (external select mode): collection enters other network namespaces
 * with setns(), which must not race with another thread of ours. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/select.h>
#include <microhttpd.h>

#include "export.h"
#include "util.h"

#define CT_TEXT	"text/plain; version=0.0.4; charset=utf-8"
#define CT_OM	"application/openmetrics-text; version=1.0.0; charset=utf-8"

struct vk_http {
	struct MHD_Daemon *d;
	int fd;
	vk_scrape_fn fn;
	void *ctx;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code,
			     const char *type, char *body, size_t len, bool must_free)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, must_free ? MHD_RESPMEM_MUST_FREE :
					    MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (must_free)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* OpenMetrics only when the client lists it (Prometheus does, first). */
static bool wants_openmetrics(const char *accept)
{
	return accept && strstr(accept, "application/openmetrics-text");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version,
			      const char *upload, size_t *upload_size, void **state)
{
	static char index[] = "vnetkit export: metrics at /metrics\n";
	static char not_found[] = "not found: metrics at /metrics\n";
	static char bad_method[] = "only GET and HEAD\n";
	struct vk_http *h = cls;
	struct vk_buf b = {};
	bool om;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", bad_method,
			     sizeof(bad_method) - 1, false);
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/plain", index, sizeof(index) - 1, false);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
			     sizeof(not_found) - 1, false);
	om = wants_openmetrics(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							   MHD_HTTP_HEADER_ACCEPT));
	h->fn(h->ctx, om, &b);
	if (b.oom) {
		vk_buf_free(&b);
		return MHD_NO;
	}
	return reply(c, MHD_HTTP_OK, om ? CT_OM : CT_TEXT, b.p ? b.p : strdup(""), b.len, true);
}

struct vk_http *vk_http_start(const struct sockaddr_storage *ss, socklen_t len,
			      const char *listen_s, vk_scrape_fn fn, void *ctx)
{
	struct vk_http *h = calloc(1, sizeof(*h));
	int one = 1;

	if (!h)
		return NULL;
	h->fn = fn;
	h->ctx = ctx;
	/* Our own socket, so bind errors reach the user with their errno. */
	h->fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0)
		goto err;
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->fd, (const struct sockaddr *)ss, len) || listen(h->fd, 64))
		goto err;
	h->d = MHD_start_daemon(MHD_NO_FLAG, 0, NULL, NULL, handle, h,
				MHD_OPTION_LISTEN_SOCKET, h->fd,
				MHD_OPTION_CONNECTION_LIMIT, 32,
				MHD_OPTION_CONNECTION_TIMEOUT, 10,
				MHD_OPTION_END);
	if (!h->d) {
		vk_errf("export", NULL, "--listen %s: libmicrohttpd could not start", listen_s);
		close(h->fd);
		free(h);
		return NULL;
	}
	return h;
err:
	vk_errf("export", errno == EADDRINUSE ? "another process listens there: pick another port" :
		errno == EADDRNOTAVAIL ? "not an address of this host" : NULL,
		"--listen %s: %s", listen_s, strerror(errno));
	if (h->fd >= 0)
		close(h->fd);
	free(h);
	return NULL;
}

void vk_http_poll(struct vk_http *h, int timeout_ms)
{
	MHD_UNSIGNED_LONG_LONG to;
	fd_set r, w, e;
	MHD_socket max = 0;
	struct timeval tv;

	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	if (MHD_get_fdset(h->d, &r, &w, &e, &max) != MHD_YES)
		return;
	if (MHD_get_timeout(h->d, &to) == MHD_YES && (long long)to < timeout_ms)
		timeout_ms = to;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	/* EINTR (a signal) falls through: the caller checks its flags. */
	if (select(max + 1, &r, &w, &e, &tv) < 0)
		return;
	MHD_run_from_select(h->d, &r, &w, &e);
}

void vk_http_stop(struct vk_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	close(h->fd);
	free(h);
}
