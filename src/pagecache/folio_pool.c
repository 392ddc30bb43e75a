// SPDX-License-Identifier: GPL-2.0
/*
 * The folio pool (folio_pool.h; why and the zeroing rule: doc/engine.md,
 * "Folio memory").  Chunks with a free slot sit on pool->partial; a chunk
 * whose last slot comes back is kept as the spare if there is none, else
 * unmapped.  A chunk hands out its freed slots first (LIFO: the warmest),
 * then slots it never handed out, which are still zero and not yet resident.
 * Up to max_spare empty chunks are kept on pool->spare.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "pc_internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define FP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FP_ASAN 1
#endif
#endif

#ifdef FP_ASAN
#include <sanitizer/asan_interface.h>
#define fp_poison(a, n)	  ASAN_POISON_MEMORY_REGION(a, n)
#define fp_unpoison(a, n) ASAN_UNPOISON_MEMORY_REGION(a, n)
#else
#define fp_poison(a, n)	  ((void) (a), (void) (n))
#define fp_unpoison(a, n) ((void) (a), (void) (n))
#endif

/* Scrub recycled slots where the data-checking tests run (see folio_pool.h). */
#if defined(FP_ASAN) || defined(__SANITIZE_THREAD__) || defined(XF_FOLIO_POOL_SCRUB)
#define FP_SCRUB 1
#else
#define FP_SCRUB 0
#endif

#define FP_PAGE 4096UL

struct fp_chunk {
	struct fp_chunk *next, *prev; /* on pool->partial */
	char *hdrs;		      /* slot headers */
	char *data;		      /* data slots */
	unsigned int nr_free;	      /* stacked + never handed out */
	unsigned int next_fresh;      /* slots from here on were never handed out */
	unsigned int nr_stacked;
	bool on_partial;
	uint16_t stack[]; /* freed slot indices, the last freed on top */
};

static size_t fp_round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

int folio_pool_init(struct folio_pool *p, size_t folio_size)
{
	size_t data = folio_size > FOLIO_POOL_CHUNK_DATA ? folio_size : FOLIO_POOL_CHUNK_DATA;
	size_t head;

	memset(p, 0, sizeof(*p));
	p->folio_size = folio_size;
	p->nr_slots = (unsigned int) (data / folio_size);
	if (p->nr_slots > UINT16_MAX)
		return -EINVAL;
	/* Sized for 512-byte blocks: the pool does not know the mappings. */
	p->bitmap_bytes = pc_bitmap_bytes((unsigned int) (folio_size >> 9));
	p->hdr_size = fp_round_up(sizeof(struct folio) + 2 * p->bitmap_bytes, 16);
	head = fp_round_up(sizeof(struct fp_chunk) + p->nr_slots * sizeof(uint16_t), 64);
	p->data_off = fp_round_up(head + p->nr_slots * p->hdr_size, FP_PAGE);
	p->map_bytes = p->data_off + (size_t) p->nr_slots * folio_size;
	p->max_spare = 1;
	pthread_mutex_init(&p->lock, NULL);
	return 0;
}

void folio_pool_set_spare(struct folio_pool *p, uint64_t bytes)
{
	uint64_t n = bytes / (p->map_bytes - p->data_off);

	p->max_spare = n > 1 ? (unsigned int) n : 1;
}

/* ---- chunks ---- */

static struct fp_chunk *chunk_map(struct folio_pool *p)
{
	struct fp_chunk *c;
	/*
	 * MAP_POPULATE: the chunk's pages are faulted in here, in one call,
	 * instead of one page fault per 4 KiB as folios are first filled; a
	 * fault costs more than the page's zeroing on this VM (a cold read
	 * spent 15 % of the daemon's CPU in them, doc/performance.md "Reads").
	 * Chunks are mapped only when no slot is free, with the pool lock
	 * dropped, and filled in order: the RSS bound is unchanged.
	 */
	void *a = mmap(NULL, p->map_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE, -1, 0);

	if (a == MAP_FAILED)
		return NULL;
	c = a;
	c->data = (char *) a + p->data_off;
	c->hdrs = c->data - (size_t) p->nr_slots * p->hdr_size;
	c->nr_free = p->nr_slots;
	/* Every slot is free: ASan reports any touch until it is handed out. */
	fp_poison(c->hdrs, (size_t) p->nr_slots * p->hdr_size);
	fp_poison(c->data, (size_t) p->nr_slots * p->folio_size);
	atomic_fetch_add(&p->stats.chunks, 1);
	atomic_fetch_add(&p->stats.chunks_mapped, 1);
	return c;
}

static void chunk_unmap(struct folio_pool *p, struct fp_chunk *c)
{
	/* ASan's shadow outlives the mapping: a later mmap here must not look freed. */
	fp_unpoison(c, p->map_bytes);
	munmap(c, p->map_bytes);
	atomic_fetch_sub(&p->stats.chunks, 1);
	atomic_fetch_add(&p->stats.chunks_unmapped, 1);
}

static void partial_add(struct folio_pool *p, struct fp_chunk *c)
{
	c->prev = NULL;
	c->next = p->partial;
	if (p->partial)
		p->partial->prev = c;
	p->partial = c;
	c->on_partial = true;
}

