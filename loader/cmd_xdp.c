// SPDX-License-Identifier: GPL-2.0
/* vnetkit xdp: attach, detach, inspect, watch and run our XDP programs.
 * This file is the command line (the option table, its checks, the
 * capabilities each subcommand needs); xdp_cmd.h says where the rest is.
 *
 * Attachment goes through netlink (bpf_xdp_attach), so an attached program
 * outlives the process until `detach`; `run` attaches for its own lifetime
 * and always detaches. Never falls back to a slower mode silently.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "commands.h"
#include "netns.h"
#include "util.h"
#include "xdp_cmd.h"

/* --cpu: the largest accepted. */
#define VK_MAX_CPU 4095

enum { X_ATTACH, X_DETACH, X_STATUS, X_STATS, X_RUN, X_BENCH };
enum { O_DEV, O_ACTION, O_TO, O_MODE, O_PIN, O_INTERVAL, O_DURATION, O_JSON,
       O_REPLACE, O_PER_RXQ, O_PER_CPU, O_REPEAT, O_ROUNDS, O_SIZE, O_FORCE,
       O_ID, O_NETNS, O_FRAGS, O_CPU, O_NR };

#define ATTACH VK_SUB(X_ATTACH)
#define DETACH VK_SUB(X_DETACH)
#define STATUS VK_SUB(X_STATUS)
#define STATS VK_SUB(X_STATS)
#define RUN VK_SUB(X_RUN)
#define BENCH VK_SUB(X_BENCH)

static const char *const action_names[] = { "drop", "pass", "tx", "redirect", "cpu", NULL };
/* drv and skb: the names ip-link uses. */
static const char *const mode_names[] = { "auto", "native", "generic", "drv", "skb", NULL };
static const enum vk_xdp_mode mode_values[] = {
	VK_MODE_AUTO, VK_MODE_NATIVE, VK_MODE_GENERIC, VK_MODE_NATIVE, VK_MODE_GENERIC,
};

static const struct vk_subcmd xdp_subs[] = {
	[X_ATTACH] = { "attach", NULL,
		"load a program and attach it through netlink: it stays after vnetkit "
		"exits (vnetkit xdp detach removes it)" },
	[X_DETACH] = { "detach", NULL,
		"remove vnetkit's program from the interface (and with --pin the "
		"pins attach --pin recorded, same ids, in a directory holding nothing "
		"else); any other program only with --id N (the one attached now) or "
		"--force" },
	[X_STATUS] = { "status", NULL,
		"the XDP program on each interface (every interface with --dev), and "
		"the XDP features it reports" },
	[X_STATS] = { "stats", NULL,
		"the verdict counters of vnetkit's program on --dev: rates every "
		"--interval, totals at the end" },
	[X_RUN] = { "run", NULL,
		"attach through a bpf_link, which the kernel removes when run exits, "
		"however it ends (even SIGKILL), and print stats meanwhile" },
	[X_BENCH] = { "bench", NULL,
		"ns per packet of each program through BPF_PROG_TEST_RUN, ratio to "
		"the empty program's" },
};

