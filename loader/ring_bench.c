// SPDX-License-Identifier: GPL-2.0
/*
 * Producer/consumer threads for the ring benchmark and the concurrent
 * correctness check: the producer fills each item (sequence number and a
 * payload derived from it) before queueing it, the consumer checks order
 * and payload of every item it takes and both keep a checksum. Threads are
 * pinned to CPUs 0 and 1 when the process may run on both.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ring.h"

struct bench_side {
	const struct ring_algo *a;
	void *ring;
	struct ring_item *pool;
	uint64_t npool, ops;
	unsigned int chunk;
	unsigned int (*produce)(void *ring, struct ring_item **items,
				unsigned int n);
	int cpu;
	uint64_t sum, errors;
	uint64_t t_end;
	pthread_barrier_t *start;
	uint64_t *t_start;
	volatile int *abort;
	volatile int *prod_done;
	uint64_t consumed;
	uint64_t calls, empty_calls;	/* calls that moved something / nothing */
	unsigned int work;
	uint64_t sink;
	uint64_t stall_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* A ring bug can leave one side waiting forever: give up after
 * params->stall_ms (default 10 s) without a single item moving rather than
 * hang a test run. */
#define STALL_MS_DEFAULT 10000u

enum { ABORT_NOMEM = 1, ABORT_PROD_STALL, ABORT_CONS_STALL, ABORT_INTERRUPTED };

/* Called after each call that moved nothing; true once stalled. */
static bool stalled(uint64_t *idle, uint64_t *since, uint64_t limit_ns)
{
	if (++*idle & 0xfff)
		return false;
	if (*idle == 0x1000) {
		*since = now_ns();
		return false;
	}
	return now_ns() - *since > limit_ns;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *producer(void *arg)
{
	struct bench_side *s = arg;
	struct ring_item **items = calloc(s->chunk, sizeof(*items));
	uint64_t seq = 0, idle = 0, since = 0;

	pin(s->cpu);
	pthread_barrier_wait(s->start);
	if (!items) {
		*s->abort = ABORT_NOMEM;
		return NULL;
	}
	*s->t_start = now_ns();
	while (seq < s->ops && !*s->abort) {
		unsigned int n = s->chunk, k;

		if (n > s->ops - seq)
			n = s->ops - seq;
		for (unsigned int i = 0; i < n; i++) {
			struct ring_item *it = &s->pool[(seq + i) % s->npool];

			it->seq = seq + i;
			it->payload = ring_payload(seq + i);
			items[i] = it;
		}
		k = s->produce(s->ring, items, n);
		for (unsigned int i = 0; i < k; i++)
			s->sum += items[i]->payload;
		seq += k;
		if (k) {
			s->calls++;
			idle = 0;
		} else {
			s->empty_calls++;
			if (stalled(&idle, &since, s->stall_ns))
				*s->abort = ABORT_PROD_STALL;
			cpu_relax();
		}
	}
	__atomic_store_n(s->prod_done, 1, __ATOMIC_RELEASE);
	free(items);
	return NULL;
}

static void *consumer(void *arg)
{
	struct bench_side *s = arg;
	struct ring_item **items = calloc(s->chunk, sizeof(*items));
	uint64_t seq = 0, idle = 0, since = 0;

	pin(s->cpu);
	pthread_barrier_wait(s->start);
	if (!items) {
		*s->abort = ABORT_NOMEM;
		return NULL;
	}
	while (seq < s->ops && !*s->abort) {
		/* A ring that lost items never delivers ops of them: stop once
		 * the producer is done and the ring has nothing left. */
		int done = __atomic_load_n(s->prod_done, __ATOMIC_ACQUIRE);
		unsigned int k = s->a->consume(s->ring, items, s->chunk);

		if (!k && done)
			break;

		for (unsigned int i = 0; i < k; i++) {
			uint64_t pl = items[i]->payload;

			if (items[i]->seq != seq + i || pl != ring_payload(seq + i))
				s->errors++;
			s->sum += pl;
			for (unsigned int w = 0; w < s->work; w++)
				pl = ring_payload(pl);
			s->sink += pl;
		}
		seq += k;
		if (k) {
			s->calls++;
			idle = 0;
		} else {
			s->empty_calls++;
			if (stalled(&idle, &since, s->stall_ns))
				*s->abort = ABORT_CONS_STALL;
			cpu_relax();
		}
	}
	s->t_end = now_ns();
	s->consumed = seq;
	free(items);
	return NULL;
}

static int two_cpus(int cpu[2])
{
	cpu_set_t set;

	cpu[0] = cpu[1] = -1;
	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	if (CPU_ISSET(0, &set) && CPU_ISSET(1, &set)) {
		cpu[0] = 0;
		cpu[1] = 1;
		return 1;
	}
	return 0;
}

/* Wait for the producer, turning Ctrl-C into the threads' own abort flag
 * within 50 ms: the hot loops stay free of any extra load. */
static void join_watching(pthread_t t, volatile int *abort_flag, volatile int *stop)
{
	struct timespec ts;

	for (;;) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (pthread_timedjoin_np(t, NULL, &ts) != ETIMEDOUT)
			return;
		if (stop && *stop && !*abort_flag)
			*abort_flag = ABORT_INTERRUPTED;
	}
}

