// SPDX-License-Identifier: GPL-2.0
/* User-space virtio-net driver for /dev/vhost-net (see vhost_dev.h). */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "netns.h"
#include "util.h"
#include "vhost_dev.h"
#include "vhost_frame.h"

/* Adaptive busy polling, patches/0005-vhost_net-adaptive-busy-polling.patch:
 * not in the UAPI headers of the build host yet.
 */
#ifndef VHOST_SET_VRING_BUSYLOOP_ADAPTIVE
#define VHOST_SET_VRING_BUSYLOOP_ADAPTIVE _IOW(VHOST_VIRTIO, 0x27,	\
					  struct vhost_vring_state)
#define VHOST_GET_VRING_BUSYLOOP_ADAPTIVE _IOWR(VHOST_VIRTIO, 0x28,	\
					  struct vhost_vring_state)
#endif

#define RING_ALIGN 4096

/* Legacy (pre-VERSION_1) rings are in guest-native byte order, which is
 * ours; VERSION_1 rings are little endian. */
static inline uint16_t vr16(const struct vk_vring *vr, uint16_t v)
{
	return vr->v1 ? le16toh(v) : v;
}

static inline uint16_t cpu_to_vr16(const struct vk_vring *vr, uint16_t v)
{
	return vr->v1 ? htole16(v) : v;
}

static inline uint32_t vr32(const struct vk_vring *vr, uint32_t v)
{
	return vr->v1 ? le32toh(v) : v;
}

static inline uint32_t cpu_to_vr32(const struct vk_vring *vr, uint32_t v)
{
	return vr->v1 ? htole32(v) : v;
}

static inline uint64_t cpu_to_vr64(const struct vk_vring *vr, uint64_t v)
{
	return vr->v1 ? htole64(v) : v;
}

static void vring_setup(struct vk_vring *vr, unsigned int index,
			unsigned int num, void *ring, bool v1, bool event_idx)
{
	struct vring r;

	vring_init(&r, num, ring, RING_ALIGN);
	memset(vr, 0, sizeof(*vr));
	vr->index = index;
	vr->num = num;
	vr->v1 = v1;
	vr->event_idx = event_idx;
	vr->desc = r.desc;
	vr->avail = r.avail;
	vr->used = r.used;
	vr->num_free = num;
	for (unsigned int i = 0; i < num; i++)
		vr->desc[i].next = cpu_to_vr16(vr, i + 1 < num ? i + 1 : 0);
	vr->kick_fd = vr->call_fd = vr->err_fd = -1;
}

int vk_vring_add(struct vk_vring *vr, uint64_t addr, uint32_t len, bool write)
{
	struct vring_desc *d;
	uint16_t head;

	if (!vr->num_free)
		return -1;
	head = vr->free_head;
	d = &vr->desc[head];
	vr->free_head = vr16(vr, d->next);
	vr->num_free--;
	d->addr = cpu_to_vr64(vr, addr);
	d->len = cpu_to_vr32(vr, len);
	d->flags = cpu_to_vr16(vr, write ? VRING_DESC_F_WRITE : 0);
	vr->avail->ring[vr->avail_idx & (vr->num - 1)] = cpu_to_vr16(vr, head);
	vr->avail_idx++;
	return head;
}

int vk_vring_add_raw(struct vk_vring *vr, const struct vring_desc *src,
		     unsigned int n)
{
	uint16_t heads[16];
	unsigned int i;

	if (n > ARRAY_SIZE(heads) || vr->num_free < n)
		return -1;
	for (i = 0; i < n; i++) {
		heads[i] = vr->free_head;
		vr->free_head = vr16(vr, vr->desc[heads[i]].next);
		vr->num_free--;
	}
	/* src[i].next is an index into src: translate it to ring slots. */
	for (i = 0; i < n; i++) {
		struct vring_desc *d = &vr->desc[heads[i]];

		d->addr = cpu_to_vr64(vr, src[i].addr);
		d->len = cpu_to_vr32(vr, src[i].len);
		d->flags = cpu_to_vr16(vr, src[i].flags);
		d->next = cpu_to_vr16(vr, heads[src[i].next % n]);
	}
	vr->avail->ring[vr->avail_idx & (vr->num - 1)] = cpu_to_vr16(vr, heads[0]);
	vr->avail_idx++;
	return heads[0];
}

