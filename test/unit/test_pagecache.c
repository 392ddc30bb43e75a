// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/pagecache: folio state, tags, writeback waits, lookup
 * races, truncate, eviction rules, seek scans, errseq.  Engine only (no
 * libxfs, no image): links engine_dep.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pagecache.h"
#include "../../src/pagecache/pc_internal.h"

#include "check.h"

static void msleep(unsigned int ms)
{
	usleep(ms * 1000);
}

/* Remove everything and check that every folio ever allocated was freed. */
static void teardown(struct page_cache *pc, struct address_space *m)
{
	truncate_inode_pages_range(m, 0, UINT64_MAX);
	CHECK_EQ(m->nrpages, 0);
	CHECK_EQ(atomic_load(&pc->nr_folios), 0);
	CHECK_EQ(atomic_load(&pc->nr_dirty), 0);
	CHECK_EQ(atomic_load(&pc->nr_writeback), 0);
	CHECK_EQ(atomic_load(&pc->stats.folios_freed), atomic_load(&pc->stats.folios_created));
	CHECK(pc->lru.next == &pc->lru);
	mapping_destroy(m);
	page_cache_destroy(pc);
}

static unsigned int count_tag(struct address_space *m, unsigned int tag)
{
	struct folio *fs[64];
	unsigned int n = filemap_get_folios_tag(m, 0, UINT64_MAX, tag, fs, 64), i;

	for (i = 0; i < n; i++)
		folio_put(fs[i]);
	return n;
}

/* ---- folio state: per-block uptodate, dirty tags, writeback waits ---- */

struct wb_waiter {
	struct folio *f;
	_Atomic int done;
};

static void *wait_writeback_thread(void *arg)
{
	struct wb_waiter *w = arg;

	folio_wait_writeback(w->f);
	atomic_store(&w->done, 1);
	return NULL;
}

