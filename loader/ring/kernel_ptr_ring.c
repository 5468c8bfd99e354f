// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's anchor: the kernel's own include/linux/ptr_ring.h, read
 * at build time from the pristine Linux 6.12 tree (scripts/kernel-src.sh)
 * and compiled in user space, as tools/virtio/ringtest/ptr_ring.c does.
 * This file is the compatibility shim: just enough kernel API for the
 * header, with the same spinlock and barriers as our own rings, so a ratio
 * against it compares ring protocols and not lock implementations.
 *
 * The header's own #includes (<linux/spinlock.h>, ...) resolve to empty
 * files that loader/ring.mk generates; everything they would provide is
 * defined here. Built by loader/ring.mk with
 *   -DVK_KERNEL_PTR_RING_H='"<tree>/include/linux/ptr_ring.h"'
 * or, when no tree is available, -DVK_KERNEL_UNAVAILABLE='"<reason>"'.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

#ifndef VK_KERNEL_UNAVAILABLE

#define SMP_CACHE_BYTES RING_CACHE_BYTES
#define ____cacheline_aligned_in_smp __attribute__((aligned(SMP_CACHE_BYTES)))
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#if defined(__x86_64__) || defined(__i386__)
#define smp_wmb()	__asm__ __volatile__("" ::: "memory")
#else
#define smp_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#define alloc_hooks(x)	(x)
#define KMALLOC_MAX_SIZE SIZE_MAX

typedef unsigned int gfp_t;
#define GFP_KERNEL	0u
#define __GFP_ZERO	1u

typedef pthread_spinlock_t spinlock_t;

static inline void spin_lock_init(spinlock_t *l)
{
	pthread_spin_init(l, PTHREAD_PROCESS_PRIVATE);
}

static inline void spin_lock(spinlock_t *l)
{
	pthread_spin_lock(l);
}

static inline void spin_unlock(spinlock_t *l)
{
	pthread_spin_unlock(l);
}

/* No interrupts or bottom halves in user space: plain lock. */
#define spin_lock_irq(l)		spin_lock(l)
#define spin_unlock_irq(l)		spin_unlock(l)
#define spin_lock_bh(l)			spin_lock(l)
#define spin_unlock_bh(l)		spin_unlock(l)
#define spin_lock_irqsave(l, f)		do { (void)(f); spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, f)	do { (void)(f); spin_unlock(l); } while (0)

static inline void *kmalloc_array_noprof(size_t n, size_t size, gfp_t gfp)
{
	size_t len;
	void *p;

	if (__builtin_mul_overflow(n, size, &len))
		return NULL;
	len = (len + SMP_CACHE_BYTES - 1) & ~(size_t)(SMP_CACHE_BYTES - 1);
	p = aligned_alloc(SMP_CACHE_BYTES, len ? len : SMP_CACHE_BYTES);
	if (p && (gfp & __GFP_ZERO))
		memset(p, 0, len);
	return p;
}

#define kvmalloc_array_noprof kmalloc_array_noprof

static inline void kvfree(const void *p)
{
	free((void *)p);
}

#define kfree kvfree

#include VK_KERNEL_PTR_RING_H

static void *kring_create(const struct ring_params *p)
{
	struct ptr_ring *r = aligned_alloc(SMP_CACHE_BYTES, sizeof(*r));

	if (!r)
		return NULL;
	if (ptr_ring_init(r, p->size, GFP_KERNEL)) {
		free(r);
		return NULL;
	}
	return r;
}

static void kring_destroy(void *ring)
{
	ptr_ring_cleanup(ring, NULL);
	free(ring);
}

static unsigned int kring_produce(void *ring, struct ring_item **items,
				  unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ptr_ring_produce(ring, items[i]))
			break;
	return i;
}

static unsigned int kring_consume(void *ring, struct ring_item **items,
				  unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		items[i] = ptr_ring_consume(ring);
		if (!items[i])
			break;
	}
	return i;
}

static unsigned int kring_capacity(const struct ring_params *p)
{
	return p->size;
}

const char *const ring_kernel_header = VK_KERNEL_PTR_RING_H;

const struct ring_algo ring_kernel_algo = {
	.name = "kernel",
	.what = "the 6.12 tree's include/linux/ptr_ring.h (anchor)",
	.create = kring_create, .destroy = kring_destroy,
	.produce = kring_produce, .consume = kring_consume,
	.capacity = kring_capacity,
};

#else /* VK_KERNEL_UNAVAILABLE */

const char *const ring_kernel_header;

const struct ring_algo ring_kernel_algo = {
	.name = "kernel",
	.what = "the 6.12 tree's include/linux/ptr_ring.h (anchor)",
	.unavailable = VK_KERNEL_UNAVAILABLE,
};

#endif
