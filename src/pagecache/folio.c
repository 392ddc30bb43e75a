// SPDX-License-Identifier: GPL-2.0
/*
 * Folio flags and the per-block state: mm/page-writeback.c (dirty and
 * writeback bits with their index tags) and fs/iomap/buffered-io.c's
 * iomap_folio_state helpers (ifs_*).
 *
 * PG_dirty and PG_writeback change only under mapping->i_pages_lock when the
 * folio is in a mapping, together with their tags, so a tag lookup never
 * sees a tag whose bit is clear (or the reverse) and eviction can test them
 * under the same lock.  The mapping is stable there: a folio is removed only
 * with its lock held and never while under writeback.
 *
 * Waiting for writeback uses the cache-wide wait_lock/wait_cond (one
 * condition for every folio, as the kernel's hashed folio waitqueues share
 * heads): folio_end_writeback broadcasts, waiters re-test their own bit.
 */
#include <string.h>

#include "pc_internal.h"

/* ---- uptodate ---- */

bool folio_test_uptodate(struct folio *f)
{
	return folio_test_flag(f, PG_uptodate);
}

static void ifs_fill_bits(unsigned long *map, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		pc_set_bit(map, i);
}

/* The whole folio is uptodate: so is every block (ifs_alloc's rule). */
void folio_mark_uptodate(struct folio *f)
{
	pthread_mutex_lock(&f->state_lock);
	ifs_fill_bits(f->uptodate, f->nr_blocks);
	atomic_fetch_or(&f->flags, 1UL << PG_uptodate);
	pthread_mutex_unlock(&f->state_lock);
}

bool folio_test_dirty(struct folio *f)
{
	return folio_test_flag(f, PG_dirty);
}

bool folio_test_writeback(struct folio *f)
{
	return folio_test_flag(f, PG_writeback);
}

/* ---- dirty (mm/page-writeback.c) ---- */

/*
 * Flip a tagged flag, with its tag, under the mapping's i_pages_lock.
 * Returns the old value of the bit.
 */
static bool folio_change_tagged_flag(struct folio *f, int bit, unsigned int tag, bool set)
{
	struct address_space *m = f->mapping;
	bool old;

	if (m) {
		pthread_mutex_lock(&m->i_pages_lock);
		if (f->mapping != m) { /* removed meanwhile: no tags */
			pthread_mutex_unlock(&m->i_pages_lock);
			m = NULL;
		}
	}
	if (set)
		old = folio_test_set_flag(f, bit);
	else
		old = folio_test_clear_flag(f, bit);
	if (m && old != set) {
		if (set)
			radix_tree_tag_set(&m->i_pages, f->index, tag);
		else
			radix_tree_tag_clear(&m->i_pages, f->index, tag);
	}
	if (m)
		pthread_mutex_unlock(&m->i_pages_lock);
	return old;
}

bool filemap_dirty_folio(struct folio *f)
{
	if (folio_change_tagged_flag(f, PG_dirty, PC_TAG_DIRTY, true))
		return false;
	f->dirtied_when_ms = pc_now_ms();
	atomic_fetch_add(&f->pc->nr_dirty, 1);
	return true;
}

bool folio_clear_dirty_for_io(struct folio *f)
{
	if (!folio_change_tagged_flag(f, PG_dirty, PC_TAG_DIRTY, false))
		return false;
	atomic_fetch_sub(&f->pc->nr_dirty, 1);
	return true;
}

/*
 * No I/O will happen: the folio and all its blocks become clean (the
 * kernel's folio_cancel_dirty plus the ifs dirty bits, which
 * iomap_invalidate_folio frees with the ifs).
 */
void folio_cancel_dirty(struct folio *f)
{
	pthread_mutex_lock(&f->state_lock);
	memset(f->dirty, 0, pc_bitmap_bytes(f->nr_blocks));
	pthread_mutex_unlock(&f->state_lock);
	folio_clear_dirty_for_io(f);
}

/* ---- writeback ---- */

void folio_start_writeback(struct folio *f)
{
	if (!folio_change_tagged_flag(f, PG_writeback, PC_TAG_WRITEBACK, true))
		atomic_fetch_add(&f->pc->nr_writeback, 1);
}

void folio_end_writeback(struct folio *f)
{
	struct page_cache *pc = f->pc;

	/*
	 * Once the bit is clear, truncate may remove the folio and drop the
	 * last other reference: hold one until the wake-up is done.
	 */
	folio_get(f);
	if (folio_change_tagged_flag(f, PG_writeback, PC_TAG_WRITEBACK, false))
		atomic_fetch_sub(&pc->nr_writeback, 1);
	pthread_mutex_lock(&pc->wait_lock);
	pthread_cond_broadcast(&pc->wait_cond);
	pthread_mutex_unlock(&pc->wait_lock);
	folio_put(f);
}

/* The caller holds a reference (and usually the folio lock). */
void folio_wait_writeback(struct folio *f)
{
	struct page_cache *pc = f->pc;

	if (!folio_test_writeback(f))
		return;
	pthread_mutex_lock(&pc->wait_lock);
	while (folio_test_writeback(f))
		pthread_cond_wait(&pc->wait_cond, &pc->wait_lock);
	pthread_mutex_unlock(&pc->wait_lock);
}

