// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <bpf/libbpf.h>

#include "util.h"

volatile int vk_stop;

void vk_err(const char *what, const char *why, const char *hint_fmt, ...)
{
	fflush(stdout);		/* in order with what was printed before, even piped */
	fprintf(stderr, "vnetkit: %s: %s", what, why);
	if (hint_fmt) {
		va_list ap;

		fputs(" (", stderr);
		va_start(ap, hint_fmt);
		vfprintf(stderr, hint_fmt, ap);
		va_end(ap);
		fputc(')', stderr);
	}
	fputc('\n', stderr);
}

void vk_errf(const char *what, const char *hint, const char *why_fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "vnetkit: %s: ", what);
	va_start(ap, why_fmt);
	vfprintf(stderr, why_fmt, ap);
	va_end(ap);
	if (hint)
		fprintf(stderr, " (%s)", hint);
	fputc('\n', stderr);
}

/* Decimal digits only: strtoull() would take "0x10" as 16 and "010" as 8,
 * and a leading '-' wraps around. */
static bool decimal_digits(const char *s, size_t n)
{
	if (!n || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int vk_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max,
		 uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !decimal_digits(s, strlen(s)))
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		goto bad;
	if (v < min || v > max) {
		vk_errf(opt, NULL, "%llu is out of range [%llu, %llu]", v,
			(unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
bad:
	vk_errf(opt, "a decimal integer without leading zeros, e.g. 64",
		"invalid value '%s'", s ? s : "");
	return -1;
}

int vk_parse_secs(const char *opt, const char *s, double min, double max,
		  double *out)
{
	const char *dot = s ? strchr(s, '.') : NULL;
	size_t ilen = dot ? (size_t)(dot - s) : (s ? strlen(s) : 0);
	char *end;
	double v;

	/* "1.5", "0.25", "10": no exponent, hex, sign, inf or nan. */
	if (!s || !decimal_digits(s, ilen) ||
	    (dot && (!dot[1] || strspn(dot + 1, "0123456789") != strlen(dot + 1))))
		goto bad;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end)
		goto bad;
	if (v < min || v > max) {
		vk_errf(opt, NULL, "%s is out of range [%g, %g] seconds", s, min, max);
		return -1;
	}
	*out = v;
	return 0;
bad:
	vk_errf(opt, "decimal seconds, e.g. 5 or 0.5", "invalid value '%s'",
		s ? s : "");
	return -1;
}

int vk_opt_once(struct vk_opt_seen *seen, const char *what,
		const struct option *opts, int val)
{
	const char *name = NULL;

	for (int i = 0; i < seen->n; i++) {
		if (seen->val[i] != val)
			continue;
		for (const struct option *o = opts; o->name; o++)
			if (o->val == val && !o->flag)
				name = o->name;
		vk_errf(what, "give each option once; see --help",
			"--%s given twice", name ? name : "?");
		return -1;
	}
	if (seen->n < (int)ARRAY_SIZE(seen->val))
		seen->val[seen->n++] = val;
	return 0;
}

double vk_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

uint64_t vk_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void vk_sleep(double secs)
{
	struct timespec ts;

	if (secs <= 0)
		return;
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR && !vk_stop)
		;
}

static int ensure_fs(const char *path, unsigned long magic, const char *type)
{
	struct statfs st;

	if (!statfs(path, &st) && (unsigned long)st.f_type == magic)
		return 0;
	if (mount(type, path, type, 0, NULL)) {
		vk_errf(type, "mount it, or run as root", "cannot mount %s on %s: %s",
			type, path, strerror(errno));
		return -1;
	}
	fprintf(stderr, "vnetkit: note: mounted %s on %s (it was not mounted)\n",
		type, path);
	return 0;
}

int vk_ensure_bpffs(void)
{
	return ensure_fs("/sys/fs/bpf", BPF_FS_MAGIC, "bpf");
}

int vk_ensure_tracefs(void)
{
	return ensure_fs("/sys/kernel/tracing", TRACEFS_MAGIC, "tracefs");
}

static const char *const cap_names[64] = {
	[VK_CAP_NET_ADMIN] = "CAP_NET_ADMIN", [VK_CAP_NET_RAW] = "CAP_NET_RAW",
	[VK_CAP_SYS_ADMIN] = "CAP_SYS_ADMIN", [VK_CAP_PERFMON] = "CAP_PERFMON",
	[VK_CAP_BPF] = "CAP_BPF",
};

int vk_caps_effective(uint64_t *eff)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	*eff = data[0].effective | (uint64_t)data[1].effective << 32;
	/* The kernel lets CAP_SYS_ADMIN stand in for CAP_BPF and CAP_PERFMON
	 * (bpf_capable(), perfmon_capable()). */
	if (*eff & VK_CAP(VK_CAP_SYS_ADMIN))
		*eff |= VK_CAP(VK_CAP_BPF) | VK_CAP(VK_CAP_PERFMON);
	return 0;
}

const char *vk_caps_str(uint64_t caps, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int c = 0; c < 64; c++)
		if ((caps & VK_CAP(c)) && n < len)
			n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
				      cap_names[c] ? cap_names[c] : "?");
	return buf;
}

int vk_require_caps(const char *what, uint64_t need)
{
	char names[128];
	uint64_t eff;

	if (vk_caps_effective(&eff)) {
		vk_errf(what, NULL, "cannot read this process's capabilities: %s",
			strerror(errno));
		return -1;
	}
	if (!(need & ~eff))
		return 0;
	vk_errf(what, "run as root, or grant them: setpriv --inh-caps=... --ambient-caps=..., "
		"or setcap on the binary", "permission denied: missing %s",
		vk_caps_str(need & ~eff, names, sizeof(names)));
	return -1;
}

char vk_kernel_msg[256];

/* libbpf reports the kernel's extack as a warning; keep the last one so
 * callers can print it with their own context. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	static const char tag[] = "Kernel error message: ";
	static int debug = -1;
	char msg[512];
	size_t n;

	if (debug < 0)
		debug = getenv("VNETKIT_DEBUG") != NULL;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!strncmp(msg, tag, sizeof(tag) - 1)) {
		snprintf(vk_kernel_msg, sizeof(vk_kernel_msg), "%.255s",
			 msg + sizeof(tag) - 1);
		n = strlen(vk_kernel_msg);
		while (n && vk_kernel_msg[n - 1] == '\n')
			vk_kernel_msg[--n] = '\0';
	}
	if (debug)
		fputs(msg, stderr);
	return 0;
}

void vk_setup_libbpf_logging(void)
{
	libbpf_set_print(libbpf_print);
}

static void on_signal(int sig)
{
	vk_stop = sig;
}

void vk_install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

const char *vk_fmt_rate(char *buf, int len, double v)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.2fK", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}
