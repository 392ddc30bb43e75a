// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/reclaim: the reclaim thread keeps a small cache under its
 * limit while a writer creates, fills and dirties folios and a fake flusher
 * cleans them (write to an in-memory "disk", then end writeback).  The writer
 * checks every folio it finds or re-reads against its model: a dirty folio
 * evicted (or a folio evicted while used) would lose data.  Engine only.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pagecache.h"
#include "reclaim.h"

#include "check.h"

#define FSIZE	     4096
#define LIMIT_FOLIOS 64
#define NR_INDEX     1024

/* ---- the world: a cache, one file, its "disk" and the model ---- */
static struct page_cache pc;
static struct address_space m;
static _Atomic int disk[NR_INDEX];     /* byte value of each folio on disk */
static _Atomic int expected[NR_INDEX]; /* what the file holds (model) */
static _Atomic int stop_flusher, flusher_paused, stop_reader;
static _Atomic int bad_data;
static _Atomic uint64_t max_folios, max_clean, kicks;
static char fake_bdi; /* an identity for bdi_kick */

/* The writeback module's bdi_kick: here it unpauses the fake flusher. */
void bdi_kick(struct bdi *bdi)
{
	if (bdi == (struct bdi *) &fake_bdi) {
		atomic_fetch_add(&kicks, 1);
		atomic_store(&flusher_paused, 0);
	}
}

static void msleep(unsigned int ms)
{
	usleep(ms * 1000);
}

static bool bytes_are(const char *p, size_t len, int c)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (char) c)
			return false;
	return true;
}

static void note_max_of(_Atomic uint64_t *max, uint64_t n)
{
	uint64_t old = atomic_load(max);

	while (n > old && !atomic_compare_exchange_weak(max, &old, n))
		;
}

/* Samples of the cache size, and of its clean part (what reclaim can drop). */
static void note_max(void)
{
	uint64_t n = atomic_load(&pc.nr_folios);
	uint64_t busy = atomic_load(&pc.nr_dirty) + atomic_load(&pc.nr_writeback);

	note_max_of(&max_folios, n);
	note_max_of(&max_clean, n > busy ? n - busy : 0);
}

/* ---- the writer: read-modify-write of whole folios ---- */
struct writer_cfg {
	unsigned int rounds;
	unsigned int dirty_every; /* dirty every n-th folio */
	unsigned int nr_index;
};

static void fill_from_disk(struct folio *f)
{
	memset(f->data, atomic_load(&disk[f->index]), FSIZE);
	folio_mark_uptodate(f);
}

static void write_one(uint64_t idx, unsigned int round, bool dirty)
{
	struct folio *f = filemap_grab_folio(&m, idx);
	int val = (int) ((idx * 7 + round + 1) & 0x7f);

	note_max();
	if (!folio_test_uptodate(f))
		fill_from_disk(f);
	if (!bytes_are(f->data, FSIZE, atomic_load(&expected[idx])))
		atomic_fetch_add(&bad_data, 1);
	if (dirty) {
		memset(f->data, val, FSIZE);
		atomic_store(&expected[idx], val);
		ifs_set_range_dirty(f, 0, FSIZE);
		filemap_dirty_folio(f);
	}
	folio_mark_accessed(f);
	folio_unlock(f);
	folio_put(f);
}

static void *writer_thread(void *arg)
{
	struct writer_cfg *cfg = arg;
	unsigned int r, i;

	for (r = 0; r < cfg->rounds; r++)
		for (i = 0; i < cfg->nr_index; i++) {
			write_one(i, r, cfg->dirty_every && (i + r) % cfg->dirty_every == 0);
			if (i % 8 == 0)
				usleep(20); /* give reclaim a core now and then */
		}
	return NULL;
}

