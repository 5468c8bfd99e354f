// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the XDP programs through BPF_PROG_TEST_RUN: verdicts, exact
 * counters, MAC swap bytes, redirect target, per-RX-queue accounting, and a
 * fuzz pass over random and truncated frames. Prints TAP lines.
 *
 * Frames shorter than an Ethernet header cannot reach XDP through TAP or
 * AF_PACKET (both reject them) and BPF_PROG_TEST_RUN needs >= 14 bytes, but
 * a multi-buffer frame can have a linear area that short: see run1().
 *
 * usage: xdp_unit [MULTIQUEUE_IFNAME]
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "util.h"
#include "xdp_harness.h"

static unsigned char base_frame[128];

static void init_frame(void)
{
	vkt_frame(base_frame, sizeof(base_frame));
}

/* Run one frame of @len bytes; returns the verdict or -errno. out (optional)
 * receives the frame after the program ran. A frame shorter than 14 bytes
 * is padded to the 14 bytes BPF_PROG_TEST_RUN insists on, with data_end
 * set to @len: the program sees a linear area of @len bytes (the rest goes
 * to a fragment), exactly what a truncated header looks like to XDP. */
static int run1(struct vk_xdp *x, const unsigned char *pkt, unsigned int len,
		__u32 ifindex, __u32 rxq, unsigned char *out, __u32 *out_len)
{
	unsigned char in[256] = {}, obuf[256];
	__u32 n;
	int v;

	memcpy(in, pkt, len);
	v = vkt_run(x, in, len < 14 ? 14 : len, len, ifindex, rxq, obuf, sizeof(obuf), &n);
	if (v >= 0 && out) {
		*out_len = n;
		memcpy(out, obuf, n);
	}
	return v;
}

static void read_stats(struct vk_xdp *x, struct vk_stats *s)
{
	vk_stats_read(bpf_map__fd(x->stats), s);
}

/* All slots zero except @slot_a (and @slot_b) with the given counts. */
static bool counters_are(const struct vk_stats *s, int slot_a, __u64 pkts, __u64 bytes,
			 int slot_b, __u64 pkts_b)
{
	for (int i = 0; i < VK_STAT_SLOTS; i++) {
		__u64 want = i == slot_a ? pkts : i == slot_b ? pkts_b : 0;

		if (s->total[i].packets != want) {
			printf("# slot %s: %llu packets, want %llu\n", vk_slot_name(i),
			       (unsigned long long)s->total[i].packets,
			       (unsigned long long)want);
			return false;
		}
	}
	if (s->total[slot_a].bytes != bytes) {
		printf("# slot %s: %llu bytes, want %llu\n", vk_slot_name(slot_a),
		       (unsigned long long)s->total[slot_a].bytes, (unsigned long long)bytes);
		return false;
	}
	return true;
}

static void test_simple(enum vk_action act, int verdict)
{
	struct vk_xdp x;
	struct vk_stats s;
	int bad = 0;

	if (vkt_load(&x, act, false, 0)) {
		CHECK(0, "%s: loads", vk_action_name(act));
		return;
	}
	vk_stats_init(&s);
	for (int i = 0; i < 100; i++)
		if (run1(&x, base_frame, 64, 0, 0, NULL, NULL) != verdict)
			bad++;
	CHECK(!bad, "%s: 100 frames get verdict %d", vk_action_name(act), verdict);
	read_stats(&x, &s);
	CHECK(counters_are(&s, verdict, 100, 6400, -1, 0),
	      "%s: counters are exactly 100 packets / 6400 bytes under '%s'",
	      vk_action_name(act), vk_slot_name(verdict));
	vk_stats_free(&s);
	vk_xdp_close(&x);
}

static void test_tx(void)
{
	unsigned char out[256], want[64];
	struct vk_xdp x;
	struct vk_stats s;
	__u32 out_len = 0;
	int v;

	if (vkt_load(&x, VK_ACT_TX, false, 0)) {
		CHECK(0, "tx: loads");
		return;
	}
	vk_stats_init(&s);
	v = run1(&x, base_frame, 64, 0, 0, out, &out_len);
	memcpy(want, base_frame, 64);
	memcpy(want, base_frame + 6, 6);
	memcpy(want + 6, base_frame, 6);
	CHECK(v == XDP_TX, "tx: verdict XDP_TX (got %d)", v);
	CHECK(out_len == 64 && !memcmp(out, want, 64),
	      "tx: destination and source MAC swapped, other 52 bytes unchanged");
	v = run1(&x, base_frame, 13, 0, 0, NULL, NULL);
	CHECK(v == XDP_DROP, "tx: 13-byte frame (no full Ethernet header) dropped, not aborted (got %d)", v);
	v = run1(&x, base_frame, 14, 0, 0, out, &out_len);
	CHECK(v == XDP_TX && out_len == 14 && !memcmp(out, want, 12),
	      "tx: 14-byte frame (bare Ethernet header) bounced with MACs swapped");
	read_stats(&x, &s);
	CHECK(s.total[XDP_TX].packets == 2 && s.total[XDP_TX].bytes == 78 &&
	      s.total[XDP_DROP].packets == 1 && s.total[VK_ERR_SHORT].packets == 1 &&
	      s.total[VK_ERR_SHORT].bytes == 13 && !s.total[XDP_ABORTED].packets,
	      "tx: counters tx 2/78 B, drop 1, short 1/13 B, aborted 0");
	vk_stats_free(&s);
	vk_xdp_close(&x);
}