static void test_state(void)
{
	struct page_cache pc;
	struct address_space m;
	struct folio *f;
	struct wb_waiter w = {0};
	pthread_t t;
	unsigned int start;

	CHECK_EQ(page_cache_init(&pc, 4096, 1 << 20), 0);
	CHECK_EQ(page_cache_init(&pc, 3000, 1 << 20), -EINVAL);
	CHECK_EQ(page_cache_init(&pc, 4096, 1 << 20), 0);
	mapping_init(&m, &pc, NULL, 10); /* 1 KiB blocks: 4 per folio */
	CHECK_EQ(folio_nr_blocks(&m), 4);

	f = filemap_grab_folio(&m, 7);
	CHECK(f && f->mapping == &m && f->index == 7);
	CHECK_EQ(atomic_load(&f->refcount), 2);
	CHECK(!folio_trylock(f)); /* returned locked */
	CHECK(!folio_test_uptodate(f) && !ifs_block_is_uptodate(f, 0));
	CHECK_EQ(folio_pos(f, &pc), 7 * 4096);

	/* Uptodate per block; the folio when all are. */
	ifs_set_range_uptodate(f, 0, 2048);
	CHECK(ifs_block_is_uptodate(f, 0) && ifs_block_is_uptodate(f, 1));
	CHECK(!ifs_block_is_uptodate(f, 2) && !folio_test_uptodate(f));
	ifs_set_range_uptodate(f, 3000, 1); /* touches block 2 only */
	CHECK(ifs_block_is_uptodate(f, 2) && !ifs_block_is_uptodate(f, 3));
	CHECK(!folio_test_uptodate(f));
	ifs_set_range_uptodate(f, 3072, 1024);
	CHECK(folio_test_uptodate(f));
	CHECK(!ifs_block_is_uptodate(f, 4)); /* out of range */

	/* Per-block dirty and runs. */
	ifs_set_range_dirty(f, 1023, 2); /* blocks 0 and 1 */
	ifs_set_range_dirty(f, 3072, 1024);
	CHECK(ifs_block_is_dirty(f, 0) && ifs_block_is_dirty(f, 1));
	CHECK(!ifs_block_is_dirty(f, 2) && ifs_block_is_dirty(f, 3));
	start = 0;
	CHECK_EQ(ifs_find_dirty_range(f, &start), 2);
	CHECK_EQ(start, 0);
	start = 2;
	CHECK_EQ(ifs_find_dirty_range(f, &start), 1);
	CHECK_EQ(start, 3);
	ifs_clear_range_dirty(f, 0, 1024);
	start = 0;
	CHECK_EQ(ifs_find_dirty_range(f, &start), 1);
	CHECK_EQ(start, 1);

	/* PG_dirty and its tag. */
	CHECK_EQ(count_tag(&m, PC_TAG_DIRTY), 0);
	CHECK(filemap_dirty_folio(f));
	CHECK(!filemap_dirty_folio(f));
	CHECK(folio_test_dirty(f));
	CHECK_EQ(atomic_load(&pc.nr_dirty), 1);
	CHECK_EQ(count_tag(&m, PC_TAG_DIRTY), 1);
	CHECK(folio_clear_dirty_for_io(f));
	CHECK(!folio_clear_dirty_for_io(f));
	CHECK_EQ(count_tag(&m, PC_TAG_DIRTY), 0);
	CHECK_EQ(atomic_load(&pc.nr_dirty), 0);
	filemap_dirty_folio(f);
	folio_cancel_dirty(f);
	CHECK(!folio_test_dirty(f) && !ifs_block_is_dirty(f, 1) && !ifs_block_is_dirty(f, 3));
	CHECK_EQ(count_tag(&m, PC_TAG_DIRTY), 0);
	CHECK_EQ(atomic_load(&pc.nr_dirty), 0);

	/* Writeback: tag, counter, a waiter in another thread. */
	folio_start_writeback(f);
	CHECK(folio_test_writeback(f));
	CHECK_EQ(count_tag(&m, PC_TAG_WRITEBACK), 1);
	CHECK_EQ(atomic_load(&pc.nr_writeback), 1);
	folio_unlock(f);
	w.f = f;
	pthread_create(&t, NULL, wait_writeback_thread, &w);
	msleep(100);
	CHECK_EQ(atomic_load(&w.done), 0);
	folio_end_writeback(f);
	pthread_join(t, NULL);
	CHECK_EQ(atomic_load(&w.done), 1);
	CHECK(!folio_test_writeback(f));
	CHECK_EQ(count_tag(&m, PC_TAG_WRITEBACK), 0);
	CHECK_EQ(atomic_load(&pc.nr_writeback), 0);
	folio_wait_writeback(f); /* not under writeback: returns */

	/* ifs_clear_all: blocks follow PG_uptodate, none dirty. */
	ifs_set_range_dirty(f, 0, 4096);
	ifs_clear_all(f);
	CHECK(ifs_block_is_uptodate(f, 2) && !ifs_block_is_dirty(f, 2));

	/* folio_mark_uptodate marks every block. */
	folio_put(f);
	f = filemap_grab_folio(&m, 8);
	folio_mark_uptodate(f);
	CHECK(ifs_block_is_uptodate(f, 0) && ifs_block_is_uptodate(f, 3));
	folio_unlock(f);
	folio_put(f);

	/* Lookups. */
	CHECK(filemap_get_folio(&m, 9) == NULL);
	CHECK(filemap_lock_folio(&m, 9) == NULL);
	f = filemap_lock_folio(&m, 8);
	CHECK(f && f->index == 8);
	folio_unlock(f);
	folio_put(f);
	CHECK_EQ(m.nrpages, 2);
	teardown(&pc, &m);
}

/* ---- find-or-create races ---- */

#define RACE_THREADS 4
#define RACE_INDICES 2000

struct grab_ctx {
	struct address_space *m;
	unsigned int seed;
	struct folio *got[RACE_INDICES];
	int errors;
};

