// SPDX-License-Identifier: GPL-2.0
/* vnetkit trace: the vhost tracepoints (patches/0004-vhost-add-tracepoints.patch,
 * patches/0005-vhost_net-adaptive-busy-polling.patch) summarised per device
 * and virtqueue: used-ring batch sizes, guest signals sent and suppressed per
 * packet, busy-poll hit rate, exit reasons, spin time, window and its
 * adaptation. bpf/trace_vhost.bpf.c keeps the per-CPU counters, keyed by the
 * device id the events carry; the owner's tgid maps a device to its VMM.
 *
 * OVERHEAD: one raw tracepoint program per used-ring update, signal
 * decision, XDP batch, busy-poll exit, window change, queue error and work
 * item queued on a worker (not per packet when vhost_net batches); a
 * per-CPU hash update each. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "kernel_syms.h"
#include "plot.h"
#include "trace_report.h"
#include "trace_vhost.h"
#include "vjson.h"
#include "trace_vhost.skel.h"

static const char *const tp_names[VK_VHOST_PROGS] = {
	"vhost_net_used_batch", "vhost_signal", "vhost_net_tx_xdp_batch",
	"vhost_net_busy_poll_end", "vhost_vq_err", "vhost_net_busy_poll_adapt",
	"vhost_work_queue",
};

static const char *const exit_names[VK_VHOST_REASONS] = {
	"timeout", "need_resched", "signal_pending", "other_work", "work_found",
};

/* enum vhost_dev_type, + 1 as the BPF side stores it */
static const char *const type_names[VK_VHOST_TYPES + 1] = {
	"unknown", "net", "scsi", "vsock", "vdpa", "test",
};

static struct bpf_program *prog_of(struct trace_vhost_bpf *s, int i)
{
	struct bpf_program *const p[VK_VHOST_PROGS] = {
		s->progs.vk_used_batch, s->progs.vk_signal, s->progs.vk_xdp_batch,
		s->progs.vk_busy_poll_end, s->progs.vk_vq_err,
		s->progs.vk_busy_poll_adapt, s->progs.vk_work_queue,
	};

	return p[i];
}

/* btf_has_member: struct sname of btf has a member mname. */
static bool btf_has_member(const struct btf *btf, const char *sname,
			   const char *mname)
{
	const struct btf_member *m;
	const struct btf_type *t;
	int id, i;

	id = btf ? btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT) : -1;
	if (id <= 0)
		return false;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), mname))
			return true;
	return false;
}

/* The events name a queue by vq->index and the device's id, type and
 * owner_tgid: fields the first version of the series did not have.
 */
static bool btf_has_identity(const struct btf *btf)
{
	return btf_has_member(btf, "vhost_dev", "id") &&
	       btf_has_member(btf, "vhost_dev", "owner_tgid") &&
	       btf_has_member(btf, "vhost_dev", "type") &&
	       btf_has_member(btf, "vhost_virtqueue", "index");
}

void vk_vhost_trace_find(struct vk_vhost_trace *v, const struct vk_kbtf *btf)
{
	int i, m;

	memset(v, 0, sizeof(*v));
	if (!btf->vmlinux) {
		snprintf(v->status, sizeof(v->status), "kernel BTF unavailable");
		return;
	}
	for (i = 0; i < VK_VHOST_PROGS; i++) {
		v->have[i] = vk_kbtf_has_tp(btf, tp_names[i]);
		v->n += v->have[i];
	}
	if (!v->n) {
		snprintf(v->status, sizeof(v->status),
			 "no vhost tracepoints in this kernel");
		return;
	}
	for (m = 0, i = btf_has_identity(btf->vmlinux); m < btf->nr_mods && !i; m++)
		i = btf_has_identity(btf->mods[m]);
	if (!i) {
		snprintf(v->status, sizeof(v->status),
			 "vhost events without device ids (no vhost_dev.id in BTF: boot a kernel with the current patches/0004-vhost-add-tracepoints.patch)");
		v->n = 0;
	}
}