static const struct vk_opt xdp_table[O_NR] = {
	[O_DEV] = { "dev", 0, VK_T_IFNAME, "IF", .subs = ATTACH | DETACH | STATUS |
		STATS | RUN, .required = ATTACH | DETACH | STATS | RUN,
		.help = "the interface" },
	[O_ACTION] = { "action", 0, VK_T_ENUM, "A", .values = action_names,
		.subs = ATTACH | RUN, .required = ATTACH | RUN,
		.help = "drop, pass, tx (swap MACs, send back), redirect (out of --to IF), "
			"cpu (into a CPUMAP: the kernel thread of --cpu N builds the skbs)" },
	[O_TO] = { "to", 0, VK_T_IFNAME, "IF", .subs = ATTACH | RUN,
		.help = "the interface redirect sends frames out of (only with "
			"--action redirect, which needs it)" },
	[O_MODE] = { "mode", 0, VK_T_ENUM, "M", .values = mode_names, .def = "auto",
		.subs = ATTACH | RUN,
		.help = "native (driver, also drv), generic (skb), auto (native, else "
			"generic - and says which)" },
	[O_PIN] = { "pin", 0, VK_T_PATH, "DIR", .subs = ATTACH | DETACH,
		.help = "pin the program and its maps in DIR on bpffs (the host's "
			"/sys/fs/bpf: refused under ip netns exec, whose bpffs goes away)" },
	[O_INTERVAL] = { "interval", 0, VK_T_DURATION, "S", .fmin = VK_MIN_INTERVAL,
		.fmax = 3600, .def = "1", .subs = STATS | RUN,
		.help = "print rates every S seconds" },
	[O_DURATION] = { "duration", 0, VK_T_DURATION, "S", .fmin = 0.01,
		.fmax = 86400 * 365, .subs = STATS | RUN,
		.help = "stop after S seconds (default: at Ctrl-C)" },
	[O_JSON] = { "json", 0, VK_T_FLAG, .subs = STATUS | STATS | RUN | BENCH,
		.help = "one JSON document (schemas vnetkit-xdp-status/1, "
			"vnetkit-xdp-stats/1, vnetkit-xdp-bench/1)" },
	[O_REPLACE] = { "replace", 0, VK_T_FLAG, .subs = ATTACH,
		.help = "replace vnetkit's program already attached, atomically" },
	[O_PER_RXQ] = { "per-rxq", 0, VK_T_FLAG, .subs = STATS | RUN,
		.help = "rates per receive queue" },
	[O_PER_CPU] = { "per-cpu", 0, VK_T_FLAG, .subs = STATS | RUN,
		.help = "rates per CPU" },
	[O_REPEAT] = { "repeat", 0, VK_T_INT, "N", .min = 1, .max = 100000000,
		.unit = "runs", .def = "1000000", .subs = BENCH,
		.help = "BPF_PROG_TEST_RUN repeat count per round" },
	[O_ROUNDS] = { "rounds", 0, VK_T_INT, "R", .min = 1, .max = 1000,
		.def = "5", .subs = BENCH, .help = "rounds; min and median are reported" },
	[O_SIZE] = { "size", 0, VK_T_SIZE, "B", .min = 14, .max = 4000, .def = "64",
		.subs = BENCH, .help = "the test frame's size" },
	[O_FORCE] = { "force", 0, VK_T_FLAG, .subs = ATTACH | DETACH,
		.conflicts = 1ull << O_ID,
		.help = "act on a program vnetkit did not load (attach: only with "
			"--replace)" },
	[O_ID] = { "id", 0, VK_T_INT, "N", .min = 1, .max = UINT32_MAX, .subs = DETACH,
		.help = "detach program N, only if it is the one attached now" },
	[O_NETNS] = { "netns", 0, VK_T_NAME, "NS", .subs = ATTACH | DETACH | STATUS |
		STATS | RUN,
		.help = "netlink and attachment in namespace NS; pins stay in the "
			"host's /sys/fs/bpf" },
	[O_FRAGS] = { "frags", 0, VK_T_FLAG, .subs = ATTACH | RUN,
		.help = "the multi-buffer variant (xdp.frags): frames larger than a "
			"page reach it whole where the driver supports it (xdp features "
			"rx_sg)" },
	[O_CPU] = { "cpu", 0, VK_T_INT, "N", .min = 0, .max = VK_MAX_CPU,
		.subs = ATTACH | RUN, .conflicts = 1ull << O_FRAGS,
		.help = "the CPU whose kernel thread takes the frames (only with "
			"--action cpu, which needs it; an online CPU)" },
};

