// SPDX-License-Identifier: GPL-2.0
/*
 * Cache model of the ring lab. ring_impl.h is compiled here a second time
 * with every shared access recorded, and the recorded accesses drive a
 * deterministic two-agent coherence model: each 64-byte line has a MESI
 * state in the producer's cache and in the consumer's, caches are
 * unbounded (no capacity misses), and a miss is any access that has to
 * talk to the other cache: a read of a line not held, or a write to a line
 * not held exclusively (read-for-ownership or upgrade).
 *
 * Schedule (the same for every algorithm): the two sides take turns. A
 * producer turn is one produce() call; a consumer turn is one consume()
 * call. By default the ring is almost empty (the consumer keeps up): a
 * batched consumer waits (without polling) until a whole batch is there,
 * unless the producer could not add anything in its last turn, so
 * per-entry code meets the other side between every two entries and
 * batched code once per batch. With params->full the ring starts full and
 * stays full (a slow consumer): the producer's turn comes right after each
 * consumer turn and fills all the room the consumer has zeroed -
 * the talk's "slow consumer" case that batch zeroing is for.
 * Warm-up runs several laps of the ring before the measured window, and
 * the window covers whole laps and whole batches, so results are exact
 * and repeatable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

enum mesi { MESI_I, MESI_S, MESI_E, MESI_M };

struct model_line {
	uintptr_t tag;		/* line address + 1; 0 = empty bucket */
	unsigned char st[2];	/* state in producer's / consumer's cache */
};

static struct model {
	struct model_line *lines;
	size_t nlines;		/* power of two */
	size_t used;
	int agent;		/* 0 producer, 1 consumer */
	bool counting;
	uint64_t miss[2][RT_NR];
	uint64_t accesses[2];
	bool oom;
} M;

static struct model_line *model_lookup(uintptr_t line)
{
	size_t mask = M.nlines - 1;
	size_t h = (line * 0x9e3779b97f4a7c15ULL) >> 20;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		if (M.lines[i].tag == line + 1)
			return &M.lines[i];
		if (!M.lines[i].tag) {
			if (M.used * 2 >= M.nlines) {
				M.oom = true;	/* table sized for the run: a bug */
				return &M.lines[i];
			}
			M.used++;
			M.lines[i].tag = line + 1;
			return &M.lines[i];
		}
	}
}

static void model_line_access(uintptr_t line, enum ring_tag tag, bool write)
{
	struct model_line *l = model_lookup(line);
	unsigned char *me = &l->st[M.agent], *other = &l->st[!M.agent];
	bool miss;

	if (!write) {
		miss = *me == MESI_I;
		if (miss) {
			if (*other != MESI_I) {
				*other = MESI_S;
				*me = MESI_S;
			} else {
				*me = MESI_E;
			}
		}
	} else {
		miss = *me == MESI_I || *me == MESI_S;
		*me = MESI_M;
		*other = MESI_I;
	}
	if (miss && M.counting)
		M.miss[M.agent][tag]++;
}

static void model_access(enum ring_tag tag, const volatile void *p, size_t len,
			 bool write)
{
	uintptr_t a = (uintptr_t)p;
	uintptr_t first = a / RING_CACHE_BYTES;
	uintptr_t last = (a + len - 1) / RING_CACHE_BYTES;

	if (M.counting)
		M.accesses[M.agent]++;
	for (uintptr_t line = first; line <= last; line++)
		model_line_access(line, tag, write);
}

/* A lock word is read-modify-written on acquire and written on release. */
typedef int ring_lock_t;
#define RA_LOAD(tag, x)			(model_access((tag), &(x), sizeof(x), false), (x))
#define RA_LOAD_ACQUIRE(tag, x)		RA_LOAD(tag, x)
#define RA_STORE(tag, x, v)		do { model_access((tag), &(x), sizeof(x), true); (x) = (v); } while (0)
#define RA_STORE_RELEASE(tag, x, v)	RA_STORE(tag, x, v)
#define RA_WMB()			do { } while (0)
#define RA_LOCK_INIT(l)			(*(l) = 0)
#define RA_LOCK(tag, l)			RA_STORE(tag, *(l), 1)
#define RA_UNLOCK(tag, l)		RA_STORE(tag, *(l), 0)

#include "ring_impl.h"

