/* SPDX-License-Identifier: GPL-2.0 */
/* A user-space virtio-net driver for /dev/vhost-net: vnetkit plays the
 * guest. It owns split virtqueues in its own memory (guest physical address
 * == user address, one memory region), drives the vhost-net worker through
 * the vhost ioctls and uses a TAP device as the backend.
 *
 * Queue 0 is RX (vhost writes frames the TAP transmits), queue 1 is TX
 * (vhost reads our frames and injects them into the TAP as received).
 */
#ifndef VNETKIT_VHOST_DEV_H
#define VNETKIT_VHOST_DEV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <net/if.h>
#include <linux/virtio_ring.h>

#define VK_VQ_RX 0
#define VK_VQ_TX 1

/* The rings and buffers live at this fixed user address (one mapping,
 * MAP_FIXED_NOREPLACE), so that a TCG cost plugin started before the guest
 * runs can name the desc / avail / used areas by address: the vhost worker
 * reads them through the same user addresses (uaccess in our mm). Layout
 * from the base: RX ring, TX ring (each vring_size() rounded up to a page,
 * desc at 0, avail after the descriptors, used at the next 4 KiB), RX
 * buffers, TX buffers. vk_vhost_layout() computes it. */
#define VK_VHOST_MEM_BASE 0x7e0000000000ull

/* log2 buckets of "new used entries seen in one reap": 1, 2-3, ... 32768+ */
#define VK_REAP_BUCKETS 17

struct vk_vring {
	unsigned int num;
	unsigned int index;		/* vhost-net queue index */
	bool v1;			/* VERSION_1: ring fields are LE */
	bool event_idx;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;		/* shadow of avail->idx */
	uint16_t kicked_idx;		/* avail idx at the last kick decision */
	uint16_t last_used;
	uint16_t free_head;
	unsigned int num_free;
	int kick_fd, call_fd, err_fd;

	uint64_t kicks;			/* eventfd writes */
	uint64_t kicks_suppressed;	/* vhost asked for no notification */
	uint64_t irqs;			/* call eventfd signals, summed */
	uint64_t irq_wakeups;		/* reads of the call eventfd */
	uint64_t reaps;			/* reaps that found used entries */
	uint64_t reaped;		/* used entries consumed */
	uint64_t max_reap;
	uint64_t reap_hist[VK_REAP_BUCKETS];
	/* vhost-net uses the buffers of a queue in the order they were made
	 * available (it does not offer IN_ORDER, but its RX path, its TX copy
	 * path and its zerocopy completions all complete in avail order):
	 * with check_order set, every used entry is compared with the avail
	 * entry of the same index, and misordered counts the differences. */
	bool check_order;
	uint64_t misordered;
};

struct vk_vhost_cfg {
	const char *dev_path;		/* /dev/vhost-net unless testing */
	unsigned int ring_size;
	bool version_1, event_idx, mrg_rxbuf;
	unsigned int busyloop_us;
	bool busyloop_adaptive;		/* VHOST_SET_VRING_BUSYLOOP_ADAPTIVE */
	size_t tx_buf_len;		/* per TX descriptor */
	size_t rx_buf_len;		/* per RX descriptor */
	unsigned int mtu;
};

struct vk_vhost_area {
	uint64_t addr, len;
};

/* Where vk_vhost_open() puts everything, per queue (VK_VQ_RX, VK_VQ_TX). */
struct vk_vhost_layout {
	uint64_t base, len;
	struct vk_vhost_area desc[2], avail[2], used[2], buf[2];
};

void vk_vhost_layout(const struct vk_vhost_cfg *cfg, struct vk_vhost_layout *l);

struct vk_vhost {
	int vhost_fd;
	int tap_fd;
	int pkt_fd;			/* AF_PACKET on the TAP: the host side */
	int ifindex;
	char ifname[IF_NAMESIZE];
	bool own_netns;			/* the TAP lives in a private netns */
	uint8_t mac[6];
	uint64_t host_features;
	uint64_t features;
	unsigned int hdr_len;
	void *mem;
	size_t mem_len;
	uint8_t *buf[2];		/* per queue: ring_size buffers */
	size_t buf_len[2];
	struct vk_vring vq[2];
	pid_t worker_tid;		/* the vhost-<pid> task, 0 if not found */
	bool backend_set;
};