static void *grab_thread(void *arg)
{
	struct grab_ctx *c = arg;
	unsigned int order[RACE_INDICES], i, j, tmp;

	for (i = 0; i < RACE_INDICES; i++)
		order[i] = i;
	for (i = RACE_INDICES - 1; i > 0; i--) { /* each thread its own order */
		j = (unsigned int) rand_r(&c->seed) % (i + 1);
		tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	for (i = 0; i < RACE_INDICES; i++) {
		struct folio *f = filemap_grab_folio(c->m, order[i]);

		if (!f || f->mapping != c->m || f->index != order[i]) {
			c->errors++;
			continue;
		}
		c->got[order[i]] = f;
		folio_unlock(f);
	}
	return NULL;
}

static void test_grab_race(void)
{
	static struct grab_ctx ctx[RACE_THREADS];
	struct page_cache pc;
	struct address_space m;
	pthread_t t[RACE_THREADS];
	unsigned int i, k;
	int same = 1, refs_ok = 1;

	page_cache_init(&pc, 4096, 0);
	mapping_init(&m, &pc, NULL, 12);
	for (k = 0; k < RACE_THREADS; k++) {
		memset(&ctx[k], 0, sizeof(ctx[k]));
		ctx[k].m = &m;
		ctx[k].seed = 1234 + k;
		pthread_create(&t[k], NULL, grab_thread, &ctx[k]);
	}
	for (k = 0; k < RACE_THREADS; k++) {
		pthread_join(t[k], NULL);
		CHECK_EQ(ctx[k].errors, 0);
	}
	/* Exactly one folio per index, seen by everyone. */
	CHECK_EQ(m.nrpages, RACE_INDICES);
	CHECK_EQ(atomic_load(&pc.nr_folios), RACE_INDICES);
	for (i = 0; i < RACE_INDICES; i++) {
		for (k = 1; k < RACE_THREADS; k++)
			same &= ctx[k].got[i] == ctx[0].got[i];
		refs_ok &= atomic_load(&ctx[0].got[i]->refcount) == 1 + RACE_THREADS;
	}
	CHECK(same);
	CHECK(refs_ok);
	/* Losers' allocations were freed at once. */
	CHECK_EQ(atomic_load(&pc.stats.folios_created) - atomic_load(&pc.stats.folios_freed),
		 RACE_INDICES);
	printf("grab race: %llu allocations for %d indices\n",
	       (unsigned long long) atomic_load(&pc.stats.folios_created), RACE_INDICES);
	for (k = 0; k < RACE_THREADS; k++)
		for (i = 0; i < RACE_INDICES; i++)
			folio_put(ctx[k].got[i]);
	refs_ok = 1;
	for (i = 0; i < RACE_INDICES; i++)
		refs_ok &= atomic_load(&ctx[0].got[i]->refcount) == 1;
	CHECK(refs_ok);
	teardown(&pc, &m); /* checks every allocation was freed */
}

/* A folio removed while a grabber sleeps on its lock: the grabber retries. */
struct grab_one {
	struct address_space *m;
	struct folio *f;
	_Atomic int done, release;
};

/* Folio locks are pthread mutexes: the locking thread unlocks. */
static void *grab_one_thread(void *arg)
{
	struct grab_one *g = arg;

	g->f = filemap_grab_folio(g->m, 5);
	atomic_store(&g->done, 1);
	while (!atomic_load(&g->release))
		msleep(1);
	if (g->f)
		folio_unlock(g->f);
	return NULL;
}

static void test_grab_removed(void)
{
	struct page_cache pc;
	struct address_space m;
	struct grab_one g = {0};
	struct folio *f;
	pthread_t t;

	page_cache_init(&pc, 4096, 0);
	mapping_init(&m, &pc, NULL, 12);
	f = filemap_grab_folio(&m, 5);
	g.m = &m;
	pthread_create(&t, NULL, grab_one_thread, &g);
	msleep(100);
	CHECK_EQ(atomic_load(&g.done), 0); /* asleep on f's lock */
	/* What truncate_inode_folio does, with the lock we already hold. */
	pthread_mutex_lock(&m.i_pages_lock);
	__filemap_remove_folio(&m, f);
	pthread_mutex_unlock(&m.i_pages_lock);
	filemap_free_removed_folio(&pc, f);
	folio_unlock(f);
	while (!atomic_load(&g.done))
		msleep(1);
	CHECK(g.f && g.f != f);
	CHECK(g.f->mapping == &m && g.f->index == 5);
	CHECK(!folio_trylock(g.f)); /* the grabber's lock */
	CHECK_EQ(m.nrpages, 1);
	folio_put(f); /* last reference of the removed one */
	CHECK_EQ(atomic_load(&pc.stats.folios_freed), 1);
	atomic_store(&g.release, 1);
	pthread_join(t, NULL);
	folio_put(g.f);
	teardown(&pc, &m);
}

/* ---- truncate ---- */

/* Make folio @index: uptodate, every block dirty, filled with @c. */
static void make_dirty_folio(struct address_space *m, uint64_t index, int c)
{
	struct folio *f = filemap_grab_folio(m, index);

	memset(f->data, c, m->pc->folio_size);
	folio_mark_uptodate(f);
	ifs_set_range_dirty(f, 0, m->pc->folio_size);
	filemap_dirty_folio(f);
	folio_unlock(f);
	folio_put(f);
}

static bool bytes_are(const char *p, size_t len, int c)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (char) c)
			return false;
	return true;
}

