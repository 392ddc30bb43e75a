// SPDX-License-Identifier: GPL-2.0
/*
 * Page-cache scans for SEEK_DATA/SEEK_HOLE and the delalloc punch
 * (mm/filemap.c mapping_seek_hole_data, at block granularity as
 * iomap_write_delalloc_ifs_punch needs), and writeback error tracking
 * (lib/errseq.c, reduced).
 */
#include <errno.h>

#include "pc_internal.h"

/* Is @block of @f data for the scan?  Dirty always; uptodate if asked. */
static bool folio_block_is_data(struct folio *f, unsigned int block, bool uptodate_counts)
{
	return pc_test_bit(f->dirty, block) || (uptodate_counts && pc_test_bit(f->uptodate, block));
}

/*
 * Within folio @f, from byte @pos (inside it) to @end: the first offset
 * whose block is data (@want_data) or is not; -1 if there is none before
 * the folio's end.
 */
static int64_t folio_seek_hole_data(struct folio *f, uint64_t fpos, uint64_t pos, uint64_t end,
				    bool uptodate_counts, bool want_data)
{
	unsigned int block = (unsigned int) ((pos - fpos) >> f->blkbits);
	int64_t found = -1;

	pthread_mutex_lock(&f->state_lock);
	for (; block < f->nr_blocks; block++) {
		uint64_t bpos = fpos + ((uint64_t) block << f->blkbits);

		if (bpos >= end)
			break;
		if (folio_block_is_data(f, block, uptodate_counts) == want_data) {
			found = (int64_t) (bpos > pos ? bpos : pos);
			break;
		}
	}
	pthread_mutex_unlock(&f->state_lock);
	return found;
}

/*
 * Walk the folios over [start, end).  A missing folio is a hole.  A folio
 * removed after the gang lookup has no state left (ifs_drop_state): also a
 * hole.  Returns the first match, or -1.
 */
static int64_t mapping_seek_range(struct address_space *m, uint64_t start, uint64_t end,
				  bool uptodate_counts, bool want_data)
{
	struct page_cache *pc = m->pc;
	struct folio *batch[PC_BATCH];
	uint64_t pos = start, last_idx;
	int64_t found = -1;
	unsigned int n, i;

	if (start >= end)
		return -1;
	last_idx = (end - 1) >> pc->folio_shift;
	while (found < 0 && pos < end) {
		n = filemap_get_folios(m, pos >> pc->folio_shift, last_idx, batch, PC_BATCH);
		if (!n)
			break;
		for (i = 0; i < n; i++) {
			uint64_t fpos = folio_pos(batch[i], pc);

			if (found < 0 && fpos > pos && !want_data)
				found = (int64_t) pos; /* a gap: hole */
			if (found < 0) {
				if (fpos > pos)
					pos = fpos;
				found = folio_seek_hole_data(batch[i], fpos, pos, end,
							     uptodate_counts, want_data);
				pos = fpos + pc->folio_size;
			}
			folio_put(batch[i]);
		}
	}
	if (found < 0 && !want_data && pos < end)
		found = (int64_t) pos; /* no folio after pos: hole */
	return found;
}

int64_t mapping_seek_data_range(struct address_space *m, uint64_t start, uint64_t end,
				bool uptodate_counts)
{
	return mapping_seek_range(m, start, end, uptodate_counts, true);
}

int64_t mapping_seek_hole_range(struct address_space *m, uint64_t start, uint64_t end,
				bool uptodate_counts)
{
	int64_t hole = mapping_seek_range(m, start, end, uptodate_counts, false);

	return hole < 0 ? (int64_t) end : hole;
}

/* ---- writeback errors ---- */

/*
 * Every new error bumps wb_err_seq (the kernel's errseq_set bumps only
 * when the previous one was seen; bumping always reports no less).  The
 * error is stored before the bump so a reader seeing the new sequence sees
 * it (seq_cst atomics).
 */
void mapping_set_error(struct address_space *m, int error)
{
	if (!error)
		return;
	if (error > 0)
		error = -error;
	atomic_store(&m->wb_err, error);
	atomic_fetch_add(&m->wb_err_seq, 1);
}

int mapping_check_error(struct address_space *m, uint32_t *since)
{
	uint32_t seq = atomic_load(&m->wb_err_seq);
	int error;

	if (seq == *since)
		return 0;
	error = atomic_load(&m->wb_err);
	*since = seq;
	return error ? error : -EIO;
}
