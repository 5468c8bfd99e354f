// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vk_cost - QEMU TCG plugin: exact instruction, memory access and simulated
 * cache/coherence miss counts per vCPU, per function and per named data
 * region, inside measurement windows the guest opens and closes itself.
 *
 * Arguments, markers (include/vk_cost_mark.h) and the report format are
 * described in README, "make kernel-cost". Model: a private set-associative
 * LRU L1D per vCPU, one shared LRU last-level cache looked up on L1D misses
 * (non-inclusive: LLC evictions leave L1D copies alone), and a directory on
 * physical lines that classifies each L1D miss as cold, coherence or
 * capacity/conflict. A functional model, not a PMU: no timing, no
 * prefetchers, no write-back traffic.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qemu/qemu-plugin.h>

#if QEMU_PLUGIN_VERSION < 1
#error "vk_cost needs QEMU plugin API version 1 or later"
#endif

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* "VKC" + code in the imm32 of `nopl imm32(%rax)` (include/vk_cost_mark.h) */
#define MARK_IMM	0x564b4300u
#define MARK_OPEN	0x01
#define MARK_CLOSE	0x02
/* the directory keeps one bit per vCPU in a 64-bit mask */
#define MAX_VCPUS	64

enum { KEY_KERNEL, KEY_USER, KEY_FIRST_SYM };

struct counts {
	uint64_t insns, loads, stores, l1d_miss, llc_miss, cold, capconf, coh;
};

struct cache {
	uint64_t *tags;		/* sets * ways, see WAY_TAG; MRU first in a set */
	uint32_t sets, ways;
};

struct vcpu {
	unsigned int idx;
	struct cache l1d;
	uint64_t last;		/* way of the line accessed last (MRU of its set), 0 none */
	struct counts total;
	struct counts *func;	/* [nfuncs] */
	struct counts *region;	/* [nregions] */
};

struct func {
	uint64_t start, end;
	char *name;
};

struct region {
	uint64_t start, len;
	char *name;
};

/* directory entry of one line: who has seen it, who has an up-to-date view */
struct dline {
	uint64_t line;		/* line number + 1, 0 = empty slot */
	uint64_t seen;		/* vCPUs that ever accessed it (else: cold) */
	uint64_t fresh;		/* vCPUs that accessed it since the last foreign store */
};

static struct {
	FILE *out;
	char *out_path;
	bool always;
	bool system;
	uint32_t l1_size, l1_ways, llc_size, llc_ways, line;
	unsigned int line_shift;
	struct func *funcs;
	size_t nfuncs;
	struct region *regions;
	size_t nregions;
} cfg = {
	.l1_size = 32768, .l1_ways = 8, .llc_size = 2097152, .llc_ways = 16, .line = 64,
};

static bool window_open;
static uint64_t windows;

/*
 * The shared model (LLC, directory, other vCPUs' L1D that a store
 * invalidates) must see one access at a time. A lock on every access costs
 * about a third of the plugin's time, so it is taken only where callbacks
 * can really run in parallel:
 * - user mode (qemu-x86_64): every guest thread is a host thread. QEMU 7.2
 *   creates a new thread's vCPU, and calls vcpu_init, in the parent thread
 *   inside the clone syscall, before the child runs and while no callback
 *   is in flight; from the second vCPU on, every access takes the lock.
 * - system mode: runs use -accel tcg,thread=single, where one host thread
 *   runs all vCPUs in turn. A callback from a second host thread (MTTCG)
 *   stops QEMU with an error instead of racing.
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool parallel;
static unsigned long serial_thread;

static struct vcpu *vcpus[MAX_VCPUS];
static unsigned int nvcpus;
static struct cache llc;
static struct dline *dir;
static uint64_t dir_mask, dir_used;

/* Stop QEMU without a report: a partial one would read as a measurement. */
static void __attribute__((noreturn)) fatal(const char *msg)
{
	fprintf(stderr, "vnetkit cost: %s\n", msg);
	if (cfg.out)		/* created by us, at install */
		unlink(cfg.out_path);
	_exit(1);
}

