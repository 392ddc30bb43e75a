// SPDX-License-Identifier: GPL-2.0
/*
 * iomap_writepages: the writeback half of fs/iomap/buffered-io.c (Linux
 * 6.7-ish shape: per dirty block *range* map_blocks, PG_writeback set early
 * with a submission bias, ioends built across folios).
 *
 * Per folio, with the folio LOCKED and its PG_dirty already cleared by
 * write_cache_pages():
 *   - EOF: a folio wholly past i_size is dropped, a straddling one has its
 *     tail past i_size zeroed (iomap_writepage_handle_eof);
 *   - PG_writeback is set, with a bias in folio->wb_pending so that no
 *     completion can end it before all its blocks are submitted;
 *   - each dirty block run below EOF is mapped by ->map_blocks (cached
 *     mapping revalidated by the filesystem) and added to the current
 *     ioend, or to a new one when it is not contiguous with it;
 *   - the per-block dirty bits are cleared, the folio unlocked, the ioends
 *     that were closed meanwhile are submitted, and the bias is dropped.
 * Submission writes the data on the calling thread and queues the ioend to
 * the completion worker (wpc->bdi) when the filesystem must see its
 * completion, else completes it inline.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wb_internal.h"
#include "trace.h"

/* Closed ioends waiting for the folio to be unlocked (the kernel's submit_list). */
struct wb_submit_list {
	struct iomap_ioend *head, **tailp;
};

static void iomap_submit_ioend(struct iomap_writepage_ctx *wpc, struct iomap_ioend *ioend)
{
	if (ioend->io_ops->prepare_ioend)
		ioend->io_error = ioend->io_ops->prepare_ioend(ioend);
	if (!ioend->io_error)
		ioend->io_error = iomap_ioend_write(ioend);
	xf_trace("ioend_submit", ioend->io_inode->i_ino, ioend->io_offset, ioend->io_size,
		 "type=%s addr=%llu disk_len=%zu err=%d", xf_iomap_type_name(ioend->io_type),
		 (unsigned long long) ioend->io_addr, ioend->io_disk_len, ioend->io_error);
	if (wpc->stats) {
		atomic_fetch_add(&wpc->stats->ioends, 1);
		if (ioend->io_error)
			atomic_fetch_add(&wpc->stats->write_errors, 1);
		else
			atomic_fetch_add(&wpc->stats->bytes_written, ioend->io_disk_len);
	}
	/*
	 * Only completions the filesystem must see go through the worker;
	 * the others end their folios' writeback here, as the kernel's bio
	 * completion does for them, without a wake-up per ioend.
	 */
	if (ioend->io_bdi && ioend->io_fs_end_io) {
		bdi_queue_ioend(ioend->io_bdi, ioend);
		return;
	}
	if (ioend->io_bdi && wpc->stats)
		atomic_fetch_add(&wpc->stats->ioends_inline, 1);
	iomap_finish_ioend(ioend);
}

static void iomap_submit_list(struct iomap_writepage_ctx *wpc, struct wb_submit_list *list)
{
	struct iomap_ioend *ioend = list->head;

	while (ioend) {
		struct iomap_ioend *next = ioend->io_next;

		ioend->io_next = NULL;
		iomap_submit_ioend(wpc, ioend);
		ioend = next;
	}
	list->head = NULL;
	list->tailp = &list->head;
}

/*
 * Can the blocks at @pos (@len bytes, mapped by wpc->iomap) go at the end
 * of the current ioend?  Same type and sharing, contiguous in the file and
 * on the image, and the ioend not full (iomap_can_add_to_ioend).
 */
static bool iomap_can_add_to_ioend(struct iomap_writepage_ctx *wpc, struct folio *folio, loff_t pos,
				   size_t len)
{
	struct iomap_ioend *ioend = wpc->ioend;
	uint64_t addr = wpc->iomap.addr + (uint64_t) (pos - wpc->iomap.offset);

	if ((wpc->iomap.flags & IOMAP_F_SHARED) != (ioend->io_flags & IOMAP_F_SHARED))
		return false;
	if (wpc->iomap.type != ioend->io_type)
		return false;
	if ((uint64_t) pos != (uint64_t) ioend->io_offset + ioend->io_disk_len)
		return false;
	if (addr != ioend->io_addr + ioend->io_disk_len)
		return false;
	if (ioend->io_disk_len + len > IOMAP_IOEND_MAX_BYTES)
		return false;
	return iomap_ioend_has_room(ioend, folio);
}

/*
 * Add [pos, pos+len) of @folio to wpc->ioend, closing it first if the blocks
 * cannot follow.  io_size is clamped to the EOF sampled for this folio
 * (@end_pos) so that the on-disk size moved by completion is byte-exact;
 * the data write itself covers whole blocks (io_disk_len).
 */
