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
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "netns.h"
#include "owner.h"
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
"  down    remove the TAP, the veth pair, then the namespace: only what\n"
"          `up` created and recorded in " VK_TB_RECORD_DIR "/NS\n"
"          (namespace inode, device ifindexes); anything else is refused\n"
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

static const char *name_opt(const struct tb_opts *o)
{
	static char buf[80];

	snprintf(buf, sizeof(buf), "%s%s", strcmp(o->ns, "vnetkit") ? " --name " : "",
		 strcmp(o->ns, "vnetkit") ? o->ns : "");
	return buf;
}

/* Is namespace o->ns the one a `testbed up` created and recorded? Prints
 * why not (naming what is foreign and how to remove it by hand) and
 * returns the exit code; 0 when it is ours, with the record in *r. */
static int check_ours(const char *what, const struct tb_opts *o,
		      struct vk_tb_record *r)
{
	char rec[256];
	uint64_t ino = 0;
	int err;

	vk_tb_record_path(rec, sizeof(rec), o->ns);
	err = vk_tb_record_load(o->ns, r);
	if (vk_netns_exists(o->ns) != 1) {
		if (!err) {
			/* The namespace went away without us: the record is ours. */
			vk_tb_record_remove(o->ns);
			vk_errf(what, "nothing to remove", "testbed '%s' is not up "
				"(its namespace is gone; removed the stale record %s)",
				o->ns, rec);
		} else {
			vk_errf(what, "run: vnetkit testbed up", "testbed '%s' is not up",
				o->ns);
		}
		return EXIT_FAIL;
	}
	if (err == -ENOENT) {
		vk_errf(what, NULL, "namespace '%s' was not created by vnetkit testbed "
			"(no record %s): leaving it alone (if it is yours to remove: "
			"ip netns del %s)", o->ns, rec, o->ns);
		return EXIT_FAIL;
	}
	if (err) {
		vk_errf(what, NULL, "cannot read the testbed record %s: %s (check it, "
			"or remove it and the namespace by hand: rm %s; ip netns del %s)",
			rec, strerror(-err), rec, o->ns);
		return EXIT_FAIL;
	}
	err = vk_netns_ino(o->ns, &ino);
	if (err || ino != r->ns_ino) {
		vk_errf(what, NULL, "namespace '%s' is not the one vnetkit testbed "
			"created (inode %llu, recorded %llu): it was deleted and "
			"re-created by someone else; leaving it alone (remove the stale "
			"record: rm %s; the namespace, if it is yours: ip netns del %s)",
			o->ns, (unsigned long long)ino, (unsigned long long)r->ns_ino,
			rec, o->ns);
		return EXIT_FAIL;
	}
	return 0;
}

static void record_link(struct vk_tb_record *r, const char *name, const char *kind)
{
	struct vk_tb_link *l = &r->links[r->nr_links++];

	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->kind, sizeof(l->kind), "%s", kind);
	l->ifindex = if_nametoindex(name);
}

static int tb_up(struct tb_opts *o)
{
	const char *links[] = { o->tap, o->veth, o->peer };
	struct vk_tb_record rec = { 0 };
	char msg[256];
	int saved, ret, st;

	st = vk_netns_exists(o->ns);
	if (st == 1) {
		uint64_t ino = 0;

		if (!vk_tb_record_load(o->ns, &rec) && !vk_netns_ino(o->ns, &ino) &&
		    ino == rec.ns_ino)
			vk_errf("testbed up", NULL, "testbed already up in namespace '%s' "
				"(run: vnetkit testbed down%s)", o->ns, name_opt(o));
		else
			vk_errf("testbed up", "choose another --name NS",
				"namespace '%s' exists and is not a vnetkit testbed", o->ns);
		return EXIT_FAIL;
	}
	if (!vk_tb_record_load(o->ns, &rec))
		vk_tb_record_remove(o->ns);	/* ours, its namespace is gone */
	if (vk_netns_create(o->ns)) {
		vk_errf("testbed up", errno == EEXIST ? "a file of that name is in "
			VK_NETNS_RUN_DIR " and it is not a namespace: choose another "
			"--name NS" : NULL,
			"cannot create namespace '%s': %s", o->ns, strerror(errno));
		return EXIT_FAIL;
	}
	snprintf(rec.ns, sizeof(rec.ns), "%s", o->ns);
	rec.pid = getpid();
	rec.created = time(NULL);
	/* Recorded before anything goes in it: a crash from here on leaves a
	 * namespace that `down` knows is ours. */
	ret = vk_netns_ino(o->ns, &rec.ns_ino);
	if (!ret)
		ret = vk_tb_record_save(&rec);
	if (ret) {
		vk_errf("testbed up", NULL, "cannot record the testbed in %s: %s",
			VK_TB_RECORD_DIR, strerror(-ret));
		goto err_ns;
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
	record_link(&rec, o->tap, "tap");
	record_link(&rec, o->veth, "veth");
	record_link(&rec, o->peer, "veth");
	ret = vk_tb_record_save(&rec);
	if (ret) {
		vk_errf("testbed up", NULL, "cannot record the testbed devices: %s",
			strerror(-ret));
		goto err_veth;
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
	printf("testbed: recorded in %s/%s\n", VK_TB_RECORD_DIR, o->ns);
	printf("testbed: up (remove with: vnetkit testbed down%s)\n", name_opt(o));
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
	vk_tb_record_remove(o->ns);
	return EXIT_FAIL;
}

/* Every non-loopback device in the namespace. */
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

static bool recorded(const struct vk_tb_record *r, const char *name)
{
	int idx = if_nametoindex(name);

	for (int i = 0; i < r->nr_links; i++)
		if (!strcmp(r->links[i].name, name) && r->links[i].ifindex == idx)
			return true;
	return false;
}

static int tb_down(struct tb_opts *o)
{
	char names[64][IFNAMSIZ], msg[256], foreign[1100] = "";
	struct vk_tb_record rec;
	int saved, n, rc;

	rc = check_ours("testbed down", o, &rec);
	if (rc)
		return rc;
	saved = vk_netns_enter(o->ns);
	if (saved < 0) {
		vk_errf("testbed down", NULL, "cannot enter namespace '%s': %s",
			o->ns, strerror(errno));
		return EXIT_FAIL;
	}
	/* Only the devices we created, and only while their ifindex is the
	 * one recorded; the TAP first: a TAP still held open by a process
	 * goes with the namespace anyway, removing it explicitly makes the
	 * failure visible. */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < rec.nr_links; i++) {
			const struct vk_tb_link *l = &rec.links[i];
			int ret;

			if (!strcmp(l->kind, "tap") != (pass == 0))
				continue;
			if ((int)if_nametoindex(l->name) != l->ifindex)
				continue;	/* gone with its veth peer, or not ours */
			ret = vk_link_del(l->name, msg, sizeof(msg));
			if (ret && ret != -ENODEV) {
				vk_errf("testbed down", msg[0] ? msg : NULL,
					"cannot remove %s: %s", l->name, strerror(-ret));
				rc = EXIT_FAIL;
			} else if (!ret) {
				printf("testbed: removed %s %s\n",
				       strcmp(l->kind, "tap") ? l->kind : "TAP", l->name);
			}
		}
	}
	n = list_links(names, ARRAY_SIZE(names));
	for (int i = 0; i < n; i++) {
		size_t len = strlen(foreign);

		snprintf(foreign + len, sizeof(foreign) - len, "%s%s", len ? ", " : "",
			 names[i]);
	}
	vk_netns_leave(saved);
	if (foreign[0]) {
		vk_errf("testbed down", NULL, "namespace '%s' holds devices vnetkit did "
			"not create: %s; leaving the namespace in place (move or remove "
			"them: ip -n %s link del DEV, then run vnetkit testbed down%s again)",
			o->ns, foreign, o->ns, name_opt(o));
		return EXIT_FAIL;
	}
	if (vk_netns_delete(o->ns)) {
		vk_errf("testbed down", NULL, "cannot remove namespace '%s': %s",
			o->ns, strerror(errno));
		return EXIT_FAIL;
	}
	vk_tb_record_remove(o->ns);
	printf("testbed: removed namespace %s\n", o->ns);
	return rc;
}

