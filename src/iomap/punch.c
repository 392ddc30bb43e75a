// SPDX-License-Identifier: GPL-2.0
/*
 * Short-write cleanup of delalloc reservations: fs/iomap/buffered-io.c
 * iomap_file_buffered_write_punch_delalloc and its helpers (Linux 6.6,
 * with per-block dirty state), and the pre-6.2 behaviour behind
 * iomap_tunables.legacy_punch.
 *
 * Why the care: after a short write the filesystem must give back the
 * delalloc it reserved for the unwritten part, but other data may already
 * sit in the page cache over that reservation -- an mmap store (our fault
 * writes) that dirtied a folio in the range.  Punching the delalloc under a
 * dirty folio leaves dirty data with no space reservation; truncating the
 * page cache first (the old way) silently loses the store.  So: hold
 * invalidate_lock exclusive (no fault can dirty a folio meanwhile), find the
 * page-cache data in the range, keep what is dirty, punch the rest.
 *
 * Called from ->iomap_end, with the caller's i_rwsem exclusive and nothing
 * else held: never from a fault (it holds invalidate_lock shared).
 */
#include <errno.h>

#include "iomap_internal.h"
#include "trace.h"

static int iomap_punch(struct vfs_inode *inode, loff_t offset, loff_t length, iomap_punch_t punch)
{
	int error = punch(inode, offset, length);

	xf_trace("delalloc_punch", inode->i_ino, offset, length, "err=%d legacy=%d", error,
		 (int) atomic_load(&iomap_tunables.legacy_punch));

	if (!error)
		atomic_fetch_add(&iomap_stats.delalloc_punched, (uint64_t) length);
	return error;
}

/*
 * A dirty folio may still have clean blocks (per-block dirty state): punch
 * those of [start_byte, end_byte) within it.
 */
static int iomap_write_delalloc_ifs_punch(struct vfs_inode *inode, struct folio *folio,
					  loff_t start_byte, loff_t end_byte, iomap_punch_t punch)
{
	struct address_space *m = &inode->i_mapping;
	loff_t fpos = (loff_t) folio_pos(folio, m->pc);
	loff_t last_byte = end_byte - 1;
	unsigned int blkbits = inode->i_blkbits;
	unsigned int first_blk, last_blk, i, run = 0;
	int error;

	if (last_byte > fpos + (loff_t) mapping_folio_size(m) - 1)
		last_byte = fpos + (loff_t) mapping_folio_size(m) - 1;
	first_blk = (unsigned int) (offset_in_mapping_folio(m, start_byte) >> blkbits);
	last_blk = (unsigned int) (offset_in_mapping_folio(m, last_byte) >> blkbits);

	/* punch each run of clean blocks in one call */
	for (i = first_blk; i <= last_blk + 1; i++) {
		if (i <= last_blk && !ifs_block_is_dirty(folio, i)) {
			run++;
			continue;
		}
		if (run) {
			error = iomap_punch(inode, fpos + ((loff_t) (i - run) << blkbits),
					    (loff_t) run << blkbits, punch);
			if (error)
				return error;
			run = 0;
		}
	}
	return 0;
}

/* A dirty folio at start_byte: punch the clean gap before it, keep it. */
static int iomap_write_delalloc_punch(struct vfs_inode *inode, struct folio *folio,
				      loff_t *punch_start_byte, loff_t start_byte, loff_t end_byte,
				      iomap_punch_t punch)
{
	struct address_space *m = &inode->i_mapping;
	loff_t folio_end = (loff_t) folio_pos(folio, m->pc) + (loff_t) mapping_folio_size(m);
	int error;

	if (!folio_test_dirty(folio))
		return 0;

	if (start_byte > *punch_start_byte) {
		error = iomap_punch(inode, *punch_start_byte, start_byte - *punch_start_byte,
				    punch);
		if (error)
			return error;
	}

	error = iomap_write_delalloc_ifs_punch(inode, folio, start_byte, end_byte, punch);
	if (error)
		return error;

	/* the next punch starts at the end of this data, not of the folio */
	*punch_start_byte = end_byte < folio_end ? end_byte : folio_end;
	return 0;
}

/* Walk the folios of the cached data range [start_byte, end_byte). */
static int iomap_write_delalloc_scan(struct vfs_inode *inode, loff_t *punch_start_byte,
				     loff_t start_byte, loff_t end_byte, iomap_punch_t punch)
{
	struct address_space *m = &inode->i_mapping;
	size_t fsize = mapping_folio_size(m);

	while (start_byte < end_byte) {
		struct folio *folio;
		int error;

		folio = filemap_lock_folio(m, pos_to_index(m, start_byte));
		if (!folio) {
			start_byte = round_down_pow2(start_byte, fsize) + (loff_t) fsize;
			continue;
		}

		error = iomap_write_delalloc_punch(inode, folio, punch_start_byte, start_byte,
						   end_byte, punch);
		if (error) {
			folio_unlock(folio);
			folio_put(folio);
			return error;
		}

		/* move offset to start of next folio in range */
		start_byte = (loff_t) folio_pos(folio, m->pc) + (loff_t) fsize;
		folio_unlock(folio);
		folio_put(folio);
	}
	return 0;
}

