// SPDX-License-Identifier: GPL-2.0
/* vnetkit vhost tx|rx|pingpong: test and measure vhost-net from user space.
 *
 * vnetkit is the guest (vhost_dev.c) and the host side at once: an
 * AF_PACKET socket on the TAP receives what vhost transmits (tx), injects
 * what vhost must deliver into the RX ring (rx) and reflects frames
 * (pingpong). Every frame is verified byte for byte.
 *
 * --json prints one object (stable; fields are only ever added):
 *   mode "tx"|"rx"|"pingpong", result "ok"|"verify_failed"|"stalled"|
 *   "interrupted"|"vhost_error"|"error_missed", frames, size, ring_size,
 *   batch, busyloop_timeout_us, busyloop_adaptive, interval_us (pingpong
 *   pacing, 0: none), pace "sleep"|"spin",
 *   window, hdr_len, rx_buf, spin,
 *   features {version_1, event_idx, mrg_rxbuf, negotiated, offered (hex)},
 *   verified, corrupt, duplicate, lost, reordered, foreign (frames on the
 *   TAP that are not ours), bad_used (used entries vhost got wrong),
 *   socket_drops (packet socket overflow), [xdp_dropped],
 *   [inject {chain, after, error_signalled, later_sent, later_processed}],
 *   elapsed_s, pps, ns_per_frame,
 *   tx and rx: {kicks, kicks_suppressed, kicks_per_frame, interrupts
 *   (call eventfd signals), interrupts_per_frame, reaps (driver passes that
 *   found used entries), used, used_per_reap, max_used_per_reap,
 *   used_per_reap_log2 [17 buckets: 1, 2-3, 4-7, ...]},
 *   vhost_worker {cpu_ns, cpu_ns_per_frame, source "schedstat"|"sched"|"stat"} or
 *   {unavailable: reason}, driver_cpu_ns,
 *   [latency_ns {samples, min, p50, p99, max}] (pingpong),
 *   publish_every (avail index stores per batch: 0 = once per batch),
 *   pin {driver, worker} (CPUs, -1: not pinned),
 *   cost_window {warmup, in_window, opened}: the vk_cost window markers
 *   (include/vk_cost_mark.h) open once warmup frames are done and close
 *   when the last frame is; frames = frames completed inside the window.
 *
 * vnetkit vhost regions prints the fixed addresses of the rings and buffers
 * (vk_vhost_layout()) as cost-plugin arguments, one per line:
 *   region=rx.desc:0x7e0000000000:0x1000
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <linux/if_link.h>

#include "commands.h"
#include "util.h"
#include "vhost_dev.h"
#include "vhost_frame.h"
#include "vk_cost_mark.h"

enum mode { M_TX, M_RX, M_PINGPONG, M_REGIONS };
enum inject { INJ_NONE, INJ_BAD_ADDR, INJ_LOOP };

static const char *const mode_names[] = { "tx", "rx", "pingpong", "regions" };
static const char *const inject_names[] = { "none", "bad-addr", "loop" };

struct opts {
	enum mode mode;
	uint64_t frames, size, ring, batch, busyloop, rx_buf, window, interval;
	uint64_t warmup, publish;
	int pin_drv, pin_worker;	/* -1: not pinned */
	double timeout;
	bool json, v1, event_idx, mrg, spin, busy_adaptive, pace_spin;
	const char *dev;
	enum inject inject;
	uint64_t inject_after;
	bool xdp_drop;
	const char *xdp_obj;
};