static int iomap_add_to_ioend(struct iomap_writepage_ctx *wpc, struct folio *folio,
			      struct vfs_inode *inode, loff_t pos, size_t len, uint64_t end_pos,
			      struct wb_submit_list *submit)
{
	struct page_cache *pc = inode->i_mapping.pc;
	uint64_t end;

	if (!wpc->ioend || !iomap_can_add_to_ioend(wpc, folio, pos, len)) {
		if (wpc->ioend) {
			*submit->tailp = wpc->ioend;
			submit->tailp = &wpc->ioend->io_next;
		}
		wpc->ioend = iomap_alloc_ioend(wpc, inode, pos);
		if (!wpc->ioend)
			return -ENOMEM;
	}
	iomap_ioend_add_folio(wpc->ioend, folio, (size_t) ((uint64_t) pos - folio_pos(folio, pc)),
			      len);
	end = (uint64_t) pos + len;
	if (end > end_pos)
		end = end_pos;
	if (end - (uint64_t) wpc->ioend->io_offset > wpc->ioend->io_size)
		wpc->ioend->io_size = end - (uint64_t) wpc->ioend->io_offset;
	return 0;
}

/*
 * Dirty blocks over a hole: nothing can be written there.  Linux 6.1's
 * iomap_writepage_map skips them too.  Writes reserve delalloc before they
 * dirty a block and punches invalidate the page cache before they unmap, so
 * this is a filesystem bug, not a race: only these blocks are skipped, the
 * file is told (EIO at its next fsync), the rest of the folio is written.
 */
static void iomap_writepage_hole(struct iomap_writepage_ctx *wpc, struct vfs_inode *inode,
				 loff_t pos, size_t len)
{
	uint64_t nblocks = len >> inode->i_mapping.blkbits;

	fprintf(stderr,
		"xfsfuse: writeback of inode %llu: %llu dirty block(s) at %lld over a hole\n",
		(unsigned long long) inode->i_ino, (unsigned long long) nblocks, (long long) pos);
	xf_trace("wb_hole", inode->i_ino, pos, len, "blocks=%llu", (unsigned long long) nblocks);
	if (wpc->stats)
		atomic_fetch_add(&wpc->stats->hole_blocks, nblocks);
	mapping_set_error(&inode->i_mapping, -EIO);
}

/*
 * Map one dirty run [pos, pos+dirty_len) of the folio, possibly with several
 * mappings (iomap_writepage_map_blocks).  On a mapping error the filesystem
 * is told which part of the folio could not be mapped (->discard_folio).
 * Running out of memory for an ioend is not that: the blocks are mapped, the
 * data is good, it only could not be queued.  Then *@keep_from says where in
 * the folio the dirty bits must stay, and the folio is written later (the
 * kernel's bio allocation cannot fail; ours can).
 */
static int iomap_writepage_map_blocks(struct iomap_writepage_ctx *wpc, struct folio *folio,
				      struct vfs_inode *inode, loff_t pos, size_t dirty_len,
				      uint64_t end_pos, unsigned int *count,
				      struct wb_submit_list *submit, size_t *keep_from)
{
	int error;

	do {
		uint64_t map_end;
		size_t map_len;

		iomap_inject(INJECT_WB_BEFORE_MAP, inode, pos);
		error = wpc->ops->map_blocks(wpc, inode, pos, (unsigned int) dirty_len);
		xf_trace("wb_map", inode->i_ino, pos, dirty_len,
			 "err=%d type=%s map=%lld+%llu addr=%lld", error,
			 xf_iomap_type_name(wpc->iomap.type), (long long) wpc->iomap.offset,
			 (unsigned long long) wpc->iomap.length,
			 wpc->iomap.addr == IOMAP_NULL_ADDR ? -1LL : (long long) wpc->iomap.addr);
		if (error)
			break;
		map_end = (uint64_t) wpc->iomap.offset + wpc->iomap.length;
		if (wpc->iomap.offset > pos || map_end <= (uint64_t) pos) {
			error = -EIO; /* the filesystem did not map @pos */
			break;
		}
		map_len = dirty_len;
		if (map_end - (uint64_t) pos < map_len)
			map_len = (size_t) (map_end - (uint64_t) pos);

		switch (wpc->iomap.type) {
		case IOMAP_HOLE:
			iomap_writepage_hole(wpc, inode, pos, map_len);
			break;
		case IOMAP_MAPPED:
		case IOMAP_UNWRITTEN:
			error = iomap_add_to_ioend(wpc, folio, inode, pos, map_len, end_pos,
						   submit);
			if (error == -ENOMEM) {
				*keep_from = (size_t) ((uint64_t) pos -
						       folio_pos(folio, inode->i_mapping.pc));
				return error;
			}
			if (!error)
				(*count)++;
			break;
		default:
			error = -EIO; /* delalloc must have been converted */
			break;
		}
		dirty_len -= map_len;
		pos += (loff_t) map_len;
	} while (dirty_len && !error);

