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
 *   window, hdr_len, rx_buf, spin, via_xdp (rx frames sent through a veth
 *   and XDP_REDIRECT into the TAP),
 *   features {version_1, event_idx, mrg_rxbuf, negotiated, offered (hex)},
 *   verified, corrupt, duplicate, lost, reordered, foreign (frames on the
 *   TAP that are not ours), bad_used (used entries vhost got wrong),
 *   socket_drops (packet socket overflow), [xdp_dropped],
 *   [inject {chain, after, error_signalled, later_sent, later_processed}],
 *   [rebase {every, count, requeued, misordered}] (--rebase-every: queue
 *   restarts done, buffers re-posted in them under other heads, used
 *   entries out of avail order),
 *   [busyloop_changes {every, count, readback_mismatches, log [[frame,
 *   t0_ns, t1_ns, timeout_us, adaptive], ...]}] (--busyloop-change-every:
 *   the settings applied to both rings while the frames ran, between
 *   CLOCK_MONOTONIC t0 and t1, and how many read back otherwise),
 *   elapsed_s, pps, ns_per_frame,
 *   tx and rx: {kicks, kicks_suppressed, kicks_per_frame, interrupts
 *   (call eventfd signals), interrupts_per_frame, reaps (driver passes that
 *   found used entries), used, used_per_reap, max_used_per_reap,
 *   used_per_reap_log2 [17 buckets: 1, 2-3, 4-7, ...]},
 *   vhost_worker {cpu_ns, cpu_ns_per_frame, source "schedstat"|"sched"|"stat"} or
 *   {unavailable: reason}, driver_cpu_ns,
 *   [latency_ns {samples, min, p50, p99, max}] (pingpong),
 *   [latency_after_warmup_ns {warmup, samples, min, p50, p99, max}]
 *   (pingpong: the frames after the first --warmup),
 *   publish_every (avail index stores per batch: 0 = once per batch),
 *   lockstep (one avail index update in flight, --lockstep),
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
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <linux/if_link.h>

#include "commands.h"
#include "netns.h"
#include "util.h"
#include "vjson.h"
#include "vhost_dev.h"
#include "vhost_frame.h"
#include "vk_cost_mark.h"
#include "xdp_obj.h"

enum mode { M_TX, M_RX, M_PINGPONG, M_REGIONS };
enum inject { INJ_NONE, INJ_BAD_ADDR, INJ_LOOP };

static const char *const mode_names[] = { "tx", "rx", "pingpong", "regions" };
static const char *const inject_names[] = { "none", "bad-addr", "loop" };

struct opts {
	enum mode mode;
	uint64_t frames, size, ring, batch, busyloop, rx_buf, window, interval;
	uint64_t warmup, publish, rebase, change_every;
	int pin_drv, pin_worker;	/* -1: not pinned */
	double timeout;
	bool json, v1, event_idx, mrg, spin, busy_adaptive, pace_spin, lockstep;
	const char *dev;
	enum inject inject;
	uint64_t inject_after;
	bool xdp_drop;
	const char *xdp_obj;
	bool via_xdp;
	const char *rtt_log;
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
	uint64_t *rtt, *rtt_start;	/* round trips, and when each began */
	uint64_t *rtt_w, rtt_w_n;	/* those after --warmup, sorted */
	FILE *rtt_file;			/* --rtt-log, opened before the run */
	uint64_t rtt_n;
	bool vhost_error, stalled, interrupted;
	int err_q;
	uint64_t later_sent, later_done;	/* frames after an injected chain */
	uint64_t pkt_drops;			/* packet socket overflow */
	uint64_t rebases, requeued, next_rebase;	/* --rebase-every */
	/* --busyloop-change-every: the next frame to change at, the changes
	 * made (log: 5 numbers each, see busyloop_change()) and how many of
	 * them read back something else */
	uint64_t next_change, changes, change_bad;
	uint64_t *change_log;
	uint64_t xdp_dropped;
	bool xdp_dropped_ok;
	bool xdp_attached;	/* --xdp-drop: ours on the TAP, detached at exit */
	int inject_ifindex;		/* rx --via-xdp: the veth we send into */
	/* RX reassembly of mergeable buffers */
	unsigned int mrg_left;
	uint64_t mrg_seq;
	size_t mrg_off;
	bool mrg_bad, mrg_ours;
	/* cost window: 0 not yet open, 1 open, 2 closed */
	int cost_state;
	uint64_t cost_f0, cost_frames;
};

enum { O_FRAMES, O_SIZE, O_RING, O_BATCH, O_BUSY, O_ADAPTIVE, O_PACE, O_RXBUF,
       O_WINDOW, O_NOV1, O_NOEIDX, O_NOMRG, O_XDP, O_XDPOBJ, O_VIAXDP, O_INJ,
       O_INJAFTER, O_TIMEOUT, O_DEV, O_JSON, O_INTERVAL, O_SPIN, O_WARMUP, O_PIN,
       O_PUBLISH, O_LOCKSTEP, O_REBASE, O_CHANGE, O_RTTLOG, O_NR };

