// SPDX-License-Identifier: GPL-2.0
/* vnetkit: load XDP programs, generate traffic, trace and measure the
 * per-packet path of TAP / veth / virtio-net / vhost-net. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "util.h"
#include "vjson.h"

#ifndef VNETKIT_VERSION
#define VNETKIT_VERSION "0.1"
#endif

const struct vk_command vk_commands[] = {
	{ "xdp", cmd_xdp, &xdp_spec, "attach, detach, inspect and run XDP programs" },
	{ "gen", cmd_gen, &gen_spec, "generate Ethernet/IPv4/UDP frames into a TAP or interface" },
	{ "testbed", cmd_testbed, &testbed_spec, "create or remove the namespace testbed (TAP + veth)" },
	{ "trace", cmd_trace, &trace_spec, "trace the per-packet path and report cost per stage" },
	{ "ring", cmd_ring, &ring_spec, "ring and virtqueue lab: benchmark and cache model" },
	{ "vhost", cmd_vhost, &vhost_spec, "user-space virtio driver for /dev/vhost-net" },
	{ "export", cmd_export, &export_spec, "Prometheus exporter: per-queue TAP/vhost/virtio-net figures" },
};
const int vk_nr_commands = ARRAY_SIZE(vk_commands);

static void usage(FILE *f)
{
	fprintf(f, "usage: vnetkit <command> [<subcommand>] [options]\n"
		"       vnetkit help <command>   (or: vnetkit <command> --help; man vnetkit-<command>)\n\n"
		"commands:\n");
	for (int i = 0; i < vk_nr_commands; i++)
		fprintf(f, "  %-9s %s\n", vk_commands[i].name, vk_commands[i].summary);
	fprintf(f, "\nexit status: 0 success or help, 1 failure, 2 usage error\n");
}

static const struct vk_command *find(const char *name)
{
	for (int i = 0; i < vk_nr_commands; i++)
		if (!strcmp(name, vk_commands[i].name))
			return &vk_commands[i];
	return NULL;
}

/* vnetkit help [CMD]: the same page as vnetkit CMD --help. */
static int help(int argc, char **argv)
{
	const struct vk_command *c;
	char *hargv[] = { NULL, (char *)"--help", NULL };

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	vk_ctx.cmd = "help";
	c = find(argv[1]);
	if (!c || argc > 2) {
		vk_errf("", "see vnetkit help", c ? "unexpected argument '%s'" :
			"unknown command '%s'", argv[c ? 2 : 1]);
		return EXIT_USAGE;
	}
	if (c->spec) {
		vk_cli_help(c->spec, stdout);
		return 0;
	}
	hargv[0] = (char *)c->name;
	return c->fn(2, hargv);
}

int main(int argc, char **argv)
{
	const struct vk_command *c;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help"))
		return help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("vnetkit %s\n", VNETKIT_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "__gen"))
		return vk_cli_gen(argc - 1, argv + 1);
	c = find(argv[1]);
	if (!c) {
		vk_errf("", "see vnetkit help", "unknown command '%s'", argv[1]);
		return EXIT_USAGE;
	}
	vk_ctx.cmd = c->name;
	/* A usage error can come before the parser reaches --json: look for
	 * it first (up to "--", after which the words are another program's). */
	for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			vk_ctx.json = true;
	vk_setup_libbpf_logging();
	rc = c->fn(argc - 1, argv + 1);
	if (rc < 0)
		rc = EXIT_FAIL;	/* trace passes on its command's status as it is */
	vk_json_error_doc(rc);
	return rc;
}