/* Open, negotiate, map memory, set up both rings and the TAP backend.
 * Prints its own error and returns -1. */
int vk_vhost_open(struct vk_vhost *vh, const struct vk_vhost_cfg *cfg);
/* Detach the backend, close everything, unmap. Safe on a partial open. */
void vk_vhost_close(struct vk_vhost *vh);

static inline uint8_t *vk_vhost_buf(struct vk_vhost *vh, int q, unsigned int i)
{
	return vh->buf[q] + (size_t)i * vh->buf_len[q];
}

/* Driver side of a split ring. */
/* The head the next vk_vring_add() will use (buffer i belongs to head i),
 * or -1 if the ring is full. */
static inline int vk_vring_next_head(const struct vk_vring *vr)
{
	return vr->num_free ? vr->free_head : -1;
}
/* Add one buffer as a single descriptor; returns its head or -1 if full. */
int vk_vring_add(struct vk_vring *vr, uint64_t addr, uint32_t len, bool write);
/* Add a chain of n descriptors whose next fields index into d (so a
 * caller can build any shape, loops included): for malformed chains. */
int vk_vring_add_raw(struct vk_vring *vr, const struct vring_desc *d,
		     unsigned int n);
void vk_vring_publish(struct vk_vring *vr);
/* Kick unless vhost suppressed notifications; returns 1 if it kicked. */
int vk_vring_kick(struct vk_vring *vr);
/* Number of used entries not yet consumed (one acquire load). */
unsigned int vk_vring_pending(struct vk_vring *vr);
/* Consume one used entry: head and written length. Returns false if none.
 * A head out of range is a device bug: *bad is set. */
bool vk_vring_get_used(struct vk_vring *vr, unsigned int *head, uint32_t *len,
		       bool *bad);
/* Account a reap of n entries in the batch histogram. */
void vk_vring_note_reap(struct vk_vring *vr, unsigned int n);
/* Ask for a call after the next used entry (or after `delay` more with
 * event index); returns true if entries are already pending (don't sleep). */
bool vk_vring_enable_cb(struct vk_vring *vr, unsigned int delay);
void vk_vring_disable_cb(struct vk_vring *vr);
/* Read the call eventfd (non-blocking) and add its count to irqs. */
void vk_vring_ack_irq(struct vk_vring *vr);

/* Stop queue q the way a guest reset does: detach its backend (vhost
 * flushes the worker, which then no longer touches the ring) and read the
 * avail index vhost will continue from (VHOST_GET_VRING_BASE). */
int vk_vhost_detach(struct vk_vhost *vh, unsigned int q, uint16_t *base);
/* Restart queue q at avail index base (VHOST_SET_VRING_BASE), attach the
 * TAP again and kick unconditionally: vhost may have stopped with
 * notifications off. */
int vk_vhost_attach(struct vk_vhost *vh, unsigned int q, uint16_t base);
/* The avail ring entry at avail index idx, read or rewritten. */
unsigned int vk_vring_avail_head(const struct vk_vring *vr, uint16_t idx);
void vk_vring_set_avail_head(struct vk_vring *vr, uint16_t idx,
			     unsigned int head);

/* Change ring q's busy polling while it runs: VHOST_SET_VRING_BUSYLOOP_TIMEOUT
 * timeout_us, then VHOST_SET_VRING_BUSYLOOP_ADAPTIVE adaptive, then read both
 * back into *got_us and *got_adaptive. 0, or -1 when an ioctl failed (said). */
int vk_vhost_busyloop_set(struct vk_vhost *vh, unsigned int q, unsigned int timeout_us,
			  bool adaptive, unsigned int *got_us, bool *got_adaptive);

/* vhost worker CPU time in ns; source names where it came from. Returns -1
 * with *why set when unavailable. */
int vk_vhost_worker_cpu(struct vk_vhost *vh, uint64_t *ns, const char **source,
			const char **why);

#endif