static void die_oom(void)
{
	fatal("out of memory (a smaller sym= table or fewer vCPUs)");
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	if (!p)
		die_oom();
	return p;
}

static void cache_init(struct cache *c, uint32_t size, uint32_t ways)
{
	c->ways = ways;
	c->sets = size / (ways * cfg.line);
	c->tags = xcalloc((size_t)c->sets * ways, sizeof(*c->tags));
}

/*
 * A way holds (line number + 1) << 1 | E, 0 when empty; MRU first. E marks
 * the only copy among all L1Ds (the directory's fresh mask is this vCPU
 * alone): load hits and stores to such a line need no directory look-up.
 */
#define WAY_E		1ull
#define WAY_TAG(line)	(((line) + 1) << 1)

static inline uint64_t *cache_set(struct cache *c, uint64_t line)
{
	return c->tags + (line & (c->sets - 1)) * c->ways;
}

static inline uint64_t *cache_find(struct cache *c, uint64_t line)
{
	uint64_t *set = cache_set(c, line);

	for (uint32_t w = 0; w < c->ways; w++)
		if ((set[w] & ~WAY_E) == WAY_TAG(line))
			return &set[w];
	return NULL;
}

/* Look up a line and make it MRU; returns its way (now the set's first) or NULL. */
static inline uint64_t *cache_touch(struct cache *c, uint64_t line)
{
	uint64_t *set = cache_set(c, line), *way = cache_find(c, line), tag;

	if (!way)
		return NULL;
	tag = *way;
	for (; way > set; way--)
		*way = way[-1];
	set[0] = tag;
	return set;
}

/* Insert a line as MRU, dropping the LRU way. */
static inline void cache_insert(struct cache *c, uint64_t line, uint64_t flags)
{
	uint64_t *set = cache_set(c, line);

	for (uint32_t w = c->ways - 1; w > 0; w--)
		set[w] = set[w - 1];
	set[0] = WAY_TAG(line) | flags;
}

static void cache_invalidate(struct cache *c, uint64_t line)
{
	uint64_t *set = cache_set(c, line), *way = cache_find(c, line);

	if (way) {
		memmove(way, way + 1, (c->ways - 1 - (way - set)) * sizeof(*set));
		set[c->ways - 1] = 0;
	}
}

static inline uint64_t hash_line(uint64_t line)
{
	return (line * 0x9e3779b97f4a7c15ull) >> 20;
}

static struct dline *dir_slot(struct dline *tab, uint64_t mask, uint64_t line)
{
	uint64_t i = hash_line(line) & mask;

	while (tab[i].line && tab[i].line != line + 1)
		i = (i + 1) & mask;
	return &tab[i];
}

static void dir_grow(void)
{
	uint64_t nmask = dir_mask * 2 + 1;
	struct dline *ntab = xcalloc(nmask + 1, sizeof(*ntab));

	for (uint64_t i = 0; i <= dir_mask; i++)
		if (dir[i].line)
			*dir_slot(ntab, nmask, dir[i].line - 1) = dir[i];
	free(dir);
	dir = ntab;
	dir_mask = nmask;
}

static struct dline *dir_get(uint64_t line)
{
	struct dline *d = dir_slot(dir, dir_mask, line);

	if (d->line)
		return d;
	if (2 * (dir_used + 1) > dir_mask + 1) {
		dir_grow();
		d = dir_slot(dir, dir_mask, line);
	}
	dir_used++;
	d->line = line + 1;
	return d;
}

static struct vcpu *vcpu_create(unsigned int idx)
{
	struct vcpu *v;

