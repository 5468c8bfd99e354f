// SPDX-License-Identifier: GPL-2.0
/* vnetkit gen: write Ethernet/IPv4/UDP frames into a TAP file descriptor
 * (tun_get_user, where TAP's XDP runs) or through an AF_PACKET socket on an
 * interface, and the matching receiver (--sink). Frame layout: gen_frame.h.
 *
 * A TAP fd opened O_NONBLOCK lets tun take tun_build_skb(): native XDP runs
 * on the raw buffer and a dropped frame never becomes an skb. A blocking fd
 * (or a frame too big for one page, unless the kernel runs multi-buffer XDP
 * on TAP writes and the program handles frags) makes tun allocate an skb
 * first and run XDP in generic mode, at about 2.5x the cost - so the report
 * names the path that ran.
 *
 * --json schema (one object on stdout; stable, fields only ever added):
 *  sender: mode "gen", interface, kind "tap"|"packet", blocking (bool),
 *    path (string as in the table), native_xdp_path (bool; null for
 *    packet), size, flows, run_id, frames (written), bytes, errors (failed
 *    writes), error_kinds {"EIO": n, "ENOBUFS": n, "short_write": n, ...},
 *    seconds (wall), pps, bps, cpu_seconds (this thread, user + system),
 *    cpu_ns_per_frame, returned, mac_swapped, foreign, corrupt (with --recv:
 *    frames of this run read back, those with source and destination
 *    swapped, other frames read, ours whose length or payload changed;
 *    null without --recv), cost_window {warmup, in_window, opened}: the
 *    vk_cost markers (include/vk_cost_mark.h) open the window after warmup
 *    frames were written and close it after the last write; frames = frames
 *    written inside it.
 *  sink: mode "sink", interface, kind, run_id, expected (--count or null),
 *    received (our frames incl. duplicates), unique, bytes, duplicates,
 *    out_of_order (lower sequence than one already seen), missing,
 *    first_seq, last_seq, other_runs (marked frames of another run id),
 *    foreign (unmarked frames), corrupt (ours, cut or changed: exit 1), flows (distinct UDP source ports),
 *    seconds (first to last frame), pps, complete (bool). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <bpf/btf.h>

#include "commands.h"
#include "gen_frame.h"
#include "netdev.h"
#include "netns.h"
#include "owner.h"
#include "util.h"
#include "vjson.h"
#include "vk_cost_mark.h"
#include "xdp_obj.h"

#define PATH_NATIVE	"tun_build_skb (native XDP path)"
#define PATH_NATIVE_MB	"tun_build_skb, multi-buffer (native XDP path)"
#define PATH_GENERIC	"skb first (generic XDP path)"
#define PATH_PACKET	"af_packet (dev_queue_xmit)"
#define RECV_EVERY	32	/* writes between drains: far below txqueuelen */
#define MAX_ERRNO	140

struct gen_opts {
	const char *tap, *dev, *ready, *netns;
	bool blocking, recv, sink, json, have_run_id;
	uint64_t count, size, rate, flows, warmup;
	double duration, timeout;
	bool count_set, timeout_set, warmup_set;
	struct vk_gen_flow flow;
};

struct gen_result {
	uint64_t frames, bytes, errors, err_by[MAX_ERRNO];
	double seconds;
	double cpu_seconds;	/* this thread, user + system: the write path's
				 * cost even when other jobs share the CPUs */
	const char *path, *path_why;
	bool native;
	bool gone;		/* stopped early: the device disappeared */
	bool interrupted;	/* stopped early: SIGINT/SIGTERM */
	/* --recv */
	uint64_t returned, mac_swapped, foreign, corrupt;
	/* cost window */
	bool cost_opened;
	uint64_t cost_frames;
};

enum { O_TAP, O_DEV, O_BLOCKING, O_COUNT, O_SIZE, O_RATE, O_DURATION, O_SRCMAC,
       O_DSTMAC, O_SRCIP, O_DSTIP, O_SPORT, O_DPORT, O_RECV, O_SINK, O_TIMEOUT,
       O_JSON, O_RUNID, O_READY, O_NETNS, O_FLOWS, O_WARMUP, O_NR };

#define NOT(o)	(1ull << (o))

