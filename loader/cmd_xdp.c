// SPDX-License-Identifier: GPL-2.0
/* vnetkit xdp: attach, detach, inspect, watch and run our XDP programs.
 *
 * Attachment goes through netlink (bpf_xdp_attach), so an attached program
 * outlives the process until `detach`; `run` attaches for its own lifetime
 * and always detaches. Never falls back to a slower mode silently.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
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
#include "xdp_obj.h"

enum mode { MODE_AUTO, MODE_NATIVE, MODE_GENERIC };

enum {
	OPT_DEV = 1 << 0, OPT_ACTION = 1 << 1, OPT_TO = 1 << 2,
	OPT_MODE = 1 << 3, OPT_PIN = 1 << 4, OPT_INTERVAL = 1 << 5,
	OPT_DURATION = 1 << 6, OPT_JSON = 1 << 7, OPT_REPLACE = 1 << 8,
	OPT_PER_RXQ = 1 << 9, OPT_PER_CPU = 1 << 10, OPT_REPEAT = 1 << 11,
	OPT_ROUNDS = 1 << 12, OPT_SIZE = 1 << 13,
	/* 1 << 14 is --help */
	OPT_FORCE = 1 << 15, OPT_ID = 1 << 16, OPT_NETNS = 1 << 17,
};

struct opts {
	const char *sub;
	const char *dev, *to, *pin, *netns;
	int ifindex, to_ifindex;
	int action;
	enum mode mode;
	double interval, duration;
	__u64 repeat, rounds, size;
	__u32 id;
	bool json, replace, per_rxq, per_cpu, force;
	unsigned int seen;
};

