// SPDX-License-Identifier: GPL-2.0
/* vnetkit: load XDP programs, generate traffic, trace and measure the
 * per-packet path of TAP / veth / virtio-net / vhost-net. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "util.h"

#ifndef VNETKIT_VERSION
#define VNETKIT_VERSION "0.1"
#endif

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "xdp", cmd_xdp, "attach, detach, inspect and run XDP programs" },
	{ "gen", cmd_gen, "generate Ethernet/IPv4/UDP frames into a TAP or interface" },
	{ "testbed", cmd_testbed, "create or remove the namespace testbed (TAP + veth)" },
	{ "trace", cmd_trace, "trace the per-packet path and report cost per stage" },
	{ "ring", cmd_ring, "ring and virtqueue lab: benchmark and cache model" },
	{ "vhost", cmd_vhost, "user-space virtio driver for /dev/vhost-net" },
	{ "export", cmd_export, "Prometheus exporter of per-queue TAP / vhost / virtio-net figures" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vnetkit <command> [options]   (vnetkit <command> --help)\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("vnetkit %s\n", VNETKIT_VERSION);
		return 0;
	}
	vk_setup_libbpf_logging();
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	vk_errf("command", "see vnetkit --help", "unknown command '%s'", argv[1]);
	return EXIT_USAGE;
}