static const char *const xdp_examples[] = {
	"vnetkit xdp attach --dev vktap0 --action drop",
	"drop everything arriving on vktap0, natively if the driver can",
	"vnetkit xdp stats --dev vktap0 --interval 1 --duration 10",
	"its verdict rates every second for ten seconds",
	"vnetkit xdp run --dev vkveth1 --action redirect --to vktap0 --json",
	"redirect until Ctrl-C, then one JSON document; nothing stays attached",
	"vnetkit xdp bench --size 1500",
	"each program's cost per 1500-byte frame through BPF_PROG_TEST_RUN",
	NULL,
};

const struct vk_cmd_spec xdp_spec = {
	.name = "xdp",
	.summary = "attach, detach, inspect and run XDP programs",
	.description = "vnetkit's XDP programs (vk_xdp_* and the multi-buffer vk_mb_*, "
		"with their vk_stats map): "
		"drop, pass, tx and redirect, each counting its verdicts per queue and "
		"CPU. detach and attach --replace act only on vnetkit's own programs "
		"unless told otherwise.",
	.subs = xdp_subs, .nr_subs = ARRAY_SIZE(xdp_subs),
	.opts = xdp_table, .nr_opts = O_NR,
	.examples = xdp_examples,
	.json_doc = "xdp", .json_version = 1,
};

static int resolve_dev(const char *what, const char *name, int *ifindex)
{
	if (strlen(name) >= IFNAMSIZ) {
		vk_errf(what, "interface names have at most 15 characters",
			"'%s' is not a valid interface name", name);
		return -1;
	}
	*ifindex = if_nametoindex(name);
	if (!*ifindex) {
		vk_errf(what, "see `ip link show`; in a namespace, run vnetkit inside it",
			"interface '%s' does not exist", name);
		return -1;
	}
	return 0;
}

/* CPU @cpu is online: listed in /sys/devices/system/cpu/online
 * ("0-3,5"), as the CPUMAP kthread must be able to run there. */
static bool cpu_online(unsigned int cpu)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	unsigned int lo, hi;
	bool on = false;
	int n;

	if (!f)
		return false;
	while (!on && (n = fscanf(f, "%u", &lo)) == 1) {
		hi = lo;
		if (fscanf(f, "-%u", &hi) < 0)
			break;
		on = cpu >= lo && cpu <= hi;
		if (fgetc(f) != ',')
			break;
	}
	fclose(f);
	return on;
}

/* Returns 0, or the exit code to return (-1: help printed). */
static int parse(int argc, char **argv, struct vk_xdp_opts *o)
{
	const struct vk_val *v;
	struct vk_args a;
	int ret;

	memset(o, 0, sizeof(*o));
	ret = vk_cli_parse(&xdp_spec, argc, argv, &a);
	if (ret)
		return ret == VK_CLI_HELP ? -1 : EXIT_USAGE;
	v = a.v;
	o->sub = xdp_subs[a.sub].name;
	o->dev = vk_val_str(&v[O_DEV]);
	o->to = vk_val_str(&v[O_TO]);
	o->pin = vk_val_str(&v[O_PIN]);
	o->netns = vk_val_str(&v[O_NETNS]);
	o->action = v[O_ACTION].set ? vk_action_parse(v[O_ACTION].s) : -1;
	o->mode = v[O_MODE].set ? mode_values[v[O_MODE].u] : VK_MODE_AUTO;
	o->interval = v[O_INTERVAL].set ? v[O_INTERVAL].d : 1;
	o->duration = v[O_DURATION].set ? v[O_DURATION].d : 0;
	o->timed = v[O_INTERVAL].given || v[O_DURATION].given;
	o->repeat = v[O_REPEAT].u;
	o->rounds = v[O_ROUNDS].u;
	o->size = v[O_SIZE].u;
	o->id = v[O_ID].set ? v[O_ID].u : 0;
	o->json = v[O_JSON].set;
	o->replace = v[O_REPLACE].set;
	o->force = v[O_FORCE].set;
	o->per_rxq = v[O_PER_RXQ].set;
	o->per_cpu = v[O_PER_CPU].set;
	o->frags = v[O_FRAGS].set;
	o->cpu = v[O_CPU].set ? v[O_CPU].u : 0;
	o->cpu_set = v[O_CPU].set;
	if (o->action == VK_ACT_REDIRECT && !o->to) {
		vk_err("--action redirect", "needs a target",
		       "add --to IF, the interface frames are sent out of");
		return EXIT_USAGE;
	}
	if (o->force && !o->replace && a.sub == X_ATTACH) {
		vk_err("--force", "only with --replace", NULL);
		return EXIT_USAGE;
	}
	if (o->to && o->action != VK_ACT_REDIRECT) {
		vk_err("--to", "only valid with --action redirect", NULL);
		return EXIT_USAGE;
	}
	if (o->action == VK_ACT_CPU && !(o->cpu_set)) {
		vk_err("--action cpu", "needs a target",
		       "add --cpu N, the CPU whose kernel thread takes the frames");
		return EXIT_USAGE;
	}
	if ((o->cpu_set) && o->action != VK_ACT_CPU) {
		vk_err("--cpu", "only valid with --action cpu", NULL);
		return EXIT_USAGE;
	}
	return 0;
}

