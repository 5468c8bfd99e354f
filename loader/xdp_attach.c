// SPDX-License-Identifier: GPL-2.0
/* vnetkit xdp: the attach engine. attach goes through netlink
 * (bpf_xdp_attach), so the program outlives the process until `detach`;
 * run attaches through a bpf_link, which the kernel removes with the
 * process. Pins are recorded with the ids they were made with, so detach
 * --pin removes only what attach --pin made. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "netdev.h"
#include "owner.h"
#include "util.h"
#include "xdp_cmd.h"

/* --action cpu: CPUMAP queue length (frames). */
#define VK_CPUMAP_QSIZE 2048

void vk_xdp_query_failed(const char *what, const char *dev, int err)
{
	if (err == -EPERM || err == -EACCES)
		vk_errf(what, "run as root or add CAP_SYS_ADMIN", "cannot read the XDP "
			"program on %s: permission denied: reading a program by id needs "
			"CAP_SYS_ADMIN", dev);
	else
		vk_errf(what, NULL, "cannot query %s: %s", dev, strerror(-err));
}

static const char *const pin_names[] = { "prog", VK_STATS_MAP_NAME, VK_TX_PORT_MAP_NAME };

/* Only the pins this process made (st->pinned), never a file of the same
 * name that was there before. */
static void unpin_ours(struct vk_xdp_attachment *st)
{
	char path[PATH_MAX + 32];

	for (size_t i = 0; i < ARRAY_SIZE(pin_names); i++) {
		if (!(st->pinned & 1u << i))
			continue;
		snprintf(path, sizeof(path), "%s/%s", st->pin_dir, pin_names[i]);
		unlink(path);
	}
	if (st->pin_dir_created)
		rmdir(st->pin_dir);
	st->pinned = 0;
}

bool vk_xdp_is_ours(const struct vk_attached *a)
{
	return a->stats_map_id && vk_prog_name_ours(a->name);
}

__u32 vk_bpf_obj_id(int fd)
{
	struct bpf_prog_info info = {};	/* id is the first field of both */
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* A pin must outlive us: bpffs mounted in a private mount namespace (the
 * one `ip netns exec` makes) goes away with the last process in it, and
 * "pinned" would be a lie. */
static int pin_survives(const char *dir)
{
	struct stat self, other;
	char path[64];

	/* Compared with PID 1's, or where that is hidden from us (a
	 * container), with our parent's: `ip netns exec` unshares the mount
	 * namespace and execs us, so our parent (the shell) is outside it. */
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)getppid());
	if (stat("/proc/self/ns/mnt", &self) ||
	    (stat("/proc/1/ns/mnt", &other) && stat(path, &other)))
		return 0;	/* cannot tell: the kernel decides */
	if (self.st_ino == other.st_ino)
		return 0;
	vk_errf("xdp attach --pin", NULL, "this process runs in a private mount namespace "
		"(as under ip netns exec): a pin in %s would vanish with it (use --netns "
		"instead, from the host's mount namespace: vnetkit xdp attach --netns NS "
		"--pin DIR ...)", dir);
	return -1;
}