static const struct vk_opt gen_table[O_NR] = {
	[O_TAP] = { "tap", 0, VK_T_IFNAME, "NAME", .conflicts = NOT(O_DEV),
		.help = "write into the TAP NAME that vnetkit testbed created (fd "
			"O_NONBLOCK: the native XDP path)" },
	[O_DEV] = { "dev", 0, VK_T_IFNAME, "IF",
		.help = "send (or with --sink receive) through an AF_PACKET socket "
			"bound to IF" },
	[O_BLOCKING] = { "blocking", 0, VK_T_FLAG, .conflicts = NOT(O_DEV) | NOT(O_SINK),
		.help = "a blocking TAP fd: the generic XDP path" },
	[O_COUNT] = { "count", 0, VK_T_INT, "N", .min = 1, .max = UINT64_MAX,
		.unit = "frames", .def = "1000",
		.help = "frames to write (with --duration: a cap), or for --sink to "
			"receive" },
	[O_SIZE] = { "size", 0, VK_T_SIZE, "B", .min = VK_GEN_MIN_SIZE,
		.max = VK_GEN_MAX_SIZE, .def = "64",
		.help = "frame size incl. the Ethernet header, no FCS; below 58 the "
			"marker is cut, below 42 the headers too, below 14 tun and "
			"AF_PACKET refuse the write (EINVAL); above the MTU + 14 only "
			"into a TAP" },
	[O_RATE] = { "rate", 0, VK_T_INT, "PPS", .min = 1, .max = 100000000,
		.unit = "frames/s", .conflicts = NOT(O_SINK),
		.help = "pace writes (default: as fast as possible)" },
	[O_DURATION] = { "duration", 0, VK_T_DURATION, "S", .fmin = 0.01, .fmax = 86400,
		.help = "write (or receive) for S seconds" },
	[O_SRCMAC] = { "src-mac", 0, VK_T_STR, "M", .def = "02:00:00:00:00:01",
		.help = "source MAC; the defaults match no device's MAC: the stack "
			"drops the frames early and never answers" },
	[O_DSTMAC] = { "dst-mac", 0, VK_T_STR, "M", .def = "02:00:00:00:00:02",
		.help = "destination MAC" },
	[O_SRCIP] = { "src-ip", 0, VK_T_STR, "A", .def = "192.0.2.1",
		.help = "source IPv4 address (TEST-NET-1 by default)" },
	[O_DSTIP] = { "dst-ip", 0, VK_T_STR, "A", .def = "192.0.2.2",
		.help = "destination IPv4 address" },
	[O_SPORT] = { "sport", 0, VK_T_INT, "P", .min = 0, .max = 65535, .def = "9",
		.help = "UDP source port (9: discard)" },
	[O_DPORT] = { "dport", 0, VK_T_INT, "P", .min = 0, .max = 65535, .def = "9",
		.help = "UDP destination port" },
	[O_RECV] = { "recv", 0, VK_T_FLAG, .conflicts = NOT(O_DEV) | NOT(O_SINK),
		.help = "(TAP) also read the frames coming back out of the TAP fd, "
			"e.g. XDP_TX, and check their MACs are swapped; for an interface "
			"run a second gen --sink --dev IF" },
	[O_SINK] = { "sink", 0, VK_T_FLAG,
		.help = "receive and count our frames until --count arrived or "
			"--timeout passed without one; exit 1 if short" },
	[O_TIMEOUT] = { "timeout", 0, VK_T_DURATION, "S", .fmin = 0.01, .fmax = 86400,
		.def = "2", .help = "(sink, recv) how long to wait for a frame" },
	[O_JSON] = { "json", 0, VK_T_FLAG,
		.help = "one JSON document (schemas vnetkit-gen/1, vnetkit-gen-sink/1)" },
	[O_RUNID] = { "run-id", 0, VK_T_INT, "ID", .min = 1, .max = UINT32_MAX,
		.help = "tag the frames (sender) or select a run (sink); the sender "
			"picks a random one, the sink takes the first seen" },
	[O_READY] = { "ready", 0, VK_T_PATH, "FILE",
		.help = "(sink) create FILE once the socket listens" },
	[O_NETNS] = { "netns", 0, VK_T_NAME, "NS",
		.help = "work inside namespace NS (as ip netns exec NS would)" },
	[O_FLOWS] = { "flows", 0, VK_T_INT, "N", .min = 1, .max = 65536, .def = "1",
		.help = "cycle the UDP source port over N values from --sport, so "
			"hashing (RSS, RPS, fanout) spreads the frames" },
	[O_WARMUP] = { "warmup", 0, VK_T_INT, "N", .min = 0, .max = UINT64_MAX,
		.unit = "frames", .conflicts = NOT(O_SINK),
		.help = "frames written before the cost window (include/vk_cost_mark.h) "
			"opens; default: --count / 10, 0 with --duration" },
};

static const char *const gen_examples[] = {
	"vnetkit gen --tap vktap0 --count 100000",
	"100000 64-byte frames into the testbed's TAP, as fast as it takes them",
	"vnetkit gen --sink --dev vkveth1 --count 5000 --json &",
	"a receiver on one end of the veth pair, checking every frame...",
	"vnetkit gen --dev vkveth0 --count 5000 --size 1500",
	"...and the sender on the other",
	NULL,
};

const struct vk_cmd_spec gen_spec = {
	.name = "gen",
	.summary = "generate Ethernet/IPv4/UDP frames into a TAP or interface",
	.description = "Writes marked Ethernet/IPv4/UDP frames (run id, sequence "
		"number, a payload derived from both) into a TAP, as a VM's virtio "
		"device would, or through an AF_PACKET socket; with --sink, receives "
		"them and checks every frame byte for byte. The report names the "
		"kernel path the frames took (native or generic XDP).",
	.opts = gen_table, .nr_opts = O_NR,
	.examples = gen_examples,
	.json_doc = "gen", .json_version = 1,
};

