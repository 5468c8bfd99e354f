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

/* What the running command is, for the one error format
 * "vnetkit <command> [<sub>]: <what>: <why> (<hint>)" and the --json error
 * document; set by main() and the option parser (cli.c). */
struct vk_ctx {
	const char *cmd;	/* "ring"; NULL before dispatch */
	const char *sub;	/* "bench"; NULL for commands without any */
	bool json;		/* --json given: failures also print a document */
	bool json_done;		/* a document carrying the error went out */
	char schema[64];	/* "vnetkit-ring-bench/1" */
	bool have_err;		/* the first error, kept for the document */
	char what[128], why[1024], hint[512];
};
extern struct vk_ctx vk_ctx;

/* The error on stderr; hint may be NULL. "what" is relative to the
 * command ("--count", not "gen --count"; a leading command name is
 * dropped). */
void vk_err(const char *what, const char *why, const char *hint_fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, with a printf-style "why". */
void vk_errf(const char *what, const char *hint, const char *why_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "vnetkit <command> [<sub>]: note: ..." on stderr. */
void vk_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* n decimal digits, no sign, no leading zero: strtoull() would take "0x10"
 * as 16 and "010" as 8, and a leading '-' wraps around. */
bool vk_decimal(const char *s, size_t n);
/* Seconds, possibly fractional ("0.5"), decimal only (no exponent, hex,
 * sign, inf or nan), within [min, max]; the option parser's (cli.c)
 * duration type. Prints the error and returns -1 on bad input. */
int vk_parse_secs(const char *opt, const char *s, double min, double max,
		  double *out);

/* Shortest --interval any sampling loop accepts: shorter ones only flood
 * the terminal and measure the sampler itself. */
#define VK_MIN_INTERVAL 0.1

/* Sorts v[0..n-1] (n >= 1) and gives its minimum and median (the mean of
 * the middle two for even n): the one median of every benchmark. */
void vk_min_median(double *v, int n, double *min, double *med);

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