static int pin_all(struct vk_xdp_attachment *st, const char *dir)
{
	struct vk_pin_record rec = {};
	struct statfs sfs;
	char path[PATH_MAX + 32], parent[PATH_MAX];
	char *slash;
	int err = 0;

	if (pin_survives(dir) || vk_ensure_bpffs())
		return -1;
	if (strlen(dir) >= sizeof(st->pin_dir) - 1) {
		vk_err("xdp attach --pin", "path too long", NULL);
		return -1;
	}
	snprintf(st->pin_dir, sizeof(st->pin_dir), "%s", dir);
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	else
		snprintf(parent, sizeof(parent), "%s", slash ? "/" : ".");
	if (statfs(parent, &sfs) || (unsigned long)sfs.f_type != BPF_FS_MAGIC) {
		vk_errf("xdp attach --pin", "use a directory under /sys/fs/bpf",
			"%s is not on a BPF filesystem", parent);
		return -1;
	}
	if (mkdir(dir, 0700) == 0) {
		st->pin_dir_created = true;
	} else if (errno != EEXIST) {
		vk_errf("xdp attach --pin", NULL, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(pin_names); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pin_names[i]);
		if (!access(path, F_OK)) {
			vk_errf("xdp attach --pin", "detach it or choose another --pin DIR",
				"%s already exists", path);
			unpin_ours(st);
			return -1;
		}
	}
	snprintf(path, sizeof(path), "%s/prog", dir);
	err = bpf_program__pin(st->x.prog, path);
	if (!err) {
		st->pinned |= 1u << 0;
		snprintf(path, sizeof(path), "%s/%s", dir, VK_STATS_MAP_NAME);
		err = bpf_map__pin(st->x.stats, path);
	}
	if (!err && st->x.tx_port) {
		st->pinned |= 1u << 1;
		snprintf(path, sizeof(path), "%s/%s", dir, VK_TX_PORT_MAP_NAME);
		err = bpf_map__pin(st->x.tx_port, path);
		if (!err)
			st->pinned |= 1u << 2;
	} else if (!err) {
		st->pinned |= 1u << 1;
	}
	if (err) {
		vk_errf("xdp attach --pin", NULL, "pinning in %s failed: %s", dir,
			strerror(-err));
		unpin_ours(st);
		return -1;
	}
	/* The ids are what `detach --pin` later proves the pins are ours by. */
	if (!realpath(dir, rec.dir)) {
		err = -errno;
	} else {
		rec.dir_created = st->pin_dir_created;
		rec.nr = 0;
		snprintf(rec.pins[rec.nr].name, sizeof(rec.pins[0].name), "prog");
		rec.pins[rec.nr++].id = vk_bpf_obj_id(bpf_program__fd(st->x.prog));
		snprintf(rec.pins[rec.nr].name, sizeof(rec.pins[0].name), VK_STATS_MAP_NAME);
		rec.pins[rec.nr++].id = vk_bpf_obj_id(bpf_map__fd(st->x.stats));
		if (st->x.tx_port) {
			snprintf(rec.pins[rec.nr].name, sizeof(rec.pins[0].name),
				 VK_TX_PORT_MAP_NAME);
			rec.pins[rec.nr++].id = vk_bpf_obj_id(bpf_map__fd(st->x.tx_port));
		}
		err = vk_pin_record_save(&rec);
	}
	if (err) {
		vk_errf("xdp attach --pin", NULL, "cannot record the pins in %s: %s",
			VK_PIN_RECORD_DIR, strerror(-err));
		unpin_ours(st);
		return -1;
	}
	return 0;
}

void vk_xdp_release(struct vk_xdp_attachment *st, bool detach)
{
	if (st->link_fd >= 0)
		close(st->link_fd);	/* the kernel detaches with the last reference */
	else if (detach && st->flags)
		bpf_xdp_detach(st->ifindex, st->flags, NULL);
	st->link_fd = -1;
	if (st->pinned) {
		struct vk_pin_record rec;

		if (!vk_pin_record_load(st->pin_dir, &rec))
			vk_pin_record_remove(&rec);
		unpin_ours(st);
	}
	if (st->old_fd >= 0)
		close(st->old_fd);
	st->old_fd = -1;
	vk_xdp_close(&st->x);
}

/* Redirect into a veth succeeds in bpf_redirect_map() yet the frames
 * vanish when the veth's peer has neither an XDP program nor GRO; the
 * kernel reports exactly that as the target's ndo_xmit XDP feature. */