int vk_vhost_trace_attach(struct vk_vhost_trace *v)
{
	int i, err;

	if (!v->n)
		return 0;
	v->skel = trace_vhost_bpf__open();
	if (!v->skel) {
		err = -errno;
		snprintf(v->status, sizeof(v->status), "cannot open the BPF object: %s",
			 strerror(-err));
		return err;
	}
	for (i = 0; i < VK_VHOST_PROGS; i++)
		bpf_program__set_autoload(prog_of(v->skel, i), v->have[i]);
	err = trace_vhost_bpf__load(v->skel);
	if (err) {
		snprintf(v->status, sizeof(v->status),
			 "cannot load the BPF programs: %s (VNETKIT_DEBUG=1 shows the verifier log)",
			 strerror(-err));
		goto fail;
	}
	for (i = 0; i < VK_VHOST_PROGS; i++) {
		struct bpf_link *l;

		if (!v->have[i])
			continue;
		l = bpf_program__attach(prog_of(v->skel, i));
		if (!l) {
			err = -errno;
			snprintf(v->status, sizeof(v->status), "cannot attach %s: %s",
				 tp_names[i], strerror(-err));
			goto fail;
		}
		v->links[i] = l;
	}
	return 0;
fail:
	vk_vhost_trace_free(v);
	return err;
}

void vk_vhost_trace_detach(struct vk_vhost_trace *v)
{
	int i;

	for (i = 0; i < VK_VHOST_PROGS; i++) {
		bpf_link__destroy(v->links[i]);
		v->links[i] = NULL;
	}
}

static int queue_cmp(const void *a, const void *b)
{
	const struct vk_vhost_key *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->vq < y->vq ? -1 : x->vq > y->vq;
}

/* Sum one queue's per-CPU values into dst: counters add up; the window
 * maximum, the owner and the type are the largest any CPU saw.
 */
static void sum_cpus(struct vk_vhost_vq_stats *dst,
		     const struct vk_vhost_vq_stats *per, int ncpus)
{
	__u64 *d = (__u64 *)dst;
	int c, j;

	memset(dst, 0, sizeof(*dst));
	for (c = 0; c < ncpus; c++) {
		const __u64 *src = (const __u64 *)&per[c];

		for (j = 0; j < (int)(sizeof(*dst) / sizeof(__u64)); j++) {
			if (d + j == &dst->window_max || d + j == &dst->tgid ||
			    d + j == &dst->type)
				d[j] = src[j] > d[j] ? src[j] : d[j];
			else
				d[j] += src[j];
		}
	}
}

void vk_vhost_trace_read(struct vk_vhost_trace *v)
{
	int ncpus = libbpf_num_possible_cpus(), fd, c;
	struct vk_vhost_key k, next, *prev = NULL;
	struct vk_vhost_vq_stats *per;
	__u64 *ov;
	__u32 z = 0;

	if (!v->skel || ncpus <= 0)
		return;
	per = calloc(ncpus, sizeof(*per));
	ov = calloc(ncpus, sizeof(*ov));
	free(v->q);
	v->q = calloc(VK_VHOST_MAX_QUEUES, sizeof(*v->q));
	v->nq = 0;
	if (!per || !ov || !v->q)
		goto out;
	fd = bpf_map__fd(v->skel->maps.vq_stats);
	while (v->nq < VK_VHOST_MAX_QUEUES && !bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, per))
			continue;
		v->q[v->nq].key = k;
		sum_cpus(&v->q[v->nq].s, per, ncpus);
		v->nq++;
	}
	qsort(v->q, v->nq, sizeof(*v->q), queue_cmp);
	v->overflow = 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(v->skel->maps.vq_overflow), &z, ov))
		for (c = 0; c < ncpus; c++)
			v->overflow += ov[c];
out:
	free(per);
	free(ov);
}

void vk_vhost_trace_free(struct vk_vhost_trace *v)
{
	vk_vhost_trace_detach(v);
	free(v->q);
	v->q = NULL;
	v->nq = 0;
	if (v->skel)
		trace_vhost_bpf__destroy(v->skel);
	v->skel = NULL;
}