static int parse_mac(const char *opt, const char *s, uint8_t *mac)
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6 || strlen(s) != 17) {
		vk_errf(opt, "expected aa:bb:cc:dd:ee:ff", "invalid MAC address '%s'", s);
		return -1;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

static int parse_ip(const char *opt, const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		vk_errf(opt, "expected a dotted IPv4 address", "invalid address '%s'", s);
		return -1;
	}
	*ip = a.s_addr;
	return 0;
}

static int parse_opts(int argc, char **argv, struct gen_opts *o)
{
	struct vk_gen_flow *f = &o->flow;
	const struct vk_val *v;
	struct vk_args a;
	int ret;

	ret = vk_cli_parse(&gen_spec, argc, argv, &a);
	if (ret)
		return ret == VK_CLI_HELP ? -2 : -1;
	v = a.v;
	o->tap = vk_val_str(&v[O_TAP]);
	o->dev = vk_val_str(&v[O_DEV]);
	o->blocking = v[O_BLOCKING].set;
	o->recv = v[O_RECV].set;
	o->sink = v[O_SINK].set;
	o->json = v[O_JSON].set;
	o->ready = vk_val_str(&v[O_READY]);
	o->netns = vk_val_str(&v[O_NETNS]);
	o->count = v[O_COUNT].u;
	o->count_set = v[O_COUNT].given;
	o->size = v[O_SIZE].u;
	o->flows = v[O_FLOWS].u;
	o->warmup = v[O_WARMUP].u;
	o->warmup_set = v[O_WARMUP].given;
	o->rate = v[O_RATE].set ? v[O_RATE].u : 0;
	o->duration = v[O_DURATION].set ? v[O_DURATION].d : 0;
	o->timeout = v[O_TIMEOUT].d;
	o->timeout_set = v[O_TIMEOUT].given;
	f->sport = v[O_SPORT].u;
	f->dport = v[O_DPORT].u;
	o->have_run_id = v[O_RUNID].given;
	if (o->have_run_id)
		f->run_id = v[O_RUNID].u;
	if (parse_mac("--src-mac", v[O_SRCMAC].s, f->src_mac) ||
	    parse_mac("--dst-mac", v[O_DSTMAC].s, f->dst_mac) ||
	    parse_ip("--src-ip", v[O_SRCIP].s, &f->src_ip) ||
	    parse_ip("--dst-ip", v[O_DSTIP].s, &f->dst_ip))
		return -1;
	if (!o->tap && !o->dev) {
		vk_err("", "no target", "give exactly one of --tap NAME or --dev IF");
		return -1;
	}
	if (!o->sink && o->ready) {
		vk_err("--ready", "only applies to --sink", NULL);
		return -1;
	}
	/* Without --count, --duration (sender) or the timeouts (sink) end
	 * the run. */
	if (!o->count_set && (o->sink || o->duration))
		o->count = UINT64_MAX;
	if (!o->warmup_set)
		o->warmup = o->count_set ? o->count / 10 : 0;
	if (o->warmup_set && o->count_set && o->warmup >= o->count) {
		vk_errf("gen --warmup", "it must be below --count",
			"%llu leaves no frame for the cost window",
			(unsigned long long)o->warmup);
		return -1;
	}
	if (!o->have_run_id && !o->sink) {
		if (getrandom(&f->run_id, sizeof(f->run_id), 0) != sizeof(f->run_id))
			f->run_id = (uint32_t)vk_now_ns();
		f->run_id |= 1;	/* never 0, so a zeroed buffer never matches */
	}
	return 0;
}

/* ---- devices ---- */

static bool dev_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool up = false;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr))
		up = ifr.ifr_flags & IFF_UP;
	close(fd);
	return up;
}

static int check_dev(const char *what, const char *name)
{
	if (strlen(name) >= IFNAMSIZ || !if_nametoindex(name)) {
		vk_errf(what, "create it with: vnetkit testbed up; then add "
			"--netns vnetkit or run: ip netns exec vnetkit vnetkit gen ...",
			"no such interface '%s' in this network namespace", name);
		return -1;
	}
	if (!dev_up(name)) {
		vk_errf(what, "bring it up: ip link set dev IF up",
			"interface '%s' is down", name);
		return -1;
	}
	return 0;
}

/* Attach to an EXISTING TAP: TUNSETIFF would create a missing one, so its
 * absence and its kind are checked first. Only a TAP a vnetkit testbed
 * created is written into: any other is someone's (a VM's queue, a
 * bridge port), and TUNSETIFF would also rewrite its feature flags. */
