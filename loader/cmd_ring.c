// SPDX-License-Identifier: GPL-2.0
/*
 * vnetkit ring: the ring and virtqueue lab.
 *   ring bench  producer/consumer threads on CPUs 0 and 1, ops/s and ns/op,
 *               min/median over rounds, ratios to the kernel's ptr_ring.h
 *               and to the unbatched ptr_ring measured in the same run
 *   ring model  the same ring code with its shared accesses recorded and
 *               replayed through a two-agent MESI model: coherence misses
 *               per packet, split by structure
 *
 * --json schemas (fields are only ever added):
 *   model: {"command":"ring model","ring_size":N,"fill":"empty"|"full",
 *           "vq_layout":"talk"|"spec","results":[{"algo":S,"batch":N|null,
 *           "model":MODEL}]}
 *   bench: {"command":"ring bench","ring_size":N,"ops":N,"rounds":N,
 *           "cons_work":N,"rt":B,"cpus":[P,C]|null,"kernel_header":PATH|null,
 *           "results":[{"algo":S,"batch":N|null,"mops_median":X,
 *           "ns_per_op_min":X,"ns_per_op_median":X,"rounds_ns_per_op":[X..],
 *           "vs_kernel":X|null,"vs_ptr_ring":X|null,
 *           "best_round":{"consumer_avg_batch":X,"consumer_empty_polls":N,
 *           "producer_full_polls":N},"producer_ns_per_entry":X,
 *           ["producer_loop_ns_per_entry":X,"loop_ns_per_op_min":X,
 *           "loop_ns_per_op_median":X,] "errors":N, ["model":MODEL]}],
 *           (loop_*: produce-batch's rounds run again with single-entry
 *           produces under one lock, the baseline of the batched producer)
 *           "unavailable":[{"algo":S,"reason":S}]}
 *   MODEL: {"packets":N,"misses_per_packet":X,
 *           "producer":{"misses_per_packet":X,"by_structure":{TAG:X..}},
 *           "consumer":{...},"by_structure":{TAG:X..}}
 *   TAG: index slot desc avail used lock node. Ratios (vs_*) compare best
 *   rounds (min ns/op); batch null = the algorithm has no batch.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "ring.h"
#include "plot.h"
#include "util.h"
#include "vjson.h"

#define MAX_BATCHES 16
#define MAX_ROUNDS 100

static const unsigned int bench_sweep[] = { 1, 4, 16, 64 };
static const unsigned int model_sweep[] = { 1, 2, 4, 8, 16, 32, 64 };

struct ring_opts {
	bool bench;
	bool interrupted;		/* Ctrl-C: the report covers completed rounds */
	unsigned int rounds_requested;
	const struct ring_algo *algos[16];
	int nalgos;
	unsigned int batches[MAX_BATCHES];
	int nbatches;
	bool batch_given;
	unsigned int size;
	uint64_t ops;
	unsigned int rounds;
	unsigned int cons_work;
	bool rt;
	bool full;
	enum ring_vq_layout layout;
	bool json;
	const char *plot;
};

/* One (algorithm, batch) measurement. */
struct ring_row {
	const struct ring_algo *a;
	unsigned int batch;		/* 0: the algorithm has no batch */
	double ns[MAX_ROUNDS];		/* bench: ns/op per round */
	double ns_min, ns_med, mops;
	double prod_ns, loop_ns;	/* producer alone, ns/entry (best round) */
	/* threaded, producer doing single-entry produces under one lock */
	double loop_thr[MAX_ROUNDS], loop_thr_min, loop_thr_med;
	uint64_t errors;
	struct ring_run best;		/* the run of the best round */
	struct ring_model_result m;
	bool have_model;
};

enum { RING_BENCH, RING_MODEL };
enum { O_ALGO, O_BATCH, O_SIZE, O_OPS, O_ROUNDS, O_CONS_WORK, O_RT, O_FILL,
       O_LAYOUT, O_JSON, O_PLOT, O_NR };

#define BENCH VK_SUB(RING_BENCH)
#define MODEL VK_SUB(RING_MODEL)

/* ring_algos[] by name; cmd_ring() checks that each one is found. */
static const char *const algo_names[] = {
	"list", "ptr_ring", "zero-batch", "consume-batch", "produce-batch",
	"virtqueue", "kernel", NULL,
};
static const char *const fill_names[] = { "empty", "full", NULL };
static const char *const layout_names[] = { "talk", "spec", NULL };

