// SPDX-License-Identifier: GPL-2.0
/*
 * Correctness suite of the ring lab: every algorithm (the kernel's own
 * ptr_ring.h included when the tree is there) goes through the same checks:
 * empty and full edges, FIFO order with no loss and no duplicate across
 * many wrap-arounds with uneven producer/consumer chunks, refill after a
 * drain, and a concurrent producer/consumer run of >= 1e6 items on two CPUs
 * with order, payload and checksum verified per item. A deliberately
 * broken ring is run through the same checks first to prove they catch
 * loss and reordering.
 *
 * Prints "ok - ..." / "not ok - ..." lines for selftests/test_ring.sh.
 * usage: ring_test [CONCURRENT_ITEMS]
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

static int failures;

static void report(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void report(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

struct suite {
	const struct ring_algo *a;
	struct ring_params p;
	void *ring;
	struct ring_item *pool;
	struct ring_item **buf;
	uint64_t npool;
	uint64_t next_prod, next_cons;	/* sequence numbers */
	char err[100];
};

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Produce up to want items, in calls of the algorithm's own chunk. */
static uint64_t produce(struct suite *s, uint64_t want)
{
	unsigned int chunk = ring_prod_chunk(s->a, &s->p);
	uint64_t done = 0;

	while (done < want) {
		unsigned int n = want - done < chunk ? want - done : chunk, k;

		for (unsigned int i = 0; i < n; i++) {
			struct ring_item *it = &s->pool[(s->next_prod + i) % s->npool];

			it->seq = s->next_prod + i;
			it->payload = ring_payload(it->seq);
			s->buf[i] = it;
		}
		k = s->a->produce(s->ring, s->buf, n);
		s->next_prod += k;
		done += k;
		if (k < n)
			break;
	}
	return done;
}

/* Consume up to want items; every one must be the next in order. */
static int64_t consume(struct suite *s, uint64_t want)
{
	unsigned int chunk = ring_cons_chunk(s->a, &s->p);
	uint64_t done = 0;

	while (done < want) {
		unsigned int n = want - done < chunk ? want - done : chunk, k;

		k = s->a->consume(s->ring, s->buf, n);
		for (unsigned int i = 0; i < k; i++) {
			struct ring_item *it = s->buf[i];

			if (it->seq != s->next_cons || it->payload != ring_payload(it->seq)) {
				snprintf(s->err, sizeof(s->err),
					 "got item %llu where %llu was due",
					 (unsigned long long)it->seq,
					 (unsigned long long)s->next_cons);
				return -1;
			}
			s->next_cons++;
		}
		done += k;
		if (k < n)
			break;
	}
	return done;
}

static int suite_setup(struct suite *s, const struct ring_algo *a,
		       unsigned int size, unsigned int batch)
{
	memset(s, 0, sizeof(*s));
	s->a = a;
	s->p.size = size;
	s->p.batch = batch;
	s->p.vq_layout = RING_VQ_SPEC;
	s->npool = a->capacity(&s->p) + 2 * batch + 1;
	s->pool = aligned_alloc(RING_CACHE_BYTES, sizeof(*s->pool) * s->npool);
	s->buf = calloc(batch, sizeof(*s->buf));
	s->ring = a->create(&s->p);
	if (!s->pool || !s->buf || !s->ring)
		return -1;
	memset(s->pool, 0, sizeof(*s->pool) * s->npool);
	return 0;
}

static void suite_teardown(struct suite *s)
{
	if (s->ring)
		s->a->destroy(s->ring);
	free(s->pool);
	free(s->buf);
}

/* Returns NULL when every check passed, else what broke. */
static const char *run_suite(const struct ring_algo *a, unsigned int size,
			     unsigned int batch, char *why, size_t len)
{
	unsigned int cap;
	struct suite s;
	int64_t got;
	uint64_t n;

	if (suite_setup(&s, a, size, batch)) {
		snprintf(why, len, "cannot create the ring");
		goto fail;
	}
	cap = a->capacity(&s.p);
	if (consume(&s, 1) != 0) {
		snprintf(why, len, "a new ring is not empty");
		goto fail;
	}
	n = produce(&s, 2ull * cap);
	if (n != cap) {
		snprintf(why, len, "filled %llu items, capacity is %u",
			 (unsigned long long)n, cap);
		goto fail;
	}
	if (produce(&s, 1) != 0) {
		snprintf(why, len, "a full ring took one more item");
		goto fail;
	}
	got = consume(&s, 2ull * cap);
	if (got != cap) {
		snprintf(why, len, "drained %lld of %u items%s%.100s", (long long)got, cap,
			 got < 0 ? ": " : "", got < 0 ? s.err : "");
		goto fail;
	}
	if (consume(&s, 1) != 0) {
		snprintf(why, len, "a drained ring is not empty");
		goto fail;
	}
	/* A whole lap from the first slot leaves nothing to zero: the
	 * full capacity must be usable again. */
	n = produce(&s, cap);
	got = consume(&s, cap);
	if (n != cap || got != (int64_t)cap) {
		snprintf(why, len, "refill after drain: produced %llu, consumed %lld of %u%s%.100s",
			 (unsigned long long)n, (long long)got, cap,
			 got < 0 ? ": " : "", got < 0 ? s.err : "");
		goto fail;
	}
	/* Uneven chunks for many laps: every wrap position, partly full
	 * and full rings, zeroing batches cut at every point. */
	for (int round = 0; round < 400 + 40 * (int)(2048 / cap); round++) {
		uint64_t p = rng() % (cap + 2), c = rng() % (cap + 2);

		produce(&s, p);
		got = consume(&s, c);
		if (got < 0) {
			snprintf(why, len, "wrap-around: %.100s", s.err);
			goto fail;
		}
		if (s.next_prod - s.next_cons > cap) {
			snprintf(why, len, "wrap-around: %llu items inside a ring of %u",
				 (unsigned long long)(s.next_prod - s.next_cons), cap);
			goto fail;
		}
	}
	got = consume(&s, s.next_prod - s.next_cons + 1);
	if (got < 0 || s.next_cons != s.next_prod) {
		snprintf(why, len, "final drain: %.100s", got < 0 ? s.err : "items lost");
		goto fail;
	}
	suite_teardown(&s);
	return NULL;
fail:
	suite_teardown(&s);
	return why;
}