static void test_truncate_4k(void)
{
	struct page_cache pc;
	struct address_space m;
	struct folio *f;
	uint64_t i;

	page_cache_init(&pc, 4096, 0);
	mapping_init(&m, &pc, NULL, 10);
	for (i = 0; i < 4; i++)
		make_dirty_folio(&m, i, 0xaa);
	CHECK_EQ(atomic_load(&pc.nr_dirty), 4);

	/* Truncate down to 5000: folio 1 partial, 2 and 3 gone. */
	truncate_inode_pages_range(&m, 5000, UINT64_MAX);
	CHECK_EQ(m.nrpages, 2);
	CHECK_EQ(atomic_load(&pc.stats.folios_truncated), 2);
	CHECK(filemap_get_folio(&m, 2) == NULL && filemap_get_folio(&m, 3) == NULL);
	CHECK_EQ(atomic_load(&pc.nr_dirty), 2);
	CHECK_EQ(count_tag(&m, PC_TAG_DIRTY), 2);
	f = filemap_get_folio(&m, 1);
	CHECK(bytes_are(f->data, 904, 0xaa));
	CHECK(bytes_are(f->data + 904, 4096 - 904, 0));
	/* Block 0 keeps its head: still uptodate and dirty; 1..3 are gone. */
	CHECK(ifs_block_is_uptodate(f, 0) && ifs_block_is_dirty(f, 0));
	CHECK(!ifs_block_is_uptodate(f, 1) && !ifs_block_is_dirty(f, 1));
	CHECK(!ifs_block_is_uptodate(f, 3) && !ifs_block_is_dirty(f, 3));
	CHECK(!folio_test_uptodate(f) && folio_test_dirty(f));
	folio_put(f);

	/* Punch block 1 of folio 0 exactly, then a sub-block range. */
	truncate_inode_pages_range(&m, 1024, 2047);
	f = filemap_get_folio(&m, 0);
	CHECK(bytes_are(f->data, 1024, 0xaa) && bytes_are(f->data + 1024, 1024, 0));
	CHECK(bytes_are(f->data + 2048, 2048, 0xaa));
	CHECK(!ifs_block_is_uptodate(f, 1) && !ifs_block_is_dirty(f, 1));
	CHECK(ifs_block_is_uptodate(f, 2) && ifs_block_is_dirty(f, 2));
	CHECK(!folio_test_uptodate(f));
	truncate_inode_pages_range(&m, 100, 199);
	CHECK(bytes_are(f->data, 100, 0xaa) && bytes_are(f->data + 100, 100, 0));
	CHECK(bytes_are(f->data + 200, 824, 0xaa));
	CHECK(ifs_block_is_uptodate(f, 0) && ifs_block_is_dirty(f, 0));
	folio_put(f);

	/* Removing every dirty block of a partial folio makes it clean. */
	truncate_inode_pages_range(&m, 4096, 5119); /* folio 1 block 0 */
	f = filemap_get_folio(&m, 1);
	CHECK(!folio_test_dirty(f) && !ifs_block_is_dirty(f, 0));
	CHECK(bytes_are(f->data, 4096, 0));
	folio_put(f);
	CHECK_EQ(count_tag(&m, PC_TAG_DIRTY), 1);

	/* A range covering a whole folio exactly removes it. */
	truncate_inode_pages_range(&m, 4096, 8191);
	CHECK(filemap_get_folio(&m, 1) == NULL);
	/* An empty range does nothing. */
	truncate_inode_pages_range(&m, 10, 9);
	CHECK_EQ(m.nrpages, 1);
	teardown(&pc, &m);
}

