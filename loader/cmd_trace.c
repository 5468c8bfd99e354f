// SPDX-License-Identifier: GPL-2.0
/* vnetkit trace: attach per-stage tracing along the TAP / veth / virtio-net
 * / vhost-net path, run for a time, a packet count or a command, then
 * print a report. Each stage uses the best attach method the kernel
 * allows (fentry/fexit, kprobe/kretprobe, tracepoints), probed at start;
 * a stage that cannot be attached is reported with the reason.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "kernel_syms.h"
#include "netns.h"
#include "util.h"
#include "trace_report.h"
#include "trace_stages.h"
#include "trace_events.h"
#include "trace_vhost.h"
#include "trace_path.skel.h"
#include "trace_probe.skel.h"

#define WHAT "trace"

struct ctr_def {
	const char *name;
	__u32 type;
	__u64 config;
};

static const struct ctr_def hw_ctrs[VK_NR_CTR] = {
	{ "cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
	{ "cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES },
	{ "instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
	{ "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "L1-dcache-load-misses", PERF_TYPE_HW_CACHE,
	  PERF_COUNT_HW_CACHE_L1D | (PERF_COUNT_HW_CACHE_OP_READ << 8) |
	  (PERF_COUNT_HW_CACHE_RESULT_MISS << 16) },
};

/* The software stand-in exercises the same open / map / read path. */
static const struct ctr_def sw_ctrs[] = {
	{ "cpu-clock-ns", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
};

struct tracer {
	struct vk_trace_run run;
	struct trace_path_bpf *skel;
	struct bpf_link *links[VK_ST_MAX * 2 + 16];
	int nr_links;
	int *ctr_fds;			/* [VK_NR_CTR][ncpus] */
	int ncpus;
	struct vk_kbtf btf;
	struct vk_ksyms ksyms;
	bool kprobes;
	unsigned int methods;		/* allowed: 1 << enum vk_method */
	int xdp_prog_fd;
	char xdp_func[128];
	struct vk_tp_events events;
	struct vk_vhost_trace vhost;	/* per-queue report (trace_vhost.c) */
};

enum { O_STAGES, O_DEV, O_DURATION, O_PACKETS, O_COUNTERS, O_METHODS,
       O_EVENTS, O_JSON, O_LIST, O_NETNS, O_NR };

static const char *const counter_modes[] = { "hw", "sw", "none", NULL };
/* Bit i of the methods mask: enum vk_method of method_names[i]. */
static const char *const method_names[] = { "fentry", "kprobe", "tp", NULL };
static const int method_bits[] = { VK_M_FENTRY, VK_M_KPROBE, VK_M_TP };

static const struct vk_opt trace_table[O_NR] = {
	[O_STAGES] = { "stages", 's', VK_T_STR, "LIST",
		.help = "comma-separated stage names or groups (tun, veth, virtio_net, "
			"vhost_net, xdp, net, all; vnetkit trace --list names every "
			"stage); default: all" },
	[O_DEV] = { "dev", 'd', VK_T_IFNAME, "IF",
		.help = "count only events of this interface" },
	[O_DURATION] = { "duration", 't', VK_T_DURATION, "S", .fmin = 0.01,
		.fmax = 86400 * 365, .conflicts = 1ull << O_PACKETS,
		.help = "stop after S seconds" },
	[O_PACKETS] = { "packets", 'n', VK_T_INT, "N", .min = 1, .max = UINT64_MAX / 2,
		.unit = "packets",
		.help = "stop once a stage saw N packets: a stop condition checked "
			"every 10 ms, not a cap; the report gives N and the count seen" },
	[O_COUNTERS] = { "counters", 'c', VK_T_ENUM, "M", .values = counter_modes,
		.def = "hw",
		.help = "hw: cache/instruction/cycle counters per packet; sw: cpu-clock "
			"(a software event); none" },
	[O_METHODS] = { "methods", 'm', VK_T_LIST, "LIST", .values = method_names,
		.def = "fentry,kprobe,tp",
		.help = "the attach methods allowed; the best that works is used per "
			"stage, in the order fentry, kprobe, tracepoints" },
	[O_EVENTS] = { "events", 'e', VK_T_STR, "PREFIX",
		.help = "also count every tracepoint named PREFIX* (default vhost_ "
			"when vhost_net stages are traced)" },
	[O_JSON] = { "json", 'j', VK_T_FLAG,
		.help = "one JSON report (schema vnetkit-trace/1); CMD's standard "
			"output goes to standard error" },
	[O_LIST] = { "list", 'l', VK_T_FLAG,
		.conflicts = 1ull << O_DURATION | 1ull << O_PACKETS | 1ull << O_JSON |
			     1ull << O_EVENTS | 1ull << O_COUNTERS,
		.help = "print every stage and how this kernel can trace it" },
	[O_NETNS] = { "netns", 'N', VK_T_NAME, "NS",
		.help = "look up --dev and run CMD in network namespace NS" },
};

static const char *const trace_examples[] = {
	"vnetkit trace --dev vktap0 --stages tun,xdp -- vnetkit gen --tap vktap0",
	"cost per stage while gen writes 1000 frames into the TAP",
	"vnetkit trace --list",
	"every stage and the attach method this kernel allows for it",
	"vnetkit trace --stages net --duration 5 --json",
	"five seconds of the stack's receive path, as JSON",
	NULL,
};

const struct vk_cmd_spec trace_spec = {
	.name = "trace",
	.summary = "trace the per-packet path and report cost per stage",
	.description = "Traces the TAP / veth / virtio-net / vhost-net packet path "
		"per stage: packets, entry->exit and path latency (log2 histograms), "
		"batch sizes, XDP verdicts, perf counters per packet. Each stage uses "
		"the best attach method the kernel allows (fentry/fexit, "
		"kprobe/kretprobe, tracepoints); a stage that cannot be attached is "
		"reported with the reason.\n"
		"It stops after --duration, after --packets at any stage, when CMD "
		"exits (the exit status is then CMD's), or on Ctrl-C. An interrupted "
		"run says so (\"interrupted\" in JSON) and exits 1 when it had an end "
		"condition that did not come. CMD is killed with vnetkit, even on "
		"SIGKILL.",
	.opts = trace_table, .nr_opts = O_NR,
	.args = "[-- CMD [ARG...]]",
	.examples = trace_examples,
	.json_doc = "trace", .json_version = 1,
};

/* ---- method probes ---- */

static int probe_fentry(struct tracer *t, const char *func, int prog_fd)
{
	struct trace_probe_bpf *p = trace_probe_bpf__open();
	struct bpf_link *l;
	int err;

	if (!p)
		return -errno;
	bpf_program__set_autoload(p->progs.probe_kprobe, false);
	err = bpf_program__set_attach_target(p->progs.probe_fentry, prog_fd, func);
	if (!err)
		err = trace_probe_bpf__load(p);
	if (!err) {
		l = bpf_program__attach_trace(p->progs.probe_fentry);
		err = l ? 0 : -errno;
		bpf_link__destroy(l);
	}
	trace_probe_bpf__destroy(p);
	return err;
}

static int probe_kprobe(const char *func)
{
	struct trace_probe_bpf *p = trace_probe_bpf__open();
	struct bpf_link *l;
	int err;

	if (!p)
		return -errno;
	bpf_program__set_autoload(p->progs.probe_fentry, false);
	err = trace_probe_bpf__load(p);
	if (!err) {
		l = bpf_program__attach_kprobe(p->progs.probe_kprobe, false, func);
		err = l ? 0 : -errno;
		bpf_link__destroy(l);
	}
	trace_probe_bpf__destroy(p);
	return err;
}

static const char *fentry_why(int err)
{
	if (err == -EPERM || err == -EACCES)
		return "kernel refuses BPF trampolines";
	if (err == -EOPNOTSUPP || err == -524 /* ENOTSUPP */)
		return "no BPF trampoline support";
	if (err == -ESRCH || err == -ENOENT)
		return "no attach target";
	return NULL;
}

static void fmt_err(char *buf, size_t len, const char *method, int err,
		    const char *why)
{
	if (why)
		snprintf(buf, len, "%s: %s, %s", method, strerrorname_np(-err) ?: "error", why);
	else
		snprintf(buf, len, "%s: %s", method, strerrorname_np(-err) ?: strerror(-err));
}

static void probe_function_stage(struct tracer *t, struct vk_trace_stage *s)
{
	const char *fn = s->def->func;
	char fe[96], kp[96], fb[32], kb[32];
	int err;

	if (!(t->methods & 1u << VK_M_FENTRY)) {
		snprintf(fe, sizeof(fe), "fentry: not in --methods");
		snprintf(fb, sizeof(fb), "fentry off");
	} else if (!vk_kbtf_has(&t->btf, fn, BTF_KIND_FUNC)) {
		snprintf(fe, sizeof(fe), "fentry: not in kernel BTF");
		snprintf(fb, sizeof(fb), "not in BTF");
	} else {
		err = probe_fentry(t, fn, 0);
		if (!err) {
			s->method = VK_M_FENTRY;
			snprintf(s->how, sizeof(s->how), "fentry/fexit %s", fn);
			return;
		}
		fmt_err(fe, sizeof(fe), "fentry", err, fentry_why(err));
		snprintf(fb, sizeof(fb), "fentry %s", strerrorname_np(-err) ?: "error");
	}
	if (!(t->methods & 1u << VK_M_KPROBE)) {
		snprintf(kp, sizeof(kp), "kprobe: not in --methods");
		snprintf(kb, sizeof(kb), "kprobe off");
	} else if (!t->kprobes) {
		snprintf(kp, sizeof(kp), "kprobe: not supported by this kernel");
		snprintf(kb, sizeof(kb), "no kprobes");
	} else if (!vk_ksym_addr(&t->ksyms, fn)) {
		snprintf(kp, sizeof(kp), "kprobe: not in kallsyms once (inlined or ambiguous)");
		snprintf(kb, sizeof(kb), "not in kallsyms");
	} else {
		err = probe_kprobe(fn);
		if (!err) {
			s->method = VK_M_KPROBE;
			snprintf(s->how, sizeof(s->how), "kprobe/kretprobe %s", fn);
			return;
		}
		fmt_err(kp, sizeof(kp), "kprobe", err, NULL);
		snprintf(kb, sizeof(kb), "kprobe %s", strerrorname_np(-err) ?: "error");
	}
	snprintf(s->brief, sizeof(s->brief), "%s, %s", fb, kb);

	if (!(t->methods & 1u << VK_M_TP))
		goto unavailable;
	switch (s->def->fallback) {
	case VK_FB_XMIT:
		if (vk_ksym_addr(&t->ksyms, fn) &&
		    vk_kbtf_has_tp(&t->btf, "net_dev_start_xmit") &&
		    vk_kbtf_has_tp(&t->btf, "net_dev_xmit")) {
			s->method = VK_M_TP;
			snprintf(s->how, sizeof(s->how),
				 "net_dev_{start_,}xmit, ndo=%s",
				 fn);
			return;
		}
		break;
	case VK_FB_NAPI:
		if (vk_ksym_addr(&t->ksyms, fn) && vk_kbtf_has_tp(&t->btf, "napi_poll")) {
			s->method = VK_M_TP;
			snprintf(s->how, sizeof(s->how),
				 "napi_poll, poll=%s (no latency)", fn);
			return;
		}
		break;
	case VK_FB_SYSCALL:
		if (vk_ksym_addr(&t->ksyms, "tun_chr_write_iter") &&
		    vk_kbtf_has_tp(&t->btf, "sys_enter") &&
		    vk_kbtf_has_tp(&t->btf, "sys_exit")) {
			s->method = VK_M_SYSCALL;
			snprintf(s->how, sizeof(s->how),
				 "sys_enter/exit: write(v) on a TAP fd");
			return;
		}
		break;
	case VK_FB_NONE:
		break;
	}
unavailable:
	if (s->def->fallback != VK_FB_NONE && !vk_ksym_addr(&t->ksyms, fn))
		snprintf(s->reason, sizeof(s->reason), "%s; %s; no such function",
			 fe, kp);
	else
		snprintf(s->reason, sizeof(s->reason), "%s; %s", fe, kp);
}

/* The XDP program on --dev: its main function, for fentry/fexit. */
static int find_xdp_prog(struct tracer *t, char *why, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info), id = 0;
	struct bpf_func_info finfo = {};
	const struct btf_type *bt;
	struct btf *btf;
	int fd;

	if (!t->run.dev) {
		snprintf(why, len, "needs --dev with an XDP program");
		return -1;
	}
	if (bpf_xdp_query_id(t->run.ifindex, 0, &id) || !id) {
		snprintf(why, len, "no XDP program on %s", t->run.dev);
		return -1;
	}
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0) {
		snprintf(why, len, "XDP program %u: %s", id, strerror(errno));
		return -1;
	}
	info.nr_func_info = 1;
	info.func_info_rec_size = sizeof(finfo);
	info.func_info = (unsigned long)&finfo;
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) || !info.btf_id ||
	    !info.nr_func_info) {
		snprintf(why, len, "XDP program %u has no BTF", id);
		close(fd);
		return -1;
	}
	btf = btf__load_from_kernel_by_id(info.btf_id);
	bt = btf ? btf__type_by_id(btf, finfo.type_id) : NULL;
	if (!bt) {
		snprintf(why, len, "XDP program %u: cannot read its BTF", id);
		btf__free(btf);
		close(fd);
		return -1;
	}
	snprintf(t->xdp_func, sizeof(t->xdp_func), "%s",
		 btf__name_by_offset(btf, bt->name_off));
	btf__free(btf);
	return fd;
}