void vk_vring_publish(struct vk_vring *vr)
{
	/* Descriptors and ring entries before the index (virtio_wmb). */
	__atomic_store_n(&vr->avail->idx, cpu_to_vr16(vr, vr->avail_idx),
			 __ATOMIC_RELEASE);
}

int vk_vring_kick(struct vk_vring *vr)
{
	uint16_t old = vr->kicked_idx, new = vr->avail_idx;
	uint64_t one = 1;
	bool need;

	if (old == new)
		return 0;
	/* The index store must be visible before we read vhost's suppression
	 * state, or both sides may decide the other will act (virtio_mb). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vr->event_idx) {
		/* avail_event lives right after the used ring entries. */
		uint16_t *evp = (uint16_t *)(void *)&vr->used->ring[vr->num];
		uint16_t ev = vr16(vr, __atomic_load_n(evp, __ATOMIC_RELAXED));

		need = vring_need_event(ev, new, old);
	} else {
		need = !(vr16(vr, __atomic_load_n(&vr->used->flags, __ATOMIC_RELAXED)) &
			 VRING_USED_F_NO_NOTIFY);
	}
	vr->kicked_idx = new;
	if (!need) {
		vr->kicks_suppressed++;
		return 0;
	}
	if (write(vr->kick_fd, &one, sizeof(one)) != sizeof(one))
		return -1;
	vr->kicks++;
	return 1;
}

unsigned int vk_vring_pending(struct vk_vring *vr)
{
	uint16_t idx = vr16(vr, __atomic_load_n(&vr->used->idx, __ATOMIC_ACQUIRE));

	return (uint16_t)(idx - vr->last_used);
}

bool vk_vring_get_used(struct vk_vring *vr, unsigned int *head, uint32_t *len,
		       bool *bad)
{
	struct vring_used_elem *e;
	unsigned int id, i, n = 0;

	*bad = false;
	if (!vk_vring_pending(vr))
		return false;
	e = &vr->used->ring[vr->last_used & (vr->num - 1)];
	id = vr32(vr, e->id);
	*len = vr32(vr, e->len);
	if (vr->check_order &&
	    id != vr16(vr, vr->avail->ring[vr->last_used & (vr->num - 1)]))
		vr->misordered++;
	vr->last_used++;
	vr->reaped++;
	if (id >= vr->num) {
		*bad = true;
		return true;
	}
	*head = id;
	/* Return the chain to the free list (it may be longer than one). */
	for (i = id; n < vr->num; n++) {
		vr->num_free++;
		if (!(vr16(vr, vr->desc[i].flags) & VRING_DESC_F_NEXT))
			break;
		i = vr16(vr, vr->desc[i].next) & (vr->num - 1);
	}
	vr->desc[i].next = cpu_to_vr16(vr, vr->free_head);
	vr->free_head = id;
	return true;
}

void vk_vring_note_reap(struct vk_vring *vr, unsigned int n)
{
	unsigned int b = 0;

	if (!n)
		return;
	vr->reaps++;
	if (n > vr->max_reap)
		vr->max_reap = n;
	while ((n >> b) > 1 && b + 1 < VK_REAP_BUCKETS)
		b++;
	vr->reap_hist[b]++;
}

bool vk_vring_enable_cb(struct vk_vring *vr, unsigned int delay)
{
	if (vr->event_idx)
		vr->avail->ring[vr->num] = cpu_to_vr16(vr, vr->last_used + delay);
	else
		vr->avail->flags = 0;
	/* Publish the request before re-checking for entries (virtio_mb). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vk_vring_pending(vr) > (vr->event_idx ? delay : 0);
}

void vk_vring_disable_cb(struct vk_vring *vr)
{
	/* With event index the used_event we last wrote has been crossed:
	 * vhost signals at most once more, as Linux's virtio_ring does. */
	if (!vr->event_idx)
		vr->avail->flags = cpu_to_vr16(vr, VRING_AVAIL_F_NO_INTERRUPT);
}

