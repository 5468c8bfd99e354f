// SPDX-License-Identifier: GPL-2.0
/* vnetkit xdp status, stats and run's watch: what is attached where, and
 * the verdict counters of vnetkit's programs (the vk_stats map), sampled
 * every --interval and summed up at the end. A watch follows its program
 * while the device lives and the program is vnetkit's. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "netdev.h"
#include "util.h"
#include "vjson.h"
#include "xdp_cmd.h"

/* Wall-clock time of a BPF program's load (load_time is CLOCK_BOOTTIME). */
static time_t load_wall_time(__u64 load_ns)
{
	struct timespec boot, real;

	long long boot_ns, real_ns;

	clock_gettime(CLOCK_BOOTTIME, &boot);
	clock_gettime(CLOCK_REALTIME, &real);
	boot_ns = boot.tv_sec * 1000000000ll + boot.tv_nsec;
	real_ns = real.tv_sec * 1000000000ll + real.tv_nsec;
	return (time_t)((real_ns - (boot_ns - (long long)load_ns)) / 1000000000ll);
}

static const char *fmt_since(__u64 load_ns, char *buf, size_t len)
{
	time_t t = load_wall_time(load_ns);
	struct tm tm;
	char ts[32];

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(buf, len, "%s (%lds ago)", ts, (long)(time(NULL) - t));
	return buf;
}

/* ---- status ---------------------------------------------------------- */

int vk_xdp_cmd_status(const struct vk_xdp_opts *o)
{
	struct if_nameindex *ifs, *it;
	json_t *doc = NULL, *list = NULL;
	int shown = 0, err;

	ifs = if_nameindex();
	if (!ifs) {
		vk_errf("xdp status", NULL, "cannot list interfaces: %s", strerror(errno));
		return EXIT_FAIL;
	}
	if (o->json) {
		doc = vk_json_doc("xdp-status", 1);
		list = json_array();
		vk_jset(doc, "interfaces", list);
	} else {
		printf("%-15s %-8s %6s  %-16s %s\n", "dev", "mode", "id", "program", "since");
	}
	for (it = ifs; it->if_index; it++) {
		struct vk_attached a;
		char since[64] = "", fbuf[96];
		__u64 feat = 0;
		json_t *j;
		int ferr;

		if (o->dev && strcmp(o->dev, it->if_name))
			continue;
		err = vk_xdp_query(it->if_index, &a);
		if (err == -ENODEV)
			continue;	/* went away while listing */
		if (err) {
			vk_xdp_query_failed("xdp status", it->if_name, err);
			if_freenameindex(ifs);
			if (doc)
				vk_json_print(doc, EXIT_FAIL);
			return EXIT_FAIL;
		}
		if (!a.prog_id && !o->dev)
			continue;
		ferr = vk_xdp_features(it->if_index, &feat);
		if (a.prog_id)
			fmt_since(a.load_time_ns, since, sizeof(since));
		if (o->json) {
			j = json_object();
			vk_jstr(j, "dev", it->if_name);
			vk_jint(j, "ifindex", it->if_index);
			vk_jint(j, "prog_id", a.prog_id);
			if (a.prog_id) {
				vk_jstr(j, "mode", a.mode);
				vk_jstr(j, "program", a.name);
				vk_jint(j, "loaded_at", load_wall_time(a.load_time_ns));
				vk_jbool(j, "vnetkit", vk_xdp_is_ours(&a));
				vk_jstr(j, "attach", vk_xdp_attach_how(vk_xdp_link_id(it->if_index)));
			}
			vk_jstr(j, "xdp_features", ferr ? NULL :
				vk_xdp_features_str(feat, fbuf, sizeof(fbuf)));
			json_array_append_new(list, j);
		} else if (a.prog_id) {
			printf("%-15s %-8s %6u  %-16s %s\n", it->if_name, a.mode, a.prog_id,
			       a.name, since);
		} else {
			printf("%-15s %-8s %6s  %-16s\n", it->if_name, "-", "-", "(none)");
		}
		if (!o->json && o->dev)
			printf("xdp features: %s\n", ferr ? "not reported by this kernel" :
			       vk_xdp_features_str(feat, fbuf, sizeof(fbuf)));
		shown++;
	}
	if_freenameindex(ifs);
	if (doc)
		vk_json_print(doc, 0);
	else if (!shown)
		printf("(no XDP programs attached)\n");
	return 0;
}