static void check_redirect_target(const struct vk_xdp_opts *o)
{
	char drv[32] = "", peer[IF_NAMESIZE] = "";
	__u64 feat;
	int err, peer_idx;

	err = vk_xdp_features(o->to_ifindex, &feat);
	if (err == -EOPNOTSUPP) {
		fprintf(stderr, "vnetkit: xdp attach: note: cannot check redirect target %s: "
			"this kernel does not report xdp_features\n", o->to);
		return;
	}
	if (!err && o->frags && (feat & VK_XDP_ACT_NDO_XMIT) && !(feat & VK_XDP_ACT_NDO_XMIT_SG))
		fprintf(stderr,
			"vnetkit: xdp attach: warning: redirect target %s does not advertise "
			"ndo_xmit_sg: multi-buffer frames redirected to it are dropped "
			"(xdp_redirect_err); single-buffer frames still go through\n", o->to);
	if (err || (feat & VK_XDP_ACT_NDO_XMIT))
		return;
	vk_driver_name(o->to, drv, sizeof(drv));
	peer_idx = vk_veth_peer(o->to);
	if (peer_idx && if_indextoname(peer_idx, peer))
		fprintf(stderr,
			"vnetkit: xdp attach: warning: redirect target %s (veth) cannot receive XDP frames: "
			"its peer %s has no XDP program and no GRO, so redirected frames would be dropped "
			"without any counter (load `pass` on %s: vnetkit xdp attach --dev %s --action pass, "
			"or enable GRO: ethtool -K %s gro on)\n", o->to, peer, peer, peer, peer);
	else if (peer_idx)
		fprintf(stderr,
			"vnetkit: xdp attach: warning: redirect target %s (veth) cannot receive XDP frames: "
			"its peer (in another namespace) has no XDP program and no GRO (load `pass` on the "
			"peer or enable GRO on it)\n", o->to);
	else
		fprintf(stderr,
			"vnetkit: xdp attach: warning: redirect target %s (driver %s) does not implement "
			"ndo_xdp_xmit: native redirects to it fail (count as xdp_redirect_err); "
			"use --mode generic\n", o->to, drv[0] ? drv : "unknown");
}

static int try_attach(struct vk_xdp_attachment *st, const struct vk_xdp_opts *o,
		      __u32 mode_flag, bool quiet)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, ao, .old_prog_fd = st->old_fd);
	__u32 flags = mode_flag | XDP_FLAGS_UPDATE_IF_NOEXIST;
	int err, prog_fd = bpf_program__fd(st->x.prog);

	vk_kernel_msg[0] = '\0';
	if (st->use_link) {
		LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = mode_flag);

		st->link_fd = bpf_link_create(prog_fd, o->ifindex, BPF_XDP, &lo);
		err = st->link_fd < 0 ? -errno : 0;
	} else {
		/* --replace swaps exactly the program we checked: if it
		 * changed meanwhile the kernel says EEXIST. */
		if (st->old_fd >= 0)
			flags = mode_flag | XDP_FLAGS_REPLACE;
		err = bpf_xdp_attach(o->ifindex, prog_fd, flags,
				     st->old_fd >= 0 ? &ao : NULL);
	}
	if (!err) {
		st->flags = mode_flag;
		return 0;
	}
	if (!quiet) {
		const char *hint = NULL;

		if (err == -EBUSY || err == -EEXIST)
			hint = o->replace ? "the attached program changed, or is held by a "
			       "bpf_link: check vnetkit xdp status" :
			       "another XDP program is attached: detach it or use --replace";
		else if (err == -EOPNOTSUPP && mode_flag == XDP_FLAGS_DRV_MODE)
			hint = "the driver has no native XDP: use --mode generic (slower, skb path)";
		else if ((err == -ERANGE || (err == -EINVAL && strstr(vk_kernel_msg, "MTU"))) &&
			 !o->frags && vk_action_has_frags(o->action))
			hint = "the MTU needs multi-buffer frames: use --frags, or lower the MTU "
			       "(ip link set dev IF mtu 1500)";
		else if (err == -EINVAL && strstr(vk_kernel_msg, "MTU"))
			hint = "lower the MTU, e.g. ip link set dev IF mtu 1500";
		vk_errf(o->replace ? "xdp attach" : st->use_link ? "xdp run" : "xdp attach",
			hint, "attaching to %s in %s mode failed: %s%s%s",
			o->dev, mode_flag == XDP_FLAGS_DRV_MODE ? "native" : "generic",
			strerror(-err), vk_kernel_msg[0] ? "; kernel says: " : "", vk_kernel_msg);
	}
	return err;
}

