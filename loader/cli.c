// SPDX-License-Identifier: GPL-2.0
/* One parser, help, man page and completion writer for every command's
 * option table (cli.h). Learnt from xdp-tools' DEFINE_OPTION tables and
 * bpftool's command tables; our own code. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "netns.h"
#include "util.h"
#include "vjson.h"

static const char *sub_name(const struct vk_cmd_spec *spec, int sub)
{
	return sub >= 0 ? spec->subs[sub].name : NULL;
}

static bool applies(const struct vk_opt *o, int sub)
{
	return !o->subs || sub < 0 || (o->subs & VK_SUB(sub));
}

static void subs_list(const struct vk_cmd_spec *spec, unsigned mask, char *buf,
		      size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < spec->nr_subs && n < len; i++)
		if (mask & VK_SUB(i))
			n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
				      spec->subs[i].name);
}

static void values_list(const char *const *v, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; v && *v && n < len; v++)
		n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "", *v);
}

static int find_value(const char *const *v, const char *s, size_t len)
{
	for (int i = 0; v && v[i]; i++)
		if (strlen(v[i]) == len && !strncmp(v[i], s, len))
			return i;
	return -1;
}

static int parse_int(const struct vk_opt *o, const char *what, const char *s,
		     size_t len, uint64_t *out)
{
	unsigned long long v = 0;
	bool over = false;

	if (!vk_decimal(s, len) || len > 20) {
		vk_errf(what, "a decimal integer without sign or leading zeros, e.g. 64",
			"invalid value '%.*s'", (int)len, s);
		return -1;
	}
	for (size_t i = 0; i < len && !over; i++) {
		over = v > (~0ULL - (s[i] - '0')) / 10;	/* beyond 2^64 - 1 */
		v = v * 10 + (s[i] - '0');
	}
	if (over || v < o->min || v > o->max) {
		vk_errf(what, o->unit, "%.*s is out of range [%llu, %llu]", (int)len, s,
			(unsigned long long)o->min, (unsigned long long)o->max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_value(const struct vk_opt *o, const char *s, struct vk_val *v)
{
	char what[64], list[512];
	const char *p;
	int i;

	snprintf(what, sizeof(what), "--%s", o->name);
	v->s = s;
	switch (o->type) {
	case VK_T_FLAG:
		v->u = 1;
		return 0;
	case VK_T_INT:
	case VK_T_SIZE:
		return parse_int(o, what, s, strlen(s), &v->u);
	case VK_T_DURATION:
		return vk_parse_secs(what, s, o->fmin, o->fmax, &v->d);
	case VK_T_ENUM:
		i = find_value(o->values, s, strlen(s));
		if (i < 0) {
			values_list(o->values, list, sizeof(list));
			vk_errf(what, list, "invalid value '%s': not one of the choices", s);
			return -1;
		}
		v->u = i;
		return 0;
	case VK_T_IFNAME:
		if (!vk_valid_ifname(s)) {
			vk_errf(what, "1 to 15 characters, no '/', ':' or spaces",
				"invalid interface name '%s'", s);
			return -1;
		}
		return 0;
	case VK_T_NAME:
		if (!vk_valid_nsname(s)) {
			vk_errf(what, "1 to 64 characters, no '/' or spaces",
				"invalid name '%s'", s);
			return -1;
		}
		return 0;
	case VK_T_PATH:
	case VK_T_STR:
		if (!*s) {
			vk_errf(what, o->type == VK_T_PATH ? "name a file" : NULL,
				"invalid value '': empty");
			return -1;
		}
		return 0;
	case VK_T_LIST:
		v->n = 0;
		if (!*s) {
			vk_errf(what, "give at least one item", "invalid value '': empty list");
			return -1;
		}
		for (p = s;; p++) {
			size_t len = strcspn(p, ",");

			if (v->n == VK_LIST_MAX) {
				vk_errf(what, NULL, "more than %d items", VK_LIST_MAX);
				return -1;
			}
			if (o->values) {
				i = find_value(o->values, p, len);
				if (i < 0) {
					values_list(o->values, list, sizeof(list));
					vk_errf(what, list, "invalid value '%.*s' in the list",
						(int)len, p);
					return -1;
				}
				v->list[v->n++] = i;
			} else if (parse_int(o, what, p, len, &v->list[v->n++])) {
				return -1;
			}
			p += len;
			if (!*p)
				break;
		}
		return 0;
	}
	return -1;
}

static const struct vk_opt *find_long(const struct vk_cmd_spec *spec,
				      const char *name, size_t len, int *idx)
{
	for (int i = 0; i < spec->nr_opts; i++)
		if (strlen(spec->opts[i].name) == len &&
		    !strncmp(spec->opts[i].name, name, len)) {
			*idx = i;
			return &spec->opts[i];
		}
	return NULL;
}

static const struct vk_opt *find_short(const struct vk_cmd_spec *spec, char c,
				       int *idx)
{
	for (int i = 0; i < spec->nr_opts; i++)
		if (spec->opts[i].short_opt == c) {
			*idx = i;
			return &spec->opts[i];
		}
	return NULL;
}

static int usage_err(const struct vk_cmd_spec *spec, const char *what,
		     const char *fmt, const char *arg)
{
	char hint[64];

	snprintf(hint, sizeof(hint), "see vnetkit help %s", spec->name);
	vk_errf(what, hint, fmt, arg);
	return -1;
}

/* The subcommand in argv[1]; *first: where the options start. */
static int parse_sub(const struct vk_cmd_spec *spec, int argc, char **argv,
		     struct vk_args *a, int *first)
{
	a->sub = -1;
	*first = 1;
	if (!spec->subs)
		return 0;
	if (argc < 2)
		return usage_err(spec, "", "missing subcommand%s", "");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		vk_cli_help(spec, stdout);
		return VK_CLI_HELP;
	}
	for (int i = 0; i < spec->nr_subs; i++)
		if (!strcmp(argv[1], spec->subs[i].name)) {
			a->sub = i;
			vk_ctx.sub = spec->subs[i].name;
			*first = 2;
			return 0;
		}
	return usage_err(spec, "", "unknown subcommand '%s'", argv[1]);
}

int vk_cli_parse(const struct vk_cmd_spec *spec, int argc, char **argv,
		 struct vk_args *a)
{
	char list[256];
	int i, first, ret;

	memset(a, 0, sizeof(*a));
	ret = parse_sub(spec, argc, argv, a, &first);
	if (ret)
		return ret;
	if (spec->json_doc) {
		char doc[64];

		snprintf(doc, sizeof(doc), "%s%s%s", spec->json_doc, a->sub >= 0 ? "-" : "",
			 a->sub >= 0 ? sub_name(spec, a->sub) : "");
		vk_json_schema(doc, spec->json_version);
	}
	for (i = first; i < argc; i++) {
		const char *arg = argv[i], *val = NULL, *eq;
		const struct vk_opt *o = NULL;
		char what[64];
		int k = -1;

		if (!strcmp(arg, "--")) {
			i++;
			break;
		}
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			vk_cli_help(spec, stdout);
			return VK_CLI_HELP;
		}
		if (!strncmp(arg, "--", 2)) {
			eq = strchr(arg, '=');
			o = find_long(spec, arg + 2, eq ? (size_t)(eq - arg - 2) :
				      strlen(arg + 2), &k);
			val = eq ? eq + 1 : NULL;
		} else if (arg[0] == '-' && arg[1] && !arg[2]) {
			o = find_short(spec, arg[1], &k);
		} else if (i == first && !spec->subs && !strcmp(arg, "help")) {
			vk_cli_help(spec, stdout);	/* vnetkit trace help */
			return VK_CLI_HELP;
		} else {
			/* Positional arguments only after "--": "vnetkit trace
			 * help" is not a command to trace. */
			return usage_err(spec, "", spec->args ?
					 "unexpected argument '%s' (a command goes after --)" :
					 "unexpected argument '%s'", arg);
		}
		if (!o)
			return usage_err(spec, "", "unknown option '%s'", arg);
		snprintf(what, sizeof(what), "--%s", o->name);
		if (!applies(o, a->sub)) {
			subs_list(spec, o->subs, list, sizeof(list));
			vk_errf(what, NULL, "does not apply to %s %s (only to: %s)",
				spec->name, sub_name(spec, a->sub), list);
			return -1;
		}
		if (a->v[k].given && !o->many) {
			vk_errf(what, "give each option once; see vnetkit help",
				"given twice");
			return -1;
		}
		if (o->many && a->v[k].nall == VK_LIST_MAX) {
			vk_errf(what, NULL, "given more than %d times", VK_LIST_MAX);
			return -1;
		}
		if (o->type == VK_T_FLAG) {
			if (val) {
				vk_errf(what, NULL, "takes no value (got '%s')", val);
				return -1;
			}
		} else if (!val) {
			if (i + 1 >= argc) {
				vk_errf(what, o->arg, "needs a value");
				return -1;
			}
			val = argv[++i];
		}
		if (parse_value(o, val ? val : "", &a->v[k]))
			return -1;
		a->v[k].all[a->v[k].nall++] = a->v[k].s;
		a->v[k].given = a->v[k].set = true;
		if (!strcmp(o->name, "json"))
			vk_ctx.json = true;
	}
	a->argc = argc - i;
	a->argv = argv + i;
	if (a->argc && !spec->args)
		return usage_err(spec, "", "unexpected argument '%s'", a->argv[0]);
	if (!a->argc && i > 0 && !strcmp(argv[i - 1], "--") && spec->args)
		return usage_err(spec, "--", "a command must follow%s", "");
	for (int k = 0; k < spec->nr_opts; k++) {
		const struct vk_opt *o = &spec->opts[k];
		char what[64];

		snprintf(what, sizeof(what), "--%s", o->name);
		for (int j = 0; a->v[k].given && j < spec->nr_opts; j++) {
			if (!a->v[j].given ||
			    !((o->conflicts >> j) & 1 || (spec->opts[j].conflicts >> k) & 1))
				continue;
			vk_errf(what, "give one of them", "cannot be used with --%s",
				spec->opts[j].name);
			return -1;
		}
		if (!a->v[k].given && a->sub >= 0 && (o->required & VK_SUB(a->sub))) {
			vk_errf(what, "see vnetkit help", "required by %s %s", spec->name,
				sub_name(spec, a->sub));
			return -1;
		}
		/* Defaults go through the same parser: the table cannot hold one
		 * its own check refuses (the options test runs --help on it). */
		if (!a->v[k].given && o->def && applies(o, a->sub)) {
			if (parse_value(o, o->def, &a->v[k]))
				return -1;
			a->v[k].set = true;
		}
	}
	return 0;
}

