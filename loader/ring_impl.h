/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ring algorithms of the lab, written once. Included by ring_ops.c
 * (plain accesses, for the benchmark and the tests) and by ring_model.c
 * (every access recorded for the coherence model). The includer defines:
 *
 *   RA_LOAD(tag, x)            read shared lvalue x
 *   RA_LOAD_ACQUIRE(tag, x)    read x; later accesses stay after it
 *   RA_STORE(tag, x, v)        write v to shared lvalue x
 *   RA_STORE_RELEASE(tag, x, v) write; earlier accesses stay before it
 *   RA_WMB()                   order earlier writes before later writes
 *   ring_lock_t, RA_LOCK_INIT(l), RA_LOCK(tag, l), RA_UNLOCK(tag, l)
 *
 * Every access to memory that both sides can touch goes through them, so
 * the model sees exactly what the benchmark runs. Fields written once at
 * create time and only read afterwards (sizes, array pointers) are read
 * plainly: they stay shared in both caches and never miss.
 */
#ifndef VNETKIT_RING_IMPL_H
#define VNETKIT_RING_IMPL_H

#include <stdlib.h>
#include <string.h>

#include "ring.h"

#define RING_ALIGNED __attribute__((aligned(RING_CACHE_BYTES)))

static void *ring_zalloc(size_t len)
{
	size_t rounded = (len + RING_CACHE_BYTES - 1) & ~(size_t)(RING_CACHE_BYTES - 1);
	void *p = aligned_alloc(RING_CACHE_BYTES, rounded);

	if (p)
		memset(p, 0, rounded);
	return p;
}

/* ---------------------------------------------------------------------
 * list: the pre-4.8 TAP receive queue, an sk_buff_head-style doubly
 * linked list under one spinlock shared by producer and consumer.
 */
struct vk_list {
	struct ring_link head;
	unsigned int qlen;
	ring_lock_t lock;
	unsigned int limit;	/* like tx_queue_len: drop beyond it */
} RING_ALIGNED;

static void *vk_list_create(const struct ring_params *p)
{
	struct vk_list *q = ring_zalloc(sizeof(*q));

	if (!q)
		return NULL;
	q->head.next = q->head.prev = &q->head;
	q->limit = p->size;
	RA_LOCK_INIT(&q->lock);
	return q;
}

static void vk_list_destroy(void *ring)
{
	free(ring);
}

static unsigned int vk_list_produce(void *ring, struct ring_item **items,
				    unsigned int n)
{
	struct vk_list *q = ring;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct ring_link *node = &items[i]->link, *prev;
		unsigned int qlen;

		RA_LOCK(RT_LOCK, &q->lock);
		qlen = RA_LOAD(RT_INDEX, q->qlen);
		if (qlen >= q->limit) {
			RA_UNLOCK(RT_LOCK, &q->lock);
			break;
		}
		prev = RA_LOAD(RT_NODE, q->head.prev);
		RA_STORE(RT_NODE, node->next, &q->head);
		RA_STORE(RT_NODE, node->prev, prev);
		RA_STORE(RT_NODE, prev->next, node);
		RA_STORE(RT_NODE, q->head.prev, node);
		RA_STORE(RT_INDEX, q->qlen, qlen + 1);
		RA_UNLOCK(RT_LOCK, &q->lock);
	}
	return i;
}

static unsigned int vk_list_consume(void *ring, struct ring_item **items,
				    unsigned int n)
{
	struct vk_list *q = ring;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct ring_link *first, *next;

		RA_LOCK(RT_LOCK, &q->lock);
		first = RA_LOAD(RT_NODE, q->head.next);
		if (first == &q->head) {
			RA_UNLOCK(RT_LOCK, &q->lock);
			break;
		}
		next = RA_LOAD(RT_NODE, first->next);
		RA_STORE(RT_NODE, next->prev, &q->head);
		RA_STORE(RT_NODE, q->head.next, next);
		RA_STORE(RT_INDEX, q->qlen, RA_LOAD(RT_INDEX, q->qlen) - 1);
		RA_STORE(RT_NODE, first->next, NULL);
		RA_STORE(RT_NODE, first->prev, NULL);
		RA_UNLOCK(RT_LOCK, &q->lock);
		items[i] = (struct ring_item *)first;
	}
	return i;
}