/* ---- stats / run ----------------------------------------------------- */

/* How a watch ended; in the summary as "end". */
enum watch_end { END_DURATION, END_INTERRUPTED, END_DEVICE_GONE, END_DETACHED,
		 END_REPLACED, END_ERROR };
static const char *const end_names[] = {
	"duration", "interrupted", "device gone", "detached", "replaced", "error",
};

struct sampler {
	int map_fd;
	struct vk_stats first, prev, cur;
	int nsamples;
	json_t *json_samples;	/* collected sample objects for --json */
	double t0;		/* the time column runs on across a replacement */
	__u32 replaced[16];	/* ids of the programs followed before this one */
	int nreplaced;
};

static void stats_copy(struct vk_stats *d, const struct vk_stats *src)
{
	d->t = src->t;
	memcpy(d->total, src->total, sizeof(src->total));
	memcpy(d->rxq, src->rxq, sizeof(src->rxq));
	memcpy(d->cpu, src->cpu, (size_t)src->ncpu * VK_STAT_SLOTS * sizeof(*src->cpu));
}

static int sampler_init(struct sampler *s, int map_fd, bool json)
{
	memset(s, 0, sizeof(*s));
	s->map_fd = map_fd;
	if (vk_stats_init(&s->first) || vk_stats_init(&s->prev) || vk_stats_init(&s->cur))
		return -ENOMEM;
	if (json) {
		s->json_samples = json_array();
		if (!s->json_samples)
			return -ENOMEM;
	}
	if (vk_stats_read(map_fd, &s->first))
		return -errno;
	s->prev.t = s->first.t;
	s->t0 = s->first.t;
	memcpy(s->prev.total, s->first.total, sizeof(s->first.total));
	return 0;
}

static void sampler_free(struct sampler *s)
{
	vk_stats_free(&s->first);
	vk_stats_free(&s->prev);
	vk_stats_free(&s->cur);
	json_decref(s->json_samples);
}

static void print_rate_header(void)
{
	printf("%8s %10s %10s %10s %10s %10s %10s %10s\n", "time", "pkts/s", "drop/s",
	       "pass/s", "tx/s", "redir/s", "abort/s", "errors/s");
}

static int sampler_tick(struct sampler *s, const struct vk_xdp_opts *o)
{
	struct vk_stats tmp;
	double dt, rate[VK_STAT_SLOTS], all = 0, errs = 0;
	int err;

	err = vk_stats_read(s->map_fd, &s->cur);
	if (err)
		return err;
	dt = s->cur.t - s->prev.t;
	if (dt <= 0)
		dt = 1e-9;
	for (int i = 0; i < VK_STAT_SLOTS; i++) {
		rate[i] = (s->cur.total[i].packets - s->prev.total[i].packets) / dt;
		if (i < VK_NR_VERDICTS)
			all += rate[i];
		else
			errs += rate[i];
	}
	if (s->json_samples) {
		json_t *j = json_object();

		vk_jreal(j, "t", s->cur.t - s->t0, 3);
		vk_jreal(j, "pps", all, 1);
		for (int i = 0; i < VK_STAT_SLOTS; i++)
			vk_jreal(j, vk_slot_name(i), rate[i], 1);
		json_array_append_new(s->json_samples, j);
	} else {
		if (s->nsamples % 20 == 0)
			print_rate_header();
		printf("%7.1fs %10.0f %10.0f %10.0f %10.0f %10.0f %10.0f %10.0f\n",
		       s->cur.t - s->t0, all, rate[XDP_DROP], rate[XDP_PASS], rate[XDP_TX],
		       rate[XDP_REDIRECT], rate[XDP_ABORTED], errs);
		if (o->per_rxq)
			for (int q = 0; q < VK_MAX_RXQ; q++) {
				double n = 0;

				for (int v = 0; v < VK_NR_VERDICTS; v++)
					n += s->cur.rxq[q][v].packets - s->prev.rxq[q][v].packets;
				if (n > 0)
					printf("%8s %10.0f  rxq %d\n", "", n / dt, q);
			}
		if (o->per_cpu)
			for (int c = 0; c < s->cur.ncpu; c++) {
				double n = 0;

				for (int v = 0; v < VK_NR_VERDICTS; v++)
					n += s->cur.cpu[c * VK_STAT_SLOTS + v].packets -
					     s->prev.cpu[c * VK_STAT_SLOTS + v].packets;
				if (n > 0)
					printf("%8s %10.0f  cpu %d\n", "", n / dt, c);
			}
		fflush(stdout);
	}
	s->nsamples++;
	tmp = s->prev;
	s->prev = s->cur;
	s->cur = tmp;
	return 0;
}