int vk_cli_exit(int parse_ret)
{
	return parse_ret == VK_CLI_HELP ? 0 : EXIT_USAGE;
}

/* "a decimal integer 1..65536 frames": what a value must be, from the table. */
static const char *type_text(const struct vk_opt *o, char *buf, size_t len)
{
	char vals[256];
	const char *u = o->unit ? o->unit : "";

	values_list(o->values, vals, sizeof(vals));
	switch (o->type) {
	case VK_T_FLAG:
		buf[0] = '\0';
		break;
	case VK_T_INT:
		snprintf(buf, len, "a decimal integer, %llu to %llu%s%s",
			 (unsigned long long)o->min, (unsigned long long)o->max,
			 *u ? " " : "", u);
		break;
	case VK_T_SIZE:
		snprintf(buf, len, "a size in bytes, %llu to %llu",
			 (unsigned long long)o->min, (unsigned long long)o->max);
		break;
	case VK_T_DURATION:
		snprintf(buf, len, "decimal seconds, %g to %g", o->fmin, o->fmax);
		break;
	case VK_T_ENUM:
		snprintf(buf, len, "one of: %s", vals);
		break;
	case VK_T_IFNAME:
		snprintf(buf, len, "an interface name");
		break;
	case VK_T_NAME:
		snprintf(buf, len, "a name, no '/' or spaces");
		break;
	case VK_T_PATH:
		snprintf(buf, len, "a file path");
		break;
	case VK_T_STR:
		snprintf(buf, len, "text");
		break;
	case VK_T_LIST:
		if (o->values)
			snprintf(buf, len, "a comma-separated list of: %s", vals);
		else
			snprintf(buf, len, "a comma-separated list of integers, %llu to %llu%s%s",
				 (unsigned long long)o->min, (unsigned long long)o->max,
				 *u ? " " : "", u);
		break;
	}
	return buf;
}

