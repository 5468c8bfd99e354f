// SPDX-License-Identifier: GPL-2.0
/* vnetkit vhost: the engine. vnetkit is the guest (vhost_dev.c drives the
 * rings) and the host side at once: an AF_PACKET socket on the TAP
 * receives what vhost transmits (tx), injects what vhost must deliver into
 * the RX ring (rx) and reflects frames (pingpong). Every frame is verified
 * byte for byte; the loops count what the report prints. */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>

#include "util.h"
#include "vhost_frame.h"
#include "vhost_run.h"
#include "vk_cost_mark.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool bit_test_set(uint8_t *bm, uint64_t i)
{
	bool was = bm[i >> 3] & (1u << (i & 7));

	bm[i >> 3] |= 1u << (i & 7);
	return was;
}

/* Account one of our frames, already checked. */
static void frame_done(struct vk_vhost_run *r, uint64_t seq, bool good)
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

void vk_vhost_check_err_fds(struct vk_vhost_run *r)
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
static bool keep_going(struct vk_vhost_run *r)
{
	vk_vhost_check_err_fds(r);
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
static bool wait_events(struct vk_vhost_run *r, bool call_rx, bool call_tx,
			bool sock)
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
static uint64_t frames_done(const struct vk_vhost_run *r)
{
	if (r->o->mode == VK_VHOST_PINGPONG)
		return r->rtt_n;
	if (r->o->xdp_drop)
		return r->completed;
	return r->verified + r->corrupt;
}

/* Open the window once the warm-up frames are done (set-up, first ring
 * pass and page faults stay outside). */
static void cost_tick(struct vk_vhost_run *r)
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
void vk_vhost_cost_end(struct vk_vhost_run *r)
{
	if (r->cost_state != 1)
		return;
	vk_cost_window_close();
	r->cost_state = 2;
	r->cost_frames = frames_done(r) - r->cost_f0;
}

/* ---- both rings: buffers vhost has used ---- */

static void rx_post(struct vk_vhost_run *r)
{
	struct vk_vring *vr = &r->vh.vq[VK_VQ_RX];
	int head;

	while ((head = vk_vring_next_head(vr)) >= 0)
		vk_vring_add(vr, (uintptr_t)vk_vhost_buf(&r->vh, VK_VQ_RX, head),
			     r->vh.buf_len[VK_VQ_RX], true);
}

/* One used RX buffer: the start of a frame or (mergeable) the next part.
 * Once per buffer: inlined into reap() as it was into the RX reaper before
 * one reap() served both rings, so no call is added per frame. */
static __always_inline void rx_buffer(struct vk_vhost_run *r, unsigned int head, uint32_t len)
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

/* Take the used entries vhost has written on queue q. A TX buffer is
 * done with, sent or refused (bad_used); an RX buffer holds a frame or a
 * part of one, and the RX buffers taken are posted again. Every caller
 * names its queue as a constant and reap() is inlined, so each loop keeps
 * only its own queue's code: the per-entry loop is the instructions of
 * the separate TX and RX reapers this replaced. */
static __always_inline uint64_t reap(struct vk_vhost_run *r, unsigned int q)
{
	struct vk_vring *vr = &r->vh.vq[q];
	unsigned int n = vk_vring_pending(vr), head;
	uint32_t len;
	bool bad;

	vk_vring_note_reap(vr, n);
	for (unsigned int i = 0; i < n; i++) {
		if (!vk_vring_get_used(vr, &head, &len, &bad))
			break;
		if (bad)
			r->bad_used++;
		if (q == VK_VQ_TX)
			r->completed++;
		else if (!bad)
			rx_buffer(r, head, len);
	}
	if (!n)
		return 0;
	if (q == VK_VQ_RX) {
		rx_post(r);
		vk_vring_publish(vr);
		vk_vring_kick(vr);
	}
	r->last_progress = vk_now();
	return n;
}

/* ---- tx: ring -> vhost -> TAP -> packet socket ---- */

/* Read every frame queued on the packet socket and verify it. */
static uint64_t drain_sock(struct vk_vhost_run *r, uint8_t *bufs, size_t blen)
{
	struct mmsghdr m[VK_VHOST_SOCK_BATCH];
	struct iovec iov[VK_VHOST_SOCK_BATCH];
	uint64_t got = 0;
	int n;

	do {
		for (int i = 0; i < VK_VHOST_SOCK_BATCH; i++) {
			iov[i] = (struct iovec){ bufs + i * blen, blen };
			m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i],
							      .msg_iovlen = 1 } };
		}
		n = recvmmsg(r->vh.pkt_fd, m, VK_VHOST_SOCK_BATCH, MSG_DONTWAIT | MSG_TRUNC,
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
	} while (n == VK_VHOST_SOCK_BATCH);
	return got;
}

static void tx_fill(struct vk_vhost_run *r, int head, uint64_t seq)
{
	uint8_t *b = vk_vhost_buf(&r->vh, VK_VQ_TX, head);

	/* No offloads: flags 0, GSO_NONE, num_buffers unused on TX. */
	memset(b, 0, r->vh.hdr_len);
	vk_frame_fill(b + r->vh.hdr_len, r->o->size, seq, r->cookie, r->vh.mac);
}

