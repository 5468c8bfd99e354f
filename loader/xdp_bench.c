// SPDX-License-Identifier: GPL-2.0
/* vnetkit xdp bench: each program's cost per packet through
 * BPF_PROG_TEST_RUN, as a ratio to the empty program's in the same run. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "gen_frame.h"
#include "util.h"
#include "vjson.h"
#include "xdp_cmd.h"

int vk_xdp_cmd_bench(const struct vk_xdp_opts *o)
{
	static const enum vk_action order[] = {
		VK_ACT_EMPTY, VK_ACT_DROP, VK_ACT_PASS, VK_ACT_TX, VK_ACT_REDIRECT,
	};
	/* vnetkit gen's UDP frame, as the XDP unit tests run. */
	const struct vk_gen_flow flow = {
		.dst_mac = { 0x02, 0, 0, 0, 0, 0x02 },
		.src_mac = { 0x02, 0, 0, 0, 0, 0x01 },
		.src_ip = htonl(0x0a4d0001),	/* 10.77.0.1 */
		.dst_ip = htonl(0x0a4d0002),
		.sport = 12345, .dport = 12346,
	};
	double min[ARRAY_SIZE(order)], med[ARRAY_SIZE(order)];
	unsigned char frame[4000];
	double *ns;
	int ret = 0;

	ns = calloc(o->rounds, sizeof(*ns));
	if (!ns)
		return EXIT_FAIL;
	vk_gen_build(frame, o->size, &flow);
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		struct vk_xdp x;
		int err = vk_xdp_open(&x, order[i]);

		if (!err)
			err = vk_xdp_load(&x);
		if (!err && x.tx_port) {
			__u32 key = 0, lo = if_nametoindex("lo");

			err = bpf_map__update_elem(x.tx_port, &key, sizeof(key), &lo,
						   sizeof(lo), 0) ? -errno : 0;
		}
		for (__u64 r = 0; !err && r < o->rounds; r++) {
			LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame,
				    .data_size_in = o->size, .repeat = o->repeat);

			err = bpf_prog_test_run_opts(bpf_program__fd(x.prog), &t);
			if (err)
				err = -errno;
			/* The kernel's own timer: it stops while the test task is
			 * preempted, so a busy machine does not inflate it. */
			ns[r] = t.duration;
		}
		vk_xdp_close(&x);
		if (err) {
			vk_errf("xdp bench", NULL, "BPF_PROG_TEST_RUN of %s failed: %s",
				vk_action_name(order[i]), strerror(-err));
			ret = EXIT_FAIL;
			goto out;
		}
		vk_min_median(ns, o->rounds, &min[i], &med[i]);
	}
	if (o->json) {
		json_t *doc = vk_json_doc("xdp-bench", 1), *arr = json_array();

		vk_ju64(doc, "repeat", o->repeat);
		vk_ju64(doc, "rounds", o->rounds);
		vk_ju64(doc, "size", o->size);
		for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
			json_t *j = json_object();

			vk_jstr(j, "program", vk_action_name(order[i]));
			vk_jreal(j, "ns_min", min[i], 1);
			vk_jreal(j, "ns_median", med[i], 1);
			vk_jreal(j, "ratio_median", med[0] > 0 ? med[i] / med[0] : 0.0, 3);
			json_array_append_new(arr, j);
		}
		vk_jset(doc, "programs", arr);
		vk_json_print(doc, 0);
	} else {
		printf("BPF_PROG_TEST_RUN, %llu-byte frame, repeat %llu, %llu rounds "
		       "(ns per packet; ratio = median / empty program's median)\n",
		       (unsigned long long)o->size, (unsigned long long)o->repeat,
		       (unsigned long long)o->rounds);
		printf("  %-10s %10s %10s %8s\n", "program", "min ns", "median ns", "ratio");
		for (size_t i = 0; i < ARRAY_SIZE(order); i++)
			printf("  %-10s %10.0f %10.0f %7.2fx\n", vk_action_name(order[i]), min[i],
			       med[i], med[0] > 0 ? med[i] / med[0] : 0.0);
	}
out:
	free(ns);
	return ret;
}