	if (error && wpc->ops->discard_folio)
		wpc->ops->discard_folio(folio, pos);
	return error;
}

/*
 * iomap_writepage_handle_eof: false if the folio lies wholly past i_size
 * (it is being truncated: nothing to write); else zero the part of a
 * straddling folio past i_size -- an mmap store may have put data there, and
 * it must not reach the image -- and trim *@end_pos to i_size.
 */
static bool iomap_writepage_handle_eof(struct folio *folio, struct vfs_inode *inode,
				       uint64_t *end_pos)
{
	struct page_cache *pc = inode->i_mapping.pc;
	uint64_t isize = vfs_i_size_read(inode);
	uint64_t pos = folio_pos(folio, pc);

	if (*end_pos <= isize)
		return true;
	if (pos >= isize)
		return false;
	memset(folio->data + (isize - pos), 0, (size_t) (*end_pos - isize));
	*end_pos = isize;
	return true;
}

static int iomap_writepage_map(struct iomap_writepage_ctx *wpc, struct writeback_control *wbc,
			       struct folio *folio)
{
	struct address_space *mapping = folio->mapping;
	struct vfs_inode *inode = mapping->host;
	struct page_cache *pc = mapping->pc;
	unsigned int blkbits = mapping->blkbits;
	uint64_t pos = folio_pos(folio, pc);
	uint64_t end_pos = pos + pc->folio_size;
	struct wb_submit_list submit = {NULL, &submit.head};
	unsigned int count = 0, blk = 0, end_blk, nblks;
	size_t keep_from = pc->folio_size;
	int error = 0;

	(void) wbc;
	if (!iomap_writepage_handle_eof(folio, inode, &end_pos)) {
		ifs_clear_range_dirty(folio, 0, pc->folio_size);
		folio_unlock(folio);
		return 0;
	}

	/* The bias: our own completions cannot end writeback before we do. */
	atomic_fetch_add(&folio->wb_pending, 1);
	folio_start_writeback(folio);

	end_blk = (unsigned int) ((end_pos - pos + (1U << blkbits) - 1) >> blkbits);
	while (blk < end_blk && (nblks = ifs_find_dirty_range(folio, &blk)) != 0) {
		if (blk >= end_blk)
			break;
		if (nblks > end_blk - blk)
			nblks = end_blk - blk;
		error = iomap_writepage_map_blocks(
			wpc, folio, inode, (loff_t) (pos + ((uint64_t) blk << blkbits)),
			(size_t) nblks << blkbits, end_pos, &count, &submit, &keep_from);
		if (error)
			break;
		blk += nblks;
	}
	if (count && wpc->stats)
		atomic_fetch_add(&wpc->stats->folios_written, 1);

	/*
	 * Dirty bits past EOF (mmap stores) and of failed runs go too, except
	 * from where no ioend could be had: that part is still to be written
	 * (folio_redirty_for_writepage).  The caller sees ENOMEM (an fsync
	 * fails and can be retried), the file records no error: nothing is lost.
	 */
	ifs_clear_range_dirty(folio, 0, keep_from);
	if (keep_from < pc->folio_size) {
		filemap_dirty_folio(folio);
		if (wpc->stats)
			atomic_fetch_add(&wpc->stats->redirtied, 1);
		xf_trace("wb_redirty", inode->i_ino, (loff_t) (pos + keep_from),
			 pc->folio_size - keep_from, "error=%d", error);
	}
	folio_unlock(folio);

	iomap_submit_list(wpc, &submit);
	iomap_finish_folio_write(folio); /* drop the bias */
	if (error && keep_from == pc->folio_size)
		mapping_set_error(mapping, error);
	return error;
}

static int iomap_do_writepage(struct folio *folio, struct writeback_control *wbc, void *data)
{
	return iomap_writepage_map(data, wbc, folio);
}

int iomap_writepages(struct address_space *mapping, struct writeback_control *wbc,
		     struct iomap_writepage_ctx *wpc, const struct iomap_writeback_ops *ops)
{
	int ret;

	wpc->ops = ops;
	ret = write_cache_pages(mapping, wbc, iomap_do_writepage, wpc);
	if (wpc->ioend) {
		iomap_submit_ioend(wpc, wpc->ioend);
		wpc->ioend = NULL;
	}
	return ret;
}