void pc_deadline_ms(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long) (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void pc_wait_writeback_progress(struct page_cache *pc, unsigned int ms)
{
	struct timespec ts;

	pc_deadline_ms(&ts, ms);
	pthread_mutex_lock(&pc->wait_lock);
	if (atomic_load(&pc->nr_writeback) || atomic_load(&pc->nr_dirty))
		pthread_cond_timedwait(&pc->wait_cond, &pc->wait_lock, &ts);
	pthread_mutex_unlock(&pc->wait_lock);
}

/* ---- per-block state (iomap_folio_state) ---- */

bool ifs_block_is_uptodate(struct folio *f, unsigned int block)
{
	bool ret;

	pthread_mutex_lock(&f->state_lock);
	ret = block < f->nr_blocks && pc_test_bit(f->uptodate, block);
	pthread_mutex_unlock(&f->state_lock);
	return ret;
}

bool ifs_block_is_dirty(struct folio *f, unsigned int block)
{
	bool ret;

	pthread_mutex_lock(&f->state_lock);
	ret = block < f->nr_blocks && pc_test_bit(f->dirty, block);
	pthread_mutex_unlock(&f->state_lock);
	return ret;
}

/* Blocks touched by [off, off+len), clamped to the folio; false if none. */
static bool ifs_block_span(struct folio *f, size_t off, size_t len, unsigned int *first,
			   unsigned int *last)
{
	size_t fsize = (size_t) f->nr_blocks << f->blkbits;

	if (!len || off >= fsize)
		return false;
	if (len > fsize - off)
		len = fsize - off;
	*first = (unsigned int) (off >> f->blkbits);
	*last = (unsigned int) ((off + len - 1) >> f->blkbits);
	return true;
}

static bool ifs_is_fully_uptodate(struct folio *f)
{
	unsigned int i;

	for (i = 0; i < f->nr_blocks; i++)
		if (!pc_test_bit(f->uptodate, i))
			return false;
	return true;
}

void ifs_set_range_uptodate(struct folio *f, size_t off, size_t len)
{
	unsigned int first, last, i;

	if (!ifs_block_span(f, off, len, &first, &last))
		return;
	pthread_mutex_lock(&f->state_lock);
	for (i = first; i <= last; i++)
		pc_set_bit(f->uptodate, i);
	if (ifs_is_fully_uptodate(f))
		atomic_fetch_or(&f->flags, 1UL << PG_uptodate);
	pthread_mutex_unlock(&f->state_lock);
}

static void ifs_change_range_dirty(struct folio *f, size_t off, size_t len, bool set)
{
	unsigned int first, last, i;

	if (!ifs_block_span(f, off, len, &first, &last))
		return;
	pthread_mutex_lock(&f->state_lock);
	for (i = first; i <= last; i++) {
		if (set)
			pc_set_bit(f->dirty, i);
		else
			pc_clear_bit(f->dirty, i);
	}
	pthread_mutex_unlock(&f->state_lock);
}

void ifs_set_range_dirty(struct folio *f, size_t off, size_t len)
{
	ifs_change_range_dirty(f, off, len, true);
}

void ifs_clear_range_dirty(struct folio *f, size_t off, size_t len)
{
	ifs_change_range_dirty(f, off, len, false);
}

unsigned int ifs_find_dirty_range(struct folio *f, unsigned int *start)
{
	unsigned int i, end;

	pthread_mutex_lock(&f->state_lock);
	for (i = *start; i < f->nr_blocks && !pc_test_bit(f->dirty, i); i++)
		;
	for (end = i; end < f->nr_blocks && pc_test_bit(f->dirty, end); end++)
		;
	pthread_mutex_unlock(&f->state_lock);
	if (i >= f->nr_blocks)
		return 0;
	*start = i;
	return end - i;
}

/*
 * The kernel frees the ifs here (iomap_release_folio, full-folio
 * iomap_invalidate_folio); a later ifs_alloc rebuilds it from the folio
 * flag.  Same result: blocks are uptodate iff PG_uptodate, none dirty.
 */
void ifs_clear_all(struct folio *f)
{
	pthread_mutex_lock(&f->state_lock);
	memset(f->dirty, 0, pc_bitmap_bytes(f->nr_blocks));
	memset(f->uptodate, 0, pc_bitmap_bytes(f->nr_blocks));
	if (folio_test_uptodate(f))
		ifs_fill_bits(f->uptodate, f->nr_blocks);
	pthread_mutex_unlock(&f->state_lock);
}

void ifs_drop_state(struct folio *f)
{
	pthread_mutex_lock(&f->state_lock);
	folio_test_clear_flag(f, PG_uptodate);
	memset(f->dirty, 0, pc_bitmap_bytes(f->nr_blocks));
	memset(f->uptodate, 0, pc_bitmap_bytes(f->nr_blocks));
	pthread_mutex_unlock(&f->state_lock);
}

/*
 * [off, off+len) was zeroed and is gone from the file: the blocks wholly
 * inside lose their uptodate and dirty state (a block partly inside keeps
 * its state: the rest of it is still file data).
 */
void ifs_invalidate_range(struct folio *f, size_t off, size_t len)
{
	size_t bsize = (size_t) 1 << f->blkbits;
	unsigned int first = (unsigned int) ((off + bsize - 1) >> f->blkbits);
	unsigned int end = (unsigned int) ((off + len) >> f->blkbits);
	unsigned int i;
	bool any_dirty = false;

	pthread_mutex_lock(&f->state_lock);
	for (i = first; i < end && i < f->nr_blocks; i++) {
		pc_clear_bit(f->uptodate, i);
		pc_clear_bit(f->dirty, i);
	}
	if (first < end)
		folio_test_clear_flag(f, PG_uptodate);
	for (i = 0; i < f->nr_blocks; i++)
		any_dirty |= pc_test_bit(f->dirty, i);
	pthread_mutex_unlock(&f->state_lock);
	if (!any_dirty)
		folio_clear_dirty_for_io(f);
}