int ring_run_threads(const struct ring_algo *a, const struct ring_params *p,
		     uint64_t ops, struct ring_run *out, char *why, size_t len)
{
	struct bench_side prod = { 0 }, cons = { 0 };
	volatile int abort_flag = 0, prod_done = 0;
	pthread_barrier_t start;
	pthread_attr_t attr;
	pthread_t tp, tc;
	uint64_t t_start = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if (!two_cpus(out->cpu) && p->rt_prio) {
		snprintf(why, len, "--rt needs CPUs 0 and 1: two spinning SCHED_FIFO threads on one CPU starve each other");
		return -1;
	}
	prod.a = cons.a = a;
	prod.chunk = ring_prod_chunk(a, p);
	prod.produce = a->produce;
	if (p->prod_loop) {
		if (!a->produce_locked_loop) {
			snprintf(why, len, "%s has no single-entry loop producer", a->name);
			return -1;
		}
		prod.produce = a->produce_locked_loop;
		prod.chunk = p->batch;
	}
	cons.chunk = ring_cons_chunk(a, p);
	/* An item may be reused once it can no longer be in the ring or in
	 * the consumer's hands: the ring holds at most capacity() items. */
	prod.npool = cons.npool = a->capacity(p) + prod.chunk + cons.chunk + 1;
	prod.pool = aligned_alloc(RING_CACHE_BYTES, sizeof(*prod.pool) * prod.npool);
	if (!prod.pool) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	memset(prod.pool, 0, sizeof(*prod.pool) * prod.npool);
	cons.pool = prod.pool;
	prod.ring = cons.ring = a->create(p);
	if (!prod.ring) {
		free(prod.pool);
		snprintf(why, len, "%s: cannot create the ring (out of memory)", a->name);
		return -1;
	}
	prod.ops = cons.ops = ops;
	prod.stall_ns = cons.stall_ns =
		(uint64_t)(p->stall_ms ? p->stall_ms : STALL_MS_DEFAULT) * 1000000ull;
	cons.work = p->cons_work;
	prod.cpu = out->cpu[0];
	cons.cpu = out->cpu[1];
	prod.start = cons.start = &start;
	prod.t_start = cons.t_start = &t_start;
	prod.abort = cons.abort = &abort_flag;
	prod.prod_done = cons.prod_done = &prod_done;
	pthread_barrier_init(&start, NULL, 2);

	pthread_attr_init(&attr);
	if (p->rt_prio) {
		struct sched_param sp = { .sched_priority = p->rt_prio };

		pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
		pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
		pthread_attr_setschedparam(&attr, &sp);
	}
	err = pthread_create(&tc, &attr, consumer, &cons);
	if (!err) {
		err = pthread_create(&tp, &attr, producer, &prod);
		if (err) {
			/* the consumer waits at the barrier for a partner */
			pthread_cancel(tc);
			pthread_join(tc, NULL);
		} else {
			join_watching(tp, &abort_flag, p->stop);
			pthread_join(tc, NULL);
		}
	}
	pthread_attr_destroy(&attr);
	pthread_barrier_destroy(&start);
	a->destroy(prod.ring);
	free(prod.pool);
	if (err == EPERM && p->rt_prio) {
		snprintf(why, len, "cannot start SCHED_FIFO threads: %s (--rt needs root or CAP_SYS_NICE)",
			 strerror(err));
		return -1;
	}
	if (err) {
		snprintf(why, len, "cannot start threads: %s", strerror(err));
		return -1;
	}
	if (abort_flag == ABORT_INTERRUPTED) {
		snprintf(why, len, "interrupted");
		return 1;
	}
	if (abort_flag == ABORT_PROD_STALL || abort_flag == ABORT_CONS_STALL) {
		snprintf(why, len, "%s: no item moved for %u ms: the ring stays %s (a ring bug)",
			 a->name, p->stall_ms ? p->stall_ms : STALL_MS_DEFAULT,
			 abort_flag == ABORT_PROD_STALL ? "full" : "empty");
		return -1;
	}
	if (abort_flag) {
		snprintf(why, len, "out of memory in a benchmark thread");
		return -1;
	}
	out->ops = ops;
	out->ns = cons.t_end - t_start;
	out->errors = cons.errors + (prod.sum != cons.sum) + (cons.consumed != ops);
	__asm__ __volatile__("" : : "r"(cons.sink));
	out->prod_calls = prod.calls;
	out->prod_full = prod.empty_calls;
	out->cons_calls = cons.calls;
	out->cons_empty = cons.empty_calls;
	out->prod_sum = prod.sum;
	out->cons_sum = cons.sum;
	return 0;
}

