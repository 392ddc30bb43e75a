// SPDX-License-Identifier: GPL-2.0
/*
 * invalidate_inode_pages2_range (mm/truncate.c): drop the cached folios of
 * a byte range so that the next buffered read goes to the disk -- what a
 * direct write does around its I/O (doc/engine.md "Direct I/O").  And
 * invalidate_mapping_pages: drop what is clean and unused of a whole
 * mapping, without waiting for anything -- what the kernel's inode LRU does
 * before it reclaims an inode (inode_lru_isolate).
 */
#include "pc_internal.h"

#include <errno.h>

/*
 * invalidate_complete_folio2: the locked folio leaves the cache unless it
 * is dirty.  Dirtying needs the folio lock, which we hold, so the check
 * cannot go stale before the folio is out of the index.
 */
static bool invalidate_complete_folio2(struct address_space *m, struct folio *f)
{
	struct page_cache *pc = m->pc;

	if (folio_test_dirty(f) || folio_test_writeback(f))
		return false;
	pthread_mutex_lock(&m->i_pages_lock);
	__filemap_remove_folio(m, f);
	pthread_mutex_unlock(&m->i_pages_lock);
	ifs_drop_state(f);
	atomic_fetch_add(&pc->stats.folios_truncated, 1);
	filemap_free_removed_folio(pc, f);
	return true;
}

/*
 * Only trylocks (folio_try_evict): callable with any lock held, the
 * libxfs lock included.  Returns how many folios are still cached.
 */
uint64_t invalidate_mapping_pages(struct address_space *m)
{
	struct folio *batch[PC_BATCH];
	uint64_t index = 0, left;
	unsigned int n, i;

	while ((n = filemap_get_folios(m, index, UINT64_MAX, batch, PC_BATCH)) != 0) {
		index = batch[n - 1]->index + 1; /* before the puts */
		for (i = 0; i < n; i++) {
			folio_try_evict(batch[i]);
			folio_put(batch[i]);
		}
		if (index == 0)
			break;
	}
	pthread_mutex_lock(&m->i_pages_lock);
	left = m->nrpages;
	pthread_mutex_unlock(&m->i_pages_lock);
	return left;
}

int invalidate_inode_pages2_range(struct address_space *m, uint64_t lstart, uint64_t lend)
{
	struct folio *batch[PC_BATCH];
	uint64_t index = lstart >> m->pc->folio_shift, end = lend >> m->pc->folio_shift;
	unsigned int n, i;
	int ret = 0;

	while (index <= end) {
		n = filemap_get_folios(m, index, end, batch, PC_BATCH);
		if (!n)
			break;
		index = batch[n - 1]->index + 1; /* before the puts */
		for (i = 0; i < n; i++) {
			struct folio *f = batch[i];

			folio_lock(f);
			if (f->mapping == m) {
				folio_wait_writeback(f);
				if (!invalidate_complete_folio2(m, f))
					ret = -EBUSY;
			}
			folio_unlock(f);
			folio_put(f);
		}
		if (index == 0)
			break;
	}
	return ret;
}
