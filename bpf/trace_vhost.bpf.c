// SPDX-License-Identifier: GPL-2.0
/* vnetkit trace: per-device, per-virtqueue batch sizes, guest signals, busy
 * polling and errors from the vhost tracepoints our patch series adds (raw
 * tracepoints: the events take vhost's private structures, which CO-RE
 * reads through local flavours: the device id, type and owner the events
 * name a queue by). User space loads this object only on a kernel that has
 * the events and those fields, and turns off the programs of events it
 * lacks.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "trace_vhost_stats.h"

char LICENSE[] SEC("license") = "GPL";

/* The fields of drivers/vhost/vhost.h the events name a queue by. */
/* The field is an enum in the kernel; libbpf matches a CO-RE field only to
 * one of the same kind, so the local flavour declares an enum too. */
enum vhost_dev_type___vk { VK_VHOST_DEV_TYPE_ANY___vk };

struct vhost_dev___vk {
	__u64 id;
	enum vhost_dev_type___vk type;
	int owner_tgid;
} __attribute__((preserve_access_index));

struct vhost_work___vk {
	void *fn;
} __attribute__((preserve_access_index));

struct vhost_poll___vk {
	struct vhost_work___vk work;
} __attribute__((preserve_access_index));

struct vhost_virtqueue___vk {
	struct vhost_dev___vk *dev;
	__u16 index;
	struct vhost_poll___vk poll;
	void *handle_kick;
} __attribute__((preserve_access_index));

/* kernel/vhost_task.c */
struct vhost_task___vk {
	struct task_struct *task;
} __attribute__((preserve_access_index));

struct vhost_worker___vk {
	struct vhost_task___vk *vtsk;
	struct vhost_dev___vk *dev;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, VK_VHOST_MAX_QUEUES);
	__type(key, struct vk_vhost_key);
	__type(value, struct vk_vhost_vq_stats);
} vq_stats SEC(".maps");

/* Queues that did not fit in vq_stats. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} vq_overflow SEC(".maps");

static const struct vk_vhost_vq_stats zero;

/* The counters of vq, keyed by device id and queue index; the owner and
 * the device type are refreshed on every event (a device changes owner
 * on VHOST_RESET_OWNER + VHOST_SET_OWNER).
 */
static __always_inline struct vk_vhost_vq_stats *stats(struct vhost_virtqueue___vk *vq)
{
	struct vhost_dev___vk *dev = BPF_CORE_READ(vq, dev);
	struct vk_vhost_key k = {
		.dev = BPF_CORE_READ(dev, id),
		.vq = BPF_CORE_READ(vq, index),
	};
	struct vk_vhost_vq_stats *s;

	s = bpf_map_lookup_elem(&vq_stats, &k);
	if (!s) {
		/* EEXIST: another CPU added the queue first */
		bpf_map_update_elem(&vq_stats, &k, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&vq_stats, &k);
	}
	if (!s) {
		__u32 z = 0;
		__u64 *o = bpf_map_lookup_elem(&vq_overflow, &z);

		if (o)
			(*o)++;
		return NULL;
	}
	s->tgid = (__u32)BPF_CORE_READ(dev, owner_tgid);
	s->type = BPF_CORE_READ(dev, type) + 1;
	return s;
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

SEC("raw_tp/vhost_net_busy_poll_adapt")
int BPF_PROG(vk_busy_poll_adapt, struct vhost_virtqueue___vk *vq, __u64 gap,
	     __u32 old, __u32 window)
{
	struct vk_vhost_vq_stats *s = stats(vq);

	if (!s)
		return 0;
	if (window > old)
		s->grows++;
	else if (window < old)
		s->shrinks++;
	return 0;
}

/* A work item queued on a device's worker. It is a virtqueue's kick handler
 * when it is that queue's poll.work: the queue whose poll.work sits at the
 * item's address belongs to the worker's device and has the item's function
 * as its kick handler (other items, e.g. vhost_net's socket polls, fail
 * that test; the reads are probe reads). Queued from the worker itself it is
 * the handler re-queueing itself (weight exceeded, busy poll); from anywhere
 * else it is a guest notification, the eventfd the VMM or the driver
 * wrote. Kicks arriving while the handler is already queued do not queue
 * it again, so this counts the kicks that woke the handler.
 */
SEC("raw_tp/vhost_work_queue")
int BPF_PROG(vk_work_queue, struct vhost_worker___vk *worker, struct vhost_work___vk *work)
{
	struct vhost_virtqueue___vk *vq;
	struct vk_vhost_vq_stats *s;
	__u64 task = 0;

	vq = (void *)work - bpf_core_field_offset(struct vhost_virtqueue___vk, poll) -
	     bpf_core_field_offset(struct vhost_poll___vk, work);
	if ((unsigned long)BPF_CORE_READ(vq, dev) != (unsigned long)BPF_CORE_READ(worker, dev) ||
	    (unsigned long)BPF_CORE_READ(vq, handle_kick) != (unsigned long)BPF_CORE_READ(work, fn))
		return 0;
	s = stats(vq);
	if (!s)
		return 0;
	if (bpf_core_field_exists(worker->vtsk))
		task = (unsigned long)BPF_CORE_READ(worker, vtsk, task);
	if (task && task == bpf_get_current_task())
		s->requeues++;
	else
		s->kicks++;
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
