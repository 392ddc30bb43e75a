// SPDX-License-Identifier: GPL-2.0
/*
 * mm/page-writeback.c and mm/filemap.c, the writeback half: walking the
 * dirty folios of a mapping (write_cache_pages) and waiting for writeback
 * (filemap_fdatawait_range).
 */
#include <errno.h>

#include "wb_internal.h"

/*
 * Lock @folio for writeback and take its dirty bit, or say why not.  With
 * sync_all (WB_SYNC_ALL) we wait for the lock and for a writeback already in
 * flight; otherwise (background) busy folios are left for the next pass.
 * Returns true with the folio locked and PG_dirty cleared.
 */
static bool wb_prepare_folio(struct address_space *mapping, struct folio *folio,
			     struct writeback_control *wbc)
{
	if (wbc->sync_all)
		folio_lock(folio);
	else if (!folio_trylock(folio))
		return false;

	/* Truncated, or written by someone else since the tag lookup? */
	if (folio->mapping != mapping || !folio_test_dirty(folio))
		goto out_unlock;
	if (folio_test_writeback(folio)) {
		if (!wbc->sync_all)
			goto out_unlock;
		/* Completion never takes the folio lock: waiting under it is safe. */
		folio_wait_writeback(folio);
	}
	if (!folio_clear_dirty_for_io(folio))
		goto out_unlock;
	return true;

out_unlock:
	folio_unlock(folio);
	return false;
}

/*
 * Walk PC_TAG_DIRTY folios of [range_start, range_end] in index order and
 * hand each locked, dirty-cleared folio to @writepage (which unlocks it).
 * Each index is visited once, so writers redirtying behind us cannot make
 * this livelock.  Returns the first error; the walk goes on after errors
 * (they are also recorded on the mapping by the writepage callback).
 */
int write_cache_pages(struct address_space *mapping, struct writeback_control *wbc,
		      writepage_t writepage, void *data)
{
	unsigned int shift = mapping->pc->folio_shift;
	uint64_t index = wbc->range_start >> shift;
	uint64_t end = wbc->range_end >> shift;
	struct folio *batch[WB_BATCH];
	bool done = false;
	int ret = 0;

	while (!done && index <= end) {
		unsigned int i, n;

		n = filemap_get_folios_tag(mapping, index, end, PC_TAG_DIRTY, batch, WB_BATCH);
		if (!n)
			break;
		for (i = 0; i < n; i++) {
			struct folio *folio = batch[i];
			int error;

			index = folio->index + 1;
			if (done || !wb_prepare_folio(mapping, folio, wbc)) {
				folio_put(folio);
				continue;
			}
			error = writepage(folio, wbc, data);
			folio_put(folio);
			if (error && !ret)
				ret = error;
			if (wbc->nr_to_write >= 0 && --wbc->nr_to_write <= 0 && !wbc->sync_all)
				done = true;
		}
		if (index == 0) /* wrapped past the last index */
			break;
	}
	return ret;
}

void filemap_fdatawait_range(struct address_space *mapping, uint64_t start, uint64_t end)
{
	unsigned int shift = mapping->pc->folio_shift;
	uint64_t index = start >> shift;
	uint64_t last = end >> shift;
	struct folio *batch[WB_BATCH];

	while (index <= last) {
		unsigned int i, n;

		n = filemap_get_folios_tag(mapping, index, last, PC_TAG_WRITEBACK, batch, WB_BATCH);
		if (!n)
			break;
		for (i = 0; i < n; i++) {
			index = batch[i]->index + 1;
			folio_wait_writeback(batch[i]);
			folio_put(batch[i]);
		}
		if (index == 0)
			break;
	}
}

int filemap_check_and_clear_wb_err(struct address_space *mapping)
{
	return atomic_exchange(&mapping->wb_err, 0);
}
