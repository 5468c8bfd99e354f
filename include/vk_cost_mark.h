/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Measurement window markers for the vk_cost TCG plugin (scripts/cost/).
 * Each marker is the 7-byte NOP `nopl 0x564b43NN(%rax)` ("VKC" + code):
 * the plugin recognises the bytes when it translates the instruction, so
 * the guest needs no hypercall, device or register protocol, and without
 * the plugin (or on real hardware) the markers are plain NOPs. A NOP with
 * a memory operand does not access memory. The same bytes can be emitted
 * from kernel code.
 */
#ifndef VK_COST_MARK_H
#define VK_COST_MARK_H

#define VK_COST_MARK_OPEN	0x01
#define VK_COST_MARK_CLOSE	0x02

#ifdef __ASSEMBLER__
/* in .S files: VK_COST_MARK(VK_COST_MARK_OPEN) */
#define VK_COST_MARK(code)	.byte 0x0f, 0x1f, 0x80, code, 0x43, 0x4b, 0x56
#else
#define VK_COST_STR_(x)	#x
#define VK_COST_STR(x)	VK_COST_STR_(x)
/* 0f 1f 80 <imm32 little-endian>: nopl imm32(%rax), for asm strings */
#define VK_COST_MARK_BYTES(code) \
	".byte 0x0f, 0x1f, 0x80, " VK_COST_STR(code) ", 0x43, 0x4b, 0x56\n\t"

/* Start counting on every vCPU (a second open while open is ignored). */
static inline void vk_cost_window_open(void)
{
	asm volatile(VK_COST_MARK_BYTES(VK_COST_MARK_OPEN) ::: "memory");
}

/* Stop counting on every vCPU. */
static inline void vk_cost_window_close(void)
{
	asm volatile(VK_COST_MARK_BYTES(VK_COST_MARK_CLOSE) ::: "memory");
}

#endif /* __ASSEMBLER__ */
#endif /* VK_COST_MARK_H */