static void probe_xdp_prog_stage(struct tracer *t, struct vk_trace_stage *s)
{
	int err;

	if (!(t->methods & 1u << VK_M_FENTRY)) {
		snprintf(s->reason, sizeof(s->reason), "fentry: not in --methods");
		return;
	}
	t->xdp_prog_fd = find_xdp_prog(t, s->reason, sizeof(s->reason));
	if (t->xdp_prog_fd < 0)
		return;
	err = probe_fentry(t, t->xdp_func, t->xdp_prog_fd);
	if (err) {
		fmt_err(s->reason, sizeof(s->reason), "fentry", err,
			fentry_why(err));
		snprintf(s->brief, sizeof(s->brief), "fentry %s",
			 strerrorname_np(-err) ?: "error");
		close(t->xdp_prog_fd);
		t->xdp_prog_fd = -1;
		return;
	}
	s->method = VK_M_FENTRY;
	snprintf(s->how, sizeof(s->how), "fentry/fexit on XDP program %s",
		 t->xdp_func);
}

static void probe_tp_stage(struct tracer *t, struct vk_trace_stage *s)
{
	bool braces = false;
	int i, n;

	if (!(t->methods & 1u << VK_M_TP)) {
		snprintf(s->reason, sizeof(s->reason), "tp: not in --methods");
		return;
	}
	for (i = 0; i < 3 && s->def->tps[i]; i++) {
		if (!vk_kbtf_has_tp(&t->btf, s->def->tps[i])) {
			snprintf(s->reason, sizeof(s->reason),
				 "tracepoint %s not in this kernel", s->def->tps[i]);
			return;
		}
	}
	s->method = VK_M_TP;
	/* Tracepoints sharing the first one's name print as name{,_suffix}. */
	n = snprintf(s->how, sizeof(s->how), "%s", s->def->tps[0]);
	for (i = 1; i < 3 && s->def->tps[i]; i++) {
		size_t l = strlen(s->def->tps[0]);

		if (!strncmp(s->def->tps[i], s->def->tps[0], l)) {
			n += snprintf(s->how + n, sizeof(s->how) - n, "%s%s",
				      braces ? "," : "{,", s->def->tps[i] + l);
			braces = true;
		} else {
			n += snprintf(s->how + n, sizeof(s->how) - n, ",%s",
				      s->def->tps[i]);
		}
	}
	if (braces)
		snprintf(s->how + n, sizeof(s->how) - n, "}");
}