static const struct vk_subcmd ring_subs[] = {
	[RING_BENCH] = { "bench", NULL,
		"producer and consumer threads pinned to CPUs 0 and 1; every item is "
		"checked for order and payload. Reports ops/s (median) and ns/op "
		"(min/median over rounds) and ratios to the kernel's own ptr_ring.h "
		"and to the unbatched ptr_ring measured in the same run." },
	[RING_MODEL] = { "model", NULL,
		"the same ring code with its shared-memory accesses recorded, replayed "
		"through a two-core MESI model: coherence misses per packet by "
		"structure, producer and consumer side." },
};

static const struct vk_opt ring_table[O_NR] = {
	[O_ALGO] = { "algo", 0, VK_T_LIST, "A[,A..]", .values = algo_names,
		.help = "the algorithms; default: all (the model: all but kernel, whose "
			"accesses do not go through the access macro). list: a locked "
			"linked list; ptr_ring: the kernel's algorithm in our code; "
			"zero-batch, consume-batch, produce-batch: its batched variants; "
			"virtqueue: a split virtqueue; kernel: include/linux/ptr_ring.h itself" },
	[O_BATCH] = { "batch", 0, VK_T_LIST, "N[,N..]", .min = 0, .max = RING_SIZE_MAX,
		.unit = "entries", .def = "16",
		.help = "batch size(s); with --plot and no --batch, a sweep (bench "
			"1,4,16,64; model 1,2,4,...,64)" },
	[O_SIZE] = { "ring-size", 0, VK_T_INT, "S", .min = 0, .max = RING_SIZE_MAX,
		.unit = "slots", .def = "256",
		.help = "slots/descriptors (virtqueue: a power of two)" },
	[O_OPS] = { "ops", 0, VK_T_INT, "M", .min = 1, .max = 1ull << 40,
		.unit = "items", .def = "200000", .subs = BENCH,
		.help = "items per round (the model runs whole laps of the ring)" },
	[O_ROUNDS] = { "rounds", 0, VK_T_INT, "R", .min = 1, .max = MAX_ROUNDS,
		.def = "5", .subs = BENCH, .help = "rounds (the model is deterministic)" },
	[O_CONS_WORK] = { "cons-work", 0, VK_T_INT, "W", .min = 0, .max = 100000,
		.unit = "hash rounds", .def = "0", .subs = BENCH,
		.help = "per-item consumer work: W rounds of a 64-bit hash (a few ns "
			"each), a stand-in for vhost copying the packet; 0: the ring alone" },
	[O_RT] = { "rt", 0, VK_T_FLAG, .subs = BENCH,
		.help = "threads run SCHED_FIFO 1 (root): other work on CPUs 0/1 waits "
			"while a round runs, instead of preempting one side" },
	[O_FILL] = { "fill", 0, VK_T_ENUM, "F", .values = fill_names, .def = "empty",
		.subs = MODEL,
		.help = "empty: the consumer keeps up, the ring stays almost empty; "
			"full: a slow consumer, the producer waits for every slot the "
			"consumer frees (in the benchmark, --cons-work makes the consumer "
			"the slow side)" },
	[O_LAYOUT] = { "vq-layout", 0, VK_T_ENUM, "L", .values = layout_names,
		.def = "talk",
		.help = "talk: avail/used idx on their own cache line (the talk's "
			"figure); spec: the virtio 1.0 split layout" },
	[O_JSON] = { "json", 0, VK_T_FLAG,
		.help = "one JSON document (schemas vnetkit-ring-bench/1, vnetkit-ring-model/1)" },
	[O_PLOT] = { "plot", 0, VK_T_PATH, "FILE",
		.help = "write misses/packet (model) or ops/s and misses/packet (bench) "
			"against batch size with gnuplot: FILE.svg or FILE.png" },
};

static const char *const ring_examples[] = {
	"vnetkit ring model --algo ptr_ring,zero-batch --batch 1,4,16",
	"coherence misses per packet: the slot line ptr_ring's consumer zeroes",
	"vnetkit ring bench --algo ptr_ring,kernel --rounds 3",
	"our ptr_ring against the kernel's ptr_ring.h, same run",
	"vnetkit ring bench --plot bench.svg",
	"ops/s against batch size, a sweep",
	NULL,
};

const struct vk_cmd_spec ring_spec = {
	.name = "ring",
	.summary = "ring and virtqueue lab: benchmark and cache model",
	.description = "The ring buffers between a VM's driver and vhost, measured "
		"two ways: threads on two CPUs (bench) and a cache-coherence model of "
		"the same code (model).",
	.subs = ring_subs, .nr_subs = ARRAY_SIZE(ring_subs),
	.opts = ring_table, .nr_opts = O_NR,
	.examples = ring_examples,
	.json_doc = "ring", .json_version = 1,
};

