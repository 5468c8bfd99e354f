// SPDX-License-Identifier: GPL-2.0
/* vnetkit vhost tx|rx|pingpong: test and measure vhost-net from user space.
 *
 * vnetkit is the guest (vhost_dev.c) and the host side at once: an
 * AF_PACKET socket on the TAP receives what vhost transmits (tx), injects
 * what vhost must deliver into the RX ring (rx) and reflects frames
 * (pingpong). Every frame is verified byte for byte.
 *
 * This file is the command line and the set-up and teardown of a run
 * (the device, the TAP's XDP, pinning); vhost_run.h says where the engine
 * and the report are.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <linux/if_link.h>

#include "commands.h"
#include "netns.h"
#include "util.h"
#include "vhost_frame.h"
#include "vhost_run.h"
#include "vjson.h"
#include "xdp_obj.h"


enum { O_FRAMES, O_SIZE, O_RING, O_BATCH, O_BUSY, O_ADAPTIVE, O_PACE, O_RXBUF,
       O_WINDOW, O_NOV1, O_NOEIDX, O_NOMRG, O_XDP, O_XDPOBJ, O_VIAXDP, O_INJ,
       O_INJAFTER, O_TIMEOUT, O_DEV, O_JSON, O_INTERVAL, O_SPIN, O_WARMUP, O_PIN,
       O_PUBLISH, O_LOCKSTEP, O_REBASE, O_CHANGE, O_RTTLOG, O_BURST, O_NR };

#define TX VK_SUB(VK_VHOST_TX)
#define RX VK_SUB(VK_VHOST_RX)
#define PP VK_SUB(VK_VHOST_PINGPONG)
#define RUNS (TX | RX | PP)

static const char *const pace_names[] = { "sleep", "spin", NULL };
/* enum vk_vhost_inject's names, without "none" */
static const char *const inject_values[] = { "bad-addr", "loop", NULL };

