/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reclaim: keep the page cache under its memory limit (mm/vmscan.c, reduced).
 *
 * A thread walks page_cache->lru from the old end and evicts folios that are
 * clean, unlocked, not under writeback and referenced by nobody but the
 * cache (folio_try_evict: the kernel's iomap_release_folio +
 * remove_mapping); eviction drops the per-block state.  When dirty folios
 * keep it above the limit it kicks the flusher and waits for writeback.
 * "aggressive" evicts every clean folio as soon as it is seen (the 2022
 * workload's memory pressure), racing buffered writers on purpose.
 */
#ifndef XFSFUSE_RECLAIM_H
#define XFSFUSE_RECLAIM_H

#include <stdbool.h>
#include <stdint.h>

#include "pagecache.h"

struct bdi;

struct reclaim_config {
	unsigned int interval_ms; /* scan period when idle, default 100 */
	bool aggressive;	  /* evict clean folios at once */
};

struct reclaim_stats {
	_Atomic uint64_t scans;
	_Atomic uint64_t evicted;
	_Atomic uint64_t skipped_busy; /* locked, referenced or under writeback */
	_Atomic uint64_t skipped_dirty;
	_Atomic uint64_t waits_for_writeback;
	_Atomic uint64_t heap_trims; /* malloc_trim calls (reclaim_trim_heap) */
};

struct reclaimer;
int reclaim_start(struct reclaimer **rp, struct page_cache *pc, struct bdi *bdi,
		  const struct reclaim_config *cfg);
void reclaim_stop(struct reclaimer *r);
void reclaim_set_aggressive(struct reclaimer *r, bool on);
/* Ask for a scan now (the page cache's over_limit hook calls this). */
void reclaim_kick(struct reclaimer *r);
const struct reclaim_stats *reclaim_stats(struct reclaimer *r);

#endif