struct run {
	struct vk_vhost vh;
	const struct opts *o;
	uint32_t cookie;
	uint64_t window;
	/* host side: frames seen on the packet socket (tx) or injected (rx) */
	uint64_t host_frames;
	uint64_t submitted, completed;	/* descriptors/frames through the ring */
	uint64_t verified, corrupt, dup, reordered, foreign, bad_used;
	uint64_t next_expected, lost;
	uint8_t *seen;
	double t0, t1, last_progress;
	uint64_t worker0, worker1, drv0, drv1;
	const char *wsrc, *wwhy;
	bool wok;
	uint64_t *rtt;
	uint64_t rtt_n;
	bool vhost_error, stalled, interrupted;
	int err_q;
	uint64_t later_sent, later_done;	/* frames after an injected chain */
	uint64_t pkt_drops;			/* packet socket overflow */
	uint64_t xdp_dropped;
	bool xdp_dropped_ok;
	/* RX reassembly of mergeable buffers */
	unsigned int mrg_left;
	uint64_t mrg_seq;
	size_t mrg_off;
	bool mrg_bad, mrg_ours;
	/* cost window: 0 not yet open, 1 open, 2 closed */
	int cost_state;
	uint64_t cost_f0, cost_frames;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: vnetkit vhost tx|rx|pingpong [options]\n"
"       vnetkit vhost regions [--ring-size S] [--size B] [--rx-buf B]\n"
"  Drive /dev/vhost-net from user space (vnetkit is the guest, a TAP in a\n"
"  private netns is the backend); verify every frame and measure.\n"
"  tx        frames from the TX ring must arrive intact on the TAP\n"
"  rx        frames sent out of the TAP must arrive intact in the RX ring\n"
"  pingpong  TX -> TAP -> reflector -> RX, one frame in flight: latency\n"
"  regions   print the fixed ring/buffer addresses as cost-plugin region=\n"
"            arguments (no device needed)\n"
"options:\n"
"  --frames N             frames to send (100000; pingpong 10000)\n"
"  --size B               Ethernet frame length, 60..9000 (64)\n"
"  --ring-size S          descriptors per ring, power of 2, 2..32768 (256)\n"
"  --batch N              frames added per kick (tx) / injected per burst\n"
"                         (rx), 1..ring size (32)\n"
"  --busyloop-timeout US  VHOST_SET_VRING_BUSYLOOP_TIMEOUT on both rings (0)\n"
"  --busyloop-adaptive    VHOST_SET_VRING_BUSYLOOP_ADAPTIVE on both rings: the\n"
"                         timeout becomes the ceiling of an adaptive window\n"
"  --interval US          pingpong: start a frame every US microseconds, a\n"
"                         paced load (0: back to back)\n"
"  --pace sleep|spin      how --interval waits: sleep (timer resolution, a\n"
"                         tick without high-resolution timers) or spin on\n"
"                         the clock (exact gaps, one CPU busy) (sleep)\n"
"  --rx-buf B             RX buffer length incl. virtio-net header (fits one\n"
"                         frame; smaller needs mergeable buffers)\n"
"  --window N             frames in flight on the host side (auto)\n"
"  --no-version-1 --no-event-idx --no-mrg-rxbuf   switch a feature off\n"
"  --xdp-drop             attach xdp_drop to the TAP (tx): frames must be\n"
"                         dropped, none may reach the stack\n"
"  --xdp-obj PATH         the object for --xdp-drop\n"
"  --inject bad-addr|loop post a malformed chain after --inject-after N\n"
"                         frames (tx): vhost must stop the queue and say so\n"
"  --spin                 pingpong: poll the RX used ring instead of sleeping\n"
"                         on interrupts (a busy-polling guest)\n"
"  --publish-every N      tx: store the avail index after every N descriptors\n"
"                         (one kick decision per batch still); 0: per batch\n"
"  --pin D,W              run this thread on CPU D and the vhost worker on\n"
"                         CPU W (a cost run then splits driver and device)\n"
"  --warmup N             frames before the cost window opens (frames / 10)\n"
"  --timeout SECS         fail when nothing progresses this long (10)\n"
"  --dev PATH             vhost-net device (/dev/vhost-net)\n"
"  --json                 one JSON object (schema in cmd_vhost.c)\n");
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* --pin D,W: two CPU numbers. */
static int parse_pin(const char *arg, struct opts *o)
{
	unsigned int d, w;
	char tail;

	if (sscanf(arg, "%u,%u%c", &d, &w, &tail) != 2 || d >= CPU_SETSIZE ||
	    w >= CPU_SETSIZE) {
		vk_errf("--pin", "expected DRIVER_CPU,WORKER_CPU, e.g. 0,1",
			"invalid value '%s'", arg);
		return -1;
	}
	o->pin_drv = d;
	o->pin_worker = w;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_FRAMES = 256, O_SIZE, O_RING, O_BATCH, O_BUSY, O_RXBUF,
	       O_WINDOW, O_NOV1, O_NOEIDX, O_NOMRG, O_XDP, O_XDPOBJ, O_INJ,
	       O_INJAFTER, O_TIMEOUT, O_DEV, O_JSON, O_SPIN, O_INTERVAL,
	       O_WARMUP, O_PIN, O_PUBLISH, O_ADAPTIVE, O_PACE };
	static const struct option lo[] = {
		{ "frames", required_argument, NULL, O_FRAMES },
		{ "size", required_argument, NULL, O_SIZE },
		{ "ring-size", required_argument, NULL, O_RING },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "busyloop-timeout", required_argument, NULL, O_BUSY },
		{ "busyloop-adaptive", no_argument, NULL, O_ADAPTIVE },
		{ "pace", required_argument, NULL, O_PACE },
		{ "rx-buf", required_argument, NULL, O_RXBUF },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "no-version-1", no_argument, NULL, O_NOV1 },
		{ "no-event-idx", no_argument, NULL, O_NOEIDX },
		{ "no-mrg-rxbuf", no_argument, NULL, O_NOMRG },
		{ "xdp-drop", no_argument, NULL, O_XDP },
		{ "xdp-obj", required_argument, NULL, O_XDPOBJ },
		{ "inject", required_argument, NULL, O_INJ },
		{ "inject-after", required_argument, NULL, O_INJAFTER },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "dev", required_argument, NULL, O_DEV },
		{ "json", no_argument, NULL, O_JSON },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "spin", no_argument, NULL, O_SPIN },
		{ "warmup", required_argument, NULL, O_WARMUP },
		{ "pin", required_argument, NULL, O_PIN },
		{ "publish-every", required_argument, NULL, O_PUBLISH },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool have_frames = false, have_batch = false, have_warmup = false;
	struct vk_opt_seen seen = {};
	int c, i;

	*o = (struct opts){ .size = 64, .ring = 256, .batch = 32,
			    .timeout = 10, .v1 = true, .event_idx = true,
			    .mrg = true, .dev = "/dev/vhost-net",
			    .inject_after = 1000, .pin_drv = -1, .pin_worker = -1 };
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : -2;
	}
	for (i = 0; i < (int)ARRAY_SIZE(mode_names); i++)
		if (!strcmp(argv[1], mode_names[i]))
			break;
	if (i == (int)ARRAY_SIZE(mode_names)) {
		vk_errf("vhost", "expected tx, rx, pingpong or regions", "unknown mode '%s'",
			argv[1]);
		return EXIT_USAGE;
	}
	o->mode = i;
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		int r = 0;

		if (c != 'h' && c != ':' && c != '?' &&
		    vk_opt_once(&seen, "vhost", lo, c))
			return EXIT_USAGE;
		switch (c) {
		case O_FRAMES:
			r = vk_parse_u64("vhost --frames", optarg, 1, 1ull << 32, &o->frames);
			have_frames = true;
			break;
		case O_SIZE:
			r = vk_parse_u64("vhost --size", optarg, VK_FRAME_MIN, 9000, &o->size);
			break;
		case O_RING:
			r = vk_parse_u64("vhost --ring-size", optarg, 2, 32768, &o->ring);
			if (!r && !pow2(o->ring)) {
				vk_errf("--ring-size", "vhost needs a power of 2",
					"%s is not a power of 2", optarg);
				r = -1;
			}
			break;
		case O_BATCH:
			r = vk_parse_u64("vhost --batch", optarg, 1, 32768, &o->batch);
			have_batch = true;
			break;
		case O_BUSY:
			r = vk_parse_u64("vhost --busyloop-timeout", optarg, 0, 1000000,
					 &o->busyloop);
			break;
		case O_RXBUF:
			r = vk_parse_u64("vhost --rx-buf", optarg, 64, 65536, &o->rx_buf);
			break;
		case O_WINDOW:
			r = vk_parse_u64("vhost --window", optarg, 1, 1 << 20, &o->window);
			break;
		case O_NOV1:
			o->v1 = false;
			break;
		case O_NOEIDX:
			o->event_idx = false;
			break;
		case O_NOMRG:
			o->mrg = false;
			break;
		case O_XDP:
			o->xdp_drop = true;
			break;
		case O_XDPOBJ:
			o->xdp_obj = optarg;
			break;
		case O_INJ:
			if (!strcmp(optarg, "bad-addr")) {
				o->inject = INJ_BAD_ADDR;
			} else if (!strcmp(optarg, "loop")) {
				o->inject = INJ_LOOP;
			} else {
				vk_errf("--inject", "expected bad-addr or loop",
					"unknown chain '%s'", optarg);
				r = -1;
			}
			break;
		case O_INJAFTER:
			r = vk_parse_u64("vhost --inject-after", optarg, 0, 1ull << 32,
					 &o->inject_after);
			break;
		case O_TIMEOUT:
			r = vk_parse_secs("vhost --timeout", optarg, 0.01, 3600, &o->timeout);
			break;
		case O_DEV:
			o->dev = optarg;
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_INTERVAL:
			r = vk_parse_u64("vhost --interval", optarg, 0, 1000000, &o->interval);
			break;
		case O_SPIN:
			o->spin = true;
			break;
		case O_WARMUP:
			r = vk_parse_u64("--warmup", optarg, 0, 1ull << 32, &o->warmup);
			have_warmup = true;
			break;
		case O_PUBLISH:
			r = vk_parse_u64("--publish-every", optarg, 0, 32768, &o->publish);
			break;
		case O_PIN:
			r = parse_pin(optarg, o);
			break;
		case O_ADAPTIVE:
			o->busy_adaptive = true;
			break;
		case O_PACE:
			if (!strcmp(optarg, "spin") || !strcmp(optarg, "sleep")) {
				o->pace_spin = !strcmp(optarg, "spin");
			} else {
				vk_errf("--pace", "expected sleep or spin",
					"unknown pacing '%s'", optarg);
				r = -1;
			}
			break;
		case 'h':
			usage(stdout);
			return -2;
		case ':':
			vk_errf("vhost", "see vnetkit vhost --help",
				"option '%s' needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			vk_errf("vhost", "see vnetkit vhost --help", "unknown option '%s'",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
		if (r)
			return EXIT_USAGE;
	}
	if (optind < argc) {
		vk_errf("vhost", "see vnetkit vhost --help", "unexpected argument '%s'",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (!have_frames)
		o->frames = o->mode == M_PINGPONG ? 10000 : 100000;
	if (!have_warmup)
		o->warmup = o->frames / 10;
	if (o->warmup >= o->frames) {
		vk_errf("--warmup", "it must be below --frames",
			"%llu leaves no frame for the cost window",
			(unsigned long long)o->warmup);
		return EXIT_USAGE;
	}
	if (o->publish && o->mode != M_TX) {
		vk_err("--publish-every", "works with 'tx' only", NULL);
		return EXIT_USAGE;
	}
	if (o->publish > o->batch) {
		vk_errf("--publish-every", "a batch ends with a store anyway",
			"%llu is larger than --batch %llu",
			(unsigned long long)o->publish, (unsigned long long)o->batch);
		return EXIT_USAGE;
	}
	if (!have_batch && o->batch > o->ring && o->mode != M_RX)
		o->batch = o->ring;
	/* rx: --batch is the injection burst, which the TAP queue absorbs. */
	if (o->batch > o->ring && o->mode != M_RX) {
		vk_errf("--batch", "a kick cannot cover more than the ring holds",
			"%llu is larger than --ring-size %llu",
			(unsigned long long)o->batch, (unsigned long long)o->ring);
		return EXIT_USAGE;
	}
	if ((o->xdp_drop || o->inject) && o->mode != M_TX) {
		vk_errf("vhost", "they act on the TX ring",
			"--xdp-drop and --inject work with 'tx' only");
		return EXIT_USAGE;
	}
	if (o->spin && o->mode != M_PINGPONG) {
		vk_err("--spin", "works with 'pingpong' only", NULL);
		return EXIT_USAGE;
	}
	if (o->interval && o->mode != M_PINGPONG) {
		vk_err("--interval", "it paces pingpong only", NULL);
		return EXIT_USAGE;
	}
	if (o->pace_spin && !o->interval) {
		vk_err("--pace", "it says how --interval waits", NULL);
		return EXIT_USAGE;
	}
	if (o->busy_adaptive && !o->busyloop) {
		vk_err("--busyloop-adaptive",
		       "needs --busyloop-timeout US, the ceiling of the window", NULL);
		return EXIT_USAGE;
	}
	if (o->xdp_obj && !o->xdp_drop) {
		vk_err("--xdp-obj", "needs --xdp-drop", NULL);
		return EXIT_USAGE;
	}
	if (o->inject && o->inject_after >= o->frames) {
		vk_errf("--inject-after", "it must be below --frames",
			"%llu leaves no frame to inject after",
			(unsigned long long)o->inject_after);
		return EXIT_USAGE;
	}
	return 0;
}

static unsigned int hdr_len_of(const struct opts *o)
{
	return (o->mrg || o->v1) ? sizeof(struct virtio_net_hdr_mrg_rxbuf) :
				   sizeof(struct virtio_net_hdr);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static bool bit_test_set(uint8_t *bm, uint64_t i)
{
	bool was = bm[i >> 3] & (1u << (i & 7));

	bm[i >> 3] |= 1u << (i & 7);
	return was;
}

/* Account one of our frames, already checked. */
static void frame_done(struct run *r, uint64_t seq, bool good)
{
	if (seq >= r->o->frames || bit_test_set(r->seen, seq)) {
		r->dup++;
		return;
	}
	if (seq != r->next_expected)
		r->reordered++;
	r->next_expected = seq + 1;
	if (good)
		r->verified++;
	else
		r->corrupt++;
	r->last_progress = vk_now();
}

static void check_err_fds(struct run *r)
{
	for (int q = 0; q < 2; q++) {
		uint64_t v;

		if (read(r->vh.vq[q].err_fd, &v, sizeof(v)) == sizeof(v) && v) {
			if (!r->vhost_error)
				r->err_q = q;
			r->vhost_error = true;
		}
	}
}

/* End conditions shared by every wait: a descriptor error vhost reported,
 * SIGINT/SIGTERM, or no progress for --timeout seconds. Also what --spin
 * (a busy-polling guest, no interrupts) checks between polls. */
static bool keep_going(struct run *r)
{
	check_err_fds(r);
	if (r->vhost_error)
		return false;
	if (vk_stop) {
		r->interrupted = true;
		return false;
	}
	if (vk_now() - r->last_progress > r->o->timeout) {
		r->stalled = true;
		return false;
	}
	return true;
}

/* Sleep until one of the fds is readable, an error is signalled or a
 * short tick passes; acks call eventfds. Returns false when the run must
 * end (stall, signal, vhost error). */
static bool wait_events(struct run *r, bool call_rx, bool call_tx, bool sock)
{
	struct pollfd p[5];
	int n = 0;

	p[n++] = (struct pollfd){ .fd = r->vh.vq[VK_VQ_RX].err_fd, .events = POLLIN };
	p[n++] = (struct pollfd){ .fd = r->vh.vq[VK_VQ_TX].err_fd, .events = POLLIN };
	if (call_rx)
		p[n++] = (struct pollfd){ .fd = r->vh.vq[VK_VQ_RX].call_fd, .events = POLLIN };
	if (call_tx)
		p[n++] = (struct pollfd){ .fd = r->vh.vq[VK_VQ_TX].call_fd, .events = POLLIN };
	if (sock)
		p[n++] = (struct pollfd){ .fd = r->vh.pkt_fd, .events = POLLIN };
	poll(p, n, 100);
	if (call_rx)
		vk_vring_ack_irq(&r->vh.vq[VK_VQ_RX]);
	if (call_tx)
		vk_vring_ack_irq(&r->vh.vq[VK_VQ_TX]);
	return keep_going(r);
}

/* ---- cost window (vk_cost_mark.h): no-ops without the TCG plugin ---- */

/* Frames finished so far, as each mode counts them. */
static uint64_t frames_done(const struct run *r)
{
	if (r->o->mode == M_PINGPONG)
		return r->rtt_n;
	if (r->o->xdp_drop)
		return r->completed;
	return r->verified + r->corrupt;
}

/* Open the window once the warm-up frames are done (set-up, first ring
 * pass and page faults stay outside). */
static void cost_tick(struct run *r)
{
	uint64_t d;

	if (r->cost_state)
		return;
	d = frames_done(r);
	if (d < r->o->warmup)
		return;
	vk_cost_window_open();
	r->cost_state = 1;
	r->cost_f0 = d;
}

/* Close it when the last frame is done, before any teardown. */
static void cost_end(struct run *r)
{
	if (r->cost_state != 1)
		return;
	vk_cost_window_close();
	r->cost_state = 2;
	r->cost_frames = frames_done(r) - r->cost_f0;
}

/* ---- tx: ring -> vhost -> TAP -> packet socket ---- */

static uint64_t reap_tx(struct run *r)
{
	struct vk_vring *vr = &r->vh.vq[VK_VQ_TX];
	unsigned int n = vk_vring_pending(vr), head;
	uint32_t len;
	bool bad;

	vk_vring_note_reap(vr, n);
	for (unsigned int i = 0; i < n; i++) {
		if (!vk_vring_get_used(vr, &head, &len, &bad))
			break;
		if (bad)
			r->bad_used++;
		r->completed++;
	}
	if (n)
		r->last_progress = vk_now();
	return n;
}

#define RECV_BATCH 64

/* Read every frame queued on the packet socket and verify it. */
static uint64_t drain_sock(struct run *r, uint8_t *bufs, size_t blen)
{
	struct mmsghdr m[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	uint64_t got = 0;
	int n;

	do {
		for (int i = 0; i < RECV_BATCH; i++) {
			iov[i] = (struct iovec){ bufs + i * blen, blen };
			m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i],
							      .msg_iovlen = 1 } };
		}
		n = recvmmsg(r->vh.pkt_fd, m, RECV_BATCH, MSG_DONTWAIT | MSG_TRUNC,
			     NULL);
		for (int i = 0; i < n; i++) {
			const uint8_t *f = bufs + i * blen;
			size_t len = m[i].msg_len;
			uint64_t seq;

			if (!vk_frame_seq(f, len < blen ? len : blen, r->cookie, &seq)) {
				r->foreign++;
				continue;
			}
			r->host_frames++;
			got++;
			frame_done(r, seq, len == r->o->size &&
				   vk_frame_check(f + VK_FRAME_HDR, VK_FRAME_HDR,
						  len - VK_FRAME_HDR, seq));
		}
	} while (n == RECV_BATCH);
	return got;
}

static void tx_fill(struct run *r, int head, uint64_t seq)
{
	uint8_t *b = vk_vhost_buf(&r->vh, VK_VQ_TX, head);

	/* No offloads: flags 0, GSO_NONE, num_buffers unused on TX. */
	memset(b, 0, r->vh.hdr_len);
	vk_frame_fill(b + r->vh.hdr_len, r->o->size, seq, r->cookie, r->vh.mac);
}

static int tx_add(struct run *r, uint64_t seq)
{
	struct vk_vring *vr = &r->vh.vq[VK_VQ_TX];
	int head = vk_vring_next_head(vr);

	if (head < 0)
		return -1;
	tx_fill(r, head, seq);
	vk_vring_add(vr, (uintptr_t)vk_vhost_buf(&r->vh, VK_VQ_TX, head),
		     r->vh.hdr_len + r->o->size, false);
	r->submitted++;
	return head;
}

/* Post a malformed chain, then a few good frames behind it: vhost must
 * signal the error eventfd and process none of those. */
static void tx_inject(struct run *r)
{
	struct vk_vring *vr = &r->vh.vq[VK_VQ_TX];
	int head = vk_vring_next_head(vr);
	uint64_t addr = (uintptr_t)vk_vhost_buf(&r->vh, VK_VQ_TX, head);
	struct vring_desc d[2] = { 0 };
	unsigned int n = 1;

	if (r->o->inject == INJ_BAD_ADDR) {
		/* Past the end of the only memory region. */
		d[0].addr = (uintptr_t)r->vh.mem + r->vh.mem_len + (1 << 20);
		d[0].len = r->vh.hdr_len + r->o->size;
	} else {
		d[0] = (struct vring_desc){ addr, r->vh.hdr_len, VRING_DESC_F_NEXT, 1 };
		d[1] = (struct vring_desc){ addr + r->vh.hdr_len, r->o->size,
					    VRING_DESC_F_NEXT, 0 };
		n = 2;
	}
	vk_vring_add_raw(vr, d, n);
	for (unsigned int i = 0; i < 8 && vr->num_free; i++) {
		tx_add(r, r->o->inject_after + 1 + i);
		r->later_sent++;
	}
	vk_vring_publish(vr);
	vk_vring_kick(vr);
}

static int run_tx(struct run *r, uint8_t *rbuf, size_t rblen)
{
	struct vk_vring *vr = &r->vh.vq[VK_VQ_TX];
	const struct opts *o = r->o;
	uint64_t next = 0, stop_at = o->inject ? o->inject_after : o->frames;
	bool injected = false;

	for (;;) {
		bool progress = false, need_irq;
		unsigned int sub = 0;
		uint64_t done;

		if (vk_stop) {
			r->interrupted = true;
			break;
		}
		if (reap_tx(r))
			progress = true;
		while (sub < o->batch && next < stop_at && vr->num_free &&
		       next - (o->xdp_drop ? r->completed : r->host_frames) <
		       r->window) {
			tx_add(r, next++);
			sub++;
			if (o->publish && sub % o->publish == 0)
				vk_vring_publish(vr);
		}
		if (sub) {
			if (!o->publish || sub % o->publish)
				vk_vring_publish(vr);
			vk_vring_kick(vr);
			progress = true;
		}
		if (drain_sock(r, rbuf, rblen))
			progress = true;
		cost_tick(r);

		done = o->xdp_drop ? r->completed : r->host_frames;
		if (next == stop_at && done >= stop_at && r->completed >= stop_at) {
			cost_end(r);
			if (!o->inject || injected)
				break;
			tx_inject(r);
			injected = true;
			r->last_progress = vk_now();
			continue;
		}
		if (progress)
			continue;
		/* Completions are what we wait for when the ring is full, at
		 * the end, and always when XDP drops everything. Like
		 * virtio-net, ask for the call late: after 3/4 in flight. */
		need_irq = !vr->num_free || next == stop_at || o->xdp_drop ||
			   injected;
		if (need_irq) {
			unsigned int delay = !vr->num_free ? (vr->num * 3) / 4 : 0;

			if (vk_vring_enable_cb(vr, delay))
				continue;
		}
		if (!wait_events(r, false, need_irq, !o->xdp_drop))
			break;
		if (need_irq)
			vk_vring_disable_cb(vr);
	}
	if (injected) {
		/* Give vhost time to (wrongly) process the later frames. */
		double until = vk_now() + 0.5;

		while (vk_now() < until && !vk_stop) {
			check_err_fds(r);
			usleep(10000);
			drain_sock(r, rbuf, rblen);
		}
		r->later_done = r->host_frames > stop_at ? r->host_frames - stop_at : 0;
	}
	return 0;
}

/* ---- rx: packet socket -> TAP -> vhost -> ring ---- */

static void rx_post(struct run *r)
{
	struct vk_vring *vr = &r->vh.vq[VK_VQ_RX];
	int head;

	while ((head = vk_vring_next_head(vr)) >= 0)
		vk_vring_add(vr, (uintptr_t)vk_vhost_buf(&r->vh, VK_VQ_RX, head),
			     r->vh.buf_len[VK_VQ_RX], true);
}

/* One used RX buffer: the start of a frame or (mergeable) the next part. */
static void rx_buffer(struct run *r, unsigned int head, uint32_t len)
{
	const uint8_t *b = vk_vhost_buf(&r->vh, VK_VQ_RX, head);
	unsigned int hl = r->vh.hdr_len;
	const uint8_t *data = b;
	size_t dlen = len;

	if (len > r->vh.buf_len[VK_VQ_RX]) {
		r->bad_used++;
		return;
	}
	if (!r->mrg_left) {
		const struct virtio_net_hdr_mrg_rxbuf *h = (const void *)b;
		uint64_t seq = 0;

		if (len < hl) {
			r->bad_used++;
			return;
		}
		data = b + hl;
		dlen = len - hl;
		r->mrg_left = r->o->mrg ? le16toh(h->num_buffers) : 1;
		if (!r->mrg_left) {
			r->bad_used++;
			r->mrg_left = 1;
		}
		r->mrg_off = 0;
		r->mrg_ours = vk_frame_seq(data, dlen, r->cookie, &seq);
		r->mrg_seq = seq;
		/* No offload was asked for: the header must be all zero. */
		r->mrg_bad = h->hdr.flags || h->hdr.gso_type;
	}
	if (r->mrg_ours && !vk_frame_check(data, r->mrg_off, dlen, r->mrg_seq))
		r->mrg_bad = true;
	r->mrg_off += dlen;
	if (--r->mrg_left)
		return;
	if (!r->mrg_ours) {
		r->foreign++;
		return;
	}
	r->completed++;
	frame_done(r, r->mrg_seq, !r->mrg_bad && r->mrg_off == r->o->size);
}

static uint64_t reap_rx(struct run *r)
{
	struct vk_vring *vr = &r->vh.vq[VK_VQ_RX];
	unsigned int n = vk_vring_pending(vr), head;
	uint32_t len;
	bool bad;

	vk_vring_note_reap(vr, n);
	for (unsigned int i = 0; i < n; i++) {
		if (!vk_vring_get_used(vr, &head, &len, &bad))
			break;
		if (bad)
			r->bad_used++;
		else
			rx_buffer(r, head, len);
	}
	if (n) {
		rx_post(r);
		vk_vring_publish(vr);
		vk_vring_kick(vr);
		r->last_progress = vk_now();
	}
	return n;
}

static int inject_frames(struct run *r, uint8_t *fb, uint64_t first,
			 unsigned int n)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(VK_ETH_P),
		.sll_ifindex = r->vh.ifindex,
		.sll_halen = 6,
	};
	struct mmsghdr m[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	int s;

	if (n > RECV_BATCH)
		n = RECV_BATCH;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *f = fb + i * r->o->size;

		vk_frame_fill(f, r->o->size, first + i, r->cookie, r->vh.mac);
		iov[i] = (struct iovec){ f, r->o->size };
		m[i] = (struct mmsghdr){ .msg_hdr = {
			.msg_name = &sll, .msg_namelen = sizeof(sll),
			.msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	memcpy(sll.sll_addr, fb, 6);
	s = sendmmsg(r->vh.pkt_fd, m, n, 0);
	if (s < 0) {
		if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
			return 0;
		vk_errf("vhost", NULL, "sending into the TAP: %s", strerror(errno));
		return -1;
	}
	r->host_frames += s;
	return s;
}

static int run_rx(struct run *r, uint8_t *fb)
{
	struct vk_vring *vr = &r->vh.vq[VK_VQ_RX];
	const struct opts *o = r->o;
	uint64_t done;

	rx_post(r);
	vk_vring_publish(vr);
	vk_vring_kick(vr);
	for (;;) {
		bool progress = false;
		uint64_t room;
		int s;

		if (vk_stop) {
			r->interrupted = true;
			break;
		}
		if (reap_rx(r))
			progress = true;
		cost_tick(r);
		done = r->verified + r->corrupt;
		room = r->window - (r->host_frames - done);
		if (r->host_frames < o->frames && r->host_frames - done < r->window) {
			uint64_t n = o->frames - r->host_frames;

			if (n > o->batch)
				n = o->batch;
			if (n > room)
				n = room;
			while (n) {
				s = inject_frames(r, fb, r->host_frames, n);
				if (s < 0)
					return -1;
				if (!s)
					break;
				n -= s;
				progress = true;
			}
		}
		if (done >= o->frames) {
			cost_end(r);
			break;
		}
		if (progress)
			continue;
		if (vk_vring_enable_cb(vr, 0))
			continue;
		if (!wait_events(r, true, false, false))
			break;
		vk_vring_disable_cb(vr);
	}
	return 0;
}

/* ---- pingpong: ring -> TAP -> reflector thread -> TAP -> ring ---- */

struct reflector {
	struct run *r;
	volatile int stop;
	uint64_t reflected;
	int err;
};

static void *reflect_fn(void *arg)
{
	struct reflector *rf = arg;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(VK_ETH_P),
		.sll_ifindex = rf->r->vh.ifindex,
		.sll_halen = 6,
	};
	struct pollfd p = { .fd = rf->r->vh.pkt_fd, .events = POLLIN };
	uint8_t buf[9100];

	while (!rf->stop) {
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			continue;
		memcpy(sll.sll_addr, buf, 6);
		if (sendto(p.fd, buf, n, 0, (struct sockaddr *)&sll, sizeof(sll)) != n) {
			rf->err = errno;
			continue;
		}
		rf->reflected++;
	}
	return NULL;
}

/* --pace spin: wait for an absolute CLOCK_MONOTONIC time by reading the
 * clock. Without high-resolution timers a sleep ends on a timer tick (4 ms
 * at HZ=250), so microsecond gaps need a busy wait.
 */
static void spin_until(const struct timespec *t)
{
	struct timespec now;

	do {
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec < t->tv_sec ||
		  (now.tv_sec == t->tv_sec && now.tv_nsec < t->tv_nsec)) && !vk_stop);
}