static int parse_opts(struct ring_opts *o, const struct vk_args *a)
{
	const struct vk_val *v = a->v;

	o->bench = a->sub == RING_BENCH;
	o->size = v[O_SIZE].u;
	o->ops = v[O_OPS].u;
	o->rounds = v[O_ROUNDS].u;
	o->cons_work = v[O_CONS_WORK].u;
	o->rt = v[O_RT].set;
	o->full = v[O_FILL].set && v[O_FILL].u == 1;
	o->layout = v[O_LAYOUT].u ? RING_VQ_SPEC : RING_VQ_TALK;
	o->json = v[O_JSON].set;
	o->plot = vk_val_str(&v[O_PLOT]);
	for (int i = 0; i < v[O_ALGO].n; i++) {
		const struct ring_algo *al = ring_algo_find(algo_names[v[O_ALGO].list[i]]);

		if (!al) {
			vk_errf("--algo", NULL, "'%s' is in the table but not in ring_algos[]",
				algo_names[v[O_ALGO].list[i]]);
			return -1;
		}
		if (o->nalgos < (int)ARRAY_SIZE(o->algos))
			o->algos[o->nalgos++] = al;
	}
	if (v[O_BATCH].n > MAX_BATCHES) {
		vk_errf("--batch", NULL, "more than %d batch sizes", MAX_BATCHES);
		return -1;
	}
	o->nbatches = v[O_BATCH].n;
	for (int i = 0; i < o->nbatches; i++)
		o->batches[i] = v[O_BATCH].list[i];
	o->batch_given = v[O_BATCH].given;
	/* Fail before a long benchmark, not after it. */
	if (o->plot && vk_plot_check(o->plot))
		return -1;
	if (!o->nalgos) {
		for (int i = 0; ring_algos[i]; i++) {
			/* the model has no instrumented copy of the kernel header */
			if (!o->bench && ring_algos[i] == &ring_kernel_algo)
				continue;
			o->algos[o->nalgos++] = ring_algos[i];
		}
	}
	if (o->plot && !o->batch_given) {
		const unsigned int *sw = o->bench ? bench_sweep : model_sweep;
		int n = o->bench ? ARRAY_SIZE(bench_sweep) : ARRAY_SIZE(model_sweep);

		o->nbatches = 0;
		for (int i = 0; i < n; i++)
			if (sw[i] <= o->size / 2 || sw[i] == 1)
				o->batches[o->nbatches++] = sw[i];
	}
	return 0;
}

static bool in_sweep(const struct ring_opts *o)
{
	return o->plot && !o->batch_given;
}

/* Rows in report order; bad parameters are caught here, before any run. */
static int plan_rows(const struct ring_opts *o, struct ring_row **rows_out, int *nrows)
{
	struct ring_row *rows = calloc((size_t)o->nalgos * o->nbatches, sizeof(*rows));
	int n = 0;

	if (!rows)
		return -1;
	for (int i = 0; i < o->nalgos; i++) {
		const struct ring_algo *a = o->algos[i];

		if (a->unavailable)
			continue;
		for (int j = 0; j < o->nbatches; j++) {
			struct ring_params p = {
				.size = o->size, .batch = o->batches[j],
				.vq_layout = o->layout, .full = o->full,
				.cons_work = o->cons_work, .rt_prio = o->rt,
			};
			char why[160];

			if (ring_params_check(a, &p, why, sizeof(why))) {
				/* a default sweep point that does not apply to
				 * this algorithm is skipped; a value the user
				 * asked for is an error */
				if (in_sweep(o) && o->batches[j] > 1)
					continue;
				vk_err(o->bench ? "ring bench" : "ring model", why,
				       "see vnetkit ring --help");
				free(rows);
				return -1;
			}
			rows[n].a = a;
			rows[n].batch = a->uses_batch ? o->batches[j] : 0;
			n++;
			if (!a->uses_batch)
				break;
		}
	}
	*rows_out = rows;
	*nrows = n;
	return 0;
}

static struct ring_params row_params(const struct ring_opts *o, const struct ring_row *r)
{
	struct ring_params p = {
		.size = o->size, .batch = r->batch ? r->batch : 1,
		.vq_layout = o->layout, .full = o->full, .cons_work = o->cons_work,
		.rt_prio = o->rt, .stop = &vk_stop,
	};

	return p;
}

