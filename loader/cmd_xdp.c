// SPDX-License-Identifier: GPL-2.0
/* vnetkit xdp: attach, detach, inspect, watch and run our XDP programs.
 *
 * Attachment goes through netlink (bpf_xdp_attach), so an attached program
 * outlives the process until `detach`; `run` attaches for its own lifetime
 * and always detaches. Never falls back to a slower mode silently.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "netdev.h"
#include "netns.h"
#include "owner.h"
#include "util.h"
#include "vjson.h"
#include "xdp_obj.h"

enum mode { MODE_AUTO, MODE_NATIVE, MODE_GENERIC };

/* --action cpu: CPUMAP queue length (frames) and the largest --cpu. */
#define VK_CPUMAP_QSIZE 2048
#define VK_MAX_CPU 4095

struct opts {
	const char *sub;
	const char *dev, *to, *pin, *netns;
	int ifindex, to_ifindex;
	int action;
	enum mode mode;
	double interval, duration;
	__u64 repeat, rounds, size;
	__u32 id, cpu;
	bool json, replace, per_rxq, per_cpu, force, frags, cpu_set;
	bool timed;		/* --interval or --duration given */
};

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
static const enum mode mode_values[] = {
	MODE_AUTO, MODE_NATIVE, MODE_GENERIC, MODE_NATIVE, MODE_GENERIC,
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

/* An EPERM reading what is attached is a missing capability, never "no
 * program": say which. */
static void query_failed(const char *what, const char *dev, int err)
{
	if (err == -EPERM || err == -EACCES)
		vk_errf(what, "run as root or add CAP_SYS_ADMIN", "cannot read the XDP "
			"program on %s: permission denied: reading a program by id needs "
			"CAP_SYS_ADMIN", dev);
	else
		vk_errf(what, NULL, "cannot query %s: %s", dev, strerror(-err));
}

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
static int parse(int argc, char **argv, struct opts *o)
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
	o->mode = v[O_MODE].set ? mode_values[v[O_MODE].u] : MODE_AUTO;
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

/* Wall-clock time of a BPF program's load (load_time is CLOCK_BOOTTIME). */
static time_t load_wall_time(__u64 load_ns)
{
	struct timespec boot, real;

	long long boot_ns, real_ns;

	clock_gettime(CLOCK_BOOTTIME, &boot);
	clock_gettime(CLOCK_REALTIME, &real);
	boot_ns = boot.tv_sec * 1000000000ll + boot.tv_nsec;
	real_ns = real.tv_sec * 1000000000ll + real.tv_nsec;
	return (time_t)((real_ns - (boot_ns - (long long)load_ns)) / 1000000000ll);
}

static const char *fmt_since(__u64 load_ns, char *buf, size_t len)
{
	time_t t = load_wall_time(load_ns);
	struct tm tm;
	char ts[32];

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(buf, len, "%s (%lds ago)", ts, (long)(time(NULL) - t));
	return buf;
}

/* ---- attach ---------------------------------------------------------- */

struct attached_state {
	struct vk_xdp x;
	int ifindex;
	__u32 flags;		/* mode flag actually used */
	const char *mode;
	bool use_link;		/* bpf_link (run) rather than netlink (attach) */
	int link_fd;
	int old_fd;		/* --replace: the program we checked, or -1 */
	char pin_dir[PATH_MAX];
	bool pin_dir_created;
	unsigned int pinned;	/* bit i: pin_names[i] is our pin */
};

static const char *const pin_names[] = { "prog", VK_STATS_MAP_NAME, VK_TX_PORT_MAP_NAME };

/* Only the pins this process made (st->pinned), never a file of the same
 * name that was there before. */
static void unpin_ours(struct attached_state *st)
{
	char path[PATH_MAX + 32];

	for (size_t i = 0; i < ARRAY_SIZE(pin_names); i++) {
		if (!(st->pinned & 1u << i))
			continue;
		snprintf(path, sizeof(path), "%s/%s", st->pin_dir, pin_names[i]);
		unlink(path);
	}
	if (st->pin_dir_created)
		rmdir(st->pin_dir);
	st->pinned = 0;
}

static bool is_vnetkit_prog(const struct vk_attached *a)
{
	return a->stats_map_id && vk_prog_name_ours(a->name);
}

static __u32 obj_id(int fd)
{
	struct bpf_prog_info info = {};	/* id is the first field of both */
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* A pin must outlive us: bpffs mounted in a private mount namespace (the
 * one `ip netns exec` makes) goes away with the last process in it, and
 * "pinned" would be a lie. */
static int pin_survives(const char *dir)
{
	struct stat self, other;
	char path[64];

	/* Compared with PID 1's, or where that is hidden from us (a
	 * container), with our parent's: `ip netns exec` unshares the mount
	 * namespace and execs us, so our parent (the shell) is outside it. */
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)getppid());
	if (stat("/proc/self/ns/mnt", &self) ||
	    (stat("/proc/1/ns/mnt", &other) && stat(path, &other)))
		return 0;	/* cannot tell: the kernel decides */
	if (self.st_ino == other.st_ino)
		return 0;
	vk_errf("xdp attach --pin", NULL, "this process runs in a private mount namespace "
		"(as under ip netns exec): a pin in %s would vanish with it (use --netns "
		"instead, from the host's mount namespace: vnetkit xdp attach --netns NS "
		"--pin DIR ...)", dir);
	return -1;
}