static unsigned int vk_list_capacity(const struct ring_params *p)
{
	return p->size;
}

/* ---------------------------------------------------------------------
 * ptr_ring family: an array of pointers where NULL means "free". The
 * producer only looks at the slot it is about to fill and the consumer only
 * at the slot it is about to take, so neither reads the other's index.
 *
 *   ptr_ring      zero each slot as soon as it is consumed (4.8)
 *   zero-batch    zero consumed slots in reverse order once --batch of them
 *                 are behind the consumer (4.12)
 *   consume-batch take up to --batch entries per call under one lock,
 *                 zeroing as zero-batch with the kernel's default (4.13)
 *   produce-batch consume-batch plus a batched producer: one lock, one
 *                 barrier and one index update for up to --batch entries
 */
struct vk_ptr_ring {
	unsigned int producer RING_ALIGNED;
	ring_lock_t producer_lock;
	unsigned int consumer_head RING_ALIGNED;	/* next entry to take */
	unsigned int consumer_tail;			/* next entry to zero */
	ring_lock_t consumer_lock;
	/* read-only after create */
	unsigned int size RING_ALIGNED;
	unsigned int zero_batch;
	struct ring_item **queue;
};

/* The kernel's default zeroing batch: two cache lines of pointers, and no
 * batching at all when that is more than half the ring. */
static unsigned int vk_ptr_ring_default_batch(unsigned int size)
{
	unsigned int b = RING_CACHE_BYTES * 2 / sizeof(void *);

	return b > size / 2 ? 1 : b;
}

static void *vk_ptr_ring_alloc(unsigned int size, unsigned int zero_batch)
{
	struct vk_ptr_ring *r = ring_zalloc(sizeof(*r));

	if (!r)
		return NULL;
	r->queue = ring_zalloc(sizeof(*r->queue) * size);
	if (!r->queue) {
		free(r);
		return NULL;
	}
	r->size = size;
	r->zero_batch = zero_batch;
	RA_LOCK_INIT(&r->producer_lock);
	RA_LOCK_INIT(&r->consumer_lock);
	return r;
}

static void *vk_ptr_ring_create(const struct ring_params *p)
{
	return vk_ptr_ring_alloc(p->size, 1);
}

static void *vk_zero_batch_create(const struct ring_params *p)
{
	return vk_ptr_ring_alloc(p->size, p->batch);
}

static void *vk_consume_batch_create(const struct ring_params *p)
{
	return vk_ptr_ring_alloc(p->size, vk_ptr_ring_default_batch(p->size));
}

static void vk_ptr_ring_destroy(void *ring)
{
	struct vk_ptr_ring *r = ring;

	free(r->queue);
	free(r);
}

/* Caller holds producer_lock. */
static int vk_ptr_ring_produce_one(struct vk_ptr_ring *r, struct ring_item *it)
{
	unsigned int p = RA_LOAD(RT_INDEX, r->producer);

	if (RA_LOAD(RT_SLOT, r->queue[p]))
		return -1;
	/* The release pairs with the consumer's acquire of the slot: the item
	 * is written before the pointer becomes visible (smp_wmb + WRITE_ONCE). */
	RA_STORE_RELEASE(RT_SLOT, r->queue[p], it);
	if (++p >= r->size)
		p = 0;
	RA_STORE(RT_INDEX, r->producer, p);
	return 0;
}

static unsigned int vk_ptr_ring_produce(void *ring, struct ring_item **items,
					unsigned int n)
{
	struct vk_ptr_ring *r = ring;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		RA_LOCK(RT_LOCK, &r->producer_lock);
		ret = vk_ptr_ring_produce_one(r, items[i]);
		RA_UNLOCK(RT_LOCK, &r->producer_lock);
		if (ret)
			break;
	}
	return i;
}

