// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the folio pool (src/pagecache/folio_pool.c): slots reused,
 * fresh slots zero, an empty chunk kept as the spare or unmapped, counters,
 * every folio size, concurrent users, and through the page cache the
 * folios_created/folios_freed balance.  Under ASan, free slots must be
 * poisoned.  Engine only: links engine_dep.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pagecache.h"
#include "../../src/pagecache/pc_internal.h"

#include "check.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif
#if defined(TEST_ASAN) || defined(__SANITIZE_THREAD__) || defined(XF_FOLIO_POOL_SCRUB)
#define TEST_SCRUB 1
#else
#define TEST_SCRUB 0
#endif

static const size_t sizes[] = {512, 4096, 16384, 65536, 4UL << 20};

static bool bytes_are(const char *p, size_t n, int c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char) p[i] != (unsigned char) c)
			return false;
	return true;
}

/* Is [p, p+n) mapped?  mincore fails with ENOMEM on an unmapped page. */
static bool is_mapped(const void *p, size_t n)
{
	unsigned char vec[64];
	uintptr_t a = (uintptr_t) p & ~(uintptr_t) 4095;

	if (n > 64 * 4096)
		n = 64 * 4096;
	return mincore((void *) a, n, vec) == 0;
}

static void check_poisoned(const void *p, size_t n, bool want)
{
#ifdef TEST_ASAN
	CHECK_EQ(__asan_region_is_poisoned((void *) p, n) != NULL, want);
#else
	(void) p, (void) n, (void) want;
#endif
}

/* Fill a whole chunk and one more: fresh slots, zero, distinct, aligned. */
static struct folio **fill_chunk_and_one(struct folio_pool *p, unsigned int *np)
{
	unsigned int n = p->nr_slots + 1, i;
	struct folio **fs = calloc(n, sizeof(*fs));
	bool zeroed;

	for (i = 0; i < n; i++) {
		fs[i] = folio_pool_alloc(p, &zeroed);
		CHECK(fs[i] != NULL);
		CHECK(zeroed);
		CHECK(bytes_are(fs[i]->data, p->folio_size, 0));
		CHECK(fs[i]->uptodate[0] == 0 && fs[i]->dirty[0] == 0);
		CHECK((uintptr_t) fs[i]->data % (p->folio_size < 4096 ? p->folio_size : 4096) == 0);
		/* Header and data are ours to write, whole. */
		memset(fs[i]->data, 0x11, p->folio_size);
		memset(fs[i]->uptodate, 0xff, p->bitmap_bytes);
		memset(fs[i]->dirty, 0xff, p->bitmap_bytes);
		if (i)
			CHECK(fs[i]->data != fs[i - 1]->data);
	}
	*np = n;
	return fs;
}

static void test_sizes(void)
{
	size_t s;

	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct folio_pool p;
		struct folio **fs, *f;
		unsigned int n, i;
		bool zeroed;
		char *old, *first_data, *last_data;

		CHECK_EQ(folio_pool_init(&p, sizes[s]), 0);
		CHECK_EQ(p.nr_slots,
			 sizes[s] > FOLIO_POOL_CHUNK_DATA ? 1 : FOLIO_POOL_CHUNK_DATA / sizes[s]);
		fs = fill_chunk_and_one(&p, &n);
		first_data = fs[0]->data;
		CHECK_EQ(atomic_load(&p.stats.chunks), 2);
		CHECK_EQ(atomic_load(&p.stats.slots_used), n);
		CHECK_EQ(atomic_load(&p.stats.slots_fresh), n);

		/* A freed slot is the next one handed out (LIFO), not zeroed. */
		old = fs[3 % n]->data;
		folio_pool_free(&p, fs[3 % n]);
		check_poisoned(old, sizes[s], true);
		f = folio_pool_alloc(&p, &zeroed);
		CHECK(f->data == old);
		CHECK(!zeroed);
		CHECK_EQ(atomic_load(&p.stats.slots_recycled), 1);
		check_poisoned(f->data, sizes[s], false);
		/* The header is fresh whatever the last user left. */
		CHECK(bytes_are((char *) f->uptodate, p.bitmap_bytes, 0));
		CHECK(bytes_are((char *) f->dirty, p.bitmap_bytes, 0));
		CHECK(f->mapping == NULL && f->flags == 0 && f->refcount == 0);
		if (TEST_SCRUB)
			CHECK(bytes_are(f->data, sizes[s], FOLIO_POOL_SCRUB_BYTE));
		fs[3 % n] = f;

		/* Emptying the second chunk keeps it (the spare)... */
		last_data = fs[n - 1]->data;
		folio_pool_free(&p, fs[n - 1]);
		CHECK_EQ(atomic_load(&p.stats.chunks), 2);
		CHECK(p.spare != NULL);
		/* ...emptying the first too unmaps one of them. */
		for (i = 0; i < n - 1; i++)
			folio_pool_free(&p, fs[i]);
		CHECK_EQ(atomic_load(&p.stats.chunks), 1);
		CHECK_EQ(atomic_load(&p.stats.chunks_unmapped), 1);
		CHECK_EQ(atomic_load(&p.stats.slots_used), 0);
		CHECK(!is_mapped(first_data, 1) || !is_mapped(last_data, 1));

		/* The spare serves the next allocation: no new mapping. */
		f = folio_pool_alloc(&p, &zeroed);
		CHECK_EQ(atomic_load(&p.stats.chunks_mapped), 2);
		folio_pool_free(&p, f);
		folio_pool_destroy(&p);
		CHECK_EQ(atomic_load(&p.stats.chunks), 0);
		CHECK(!is_mapped(first_data, 1) && !is_mapped(last_data, 1));
		free(fs);
	}
}