static int run_pingpong(struct run *r)
{
	struct vk_vring *rx = &r->vh.vq[VK_VQ_RX], *tx = &r->vh.vq[VK_VQ_TX];
	struct reflector rf = { .r = r };
	const struct opts *o = r->o;
	struct timespec next;
	pthread_t th;
	int ret = 0;

	r->rtt = calloc(o->frames, sizeof(*r->rtt));
	if (!r->rtt)
		return -1;
	if (pthread_create(&th, NULL, reflect_fn, &rf)) {
		vk_err("vhost", "cannot start the reflector thread", NULL);
		return -1;
	}
	rx_post(r);
	if (o->spin)
		vk_vring_disable_cb(rx);
	vk_vring_publish(rx);
	vk_vring_kick(rx);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (uint64_t i = 0; i < o->frames; i++) {
		uint64_t before = r->verified + r->corrupt + r->dup, t0;

		/* --interval: absolute deadlines, so a slow round trip does not
		 * shift the frames after it.
		 */
		if (o->interval && i) {
			next.tv_nsec += o->interval * 1000;
			next.tv_sec += next.tv_nsec / 1000000000;
			next.tv_nsec %= 1000000000;
			if (o->pace_spin)
				spin_until(&next);
			else
				while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
						       &next, NULL) == EINTR && !vk_stop)
					;
		}
		if (vk_stop) {
			r->interrupted = true;
			break;
		}
		reap_tx(r);
		while (!tx->num_free) {
			if (!vk_vring_enable_cb(tx, 0) && !wait_events(r, false, true, false))
				goto out;
			vk_vring_disable_cb(tx);
			reap_tx(r);
		}
		tx_add(r, i);
		vk_vring_publish(tx);
		t0 = vk_now_ns();
		vk_vring_kick(tx);
		for (unsigned int spins = 0;
		     r->verified + r->corrupt + r->dup == before; spins++) {
			if (reap_rx(r))
				continue;
			if (o->spin) {
				if (!(spins & 1023) && !keep_going(r))
					goto out;
				continue;
			}
			if (vk_vring_enable_cb(rx, 0))
				continue;
			if (!wait_events(r, true, false, false))
				goto out;
			vk_vring_disable_cb(rx);
		}
		r->rtt[r->rtt_n++] = vk_now_ns() - t0;
		cost_tick(r);
	}
	cost_end(r);