#define TX VK_SUB(M_TX)
#define RX VK_SUB(M_RX)
#define PP VK_SUB(M_PINGPONG)
#define RUNS (TX | RX | PP)

static const char *const pace_names[] = { "sleep", "spin", NULL };
/* inject_names[] without "none" */
static const char *const inject_values[] = { "bad-addr", "loop", NULL };

static const struct vk_subcmd vhost_subs[] = {
	[M_TX] = { "tx", NULL, "frames from the TX ring must arrive intact on the TAP" },
	[M_RX] = { "rx", NULL,
		"frames sent out of the TAP must arrive intact in the RX ring" },
	[M_PINGPONG] = { "pingpong", NULL,
		"TX -> TAP -> reflector -> RX, one frame in flight: latency" },
	[M_REGIONS] = { "regions", NULL,
		"print the fixed ring/buffer addresses as cost-plugin region= "
		"arguments (no device needed)" },
};

static const struct vk_opt vhost_table[O_NR] = {
	[O_FRAMES] = { "frames", 0, VK_T_INT, "N", .min = 1, .max = 1ull << 32,
		.unit = "frames", .subs = RUNS,
		.help = "frames to send (default 100000; pingpong 10000)" },
	[O_SIZE] = { "size", 0, VK_T_SIZE, "B", .min = VK_FRAME_MIN, .max = 9000,
		.def = "64", .help = "Ethernet frame length" },
	[O_RING] = { "ring-size", 0, VK_T_INT, "S", .min = 2, .max = 32768,
		.unit = "descriptors", .def = "256",
		.help = "descriptors per ring, a power of 2" },
	[O_BATCH] = { "batch", 0, VK_T_INT, "N", .min = 1, .max = 32768, .unit = "frames",
		.subs = RUNS,
		.help = "frames added per kick (tx) / injected per burst (rx), up to "
			"the ring size (default 32)" },
	[O_BUSY] = { "busyloop-timeout", 0, VK_T_INT, "US", .min = 0, .max = 1000000,
		.unit = "us", .def = "0", .subs = RUNS,
		.help = "VHOST_SET_VRING_BUSYLOOP_TIMEOUT on both rings" },
	[O_ADAPTIVE] = { "busyloop-adaptive", 0, VK_T_FLAG, .subs = RUNS,
		.help = "VHOST_SET_VRING_BUSYLOOP_ADAPTIVE on both rings: the timeout "
			"becomes the ceiling of an adaptive window (needs "
			"--busyloop-timeout)" },
	[O_PACE] = { "pace", 0, VK_T_ENUM, "P", .values = pace_names, .def = "sleep",
		.subs = PP,
		.help = "how --interval waits: sleep (timer resolution, a tick without "
			"high-resolution timers) or spin on the clock (exact gaps, one CPU "
			"busy)" },
	[O_RXBUF] = { "rx-buf", 0, VK_T_SIZE, "B", .min = 64, .max = 65536,
		.help = "RX buffer length incl. the virtio-net header (default: fits "
			"one frame; smaller needs mergeable buffers)" },
	[O_WINDOW] = { "window", 0, VK_T_INT, "N", .min = 1, .max = 1 << 20,
		.unit = "frames", .subs = RUNS,
		.help = "frames in flight on the host side (default: automatic)" },
	[O_NOV1] = { "no-version-1", 0, VK_T_FLAG, .help = "switch VIRTIO_F_VERSION_1 off" },
	[O_NOEIDX] = { "no-event-idx", 0, VK_T_FLAG,
		.help = "switch VIRTIO_RING_F_EVENT_IDX off" },
	[O_NOMRG] = { "no-mrg-rxbuf", 0, VK_T_FLAG,
		.help = "switch VIRTIO_NET_F_MRG_RXBUF off" },
	[O_XDP] = { "xdp-drop", 0, VK_T_FLAG, .subs = TX,
		.help = "attach xdp_drop to the TAP: frames must be dropped, none may "
			"reach the stack" },
	[O_XDPOBJ] = { "xdp-obj", 0, VK_T_PATH, "PATH", .subs = TX,
		.help = "an XDP object of your own for --xdp-drop (its first program); "
			"without it, vnetkit's built-in xdp_drop" },
	[O_VIAXDP] = { "via-xdp", 0, VK_T_FLAG, .subs = RX,
		.help = "send the frames into a veth whose multi-buffer XDP program "
			"redirects them into the TAP, so they reach vhost-net as XDP "
			"frames (tun_xdp_xmit)" },
	[O_INJ] = { "inject", 0, VK_T_ENUM, "CHAIN", .values = inject_values, .subs = TX,
		.help = "post a malformed chain after --inject-after frames: vhost must "
			"stop the queue and say so" },
	[O_INJAFTER] = { "inject-after", 0, VK_T_INT, "N", .min = 0, .max = 1ull << 32,
		.unit = "frames", .def = "1000", .subs = TX,
		.help = "frames before the --inject chain" },
	[O_TIMEOUT] = { "timeout", 0, VK_T_DURATION, "S", .fmin = 0.01, .fmax = 3600,
		.def = "10", .subs = RUNS, .help = "fail when nothing progresses this long" },
	[O_DEV] = { "dev", 0, VK_T_PATH, "PATH", .def = "/dev/vhost-net", .subs = RUNS,
		.help = "the vhost-net device" },
	[O_JSON] = { "json", 0, VK_T_FLAG, .subs = RUNS,
		.help = "one JSON document (schema vnetkit-vhost/1)" },
	[O_INTERVAL] = { "interval", 0, VK_T_INT, "US", .min = 0, .max = 1000000,
		.unit = "us", .def = "0", .subs = PP,
		.help = "start a frame every US microseconds, a paced load (0: back to "
			"back)" },
	[O_SPIN] = { "spin", 0, VK_T_FLAG, .subs = PP,
		.help = "poll the RX used ring instead of sleeping on interrupts (a "
			"busy-polling guest)" },
	[O_WARMUP] = { "warmup", 0, VK_T_INT, "N", .min = 0, .max = 1ull << 32,
		.unit = "frames", .subs = RUNS,
		.help = "frames before the cost window opens (default: frames / 10)" },
	[O_PIN] = { "pin", 0, VK_T_STR, "D,W", .subs = RUNS,
		.help = "run this thread on CPU D and the vhost worker on CPU W (a "
			"cost run then splits driver and device)" },
	[O_PUBLISH] = { "publish-every", 0, VK_T_INT, "N", .min = 0, .max = 32768,
		.def = "0", .subs = TX,
		.help = "store the avail index after every N descriptors (one kick "
			"decision per batch still); 0: once per batch" },
	[O_LOCKSTEP] = { "lockstep", 0, VK_T_FLAG, .subs = TX,
		.conflicts = 1ull << O_INJ,
		.help = "publish the next avail index only once vhost has used every "
			"descriptor published before (the driver sleeps on the call "
			"eventfd in between): one avail index update in flight" },
	[O_REBASE] = { "rebase-every", 0, VK_T_INT, "N", .min = 1, .max = UINT32_MAX,
		.unit = "frames", .subs = TX | RX,
		.conflicts = 1ull << O_INJ | 1ull << O_XDP | 1ull << O_LOCKSTEP,
		.help = "after every N frames, with buffers in flight, stop the queue as "
			"a guest reset does (detach the backend, VHOST_GET_VRING_BASE), "
			"re-post the buffers vhost had not taken under other heads, "
			"VHOST_SET_VRING_BASE, attach again; used entries must follow "
			"avail order" },
	[O_CHANGE] = { "busyloop-change-every", 0, VK_T_INT, "N", .min = 1,
		.max = UINT32_MAX, .unit = "frames", .subs = RUNS,
		.help = "after every N frames, while frames are in flight, change both "
			"rings' busy polling to the next of: adaptive with the timeout, "
			"fixed, adaptive with half the timeout, timeout 0; each read "
			"back (needs --busyloop-timeout)" },
	[O_RTTLOG] = { "rtt-log", 0, VK_T_PATH, "FILE", .subs = PP,
		.help = "write every round trip to FILE, one line per frame: the frame, "
			"its start (CLOCK_MONOTONIC ns, the tracing clock 'mono') and "
			"its round-trip time in ns" },
};