/* Loading an XDP program: CAP_BPF + CAP_NET_ADMIN, and CAP_PERFMON (the
 * verifier refuses our programs' map value arithmetic without it: the
 * Spectre v1 hardening for unprivileged loaders). Opening a program or map
 * by id (BPF_*_GET_FD_BY_ID: the name, the maps and counters of what is
 * attached) is CAP_SYS_ADMIN in the kernel, as is entering a namespace. */
static __u64 needed_caps(const struct vk_xdp_opts *o)
{
	__u64 load = VK_CAP(VK_CAP_BPF) | VK_CAP(VK_CAP_NET_ADMIN) | VK_CAP(VK_CAP_PERFMON);
	__u64 by_id = VK_CAP(VK_CAP_NET_ADMIN) | VK_CAP(VK_CAP_SYS_ADMIN);
	__u64 caps;

	if (!strcmp(o->sub, "attach"))
		caps = load | (o->replace ? by_id : 0);
	else if (!strcmp(o->sub, "run") || !strcmp(o->sub, "bench"))
		caps = load;
	else
		caps = by_id;
	return caps | (o->netns ? VK_CAP(VK_CAP_SYS_ADMIN) : 0);
}

int cmd_xdp(int argc, char **argv)
{
	char what[32];
	struct vk_xdp_opts o;
	int ret = parse(argc, argv, &o);

	if (ret)
		return ret < 0 ? 0 : ret;
	snprintf(what, sizeof(what), "xdp %s", o.sub);
	if (vk_require_caps(what, needed_caps(&o)))
		return EXIT_FAIL;
	if (o.netns && (vk_netns_exists(o.netns) != 1 || vk_netns_enter(o.netns) < 0)) {
		vk_errf(what, "list them: ip netns list", "no network namespace '%s'", o.netns);
		return EXIT_FAIL;
	}
	if (o.dev && resolve_dev(what, o.dev, &o.ifindex))
		return EXIT_FAIL;
	if (o.to && resolve_dev(what, o.to, &o.to_ifindex))
		return EXIT_FAIL;
	if ((o.cpu_set) && !cpu_online(o.cpu)) {
		vk_errf(what, "see /sys/devices/system/cpu/online", "CPU %u is not online",
			o.cpu);
		return EXIT_FAIL;
	}
	if (!strcmp(o.sub, "attach"))
		return vk_xdp_cmd_attach(&o);
	if (!strcmp(o.sub, "detach"))
		return vk_xdp_cmd_detach(&o);
	if (!strcmp(o.sub, "status"))
		return vk_xdp_cmd_status(&o);
	if (!strcmp(o.sub, "stats"))
		return vk_xdp_cmd_stats(&o);
	if (!strcmp(o.sub, "run"))
		return vk_xdp_cmd_run(&o);
	return vk_xdp_cmd_bench(&o);
}
