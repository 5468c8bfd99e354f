// SPDX-License-Identifier: GPL-2.0
/* vnetkit gen: write Ethernet/IPv4/UDP frames into a TAP file descriptor
 * (tun_get_user, where TAP's XDP runs) or through an AF_PACKET socket on an
 * interface, and the matching receiver (--sink). Frame layout: gen_frame.h.
 *
 * A TAP fd opened O_NONBLOCK lets tun take tun_build_skb(): native XDP runs
 * on the raw buffer and a dropped frame never becomes an skb. A blocking fd
 * (or a frame too big for one page) makes tun allocate an skb first and run
 * XDP in generic mode, at about 2.5x the cost - so the report names the
 * path that ran.
 *
 * --json schema (one object on stdout; stable, fields only ever added):
 *  sender: mode "gen", interface, kind "tap"|"packet", blocking (bool),
 *    path (string as in the table), native_xdp_path (bool; null for
 *    packet), size, flows, run_id, frames (written), bytes, errors (failed
 *    writes), error_kinds {"EIO": n, "ENOBUFS": n, "short_write": n, ...},
 *    seconds (wall), pps, bps, cpu_seconds (this thread, user + system),
 *    cpu_ns_per_frame, returned, mac_swapped, foreign (with --recv: frames
 *    of this run read back, those with source and destination swapped,
 *    other frames read; null without --recv), cost_window {warmup, in_window,
 *    opened}: the vk_cost markers (include/vk_cost_mark.h) open the window
 *    after warmup frames were written and close it after the last write;
 *    frames = frames written inside it.
 *  sink: mode "sink", interface, kind, run_id, expected (--count or null),
 *    received (our frames incl. duplicates), unique, bytes, duplicates,
 *    out_of_order (lower sequence than one already seen), missing,
 *    first_seq, last_seq, other_runs (marked frames of another run id),
 *    foreign (unmarked frames), flows (distinct UDP source ports),
 *    seconds (first to last frame), pps, complete (bool). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <bpf/btf.h>

#include "commands.h"
#include "gen_frame.h"
#include "netns.h"
#include "owner.h"
#include "util.h"
#include "vk_cost_mark.h"

#define PATH_NATIVE	"tun_build_skb (native XDP path)"
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
	uint64_t returned, mac_swapped, foreign;
	/* cost window */
	bool cost_opened;
	uint64_t cost_frames;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: vnetkit gen (--tap NAME [--blocking] | --dev IF) [--count N] [--size B]\n"