static const struct ring_row *find_row(const struct ring_row *rows, int n,
				       const char *name, unsigned int batch)
{
	const struct ring_row *any = NULL;

	for (int i = 0; i < n; i++) {
		if (strcmp(rows[i].a->name, name))
			continue;
		if (rows[i].batch == batch)
			return &rows[i];
		any = &rows[i];
	}
	return batch ? NULL : any;
}

static double model_total(const struct ring_model_result *m, int side)
{
	uint64_t t = 0;

	for (int s = 0; s < 2; s++) {
		if (side >= 0 && s != side)
			continue;
		for (int k = 0; k < RT_NR; k++)
			t += m->miss[s][k];
	}
	return m->packets ? (double)t / m->packets : 0;
}

static double model_tag(const struct ring_model_result *m, int tag)
{
	return m->packets ? (double)(m->miss[0][tag] + m->miss[1][tag]) / m->packets : 0;
}

static int run_models(const struct ring_opts *o, struct ring_row *rows, int n)
{
	for (int i = 0; i < n; i++) {
		struct ring_params p = row_params(o, &rows[i]);
		char why[200];

		if (rows[i].a == &ring_kernel_algo)
			continue;	/* not instrumented: bench only */
		if (ring_model_run(rows[i].a->name, &p, &rows[i].m, why, sizeof(why))) {
			vk_err("ring model", why, NULL);
			return -1;
		}
		rows[i].have_model = true;
	}
	return 0;
}

static int time_producer(const struct ring_opts *o, struct ring_row *row,
			 const struct ring_params *p, unsigned int round)
{
	uint64_t ops = o->ops < 100000 ? o->ops : 100000 + (o->ops - 100000) / 4;
	char why[200];
	double ns;

	int rc = ring_time_producer(row->a, p, ops, false, &ns, why, sizeof(why));

	if (rc == 1)
		return 1;
	if (rc) {
		vk_err("ring bench: producer timing", why, NULL);
		return -1;
	}
	if (!round || ns < row->prod_ns)
		row->prod_ns = ns;
	if (!row->a->produce_locked_loop)
		return 0;
	rc = ring_time_producer(row->a, p, ops, true, &ns, why, sizeof(why));
	if (rc == 1)
		return 1;
	if (rc) {
		vk_err("ring bench: producer timing", why, NULL);
		return -1;
	}
	if (!round || ns < row->loop_ns)
		row->loop_ns = ns;
	return 0;
}

/* 0, -1 on failure, 1 when interrupted before any round completed. On an
 * interruption o->rounds becomes the rounds completed: the report covers
 * those, marked interrupted. */
static int run_bench(struct ring_opts *o, struct ring_row *rows, int n,
		     int cpu[2])
{
	unsigned int r;
	int rc;

	o->rounds_requested = o->rounds;
	/* Rounds go round-robin over the rows so a noisy moment on this
	 * shared machine hits every algorithm, not just one. */
	for (r = 0; r < o->rounds; r++) {
		for (int i = 0; i < n; i++) {
			struct ring_params p = row_params(o, &rows[i]);
			struct ring_run run;
			char why[200];

			if (vk_stop)
				goto interrupted;
			rc = ring_run_threads(rows[i].a, &p, o->ops, &run, why, sizeof(why));
			if (rc == 1)
				goto interrupted;
			if (rc) {
				vk_err("ring bench", why, NULL);
				return -1;
			}
			cpu[0] = run.cpu[0];
			cpu[1] = run.cpu[1];
			rows[i].ns[r] = (double)run.ns / run.ops;
			if (!r || rows[i].ns[r] < (double)rows[i].best.ns / rows[i].best.ops)
				rows[i].best = run;
			rows[i].errors += run.errors;
			rc = time_producer(o, &rows[i], &p, r);
			if (rc == 1)
				goto interrupted;
			if (rc)
				return -1;
			if (!rows[i].a->produce_locked_loop)
				continue;
			/* the same round with the baseline producer the
			 * batched one has to beat */
			p.prod_loop = true;
			rc = ring_run_threads(rows[i].a, &p, o->ops, &run, why, sizeof(why));
			if (rc == 1)
				goto interrupted;
			if (rc) {
				vk_err("ring bench", why, NULL);
				return -1;
			}
			rows[i].loop_thr[r] = (double)run.ns / run.ops;
			rows[i].errors += run.errors;
		}
	}
	if (0) {
interrupted:
		o->interrupted = true;
		o->rounds = r;
		if (!r)
			return 1;
	}
	for (int i = 0; i < n; i++) {
		double s[MAX_ROUNDS];

		memcpy(s, rows[i].ns, sizeof(double) * o->rounds);
		vk_min_median(s, o->rounds, &rows[i].ns_min, &rows[i].ns_med);
		rows[i].mops = 1e3 / rows[i].ns_med;
		if (!rows[i].a->produce_locked_loop)
			continue;
		memcpy(s, rows[i].loop_thr, sizeof(double) * o->rounds);
		vk_min_median(s, o->rounds, &rows[i].loop_thr_min, &rows[i].loop_thr_med);
	}
	return 0;
}