static int tb_status(struct tb_opts *o)
{
	char names[64][IFNAMSIZ];
	struct vk_tb_record rec;
	struct vk_link_info li;
	int saved, n, rc;

	rc = check_ours("testbed status", o, &rec);
	if (rc) {
		if (o->json)
			printf("{\"namespace\":\"%s\",\"up\":false,\"devices\":[]}\n", o->ns);
		return rc;
	}
	saved = vk_netns_enter(o->ns);
	if (saved < 0) {
		vk_errf("testbed status", NULL, "cannot enter namespace '%s': %s",
			o->ns, strerror(errno));
		return EXIT_FAIL;
	}
	n = list_links(names, ARRAY_SIZE(names));
	if (o->json)
		printf("{\"namespace\":\"%s\",\"up\":true,\"created_by_pid\":%ld,"
		       "\"created_at\":%lld,\"devices\":[", o->ns, rec.pid, rec.created);
	else
		printf("testbed %s: up (created by pid %ld)\n  %-15s %-6s %-5s %12s %12s %9s\n",
		       o->ns, rec.pid, "device", "kind", "state", "rx_packets", "tx_packets",
		       "dropped");
	for (int i = 0; i < n; i++) {
		const char *kind;
		bool ours;

		if (vk_link_info(names[i], &li))
			continue;
		ours = recorded(&rec, names[i]);
		kind = !strcmp(li.driver, "tun") ? li.bus : li.driver;
		if (o->json)
			printf("%s{\"name\":\"%s\",\"kind\":\"%s\",\"ifindex\":%d,"
			       "\"vnetkit\":%s,\"up\":%s,\"rx_packets\":%llu,\"tx_packets\":%llu,"
			       "\"rx_dropped\":%llu,\"tx_dropped\":%llu}",
			       i ? "," : "", li.name, kind, li.ifindex,
			       ours ? "true" : "false", li.up ? "true" : "false",
			       (unsigned long long)li.rx_packets,
			       (unsigned long long)li.tx_packets,
			       (unsigned long long)li.rx_dropped,
			       (unsigned long long)li.tx_dropped);
		else
			printf("  %-15s %-6s %-5s %12llu %12llu %9llu%s\n", li.name,
			       kind, li.up ? "up" : "down",
			       (unsigned long long)li.rx_packets,
			       (unsigned long long)li.tx_packets,
			       (unsigned long long)(li.rx_dropped + li.tx_dropped),
			       ours ? "" : "  (not created by vnetkit)");
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
	/* Namespaces (unshare, setns, the /run/netns bind mount):
	 * CAP_SYS_ADMIN; links: CAP_NET_ADMIN. */
	if (vk_require_caps("testbed", VK_CAP(VK_CAP_SYS_ADMIN) | VK_CAP(VK_CAP_NET_ADMIN)))
		return EXIT_FAIL;
	if (!strcmp(sub, "up"))
		return tb_up(&o);
	if (!strcmp(sub, "down"))
		return tb_down(&o);
	return tb_status(&o);
}