int vk_xdp_attach(const struct vk_xdp_opts *o, struct vk_xdp_attachment *st,
		  bool use_link)
{
	struct vk_attached cur;
	bool per_rxq = true;
	__u64 feat = 0;
	int err, ferr;

	memset(st, 0, sizeof(*st));
	st->ifindex = o->ifindex;
	st->use_link = use_link;
	st->link_fd = -1;
	st->old_fd = -1;

	err = vk_xdp_query(o->ifindex, &cur);
	if (err) {
		vk_xdp_query_failed("xdp attach", o->dev, err);
		return -1;
	}
	if (cur.prog_id && !o->replace) {
		vk_errf("xdp attach", NULL,
			"%s already has an XDP program (id %u '%s', %s mode): detach it first "
			"(vnetkit xdp detach --dev %s) or use --replace",
			o->dev, cur.prog_id, cur.name, cur.mode, o->dev);
		return -1;
	}
	if (cur.prog_id && o->replace &&
	    ((o->mode == VK_MODE_NATIVE && !cur.drv_id) ||
	     (o->mode == VK_MODE_GENERIC && !cur.skb_id))) {
		vk_errf("xdp attach", "detach it first, then attach",
			"--replace cannot change the mode: %s has a program in %s mode",
			o->dev, cur.mode);
		return -1;
	}
	if (cur.prog_id && o->replace && !vk_xdp_is_ours(&cur) && !o->force) {
		vk_errf("xdp attach", NULL, "%s has a program vnetkit did not load (id %u '%s', "
			"%s mode): --replace replaces only vnetkit's programs (left in place; "
			"add --force to replace it anyway)", o->dev, cur.prog_id, cur.name,
			cur.mode);
		return -1;
	}
	if (cur.prog_id && o->replace) {
		st->old_fd = bpf_prog_get_fd_by_id(cur.prog_id);
		if (st->old_fd < 0) {
			vk_errf("xdp attach", NULL, "cannot open the attached program id %u: %s",
				cur.prog_id, strerror(errno));
			return -1;
		}
	}

	ferr = vk_xdp_features(o->ifindex, &feat);
	if (!ferr && o->mode == VK_MODE_NATIVE && !(feat & VK_XDP_ACT_BASIC)) {
		vk_errf("xdp attach", "use --mode generic (skb path) or --mode auto",
			"%s has no native XDP support (its driver reports no XDP features)",
			o->dev);
		return -1;
	}
	if (!ferr && o->action == VK_ACT_REDIRECT && o->mode == VK_MODE_NATIVE &&
	    !(feat & VK_XDP_ACT_REDIRECT)) {
		vk_errf("xdp attach", "use --mode generic",
			"%s does not support XDP_REDIRECT in native mode", o->dev);
		return -1;
	}

	err = vk_xdp_open_variant(&st->x, o->action, o->frags);
	if (!err)
		err = vk_xdp_set_rodata(&st->x, "per_rxq", &per_rxq, sizeof(per_rxq));
	/* The CPUMAP is indexed by CPU number: one entry past the target. */
	if (!err && o->action == VK_ACT_CPU)
		err = vk_xdp_set_rodata(&st->x, "target_cpu", &o->cpu, sizeof(o->cpu)) ?:
		      bpf_map__set_max_entries(st->x.tx_port, o->cpu + 1);
	if (!err)
		err = vk_xdp_load(&st->x);
	if (err) {
		vk_errf("xdp attach", "run with VNETKIT_DEBUG=1 for the verifier log",
			"loading the %s program failed: %s", vk_action_name(o->action),
			strerror(-err));
		vk_xdp_release(st, false);
		return -1;
	}
	if (o->action == VK_ACT_REDIRECT) {
		__u32 key = 0, val = o->to_ifindex;

		if (bpf_map__update_elem(st->x.tx_port, &key, sizeof(key), &val,
					 sizeof(val), 0)) {
			vk_errf("xdp attach", NULL, "cannot set redirect target %s: %s",
				o->to, strerror(errno));
			vk_xdp_release(st, false);
			return -1;
		}
	}
	if (o->action == VK_ACT_CPU) {
		struct bpf_cpumap_val val = { .qsize = VK_CPUMAP_QSIZE };

		if (bpf_map__update_elem(st->x.tx_port, &o->cpu, sizeof(o->cpu), &val,
					 sizeof(val), 0)) {
			vk_errf("xdp attach", NULL, "cannot set up the CPUMAP entry of CPU %u: %s",
				o->cpu, strerror(errno));
			vk_xdp_release(st, false);
			return -1;
		}
	}
	if (o->pin && pin_all(st, o->pin)) {
		vk_xdp_release(st, false);
		return -1;
	}

	switch (o->mode) {
	case VK_MODE_NATIVE:
		err = try_attach(st, o, XDP_FLAGS_DRV_MODE, false);
		break;
	case VK_MODE_GENERIC:
		err = try_attach(st, o, XDP_FLAGS_SKB_MODE, false);
		break;
	case VK_MODE_AUTO:
		if (!ferr && !(feat & VK_XDP_ACT_BASIC)) {
			fprintf(stderr, "vnetkit: xdp attach: %s has no native XDP (driver reports "
				"no XDP features): using generic mode\n", o->dev);
			err = try_attach(st, o, XDP_FLAGS_SKB_MODE, false);
			break;
		}
		err = try_attach(st, o, XDP_FLAGS_DRV_MODE, true);
		if (err == -EBUSY || err == -EEXIST) {
			try_attach(st, o, XDP_FLAGS_DRV_MODE, false);
			break;
		}
		if (err) {
			fprintf(stderr, "vnetkit: xdp attach: native mode failed on %s (%s%s%s%s): "
				"falling back to generic mode\n", o->dev, strerror(-err),
				vk_kernel_msg[0] ? "; kernel says: " : "", vk_kernel_msg,
				err == -ERANGE && !o->frags && vk_action_has_frags(o->action) ?
				"; the MTU needs multi-buffer frames: --frags runs native" : "");
			err = try_attach(st, o, XDP_FLAGS_SKB_MODE, false);
		}
		break;
	}
	if (err) {
		vk_xdp_release(st, false);
		return -1;
	}
	st->mode = st->flags == XDP_FLAGS_DRV_MODE ? "native" : "generic";
	if (o->action == VK_ACT_REDIRECT && st->flags == XDP_FLAGS_DRV_MODE)
		check_redirect_target(o);
	if (o->frags && st->flags == XDP_FLAGS_DRV_MODE && !ferr && !(feat & VK_XDP_ACT_RX_SG))
		fprintf(stderr,
			"vnetkit: xdp attach: note: %s does not advertise rx_sg (xdp features): "
			"its native path gives this program single-buffer frames only; larger "
			"frames take generic XDP or are refused by the driver\n", o->dev);
	return 0;
}

