// SPDX-License-Identifier: GPL-2.0
/* vnetkit testbed up|down|status: a network namespace holding a persistent
 * TAP and a veth pair, the fixture of the demo and of the end-to-end tests.
 * Everything is done with syscalls and rtnetlink (netns.c), so it needs no
 * iproute2 and behaves the same on the host and in the busybox guest. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "netns.h"
#include "util.h"

struct tb_opts {
	const char *ns;
	const char *tap;
	const char *veth;
	char peer[IFNAMSIZ];
	bool json;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: vnetkit testbed up [--name NS] [--tap NAME] [--veth NAME] [--peer NAME]\n"
"       vnetkit testbed down [--name NS]\n"
"       vnetkit testbed status [--name NS] [--json]\n"
"\n"
"  up      create namespace NS (default vnetkit) with a persistent TAP\n"
"          (default vktap0) and a veth pair (default vkveth0 <-> vkveth1),\n"
"          all up; IPv6 is disabled inside NS only, so no ND/MLD frames\n"
"          disturb exact counters. A failure removes what was created.\n"
"  down    remove the TAP, the veth pair, then the namespace\n"
"  status  list the devices in the namespace with their counters\n"
"\n"
"Run tools inside it with: ip netns exec NS vnetkit gen --tap vktap0 ...\n");
}

/* vkveth0 -> vkveth1; a name without a trailing number gets "1" appended. */
static int default_peer(const char *veth, char *peer)
{
	size_t n = strlen(veth), i = n;
	unsigned long num;

	while (i > 0 && veth[i - 1] >= '0' && veth[i - 1] <= '9')
		i--;
	if (i == n)
		return snprintf(peer, IFNAMSIZ, "%s1", veth) >= IFNAMSIZ ? -1 : 0;
	num = strtoul(veth + i, NULL, 10) + 1;
	return snprintf(peer, IFNAMSIZ, "%.*s%lu", (int)i, veth, num) >= IFNAMSIZ ?
	       -1 : 0;
}

