// SPDX-License-Identifier: GPL-2.0
/* vnetkit trace: the vhost tracepoints (patches/0004-vhost-add-tracepoints.patch)
 * summarised per virtqueue: used-ring batch sizes, guest signals sent and
 * suppressed per packet, busy-poll hit rate, exit reasons, spin time and
 * window. bpf/trace_vhost.bpf.c keeps the per-CPU counters.
 *
 * OVERHEAD: one raw tracepoint program per used-ring update, signal
 * decision, XDP batch, busy-poll exit and queue error (not per packet when
 * vhost_net batches); a per-CPU array update each. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "trace_report.h"
#include "trace_vhost.h"
#include "trace_vhost.skel.h"

static const char *const tp_names[VK_VHOST_PROGS] = {
	"vhost_net_used_batch", "vhost_signal", "vhost_net_tx_xdp_batch",
	"vhost_net_busy_poll_end", "vhost_vq_err",
};

static const char *const exit_names[VK_VHOST_REASONS] = {
	"timeout", "need_resched", "signal_pending", "vq_work", "work_found",
};

static struct bpf_program *prog_of(struct trace_vhost_bpf *s, int i)
{
	struct bpf_program *const p[VK_VHOST_PROGS] = {
		s->progs.vk_used_batch, s->progs.vk_signal, s->progs.vk_xdp_batch,
		s->progs.vk_busy_poll_end, s->progs.vk_vq_err,
	};

	return p[i];
}

static bool btf_has_tp(const struct btf *btf, const char *tp)
{
	char name[96];

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) > 0;
}

void vk_vhost_trace_find(struct vk_vhost_trace *v, struct btf *vmlinux,
			 struct btf **mods, int nr_mods)
{
	int i, m;

	memset(v, 0, sizeof(*v));
	if (!vmlinux) {
		snprintf(v->status, sizeof(v->status), "kernel BTF unavailable");
		return;
	}
	for (i = 0; i < VK_VHOST_PROGS; i++) {
		v->have[i] = btf_has_tp(vmlinux, tp_names[i]);
		for (m = 0; m < nr_mods && !v->have[i]; m++)
			v->have[i] = btf_has_tp(mods[m], tp_names[i]);
		v->n += v->have[i];
	}
	if (!v->n)
		snprintf(v->status, sizeof(v->status),
			 "no vhost tracepoints in this kernel");
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

void vk_vhost_trace_read(struct vk_vhost_trace *v)
{
	int ncpus = libbpf_num_possible_cpus(), fd, c, j;
	struct vk_vhost_vq_stats *per;
	__u32 k;

	if (!v->skel || ncpus <= 0)
		return;
	per = calloc(ncpus, sizeof(*per));
	if (!per)
		return;
	fd = bpf_map__fd(v->skel->maps.vq_stats);
	for (k = 0; k < VK_VHOST_MAX_VQS; k++) {
		struct vk_vhost_vq_stats *s = &v->vq[k];
		__u64 *dst = (__u64 *)s;

		memset(s, 0, sizeof(*s));
		if (bpf_map_lookup_elem(fd, &k, per))
			continue;
		for (c = 0; c < ncpus; c++) {
			const __u64 *src = (const __u64 *)&per[c];

			for (j = 0; j < (int)(sizeof(*s) / sizeof(__u64)); j++) {
				if (dst + j == &s->window_max)
					dst[j] = src[j] > dst[j] ? src[j] : dst[j];
				else
					dst[j] += src[j];
			}
		}
	}
	free(per);
}

void vk_vhost_trace_free(struct vk_vhost_trace *v)
{
	vk_vhost_trace_detach(v);
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
		fprintf(f, "%-17s %-10s raw_tp  per-queue report (%d of %d events)\n",
			"events", "vhost_net", v->n, VK_VHOST_PROGS);
}

static bool vq_active(const struct vk_vhost_vq_stats *s)
{
	return s->batches || s->signalled || s->suppressed || s->polls ||
	       s->xdp_batches || s->errors;
}

static const char *vq_name(int i)
{
	/* vhost_net's order; other vhost devices have their own */
	return i == 0 ? "rx" : i == 1 ? "tx" : i == VK_VHOST_MAX_VQS - 1 ? "other" : "";
}

static double ratio(__u64 a, __u64 b)
{
	return b ? (double)a / b : 0;
}