static void test_truncate_64k(void)
{
	struct page_cache pc;
	struct address_space m;
	struct folio *f;

	page_cache_init(&pc, 65536, 0);
	mapping_init(&m, &pc, NULL, 10); /* 64 blocks per folio */
	make_dirty_folio(&m, 0, 0x55);
	make_dirty_folio(&m, 1, 0x55);
	/* Punch [3 KiB + 10, 70 KiB): spans the folio boundary. */
	truncate_inode_pages_range(&m, 3072 + 10, 70 * 1024 - 1);
	f = filemap_get_folio(&m, 0);
	CHECK(bytes_are(f->data, 3082, 0x55) && bytes_are(f->data + 3082, 65536 - 3082, 0));
	CHECK(ifs_block_is_uptodate(f, 3) && ifs_block_is_dirty(f, 3));
	CHECK(!ifs_block_is_uptodate(f, 4) && !ifs_block_is_dirty(f, 63));
	folio_put(f);
	f = filemap_get_folio(&m, 1);
	CHECK(bytes_are(f->data, 6 * 1024, 0) && bytes_are(f->data + 6144, 65536 - 6144, 0x55));
	CHECK(!ifs_block_is_dirty(f, 5) && ifs_block_is_dirty(f, 6));
	CHECK(folio_test_dirty(f));
	folio_put(f);
	teardown(&pc, &m);
}

struct trunc_ctx {
	struct address_space *m;
	_Atomic int done;
};

static void *truncate_thread(void *arg)
{
	struct trunc_ctx *c = arg;

	truncate_inode_pages_range(c->m, 0, UINT64_MAX);
	atomic_store(&c->done, 1);
	return NULL;
}

static void test_truncate_waits(void)
{
	struct page_cache pc;
	struct address_space m;
	struct trunc_ctx c = {0};
	struct folio *f;
	pthread_t t;

	page_cache_init(&pc, 4096, 0);
	mapping_init(&m, &pc, NULL, 12);
	make_dirty_folio(&m, 0, 1);
	f = filemap_lock_folio(&m, 0);
	folio_clear_dirty_for_io(f);
	folio_start_writeback(f);
	folio_unlock(f);

	c.m = &m;
	pthread_create(&t, NULL, truncate_thread, &c);
	msleep(150);
	CHECK_EQ(atomic_load(&c.done), 0); /* waits for writeback */
	CHECK_EQ(m.nrpages, 1);
	CHECK(f->mapping == &m);
	folio_end_writeback(f);
	pthread_join(t, NULL);
	CHECK_EQ(atomic_load(&c.done), 1);
	CHECK(f->mapping == NULL && !folio_test_uptodate(f));
	CHECK_EQ(atomic_load(&f->refcount), 1); /* only ours */
	folio_put(f);

	/* And for a folio lock held by another thread. */
	make_dirty_folio(&m, 3, 1);
	f = filemap_lock_folio(&m, 3);
	atomic_store(&c.done, 0);
	pthread_create(&t, NULL, truncate_thread, &c);
	msleep(100);
	CHECK_EQ(atomic_load(&c.done), 0);
	folio_unlock(f);
	pthread_join(t, NULL);
	CHECK(f->mapping == NULL);
	folio_put(f);
	teardown(&pc, &m);
}

/* ---- eviction rules ---- */