/* The option's own line: "-n, --name NS" */
static const char *opt_head(const struct vk_opt *o, char *buf, size_t len)
{
	size_t n = 0;

	if (o->short_opt)
		n = snprintf(buf, len, "-%c, ", o->short_opt);
	snprintf(buf + n, len - n, "--%s%s%s", o->name, o->type == VK_T_FLAG ? "" : " ",
		 o->type == VK_T_FLAG ? "" : o->arg ? o->arg : "VALUE");
	return buf;
}

static const char *opt_where(const struct vk_cmd_spec *spec, const struct vk_opt *o,
			     char *buf, size_t len)
{
	char subs[256], req[256];
	size_t n = 0;

	buf[0] = '\0';
	if (spec->subs && o->subs) {
		subs_list(spec, o->subs, subs, sizeof(subs));
		n += snprintf(buf + n, len - n, "For: %s. ", subs);
	}
	if (o->required && n < len) {
		subs_list(spec, o->required, req, sizeof(req));
		n += snprintf(buf + n, len - n, "Required%s%s. ", spec->subs ? " by: " : "",
			      spec->subs ? req : "");
	}
	if (o->def && n < len)
		n += snprintf(buf + n, len - n, "Default: %s. ", o->def);
	if (o->many && n < len)
		n += snprintf(buf + n, len - n, "May be given up to %d times. ", VK_LIST_MAX);
	for (int j = 0; o->conflicts && j < spec->nr_opts && n < len; j++)
		if ((o->conflicts >> j) & 1)
			n += snprintf(buf + n, len - n, "Not with --%s. ", spec->opts[j].name);
	if (n && buf[n - 1] == ' ')
		buf[n - 1] = '\0';
	return buf;
}