/*
 * Batched producer: take the lock once, find how many of the next n slots
 * are free, then one barrier and the pointers, and one index update.
 * Every slot is checked: the consumer zeroes a batch in reverse order, so
 * a free first slot says nothing about the slots after the batch it is in.
 * Slots are filled last to first: a consumer spinning on the first slot
 * sees nothing until the whole batch is written, so it does not pull the
 * line back while the producer is still filling it.
 */
static unsigned int vk_ptr_ring_produce_batched(void *ring,
						struct ring_item **items,
						unsigned int n)
{
	struct vk_ptr_ring *r = ring;
	unsigned int p, k, i, slot;

	RA_LOCK(RT_LOCK, &r->producer_lock);
	p = RA_LOAD(RT_INDEX, r->producer);
	for (k = 0, slot = p; k < n; k++) {
		if (RA_LOAD(RT_SLOT, r->queue[slot]))
			break;
		if (++slot >= r->size)
			slot = 0;
	}
	if (k) {
		RA_WMB();
		for (i = k; i-- > 0;) {
			slot = slot ? slot - 1 : r->size - 1;
			RA_STORE(RT_SLOT, r->queue[slot], items[i]);
		}
		p += k;
		if (p >= r->size)
			p -= r->size;
		RA_STORE(RT_INDEX, r->producer, p);
	}
	RA_UNLOCK(RT_LOCK, &r->producer_lock);
	return k;
}

static unsigned int vk_ptr_ring_produce_locked_loop(void *ring,
						    struct ring_item **items,
						    unsigned int n)
{
	struct vk_ptr_ring *r = ring;
	unsigned int i;

	RA_LOCK(RT_LOCK, &r->producer_lock);
	for (i = 0; i < n; i++)
		if (vk_ptr_ring_produce_one(r, items[i]))
			break;
	RA_UNLOCK(RT_LOCK, &r->producer_lock);
	return i;
}

/* Caller holds consumer_lock. Same protocol as the kernel's
 * __ptr_ring_consume + __ptr_ring_discard_one. */
static struct ring_item *vk_ptr_ring_consume_one(struct vk_ptr_ring *r)
{
	unsigned int head = RA_LOAD(RT_INDEX, r->consumer_head);
	struct ring_item *it = RA_LOAD_ACQUIRE(RT_SLOT, r->queue[head]);
	unsigned int tail;

	if (!it)
		return NULL;
	head++;
	tail = RA_LOAD(RT_INDEX, r->consumer_tail);
	/* Zero only when far enough behind the producer (or at the end of
	 * the array), and last slot first: the producer, waiting on the
	 * first of these slots, cannot advance into the other lines until
	 * all of them are written. */
	if (head - tail >= r->zero_batch || head >= r->size) {
		for (unsigned int i = head; i-- > tail;)
			RA_STORE(RT_SLOT, r->queue[i], NULL);
		tail = head;
		RA_STORE(RT_INDEX, r->consumer_tail, tail);
	}
	if (head >= r->size) {
		head = 0;
		RA_STORE(RT_INDEX, r->consumer_tail, 0);
	}
	RA_STORE(RT_INDEX, r->consumer_head, head);
	return it;
}

static unsigned int vk_ptr_ring_consume(void *ring, struct ring_item **items,
					unsigned int n)
{
	struct vk_ptr_ring *r = ring;
	unsigned int i;

	for (i = 0; i < n; i++) {
		RA_LOCK(RT_LOCK, &r->consumer_lock);
		items[i] = vk_ptr_ring_consume_one(r);
		RA_UNLOCK(RT_LOCK, &r->consumer_lock);
		if (!items[i])
			break;
	}
	return i;
}

static unsigned int vk_ptr_ring_consume_batched(void *ring,
						struct ring_item **items,
						unsigned int n)
{
	struct vk_ptr_ring *r = ring;
	unsigned int i;

	RA_LOCK(RT_LOCK, &r->consumer_lock);
	for (i = 0; i < n; i++) {
		items[i] = vk_ptr_ring_consume_one(r);
		if (!items[i])
			break;
	}
	RA_UNLOCK(RT_LOCK, &r->consumer_lock);
	return i;
}

static unsigned int vk_ptr_ring_capacity(const struct ring_params *p)
{
	return p->size;
}