out:
	rf.stop = 1;
	pthread_join(th, NULL);
	r->host_frames = rf.reflected;
	if (rf.err) {
		vk_errf("vhost", NULL, "reflecting into the TAP: %s", strerror(rf.err));
		ret = -1;
	}
	return ret;
}

/* ---- XDP on the TAP (tx --xdp-drop) ---- */

static const char *xdp_obj_path(const struct opts *o, char *buf, size_t len)
{
	static const char *const rel[] = { "bpf/xdp_drop.bpf.o",
					   "../lib/vnetkit/bpf/xdp_drop.bpf.o" };
	const char *dir = getenv("VNETKIT_BPF_DIR");
	char exe[4096];
	ssize_t n;

	if (o->xdp_obj)
		return o->xdp_obj;
	if (dir) {
		snprintf(buf, len, "%s/xdp_drop.bpf.o", dir);
		return buf;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		*strrchr(exe, '/') = 0;
		for (unsigned int i = 0; i < ARRAY_SIZE(rel); i++) {
			snprintf(buf, len, "%s/%s", exe, rel[i]);
			if (!access(buf, R_OK))
				return buf;
		}
	}
	return "/usr/lib/vnetkit/bpf/xdp_drop.bpf.o";
}

static int xdp_attach(struct run *r, struct bpf_object **objp)
{
	char buf[4200];
	const char *path = xdp_obj_path(r->o, buf, sizeof(buf));
	struct bpf_program *prog;
	struct bpf_object *obj;
	int err;

	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		vk_errf("--xdp-drop", "build it with make, or give --xdp-obj",
			"cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	*objp = obj;
	prog = bpf_object__next_program(obj, NULL);
	if (!prog) {
		vk_errf("--xdp-drop", NULL, "%s has no program", path);
		return -1;
	}
	bpf_program__set_type(prog, BPF_PROG_TYPE_XDP);
	err = bpf_object__load(obj);
	if (err) {
		vk_errf("--xdp-drop", "VNETKIT_DEBUG=1 shows the verifier log",
			"cannot load %s: %s", path, strerror(-err));
		return -1;
	}
	/* Native mode on the TAP: a drop in the generic path would not be
	 * the path vhost-net uses, so no silent fallback. */
	err = bpf_xdp_attach(r->vh.ifindex, bpf_program__fd(prog),
			     XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		vk_errf("--xdp-drop", NULL, "native XDP attach to %s: %s",
			r->vh.ifname, strerror(-err));
		return -1;
	}
	return 0;
}

/* rx_dropped of the TAP from /proc/net/dev (our netns): tun counts XDP
 * drops there. */
static int tap_rx_dropped(struct run *r, uint64_t *v)
{
	char line[512], name[IF_NAMESIZE + 2];
	unsigned long long f[4];
	int ret = -1;
	FILE *fp;

	fp = fopen("/proc/self/net/dev", "r");
	if (!fp)
		return -1;
	snprintf(name, sizeof(name), "%s:", r->vh.ifname);
	while (fgets(line, sizeof(line), fp)) {
		char *p = line + strspn(line, " ");

		if (strncmp(p, name, strlen(name)))
			continue;
		/* bytes packets errs drop */
		if (sscanf(p + strlen(name), "%llu %llu %llu %llu", &f[0], &f[1],
			   &f[2], &f[3]) == 4) {
			*v = f[3];
			ret = 0;
		}
	}
	fclose(fp);
	return ret;
}

/* ---- report ---- */

static void pkt_stats(struct run *r)
{
	struct tpacket_stats st;
	socklen_t sl = sizeof(st);

	if (!getsockopt(r->vh.pkt_fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl))
		r->pkt_drops += st.tp_drops;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(const uint64_t *v, uint64_t n, double p)
{
	uint64_t i = (uint64_t)(p * (n - 1) + 0.5);

	return n ? v[i < n ? i : n - 1] : 0;
}

static double per(uint64_t a, uint64_t b)
{
	return b ? (double)a / b : 0;
}

static const char *outcome(const struct run *r)
{
	if (r->vhost_error)
		return "vhost_error";
	if (r->o->inject)
		return "error_missed";
	if (r->stalled)
		return "stalled";
	if (r->interrupted)
		return "interrupted";
	if (r->corrupt || r->dup || r->lost || r->bad_used || r->pkt_drops)
		return "verify_failed";
	if (r->o->xdp_drop && !r->xdp_dropped_ok)
		return "verify_failed";
	return "ok";
}

static void json_vq(const char *name, const struct vk_vring *vr, uint64_t frames,
		    bool last)
{
	printf("\"%s\":{\"kicks\":%llu,\"kicks_suppressed\":%llu,"
	       "\"kicks_per_frame\":%.6f,\"interrupts\":%llu,"
	       "\"interrupts_per_frame\":%.6f,\"reaps\":%llu,\"used\":%llu,"
	       "\"used_per_reap\":%.2f,\"max_used_per_reap\":%llu,"
	       "\"used_per_reap_log2\":[",
	       name, (unsigned long long)vr->kicks,
	       (unsigned long long)vr->kicks_suppressed, per(vr->kicks, frames),
	       (unsigned long long)vr->irqs, per(vr->irqs, frames),
	       (unsigned long long)vr->reaps, (unsigned long long)vr->reaped,
	       per(vr->reaped, vr->reaps), (unsigned long long)vr->max_reap);
	for (int i = 0; i < VK_REAP_BUCKETS; i++)
		printf("%s%llu", i ? "," : "", (unsigned long long)vr->reap_hist[i]);
	printf("]}%s", last ? "" : ",");
}

static void print_json(struct run *r)
{
	const struct opts *o = r->o;
	double el = r->t1 - r->t0;
	uint64_t fr = r->verified;

	printf("{\"mode\":\"%s\",\"result\":\"%s\",\"frames\":%llu,\"size\":%llu,"
	       "\"ring_size\":%llu,\"batch\":%llu,\"busyloop_timeout_us\":%llu,"
	       "\"busyloop_adaptive\":%s,\"interval_us\":%llu,\"pace\":\"%s\","
	       "\"window\":%llu,\"hdr_len\":%u,\"rx_buf\":%zu,\"spin\":%s,",
	       mode_names[o->mode], outcome(r), (unsigned long long)o->frames,
	       (unsigned long long)o->size, (unsigned long long)o->ring,
	       (unsigned long long)o->batch, (unsigned long long)o->busyloop,
	       o->busy_adaptive ? "true" : "false",
	       (unsigned long long)o->interval, o->pace_spin ? "spin" : "sleep",
	       (unsigned long long)r->window,
	       r->vh.hdr_len, r->vh.buf_len[VK_VQ_RX],
	       o->spin ? "true" : "false");
	printf("\"features\":{\"version_1\":%s,\"event_idx\":%s,\"mrg_rxbuf\":%s,"
	       "\"negotiated\":\"0x%llx\",\"offered\":\"0x%llx\"},",
	       o->v1 ? "true" : "false", o->event_idx ? "true" : "false",
	       o->mrg ? "true" : "false", (unsigned long long)r->vh.features,
	       (unsigned long long)r->vh.host_features);
	printf("\"verified\":%llu,\"corrupt\":%llu,\"duplicate\":%llu,"
	       "\"lost\":%llu,\"reordered\":%llu,\"foreign\":%llu,"
	       "\"bad_used\":%llu,\"socket_drops\":%llu,",
	       (unsigned long long)r->verified, (unsigned long long)r->corrupt,
	       (unsigned long long)r->dup, (unsigned long long)r->lost,
	       (unsigned long long)r->reordered, (unsigned long long)r->foreign,
	       (unsigned long long)r->bad_used, (unsigned long long)r->pkt_drops);
	if (o->xdp_drop)
		printf("\"xdp_dropped\":%llu,", (unsigned long long)r->xdp_dropped);
	if (o->inject)
		printf("\"inject\":{\"chain\":\"%s\",\"after\":%llu,"
		       "\"error_signalled\":%s,\"later_sent\":%llu,"
		       "\"later_processed\":%llu},",
		       inject_names[o->inject], (unsigned long long)o->inject_after,
		       r->vhost_error ? "true" : "false",
		       (unsigned long long)r->later_sent,
		       (unsigned long long)r->later_done);
	if (o->xdp_drop)
		fr = r->completed;
	printf("\"elapsed_s\":%.6f,\"pps\":%.1f,\"ns_per_frame\":%.1f,",
	       el, el > 0 ? fr / el : 0, fr ? el * 1e9 / fr : 0);
	json_vq("tx", &r->vh.vq[VK_VQ_TX], fr, false);
	json_vq("rx", &r->vh.vq[VK_VQ_RX], fr, false);
	if (r->wok)
		printf("\"vhost_worker\":{\"cpu_ns\":%llu,\"cpu_ns_per_frame\":%.1f,"
		       "\"source\":\"%s\"},",
		       (unsigned long long)(r->worker1 - r->worker0),
		       per(r->worker1 - r->worker0, fr), r->wsrc);
	else
		printf("\"vhost_worker\":{\"unavailable\":\"%s\"},", r->wwhy);
	printf("\"driver_cpu_ns\":%llu,\"publish_every\":%llu,"
	       "\"pin\":{\"driver\":%d,\"worker\":%d},"
	       "\"cost_window\":{\"warmup\":%llu,\"in_window\":%llu,\"opened\":%s}",
	       (unsigned long long)(r->drv1 - r->drv0),
	       (unsigned long long)o->publish, o->pin_drv, o->pin_worker,
	       (unsigned long long)o->warmup, (unsigned long long)r->cost_frames,
	       r->cost_state ? "true" : "false");
	if (o->mode == M_PINGPONG && r->rtt_n)
		printf(",\"latency_ns\":{\"samples\":%llu,\"min\":%llu,\"p50\":%llu,"
		       "\"p99\":%llu,\"max\":%llu}",
		       (unsigned long long)r->rtt_n, (unsigned long long)r->rtt[0],
		       (unsigned long long)pct(r->rtt, r->rtt_n, 0.5),
		       (unsigned long long)pct(r->rtt, r->rtt_n, 0.99),
		       (unsigned long long)r->rtt[r->rtt_n - 1]);
	printf("}\n");
}

static void human_vq(const char *name, const struct vk_vring *vr, uint64_t fr)
{
	printf("%-5s %11.4f %11.4f %11llu %10.2f %6llu\n", name,
	       per(vr->kicks, fr), per(vr->irqs, fr),
	       (unsigned long long)vr->kicks_suppressed, per(vr->reaped, vr->reaps),
	       (unsigned long long)vr->max_reap);
}

static void print_human(struct run *r)
{
	const struct opts *o = r->o;
	double el = r->t1 - r->t0;
	uint64_t fr = o->xdp_drop ? r->completed : r->verified;
	char rate[32];

	printf("vhost %s: %llu frames of %llu B, ring %llu, batch %llu, "
	       "busyloop %llu us%s\n", mode_names[o->mode],
	       (unsigned long long)o->frames, (unsigned long long)o->size,
	       (unsigned long long)o->ring, (unsigned long long)o->batch,
	       (unsigned long long)o->busyloop,
	       o->busy_adaptive ? " (adaptive ceiling)" : "");
	printf("features   %s%s%s(0x%llx), hdr %u B, rx buffer %zu B\n",
	       o->v1 ? "VERSION_1 " : "", o->event_idx ? "EVENT_IDX " : "",
	       o->mrg ? "MRG_RXBUF " : "", (unsigned long long)r->vh.features,
	       r->vh.hdr_len, r->vh.buf_len[VK_VQ_RX]);
	if (o->xdp_drop)
		printf("xdp drop   %llu/%llu frames dropped on the TAP, %llu reached "
		       "the stack\n", (unsigned long long)r->xdp_dropped,
		       (unsigned long long)o->frames,
		       (unsigned long long)r->host_frames);
	else
		printf("verified   %llu/%llu, corrupt %llu, lost %llu, dup %llu, "
		       "reordered %llu\n", (unsigned long long)r->verified,
		       (unsigned long long)o->frames, (unsigned long long)r->corrupt,
		       (unsigned long long)r->lost, (unsigned long long)r->dup,
		       (unsigned long long)r->reordered);
	if (o->inject)
		printf("inject     %s chain after %llu frames: error eventfd %s, "
		       "%llu/%llu later frames processed\n",
		       inject_names[o->inject], (unsigned long long)o->inject_after,
		       r->vhost_error ? "signalled" : "silent",
		       (unsigned long long)r->later_done,
		       (unsigned long long)r->later_sent);
	printf("rate       %s pps, %.0f ns/frame, %.3f s\n",
	       vk_fmt_rate(rate, sizeof(rate), el > 0 ? fr / el : 0),
	       fr ? el * 1e9 / fr : 0, el);
	printf("queue  kicks/frame  irqs/frame  suppressed  used/reap  max\n");
	if (o->mode != M_RX)
		human_vq("tx", &r->vh.vq[VK_VQ_TX], fr);
	if (o->mode != M_TX)
		human_vq("rx", &r->vh.vq[VK_VQ_RX], fr);
	if (r->wok)
		printf("vhost worker cpu %.3f s, %.0f ns/frame (%s); driver cpu "
		       "%.3f s\n", (r->worker1 - r->worker0) / 1e9,
		       per(r->worker1 - r->worker0, fr), r->wsrc,
		       (r->drv1 - r->drv0) / 1e9);
	else
		printf("vhost worker cpu unavailable (%s); driver cpu %.3f s\n",
		       r->wwhy, (r->drv1 - r->drv0) / 1e9);
	printf("cost       window over %llu frames after %llu warm-up frames "
	       "(vk_cost markers)\n", (unsigned long long)r->cost_frames,
	       (unsigned long long)o->warmup);
	if (o->mode == M_PINGPONG && r->rtt_n)
		printf("latency    min %.1f us, p50 %.1f us, p99 %.1f us, max %.1f us "
		       "(%llu samples)\n", r->rtt[0] / 1e3,
		       pct(r->rtt, r->rtt_n, 0.5) / 1e3,
		       pct(r->rtt, r->rtt_n, 0.99) / 1e3,
		       r->rtt[r->rtt_n - 1] / 1e3, (unsigned long long)r->rtt_n);
}

/* tx/pingpong: posted on the TX ring, not yet used; rx: sent into the
 * TAP, not yet in the RX ring. */
static uint64_t in_flight(const struct run *r)
{
	if (r->o->mode == M_RX)
		return r->host_frames - (r->verified + r->corrupt);
	return r->submitted - r->completed;
}

static void report_failure(struct run *r)
{
	const struct opts *o = r->o;
	static const char *const qn[] = { "RX", "TX" };

	if (r->vhost_error) {
		char why[200];

		snprintf(why, sizeof(why), "vhost-net signalled a descriptor error "
			 "on the %s queue and stopped processing it", qn[r->err_q]);
		if (o->inject)
			vk_errf("vhost", "expected: --inject posted a malformed chain",
				"%s (%s chain after %llu frames, %llu/%llu later "
				"frames processed)", why, inject_names[o->inject],
				(unsigned long long)o->inject_after,
				(unsigned long long)r->later_done,
				(unsigned long long)r->later_sent);
		else
			vk_err("vhost", why, "a driver bug or memory corruption");
	} else if (o->inject) {
		vk_errf("vhost", "vhost-net should stop the queue and signal the "
			"error eventfd", "the %s chain went unreported (%llu/%llu "
			"later frames processed)", inject_names[o->inject],
			(unsigned long long)r->later_done,
			(unsigned long long)r->later_sent);
	} else if (r->stalled) {
		vk_errf("vhost", "vhost-net stopped processing without signalling "
			"an error; --timeout raises the limit",
			"no progress for %.1f s (%llu/%llu frames done, %llu in "
			"flight)", o->timeout,
			(unsigned long long)(r->verified + r->corrupt),
			(unsigned long long)o->frames,
			(unsigned long long)in_flight(r));
	} else if (r->interrupted) {
		vk_errf("vhost", NULL, "interrupted with %llu frames in flight; torn "
			"down", (unsigned long long)in_flight(r));
	} else if (strcmp(outcome(r), "ok")) {
		vk_errf("vhost", r->pkt_drops ? "lower --window" : NULL,
			"verification failed: %llu corrupt, %llu lost, %llu duplicate, "
			"%llu bad used entries, %llu packet socket drops%s",
			(unsigned long long)r->corrupt, (unsigned long long)r->lost,
			(unsigned long long)r->dup, (unsigned long long)r->bad_used,
			(unsigned long long)r->pkt_drops,
			o->xdp_drop && !r->xdp_dropped_ok ?
			", XDP drop count does not match" : "");
	}
}

static void print_regions(const struct vk_vhost_cfg *cfg)
{
	static const char *const qn[] = { "rx", "tx" };
	struct vk_vhost_layout l;

	vk_vhost_layout(cfg, &l);
	for (int q = 0; q < 2; q++) {
		const struct { const char *n; struct vk_vhost_area a; } ar[] = {
			{ "desc", l.desc[q] }, { "avail", l.avail[q] },
			{ "used", l.used[q] }, { "buf", l.buf[q] },
		};

		for (unsigned int i = 0; i < ARRAY_SIZE(ar); i++)
			printf("region=%s.%s:0x%llx:0x%llx\n", qn[q], ar[i].n,
			       (unsigned long long)ar[i].a.addr,
			       (unsigned long long)ar[i].a.len);
	}
}

/* --pin: this thread (and the reflector it starts) on one CPU, the
 * vhost-<pid> worker on another. */
static int pin_threads(struct run *r)
{
	const struct opts *o = r->o;
	cpu_set_t set;

	if (o->pin_drv < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(o->pin_drv, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		vk_errf("--pin", "name CPUs this system has (nproc)",
			"cannot run the driver on CPU %d: %s", o->pin_drv,
			strerror(errno));
		return -1;
	}
	if (!r->vh.worker_tid) {
		vk_err("--pin", "a kernel with vhost_task workers (6.4+) or the "
		       "vhost kthread is needed", "no vhost-<pid> worker found");
		return -1;
	}
	CPU_ZERO(&set);
	CPU_SET(o->pin_worker, &set);
	if (sched_setaffinity(r->vh.worker_tid, sizeof(set), &set)) {
		vk_errf("--pin", "name CPUs this system has (nproc)",
			"cannot run the vhost worker (tid %d) on CPU %d: %s",
			r->vh.worker_tid, o->pin_worker, strerror(errno));
		return -1;
	}
	return 0;
}

static uint64_t auto_window(const struct opts *o, unsigned int hdr)
{
	/* tx: frames between the ring and the packet socket must fit its
	 * buffer (32 MiB after doubling; truesize about 2x + 1 KiB).
	 * rx: frames sent but not yet in the RX ring wait in the TAP's
	 * 500-entry queue, which drops when full. */
	uint64_t w;

	if (o->mode == M_RX)
		return 256;
	w = (16ull << 20) / (2 * (o->size + hdr) + 1024);
	return w < 2 * o->ring ? w : 2 * o->ring;
}

int cmd_vhost(int argc, char **argv)
{
	struct vk_vhost_cfg cfg = { 0 };
	struct bpf_object *xdp = NULL;
	uint8_t *scratch = NULL;
	struct run r = { 0 };
	uint64_t drop0 = 0, drop1 = 0;
	struct opts o;
	unsigned int hdr;
	size_t rblen;
	int ret;

	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret == -2 ? 0 : ret;
	hdr = hdr_len_of(&o);
	if (!o.rx_buf)
		o.rx_buf = (hdr + o.size + 63) & ~63ull;
	if (!o.mrg && o.rx_buf < hdr + o.size) {
		vk_errf("--rx-buf", "enable mergeable buffers or raise --rx-buf",
			"%llu B cannot hold a %u B header and a %llu B frame",
			(unsigned long long)o.rx_buf, hdr, (unsigned long long)o.size);
		return EXIT_USAGE;
	}
	if (o.rx_buf < hdr + VK_FRAME_HDR) {
		vk_errf("--rx-buf", NULL, "%llu B cannot hold the frame header",
			(unsigned long long)o.rx_buf);
		return EXIT_USAGE;
	}
	if (o.mrg && (o.size + o.rx_buf - 1) / (o.rx_buf - hdr) > o.ring / 2) {
		vk_errf("--rx-buf", "raise --rx-buf or --ring-size",
			"a frame would take more than half of the RX ring");
		return EXIT_USAGE;
	}
	cfg = (struct vk_vhost_cfg){
		.dev_path = o.dev, .ring_size = o.ring, .version_1 = o.v1,
		.event_idx = o.event_idx, .mrg_rxbuf = o.mrg,
		.busyloop_us = o.busyloop, .busyloop_adaptive = o.busy_adaptive,
		.tx_buf_len = hdr + o.size,
		.rx_buf_len = o.rx_buf,
		.mtu = o.size > 1514 ? o.size - 14 : 0,
	};
	if (o.mode == M_REGIONS) {
		print_regions(&cfg);
		return 0;
	}
	/* Its TAP: CAP_NET_ADMIN; the host-side packet socket: CAP_NET_RAW;
	 * --xdp loads a program: CAP_BPF. */
	if (access(o.dev, F_OK) == 0 &&
	    vk_require_caps("vhost", VK_CAP(VK_CAP_NET_ADMIN) | VK_CAP(VK_CAP_NET_RAW) |
			    (o.xdp_drop || o.xdp_obj ? VK_CAP(VK_CAP_BPF) : 0)))
		return EXIT_FAIL;
	r.o = &o;
	r.window = o.window ? o.window : auto_window(&o, hdr);
	r.seen = calloc(o.frames / 8 + 1, 1);
	rblen = o.size + 64;
	scratch = malloc(RECV_BATCH * rblen);
	if (!r.seen || !scratch) {
		vk_err("vhost", "out of memory", "lower --frames");
		ret = EXIT_FAIL;
		goto out_free;
	}
	if (vk_vhost_open(&r.vh, &cfg)) {
		ret = EXIT_FAIL;
		goto out_free;
	}
	if (pin_threads(&r)) {
		ret = EXIT_FAIL;
		goto out;
	}
	if (o.xdp_drop && (xdp_attach(&r, &xdp) || tap_rx_dropped(&r, &drop0))) {
		ret = EXIT_FAIL;
		goto out;
	}
	r.cookie = (uint32_t)(vk_now_ns() ^ getpid());
	vk_install_signals();
	r.wok = !vk_vhost_worker_cpu(&r.vh, &r.worker0, &r.wsrc, &r.wwhy);
	r.drv0 = thread_cpu_ns();
	r.t0 = r.last_progress = vk_now();
	switch (o.mode) {
	case M_TX:
		ret = run_tx(&r, scratch, rblen);
		break;
	case M_RX:
		ret = run_rx(&r, scratch);
		break;
	case M_PINGPONG:
		ret = run_pingpong(&r);
		break;
	case M_REGIONS:
		break;
	}
	cost_end(&r);
	r.t1 = vk_now();
	r.drv1 = thread_cpu_ns();
	if (r.wok)
		r.wok = !vk_vhost_worker_cpu(&r.vh, &r.worker1, &r.wsrc, &r.wwhy);
	/* Signals vhost sent while nobody waited count too. */
	vk_vring_ack_irq(&r.vh.vq[VK_VQ_RX]);
	vk_vring_ack_irq(&r.vh.vq[VK_VQ_TX]);
	check_err_fds(&r);
	pkt_stats(&r);
	if (o.xdp_drop) {
		if (tap_rx_dropped(&r, &drop1))
			drop1 = drop0;
		r.xdp_dropped = drop1 - drop0;
		r.xdp_dropped_ok = r.xdp_dropped == o.frames && !r.host_frames;
	} else if (o.mode != M_PINGPONG && !o.inject) {
		uint64_t seen = r.verified + r.corrupt;

		r.lost = seen < o.frames ? o.frames - seen : 0;
	}
	if (o.mode == M_PINGPONG)
		qsort(r.rtt, r.rtt_n, sizeof(*r.rtt), cmp_u64);
	if (ret) {
		ret = EXIT_FAIL;
	} else {
		if (o.json)
			print_json(&r);
		else
			print_human(&r);
		fflush(stdout);
		report_failure(&r);
		ret = strcmp(outcome(&r), "ok") ? EXIT_FAIL : 0;
	}
out:
	/* The XDP program goes with the TAP (private netns) or here. */
	if (xdp)
		bpf_xdp_detach(r.vh.ifindex, XDP_FLAGS_DRV_MODE, NULL);
	vk_vhost_close(&r.vh);
	bpf_object__close(xdp);
out_free:
	free(r.rtt);
	free(r.seen);
	free(scratch);
	return ret;
}
