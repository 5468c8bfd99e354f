// SPDX-License-Identifier: GPL-2.0
/* The ring algorithms compiled with plain accesses: what the benchmark and
 * the correctness suite run. ring_model.c compiles the same code again with
 * every shared access recorded. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ring.h"

typedef pthread_spinlock_t ring_lock_t;
#define RA_LOAD(tag, x)			__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define RA_LOAD_ACQUIRE(tag, x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define RA_STORE(tag, x, v)		__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define RA_STORE_RELEASE(tag, x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define RA_WMB()			__atomic_thread_fence(__ATOMIC_RELEASE)
#define RA_LOCK_INIT(l)			pthread_spin_init((l), PTHREAD_PROCESS_PRIVATE)
#define RA_LOCK(tag, l)			pthread_spin_lock(l)
#define RA_UNLOCK(tag, l)		pthread_spin_unlock(l)

#include "ring_impl.h"

const char *const ring_tag_names[RT_NR] = {
	[RT_INDEX] = "index", [RT_SLOT] = "slot", [RT_DESC] = "desc",
	[RT_AVAIL] = "avail", [RT_USED] = "used", [RT_LOCK] = "lock",
	[RT_NODE] = "node",
};

const struct ring_algo *const ring_algos[] = {
	&ring_impl_algos[0], &ring_impl_algos[1], &ring_impl_algos[2],
	&ring_impl_algos[3], &ring_impl_algos[4], &ring_impl_algos[5],
	&ring_kernel_algo, NULL,
};

_Static_assert(sizeof(ring_impl_algos) / sizeof(ring_impl_algos[0]) == 6,
	       "ring_algos[] lists every algorithm of ring_impl.h");

const struct ring_algo *ring_algo_find(const char *name)
{
	for (int i = 0; ring_algos[i]; i++)
		if (!strcmp(ring_algos[i]->name, name))
			return ring_algos[i];
	return NULL;
}

int ring_params_check(const struct ring_algo *a, const struct ring_params *p,
		      char *why, size_t len)
{
	if (p->size < 2 || p->size > RING_SIZE_MAX) {
		snprintf(why, len, "ring size %u is out of range [2, %u]",
			 p->size, RING_SIZE_MAX);
		return -1;
	}
	if (p->batch == 0) {
		snprintf(why, len, "batch 0: a batch moves at least one entry");
		return -1;
	}
	if (p->batch > p->size) {
		snprintf(why, len, "batch %u is larger than the ring size %u",
			 p->batch, p->size);
		return -1;
	}
	if (a->pow2 && (p->size & (p->size - 1))) {
		snprintf(why, len, "%s: ring size %u is not a power of two",
			 a->name, p->size);
		return -1;
	}
	if (a->pow2 && p->size > RING_VQ_SIZE_MAX) {
		snprintf(why, len, "%s: ring size %u is above %u (16-bit indices)",
			 a->name, p->size, RING_VQ_SIZE_MAX);
		return -1;
	}
	/* The kernel silently falls back to zeroing every entry when the
	 * batch is more than half the ring; say it instead of measuring
	 * something else than asked. */
	if (!strcmp(a->name, "zero-batch") && p->batch > 1 &&
	    p->batch > p->size / 2) {
		snprintf(why, len, "zero-batch: batch %u is more than half the ring (%u); ptr_ring would zero per entry",
			 p->batch, p->size);
		return -1;
	}
	return 0;
}