static int parse(int argc, char **argv, struct tb_opts *o, bool creating)
{
	static const struct option lopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "tap", required_argument, NULL, 't' },
		{ "veth", required_argument, NULL, 'v' },
		{ "peer", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct vk_opt_seen seen = {};
	const char *peer = NULL;
	int c;

	o->ns = "vnetkit";
	o->tap = "vktap0";
	o->veth = "vkveth0";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", lopts, NULL)) != -1) {
		if (c != 'h' && c != ':' && c != '?' &&
		    vk_opt_once(&seen, "testbed", lopts, c))
			return -1;
		switch (c) {
		case 'n': o->ns = optarg; break;
		case 't': o->tap = optarg; break;
		case 'v': o->veth = optarg; break;
		case 'p': peer = optarg; break;
		case 'j': o->json = true; break;
		case 'h': usage(stdout); exit(0);
		case ':':
			vk_errf("testbed", "see vnetkit testbed --help",
				"option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			vk_errf("testbed", "see vnetkit testbed --help",
				"unknown option '%s'", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		vk_errf("testbed", "see vnetkit testbed --help",
			"unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (!vk_valid_nsname(o->ns)) {
		vk_errf("testbed --name", "1..64 characters, no '/' or spaces",
			"invalid namespace name '%s'", o->ns);
		return -1;
	}
	if (o->json && strcmp(argv[0], "status")) {
		vk_err("testbed --json", "only applies to status", NULL);
		return -1;
	}
	if (!creating)
		return 0;
	if (!vk_valid_ifname(o->tap)) {
		vk_errf("testbed --tap", "at most 15 characters, no '/', ':' or spaces",
			"invalid interface name '%s'", o->tap);
		return -1;
	}
	if (!vk_valid_ifname(o->veth)) {
		vk_errf("testbed --veth", "at most 15 characters, no '/', ':' or spaces",
			"invalid interface name '%s'", o->veth);
		return -1;
	}
	if (peer) {
		if (!vk_valid_ifname(peer)) {
			vk_errf("testbed --peer", "at most 15 characters, no '/', ':' or spaces",
				"invalid interface name '%s'", peer);
			return -1;
		}
		snprintf(o->peer, sizeof(o->peer), "%s", peer);
	} else if (default_peer(o->veth, o->peer)) {
		vk_errf("testbed --veth", "use a shorter name or give --peer",
			"no room for the peer name of '%s'", o->veth);
		return -1;
	}
	return 0;
}

static int tb_up(struct tb_opts *o)
{
	const char *links[] = { o->tap, o->veth, o->peer };
	char msg[256];
	int saved, ret, st;

	st = vk_netns_exists(o->ns);
	if (st == 1) {
		vk_errf("testbed up", NULL, "testbed already up in namespace '%s' "
			"(run: vnetkit testbed down%s%s)", o->ns,
			strcmp(o->ns, "vnetkit") ? " --name " : "",
			strcmp(o->ns, "vnetkit") ? o->ns : "");
		return EXIT_FAIL;
	}
	if (vk_netns_create(o->ns)) {
		vk_errf("testbed up", errno == EEXIST ? "remove the stale "
			VK_NETNS_RUN_DIR " entry: vnetkit testbed down" : NULL,
			"cannot create namespace '%s': %s", o->ns, strerror(errno));
		return EXIT_FAIL;
	}
	printf("testbed: created namespace %s\n", o->ns);

	saved = vk_netns_enter(o->ns);
	if (saved < 0) {
		vk_errf("testbed up", NULL, "cannot enter namespace '%s': %s",
			o->ns, strerror(errno));
		goto err_ns;
	}
	ret = vk_link_set_up("lo");
	if (ret) {
		vk_errf("testbed up", NULL, "cannot set lo up: %s", strerror(-ret));
		goto err_leave;
	}
	/* IPv6 autoconf would emit ND/MLD frames on every link we bring up and
	 * pollute exact XDP counters; only our namespace is touched. */
	ret = vk_sysctl_write("net.ipv6.conf.all.disable_ipv6", "1");
	if (!ret)
		ret = vk_sysctl_write("net.ipv6.conf.default.disable_ipv6", "1");
	if (ret == -ENOENT)
		printf("testbed: IPv6 not available in this kernel (nothing to disable)\n");
	else if (ret) {
		vk_errf("testbed up", NULL, "cannot disable IPv6 in '%s': %s",
			o->ns, strerror(-ret));
		goto err_leave;
	} else {
		printf("testbed: set net.ipv6.conf.{all,default}.disable_ipv6=1 "
		       "in %s only\n", o->ns);
	}

	ret = vk_tap_create(o->tap);
	if (ret) {
		vk_errf("testbed up", NULL, "cannot create TAP '%s': %s", o->tap,
			strerror(-ret));
		goto err_leave;
	}
	ret = vk_link_add_veth(o->veth, o->peer, msg, sizeof(msg));
	if (ret) {
		vk_errf("testbed up", msg[0] ? msg : NULL,
			"cannot create veth pair %s/%s: %s", o->veth, o->peer,
			strerror(-ret));
		goto err_tap;
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		ret = vk_link_set_up(links[i]);
		if (ret) {
			vk_errf("testbed up", NULL, "cannot set %s up: %s",
				links[i], strerror(-ret));
			goto err_veth;
		}
	}
	vk_netns_leave(saved);
	printf("testbed: created TAP %s (mode tap, persistent), up\n", o->tap);
	printf("testbed: created veth pair %s <-> %s, up\n", o->veth, o->peer);
	printf("testbed: up (remove with: vnetkit testbed down%s%s)\n",
	       strcmp(o->ns, "vnetkit") ? " --name " : "",
	       strcmp(o->ns, "vnetkit") ? o->ns : "");
	return 0;

err_veth:
	vk_link_del(o->veth, NULL, 0);
err_tap:
	vk_link_del(o->tap, NULL, 0);
err_leave:
	vk_netns_leave(saved);
err_ns:
	if (vk_netns_delete(o->ns))
		vk_errf("testbed up", "remove it: vnetkit testbed down",
			"rollback could not remove namespace '%s': %s", o->ns,
			strerror(errno));
	else
		fprintf(stderr, "vnetkit: testbed up: rolled back (namespace '%s' "
			"and its devices removed)\n", o->ns);
	return EXIT_FAIL;
}

/* Every non-loopback device in the namespace, TAPs first: a TAP still
 * held open by a process goes away with the namespace anyway, but removing
 * it explicitly makes the failure visible. */
static int list_links(char names[][IFNAMSIZ], int max)
{
	struct if_nameindex *ifs = if_nameindex(), *p;
	int n = 0;

	if (!ifs)
		return -errno;
	for (p = ifs; p->if_index && n < max; p++)
		if (strcmp(p->if_name, "lo"))
			snprintf(names[n++], IFNAMSIZ, "%s", p->if_name);
	if_freenameindex(ifs);
	return n;
}

static int tb_down(struct tb_opts *o)
{
	char names[64][IFNAMSIZ], msg[256];
	int saved, n, rc = 0;

	if (vk_netns_exists(o->ns) != 1) {
		vk_netns_delete(o->ns);	/* a stale placeholder file, if any */
		vk_errf("testbed down", "nothing to remove", "testbed '%s' is not up",
			o->ns);
		return EXIT_FAIL;
	}
	saved = vk_netns_enter(o->ns);
	if (saved < 0) {
		vk_errf("testbed down", NULL, "cannot enter namespace '%s': %s",
			o->ns, strerror(errno));
		return EXIT_FAIL;
	}
	n = list_links(names, ARRAY_SIZE(names));
	for (int pass = 0; pass < 2 && n > 0; pass++) {
		for (int i = 0; i < n; i++) {
			struct vk_link_info li;
			bool is_tun;
			int ret;

			if (vk_link_info(names[i], &li))
				continue;	/* gone with its veth peer */
			is_tun = !strcmp(li.driver, "tun");
			if (is_tun != (pass == 0))
				continue;
			ret = vk_link_del(names[i], msg, sizeof(msg));
			if (ret && ret != -ENODEV) {
				vk_errf("testbed down", msg[0] ? msg : NULL,
					"cannot remove %s: %s", names[i],
					strerror(-ret));
				rc = EXIT_FAIL;
			} else if (!ret) {
				printf("testbed: removed %s %s\n",
				       is_tun ? (strcmp(li.bus, "tun") ? "TAP" : "TUN") :
				       li.driver[0] ? li.driver : "device", names[i]);
			}
		}
	}
	vk_netns_leave(saved);
	if (vk_netns_delete(o->ns)) {
		vk_errf("testbed down", NULL, "cannot remove namespace '%s': %s",
			o->ns, strerror(errno));
		return EXIT_FAIL;
	}
	printf("testbed: removed namespace %s\n", o->ns);
	return rc;
}

static int tb_status(struct tb_opts *o)
{
	char names[64][IFNAMSIZ];
	struct vk_link_info li;
	int saved, n;

	if (vk_netns_exists(o->ns) != 1) {
		if (o->json)
			printf("{\"namespace\":\"%s\",\"up\":false,\"devices\":[]}\n", o->ns);
		vk_errf("testbed status", "run: vnetkit testbed up",
			"testbed '%s' is not up", o->ns);
		return EXIT_FAIL;
	}
	saved = vk_netns_enter(o->ns);
	if (saved < 0) {
		vk_errf("testbed status", NULL, "cannot enter namespace '%s': %s",
			o->ns, strerror(errno));
		return EXIT_FAIL;
	}
	n = list_links(names, ARRAY_SIZE(names));
	if (o->json)
		printf("{\"namespace\":\"%s\",\"up\":true,\"devices\":[", o->ns);
	else
		printf("testbed %s: up\n  %-15s %-6s %-5s %12s %12s %9s\n", o->ns,
		       "device", "kind", "state", "rx_packets", "tx_packets",
		       "dropped");
	for (int i = 0; i < n; i++) {
		const char *kind;

		if (vk_link_info(names[i], &li))
			continue;
		kind = !strcmp(li.driver, "tun") ? li.bus : li.driver;
		if (o->json)
			printf("%s{\"name\":\"%s\",\"kind\":\"%s\",\"ifindex\":%d,"
			       "\"up\":%s,\"rx_packets\":%llu,\"tx_packets\":%llu,"
			       "\"rx_dropped\":%llu,\"tx_dropped\":%llu}",
			       i ? "," : "", li.name, kind, li.ifindex,
			       li.up ? "true" : "false",
			       (unsigned long long)li.rx_packets,
			       (unsigned long long)li.tx_packets,
			       (unsigned long long)li.rx_dropped,
			       (unsigned long long)li.tx_dropped);
		else
			printf("  %-15s %-6s %-5s %12llu %12llu %9llu\n", li.name,
			       kind, li.up ? "up" : "down",
			       (unsigned long long)li.rx_packets,
			       (unsigned long long)li.tx_packets,
			       (unsigned long long)(li.rx_dropped + li.tx_dropped));
	}
	if (o->json)
		printf("]}\n");
	vk_netns_leave(saved);
	return 0;
}

int cmd_testbed(int argc, char **argv)
{
	struct tb_opts o = { 0 };
	const char *sub;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	sub = argv[1];
	if (strcmp(sub, "up") && strcmp(sub, "down") && strcmp(sub, "status")) {
		vk_errf("testbed", "use up, down or status", "unknown subcommand '%s'",
			sub);
		return EXIT_USAGE;
	}
	if (parse(argc - 1, argv + 1, &o, !strcmp(sub, "up")))
		return EXIT_USAGE;
	if (vk_require_root("testbed"))
		return EXIT_FAIL;
	if (!strcmp(sub, "up"))
		return tb_up(&o);
	if (!strcmp(sub, "down"))
		return tb_down(&o);
	return tb_status(&o);
}