/* ---- the fake flusher: iomap_writepages' folio protocol ---- */
static unsigned int flush_pass(void)
{
	struct folio *fs[16];
	unsigned int n, i, done = 0;

	n = filemap_get_folios_tag(&m, 0, UINT64_MAX, PC_TAG_DIRTY, fs, 16);
	for (i = 0; i < n; i++) {
		struct folio *f = fs[i];
		int val;

		folio_lock(f);
		if (f->mapping != &m || !folio_clear_dirty_for_io(f)) {
			folio_unlock(f);
			folio_put(f);
			continue;
		}
		folio_start_writeback(f);
		val = (unsigned char) f->data[0];
		ifs_clear_range_dirty(f, 0, FSIZE);
		folio_unlock(f);
		atomic_store(&disk[f->index], val); /* the "I/O" */
		folio_end_writeback(f);
		folio_put(f);
		done++;
	}
	return done;
}

static void *flusher_thread(void *arg)
{
	(void) arg;
	while (!atomic_load(&stop_flusher)) {
		if (atomic_load(&flusher_paused) || !flush_pass())
			msleep(1);
	}
	return NULL;
}

/* ---- a reader racing eviction (aggressive phase) ---- */
static void *reader_thread(void *arg)
{
	unsigned int seed = 99;
	uint64_t *reads = arg;

	while (!atomic_load(&stop_reader)) {
		uint64_t idx = (uint64_t) rand_r(&seed) % NR_INDEX;
		struct folio *f = filemap_lock_folio(&m, idx);

		if (!f)
			continue;
		if (folio_test_uptodate(f) &&
		    !bytes_are(f->data, FSIZE, atomic_load(&expected[idx])))
			atomic_fetch_add(&bad_data, 1);
		folio_unlock(f);
		folio_put(f);
		if (++(*reads) % 16 == 0)
			usleep(10); /* 2 cores: leave reclaim some CPU */
	}
	return NULL;
}

static bool wait_for(bool (*cond)(void), unsigned int ms)
{
	while (!cond() && ms--)
		msleep(1);
	return cond();
}

static bool all_clean(void)
{
	return !atomic_load(&pc.nr_dirty) && !atomic_load(&pc.nr_writeback);
}

static bool under_limit(void)
{
	return atomic_load(&pc.nr_folios) <= LIMIT_FOLIOS;
}

static bool cache_empty(void)
{
	return atomic_load(&pc.nr_folios) == 0;
}

static void setup(void)
{
	unsigned int i;

	CHECK_EQ(page_cache_init(&pc, FSIZE, LIMIT_FOLIOS * FSIZE), 0);
	mapping_init(&m, &pc, NULL, 10);
	for (i = 0; i < NR_INDEX; i++) {
		atomic_store(&disk[i], 0);
		atomic_store(&expected[i], 0);
	}
	atomic_store(&max_folios, 0);
	atomic_store(&max_clean, 0);
	atomic_store(&kicks, 0);
	atomic_store(&bad_data, 0);
}

static void teardown(void)
{
	truncate_inode_pages_range(&m, 0, UINT64_MAX);
	CHECK_EQ(atomic_load(&pc.nr_folios), 0);
	CHECK_EQ(atomic_load(&pc.stats.folios_freed), atomic_load(&pc.stats.folios_created));
	mapping_destroy(&m);
	page_cache_destroy(&pc);
}

static void print_stats(const char *what, struct reclaimer *r)
{
	const struct reclaim_stats *s = reclaim_stats(r);

	printf("%s: max %llu folios (%llu clean; limit %d), scans %llu evicted %llu busy %llu "
	       "dirty %llu "
	       "waits %llu kicks %llu direct %llu\n",
	       what, (unsigned long long) atomic_load(&max_folios),
	       (unsigned long long) atomic_load(&max_clean), LIMIT_FOLIOS,
	       (unsigned long long) s->scans, (unsigned long long) s->evicted,
	       (unsigned long long) s->skipped_busy, (unsigned long long) s->skipped_dirty,
	       (unsigned long long) s->waits_for_writeback,
	       (unsigned long long) atomic_load(&kicks),
	       (unsigned long long) atomic_load(&pc.stats.direct_reclaimed));
}