/* folio_pool_set_spare: that many empty chunks stay mapped, no more. */
static void test_spares(void)
{
	struct folio_pool p;
	unsigned int n, i;
	struct folio **fs;
	bool zeroed;

	folio_pool_init(&p, 65536);
	folio_pool_set_spare(&p, 3 * FOLIO_POOL_CHUNK_DATA);
	CHECK_EQ(p.max_spare, 3);
	n = 5 * p.nr_slots;
	fs = calloc(n, sizeof(*fs));
	for (i = 0; i < n; i++)
		fs[i] = folio_pool_alloc(&p, &zeroed);
	CHECK_EQ(atomic_load(&p.stats.chunks), 5);
	for (i = 0; i < n; i++)
		folio_pool_free(&p, fs[i]);
	CHECK_EQ(atomic_load(&p.stats.chunks), 3);
	CHECK_EQ(p.nr_spare, 3);
	/* Spares serve allocations before any new mapping. */
	for (i = 0; i < 3 * p.nr_slots; i++)
		fs[i] = folio_pool_alloc(&p, &zeroed);
	CHECK_EQ(atomic_load(&p.stats.chunks_mapped), 5);
	for (i = 0; i < 3 * p.nr_slots; i++)
		folio_pool_free(&p, fs[i]);
	folio_pool_destroy(&p);
	CHECK_EQ(atomic_load(&p.stats.chunks), 0);
	free(fs);
}

/* ---- concurrent users (meaningful under TSan) ---- */

#define THREADS 4
#define ROUNDS	20000

struct worker {
	struct folio_pool *p;
	unsigned int seed;
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct folio *held[64] = {0};
	unsigned int i, k;
	bool zeroed;

	for (i = 0; i < ROUNDS; i++) {
		k = (unsigned int) rand_r(&w->seed) % 64;
		if (held[k]) {
			/* Nobody else wrote our slot while we held it. */
			if (held[k]->data[0] != (char) k || held[k]->index != k)
				CHECK(false);
			folio_pool_free(w->p, held[k]);
			held[k] = NULL;
		} else {
			held[k] = folio_pool_alloc(w->p, &zeroed);
			held[k]->data[0] = (char) k;
			held[k]->index = k;
		}
	}
	for (k = 0; k < 64; k++)
		if (held[k])
			folio_pool_free(w->p, held[k]);
	return NULL;
}

static void test_threads(void)
{
	struct folio_pool p;
	pthread_t t[THREADS];
	struct worker w[THREADS];
	int i;

	/* 64 KiB: 32 slots a chunk, so chunks fill, empty and unmap often. */
	folio_pool_init(&p, 65536);
	for (i = 0; i < THREADS; i++) {
		w[i].p = &p;
		w[i].seed = (unsigned int) i + 1;
		pthread_create(&t[i], NULL, worker, &w[i]);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(atomic_load(&p.stats.slots_used), 0);
	CHECK(atomic_load(&p.stats.chunks) <= 1);
	CHECK_EQ(atomic_load(&p.stats.chunks_mapped) - atomic_load(&p.stats.chunks_unmapped),
		 atomic_load(&p.stats.chunks));
	folio_pool_destroy(&p);
}

/* ---- through the page cache ---- */

static void test_page_cache(void)
{
	struct page_cache pc;
	struct address_space m;
	struct folio *f;
	size_t s;
	uint64_t i, n;

	for (s = 1; s < 4; s++) {
		CHECK_EQ(page_cache_init(&pc, sizes[s], 0), 0);
		mapping_init(&m, &pc, NULL, 9); /* 512-byte blocks: the most bits */
		n = pc.pool.nr_slots + 3;
		for (i = 0; i < n; i++) {
			f = filemap_grab_folio(&m, i);
			CHECK_EQ(f->nr_blocks, sizes[s] >> 9);
			memset(f->data, 0x77, sizes[s]);
			folio_mark_uptodate(f);
			ifs_set_range_dirty(f, 0, sizes[s]);
			folio_unlock(f);
			folio_put(f);
		}
		CHECK_EQ(atomic_load(&pc.pool.stats.slots_used), n);
		CHECK_EQ(atomic_load(&pc.pool.stats.chunks), 2);
		truncate_inode_pages_range(&m, 0, UINT64_MAX);
		CHECK_EQ(atomic_load(&pc.stats.folios_freed),
			 atomic_load(&pc.stats.folios_created));
		CHECK_EQ(atomic_load(&pc.pool.stats.slots_used), 0);
		CHECK_EQ(atomic_load(&pc.pool.stats.chunks), 1); /* the spare */

		/* A recycled slot is a new folio: no state of the old one. */
		f = filemap_grab_folio(&m, 5);
		CHECK(!folio_test_uptodate(f) && !folio_test_dirty(f));
		CHECK(!ifs_block_is_uptodate(f, 0) && !ifs_block_is_dirty(f, f->nr_blocks - 1));
		CHECK_EQ(atomic_load(&pc.pool.stats.slots_recycled), 1);
		folio_unlock(f);
		folio_put(f);
		truncate_inode_pages_range(&m, 0, UINT64_MAX);
		CHECK_EQ(atomic_load(&pc.nr_folios), 0);
		mapping_destroy(&m);
		page_cache_destroy(&pc);
		CHECK_EQ(atomic_load(&pc.pool.stats.chunks), 0);
	}
}

int main(void)
{
	radix_tree_init();
	test_sizes();
	test_spares();
	test_threads();
	test_page_cache();
	return th_report("test_folio_pool");
}