/* ---------------------------------------------------------------------
 * virtqueue: a split virtqueue (descriptor table, avail ring, used ring)
 * between a driver (producer) and a device (consumer), descriptors used
 * in order. The driver reaps the used ring, fills up to --batch
 * descriptors and avail entries and publishes avail_idx once; the device
 * reads avail_idx once per call, takes up to --batch entries, writes their
 * used entries and publishes used_idx once. --batch 1 is the per-packet
 * device: one avail_idx read and one used_idx write per packet.
 */
struct vk_vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vk_vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vk_vq {
	/* shared memory, pointers read-only after create */
	struct vk_vring_desc *desc;
	uint16_t *avail_idx;
	uint16_t *avail_ring;
	uint16_t *used_idx;
	struct vk_vring_used_elem *used_ring;
	void *mem;
	unsigned int num;
	/* driver private */
	uint16_t drv_avail RING_ALIGNED;
	uint16_t drv_last_used;
	unsigned int drv_free;
	/* device private */
	uint16_t dev_last_avail RING_ALIGNED;
	uint16_t dev_used;
} RING_ALIGNED;

static void *vk_vq_create(const struct ring_params *p)
{
	size_t num = p->size, desc_len, avail_len, used_len, ring_off;
	struct vk_vq *vq = ring_zalloc(sizeof(*vq));
	char *mem;

	if (!vq)
		return NULL;
	/* flags + idx, then the ring: right after them in the virtio layout,
	 * or on the next cache line as the talk's figure draws it. */
	ring_off = p->vq_layout == RING_VQ_SPEC ? 4 : RING_CACHE_BYTES;
	desc_len = num * sizeof(struct vk_vring_desc);
	avail_len = (ring_off + num * 2 + 2 + RING_CACHE_BYTES - 1) &
		    ~(size_t)(RING_CACHE_BYTES - 1);
	used_len = ring_off + num * sizeof(struct vk_vring_used_elem) + 2;
	mem = ring_zalloc(desc_len + avail_len + used_len);
	if (!mem) {
		free(vq);
		return NULL;
	}
	vq->mem = mem;
	vq->num = num;
	vq->desc = (struct vk_vring_desc *)mem;
	vq->avail_idx = (uint16_t *)(mem + desc_len + 2);
	vq->avail_ring = (uint16_t *)(mem + desc_len + ring_off);
	vq->used_idx = (uint16_t *)(mem + desc_len + avail_len + 2);
	vq->used_ring = (struct vk_vring_used_elem *)(mem + desc_len + avail_len + ring_off);
	vq->drv_free = num;
	return vq;
}

static void vk_vq_destroy(void *ring)
{
	struct vk_vq *vq = ring;

	free(vq->mem);
	free(vq);
}

static unsigned int vk_vq_produce(void *ring, struct ring_item **items,
				  unsigned int n)
{
	struct vk_vq *vq = ring;
	uint16_t used = RA_LOAD_ACQUIRE(RT_INDEX, *vq->used_idx);
	unsigned int mask = vq->num - 1, k;

	/* Reap what the device returned; in order, so the id must match. */
	while (vq->drv_last_used != used) {
		struct vk_vring_used_elem *e = &vq->used_ring[vq->drv_last_used & mask];
		uint32_t id = RA_LOAD(RT_USED, e->id);

		if (id != (vq->drv_last_used & mask))
			abort();	/* device broke the in-order contract */
		vq->drv_last_used++;
		vq->drv_free++;
	}
	if (n > vq->drv_free)
		n = vq->drv_free;
	for (k = 0; k < n; k++) {
		unsigned int id = (uint16_t)(vq->drv_avail + k) & mask;
		struct vk_vring_desc *d = &vq->desc[id];

		RA_STORE(RT_DESC, d->addr, (uint64_t)(uintptr_t)items[k]);
		RA_STORE(RT_DESC, d->len, (uint32_t)sizeof(*items[k]));
		RA_STORE(RT_DESC, d->flags, 0);
		RA_STORE(RT_DESC, d->next, 0);
		RA_STORE(RT_AVAIL, vq->avail_ring[id], (uint16_t)id);
	}
	if (k) {
		vq->drv_avail += k;
		vq->drv_free -= k;
		RA_STORE_RELEASE(RT_INDEX, *vq->avail_idx, vq->drv_avail);
	}
	return k;
}