/* One synopsis line per subcommand, required options first, wrapped. */
static void synopsis(const struct vk_cmd_spec *spec, int sub, FILE *f,
		     const char *indent, bool man)
{
	char line[2048], item[128];
	size_t n, col;

	n = snprintf(line, sizeof(line), "vnetkit %s%s%s", spec->name,
		     sub >= 0 ? " " : "", sub >= 0 ? spec->subs[sub].name : "");
	col = strlen(indent) + n;
	for (int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < spec->nr_opts; k++) {
			const struct vk_opt *o = &spec->opts[k];
			bool req = sub >= 0 && (o->required & VK_SUB(sub));

			if (!applies(o, sub) || req != !pass)
				continue;
			snprintf(item, sizeof(item), "%s--%s%s%s%s", req ? "" : "[",
				 o->name, o->type == VK_T_FLAG ? "" : " ",
				 o->type == VK_T_FLAG ? "" : o->arg ? o->arg : "VALUE",
				 req ? "" : "]");
			if (!man && col + strlen(item) + 1 > 78) {
				n += snprintf(line + n, sizeof(line) - n, "\n%s    ", indent);
				col = strlen(indent) + 4;
			}
			n += snprintf(line + n, sizeof(line) - n, " %s", item);
			col += strlen(item) + 1;
		}
	}
	if (sub >= 0 && spec->subs[sub].args)
		n += snprintf(line + n, sizeof(line) - n, " %s", spec->subs[sub].args);
	else if (spec->args)
		n += snprintf(line + n, sizeof(line) - n, " %s", spec->args);
	fprintf(f, "%s%s\n", indent, line);
}

static const char exit_status[] =
	"0  success, or a help page printed\n"
	"1  failure: the message on stderr says what failed, why, what to do\n"
	"2  usage error (unknown, repeated, misplaced, conflicting or bad option)";