static int tap_open(const char *what, const char *name, bool blocking)
{
	char drv[32] = "", bus[32] = "";
	const char *step;
	int fd;

	if (check_dev(what, name))
		return -1;
	if (vk_driver_info(name, drv, sizeof(drv), bus, sizeof(bus)) || strcmp(drv, "tun") ||
	    strcmp(bus, "tap")) {
		vk_errf(what, "use --dev for other interfaces",
			"'%s' is not a TAP device (driver %s%s%s)", name,
			drv[0] ? drv : "unknown", bus[0] ? ", " : "", bus);
		return -1;
	}
	if (!vk_tb_owns_link(name, if_nametoindex(name))) {
		vk_errf(what, "create one: vnetkit testbed up [--name NS] [--tap NAME]",
			"TAP '%s' was not created by vnetkit testbed (no record in %s "
			"for this namespace and ifindex): gen writes only into its own "
			"TAPs", name, VK_TB_RECORD_DIR);
		return -1;
	}
	fd = vk_tap_open(name, 0, !blocking, &step);
	if (fd >= 0)
		return fd;
	if (strcmp(step, "TUNSETIFF"))
		vk_errf(what, "is the tun module loaded?", "%s: %s", step, strerror(-fd));
	else
		vk_errf(what, fd == -EBUSY ? "a single-queue TAP takes one file "
			"descriptor: stop the other reader/writer" : NULL,
			"cannot attach to TAP '%s': %s", name, strerror(-fd));
	return -1;
}

static int packet_open(const char *what, const char *name, bool rx)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int fd, one = 1, big = 64 << 20;

	if (check_dev(what, name))
		return -1;
	/* Protocol 0: a sender socket receives nothing. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, rx ? htons(ETH_P_ALL) : 0);
	if (fd < 0) {
		vk_errf(what, "needs CAP_NET_RAW (run as root)",
			"cannot open an AF_PACKET socket: %s", strerror(errno));
		return -1;
	}
	sll.sll_ifindex = if_nametoindex(name);
	sll.sll_protocol = rx ? htons(ETH_P_ALL) : 0;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		vk_errf(what, NULL, "cannot bind to '%s': %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	if (rx) {
		/* Our own transmissions on IF are not arrivals; a deep queue
		 * keeps a burst from being dropped before we read it. */
		setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	}
	return fd;
}

/* Mirror tun_can_build_skb(): the frame plus headroom and the shared info
 * must fit one page. sizeof(struct skb_shared_info) comes from the running
 * kernel's BTF; NET_SKB_PAD and SMP_CACHE_BYTES are x86's 64. */
/* Below this no plausible skb_shared_info (< 1 KiB) breaks the page
 * limit, and the 5 MB of kernel BTF need not be parsed. */
#define TUN_SURELY_FITS 2048

static size_t tun_build_skb_max(void)
{
	const size_t headroom = 64 /* NET_SKB_PAD */ + 256 /* XDP_PACKET_HEADROOM */;
	size_t shinfo = 320, page = sysconf(_SC_PAGESIZE);
	struct btf *btf = btf__load_vmlinux_btf();

	if (btf) {
		int id = btf__find_by_name_kind(btf, "skb_shared_info", BTF_KIND_STRUCT);

		if (id > 0)
			shinfo = btf__type_by_id(btf, id)->size;
		btf__free(btf);
	}
	shinfo = (shinfo + 63) & ~(size_t)63;
	return page - shinfo - headroom;
}

/* A frame larger than one page still takes the native path when the TAP
 * runs multi-buffer XDP (xdp features rx_sg, the vnetkit tun patches) and
 * the attached program handles frags. bpf_prog_info does not say whether a
 * program was loaded with BPF_F_XDP_HAS_FRAGS: vnetkit's frags variants
 * are known by name (vk_mb_*); any other program counts as single-buffer.
 * *why says what decided. */
static bool tap_native_frags(const char *tap, const char **why)
{
	int ifindex = if_nametoindex(tap);
	struct vk_attached a;
	__u64 feat = 0;

	*why = "frame larger than one page";
	if (!ifindex || vk_xdp_query(ifindex, &a) || !a.prog_id)
		return false;
	if (vk_xdp_features(ifindex, &feat) || !(feat & VK_XDP_ACT_RX_SG)) {
		*why = "frame larger than one page; the TAP lacks rx_sg (multi-buffer XDP)";
		return false;
	}
	if (strncmp(a.name, VK_PROG_PREFIX_MB, sizeof(VK_PROG_PREFIX_MB) - 1)) {
		*why = "frame larger than one page; the program is not a frags variant";
		return false;
	}
	*why = "frame larger than one page; rx_sg and a frags program";
	return true;
}

/* ---- sender ---- */

static void note_error(struct gen_result *r, int err)
{
	r->errors++;
	r->err_by[err > 0 && err < MAX_ERRNO ? err : 0]++;
}