static const char *const vhost_examples[] = {
	"vnetkit vhost tx --frames 100000 --batch 32",
	"100000 frames through vhost-net's TX ring, each verified on the TAP",
	"vnetkit vhost pingpong --busyloop-timeout 50 --json",
	"round trips with vhost busy polling for 50 us, latency percentiles",
	"vnetkit vhost regions --ring-size 256",
	"the ring addresses for the cost plugin",
	NULL,
};

const struct vk_cmd_spec vhost_spec = {
	.name = "vhost",
	.summary = "user-space virtio driver for /dev/vhost-net",
	.description = "Drive /dev/vhost-net from user space: vnetkit is the guest "
		"(a split-virtqueue virtio-net driver) and the host side at once, a "
		"TAP in a private network namespace the backend. Every frame is "
		"verified byte for byte.",
	.subs = vhost_subs, .nr_subs = ARRAY_SIZE(vhost_subs),
	.opts = vhost_table, .nr_opts = O_NR,
	.examples = vhost_examples,
	.json_doc = "vhost", .json_version = 1,
};

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
	const struct vk_val *v;
	struct vk_args a;
	int ret;

	ret = vk_cli_parse(&vhost_spec, argc, argv, &a);
	if (ret)
		return ret == VK_CLI_HELP ? -2 : EXIT_USAGE;
	/* Every command's report has its own schema name; vhost's modes
	 * share one document. */
	vk_json_schema("vhost", 1);
	v = a.v;
	*o = (struct opts){ .pin_drv = -1, .pin_worker = -1 };
	o->mode = a.sub;
	o->size = v[O_SIZE].u;
	o->ring = v[O_RING].u;
	if (!pow2(o->ring)) {
		vk_errf("--ring-size", "vhost needs a power of 2",
			"%llu is not a power of 2", (unsigned long long)o->ring);
		return EXIT_USAGE;
	}
	o->batch = v[O_BATCH].set ? v[O_BATCH].u : 32;
	o->busyloop = v[O_BUSY].u;
	o->busy_adaptive = v[O_ADAPTIVE].set;
	o->pace_spin = v[O_PACE].set && v[O_PACE].u == 1;
	o->rx_buf = v[O_RXBUF].set ? v[O_RXBUF].u : 0;
	o->window = v[O_WINDOW].set ? v[O_WINDOW].u : 0;
	o->v1 = !v[O_NOV1].set;
	o->event_idx = !v[O_NOEIDX].set;
	o->mrg = !v[O_NOMRG].set;
	o->xdp_drop = v[O_XDP].set;
	o->xdp_obj = vk_val_str(&v[O_XDPOBJ]);
	o->via_xdp = v[O_VIAXDP].set;
	o->inject = v[O_INJ].set ? (enum inject)(v[O_INJ].u + INJ_BAD_ADDR) : INJ_NONE;
	o->inject_after = v[O_INJAFTER].u;
	o->timeout = v[O_TIMEOUT].d;
	o->dev = v[O_DEV].s;
	o->json = v[O_JSON].set;
	o->interval = v[O_INTERVAL].u;
	o->spin = v[O_SPIN].set;
	o->publish = v[O_PUBLISH].u;
	o->lockstep = v[O_LOCKSTEP].set;
	o->rebase = v[O_REBASE].set ? v[O_REBASE].u : 0;
	o->change_every = v[O_CHANGE].set ? v[O_CHANGE].u : 0;
	o->rtt_log = vk_val_str(&v[O_RTTLOG]);
	if (v[O_PIN].set && parse_pin(v[O_PIN].s, o))
		return EXIT_USAGE;
	o->frames = v[O_FRAMES].set ? v[O_FRAMES].u :
		    o->mode == M_PINGPONG ? 10000 : 100000;
	o->warmup = v[O_WARMUP].set ? v[O_WARMUP].u : o->frames / 10;
	if (o->mode == M_REGIONS)
		return 0;
	if (o->warmup >= o->frames) {
		vk_errf("--warmup", "it must be below --frames",
			"%llu leaves no frame for the cost window",
			(unsigned long long)o->warmup);
		return EXIT_USAGE;
	}
	if (o->publish > o->batch) {
		vk_errf("--publish-every", "a batch ends with a store anyway",
			"%llu is larger than --batch %llu",
			(unsigned long long)o->publish, (unsigned long long)o->batch);
		return EXIT_USAGE;
	}
	if (!v[O_BATCH].given && o->batch > o->ring && o->mode != M_RX)
		o->batch = o->ring;
	/* rx: --batch is the injection burst, which the TAP queue absorbs. */
	if (o->batch > o->ring && o->mode != M_RX) {
		vk_errf("--batch", "a kick cannot cover more than the ring holds",
			"%llu is larger than --ring-size %llu",
			(unsigned long long)o->batch, (unsigned long long)o->ring);
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
	if (o->change_every && !o->busyloop) {
		vk_err("--busyloop-change-every",
		       "needs --busyloop-timeout US, the timeout its settings start from",
		       NULL);
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

/* --rebase-every: restart a queue with buffers in flight, as a guest reset
 * or a migration does, and re-post the buffers vhost has not taken yet
 * under other heads: the avail entries from the base on are rotated by
 * one. On TX every buffer is rewritten with the frame of its new position,
 * so the frames must still leave in order, each once; RX buffers are
 * empty. A device that served an avail entry it had read before the
 * restart uses a buffer out of avail order (vk_vring.check_order counts
 * it) and, on TX, sends a frame early or twice. */
static int ring_rebase(struct run *r, unsigned int q)
{
	struct vk_vring *vr = &r->vh.vq[q];
	uint16_t base, m, k;
	unsigned int *heads;
	uint64_t *seqs;
	int ret = -1;

	if (vk_vhost_detach(&r->vh, q, &base))
		return -1;
	m = vr->avail_idx - base;
	if (m > vr->num) {
		vk_errf("vhost", NULL,
			"VHOST_GET_VRING_BASE says %u, beyond our avail index %u",
			base, vr->avail_idx);
		return -1;
	}
	heads = calloc(m + 1, sizeof(*heads));
	seqs = calloc(m + 1, sizeof(*seqs));
	if (!heads || !seqs) {
		vk_errf("vhost", NULL, "out of memory");
		goto out;
	}
	for (k = 0; k < m; k++) {
		heads[k] = vk_vring_avail_head(vr, base + k);
		if (q == VK_VQ_TX &&
		    !vk_frame_seq(vk_vhost_buf(&r->vh, q, heads[k]) +
				  r->vh.hdr_len, r->o->size, r->cookie,
				  &seqs[k])) {
			vk_errf("vhost", NULL,
				"TX buffer at avail index %u holds no frame of ours",
				(uint16_t)(base + k));
			goto out;
		}
	}
	for (k = 0; k < m; k++) {
		unsigned int h = heads[(k + 1) % m];

		if (q == VK_VQ_TX)
			tx_fill(r, h, seqs[k]);
		vk_vring_set_avail_head(vr, base + k, h);
	}
	r->rebases++;
	if (m > 1)
		r->requeued += m;
	ret = vk_vhost_attach(&r->vh, q, base);
out:
	free(heads);
	free(seqs);
	return ret;
}

/* --busyloop-change-every: at frame count done, apply the next setting of
 * the cycle to both rings (the TX ring first) with frames in flight, and
 * read it back. The cycle covers every transition the ioctls allow: on
 * (which also restarts the window), off, a lower ceiling, no polling. */
static int busyloop_change(struct run *r, uint64_t done)
{
	const struct opts *o = r->o;
	const unsigned int half = o->busyloop / 2 ? o->busyloop / 2 : 1;
	const struct { unsigned int us; bool adaptive; } cycle[] = {
		{ o->busyloop, true }, { o->busyloop, false }, { half, true }, { 0, true },
	};
	unsigned int k = r->changes % 4, got_us;
	uint64_t *log, t0;
	bool got_ad, bad = false;

	if (!o->change_every || done < r->next_change)
		return 0;
	r->next_change = done + o->change_every;
	log = realloc(r->change_log, (r->changes + 1) * 5 * sizeof(*log));
	if (!log)
		return -1;
	r->change_log = log;
	t0 = vk_now_ns();
	for (int q = VK_VQ_TX; q >= VK_VQ_RX; q--) {
		if (vk_vhost_busyloop_set(&r->vh, q, cycle[k].us, cycle[k].adaptive,
					  &got_us, &got_ad))
			return -1;
		bad |= got_us != cycle[k].us || got_ad != cycle[k].adaptive;
	}
	log += r->changes * 5;
	log[0] = done;
	log[1] = t0;
	log[2] = vk_now_ns();
	log[3] = cycle[k].us;
	log[4] = cycle[k].adaptive;
	r->changes++;
	r->change_bad += bad;
	return 0;
}

static int run_tx(struct run *r, uint8_t *rbuf, size_t rblen)
{
	struct vk_vring *vr = &r->vh.vq[VK_VQ_TX];
	const struct opts *o = r->o;
	uint64_t next = 0, stop_at = o->inject ? o->inject_after : o->frames;
	/* --lockstep: one avail index update in flight at a time. On the
	 * single-threaded TCG cost guest the driver's vCPU then idles between
	 * publishes and the worker meets each one, as a concurrent device
	 * does, instead of taking a ring's worth in one time slice. */
	unsigned int group = o->lockstep ? (o->publish ? o->publish : o->batch) : o->batch;
	bool injected = false;

	for (;;) {
		bool progress = false, need_irq, waiting;
		unsigned int sub = 0;
		uint64_t done;

		if (vk_stop) {
			r->interrupted = true;
			break;
		}
		if (reap_tx(r))
			progress = true;
		waiting = o->lockstep && r->completed != next;
		while (!waiting && sub < group && next < stop_at && vr->num_free &&
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
		if (o->rebase && r->submitted >= r->next_rebase) {
			r->next_rebase = r->submitted + o->rebase;
			if (ring_rebase(r, VK_VQ_TX))
				return -1;
		}
		if (next < stop_at && busyloop_change(r, r->submitted))
			return -1;
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
			   injected || waiting;
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
		.sll_ifindex = r->inject_ifindex ? r->inject_ifindex : r->vh.ifindex,
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
		if (o->rebase && r->host_frames >= r->next_rebase &&
		    r->host_frames < o->frames) {
			r->next_rebase = r->host_frames + o->rebase;
			if (ring_rebase(r, VK_VQ_RX))
				return -1;
		}
		if (r->host_frames < o->frames && busyloop_change(r, r->host_frames))
			return -1;
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
	r->rtt_start = calloc(o->frames, sizeof(*r->rtt_start));
	if (!r->rtt || !r->rtt_start)
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
		if (busyloop_change(r, i)) {
			ret = -1;
			goto out;
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
		r->rtt_start[r->rtt_n] = t0;
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

/* Our xdp_drop from the embedded skeleton, like every other XDP program
 * vnetkit loads, or the object the user names with --xdp-obj. */
static int xdp_attach(struct run *r, struct vk_xdp *x)
{
	const char *path = r->o->xdp_obj;
	const char *what = path ? path : "xdp_drop";
	int err;

	err = path ? vk_xdp_open_file(x, path) : vk_xdp_open(x, VK_ACT_DROP);
	if (err) {
		vk_errf("--xdp-drop", NULL, "cannot open %s: %s", what,
			err == -ENOENT && path ? "it has no program" : strerror(-err));
		return -1;
	}
	err = vk_xdp_load(x);
	if (err) {
		vk_errf("--xdp-drop", "VNETKIT_DEBUG=1 shows the verifier log",
			"cannot load %s: %s", what, strerror(-err));
		return -1;
	}
	/* Native mode on the TAP: a drop in the generic path would not be
	 * the path vhost-net uses, so no silent fallback. */
	err = bpf_xdp_attach(r->vh.ifindex, bpf_program__fd(x->prog),
			     XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		vk_errf("--xdp-drop", NULL, "native XDP attach to %s: %s",
			r->vh.ifname, strerror(-err));
		return -1;
	}
	r->xdp_attached = true;
	return 0;
}

/* ---- rx --via-xdp: frames reach the TAP as XDP frames ---- */

static int set_mtu(const char *name, int mtu)
{
	struct ifreq ifr = { .ifr_mtu = mtu };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCSIFMTU, &ifr))
		err = -errno;
	close(fd);
	return err;
}

/* A veth pair in the private netns; on its far end the multi-buffer
 * redirect program (vk_mb_redirect) sends every frame into the TAP: XDP
 * frames in the TAP's ring, the vhost_net path of XDP_REDIRECT into a VM.
 * Frames above a page are multi-buffer: they need a tun that accepts them
 * (NETDEV_XDP_ACT_NDO_XMIT_SG), else the devmap drops them. */
static int via_xdp_setup(struct run *r, struct vk_xdp *x, char *near, char *far)
{
	int mtu = r->o->size > 1514 ? (int)r->o->size - 14 : 1500;
	__u32 key = 0, tap = r->vh.ifindex;
	char msg[256] = "";
	int err, far_idx;

	if (!r->vh.own_netns) {
		vk_err("--via-xdp", "it creates a veth pair and needs a private netns "
		       "(unshare CLONE_NEWNET)", "no private network namespace");
		return -1;
	}
	snprintf(near, IF_NAMESIZE, "vkvxa%d", getpid() % 1000000);
	snprintf(far, IF_NAMESIZE, "vkvxb%d", getpid() % 1000000);
	if (vk_link_add_veth(near, far, msg, sizeof(msg))) {
		vk_errf("--via-xdp", "CONFIG_VETH is needed", "cannot create veth %s: %s",
			near, msg);
		near[0] = 0;
		return -1;
	}
	if ((err = set_mtu(near, mtu)) || (err = set_mtu(far, mtu)) ||
	    (err = vk_link_set_up(near)) || (err = vk_link_set_up(far))) {
		vk_errf("--via-xdp", NULL, "setting up veth %s: %s", near, strerror(-err));
		return -1;
	}
	r->inject_ifindex = if_nametoindex(near);
	far_idx = if_nametoindex(far);
	err = vk_xdp_open_variant(x, VK_ACT_REDIRECT, true);
	if (!err)
		err = vk_xdp_load(x);
	if (!err && bpf_map__update_elem(x->tx_port, &key, sizeof(key), &tap, sizeof(tap), 0))
		err = -errno;
	if (!err)
		err = bpf_xdp_attach(far_idx, bpf_program__fd(x->prog), XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		vk_errf("--via-xdp", "VNETKIT_DEBUG=1 shows the verifier log",
			"loading or attaching vk_mb_redirect on %s: %s", far, strerror(-err));
		return -1;
	}
	return 0;
}

/* rx_dropped of the TAP (/proc/net/dev of our netns): tun counts XDP
 * drops there. */
static int tap_rx_dropped(struct run *r, uint64_t *v)
{
	struct vk_link_info li;

	if (vk_link_info(r->vh.ifname, &li))
		return -1;
	*v = li.rx_dropped;
	return 0;
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

/* --rtt-log: the round trips done, in frame order, before they are sorted. */
static int write_rtt_log(struct run *r)
{
	FILE *f = r->rtt_file;

	r->rtt_file = NULL;
	for (uint64_t i = 0; i < r->rtt_n; i++)
		fprintf(f, "%llu %llu %llu\n", (unsigned long long)i,
			(unsigned long long)r->rtt_start[i],
			(unsigned long long)r->rtt[i]);
	if (fclose(f)) {
		vk_errf("--rtt-log", NULL, "writing %s: %s", r->o->rtt_log,
			strerror(errno));
		return -1;
	}
	return 0;
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
	/* The kernel kept another busy-poll setting than the one set. */
	if (r->change_bad)
		return "verify_failed";
	return "ok";
}

static json_t *json_vq(const struct vk_vring *vr, uint64_t frames)
{
	json_t *o = json_object(), *hist = json_array();

	vk_ju64(o, "kicks", vr->kicks);
	vk_ju64(o, "kicks_suppressed", vr->kicks_suppressed);
	vk_jreal(o, "kicks_per_frame", per(vr->kicks, frames), 6);
	vk_ju64(o, "interrupts", vr->irqs);
	vk_jreal(o, "interrupts_per_frame", per(vr->irqs, frames), 6);
	vk_ju64(o, "reaps", vr->reaps);
	vk_ju64(o, "used", vr->reaped);
	vk_jreal(o, "used_per_reap", per(vr->reaped, vr->reaps), 2);
	vk_ju64(o, "max_used_per_reap", vr->max_reap);
	for (int i = 0; i < VK_REAP_BUCKETS; i++)
		json_array_append_new(hist, vk_json_u64(vr->reap_hist[i]));
	vk_jset(o, "used_per_reap_log2", hist);
	return o;
}

static void print_json(struct run *r, int rc)
{
	const struct opts *o = r->o;
	double el = r->t1 - r->t0;
	uint64_t fr = r->verified;
	json_t *doc = vk_json_doc("vhost", 1), *j;
	char hex[32];

	vk_jstr(doc, "mode", mode_names[o->mode]);
	vk_jstr(doc, "result", outcome(r));
	vk_ju64(doc, "frames", o->frames);
	vk_ju64(doc, "size", o->size);
	vk_ju64(doc, "ring_size", o->ring);
	vk_ju64(doc, "batch", o->batch);
	vk_ju64(doc, "busyloop_timeout_us", o->busyloop);
	vk_jbool(doc, "busyloop_adaptive", o->busy_adaptive);
	vk_ju64(doc, "interval_us", o->interval);
	vk_jstr(doc, "pace", o->pace_spin ? "spin" : "sleep");
	vk_ju64(doc, "window", r->window);
	vk_jint(doc, "hdr_len", r->vh.hdr_len);
	vk_ju64(doc, "rx_buf", r->vh.buf_len[VK_VQ_RX]);
	vk_jbool(doc, "spin", o->spin);
	vk_jbool(doc, "via_xdp", o->via_xdp);
	j = json_object();
	vk_jbool(j, "version_1", o->v1);
	vk_jbool(j, "event_idx", o->event_idx);
	vk_jbool(j, "mrg_rxbuf", o->mrg);
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)r->vh.features);
	vk_jstr(j, "negotiated", hex);
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)r->vh.host_features);
	vk_jstr(j, "offered", hex);
	vk_jset(doc, "features", j);
	vk_ju64(doc, "verified", r->verified);
	vk_ju64(doc, "corrupt", r->corrupt);
	vk_ju64(doc, "duplicate", r->dup);
	vk_ju64(doc, "lost", r->lost);
	vk_ju64(doc, "reordered", r->reordered);
	vk_ju64(doc, "foreign", r->foreign);
	vk_ju64(doc, "bad_used", r->bad_used);
	vk_ju64(doc, "socket_drops", r->pkt_drops);
	if (o->xdp_drop)
		vk_ju64(doc, "xdp_dropped", r->xdp_dropped);
	if (o->inject) {
		j = json_object();
		vk_jstr(j, "chain", inject_names[o->inject]);
		vk_ju64(j, "after", o->inject_after);
		vk_jbool(j, "error_signalled", r->vhost_error);
		vk_ju64(j, "later_sent", r->later_sent);
		vk_ju64(j, "later_processed", r->later_done);
		vk_jset(doc, "inject", j);
	}
	if (o->xdp_drop)
		fr = r->completed;
	vk_jreal(doc, "elapsed_s", el, 6);
	vk_jreal(doc, "pps", el > 0 ? fr / el : 0, 1);
	vk_jreal(doc, "ns_per_frame", fr ? el * 1e9 / fr : 0, 1);
	vk_jset(doc, "tx", json_vq(&r->vh.vq[VK_VQ_TX], fr));
	vk_jset(doc, "rx", json_vq(&r->vh.vq[VK_VQ_RX], fr));
	j = json_object();
	if (r->wok) {
		vk_ju64(j, "cpu_ns", r->worker1 - r->worker0);
		vk_jreal(j, "cpu_ns_per_frame", per(r->worker1 - r->worker0, fr), 1);
		vk_jstr(j, "source", r->wsrc);
	} else {
		vk_jstr(j, "unavailable", r->wwhy);
	}
	vk_jset(doc, "vhost_worker", j);
	vk_ju64(doc, "driver_cpu_ns", r->drv1 - r->drv0);
	vk_ju64(doc, "publish_every", o->publish);
	vk_jbool(doc, "lockstep", o->lockstep);
	vk_jset(doc, "pin", json_pack("{s:i, s:i}", "driver", o->pin_drv, "worker",
				      o->pin_worker));
	vk_jset(doc, "cost_window", json_pack("{s:I, s:I, s:b}", "warmup",
		(json_int_t)o->warmup, "in_window", (json_int_t)r->cost_frames,
		"opened", r->cost_state != 0));
	if (o->rebase)
		vk_jset(doc, "rebase", json_pack("{s:I, s:I, s:I, s:I}",
			"every", (json_int_t)o->rebase, "count", (json_int_t)r->rebases,
			"requeued", (json_int_t)r->requeued, "misordered",
			(json_int_t)(r->vh.vq[VK_VQ_RX].misordered +
				     r->vh.vq[VK_VQ_TX].misordered)));
	if (o->change_every) {
		json_t *log = json_array();

		for (uint64_t i = 0; log && i < r->changes * 5; i += 5)
			json_array_append_new(log, json_pack("[I, I, I, I, I]",
				(json_int_t)r->change_log[i], (json_int_t)r->change_log[i + 1],
				(json_int_t)r->change_log[i + 2], (json_int_t)r->change_log[i + 3],
				(json_int_t)r->change_log[i + 4]));
		vk_jset(doc, "busyloop_changes", json_pack("{s:I, s:I, s:I, s:o*}",
			"every", (json_int_t)o->change_every, "count", (json_int_t)r->changes,
			"readback_mismatches", (json_int_t)r->change_bad, "log", log));
	}
	if (o->mode == M_PINGPONG && r->rtt_n)
		vk_jset(doc, "latency_ns", json_pack("{s:I, s:I, s:I, s:I, s:I}",
			"samples", (json_int_t)r->rtt_n, "min", (json_int_t)r->rtt[0],
			"p50", (json_int_t)pct(r->rtt, r->rtt_n, 0.5),
			"p99", (json_int_t)pct(r->rtt, r->rtt_n, 0.99),
			"max", (json_int_t)r->rtt[r->rtt_n - 1]));
	/* The same without the first --warmup frames: the cost window's, and
	 * those of a steady state (an adaptive busy-poll window starts at 0). */
	if (o->mode == M_PINGPONG && r->rtt_w_n)
		vk_jset(doc, "latency_after_warmup_ns", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
			"warmup", (json_int_t)o->warmup,
			"samples", (json_int_t)r->rtt_w_n, "min", (json_int_t)r->rtt_w[0],
			"p50", (json_int_t)pct(r->rtt_w, r->rtt_w_n, 0.5),
			"p99", (json_int_t)pct(r->rtt_w, r->rtt_w_n, 0.99),
			"max", (json_int_t)r->rtt_w[r->rtt_w_n - 1]));
	vk_json_print(doc, rc);
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
	if (o->rebase)
		printf("rebase     %llu queue restarts (every %llu frames), %llu "
		       "buffers re-posted under other heads, %llu used out of "
		       "avail order\n",
		       (unsigned long long)r->rebases, (unsigned long long)o->rebase,
		       (unsigned long long)r->requeued,
		       (unsigned long long)(r->vh.vq[VK_VQ_RX].misordered +
					    r->vh.vq[VK_VQ_TX].misordered));
	if (o->change_every)
		printf("busyloop   %llu changes (every %llu frames), %llu read back "
		       "otherwise\n", (unsigned long long)r->changes,
		       (unsigned long long)o->change_every,
		       (unsigned long long)r->change_bad);
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
	struct vk_xdp xdp = { 0 };
	char vx_near[IF_NAMESIZE] = "", vx_far[IF_NAMESIZE] = "";
	struct vk_xdp vx = { 0 };
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
	r.next_rebase = o.rebase;
	r.next_change = o.change_every;
	if (o.rtt_log) {
		r.rtt_file = fopen(o.rtt_log, "w");
		if (!r.rtt_file) {
			vk_errf("--rtt-log", NULL, "cannot create %s: %s", o.rtt_log,
				strerror(errno));
			return EXIT_FAIL;
		}
	}
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
	r.vh.vq[VK_VQ_RX].check_order = r.vh.vq[VK_VQ_TX].check_order = o.rebase;
	if (pin_threads(&r)) {
		ret = EXIT_FAIL;
		goto out;
	}
	if (o.xdp_drop && (xdp_attach(&r, &xdp) || tap_rx_dropped(&r, &drop0))) {
		ret = EXIT_FAIL;
		goto out;
	}
	if (o.via_xdp && via_xdp_setup(&r, &vx, vx_near, vx_far)) {
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
	if (r.rtt_file && write_rtt_log(&r))
		ret = -1;
	if (o.mode == M_PINGPONG && r.rtt_n > o.warmup) {
		r.rtt_w_n = r.rtt_n - o.warmup;
		r.rtt_w = malloc(r.rtt_w_n * sizeof(*r.rtt_w));
		if (r.rtt_w) {
			memcpy(r.rtt_w, r.rtt + o.warmup, r.rtt_w_n * sizeof(*r.rtt_w));
			qsort(r.rtt_w, r.rtt_w_n, sizeof(*r.rtt_w), cmp_u64);
		} else {
			r.rtt_w_n = 0;
		}
	}
	if (o.mode == M_PINGPONG)
		qsort(r.rtt, r.rtt_n, sizeof(*r.rtt), cmp_u64);
	if (ret) {
		ret = EXIT_FAIL;
	} else {
		ret = strcmp(outcome(&r), "ok") ? EXIT_FAIL : 0;
		if (o.json) {
			/* The document carries the failure: report it first. */
			report_failure(&r);
			print_json(&r, ret);
		} else {
			print_human(&r);
			fflush(stdout);
			report_failure(&r);
		}
	}
out:
	/* The XDP program goes with the TAP (private netns) or here. */
	if (r.xdp_attached)
		bpf_xdp_detach(r.vh.ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (vx_near[0]) {
		char msg[128];

		vk_link_del(vx_near, msg, sizeof(msg));
	}
	vk_xdp_close(&vx);
	vk_vhost_close(&r.vh);
	vk_xdp_close(&xdp);
out_free:
	/* A run that failed: the round trips it did. */
	if (r.rtt_file && write_rtt_log(&r))
		ret = EXIT_FAIL;
	free(r.rtt);
	free(r.rtt_start);
	free(r.rtt_w);
	free(r.change_log);
	free(r.seen);
	free(scratch);
	return ret;
}