/* Prints text indented, one paragraph per '\n'-separated line, wrapped. */
static void para(FILE *f, const char *text, const char *indent)
{
	const char *p = text;

	while (*p) {
		size_t linelen = strcspn(p, "\n"), col = 0;
		const char *end = p + linelen;

		fputs(indent, f);
		while (p < end) {
			size_t w = strcspn(p, " \n");

			if (p + w > end)
				w = end - p;
			if (col && col + w + 1 > 78 - strlen(indent)) {
				fprintf(f, "\n%s", indent);
				col = 0;
			} else if (col) {
				fputc(' ', f);
				col++;
			}
			fwrite(p, 1, w, f);
			col += w;
			p += w;
			p += strspn(p, " ") > 0 && p < end ? strspn(p, " ") : 0;
		}
		fputc('\n', f);
		p = *end ? end + 1 : end;
	}
}

void vk_cli_help(const struct vk_cmd_spec *spec, FILE *f)
{
	char head[128], type[512], where[512];

	fprintf(f, "NAME\n    vnetkit %s - %s\n\nSYNOPSIS\n", spec->name, spec->summary);
	if (spec->subs)
		for (int s = 0; s < spec->nr_subs; s++)
			synopsis(spec, s, f, "    ", false);
	else
		synopsis(spec, -1, f, "    ", false);
	fprintf(f, "\nDESCRIPTION\n");
	para(f, spec->description, "    ");
	for (int s = 0; s < spec->nr_subs; s++) {
		fprintf(f, "\n    %s\n", spec->subs[s].name);
		para(f, spec->subs[s].help, "        ");
	}
	fprintf(f, "\nOPTIONS\n");
	for (int k = 0; k < spec->nr_opts; k++) {
		const struct vk_opt *o = &spec->opts[k];

		fprintf(f, "    %s\n", opt_head(o, head, sizeof(head)));
		para(f, o->help, "        ");
		type_text(o, type, sizeof(type));
		opt_where(spec, o, where, sizeof(where));
		if (type[0] || where[0]) {
			char both[1100];

			snprintf(both, sizeof(both), "%s%s%s%s", o->arg && type[0] ? o->arg : "",
				 o->arg && type[0] ? ": " : "", type[0] ? type : "",
				 type[0] && where[0] ? ". " : "");
			snprintf(both + strlen(both), sizeof(both) - strlen(both), "%s", where);
			para(f, both, "        ");
		}
	}
	fprintf(f, "    -h, --help\n        this page (also: vnetkit help %s)\n", spec->name);
	if (spec->examples && spec->examples[0]) {
		fprintf(f, "\nEXAMPLES\n");
		for (int i = 0; spec->examples[i]; i += 2) {
			fprintf(f, "    %s\n", spec->examples[i]);
			para(f, spec->examples[i + 1], "        ");
		}
	}
	fprintf(f, "\nEXIT STATUS\n");
	para(f, exit_status, "    ");
}

/* roff: a leading '.' or '\'' is a request, '\' an escape, '-' a hyphen. */
static void roff(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		if (s[i] == '\\')
			fputs("\\e", f);
		else if (s[i] == '-')
			fputs("\\-", f);
		else if ((s[i] == '.' || s[i] == '\'') && (i == 0 || s[i - 1] == '\n'))
			fprintf(f, "\\&%c", s[i]);
		else
			fputc(s[i], f);
	}
}

static void roffs(FILE *f, const char *s)
{
	roff(f, s, strlen(s));
}

/* Each '\n'-separated line of text a paragraph. */
static void roff_paras(FILE *f, const char *text)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");

		roff(f, p, n);
		fputs("\n", f);
		p += n;
		if (*p && p[1])
			fputs(".PP\n", f);
		if (*p)
			p++;
	}
}

static const char *upper(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i < len - 1; i++)
		buf[i] = s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i];
	buf[i] = '\0';
	return buf;
}

static void man_head(FILE *f, const char *name, const char *summary)
{
	char up[64];

	fprintf(f, ".\\\" Generated by vnetkit __gen man from the option tables; do not edit.\n");
	fprintf(f, ".TH %s 8 \"\" \"vnetkit\" \"vnetkit manual\"\n.SH NAME\n",
		upper(name, up, sizeof(up)));
	roffs(f, name);
	fputs(" \\- ", f);
	roffs(f, summary);
	fputs("\n", f);
}