void vk_vhost_trace_print_text(FILE *f, const struct vk_vhost_trace *v)
{
	int i, r;

	if (v->status[0]) {
		fprintf(f, "\nvhost queues: unavailable (%s)\n", v->status);
		return;
	}
	fprintf(f, "\nvhost queues (every vhost device; vq index in its device)\n");
	fprintf(f, "%-9s %9s %9s %7s %9s %9s %8s %7s\n", "VQ", "BATCHES",
		"ENTRIES", "AVG", "SIGNALS", "SUPPR", "SIG/PKT", "ERRORS");
	for (i = 0; i < VK_VHOST_MAX_VQS; i++) {
		const struct vk_vhost_vq_stats *s = &v->vq[i];
		char name[16];

		if (!vq_active(s))
			continue;
		snprintf(name, sizeof(name), "%d %s", i, vq_name(i));
		fprintf(f, "%-9s %9llu %9llu %7.1f %9llu %9llu %8.3f %7llu\n", name,
			(unsigned long long)s->batches, (unsigned long long)s->entries,
			ratio(s->entries, s->batches), (unsigned long long)s->signalled,
			(unsigned long long)s->suppressed,
			ratio(s->signalled, s->entries), (unsigned long long)s->errors);
	}
	for (i = 0, r = 0; i < VK_VHOST_MAX_VQS; i++)
		r |= v->vq[i].polls != 0;
	if (r) {
		/* window: busy_clock() units of 1.024 us */
		fprintf(f, "\n%-9s %9s %7s %10s %11s %8s %8s\n", "BUSY POLL",
			"POLLS", "HIT%", "SPIN AVG", "TOTAL SPIN", "WIN AVG",
			"WIN MAX");
		for (i = 0; i < VK_VHOST_MAX_VQS; i++) {
			const struct vk_vhost_vq_stats *s = &v->vq[i];
			char name[16];

			if (!s->polls)
				continue;
			snprintf(name, sizeof(name), "%d %s", i, vq_name(i));
			fprintf(f, "%-9s %9llu %7.1f %7.1f us %8.2f ms %8.1f %8llu\n",
				name, (unsigned long long)s->polls,
				100 * ratio(s->exits[VK_VHOST_EXIT_WORK], s->polls),
				ratio(s->spin_ns, s->polls) / 1000, s->spin_ns / 1e6,
				ratio(s->window_sum, s->polls),
				(unsigned long long)s->window_max);
		}
		fprintf(f, "%-9s %9s %9s %9s %9s %10s\n", "EXITS", "TIMEOUT",
			"RESCHED", "SIGNAL", "VQ_WORK", "WORK_FOUND");
		for (i = 0; i < VK_VHOST_MAX_VQS; i++) {
			const struct vk_vhost_vq_stats *s = &v->vq[i];
			char name[16];

			if (!s->polls)
				continue;
			snprintf(name, sizeof(name), "%d %s", i, vq_name(i));
			fprintf(f, "%-9s", name);
			for (r = 0; r < VK_VHOST_REASONS; r++)
				fprintf(f, " %*llu", r == VK_VHOST_EXIT_WORK ? 10 : 9,
					(unsigned long long)s->exits[r]);
			fputc('\n', f);
		}
	}
	for (i = 0; i < VK_VHOST_MAX_VQS; i++) {
		const struct vk_vhost_vq_stats *s = &v->vq[i];

		if (!s->batches)
			continue;
		fprintf(f, "\nused-ring batch sizes, vq %d %s\n", i, vq_name(i));
		vk_print_log2_hist(f, s->batch_hist, VK_VHOST_HIST, "entries");
		if (s->xdp_batches)
			fprintf(f, "XDP batches: %llu, %.1f buffers each\n",
				(unsigned long long)s->xdp_batches,
				ratio(s->xdp_frames, s->xdp_batches));
	}
}

void vk_vhost_trace_print_json(FILE *f, const struct vk_vhost_trace *v)
{
	int i, r, first = 1;

	fprintf(f, "{\"status\": \"%s\", \"reason\": ", v->status[0] ? "unavailable" : "ok");
	if (v->status[0])
		fprintf(f, "\"%s\"", v->status);
	else
		fprintf(f, "null");
	fprintf(f, ", \"queues\": [");
	for (i = 0; !v->status[0] && i < VK_VHOST_MAX_VQS; i++) {
		const struct vk_vhost_vq_stats *s = &v->vq[i];

		if (!vq_active(s))
			continue;
		fprintf(f, "%s\n  {\"vq\": %d, \"batches\": %llu, \"entries\": %llu, "
			"\"batch_log2\": [", first ? "" : ",", i,
			(unsigned long long)s->batches, (unsigned long long)s->entries);
		first = 0;
		for (r = 0; r < VK_VHOST_HIST; r++)
			fprintf(f, "%s%llu", r ? ", " : "", (unsigned long long)s->batch_hist[r]);
		fprintf(f, "], \"signalled\": %llu, \"suppressed\": %llu, "
			"\"signals_per_entry\": %.4f, \"xdp_batches\": %llu, "
			"\"xdp_buffers\": %llu, \"errors\": %llu, ",
			(unsigned long long)s->signalled, (unsigned long long)s->suppressed,
			ratio(s->signalled, s->entries), (unsigned long long)s->xdp_batches,
			(unsigned long long)s->xdp_frames, (unsigned long long)s->errors);
		fprintf(f, "\"busy_poll\": {\"polls\": %llu, \"hit_rate\": %.4f, "
			"\"spin_ns\": %llu, \"window_avg\": %.2f, \"window_max\": %llu, "
			"\"exits\": {", (unsigned long long)s->polls,
			ratio(s->exits[VK_VHOST_EXIT_WORK], s->polls),
			(unsigned long long)s->spin_ns, ratio(s->window_sum, s->polls),
			(unsigned long long)s->window_max);
		for (r = 0; r < VK_VHOST_REASONS; r++)
			fprintf(f, "%s\"%s\": %llu", r ? ", " : "", exit_names[r],
				(unsigned long long)s->exits[r]);
		fprintf(f, "}}}");
	}
	fprintf(f, "]}");
}
