// SPDX-License-Identifier: GPL-2.0
/* vnetkit trace: per-stage packet counts, latency, batch sizes, XDP
 * verdicts and perf counters along the TAP / veth / virtio-net / vhost-net
 * path. User space picks one attach method per stage (fentry/fexit, then
 * kprobe/kretprobe, then tracepoints) and disables every other program
 * before load, so this one object serves every kernel.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "trace.h"

char LICENSE[] SEC("license") = "GPL";

/* Weak: kernels before 6.2 lack it; only the syscall fallback uses it. */
extern void *bpf_rdonly_cast(void *obj, __u32 btf_id) __ksym __weak;

/* Set by user space between open and load. */
const volatile __u32 filter_ifindex;
const volatile __u32 filter_netns;	/* inode of the device's netns */
const volatile __u32 nr_counters;
const volatile __u8 st_method[VK_ST_MAX];
/* Tracepoint fallbacks: the function a net_dev_start_xmit / napi_poll
 * event must point at (ndo_start_xmit, napi->poll) to belong to a stage. */
const volatile __u64 st_fn_addr[VK_ST_MAX];
/* Syscall fallback for tun_get_user: tun_chr_write_iter's address and the
 * write/writev syscall numbers. */
const volatile __u64 tun_write_iter;
const volatile __u32 nr_write = 1, nr_writev = 20;

/* Module types (tun, virtio_net) may be absent from vmlinux.h: local
 * flavours, relocated by CO-RE against whichever BTF has them. */
struct tun_struct___vk {
	struct net_device *dev;
} __attribute__((preserve_access_index));

struct tun_file___vk {
	struct socket socket;
	struct tun_struct___vk *tun;
} __attribute__((preserve_access_index));

struct tun_msg_ctl___vk {
	unsigned short type;
	unsigned short num;
} __attribute__((preserve_access_index));

#define VK_TUN_MSG_PTR 2	/* include/linux/if_tun.h */

/* Packets in one tun_sendmsg(): vhost_net hands over a batch of XDP
 * buffers at once (TUN_MSG_PTR); any other caller sends one. */
static __always_inline __s64 tun_msg_batch(__u64 msghdr)
{
	struct tun_msg_ctl___vk *ctl;

	ctl = BPF_CORE_READ((struct msghdr *)msghdr, msg_control);
	if (ctl && BPF_CORE_READ(ctl, type) == VK_TUN_MSG_PTR)
		return BPF_CORE_READ(ctl, num);
	return 1;
}

struct virtnet_info___vk {
	struct net_device *dev;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VK_ST_MAX);
	__type(key, __u32);
	__type(value, struct vk_stage_stats);
} stats SEC(".maps");

struct start_val {
	__u64 ts;			/* 0: no call in flight */
	__u64 ctr[VK_NR_CTR];
	__u32 cpu;
	__u32 ctr_ok;
};

struct path_val {
	__u64 ts;			/* 0: not inside a path head */
	__u32 head;
	__u32 pad;
};

/* Entry state per task: entry/exit pairs of one stage run on one task, so
 * task storage needs no key hashing, no insert and no delete per packet.
 * Softirqs use the interrupted task's (or the per-CPU idle task's) slot. */
struct task_state {
	struct start_val st[VK_ST_MAX];
	struct path_val path;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_state);
} tstate SEC(".maps");

/* One perf event array per counter; max_entries set to the CPU count. */
#define CTR_MAP(n)						\
struct {							\
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);		\
	__uint(key_size, sizeof(__u32));			\
	__uint(value_size, sizeof(__u32));			\
	__uint(max_entries, 1);					\
} ctr##n SEC(".maps")
CTR_MAP(0);
CTR_MAP(1);
CTR_MAP(2);
CTR_MAP(3);
CTR_MAP(4);

static __always_inline struct task_state *task_state(void)
{
	return bpf_task_storage_get(&tstate, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
}

static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	return r < VK_HIST_SLOTS ? r : VK_HIST_SLOTS - 1;
}

static __always_inline void hist_add(__u64 *hist, __u64 *cnt, __u64 *sum,
				     __u64 *max, __u64 v)
{
	__u32 slot = log2_slot(v);

	__sync_fetch_and_add(cnt, 1);
	__sync_fetch_and_add(sum, v);
	if (v > *max)
		*max = v;
	if (slot < VK_HIST_SLOTS)
		__sync_fetch_and_add(&hist[slot], 1);
}