static void partial_del(struct folio_pool *p, struct fp_chunk *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		p->partial = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
	c->on_partial = false;
}

/* Take a slot of @c (pool->lock held, c->nr_free > 0). */
static unsigned int chunk_take(struct folio_pool *p, struct fp_chunk *c, bool *zeroed)
{
	unsigned int idx;

	*zeroed = !c->nr_stacked;
	idx = c->nr_stacked ? c->stack[--c->nr_stacked] : c->next_fresh++;
	if (!--c->nr_free)
		partial_del(p, c);
	return idx;
}

/* ---- slots ---- */

static struct folio *slot_folio(struct folio_pool *p, struct fp_chunk *c, unsigned int idx)
{
	return (struct folio *) (c->hdrs + (size_t) idx * p->hdr_size);
}

static unsigned int slot_index(struct folio_pool *p, struct fp_chunk *c, struct folio *f)
{
	return (unsigned int) (((char *) f - c->hdrs) / p->hdr_size);
}

/* A chunk with a free slot, on pool->partial; NULL if mmap fails. */
static struct fp_chunk *pool_chunk_locked(struct folio_pool *p)
{
	struct fp_chunk *c = p->partial;

	if (c)
		return c;
	c = p->spare;
	if (c) {
		p->spare = c->next;
		p->nr_spare--;
		partial_add(p, c);
		return c;
	}
	pthread_mutex_unlock(&p->lock);
	c = chunk_map(p);
	pthread_mutex_lock(&p->lock);
	if (c)
		partial_add(p, c);
	return c;
}

/* The slot's header as folio_pool_alloc promises it. */
static void slot_init(struct folio_pool *p, struct fp_chunk *c, unsigned int idx, bool zeroed)
{
	struct folio *f = slot_folio(p, c, idx);
	char *data = c->data + (size_t) idx * p->folio_size;

	fp_unpoison(f, p->hdr_size);
	fp_unpoison(data, p->folio_size);
	memset(f, 0, sizeof(*f) + 2 * p->bitmap_bytes);
	f->uptodate = (unsigned long *) (f + 1);
	f->dirty = (unsigned long *) ((char *) (f + 1) + p->bitmap_bytes);
	f->data = data;
	f->pool_chunk = c;
	if (FP_SCRUB && !zeroed)
		memset(data, FOLIO_POOL_SCRUB_BYTE, p->folio_size);
}

struct folio *folio_pool_alloc(struct folio_pool *p, bool *zeroed)
{
	struct fp_chunk *c;
	unsigned int idx;

	pthread_mutex_lock(&p->lock);
	c = pool_chunk_locked(p);
	if (!c) {
		pthread_mutex_unlock(&p->lock);
		return NULL;
	}
	idx = chunk_take(p, c, zeroed);
	pthread_mutex_unlock(&p->lock);
	atomic_fetch_add(&p->stats.slots_used, 1);
	atomic_fetch_add(*zeroed ? &p->stats.slots_fresh : &p->stats.slots_recycled, 1);
	slot_init(p, c, idx, *zeroed);
	return slot_folio(p, c, idx);
}

/*
 * Give @c's slot back (pool->lock held).  Returns a chunk to unmap once
 * the lock is dropped, or NULL.
 */
static struct fp_chunk *chunk_put(struct folio_pool *p, struct fp_chunk *c, unsigned int idx)
{
	c->stack[c->nr_stacked++] = (uint16_t) idx;
	if (c->nr_free++ == 0)
		partial_add(p, c);
	if (c->nr_free < p->nr_slots)
		return NULL;
	partial_del(p, c);
	if (p->nr_spare >= p->max_spare)
		return c;
	c->next = p->spare; /* the spare list is singly linked */
	p->spare = c;
	p->nr_spare++;
	return NULL;
}

void folio_pool_free(struct folio_pool *p, struct folio *f)
{
	struct fp_chunk *c = f->pool_chunk, *victim;
	unsigned int idx = slot_index(p, c, f);

	/* Before it is on the stack: then another thread may take it. */
	fp_poison(c->data + (size_t) idx * p->folio_size, p->folio_size);
	fp_poison(f, p->hdr_size);
	pthread_mutex_lock(&p->lock);
	victim = chunk_put(p, c, idx);
	pthread_mutex_unlock(&p->lock);
	atomic_fetch_sub(&p->stats.slots_used, 1);
	if (victim)
		chunk_unmap(p, victim);
}

void folio_pool_destroy(struct folio_pool *p)
{
	struct fp_chunk *c, *next;

	pthread_mutex_lock(&p->lock);
	for (c = p->partial; c; c = next) {
		next = c->next;
		if (c->nr_free == p->nr_slots) {
			partial_del(p, c);
			chunk_unmap(p, c);
		}
	}
	for (c = p->spare; c; c = next) {
		next = c->next;
		chunk_unmap(p, c);
	}
	p->spare = NULL;
	p->nr_spare = 0;
	pthread_mutex_unlock(&p->lock);
	pthread_mutex_destroy(&p->lock);
}