static void man_exit_status(FILE *f)
{
	const char *p = exit_status;

	fputs(".SH EXIT STATUS\n", f);
	while (*p) {
		size_t n = strcspn(p, "\n");

		fprintf(f, ".TP\n.B %c\n", *p);
		roff(f, p + 3, n - 3);
		fputs("\n", f);
		p += n + (p[n] ? 1 : 0);
	}
}

/* A command not yet described by a table: its own --help text, verbatim. */
static void man_from_help(const struct vk_command *c, FILE *f)
{
	char *argv[] = { (char *)c->name, (char *)"--help", NULL };
	char buf[4096];
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	fflush(f);
	if (pipe(pfd))
		return;
	pid = fork();
	if (!pid) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		_exit(c->fn(2, argv) ? 1 : 0);
	}
	close(pfd[1]);
	fputs(".SH SYNOPSIS\n.nf\n", f);
	while ((n = read(pfd[0], buf, sizeof(buf))) > 0)
		roff(f, buf, n);
	fputs(".fi\n", f);
	close(pfd[0]);
	waitpid(pid, &status, 0);
}

static void man_command(const struct vk_command *c, FILE *f)
{
	const struct vk_cmd_spec *spec = c->spec;
	char name[64], head[128], type[512], where[512];
	char *syn = NULL;
	size_t synlen = 0;
	FILE *m;

	snprintf(name, sizeof(name), "vnetkit-%s", c->name);
	man_head(f, name, c->summary);
	if (!spec) {
		man_from_help(c, f);
		man_exit_status(f);
		fputs(".SH SEE ALSO\n.BR vnetkit (8)\n", f);
		return;
	}
	m = open_memstream(&syn, &synlen);
	if (!m)
		return;
	if (spec->subs)
		for (int s = 0; s < spec->nr_subs; s++)
			synopsis(spec, s, m, "", true);
	else
		synopsis(spec, -1, m, "", true);
	fclose(m);
	fputs(".SH SYNOPSIS\n.nf\n", f);
	roffs(f, syn);
	fputs(".fi\n.SH DESCRIPTION\n", f);
	free(syn);
	roff_paras(f, spec->description);
	for (int s = 0; s < spec->nr_subs; s++) {
		fputs(".TP\n.B ", f);
		roffs(f, spec->subs[s].name);
		fputs("\n", f);
		roffs(f, spec->subs[s].help);
		fputs("\n", f);
	}
	fputs(".SH OPTIONS\n", f);
	for (int k = 0; k < spec->nr_opts; k++) {
		const struct vk_opt *o = &spec->opts[k];

		fputs(".TP\n.B ", f);
		roffs(f, opt_head(o, head, sizeof(head)));
		fputs("\n", f);
		roffs(f, o->help);
		type_text(o, type, sizeof(type));
		opt_where(spec, o, where, sizeof(where));
		if (type[0] || where[0]) {
			fputs("\n.br\n", f);
			if (type[0]) {
				roffs(f, type);
				fputs(where[0] ? ". " : "", f);
			}
			roffs(f, where);
		}
		fputs("\n", f);
	}
	fputs(".TP\n.B \\-h, \\-\\-help\nthis page\n", f);
	if (spec->examples && spec->examples[0]) {
		fputs(".SH EXAMPLES\n", f);
		for (int i = 0; spec->examples[i]; i += 2) {
			fputs(".TP\n.B ", f);
			roffs(f, spec->examples[i]);
			fputs("\n", f);
			roffs(f, spec->examples[i + 1]);
			fputs("\n", f);
		}
	}
	man_exit_status(f);
	fputs(".SH SEE ALSO\n.BR vnetkit (8)\n", f);
}