void vk_vring_ack_irq(struct vk_vring *vr)
{
	uint64_t v;

	if (read(vr->call_fd, &v, sizeof(v)) == sizeof(v)) {
		vr->irqs += v;
		vr->irq_wakeups++;
	}
}

static int vhost_ioctl(struct vk_vhost *vh, unsigned long req, void *arg,
		       const char *name)
{
	if (ioctl(vh->vhost_fd, req, arg) == 0)
		return 0;
	vk_errf("vhost", NULL, "%s failed: %s", name, strerror(errno));
	return -1;
}

/* The worker is a thread of ours named vhost-<pid> (vhost_task), or a
 * kthread of that name when fork_owner is off. */
static pid_t scan_comm(const char *dir, const char *want)
{
	char path[300], comm[32];
	struct dirent *de;
	pid_t tid = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return 0;
	while (!tid && (de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s/comm", dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = 0;
			if (!strcmp(comm, want))
				tid = atoi(de->d_name);
		}
		fclose(f);
	}
	closedir(d);
	return tid;
}

static void find_worker(struct vk_vhost *vh)
{
	char want[32];

	snprintf(want, sizeof(want), "vhost-%d", getpid());
	vh->worker_tid = scan_comm("/proc/self/task", want);
	if (!vh->worker_tid)
		vh->worker_tid = scan_comm("/proc", want);
}

