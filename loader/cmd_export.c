// SPDX-License-Identifier: GPL-2.0
/* vnetkit export: a long-running Prometheus exporter of the per-queue figures
 * of the TAP / vhost-net / virtio-net path. Serves /metrics over HTTP and/or
 * writes a node_exporter textfile; see export_collect.c for the sources.
 *
 * It attaches nothing to devices: vnetkit's XDP programs are found and read,
 * never attached or detached. What it does attach (the vhost tracepoint
 * programs, and BPF run-time statistics with --enable-bpf-stats) is held by
 * file descriptors of this process and released at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "commands.h"
#include "export.h"
#include "netns.h"
#include "util.h"

#define VK_EXPORT_DEFAULT_LISTEN "127.0.0.1:9578"
#define VK_EXPORT_TEXTFILE "vnetkit.prom"

static volatile sig_atomic_t reload;

static void on_hup(int sig)
{
	reload = 1;
}

enum { O_LISTEN, O_NO_LISTEN, O_TEXTFILE, O_INTERVAL, O_NETNS, O_DEV,
       O_BPF_STATS, O_BPF_DUTY, O_BPF_PERIOD, O_ONCE, O_NR };

static const struct vk_opt export_table[O_NR] = {
	[O_LISTEN] = { "listen", 0, VK_T_STR, "ADDR:PORT", .def = VK_EXPORT_DEFAULT_LISTEN,
		.conflicts = 1ull << O_NO_LISTEN | 1ull << O_ONCE,
		.help = "serve /metrics there; [::1]:PORT for IPv6" },
	[O_NO_LISTEN] = { "no-listen", 0, VK_T_FLAG,
		.help = "no HTTP server (with --textfile)" },
	[O_TEXTFILE] = { "textfile", 0, VK_T_PATH, "DIR",
		.help = "write DIR/" VK_EXPORT_TEXTFILE " atomically every interval, "
			"for node_exporter's textfile collector" },
	[O_INTERVAL] = { "interval", 0, VK_T_DURATION, "S", .fmin = 0.1, .fmax = 86400,
		.def = "15", .help = "the textfile's interval" },
	[O_NETNS] = { "netns", 0, VK_T_NAME, "NAME", .many = true,
		.help = "scan only these named namespaces (default: our own and every "
			"one in " VK_NETNS_RUN_DIR ", rescanned each time)" },
	[O_DEV] = { "dev", 0, VK_T_IFNAME, "IF", .many = true,
		.help = "only these devices (default: all but lo)" },
	[O_BPF_STATS] = { "enable-bpf-stats", 0, VK_T_FLAG,
		.help = "turn on the kernel's BPF run-time statistics while running, "
			"sampled by --bpf-stats-duty (every BPF program pays two clock "
			"reads per run while they are on)" },
	[O_BPF_DUTY] = { "bpf-stats-duty", 0, VK_T_INT, "PCT", .min = 1, .max = 100,
		.unit = "%", .def = "2",
		.help = "with --enable-bpf-stats: hold them on for PCT % of each "
			"--bpf-stats-period (100: always; --once: always)" },
	[O_BPF_PERIOD] = { "bpf-stats-period", 0, VK_T_DURATION, "S", .fmin = 0.1,
		.fmax = 3600, .def = "10",
		.help = "the sampling period of --bpf-stats-duty" },
	[O_ONCE] = { "once", 0, VK_T_FLAG,
		.help = "collect once, to the textfile or stdout, and exit" },
};

static const char *const export_examples[] = {
	"vnetkit export",
	"serve http://" VK_EXPORT_DEFAULT_LISTEN "/metrics until SIGTERM",
	"vnetkit export --once --dev vktap0",
	"the figures of one TAP, once, on stdout",
	"vnetkit export --no-listen --textfile /var/lib/node_exporter --interval 30",
	"a node_exporter textfile, rewritten every 30 s",
	NULL,
};

const struct vk_cmd_spec export_spec = {
	.name = "export",
	.summary = "Prometheus exporter: per-queue TAP/vhost/virtio-net figures",
	.description = "A long-running exporter of the per-queue figures of the TAP / "
		"vhost-net / virtio-net path: serves /metrics over HTTP and/or writes "
		"a node_exporter textfile. It attaches nothing to devices: vnetkit's "
		"XDP programs are found and read, never attached or detached. What it "
		"does attach (the vhost tracepoint programs, and BPF run-time "
		"statistics with --enable-bpf-stats) is released at exit.\n"
		"SIGHUP re-detects the sources (vhost tracepoints after modprobe "
		"vhost_net); SIGTERM/SIGINT stop, release what export attached and "
		"remove the textfile.",
	.opts = export_table, .nr_opts = O_NR,
	.examples = export_examples,
};

_Static_assert(VK_LIST_MAX <= VK_EXPORT_MAX_LIST, "every --netns/--dev given fits the config");

static int parse(int argc, char **argv, struct vk_export_cfg *c)
{
	struct vk_args a;
	int ret = vk_cli_parse(&export_spec, argc, argv, &a);

	if (ret)
		return ret == VK_CLI_HELP ? -1 : EXIT_USAGE;
	c->listen = a.v[O_LISTEN].s;
	c->textfile_dir = vk_val_str(&a.v[O_TEXTFILE]);
	c->interval = a.v[O_INTERVAL].d;
	for (int i = 0; i < a.v[O_NETNS].nall; i++)
		c->netns[c->nr_netns++] = a.v[O_NETNS].all[i];
	for (int i = 0; i < a.v[O_DEV].nall; i++)
		c->dev[c->nr_dev++] = a.v[O_DEV].all[i];
	c->enable_bpf_stats = a.v[O_BPF_STATS].set;
	c->bpf_stats_duty = a.v[O_BPF_DUTY].u / 100.0;
	c->bpf_stats_period = a.v[O_BPF_PERIOD].d;
	if (!c->enable_bpf_stats && (a.v[O_BPF_DUTY].given || a.v[O_BPF_PERIOD].given)) {
		vk_errf(a.v[O_BPF_DUTY].given ? "--bpf-stats-duty" : "--bpf-stats-period",
			"add --enable-bpf-stats", "samples the BPF statistics, which are not enabled");
		return EXIT_USAGE;
	}
	c->once = a.v[O_ONCE].set;
	if (a.v[O_NO_LISTEN].set || c->once)
		c->listen = NULL;
	if (!c->listen && !c->textfile_dir && !c->once) {
		vk_errf("--no-listen", "give --textfile DIR, or drop --no-listen",
			"leaves nothing to export to");
		return EXIT_USAGE;
	}
	return 0;
}

static void scrape(void *e, bool om, struct vk_buf *out)
{
	vk_export_collect(e, om, out);
}

/* tmp + fsync + rename: node_exporter never reads a half-written file. */
static int write_textfile(struct vk_export *e, const char *dir)
{
	char tmp[4096], dst[4096];
	struct vk_buf b = {};
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), "%s/.%s.%d.tmp", dir, VK_EXPORT_TEXTFILE, (int)getpid());
	snprintf(dst, sizeof(dst), "%s/%s", dir, VK_EXPORT_TEXTFILE);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	vk_export_collect(e, false, &b);
	if (b.oom)
		err = -ENOMEM;
	for (size_t off = 0; !err && off < b.len;) {
		ssize_t n = write(fd, b.p + off, b.len - off);

		if (n < 0)
			err = -errno;
		else
			off += n;
	}
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, dst))
		err = -errno;
	if (err)
		unlink(tmp);
	vk_buf_free(&b);
	return err;
}