static json_t *counter_json(const struct vk_xdp_counter *a,
			    const struct vk_xdp_counter *b)
{
	return json_pack("{s:I, s:I}", "packets", (json_int_t)(a->packets - b->packets),
			 "bytes", (json_int_t)(a->bytes - b->bytes));
}

/* Final report: counts since the sampler started (run) or absolute (stats).
 * rc: the exit code, for the --json document. */
static void print_summary(struct sampler *s, const struct vk_xdp_opts *o,
			  const struct vk_attached *a, bool since_start, const char *how,
			  enum watch_end end, int rc)
{
	struct vk_stats *last = &s->prev;	/* most recent read */
	struct vk_stats zero;
	const struct vk_stats *base = since_start ? &s->first : &zero;
	double secs = last->t - s->first.t;
	__u64 pkts = 0;

	memset(&zero, 0, sizeof(zero));
	for (int v = 0; v < VK_NR_VERDICTS; v++)
		pkts += last->total[v].packets - base->total[v].packets;
	if (o->json) {
		json_t *doc = vk_json_doc("xdp-stats", 1), *j, *arr;

		vk_jstr(doc, "dev", o->dev);
		vk_jint(doc, "prog_id", a->prog_id);
		vk_jstr(doc, "program", a->name);
		vk_jstr(doc, "mode", a->mode);
		vk_jstr(doc, "attach", how);
		vk_jstr(doc, "end", end_names[end]);
		vk_jbool(doc, "interrupted", end == END_INTERRUPTED);
		arr = json_array();
		for (int i = 0; i < s->nreplaced; i++)
			json_array_append_new(arr, json_integer(s->replaced[i]));
		vk_jset(doc, "replaced_from", arr);
		vk_jreal(doc, "seconds", secs, 3);
		vk_ju64(doc, "packets", pkts);
		vk_jreal(doc, "pps", secs > 0 ? pkts / secs : 0.0, 1);
		j = json_object();
		for (int i = 0; i < VK_STAT_SLOTS; i++)
			vk_jset(j, vk_slot_name(i), counter_json(&last->total[i], &base->total[i]));
		vk_jset(doc, "total", j);
		arr = json_array();
		for (int q = 0; q < VK_MAX_RXQ; q++) {
			__u64 n = 0;

			for (int v = 0; v < VK_NR_VERDICTS; v++)
				n += last->rxq[q][v].packets - base->rxq[q][v].packets;
			if (!n)
				continue;
			j = json_object();
			vk_jint(j, "queue", q);
			for (int i = 0; i < VK_STAT_SLOTS; i++)
				vk_jset(j, vk_slot_name(i), counter_json(&last->rxq[q][i],
									 &base->rxq[q][i]));
			json_array_append_new(arr, j);
		}
		vk_jset(doc, "rxq", arr);
		arr = json_array();
		for (int c = 0; c < last->ncpu; c++) {
			__u64 n = 0;

			for (int v = 0; v < VK_NR_VERDICTS; v++)
				n += last->cpu[c * VK_STAT_SLOTS + v].packets -
				     (since_start ? base->cpu[c * VK_STAT_SLOTS + v].packets : 0);
			if (!n)
				continue;
			json_array_append_new(arr, json_pack("{s:i, s:I}", "cpu", c,
							     "packets", (json_int_t)n));
		}
		vk_jset(doc, "cpu", arr);
		vk_jset(doc, "samples", json_incref(s->json_samples ? s->json_samples :
						      json_array()));
		if (rc && !vk_ctx.have_err)
			vk_errf(o->sub, NULL, "the watch ended early: %s", end_names[end]);
		vk_json_print(doc, rc);
		return;
	}
	printf("%s: %s (prog id %u, %s mode, attached through %s)%s%s\n", o->dev, a->name,
	       a->prog_id, a->mode, how, since_start ? "" : ", counted since load",
	       s->nreplaced ? ", counted since it replaced the previous program" : "");
	if (end != END_DURATION)
		printf("  ended early: %s%s\n", end_names[end],
		       end == END_INTERRUPTED && !o->duration ?
		       " (no --duration: Ctrl-C ends it)" : "");
	printf("  %-10s %14s %16s\n", "verdict", "packets", "bytes");
	for (int i = 0; i < VK_STAT_SLOTS; i++) {
		__u64 p = last->total[i].packets - base->total[i].packets;
		__u64 b = last->total[i].bytes - base->total[i].bytes;

		if (p || i == XDP_DROP || i == XDP_PASS || i == XDP_TX || i == XDP_REDIRECT)
			printf("  %-10s %14llu %16llu\n", vk_slot_name(i),
			       (unsigned long long)p, (unsigned long long)b);
	}
	if (since_start && secs > 0) {
		char r[32];

		printf("  %llu packets in %.2fs: %s pps\n", (unsigned long long)pkts, secs,
		       vk_fmt_rate(r, sizeof(r), pkts / secs));
	}
}