static void drain_returns(int fd, bool poll_first, const struct gen_opts *o,
			  struct gen_result *r, uint8_t *buf, size_t len)
{
	struct vk_gen_mark m;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll_first && poll(&pfd, 1, 0) <= 0)
			return;
		n = read(fd, buf, len);
		if (n <= 0)
			return;
		if (!vk_gen_parse(buf, n, &m) || m.run_id != o->flow.run_id) {
			r->foreign++;
			continue;
		}
		r->returned++;
		if (!vk_gen_intact(buf, n))
			r->corrupt++;
		if (!memcmp(m.dst_mac, o->flow.src_mac, 6) &&
		    !memcmp(m.src_mac, o->flow.dst_mac, 6))
			r->mac_swapped++;
	}
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run_gen(int fd, const struct gen_opts *o, struct gen_result *r)
{
	const bool timed = o->duration > 0, paced = o->rate > 0;
	uint8_t *frame = calloc(1, o->size ? o->size : 1), *rbuf = NULL;
	const size_t rlen = VK_GEN_MAX_SIZE + 64;
	uint64_t i, start_ns, end_ns = 0, step_ns = 0, next_ns;
	double cpu0;
	const size_t size = o->size;

	if (!frame)
		return -1;
	if (o->recv && !(rbuf = malloc(rlen))) {
		free(frame);
		return -1;
	}
	vk_gen_build(frame, size, &o->flow);
	cpu0 = thread_cpu();
	start_ns = vk_now_ns();
	if (timed)
		end_ns = start_ns + (uint64_t)(o->duration * 1e9);
	if (paced)
		step_ns = 1000000000ull / o->rate;
	next_ns = start_ns;

	/* The hot loop: one prebuilt frame, only the sequence number changes. */
	for (i = 0; i < o->count && !vk_stop; i++) {
		ssize_t n;

		if (i == o->warmup) {
			vk_cost_window_open();
			r->cost_opened = true;
			r->cost_frames = r->frames;
		}
		vk_gen_set_seq(frame, size, r->frames);
		if (o->flows > 1)
			vk_gen_set_sport(frame, size, o->flow.sport +
					 r->frames % o->flows);
		n = write(fd, frame, size);
		if (n == (ssize_t)size) {
			r->frames++;
			r->bytes += n;
		} else if (n >= 0 || errno != EINTR) {
			note_error(r, n < 0 ? errno : 0);
			/* The device was removed under us: every later write
			 * would fail the same way. */
			if (n < 0 && (errno == EBADFD || errno == ENODEV ||
				      errno == ENXIO)) {
				r->gone = true;
				break;
			}
		}
		if (rbuf && (i % RECV_EVERY) == RECV_EVERY - 1)
			drain_returns(fd, o->blocking, o, r, rbuf, rlen);
		if (paced) {
			uint64_t now;

			next_ns += step_ns;
			while ((now = vk_now_ns()) < next_ns && !vk_stop) {
				if (next_ns - now > 200000)
					vk_sleep((next_ns - now - 100000) / 1e9);
			}
			if (timed && now >= end_ns)
				break;
		} else if (timed && (i & 255) == 255 && vk_now_ns() >= end_ns) {
			break;
		}
	}
	if (r->cost_opened) {
		vk_cost_window_close();
		r->cost_frames = r->frames - r->cost_frames;
	}
	r->seconds = (vk_now_ns() - start_ns) / 1e9;
	r->cpu_seconds = thread_cpu() - cpu0;

	if (rbuf) {
		/* Frames may still be in flight (XDP_TX queues them on the TAP's
		 * ring): wait until all came back or --timeout idle passes. */
		double idle_limit = o->timeout_set ? o->timeout : 0.5, last = vk_now();
		uint64_t seen = r->returned + r->foreign;

		while (r->returned < r->frames && !vk_stop &&
		       vk_now() - last < idle_limit) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			if (poll(&pfd, 1, 50) > 0)
				drain_returns(fd, true, o, r, rbuf, rlen);
			if (r->returned + r->foreign != seen) {
				seen = r->returned + r->foreign;
				last = vk_now();
			}
		}
		free(rbuf);
	}
	free(frame);
	return 0;
}