static __always_inline struct vk_stage_stats *stage_stats(__u32 st)
{
	return bpf_map_lookup_elem(&stats, &st);
}

static __always_inline bool is_path_head(__u32 st)
{
	return st == VK_ST_TUN_GET_USER || st == VK_ST_TUN_SENDMSG ||
	       st == VK_ST_VHOST_HANDLE_TX || st == VK_ST_VHOST_HANDLE_RX;
}

static __always_inline struct net_device *dev_of(int kind, __u64 p)
{
	struct tun_file___vk *tf;

	if (!p)
		return NULL;
	switch (kind) {
	case VK_DEV_NETDEV:
		return (struct net_device *)p;
	case VK_DEV_SKB:
		return BPF_CORE_READ((struct sk_buff *)p, dev);
	case VK_DEV_NAPI:
		return BPF_CORE_READ((struct napi_struct *)p, dev);
	case VK_DEV_TUN:
		return BPF_CORE_READ((struct tun_struct___vk *)p, dev);
	case VK_DEV_TUN_SOCK:
		tf = (void *)(p - bpf_core_field_offset(struct tun_file___vk, socket));
		return BPF_CORE_READ(tf, tun, dev);
	case VK_DEV_VIRTNET:
		return BPF_CORE_READ((struct virtnet_info___vk *)p, dev);
	case VK_DEV_PSKB: {
		struct sk_buff *skb = NULL;

		bpf_probe_read_kernel(&skb, sizeof(skb), (void *)p);
		return skb ? BPF_CORE_READ(skb, dev) : NULL;
	}
	}
	return NULL;
}

/* ifindex is only unique within a network namespace: match both. */
static __always_inline bool netdev_match(struct net_device *dev)
{
	if (!dev || BPF_CORE_READ(dev, ifindex) != (int)filter_ifindex)
		return false;
	return !filter_netns ||
	       BPF_CORE_READ(dev, nd_net.net, ns.inum) == filter_netns;
}

static __always_inline bool dev_match(int kind, __u64 p)
{
	if (!filter_ifindex || kind == VK_DEV_NONE)
		return true;
	return netdev_match(dev_of(kind, p));
}

/* Read every configured counter on this CPU; false if any read failed. */
static __always_inline bool ctr_read(__u64 *v)
{
	struct bpf_perf_event_value pv;
	bool ok = true;

#define READ_CTR(n)							\
	if (nr_counters > n) {						\
		if (bpf_perf_event_read_value(&ctr##n, BPF_F_CURRENT_CPU, \
					      &pv, sizeof(pv)))		\
			ok = false;					\
		else							\
			v[n] = pv.counter;				\
	}
	READ_CTR(0)
	READ_CTR(1)
	READ_CTR(2)
	READ_CTR(3)
	READ_CTR(4)
#undef READ_CTR
	return ok;
}

static __always_inline void path_note(struct vk_stage_stats *s, __u32 st,
				      struct task_state *ts, __u64 now)
{
	if (!ts || !ts->path.ts || ts->path.head == st || now < ts->path.ts)
		return;
	hist_add(s->path_hist, &s->path_cnt, &s->path_sum, &s->path_max,
		 now - ts->path.ts);
	s->path_head = ts->path.head;
}

static __always_inline void batch_note(struct vk_stage_stats *s, __s64 n)
{
	if (n <= 0)
		return;
	__sync_fetch_and_add(&s->packets, n);
	hist_add(s->batch_hist, &s->batch_cnt, &s->batch_sum, &s->batch_max, n);
}

/* An event with no matching exit (a single tracepoint). batch < 0: one
 * packet, no batch. */
static __always_inline void stage_point(__u32 st, __s64 batch)
{
	struct vk_stage_stats *s = stage_stats(st);
	__u64 now = bpf_ktime_get_ns();

	if (!s)
		return;
	__sync_fetch_and_add(&s->calls, 1);
	if (batch < 0)
		__sync_fetch_and_add(&s->packets, 1);
	else
		batch_note(s, batch);
	path_note(s, st, task_state(), now);
}

/* Entry of an entry/exit pair. count: this event counts a call (false for
 * an entry that only times a call counted elsewhere). batch as above;
 * batch == 0 with ret_batch: packets come from the exit. */
