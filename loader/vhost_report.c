// SPDX-License-Identifier: GPL-2.0
/* vnetkit vhost: the report of a finished run, as text or as one JSON
 * document, and the error line when the run failed.
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
 *   [busyloop_changes {every, count, readback_mismatches, log [[frame,
 *   t0_ns, t1_ns, timeout_us, adaptive], ...]}] (--busyloop-change-every:
 *   the settings applied to both rings while the frames ran, between
 *   CLOCK_MONOTONIC t0 and t1, and how many read back otherwise),
 *   publish_every (avail index stores per batch: 0 = once per batch),
 *   lockstep (one avail index update in flight, --lockstep),
 *   [burst {every, count, misordered}] (--burst-every: bursts published,
 *   used entries out of avail order),
 *   pin {driver, worker} (CPUs, -1: not pinned),
 *   cost_window {warmup, in_window, opened}: the vk_cost window markers
 *   (include/vk_cost_mark.h) open once warmup frames are done and close
 *   when the last frame is; frames = frames completed inside the window.
 *
 * vnetkit vhost regions prints the fixed addresses of the rings and buffers
 * (vk_vhost_layout()) as cost-plugin arguments, one per line:
 *   region=rx.desc:0x7e0000000000:0x1000
 */
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "vjson.h"
#include "vhost_run.h"

static const char *const mode_names[] = { "tx", "rx", "pingpong", "regions" };
static const char *const inject_names[] = { "none", "bad-addr", "loop" };

static uint64_t pct(const uint64_t *v, uint64_t n, double p)
{
	uint64_t i = (uint64_t)(p * (n - 1) + 0.5);

	return n ? v[i < n ? i : n - 1] : 0;
}

static double per(uint64_t a, uint64_t b)
{
	return b ? (double)a / b : 0;
}

const char *vk_vhost_outcome(const struct vk_vhost_run *r)
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

void vk_vhost_print_json(const struct vk_vhost_run *r, int rc)
{
	const struct vk_vhost_opts *o = r->o;
	double el = r->t1 - r->t0;
	uint64_t fr = r->verified;
	json_t *doc = vk_json_doc("vhost", 1), *j;
	char hex[32];

	vk_jstr(doc, "mode", mode_names[o->mode]);
	vk_jstr(doc, "result", vk_vhost_outcome(r));
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
	if (o->burst)
		vk_jset(doc, "burst", json_pack("{s:I, s:I, s:I}",
			"every", (json_int_t)o->burst, "count", (json_int_t)r->bursts,
			"misordered", (json_int_t)r->vh.vq[VK_VQ_TX].misordered));
	if (o->mode == VK_VHOST_PINGPONG && r->rtt_n)
		vk_jset(doc, "latency_ns", json_pack("{s:I, s:I, s:I, s:I, s:I}",
			"samples", (json_int_t)r->rtt_n, "min", (json_int_t)r->rtt[0],
			"p50", (json_int_t)pct(r->rtt, r->rtt_n, 0.5),
			"p99", (json_int_t)pct(r->rtt, r->rtt_n, 0.99),
			"max", (json_int_t)r->rtt[r->rtt_n - 1]));
	/* The same without the first --warmup frames: the cost window's, and
	 * those of a steady state (an adaptive busy-poll window starts at 0). */
	if (o->mode == VK_VHOST_PINGPONG && r->rtt_w_n)
		vk_jset(doc, "latency_after_warmup_ns", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
			"warmup", (json_int_t)o->warmup,
			"samples", (json_int_t)r->rtt_w_n, "min", (json_int_t)r->rtt_w[0],
			"p50", (json_int_t)pct(r->rtt_w, r->rtt_w_n, 0.5),
			"p99", (json_int_t)pct(r->rtt_w, r->rtt_w_n, 0.99),
			"max", (json_int_t)r->rtt_w[r->rtt_w_n - 1]));
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
	vk_json_print(doc, rc);
}

static void human_vq(const char *name, const struct vk_vring *vr, uint64_t fr)
{
	printf("%-5s %11.4f %11.4f %11llu %10.2f %6llu\n", name,
	       per(vr->kicks, fr), per(vr->irqs, fr),
	       (unsigned long long)vr->kicks_suppressed, per(vr->reaped, vr->reaps),
	       (unsigned long long)vr->max_reap);
}

void vk_vhost_print_human(const struct vk_vhost_run *r)
{
	const struct vk_vhost_opts *o = r->o;
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
	if (o->burst)
		printf("burst      %llu bursts of %llu (every %llu frames), %llu used "
		       "out of avail order\n",
		       (unsigned long long)r->bursts, (unsigned long long)o->batch,
		       (unsigned long long)o->burst,
		       (unsigned long long)r->vh.vq[VK_VQ_TX].misordered);
	printf("rate       %s pps, %.0f ns/frame, %.3f s\n",
	       vk_fmt_rate(rate, sizeof(rate), el > 0 ? fr / el : 0),
	       fr ? el * 1e9 / fr : 0, el);
	printf("queue  kicks/frame  irqs/frame  suppressed  used/reap  max\n");
	if (o->mode != VK_VHOST_RX)
		human_vq("tx", &r->vh.vq[VK_VQ_TX], fr);
	if (o->mode != VK_VHOST_TX)
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
	if (o->mode == VK_VHOST_PINGPONG && r->rtt_n)
		printf("latency    min %.1f us, p50 %.1f us, p99 %.1f us, max %.1f us "
		       "(%llu samples)\n", r->rtt[0] / 1e3,
		       pct(r->rtt, r->rtt_n, 0.5) / 1e3,
		       pct(r->rtt, r->rtt_n, 0.99) / 1e3,
		       r->rtt[r->rtt_n - 1] / 1e3, (unsigned long long)r->rtt_n);
}

/* tx/pingpong: posted on the TX ring, not yet used; rx: sent into the
 * TAP, not yet in the RX ring. */
static uint64_t in_flight(const struct vk_vhost_run *r)
{
	if (r->o->mode == VK_VHOST_RX)
		return r->host_frames - (r->verified + r->corrupt);
	return r->submitted - r->completed;
}

void vk_vhost_report_failure(const struct vk_vhost_run *r)
{
	const struct vk_vhost_opts *o = r->o;
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
	} else if (strcmp(vk_vhost_outcome(r), "ok")) {
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

void vk_vhost_print_regions(const struct vk_vhost_cfg *cfg)
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