static void print_gen(const struct gen_opts *o, const struct gen_result *r, int rc)
{
	const char *ifname = o->tap ? o->tap : o->dev;
	double pps = r->seconds > 0 ? r->frames / r->seconds : 0;
	double bps = r->seconds > 0 ? r->bytes * 8 / r->seconds : 0;
	double cpu_ns = r->frames ? r->cpu_seconds * 1e9 / r->frames : 0;
	char rate[32], brate[32];

	if (o->json) {
		json_t *doc = vk_json_doc("gen", 1), *kinds = json_object();

		vk_jstr(doc, "mode", "gen");
		vk_jstr(doc, "interface", ifname);
		vk_jstr(doc, "kind", o->tap ? "tap" : "packet");
		vk_jbool(doc, "blocking", o->blocking);
		vk_jstr(doc, "path", r->path);
		vk_jset(doc, "native_xdp_path", o->tap ? json_boolean(r->native) : json_null());
		vk_ju64(doc, "size", o->size);
		vk_ju64(doc, "flows", o->flows);
		vk_ju64(doc, "run_id", o->flow.run_id);
		vk_ju64(doc, "frames", r->frames);
		vk_ju64(doc, "bytes", r->bytes);
		vk_ju64(doc, "errors", r->errors);
		for (int e = 0; e < MAX_ERRNO; e++)
			if (r->err_by[e])
				vk_ju64(kinds, e ? strerrorname_np(e) : "short_write", r->err_by[e]);
		vk_jset(doc, "error_kinds", kinds);
		vk_jbool(doc, "interrupted", r->interrupted);
		vk_jreal(doc, "seconds", r->seconds, 6);
		vk_jreal(doc, "pps", pps, 0);
		vk_jreal(doc, "bps", bps, 0);
		vk_jreal(doc, "cpu_seconds", r->cpu_seconds, 6);
		vk_jreal(doc, "cpu_ns_per_frame", cpu_ns, 1);
		vk_jset(doc, "cost_window", json_pack("{s:I, s:I, s:b}",
			"warmup", (json_int_t)o->warmup, "in_window",
			(json_int_t)r->cost_frames, "opened", r->cost_opened));
		vk_jset(doc, "returned", o->recv ? vk_json_u64(r->returned) : json_null());
		vk_jset(doc, "mac_swapped", o->recv ? vk_json_u64(r->mac_swapped) : json_null());
		vk_jset(doc, "foreign", o->recv ? vk_json_u64(r->foreign) : json_null());
		vk_jset(doc, "corrupt", o->recv ? vk_json_u64(r->corrupt) : json_null());
		vk_json_print(doc, rc);
		return;
	}
	printf("gen: %s (%s)\n", ifname, o->tap ? (o->blocking ?
	       "TAP, blocking fd" : "TAP, non-blocking fd") : "AF_PACKET");
	printf("  path      %s%s%s%s\n", r->path, r->path_why ? " [" : "",
	       r->path_why ? r->path_why : "", r->path_why ? "]" : "");
	printf("  frames    %-12llu size %llu B, run id %u\n",
	       (unsigned long long)r->frames, (unsigned long long)o->size,
	       o->flow.run_id);
	printf("  bytes     %llu%s\n", (unsigned long long)r->bytes,
	       r->interrupted ? "  (interrupted: stopped before the end)" : "");
	printf("  seconds   %.3f (cpu %.3f, %.0f ns/frame)\n", r->seconds,
	       r->cpu_seconds, cpu_ns);
	printf("  rate      %s pps, %sbit/s\n", vk_fmt_rate(rate, sizeof(rate), pps),
	       vk_fmt_rate(brate, sizeof(brate), bps));
	printf("  errors    %llu", (unsigned long long)r->errors);
	for (int e = 0; e < MAX_ERRNO; e++)
		if (r->err_by[e])
			printf("  %s %llu", e ? strerrorname_np(e) : "short_write",
			       (unsigned long long)r->err_by[e]);
	printf("\n");
	if (r->cost_opened)
		printf("  cost      window over %llu frames after %llu warm-up frames "
		       "(vk_cost markers)\n", (unsigned long long)r->cost_frames,
		       (unsigned long long)o->warmup);
	if (o->recv)
		printf("  returned  %llu (mac_swapped %llu, corrupt %llu, other frames %llu)\n",
		       (unsigned long long)r->returned,
		       (unsigned long long)r->mac_swapped,
		       (unsigned long long)r->corrupt,
		       (unsigned long long)r->foreign);
}

/* The exit code of a run, its errors printed. */
static int gen_verdict(const struct gen_opts *o, const struct gen_result *r)
{
	if (r->gone) {
		vk_errf("gen", NULL, "'%s' went away after %llu frames (%s)",
			o->tap ? o->tap : o->dev, (unsigned long long)r->frames,
			o->tap ? "TAP removed" : "interface removed");
		return EXIT_FAIL;
	}
	if (r->interrupted) {
		vk_errf("gen", NULL, "interrupted after %llu frames: the run did not complete",
			(unsigned long long)r->frames);
		return EXIT_FAIL;
	}
	if (!r->frames) {
		vk_errf("gen", r->err_by[EMSGSIZE] ? "--size is above the interface "
			"MTU + 14: raise the MTU or send smaller frames" : NULL,
			"no frame was written (%llu errors)",
			(unsigned long long)r->errors);
		return EXIT_FAIL;
	}
	return 0;
}

static int do_gen(struct gen_opts *o)
{
	struct gen_result r = { 0 };
	int fd, rc;

	if (o->size < VK_GEN_MIN_MARKED && (o->recv || !o->json))
		vk_note("%llu-byte frames cannot carry the whole marker (%d bytes "
			"needed): receivers will not recognise them",
			(unsigned long long)o->size, VK_GEN_MIN_MARKED);
	if (o->tap) {
		fd = tap_open("gen --tap", o->tap, o->blocking);
		if (o->blocking) {
			r.path = PATH_GENERIC;
			r.path_why = "blocking fd";
		} else if (o->size > TUN_SURELY_FITS && o->size > tun_build_skb_max()) {
			if (tap_native_frags(o->tap, &r.path_why)) {
				r.path = PATH_NATIVE_MB;
				r.native = true;
			} else {
				r.path = PATH_GENERIC;
			}
		} else {
			r.path = PATH_NATIVE;
			r.native = true;
		}
	} else {
		fd = packet_open("gen --dev", o->dev, false);
		r.path = PATH_PACKET;
	}
	if (fd < 0)
		return EXIT_FAIL;
	vk_install_signals();
	if (run_gen(fd, o, &r)) {
		vk_err("gen", "out of memory", NULL);
		close(fd);
		return EXIT_FAIL;
	}
	close(fd);
	r.interrupted = vk_stop;
	if (!o->json)
		print_gen(o, &r, 0);
	if (o->recv && r.returned < r.frames)
		vk_note("only %llu of %llu frames came back out of %s (is an XDP_TX "
			"program attached?)", (unsigned long long)r.returned,
			(unsigned long long)r.frames, o->tap);
	rc = gen_verdict(o, &r);
	if (o->json)
		print_gen(o, &r, rc);
	return rc;
}