static __always_inline void stage_enter(__u32 st, bool count, __s64 batch,
					bool ret_batch)
{
	struct vk_stage_stats *s = stage_stats(st);
	struct task_state *ts = task_state();
	struct start_val *v;
	__u64 now;

	if (!s || st >= VK_ST_MAX)
		return;
	now = bpf_ktime_get_ns();
	if (count) {
		__sync_fetch_and_add(&s->calls, 1);
		if (batch >= 0)
			batch_note(s, batch);
		else if (!ret_batch)
			__sync_fetch_and_add(&s->packets, 1);
		path_note(s, st, ts, now);
	}
	if (!ts)
		return;
	/* The outermost head owns the path (tun_get_user runs inside
	 * tun_sendmsg inside handle_tx); a path older than a second was left
	 * behind by a call whose exit we missed (attached mid-call). */
	if (is_path_head(st) &&
	    (!ts->path.ts || now - ts->path.ts > 1000000000ULL)) {
		ts->path.ts = now;
		ts->path.head = st;
	}
	v = &ts->st[st];
	v->cpu = bpf_get_smp_processor_id();
	v->ts = now;
	/* Counters last: the less of our own work they include, the better. */
	if (nr_counters) {
		v->ctr_ok = ctr_read(v->ctr);
		if (!v->ctr_ok)
			__sync_fetch_and_add(&s->ctr_errors, 1);
	}
}

static __always_inline void stage_exit(__u32 st, bool ret_batch, __s64 ret)
{
	__u64 ctr[VK_NR_CTR] = {}, now;
	struct vk_stage_stats *s;
	struct task_state *ts;
	struct start_val *v;
	bool ctr_ok = false;

	if (st >= VK_ST_MAX)
		return;
	ts = bpf_task_storage_get(&tstate, bpf_get_current_task_btf(), 0, 0);
	if (!ts)
		return;
	v = &ts->st[st];
	if (!v->ts)
		return;
	if (nr_counters && v->ctr_ok && v->cpu == bpf_get_smp_processor_id())
		ctr_ok = ctr_read(ctr);
	now = bpf_ktime_get_ns();
	s = stage_stats(st);
	if (s) {
		if (now > v->ts)
			hist_add(s->lat_hist, &s->lat_cnt, &s->lat_sum,
				 &s->lat_max, now - v->ts);
		if (nr_counters && v->ctr_ok) {
			if (!ctr_ok) {
				__sync_fetch_and_add(&s->ctr_migrated, 1);
			} else {
				__sync_fetch_and_add(&s->ctr_samples, 1);
#pragma unroll
				for (int i = 0; i < VK_NR_CTR; i++)
					if (ctr[i] >= v->ctr[i])
						__sync_fetch_and_add(&s->ctr_sum[i],
							ctr[i] - v->ctr[i]);
			}
		}
		if (ret_batch)
			batch_note(s, ret);
	}
	v->ts = 0;
	if (is_path_head(st) && ts->path.head == st)
		ts->path.ts = 0;
}

static __always_inline void verdict_note(__u32 st, __u32 act)
{
	struct vk_stage_stats *s = stage_stats(st);

	if (!s)
		return;
	if (act >= VK_NR_VERDICTS - 1)
		act = VK_NR_VERDICTS - 1;
	__sync_fetch_and_add(&s->verdict[act & (VK_NR_VERDICTS - 1)], 1);
}

/* ---- function stages: fentry/fexit and kprobe/kretprobe ---- */

static __always_inline __u64 kparm(struct pt_regs *ctx, int n)
{
	switch (n) {
	case 0: return PT_REGS_PARM1_CORE(ctx);
	case 1: return PT_REGS_PARM2_CORE(ctx);
	case 2: return PT_REGS_PARM3_CORE(ctx);
	case 3: return PT_REGS_PARM4_CORE(ctx);
	}
	return 0;
}

static __always_inline __s64 batch_of(int kind, __u64 arg)
{
	if (kind == VK_BATCH_ARG)
		return (int)arg;
	if (kind == VK_BATCH_TUN_MSG)
		return tun_msg_batch(arg);
	return -1;
}

/* fn: kernel function; st: stage; dk/da: device kind and argument index;
 * bk/ba: batch kind and argument index. */
