/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A multiboot guest for qemu-system-x86_64 (selftests/test_cost_plugin.sh):
 * the vk_cost plugin in system mode, where the coherence directory works on
 * physical lines. The boot CPU (vCPU 0) and one AP (vCPU 1) alternate
 * increments of one shared line ITERS times through two flags, like
 * cost_prog's pingpong, but the AP reaches the data through a different
 * virtual address (4 MiB page alias 0x40000000 -> 0x400000): only a
 * directory on physical addresses sees the two as one line. The boot CPU
 * also stores to a line the AP only loads (a producer and a consumer).
 * Exits QEMU through isa-debug-exit (status 0x21).
 */
#include "vk_cost_mark.h"

#define ITERS		1000
#define DATA		0x00400000	/* physical = the boot CPU's virtual address */
#define ALIAS		0x40000000	/* the AP's virtual address for DATA */
#define SHARED		0x000		/* offsets in DATA, one line each */
#define REQ		0x040		/* boot CPU -> AP */
#define PRIV0		0x080
#define PRIV1		0x0c0
#define PUB		0x100		/* the boot CPU stores, the AP loads */
#define ACK		0x140		/* AP -> boot CPU */
/*
 * Two more 4 MiB pages, adjacent in virtual but not in physical memory:
 * a 4-byte load at SPLIT - 2 touches the last line of DATA's page and
 * physical line 0.
 */
#define SPLIT		0x40800000	/* 0x40400000 -> DATA, 0x40800000 -> 0 */
#define LAPIC_ICR	0xfee00300
#define TRAMP		0x8000		/* AP start-up code, SIPI vector 0x08 */

	.text
	.code32
	/* multiboot header: magic, flags, checksum; within the file's first 8 KiB */
	.align 4
	.long 0x1badb002, 0, -0x1badb002

	.globl _start
_start:
	cli
	lgdt gdt_desc
	ljmp $0x08, $1f
1:	call flat_segments
	mov $bsp_stack_top, %esp
	/* 4 MiB pages: identity 0-8 MiB, the alias, the local APIC (uncached) */
	movl $0x00000083, pd
	movl $0x00400083, pd + 4
	movl $0x00400083, pd + (ALIAS >> 22) * 4
	movl $0x00400083, pd + ((SPLIT >> 22) - 1) * 4
	movl $0x00000083, pd + (SPLIT >> 22) * 4
	movl $0xfec00093, pd + (0xfec00000 >> 22) * 4
	call enable_paging
	movl $0, DATA + REQ
	movl $0, DATA + ACK
	/* INIT, then SIPI: the AP starts in real mode at TRAMP */
	mov $tramp_start, %esi
	mov $TRAMP, %edi
	mov $(tramp_end - tramp_start), %ecx
	rep movsb
	movl $0x000c4500, LAPIC_ICR
	movl $0x000c4600 | (TRAMP >> 12), LAPIC_ICR
2:	pause
	cmpl $1, ap_ready
	jne 2b
	VK_COST_MARK(VK_COST_MARK_OPEN)
	movl $1, go
	call bsp_pingpong
	/* after the AP's first split load, store to physical line 0 */
5:	pause
	cmpl $1, split1
	jne 5b
	movl $0, 0
	movl $1, split2
3:	pause
	cmpl $1, ap_done
	jne 3b
	VK_COST_MARK(VK_COST_MARK_CLOSE)
	mov $0x10, %al
	out %al, $0xf4		/* isa-debug-exit: QEMU exits with (0x10 << 1) | 1 */
4:	hlt
	jmp 4b

flat_segments:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	ret

enable_paging:
	mov %cr4, %eax
	or $0x10, %eax		/* PSE */
	mov %eax, %cr4
	mov $pd, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	ret

/*
 * Round i (1..ITERS): the boot CPU waits for ack == i - 1, increments the
 * shared line, stores to its private line and pub, then publishes req = i;
 * the AP waits for req == i, increments the shared line, stores to its
 * private line, loads pub and answers ack = i. Each side only loads the
 * other's flag: a store must invalidate the copy the spinning side holds.
 * Both loops: 2 + 9 per round + 4 per failed flag check.
 */
	.globl bsp_pingpong
bsp_pingpong:
	xor %edx, %edx
1:	cmpl %edx, DATA + ACK
	je 2f
	pause			/* TCG: hands the host thread to the other vCPU */
	jmp 1b
2:	incl DATA + SHARED	/* load and store: the store must invalidate */
	movl %edx, DATA + PRIV0
	movl %edx, DATA + PUB	/* must invalidate the AP's copy again */
	inc %edx
	movl %edx, DATA + REQ
	cmp $ITERS, %edx
	jne 1b
	ret

	.globl ap_pingpong
ap_pingpong:
	xor %edx, %edx
1:	inc %edx
2:	cmpl %edx, ALIAS + REQ
	je 3f
	pause
	jmp 2b
3:	incl ALIAS + SHARED
	movl %edx, ALIAS + PRIV1
	mov ALIAS + PUB, %eax
	movl %edx, ALIAS + ACK
	cmp $ITERS, %edx
	jne 1b
	ret

ap_main:
	call flat_segments
	mov $ap_stack_top, %esp
	call enable_paging
	movl $1, ap_ready
1:	pause
	cmpl $1, go
	jne 1b
	call ap_pingpong
	/* a line-straddling load across the page split, before and after the
	 * boot CPU's store to physical line 0 */
	mov SPLIT - 2, %eax
	movl $1, split1
3:	pause
	cmpl $1, split2
	jne 3b
	mov SPLIT - 2, %eax
	movl $1, ap_done
2:	hlt
	jmp 2b

/* copied to TRAMP; runs in real mode, so addresses are TRAMP-relative */
tramp_start:
	.code16
	cli
	xor %ax, %ax
	mov %ax, %ds
	lgdtl TRAMP + (gdt_desc - tramp_start)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $0x08, $ap_main
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt
	.code32
tramp_end:

	.data
	.align 16
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: flat 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: flat data */
gdt_end:
	.align 4
ap_ready:	.long 0
ap_done:	.long 0
go:		.long 0
split1:		.long 0
split2:		.long 0
	.align 4096
pd:	.fill 1024, 4, 0
	.fill 1024, 4, 0
bsp_stack_top:
	.fill 1024, 4, 0
ap_stack_top:
