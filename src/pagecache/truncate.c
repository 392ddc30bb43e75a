// SPDX-License-Identifier: GPL-2.0
/*
 * Removing folios from the cache: mm/truncate.c (truncate_inode_pages_range,
 * truncate_inode_partial_folio) and mm/vmscan.c's remove_mapping with
 * iomap_release_folio (folio_try_evict).
 */
#include <string.h>

#include "pc_internal.h"

/*
 * truncate_inode_folio: the folio (locked, not under writeback) leaves the
 * cache with its dirty and per-block state.  The caller's reference stays.
 */
static void truncate_inode_folio(struct address_space *m, struct folio *f)
{
	folio_cancel_dirty(f);
	pthread_mutex_lock(&m->i_pages_lock);
	__filemap_remove_folio(m, f);
	pthread_mutex_unlock(&m->i_pages_lock);
	ifs_drop_state(f);
	atomic_fetch_add(&m->pc->stats.folios_truncated, 1);
	filemap_free_removed_folio(m->pc, f);
}

/*
 * truncate_inode_partial_folio: [start, end] (bytes, inclusive) covers part
 * of the locked folio.  Zero that part; the whole blocks in it lose their
 * state (iomap_invalidate_folio), the others keep theirs.  The kernel would
 * then try to split a large folio; ours stay whole.
 */
static void truncate_inode_partial_folio(struct address_space *m, struct folio *f, uint64_t start,
					 uint64_t end)
{
	size_t fsize = m->pc->folio_size;
	uint64_t pos = folio_pos(f, m->pc);
	size_t offset = pos < start ? (size_t) (start - pos) : 0;
	size_t length;

	if (end - pos >= fsize - 1) /* end reaches past the folio */
		length = fsize - offset;
	else
		length = (size_t) (end + 1 - pos) - offset;

	folio_wait_writeback(f);
	if (length == fsize) {
		truncate_inode_folio(m, f);
		return;
	}
	memset(f->data + offset, 0, length);
	ifs_invalidate_range(f, offset, length);
}

static void truncate_partial_at(struct address_space *m, uint64_t index, uint64_t lstart,
				uint64_t lend)
{
	struct folio *f = filemap_lock_folio(m, index);

	if (!f)
		return;
	truncate_inode_partial_folio(m, f, lstart, lend);
	folio_unlock(f);
	folio_put(f);
}

/* Remove every folio with index in [start, end]; loops until none is left. */
static void truncate_whole_folios(struct address_space *m, uint64_t start, uint64_t end)
{
	struct folio *batch[PC_BATCH];
	uint64_t index = start;
	unsigned int n, i;

	while (index <= end) {
		n = filemap_get_folios(m, index, end, batch, PC_BATCH);
		if (!n)
			break;
		/* Read before the puts: the last reference may be ours. */
		index = batch[n - 1]->index + 1;
		for (i = 0; i < n; i++) {
			struct folio *f = batch[i];

			folio_lock(f);
			if (f->mapping == m) {
				folio_wait_writeback(f);
				truncate_inode_folio(m, f);
			}
			folio_unlock(f);
			folio_put(f);
		}
		if (index == 0)
			break;
	}
}

void truncate_inode_pages_range(struct address_space *m, uint64_t lstart, uint64_t lend)
{
	unsigned int shift = m->pc->folio_shift;
	uint64_t mask = m->pc->folio_size - 1;
	uint64_t start_idx = lstart >> shift, end_idx = lend >> shift;
	bool partial_start = lstart & mask;
	bool partial_end = lend != UINT64_MAX && ((lend + 1) & mask);
	uint64_t first_whole = start_idx + (partial_start ? 1 : 0);

	if (lend < lstart)
		return;
	/* The folio holding lend is whole only if the range ends with it. */
	if (!partial_end)
		truncate_whole_folios(m, first_whole, end_idx);
	else if (end_idx > 0)
		truncate_whole_folios(m, first_whole, end_idx - 1);
	if (partial_start)
		truncate_partial_at(m, start_idx, lstart, lend);
	if (partial_end && (end_idx != start_idx || !partial_start))
		truncate_partial_at(m, end_idx, lstart, lend);
}

bool folio_try_evict_from(struct folio *f, void **host)
{
	struct address_space *m;
	struct page_cache *pc;
	bool evict = false;

	if (!folio_trylock(f))
		return false;
	m = f->mapping;
	if (!m || folio_test_dirty(f) || folio_test_writeback(f))
		goto out_unlock;
	/*
	 * Lookups take references under i_pages_lock and dirtying flips
	 * PG_dirty under it: checked here, the folio cannot gain a user or
	 * dirt before it is gone (the kernel's folio_ref_freeze(2)).
	 */
	pthread_mutex_lock(&m->i_pages_lock);
	if (atomic_load(&f->refcount) == 2 && !folio_test_dirty(f) && !folio_test_writeback(f)) {
		if (host) /* still indexed: the inode is alive */
			*host = m->host;
		/*
		 * Once the folio is out of the index, truncate no longer waits
		 * for it and the inode (and @m in it) may be freed at any time:
		 * take what we still need now, like __remove_mapping reads
		 * ->free_folio before it drops the i_pages lock.
		 */
		pc = m->pc;
		__filemap_remove_folio(m, f);
		evict = true;
	}
	pthread_mutex_unlock(&m->i_pages_lock);
	if (!evict)
		goto out_unlock;
	ifs_drop_state(f); /* iomap_release_folio */
	atomic_fetch_add(&pc->stats.folios_reclaimed, 1);
	folio_unlock(f);
	filemap_free_removed_folio(pc, f);
	return true;
out_unlock:
	folio_unlock(f);
	return false;
}

bool folio_try_evict(struct folio *f)
{
	return folio_try_evict_from(f, NULL);
}
