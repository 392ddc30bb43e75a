// SPDX-License-Identifier: GPL-2.0
/*
 * Reclaim: mm/vmscan.c reduced to one thread per cache (kswapd's role).
 *
 * shrink_folio_list's rules: a folio goes only if folio_try_evict() can
 * remove it (unlocked, clean, not under writeback, nobody but the cache and
 * us holding a reference).  Dirty folios are rotated and the flusher is
 * woken (wakeup_flusher_threads); when nothing clean is left and the cache
 * stays over its limit we sleep a bounded time for writeback to end
 * (reclaim_throttle(VMSCAN_THROTTLE_WRITEBACK)).
 *
 * Locks: r->lock protects stop/kicked (leaf, never held while scanning).
 * The scan takes page_cache->lru_lock only to pick a batch from the old
 * end (taking references: folios on the LRU are in the cache), never
 * while evicting.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <time.h>

#include "reclaim.h"
#include "iomap.h"
#include "writeback.h"
#include "trace.h"

#define RECLAIM_BATCH	      32
#define RECLAIM_AGGRESSIVE_MS 2		   /* pass interval in aggressive mode */
#define RECLAIM_THROTTLE_MS   100	   /* bounded wait for writeback (HZ/10) */
#define RECLAIM_MAX_ROUNDS    8		   /* scan/kick/wait rounds per wake-up */
#define RECLAIM_TRIM_FREE     (32UL << 20) /* heap bytes free before a malloc_trim */
#define RECLAIM_TRIM_MS	      1000	   /* at most one malloc_trim a second */
#define RECLAIM_SHRINK_MS     1000	   /* the charged memory's shrinker: once a second */

struct reclaimer {
	struct page_cache *pc;
	struct bdi *bdi; /* may be NULL: no flusher to kick */
	unsigned int interval_ms;
	_Atomic bool aggressive;
	pthread_t thread;
	pthread_mutex_t lock; /* protects stop, kicked */
	pthread_cond_t cond;
	bool stop;
	bool kicked;
	uint64_t last_trim_ms;	 /* reclaim thread only */
	uint64_t last_shrink_ms; /* reclaim thread only */
	struct reclaim_stats stats;
};

static bool reclaim_should_stop(struct reclaimer *r)
{
	bool stop;

	pthread_mutex_lock(&r->lock);
	stop = r->stop;
	pthread_mutex_unlock(&r->lock);
	return stop;
}

/* Kswapd's high watermark: once over the limit, go down to 15/16 of it. */
static uint64_t reclaim_target_folios(struct page_cache *pc)
{
	uint64_t limit = page_cache_limit_folios(pc);

	return limit - limit / 16;
}

static bool pc_above(struct page_cache *pc, uint64_t nr)
{
	return atomic_load(&pc->nr_folios) > nr;
}

/* shrink_folio_list for one folio.  Returns true if it was evicted. */
static bool shrink_folio(struct reclaimer *r, struct folio *f)
{
	void *host = NULL;
	uint64_t ino = xf_trace_folio_ino(f); /* trace only (0 when off): @host may die */

	if (folio_test_dirty(f)) {
		atomic_fetch_add(&r->stats.skipped_dirty, 1);
		return false;
	}
	if (!folio_try_evict_from(f, &host)) {
		atomic_fetch_add(&r->stats.skipped_busy, 1);
		return false;
	}
	atomic_fetch_add(&r->stats.evicted, 1);
	xf_trace("evict", ino, f->index << r->pc->folio_shift, r->pc->folio_size, "index=%llu",
		 (unsigned long long) f->index);
	/* @host is only an identity here: the inode may be going. */
	iomap_inject(INJECT_AFTER_EVICT, host, (loff_t) (f->index << r->pc->folio_shift));
	return true;
}

/*
 * Scan up to @nr_to_scan folios from the old end, stopping once the cache
 * holds no more than @target folios.  Returns the number evicted.
 */