/* Ratios compare best rounds: on a shared machine the best round is the
 * one least disturbed by other work. */
static double ratio(const struct ring_row *r, const struct ring_row *base)
{
	return base->ns_min / r->ns_min;
}

static void fmt_ratio(char *buf, size_t len, const struct ring_row *r,
		      const struct ring_row *base)
{
	if (!base || base == r)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2fx", ratio(r, base));
}

static void print_batch(char *buf, size_t len, unsigned int b)
{
	if (b)
		snprintf(buf, len, "%u", b);
	else
		snprintf(buf, len, "-");
}

static void print_unavailable(const struct ring_opts *o, FILE *f)
{
	for (int i = 0; i < o->nalgos; i++)
		if (o->algos[i]->unavailable)
			fprintf(f, "%s: unavailable (%s)\n", o->algos[i]->name,
				o->algos[i]->unavailable);
}

static void bench_text(const struct ring_opts *o, const struct ring_row *rows,
		       int n, const int cpu[2])
{
	const struct ring_row *kern = find_row(rows, n, "kernel", 0);
	const struct ring_row *ptr = find_row(rows, n, "ptr_ring", 0);

	if (o->interrupted)
		printf("ring bench: INTERRUPTED after %u of %u rounds: the figures below "
		       "cover the completed rounds only\n", o->rounds, o->rounds_requested);
	printf("ring bench: ring %u, %llu ops x %u rounds, ", o->size,
	       (unsigned long long)o->ops, o->rounds);
	if (o->cons_work)
		printf("consumer work %u, ", o->cons_work);
	if (o->rt)
		printf("SCHED_FIFO, ");
	if (cpu[0] >= 0)
		printf("producer CPU %d, consumer CPU %d\n", cpu[0], cpu[1]);
	else
		printf("threads not pinned (CPUs 0 and 1 not both allowed)\n");
	printf("%-14s %5s %7s %9s %7s %8s %7s %8s\n", "algo", "batch", "Mops/s",
	       "ns/op min", "med", "vs kern", "vs ptr", "prod ns");
	for (int i = 0; i < n; i++) {
		char b[16], rk[16], rp[16];

		print_batch(b, sizeof(b), rows[i].batch);
		fmt_ratio(rk, sizeof(rk), &rows[i], kern);
		fmt_ratio(rp, sizeof(rp), &rows[i], ptr);
		printf("%-14s %5s %7.2f %9.1f %7.1f %8s %7s %8.1f\n", rows[i].a->name,
		       b, rows[i].mops, rows[i].ns_min, rows[i].ns_med, rk, rp,
		       rows[i].prod_ns);
	}
	print_unavailable(o, stdout);
	printf("Mops/s from the median round, ratios from the best (min ns/op) round;\n"
	       "prod ns: producer alone on one warm CPU, ns per entry (best round)\n");
	for (int i = 0; i < n; i++)
		if (rows[i].loop_ns > 0)
			printf("%s %u vs single-entry produces under one lock: alone %.1f/%.1f\n"
			       "  ns/entry, threads %.1f/%.1f ns/op (best round)\n",
			       rows[i].a->name, rows[i].batch, rows[i].prod_ns, rows[i].loop_ns,
			       rows[i].ns_min, rows[i].loop_thr_min);
	if (kern)
		printf("kernel = %s\n  (per-entry produce/consume, the header's default zeroing batch)\n",
		       ring_kernel_header);
}

static double model_side_tag(const struct ring_model_result *m, int side, int tag)
{
	return m->packets ? (double)m->miss[side][tag] / m->packets : 0;
}

static json_t *by_structure(const struct ring_model_result *m, int side)
{
	json_t *o = json_object();

	for (int k = 0; k < RT_NR; k++)
		vk_jreal(o, ring_tag_names[k], side < 0 ? model_tag(m, k) :
			 model_side_tag(m, side, k), 4);
	return o;
}

