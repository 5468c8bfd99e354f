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
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "ring.h"
#include "util.h"

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

static void usage(FILE *f)
{
	fprintf(f,
"usage: vnetkit ring bench [--algo A[,A..]] [--batch N[,N..]] [--ring-size S]\n"
"                          [--ops M] [--rounds R] [--cons-work W] [--rt] [--json]\n"
"                          [--plot FILE.svg|png]\n"
"       vnetkit ring model [--algo A[,A..]] [--batch N[,N..]] [--ring-size S]\n"
"                          [--fill empty|full] [--vq-layout talk|spec] [--json]\n"
"                          [--plot FILE.svg|png]\n"
"\n"
"  bench  producer and consumer threads pinned to CPUs 0 and 1; every item is\n"
"         checked for order and payload. Reports ops/s (median) and ns/op\n"
"         (min/median over rounds) and ratios to the kernel's own ptr_ring.h\n"
"         and to the unbatched ptr_ring measured in the same run.\n"
"  model  the same ring code with its shared-memory accesses recorded, replayed\n"
"         through a two-core MESI model: coherence misses per packet by\n"
"         structure, producer and consumer side.\n"
"\n"
"  --algo       default: all of\n");
	for (int i = 0; ring_algos[i]; i++)
		fprintf(f, "    %-14s %s\n", ring_algos[i]->name,
			ring_algos[i]->what);
	fprintf(f,
"  --batch      batch size(s), default 16; with --plot and no --batch, a sweep\n"
"               (bench 1,4,16,64; model 1,2,4,...,64)\n"
"  --ring-size  slots/descriptors, default 256 (virtqueue: a power of two)\n"
"  --ops        items per round (bench), default 200000\n"
"  --rounds     rounds (bench), default 5\n"
"  --cons-work  per-item consumer work (bench): W rounds of a 64-bit hash\n"
"               (a few ns each), a stand-in for vhost copying the packet;\n"
"               default 0: the ring alone\n"
"  --rt         bench threads run SCHED_FIFO 1 (root): other work on CPUs 0/1\n"
"               waits while a round runs, instead of preempting one side\n"
"  --fill       model: empty = the consumer keeps up, the ring stays almost\n"
"               empty (default); full = a slow consumer, the producer waits\n"
"               for every slot the consumer frees\n"
"  --vq-layout  model: talk = avail/used idx on their own cache line (default,\n"
"               the talk's figure), spec = virtio 1.0 split layout\n"
"  --plot       write misses/packet (model) or ops/s and misses/packet (bench)\n"
"               against batch size with gnuplot\n");
}

static int parse_algos(struct ring_opts *o, const char *arg)
{
	char *dup = strdup(arg), *save = NULL, *tok;
	int ret = 0;

	if (!dup)
		return -1;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct ring_algo *a = ring_algo_find(tok);

		if (!a) {
			vk_errf("ring: --algo", "list, ptr_ring, zero-batch, consume-batch, produce-batch, virtqueue, kernel",
				"unknown algorithm '%s'", tok);
			ret = -1;
			break;
		}
		if (o->nalgos < (int)ARRAY_SIZE(o->algos))
			o->algos[o->nalgos++] = a;
	}
	free(dup);
	if (!ret && !o->nalgos) {
		vk_err("ring: --algo", "empty list", "name at least one algorithm");
		ret = -1;
	}
	return ret;
}

static int parse_batches(struct ring_opts *o, const char *arg)
{
	char *dup = strdup(arg), *save = NULL, *tok;
	int ret = 0;

	if (!dup)
		return -1;
	o->nbatches = 0;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (o->nbatches == MAX_BATCHES) {
			vk_errf("ring: --batch", NULL, "more than %d batch sizes", MAX_BATCHES);
			ret = -1;
			break;
		}
		if (vk_parse_u64("ring: --batch", tok, 0, RING_SIZE_MAX, &v)) {
			ret = -1;
			break;
		}
		o->batches[o->nbatches++] = v;
	}
	free(dup);
	if (!ret && !o->nbatches) {
		vk_err("ring: --batch", "empty list", "give a batch size such as 16");
		ret = -1;
	}
	o->batch_given = true;
	return ret;
}

