/* SPDX-License-Identifier: GPL-2.0 */
/* The command layer: every command declares its subcommands and options
 * once, in a table (name, short flag, type with range/unit or values,
 * default, the subcommands it applies to, conflicts, help), and one parser
 * reads argv against it. The help pages, the man pages and the bash
 * completion are printed from the same tables, so they cannot drift. */
#ifndef VNETKIT_CLI_H
#define VNETKIT_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum vk_opt_type {
	VK_T_FLAG,		/* no value */
	VK_T_INT,		/* decimal integer in [min, max] of unit */
	VK_T_SIZE,		/* bytes: a decimal integer in [min, max] */
	VK_T_DURATION,		/* decimal seconds ("0.5") in [fmin, fmax] */
	VK_T_ENUM,		/* one of values[] */
	VK_T_IFNAME,		/* an interface name (IFNAMSIZ, no '/', ':') */
	VK_T_NAME,		/* a namespace or similar name (no '/', spaces) */
	VK_T_PATH,		/* a file; non-empty */
	VK_T_STR,		/* free text; non-empty */
	VK_T_LIST,		/* comma list: of values[] or of integers */
};

/* Bit i of a mask: subcommand i of the command's subs[]. */
#define VK_SUB(i)	(1u << (i))
#define VK_OPTS_MAX	48
#define VK_LIST_MAX	32

struct vk_opt {
	const char *name;		/* --name */
	char short_opt;			/* -x, 0: none */
	enum vk_opt_type type;
	const char *arg;		/* the value's name in help: N, S, IF */
	uint64_t min, max;		/* INT, SIZE, LIST of integers */
	double fmin, fmax;		/* DURATION */
	const char *unit;		/* "frames", "bytes" (help only) */
	const char *const *values;	/* ENUM, LIST of names: NULL-ended */
	const char *def;		/* default, parsed as if given; NULL: none */
	unsigned subs;			/* where it applies; 0: everywhere */
	unsigned required;		/* subcommands that need it */
	uint64_t conflicts;		/* bit j: never with option j */
	bool many;			/* may be given up to VK_LIST_MAX times */
	const char *help;
};

struct vk_subcmd {
	const char *name;
	const char *args;		/* positional arguments for the synopsis */
	const char *help;		/* what it does, a paragraph */
};

struct vk_cmd_spec {
	const char *name;
	const char *summary;		/* one line */
	const char *description;	/* paragraphs, '\n' separated */
	const struct vk_subcmd *subs;	/* NULL: no subcommands */
	int nr_subs;
	const struct vk_opt *opts;
	int nr_opts;
	const char *args;		/* positional arguments; NULL: none */
	const char *const *examples;	/* "command", "what it shows", ..., NULL */
	const char *json_doc;		/* schema name of the --json document,
					 * "-<sub>" appended per subcommand */
	int json_version;
};

struct vk_val {
	bool given;			/* on the command line */
	bool set;			/* given or from the default */
	uint64_t u;			/* INT, SIZE, FLAG (1); ENUM: index */
	double d;			/* DURATION */
	const char *s;			/* the text as given */
	uint64_t list[VK_LIST_MAX];	/* LIST: integers, or value indexes */
	int n;
	const char *all[VK_LIST_MAX];	/* many: each value given, in order */
	int nall;
};

/* The text given or defaulted, NULL when neither. */
static inline const char *vk_val_str(const struct vk_val *v)
{
	return v->set ? v->s : NULL;
}

struct vk_args {
	int sub;			/* index in subs[], -1 without */
	struct vk_val v[VK_OPTS_MAX];
	int argc;			/* positional arguments left */
	char **argv;
};

#define VK_CLI_HELP	1

/* Parses argv (argv[0] is the command's name) into a. Returns 0, or
 * VK_CLI_HELP after printing the help (exit 0), or -1 after printing a
 * usage error (exit 2). Sets vk_ctx.sub, .json and the document's schema. */
int vk_cli_parse(const struct vk_cmd_spec *spec, int argc, char **argv,
		 struct vk_args *a);
/* The exit code for a vk_cli_parse() result that is not 0. */
int vk_cli_exit(int parse_ret);

void vk_cli_help(const struct vk_cmd_spec *spec, FILE *f);

/* The registry main() dispatches through. */
struct vk_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const struct vk_cmd_spec *spec;	/* NULL: not yet table-driven */
	const char *summary;
};
extern const struct vk_command vk_commands[];
extern const int vk_nr_commands;

/* vnetkit __gen man|completion|options [DIR]: generated from the tables. */
int vk_cli_gen(int argc, char **argv);

#endif
