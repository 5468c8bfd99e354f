/* SPDX-License-Identifier: GPL-2.0 */
/* Structures shared by bpf/trace_path.bpf.c and loader/cmd_trace.c. */
#ifndef VNETKIT_TRACE_H
#define VNETKIT_TRACE_H

#define VK_HIST_SLOTS	32	/* log2 buckets: slot k holds [2^k, 2^(k+1)) */
#define VK_NR_CTR	5	/* perf counters read per stage entry/exit */
#define VK_NR_VERDICTS	8	/* XDP actions 0..4 and "invalid" (>= 5) */
#define VK_MAX_CPUS	1024
#define VK_MAX_EVENTS	32	/* trace --events: tracepoints counted, one slot each */

/* Stage ids: one per traced point of the packet path. The names, groups
 * and attach methods live in loader/trace_stages.c, in this order. */
enum vk_stage {
	VK_ST_TUN_GET_USER,
	VK_ST_TUN_NET_XMIT,
	VK_ST_TUN_SENDMSG,
	VK_ST_TUN_RECVMSG,
	VK_ST_TUN_XDP_XMIT,
	VK_ST_VETH_XMIT,
	VK_ST_VETH_POLL,
	VK_ST_VIRTNET_POLL,
	VK_ST_VIRTNET_RECEIVE,
	VK_ST_VIRTNET_XMIT,
	VK_ST_VHOST_HANDLE_TX,
	VK_ST_VHOST_HANDLE_RX,
	VK_ST_VHOST_GET_VQ_DESC,
	VK_ST_VHOST_ADD_USED,
	VK_ST_VHOST_SIGNAL,
	VK_ST_XDP_PROG,
	VK_ST_XDP_GENERIC,
	VK_ST_XDP_EXCEPTION,
	VK_ST_XDP_REDIRECT,
	VK_ST_XDP_REDIRECT_ERR,
	VK_ST_XDP_BULK_TX,
	VK_ST_XDP_DEVMAP_XMIT,
	VK_ST_NET_DEV_XMIT,
	VK_ST_NETIF_RECEIVE_SKB,
	VK_ST_MAX,
};

/* How a stage finds the device of an event (for the --dev filter). */
enum vk_dev_kind {
	VK_DEV_NONE,		/* not filtered (no device at hand) */
	VK_DEV_NETDEV,		/* arg is struct net_device * */
	VK_DEV_SKB,		/* arg is struct sk_buff * */
	VK_DEV_NAPI,		/* arg is struct napi_struct * */
	VK_DEV_TUN,		/* arg is struct tun_struct * */
	VK_DEV_TUN_SOCK,	/* arg is the struct socket inside a tun_file */
	VK_DEV_VIRTNET,		/* arg is struct virtnet_info * */
	VK_DEV_PSKB,		/* arg is struct sk_buff ** */
};

/* Where a stage's batch size (packets per call) comes from. */
enum vk_batch_kind {
	VK_BATCH_NONE,		/* one call is one packet (or not countable) */
	VK_BATCH_ARG,		/* an integer argument */
	VK_BATCH_RET,		/* the return value (NAPI poll: work done) */
	VK_BATCH_TUN_MSG,	/* msghdr arg: tun_msg_ctl.num of a TUN_MSG_PTR
				 * batch (vhost_net TX), else one packet */
};

/* Method a stage is attached with; user space fills one per stage. */
enum vk_method {
	VK_M_NONE,
	VK_M_FENTRY,		/* fentry + fexit */
	VK_M_KPROBE,		/* kprobe + kretprobe */
	VK_M_TP,		/* tracepoint(s) (tp_btf) */
	VK_M_SYSCALL,		/* write(2)/writev(2) on a TAP fd */
};

/* Per-stage statistics, one per CPU (BPF_MAP_TYPE_PERCPU_ARRAY). */
struct vk_stage_stats {
	__u64 calls;			/* events seen (after the dev filter) */
	__u64 packets;			/* packets: calls, or sum of batches */
	__u64 lat_cnt, lat_sum, lat_max;	/* entry -> exit, ns */
	__u64 lat_hist[VK_HIST_SLOTS];
	__u64 path_cnt, path_sum, path_max;	/* path head entry -> here */
	__u64 path_hist[VK_HIST_SLOTS];
	__u64 batch_cnt, batch_sum, batch_max;
	__u64 batch_hist[VK_HIST_SLOTS];
	__u64 ctr_samples;		/* entry/exit pairs with counters */
	__u64 ctr_migrated;		/* pairs dropped: exit on another CPU */
	__u64 ctr_errors;		/* bpf_perf_event_read_value() failed */
	__u64 ctr_sum[VK_NR_CTR];
	__u64 verdict[VK_NR_VERDICTS];	/* XDP stages: per action */
	__u32 path_head;		/* stage id of the last path head */
	__u32 pad;
};

#endif