static unsigned int vk_vq_consume(void *ring, struct ring_item **items,
				  unsigned int n)
{
	struct vk_vq *vq = ring;
	uint16_t avail = RA_LOAD_ACQUIRE(RT_INDEX, *vq->avail_idx);
	unsigned int mask = vq->num - 1, k;

	if ((uint16_t)(avail - vq->dev_last_avail) < n)
		n = (uint16_t)(avail - vq->dev_last_avail);
	for (k = 0; k < n; k++) {
		uint16_t id = RA_LOAD(RT_AVAIL,
				      vq->avail_ring[(uint16_t)(vq->dev_last_avail + k) & mask]);
		struct vk_vring_desc *d = &vq->desc[id & mask];
		uint32_t len = RA_LOAD(RT_DESC, d->len);
		struct vk_vring_used_elem *e;

		items[k] = (struct ring_item *)(uintptr_t)RA_LOAD(RT_DESC, d->addr);
		e = &vq->used_ring[(uint16_t)(vq->dev_used + k) & mask];
		RA_STORE(RT_USED, e->id, id);
		RA_STORE(RT_USED, e->len, len);
	}
	if (k) {
		vq->dev_last_avail += k;
		vq->dev_used += k;
		RA_STORE_RELEASE(RT_INDEX, *vq->used_idx, vq->dev_used);
	}
	return k;
}

static unsigned int vk_vq_capacity(const struct ring_params *p)
{
	return p->size;
}

/* --------------------------------------------------------------------- */
static const struct ring_algo ring_impl_algos[] = {
	{
		.name = "list", .what = "locked doubly linked list (pre-4.8 TAP queue)",
		.create = vk_list_create, .destroy = vk_list_destroy,
		.produce = vk_list_produce, .consume = vk_list_consume,
		.capacity = vk_list_capacity,
	},
	{
		.name = "ptr_ring", .what = "pointer ring, NULL-slot protocol, zero per entry (4.8)",
		.create = vk_ptr_ring_create, .destroy = vk_ptr_ring_destroy,
		.produce = vk_ptr_ring_produce, .consume = vk_ptr_ring_consume,
		.capacity = vk_ptr_ring_capacity,
	},
	{
		.name = "zero-batch", .what = "ptr_ring + batch zeroing every --batch entries (4.12)",
		.uses_batch = true,
		.create = vk_zero_batch_create, .destroy = vk_ptr_ring_destroy,
		.produce = vk_ptr_ring_produce, .consume = vk_ptr_ring_consume,
		.capacity = vk_ptr_ring_capacity,
	},
	{
		.name = "consume-batch", .what = "+ batch dequeue of --batch entries (4.13)",
		.uses_batch = true, .cons_batched = true,
		.create = vk_consume_batch_create, .destroy = vk_ptr_ring_destroy,
		.produce = vk_ptr_ring_produce, .consume = vk_ptr_ring_consume_batched,
		.capacity = vk_ptr_ring_capacity,
	},
	{
		.name = "produce-batch", .what = "+ batched producer (one lock, one barrier)",
		.uses_batch = true, .prod_batched = true, .cons_batched = true,
		.create = vk_consume_batch_create, .destroy = vk_ptr_ring_destroy,
		.produce = vk_ptr_ring_produce_batched,
		.produce_locked_loop = vk_ptr_ring_produce_locked_loop,
		.consume = vk_ptr_ring_consume_batched,
		.capacity = vk_ptr_ring_capacity,
	},
	{
		.name = "virtqueue", .what = "split virtqueue driver/device, --batch per publish",
		.pow2 = true, .uses_batch = true, .prod_batched = true, .cons_batched = true,
		.create = vk_vq_create, .destroy = vk_vq_destroy,
		.produce = vk_vq_produce, .consume = vk_vq_consume,
		.capacity = vk_vq_capacity,
	},
};

#endif
