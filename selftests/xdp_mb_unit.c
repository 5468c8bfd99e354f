// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the multi-buffer (xdp.frags) XDP programs through
 * BPF_PROG_TEST_RUN, which puts what does not fit the linear area (or lies
 * beyond xdp_md.data_end) into page frags: verdicts, exact packet and byte
 * counters over whole frames (bpf_xdp_get_buff_len), frames intact to the
 * last byte, MAC swap across a split Ethernet header, and a fuzz pass of
 * random sizes and splits. Prints TAP lines.
 *
 * usage: xdp_mb_unit
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
#include "gen_frame.h"
#include "xdp_harness.h"

#define MAX_FRAME	65535

static unsigned char frame[MAX_FRAME], out[MAX_FRAME + 4096];

/* vnetkit gen's frame, whose fill pattern has a prime period (251), so a
 * shifted or repeated page shows. */
static void init_frame(void)
{
	vkt_frame(frame, sizeof(frame));
}

/* One frame of @len bytes whose linear area holds @linear of them (the
 * rest in frags; 0: as much as fits). Returns the verdict or -errno;
 * *out_len gets the length of the frame after the program. */
static int run_mb(struct vk_xdp *x, unsigned int len, unsigned int linear,
		  __u32 *out_len)
{
	return vkt_run(x, frame, len, linear ? linear : len, 0, 0, out, sizeof(out), out_len);
}

/* The frame after the program: unchanged, or (tx) with the MACs swapped. */
static bool frame_ok(enum vk_action act, unsigned int len, __u32 out_len)
{
	if (out_len != len)
		return false;
	if (act == VK_ACT_TX)
		return !memcmp(out, frame + 6, 6) && !memcmp(out + 6, frame, 6) &&
		       !memcmp(out + 12, frame + 12, len - 12);
	return !memcmp(out, frame, len);
}

static const unsigned int sizes[] = { 64, 1500, 4000, 9000, 65535 };
/* Linear areas: what fits, a bare Ethernet header, one cut inside the
 * destination MAC, and one cut inside the source MAC. */
static const unsigned int splits[] = { 0, 14, 1, 9 };

static void test_action(enum vk_action act, int verdict, __u32 target)
{
	const char *name = vk_action_name(act);
	__u64 pkts = 0, bytes = 0;
	struct vk_xdp x;
	struct vk_stats s;
	int bad_verdict = 0, bad_frame = 0, errs = 0;

	if (vkt_load(&x, act, true, target)) {
		CHECK(0, "frags %s: loads", name);
		return;
	}
	CHECK(!strncmp(bpf_program__name(x.prog), "vk_mb_", 6) &&
	      !strcmp(bpf_program__section_name(x.prog), "xdp.frags"),
	      "frags %s: program %s in section %s", name, bpf_program__name(x.prog),
	      bpf_program__section_name(x.prog));
	vk_stats_init(&s);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(splits); j++) {
			__u32 out_len = 0;
			int v = run_mb(&x, sizes[i], splits[j], &out_len);

			if (v < 0) {
				printf("# %s: %u B, linear %u: %s\n", name, sizes[i],
				       splits[j], strerror(-v));
				errs++;
				continue;
			}
			pkts++;
			bytes += sizes[i];
			if (v != verdict)
				bad_verdict++;
			else if (!frame_ok(act, sizes[i], out_len))
				bad_frame++;
		}
	}
	CHECK(!errs && !bad_verdict,
	      "frags %s: %llu frames of 64..65535 B, linear areas of 1, 9, 14 B and full, "
	      "all get verdict %d", name, (unsigned long long)pkts, verdict);
	CHECK(!bad_frame, "frags %s: every frame comes out whole and intact%s", name,
	      act == VK_ACT_TX ? " (MACs swapped, also across a split header)" : "");
	vk_stats_read(bpf_map__fd(x.stats), &s);
	CHECK(s.total[verdict].packets == pkts && s.total[verdict].bytes == bytes &&
	      vk_stats_packets(&s) == pkts,
	      "frags %s: counters %llu packets / %llu bytes (whole frames), got %llu / %llu",
	      name, (unsigned long long)pkts, (unsigned long long)bytes,
	      (unsigned long long)s.total[verdict].packets,
	      (unsigned long long)s.total[verdict].bytes);
	vk_stats_free(&s);
	vk_xdp_close(&x);
}