void vk_vhost_trace_print_list(FILE *f, const struct vk_vhost_trace *v)
{
	if (v->status[0])
		fprintf(f, "%-17s %-10s unavailable (%s)\n", "events", "vhost_net",
			v->status);
	else
		fprintf(f, "%-17s %-10s raw_tp  per-device report (%d of %d events)\n",
			"events", "vhost_net", v->n, VK_VHOST_PROGS);
}

static bool vq_active(const struct vk_vhost_vq_stats *s)
{
	return s->batches || s->signalled || s->suppressed || s->polls ||
	       s->xdp_batches || s->errors || s->kicks || s->requeues;
}

const char *vk_vhost_type_name(__u64 t)
{
	return t <= VK_VHOST_TYPES ? type_names[t] : "unknown";
}

static const char *vq_name(const struct vk_vhost_queue *q)
{
	/* vhost_net's order; other vhost devices have their own */
	if (q->s.type != 1)
		return "";
	return q->key.vq == 0 ? "rx" : q->key.vq == 1 ? "tx" : "";
}

static double ratio(__u64 a, __u64 b)
{
	return b ? (double)a / b : 0;
}

/* print_device: the tables of the device whose queues are q[0..n). */
static void print_device(FILE *f, const struct vk_vhost_queue *q, int n)
{
	int i, r, polls = 0;

	fprintf(f, "\nvhost device %llu (%s, owner tgid %llu)\n",
		(unsigned long long)q->key.dev, vk_vhost_type_name(q->s.type),
		(unsigned long long)q->s.tgid);
	fprintf(f, "%-9s %9s %9s %7s %9s %9s %8s %7s\n", "VQ", "BATCHES",
		"ENTRIES", "AVG", "SIGNALS", "SUPPR", "SIG/PKT", "ERRORS");
	for (i = 0; i < n; i++) {
		const struct vk_vhost_vq_stats *s = &q[i].s;
		char name[16];

		polls |= s->polls != 0;
		if (!vq_active(s))
			continue;
		snprintf(name, sizeof(name), "%u %s", q[i].key.vq, vq_name(&q[i]));
		fprintf(f, "%-9s %9llu %9llu %7.1f %9llu %9llu %8.3f %7llu\n", name,
			(unsigned long long)s->batches, (unsigned long long)s->entries,
			ratio(s->entries, s->batches), (unsigned long long)s->signalled,
			(unsigned long long)s->suppressed,
			ratio(s->signalled, s->entries), (unsigned long long)s->errors);
	}
	if (polls) {
		/* window: busy_clock() units of 1.024 us */
		fprintf(f, "\n%-9s %9s %7s %10s %11s %8s %8s\n", "BUSY POLL",
			"POLLS", "HIT%", "SPIN AVG", "TOTAL SPIN", "WIN AVG",
			"WIN MAX");
		for (i = 0; i < n; i++) {
			const struct vk_vhost_vq_stats *s = &q[i].s;
			char name[16];

			if (!s->polls)
				continue;
			snprintf(name, sizeof(name), "%u %s", q[i].key.vq,
				 vq_name(&q[i]));
			fprintf(f, "%-9s %9llu %7.1f %7.1f us %8.2f ms %8.1f %8llu\n",
				name, (unsigned long long)s->polls,
				100 * ratio(s->exits[VK_VHOST_EXIT_WORK], s->polls),
				ratio(s->spin_ns, s->polls) / 1000, s->spin_ns / 1e6,
				ratio(s->window_sum, s->polls),
				(unsigned long long)s->window_max);
		}
		fprintf(f, "%-9s %8s %8s %8s %8s %10s %6s %7s\n", "EXITS", "TIMEOUT",
			"RESCHED", "SIGNAL", "OTHER", "WORK_FOUND", "GROWS",
			"SHRINKS");
		for (i = 0; i < n; i++) {
			const struct vk_vhost_vq_stats *s = &q[i].s;
			char name[16];

			if (!s->polls)
				continue;
			snprintf(name, sizeof(name), "%u %s", q[i].key.vq,
				 vq_name(&q[i]));
			fprintf(f, "%-9s", name);
			for (r = 0; r < VK_VHOST_REASONS; r++)
				fprintf(f, " %*llu", r == VK_VHOST_EXIT_WORK ? 10 : 8,
					(unsigned long long)s->exits[r]);
			fprintf(f, " %6llu %7llu\n", (unsigned long long)s->grows,
				(unsigned long long)s->shrinks);
		}
	}
	for (i = 0; i < n; i++) {
		const struct vk_vhost_vq_stats *s = &q[i].s;

		if (!s->batches)
			continue;
		fprintf(f, "\nused-ring batch sizes, device %llu vq %u %s\n",
			(unsigned long long)q[i].key.dev, q[i].key.vq, vq_name(&q[i]));
		vk_print_log2_hist(f, s->batch_hist, VK_VHOST_HIST, "entries");
		if (s->xdp_batches)
			fprintf(f, "XDP batches: %llu, %.1f buffers each\n",
				(unsigned long long)s->xdp_batches,
				ratio(s->xdp_frames, s->xdp_batches));
	}
}

