/* SPDX-License-Identifier: GPL-2.0 */
/* Shared helpers of the vnetkit CLI: errors, option values, time, mounts. */
#ifndef VNETKIT_UTIL_H
#define VNETKIT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXIT_USAGE 2
#define EXIT_FAIL 1

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* "vnetkit: <what>: <why> (<hint>)" on stderr; hint may be NULL. */
void vk_err(const char *what, const char *why, const char *hint_fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, with a printf-style "why". */
void vk_errf(const char *what, const char *hint, const char *why_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Every number on the command line goes through these two: decimal only
 * (no 0x, no octal "010", no exponent, no sign), within [min, max]. They
 * print the error themselves and return -1 on bad input (exit 2). */
int vk_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max,
		 uint64_t *out);
/* Seconds, possibly fractional ("0.5"), within [min, max]. */
int vk_parse_secs(const char *opt, const char *s, double min, double max,
		  double *out);

/* Options are given once: the second --x is an error, not last-wins.
 * Call at the top of the getopt loop with the option's value; the name for
 * the message comes from OPTS. Returns -1 (error printed) on a repeat. */
struct option;
struct vk_opt_seen {
	int val[64];
	int n;
};
int vk_opt_once(struct vk_opt_seen *seen, const char *what,
		const struct option *opts, int val);

/* Shortest --interval any sampling loop accepts: shorter ones only flood
 * the terminal and measure the sampler itself. */
#define VK_MIN_INTERVAL 0.1

double vk_now(void);		/* CLOCK_MONOTONIC seconds */
uint64_t vk_now_ns(void);
void vk_sleep(double secs);

/* Mount bpffs / tracefs at their usual place when absent. Each mount is
 * announced on stderr: never change the system silently. */
int vk_ensure_bpffs(void);
int vk_ensure_tracefs(void);

/* Permissions are capabilities, not a user id: a process with CAP_BPF and
 * CAP_NET_ADMIN may attach XDP without being root, and root without them
 * may not. Bit numbers from linux/capability.h (CAP_BPF/CAP_PERFMON: 5.8). */
#define VK_CAP_NET_ADMIN	12
#define VK_CAP_NET_RAW		13
#define VK_CAP_SYS_ADMIN	21
#define VK_CAP_PERFMON		38
#define VK_CAP_BPF		39
#define VK_CAP(c)		(1ULL << (c))
int vk_caps_effective(uint64_t *eff);
const char *vk_caps_str(uint64_t caps, char *buf, size_t len);
/* Prints "permission denied: missing CAP_X, CAP_Y" naming exactly what
 * is missing and returns -1, or returns 0. */
int vk_require_caps(const char *what, uint64_t need);

/* Route libbpf's messages: quiet unless VNETKIT_DEBUG is set. The last
 * kernel extack message libbpf saw is kept in vk_kernel_msg ("" if none). */
extern char vk_kernel_msg[256];
void vk_setup_libbpf_logging(void);

/* Termination flag set by SIGINT/SIGTERM once vk_install_signals() ran. */
extern volatile int vk_stop;
void vk_install_signals(void);

/* Format a rate like "2.41M" into buf. */
const char *vk_fmt_rate(char *buf, int len, double v);

#endif