int vk_vhost_worker_cpu(struct vk_vhost *vh, uint64_t *ns, const char **source,
			const char **why)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st, run;
	FILE *f;
	int n;

	if (!vh->worker_tid) {
		*why = "no vhost-<pid> task found in /proc";
		return -1;
	}
	/* schedstat has ns resolution; stat only clock ticks. */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", vh->worker_tid,
		 vh->worker_tid);
	f = fopen(path, "r");
	if (f) {
		n = fscanf(f, "%llu", &run);
		fclose(f);
		if (n == 1) {
			*ns = run;
			*source = "schedstat";
			return 0;
		}
	}
	/* CONFIG_SCHED_DEBUG: se.sum_exec_runtime in ms with 6 decimals. */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/sched", vh->worker_tid,
		 vh->worker_tid);
	f = fopen(path, "r");
	if (f) {
		unsigned long long ms, frac;

		n = 0;
		while (fgets(buf, sizeof(buf), f))
			if (!strncmp(buf, "se.sum_exec_runtime", 19) &&
			    (p = strchr(buf, ':')) &&
			    sscanf(p + 1, " %llu.%6llu", &ms, &frac) == 2) {
				n = 1;
				break;
			}
		fclose(f);
		if (n == 1) {
			*ns = ms * 1000000 + frac;
			*source = "sched";
			return 0;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", vh->worker_tid,
		 vh->worker_tid);
	f = fopen(path, "r");
	if (!f) {
		*why = "cannot read the worker's /proc stat";
		return -1;
	}
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	/* after "comm)": state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2) {
		*why = "unexpected /proc stat format";
		return -1;
	}
	*ns = (ut + st) * (1000000000ull / sysconf(_SC_CLK_TCK));
	*source = "stat";
	return 0;
}

static int open_vhost(struct vk_vhost *vh, const char *path)
{
	vh->vhost_fd = open(path, O_RDWR | O_CLOEXEC);
	if (vh->vhost_fd >= 0)
		return 0;
	if (errno == ENOENT && !strcmp(path, "/dev/vhost-net"))
		vk_err("vhost", "no /dev/vhost-net on this kernel",
		       "load vhost_net or boot a kernel with CONFIG_VHOST_NET; "
		       "'make kernel-check' runs the vhost tests in the QEMU guest");
	else if (errno == EACCES || errno == EPERM)
		vk_errf("vhost", "run as root", "cannot open %s: %s", path,
			strerror(errno));
	else
		vk_errf("vhost", NULL, "cannot open %s: %s", path, strerror(errno));
	return -1;
}

static int negotiate(struct vk_vhost *vh, const struct vk_vhost_cfg *cfg)
{
	static const struct { uint64_t bit; const char *name; } want[] = {
		{ 1ull << VIRTIO_F_VERSION_1, "VERSION_1" },
		{ 1ull << VIRTIO_RING_F_EVENT_IDX, "EVENT_IDX" },
		{ 1ull << VIRTIO_NET_F_MRG_RXBUF, "MRG_RXBUF" },
	};
	bool on[] = { cfg->version_1, cfg->event_idx, cfg->mrg_rxbuf };
	uint64_t f = 0;

	if (ioctl(vh->vhost_fd, VHOST_SET_OWNER, NULL)) {
		if (errno == ENOTTY)
			vk_errf("vhost", "--dev must name a vhost-net device",
				"%s is not a vhost-net device (VHOST_SET_OWNER: %s)",
				cfg->dev_path, strerror(errno));
		else
			vk_errf("vhost", NULL, "VHOST_SET_OWNER failed: %s",
				strerror(errno));
		return -1;
	}
	find_worker(vh);
	if (vhost_ioctl(vh, VHOST_GET_FEATURES, &vh->host_features,
			"VHOST_GET_FEATURES"))
		return -1;
	for (unsigned int i = 0; i < ARRAY_SIZE(want); i++) {
		if (!on[i])
			continue;
		if (!(vh->host_features & want[i].bit)) {
			vk_errf("vhost", "switch it off with its --no- option",
				"this vhost-net does not offer %s", want[i].name);
			return -1;
		}
		f |= want[i].bit;
	}
	if (vhost_ioctl(vh, VHOST_SET_FEATURES, &f, "VHOST_SET_FEATURES"))
		return -1;
	vh->features = f;
	/* What vhost_net_set_features() and virtio-net agree on. */
	vh->hdr_len = (cfg->mrg_rxbuf || cfg->version_1) ?
		      sizeof(struct virtio_net_hdr_mrg_rxbuf) :
		      sizeof(struct virtio_net_hdr);
	return 0;
}

void vk_vhost_layout(const struct vk_vhost_cfg *cfg, struct vk_vhost_layout *l)
{
	uint64_t n = cfg->ring_size, base = VK_VHOST_MEM_BASE;
	uint64_t ring = (vring_size(n, RING_ALIGN) + 4095) & ~4095ull;
	uint64_t rxb = cfg->rx_buf_len * n, txb = cfg->tx_buf_len * n;
	uint64_t used_off = (16 * n + 2 * (3 + n) + RING_ALIGN - 1) & ~(RING_ALIGN - 1ull);

	memset(l, 0, sizeof(*l));
	l->base = base;
	for (int q = 0; q < 2; q++) {
		uint64_t r = base + q * ring;

		/* As vring_init(): avail has flags, idx, ring[n], used_event;
		 * used has flags, idx, ring[n] of 8 bytes, avail_event. */
		l->desc[q] = (struct vk_vhost_area){ r, 16 * n };
		l->avail[q] = (struct vk_vhost_area){ r + 16 * n, 2 * (3 + n) };
		l->used[q] = (struct vk_vhost_area){ r + used_off, 6 + 8 * n };
	}
	l->buf[VK_VQ_RX] = (struct vk_vhost_area){ base + 2 * ring, rxb };
	l->buf[VK_VQ_TX] = (struct vk_vhost_area){
		base + 2 * ring + ((rxb + 4095) & ~4095ull), txb };
	l->len = l->buf[VK_VQ_TX].addr + txb - base;
}

