// SPDX-License-Identifier: GPL-2.0
/* See xdp_harness.h. */
#include <errno.h>
#include <arpa/inet.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "gen_frame.h"
#include "xdp_harness.h"

int vkt_failures;

void vkt_frame(unsigned char *buf, size_t len)
{
	const struct vk_gen_flow flow = {
		.dst_mac = { 0x02, 0xdd, 0xdd, 0xdd, 0xdd, 0x01 },
		.src_mac = { 0x02, 0x55, 0x55, 0x55, 0x55, 0x02 },
		.src_ip = htonl(0x0a4d0001),	/* 10.77.0.1 */
		.dst_ip = htonl(0x0a4d0002),
		.sport = 12345, .dport = 12346, .run_id = 1,
	};

	vk_gen_build(buf, len, &flow);
}

int vkt_load(struct vk_xdp *x, enum vk_action act, bool frags, __u32 target)
{
	int err = vk_xdp_open_variant(x, act, frags);

	if (!err)
		err = vk_xdp_load(x);
	if (!err && target) {
		__u32 key = 0;

		err = bpf_map__update_elem(x->tx_port, &key, sizeof(key), &target,
					   sizeof(target), 0);
	}
	if (err)
		printf("# loading %s%s failed: %s\n", vk_action_name(act),
		       frags ? " (frags)" : "", strerror(-err));
	return err;
}

int vkt_run(struct vk_xdp *x, const void *in, __u32 len, __u32 linear,
	    __u32 ifindex, __u32 rxq, void *out, __u32 out_size, __u32 *out_len)
{
	struct xdp_md ctx = { .data_end = linear, .ingress_ifindex = ifindex,
			      .rx_queue_index = rxq };
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = in, .data_size_in = len,
		    .data_out = out, .data_size_out = out_size,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (bpf_prog_test_run_opts(bpf_program__fd(x->prog), &t))
		return -errno;
	*out_len = t.data_size_out;
	return t.retval;
}

void vkt_fuzz(enum vk_action act, bool frags, __u32 target, __u64 n, const char *what,
	      int (*one)(struct vk_xdp *x, __u64 i, __u32 *len))
{
	const char *name = vk_action_name(act), *fr = frags ? " frags" : "";
	__u64 bytes = 0, pkts = 0, cnt_bytes = 0;
	int errs = 0, aborted = 0;
	struct vk_xdp x;
	struct vk_stats s;

	if (vkt_load(&x, act, frags, target)) {
		CHECK(0, "fuzz%s %s: loads", fr, name);
		return;
	}
	vk_stats_init(&s);
	for (__u64 i = 0; i < n; i++) {
		__u32 len = 0;
		int v = one(&x, i, &len);

		if (v < 0)
			errs++;
		else if (v == XDP_ABORTED)
			aborted++;
		bytes += len;
	}
	vk_stats_read(bpf_map__fd(x.stats), &s);
	for (int v = 0; v < VK_NR_VERDICTS; v++) {
		pkts += s.total[v].packets;
		cnt_bytes += s.total[v].bytes;
	}
	CHECK(!errs && !aborted && !s.total[XDP_ABORTED].packets,
	      "fuzz%s %s: %llu %s, none refused or aborted", fr, name,
	      (unsigned long long)n, what);
	CHECK(pkts == n && cnt_bytes == bytes,
	      "fuzz%s %s: every frame counted once (%llu/%llu packets, %llu/%llu bytes)",
	      fr, name, (unsigned long long)pkts, (unsigned long long)n,
	      (unsigned long long)cnt_bytes, (unsigned long long)bytes);
	vk_stats_free(&s);
	vk_xdp_close(&x);
}