/* Is the program we count still the one on the device, and the device
 * still there? A vanished device or a detached program ends the watch; a
 * program replaced by another vnetkit program is followed (its own
 * counters, from zero); one replaced by a foreign program ends it. */
static enum watch_end follow(struct sampler *s, const struct vk_xdp_opts *o,
			     struct vk_attached *a, bool own_link)
{
	const char *what = own_link ? "xdp run" : "xdp stats";
	char name[IF_NAMESIZE];
	struct vk_attached now;
	int fd, err = 0;

	if (if_indextoname(o->ifindex, name) && !strcmp(name, o->dev) && !own_link)
		err = vk_xdp_query(o->ifindex, &now);
	if (!if_indextoname(o->ifindex, name) || strcmp(name, o->dev) || err == -ENODEV) {
		vk_errf(what, NULL, "device %s (ifindex %d) vanished", o->dev, o->ifindex);
		return END_DEVICE_GONE;
	}
	if (own_link)
		return END_DURATION;	/* our bpf_link: nobody can swap the program */
	if (err) {
		vk_xdp_query_failed(what, o->dev, err);
		return END_ERROR;
	}
	if (now.prog_id == a->prog_id)
		return END_DURATION;
	if (!now.prog_id) {
		vk_errf("xdp stats", NULL, "program id %u '%s' was detached from %s",
			a->prog_id, a->name, o->dev);
		return END_DETACHED;
	}
	if (!vk_xdp_is_ours(&now)) {
		vk_errf("xdp stats", NULL, "program id %u on %s was replaced by id %u '%s', "
			"which vnetkit did not load (no %s map to read)", a->prog_id, o->dev,
			now.prog_id, now.name, VK_STATS_MAP_NAME);
		return END_REPLACED;
	}
	fd = bpf_map_get_fd_by_id(now.stats_map_id);
	if (fd < 0)
		return END_REPLACED;
	if (!o->json)
		printf("program on %s replaced: id %u '%s' -> id %u '%s'; following it "
		       "(its counters)\n", o->dev, a->prog_id, a->name, now.prog_id, now.name);
	close(s->map_fd);
	s->map_fd = fd;
	if (s->nreplaced < (int)ARRAY_SIZE(s->replaced))
		s->replaced[s->nreplaced++] = a->prog_id;
	/* From here on the new program's counters: the summary covers it
	 * alone, since the switch. */
	if (vk_stats_read(fd, &s->first))
		return END_ERROR;
	stats_copy(&s->prev, &s->first);
	*a = now;
	return END_DURATION;
}

static enum watch_end watch(struct sampler *s, const struct vk_xdp_opts *o, bool timed,
			    struct vk_attached *a, bool own_link)
{
	double start = vk_now(), next = start + o->interval;
	enum watch_end end;