const char *vk_xdp_attach_how(bool link)
{
	return link ? "bpf_link" : "netlink";
}

void vk_xdp_print_attached(const struct vk_xdp_opts *o,
			   const struct vk_xdp_attachment *st)
{
	printf("attached %s (prog id %u) to %s in %s mode%s", bpf_program__name(st->x.prog),
	       vk_bpf_obj_id(bpf_program__fd(st->x.prog)), o->dev, st->mode,
	       st->x.frags ? ", multi-buffer (xdp.frags)" : "");
	if (o->action == VK_ACT_REDIRECT)
		printf(", redirecting to %s", o->to);
	else if (o->action == VK_ACT_CPU)
		printf(", redirecting to CPU %u", o->cpu);
	printf("\n");
	if (st->use_link)
		printf("attached through a bpf_link: the kernel detaches it when this "
		       "process exits, however it ends\n");
	else
		printf("attached through netlink: it stays after vnetkit exits "
		       "(remove: vnetkit xdp detach --dev %s%s%s)\n", o->dev,
		       o->netns ? " --netns " : "", o->netns ? o->netns : "");
	if (st->pinned)
		printf("pinned: %s/prog, %s/%s%s%s\n", st->pin_dir, st->pin_dir,
		       VK_STATS_MAP_NAME, st->x.tx_port ? ", tx port map " : "",
		       st->x.tx_port ? VK_TX_PORT_MAP_NAME : "");
}