static int map_memory(struct vk_vhost *vh, const struct vk_vhost_cfg *cfg)
{
	struct vk_vhost_layout l;
	struct vhost_memory *m;
	uint8_t *p;
	int r;

	vk_vhost_layout(cfg, &l);
	vh->mem_len = l.len;
	/* A fixed address, never replacing a mapping: kernels before 4.17
	 * ignore the flag and may place it elsewhere, which is checked. */
	p = mmap((void *)(uintptr_t)l.base, l.len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_FIXED_NOREPLACE,
		 -1, 0);
	if (p == MAP_FAILED) {
		if (errno == EEXIST)
			vk_errf("vhost", "the cost plugin's ring regions need this "
				"fixed address; something else in this process holds it",
				"cannot map %zu bytes at 0x%llx: address in use",
				vh->mem_len, (unsigned long long)l.base);
		else
			vk_errf("vhost", "use a smaller --ring-size or --size",
				"cannot map %zu bytes at 0x%llx: %s", vh->mem_len,
				(unsigned long long)l.base, strerror(errno));
		return -1;
	}
	if ((uintptr_t)p != l.base) {
		munmap(p, l.len);
		vk_errf("vhost", "MAP_FIXED_NOREPLACE needs Linux 4.17",
			"the ring memory landed at %p, not at 0x%llx", (void *)p,
			(unsigned long long)l.base);
		return -1;
	}
	vh->mem = p;
	vring_setup(&vh->vq[VK_VQ_RX], VK_VQ_RX, cfg->ring_size, p,
		    cfg->version_1, cfg->event_idx);
	vring_setup(&vh->vq[VK_VQ_TX], VK_VQ_TX, cfg->ring_size,
		    (void *)(uintptr_t)l.desc[VK_VQ_TX].addr, cfg->version_1,
		    cfg->event_idx);
	vh->buf[VK_VQ_RX] = (void *)(uintptr_t)l.buf[VK_VQ_RX].addr;
	vh->buf_len[VK_VQ_RX] = cfg->rx_buf_len;
	vh->buf[VK_VQ_TX] = (void *)(uintptr_t)l.buf[VK_VQ_TX].addr;
	vh->buf_len[VK_VQ_TX] = cfg->tx_buf_len;

	/* One region, guest physical == user virtual address. */
	m = calloc(1, sizeof(*m) + sizeof(m->regions[0]));
	if (!m)
		return -1;
	m->nregions = 1;
	m->regions[0].guest_phys_addr = (uintptr_t)vh->mem;
	m->regions[0].userspace_addr = (uintptr_t)vh->mem;
	m->regions[0].memory_size = vh->mem_len;
	r = vhost_ioctl(vh, VHOST_SET_MEM_TABLE, m, "VHOST_SET_MEM_TABLE");
	free(m);
	return r;
}

/* Turn adaptive busy polling on for ring idx and read it back. */
static int set_busyloop_adaptive(struct vk_vhost *vh, unsigned int idx)
{
	struct vhost_vring_state st = { .index = idx, .num = 1 };

	if (ioctl(vh->vhost_fd, VHOST_SET_VRING_BUSYLOOP_ADAPTIVE, &st)) {
		if (errno == ENOTTY)
			vk_errf("vhost --busyloop-adaptive",
				"boot a kernel with patches/0005-vhost_net-adaptive-busy-polling.patch",
				"this kernel has no VHOST_SET_VRING_BUSYLOOP_ADAPTIVE (%s)",
				strerror(errno));
		else
			vk_errf("vhost --busyloop-adaptive", NULL,
				"VHOST_SET_VRING_BUSYLOOP_ADAPTIVE on ring %u: %s", idx,
				strerror(errno));
		return -1;
	}
	st.num = 0;
	if (vhost_ioctl(vh, VHOST_GET_VRING_BUSYLOOP_ADAPTIVE, &st,
			"VHOST_GET_VRING_BUSYLOOP_ADAPTIVE"))
		return -1;
	if (st.num != 1) {
		vk_errf("vhost --busyloop-adaptive", NULL,
			"ring %u reads back %u after VHOST_SET_VRING_BUSYLOOP_ADAPTIVE 1",
			idx, st.num);
		return -1;
	}
	return 0;
}