static json_t *json_model(const struct ring_model_result *m)
{
	static const char *const side_name[2] = { "producer", "consumer" };
	json_t *o = json_object();

	vk_ju64(o, "packets", m->packets);
	vk_jreal(o, "misses_per_packet", model_total(m, -1), 4);
	for (int s = 0; s < 2; s++) {
		json_t *side = json_object();

		vk_jreal(side, "misses_per_packet", model_total(m, s), 4);
		vk_jset(side, "by_structure", by_structure(m, s));
		vk_jset(o, side_name[s], side);
	}
	vk_jset(o, "by_structure", by_structure(m, -1));
	return o;
}

static json_t *json_unavailable(const struct ring_opts *o)
{
	json_t *arr = json_array();

	for (int i = 0; i < o->nalgos; i++) {
		if (!o->algos[i]->unavailable)
			continue;
		json_array_append_new(arr, json_pack("{s:s, s:s}", "algo",
			o->algos[i]->name, "reason", o->algos[i]->unavailable));
	}
	return arr;
}

static json_t *json_batch(unsigned int batch)
{
	return batch ? json_integer(batch) : json_null();
}

static json_t *bench_doc(const struct ring_opts *o)
{
	json_t *doc = vk_json_doc("ring-bench", 1);

	vk_jstr(doc, "command", "ring bench");
	vk_jbool(doc, "interrupted", o->interrupted);
	vk_jint(doc, "rounds_requested", o->rounds_requested);
	return doc;
}

static void bench_json(const struct ring_opts *o, const struct ring_row *rows,
		       int n, const int cpu[2], int rc)
{
	const struct ring_row *kern = find_row(rows, n, "kernel", 0);
	const struct ring_row *ptr = find_row(rows, n, "ptr_ring", 0);
	json_t *doc = bench_doc(o), *results = json_array();

	vk_jint(doc, "ring_size", o->size);
	vk_ju64(doc, "ops", o->ops);
	vk_jint(doc, "rounds", o->rounds);
	vk_jint(doc, "cons_work", o->cons_work);
	vk_jbool(doc, "rt", o->rt);
	vk_jset(doc, "cpus", cpu[0] >= 0 ? json_pack("[i, i]", cpu[0], cpu[1]) :
		json_null());
	vk_jstr(doc, "kernel_header", kern ? ring_kernel_header : NULL);
	for (int i = 0; i < n; i++) {
		const struct ring_row *r = &rows[i];
		json_t *row = json_object(), *ns = json_array(), *best;

		vk_jstr(row, "algo", r->a->name);
		vk_jset(row, "batch", json_batch(r->batch));
		vk_jreal(row, "mops_median", r->mops, 4);
		vk_jreal(row, "ns_per_op_min", r->ns_min, 2);
		vk_jreal(row, "ns_per_op_median", r->ns_med, 2);
		for (unsigned int k = 0; k < o->rounds; k++)
			json_array_append_new(ns, vk_json_real(r->ns[k], 2));
		vk_jset(row, "rounds_ns_per_op", ns);
		vk_jset(row, "vs_kernel", kern ? vk_json_real(ratio(r, kern), 4) : json_null());
		vk_jset(row, "vs_ptr_ring", ptr ? vk_json_real(ratio(r, ptr), 4) : json_null());
		best = json_object();
		vk_jreal(best, "consumer_avg_batch", r->best.cons_calls ?
			 (double)r->best.ops / r->best.cons_calls : 0, 2);
		vk_ju64(best, "consumer_empty_polls", r->best.cons_empty);
		vk_ju64(best, "producer_full_polls", r->best.prod_full);
		vk_jset(row, "best_round", best);
		vk_jreal(row, "producer_ns_per_entry", r->prod_ns, 2);
		if (r->loop_ns > 0) {
			vk_jreal(row, "producer_loop_ns_per_entry", r->loop_ns, 2);
			vk_jreal(row, "loop_ns_per_op_min", r->loop_thr_min, 2);
			vk_jreal(row, "loop_ns_per_op_median", r->loop_thr_med, 2);
		}
		vk_ju64(row, "errors", r->errors);
		if (r->have_model)
			vk_jset(row, "model", json_model(&r->m));
		json_array_append_new(results, row);
	}
	vk_jset(doc, "results", results);
	vk_jset(doc, "unavailable", json_unavailable(o));
	vk_json_print(doc, rc);
}