/* The single-buffer program sees only the linear area of the same frame:
 * what the frags variant fixes. */
static void test_single_buffer_contrast(void)
{
	struct vk_xdp x;
	struct vk_stats s;
	__u32 out_len;
	int v;

	if (vkt_load(&x, VK_ACT_DROP, false, 0)) {
		CHECK(0, "single-buffer drop: loads");
		return;
	}
	vk_stats_init(&s);
	v = run_mb(&x, 9000, 1000, &out_len);
	vk_stats_read(bpf_map__fd(x.stats), &s);
	CHECK(v == -EINVAL || (v == XDP_DROP && s.total[XDP_DROP].bytes == 1000),
	      "single-buffer drop: a 9000 B frame with a 1000 B linear area is refused or "
	      "counted as 1000 B (verdict %d, %llu B)", v,
	      (unsigned long long)s.total[XDP_DROP].bytes);
	vk_stats_free(&s);
	vk_xdp_close(&x);
}

static void test_redirect_no_target(void)
{
	struct vk_xdp x;
	struct vk_stats s;
	__u32 out_len;
	int v;

	if (vkt_load(&x, VK_ACT_REDIRECT, true, 0)) {
		CHECK(0, "frags redirect: loads");
		return;
	}
	vk_stats_init(&s);
	v = run_mb(&x, 9000, 0, &out_len);
	vk_stats_read(bpf_map__fd(x.stats), &s);
	CHECK(v == XDP_DROP && s.total[XDP_DROP].packets == 1 &&
	      s.total[XDP_DROP].bytes == 9000 && s.total[VK_ERR_NO_TARGET].packets == 1 &&
	      s.total[VK_ERR_NO_TARGET].bytes == 9000,
	      "frags redirect: empty slot drops a 9000 B frame, counted as drop + no_target "
	      "with 9000 B each");
	vk_stats_free(&s);
	vk_xdp_close(&x);
}

/* Random sizes 14..65535, random linear areas, random bytes: never
 * XDP_ABORTED, every frame counted once with its whole length. */
static int fuzz_one(struct vk_xdp *x, __u64 i, __u32 *len)
{
	unsigned int linear;
	__u32 out_len;

	*len = 14 + (unsigned int)rand() % (MAX_FRAME - 13);
	linear = 1 + (unsigned int)rand() % *len;
	for (unsigned int b = 0; b < 64; b++)
		frame[rand() % *len] = rand();
	return run_mb(x, *len, linear, &out_len);
}

static void test_fuzz(enum vk_action act, __u32 target)
{
	srand(4321 + act);
	vkt_fuzz(act, true, target, 400, "random frames of 14..65535 B with random linear areas",
		 fuzz_one);
	init_frame();
}

/* gen --sink checks each frame byte for byte (vk_gen_intact): a page of a
 * multi-buffer frame delivered in the place of another must fail it. */
static void test_gen_check_sees_pages(void)
{
	static unsigned char f[9000];
	bool whole;

	vkt_frame(f, sizeof(f));
	whole = vk_gen_intact(f, sizeof(f));
	memcpy(f + 8192, f + 4096, sizeof(f) - 8192);
	CHECK(whole && !vk_gen_intact(f, sizeof(f)),
	      "gen frame check: a 9000 B frame is intact, and no longer once its third "
	      "page repeats the second");
}

int main(void)
{
	__u32 lo = if_nametoindex("lo");

	init_frame();
	vk_setup_libbpf_logging();
	CHECK(!vk_action_has_frags(VK_ACT_EMPTY) && vk_action_has_frags(VK_ACT_DROP),
	      "frags variants exist for drop/pass/tx/redirect, not for the bench floor");
	test_gen_check_sees_pages();
	test_action(VK_ACT_DROP, XDP_DROP, 0);
	test_action(VK_ACT_PASS, XDP_PASS, 0);
	test_action(VK_ACT_TX, XDP_TX, 0);
	test_action(VK_ACT_REDIRECT, XDP_REDIRECT, lo);
	test_redirect_no_target();
	test_single_buffer_contrast();
	test_fuzz(VK_ACT_DROP, 0);
	test_fuzz(VK_ACT_PASS, 0);
	test_fuzz(VK_ACT_TX, 0);
	test_fuzz(VK_ACT_REDIRECT, lo);
	return vkt_failures ? 1 : 0;
}