/* ---- sink ---- */

struct sink_state {
	uint8_t *seen;		/* bitmap by sequence number */
	uint64_t seen_bits;
	uint64_t received, unique, bytes, duplicates, out_of_order, untracked;
	uint64_t foreign, other_runs, max_seq, min_seq, flows, corrupt;
	uint8_t sports[65536 / 8];	/* source ports seen: the flow count */
	uint32_t run_id;
	bool locked;
};

/* Sequence numbers beyond this are counted but not checked for duplicates
 * (the bitmap would not be worth its memory). */
#define SINK_MAX_TRACKED (1ull << 32)

static bool sink_mark(struct sink_state *s, uint64_t seq)
{
	if (seq >= s->seen_bits) {
		uint64_t bits = s->seen_bits ? s->seen_bits : 1 << 16;
		uint8_t *p;

		if (seq >= SINK_MAX_TRACKED)
			return false;
		while (bits <= seq)
			bits *= 2;
		p = realloc(s->seen, bits / 8);
		if (!p)
			return false;
		memset(p + s->seen_bits / 8, 0, (bits - s->seen_bits) / 8);
		s->seen = p;
		s->seen_bits = bits;
	}
	return true;
}

static void sink_frame(struct sink_state *s, const uint8_t *buf, size_t n)
{
	struct vk_gen_mark m;

	if (!vk_gen_parse(buf, n, &m)) {
		s->foreign++;
		return;
	}
	if (!s->locked) {
		s->run_id = m.run_id;
		s->locked = true;
		s->min_seq = m.seq;
	} else if (m.run_id != s->run_id) {
		s->other_runs++;
		return;
	}
	s->received++;
	if (!vk_gen_intact(buf, n))
		s->corrupt++;
	s->bytes += n;
	if (!(s->sports[m.sport / 8] & (1 << (m.sport % 8)))) {
		s->sports[m.sport / 8] |= 1 << (m.sport % 8);
		s->flows++;
	}
	if (!sink_mark(s, m.seq)) {
		s->untracked++;
		s->unique++;
		return;
	}
	if (s->seen[m.seq / 8] & (1 << (m.seq % 8))) {
		s->duplicates++;
		return;
	}
	s->seen[m.seq / 8] |= 1 << (m.seq % 8);
	s->unique++;
	if (s->unique > 1 && m.seq < s->max_seq)
		s->out_of_order++;
	if (m.seq > s->max_seq || s->unique == 1)
		s->max_seq = m.seq;
	if (m.seq < s->min_seq)
		s->min_seq = m.seq;
}

static int sink_verdict(const struct gen_opts *o, const struct sink_state *s,
			bool complete);