#define FUNC_STAGE(fn, st, dk, da, bk, ba)				\
SEC("fentry/" #fn)							\
int fentry_##fn(void *ctx)						\
{									\
	__u64 d = 0, b = 0;						\
									\
	bpf_get_func_arg(ctx, da, &d);					\
	if (!dev_match(dk, d))						\
		return 0;						\
	if (bk == VK_BATCH_ARG || bk == VK_BATCH_TUN_MSG)		\
		bpf_get_func_arg(ctx, ba, &b);				\
	stage_enter(st, true, batch_of(bk, b), bk == VK_BATCH_RET);	\
	return 0;							\
}									\
SEC("fexit/" #fn)							\
int fexit_##fn(void *ctx)						\
{									\
	__u64 ret = 0;							\
									\
	bpf_get_func_ret(ctx, &ret);					\
	stage_exit(st, bk == VK_BATCH_RET, (__s64)(int)ret);		\
	return 0;							\
}									\
SEC("kprobe/" #fn)							\
int kprobe_##fn(struct pt_regs *ctx)					\
{									\
	if (!dev_match(dk, kparm(ctx, da)))				\
		return 0;						\
	stage_enter(st, true, batch_of(bk, kparm(ctx, ba)),		\
		    bk == VK_BATCH_RET);				\
	return 0;							\
}									\
SEC("kretprobe/" #fn)							\
int kretprobe_##fn(struct pt_regs *ctx)					\
{									\
	stage_exit(st, bk == VK_BATCH_RET, (__s64)(int)PT_REGS_RC_CORE(ctx)); \
	return 0;							\
}

FUNC_STAGE(tun_get_user, VK_ST_TUN_GET_USER, VK_DEV_TUN, 0, VK_BATCH_NONE, 0)
FUNC_STAGE(tun_net_xmit, VK_ST_TUN_NET_XMIT, VK_DEV_NETDEV, 1, VK_BATCH_NONE, 0)
FUNC_STAGE(tun_sendmsg, VK_ST_TUN_SENDMSG, VK_DEV_TUN_SOCK, 0, VK_BATCH_TUN_MSG, 1)
FUNC_STAGE(tun_recvmsg, VK_ST_TUN_RECVMSG, VK_DEV_TUN_SOCK, 0, VK_BATCH_NONE, 0)
FUNC_STAGE(tun_xdp_xmit, VK_ST_TUN_XDP_XMIT, VK_DEV_NETDEV, 0, VK_BATCH_ARG, 1)
FUNC_STAGE(veth_xmit, VK_ST_VETH_XMIT, VK_DEV_NETDEV, 1, VK_BATCH_NONE, 0)
FUNC_STAGE(veth_poll, VK_ST_VETH_POLL, VK_DEV_NAPI, 0, VK_BATCH_RET, 0)
FUNC_STAGE(virtnet_poll, VK_ST_VIRTNET_POLL, VK_DEV_NAPI, 0, VK_BATCH_RET, 0)
FUNC_STAGE(receive_buf, VK_ST_VIRTNET_RECEIVE, VK_DEV_VIRTNET, 0, VK_BATCH_NONE, 0)
FUNC_STAGE(start_xmit, VK_ST_VIRTNET_XMIT, VK_DEV_NETDEV, 1, VK_BATCH_NONE, 0)
FUNC_STAGE(handle_tx, VK_ST_VHOST_HANDLE_TX, VK_DEV_NONE, 0, VK_BATCH_NONE, 0)
FUNC_STAGE(handle_rx, VK_ST_VHOST_HANDLE_RX, VK_DEV_NONE, 0, VK_BATCH_NONE, 0)
FUNC_STAGE(vhost_get_vq_desc, VK_ST_VHOST_GET_VQ_DESC, VK_DEV_NONE, 0, VK_BATCH_NONE, 0)
FUNC_STAGE(vhost_add_used_n, VK_ST_VHOST_ADD_USED, VK_DEV_NONE, 0, VK_BATCH_ARG, 2)
FUNC_STAGE(vhost_signal, VK_ST_VHOST_SIGNAL, VK_DEV_NONE, 0, VK_BATCH_NONE, 0)
FUNC_STAGE(do_xdp_generic, VK_ST_XDP_GENERIC, VK_DEV_PSKB, 1, VK_BATCH_NONE, 0)

/* ---- the XDP program itself: fentry/fexit on the program on --dev ---- */

SEC("fentry/xdp")
int xdp_prog_entry(void *ctx)
{
	__u64 xdp = 0;

	bpf_get_func_arg(ctx, 0, &xdp);
	if (filter_ifindex &&
	    !netdev_match(BPF_CORE_READ((struct xdp_buff *)xdp, rxq, dev)))
		return 0;
	stage_enter(VK_ST_XDP_PROG, true, -1, false);
	return 0;
}

SEC("fexit/xdp")
int xdp_prog_exit(void *ctx)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	stage_exit(VK_ST_XDP_PROG, false, 0);
	verdict_note(VK_ST_XDP_PROG, (__u32)ret);
	return 0;
}

/* ---- tracepoint stages ---- */

static __always_inline bool tp_on(__u32 st)
{
	return st_method[st] == VK_M_TP;
}

/* A tracepoint pair stands in for a driver's ndo_start_xmit when that is
 * what the device's netdev_ops point at. */
#define XMIT_FALLBACK(st, fn, enter)					\
	if (tp_on(st) && fn == st_fn_addr[st] && dev_match(VK_DEV_NETDEV, dev)) \
		enter

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(tp_net_dev_start_xmit, const struct sk_buff *skb,
	     const struct net_device *nd)
{
	__u64 dev = (__u64)nd;
	__u64 fn;

	if (tp_on(VK_ST_NET_DEV_XMIT) && dev_match(VK_DEV_NETDEV, dev))
		stage_enter(VK_ST_NET_DEV_XMIT, true, -1, false);
	fn = (__u64)BPF_CORE_READ(nd, netdev_ops, ndo_start_xmit);
	XMIT_FALLBACK(VK_ST_TUN_NET_XMIT, fn, stage_enter(VK_ST_TUN_NET_XMIT, true, -1, false));
	XMIT_FALLBACK(VK_ST_VETH_XMIT, fn, stage_enter(VK_ST_VETH_XMIT, true, -1, false));
	XMIT_FALLBACK(VK_ST_VIRTNET_XMIT, fn, stage_enter(VK_ST_VIRTNET_XMIT, true, -1, false));
	return 0;
}

SEC("tp_btf/net_dev_xmit")
int BPF_PROG(tp_net_dev_xmit, struct sk_buff *skb, int rc,
	     struct net_device *nd, unsigned int len)
{
	if (tp_on(VK_ST_NET_DEV_XMIT))
		stage_exit(VK_ST_NET_DEV_XMIT, false, 0);
	if (tp_on(VK_ST_TUN_NET_XMIT))
		stage_exit(VK_ST_TUN_NET_XMIT, false, 0);
	if (tp_on(VK_ST_VETH_XMIT))
		stage_exit(VK_ST_VETH_XMIT, false, 0);
	if (tp_on(VK_ST_VIRTNET_XMIT))
		stage_exit(VK_ST_VIRTNET_XMIT, false, 0);
	return 0;
}

SEC("tp_btf/napi_poll")
int BPF_PROG(tp_napi_poll, struct napi_struct *napi, int work, int budget)
{
	__u64 fn = (__u64)BPF_CORE_READ(napi, poll);

	if (!dev_match(VK_DEV_NAPI, (__u64)napi))
		return 0;
	if (tp_on(VK_ST_VETH_POLL) && fn == st_fn_addr[VK_ST_VETH_POLL])
		stage_point(VK_ST_VETH_POLL, work);
	if (tp_on(VK_ST_VIRTNET_POLL) && fn == st_fn_addr[VK_ST_VIRTNET_POLL])
		stage_point(VK_ST_VIRTNET_POLL, work);
	return 0;
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(tp_netif_receive_skb, struct sk_buff *skb)
{
	if (dev_match(VK_DEV_SKB, (__u64)skb))
		stage_point(VK_ST_NETIF_RECEIVE_SKB, -1);
	return 0;
}

/* Times netif_receive_skb() calls (the TAP path uses it); the count above
 * also covers NAPI/GRO deliveries, which have no entry/exit pair. */
SEC("tp_btf/netif_receive_skb_entry")
int BPF_PROG(tp_netif_receive_skb_entry, const struct sk_buff *skb)
{
	if (dev_match(VK_DEV_SKB, (__u64)skb))
		stage_enter(VK_ST_NETIF_RECEIVE_SKB, false, -1, false);
	return 0;
}

SEC("tp_btf/netif_receive_skb_exit")
int BPF_PROG(tp_netif_receive_skb_exit, int ret)
{
	stage_exit(VK_ST_NETIF_RECEIVE_SKB, false, 0);
	return 0;
}

SEC("tp_btf/xdp_exception")
int BPF_PROG(tp_xdp_exception, const struct net_device *dev,
	     const struct bpf_prog *xdp, u32 act)
{
	if (!dev_match(VK_DEV_NETDEV, (__u64)dev))
		return 0;
	stage_point(VK_ST_XDP_EXCEPTION, -1);
	verdict_note(VK_ST_XDP_EXCEPTION, act);
	return 0;
}

SEC("tp_btf/xdp_redirect")
int BPF_PROG(tp_xdp_redirect, const struct net_device *dev)
{
	if (!dev_match(VK_DEV_NETDEV, (__u64)dev))
		return 0;
	stage_point(VK_ST_XDP_REDIRECT, -1);
	verdict_note(VK_ST_XDP_REDIRECT, XDP_REDIRECT);
	return 0;
}

SEC("tp_btf/xdp_redirect_err")
int BPF_PROG(tp_xdp_redirect_err, const struct net_device *dev)
{
	if (!dev_match(VK_DEV_NETDEV, (__u64)dev))
		return 0;
	stage_point(VK_ST_XDP_REDIRECT_ERR, -1);
	verdict_note(VK_ST_XDP_REDIRECT_ERR, XDP_REDIRECT);
	return 0;
}

SEC("tp_btf/xdp_bulk_tx")
int BPF_PROG(tp_xdp_bulk_tx, const struct net_device *dev, int sent,
	     int drops, int err)
{
	if (dev_match(VK_DEV_NETDEV, (__u64)dev))
		stage_point(VK_ST_XDP_BULK_TX, sent + drops);
	return 0;
}

SEC("tp_btf/xdp_devmap_xmit")
int BPF_PROG(tp_xdp_devmap_xmit, const struct net_device *from,
	     const struct net_device *to, int sent, int drops, int err)
{
	if (dev_match(VK_DEV_NETDEV, (__u64)from) ||
	    dev_match(VK_DEV_NETDEV, (__u64)to))
		stage_point(VK_ST_XDP_DEVMAP_XMIT, sent + drops);
	return 0;
}

/* ---- tun_get_user from the syscall side ----
 * tun_chr_write_iter() calls tun_get_user() exactly once per write(2) or
 * writev(2) on a TAP fd; on kernels without fentry and kprobes the
 * syscall tracepoints are the exact per-packet hook left. */
SEC("tp_btf/sys_enter")
int BPF_PROG(tp_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task;
	struct fdtable *fdt;
	struct file *f;
	__u64 fd, p;

	if (id != nr_write && id != nr_writev)
		return 0;
	/* Runs for every write on the system: BTF pointer loads instead of
	 * probe reads wherever the verifier knows the type (about 300 ns
	 * less per packet on the test VM). */
	fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
	task = bpf_get_current_task_btf();
	fdt = task->files->fdt;
	if (fd >= fdt->max_fds)
		return 0;
	if (bpf_probe_read_kernel(&p, sizeof(p), &fdt->fd[fd]) || !p)
		return 0;
	f = bpf_rdonly_cast((void *)p, bpf_core_type_id_kernel(struct file));
	if ((__u64)f->f_op->write_iter != tun_write_iter)
		return 0;
	if (filter_ifindex) {
		struct tun_file___vk *tf;
		struct net_device *dev;

		tf = bpf_rdonly_cast(f->private_data,
				     bpf_core_type_id_kernel(struct tun_file___vk));
		dev = tf->tun->dev;
		if (!dev || dev->ifindex != (int)filter_ifindex ||
		    (filter_netns && dev->nd_net.net->ns.inum != filter_netns))
			return 0;
	}
	stage_enter(VK_ST_TUN_GET_USER, true, -1, false);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(tp_sys_exit, struct pt_regs *regs, long ret)
{
#ifdef __TARGET_ARCH_x86
	/* Runs for every syscall: skip the map lookup for all but writes. */
	long id = regs->orig_ax;

	if (id != nr_write && id != nr_writev)
		return 0;
#endif
	stage_exit(VK_ST_TUN_GET_USER, false, 0);
	return 0;
}