	if (idx >= MAX_VCPUS)
		fatal("more than 64 vCPUs: the directory has one bit per vCPU in 64 (fewer -smp CPUs or guest threads)");
	pthread_mutex_lock(&lock);
	v = vcpus[idx];
	if (!v) {
		v = xcalloc(1, sizeof(*v));
		v->idx = idx;
		cache_init(&v->l1d, cfg.l1_size, cfg.l1_ways);
		v->func = xcalloc(cfg.nfuncs, sizeof(*v->func));
		v->region = xcalloc(cfg.nregions ? cfg.nregions : 1, sizeof(*v->region));
		vcpus[idx] = v;
		if (idx + 1 > nvcpus)
			nvcpus = idx + 1;
		if (!cfg.system && nvcpus > 1)
			parallel = true;
	}
	pthread_mutex_unlock(&lock);
	return v;
}

static inline struct vcpu *vcpu_get(unsigned int idx)
{
	/* a vCPU's slot is filled by its own thread (or before it starts) */
	struct vcpu *v = idx < MAX_VCPUS ? vcpus[idx] : NULL;

	return v ? v : vcpu_create(idx);
}

static inline void model_lock(void)
{
	if (cfg.system) {
		unsigned long self = (unsigned long)pthread_self(), none = 0;

		if (__builtin_expect(self == __atomic_load_n(&serial_thread, __ATOMIC_RELAXED), 1))
			return;
		if (!__atomic_compare_exchange_n(&serial_thread, &none, self, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			fatal("vCPUs run in parallel host threads: the cache model needs them in turn (run QEMU with -accel tcg,thread=single)");
	} else if (parallel) {
		pthread_mutex_lock(&lock);
	}
}

static inline void model_unlock(void)
{
	if (!cfg.system && parallel)
		pthread_mutex_unlock(&lock);
}

static void vcpu_init_cb(qemu_plugin_id_t id, unsigned int idx)
{
	vcpu_create(idx);
}

static inline bool counting(void)
{
	return __atomic_load_n(&window_open, __ATOMIC_RELAXED);
}

static void insn_cb(unsigned int vcpu_idx, void *udata)
{
	if (!counting())
		return;
	struct vcpu *v = vcpu_get(vcpu_idx);

	v->total.insns++;
	v->func[(uintptr_t)udata].insns++;
}

static void mark_cb(unsigned int vcpu_idx, void *udata)
{
	if ((uintptr_t)udata == MARK_OPEN) {
		if (!__atomic_exchange_n(&window_open, true, __ATOMIC_SEQ_CST))
			__atomic_fetch_add(&windows, 1, __ATOMIC_SEQ_CST);
	} else {
		__atomic_store_n(&window_open, false, __ATOMIC_SEQ_CST);
	}
}

static inline void add_miss(struct counts *c, int kind, bool llc_miss)
{
	c->l1d_miss++;
	c->llc_miss += llc_miss;
	c->cold += kind == 0;
	c->coh += kind == 1;
	c->capconf += kind == 2;
}

/*
 * One line touched by an access of vCPU v. Returns -1 on an L1D hit, else
 * the miss kind: 0 cold, 1 coherence, 2 capacity/conflict; *llc_miss tells
 * whether the shared cache missed too. Called between model_lock/unlock.
 */
static int line_access(struct vcpu *v, uint64_t line, bool store, bool *llc_miss)
{
	uint64_t bit = 1ull << v->idx, *way, others;
	struct dline *d;
	int kind = -1;

	*llc_miss = false;
	/* the same line again (loops, the stack): already MRU, nothing changes */
	if ((v->last & ~WAY_E) == WAY_TAG(line) && (!store || (v->last & WAY_E)))
		return -1;
	way = cache_touch(&v->l1d, line);
	/* a copy in this L1D means no other vCPU stored to the line since */
	if (way && (!store || (*way & WAY_E))) {
		v->last = *way;
		return -1;
	}
	d = dir_get(line);
	if (!way) {
		if (!(d->seen & bit))
			kind = 0;
		else if (!(d->fresh & bit))
			kind = 1;
		else
			kind = 2;
		if (!cache_touch(&llc, line)) {
			*llc_miss = true;
			cache_insert(&llc, line, 0);
		}
		cache_insert(&v->l1d, line, 0);
		way = v->l1d.tags + (line & (v->l1d.sets - 1)) * v->l1d.ways;
	}
	d->seen |= bit;
	/* only vCPUs with a fresh view can hold the line in their L1D */
	others = d->fresh & ~bit;
	while (others) {
		struct vcpu *ov = vcpus[__builtin_ctzll(others)];
		bool was_last;
		uint64_t *ow;

		others &= others - 1;
		if (!ov)
			continue;
		was_last = (ov->last & ~WAY_E) == WAY_TAG(line);
		if (store) {
			cache_invalidate(&ov->l1d, line);
			if (was_last)
				ov->last = 0;
		} else if ((ow = cache_find(&ov->l1d, line))) {
			*ow &= ~WAY_E;
			if (was_last)
				ov->last = *ow;
		}
	}
	d->fresh = store ? bit : d->fresh | bit;
	if (d->fresh == bit)
		*way |= WAY_E;
	v->last = *way;
	return kind;
}

static void mem_cb(unsigned int vcpu_idx, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
	if (!counting())
		return;
	struct vcpu *v = vcpu_get(vcpu_idx);
	struct counts *f = &v->func[(uintptr_t)udata];
	bool store = qemu_plugin_mem_is_store(info);
	uint64_t size = 1ull << qemu_plugin_mem_size_shift(info);
	struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, vaddr);
	uint64_t paddr = vaddr;
	size_t r;

	if (store) {
		v->total.stores++;
		f->stores++;
	} else {
		v->total.loads++;
		f->loads++;
	}
	for (r = 0; r < cfg.nregions; r++) {
		struct region *rg = &cfg.regions[r];

		if (vaddr < rg->start + rg->len && vaddr + size > rg->start) {
			if (store)
				v->region[r].stores++;
			else
				v->region[r].loads++;
		}
	}
	/* device memory is not cached; user mode has no physical addresses */
	if (hw) {
		if (qemu_plugin_hwaddr_is_io(hw))
			return;
		paddr = qemu_plugin_hwaddr_phys_addr(hw);
	}

	model_lock();
	/* an access that straddles a line boundary touches both lines */
	for (uint64_t off = 0; off < size;) {
		uint64_t va = vaddr + off, pa = paddr + off;
		uint64_t piece = cfg.line - (va & (cfg.line - 1));
		bool llc_miss;
		int kind;

		if (piece > size - off)
			piece = size - off;
		if (off && hw && ((va ^ vaddr) >> 12)) {
			/* the next page's frame is not contiguous in general */
			struct qemu_plugin_hwaddr *hw2 = qemu_plugin_get_hwaddr(info, va);

			if (hw2 && !qemu_plugin_hwaddr_is_io(hw2))
				pa = qemu_plugin_hwaddr_phys_addr(hw2);
		}
		kind = line_access(v, pa >> cfg.line_shift, store, &llc_miss);
		if (kind >= 0) {
			add_miss(&v->total, kind, llc_miss);
			add_miss(f, kind, llc_miss);
			for (r = 0; r < cfg.nregions; r++) {
				struct region *rg = &cfg.regions[r];

				if (va < rg->start + rg->len && va + piece > rg->start)
					add_miss(&v->region[r], kind, llc_miss);
			}
		}
		off += piece;
	}
	model_unlock();
}

static uintptr_t func_key(uint64_t pc)
{
	size_t lo = KEY_FIRST_SYM, hi = cfg.nfuncs;

	/* first symbol starting above pc; the one before it may contain pc */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cfg.funcs[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > KEY_FIRST_SYM && pc < cfg.funcs[lo - 1].end)
		return lo - 1;
	/* x86-64 kernels live in the upper half of the address space */
	return cfg.system && (pc >> 63) ? KEY_KERNEL : KEY_USER;
}

static int mark_code(struct qemu_plugin_insn *insn)
{
	const uint8_t *b = qemu_plugin_insn_data(insn);
	uint32_t imm;

	if (qemu_plugin_insn_size(insn) != 7 || b[0] != 0x0f || b[1] != 0x1f || b[2] != 0x80)
		return 0;
	memcpy(&imm, b + 3, 4);	/* x86 is little-endian, like the host */
	if ((imm & ~0xffu) != MARK_IMM)
		return 0;
	imm &= 0xff;
	return imm == MARK_OPEN || imm == MARK_CLOSE ? (int)imm : 0;
}

static void tb_trans_cb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		int mark = cfg.always ? 0 : mark_code(insn);
		void *key;

		if (mark) {
			/* markers toggle the window and are never counted */
			qemu_plugin_register_vcpu_insn_exec_cb(insn, mark_cb, QEMU_PLUGIN_CB_NO_REGS,
							       (void *)(uintptr_t)mark);
			continue;
		}
		key = (void *)func_key(qemu_plugin_insn_vaddr(insn));
		qemu_plugin_register_vcpu_insn_exec_cb(insn, insn_cb, QEMU_PLUGIN_CB_NO_REGS, key);
		qemu_plugin_register_vcpu_mem_cb(insn, mem_cb, QEMU_PLUGIN_CB_NO_REGS,
						 QEMU_PLUGIN_MEM_RW, key);
	}
}