static int do_sink(struct gen_opts *o)
{
	const char *ifname = o->tap ? o->tap : o->dev;
	struct sink_state s = { 0 };
	double start, last, first_wait, first_at = 0, last_at = 0;
	const size_t blen = 65536;
	uint8_t *buf;
	int fd, rc;

	if (o->have_run_id) {
		s.run_id = o->flow.run_id;
		s.locked = true;
	}
	buf = malloc(blen);
	if (!buf) {
		vk_err("gen --sink", "out of memory", NULL);
		return EXIT_FAIL;
	}
	fd = o->tap ? tap_open("gen --sink", o->tap, false) :
		      packet_open("gen --sink", o->dev, true);
	if (fd < 0) {
		free(buf);
		return EXIT_FAIL;
	}
	if (o->ready) {
		int rfd = open(o->ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (rfd < 0) {
			vk_errf("gen --ready", NULL, "cannot create '%s': %s", o->ready,
				strerror(errno));
			close(fd);
			free(buf);
			return EXIT_FAIL;
		}
		close(rfd);
	}
	vk_install_signals();
	/* Give the sender time to start: the first frame may take longer
	 * than the idle timeout between frames. */
	first_wait = o->timeout > 5 ? o->timeout : 5;
	start = last = vk_now();
	while (!vk_stop && s.unique < o->count) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double now = vk_now();
		uint64_t before = s.received;

		if (o->duration && now - start >= o->duration)
			break;
		if (now - last >= (s.received ? o->timeout : first_wait))
			break;
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		for (;;) {
			/* The TAP fd is not a socket (and is non-blocking). */
			ssize_t n = o->tap ? read(fd, buf, blen) :
					     recv(fd, buf, blen, MSG_DONTWAIT);

			if (n < 0)
				break;
			sink_frame(&s, buf, n);
			if (s.unique >= o->count)
				break;
		}
		if (s.received != before) {
			last = vk_now();
			if (!first_at)
				first_at = last;
			last_at = last;
		}
	}
	close(fd);
	free(buf);
	free(s.seen);

	double secs = last_at > first_at ? last_at - first_at : 0;
	double pps = secs > 0 ? (s.unique > 1 ? (s.unique - 1) / secs : 0) : 0;
	bool complete = s.unique >= o->count;
	uint64_t missing = complete ? 0 : o->count - s.unique;
	char rate[32];

	if (!o->count_set)
		missing = 0;
	rc = sink_verdict(o, &s, complete);
	if (o->json) {
		json_t *doc = vk_json_doc("gen-sink", 1);

		vk_jstr(doc, "mode", "sink");
		vk_jstr(doc, "interface", ifname);
		vk_jstr(doc, "kind", o->tap ? "tap" : "packet");
		vk_ju64(doc, "run_id", s.run_id);
		vk_jset(doc, "expected", o->count_set ? vk_json_u64(o->count) : json_null());
		vk_ju64(doc, "received", s.received);
		vk_ju64(doc, "unique", s.unique);
		vk_ju64(doc, "bytes", s.bytes);
		vk_ju64(doc, "duplicates", s.duplicates);
		vk_ju64(doc, "out_of_order", s.out_of_order);
		vk_ju64(doc, "missing", missing);
		vk_ju64(doc, "first_seq", s.min_seq);
		vk_ju64(doc, "last_seq", s.max_seq);
		vk_ju64(doc, "other_runs", s.other_runs);
		vk_ju64(doc, "foreign", s.foreign);
		vk_ju64(doc, "corrupt", s.corrupt);
		vk_ju64(doc, "flows", s.flows);
		vk_jreal(doc, "seconds", secs, 6);
		vk_jreal(doc, "pps", pps, 0);
		vk_jbool(doc, "complete", complete);
		vk_jbool(doc, "interrupted", vk_stop);
		vk_json_print(doc, rc);
	} else {
		printf("sink: %s (%s), run id %u\n", ifname, o->tap ? "TAP fd" :
		       "AF_PACKET", s.run_id);
		printf("  received      %llu (unique %llu, duplicates %llu, "
		       "out of order %llu)\n", (unsigned long long)s.received,
		       (unsigned long long)s.unique,
		       (unsigned long long)s.duplicates,
		       (unsigned long long)s.out_of_order);
		printf("  bytes         %llu (corrupt frames %llu)\n",
		       (unsigned long long)s.bytes, (unsigned long long)s.corrupt);
		if (s.unique)
			printf("  sequence      %llu..%llu, %llu flow%s\n",
			       (unsigned long long)s.min_seq,
			       (unsigned long long)s.max_seq,
			       (unsigned long long)s.flows, s.flows == 1 ? "" : "s");
		printf("  other frames  %llu (other runs %llu)\n",
		       (unsigned long long)s.foreign,
		       (unsigned long long)s.other_runs);
		printf("  seconds       %.3f (first to last frame), %s pps\n", secs,
		       vk_fmt_rate(rate, sizeof(rate), pps));
		if (vk_stop)
			printf("  interrupted   stopped by a signal before the end\n");
	}
	return rc;
}

static int sink_verdict(const struct gen_opts *o, const struct sink_state *s,
			bool complete)
{
	int rc = 0;

	if (vk_stop && (o->count_set || o->duration)) {
		vk_err("gen --sink", "interrupted: the run did not complete", NULL);
		rc = EXIT_FAIL;
	}
	if (o->count_set && !complete) {
		vk_errf("gen --sink", NULL, "only %llu of %llu frames arrived",
			(unsigned long long)s->unique, (unsigned long long)o->count);
		rc = EXIT_FAIL;
	}
	if (s->corrupt) {
		vk_errf("gen --sink", NULL, "%llu frame(s) arrived damaged (length or "
			"payload differs from what gen sent)", (unsigned long long)s->corrupt);
		rc = EXIT_FAIL;
	}
	return rc;
}

int cmd_gen(int argc, char **argv)
{
	struct gen_opts o = { 0 };
	int ret = parse_opts(argc, argv, &o);

	if (ret)
		return ret == -2 ? 0 : EXIT_USAGE;
	vk_json_schema(o.sink ? "gen-sink" : "gen", 1);
	/* A TAP queue: CAP_NET_ADMIN; a packet socket: CAP_NET_RAW; entering
	 * a namespace: CAP_SYS_ADMIN. */
	if (vk_require_caps("gen", (o.tap ? VK_CAP(VK_CAP_NET_ADMIN) : VK_CAP(VK_CAP_NET_RAW)) |
			    (o.netns ? VK_CAP(VK_CAP_SYS_ADMIN) : 0)))
		return EXIT_FAIL;
	if (o.netns && (vk_netns_exists(o.netns) != 1 || vk_netns_enter(o.netns) < 0)) {
		vk_errf("gen --netns", "create it: vnetkit testbed up --name NS",
			"no network namespace '%s'", o.netns);
		return EXIT_FAIL;
	}
	return o.sink ? do_sink(&o) : do_gen(&o);
}