void vk_vhost_trace_print_text(FILE *f, const struct vk_vhost_trace *v)
{
	int i, j;

	if (v->status[0]) {
		fprintf(f, "\nvhost devices: unavailable (%s)\n", v->status);
		return;
	}
	if (!v->nq) {
		fprintf(f, "\nvhost devices: no vhost activity\n");
		return;
	}
	for (i = 0; i < v->nq; i = j) {
		for (j = i; j < v->nq && v->q[j].key.dev == v->q[i].key.dev; j++)
			;
		print_device(f, &v->q[i], j - i);
	}
	if (v->overflow)
		fprintf(f, "\n%llu events of queues beyond the first %d not counted\n",
			(unsigned long long)v->overflow, VK_VHOST_MAX_QUEUES);
}

json_t *vk_vhost_trace_json(const struct vk_vhost_trace *v)
{
	json_t *o = json_object(), *queues = json_array();
	int i, r;

	vk_jstr(o, "status", v->status[0] ? "unavailable" : "ok");
	vk_jstr(o, "reason", v->status[0] ? v->status : NULL);
	vk_ju64(o, "overflow", v->overflow);
	for (i = 0; !v->status[0] && i < v->nq; i++) {
		const struct vk_vhost_vq_stats *s = &v->q[i].s;
		json_t *q, *hist, *bp, *exits;

		if (!vq_active(s))
			continue;
		q = json_object();
		vk_ju64(q, "dev", v->q[i].key.dev);
		vk_jstr(q, "type", vk_vhost_type_name(s->type));
		vk_ju64(q, "tgid", s->tgid);
		vk_jint(q, "vq", v->q[i].key.vq);
		vk_ju64(q, "batches", s->batches);
		vk_ju64(q, "entries", s->entries);
		hist = json_array();
		for (r = 0; r < VK_VHOST_HIST; r++)
			json_array_append_new(hist, vk_json_u64(s->batch_hist[r]));
		vk_jset(q, "batch_log2", hist);
		vk_ju64(q, "signalled", s->signalled);
		vk_ju64(q, "suppressed", s->suppressed);
		vk_jreal(q, "signals_per_entry", ratio(s->signalled, s->entries), 4);
		vk_ju64(q, "xdp_batches", s->xdp_batches);
		vk_ju64(q, "xdp_buffers", s->xdp_frames);
		vk_ju64(q, "errors", s->errors);
		bp = json_object();
		vk_ju64(bp, "polls", s->polls);
		vk_jreal(bp, "hit_rate", ratio(s->exits[VK_VHOST_EXIT_WORK], s->polls), 4);
		vk_ju64(bp, "spin_ns", s->spin_ns);
		vk_jreal(bp, "window_avg", ratio(s->window_sum, s->polls), 2);
		vk_ju64(bp, "window_max", s->window_max);
		vk_ju64(bp, "grows", s->grows);
		vk_ju64(bp, "shrinks", s->shrinks);
		exits = json_object();
		for (r = 0; r < VK_VHOST_REASONS; r++)
			vk_ju64(exits, exit_names[r], s->exits[r]);
		vk_jset(bp, "exits", exits);
		vk_jset(q, "busy_poll", bp);
		json_array_append_new(queues, q);
	}
	vk_jset(o, "queues", queues);
	return o;
}
