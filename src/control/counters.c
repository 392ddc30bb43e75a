// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's counters as text (xfsfuse.counters, and at unmount): one
 * "name value" line per counter, always in the same order.  Sources:
 * iomap_stats, xfs_iomap_stats, the bdi's writeback_stats, reclaim_stats,
 * the page cache's pc_stats and gauges, the injection knobs' own counts.
 *
 * Reset ("0") does not touch the engine's counters (they belong to their
 * modules): it records a baseline that xfsfuse.counters subtracts.  The
 * unmount report is always the totals since mount.
 */
#include "control.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "fuse_ops.h"
#include "iomap_dio.h"
#include "xfs_direct.h"
#include "xfs_iomap.h"

#define XF_COUNTERS_MAX 96

struct xf_counter {
	const char *name;
	uint64_t value;
	bool gauge; /* a current level: never reset */
};

struct xf_counters {
	struct xf_counter c[XF_COUNTERS_MAX];
	unsigned int n;
};

/* xf_counters_lock: protects xf_baseline (leaf lock). */
static pthread_mutex_t xf_counters_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t xf_baseline[XF_COUNTERS_MAX];

/* ---- text buffer ---- */

void xf_text_init(struct xf_text *t, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
}

void xf_text_free(struct xf_text *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

static bool xf_text_reserve(struct xf_text *t, size_t need)
{
	size_t cap = t->cap ? t->cap : 1024;
	char *nbuf;

	if (t->len + need + 1 <= t->cap)
		return true;
	while (cap < t->len + need + 1)
		cap *= 2;
	nbuf = realloc(t->buf, cap);
	if (!nbuf)
		return false;
	t->buf = nbuf;
	t->cap = cap;
	return true;
}

void xf_text_printf(struct xf_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->truncated)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	/* Whole lines or nothing: a cut value would read as a wrong number. */
	if (n < 0 || t->len + (size_t) n > t->max || !xf_text_reserve(t, (size_t) n)) {
		t->truncated = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(t->buf + t->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t) n;
}

/* ---- collection ---- */

static void xf_add(struct xf_counters *cs, const char *name, uint64_t value, bool gauge)
{
	if (cs->n < XF_COUNTERS_MAX)
		cs->c[cs->n++] = (struct xf_counter){name, value, gauge};
}

static void xf_collect_iomap(struct xf_counters *cs)
{
	xf_add(cs, "stale_iomaps", atomic_load(&iomap_stats.stale_iomaps), false);
	xf_add(cs, "remaps", atomic_load(&iomap_stats.remaps), false);
	xf_add(cs, "short_writes", atomic_load(&iomap_stats.short_writes), false);
	xf_add(cs, "folios_zeroed", atomic_load(&iomap_stats.folios_zeroed), false);
	xf_add(cs, "folios_read", atomic_load(&iomap_stats.folios_read), false);
	xf_add(cs, "delalloc_punched_bytes", atomic_load(&iomap_stats.delalloc_punched), false);
	xf_add(cs, "read_preadvs", atomic_load(&iomap_stats.read_preadvs), false);
	xf_add(cs, "dio_reads", atomic_load(&iomap_dio_stats.reads), false);
	xf_add(cs, "dio_writes", atomic_load(&iomap_dio_stats.writes), false);
	xf_add(cs, "dio_bytes_read", atomic_load(&iomap_dio_stats.bytes_read), false);
	xf_add(cs, "dio_bytes_written", atomic_load(&iomap_dio_stats.bytes_written), false);
	xf_add(cs, "dio_zeroed_bytes", atomic_load(&iomap_dio_stats.zeroed_bytes), false);
	xf_add(cs, "dio_fallbacks", atomic_load(&iomap_dio_stats.fallbacks), false);
	xf_add(cs, "dio_stale_cache", atomic_load(&iomap_dio_stats.stale_cache), false);
	xf_add(cs, "dio_allocated_blocks", atomic_load(&xfs_dio_stats.allocated_blocks), false);
	xf_add(cs, "dio_unwritten_converted", atomic_load(&xfs_dio_stats.unwritten_converted_bytes),
	       false);
	xf_add(cs, "dio_cow_blocks", atomic_load(&xfs_dio_stats.cow_blocks), false);
}

static void xf_collect_xfs(struct xf_counters *cs, struct xf_engine *e)
{
	struct xfs_iomap_stats *s = &xfs_iomap_stats;

	xf_add(cs, "delalloc_reserved_blocks", atomic_load(&s->delalloc_reserved_blocks), false);
	xf_add(cs, "delalloc_punched_blocks", atomic_load(&s->delalloc_punched_blocks), false);
	xf_add(cs, "delalloc_converted_blocks", atomic_load(&s->delalloc_converted_blocks), false);
	xf_add(cs, "unwritten_converted_bytes", atomic_load(&s->unwritten_converted_bytes), false);
	xf_add(cs, "eofblocks_trimmed_blocks", atomic_load(&s->eofblocks_trimmed_blocks), false);
	xf_add(cs, "stale_new_inherited", atomic_load(&s->stale_new_inherited), false);
	xf_add(cs, "stale_kept_blocks", atomic_load(&s->stale_kept_blocks), false);
	xf_add(cs, "stale_kept_reclaimed_blocks", atomic_load(&s->stale_kept_reclaimed_blocks),
	       false);
	xf_add(cs, "stale_kept_pending_blocks", e->m ? xb_stale_kept_pending(e->m) : 0, true);
	xf_add(cs, "cow_reserved_blocks", atomic_load(&xfs_reflink_stats.cow_reserved_blocks),
	       false);
	xf_add(cs, "cow_remapped_blocks", atomic_load(&xfs_reflink_stats.cow_remapped_blocks),
	       false);
	xf_add(cs, "cow_cancelled_blocks", atomic_load(&xfs_reflink_stats.cow_cancelled_blocks),
	       false);
	xf_add(cs, "remapped_shared_blocks", atomic_load(&xfs_reflink_stats.remapped_shared_blocks),
	       false);
	xf_add(cs, "reflink_flags_cleared", atomic_load(&xfs_reflink_stats.reflink_flags_cleared),
	       false);
}

/* The bdi and the reclaimer exist only while the engine runs: zeroes otherwise. */
static void xf_collect_writeback(struct xf_counters *cs, struct xf_engine *e)
{
	const struct writeback_stats *s = e->running ? bdi_stats(e->bdi) : NULL;
	static const struct writeback_stats none;

	if (!s)
		s = &none;
	xf_add(cs, "ioends", atomic_load(&s->ioends), false);
	xf_add(cs, "ioends_inline", atomic_load(&s->ioends_inline), false);
	xf_add(cs, "folios_written", atomic_load(&s->folios_written), false);
	xf_add(cs, "bytes_written", atomic_load(&s->bytes_written), false);
	xf_add(cs, "map_revalidated", atomic_load(&s->map_revalidated), false);
	xf_add(cs, "map_invalidated", atomic_load(&s->map_invalidated), false);
	xf_add(cs, "write_errors", atomic_load(&s->write_errors), false);
	xf_add(cs, "dirty_throttled", atomic_load(&s->dirty_throttled), false);
	xf_add(cs, "dirty_throttled_ms", atomic_load(&s->dirty_throttled_ms), false);
	xf_add(cs, "write_errors_injected",
	       atomic_load(&xf_fault_stats.injected[XF_FAULT_DATA_WRITE]), false);
	xf_add(cs, "ioend_alloc_failures_injected",
	       atomic_load(&xf_fault_stats.injected[XF_FAULT_IOEND_ALLOC]), false);
	xf_add(cs, "iomap_begin_failures_injected",
	       atomic_load(&xf_fault_stats.injected[XF_FAULT_IOMAP_BEGIN]), false);
	xf_add(cs, "wb_redirtied", atomic_load(&s->redirtied), false);
	xf_add(cs, "wb_hole_blocks", atomic_load(&s->hole_blocks), false);
}

static void xf_collect_reclaim(struct xf_counters *cs, struct xf_engine *e)
{
	const struct reclaim_stats *s = e->running ? reclaim_stats(e->reclaim) : NULL;
	static const struct reclaim_stats none;

	if (!s)
		s = &none;
	xf_add(cs, "folios_reclaimed", atomic_load(&s->evicted), false);
	xf_add(cs, "reclaim_scans", atomic_load(&s->scans), false);
	xf_add(cs, "reclaim_skipped_busy", atomic_load(&s->skipped_busy), false);
	xf_add(cs, "reclaim_skipped_dirty", atomic_load(&s->skipped_dirty), false);
	xf_add(cs, "reclaim_waits_for_writeback", atomic_load(&s->waits_for_writeback), false);
	xf_add(cs, "reclaim_heap_trims", atomic_load(&s->heap_trims), false);
}

static void xf_collect_cache(struct xf_counters *cs, struct xf_engine *e)
{
	struct page_cache *pc = &e->pc;

	xf_add(cs, "folios_direct_reclaimed", atomic_load(&pc->stats.direct_reclaimed), false);
	xf_add(cs, "folios_created", atomic_load(&pc->stats.folios_created), false);
	xf_add(cs, "folios_truncated", atomic_load(&pc->stats.folios_truncated), false);
	xf_add(cs, "folio_reads", atomic_load(&pc->stats.reads), false);
	xf_add(cs, "injected_delays", xf_inject_delays_done(), false);
	xf_add(cs, "cache_folios", atomic_load(&pc->nr_folios), true);
	xf_add(cs, "cache_dirty", atomic_load(&pc->nr_dirty), true);
	xf_add(cs, "cache_writeback", atomic_load(&pc->nr_writeback), true);
	if (pc->limit_bytes)
		xf_add(cs, "cache_limit_folios", page_cache_limit_folios(pc), true);
	xf_add(cs, "cache_charged_bytes", (uint64_t) atomic_load(&pc->charged_bytes), true);
}

/* Idle inodes (doc/backend.md "Idle inodes"). */
static void xf_collect_inodes(struct xf_counters *cs, struct xf_engine *e)
{
	xf_add(cs, "inodes_loaded", e->m ? xb_inodes_loaded(e->m) : 0, true);
	xf_add(cs, "inodes_released", atomic_load(&xb_idle_stats.released), false);
	xf_add(cs, "inodes_reloaded", atomic_load(&xb_idle_stats.reloaded), false);
	xf_add(cs, "inodes_vfs_released", atomic_load(&xb_idle_stats.vfs_released), false);
}

/* The XFS log (doc/log.md). */
static void xf_collect_log(struct xf_counters *cs, struct xf_engine *e)
{
	struct xb_log_stats s = {0};

	if (e->m)
		xb_log_counters(e->m, &s);
	xf_add(cs, "log_checkpoints", s.checkpoints, false);
	xf_add(cs, "log_bytes", s.log_bytes, false);
	xf_add(cs, "log_bufs", s.bufs_logged, false);
	xf_add(cs, "log_forced_by_free", s.forced_by_free, false);
	xf_add(cs, "log_unlogged_writes", s.unlogged_writes, false);
	xf_add(cs, "log_fsync_flush_only", s.fsync_flush_only, false);
	xf_add(cs, "log_replays", s.replays, false);
	xf_add(cs, "log_replayed_bufs", s.replayed_bufs, false);
	xf_add(cs, "log_dirty_bytes", s.dirty_bytes, true);
	xf_add(cs, "log_checkpoint_in_flight", s.in_flight, true);
}

/* Access times (doc/backend.md "Access times"). */
static void xf_collect_times(struct xf_counters *cs)
{
	xf_add(cs, "atime_updates", atomic_load(&xb_time_stats.atime_logged), false);
	xf_add(cs, "atime_lazy_updates", atomic_load(&xb_time_stats.atime_lazy), false);
	xf_add(cs, "lazytime_flushes", atomic_load(&xb_time_stats.lazy_flushed), false);
}

static void xf_counters_collect(struct xf_engine *e, struct xf_counters *cs)
{
	cs->n = 0;
	xf_collect_iomap(cs);
	xf_collect_xfs(cs, e);
	xf_collect_writeback(cs, e);
	xf_collect_reclaim(cs, e);
	xf_collect_cache(cs, e);
	xf_collect_log(cs, e);
	xf_collect_times(cs);
	xf_collect_inodes(cs, e);
}

void xf_counters_format(struct xf_engine *e, struct xf_text *t, bool totals)
{
	struct xf_counters cs;
	unsigned int i;

	xf_counters_collect(e, &cs);
	pthread_mutex_lock(&xf_counters_lock);
	for (i = 0; i < cs.n; i++) {
		uint64_t v = cs.c[i].value, base = xf_baseline[i];

		if (!totals && !cs.c[i].gauge)
			v = v >= base ? v - base : 0;
		xf_text_printf(t, "%s %llu\n", cs.c[i].name, (unsigned long long) v);
	}
	pthread_mutex_unlock(&xf_counters_lock);
}

void xf_counters_reset(struct xf_engine *e)
{
	struct xf_counters cs;
	unsigned int i;

	xf_counters_collect(e, &cs);
	pthread_mutex_lock(&xf_counters_lock);
	for (i = 0; i < cs.n; i++)
		xf_baseline[i] = cs.c[i].gauge ? 0 : cs.c[i].value;
	pthread_mutex_unlock(&xf_counters_lock);
}

/*
 * Foreground: the lines as xfsfuse.counters shows them, after a header, on
 * stderr.  Daemonized: one syslog message per counter (syslog mangles
 * multi-line messages).
 */
void xf_counters_print(struct xf_engine *e, bool foreground)
{
	struct xf_text t;
	char *line, *save = NULL;

	xf_text_init(&t, 1 << 16);
	xf_counters_format(e, &t, true);
	if (!t.buf) {
		xf_text_free(&t);
		return;
	}
	if (foreground) {
		fprintf(stderr, "xfsfuse: counters at unmount:\n%s", t.buf);
		fflush(stderr);
	} else {
		xf_log("counters at unmount:");
		for (line = strtok_r(t.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			xf_log("counter %s", line);
	}
	xf_text_free(&t);
}