static const struct vk_subcmd vhost_subs[] = {
	[VK_VHOST_TX] = { "tx", NULL, "frames from the TX ring must arrive intact on the TAP" },
	[VK_VHOST_RX] = { "rx", NULL,
		"frames sent out of the TAP must arrive intact in the RX ring" },
	[VK_VHOST_PINGPONG] = { "pingpong", NULL,
		"TX -> TAP -> reflector -> RX, one frame in flight: latency" },
	[VK_VHOST_REGIONS] = { "regions", NULL,
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
	[O_BURST] = { "burst-every", 0, VK_T_INT, "N", .min = 2, .max = UINT32_MAX,
		.unit = "frames", .subs = TX,
		.conflicts = 1ull << O_INJ | 1ull << O_XDP | 1ull << O_REBASE |
			     1ull << O_PUBLISH,
		.help = "with --lockstep: publish a whole --batch with one avail index "
			"update at the start of every N frames and one frame per update "
			"in between, so vhost reads the avail ring ahead only at the "
			"bursts; used entries must follow avail order (N = 65536: the "
			"bursts fall on the same avail indices, one index wrap apart)" },
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
static int parse_pin(const char *arg, struct vk_vhost_opts *o)
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

static int parse_opts(int argc, char **argv, struct vk_vhost_opts *o)
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
	*o = (struct vk_vhost_opts){ .pin_drv = -1, .pin_worker = -1 };
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
	o->inject = v[O_INJ].set ? (enum vk_vhost_inject)(v[O_INJ].u + VK_INJ_BAD_ADDR) : VK_INJ_NONE;
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
	o->burst = v[O_BURST].set ? v[O_BURST].u : 0;
	if (v[O_PIN].set && parse_pin(v[O_PIN].s, o))
		return EXIT_USAGE;
	o->frames = v[O_FRAMES].set ? v[O_FRAMES].u :
		    o->mode == VK_VHOST_PINGPONG ? 10000 : 100000;
	o->warmup = v[O_WARMUP].set ? v[O_WARMUP].u : o->frames / 10;
	if (o->mode == VK_VHOST_REGIONS)
		return 0;
	if (o->warmup >= o->frames) {
		vk_errf("--warmup", "it must be below --frames",
			"%llu leaves no frame for the cost window",
			(unsigned long long)o->warmup);
		return EXIT_USAGE;
	}
	if (o->burst && !o->lockstep) {
		vk_err("--burst-every", "it shapes --lockstep's avail index updates",
		       "add --lockstep");
		return EXIT_USAGE;
	}
	if (o->burst && o->batch < 2) {
		vk_errf("--burst-every", "give --batch 2 or more",
			"a burst of --batch %llu is a single frame",
			(unsigned long long)o->batch);
		return EXIT_USAGE;
	}
	if (o->burst && o->batch > o->burst) {
		vk_errf("--burst-every", "raise it or lower --batch",
			"a burst of %llu frames does not fit in every %llu",
			(unsigned long long)o->batch, (unsigned long long)o->burst);
		return EXIT_USAGE;
	}
	if (o->publish > o->batch) {
		vk_errf("--publish-every", "a batch ends with a store anyway",
			"%llu is larger than --batch %llu",
			(unsigned long long)o->publish, (unsigned long long)o->batch);
		return EXIT_USAGE;
	}
	if (!v[O_BATCH].given && o->batch > o->ring && o->mode != VK_VHOST_RX)
		o->batch = o->ring;
	/* rx: --batch is the injection burst, which the TAP queue absorbs. */
	if (o->batch > o->ring && o->mode != VK_VHOST_RX) {
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

static unsigned int hdr_len_of(const struct vk_vhost_opts *o)
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

/* ---- XDP on the TAP (tx --xdp-drop) ---- */

/* Our xdp_drop from the embedded skeleton, like every other XDP program
 * vnetkit loads, or the object the user names with --xdp-obj. */
static int xdp_drop_attach(struct vk_vhost_run *r, struct vk_xdp *x)
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

/* A veth pair in the private netns; on its far end the multi-buffer
 * redirect program (vk_mb_redirect) sends every frame into the TAP: XDP
 * frames in the TAP's ring, the vhost_net path of XDP_REDIRECT into a VM.
 * Frames above a page are multi-buffer: they need a tun that accepts them
 * (NETDEV_XDP_ACT_NDO_XMIT_SG), else the devmap drops them. */
static int via_xdp_setup(struct vk_vhost_run *r, struct vk_xdp *x, char *near,
			 char *far)
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
	if ((err = vk_link_set_mtu(near, mtu)) || (err = vk_link_set_mtu(far, mtu)) ||
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
static int tap_rx_dropped(struct vk_vhost_run *r, uint64_t *v)
{
	struct vk_link_info li;

	if (vk_link_info(r->vh.ifname, &li))
		return -1;
	*v = li.rx_dropped;
	return 0;
}

static void pkt_stats(struct vk_vhost_run *r)
{
	struct tpacket_stats st;
	socklen_t sl = sizeof(st);

	if (!getsockopt(r->vh.pkt_fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl))
		r->pkt_drops += st.tp_drops;
}

/* --pin: this thread (and the reflector it starts) on one CPU, the
 * vhost-<pid> worker on another. */
static int pin_threads(struct vk_vhost_run *r)
{
	const struct vk_vhost_opts *o = r->o;
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

static uint64_t auto_window(const struct vk_vhost_opts *o, unsigned int hdr)
{
	/* tx: frames between the ring and the packet socket must fit its
	 * buffer (32 MiB after doubling; truesize about 2x + 1 KiB).
	 * rx: frames sent but not yet in the RX ring wait in the TAP's
	 * 500-entry queue, which drops when full. */
	uint64_t w;

	if (o->mode == VK_VHOST_RX)
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
	struct vk_vhost_run r = { 0 };
	uint64_t drop0 = 0, drop1 = 0;
	struct vk_vhost_opts o;
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
	if (o.mode == VK_VHOST_REGIONS) {
		vk_vhost_print_regions(&cfg);
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
	scratch = malloc(VK_VHOST_SOCK_BATCH * rblen);
	if (!r.seen || !scratch) {
		vk_err("vhost", "out of memory", "lower --frames");
		ret = EXIT_FAIL;
		goto out_free;
	}
	if (vk_vhost_open(&r.vh, &cfg)) {
		ret = EXIT_FAIL;
		goto out_free;
	}
	r.vh.vq[VK_VQ_RX].check_order = r.vh.vq[VK_VQ_TX].check_order =
		o.rebase || o.burst;
	if (pin_threads(&r)) {
		ret = EXIT_FAIL;
		goto out;
	}
	if (o.xdp_drop && (xdp_drop_attach(&r, &xdp) || tap_rx_dropped(&r, &drop0))) {
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
	case VK_VHOST_TX:
		ret = vk_vhost_run_tx(&r, scratch, rblen);
		break;
	case VK_VHOST_RX:
		ret = vk_vhost_run_rx(&r, scratch);
		break;
	case VK_VHOST_PINGPONG:
		ret = vk_vhost_run_pingpong(&r);
		break;
	case VK_VHOST_REGIONS:
		break;
	}
	vk_vhost_cost_end(&r);
	r.t1 = vk_now();
	r.drv1 = thread_cpu_ns();
	if (r.wok)
		r.wok = !vk_vhost_worker_cpu(&r.vh, &r.worker1, &r.wsrc, &r.wwhy);
	/* Signals vhost sent while nobody waited count too. */
	vk_vring_ack_irq(&r.vh.vq[VK_VQ_RX]);
	vk_vring_ack_irq(&r.vh.vq[VK_VQ_TX]);
	vk_vhost_check_err_fds(&r);
	pkt_stats(&r);
	if (o.xdp_drop) {
		if (tap_rx_dropped(&r, &drop1))
			drop1 = drop0;
		r.xdp_dropped = drop1 - drop0;
		r.xdp_dropped_ok = r.xdp_dropped == o.frames && !r.host_frames;
	} else if (o.mode != VK_VHOST_PINGPONG && !o.inject) {
		uint64_t seen = r.verified + r.corrupt;

		r.lost = seen < o.frames ? o.frames - seen : 0;
	}
	if (ret) {
		ret = EXIT_FAIL;
	} else {
		ret = strcmp(vk_vhost_outcome(&r), "ok") ? EXIT_FAIL : 0;
		if (o.json) {
			/* The document carries the failure: report it first. */
			vk_vhost_report_failure(&r);
			vk_vhost_print_json(&r, ret);
		} else {
			vk_vhost_print_human(&r);
			fflush(stdout);
			vk_vhost_report_failure(&r);
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
	if (r.rtt_file && vk_vhost_write_rtt_log(&r))
		ret = EXIT_FAIL;
	free(r.rtt);
	free(r.rtt_start);
	free(r.rtt_w);
	free(r.change_log);
	free(r.seen);
	free(scratch);
	return ret;
}
