/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ring lab: the ring algorithms of `vnetkit ring`, behind one ops table so
 * the benchmark, the cache model and the correctness suite drive the same
 * code. The algorithms themselves live in ring_impl.h, which is compiled
 * twice: once with plain accesses (ring_ops.c) and once with every shared
 * memory access recorded for the coherence model (ring_model.c).
 */
#ifndef VNETKIT_RING_H
#define VNETKIT_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RING_CACHE_BYTES 64
#define RING_SIZE_MAX (1u << 20)
#define RING_VQ_SIZE_MAX 32768u		/* split virtqueue: 16-bit indices */

/* Which shared structure an access belongs to (the model splits misses). */
enum ring_tag {
	RT_INDEX,	/* producer/consumer indices, avail_idx, used_idx, qlen */
	RT_SLOT,	/* ptr_ring pointer slots */
	RT_DESC,	/* virtqueue descriptor table */
	RT_AVAIL,	/* virtqueue avail ring entries */
	RT_USED,	/* virtqueue used ring entries */
	RT_LOCK,	/* spinlocks */
	RT_NODE,	/* list head and node links */
	RT_NR,
};
extern const char *const ring_tag_names[RT_NR];

/* Link first: the list queues items the way sk_buff_head queues skbs. */
struct ring_link {
	struct ring_link *next, *prev;
};

/* One packet: one cache line, written by the producer, read by the consumer. */
struct ring_item {
	struct ring_link link;
	uint64_t seq;
	uint64_t payload;	/* ring_payload(seq): catches stale or torn reads */
} __attribute__((aligned(RING_CACHE_BYTES)));

static inline uint64_t ring_payload(uint64_t seq)
{
	seq ^= seq >> 33;
	seq *= 0xff51afd7ed558ccdULL;
	seq ^= seq >> 33;
	return seq | 1;
}

enum ring_vq_layout {
	RING_VQ_TALK,	/* avail_idx/used_idx on their own line, as the talk draws it */
	RING_VQ_SPEC,	/* virtio 1.0 split layout: idx shares a line with ring[0..] */
};

struct ring_params {
	unsigned int size;	/* slots / descriptors / queue length limit */
	unsigned int batch;	/* the algorithm's batch (see each algorithm) */
	enum ring_vq_layout vq_layout;
	/* model: start with a full ring and keep it full (a slow consumer,
	 * the producer waiting for room) instead of almost empty */
	bool full;
	/* bench: work the consumer does per item (rounds of a 64-bit hash,
	 * a few ns each), a stand-in for vhost copying the packet */
	unsigned int cons_work;
	/* bench: run both threads SCHED_FIFO at this priority (0 = normal):
	 * on a shared machine other work then cannot preempt one side of a
	 * handoff and leave the other spinning */
	int rt_prio;
	/* bench: give up after this long without an item moving (a stuck
	 * ring); 0 = 10 s */
	unsigned int stall_ms;
	/* bench: set asynchronously (SIGINT): end the round within ~50 ms,
	 * the call returns 1 ("interrupted"); NULL = never */
	volatile int *stop;
	/* bench: the producer thread uses produce_locked_loop (--batch
	 * single-entry produces under one lock) instead of produce */
	bool prod_loop;
};

struct ring_algo {
	const char *name;
	const char *what;		/* one line for --help and reports */
	bool pow2;			/* ring size must be a power of two */
	bool prod_batched;		/* produce() moves --batch entries per call */
	bool cons_batched;		/* consume() moves --batch entries per call */
	bool uses_batch;		/* --batch changes this algorithm at all */
	const char *unavailable;	/* set: cannot run here, and why */
	void *(*create)(const struct ring_params *p);
	void (*destroy)(void *ring);
	/* Queue up to n items in order; returns how many went in (0: full). */
	unsigned int (*produce)(void *ring, struct ring_item **items,
				unsigned int n);
	/* Take up to n items in order; returns how many came out (0: empty). */
	unsigned int (*consume)(void *ring, struct ring_item **items,
				unsigned int n);
	/* Optional: the same entries through a loop of single-entry produces
	 * under one lock, as tun_xdp_xmit() does today - the baseline a
	 * batched producer has to beat. */
	unsigned int (*produce_locked_loop)(void *ring, struct ring_item **items,
					    unsigned int n);
	/* Largest number of items the ring holds at once for these params. */
	unsigned int (*capacity)(const struct ring_params *p);
};

/* NULL-terminated, in report order; includes the kernel header anchor. */
extern const struct ring_algo *const ring_algos[];
const struct ring_algo *ring_algo_find(const char *name);
/* The kernel's own include/linux/ptr_ring.h (loader/ring/kernel_ptr_ring.c). */
extern const struct ring_algo ring_kernel_algo;
extern const char *const ring_kernel_header;	/* path it was built from */

/* Parameter rules shared by the CLI and the tests; on error fills why. */
int ring_params_check(const struct ring_algo *a, const struct ring_params *p,
		      char *why, size_t len);

/* How many entries one produce()/consume() call moves for these params. */
static inline unsigned int ring_prod_chunk(const struct ring_algo *a,
					   const struct ring_params *p)
{
	return a->prod_batched ? p->batch : 1;
}

static inline unsigned int ring_cons_chunk(const struct ring_algo *a,
					   const struct ring_params *p)
{
	return a->cons_batched ? p->batch : 1;
}

/* ---- benchmark / concurrent check (ring_bench.c) ---- */
struct ring_run {
	uint64_t ops;		/* items moved */
	uint64_t ns;		/* wall time, first produce to last consume */
	uint64_t errors;	/* order, payload or checksum mismatches */
	uint64_t prod_sum, cons_sum;
	/* produce() calls that queued something / found the ring full, and
	 * consume() calls that took something / found it empty: they tell
	 * which side was waiting for the other. */
	uint64_t prod_calls, prod_full, cons_calls, cons_empty;
	int cpu[2];		/* producer, consumer CPU; -1 = not pinned */
};
/* Producer and consumer threads (pinned to CPUs 0 and 1 when there are
 * two); every item is checked for order and payload. Returns 0, or -1 with
 * why filled when the threads could not be set up. */
int ring_run_threads(const struct ring_algo *a, const struct ring_params *p,
		     uint64_t ops, struct ring_run *out, char *why, size_t len);

/* Producer cost alone, one thread, warm caches: fill the ring in calls of
 * the algorithm's chunk (timed), drain it (not timed), repeat. ns per
 * entry. With loop set, use produce_locked_loop instead of produce. */
int ring_time_producer(const struct ring_algo *a, const struct ring_params *p,
		       uint64_t ops, bool loop, double *ns_per_entry,
		       char *why, size_t len);

/* ---- coherence model (ring_model.c) ---- */
struct ring_model_result {
	uint64_t packets;		/* consumed inside the measured window */
	uint64_t miss[2][RT_NR];	/* [0] producer, [1] consumer */
	uint64_t accesses[2];
};
/* Run the instrumented copy of algorithm `name`; returns -1 (why filled)
 * when the algorithm has no instrumented copy. */
int ring_model_run(const char *name, const struct ring_params *p,
		   struct ring_model_result *out, char *why, size_t len);

#endif