static void test_evict(void)
{
	struct page_cache pc;
	struct address_space m;
	struct folio *f;
	void *host = NULL;
	int dummy;

	page_cache_init(&pc, 4096, 0);
	mapping_init(&m, &pc, &dummy, 10);
	f = filemap_grab_folio(&m, 2);
	folio_mark_uptodate(f);

	CHECK(!folio_try_evict(f)); /* locked (by us, even) */
	folio_unlock(f);

	filemap_dirty_folio(f);
	CHECK(!folio_try_evict(f)); /* dirty */
	folio_lock(f);
	folio_clear_dirty_for_io(f);
	folio_start_writeback(f);
	folio_unlock(f);
	CHECK(!folio_try_evict(f)); /* under writeback */
	folio_end_writeback(f);

	folio_get(f);
	CHECK(!folio_try_evict(f)); /* an extra reference */
	folio_put(f);
	CHECK_EQ(m.nrpages, 1);
	CHECK(f->mapping == &m);

	CHECK(folio_try_evict_from(f, &host)); /* clean, unlocked, ours only */
	CHECK(host == &dummy);
	CHECK(f->mapping == NULL);
	CHECK_EQ(m.nrpages, 0);
	CHECK_EQ(atomic_load(&pc.nr_folios), 0);
	CHECK(!folio_test_uptodate(f) && !ifs_block_is_uptodate(f, 0));
	CHECK(filemap_get_folio(&m, 2) == NULL);
	CHECK_EQ(atomic_load(&pc.stats.folios_reclaimed), 1);
	CHECK_EQ(atomic_load(&f->refcount), 1);
	CHECK(!folio_try_evict(f)); /* already gone */
	filemap_dirty_folio(f);	    /* a stale user: no tag, counted till freed */
	CHECK_EQ(atomic_load(&pc.nr_dirty), 1);
	folio_put(f);
	CHECK_EQ(atomic_load(&pc.stats.folios_freed), 1);
	teardown(&pc, &m);
}

/* Lookups racing eviction: a folio found locked is never freed under us. */
struct evict_race {
	struct address_space *m;
	_Atomic int stop;
	_Atomic unsigned long found, evicted;
	int bad;
};

static void *evict_lookup_thread(void *arg)
{
	struct evict_race *r = arg;
	unsigned int seed = 7;

	while (!atomic_load(&r->stop)) {
		uint64_t idx = (uint64_t) rand_r(&seed) % 64;
		struct folio *f = filemap_grab_folio(r->m, idx);

		if (!f)
			continue;
		if (!folio_test_uptodate(f)) {
			memset(f->data, (int) idx, r->m->pc->folio_size);
			folio_mark_uptodate(f);
		} else if (!bytes_are(f->data, r->m->pc->folio_size, (int) idx)) {
			r->bad++;
		}
		r->found++;
		folio_unlock(f);
		folio_put(f);
		sched_yield(); /* let the evictor in between lookups */
	}
	return NULL;
}

static void *evict_thread(void *arg)
{
	struct evict_race *r = arg;
	struct folio *fs[PC_BATCH];
	unsigned int n, i;

	while (!atomic_load(&r->stop)) {
		n = filemap_get_folios(r->m, 0, UINT64_MAX, fs, PC_BATCH);
		for (i = 0; i < n; i++) {
			r->evicted += folio_try_evict(fs[i]);
			folio_put(fs[i]);
		}
	}
	return NULL;
}

static void test_evict_race(void)
{
	struct page_cache pc;
	struct address_space m;
	struct evict_race r = {0};
	pthread_t a, b;

	page_cache_init(&pc, 4096, 0);
	mapping_init(&m, &pc, NULL, 12);
	r.m = &m;
	pthread_create(&a, NULL, evict_lookup_thread, &r);
	pthread_create(&b, NULL, evict_thread, &r);
	/* Until both sides did enough (bounded: valgrind serialises threads). */
	for (int ms = 0; ms < 5000; ms += 10) {
		msleep(10);
		if (ms >= 300 && atomic_load(&r.found) > 1000 && atomic_load(&r.evicted) > 100)
			break;
	}
	atomic_store(&r.stop, 1);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("evict race: %lu lookups, %lu evictions\n", atomic_load(&r.found),
	       atomic_load(&r.evicted));
	CHECK_EQ(r.bad, 0);
	CHECK(r.found > 0 && r.evicted > 0);
	teardown(&pc, &m);
}

/* Past twice the limit, creators evict clean folios themselves. */
static int hook_calls;

static void count_hook(struct page_cache *pc)
{
	(void) pc;
	hook_calls++;
}