static int pin_all(struct attached_state *st, const char *dir)
{
	struct vk_pin_record rec = {};
	struct statfs sfs;
	char path[PATH_MAX + 32], parent[PATH_MAX];
	char *slash;
	int err = 0;

	if (pin_survives(dir) || vk_ensure_bpffs())
		return -1;
	if (strlen(dir) >= sizeof(st->pin_dir) - 1) {
		vk_err("xdp attach --pin", "path too long", NULL);
		return -1;
	}
	snprintf(st->pin_dir, sizeof(st->pin_dir), "%s", dir);
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	else
		snprintf(parent, sizeof(parent), "%s", slash ? "/" : ".");
	if (statfs(parent, &sfs) || (unsigned long)sfs.f_type != BPF_FS_MAGIC) {
		vk_errf("xdp attach --pin", "use a directory under /sys/fs/bpf",
			"%s is not on a BPF filesystem", parent);
		return -1;
	}
	if (mkdir(dir, 0700) == 0) {
		st->pin_dir_created = true;
	} else if (errno != EEXIST) {
		vk_errf("xdp attach --pin", NULL, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(pin_names); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pin_names[i]);
		if (!access(path, F_OK)) {
			vk_errf("xdp attach --pin", "detach it or choose another --pin DIR",
				"%s already exists", path);
			unpin_ours(st);
			return -1;
		}
	}
	snprintf(path, sizeof(path), "%s/prog", dir);
	err = bpf_program__pin(st->x.prog, path);
	if (!err) {
		st->pinned |= 1u << 0;
		snprintf(path, sizeof(path), "%s/%s", dir, VK_STATS_MAP_NAME);
		err = bpf_map__pin(st->x.stats, path);
	}
	if (!err && st->x.tx_port) {
		st->pinned |= 1u << 1;
		snprintf(path, sizeof(path), "%s/%s", dir, VK_TX_PORT_MAP_NAME);
		err = bpf_map__pin(st->x.tx_port, path);
		if (!err)
			st->pinned |= 1u << 2;
	} else if (!err) {
		st->pinned |= 1u << 1;
	}
	if (err) {
		vk_errf("xdp attach --pin", NULL, "pinning in %s failed: %s", dir,
			strerror(-err));
		unpin_ours(st);
		return -1;
	}
	/* The ids are what `detach --pin` later proves the pins are ours by. */
	if (!realpath(dir, rec.dir)) {
		err = -errno;
	} else {
		rec.dir_created = st->pin_dir_created;
		rec.nr = 0;
		snprintf(rec.pins[rec.nr].name, sizeof(rec.pins[0].name), "prog");
		rec.pins[rec.nr++].id = obj_id(bpf_program__fd(st->x.prog));
		snprintf(rec.pins[rec.nr].name, sizeof(rec.pins[0].name), VK_STATS_MAP_NAME);
		rec.pins[rec.nr++].id = obj_id(bpf_map__fd(st->x.stats));
		if (st->x.tx_port) {
			snprintf(rec.pins[rec.nr].name, sizeof(rec.pins[0].name),
				 VK_TX_PORT_MAP_NAME);
			rec.pins[rec.nr++].id = obj_id(bpf_map__fd(st->x.tx_port));
		}
		err = vk_pin_record_save(&rec);
	}
	if (err) {
		vk_errf("xdp attach --pin", NULL, "cannot record the pins in %s: %s",
			VK_PIN_RECORD_DIR, strerror(-err));
		unpin_ours(st);
		return -1;
	}
	return 0;
}

static void release(struct attached_state *st, bool detach)
{
	if (st->link_fd >= 0)
		close(st->link_fd);	/* the kernel detaches with the last reference */
	else if (detach && st->flags)
		bpf_xdp_detach(st->ifindex, st->flags, NULL);
	st->link_fd = -1;
	if (st->pinned) {
		struct vk_pin_record rec;

		if (!vk_pin_record_load(st->pin_dir, &rec))
			vk_pin_record_remove(&rec);
		unpin_ours(st);
	}
	if (st->old_fd >= 0)
		close(st->old_fd);
	st->old_fd = -1;
	vk_xdp_close(&st->x);
}

/* Redirect into a veth succeeds in bpf_redirect_map() yet the frames
 * vanish when the veth's peer has neither an XDP program nor GRO; the
 * kernel reports exactly that as the target's ndo_xmit XDP feature. */
static void check_redirect_target(const struct opts *o)
{
	char drv[32] = "", peer[IF_NAMESIZE] = "";
	__u64 feat;
	int err, peer_idx;

	err = vk_xdp_features(o->to_ifindex, &feat);
	if (err == -EOPNOTSUPP) {
		fprintf(stderr, "vnetkit: xdp attach: note: cannot check redirect target %s: "
			"this kernel does not report xdp_features\n", o->to);
		return;
	}
	if (!err && o->frags && (feat & VK_XDP_ACT_NDO_XMIT) && !(feat & VK_XDP_ACT_NDO_XMIT_SG))
		fprintf(stderr,
			"vnetkit: xdp attach: warning: redirect target %s does not advertise "
			"ndo_xmit_sg: multi-buffer frames redirected to it are dropped "
			"(xdp_redirect_err); single-buffer frames still go through\n", o->to);
	if (err || (feat & VK_XDP_ACT_NDO_XMIT))
		return;
	vk_driver_name(o->to, drv, sizeof(drv));
	peer_idx = vk_veth_peer(o->to);
	if (peer_idx && if_indextoname(peer_idx, peer))
		fprintf(stderr,
			"vnetkit: xdp attach: warning: redirect target %s (veth) cannot receive XDP frames: "
			"its peer %s has no XDP program and no GRO, so redirected frames would be dropped "
			"without any counter (load `pass` on %s: vnetkit xdp attach --dev %s --action pass, "
			"or enable GRO: ethtool -K %s gro on)\n", o->to, peer, peer, peer, peer);
	else if (peer_idx)
		fprintf(stderr,
			"vnetkit: xdp attach: warning: redirect target %s (veth) cannot receive XDP frames: "
			"its peer (in another namespace) has no XDP program and no GRO (load `pass` on the "
			"peer or enable GRO on it)\n", o->to);
	else
		fprintf(stderr,
			"vnetkit: xdp attach: warning: redirect target %s (driver %s) does not implement "
			"ndo_xdp_xmit: native redirects to it fail (count as xdp_redirect_err); "
			"use --mode generic\n", o->to, drv[0] ? drv : "unknown");
}

static int try_attach(struct attached_state *st, const struct opts *o, __u32 mode_flag,
		      bool quiet)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, ao, .old_prog_fd = st->old_fd);
	__u32 flags = mode_flag | XDP_FLAGS_UPDATE_IF_NOEXIST;
	int err, prog_fd = bpf_program__fd(st->x.prog);

	vk_kernel_msg[0] = '\0';
	if (st->use_link) {
		LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = mode_flag);

		st->link_fd = bpf_link_create(prog_fd, o->ifindex, BPF_XDP, &lo);
		err = st->link_fd < 0 ? -errno : 0;
	} else {
		/* --replace swaps exactly the program we checked: if it
		 * changed meanwhile the kernel says EEXIST. */
		if (st->old_fd >= 0)
			flags = mode_flag | XDP_FLAGS_REPLACE;
		err = bpf_xdp_attach(o->ifindex, prog_fd, flags,
				     st->old_fd >= 0 ? &ao : NULL);
	}
	if (!err) {
		st->flags = mode_flag;
		return 0;
	}
	if (!quiet) {
		const char *hint = NULL;

		if (err == -EBUSY || err == -EEXIST)
			hint = o->replace ? "the attached program changed, or is held by a "
			       "bpf_link: check vnetkit xdp status" :
			       "another XDP program is attached: detach it or use --replace";
		else if (err == -EOPNOTSUPP && mode_flag == XDP_FLAGS_DRV_MODE)
			hint = "the driver has no native XDP: use --mode generic (slower, skb path)";
		else if ((err == -ERANGE || (err == -EINVAL && strstr(vk_kernel_msg, "MTU"))) &&
			 !o->frags && vk_action_has_frags(o->action))
			hint = "the MTU needs multi-buffer frames: use --frags, or lower the MTU "
			       "(ip link set dev IF mtu 1500)";
		else if (err == -EINVAL && strstr(vk_kernel_msg, "MTU"))
			hint = "lower the MTU, e.g. ip link set dev IF mtu 1500";
		vk_errf(o->replace ? "xdp attach" : st->use_link ? "xdp run" : "xdp attach",
			hint, "attaching to %s in %s mode failed: %s%s%s",
			o->dev, mode_flag == XDP_FLAGS_DRV_MODE ? "native" : "generic",
			strerror(-err), vk_kernel_msg[0] ? "; kernel says: " : "", vk_kernel_msg);
	}
	return err;
}

