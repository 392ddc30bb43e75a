// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's injection hook: a configurable sleep at each of the engine's
 * injection points (iomap.h enum iomap_inject_point), like XFS's
 * write_delay_ms / wb_delay_ms error tags.  They widen the race windows of
 * DESIGN.md §4 on a real mount:
 *
 *   inject_write_delay_ms   INJECT_WRITE_AFTER_BEGIN: a write holds its
 *                           mapping (cookie sampled) before using it
 *   inject_folio_delay_ms   INJECT_WRITE_BEFORE_FOLIO: between the folios
 *                           of one mapping
 *   inject_wb_delay_ms      INJECT_WB_BEFORE_MAP: writeback, before it
 *                           revalidates its cached mapping
 *   inject_ioend_delay_ms   INJECT_IOEND_BEFORE_COMPLETE: the data is on
 *                           disk, the unwritten extent not yet converted
 *   inject_evict_delay_ms   INJECT_AFTER_EVICT: reclaim, after an eviction
 *   inject_log_flush_delay_ms INJECT_LOG_FLUSH: a checkpoint, before each
 *                           device flush (doc/log.md: the flushes run
 *                           without the libxfs lock)
 *
 * With inject_jitter each sleep is a uniform 0..N ms instead of N, so that
 * repeated runs see different interleavings.  The delays are plain atomics:
 * changing one at run time affects the next point reached.
 */
#include "control.h"

#include <errno.h>
#include <stdatomic.h>
#include <time.h>

#include "trace.h"

static _Atomic unsigned int xf_inject_delay_ms[INJECT_NR_POINTS];
static _Atomic bool xf_inject_jitter;
static _Atomic uint64_t xf_inject_delays;

static const char *const xf_inject_point_names[INJECT_NR_POINTS] = {
	[INJECT_WRITE_AFTER_BEGIN] = "write_after_begin",
	[INJECT_WRITE_BEFORE_FOLIO] = "write_before_folio",
	[INJECT_WB_BEFORE_MAP] = "wb_before_map",
	[INJECT_IOEND_BEFORE_COMPLETE] = "ioend_before_complete",
	[INJECT_AFTER_EVICT] = "after_evict",
	[INJECT_LOG_FLUSH] = "log_flush",
	[INJECT_DIO_AFTER_PREPARE] = "dio_after_prepare", /* the race harness's; no option */
};

void xf_inject_set_delay(enum iomap_inject_point point, unsigned int ms)
{
	if (point < INJECT_NR_POINTS)
		atomic_store(&xf_inject_delay_ms[point], ms);
}

unsigned int xf_inject_get_delay(enum iomap_inject_point point)
{
	return point < INJECT_NR_POINTS ? atomic_load(&xf_inject_delay_ms[point]) : 0;
}

void xf_inject_set_jitter(bool on)
{
	atomic_store(&xf_inject_jitter, on);
}

bool xf_inject_get_jitter(void)
{
	return atomic_load(&xf_inject_jitter);
}

uint64_t xf_inject_delays_done(void)
{
	return atomic_load(&xf_inject_delays);
}

/* A per-thread xorshift64: no lock, no shared state, good enough for jitter. */
static unsigned int xf_inject_random(unsigned int max)
{
	static _Thread_local uint64_t state;
	struct timespec ts;

	if (!state) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		state = ((uint64_t) ts.tv_nsec << 20) ^ (uint64_t) (uintptr_t) &state ^ 1;
	}
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (unsigned int) (state % ((uint64_t) max + 1));
}

static void xf_inject_sleep_ms(unsigned int ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void xf_inject_hook(enum iomap_inject_point point, struct vfs_inode *inode, loff_t pos,
			   void *arg)
{
	unsigned int ms;

	(void) arg;
	if (point >= INJECT_NR_POINTS)
		return;
	ms = atomic_load_explicit(&xf_inject_delay_ms[point], memory_order_relaxed);
	if (!ms)
		return;
	if (atomic_load(&xf_inject_jitter))
		ms = xf_inject_random(ms);
	atomic_fetch_add(&xf_inject_delays, 1);
	/* After an eviction @inode is only an identity: it may be gone. */
	xf_trace("inject_delay", point == INJECT_AFTER_EVICT || !inode ? 0 : inode->i_ino, pos, 0,
		 "point=%s ms=%u", xf_inject_point_names[point], ms);
	if (ms)
		xf_inject_sleep_ms(ms);
}

void xf_inject_install(void)
{
	iomap_set_inject_hook(xf_inject_hook, NULL);
}

void xf_inject_remove(void)
{
	iomap_set_inject_hook(NULL, NULL);
}