int vk_vhost_busyloop_set(struct vk_vhost *vh, unsigned int q, unsigned int timeout_us,
			  bool adaptive, unsigned int *got_us, bool *got_adaptive)
{
	struct vhost_vring_state st = { .index = q, .num = timeout_us };

	if (vhost_ioctl(vh, VHOST_SET_VRING_BUSYLOOP_TIMEOUT, &st,
			"VHOST_SET_VRING_BUSYLOOP_TIMEOUT"))
		return -1;
	st.num = adaptive;
	if (vhost_ioctl(vh, VHOST_SET_VRING_BUSYLOOP_ADAPTIVE, &st,
			"VHOST_SET_VRING_BUSYLOOP_ADAPTIVE"))
		return -1;
	st.num = ~0U;
	if (vhost_ioctl(vh, VHOST_GET_VRING_BUSYLOOP_TIMEOUT, &st,
			"VHOST_GET_VRING_BUSYLOOP_TIMEOUT"))
		return -1;
	*got_us = st.num;
	st.num = ~0U;
	if (vhost_ioctl(vh, VHOST_GET_VRING_BUSYLOOP_ADAPTIVE, &st,
			"VHOST_GET_VRING_BUSYLOOP_ADAPTIVE"))
		return -1;
	*got_adaptive = st.num;
	return 0;
}

static int setup_vq(struct vk_vhost *vh, struct vk_vring *vr,
		    const struct vk_vhost_cfg *cfg)
{
	struct vhost_vring_state st = { .index = vr->index };
	struct vhost_vring_addr addr = {
		.index = vr->index,
		.desc_user_addr = (uintptr_t)vr->desc,
		.avail_user_addr = (uintptr_t)vr->avail,
		.used_user_addr = (uintptr_t)vr->used,
	};
	struct vhost_vring_file f = { .index = vr->index };

	vr->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vr->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vr->err_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vr->kick_fd < 0 || vr->call_fd < 0 || vr->err_fd < 0) {
		vk_errf("vhost", NULL, "eventfd: %s", strerror(errno));
		return -1;
	}
	st.num = vr->num;
	if (vhost_ioctl(vh, VHOST_SET_VRING_NUM, &st, "VHOST_SET_VRING_NUM"))
		return -1;
	st.num = 0;
	if (vhost_ioctl(vh, VHOST_SET_VRING_BASE, &st, "VHOST_SET_VRING_BASE") ||
	    vhost_ioctl(vh, VHOST_SET_VRING_ADDR, &addr, "VHOST_SET_VRING_ADDR"))
		return -1;
	f.fd = vr->kick_fd;
	if (vhost_ioctl(vh, VHOST_SET_VRING_KICK, &f, "VHOST_SET_VRING_KICK"))
		return -1;
	f.fd = vr->call_fd;
	if (vhost_ioctl(vh, VHOST_SET_VRING_CALL, &f, "VHOST_SET_VRING_CALL"))
		return -1;
	f.fd = vr->err_fd;
	if (vhost_ioctl(vh, VHOST_SET_VRING_ERR, &f, "VHOST_SET_VRING_ERR"))
		return -1;
	st.num = cfg->busyloop_us;
	if (vhost_ioctl(vh, VHOST_SET_VRING_BUSYLOOP_TIMEOUT, &st,
			"VHOST_SET_VRING_BUSYLOOP_TIMEOUT"))
		return -1;
	if (cfg->busyloop_adaptive)
		return set_busyloop_adaptive(vh, st.index);
	return 0;
}

static int ifreq_ioctl(struct vk_vhost *vh, unsigned long req, struct ifreq *ifr,
		       const char *name)
{
	if (ioctl(vh->pkt_fd, req, ifr) == 0)
		return 0;
	vk_errf("vhost", NULL, "%s on %s: %s", name, vh->ifname, strerror(errno));
	return -1;
}