static int attach(const struct opts *o, struct attached_state *st, bool use_link)
{
	struct vk_attached cur;
	bool per_rxq = true;
	__u64 feat = 0;
	int err, ferr;

	memset(st, 0, sizeof(*st));
	st->ifindex = o->ifindex;
	st->use_link = use_link;
	st->link_fd = -1;
	st->old_fd = -1;

	err = vk_xdp_query(o->ifindex, &cur);
	if (err) {
		query_failed("xdp attach", o->dev, err);
		return -1;
	}
	if (cur.prog_id && !o->replace) {
		vk_errf("xdp attach", NULL,
			"%s already has an XDP program (id %u '%s', %s mode): detach it first "
			"(vnetkit xdp detach --dev %s) or use --replace",
			o->dev, cur.prog_id, cur.name, cur.mode, o->dev);
		return -1;
	}
	if (cur.prog_id && o->replace &&
	    ((o->mode == MODE_NATIVE && !cur.drv_id) || (o->mode == MODE_GENERIC && !cur.skb_id))) {
		vk_errf("xdp attach", "detach it first, then attach",
			"--replace cannot change the mode: %s has a program in %s mode",
			o->dev, cur.mode);
		return -1;
	}
	if (cur.prog_id && o->replace && !is_vnetkit_prog(&cur) && !o->force) {
		vk_errf("xdp attach", NULL, "%s has a program vnetkit did not load (id %u '%s', "
			"%s mode): --replace replaces only vnetkit's programs (left in place; "
			"add --force to replace it anyway)", o->dev, cur.prog_id, cur.name,
			cur.mode);
		return -1;
	}
	if (cur.prog_id && o->replace) {
		st->old_fd = bpf_prog_get_fd_by_id(cur.prog_id);
		if (st->old_fd < 0) {
			vk_errf("xdp attach", NULL, "cannot open the attached program id %u: %s",
				cur.prog_id, strerror(errno));
			return -1;
		}
	}

	ferr = vk_xdp_features(o->ifindex, &feat);
	if (!ferr && o->mode == MODE_NATIVE && !(feat & VK_XDP_ACT_BASIC)) {
		vk_errf("xdp attach", "use --mode generic (skb path) or --mode auto",
			"%s has no native XDP support (its driver reports no XDP features)",
			o->dev);
		return -1;
	}
	if (!ferr && o->action == VK_ACT_REDIRECT && o->mode == MODE_NATIVE &&
	    !(feat & VK_XDP_ACT_REDIRECT)) {
		vk_errf("xdp attach", "use --mode generic",
			"%s does not support XDP_REDIRECT in native mode", o->dev);
		return -1;
	}

	err = vk_xdp_open_variant(&st->x, o->action, o->frags);
	if (!err)
		err = vk_xdp_set_rodata(&st->x, "per_rxq", &per_rxq, sizeof(per_rxq));
	/* The CPUMAP is indexed by CPU number: one entry past the target. */
	if (!err && o->action == VK_ACT_CPU)
		err = vk_xdp_set_rodata(&st->x, "target_cpu", &o->cpu, sizeof(o->cpu)) ?:
		      bpf_map__set_max_entries(st->x.tx_port, o->cpu + 1);
	if (!err)
		err = vk_xdp_load(&st->x);
	if (err) {
		vk_errf("xdp attach", "run with VNETKIT_DEBUG=1 for the verifier log",
			"loading the %s program failed: %s", vk_action_name(o->action),
			strerror(-err));
		release(st, false);
		return -1;
	}
	if (o->action == VK_ACT_REDIRECT) {
		__u32 key = 0, val = o->to_ifindex;

		if (bpf_map__update_elem(st->x.tx_port, &key, sizeof(key), &val,
					 sizeof(val), 0)) {
			vk_errf("xdp attach", NULL, "cannot set redirect target %s: %s",
				o->to, strerror(errno));
			release(st, false);
			return -1;
		}
	}
	if (o->action == VK_ACT_CPU) {
		struct bpf_cpumap_val val = { .qsize = VK_CPUMAP_QSIZE };

		if (bpf_map__update_elem(st->x.tx_port, &o->cpu, sizeof(o->cpu), &val,
					 sizeof(val), 0)) {
			vk_errf("xdp attach", NULL, "cannot set up the CPUMAP entry of CPU %u: %s",
				o->cpu, strerror(errno));
			release(st, false);
			return -1;
		}
	}
	if (o->pin && pin_all(st, o->pin)) {
		release(st, false);
		return -1;
	}

	switch (o->mode) {
	case MODE_NATIVE:
		err = try_attach(st, o, XDP_FLAGS_DRV_MODE, false);
		break;
	case MODE_GENERIC:
		err = try_attach(st, o, XDP_FLAGS_SKB_MODE, false);
		break;
	case MODE_AUTO:
		if (!ferr && !(feat & VK_XDP_ACT_BASIC)) {
			fprintf(stderr, "vnetkit: xdp attach: %s has no native XDP (driver reports "
				"no XDP features): using generic mode\n", o->dev);
			err = try_attach(st, o, XDP_FLAGS_SKB_MODE, false);
			break;
		}
		err = try_attach(st, o, XDP_FLAGS_DRV_MODE, true);
		if (err == -EBUSY || err == -EEXIST) {
			try_attach(st, o, XDP_FLAGS_DRV_MODE, false);
			break;
		}
		if (err) {
			fprintf(stderr, "vnetkit: xdp attach: native mode failed on %s (%s%s%s%s): "
				"falling back to generic mode\n", o->dev, strerror(-err),
				vk_kernel_msg[0] ? "; kernel says: " : "", vk_kernel_msg,
				err == -ERANGE && !o->frags && vk_action_has_frags(o->action) ?
				"; the MTU needs multi-buffer frames: --frags runs native" : "");
			err = try_attach(st, o, XDP_FLAGS_SKB_MODE, false);
		}
		break;
	}
	if (err) {
		release(st, false);
		return -1;
	}
	st->mode = st->flags == XDP_FLAGS_DRV_MODE ? "native" : "generic";
	if (o->action == VK_ACT_REDIRECT && st->flags == XDP_FLAGS_DRV_MODE)
		check_redirect_target(o);
	if (o->frags && st->flags == XDP_FLAGS_DRV_MODE && !ferr && !(feat & VK_XDP_ACT_RX_SG))
		fprintf(stderr,
			"vnetkit: xdp attach: note: %s does not advertise rx_sg (xdp features): "
			"its native path gives this program single-buffer frames only; larger "
			"frames take generic XDP or are refused by the driver\n", o->dev);
	return 0;
}