static void probe_stages(struct tracer *t, bool all)
{
	int i;

	if (vk_ksyms_load(&t->ksyms))
		vk_err(WHAT, "cannot read /proc/kallsyms", "kprobe and fallback stages off");
	vk_kbtf_load(&t->btf, NULL);
	t->kprobes = !access("/sys/bus/event_source/devices/kprobe/type", F_OK);
	for (i = 0; i < VK_ST_MAX; i++) {
		struct vk_trace_stage *s = &t->run.st[i];

		if (!all && !s->requested)
			continue;
		if (!t->btf.vmlinux) {
			snprintf(s->reason, sizeof(s->reason),
				 "kernel BTF unavailable (/sys/kernel/btf/vmlinux)");
			continue;
		}
		if (i == VK_ST_XDP_PROG)
			probe_xdp_prog_stage(t, s);
		else if (s->def->func)
			probe_function_stage(t, s);
		else
			probe_tp_stage(t, s);
	}
}

/* ---- stage selection ---- */

static int select_stages(struct tracer *t, const char *list)
{
	char *dup, *tok, *save = NULL;
	int i, rc = 0;

	for (i = 0; i < VK_ST_MAX; i++)
		t->run.st[i].def = &vk_stage_defs[i];
	if (!list) {
		for (i = 0; i < VK_ST_MAX; i++)
			t->run.st[i].requested = true;
		return 0;
	}
	dup = strdup(list);
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool hit = false;

		for (i = 0; i < VK_ST_MAX; i++) {
			if (!strcmp(tok, "all") || !strcmp(tok, vk_stage_defs[i].name) ||
			    !strcmp(tok, vk_stage_defs[i].group)) {
				t->run.st[i].requested = true;
				hit = true;
			}
		}
		if (!hit) {
			vk_errf(WHAT, "see vnetkit trace --list",
				"--stages: unknown stage or group '%s'", tok);
			rc = -1;
			break;
		}
	}
	free(dup);
	return rc;
}