static const struct ring_algo *model_algo(const char *name)
{
	for (size_t i = 0; i < sizeof(ring_impl_algos) / sizeof(ring_impl_algos[0]); i++)
		if (!strcmp(ring_impl_algos[i].name, name))
			return &ring_impl_algos[i];
	return NULL;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

int ring_model_run(const char *name, const struct ring_params *p,
		   struct ring_model_result *out, char *why, size_t len)
{
	const struct ring_algo *a = model_algo(name);
	unsigned int gp, gc, npool;
	struct ring_item *pool = NULL, **pitems = NULL, **citems = NULL;
	uint64_t produced = 0, consumed = 0, warm, end, period;
	bool prod_stuck = false;
	void *ring = NULL;
	int ret = -1;

	if (!a) {
		snprintf(why, len, "%s has no instrumented copy (only the lab's own code goes through the access macro)",
			 name);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	gp = ring_prod_chunk(a, p);
	gc = ring_cons_chunk(a, p);
	/* The ring holds at most size items and the consumer's batch is
	 * done with before the producer's next turn: size + both chunks of
	 * items are never in use at once. */
	npool = p->size + gp + gc + 1;

	memset(&M, 0, sizeof(M));
	M.nlines = 1;
	while (M.nlines < 4 * ((size_t)npool + p->size + 64))
		M.nlines <<= 1;
	M.lines = calloc(M.nlines, sizeof(*M.lines));
	pool = aligned_alloc(RING_CACHE_BYTES, sizeof(*pool) * npool);
	pitems = calloc(gp, sizeof(*pitems));
	citems = calloc(gc, sizeof(*citems));
	if (!M.lines || !pool || !pitems || !citems) {
		snprintf(why, len, "out of memory");
		goto out;
	}
	memset(pool, 0, sizeof(*pool) * npool);
	ring = a->create(p);
	if (!ring) {
		snprintf(why, len, "out of memory");
		goto out;
	}

	/* Whole laps and whole batches in both the warm-up and the window. */
	period = p->size;
	period = period / gcd64(period, gp) * gp;
	period = period / gcd64(period, gc) * gc;
	warm = period * ((4 * (uint64_t)p->size + period - 1) / period);
	end = warm + period * ((8 * (uint64_t)p->size + period - 1) / period);

	if (p->full) {
		/* Fill it before the warm-up: from here on every slot the
		 * consumer frees is taken by the waiting producer. */
		M.agent = 0;
		for (;;) {
			for (unsigned int i = 0; i < gp; i++) {
				pool[(produced + i) % npool].seq = produced + i;
				pitems[i] = &pool[(produced + i) % npool];
			}
			unsigned int k = a->produce(ring, pitems, gp);

			produced += k;
			if (k < gp)
				break;
		}
	}
	while (consumed < end) {
		unsigned int k, i;

		if (consumed >= warm && !M.counting)
			M.counting = true;
		M.agent = 0;
		do {
			for (i = 0; i < gp; i++) {
				struct ring_item *it = &pool[(produced + i) % npool];

				it->seq = produced + i;
				pitems[i] = it;
			}
			k = a->produce(ring, pitems, gp);
			produced += k;
			prod_stuck = k == 0;
			/* a fast producer keeps a full ring full */
		} while (p->full && k == gp);

		if (!p->full && a->cons_batched && produced - consumed < gc &&
		    !prod_stuck)
			continue;
		M.agent = 1;
		k = a->consume(ring, citems, gc);
		for (i = 0; i < k; i++) {
			if (citems[i]->seq != consumed + i) {
				snprintf(why, len, "%s: model run lost FIFO order at item %llu",
					 name, (unsigned long long)(consumed + i));
				goto out;
			}
		}
		if (M.counting)
			out->packets += k;
		consumed += k;
		if (!k && prod_stuck) {
			snprintf(why, len, "%s: model run stalled: ring full and nothing to consume",
				 name);
			goto out;
		}
	}
	if (M.oom) {
		snprintf(why, len, "model line table overflow");
		goto out;
	}
	memcpy(out->miss, M.miss, sizeof(M.miss));
	memcpy(out->accesses, M.accesses, sizeof(M.accesses));
	ret = 0;
out:
	if (ring)
		a->destroy(ring);
	free(pool);
	free(pitems);
	free(citems);
	free(M.lines);
	M.lines = NULL;
	return ret;
}