static const char *attach_how(bool link)
{
	return link ? "bpf_link" : "netlink";
}

static void print_attached(const struct opts *o, const struct attached_state *st)
{
	printf("attached %s (prog id %u) to %s in %s mode%s", bpf_program__name(st->x.prog),
	       obj_id(bpf_program__fd(st->x.prog)), o->dev, st->mode,
	       st->x.frags ? ", multi-buffer (xdp.frags)" : "");
	if (o->action == VK_ACT_REDIRECT)
		printf(", redirecting to %s", o->to);
	else if (o->action == VK_ACT_CPU)
		printf(", redirecting to CPU %u", o->cpu);
	printf("\n");
	if (st->use_link)
		printf("attached through a bpf_link: the kernel detaches it when this "
		       "process exits, however it ends\n");
	else
		printf("attached through netlink: it stays after vnetkit exits "
		       "(remove: vnetkit xdp detach --dev %s%s%s)\n", o->dev,
		       o->netns ? " --netns " : "", o->netns ? o->netns : "");
	if (st->pinned)
		printf("pinned: %s/prog, %s/%s%s%s\n", st->pin_dir, st->pin_dir,
		       VK_STATS_MAP_NAME, st->x.tx_port ? ", tx port map " : "",
		       st->x.tx_port ? VK_TX_PORT_MAP_NAME : "");
}

static int cmd_attach(const struct opts *o)
{
	struct attached_state st;

	if (attach(o, &st, false))
		return EXIT_FAIL;
	print_attached(o, &st);
	/* The attachment (and pins) keep the program alive after we exit. */
	if (st.old_fd >= 0)
		close(st.old_fd);
	vk_xdp_close(&st.x);
	return 0;
}

/* ---- detach ---------------------------------------------------------- */

/* The id of the bpf_link holding an XDP program on IFINDEX, 0 if none
 * (then it is attached through netlink). */
static __u32 xdp_link_id(int ifindex)
{
	__u32 id = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.type == BPF_LINK_TYPE_XDP && (int)info.xdp.ifindex == ifindex) {
			close(fd);
			return id;
		}
		close(fd);
	}
	return 0;
}

/* May `detach --pin DIR` remove DIR's pins? Only when attach --pin recorded
 * them, each is still the object of the recorded id, DIR holds nothing
 * else, and the program is the one being detached (prog_id, 0: none is
 * attached). Says why not; leaves everything in place then. */