int vk_xdp_cmd_attach(const struct vk_xdp_opts *o)
{
	struct vk_xdp_attachment st;

	if (vk_xdp_attach(o, &st, false))
		return EXIT_FAIL;
	vk_xdp_print_attached(o, &st);
	/* The attachment (and pins) keep the program alive after we exit. */
	if (st.old_fd >= 0)
		close(st.old_fd);
	vk_xdp_close(&st.x);
	return 0;
}

/* ---- detach ---------------------------------------------------------- */

__u32 vk_xdp_link_id(int ifindex)
{
	__u32 id = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.type == BPF_LINK_TYPE_XDP && (int)info.xdp.ifindex == ifindex) {
			close(fd);
			return id;
		}
		close(fd);
	}
	return 0;
}

/* May `detach --pin DIR` remove DIR's pins? Only when attach --pin recorded
 * them, each is still the object of the recorded id, DIR holds nothing
 * else, and the program is the one being detached (prog_id, 0: none is
 * attached). Says why not; leaves everything in place then. */
static int check_pins(const char *dir, __u32 prog_id, struct vk_pin_record *rec)
{
	char path[PATH_MAX + 32];
	struct dirent *de;
	DIR *d;
	int err;

	err = vk_pin_record_load(dir, rec);
	if (err) {
		vk_errf("xdp detach --pin", NULL, "%s was not pinned by vnetkit xdp attach "
			"(%s): left in place (if it is yours to remove: rm -r %s)", dir,
			err == -ENOENT ? "no record in " VK_PIN_RECORD_DIR : strerror(-err),
			dir);
		return -1;
	}
	d = opendir(dir);
	if (!d) {
		vk_errf("xdp detach --pin", NULL, "cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		bool known = false;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		for (int i = 0; i < rec->nr; i++)
			known |= !strcmp(de->d_name, rec->pins[i].name);
		if (!known) {
			vk_errf("xdp detach --pin", NULL, "%s holds %s, which vnetkit did not "
				"pin: the directory and its pins are left in place (remove by "
				"hand what is yours)", dir, de->d_name);
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	for (int i = 0; i < rec->nr; i++) {
		__u32 id;
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, rec->pins[i].name);
		fd = bpf_obj_get(path);
		if (fd < 0 && errno == ENOENT)
			continue;
		id = fd >= 0 ? vk_bpf_obj_id(fd) : 0;
		if (fd >= 0)
			close(fd);
		if (id != rec->pins[i].id) {
			vk_errf("xdp detach --pin", NULL, "%s is not what vnetkit pinned there "
				"(id %u, recorded %u): everything left in place (if it is yours "
				"to remove: rm %s)", path, id, rec->pins[i].id, path);
			return -1;
		}
		if (prog_id && !strcmp(rec->pins[i].name, "prog") && id != prog_id) {
			vk_errf("xdp detach --pin", NULL, "the program pinned at %s (id %u) is "
				"not the one attached (id %u): nothing detached or unpinned",
				path, id, prog_id);
			return -1;
		}
	}
	return 0;
}

static int remove_pins(const struct vk_pin_record *rec)
{
	char path[PATH_MAX + 32];

	for (int i = 0; i < rec->nr; i++) {
		snprintf(path, sizeof(path), "%s/%s", rec->dir, rec->pins[i].name);
		if (unlink(path) && errno != ENOENT) {
			vk_errf("xdp detach --pin", NULL, "cannot remove %s: %s", path,
				strerror(errno));
			return -1;
		}
	}
	if (rec->dir_created && rmdir(rec->dir)) {
		vk_errf("xdp detach --pin", NULL, "cannot remove %s: %s", rec->dir,
			strerror(errno));
		return -1;
	}
	vk_pin_record_remove(rec);
	printf("unpinned %s\n", rec->dir);
	return 0;
}

int vk_xdp_cmd_detach(const struct vk_xdp_opts *o)
{
	static const struct { __u32 flag; size_t off; } modes[] = {
		{ XDP_FLAGS_DRV_MODE, offsetof(struct vk_attached, drv_id) },
		{ XDP_FLAGS_SKB_MODE, offsetof(struct vk_attached, skb_id) },
		{ XDP_FLAGS_HW_MODE, offsetof(struct vk_attached, hw_id) },
	};
	struct vk_pin_record rec;
	struct vk_attached a;
	__u32 link;
	int err, fd;

	err = vk_xdp_query(o->ifindex, &a);
	if (err) {
		vk_xdp_query_failed("xdp detach", o->dev, err);
		return EXIT_FAIL;
	}
	if (!a.prog_id) {
		/* Pins left by an attach whose program is gone from the device. */
		if (o->pin && !check_pins(o->pin, 0, &rec)) {
			fprintf(stderr, "vnetkit: xdp detach: note: %s has no XDP program "
				"attached\n", o->dev);
			return remove_pins(&rec) ? EXIT_FAIL : 0;
		}
		if (!o->pin)
			vk_errf("xdp detach", "vnetkit xdp status lists attached programs",
				"%s has no XDP program attached", o->dev);
		return EXIT_FAIL;
	}
	if (o->id && o->id != a.prog_id) {
		vk_errf("xdp detach", "vnetkit xdp status shows the id",
			"--id %u is not the program attached to %s (id %u '%s'): nothing "
			"detached", o->id, o->dev, a.prog_id, a.name);
		return EXIT_FAIL;
	}
	if (!vk_xdp_is_ours(&a) && !o->id && !o->force) {
		vk_errf("xdp detach", NULL, "the program on %s (id %u '%s', %s mode) was not "
			"loaded by vnetkit: left attached (to detach it anyway: vnetkit xdp "
			"detach --dev %s --id %u)", o->dev, a.prog_id, a.name, a.mode, o->dev,
			a.prog_id);
		return EXIT_FAIL;
	}
	if (o->pin && check_pins(o->pin, a.prog_id, &rec))
		return EXIT_FAIL;
	link = vk_xdp_link_id(o->ifindex);
	if (link) {
		vk_errf("xdp detach", NULL, "the program on %s is held by bpf_link id %u (a "
			"running vnetkit xdp run or another tool's link): it goes when that "
			"process exits or the link is unpinned (see bpftool link show id %u)",
			o->dev, link, link);
		return EXIT_FAIL;
	}
	for (size_t i = 0; !err && i < ARRAY_SIZE(modes); i++) {
		__u32 id = *(__u32 *)((char *)&a + modes[i].off);
		LIBBPF_OPTS(bpf_xdp_attach_opts, ao);

		if (!id)
			continue;
		/* Detach exactly the program checked above: if another took
		 * its place meanwhile, the kernel refuses (EEXIST). */
		ao.old_prog_fd = bpf_prog_get_fd_by_id(id);
		if (ao.old_prog_fd < 0) {
			err = -errno;
			break;
		}
		err = bpf_xdp_detach(o->ifindex, modes[i].flag | XDP_FLAGS_REPLACE, &ao);
		close(ao.old_prog_fd);
	}
	if (err) {
		vk_errf("xdp detach", err == -EEXIST ? "the program changed while detaching: "
			"check vnetkit xdp status" : NULL, "detaching from %s failed: %s",
			o->dev, strerror(-err));
		return EXIT_FAIL;
	}
	printf("detached %s (prog id %u, %s mode) from %s\n", a.name, a.prog_id, a.mode, o->dev);
	if (o->pin && remove_pins(&rec))
		return EXIT_FAIL;
	fd = bpf_prog_get_fd_by_id(a.prog_id);
	if (fd >= 0) {
		close(fd);
		printf("note: program id %u is still alive: it is pinned or held open "
		       "(vnetkit xdp detach --pin DIR removes our pins; see bpftool prog show id %u)\n",
		       a.prog_id, a.prog_id);
	}
	return 0;
}