static bool has_counts(const struct counts *c)
{
	return c->insns || c->loads || c->stores || c->l1d_miss || c->llc_miss;
}

static void put_row(FILE *f, const char *kind, unsigned int vcpu, const char *name,
		    const struct counts *c)
{
	if (!has_counts(c))
		return;
	fprintf(f, "%s\t%u\t%s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
		"\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\n", kind, vcpu, name, c->insns, c->loads,
		c->stores, c->l1d_miss, c->llc_miss, c->cold, c->capconf, c->coh);
}

static void atexit_cb(qemu_plugin_id_t id, void *udata)
{
	FILE *f = cfg.out;
	unsigned int i;
	size_t k;

	pthread_mutex_lock(&lock);
	fprintf(f, "# vk_cost/1 vcpus=%u windows=%" PRIu64 " l1d=%u:%u:%u llc=%u:%u:%u\n",
		nvcpus, __atomic_load_n(&windows, __ATOMIC_SEQ_CST), cfg.l1_size, cfg.l1_ways,
		cfg.line, cfg.llc_size, cfg.llc_ways, cfg.line);
	fprintf(f, "#kind\tvcpu\tname\tinsns\tloads\tstores\tl1d_miss\tllc_miss\tcold\tcapconf\tcoh\n");
	for (i = 0; i < nvcpus; i++)
		if (vcpus[i])
			put_row(f, "total", i, "-", &vcpus[i]->total);
	for (i = 0; i < nvcpus; i++)
		for (k = 0; vcpus[i] && k < cfg.nfuncs; k++)
			put_row(f, "func", i, cfg.funcs[k].name, &vcpus[i]->func[k]);
	for (i = 0; i < nvcpus; i++)
		for (k = 0; vcpus[i] && k < cfg.nregions; k++)
			put_row(f, "region", i, cfg.regions[k].name, &vcpus[i]->region[k]);
	if (fclose(f))
		fprintf(stderr, "vnetkit cost: out=%s: write failed: %s\n", cfg.out_path,
			strerror(errno));
	pthread_mutex_unlock(&lock);
}