static void model_text(const struct ring_opts *o, const struct ring_row *rows, int n)
{
	printf("ring model: misses per packet, ring %u %s, virtqueue layout %s\n",
	       o->size, o->full ? "full" : "almost empty",
	       o->layout == RING_VQ_SPEC ? "spec" : "talk");
	printf("%-14s %5s %6s %6s %6s", "algo", "batch", "total", "prod", "cons");
	/* short headers keep the table inside 80 columns */
	static const char *const hdr[RT_NR] = {
		[RT_INDEX] = "idx", [RT_SLOT] = "slot", [RT_DESC] = "desc",
		[RT_AVAIL] = "avl", [RT_USED] = "used", [RT_LOCK] = "lock",
		[RT_NODE] = "node",
	};
	for (int k = 0; k < RT_NR; k++)
		printf(" %4s", hdr[k]);
	printf("\n");
	for (int i = 0; i < n; i++) {
		const struct ring_model_result *m = &rows[i].m;
		char b[16];

		print_batch(b, sizeof(b), rows[i].batch);
		printf("%-14s %5s %6.3f %6.3f %6.3f", rows[i].a->name, b,
		       model_total(m, -1), model_total(m, 0), model_total(m, 1));
		for (int k = 0; k < RT_NR; k++)
			printf(" %4.2f", model_tag(m, k));
		printf("\n");
	}
	printf("prod/cons: misses taken by the producer / the consumer side;\n"
	       "  idx (indices), slot ... node (avl = avail ring): both sides\n");
	if (find_row(rows, n, "ptr_ring", 0) || find_row(rows, n, "zero-batch", 0))
		printf("slot misses: ptr_ring zeroes each slot right after reading it, in\n"
		       "  the line the producer fills next: 4 misses per packet on that\n"
		       "  line; zero-batch leaves consumed slots alone until --batch of\n"
		       "  them are behind it; consume-batch also reads a batch of filled\n"
		       "  slots per line transfer\n");
	if (find_row(rows, n, "virtqueue", 0))
		printf("virtqueue: prod = driver (guest), cons = device (vhost): the talk's\n"
		       "  5 misses/packet unbatched and 1.25 at batch 4 are the cons column\n");
}

static void model_json(const struct ring_opts *o, const struct ring_row *rows, int n)
{
	json_t *doc = vk_json_doc("ring-model", 1), *results = json_array();

	vk_jstr(doc, "command", "ring model");
	vk_jint(doc, "ring_size", o->size);
	vk_jstr(doc, "fill", o->full ? "full" : "empty");
	vk_jstr(doc, "vq_layout", o->layout == RING_VQ_SPEC ? "spec" : "talk");
	for (int i = 0; i < n; i++) {
		json_t *row = json_object();

		vk_jstr(row, "algo", rows[i].a->name);
		vk_jset(row, "batch", json_batch(rows[i].batch));
		vk_jset(row, "model", json_model(&rows[i].m));
		json_array_append_new(results, row);
	}
	vk_jset(doc, "results", results);
	vk_json_print(doc, 0);
}

struct ring_chart {
	const struct ring_opts *o;
	const struct ring_row *rows;
	int n;
};

static bool plot_column(const struct ring_row *rows, int n,
			const struct ring_algo *a, bool ops)
{
	const struct ring_row *r = find_row(rows, n, a->name, 0);

	return r && (ops || r->have_model);
}

/* One column per algorithm, one line per batch size; "?" = no value. */
static int write_plot_data(FILE *f, const struct ring_opts *o,
			   const struct ring_row *rows, int n, bool ops)
{
	int ncol = 0;

	fprintf(f, "batch");
	for (int i = 0; i < o->nalgos; i++) {
		if (!plot_column(rows, n, o->algos[i], ops))
			continue;
		fprintf(f, " %s", o->algos[i]->name);
		ncol++;
	}
	fprintf(f, "\n");
	for (int j = 0; j < o->nbatches; j++) {
		fprintf(f, "%u", o->batches[j]);
		for (int i = 0; i < o->nalgos; i++) {
			const struct ring_algo *a = o->algos[i];
			const struct ring_row *r;

			if (!plot_column(rows, n, a, ops))
				continue;
			/* algorithms without a batch are flat lines */
			r = find_row(rows, n, a->name, a->uses_batch ? o->batches[j] : 0);
			if (!r || (!ops && !r->have_model))
				fprintf(f, " ?");
			else if (ops)
				fprintf(f, " %.4f", 1e3 / r->ns_min);
			else
				fprintf(f, " %.4f", model_total(&r->m, -1));
		}
		fprintf(f, "\n");
	}
	return ncol;
}

static int chart_table(FILE *f, int panel, void *arg)
{
	const struct ring_chart *rc = arg;

	return write_plot_data(f, rc->o, rc->rows, rc->n, rc->o->bench && panel == 0);
}