/* A ring that loses one item in 1000 and one that swaps two neighbours:
 * the suite and the threaded check must both notice. */
static const struct ring_algo *broken_base;
static uint64_t broken_count;
static int broken_mode;

static void *broken_create(const struct ring_params *p)
{
	broken_count = 0;
	return broken_base->create(p);
}

static unsigned int broken_consume(void *ring, struct ring_item **items,
				   unsigned int n)
{
	unsigned int k = broken_base->consume(ring, items, n);

	for (unsigned int i = 0; i < k; i++) {
		if (++broken_count % 1000 != 0)
			continue;
		if (broken_mode == 0) {		/* drop it */
			memmove(&items[i], &items[i + 1], (k - i - 1) * sizeof(*items));
			k--;
		} else if (i + 1 < k) {		/* swap with the next */
			struct ring_item *t = items[i];

			items[i] = items[i + 1];
			items[i + 1] = t;
		}
	}
	return k;
}

static unsigned int stuck_consume(void *ring, struct ring_item **items,
				  unsigned int n)
{
	return 0;
}

static void check_broken(void)
{
	static const char *const what[] = { "loses items", "reorders items" };
	struct ring_algo broken;
	struct ring_params p = { .size = 64, .batch = 8, .vq_layout = RING_VQ_SPEC };
	struct ring_run run;
	char why[200];

	broken_base = ring_algo_find("consume-batch");
	for (broken_mode = 0; broken_mode < 2; broken_mode++) {
		broken = *broken_base;
		broken.create = broken_create;
		broken.consume = broken_consume;
		report(run_suite(&broken, 64, 8, why, sizeof(why)) != NULL,
		       "suite catches a ring that %s", what[broken_mode]);
		report(!ring_run_threads(&broken, &p, 100000, &run, why, sizeof(why)) &&
		       run.errors > 0,
		       "concurrent check catches a ring that %s", what[broken_mode]);
	}
	/* A ring that never gives anything back: the run must end with an
	 * error, not hang. */
	broken = *broken_base;
	broken.consume = stuck_consume;
	p.stall_ms = 300;
	report(ring_run_threads(&broken, &p, 100000, &run, why, sizeof(why)) &&
	       strstr(why, "no item moved"),
	       "concurrent check gives up on a stuck ring instead of hanging");
}

static void concurrent(const struct ring_algo *a, unsigned int size,
		       unsigned int batch, uint64_t items)
{
	struct ring_params p = {
		.size = size, .batch = batch, .vq_layout = RING_VQ_SPEC,
	};
	struct ring_run run;
	char why[200];

	if (ring_run_threads(a, &p, items, &run, why, sizeof(why))) {
		report(false, "%s: concurrent run on a ring of %u: %s", a->name, size, why);
		return;
	}
	report(!run.errors && run.prod_sum == run.cons_sum,
	       "%s: concurrent, ring %u batch %u, %llu items on CPUs %d/%d: order, payload, checksum (%llu errors)",
	       a->name, size, a->uses_batch ? batch : 1, (unsigned long long)items,
	       run.cpu[0], run.cpu[1], (unsigned long long)run.errors);
}

int main(int argc, char **argv)
{
	static const unsigned int sizes[] = { 2, 8, 64, 256, 1000 };
	static const unsigned int batches[] = { 1, 2, 4, 16, 64 };
	uint64_t items = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000;

	check_broken();
	for (int i = 0; ring_algos[i]; i++) {
		const struct ring_algo *a = ring_algos[i];
		unsigned int combos = 0, passed = 0;
		const char *first_fail = NULL;
		char why[200], where[64] = "";

		if (a->unavailable) {
			printf("ok - %s: correctness suite # SKIP %s\n", a->name,
			       a->unavailable);
			printf("ok - %s: concurrent runs # SKIP %s\n", a->name,
			       a->unavailable);
			continue;
		}
		for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
			for (size_t bi = 0; bi < sizeof(batches) / sizeof(batches[0]); bi++) {
				struct ring_params q = {
					.size = sizes[si], .batch = batches[bi],
					.vq_layout = RING_VQ_SPEC,
				};

				if (ring_params_check(a, &q, why, sizeof(why)))
					continue;
				if (!a->uses_batch && bi)
					continue;
				combos++;
				if (!run_suite(a, sizes[si], batches[bi], why, sizeof(why))) {
					passed++;
				} else if (!first_fail) {
					first_fail = why;
					snprintf(where, sizeof(where), "size %u batch %u: ",
						 sizes[si], batches[bi]);
					break;
				}
			}
			if (first_fail)
				break;
		}
		report(!first_fail && combos > 0,
		       "%s: FIFO, no loss/dup, full/empty edges, wrap-around (%u of %u size/batch cases)%s%s%s",
		       a->name, passed, combos, first_fail ? ": " : "", where,
		       first_fail ? first_fail : "");

		/* Concurrent, producer and consumer pinned: a ring of 8 hits the
		 * full and empty edges all the time, a ring of 256 is the usual. */
		concurrent(a, 8, a->uses_batch ? 4 : 1, items / 4);
		concurrent(a, 256, 16, items);
	}
	return failures ? 1 : 0;
}