/* Normal mode: the cache stays near its limit; dirty data is never lost. */
static void test_normal(void)
{
	struct reclaim_config cfg = {.interval_ms = 20, .aggressive = false};
	struct writer_cfg wc = {.rounds = 3, .dirty_every = 2, .nr_index = NR_INDEX};
	struct reclaimer *r;
	pthread_t w, fl;

	setup();
	CHECK_EQ(reclaim_start(&r, &pc, NULL, &cfg), 0);
	CHECK(pc.over_limit != NULL);
	atomic_store(&stop_flusher, 0);
	atomic_store(&flusher_paused, 0);
	pthread_create(&fl, NULL, flusher_thread, NULL);
	pthread_create(&w, NULL, writer_thread, &wc);
	pthread_join(w, NULL);
	CHECK(wait_for(all_clean, 2000));
	CHECK(wait_for(under_limit, 2000));
	print_stats("normal", r);
	CHECK_EQ(atomic_load(&bad_data), 0);
	CHECK(reclaim_stats(r)->evicted + atomic_load(&pc.stats.direct_reclaimed) >=
	      (uint64_t) (wc.rounds * NR_INDEX - 2 * LIMIT_FOLIOS));
	CHECK(reclaim_stats(r)->scans > 0);
	/*
	 * Async reclaim lags the writer a little (~10% in quiet runs);
	 * without it the cache would reach NR_INDEX = 16x.  On a loaded
	 * machine creators reclaim directly past 2x (hard limit).  Dirty
	 * folios are the flusher's business (balance_dirty_pages).
	 */
	CHECK(atomic_load(&max_clean) <= 2 * LIMIT_FOLIOS + 2);
	/* Normal mode leaves the cache alone below the limit. */
	msleep(100);
	CHECK(atomic_load(&pc.nr_folios) >= LIMIT_FOLIOS / 2);

	atomic_store(&stop_flusher, 1);
	pthread_join(fl, NULL);
	reclaim_stop(r);
	CHECK(pc.over_limit == NULL && pc.over_limit_data == NULL);
	teardown();
}

/*
 * Dirty folios hold the cache over its limit: reclaim skips them, kicks the
 * flusher (here: unpauses it) and waits for writeback; then gets under.
 */
static void test_dirty_over_limit(void)
{
	struct reclaim_config cfg = {.interval_ms = 20, .aggressive = false};
	struct writer_cfg wc = {.rounds = 1, .dirty_every = 1, .nr_index = 3 * LIMIT_FOLIOS};
	struct reclaimer *r;
	pthread_t w, fl;

	setup();
	atomic_store(&stop_flusher, 0);
	atomic_store(&flusher_paused, 1);
	/* The writer first, with no reclaim: everything dirty, 3x the limit. */
	pthread_create(&w, NULL, writer_thread, &wc);
	pthread_join(w, NULL);
	CHECK_EQ(atomic_load(&pc.nr_dirty), 3 * LIMIT_FOLIOS);
	pthread_create(&fl, NULL, flusher_thread, NULL);
	msleep(50);
	CHECK_EQ(atomic_load(&pc.nr_dirty), 3 * LIMIT_FOLIOS); /* still paused */

	CHECK_EQ(reclaim_start(&r, &pc, (struct bdi *) &fake_bdi, &cfg), 0);
	CHECK(wait_for(under_limit, 3000));
	print_stats("dirty over limit", r);
	CHECK(atomic_load(&kicks) > 0);
	CHECK(reclaim_stats(r)->skipped_dirty > 0);
	CHECK(wait_for(all_clean, 2000));
	CHECK_EQ(atomic_load(&bad_data), 0);
	/* Every folio is on disk or in the cache, as written. */
	for (unsigned int i = 0; i < 3 * LIMIT_FOLIOS; i++)
		write_one(i, 0, false); /* re-reads and checks */
	CHECK_EQ(atomic_load(&bad_data), 0);

	atomic_store(&stop_flusher, 1);
	pthread_join(fl, NULL);
	reclaim_stop(r);
	teardown();
}