static int tx_add(struct vk_vhost_run *r, uint64_t seq)
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
static void tx_inject(struct vk_vhost_run *r)
{
	struct vk_vring *vr = &r->vh.vq[VK_VQ_TX];
	int head = vk_vring_next_head(vr);
	uint64_t addr = (uintptr_t)vk_vhost_buf(&r->vh, VK_VQ_TX, head);
	struct vring_desc d[2] = { 0 };
	unsigned int n = 1;

	if (r->o->inject == VK_INJ_BAD_ADDR) {
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
static int ring_rebase(struct vk_vhost_run *r, unsigned int q)
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
static int busyloop_change(struct vk_vhost_run *r, uint64_t done)
{
	const struct vk_vhost_opts *o = r->o;
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

int vk_vhost_run_tx(struct vk_vhost_run *r, uint8_t *rbuf, size_t rblen)
{
	struct vk_vring *vr = &r->vh.vq[VK_VQ_TX];
	const struct vk_vhost_opts *o = r->o;
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
		if (reap(r, VK_VQ_TX))
			progress = true;
		waiting = o->lockstep && r->completed != next;
		/* --burst-every: vhost meets each single frame alone, so its
		 * avail read-ahead only ever holds a burst. */
		if (o->burst)
			group = next % o->burst ? 1 : o->batch;
		while (!waiting && sub < group && next < stop_at && vr->num_free &&
		       next - (o->xdp_drop ? r->completed : r->host_frames) <
		       r->window) {
			if (o->burst && next % o->burst == 0)
				r->bursts++;
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
			vk_vhost_cost_end(r);
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
			vk_vhost_check_err_fds(r);
			usleep(10000);
			drain_sock(r, rbuf, rblen);
		}
		r->later_done = r->host_frames > stop_at ? r->host_frames - stop_at : 0;
	}
	return 0;
}

/* ---- rx: packet socket -> TAP -> vhost -> ring ---- */

static int inject_frames(struct vk_vhost_run *r, uint8_t *fb, uint64_t first,
			 unsigned int n)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(VK_ETH_P),
		.sll_ifindex = r->inject_ifindex ? r->inject_ifindex : r->vh.ifindex,
		.sll_halen = 6,
	};
	struct mmsghdr m[VK_VHOST_SOCK_BATCH];
	struct iovec iov[VK_VHOST_SOCK_BATCH];
	int s;

	if (n > VK_VHOST_SOCK_BATCH)
		n = VK_VHOST_SOCK_BATCH;
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

int vk_vhost_run_rx(struct vk_vhost_run *r, uint8_t *fb)
{
	struct vk_vring *vr = &r->vh.vq[VK_VQ_RX];
	const struct vk_vhost_opts *o = r->o;
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
		if (reap(r, VK_VQ_RX))
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
			vk_vhost_cost_end(r);
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
	struct vk_vhost_run *r;
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

/* --rtt-log: the round trips done, in frame order, before they are sorted. */
int vk_vhost_write_rtt_log(struct vk_vhost_run *r)
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

int vk_vhost_run_pingpong(struct vk_vhost_run *r)
{
	struct vk_vring *rx = &r->vh.vq[VK_VQ_RX], *tx = &r->vh.vq[VK_VQ_TX];
	struct reflector rf = { .r = r };
	const struct vk_vhost_opts *o = r->o;
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
		reap(r, VK_VQ_TX);
		while (!tx->num_free) {
			if (!vk_vring_enable_cb(tx, 0) && !wait_events(r, false, true, false))
				goto out;
			vk_vring_disable_cb(tx);
			reap(r, VK_VQ_TX);
		}
		tx_add(r, i);
		vk_vring_publish(tx);
		t0 = vk_now_ns();
		vk_vring_kick(tx);
		for (unsigned int spins = 0;
		     r->verified + r->corrupt + r->dup == before; spins++) {
			if (reap(r, VK_VQ_RX))
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
	vk_vhost_cost_end(r);
out:
	rf.stop = 1;
	pthread_join(th, NULL);
	if (r->rtt_file && vk_vhost_write_rtt_log(r))
		ret = -1;
	if (r->rtt_n > o->warmup) {
		r->rtt_w_n = r->rtt_n - o->warmup;
		r->rtt_w = malloc(r->rtt_w_n * sizeof(*r->rtt_w));
		if (r->rtt_w) {
			memcpy(r->rtt_w, r->rtt + o->warmup, r->rtt_w_n * sizeof(*r->rtt_w));
			qsort(r->rtt_w, r->rtt_w_n, sizeof(*r->rtt_w), cmp_u64);
		} else {
			r->rtt_w_n = 0;
		}
	}
	qsort(r->rtt, r->rtt_n, sizeof(*r->rtt), cmp_u64);
	r->host_frames = rf.reflected;
	if (rf.err) {
		vk_errf("vhost", NULL, "reflecting into the TAP: %s", strerror(rf.err));
		ret = -1;
	}
	return ret;
}