/* ---- perf counters ---- */

static int open_counters(struct tracer *t)
{
	const struct ctr_def *defs = NULL;
	int n = 0, c, cpu, k = 0, failed = 0, first_err = 0;

	if (!strcmp(t->run.ctr_mode, "hw")) {
		defs = hw_ctrs;
		n = ARRAY_SIZE(hw_ctrs);
	} else if (!strcmp(t->run.ctr_mode, "sw")) {
		defs = sw_ctrs;
		n = ARRAY_SIZE(sw_ctrs);
	}
	t->ctr_fds = malloc(sizeof(int) * VK_NR_CTR * t->ncpus);
	if (!t->ctr_fds)
		return -ENOMEM;
	for (c = 0; c < VK_NR_CTR * t->ncpus; c++)
		t->ctr_fds[c] = -1;
	for (c = 0; c < n; c++) {
		struct perf_event_attr attr = {
			.size = sizeof(attr),
			.type = defs[c].type,
			.config = defs[c].config,
		};
		int opened = 0, err = 0, *fds = &t->ctr_fds[k * t->ncpus];

		for (cpu = 0; cpu < t->ncpus; cpu++) {
			fds[cpu] = syscall(__NR_perf_event_open, &attr, -1, cpu, -1,
					   PERF_FLAG_FD_CLOEXEC);
			if (fds[cpu] >= 0)
				opened++;
			else if (errno != ENODEV)	/* offline CPU */
				err = errno;
		}
		if (err || !opened) {
			int len;

			if (!failed++)
				first_err = err ? err : ENODEV;
			else if (first_err != (err ? err : ENODEV))
				first_err = -1;
			len = strlen(t->run.ctr_status);

			for (cpu = 0; cpu < t->ncpus; cpu++) {
				if (fds[cpu] >= 0)
					close(fds[cpu]);
				fds[cpu] = -1;
			}
			snprintf(t->run.ctr_status + len,
				 sizeof(t->run.ctr_status) - len, "%s%s: %s",
				 len ? "; " : "", defs[c].name,
				 strerror(err ? err : ENODEV));
			continue;
		}
		t->run.ctr_names[k++] = defs[c].name;
	}
	t->run.nr_ctr = k;
	/* The usual case on VMs: one reason for every event, say it once. */
	if (failed > 1 && first_err > 0)
		snprintf(t->run.ctr_status, sizeof(t->run.ctr_status),
			 "perf_event_open %s: %s",
			 strerrorname_np(first_err) ?: "error",
			 first_err == ENOENT || first_err == EOPNOTSUPP ?
			 "no PMU on this machine" : strerror(first_err));
	return 0;
}