static uint64_t shrink_lru(struct reclaimer *r, uint64_t nr_to_scan, uint64_t target)
{
	struct folio *batch[RECLAIM_BATCH];
	uint64_t scanned = 0, evicted = 0;
	unsigned int n, i, want;

	while (scanned < nr_to_scan && pc_above(r->pc, target)) {
		want = nr_to_scan - scanned < RECLAIM_BATCH ? (unsigned int) (nr_to_scan - scanned)
							    : RECLAIM_BATCH;
		n = isolate_lru_folios(r->pc, batch, want);
		if (!n)
			break;
		for (i = 0; i < n; i++) {
			if (pc_above(r->pc, target) && shrink_folio(r, batch[i]))
				evicted++;
			folio_put(batch[i]);
		}
		scanned += n;
	}
	return evicted;
}

/* reclaim_throttle: sleep until some writeback ends, or a bounded time. */
static void reclaim_throttle_writeback(struct reclaimer *r)
{
	atomic_fetch_add(&r->stats.waits_for_writeback, 1);
	pc_wait_writeback_progress(r->pc, RECLAIM_THROTTLE_MS);
}

/* Normal mode: only when over the limit, down to the target. */
static void shrink_page_cache(struct reclaimer *r)
{
	struct page_cache *pc = r->pc;
	uint64_t limit = page_cache_limit_folios(pc);
	uint64_t target = reclaim_target_folios(pc);
	int round;

	if (!pc->limit_bytes || !pc_above(pc, limit))
		return;
	for (round = 0; round < RECLAIM_MAX_ROUNDS; round++) {
		shrink_lru(r, atomic_load(&pc->nr_folios), target);
		if (!pc_above(pc, limit) || reclaim_should_stop(r))
			return;
		/* What is left is busy: dirty or under writeback needs the flusher. */
		if (!atomic_load(&pc->nr_dirty) && !atomic_load(&pc->nr_writeback))
			return;
		if (r->bdi)
			bdi_kick(r->bdi);
		reclaim_throttle_writeback(r);
	}
}

/* Aggressive mode: every evictable folio goes, every pass. */
static void shrink_all(struct reclaimer *r)
{
	shrink_lru(r, atomic_load(&r->pc->nr_folios), 0);
	if (r->bdi && atomic_load(&r->pc->nr_dirty) && r->pc->limit_bytes &&
	    pc_above(r->pc, page_cache_limit_folios(r->pc)))
		bdi_kick(r->bdi);
}

/*
 * Memory freed goes back to the system (doc/performance.md, "Memory"):
 * glibc keeps what free() returns in its arenas, so the inodes the kernel
 * forgot and the buffers of deleted files stayed resident.  Once more
 * than RECLAIM_TRIM_FREE sit free in the heap, malloc_trim gives their
 * pages back (MADV_DONTNEED), at most once a second.  Folio memory is not
 * malloc's (the folio pool unmaps its empty chunks itself).
 */
static void reclaim_trim_heap(struct reclaimer *r)
{
	uint64_t now = pc_now_ms();

	if (now - r->last_trim_ms < RECLAIM_TRIM_MS)
		return;
	r->last_trim_ms = now;
	if (mallinfo2().fordblks < RECLAIM_TRIM_FREE)
		return;
	malloc_trim(0);
	atomic_fetch_add(&r->stats.heap_trims, 1);
}

/*
 * The charged memory's shrinker (the backend's idle inodes, whose writeback
 * or lazy timestamps may have kept them loaded when they went idle): about
 * once a second.
 */
static void reclaim_shrink_charged(struct reclaimer *r)
{
	void (*shrink)(void *) = __atomic_load_n(&r->pc->shrink_charged, __ATOMIC_ACQUIRE);
	uint64_t now = pc_now_ms();

	if (!shrink || now - r->last_shrink_ms < RECLAIM_SHRINK_MS)
		return;
	r->last_shrink_ms = now;
	shrink(__atomic_load_n(&r->pc->shrink_charged_arg, __ATOMIC_ACQUIRE));
}