static void test_direct_reclaim(void)
{
	struct page_cache pc;
	struct address_space m;
	struct folio *f;
	uint64_t i, max = 0, lim;

	page_cache_init(&pc, 4096, 8 * 4096);
	pc.over_limit = count_hook;
	mapping_init(&m, &pc, NULL, 12);
	lim = page_cache_limit_folios(&pc); /* 8 less the spare chunks and headers */
	CHECK(lim >= 4 && lim < 8);
	for (i = 0; i < lim; i++) {
		f = filemap_grab_folio(&m, i);
		folio_unlock(f);
		folio_put(f);
	}
	CHECK_EQ(hook_calls, 0); /* at the limit, not over it */
	for (i = lim; i < 200; i++) {
		f = filemap_grab_folio(&m, i);
		folio_unlock(f);
		folio_put(f);
		if (atomic_load(&pc.nr_folios) > max)
			max = atomic_load(&pc.nr_folios);
	}
	CHECK(hook_calls >= 100); /* each creation over the limit */
	CHECK(max <= 2 * lim);
	CHECK(atomic_load(&pc.nr_folios) >= lim); /* direct reclaim stops at the limit */
	CHECK(atomic_load(&pc.stats.direct_reclaimed) >= 200 - 2 * lim);
	/* The youngest survive (LRU order). */
	f = filemap_get_folio(&m, 199);
	CHECK(f != NULL);
	if (f)
		folio_put(f);
	/* Dirty folios are never taken. */
	truncate_inode_pages_range(&m, 0, UINT64_MAX);
	for (i = 0; i < 40; i++)
		make_dirty_folio(&m, i, 3);
	CHECK_EQ(m.nrpages, 40);
	teardown(&pc, &m);
}

/*
 * Memory charged beside the folios (in-core inodes) takes room from them,
 * but never more than half of cache_size; uncharging gives it back.
 */
static void test_charge(void)
{
	struct page_cache pc;
	uint64_t full, less;

	page_cache_init(&pc, 4096, 256 * 4096);
	full = page_cache_limit_folios(&pc);
	CHECK(full > 200 && full < 256); /* the pool's spare and the slot headers */
	page_cache_charge(&pc, 64 * 4096);
	less = page_cache_limit_folios(&pc);
	CHECK(less < full - 50 && less > full - 70);
	page_cache_charge(&pc, 1000 * 4096);
	CHECK(page_cache_limit_folios(&pc) >= 120 && page_cache_limit_folios(&pc) <= 128);
	page_cache_charge(&pc, -1064 * 4096);
	CHECK_EQ(page_cache_limit_folios(&pc), full);
	page_cache_destroy(&pc);
}

/* ---- seek scans ---- */

static struct folio *state_folio(struct address_space *m, uint64_t index)
{
	struct folio *f = filemap_grab_folio(m, index);

	folio_unlock(f);
	return f;
}

static void test_seek_4k(void)
{
	struct page_cache pc;
	struct address_space m;
	struct folio *f0, *f2;

	page_cache_init(&pc, 4096, 0);
	mapping_init(&m, &pc, NULL, 10);
	f0 = state_folio(&m, 0);
	ifs_set_range_uptodate(f0, 0, 3072); /* blocks 0..2 */
	ifs_set_range_dirty(f0, 1024, 1024); /* block 1 */
	f2 = state_folio(&m, 2);
	ifs_set_range_dirty(f2, 3072, 1024); /* byte 11264 */
	ifs_set_range_uptodate(f2, 3072, 1024);

	CHECK_EQ(mapping_seek_data_range(&m, 0, 16384, false), 1024);
	CHECK_EQ(mapping_seek_data_range(&m, 1500, 16384, false), 1500);
	CHECK_EQ(mapping_seek_hole_range(&m, 1024, 16384, false), 2048);
	CHECK_EQ(mapping_seek_hole_range(&m, 1500, 16384, false), 2048);
	CHECK_EQ(mapping_seek_data_range(&m, 2048, 16384, false), 11264);
	CHECK_EQ(mapping_seek_data_range(&m, 0, 16384, true), 0);
	CHECK_EQ(mapping_seek_hole_range(&m, 0, 16384, true), 3072);
	CHECK_EQ(mapping_seek_hole_range(&m, 0, 16384, false), 0);
	CHECK_EQ(mapping_seek_hole_range(&m, 4096, 16384, true), 4096); /* gap */
	CHECK_EQ(mapping_seek_data_range(&m, 0, 1024, false), -1);
	CHECK_EQ(mapping_seek_data_range(&m, 12288, 1 << 20, true), -1);
	CHECK_EQ(mapping_seek_hole_range(&m, 11264, 12288, false), 12288); /* = end */
	CHECK_EQ(mapping_seek_hole_range(&m, 11264, 20000, false), 12288); /* no folio 3 */
	CHECK_EQ(mapping_seek_hole_range(&m, 11300, 11400, true), 11400);
	CHECK_EQ(mapping_seek_data_range(&m, 5, 5, true), -1);
	folio_put(f0);
	folio_put(f2);
	teardown(&pc, &m);
}