static void man_main(FILE *f)
{
	man_head(f, "vnetkit", "eBPF toolkit for VM networking: TAP, veth, virtio-net, vhost-net");
	fputs(".SH SYNOPSIS\n.B vnetkit\n.I command\n.RI [ subcommand ]\n.RI [ options ]\n"
	      ".br\n.B vnetkit help\n.I command\n.SH DESCRIPTION\n"
	      "Each command has its own page, vnetkit\\-\\fIcommand\\fR(8), and its "
	      "options are listed by \\fBvnetkit help\\fR \\fIcommand\\fR. With "
	      "\\fB\\-\\-json\\fR a command prints one JSON document naming its schema "
	      "(\"schema\": \"vnetkit\\-\\fIdocument\\fR/\\fIn\\fR\"), also when it fails: "
	      "then the document carries \"error\": {\"what\", \"why\", \"hint\"}.\n"
	      ".SH COMMANDS\n", f);
	for (int i = 0; i < vk_nr_commands; i++) {
		fprintf(f, ".TP\n.B %s\n", vk_commands[i].name);
		roffs(f, vk_commands[i].summary);
		fputs("\n", f);
	}
	fputs(".SH ERRORS\nEvery error is one line on stderr: \\fBvnetkit\\fR \\fIcommand\\fR "
	      "[\\fIsubcommand\\fR]: \\fIwhat\\fR: \\fIwhy\\fR (\\fIhint\\fR).\n", f);
	man_exit_status(f);
	fputs(".SH SEE ALSO\n", f);
	for (int i = 0; i < vk_nr_commands; i++)
		fprintf(f, ".BR vnetkit\\-%s (8)%s\n", vk_commands[i].name,
			i + 1 < vk_nr_commands ? "," : "");
}

static int gen_man(const char *dir)
{
	char path[512];
	FILE *f;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		vk_errf(dir, NULL, "cannot create the directory: %s", strerror(errno));
		return EXIT_FAIL;
	}
	for (int i = -1; i < vk_nr_commands; i++) {
		snprintf(path, sizeof(path), "%s/vnetkit%s%s.8", dir, i < 0 ? "" : "-",
			 i < 0 ? "" : vk_commands[i].name);
		f = fopen(path, "w");
		if (!f) {
			vk_errf(path, NULL, "cannot write: %s", strerror(errno));
			return EXIT_FAIL;
		}
		if (i < 0)
			man_main(f);
		else
			man_command(&vk_commands[i], f);
		if (fclose(f)) {
			vk_errf(path, NULL, "cannot write: %s", strerror(errno));
			return EXIT_FAIL;
		}
	}
	return 0;
}

static void words(const struct vk_cmd_spec *spec, int sub, FILE *f)
{
	for (int k = 0; k < spec->nr_opts; k++)
		if (applies(&spec->opts[k], sub))
			fprintf(f, " --%s", spec->opts[k].name);
	fputs(" --help", f);
}

static void gen_completion(FILE *f)
{
	fputs("# bash completion for vnetkit; generated by vnetkit __gen completion\n"
	      "# from the option tables, do not edit.\n"
	      "_vnetkit()\n{\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	      "\tlocal cmd=${COMP_WORDS[1]} sub=${COMP_WORDS[2]} w=\n"
	      "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n\t\tw=\"help", f);
	for (int i = 0; i < vk_nr_commands; i++)
		fprintf(f, " %s", vk_commands[i].name);
	fputs("\"\n\telse\n\t\tcase $cmd in\n\t\thelp) w=\"", f);
	for (int i = 0; i < vk_nr_commands; i++)
		fprintf(f, "%s%s", i ? " " : "", vk_commands[i].name);
	fputs("\" ;;\n", f);
	for (int i = 0; i < vk_nr_commands; i++) {
		const struct vk_cmd_spec *spec = vk_commands[i].spec;

		if (!spec)
			continue;
		fprintf(f, "\t\t%s)\n\t\t\tcase $prev in\n", spec->name);
		for (int k = 0; k < spec->nr_opts; k++) {
			const struct vk_opt *o = &spec->opts[k];

			if (o->type == VK_T_ENUM || (o->type == VK_T_LIST && o->values)) {
				fprintf(f, "\t\t\t--%s) w=\"", o->name);
				for (int v = 0; o->values[v]; v++)
					fprintf(f, "%s%s", v ? " " : "", o->values[v]);
				fputs("\" ;;\n", f);
			} else if (o->type == VK_T_IFNAME) {
				fprintf(f, "\t\t\t--%s) w=\"$(ls /sys/class/net 2>/dev/null)\" ;;\n",
					o->name);
			} else if (o->type == VK_T_PATH) {
				fprintf(f, "\t\t\t--%s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n",
					o->name);
			} else if (o->type != VK_T_FLAG) {
				fprintf(f, "\t\t\t--%s) return ;;\n", o->name);
			}
		}
		fputs("\t\t\t*)\n", f);
		if (spec->subs) {
			fputs("\t\t\t\tif [ \"$COMP_CWORD\" -eq 2 ]; then w=\"", f);
			for (int s = 0; s < spec->nr_subs; s++)
				fprintf(f, "%s%s", s ? " " : "", spec->subs[s].name);
			fputs("\"; else\n\t\t\t\tcase $sub in\n", f);
			for (int s = 0; s < spec->nr_subs; s++) {
				fprintf(f, "\t\t\t\t%s) w=\"", spec->subs[s].name);
				words(spec, s, f);
				fputs("\" ;;\n", f);
			}
			fputs("\t\t\t\tesac; fi ;;\n", f);
		} else {
			fputs("\t\t\t\tw=\"", f);
			words(spec, -1, f);
			fputs("\" ;;\n", f);
		}
		fputs("\t\t\tesac ;;\n", f);
	}
	fputs("\t\tesac\n\tfi\n\tCOMPREPLY=($(compgen -W \"$w\" -- \"$cur\"))\n}\n"
	      "complete -F _vnetkit vnetkit\n", f);
}

