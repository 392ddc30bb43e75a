// SPDX-License-Identifier: GPL-2.0
/*
 * The page cache index and folio lifetime: mm/filemap.c, reduced.
 *
 * Lookups take their reference under mapping->i_pages_lock, so a folio seen
 * with refcount == 2 (cache + reclaimer) under that lock cannot gain a new
 * user before it is removed (folio_try_evict, the kernel's folio_ref_freeze).
 * Folios on the LRU are in the cache, so lru_lock holders may take a
 * reference too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lockwatch.h"
#include "pc_internal.h"

uint64_t pc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* ---- the cache and mappings ---- */

void page_cache_charge(struct page_cache *pc, int64_t bytes)
{
	atomic_fetch_add(&pc->charged_bytes, bytes);
}

/* The folio pool's spare chunks: they stay mapped, so cache_size counts them. */
static uint64_t pc_spare_bytes(uint64_t limit_bytes)
{
	return limit_bytes / 16;
}

uint64_t page_cache_limit_folios(struct page_cache *pc)
{
	int64_t charged = atomic_load(&pc->charged_bytes);
	uint64_t beside = (charged > 0 ? (uint64_t) charged : 0) + pc_spare_bytes(pc->limit_bytes);

	if (beside > pc->limit_bytes / 2)
		beside = pc->limit_bytes / 2;
	return (pc->limit_bytes - beside) / (pc->folio_size + pc->pool.hdr_size);
}