/* Fail before a long benchmark, not after it. */
static int plot_dir_check(const char *path)
{
	char *dup = strdup(path);
	const char *slash, *dir;
	int ret = 0;

	if (!dup)
		return -1;
	slash = strrchr(dup, '/');
	if (slash == dup)
		dir = "/";
	else if (slash)
		*(char *)slash = 0, dir = dup;
	else
		dir = ".";
	if (access(dir, W_OK)) {
		vk_errf("ring: --plot", "create the directory or pick another path",
			"cannot write in '%s': %s", dir, strerror(errno));
		ret = -1;
	}
	free(dup);
	return ret;
}

static int parse_opts(struct ring_opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "algo", required_argument, NULL, 'a' },
		{ "batch", required_argument, NULL, 'b' },
		{ "ring-size", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "vq-layout", required_argument, NULL, 'l' },
		{ "cons-work", required_argument, NULL, 'w' },
		{ "fill", required_argument, NULL, 'f' },
		{ "rt", no_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "plot", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vk_opt_seen seen = {};
	uint64_t v;
	int c;

	o->size = 256;
	o->ops = 200000;
	o->rounds = 5;
	o->batches[0] = 16;
	o->nbatches = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		if (c != 'h' && c != '?' && vk_opt_once(&seen, "ring", lopts, c))
			return -1;
		switch (c) {
		case 'a':
			if (parse_algos(o, optarg))
				return -1;
			break;
		case 'b':
			if (parse_batches(o, optarg))
				return -1;
			break;
		case 's':
			if (vk_parse_u64("ring: --ring-size", optarg, 0, RING_SIZE_MAX, &v))
				return -1;
			o->size = v;
			break;
		case 'n':
			if (!o->bench) {
				vk_err("ring model: --ops", "only for ring bench", "the model runs whole laps of the ring");
				return -1;
			}
			if (vk_parse_u64("ring: --ops", optarg, 1, 1ull << 40, &o->ops))
				return -1;
			break;
		case 'r':
			if (!o->bench) {
				vk_err("ring model: --rounds", "only for ring bench", "the model is deterministic");
				return -1;
			}
			if (vk_parse_u64("ring: --rounds", optarg, 1, MAX_ROUNDS, &v))
				return -1;
			o->rounds = v;
			break;
		case 'w':
			if (!o->bench) {
				vk_err("ring model: --cons-work", "only for ring bench", "the model counts misses, not time");
				return -1;
			}
			if (vk_parse_u64("ring: --cons-work", optarg, 0, 100000, &v))
				return -1;
			o->cons_work = v;
			break;
		case 't':
			if (!o->bench) {
				vk_err("ring model: --rt", "only for ring bench", "the model does not run threads");
				return -1;
			}
			o->rt = true;
			break;
		case 'f':
			if (o->bench) {
				vk_err("ring bench: --fill", "only for ring model",
				       "in the benchmark, --cons-work makes the consumer the slow side");
				return -1;
			}
			if (!strcmp(optarg, "empty")) {
				o->full = false;
			} else if (!strcmp(optarg, "full")) {
				o->full = true;
			} else {
				vk_errf("ring: --fill", "empty or full", "unknown fill '%s'", optarg);
				return -1;
			}
			break;
		case 'l':
			if (!strcmp(optarg, "talk")) {
				o->layout = RING_VQ_TALK;
			} else if (!strcmp(optarg, "spec")) {
				o->layout = RING_VQ_SPEC;
			} else {
				vk_errf("ring: --vq-layout", "talk or spec", "unknown layout '%s'", optarg);
				return -1;
			}
			break;
		case 'j':
			o->json = true;
			break;
		case 'p':
			o->plot = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		vk_errf("ring", "see vnetkit ring --help", "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (o->plot) {
		size_t n = strlen(o->plot);

		if (!(n > 4 && (!strcmp(o->plot + n - 4, ".svg") ||
				!strcmp(o->plot + n - 4, ".png")))) {
			vk_errf("ring: --plot", "name the file FILE.svg or FILE.png",
				"cannot tell the format of '%s'", o->plot);
			return -1;
		}
		if (strchr(o->plot, '\'')) {
			vk_errf("ring: --plot", "rename it", "a quote in '%s' would break the gnuplot script",
				o->plot);
			return -1;
		}
		if (plot_dir_check(o->plot))
			return -1;
	}
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
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
		qsort(s, o->rounds, sizeof(double), cmp_double);
		rows[i].ns_min = s[0];
		rows[i].ns_med = o->rounds % 2 ? s[o->rounds / 2] :
			(s[o->rounds / 2 - 1] + s[o->rounds / 2]) / 2;
		rows[i].mops = 1e3 / rows[i].ns_med;
		if (!rows[i].a->produce_locked_loop)
			continue;
		memcpy(s, rows[i].loop_thr, sizeof(double) * o->rounds);
		qsort(s, o->rounds, sizeof(double), cmp_double);
		rows[i].loop_thr_min = s[0];
		rows[i].loop_thr_med = o->rounds % 2 ? s[o->rounds / 2] :
			(s[o->rounds / 2 - 1] + s[o->rounds / 2]) / 2;
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

static void json_model(const struct ring_model_result *m)
{
	static const char *const side_name[2] = { "producer", "consumer" };

	printf("{\"packets\":%llu,\"misses_per_packet\":%.4f,",
	       (unsigned long long)m->packets, model_total(m, -1));
	for (int s = 0; s < 2; s++) {
		printf("\"%s\":{\"misses_per_packet\":%.4f,\"by_structure\":{",
		       side_name[s], model_total(m, s));
		for (int k = 0; k < RT_NR; k++)
			printf("%s\"%s\":%.4f", k ? "," : "", ring_tag_names[k],
			       model_side_tag(m, s, k));
		printf("}},");
	}
	printf("\"by_structure\":{");
	for (int k = 0; k < RT_NR; k++)
		printf("%s\"%s\":%.4f", k ? "," : "", ring_tag_names[k], model_tag(m, k));
	printf("}}");
}

static void json_unavailable(const struct ring_opts *o)
{
	int first = 1;

	printf("\"unavailable\":[");
	for (int i = 0; i < o->nalgos; i++) {
		if (!o->algos[i]->unavailable)
			continue;
		printf("%s{\"algo\":\"%s\",\"reason\":\"%s\"}", first ? "" : ",",
		       o->algos[i]->name, o->algos[i]->unavailable);
		first = 0;
	}
	printf("]");
}

static void bench_json(const struct ring_opts *o, const struct ring_row *rows,
		       int n, const int cpu[2])
{
	const struct ring_row *kern = find_row(rows, n, "kernel", 0);
	const struct ring_row *ptr = find_row(rows, n, "ptr_ring", 0);

	printf("{\"command\":\"ring bench\",\"interrupted\":%s,\"rounds_requested\":%u,",
	       o->interrupted ? "true" : "false", o->rounds_requested);
	printf("\"ring_size\":%u,\"ops\":%llu,\"rounds\":%u,\"cons_work\":%u,\"rt\":%s,",
	       o->size, (unsigned long long)o->ops, o->rounds, o->cons_work,
	       o->rt ? "true" : "false");
	if (cpu[0] >= 0)
		printf("\"cpus\":[%d,%d],", cpu[0], cpu[1]);
	else
		printf("\"cpus\":null,");
	if (kern)
		printf("\"kernel_header\":\"%s\",", ring_kernel_header);
	else
		printf("\"kernel_header\":null,");
	printf("\"results\":[");
	for (int i = 0; i < n; i++) {
		const struct ring_row *r = &rows[i];

		printf("%s{\"algo\":\"%s\",\"batch\":", i ? "," : "", r->a->name);
		if (r->batch)
			printf("%u", r->batch);
		else
			printf("null");
		printf(",\"mops_median\":%.4f,\"ns_per_op_min\":%.2f,\"ns_per_op_median\":%.2f,\"rounds_ns_per_op\":[",
		       r->mops, r->ns_min, r->ns_med);
		for (unsigned int k = 0; k < o->rounds; k++)
			printf("%s%.2f", k ? "," : "", r->ns[k]);
		printf("],\"vs_kernel\":");
		if (kern)
			printf("%.4f", ratio(r, kern));
		else
			printf("null");
		printf(",\"vs_ptr_ring\":");
		if (ptr)
			printf("%.4f", ratio(r, ptr));
		else
			printf("null");
		printf(",\"best_round\":{\"consumer_avg_batch\":%.2f,\"consumer_empty_polls\":%llu,\"producer_full_polls\":%llu}",
		       r->best.cons_calls ? (double)r->best.ops / r->best.cons_calls : 0,
		       (unsigned long long)r->best.cons_empty,
		       (unsigned long long)r->best.prod_full);
		printf(",\"producer_ns_per_entry\":%.2f", r->prod_ns);
		if (r->loop_ns > 0)
			printf(",\"producer_loop_ns_per_entry\":%.2f,\"loop_ns_per_op_min\":%.2f,\"loop_ns_per_op_median\":%.2f",
			       r->loop_ns, r->loop_thr_min, r->loop_thr_med);
		printf(",\"errors\":%llu", (unsigned long long)r->errors);
		if (r->have_model) {
			printf(",\"model\":");
			json_model(&r->m);
		}
		printf("}");
	}
	printf("],");
	json_unavailable(o);
	printf("}\n");
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
	printf("{\"command\":\"ring model\",\"ring_size\":%u,\"fill\":\"%s\",\"vq_layout\":\"%s\",\"results\":[",
	       o->size, o->full ? "full" : "empty",
	       o->layout == RING_VQ_SPEC ? "spec" : "talk");
	for (int i = 0; i < n; i++) {
		printf("%s{\"algo\":\"%s\",\"batch\":", i ? "," : "", rows[i].a->name);
		if (rows[i].batch)
			printf("%u,", rows[i].batch);
		else
			printf("null,");
		printf("\"model\":");
		json_model(&rows[i].m);
		printf("}");
	}
	printf("]}\n");
}

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

static int make_plot(const struct ring_opts *o, const struct ring_row *rows, int n)
{
	char dir[] = "/tmp/vnetkit-ring-plot.XXXXXX", dops[96], dmiss[96], gp[96];
	bool svg = !strcmp(o->plot + strlen(o->plot) - 4, ".svg");
	int ncol, ncol_ops = 0, status, ret = -1;
	FILE *f;
	pid_t pid;

	if (!mkdtemp(dir)) {
		vk_errf("ring: --plot", NULL, "cannot create a temporary directory: %s", strerror(errno));
		return -1;
	}
	snprintf(dops, sizeof(dops), "%s/ops.dat", dir);
	snprintf(dmiss, sizeof(dmiss), "%s/miss.dat", dir);
	snprintf(gp, sizeof(gp), "%s/plot.gp", dir);

	f = fopen(dmiss, "w");
	if (!f)
		goto out_io;
	ncol = write_plot_data(f, o, rows, n, false);
	fclose(f);
	if (o->bench) {
		f = fopen(dops, "w");
		if (!f)
			goto out_io;
		ncol_ops = write_plot_data(f, o, rows, n, true);
		fclose(f);
	}
	f = fopen(gp, "w");
	if (!f)
		goto out_io;
	fprintf(f, "set terminal %s noenhanced size 900,%d font ',11'\n",
		svg ? "svg" : "pngcairo", o->bench ? 900 : 560);
	fprintf(f, "set output '%s'\n", o->plot);
	fprintf(f, "set datafile missing '?'\nset logscale x 2\nset grid\n"
		   "set key outside right top\nset xlabel 'batch size'\n"
		   "set style data linespoints\n");
	if (o->bench)
		fprintf(f, "set multiplot layout 2,1 title 'vnetkit ring bench: ring %u, %llu ops, consumer work %u, best of %u rounds'\n"
			   "set ylabel 'Mops/s'\nset yrange [0:*]\n"
			   "plot for [i=2:%d] '%s' using 1:i title columnhead(i)\n"
			   "set title 'cache model (same code)'\n",
			o->size, (unsigned long long)o->ops, o->cons_work, o->rounds,
			ncol_ops + 1, dops);
	else
		fprintf(f, "set title 'vnetkit ring model: coherence misses per packet (MESI, 2 cores), ring %u %s'\n",
			o->size, o->full ? "full" : "almost empty");
	fprintf(f, "set ylabel 'misses / packet'\nset yrange [0:*]\n"
		   "plot for [i=2:%d] '%s' using 1:i title columnhead(i)\n",
		ncol + 1, dmiss);
	if (o->bench)
		fprintf(f, "unset multiplot\n");
	fclose(f);

	pid = fork();
	if (pid < 0) {
		vk_errf("ring: --plot", NULL, "cannot start gnuplot: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, 1);
		execlp("gnuplot", "gnuplot", gp, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		vk_err("ring: --plot", "gnuplot did not finish", NULL);
	} else if (WEXITSTATUS(status) == 127) {
		vk_err("ring: --plot", "gnuplot not found", "apt-get install gnuplot-nox, or run scripts/setup.sh");
	} else if (WEXITSTATUS(status)) {
		vk_errf("ring: --plot", NULL, "gnuplot failed with status %d writing %s",
			WEXITSTATUS(status), o->plot);
	} else {
		ret = 0;
	}
	goto out;
out_io:
	vk_errf("ring: --plot", NULL, "cannot write in %s: %s", dir, strerror(errno));
out:
	unlink(dops);
	unlink(dmiss);
	unlink(gp);
	rmdir(dir);
	if (!ret && !o->json)
		fprintf(stderr, "ring: plot written to %s\n", o->plot);
	return ret;
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
	const char *sub;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	sub = argv[1];
	if (!strcmp(sub, "bench")) {
		o.bench = true;
	} else if (strcmp(sub, "model")) {
		vk_errf("ring", "bench or model", "unknown subcommand '%s'", sub);
		return EXIT_USAGE;
	}
	if (parse_opts(&o, argc - 1, argv + 1))
		return EXIT_USAGE;
	if (!o.bench) {
		for (int i = 0; i < o.nalgos; i++) {
			if (o.algos[i] == &ring_kernel_algo) {
				vk_err("ring model: kernel",
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
			if (o.json)
				printf("{\"command\":\"ring bench\",\"interrupted\":true,"
				       "\"rounds_requested\":%u,\"rounds\":0,\"results\":[]}\n",
				       o.rounds_requested);
			vk_errf("ring bench", NULL, "interrupted during round 1 of %u: no round "
				"completed, no figures", o.rounds_requested);
			goto out;
		}
		if (rc)
			goto out;
	}
	if (o.bench) {
		if (o.json)
			bench_json(&o, rows, n, cpu);
		else
			bench_text(&o, rows, n, cpu);
	} else {
		if (o.json)
			model_json(&o, rows, n);
		else
			model_text(&o, rows, n);
	}
	if (o.plot && make_plot(&o, rows, n))
		goto out;
	/* An interrupted benchmark did not complete: its partial report
	 * is printed, and the exit status says so. */
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
out:
	free(rows);
	return ret;
}
