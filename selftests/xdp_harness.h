/* SPDX-License-Identifier: GPL-2.0 */
/* What the BPF_PROG_TEST_RUN unit tests of our XDP programs share
 * (xdp_unit.c, xdp_mb_unit.c): loading, one test run, the fuzz loop. */
#ifndef VNETKIT_XDP_HARNESS_H
#define VNETKIT_XDP_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "tap.h"
#include "xdp_obj.h"

/* The test frame: vnetkit gen's (loader/gen_frame.c), Ethernet/IPv4/UDP
 * from 02:55:55:55:55:02 to 02:dd:dd:dd:dd:01 and its fill pattern, cut to
 * len bytes (below 42 the headers are cut too). */
void vkt_frame(unsigned char *buf, size_t len);

/* Open and load act (its xdp.frags variant with frags), with target in
 * slot 0 of its DEVMAP when not 0; says why on failure. */
int vkt_load(struct vk_xdp *x, enum vk_action act, bool frags, __u32 target);

/* Run the program once over len bytes of in, of which the first linear are
 * its linear area (the rest in frags), as received on ifindex, RX queue rxq.
 * The verdict or -errno; the frame after the program in out (out_size
 * bytes), its length in *out_len. */
int vkt_run(struct vk_xdp *x, const void *in, __u32 len, __u32 linear,
	    __u32 ifindex, __u32 rxq, void *out, __u32 out_size, __u32 *out_len);

/* Fuzz: load act (frags variant with frags), run n frames that one() makes
 * and runs (frame i: the verdict or -errno, its length in *len), then check
 * none was refused or aborted and every one was counted once, bytes too.
 * what names the frames in the TAP line. */
void vkt_fuzz(enum vk_action act, bool frags, __u32 target, __u64 n, const char *what,
	      int (*one)(struct vk_xdp *x, __u64 i, __u32 *len));

#endif