int page_cache_init(struct page_cache *pc, size_t folio_size, uint64_t limit_bytes)
{
	pthread_condattr_t ca;

	if (folio_size < 512 || (folio_size & (folio_size - 1)))
		return -EINVAL;
	memset(pc, 0, sizeof(*pc));
	pc->folio_size = folio_size;
	pc->folio_shift = (unsigned int) __builtin_ctzl(folio_size);
	pc->limit_bytes = limit_bytes;
	if (folio_pool_init(&pc->pool, folio_size))
		return -EINVAL;
	folio_pool_set_spare(&pc->pool, pc_spare_bytes(limit_bytes));
	pthread_mutex_init(&pc->lru_lock, NULL);
	pc_list_init(&pc->lru);
	pthread_mutex_init(&pc->wait_lock, NULL);
	/* Monotonic, so reclaim's bounded waits on wait_cond are sane. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pc->wait_cond, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

void page_cache_destroy(struct page_cache *pc)
{
	folio_pool_destroy(&pc->pool);
	pthread_cond_destroy(&pc->wait_cond);
	pthread_mutex_destroy(&pc->wait_lock);
	pthread_mutex_destroy(&pc->lru_lock);
}

void mapping_init(struct address_space *m, struct page_cache *pc, void *host, unsigned int blkbits)
{
	memset(m, 0, sizeof(*m));
	m->pc = pc;
	m->host = host;
	m->blkbits = blkbits;
	pthread_mutex_init(&m->i_pages_lock, NULL);
	INIT_RADIX_TREE(&m->i_pages, 0);
}

void mapping_destroy(struct address_space *m)
{
	pthread_mutex_destroy(&m->i_pages_lock);
}

/* ---- folio memory and references ---- */

static void folio_free(struct folio *f)
{
	struct page_cache *pc = f->pc;

	/* nr_dirty counts live PG_dirty folios, even removed ones. */
	if (atomic_load(&f->flags) & (1UL << PG_dirty))
		atomic_fetch_sub(&pc->nr_dirty, 1);
	pthread_mutex_destroy(&f->state_lock);
	pthread_mutex_destroy(&f->lock);
	atomic_fetch_add(&pc->stats.folios_freed, 1);
	folio_pool_free(&pc->pool, f);
}

/*
 * A slot of the folio pool.  Its data is not zeroed unless fresh: whoever
 * marks a block uptodate has filled all of it first (doc/engine.md, "Folio
 * memory"), so no other file's old bytes can be read through this folio.
 */
static struct folio *folio_alloc(struct address_space *m, uint64_t index)
{
	struct page_cache *pc = m->pc;
	bool zeroed;
	struct folio *f = folio_pool_alloc(&pc->pool, &zeroed);

	if (!f)
		return NULL;
	f->index = index;
	f->pc = pc;
	f->blkbits = m->blkbits;
	f->nr_blocks = folio_nr_blocks(m);
	pthread_mutex_init(&f->lock, NULL);
	pthread_mutex_init(&f->state_lock, NULL);
	pc_list_init(&f->lru);
	atomic_fetch_add(&pc->stats.folios_created, 1);
	return f;
}

void folio_get(struct folio *f)
{
	atomic_fetch_add(&f->refcount, 1);
}

/* Only a removed folio can reach zero: the cache holds one while mapped. */
void folio_put(struct folio *f)
{
	if (atomic_fetch_sub(&f->refcount, 1) == 1)
		folio_free(f);
}

/*
 * The lock watch (lockwatch.h) learns who waits for and holds folio locks.
 * Under the folio lock f->mapping is stable (removal holds it).
 */
static uint64_t folio_ino(const struct folio *f)
{
	const struct address_space *m = f->mapping;

	return m ? m->host_ino : 0;
}

void folio_lock(struct folio *f)
{
	/* f->mapping may change until we hold the lock: the index only here. */
	xf_lw_wait(XF_LW_FOLIO, 0, f->index);
	pthread_mutex_lock(&f->lock);
	xf_lw_got(XF_LW_FOLIO, folio_ino(f), true);
}

bool folio_trylock(struct folio *f)
{
	if (pthread_mutex_trylock(&f->lock))
		return false;
	xf_lw_got(XF_LW_FOLIO, folio_ino(f), true);
	return true;
}

void folio_unlock(struct folio *f)
{
	xf_lw_put(XF_LW_FOLIO);
	pthread_mutex_unlock(&f->lock);
}

/* ---- LRU ---- */

static void folio_add_lru(struct page_cache *pc, struct folio *f)
{
	pthread_mutex_lock(&pc->lru_lock);
	pc_list_add_tail(&f->lru, &pc->lru);
	f->on_lru = true;
	pthread_mutex_unlock(&pc->lru_lock);
}

static void folio_del_lru(struct page_cache *pc, struct folio *f)
{
	pthread_mutex_lock(&pc->lru_lock);
	if (f->on_lru) {
		pc_list_del_init(&f->lru);
		f->on_lru = false;
	}
	pthread_mutex_unlock(&pc->lru_lock);
}

/* Move to the young end: reclaim walks from the old one. */
void folio_mark_accessed(struct folio *f)
{
	struct page_cache *pc = f->pc;

	pthread_mutex_lock(&pc->lru_lock);
	if (f->on_lru)
		pc_list_move_tail(&f->lru, &pc->lru);
	pthread_mutex_unlock(&pc->lru_lock);
}

unsigned int isolate_lru_folios(struct page_cache *pc, struct folio **batch, unsigned int max)
{
	unsigned int n = 0;

	pthread_mutex_lock(&pc->lru_lock);
	while (n < max && !pc_list_empty(&pc->lru)) {
		struct folio *f = pc_lru_entry(pc->lru.next);

		pc_list_move_tail(&f->lru, &pc->lru);
		folio_get(f); /* on the LRU, so the cache holds one */
		batch[n++] = f;
	}
	pthread_mutex_unlock(&pc->lru_lock);
	return n;
}

/* ---- lookup ---- */

struct folio *filemap_get_folio(struct address_space *m, uint64_t index)
{
	struct folio *f;

	pthread_mutex_lock(&m->i_pages_lock);
	f = radix_tree_lookup(&m->i_pages, index);
	if (f)
		folio_get(f);
	pthread_mutex_unlock(&m->i_pages_lock);
	return f;
}

struct folio *filemap_lock_folio(struct address_space *m, uint64_t index)
{
	struct folio *f;

	for (;;) {
		f = filemap_get_folio(m, index);
		if (!f)
			return NULL;
		folio_lock(f);
		/* Truncated or evicted while we slept on the lock? */
		if (f->mapping == m)
			return f;
		folio_unlock(f);
		folio_put(f);
	}
}

static bool pc_over_limit(struct page_cache *pc, uint64_t extra)
{
	return atomic_load(&pc->nr_folios) + extra > page_cache_limit_folios(pc);
}

/*
 * Direct reclaim (mm/vmscan.c try_to_free_pages, reduced): a creator that
 * finds the cache past its hard limit evicts clean folios itself, down to
 * the limit, so it holds even when the reclaim thread gets no CPU.  Same rules as the
 * reclaim thread; folio_try_evict only trylocks, and the caller may hold
 * other folio locks.
 */
static void pc_direct_reclaim(struct page_cache *pc)
{
	struct folio *batch[PC_DIRECT_RECLAIM_BATCH];
	unsigned int n = isolate_lru_folios(pc, batch, PC_DIRECT_RECLAIM_BATCH), i;

	for (i = 0; i < n; i++) {
		if (pc_over_limit(pc, 1) && !folio_test_dirty(batch[i]) &&
		    folio_try_evict(batch[i]))
			atomic_fetch_add(&pc->stats.direct_reclaimed, 1);
		folio_put(batch[i]);
	}
}

/* At creation, with no lock of ours held: kick reclaim, or help it. */
static void pc_check_limit(struct page_cache *pc)
{
	void (*hook)(struct page_cache *);
	uint64_t limit, nr;

	if (!pc->limit_bytes)
		return;
	limit = page_cache_limit_folios(pc);
	nr = atomic_load(&pc->nr_folios) + 1;
	if (nr <= limit)
		return;
	if (nr > 2 * limit)
		pc_direct_reclaim(pc);
	hook = __atomic_load_n(&pc->over_limit, __ATOMIC_ACQUIRE);
	if (hook)
		hook(pc);
}

/*
 * Publish @f at its index (filemap_add_folio).  Returns 0, -EEXIST if
 * another thread won the race, or -ENOMEM.
 */
static int filemap_add_folio(struct address_space *m, struct folio *f)
{
	int error = 0;

	pthread_mutex_lock(&m->i_pages_lock);
	if (radix_tree_lookup(&m->i_pages, f->index)) {
		error = -EEXIST;
	} else if (radix_tree_insert(&m->i_pages, f->index, f)) {
		error = -ENOMEM;
	} else {
		f->mapping = m;
		m->nrpages++;
	}
	pthread_mutex_unlock(&m->i_pages_lock);
	if (error)
		return error;
	atomic_fetch_add(&m->pc->nr_folios, 1);
	folio_add_lru(m->pc, f);
	return 0;
}

/*
 * For readahead: a new folio at @index, locked, or NULL if one is already
 * there (-EEXIST in *errp) or memory ran out (-ENOMEM).  Never sleeps on a
 * folio lock, so a caller may hold the locks of other folios of the batch
 * (the kernel's filemap_add_folio in page_cache_ra_unbounded).
 */
struct folio *filemap_create_folio(struct address_space *m, uint64_t index, int *errp)
{
	struct folio *f;
	int error;

	pc_check_limit(m->pc);
	f = folio_alloc(m, index);
	if (!f) {
		*errp = -ENOMEM;
		return NULL;
	}
	/* One reference for the cache, one for the caller; locked. */
	atomic_store(&f->refcount, 2);
	folio_lock(f);
	error = filemap_add_folio(m, f);
	if (!error)
		return f;
	/* Never published: nobody else can see it. */
	folio_unlock(f);
	folio_free(f);
	*errp = error;
	return NULL;
}

struct folio *filemap_grab_folio(struct address_space *m, uint64_t index)
{
	struct folio *f;
	int error;

	for (;;) {
		f = filemap_lock_folio(m, index);
		if (f)
			return f;
		f = filemap_create_folio(m, index, &error);
		if (f)
			return f;
		if (error != -EEXIST)
			return NULL;
	}
}

/*
 * Gang lookup in [start, end], optionally by tag; references are taken
 * under i_pages_lock.  libfrog's gang lookups do not stop at an end index,
 * so filter here.
 */
static unsigned int filemap_gang_get(struct address_space *m, uint64_t start, uint64_t end, int tag,
				     struct folio **folios, unsigned int max)
{
	void *batch[PC_BATCH];
	unsigned int got = 0, n, i, want;
	uint64_t index = start;
	bool done = false;

	pthread_mutex_lock(&m->i_pages_lock);
	while (!done && got < max && index <= end) {
		want = max - got < PC_BATCH ? max - got : PC_BATCH;
		if (tag < 0)
			n = radix_tree_gang_lookup(&m->i_pages, batch, index, want);
		else
			n = radix_tree_gang_lookup_tag(&m->i_pages, batch, index, want,
						       (unsigned int) tag);
		if (n < want)
			done = true;
		for (i = 0; i < n; i++) {
			struct folio *f = batch[i];

			if (f->index > end || f->index < index) {
				done = true;
				break;
			}
			folio_get(f);
			folios[got++] = f;
			index = f->index + 1;
			if (index == 0)
				done = true;
		}
	}
	pthread_mutex_unlock(&m->i_pages_lock);
	return got;
}

unsigned int filemap_get_folios_tag(struct address_space *m, uint64_t start, uint64_t end,
				    unsigned int tag, struct folio **folios, unsigned int max)
{
	return filemap_gang_get(m, start, end, (int) tag, folios, max);
}

unsigned int filemap_get_folios(struct address_space *m, uint64_t start, uint64_t end,
				struct folio **folios, unsigned int max)
{
	return filemap_gang_get(m, start, end, -1, folios, max);
}

/* ---- removal ---- */

void __filemap_remove_folio(struct address_space *m, struct folio *f)
{
	radix_tree_delete(&m->i_pages, f->index); /* drops its tags too */
	f->mapping = NULL;
	m->nrpages--;
}

void filemap_free_removed_folio(struct page_cache *pc, struct folio *f)
{
	folio_del_lru(pc, f);
	/* Keep the global counters balanced even if a caller forgot. */
	if (folio_test_clear_flag(f, PG_dirty))
		atomic_fetch_sub(&pc->nr_dirty, 1);
	atomic_fetch_sub(&pc->nr_folios, 1);
	folio_put(f); /* the cache's reference */
}