static int check_textfile_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st)) {
		vk_errf("export", "create the directory first", "--textfile %s: %s", dir,
			strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		vk_errf("export", "give the directory node_exporter reads",
			"--textfile %s: not a directory", dir);
		return -1;
	}
	return 0;
}

int cmd_export(int argc, char **argv)
{
	struct vk_export_cfg cfg = {};
	struct sockaddr_storage ss;
	struct sigaction sa = { .sa_handler = on_hup };
	struct vk_http *http = NULL;
	struct vk_export *e;
	double next;
	socklen_t slen;
	int err, rc = EXIT_FAIL;

	err = parse(argc, argv, &cfg);
	if (err)
		return err < 0 ? 0 : err;
	if (cfg.listen && vk_parse_listen(cfg.listen, &ss, &slen)) {
		vk_errf("export", "IPv4 as 127.0.0.1:9578, IPv6 as [::1]:9578",
			"--listen '%s': not ADDR:PORT with a numeric address and a port 1-65535",
			cfg.listen);
		return EXIT_USAGE;
	}
	if (cfg.textfile_dir && check_textfile_dir(cfg.textfile_dir))
		return EXIT_FAIL;
	e = vk_export_new(&cfg);
	if (!e)
		return EXIT_FAIL;
	if (vk_export_check_cfg(e))
		goto out;
	if (cfg.listen) {
		http = vk_http_start(&ss, slen, cfg.listen, scrape, e);
		if (!http)
			goto out;
	}
	if (vk_export_detect(e, !cfg.once))
		goto out;
	vk_install_signals();
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (cfg.once && !cfg.textfile_dir) {
		struct vk_buf b = {};

		vk_export_collect(e, false, &b);
		fwrite(b.p, 1, b.len, stdout);
		vk_buf_free(&b);
		rc = b.oom ? EXIT_FAIL : 0;
		goto out;
	}
	if (cfg.textfile_dir) {
		err = write_textfile(e, cfg.textfile_dir);
		if (err) {
			vk_errf("export", "check the directory's permissions and mount",
				"--textfile %s: cannot write %s: %s", cfg.textfile_dir,
				VK_EXPORT_TEXTFILE, strerror(-err));
			goto out;
		}
		if (cfg.once) {
			rc = 0;
			goto out;
		}
	}
	if (http)
		fprintf(stderr, "vnetkit export: serving http://%s/metrics\n", cfg.listen);
	if (cfg.textfile_dir)
		fprintf(stderr, "vnetkit export: writing %s/%s every %g s\n", cfg.textfile_dir,
			VK_EXPORT_TEXTFILE, cfg.interval);
	next = vk_now() + cfg.interval;
	while (!vk_stop) {
		double now = vk_now(), tick;
		int wait_ms = 1000;

		if (reload) {
			reload = 0;
			vk_export_detect(e, true);
			fprintf(stderr, "vnetkit export: sources re-detected (SIGHUP)\n");
		}
		if (cfg.textfile_dir) {
			if (now >= next) {
				err = write_textfile(e, cfg.textfile_dir);
				if (err)
					vk_errf("export", "retrying next interval",
						"--textfile %s: %s", cfg.textfile_dir, strerror(-err));
				next += cfg.interval;
				if (next < now)
					next = now + cfg.interval;
			}
			wait_ms = (int)((next - vk_now()) * 1000) + 1;
			if (wait_ms < 1)
				wait_ms = 1;
			if (wait_ms > 1000)
				wait_ms = 1000;
		}
		tick = vk_export_tick(e, vk_now()) * 1000 + 1;
		if (tick < wait_ms)
			wait_ms = (int)tick;
		if (http)
			vk_http_poll(http, wait_ms);
		else
			poll(NULL, 0, wait_ms);
	}
	/* A stale textfile would be served as current by node_exporter. */
	if (cfg.textfile_dir) {
		char dst[4096];

		snprintf(dst, sizeof(dst), "%s/%s", cfg.textfile_dir, VK_EXPORT_TEXTFILE);
		unlink(dst);
	}
	fprintf(stderr, "vnetkit export: stopped\n");
	rc = 0;
out:
	vk_http_stop(http);
	vk_export_free(e);
	return rc;
}