static int fill_counter_maps(struct tracer *t)
{
	struct bpf_map *maps[VK_NR_CTR] = {
		t->skel->maps.ctr0, t->skel->maps.ctr1, t->skel->maps.ctr2,
		t->skel->maps.ctr3, t->skel->maps.ctr4,
	};
	int c, cpu;

	for (c = 0; c < t->run.nr_ctr; c++) {
		for (cpu = 0; cpu < t->ncpus; cpu++) {
			__u32 key = cpu;
			int fd = t->ctr_fds[c * t->ncpus + cpu];

			if (fd < 0)
				continue;
			if (bpf_map_update_elem(bpf_map__fd(maps[c]), &key, &fd, BPF_ANY))
				return -errno;
		}
	}
	return 0;
}

/* ---- load and attach ---- */

static bool stage_on(struct tracer *t, int st)
{
	return t->run.st[st].requested && t->run.st[st].method != VK_M_NONE;
}

static int add_link(struct tracer *t, struct bpf_link *l, const char *what)
{
	if (!l) {
		int err = -errno;

		vk_errf(WHAT, NULL, "cannot attach %s: %s", what, strerror(-err));
		return err;
	}
	t->links[t->nr_links++] = l;
	return 0;
}

static struct bpf_program *prog_by_name(struct tracer *t, const char *name)
{
	return bpf_object__find_program_by_name(t->skel->obj, name);
}