static void test_redirect(void)
{
	__u32 lo = if_nametoindex("lo");
	struct vk_xdp x;
	struct vk_stats s;
	int v, bad = 0;

	if (vkt_load(&x, VK_ACT_REDIRECT, false, 0)) {
		CHECK(0, "redirect: loads");
		return;
	}
	vk_stats_init(&s);
	v = run1(&x, base_frame, 64, 0, 0, NULL, NULL);
	CHECK(v == XDP_DROP, "redirect: empty DEVMAP slot drops (got %d), not XDP_ABORTED", v);
	read_stats(&x, &s);
	CHECK(counters_are(&s, XDP_DROP, 1, 64, VK_ERR_NO_TARGET, 1),
	      "redirect: empty slot counted as drop + no_target");
	vk_xdp_close(&x);

	if (vkt_load(&x, VK_ACT_REDIRECT, false, lo)) {
		CHECK(0, "redirect: loads with a target");
		return;
	}
	for (int i = 0; i < 50; i++)
		if (run1(&x, base_frame, 64, 0, 0, NULL, NULL) != XDP_REDIRECT)
			bad++;
	CHECK(!bad, "redirect: 50 frames get XDP_REDIRECT with target ifindex %u", lo);
	{
		__u32 key = 0, val = 0;

		bpf_map__lookup_elem(x.tx_port, &key, sizeof(key), &val, sizeof(val), 0);
		CHECK(val == lo, "redirect: DEVMAP slot 0 holds the target ifindex (%u)", val);
	}
	read_stats(&x, &s);
	CHECK(counters_are(&s, XDP_REDIRECT, 50, 3200, -1, 0),
	      "redirect: counters are exactly 50 packets / 3200 bytes under 'redirect'");
	vk_stats_free(&s);
	vk_xdp_close(&x);
}

static void test_rxq(const char *ifname)
{
	__u32 idx = if_nametoindex(ifname);
	struct vk_xdp x;
	struct vk_stats s;
	int bad = 0;

	if (!idx) {
		CHECK(0, "rxq: interface %s exists", ifname);
		return;
	}
	if (vkt_load(&x, VK_ACT_DROP, false, 0)) {
		CHECK(0, "rxq: drop loads");
		return;
	}
	vk_stats_init(&s);
	for (__u32 q = 0; q < 4; q++)
		for (__u32 i = 0; i <= q; i++)
			if (run1(&x, base_frame, 60, idx, q, NULL, NULL) != XDP_DROP)
				bad++;
	read_stats(&x, &s);
	for (int q = 0; q < 4; q++)
		if (s.rxq[q][XDP_DROP].packets != (__u64)q + 1)
			bad++;
	CHECK(!bad, "rxq: frames on RX queues 0..3 of %s counted in their own rows (1,2,3,4)",
	      ifname);
	vk_stats_free(&s);
	vk_xdp_close(&x);
}

/* Random content and lengths 0..128: never XDP_ABORTED, every frame counted
 * exactly once under its verdict, bytes add up. */
static int fuzz_one(struct vk_xdp *x, __u64 i, __u32 *len)
{
	unsigned char pkt[128];

	*len = i < 129 ? i : (unsigned int)(rand() % 129);
	for (unsigned int b = 0; b < *len; b++)
		pkt[b] = rand();
	if (i % 3 == 0 && *len >= 14)
		memcpy(pkt, base_frame, *len < 42 ? *len : 42);	/* truncated headers */
	return run1(x, pkt, *len, 0, 0, NULL, NULL);
}

static void test_fuzz(enum vk_action act, __u32 target)
{
	srand(1234 + act);
	vkt_fuzz(act, false, target, 5000, "random/truncated frames of 0..128 bytes", fuzz_one);
}

int main(int argc, char **argv)
{
	init_frame();
	vk_setup_libbpf_logging();
	test_simple(VK_ACT_DROP, XDP_DROP);
	test_simple(VK_ACT_PASS, XDP_PASS);
	test_tx();
	test_redirect();
	if (argc > 1)
		test_rxq(argv[1]);
	test_fuzz(VK_ACT_DROP, 0);
	test_fuzz(VK_ACT_PASS, 0);
	test_fuzz(VK_ACT_TX, 0);
	test_fuzz(VK_ACT_REDIRECT, if_nametoindex("lo"));
	test_fuzz(VK_ACT_REDIRECT, 0);
	return vkt_failures ? 1 : 0;
}
