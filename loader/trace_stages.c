// SPDX-License-Identifier: GPL-2.0
/* vnetkit trace: the stage catalogue (see trace_stages.h). */
#include "trace_stages.h"

#define FN(n, g, fb, u) { .name = #n, .group = g, .func = #n, .fallback = fb, .unit = u }
#define FN2(n, f, g, fb, u) { .name = n, .group = g, .func = #f, .fallback = fb, .unit = u }
#define TP(n, g, u, ...) { .name = n, .group = g, .tps = { __VA_ARGS__ }, .unit = u }

/* Indexed by enum vk_stage. */
const struct vk_stage_def vk_stage_defs[VK_ST_MAX] = {
	[VK_ST_TUN_GET_USER]	= FN(tun_get_user, "tun", VK_FB_SYSCALL, VK_UNIT_PKT),
	[VK_ST_TUN_NET_XMIT]	= FN(tun_net_xmit, "tun", VK_FB_XMIT, VK_UNIT_PKT),
	[VK_ST_TUN_SENDMSG]	= FN(tun_sendmsg, "tun", VK_FB_NONE, VK_UNIT_BATCH),
	[VK_ST_TUN_RECVMSG]	= FN(tun_recvmsg, "tun", VK_FB_NONE, VK_UNIT_PKT),
	[VK_ST_TUN_XDP_XMIT]	= FN(tun_xdp_xmit, "tun", VK_FB_NONE, VK_UNIT_BATCH),
	[VK_ST_VETH_XMIT]	= FN(veth_xmit, "veth", VK_FB_XMIT, VK_UNIT_PKT),
	[VK_ST_VETH_POLL]	= FN(veth_poll, "veth", VK_FB_NAPI, VK_UNIT_BATCH),
	[VK_ST_VIRTNET_POLL]	= FN(virtnet_poll, "virtio_net", VK_FB_NAPI, VK_UNIT_BATCH),
	[VK_ST_VIRTNET_RECEIVE]	= FN(receive_buf, "virtio_net", VK_FB_NONE, VK_UNIT_PKT),
	[VK_ST_VIRTNET_XMIT]	= FN(start_xmit, "virtio_net", VK_FB_XMIT, VK_UNIT_PKT),
	[VK_ST_VHOST_HANDLE_TX]	= FN(handle_tx, "vhost_net", VK_FB_NONE, VK_UNIT_CALL),
	[VK_ST_VHOST_HANDLE_RX]	= FN(handle_rx, "vhost_net", VK_FB_NONE, VK_UNIT_CALL),
	[VK_ST_VHOST_GET_VQ_DESC] = FN(vhost_get_vq_desc, "vhost_net", VK_FB_NONE, VK_UNIT_CALL),
	[VK_ST_VHOST_ADD_USED]	= FN2("vhost_add_used", vhost_add_used_n, "vhost_net",
				      VK_FB_NONE, VK_UNIT_BATCH),
	[VK_ST_VHOST_SIGNAL]	= FN(vhost_signal, "vhost_net", VK_FB_NONE, VK_UNIT_CALL),
	[VK_ST_XDP_PROG]	= { .name = "xdp_prog", .group = "xdp", .unit = VK_UNIT_PKT },
	/* Generic (skb) XDP: a frame that missed the driver's native path,
	 * e.g. a TAP write larger than a page for a single-buffer program. */
	[VK_ST_XDP_GENERIC]	= FN2("xdp_generic", do_xdp_generic, "xdp", VK_FB_NONE,
				      VK_UNIT_PKT),
	[VK_ST_XDP_EXCEPTION]	= TP("xdp_exception", "xdp", VK_UNIT_PKT, "xdp_exception"),
	[VK_ST_XDP_REDIRECT]	= TP("xdp_redirect", "xdp", VK_UNIT_PKT, "xdp_redirect"),
	[VK_ST_XDP_REDIRECT_ERR] = TP("xdp_redirect_err", "xdp", VK_UNIT_PKT, "xdp_redirect_err"),
	[VK_ST_XDP_BULK_TX]	= TP("xdp_bulk_tx", "xdp", VK_UNIT_BATCH, "xdp_bulk_tx"),
	[VK_ST_XDP_DEVMAP_XMIT]	= TP("xdp_devmap_xmit", "xdp", VK_UNIT_BATCH, "xdp_devmap_xmit"),
	[VK_ST_NET_DEV_XMIT]	= TP("net_dev_xmit", "net", VK_UNIT_PKT, "net_dev_start_xmit", "net_dev_xmit"),

	[VK_ST_NETIF_RECEIVE_SKB] = TP("netif_receive_skb", "net", VK_UNIT_PKT, "netif_receive_skb",
				       "netif_receive_skb_entry", "netif_receive_skb_exit"),
};

const char *vk_method_name(enum vk_method m)
{
	switch (m) {
	case VK_M_FENTRY:	return "fentry";
	case VK_M_KPROBE:	return "kprobe";
	case VK_M_TP:		return "tp_btf";
	case VK_M_SYSCALL:	return "syscall";
	default:		return "unavailable";
	}
}