/* ---- arguments ---- */

static int bad(const char *what, const char *why, const char *hint)
{
	fprintf(stderr, "vnetkit cost: %s: %s (%s)\n", what, why, hint);
	return -1;
}

static int cmp_u64(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* by start; equal starts keep file order so the first alias wins */
static int cmp_func(const void *a, const void *b)
{
	const struct func *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* nm -n / System.map: "ADDR TYPE NAME"; a text symbol runs to the next symbol. */
static int load_syms(const char *path)
{
	size_t first = cfg.nfuncs, cap = cfg.nfuncs, naddr = 0, addr_cap = 0, i;
	uint64_t *addrs = NULL;
	char buf[4096], what[4200];
	FILE *f = fopen(path, "r");

	snprintf(what, sizeof(what), "sym=%s", path);
	if (!f)
		return bad(what, strerror(errno), "give a System.map or `nm -n` output file");
	while (fgets(buf, sizeof(buf), f)) {
		char type, name[1024];
		uint64_t addr;

		/* undefined symbols ("U name") have no address and do not match */
		if (sscanf(buf, "%" SCNx64 " %c %1023s", &addr, &type, name) != 3)
			continue;
		if (naddr == addr_cap) {
			addr_cap = addr_cap ? addr_cap * 2 : 4096;
			addrs = realloc(addrs, addr_cap * sizeof(*addrs));
			if (!addrs)
				die_oom();
		}
		addrs[naddr++] = addr;
		if (!strchr("tTwW", type))
			continue;
		if (cfg.nfuncs == cap) {
			cap = cap * 2 + 4096;
			cfg.funcs = realloc(cfg.funcs, cap * sizeof(*cfg.funcs));
			if (!cfg.funcs)
				die_oom();
		}
		cfg.funcs[cfg.nfuncs].start = addr;
		cfg.funcs[cfg.nfuncs].end = addr;
		cfg.funcs[cfg.nfuncs].name = strdup(name);
		if (!cfg.funcs[cfg.nfuncs].name)
			die_oom();
		cfg.nfuncs++;
	}
	fclose(f);
	if (cfg.nfuncs == first) {
		free(addrs);
		return bad(what, "no text symbols (t/T/w/W) in it",
			   "expected `ADDR TYPE NAME` lines from System.map or nm -n");
	}
	qsort(addrs, naddr, sizeof(*addrs), cmp_u64);
	for (i = first; i < cfg.nfuncs; i++) {
		struct func *fn = &cfg.funcs[i];
		size_t lo = 0, hi = naddr;

		/* first address above the start; none: the symbol has no known size */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (addrs[mid] <= fn->start)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < naddr)
			fn->end = addrs[lo];
	}
	free(addrs);
	return 0;
}

/* "SIZE:WAYS:LINE", all powers of two, at least one set */
static int parse_cache(const char *key, const char *val, uint32_t *size, uint32_t *ways,
		       uint32_t *line)
{
	unsigned long s, w, l;
	char what[256], end;

	snprintf(what, sizeof(what), "%s=%s", key, val);
	if (sscanf(val, "%lu:%lu:%lu%c", &s, &w, &l, &end) != 3)
		return bad(what, "expected SIZE:WAYS:LINE", "e.g. 32768:8:64");
	if (!s || !w || !l || (s & (s - 1)) || (w & (w - 1)) || (l & (l - 1)) || s > (1ul << 31) ||
	    l < 8 || s < w * l)
		return bad(what, "sizes must be powers of two with SIZE >= WAYS * LINE >= 8",
			   "e.g. 32768:8:64");
	*size = s;
	*ways = w;
	*line = l;
	return 0;
}

/* "NAME:0xSTART:0xLEN" */
static int parse_region(const char *val)
{
	const char *c1 = strchr(val, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	char what[512], *end;
	struct region rg;

	snprintf(what, sizeof(what), "region=%s", val);
	if (!c1 || !c2 || c1 == val || strchr(val, '\t'))
		return bad(what, "expected NAME:0xSTART:0xLEN", "e.g. region=vq.desc:0x7f0000001000:0x400");
	errno = 0;
	rg.start = strtoull(c1 + 1, &end, 16);
	if (errno || end != c2 || end == c1 + 1)
		return bad(what, "START is not a hexadecimal address", "e.g. 0x4c6000");
	rg.len = strtoull(c2 + 1, &end, 16);
	if (errno || *end || end == c2 + 1 || !rg.len || rg.start + rg.len < rg.start)
		return bad(what, "LEN is not a non-zero hexadecimal length inside the address space",
			   "e.g. 0x400");
	rg.name = strndup(val, c1 - val);
	cfg.regions = realloc(cfg.regions, (cfg.nregions + 1) * sizeof(*cfg.regions));
	if (!rg.name || !cfg.regions)
		die_oom();
	cfg.regions[cfg.nregions++] = rg;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	uint32_t llc_line = 64;

	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		const char *val = eq ? eq + 1 : "";
		size_t klen = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
		char key[64];

		snprintf(key, sizeof(key), "%.*s", (int)klen, argv[i]);
		if (!eq)
			return bad(argv[i], "argument without a value", "arguments are key=value");
		if (!strcmp(key, "out")) {
			if (!*val)
				return bad("out=", "empty path", "out=FILE");
			cfg.out_path = strdup(val);
		} else if (!strcmp(key, "sym")) {
			if (load_syms(val))
				return -1;
		} else if (!strcmp(key, "region")) {
			if (parse_region(val))
				return -1;
		} else if (!strcmp(key, "l1d")) {
			if (parse_cache(key, val, &cfg.l1_size, &cfg.l1_ways, &cfg.line))
				return -1;
		} else if (!strcmp(key, "llc")) {
			if (parse_cache(key, val, &cfg.llc_size, &cfg.llc_ways, &llc_line))
				return -1;
		} else if (!strcmp(key, "window")) {
			if (!strcmp(val, "always"))
				cfg.always = true;
			else if (!strcmp(val, "marks"))
				cfg.always = false;
			else
				return bad(argv[i], "unknown window mode", "window=always or window=marks");
		} else {
			return bad(argv[i], "unknown argument",
				   "known: out=, sym=, region=, l1d=, llc=, window=");
		}
	}
	if (!cfg.out_path)
		return bad("out=", "missing", "the report path is required: out=FILE");
	if (llc_line != cfg.line)
		return bad("llc=", "line size differs from l1d's",
			   "one line size for both levels and the directory");
	return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	/* rows 0 and 1 collect instructions outside every known symbol */
	cfg.funcs = xcalloc(KEY_FIRST_SYM, sizeof(*cfg.funcs));
	cfg.funcs[KEY_KERNEL].name = "[kernel]";
	cfg.funcs[KEY_USER].name = "[user]";
	cfg.nfuncs = KEY_FIRST_SYM;
	if (parse_args(argc, argv))
		return -1;
	if (cfg.nfuncs > KEY_FIRST_SYM) {
		size_t i, n = KEY_FIRST_SYM;

		qsort(cfg.funcs + KEY_FIRST_SYM, cfg.nfuncs - KEY_FIRST_SYM, sizeof(*cfg.funcs),
		      cmp_func);
		for (i = KEY_FIRST_SYM; i < cfg.nfuncs; i++) {
			if (n > KEY_FIRST_SYM && cfg.funcs[n - 1].start == cfg.funcs[i].start) {
				free(cfg.funcs[i].name);
				continue;
			}
			cfg.funcs[n++] = cfg.funcs[i];
		}
		cfg.nfuncs = n;
	}
	cfg.out = fopen(cfg.out_path, "w");
	if (!cfg.out) {
		char what[4200];

		snprintf(what, sizeof(what), "out=%s", cfg.out_path);
		return bad(what, strerror(errno), "the report file must be writable");
	}
	cfg.system = info->system_emulation;
	cfg.line_shift = __builtin_ctz(cfg.line);
	cache_init(&llc, cfg.llc_size, cfg.llc_ways);
	dir_mask = (1u << 16) - 1;
	dir = xcalloc(dir_mask + 1, sizeof(*dir));
	window_open = cfg.always;
	windows = cfg.always;

	qemu_plugin_register_vcpu_init_cb(id, vcpu_init_cb);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans_cb);
	qemu_plugin_register_atexit_cb(id, atexit_cb, NULL);
	return 0;
}