/*
 * Punch [start_byte, end_byte) except under dirty page cache.  Inside EOF
 * the page cache is scanned for data (dirty or uptodate: 6.2's
 * mapping_seek_hole_data), and each data range is walked folio by folio;
 * past EOF everything goes.
 */
static int iomap_write_delalloc_release(struct vfs_inode *inode, loff_t start_byte, loff_t end_byte,
					iomap_punch_t punch)
{
	struct address_space *m = &inode->i_mapping;
	loff_t punch_start_byte = start_byte;
	loff_t scan_end_byte = (loff_t) vfs_i_size_read(inode);
	int error = 0;

	if (scan_end_byte > end_byte)
		scan_end_byte = end_byte;

	/*
	 * Keep page faults from instantiating and dirtying folios while we
	 * walk the cache and remove the delalloc extents behind it.
	 */
	filemap_invalidate_lock(inode);
	while (start_byte < scan_end_byte) {
		int64_t data_end;
		int64_t data;

		data = mapping_seek_data_range(m, (uint64_t) start_byte, (uint64_t) scan_end_byte,
					       true);
		/* no more data: all that is left is punched below */
		if (data < 0 || data >= scan_end_byte)
			break;
		start_byte = data;

		/* the end of this contiguous cached data range */
		data_end = mapping_seek_hole_range(m, (uint64_t) start_byte,
						   (uint64_t) scan_end_byte, true);
		/*
		 * The folio found at start_byte went between the two seeks
		 * (reclaim, or a direct write's invalidation: the invalidate
		 * lock keeps neither out): no data there now, look again.
		 * The kernel's fix, "iomap: handle a post-direct I/O
		 * invalidation race in iomap_write_delalloc_release"; before
		 * it, this was an EIO to the writer (the race tool's mmap
		 * workload under CPU load hit it: doc/race.md).
		 */
		if (data_end == start_byte)
			continue;
		if (data_end < start_byte) {
			error = -EIO;
			goto out_unlock;
		}

		error = iomap_write_delalloc_scan(inode, &punch_start_byte, start_byte, data_end,
						  punch);
		if (error)
			goto out_unlock;

		/* the next data search starts at the end of this one */
		start_byte = data_end;
	}

	if (punch_start_byte < end_byte)
		error = iomap_punch(inode, punch_start_byte, end_byte - punch_start_byte, punch);
out_unlock:
	filemap_invalidate_unlock(inode);
	return error;
}

/*
 * Before 6.2: throw away the page cache over the range, dirty or not, and
 * punch all of it.  An mmap store into the range is lost (DESIGN.md race 3).
 * invalidate_lock is taken only because our truncate_inode_pages_range
 * requires it; it does not save the store.
 */
static int iomap_write_delalloc_release_legacy(struct vfs_inode *inode, loff_t start_byte,
					       loff_t end_byte, iomap_punch_t punch)
{
	int error;

	filemap_invalidate_lock(inode);
	truncate_inode_pages_range(&inode->i_mapping, (uint64_t) start_byte,
				   (uint64_t) end_byte - 1);
	error = iomap_punch(inode, start_byte, end_byte - start_byte, punch);
	filemap_invalidate_unlock(inode);
	return error;
}

int iomap_file_buffered_write_punch_delalloc(struct vfs_inode *inode, struct iomap *iomap,
					     loff_t pos, loff_t length, ssize_t written,
					     iomap_punch_t punch)
{
	unsigned int blocksize = i_blocksize(inode);
	loff_t start_byte;
	loff_t end_byte;

	if (iomap->type != IOMAP_DELALLOC)
		return 0;

	/* If we didn't reserve the blocks, we're not allowed to punch them. */
	if (!(iomap->flags & IOMAP_F_NEW))
		return 0;

	/*
	 * start_byte is the first unused block after a short write; if
	 * nothing was written, the first block of the range.
	 */
	if (!written)
		start_byte = round_down_pow2(pos, blocksize);
	else
		start_byte = round_up_pow2(pos + written, blocksize);
	end_byte = round_up_pow2(pos + length, blocksize);

	/* Nothing to do if we've written the entire delalloc extent */
	if (start_byte >= end_byte)
		return 0;

	if (atomic_load(&iomap_tunables.legacy_punch))
		return iomap_write_delalloc_release_legacy(inode, start_byte, end_byte, punch);
	return iomap_write_delalloc_release(inode, start_byte, end_byte, punch);
}