"                   [--rate PPS] [--duration S] [--src-mac M] [--dst-mac M]\n"
"                   [--src-ip A] [--dst-ip A] [--sport P] [--dport P]\n"
"                   [--flows N] [--run-id ID] [--recv [--timeout S]]\n"
"                   [--netns NS] [--warmup N] [--json]\n"
"       vnetkit gen --sink (--dev IF | --tap NAME) [--count N] [--timeout S]\n"
"                   [--duration S] [--run-id ID] [--ready FILE] [--netns NS]\n"
"                   [--json]\n"
"\n"
"  --tap NAME    write into the existing TAP NAME (fd O_NONBLOCK: native XDP\n"
"                path); --blocking uses a blocking fd (generic XDP path)\n"
"  --dev IF      send through an AF_PACKET socket bound to IF\n"
"  --count N     frames to write (default 1000; with --duration: a cap)\n"
"  --size B      frame size incl. Ethernet header, no FCS (14..9000, default\n"
"                64); below 58 the marker is cut, below 42 the headers too\n"
"  --rate PPS    pace writes (default: as fast as possible)\n"
"  --duration S  write for S seconds\n"
"  --flows N     cycle the UDP source port over N values from --sport, so\n"
"                hashing (RSS, RPS, fanout) spreads the frames\n"
"  --src-mac M, --dst-mac M   default 02:00:00:00:00:01 -> :02, no device's\n"
"                MAC: the stack drops the frames early and never answers\n"
"  --src-ip A, --dst-ip A     default 192.0.2.1 -> 192.0.2.2\n"
"  --sport P, --dport P       UDP ports, default 9 (discard)\n"
"  --run-id ID   tag the frames (sender) or select a run (sink); the\n"
"                sender picks a random one, the sink takes the first seen\n"
"  --recv        (TAP) also read frames coming back out of the TAP fd, e.g.\n"
"                XDP_TX, and check their MACs are swapped\n"
"  --sink        receive and count our frames until --count arrived or\n"
"                --timeout S (default 2) passed without one; exit 1 if short\n"
"  --ready FILE  (sink) create FILE once the socket listens\n"
"  --netns NS    work inside namespace NS (as ip netns exec NS would)\n"
"  --warmup N    frames written before the cost window opens (count / 10;\n"
"                0 with --duration)\n"
"  --json        one JSON object instead of the table\n");
}

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
	enum { O_TAP = 256, O_DEV, O_BLOCKING, O_COUNT, O_SIZE, O_RATE, O_DURATION,
	       O_SRCMAC, O_DSTMAC, O_SRCIP, O_DSTIP, O_SPORT, O_DPORT, O_RECV,
	       O_SINK, O_TIMEOUT, O_JSON, O_RUNID, O_READY, O_NETNS, O_FLOWS,
	       O_WARMUP };
	static const struct option lopts[] = {
		{ "tap", required_argument, NULL, O_TAP },
		{ "dev", required_argument, NULL, O_DEV },
		{ "blocking", no_argument, NULL, O_BLOCKING },
		{ "count", required_argument, NULL, O_COUNT },
		{ "size", required_argument, NULL, O_SIZE },
		{ "rate", required_argument, NULL, O_RATE },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "src-mac", required_argument, NULL, O_SRCMAC },
		{ "dst-mac", required_argument, NULL, O_DSTMAC },
		{ "src-ip", required_argument, NULL, O_SRCIP },
		{ "dst-ip", required_argument, NULL, O_DSTIP },
		{ "sport", required_argument, NULL, O_SPORT },
		{ "dport", required_argument, NULL, O_DPORT },
		{ "recv", no_argument, NULL, O_RECV },
		{ "sink", no_argument, NULL, O_SINK },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "run-id", required_argument, NULL, O_RUNID },
		{ "ready", required_argument, NULL, O_READY },
		{ "netns", required_argument, NULL, O_NETNS },
		{ "flows", required_argument, NULL, O_FLOWS },
		{ "warmup", required_argument, NULL, O_WARMUP },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct vk_gen_flow *f = &o->flow;
	struct vk_opt_seen seen = {};
	uint64_t v;
	int c;

	/* Locally administered unicast MACs that match no device: the stack
	 * drops the frames early (PACKET_OTHERHOST) and never answers. */
	memcpy(f->src_mac, (uint8_t[]){ 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 }, 6);
	memcpy(f->dst_mac, (uint8_t[]){ 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 }, 6);
	f->src_ip = htonl(0xc0000201);	/* 192.0.2.1 (TEST-NET-1) */
	f->dst_ip = htonl(0xc0000202);	/* 192.0.2.2 */
	f->sport = 9;
	f->dport = 9;
	o->count = 1000;
	o->size = 64;
	o->flows = 1;
	o->timeout = 2;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", lopts, NULL)) != -1) {
		if (c != 'h' && c != ':' && c != '?' &&
		    vk_opt_once(&seen, "gen", lopts, c))
			return EXIT_USAGE;
		switch (c) {
		case O_TAP: o->tap = optarg; break;
		case O_DEV: o->dev = optarg; break;
		case O_BLOCKING: o->blocking = true; break;
		case O_RECV: o->recv = true; break;
		case O_SINK: o->sink = true; break;
		case O_JSON: o->json = true; break;
		case O_READY: o->ready = optarg; break;
		case O_NETNS: o->netns = optarg; break;
		case O_COUNT:
			if (vk_parse_u64("gen --count", optarg, 1, UINT64_MAX, &o->count))
				return -1;
			o->count_set = true;
			break;
		case O_SIZE:
			if (vk_parse_u64("gen --size", optarg, VK_GEN_MIN_SIZE,
					 VK_GEN_MAX_SIZE, &o->size))
				return -1;
			break;
		case O_FLOWS:
			if (vk_parse_u64("gen --flows", optarg, 1, 65536, &o->flows))
				return -1;
			break;
		case O_WARMUP:
			if (vk_parse_u64("gen --warmup", optarg, 0, UINT64_MAX, &o->warmup))
				return -1;
			o->warmup_set = true;
			break;
		case O_RATE:
			if (vk_parse_u64("gen --rate", optarg, 1, 100000000, &o->rate))
				return -1;
			break;
		case O_DURATION:
			if (vk_parse_secs("gen --duration", optarg, 0.01, 86400, &o->duration))
				return -1;
			break;
		case O_TIMEOUT:
			if (vk_parse_secs("gen --timeout", optarg, 0.01, 86400, &o->timeout))
				return -1;
			o->timeout_set = true;
			break;
		case O_SRCMAC:
			if (parse_mac("gen --src-mac", optarg, f->src_mac))
				return -1;
			break;
		case O_DSTMAC:
			if (parse_mac("gen --dst-mac", optarg, f->dst_mac))
				return -1;
			break;
		case O_SRCIP:
			if (parse_ip("gen --src-ip", optarg, &f->src_ip))
				return -1;
			break;
		case O_DSTIP:
			if (parse_ip("gen --dst-ip", optarg, &f->dst_ip))
				return -1;
			break;
		case O_SPORT:
		case O_DPORT:
			if (vk_parse_u64(c == O_SPORT ? "gen --sport" : "gen --dport",
					 optarg, 0, 65535, &v))
				return -1;
			*(c == O_SPORT ? &f->sport : &f->dport) = v;
			break;
		case O_RUNID:
			if (vk_parse_u64("gen --run-id", optarg, 1, UINT32_MAX, &v))
				return -1;
			f->run_id = v;
			o->have_run_id = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			vk_errf("gen", "see vnetkit gen --help",
				"option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			vk_errf("gen", "see vnetkit gen --help", "unknown option '%s'",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		vk_errf("gen", "see vnetkit gen --help", "unexpected argument '%s'",
			argv[optind]);
		return -1;
	}
	if (!!o->tap == !!o->dev) {
		vk_err("gen", o->tap ? "--tap and --dev exclude each other" :
		       "no target", "give exactly one of --tap NAME or --dev IF");
		return -1;
	}
	if (o->blocking && !o->tap) {
		vk_err("gen --blocking", "only applies to --tap", NULL);
		return -1;
	}
	if (o->recv && !o->tap) {
		vk_err("gen --recv", "only applies to --tap",
		       "for an interface use a second gen --sink --dev IF");
		return -1;
	}
	if (o->sink && (o->recv || o->blocking || o->rate)) {
		vk_err("gen --sink", "--recv, --blocking and --rate are for the "
		       "sender", NULL);
		return -1;
	}
	if (!o->sink && o->ready) {
		vk_err("gen --ready", "only applies to --sink", NULL);
		return -1;
	}
	/* Without --count, --duration (sender) or the timeouts (sink) end
	 * the run. */
	if (!o->count_set && (o->sink || o->duration))
		o->count = UINT64_MAX;
	if (o->warmup_set && o->sink) {
		vk_err("gen --warmup", "only applies to the sender", NULL);
		return -1;
	}
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