/* Sleep until kicked, stopped or the interval passes.  False: stop. */
static bool reclaim_sleep(struct reclaimer *r)
{
	unsigned int ms = r->interval_ms;
	struct timespec ts;
	bool stop;

	if (atomic_load(&r->aggressive) && ms > RECLAIM_AGGRESSIVE_MS)
		ms = RECLAIM_AGGRESSIVE_MS;
	pc_deadline_ms(&ts, ms);
	pthread_mutex_lock(&r->lock);
	while (!r->stop && !r->kicked)
		if (pthread_cond_timedwait(&r->cond, &r->lock, &ts) == ETIMEDOUT)
			break;
	r->kicked = false;
	stop = r->stop;
	pthread_mutex_unlock(&r->lock);
	return !stop;
}

static void *reclaim_thread(void *arg)
{
	struct reclaimer *r = arg;

	while (reclaim_sleep(r)) {
		atomic_fetch_add(&r->stats.scans, 1);
		if (atomic_load(&r->aggressive))
			shrink_all(r);
		else
			shrink_page_cache(r);
		reclaim_shrink_charged(r);
		reclaim_trim_heap(r);
	}
	return NULL;
}

/* The page cache's over_limit hook: reclaim_start installs it. */
static void reclaim_over_limit(struct page_cache *pc)
{
	struct reclaimer *r = __atomic_load_n(&pc->over_limit_data, __ATOMIC_ACQUIRE);

	if (r)
		reclaim_kick(r);
}

static void reclaim_install_hook(struct reclaimer *r)
{
	__atomic_store_n(&r->pc->over_limit_data, r, __ATOMIC_RELEASE);
	__atomic_store_n(&r->pc->over_limit, reclaim_over_limit, __ATOMIC_RELEASE);
}

/* Remove our hook (a caller may have installed its own instead). */
static void reclaim_remove_hook(struct reclaimer *r)
{
	void (*ours)(struct page_cache *) = reclaim_over_limit;
	void *me = r;

	__atomic_compare_exchange_n(&r->pc->over_limit, &ours, NULL, false, __ATOMIC_ACQ_REL,
				    __ATOMIC_ACQUIRE);
	__atomic_compare_exchange_n(&r->pc->over_limit_data, &me, NULL, false, __ATOMIC_ACQ_REL,
				    __ATOMIC_ACQUIRE);
}

int reclaim_start(struct reclaimer **rp, struct page_cache *pc, struct bdi *bdi,
		  const struct reclaim_config *cfg)
{
	struct reclaimer *r = calloc(1, sizeof(*r));
	pthread_condattr_t ca;
	int error;

	if (!r)
		return -ENOMEM;
	r->pc = pc;
	r->bdi = bdi;
	r->interval_ms = cfg && cfg->interval_ms ? cfg->interval_ms : 100;
	atomic_store(&r->aggressive, cfg && cfg->aggressive);
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	reclaim_install_hook(r);
	error = pthread_create(&r->thread, NULL, reclaim_thread, r);
	if (!error)
		pthread_setname_np(r->thread, "xf-reclaim");
	if (error) {
		reclaim_remove_hook(r);
		pthread_cond_destroy(&r->cond);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return -error;
	}
	*rp = r;
	return 0;
}

/*
 * Stop the thread.  Whoever installed a hook that calls reclaim_kick(r)
 * must remove it (and let creators in flight finish) before this.
 */
void reclaim_stop(struct reclaimer *r)
{
	if (!r)
		return;
	reclaim_remove_hook(r);
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void reclaim_set_aggressive(struct reclaimer *r, bool on)
{
	atomic_store(&r->aggressive, on);
	reclaim_kick(r);
}

void reclaim_kick(struct reclaimer *r)
{
	pthread_mutex_lock(&r->lock);
	r->kicked = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

const struct reclaim_stats *reclaim_stats(struct reclaimer *r)
{
	return &r->stats;
}