static void test_seek_64k(void)
{
	struct page_cache pc;
	struct address_space m;
	struct folio *f;
	uint64_t base = 3 * 65536;

	page_cache_init(&pc, 65536, 0);
	mapping_init(&m, &pc, NULL, 10);
	f = state_folio(&m, 3);
	ifs_set_range_dirty(f, 37 * 1024 + 5, 1);	/* block 37 */
	ifs_set_range_uptodate(f, 36 * 1024, 3 * 1024); /* 36..38 */
	CHECK_EQ(mapping_seek_data_range(&m, 0, 1 << 20, false), base + 37 * 1024);
	CHECK_EQ(mapping_seek_hole_range(&m, base + 37 * 1024, 1 << 20, false), base + 38 * 1024);
	CHECK_EQ(mapping_seek_data_range(&m, 0, 1 << 20, true), base + 36 * 1024);
	CHECK_EQ(mapping_seek_hole_range(&m, base + 36 * 1024 + 7, 1 << 20, true),
		 base + 39 * 1024);
	CHECK_EQ(mapping_seek_hole_range(&m, 0, 1 << 20, false), 0);
	CHECK_EQ(mapping_seek_data_range(&m, base + 38 * 1024, 1 << 20, false), -1);
	/* Clean and not uptodate: a punch scan sees a hole there. */
	ifs_clear_range_dirty(f, 0, 65536);
	CHECK_EQ(mapping_seek_data_range(&m, 0, 1 << 20, false), -1);
	folio_put(f);
	teardown(&pc, &m);
}

/* ---- errseq ---- */

static void test_errseq(void)
{
	struct page_cache pc;
	struct address_space m;
	uint32_t a, b, c;

	page_cache_init(&pc, 4096, 0);
	mapping_init(&m, &pc, NULL, 12);
	a = filemap_sample_wb_err(&m);
	b = a;
	CHECK_EQ(mapping_check_error(&m, &a), 0);
	mapping_set_error(&m, 0); /* not an error */
	CHECK_EQ(mapping_check_error(&m, &a), 0);
	mapping_set_error(&m, -EIO);
	c = filemap_sample_wb_err(&m); /* opened after the error */
	CHECK_EQ(mapping_check_error(&m, &a), -EIO);
	CHECK_EQ(mapping_check_error(&m, &a), 0); /* reported once per cursor */
	CHECK_EQ(mapping_check_error(&m, &c), 0);
	mapping_set_error(&m, ENOSPC);			/* positive errnos are accepted */
	CHECK_EQ(mapping_check_error(&m, &b), -ENOSPC); /* the latest */
	CHECK_EQ(mapping_check_error(&m, &a), -ENOSPC);
	CHECK_EQ(mapping_check_error(&m, &c), -ENOSPC);
	CHECK_EQ(mapping_check_error(&m, &c), 0);
	teardown(&pc, &m);
}

int main(void)
{
	radix_tree_init();
	test_state();
	test_grab_race();
	test_grab_removed();
	test_truncate_4k();
	test_truncate_64k();
	test_truncate_waits();
	test_evict();
	test_evict_race();
	test_direct_reclaim();
	test_charge();
	test_seek_4k();
	test_seek_64k();
	test_errseq();
	printf("test_pagecache: %d checks, %d failed\n", th_checks, th_failures);
	return th_failures ? 1 : 0;
}