static bool dev_driver(const char *name, char *drv, char *bus)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { .ifr_data = (void *)&di };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ok = !ioctl(fd, SIOCETHTOOL, &ifr);
	close(fd);
	if (ok) {
		snprintf(drv, 32, "%s", di.driver);
		snprintf(bus, 32, "%s", di.bus_info);
	}
	return ok;
}

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
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	char drv[32] = "", bus[32] = "";
	int fd;

	if (check_dev(what, name))
		return -1;
	if (!dev_driver(name, drv, bus) || strcmp(drv, "tun") || strcmp(bus, "tap")) {
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
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | (blocking ? 0 : O_NONBLOCK));
	if (fd < 0) {
		vk_errf(what, "is the tun module loaded?", "cannot open /dev/net/tun: %s",
			strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (!ioctl(fd, TUNSETIFF, &ifr))
		return fd;
	vk_errf(what, errno == EBUSY ? "a single-queue TAP takes one file "
		"descriptor: stop the other reader/writer" : NULL,
		"cannot attach to TAP '%s': %s", name, strerror(errno));
	close(fd);
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
	uint8_t *frame = calloc(1, o->size), *rbuf = NULL;
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

static void print_gen(const struct gen_opts *o, const struct gen_result *r)
{
	const char *ifname = o->tap ? o->tap : o->dev;
	double pps = r->seconds > 0 ? r->frames / r->seconds : 0;
	double bps = r->seconds > 0 ? r->bytes * 8 / r->seconds : 0;
	double cpu_ns = r->frames ? r->cpu_seconds * 1e9 / r->frames : 0;
	char rate[32], brate[32];
	bool first = true;

	if (o->json) {
		printf("{\"mode\":\"gen\",\"interface\":\"%s\",\"kind\":\"%s\","
		       "\"blocking\":%s,\"path\":\"%s\",\"native_xdp_path\":%s,"
		       "\"size\":%llu,\"flows\":%llu,\"run_id\":%u,\"frames\":%llu,"
		       "\"bytes\":%llu,"
		       "\"errors\":%llu,\"error_kinds\":{",
		       ifname, o->tap ? "tap" : "packet",
		       o->blocking ? "true" : "false", r->path,
		       o->tap ? (r->native ? "true" : "false") : "null",
		       (unsigned long long)o->size, (unsigned long long)o->flows,
		       o->flow.run_id,
		       (unsigned long long)r->frames, (unsigned long long)r->bytes,
		       (unsigned long long)r->errors);
		for (int e = 0; e < MAX_ERRNO; e++) {
			if (!r->err_by[e])
				continue;
			printf("%s\"%s\":%llu", first ? "" : ",",
			       e ? strerrorname_np(e) : "short_write",
			       (unsigned long long)r->err_by[e]);
			first = false;
		}
		printf("},\"interrupted\":%s", r->interrupted ? "true" : "false");
		printf(",\"seconds\":%.6f,\"pps\":%.0f,\"bps\":%.0f,"
		       "\"cpu_seconds\":%.6f,\"cpu_ns_per_frame\":%.1f", r->seconds,
		       pps, bps, r->cpu_seconds, cpu_ns);
		printf(",\"cost_window\":{\"warmup\":%llu,\"in_window\":%llu,"
		       "\"opened\":%s}", (unsigned long long)o->warmup,
		       (unsigned long long)r->cost_frames,
		       r->cost_opened ? "true" : "false");
		if (o->recv)
			printf(",\"returned\":%llu,\"mac_swapped\":%llu,\"foreign\":%llu}\n",
			       (unsigned long long)r->returned,
			       (unsigned long long)r->mac_swapped,
			       (unsigned long long)r->foreign);
		else
			printf(",\"returned\":null,\"mac_swapped\":null,\"foreign\":null}\n");
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
		printf("  returned  %llu (mac_swapped %llu, other frames %llu)\n",
		       (unsigned long long)r->returned,
		       (unsigned long long)r->mac_swapped,
		       (unsigned long long)r->foreign);
}

static int do_gen(struct gen_opts *o)
{
	struct gen_result r = { 0 };
	int fd;

	if (o->size < VK_GEN_MIN_MARKED && (o->recv || !o->json))
		fprintf(stderr, "vnetkit: gen: note: %llu-byte frames cannot carry "
			"the whole marker (%d bytes needed): receivers will not "
			"recognise them\n", (unsigned long long)o->size,
			VK_GEN_MIN_MARKED);
	if (o->tap) {
		fd = tap_open("gen --tap", o->tap, o->blocking);
		if (o->blocking) {
			r.path = PATH_GENERIC;
			r.path_why = "blocking fd";
		} else if (o->size > TUN_SURELY_FITS && o->size > tun_build_skb_max()) {
			r.path = PATH_GENERIC;
			r.path_why = "frame larger than one page";
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
	print_gen(o, &r);
	if (o->recv && r.returned < r.frames)
		fprintf(stderr, "vnetkit: gen: note: only %llu of %llu frames came "
			"back out of %s (is an XDP_TX program attached?)\n",
			(unsigned long long)r.returned,
			(unsigned long long)r.frames, o->tap);
	if (r.gone) {
		vk_errf("gen", NULL, "'%s' went away after %llu frames (%s)",
			o->tap ? o->tap : o->dev, (unsigned long long)r.frames,
			o->tap ? "TAP removed" : "interface removed");
		return EXIT_FAIL;
	}
	if (r.interrupted) {
		vk_errf("gen", NULL, "interrupted after %llu frames: the run did not complete",
			(unsigned long long)r.frames);
		return EXIT_FAIL;
	}
	if (!r.frames) {
		vk_errf("gen", r.err_by[EMSGSIZE] ? "--size is above the interface "
			"MTU + 14: raise the MTU or send smaller frames" : NULL,
			"no frame was written (%llu errors)",
			(unsigned long long)r.errors);
		return EXIT_FAIL;
	}
	return 0;
}

/* ---- sink ---- */

struct sink_state {
	uint8_t *seen;		/* bitmap by sequence number */
	uint64_t seen_bits;
	uint64_t received, unique, bytes, duplicates, out_of_order, untracked;
	uint64_t foreign, other_runs, max_seq, min_seq, flows;
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
	if (o->json) {
		printf("{\"mode\":\"sink\",\"interface\":\"%s\",\"kind\":\"%s\","
		       "\"run_id\":%u,", ifname, o->tap ? "tap" : "packet", s.run_id);
		if (o->count_set)
			printf("\"expected\":%llu,", (unsigned long long)o->count);
		else
			printf("\"expected\":null,");
		printf("\"received\":%llu,\"unique\":%llu,\"bytes\":%llu,"
		       "\"duplicates\":%llu,\"out_of_order\":%llu,\"missing\":%llu,"
		       "\"first_seq\":%llu,\"last_seq\":%llu,\"other_runs\":%llu,"
		       "\"foreign\":%llu,\"flows\":%llu,\"seconds\":%.6f,"
		       "\"pps\":%.0f,\"complete\":%s,\"interrupted\":%s}\n",
		       (unsigned long long)s.received, (unsigned long long)s.unique,
		       (unsigned long long)s.bytes, (unsigned long long)s.duplicates,
		       (unsigned long long)s.out_of_order,
		       (unsigned long long)missing, (unsigned long long)s.min_seq,
		       (unsigned long long)s.max_seq,
		       (unsigned long long)s.other_runs,
		       (unsigned long long)s.foreign, (unsigned long long)s.flows,
		       secs, pps, complete ? "true" : "false", vk_stop ? "true" : "false");
	} else {
		printf("sink: %s (%s), run id %u\n", ifname, o->tap ? "TAP fd" :
		       "AF_PACKET", s.run_id);
		printf("  received      %llu (unique %llu, duplicates %llu, "
		       "out of order %llu)\n", (unsigned long long)s.received,
		       (unsigned long long)s.unique,
		       (unsigned long long)s.duplicates,
		       (unsigned long long)s.out_of_order);
		printf("  bytes         %llu\n", (unsigned long long)s.bytes);
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
	rc = 0;
	if (vk_stop && (o->count_set || o->duration)) {
		vk_err("gen --sink", "interrupted: the run did not complete", NULL);
		rc = EXIT_FAIL;
	}
	if (o->count_set && !complete) {
		vk_errf("gen --sink", NULL, "only %llu of %llu frames arrived",
			(unsigned long long)s.unique, (unsigned long long)o->count);
		rc = EXIT_FAIL;
	}
	return rc;
}

int cmd_gen(int argc, char **argv)
{
	struct gen_opts o = { 0 };

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (parse_opts(argc, argv, &o))
		return EXIT_USAGE;
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