static int setup_and_load(struct tracer *t)
{
	struct bpf_program *p;
	struct stat nst;
	char name[128];
	int i, err;

	t->skel = trace_path_bpf__open();
	if (!t->skel) {
		vk_errf(WHAT, NULL, "cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	bpf_object__for_each_program(p, t->skel->obj)
		bpf_program__set_autoload(p, false);

	t->skel->rodata->filter_ifindex = t->run.ifindex;
	if (t->run.dev && !stat("/proc/self/ns/net", &nst))
		t->skel->rodata->filter_netns = nst.st_ino;
	t->skel->rodata->nr_counters = t->run.nr_ctr;
	t->skel->rodata->nr_write = SYS_write;
	t->skel->rodata->nr_writev = SYS_writev;
	t->skel->rodata->tun_write_iter = vk_ksym_addr(&t->ksyms, "tun_chr_write_iter");
	for (i = 0; i < VK_ST_MAX; i++) {
		struct vk_trace_stage *s = &t->run.st[i];

		if (!stage_on(t, i))
			continue;
		t->skel->rodata->st_method[i] = s->method;
		if (s->def->func)
			t->skel->rodata->st_fn_addr[i] = vk_ksym_addr(&t->ksyms, s->def->func);
		switch (s->method) {
		case VK_M_FENTRY:
			if (i == VK_ST_XDP_PROG) {
				bpf_program__set_autoload(t->skel->progs.xdp_prog_entry, true);
				bpf_program__set_autoload(t->skel->progs.xdp_prog_exit, true);
				bpf_program__set_attach_target(t->skel->progs.xdp_prog_entry,
							       t->xdp_prog_fd, t->xdp_func);
				bpf_program__set_attach_target(t->skel->progs.xdp_prog_exit,
							       t->xdp_prog_fd, t->xdp_func);
				break;
			}
			/* fall through */
		case VK_M_KPROBE:
			snprintf(name, sizeof(name), "%s_%s",
				 s->method == VK_M_FENTRY ? "fentry" : "kprobe",
				 s->def->func);
			bpf_program__set_autoload(prog_by_name(t, name), true);
			snprintf(name, sizeof(name), "%s_%s",
				 s->method == VK_M_FENTRY ? "fexit" : "kretprobe",
				 s->def->func);
			bpf_program__set_autoload(prog_by_name(t, name), true);
			break;
		case VK_M_SYSCALL:
			bpf_program__set_autoload(t->skel->progs.tp_sys_enter, true);
			bpf_program__set_autoload(t->skel->progs.tp_sys_exit, true);
			break;
		case VK_M_TP:
			if (s->def->fallback == VK_FB_XMIT || i == VK_ST_NET_DEV_XMIT) {
				bpf_program__set_autoload(t->skel->progs.tp_net_dev_start_xmit, true);
				bpf_program__set_autoload(t->skel->progs.tp_net_dev_xmit, true);
			} else if (s->def->fallback == VK_FB_NAPI) {
				bpf_program__set_autoload(t->skel->progs.tp_napi_poll, true);
			} else {
				int k;

				for (k = 0; k < 3 && s->def->tps[k]; k++) {
					snprintf(name, sizeof(name), "tp_%s", s->def->tps[k]);
					bpf_program__set_autoload(prog_by_name(t, name), true);
				}
			}
			break;
		case VK_M_NONE:
			break;
		}
	}
	for (i = 0; i < VK_NR_CTR; i++) {
		struct bpf_map *m[VK_NR_CTR] = {
			t->skel->maps.ctr0, t->skel->maps.ctr1, t->skel->maps.ctr2,
			t->skel->maps.ctr3, t->skel->maps.ctr4,
		};

		bpf_map__set_max_entries(m[i], t->ncpus);
	}
	err = trace_path_bpf__load(t->skel);
	if (err) {
		vk_errf(WHAT, "run with VNETKIT_DEBUG=1 for the verifier log",
			"cannot load the tracing programs: %s", strerror(-err));
		return -1;
	}
	if (fill_counter_maps(t)) {
		vk_errf(WHAT, NULL, "cannot store perf counters: %s", strerror(errno));
		return -1;
	}
	bpf_object__for_each_program(p, t->skel->obj) {
		const char *pn = bpf_program__name(p);

		if (!bpf_program__autoload(p))
			continue;
		if (!strncmp(pn, "kprobe_", 7))
			err = add_link(t, bpf_program__attach_kprobe(p, false, pn + 7), pn);
		else if (!strncmp(pn, "kretprobe_", 10))
			err = add_link(t, bpf_program__attach_kprobe(p, true, pn + 10), pn);
		else
			err = add_link(t, bpf_program__attach(p), pn);
		if (err)
			return -1;
	}
	return 0;
}

static void collect(struct tracer *t)
{
	struct vk_stage_stats *v = calloc(t->ncpus, sizeof(*v));
	int fd = bpf_map__fd(t->skel->maps.stats);
	__u32 i;
	int c, k;

	if (!v)
		return;
	for (i = 0; i < VK_ST_MAX; i++) {
		struct vk_stage_stats *o = &t->run.st[i].tot;

		if (bpf_map_lookup_elem(fd, &i, v))
			continue;
		memset(o, 0, sizeof(*o));
		for (c = 0; c < t->ncpus; c++) {
			struct vk_stage_stats *s = &v[c];

			o->calls += s->calls;
			o->packets += s->packets;
			o->lat_cnt += s->lat_cnt;
			o->lat_sum += s->lat_sum;
			o->lat_max = s->lat_max > o->lat_max ? s->lat_max : o->lat_max;
			o->path_cnt += s->path_cnt;
			o->path_sum += s->path_sum;
			o->path_max = s->path_max > o->path_max ? s->path_max : o->path_max;
			o->batch_cnt += s->batch_cnt;
			o->batch_sum += s->batch_sum;
			o->batch_max = s->batch_max > o->batch_max ? s->batch_max : o->batch_max;
			for (k = 0; k < VK_HIST_SLOTS; k++) {
				o->lat_hist[k] += s->lat_hist[k];
				o->path_hist[k] += s->path_hist[k];
				o->batch_hist[k] += s->batch_hist[k];
			}
			o->ctr_samples += s->ctr_samples;
			o->ctr_migrated += s->ctr_migrated;
			o->ctr_errors += s->ctr_errors;
			for (k = 0; k < VK_NR_CTR; k++)
				o->ctr_sum[k] += s->ctr_sum[k];
			for (k = 0; k < VK_NR_VERDICTS; k++)
				o->verdict[k] += s->verdict[k];
			if (s->path_cnt)
				o->path_head = s->path_head;
		}
	}
	free(v);
}

static __u64 max_packets(struct tracer *t)
{
	__u64 m = 0;
	int i;

	collect(t);
	for (i = 0; i < VK_ST_MAX; i++)
		if (t->run.st[i].tot.packets > m)
			m = t->run.st[i].tot.packets;
	return m;
}

static void tracer_free(struct tracer *t)
{
	int k;

	while (t->nr_links)
		bpf_link__destroy(t->links[--t->nr_links]);
	if (t->run.events)
		vk_tp_events_free(&t->events);
	if (t->run.vhost)
		vk_vhost_trace_free(&t->vhost);
	trace_path_bpf__destroy(t->skel);
	if (t->ctr_fds)
		for (k = 0; k < VK_NR_CTR * t->ncpus; k++)
			if (t->ctr_fds[k] >= 0)
				close(t->ctr_fds[k]);
	free(t->ctr_fds);
	if (t->xdp_prog_fd >= 0)
		close(t->xdp_prog_fd);
	vk_kbtf_free(&t->btf);
	vk_ksyms_free(&t->ksyms);
}

/* CMD must not outlive us, even when we are SIGKILLed: the kernel sends
 * it SIGKILL when we die. A parent that died between fork() and prctl()
 * is caught by comparing getppid() with our pid. With --json, CMD's
 * standard output goes to our standard error so that stdout stays one
 * JSON document. */
static pid_t start_cmd(char **argv, bool json)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(127);
		if (json && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "vnetkit: trace: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	return pid;
}

int cmd_trace(int argc, char **argv)
{
	const char *stages = NULL, *events = NULL, *netns = NULL;
	bool json, list, have_dur;
	struct tracer t = { .xdp_prog_fd = -1 };
	int i, rc = EXIT_FAIL, any = 0;
	double duration = 0, start;
	struct utsname uts;
	uint64_t packets = 0;
	pid_t child = -1;
	struct vk_args a;

	rc = vk_cli_parse(&trace_spec, argc, argv, &a);
	if (rc)
		return vk_cli_exit(rc);
	rc = EXIT_FAIL;
	events = vk_val_str(&a.v[O_EVENTS]);
	if (events && strspn(events, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
	    strlen(events)) {
		vk_errf("--events", "a tracepoint name prefix such as vhost_",
			"invalid prefix '%s'", events);
		return EXIT_USAGE;
	}
	t.methods = 0;
	for (i = 0; i < a.v[O_METHODS].n; i++)
		t.methods |= 1u << method_bits[a.v[O_METHODS].list[i]];
	stages = vk_val_str(&a.v[O_STAGES]);
	netns = vk_val_str(&a.v[O_NETNS]);
	t.run.dev = vk_val_str(&a.v[O_DEV]);
	have_dur = a.v[O_DURATION].set;
	duration = a.v[O_DURATION].d;
	packets = a.v[O_PACKETS].set ? a.v[O_PACKETS].u : 0;
	t.run.ctr_mode = counter_modes[a.v[O_COUNTERS].u];
	json = a.v[O_JSON].set;
	list = a.v[O_LIST].set;
	if (a.argc)
		t.run.cmd = a.argv;
	if (list && t.run.cmd) {
		vk_err("--list", "takes no command", NULL);
		return EXIT_USAGE;
	}
	if (select_stages(&t, stages))
		return EXIT_USAGE;
	/* Tracing programs and perf events: CAP_BPF + CAP_PERFMON; entering a
	 * namespace: CAP_SYS_ADMIN. */
	if (vk_require_caps(WHAT, VK_CAP(VK_CAP_BPF) | VK_CAP(VK_CAP_PERFMON) |
			    (netns ? VK_CAP(VK_CAP_SYS_ADMIN) : 0)))
		return EXIT_FAIL;
	/* The network namespace only (the mount namespace stays): --dev is
	 * looked up and filtered there, and CMD runs there. */
	if (netns && (vk_netns_exists(netns) != 1 || vk_netns_enter(netns) < 0)) {
		vk_errf(WHAT, "list them: ip netns list", "--netns: no network namespace '%s'",
			netns);
		return EXIT_FAIL;
	}
	if (t.run.dev) {
		t.run.ifindex = if_nametoindex(t.run.dev);
		if (!t.run.ifindex) {
			vk_errf(WHAT, "check the name with `ip link`",
				"--dev %s: no such interface", t.run.dev);
			return EXIT_FAIL;
		}
	}
	uname(&uts);
	t.run.kernel = uts.release;
	vk_setup_libbpf_logging();
	t.ncpus = libbpf_num_possible_cpus();
	if (t.ncpus <= 0 || t.ncpus > VK_MAX_CPUS) {
		vk_err(WHAT, "cannot count the possible CPUs", NULL);
		return EXIT_FAIL;
	}

	probe_stages(&t, list);
	/* Our vhost tracepoints come with the patched kernel: count whichever
	 * exist whenever the vhost_net stages are traced. */
	if (!events && (!stages || strstr(stages, "vhost") || !strcmp(stages, "all")))
		events = "vhost_";
	if (events) {
		t.events.prefix = events;
		vk_tp_events_find(&t.events, &t.btf);
		t.run.events = &t.events;
	}
	/* and report them per virtqueue (trace_vhost.c) */
	if (!stages || strstr(stages, "vhost") || !strcmp(stages, "all")) {
		vk_vhost_trace_find(&t.vhost, &t.btf);
		t.run.vhost = &t.vhost;
	}
	if (list) {
		vk_trace_print_list(stdout, &t.run);
		if (t.run.events && t.events.status[0])
			printf("%-17s %-10s unavailable (%s)\n", "events", "vhost_net",
			       t.events.status);
		for (i = 0; t.run.events && i < t.events.n; i++)
			printf("%-17s %-10s raw_tp  %s (count only)\n", "events",
			       "vhost_net", t.events.names[i]);
		if (t.run.vhost)
			vk_vhost_trace_print_list(stdout, &t.vhost);
		tracer_free(&t);
		return 0;
	}
	for (i = 0; i < VK_ST_MAX; i++)
		any += stage_on(&t, i);
	any += t.events.n;
	if (!any) {
		for (i = 0; i < VK_ST_MAX; i++)
			if (t.run.st[i].requested)
				fprintf(stderr, "vnetkit: trace: %s: unavailable (%s)\n",
					t.run.st[i].def->name, t.run.st[i].reason);
		vk_err(WHAT, "no requested stage can be traced on this kernel",
		       "see vnetkit trace --list");
		goto out;
	}
	if (open_counters(&t))
		goto out;
	if (setup_and_load(&t))
		goto out;
	if (t.run.events && vk_tp_events_attach(&t.events, t.ncpus)) {
		vk_errf(WHAT, NULL, "tracepoints %s*: %s", events, t.events.status);
		goto out;
	}
	if (t.run.vhost && vk_vhost_trace_attach(&t.vhost)) {
		vk_errf(WHAT, NULL, "vhost queue report: %s", t.vhost.status);
		goto out;
	}

	vk_install_signals();
	start = vk_now();
	if (t.run.cmd) {
		child = start_cmd(t.run.cmd, json);
		if (child < 0) {
			vk_errf(WHAT, NULL, "fork: %s", strerror(errno));
			goto out;
		}
	}
	t.run.end = "interrupted";
	t.run.packets_requested = packets;
	while (!vk_stop) {
		if (have_dur && vk_now() - start >= duration) {
			t.run.end = "duration";
			break;
		}
		if (packets && max_packets(&t) >= packets) {
			t.run.end = "packets";
			break;
		}
		if (child > 0) {
			int status;
			pid_t w = waitpid(child, &status, WNOHANG);

			if (w == child) {
				t.run.cmd_status = WIFEXITED(status) ? WEXITSTATUS(status) :
						   128 + WTERMSIG(status);
				child = -1;
				t.run.end = "command";
				break;
			}
		}
		vk_sleep(have_dur && duration - (vk_now() - start) < 0.01 ?
			 duration - (vk_now() - start) : 0.01);
	}
	t.run.duration = vk_now() - start;
	t.run.interrupted = !strcmp(t.run.end, "interrupted");
	if (child > 0) {
		int status;

		kill(child, SIGTERM);
		waitpid(child, &status, 0);
		t.run.cmd_status = WIFEXITED(status) ? WEXITSTATUS(status) :
				   128 + WTERMSIG(status);
	}
	/* Detach before reading so the counts are final. */
	while (t.nr_links)
		bpf_link__destroy(t.links[--t.nr_links]);
	vk_tp_events_detach(&t.events);
	vk_vhost_trace_detach(&t.vhost);
	t.run.packets_seen = max_packets(&t);
	vk_tp_events_read(&t.events);
	vk_vhost_trace_read(&t.vhost);
	rc = t.run.cmd ? t.run.cmd_status : 0;
	/* Ctrl-C is how a run without an end condition ends; one with an end
	 * condition that did not come did not complete. */
	if (t.run.interrupted && (t.run.cmd || have_dur || packets) && !rc)
		rc = EXIT_FAIL;
	if (json) {
		/* The document says why the exit status is not 0. */
		if (rc && t.run.cmd && t.run.cmd_status)
			vk_errf("--", NULL, "%s exited with status %d", t.run.cmd[0],
				t.run.cmd_status);
		else if (rc)
			vk_errf("", NULL, "interrupted: the run did not complete");
		vk_trace_print_json(&t.run, rc);
	} else {
		vk_trace_print_text(stdout, &t.run);
	}
out:
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	tracer_free(&t);
	return rc;
}