static int make_plot(const struct ring_opts *o, const struct ring_row *rows, int n)
{
	struct ring_chart rc = { o, rows, n };
	char title[200];
	struct vk_chart c = {
		.path = o->plot, .xlabel = "batch size", .logx2 = true,
		.table = chart_table, .arg = &rc,
	};

	if (o->bench) {
		snprintf(title, sizeof(title), "vnetkit ring bench: ring %u, %llu ops, "
			 "consumer work %u, best of %u rounds", o->size,
			 (unsigned long long)o->ops, o->cons_work, o->rounds);
		c.title = title;
		c.npanels = 2;
		c.panel[0].ylabel = "Mops/s";
		c.panel[1].title = "cache model (same code)";
		c.panel[1].ylabel = "misses / packet";
	} else {
		snprintf(title, sizeof(title), "vnetkit ring model: coherence misses per "
			 "packet (MESI, 2 cores), ring %u %s", o->size,
			 o->full ? "full" : "almost empty");
		c.npanels = 1;
		c.panel[0].title = title;
		c.panel[0].ylabel = "misses / packet";
	}
	if (vk_chart_write(&c))
		return -1;
	if (!o->json)
		fprintf(stderr, "ring: plot written to %s\n", o->plot);
	return 0;
}

/* A spinning handoff measures the scheduler when other work shares the
 * CPUs: say so, and how to avoid it. */
static void warn_if_busy(void)
{
	double load = 0;
	FILE *f = fopen("/proc/loadavg", "r");

	if (!f)
		return;
	if (fscanf(f, "%lf", &load) != 1)
		load = 0;
	fclose(f);
	if (load > 1.5)
		fprintf(stderr, "ring bench: load average %.1f: other work will preempt the threads (--rt avoids it)\n",
			load);
}

int cmd_ring(int argc, char **argv)
{
	struct ring_opts o = { 0 };
	struct ring_row *rows = NULL;
	int n = 0, cpu[2] = { -1, -1 }, ret = EXIT_FAIL;
	struct vk_args a;

	ret = vk_cli_parse(&ring_spec, argc, argv, &a);
	if (ret)
		return vk_cli_exit(ret);
	ret = EXIT_FAIL;
	if (parse_opts(&o, &a))
		return EXIT_USAGE;
	if (!o.bench) {
		for (int i = 0; i < o.nalgos; i++) {
			if (o.algos[i] == &ring_kernel_algo) {
				vk_err("--algo kernel",
				       "the kernel header's accesses do not go through the access macro",
				       "model ptr_ring or zero-batch: the same protocol in our code");
				return EXIT_USAGE;
			}
		}
	}
	if (plan_rows(&o, &rows, &n))
		return EXIT_USAGE;
	if (!n) {
		print_unavailable(&o, stderr);
		vk_err(o.bench ? "ring bench" : "ring model", "nothing to run",
		       "every algorithm asked for is unavailable");
		goto out;
	}
	vk_install_signals();
	if (o.bench && o.rt)
		fprintf(stderr, "ring bench: --rt: threads run SCHED_FIFO 1, other work waits during a round\n");
	else if (o.bench)
		warn_if_busy();
	if (run_models(&o, rows, n))
		goto out;
	if (o.bench) {
		int rc = run_bench(&o, rows, n, cpu);

		if (rc == 1) {
			vk_errf("ring bench", NULL, "interrupted during round 1 of %u: no round "
				"completed, no figures", o.rounds_requested);
			if (o.json) {
				json_t *doc = bench_doc(&o);

				vk_jint(doc, "rounds", 0);
				vk_jset(doc, "results", json_array());
				vk_json_print(doc, EXIT_FAIL);
			}
			goto out;
		}
		if (rc)
			goto out;
	}
	/* An interrupted benchmark did not complete: its partial report
	 * is printed, and the exit status (and the document) say so. */
	ret = 0;
	if (o.interrupted) {
		vk_errf("ring bench", NULL, "interrupted after %u of %u rounds: the run did "
			"not complete", o.rounds, o.rounds_requested);
		ret = EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		if (rows[i].errors) {
			vk_errf("ring bench", "a ring bug: order or payload broken under concurrency",
				"%s batch %u: %llu items out of order or corrupted",
				rows[i].a->name, rows[i].batch,
				(unsigned long long)rows[i].errors);
			ret = EXIT_FAIL;
		}
	}
	if (o.bench) {
		if (o.json)
			bench_json(&o, rows, n, cpu, ret);
		else
			bench_text(&o, rows, n, cpu);
	} else {
		if (o.json)
			model_json(&o, rows, n);
		else
			model_text(&o, rows, n);
	}
	if (o.plot && make_plot(&o, rows, n))
		ret = EXIT_FAIL;
out:
	free(rows);
	return ret;
}