/*
 * Dirty folios and no flusher progress (bdi NULL, flusher paused): reclaim
 * waits a bounded time per round instead of spinning, and never evicts them.
 */
static void test_throttle(void)
{
	struct reclaim_config cfg = {.interval_ms = 10, .aggressive = false};
	struct writer_cfg wc = {.rounds = 1, .dirty_every = 1, .nr_index = 2 * LIMIT_FOLIOS};
	struct reclaimer *r;
	pthread_t w;
	uint64_t waits;

	setup();
	pthread_create(&w, NULL, writer_thread, &wc);
	pthread_join(w, NULL);
	CHECK_EQ(reclaim_start(&r, &pc, NULL, &cfg), 0);
	msleep(450);
	waits = reclaim_stats(r)->waits_for_writeback;
	print_stats("throttle", r);
	CHECK(waits >= 2 && waits <= 8); /* ~100 ms each */
	CHECK_EQ(reclaim_stats(r)->evicted, 0);
	CHECK_EQ(atomic_load(&pc.nr_folios), 2 * LIMIT_FOLIOS);
	reclaim_stop(r);
	while (flush_pass())
		;
	teardown();
}

/* Aggressive: clean folios go as soon as seen, while a reader races. */
static void test_aggressive(void)
{
	struct reclaim_config cfg = {.interval_ms = 100, .aggressive = true};
	struct writer_cfg wc = {.rounds = 3, .dirty_every = 3, .nr_index = NR_INDEX};
	struct reclaimer *r;
	pthread_t w, fl, rd;
	uint64_t reads = 0;

	setup();
	atomic_store(&stop_flusher, 0);
	atomic_store(&flusher_paused, 0);
	atomic_store(&stop_reader, 0);
	CHECK_EQ(reclaim_start(&r, &pc, NULL, &cfg), 0);
	pthread_create(&fl, NULL, flusher_thread, NULL);
	pthread_create(&rd, NULL, reader_thread, &reads);
	pthread_create(&w, NULL, writer_thread, &wc);
	pthread_join(w, NULL);
	atomic_store(&stop_reader, 1);
	pthread_join(rd, NULL);
	CHECK(wait_for(all_clean, 2000));
	CHECK(wait_for(cache_empty, 2000)); /* everything clean goes */
	print_stats("aggressive", r);
	printf("aggressive: reader saw %llu folios\n", (unsigned long long) reads);
	CHECK_EQ(atomic_load(&bad_data), 0);
	/* Clean folios: the hard limit (2x) holds however late reclaim runs. */
	CHECK(atomic_load(&max_clean) <= 2 * LIMIT_FOLIOS + 2);
	CHECK(reclaim_stats(r)->evicted + atomic_load(&pc.stats.direct_reclaimed) >=
	      wc.rounds * NR_INDEX / 2);

	/* Turning it off: the cache may fill up to the limit again. */
	reclaim_set_aggressive(r, false);
	msleep(20);
	for (unsigned int i = 0; i < LIMIT_FOLIOS / 2; i++)
		write_one(i, 0, false);
	msleep(100);
	CHECK_EQ(atomic_load(&pc.nr_folios), LIMIT_FOLIOS / 2);
	CHECK_EQ(atomic_load(&bad_data), 0);

	atomic_store(&stop_flusher, 1);
	pthread_join(fl, NULL);
	reclaim_stop(r);
	teardown();
}

int main(void)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	radix_tree_init();
	test_normal();
	test_dirty_over_limit();
	test_throttle();
	test_aggressive();
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("test_reclaim: %d checks, %d failed, %.1f s\n", th_checks, th_failures,
	       (double) (b.tv_sec - a.tv_sec) + (double) (b.tv_nsec - a.tv_nsec) / 1e9);
	return th_failures ? 1 : 0;
}
