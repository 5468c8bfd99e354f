// SPDX-License-Identifier: GPL-2.0
/* vnetkit trace: per-virtqueue batch sizes, guest signals, busy polling and
 * errors from the vhost tracepoints our patch series adds (raw tracepoints:
 * the events take vhost's private structures, which CO-RE reads through
 * local flavours). User space loads this object only on a kernel that has
 * the events, and turns off the programs of events it lacks.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "trace_vhost_stats.h"

char LICENSE[] SEC("license") = "GPL";

struct vhost_virtqueue___vk;

struct vhost_dev___vk {
	struct vhost_virtqueue___vk **vqs;
	int nvqs;
} __attribute__((preserve_access_index));

struct vhost_virtqueue___vk {
	struct vhost_dev___vk *dev;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VK_VHOST_MAX_VQS);
	__type(key, __u32);
	__type(value, struct vk_vhost_vq_stats);
} vq_stats SEC(".maps");

/* The index of vq in its device, as the events print it. */
static __always_inline __u32 vq_slot(struct vhost_virtqueue___vk *vq)
{
	struct vhost_dev___vk *dev = BPF_CORE_READ(vq, dev);
	struct vhost_virtqueue___vk **vqs = BPF_CORE_READ(dev, vqs);
	int n = BPF_CORE_READ(dev, nvqs);
	__u32 i;

	for (i = 0; i < VK_VHOST_MAX_VQS - 1; i++) {
		struct vhost_virtqueue___vk *p = NULL;

		if ((int)i >= n)
			break;
		bpf_probe_read_kernel(&p, sizeof(p), &vqs[i]);
		if (p == vq)
			return i;
	}
	return VK_VHOST_MAX_VQS - 1;
}

static __always_inline struct vk_vhost_vq_stats *stats(struct vhost_virtqueue___vk *vq)
{
	__u32 k = vq_slot(vq);

	return bpf_map_lookup_elem(&vq_stats, &k);
}

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 b = 0;

	while (v > 1 && b < VK_VHOST_HIST - 1) {
		v >>= 1;
		b++;
	}
	return b;
}

SEC("raw_tp/vhost_net_used_batch")
int BPF_PROG(vk_used_batch, struct vhost_virtqueue___vk *vq, unsigned int count)
{
	struct vk_vhost_vq_stats *s = stats(vq);

	if (!s)
		return 0;
	s->batches++;
	s->entries += count;
	s->batch_hist[log2_bucket(count) & (VK_VHOST_HIST - 1)]++;
	return 0;
}

SEC("raw_tp/vhost_signal")
int BPF_PROG(vk_signal, struct vhost_virtqueue___vk *vq, bool signalled)
{
	struct vk_vhost_vq_stats *s = stats(vq);

	if (!s)
		return 0;
	if (signalled)
		s->signalled++;
	else
		s->suppressed++;
	return 0;
}

SEC("raw_tp/vhost_net_tx_xdp_batch")
int BPF_PROG(vk_xdp_batch, struct vhost_virtqueue___vk *vq, unsigned int count,
	     int err)
{
	struct vk_vhost_vq_stats *s = stats(vq);

	if (!s)
		return 0;
	s->xdp_batches++;
	s->xdp_frames += count;
	return 0;
}

SEC("raw_tp/vhost_net_busy_poll_end")
int BPF_PROG(vk_busy_poll_end, struct vhost_virtqueue___vk *vq,
	     unsigned long window, int reason, __u64 spin_ns)
{
	struct vk_vhost_vq_stats *s = stats(vq);

	if (!s)
		return 0;
	s->polls++;
	if (reason >= 0 && reason < VK_VHOST_REASONS)
		s->exits[reason]++;
	s->spin_ns += spin_ns;
	s->window_sum += window;
	if (window > s->window_max)
		s->window_max = window;
	return 0;
}

SEC("raw_tp/vhost_vq_err")
int BPF_PROG(vk_vq_err, struct vhost_virtqueue___vk *vq)
{
	struct vk_vhost_vq_stats *s = stats(vq);

	if (s)
		s->errors++;
	return 0;
}
