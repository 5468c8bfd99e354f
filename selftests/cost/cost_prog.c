// SPDX-License-Identifier: GPL-2.0-only
/*
 * Workloads with exactly known instruction and memory access counts for the
 * vk_cost plugin tests (selftests/test_cost_plugin.sh), run under
 * qemu-x86_64. The measured kernels are written in assembly so that the
 * compiler cannot change the counts the tests derive by hand.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk_cost_mark.h"

/* 4 MiB: twice the default LLC; page aligned so line and set indexes are known */
char vk_buf[4 << 20] __attribute__((aligned(4096)));

/*
 * vk_sweep_ld/st(base, stride, n, passes): open the window, then per pass
 * one 8-byte access at base, base + stride, ... (n of them), close it.
 * Inside the window: passes * (4 * n + 4) instructions, n * passes accesses.
 */
void vk_sweep_ld(char *base, long stride, long n, long passes);
void vk_sweep_st(char *base, long stride, long n, long passes);
/*
 * vk_touch(base, offsets, n): open the window, load base + offsets[i] for
 * i < n, close it: 5 * n instructions, 2 * n loads (offset, then data).
 */
void vk_touch(char *base, const long *offsets, long n);
/* vk_loop_a/b(k): 2 * k + 1 instructions, one load (the ret), no window */
void vk_loop_a(long k);
void vk_loop_b(long k);

#define SWEEP(name, access)					\
	".globl " #name "\n\t"					\
	".type " #name ", @function\n"				\
	#name ":\n\t"						\
	VK_COST_MARK_BYTES(VK_COST_MARK_OPEN)			\
	"1: mov %rdi, %r8\n\t"					\
	"mov %rdx, %r9\n"					\
	"2: " access "\n\t"					\
	"add %rsi, %r8\n\t"					\
	"dec %r9\n\t"						\
	"jnz 2b\n\t"						\
	"dec %rcx\n\t"						\
	"jnz 1b\n\t"						\
	VK_COST_MARK_BYTES(VK_COST_MARK_CLOSE)			\
	"ret\n\t"						\
	".size " #name ", . - " #name "\n\t"

#define LOOP(name)						\
	".globl " #name "\n\t"					\
	".type " #name ", @function\n"				\
	#name ":\n"						\
	"1: dec %rdi\n\t"					\
	"jnz 1b\n\t"						\
	"ret\n\t"						\
	".size " #name ", . - " #name "\n\t"

asm(".text\n\t"
    ".globl vk_touch\n\t"
    ".type vk_touch, @function\n"
    "vk_touch:\n\t"
    VK_COST_MARK_BYTES(VK_COST_MARK_OPEN)
    "1: mov (%rsi), %rax\n\t"
    "mov (%rdi, %rax), %rax\n\t"
    "add $8, %rsi\n\t"
    "dec %rdx\n\t"
    "jnz 1b\n\t"
    VK_COST_MARK_BYTES(VK_COST_MARK_CLOSE)
    "ret\n\t"
    ".size vk_touch, . - vk_touch\n\t"
    SWEEP(vk_sweep_ld, "mov (%r8), %rax")
    SWEEP(vk_sweep_st, "mov %rax, (%r8)")
    LOOP(vk_loop_a)
    LOOP(vk_loop_b));

/* one line each, so that only the intended sharing happens */
struct line { volatile uint64_t v; } __attribute__((aligned(64)));
struct line vk_shared, vk_turn, vk_go, vk_priv[2];
static long pp_iters;

/*
 * Strict alternation: thread t waits for its turn, writes the shared line and
 * its private line, then hands the turn over. Per thread and iteration: one
 * load and store of vk_shared, one store to vk_priv[t] and vk_turn; spin
 * loads of vk_turn.
 */
static void *pingpong_thread(void *arg)
{
	uint64_t t = (uintptr_t)arg;

	while (!__atomic_load_n(&vk_go.v, __ATOMIC_ACQUIRE))
		;
	for (long i = 0; i < pp_iters; i++) {
		while (__atomic_load_n(&vk_turn.v, __ATOMIC_ACQUIRE) != t)
			;
		vk_shared.v++;	/* a load and a store */
		vk_priv[t].v = i;
		__atomic_store_n(&vk_turn.v, 1 - t, __ATOMIC_RELEASE);
	}
	return NULL;
}

static int pingpong(long iters)
{
	pthread_t th[2];

	pp_iters = iters;
	for (uintptr_t t = 0; t < 2; t++)
		if (pthread_create(&th[t], NULL, pingpong_thread, (void *)t)) {
			perror("pthread_create");
			return 1;
		}
	/* both threads exist and spin outside the window until go */
	vk_cost_window_open();
	__atomic_store_n(&vk_go.v, 1, __ATOMIC_RELEASE);
	for (int t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	vk_cost_window_close();
	return 0;
}

static long arg(char **argv, int i)
{
	return strtol(argv[i], NULL, 0);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "sweep") && argc == 7) {
		/* sweep ld|st OFFSET STRIDE N PASSES */
		void (*fn)(char *, long, long, long) =
			!strcmp(argv[2], "st") ? vk_sweep_st : vk_sweep_ld;

		fn(vk_buf + arg(argv, 3), arg(argv, 4), arg(argv, 5), arg(argv, 6));
		return 0;
	}
	if (!strcmp(cmd, "twice") && argc == 4) {
		/* twice STRIDE N: two windows, one pass each over the same lines */
		vk_sweep_ld(vk_buf, arg(argv, 2), arg(argv, 3), 1);
		vk_sweep_ld(vk_buf, arg(argv, 2), arg(argv, 3), 1);
		return 0;
	}
	if (!strcmp(cmd, "touch") && argc > 3 && argc <= 3 + 16) {
		/*
		 * touch STRIDE I...: load the lines I * STRIDE of vk_buf in this
		 * order. The offsets sit in vk_buf's last page, lines 3 and 4 of
		 * it: other L1D sets than the multiples of 4096 being tested.
		 */
		long *offs = (long *)(vk_buf + sizeof(vk_buf) - 4096 + 3 * 64);
		int n = argc - 3;

		for (int i = 0; i < n; i++)
			offs[i] = arg(argv, 2) * arg(argv, 3 + i);
		vk_touch(vk_buf, offs, n);
		return 0;
	}
	if (!strcmp(cmd, "funcs") && argc == 4) {
		/* funcs KA KB: one window around calls of two loops */
		long ka = arg(argv, 2), kb = arg(argv, 3);

		vk_cost_window_open();
		vk_loop_a(ka);
		vk_loop_b(kb);
		vk_cost_window_close();
		return 0;
	}
	if (!strcmp(cmd, "pingpong") && argc == 3)
		return pingpong(arg(argv, 2));
	fprintf(stderr, "usage: %s sweep ld|st OFFSET STRIDE N PASSES | twice STRIDE N | "
		"touch STRIDE I... | funcs KA KB | pingpong ITERS\n", argv[0]);
	return 2;
}