static const struct option long_opts[] = {
	{ "dev", required_argument, NULL, 'd' },
	{ "action", required_argument, NULL, 'a' },
	{ "to", required_argument, NULL, 't' },
	{ "mode", required_argument, NULL, 'm' },
	{ "pin", required_argument, NULL, 'p' },
	{ "interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'D' },
	{ "json", no_argument, NULL, 'j' },
	{ "replace", no_argument, NULL, 'R' },
	{ "per-rxq", no_argument, NULL, 'r' },
	{ "per-cpu", no_argument, NULL, 'e' },
	{ "repeat", required_argument, NULL, 'n' },
	{ "rounds", required_argument, NULL, 'k' },
	{ "size", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ "force", no_argument, NULL, 'F' },
	{ "id", required_argument, NULL, 'I' },
	{ "netns", required_argument, NULL, 'N' },
	{}
};

static const struct {
	const char *name;
	unsigned int allowed, required;
	const char *usage;
} subs[] = {
	{ "attach", OPT_DEV | OPT_ACTION | OPT_TO | OPT_MODE | OPT_PIN | OPT_REPLACE |
	  OPT_FORCE | OPT_NETNS, OPT_DEV | OPT_ACTION,
	  "attach --dev IF --action drop|pass|tx|redirect [--to IF]\n"
	  "              [--mode native|generic|auto] [--pin DIR] [--replace [--force]]\n"
	  "              [--netns NS]" },
	{ "detach", OPT_DEV | OPT_PIN | OPT_FORCE | OPT_ID | OPT_NETNS, OPT_DEV,
	  "detach --dev IF [--pin DIR] [--id N | --force] [--netns NS]" },
	{ "status", OPT_DEV | OPT_JSON | OPT_NETNS, 0, "status [--dev IF] [--json] [--netns NS]" },
	{ "stats", OPT_DEV | OPT_INTERVAL | OPT_DURATION | OPT_JSON | OPT_PER_RXQ |
	  OPT_PER_CPU | OPT_NETNS, OPT_DEV,
	  "stats --dev IF [--interval S] [--duration S] [--per-rxq] [--per-cpu] [--json]\n"
	  "              [--netns NS]" },
	{ "run", OPT_DEV | OPT_ACTION | OPT_TO | OPT_MODE | OPT_INTERVAL |
	  OPT_DURATION | OPT_JSON | OPT_PER_RXQ | OPT_PER_CPU | OPT_NETNS,
	  OPT_DEV | OPT_ACTION,
	  "run --dev IF --action A [--to IF] [--mode M] [--interval S]\n"
	  "              [--duration S] [--per-rxq] [--per-cpu] [--json] [--netns NS]" },
	{ "bench", OPT_REPEAT | OPT_ROUNDS | OPT_SIZE | OPT_JSON, 0,
	  "bench [--repeat N] [--rounds R] [--size B] [--json]" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage:\n");
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		fprintf(f, "  vnetkit xdp %s\n", subs[i].usage);
	fprintf(f, "\nactions: drop, pass, tx (swap MACs, send back), redirect (to --to IF)\n"
		   "modes: native (driver), generic (skb), auto (native, else generic - says which)\n"
		   "\nattach holds the program through netlink: it stays after vnetkit exits\n"
		   "(vnetkit xdp detach removes it); run holds it through a bpf_link, which\n"
		   "the kernel removes when run exits, however it ends (even SIGKILL).\n"
		   "detach and attach --replace act only on vnetkit's own programs (vk_xdp_*\n"
		   "with their vk_stats map); --id N (the program attached now) or --force\n"
		   "is needed for any other. detach --pin removes only the pins that\n"
		   "attach --pin recorded (same ids), in a directory holding nothing else.\n"
		   "--netns NS: netlink and attachment in namespace NS; pins stay in the\n"
		   "host's /sys/fs/bpf (under ip netns exec, --pin is refused).\n");
}

static const char *opt_name(unsigned int bit)
{
	for (int i = 0; long_opts[i].name; i++)
		if ((1u << i) == bit)
			return long_opts[i].name;
	return "?";
}

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

/* Returns 0, or the exit code to return. */
static int parse(int argc, char **argv, struct opts *o)
{
	unsigned int allowed = 0, required = 0;
	struct vk_opt_seen seen = {};
	int c, si = -1;

	memset(o, 0, sizeof(*o));
	o->action = -1;
	o->interval = 1;
	o->repeat = 1000000;
	o->rounds = 5;
	o->size = 64;
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	o->sub = argv[1];
	if (!strcmp(o->sub, "--help") || !strcmp(o->sub, "-h")) {
		usage(stdout);
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (!strcmp(o->sub, subs[i].name))
			si = i;
	if (si < 0) {
		vk_errf("xdp", "use attach, detach, status, stats, run or bench",
			"unknown subcommand '%s'", o->sub);
		return EXIT_USAGE;
	}
	allowed = subs[si].allowed;
	required = subs[si].required;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, ":h", long_opts, NULL)) != -1) {
		unsigned int bit = 0;
		uint64_t v;

		if (c != 'h' && c != ':' && c != '?' &&
		    vk_opt_once(&seen, "xdp", long_opts, c))
			return EXIT_USAGE;
		for (int i = 0; long_opts[i].name; i++)
			if (long_opts[i].val == c && c != 'h')
				bit = 1u << i;
		if (bit && !(allowed & bit)) {
			vk_errf("xdp", "see vnetkit xdp --help",
				"option --%s is not valid for '%s'", opt_name(bit), o->sub);
			return EXIT_USAGE;
		}
		o->seen |= bit;
		switch (c) {
		case 'd': o->dev = optarg; break;
		case 't': o->to = optarg; break;
		case 'p': o->pin = optarg; break;
		case 'j': o->json = true; break;
		case 'R': o->replace = true; break;
		case 'F': o->force = true; break;
		case 'N':
			if (!vk_valid_nsname(optarg)) {
				vk_errf("xdp --netns", "a name from ip netns list",
					"invalid namespace name '%s'", optarg);
				return EXIT_USAGE;
			}
			o->netns = optarg;
			break;
		case 'I':
			if (vk_parse_u64("xdp --id", optarg, 1, UINT32_MAX, &v))
				return EXIT_USAGE;
			o->id = v;
			break;
		case 'r': o->per_rxq = true; break;
		case 'e': o->per_cpu = true; break;
		case 'a':
			o->action = vk_action_parse(optarg);
			if (o->action < 0 || o->action == VK_ACT_EMPTY) {
				vk_errf("xdp", "use drop, pass, tx or redirect",
					"unknown action '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'm':
			if (!strcmp(optarg, "native") || !strcmp(optarg, "drv"))
				o->mode = MODE_NATIVE;
			else if (!strcmp(optarg, "generic") || !strcmp(optarg, "skb"))
				o->mode = MODE_GENERIC;
			else if (!strcmp(optarg, "auto"))
				o->mode = MODE_AUTO;
			else {
				vk_errf("xdp", "use native, generic or auto",
					"unknown mode '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'i':
			if (vk_parse_secs("xdp --interval", optarg, VK_MIN_INTERVAL, 3600,
					  &o->interval))
				return EXIT_USAGE;
			break;
		case 'D':
			if (vk_parse_secs("xdp --duration", optarg, 0.01, 86400 * 365,
					  &o->duration))
				return EXIT_USAGE;
			break;
		case 'n':
			if (vk_parse_u64("xdp --repeat", optarg, 1, 100000000, &v))
				return EXIT_USAGE;
			o->repeat = v;
			break;
		case 'k':
			if (vk_parse_u64("xdp --rounds", optarg, 1, 1000, &v))
				return EXIT_USAGE;
			o->rounds = v;
			break;
		case 's':
			if (vk_parse_u64("xdp --size", optarg, 14, 4000, &v))
				return EXIT_USAGE;
			o->size = v;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case ':':
			vk_errf("xdp", "see vnetkit xdp --help", "option %s needs a value",
				argv[optind]);
			return EXIT_USAGE;
		default:
			vk_errf("xdp", "see vnetkit xdp --help", "unknown option '%s'",
				argv[optind]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc - 1) {
		vk_errf("xdp", "see vnetkit xdp --help", "unexpected argument '%s'",
			argv[optind + 1]);
		return EXIT_USAGE;
	}
	for (unsigned int bit = 1; bit; bit <<= 1)
		if ((required & bit) && !(o->seen & bit)) {
			vk_errf("xdp", "see vnetkit xdp --help", "'%s' needs --%s",
				o->sub, opt_name(bit));
			return EXIT_USAGE;
		}
	if (o->action == VK_ACT_REDIRECT && !o->to) {
		vk_err("xdp", "action redirect needs a target",
		       "add --to IF, the interface frames are sent out of");
		return EXIT_USAGE;
	}
	if (o->force && !o->replace && !strcmp(o->sub, "attach")) {
		vk_err("xdp attach --force", "only with --replace", NULL);
		return EXIT_USAGE;
	}
	if (o->force && o->id) {
		vk_err("xdp detach", "--id and --force exclude each other",
		       "--id N detaches program N only if it is the one attached");
		return EXIT_USAGE;
	}
	if (o->to && o->action != VK_ACT_REDIRECT) {
		vk_err("xdp", "--to is only valid with --action redirect", NULL);
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
	return a->stats_map_id && !strncmp(a->name, "vk_xdp_", 7);
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

	err = vk_xdp_open(&st->x, o->action);
	if (!err)
		err = vk_xdp_set_rodata(&st->x, "per_rxq", &per_rxq, sizeof(per_rxq));
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
			fprintf(stderr, "vnetkit: xdp attach: native mode failed on %s (%s%s%s): "
				"falling back to generic mode\n", o->dev, strerror(-err),
				vk_kernel_msg[0] ? "; kernel says: " : "", vk_kernel_msg);
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
	return 0;
}

static const char *attach_how(bool link)
{
	return link ? "bpf_link" : "netlink";
}

static void print_attached(const struct opts *o, const struct attached_state *st)
{
	printf("attached %s (prog id %u) to %s in %s mode", bpf_program__name(st->x.prog),
	       obj_id(bpf_program__fd(st->x.prog)), o->dev, st->mode);
	if (o->action == VK_ACT_REDIRECT)
		printf(", redirecting to %s", o->to);
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
	int shown = 0, err;

	ifs = if_nameindex();
	if (!ifs) {
		vk_errf("xdp status", NULL, "cannot list interfaces: %s", strerror(errno));
		return EXIT_FAIL;
	}
	if (o->json)
		printf("{\"interfaces\":[");
	else
		printf("%-15s %-8s %6s  %-16s %s\n", "dev", "mode", "id", "program", "since");
	for (it = ifs; it->if_index; it++) {
		struct vk_attached a;
		char since[64] = "", fbuf[96];
		__u64 feat = 0;
		int ferr;

		if (o->dev && strcmp(o->dev, it->if_name))
			continue;
		err = vk_xdp_query(it->if_index, &a);
		if (err == -ENODEV)
			continue;	/* went away while listing */
		if (err) {
			if (o->json)
				printf("],\"error\":\"cannot read the XDP program on %s: %s\"}\n",
				       it->if_name, strerror(-err));
			query_failed("xdp status", it->if_name, err);
			if_freenameindex(ifs);
			return EXIT_FAIL;
		}
		if (!a.prog_id && !o->dev)
			continue;
		ferr = vk_xdp_features(it->if_index, &feat);
		if (a.prog_id)
			fmt_since(a.load_time_ns, since, sizeof(since));
		if (o->json) {
			printf("%s{\"dev\":\"%s\",\"ifindex\":%u,", shown ? "," : "",
			       it->if_name, it->if_index);
			if (a.prog_id)
				printf("\"prog_id\":%u,\"mode\":\"%s\",\"program\":\"%s\","
				       "\"loaded_at\":%lld,\"vnetkit\":%s,\"attach\":\"%s\",",
				       a.prog_id, a.mode, a.name,
				       (long long)load_wall_time(a.load_time_ns),
				       is_vnetkit_prog(&a) ? "true" : "false",
				       attach_how(xdp_link_id(it->if_index)));
			else
				printf("\"prog_id\":0,");
			printf("\"xdp_features\":");
			if (ferr)
				printf("null}");
			else
				printf("\"%s\"}", vk_xdp_features_str(feat, fbuf, sizeof(fbuf)));
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
	if (o->json)
		printf("]}\n");
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
	FILE *json_samples;	/* collected sample objects for --json */
	char *json_buf;
	size_t json_len;
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
		s->json_samples = open_memstream(&s->json_buf, &s->json_len);
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
	if (s->json_samples)
		fclose(s->json_samples);
	free(s->json_buf);
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
		fprintf(s->json_samples, "%s{\"t\":%.3f,\"pps\":%.1f", s->nsamples ? "," : "",
			s->cur.t - s->t0, all);
		for (int i = 0; i < VK_STAT_SLOTS; i++)
			fprintf(s->json_samples, ",\"%s\":%.1f", vk_slot_name(i), rate[i]);
		fprintf(s->json_samples, "}");
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

static void print_counter_json(const char *name, const struct vk_xdp_counter *a,
			       const struct vk_xdp_counter *b, bool first)
{
	printf("%s\"%s\":{\"packets\":%llu,\"bytes\":%llu}", first ? "" : ",", name,
	       (unsigned long long)(a->packets - b->packets),
	       (unsigned long long)(a->bytes - b->bytes));
}

/* Final report: counts since the sampler started (run) or absolute (stats). */
static void print_summary(struct sampler *s, const struct opts *o, const struct vk_attached *a,
			  bool since_start, const char *how, enum watch_end end)
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
		if (s->json_samples)
			fflush(s->json_samples);
		printf("{\"dev\":\"%s\",\"prog_id\":%u,\"program\":\"%s\",\"mode\":\"%s\","
		       "\"attach\":\"%s\",\"end\":\"%s\",\"interrupted\":%s,\"replaced_from\":[",
		       o->dev, a->prog_id, a->name, a->mode, how, end_names[end],
		       end == END_INTERRUPTED ? "true" : "false");
		for (int i = 0; i < s->nreplaced; i++)
			printf("%s%u", i ? "," : "", s->replaced[i]);
		printf("],\"seconds\":%.3f,\"packets\":%llu,", secs, (unsigned long long)pkts);
		printf("\"pps\":%.1f,\"total\":{", secs > 0 ? pkts / secs : 0.0);
		for (int i = 0; i < VK_STAT_SLOTS; i++)
			print_counter_json(vk_slot_name(i), &last->total[i], &base->total[i], !i);
		printf("},\"rxq\":[");
		for (int q = 0, first = 1; q < VK_MAX_RXQ; q++) {
			__u64 n = 0;

			for (int v = 0; v < VK_NR_VERDICTS; v++)
				n += last->rxq[q][v].packets - base->rxq[q][v].packets;
			if (!n)
				continue;
			printf("%s{\"queue\":%d", first ? "" : ",", q);
			for (int i = 0; i < VK_STAT_SLOTS; i++)
				print_counter_json(vk_slot_name(i), &last->rxq[q][i],
						   &base->rxq[q][i], false);
			printf("}");
			first = 0;
		}
		printf("],\"cpu\":[");
		for (int c = 0, first = 1; c < last->ncpu; c++) {
			__u64 n = 0;

			for (int v = 0; v < VK_NR_VERDICTS; v++)
				n += last->cpu[c * VK_STAT_SLOTS + v].packets -
				     (since_start ? base->cpu[c * VK_STAT_SLOTS + v].packets : 0);
			if (!n)
				continue;
			printf("%s{\"cpu\":%d,\"packets\":%llu}", first ? "" : ",", c,
			       (unsigned long long)n);
			first = 0;
		}
		printf("],\"samples\":[%s]}\n", s->json_buf ? s->json_buf : "");
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
	bool timed = o->seen & (OPT_INTERVAL | OPT_DURATION);
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
	print_summary(&s, o, &a, timed, attach_how(xdp_link_id(o->ifindex)), end);
	ret = end_status(o, end);
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
	print_summary(&s, o, &a, true, attach_how(true), end);
	sampler_free(&s);
	release(&st, true);
	return end_status(o, end);
}

/* ---- bench: cost per packet through BPF_PROG_TEST_RUN ------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

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
		qsort(ns, o->rounds, sizeof(*ns), cmp_double);
		min[i] = ns[0];
		med[i] = ns[o->rounds / 2];
	}
	if (o->json) {
		printf("{\"repeat\":%llu,\"rounds\":%llu,\"size\":%llu,\"programs\":[",
		       (unsigned long long)o->repeat, (unsigned long long)o->rounds,
		       (unsigned long long)o->size);
		for (size_t i = 0; i < ARRAY_SIZE(order); i++)
			printf("%s{\"program\":\"%s\",\"ns_min\":%.1f,\"ns_median\":%.1f,"
			       "\"ratio_median\":%.3f}", i ? "," : "", vk_action_name(order[i]),
			       min[i], med[i], med[0] > 0 ? med[i] / med[0] : 0.0);
		printf("]}\n");
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