static int check_pins(const char *dir, __u32 prog_id, struct vk_pin_record *rec)
{
	char path[PATH_MAX + 32];
	struct dirent *de;
	DIR *d;
	int err;

	err = vk_pin_record_load(dir, rec);
	if (err) {
		vk_errf("xdp detach --pin", NULL, "%s was not pinned by vnetkit xdp attach "
			"(%s): left in place (if it is yours to remove: rm -r %s)", dir,
			err == -ENOENT ? "no record in " VK_PIN_RECORD_DIR : strerror(-err),
			dir);
		return -1;
	}
	d = opendir(dir);
	if (!d) {
		vk_errf("xdp detach --pin", NULL, "cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		bool known = false;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		for (int i = 0; i < rec->nr; i++)
			known |= !strcmp(de->d_name, rec->pins[i].name);
		if (!known) {
			vk_errf("xdp detach --pin", NULL, "%s holds %s, which vnetkit did not "
				"pin: the directory and its pins are left in place (remove by "
				"hand what is yours)", dir, de->d_name);
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	for (int i = 0; i < rec->nr; i++) {
		__u32 id;
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, rec->pins[i].name);
		fd = bpf_obj_get(path);
		if (fd < 0 && errno == ENOENT)
			continue;
		id = fd >= 0 ? obj_id(fd) : 0;
		if (fd >= 0)
			close(fd);
		if (id != rec->pins[i].id) {
			vk_errf("xdp detach --pin", NULL, "%s is not what vnetkit pinned there "
				"(id %u, recorded %u): everything left in place (if it is yours "
				"to remove: rm %s)", path, id, rec->pins[i].id, path);
			return -1;
		}
		if (prog_id && !strcmp(rec->pins[i].name, "prog") && id != prog_id) {
			vk_errf("xdp detach --pin", NULL, "the program pinned at %s (id %u) is "
				"not the one attached (id %u): nothing detached or unpinned",
				path, id, prog_id);
			return -1;
		}
	}
	return 0;
}

static int remove_pins(const struct vk_pin_record *rec)
{
	char path[PATH_MAX + 32];

	for (int i = 0; i < rec->nr; i++) {
		snprintf(path, sizeof(path), "%s/%s", rec->dir, rec->pins[i].name);
		if (unlink(path) && errno != ENOENT) {
			vk_errf("xdp detach --pin", NULL, "cannot remove %s: %s", path,
				strerror(errno));
			return -1;
		}
	}
	if (rec->dir_created && rmdir(rec->dir)) {
		vk_errf("xdp detach --pin", NULL, "cannot remove %s: %s", rec->dir,
			strerror(errno));
		return -1;
	}
	vk_pin_record_remove(rec);
	printf("unpinned %s\n", rec->dir);
	return 0;
}

static int cmd_detach(const struct opts *o)
{
	static const struct { __u32 flag; size_t off; } modes[] = {
		{ XDP_FLAGS_DRV_MODE, offsetof(struct vk_attached, drv_id) },
		{ XDP_FLAGS_SKB_MODE, offsetof(struct vk_attached, skb_id) },
		{ XDP_FLAGS_HW_MODE, offsetof(struct vk_attached, hw_id) },
	};
	struct vk_pin_record rec;
	struct vk_attached a;
	__u32 link;
	int err, fd;

	err = vk_xdp_query(o->ifindex, &a);
	if (err) {
		query_failed("xdp detach", o->dev, err);
		return EXIT_FAIL;
	}
	if (!a.prog_id) {
		/* Pins left by an attach whose program is gone from the device. */
		if (o->pin && !check_pins(o->pin, 0, &rec)) {
			fprintf(stderr, "vnetkit: xdp detach: note: %s has no XDP program "
				"attached\n", o->dev);
			return remove_pins(&rec) ? EXIT_FAIL : 0;
		}
		if (!o->pin)
			vk_errf("xdp detach", "vnetkit xdp status lists attached programs",
				"%s has no XDP program attached", o->dev);
		return EXIT_FAIL;
	}
	if (o->id && o->id != a.prog_id) {
		vk_errf("xdp detach", "vnetkit xdp status shows the id",
			"--id %u is not the program attached to %s (id %u '%s'): nothing "
			"detached", o->id, o->dev, a.prog_id, a.name);
		return EXIT_FAIL;
	}
	if (!is_vnetkit_prog(&a) && !o->id && !o->force) {
		vk_errf("xdp detach", NULL, "the program on %s (id %u '%s', %s mode) was not "
			"loaded by vnetkit: left attached (to detach it anyway: vnetkit xdp "
			"detach --dev %s --id %u)", o->dev, a.prog_id, a.name, a.mode, o->dev,
			a.prog_id);
		return EXIT_FAIL;
	}
	if (o->pin && check_pins(o->pin, a.prog_id, &rec))
		return EXIT_FAIL;
	link = xdp_link_id(o->ifindex);
	if (link) {
		vk_errf("xdp detach", NULL, "the program on %s is held by bpf_link id %u (a "
			"running vnetkit xdp run or another tool's link): it goes when that "
			"process exits or the link is unpinned (see bpftool link show id %u)",
			o->dev, link, link);
		return EXIT_FAIL;
	}
	for (size_t i = 0; !err && i < ARRAY_SIZE(modes); i++) {
		__u32 id = *(__u32 *)((char *)&a + modes[i].off);
		LIBBPF_OPTS(bpf_xdp_attach_opts, ao);

		if (!id)
			continue;
		/* Detach exactly the program checked above: if another took
		 * its place meanwhile, the kernel refuses (EEXIST). */
		ao.old_prog_fd = bpf_prog_get_fd_by_id(id);
		if (ao.old_prog_fd < 0) {
			err = -errno;
			break;
		}
		err = bpf_xdp_detach(o->ifindex, modes[i].flag | XDP_FLAGS_REPLACE, &ao);
		close(ao.old_prog_fd);
	}
	if (err) {
		vk_errf("xdp detach", err == -EEXIST ? "the program changed while detaching: "
			"check vnetkit xdp status" : NULL, "detaching from %s failed: %s",
			o->dev, strerror(-err));
		return EXIT_FAIL;
	}
	printf("detached %s (prog id %u, %s mode) from %s\n", a.name, a.prog_id, a.mode, o->dev);
	if (o->pin && remove_pins(&rec))
		return EXIT_FAIL;
	fd = bpf_prog_get_fd_by_id(a.prog_id);
	if (fd >= 0) {
		close(fd);
		printf("note: program id %u is still alive: it is pinned or held open "
		       "(vnetkit xdp detach --pin DIR removes our pins; see bpftool prog show id %u)\n",
		       a.prog_id, a.prog_id);
	}
	return 0;
}

/* ---- status ---------------------------------------------------------- */

static int cmd_status(const struct opts *o)
{
	struct if_nameindex *ifs, *it;
	json_t *doc = NULL, *list = NULL;
	int shown = 0, err;

	ifs = if_nameindex();
	if (!ifs) {
		vk_errf("xdp status", NULL, "cannot list interfaces: %s", strerror(errno));
		return EXIT_FAIL;
	}
	if (o->json) {
		doc = vk_json_doc("xdp-status", 1);
		list = json_array();
		vk_jset(doc, "interfaces", list);
	} else {
		printf("%-15s %-8s %6s  %-16s %s\n", "dev", "mode", "id", "program", "since");
	}
	for (it = ifs; it->if_index; it++) {
		struct vk_attached a;
		char since[64] = "", fbuf[96];
		__u64 feat = 0;
		json_t *j;
		int ferr;

		if (o->dev && strcmp(o->dev, it->if_name))
			continue;
		err = vk_xdp_query(it->if_index, &a);
		if (err == -ENODEV)
			continue;	/* went away while listing */
		if (err) {
			query_failed("xdp status", it->if_name, err);
			if_freenameindex(ifs);
			if (doc)
				vk_json_print(doc, EXIT_FAIL);
			return EXIT_FAIL;
		}
		if (!a.prog_id && !o->dev)
			continue;
		ferr = vk_xdp_features(it->if_index, &feat);
		if (a.prog_id)
			fmt_since(a.load_time_ns, since, sizeof(since));
		if (o->json) {
			j = json_object();
			vk_jstr(j, "dev", it->if_name);
			vk_jint(j, "ifindex", it->if_index);
			vk_jint(j, "prog_id", a.prog_id);
			if (a.prog_id) {
				vk_jstr(j, "mode", a.mode);
				vk_jstr(j, "program", a.name);
				vk_jint(j, "loaded_at", load_wall_time(a.load_time_ns));
				vk_jbool(j, "vnetkit", is_vnetkit_prog(&a));
				vk_jstr(j, "attach", attach_how(xdp_link_id(it->if_index)));
			}
			vk_jstr(j, "xdp_features", ferr ? NULL :
				vk_xdp_features_str(feat, fbuf, sizeof(fbuf)));
			json_array_append_new(list, j);
		} else if (a.prog_id) {
			printf("%-15s %-8s %6u  %-16s %s\n", it->if_name, a.mode, a.prog_id,
			       a.name, since);
		} else {
			printf("%-15s %-8s %6s  %-16s\n", it->if_name, "-", "-", "(none)");
		}
		if (!o->json && o->dev)
			printf("xdp features: %s\n", ferr ? "not reported by this kernel" :
			       vk_xdp_features_str(feat, fbuf, sizeof(fbuf)));
		shown++;
	}
	if_freenameindex(ifs);
	if (doc)
		vk_json_print(doc, 0);
	else if (!shown)
		printf("(no XDP programs attached)\n");
	return 0;
}

/* ---- stats / run ----------------------------------------------------- */

/* How a watch ended; in the summary as "end". */
enum watch_end { END_DURATION, END_INTERRUPTED, END_DEVICE_GONE, END_DETACHED,
		 END_REPLACED, END_ERROR };
static const char *const end_names[] = {
	"duration", "interrupted", "device gone", "detached", "replaced", "error",
};

struct sampler {
	int map_fd;
	struct vk_stats first, prev, cur;
	int nsamples;
	json_t *json_samples;	/* collected sample objects for --json */
	double t0;		/* the time column runs on across a replacement */
	__u32 replaced[16];	/* ids of the programs followed before this one */
	int nreplaced;
};

static void stats_copy(struct vk_stats *d, const struct vk_stats *src)
{
	d->t = src->t;
	memcpy(d->total, src->total, sizeof(src->total));
	memcpy(d->rxq, src->rxq, sizeof(src->rxq));
	memcpy(d->cpu, src->cpu, (size_t)src->ncpu * VK_STAT_SLOTS * sizeof(*src->cpu));
}

static int sampler_init(struct sampler *s, int map_fd, bool json)
{
	memset(s, 0, sizeof(*s));
	s->map_fd = map_fd;
	if (vk_stats_init(&s->first) || vk_stats_init(&s->prev) || vk_stats_init(&s->cur))
		return -ENOMEM;
	if (json) {
		s->json_samples = json_array();
		if (!s->json_samples)
			return -ENOMEM;
	}
	if (vk_stats_read(map_fd, &s->first))
		return -errno;
	s->prev.t = s->first.t;
	s->t0 = s->first.t;
	memcpy(s->prev.total, s->first.total, sizeof(s->first.total));
	return 0;
}

static void sampler_free(struct sampler *s)
{
	vk_stats_free(&s->first);
	vk_stats_free(&s->prev);
	vk_stats_free(&s->cur);
	json_decref(s->json_samples);
}

static void print_rate_header(void)
{
	printf("%8s %10s %10s %10s %10s %10s %10s %10s\n", "time", "pkts/s", "drop/s",
	       "pass/s", "tx/s", "redir/s", "abort/s", "errors/s");
}

static int sampler_tick(struct sampler *s, const struct opts *o)
{
	struct vk_stats tmp;
	double dt, rate[VK_STAT_SLOTS], all = 0, errs = 0;
	int err;

	err = vk_stats_read(s->map_fd, &s->cur);
	if (err)
		return err;
	dt = s->cur.t - s->prev.t;
	if (dt <= 0)
		dt = 1e-9;
	for (int i = 0; i < VK_STAT_SLOTS; i++) {
		rate[i] = (s->cur.total[i].packets - s->prev.total[i].packets) / dt;
		if (i < VK_NR_VERDICTS)
			all += rate[i];
		else
			errs += rate[i];
	}
	if (s->json_samples) {
		json_t *j = json_object();

		vk_jreal(j, "t", s->cur.t - s->t0, 3);
		vk_jreal(j, "pps", all, 1);
		for (int i = 0; i < VK_STAT_SLOTS; i++)
			vk_jreal(j, vk_slot_name(i), rate[i], 1);
		json_array_append_new(s->json_samples, j);
	} else {
		if (s->nsamples % 20 == 0)
			print_rate_header();
		printf("%7.1fs %10.0f %10.0f %10.0f %10.0f %10.0f %10.0f %10.0f\n",
		       s->cur.t - s->t0, all, rate[XDP_DROP], rate[XDP_PASS], rate[XDP_TX],
		       rate[XDP_REDIRECT], rate[XDP_ABORTED], errs);
		if (o->per_rxq)
			for (int q = 0; q < VK_MAX_RXQ; q++) {
				double n = 0;

				for (int v = 0; v < VK_NR_VERDICTS; v++)
					n += s->cur.rxq[q][v].packets - s->prev.rxq[q][v].packets;
				if (n > 0)
					printf("%8s %10.0f  rxq %d\n", "", n / dt, q);
			}
		if (o->per_cpu)
			for (int c = 0; c < s->cur.ncpu; c++) {
				double n = 0;

				for (int v = 0; v < VK_NR_VERDICTS; v++)
					n += s->cur.cpu[c * VK_STAT_SLOTS + v].packets -
					     s->prev.cpu[c * VK_STAT_SLOTS + v].packets;
				if (n > 0)
					printf("%8s %10.0f  cpu %d\n", "", n / dt, c);
			}
		fflush(stdout);
	}
	s->nsamples++;
	tmp = s->prev;
	s->prev = s->cur;
	s->cur = tmp;
	return 0;
}

static json_t *counter_json(const struct vk_xdp_counter *a,
			    const struct vk_xdp_counter *b)
{
	return json_pack("{s:I, s:I}", "packets", (json_int_t)(a->packets - b->packets),
			 "bytes", (json_int_t)(a->bytes - b->bytes));
}

/* Final report: counts since the sampler started (run) or absolute (stats).
 * rc: the exit code, for the --json document. */
static void print_summary(struct sampler *s, const struct opts *o, const struct vk_attached *a,
			  bool since_start, const char *how, enum watch_end end, int rc)
{
	struct vk_stats *last = &s->prev;	/* most recent read */
	struct vk_stats zero;
	const struct vk_stats *base = since_start ? &s->first : &zero;
	double secs = last->t - s->first.t;
	__u64 pkts = 0;

	memset(&zero, 0, sizeof(zero));
	for (int v = 0; v < VK_NR_VERDICTS; v++)
		pkts += last->total[v].packets - base->total[v].packets;
	if (o->json) {
		json_t *doc = vk_json_doc("xdp-stats", 1), *j, *arr;

		vk_jstr(doc, "dev", o->dev);
		vk_jint(doc, "prog_id", a->prog_id);
		vk_jstr(doc, "program", a->name);
		vk_jstr(doc, "mode", a->mode);
		vk_jstr(doc, "attach", how);
		vk_jstr(doc, "end", end_names[end]);
		vk_jbool(doc, "interrupted", end == END_INTERRUPTED);
		arr = json_array();
		for (int i = 0; i < s->nreplaced; i++)
			json_array_append_new(arr, json_integer(s->replaced[i]));
		vk_jset(doc, "replaced_from", arr);
		vk_jreal(doc, "seconds", secs, 3);
		vk_ju64(doc, "packets", pkts);
		vk_jreal(doc, "pps", secs > 0 ? pkts / secs : 0.0, 1);
		j = json_object();
		for (int i = 0; i < VK_STAT_SLOTS; i++)
			vk_jset(j, vk_slot_name(i), counter_json(&last->total[i], &base->total[i]));
		vk_jset(doc, "total", j);
		arr = json_array();
		for (int q = 0; q < VK_MAX_RXQ; q++) {
			__u64 n = 0;

			for (int v = 0; v < VK_NR_VERDICTS; v++)
				n += last->rxq[q][v].packets - base->rxq[q][v].packets;
			if (!n)
				continue;
			j = json_object();
			vk_jint(j, "queue", q);
			for (int i = 0; i < VK_STAT_SLOTS; i++)
				vk_jset(j, vk_slot_name(i), counter_json(&last->rxq[q][i],
									 &base->rxq[q][i]));
			json_array_append_new(arr, j);
		}
		vk_jset(doc, "rxq", arr);
		arr = json_array();
		for (int c = 0; c < last->ncpu; c++) {
			__u64 n = 0;

			for (int v = 0; v < VK_NR_VERDICTS; v++)
				n += last->cpu[c * VK_STAT_SLOTS + v].packets -
				     (since_start ? base->cpu[c * VK_STAT_SLOTS + v].packets : 0);
			if (!n)
				continue;
			json_array_append_new(arr, json_pack("{s:i, s:I}", "cpu", c,
							     "packets", (json_int_t)n));
		}
		vk_jset(doc, "cpu", arr);
		vk_jset(doc, "samples", json_incref(s->json_samples ? s->json_samples :
						      json_array()));
		if (rc && !vk_ctx.have_err)
			vk_errf(o->sub, NULL, "the watch ended early: %s", end_names[end]);
		vk_json_print(doc, rc);
		return;
	}
	printf("%s: %s (prog id %u, %s mode, attached through %s)%s%s\n", o->dev, a->name,
	       a->prog_id, a->mode, how, since_start ? "" : ", counted since load",
	       s->nreplaced ? ", counted since it replaced the previous program" : "");
	if (end != END_DURATION)
		printf("  ended early: %s%s\n", end_names[end],
		       end == END_INTERRUPTED && !o->duration ?
		       " (no --duration: Ctrl-C ends it)" : "");
	printf("  %-10s %14s %16s\n", "verdict", "packets", "bytes");
	for (int i = 0; i < VK_STAT_SLOTS; i++) {
		__u64 p = last->total[i].packets - base->total[i].packets;
		__u64 b = last->total[i].bytes - base->total[i].bytes;

		if (p || i == XDP_DROP || i == XDP_PASS || i == XDP_TX || i == XDP_REDIRECT)
			printf("  %-10s %14llu %16llu\n", vk_slot_name(i),
			       (unsigned long long)p, (unsigned long long)b);
	}
	if (since_start && secs > 0) {
		char r[32];

		printf("  %llu packets in %.2fs: %s pps\n", (unsigned long long)pkts, secs,
		       vk_fmt_rate(r, sizeof(r), pkts / secs));
	}
}

static int open_stats(const char *what, const struct opts *o, struct vk_attached *a);

/* Is the program we count still the one on the device, and the device
 * still there? A vanished device or a detached program ends the watch; a
 * program replaced by another vnetkit program is followed (its own
 * counters, from zero); one replaced by a foreign program ends it. */
static enum watch_end follow(struct sampler *s, const struct opts *o,
			     struct vk_attached *a, bool own_link)
{
	const char *what = own_link ? "xdp run" : "xdp stats";
	char name[IF_NAMESIZE];
	struct vk_attached now;
	int fd, err = 0;

	if (if_indextoname(o->ifindex, name) && !strcmp(name, o->dev) && !own_link)
		err = vk_xdp_query(o->ifindex, &now);
	if (!if_indextoname(o->ifindex, name) || strcmp(name, o->dev) || err == -ENODEV) {
		vk_errf(what, NULL, "device %s (ifindex %d) vanished", o->dev, o->ifindex);
		return END_DEVICE_GONE;
	}
	if (own_link)
		return END_DURATION;	/* our bpf_link: nobody can swap the program */
	if (err) {
		query_failed(what, o->dev, err);
		return END_ERROR;
	}
	if (now.prog_id == a->prog_id)
		return END_DURATION;
	if (!now.prog_id) {
		vk_errf("xdp stats", NULL, "program id %u '%s' was detached from %s",
			a->prog_id, a->name, o->dev);
		return END_DETACHED;
	}
	if (!is_vnetkit_prog(&now)) {
		vk_errf("xdp stats", NULL, "program id %u on %s was replaced by id %u '%s', "
			"which vnetkit did not load (no %s map to read)", a->prog_id, o->dev,
			now.prog_id, now.name, VK_STATS_MAP_NAME);
		return END_REPLACED;
	}
	fd = bpf_map_get_fd_by_id(now.stats_map_id);
	if (fd < 0)
		return END_REPLACED;
	if (!o->json)
		printf("program on %s replaced: id %u '%s' -> id %u '%s'; following it "
		       "(its counters)\n", o->dev, a->prog_id, a->name, now.prog_id, now.name);
	close(s->map_fd);
	s->map_fd = fd;
	if (s->nreplaced < (int)ARRAY_SIZE(s->replaced))
		s->replaced[s->nreplaced++] = a->prog_id;
	/* From here on the new program's counters: the summary covers it
	 * alone, since the switch. */
	if (vk_stats_read(fd, &s->first))
		return END_ERROR;
	stats_copy(&s->prev, &s->first);
	*a = now;
	return END_DURATION;
}

static enum watch_end watch(struct sampler *s, const struct opts *o, bool timed,
			    struct vk_attached *a, bool own_link)
{
	double start = vk_now(), next = start + o->interval;
	enum watch_end end;

	while (!vk_stop) {
		double now = vk_now();

		if (timed && o->duration > 0 && now - start >= o->duration)
			break;
		if (now < next) {
			double until = next - now;

			if (timed && o->duration > 0 && start + o->duration < next)
				until = start + o->duration - now;
			vk_sleep(until > 0 ? until : 0);
			continue;
		}
		end = follow(s, o, a, own_link);
		if (end != END_DURATION)
			return end;
		if (sampler_tick(s, o))
			return END_ERROR;
		next += o->interval;
	}
	end = follow(s, o, a, own_link);
	if (end != END_DURATION)
		return end;
	if (sampler_tick(s, o))
		return END_ERROR;
	return vk_stop ? END_INTERRUPTED : END_DURATION;
}

static int open_stats(const char *what, const struct opts *o, struct vk_attached *a)
{
	int err = vk_xdp_query(o->ifindex, a), fd;

	if (err) {
		query_failed(what, o->dev, err);
		return -1;
	}
	if (!a->prog_id) {
		vk_errf(what, "attach one: vnetkit xdp attach --dev IF --action ...",
			"%s has no XDP program attached", o->dev);
		return -1;
	}
	if (!a->stats_map_id) {
		vk_errf(what, "use bpftool prog show / bpftool map dump for other programs",
			"the program on %s (id %u '%s') is not a vnetkit program (no %s map)",
			o->dev, a->prog_id, a->name, VK_STATS_MAP_NAME);
		return -1;
	}
	fd = bpf_map_get_fd_by_id(a->stats_map_id);
	if (fd < 0)
		vk_errf(what, NULL, "cannot open the counters map: %s", strerror(errno));
	return fd;
}

/* Interrupting a run with no --duration is how it ends; with one, the
 * run did not complete. */
static int end_status(const struct opts *o, enum watch_end end)
{
	if (end == END_DURATION)
		return 0;
	if (end == END_INTERRUPTED && !o->duration)
		return 0;
	return EXIT_FAIL;
}

static int cmd_stats(const struct opts *o)
{
	enum watch_end end = END_DURATION;
	bool timed = o->timed;
	struct vk_attached a;
	struct sampler s;
	int fd, ret;

	fd = open_stats("xdp stats", o, &a);
	if (fd < 0)
		return EXIT_FAIL;
	if (sampler_init(&s, fd, o->json)) {
		vk_err("xdp stats", "cannot read counters", NULL);
		ret = EXIT_FAIL;
		goto out;
	}
	if (timed) {
		vk_install_signals();
		end = watch(&s, o, true, &a, false);
	} else {
		stats_copy(&s.prev, &s.first);
	}
	ret = end_status(o, end);
	print_summary(&s, o, &a, timed, attach_how(xdp_link_id(o->ifindex)), end, ret);
out:
	close(s.map_fd);
	sampler_free(&s);
	return ret;
}

static int cmd_run(const struct opts *o)
{
	struct attached_state st;
	enum watch_end end;
	struct vk_attached a;
	struct sampler s;

	vk_install_signals();
	if (attach(o, &st, true))
		return EXIT_FAIL;
	if (!o->json)
		print_attached(o, &st);
	/* Described from our own fds: no BPF_PROG_GET_FD_BY_ID, so run needs
	 * no CAP_SYS_ADMIN. */
	memset(&a, 0, sizeof(a));
	a.prog_id = obj_id(bpf_program__fd(st.x.prog));
	a.mode = st.mode;
	snprintf(a.name, sizeof(a.name), "%s", bpf_program__name(st.x.prog));
	if (sampler_init(&s, bpf_map__fd(st.x.stats), o->json)) {
		vk_err("xdp run", "cannot read counters", NULL);
		release(&st, true);
		return EXIT_FAIL;
	}
	end = watch(&s, o, true, &a, true);
	if (!o->json)
		printf("%s, detaching\n", end == END_INTERRUPTED ? "interrupted" :
		       end == END_DURATION ? "duration reached" : end_names[end]);
	print_summary(&s, o, &a, true, attach_how(true), end, end_status(o, end));
	sampler_free(&s);
	release(&st, true);
	return end_status(o, end);
}

/* ---- bench: cost per packet through BPF_PROG_TEST_RUN ------------------ */

static void build_frame(unsigned char *f, size_t len)
{
	static const unsigned char hdr[] = {
		0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,	/* Ethernet */
		0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0,		/* IPv4 */
		10, 77, 0, 1, 10, 77, 0, 2,
		0x30, 0x39, 0x30, 0x3a, 0, 0, 0, 0,			/* UDP */
	};

	memset(f, 0xab, len);
	memcpy(f, hdr, len < sizeof(hdr) ? len : sizeof(hdr));
}

static int cmd_bench(const struct opts *o)
{
	static const enum vk_action order[] = {
		VK_ACT_EMPTY, VK_ACT_DROP, VK_ACT_PASS, VK_ACT_TX, VK_ACT_REDIRECT,
	};
	double min[ARRAY_SIZE(order)], med[ARRAY_SIZE(order)];
	unsigned char frame[4000];
	double *ns;
	int ret = 0;

	ns = calloc(o->rounds, sizeof(*ns));
	if (!ns)
		return EXIT_FAIL;
	build_frame(frame, o->size);
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		struct vk_xdp x;
		int err = vk_xdp_open(&x, order[i]);

		if (!err)
			err = vk_xdp_load(&x);
		if (!err && x.tx_port) {
			__u32 key = 0, lo = if_nametoindex("lo");

			err = bpf_map__update_elem(x.tx_port, &key, sizeof(key), &lo,
						   sizeof(lo), 0) ? -errno : 0;
		}
		for (__u64 r = 0; !err && r < o->rounds; r++) {
			LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame,
				    .data_size_in = o->size, .repeat = o->repeat);

			err = bpf_prog_test_run_opts(bpf_program__fd(x.prog), &t);
			if (err)
				err = -errno;
			/* The kernel's own timer: it stops while the test task is
			 * preempted, so a busy machine does not inflate it. */
			ns[r] = t.duration;
		}
		vk_xdp_close(&x);
		if (err) {
			vk_errf("xdp bench", NULL, "BPF_PROG_TEST_RUN of %s failed: %s",
				vk_action_name(order[i]), strerror(-err));
			ret = EXIT_FAIL;
			goto out;
		}
		vk_min_median(ns, o->rounds, &min[i], &med[i]);
	}
	if (o->json) {
		json_t *doc = vk_json_doc("xdp-bench", 1), *arr = json_array();

		vk_ju64(doc, "repeat", o->repeat);
		vk_ju64(doc, "rounds", o->rounds);
		vk_ju64(doc, "size", o->size);
		for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
			json_t *j = json_object();

			vk_jstr(j, "program", vk_action_name(order[i]));
			vk_jreal(j, "ns_min", min[i], 1);
			vk_jreal(j, "ns_median", med[i], 1);
			vk_jreal(j, "ratio_median", med[0] > 0 ? med[i] / med[0] : 0.0, 3);
			json_array_append_new(arr, j);
		}
		vk_jset(doc, "programs", arr);
		vk_json_print(doc, 0);
	} else {
		printf("BPF_PROG_TEST_RUN, %llu-byte frame, repeat %llu, %llu rounds "
		       "(ns per packet; ratio = median / empty program's median)\n",
		       (unsigned long long)o->size, (unsigned long long)o->repeat,
		       (unsigned long long)o->rounds);
		printf("  %-10s %10s %10s %8s\n", "program", "min ns", "median ns", "ratio");
		for (size_t i = 0; i < ARRAY_SIZE(order); i++)
			printf("  %-10s %10.0f %10.0f %7.2fx\n", vk_action_name(order[i]), min[i],
			       med[i], med[0] > 0 ? med[i] / med[0] : 0.0);
	}
out:
	free(ns);
	return ret;
}

/* Loading an XDP program: CAP_BPF + CAP_NET_ADMIN, and CAP_PERFMON (the
 * verifier refuses our programs' map value arithmetic without it: the
 * Spectre v1 hardening for unprivileged loaders). Opening a program or map
 * by id (BPF_*_GET_FD_BY_ID: the name, the maps and counters of what is
 * attached) is CAP_SYS_ADMIN in the kernel, as is entering a namespace. */
static __u64 needed_caps(const struct opts *o)
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
	struct opts o;
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
		return cmd_attach(&o);
	if (!strcmp(o.sub, "detach"))
		return cmd_detach(&o);
	if (!strcmp(o.sub, "status"))
		return cmd_status(&o);
	if (!strcmp(o.sub, "stats"))
		return cmd_stats(&o);
	if (!strcmp(o.sub, "run"))
		return cmd_run(&o);
	return cmd_bench(&o);
}