static const char *const type_names[] = {
	[VK_T_FLAG] = "flag", [VK_T_INT] = "int", [VK_T_SIZE] = "size",
	[VK_T_DURATION] = "duration", [VK_T_ENUM] = "enum", [VK_T_IFNAME] = "ifname",
	[VK_T_NAME] = "name", [VK_T_PATH] = "path", [VK_T_STR] = "str",
	[VK_T_LIST] = "list",
};

/* One line per option and subcommand it applies to, tab-separated, for the
 * table-driven test (selftests/test_cli.sh): command, subcommand or "-",
 * option, type, min, max, values (comma list or "-"), required (0/1),
 * the options it conflicts with (comma list or "-"). */
static void gen_options(FILE *f)
{
	char vals[512];

	for (int i = 0; i < vk_nr_commands; i++) {
		const struct vk_cmd_spec *spec = vk_commands[i].spec;
		int nsub = spec && spec->subs ? spec->nr_subs : 1;

		for (int s = 0; spec && s < nsub; s++) {
			int sub = spec->subs ? s : -1;

			for (int k = 0; k < spec->nr_opts; k++) {
				const struct vk_opt *o = &spec->opts[k];
				bool first = true;

				if (!applies(o, sub))
					continue;
				values_list(o->values, vals, sizeof(vals));
				for (char *p = vals; *p; p++)
					if (*p == ' ')
						memmove(p, p + 1, strlen(p));
				fprintf(f, "%s\t%s\t--%s\t%s\t", spec->name,
					sub >= 0 ? spec->subs[sub].name : "-", o->name,
					type_names[o->type]);
				if (o->type == VK_T_DURATION)
					fprintf(f, "%.15g\t%.15g", o->fmin, o->fmax);
				else
					fprintf(f, "%llu\t%llu", (unsigned long long)o->min,
						(unsigned long long)o->max);
				fprintf(f, "\t%s\t%d\t", vals[0] ? vals : "-",
					sub >= 0 && (o->required & VK_SUB(sub)) ? 1 : 0);
				for (int j = 0; j < spec->nr_opts; j++) {
					if (!((o->conflicts >> j) & 1) || !applies(&spec->opts[j], sub))
						continue;
					fprintf(f, "%s--%s", first ? "" : ",", spec->opts[j].name);
					first = false;
				}
				fprintf(f, "%s\n", first ? "-" : "");
			}
		}
	}
}

int vk_cli_gen(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "man"))
		return gen_man(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "completion")) {
		gen_completion(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "options")) {
		gen_options(stdout);
		return 0;
	}
	vk_err("__gen", "usage: vnetkit __gen man DIR | completion | options",
	       "the build's generator of man pages, completion and the option list");
	return EXIT_USAGE;
}