	while (!vk_stop) {
		double now = vk_now();

		if (timed && o->duration > 0 && now - start >= o->duration)
			break;
		if (now < next) {
			double until = next - now;

			if (timed && o->duration > 0 && start + o->duration < next)
				until = start + o->duration - now;
			vk_sleep(until > 0 ? until : 0);
			continue;
		}
		end = follow(s, o, a, own_link);
		if (end != END_DURATION)
			return end;
		if (sampler_tick(s, o))
			return END_ERROR;
		next += o->interval;
	}
	end = follow(s, o, a, own_link);
	if (end != END_DURATION)
		return end;
	if (sampler_tick(s, o))
		return END_ERROR;
	return vk_stop ? END_INTERRUPTED : END_DURATION;
}

static int open_stats(const char *what, const struct vk_xdp_opts *o,
		      struct vk_attached *a)
{
	int err = vk_xdp_query(o->ifindex, a), fd;

	if (err) {
		vk_xdp_query_failed(what, o->dev, err);
		return -1;
	}
	if (!a->prog_id) {
		vk_errf(what, "attach one: vnetkit xdp attach --dev IF --action ...",
			"%s has no XDP program attached", o->dev);
		return -1;
	}
	if (!a->stats_map_id) {
		vk_errf(what, "use bpftool prog show / bpftool map dump for other programs",
			"the program on %s (id %u '%s') is not a vnetkit program (no %s map)",
			o->dev, a->prog_id, a->name, VK_STATS_MAP_NAME);
		return -1;
	}
	fd = bpf_map_get_fd_by_id(a->stats_map_id);
	if (fd < 0)
		vk_errf(what, NULL, "cannot open the counters map: %s", strerror(errno));
	return fd;
}

/* Interrupting a run with no --duration is how it ends; with one, the
 * run did not complete. */
static int end_status(const struct vk_xdp_opts *o, enum watch_end end)
{
	if (end == END_DURATION)
		return 0;
	if (end == END_INTERRUPTED && !o->duration)
		return 0;
	return EXIT_FAIL;
}

int vk_xdp_cmd_stats(const struct vk_xdp_opts *o)
{
	enum watch_end end = END_DURATION;
	bool timed = o->timed;
	struct vk_attached a;
	struct sampler s;
	int fd, ret;

	fd = open_stats("xdp stats", o, &a);
	if (fd < 0)
		return EXIT_FAIL;
	if (sampler_init(&s, fd, o->json)) {
		vk_err("xdp stats", "cannot read counters", NULL);
		ret = EXIT_FAIL;
		goto out;
	}
	if (timed) {
		vk_install_signals();
		end = watch(&s, o, true, &a, false);
	} else {
		stats_copy(&s.prev, &s.first);
	}
	ret = end_status(o, end);
	print_summary(&s, o, &a, timed, vk_xdp_attach_how(vk_xdp_link_id(o->ifindex)), end, ret);
out:
	close(s.map_fd);
	sampler_free(&s);
	return ret;
}

int vk_xdp_cmd_run(const struct vk_xdp_opts *o)
{
	struct vk_xdp_attachment st;
	enum watch_end end;
	struct vk_attached a;
	struct sampler s;

	vk_install_signals();
	if (vk_xdp_attach(o, &st, true))
		return EXIT_FAIL;
	if (!o->json)
		vk_xdp_print_attached(o, &st);
	/* Described from our own fds: no BPF_PROG_GET_FD_BY_ID, so run needs
	 * no CAP_SYS_ADMIN. */
	memset(&a, 0, sizeof(a));
	a.prog_id = vk_bpf_obj_id(bpf_program__fd(st.x.prog));
	a.mode = st.mode;
	snprintf(a.name, sizeof(a.name), "%s", bpf_program__name(st.x.prog));
	if (sampler_init(&s, bpf_map__fd(st.x.stats), o->json)) {
		vk_err("xdp run", "cannot read counters", NULL);
		vk_xdp_release(&st, true);
		return EXIT_FAIL;
	}
	end = watch(&s, o, true, &a, true);
	if (!o->json)
		printf("%s, detaching\n", end == END_INTERRUPTED ? "interrupted" :
		       end == END_DURATION ? "duration reached" : end_names[end]);
	print_summary(&s, o, &a, true, vk_xdp_attach_how(true), end, end_status(o, end));
	sampler_free(&s);
	vk_xdp_release(&st, true);
	return end_status(o, end);
}