static int open_tap(struct vk_vhost *vh, const struct vk_vhost_cfg *cfg)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int hdr = vh->hdr_len, sz = 16 << 20;
	struct ifreq ifr = { 0 };
	const char *step;

	/* A private network namespace: the TAP and its traffic vanish with
	 * the process, whatever way it ends, and nothing else talks on it. */
	if (unshare(CLONE_NEWNET) == 0) {
		vh->own_netns = true;
	} else {
		fprintf(stderr, "vnetkit: note: no private netns (%s): the TAP is "
			"created in the current namespace\n", strerror(errno));
	}
	snprintf(ifr.ifr_name, IFNAMSIZ, "vkvh%d", getpid());
	/* TUNSETIFF on an existing name joins that device and then we would
	 * reconfigure it (MTU, up): only a TAP this process creates is ours. */
	if (if_nametoindex(ifr.ifr_name)) {
		vk_errf("vhost", "remove it if it is a leftover of yours: ip link del DEV",
			"a device named %s already exists here and is not ours",
			ifr.ifr_name);
		return -1;
	}
	vh->tap_fd = vk_tap_open(ifr.ifr_name, IFF_VNET_HDR, false, &step);
	if (vh->tap_fd < 0) {
		if (strcmp(step, "TUNSETIFF"))
			vk_errf("vhost", "CONFIG_TUN is needed", "%s: %s", step,
				strerror(-vh->tap_fd));
		else
			vk_errf("vhost", NULL, "TUNSETIFF %s: %s", ifr.ifr_name,
				strerror(-vh->tap_fd));
		return -1;
	}
	snprintf(vh->ifname, sizeof(vh->ifname), "%s", ifr.ifr_name);
	if (ioctl(vh->tap_fd, TUNSETVNETHDRSZ, &hdr)) {
		vk_errf("vhost", NULL, "TUNSETVNETHDRSZ %d: %s", hdr, strerror(errno));
		return -1;
	}

	vh->pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(VK_ETH_P));
	if (vh->pkt_fd < 0) {
		vk_errf("vhost", "CONFIG_PACKET is needed", "AF_PACKET socket: %s",
			strerror(errno));
		return -1;
	}
	if (ifreq_ioctl(vh, SIOCGIFINDEX, &ifr, "SIOCGIFINDEX"))
		return -1;
	vh->ifindex = ifr.ifr_ifindex;
	if (ifreq_ioctl(vh, SIOCGIFHWADDR, &ifr, "SIOCGIFHWADDR"))
		return -1;
	memcpy(vh->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (cfg->mtu > 1500) {
		ifr.ifr_mtu = cfg->mtu;
		if (ifreq_ioctl(vh, SIOCSIFMTU, &ifr, "SIOCSIFMTU"))
			return -1;
	}
	if (ifreq_ioctl(vh, SIOCGIFFLAGS, &ifr, "SIOCGIFFLAGS"))
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (ifreq_ioctl(vh, SIOCSIFFLAGS, &ifr, "SIOCSIFFLAGS"))
		return -1;

	sll.sll_protocol = htons(VK_ETH_P);
	sll.sll_ifindex = vh->ifindex;
	if (bind(vh->pkt_fd, (struct sockaddr *)&sll, sizeof(sll))) {
		vk_errf("vhost", NULL, "bind AF_PACKET to %s: %s", vh->ifname,
			strerror(errno));
		return -1;
	}
	/* Room for the in-flight window; FORCE needs CAP_NET_ADMIN (we have
	 * it, the TAP needed it), plain SO_RCVBUF is capped by rmem_max. */
	if (setsockopt(vh->pkt_fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(vh->pkt_fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(vh->pkt_fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		setsockopt(vh->pkt_fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return 0;
}

int vk_vhost_open(struct vk_vhost *vh, const struct vk_vhost_cfg *cfg)
{
	memset(vh, 0, sizeof(*vh));
	vh->vhost_fd = vh->tap_fd = vh->pkt_fd = -1;
	for (int q = 0; q < 2; q++)
		vh->vq[q].kick_fd = vh->vq[q].call_fd = vh->vq[q].err_fd = -1;

	if (open_vhost(vh, cfg->dev_path) || negotiate(vh, cfg) ||
	    map_memory(vh, cfg) || setup_vq(vh, &vh->vq[VK_VQ_RX], cfg) ||
	    setup_vq(vh, &vh->vq[VK_VQ_TX], cfg) || open_tap(vh, cfg))
		goto err;
	for (unsigned int q = 0; q < 2; q++) {
		struct vhost_vring_file f = { .index = q, .fd = vh->tap_fd };

		if (vhost_ioctl(vh, VHOST_NET_SET_BACKEND, &f,
				"VHOST_NET_SET_BACKEND"))
			goto err;
		vh->backend_set = true;
	}
	return 0;
err:
	vk_vhost_close(vh);
	return -1;
}

int vk_vhost_detach(struct vk_vhost *vh, unsigned int q, uint16_t *base)
{
	struct vhost_vring_file f = { .index = q, .fd = -1 };
	struct vhost_vring_state st = { .index = q };

	if (vhost_ioctl(vh, VHOST_NET_SET_BACKEND, &f,
			"VHOST_NET_SET_BACKEND (detach)") ||
	    vhost_ioctl(vh, VHOST_GET_VRING_BASE, &st, "VHOST_GET_VRING_BASE"))
		return -1;
	*base = st.num;
	return 0;
}

int vk_vhost_attach(struct vk_vhost *vh, unsigned int q, uint16_t base)
{
	struct vhost_vring_file f = { .index = q, .fd = vh->tap_fd };
	struct vhost_vring_state st = { .index = q, .num = base };
	uint64_t one = 1;

	if (vhost_ioctl(vh, VHOST_SET_VRING_BASE, &st, "VHOST_SET_VRING_BASE") ||
	    vhost_ioctl(vh, VHOST_NET_SET_BACKEND, &f,
			"VHOST_NET_SET_BACKEND (attach)"))
		return -1;
	if (write(vh->vq[q].kick_fd, &one, sizeof(one)) != sizeof(one)) {
		vk_errf("vhost", NULL, "kick after attach: %s", strerror(errno));
		return -1;
	}
	vh->vq[q].kicks++;
	return 0;
}

unsigned int vk_vring_avail_head(const struct vk_vring *vr, uint16_t idx)
{
	return vr16(vr, vr->avail->ring[idx & (vr->num - 1)]);
}

void vk_vring_set_avail_head(struct vk_vring *vr, uint16_t idx,
			     unsigned int head)
{
	vr->avail->ring[idx & (vr->num - 1)] = cpu_to_vr16(vr, head);
}

void vk_vhost_close(struct vk_vhost *vh)
{
	/* Detaching the backend stops and flushes the worker before the
	 * rings and buffers go away. */
	if (vh->backend_set) {
		for (unsigned int q = 0; q < 2; q++) {
			struct vhost_vring_file f = { .index = q, .fd = -1 };

			ioctl(vh->vhost_fd, VHOST_NET_SET_BACKEND, &f);
		}
		vh->backend_set = false;
	}
	if (vh->vhost_fd >= 0)
		close(vh->vhost_fd);
	for (int q = 0; q < 2; q++) {
		struct vk_vring *vr = &vh->vq[q];

		if (vr->kick_fd >= 0)
			close(vr->kick_fd);
		if (vr->call_fd >= 0)
			close(vr->call_fd);
		if (vr->err_fd >= 0)
			close(vr->err_fd);
		vr->kick_fd = vr->call_fd = vr->err_fd = -1;
	}
	if (vh->pkt_fd >= 0)
		close(vh->pkt_fd);
	if (vh->tap_fd >= 0)
		close(vh->tap_fd);
	if (vh->mem)
		munmap(vh->mem, vh->mem_len);
	vh->vhost_fd = vh->tap_fd = vh->pkt_fd = -1;
	vh->mem = NULL;
}