int ring_time_producer(const struct ring_algo *a, const struct ring_params *p,
		       uint64_t ops, bool loop, double *ns_per_entry,
		       char *why, size_t len)
{
	unsigned int (*produce)(void *, struct ring_item **, unsigned int) =
		loop ? a->produce_locked_loop : a->produce;
	unsigned int chunk = loop ? p->batch : ring_prod_chunk(a, p);
	unsigned int cap = a->capacity(p), cchunk = ring_cons_chunk(a, p);
	struct ring_item *pool, **items, **out;
	uint64_t done = 0, ns = 0;
	void *ring;

	if (!produce) {
		snprintf(why, len, "%s has no per-entry loop producer", a->name);
		return -1;
	}
	pool = aligned_alloc(RING_CACHE_BYTES, sizeof(*pool) * cap);
	items = calloc(cap, sizeof(*items));
	out = calloc(cchunk, sizeof(*out));
	ring = pool && items && out ? a->create(p) : NULL;
	if (!ring) {
		free(pool);
		free(items);
		free(out);
		snprintf(why, len, "out of memory");
		return -1;
	}
	memset(pool, 0, sizeof(*pool) * cap);
	for (unsigned int i = 0; i < cap; i++)
		items[i] = &pool[i];
	while (done < ops && !(p->stop && *p->stop)) {
		unsigned int filled = 0;
		uint64_t t0 = now_ns();

		while (filled < cap) {
			unsigned int n = cap - filled < chunk ? cap - filled : chunk;
			unsigned int k = produce(ring, items + filled, n);

			filled += k;
			if (k < n)
				break;
		}
		ns += now_ns() - t0;
		done += filled;
		while (a->consume(ring, out, cchunk))
			;
		if (!filled) {
			snprintf(why, len, "%s: the ring took nothing after a drain", a->name);
			break;
		}
	}
	a->destroy(ring);
	free(pool);
	free(items);
	free(out);
	if (done < ops && p->stop && *p->stop) {
		snprintf(why, len, "interrupted");
		return 1;
	}
	if (done < ops)
		return -1;
	*ns_per_entry = (double)ns / done;
	return 0;
}
