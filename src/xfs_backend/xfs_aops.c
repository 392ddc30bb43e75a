// SPDX-License-Identifier: GPL-2.0
/*
 * Writeback ops: fs/xfs/xfs_aops.c of Linux 6.6 (xfs_map_blocks,
 * xfs_end_ioend, xfs_discard_folio) and xfs_iomap_write_unwritten, on
 * libxfs 6.1.
 *
 *   map_blocks     runs with the folio locked.  The mapping cached in
 *                  wpc->iomap is reused while it covers the offset and the
 *                  data fork's sequence (wpc->data_seq) has not moved;
 *                  otherwise the fork is looked up again.  Delalloc is
 *                  allocated here, as *unwritten* extents
 *                  (xfs_bmapi_convert_delalloc), so a crash before the data
 *                  is written exposes zeroes, never stale blocks.
 *   end_io         runs on the completion worker after the data is on disk:
 *                  unwritten -> written in rolling transactions, and the
 *                  on-disk size moves up to min(io end, i_size).
 *   discard_folio  a folio that could not be mapped gives its delalloc back.
 *
 * ILOCK (the libxfs lock) is taken inside each op, after the folio lock:
 * the documented order folio lock -> ILOCK.
 */
#include "xb_internal.h"
#include "trace.h"

/*
 * Transactions that finish work the user was already told succeeded (the
 * I/O completion's conversion): the kernel passes force=true and may use
 * its reserve pool.  So do these (trans.c's xb_reserve_blocks, plus its
 * safety margin): ordinary reservations stop above them, these only at the
 * set-aside.
 */
int xfs_trans_alloc_force(struct xb_mount *m, struct xfs_trans_res *resv, unsigned int blocks,
			  struct xfs_trans **tpp)
{
	struct xfs_mount *mp = m->mp;

	if (m->readonly)
		return -EROFS;
	if (m->shutdown)
		return -EIO;
	if (mp->m_sb.sb_fdblocks < blocks + (uint64_t) mp->m_alloc_set_aside)
		return -ENOSPC;
	return xb_err(libxfs_trans_alloc(mp, resv, blocks, 0, XFS_TRANS_RESERVE, tpp));
}

static bool xfs_wpc_covers(const struct iomap_writepage_ctx *wpc, loff_t offset)
{
	if (wpc->iomap.type != IOMAP_MAPPED && wpc->iomap.type != IOMAP_UNWRITTEN)
		return false;
	return offset >= wpc->iomap.offset &&
	       (uint64_t) (offset - wpc->iomap.offset) < wpc->iomap.length;
}

/*
 * xfs_imap_valid: the cached mapping covers @offset and neither fork has
 * changed since it was looked up.  A COW mapping only has to cover it: its
 * staging blocks stay in the COW fork until their own I/O completes.
 */
static bool xfs_imap_valid(struct iomap_writepage_ctx *wpc, struct xfs_inode *ip, loff_t offset)
{
	struct xfs_ifork *cow;

	if (!xfs_wpc_covers(wpc, offset))
		return false;
	if (wpc->iomap.flags & IOMAP_F_SHARED)
		return true;
	if (wpc->data_seq != __atomic_load_n(&ip->i_df.if_seq, __ATOMIC_ACQUIRE))
		return false;
	cow = __atomic_load_n(&ip->i_cowfp, __ATOMIC_ACQUIRE);
	if (cow && wpc->cow_seq != __atomic_load_n(&cow->if_seq, __ATOMIC_ACQUIRE))
		return false;
	return true;
}

static void xfs_wb_count(struct iomap_writepage_ctx *wpc, bool revalidated, bool invalidated)
{
	if (!wpc->stats)
		return;
	if (revalidated)
		atomic_fetch_add(&wpc->stats->map_revalidated, 1);
	if (invalidated)
		atomic_fetch_add(&wpc->stats->map_invalidated, 1);
}

/*
 * xfs_convert_blocks: allocate the delalloc extent of @whichfork backing
 * @offset, in a loop because fragmented free space may take several
 * allocations before one covers @offset.  libxfs's
 * xfs_bmapi_convert_delalloc runs its own transaction (tr_write, no block
 * reservation, XFS_TRANS_RESERVE: the blocks were reserved with the
 * delalloc) and fills no iomap in libxfs 6.1, so the new extent is read
 * back from the fork.  In the COW fork it allocates unwritten staging
 * blocks and records them in the refcount btree.
 */
static int xfs_convert_blocks(struct iomap_writepage_ctx *wpc, struct xb_inode *xi, int whichfork,
			      loff_t offset)
{
	struct xfs_mount *mp = xi->m->mp;
	struct xfs_inode *ip = xi->ip;
	struct xfs_ifork *ifp = xfs_ifork_ptr(ip, whichfork);
	xfs_fileoff_t offset_fsb = XFS_B_TO_FSBT(mp, offset);
	bool cow = whichfork == XFS_COW_FORK;
	struct xfs_iext_cursor icur;
	struct xfs_bmbt_irec imap;
	unsigned int seq;
	int error;

	for (;;) {
		unsigned int before = ip->i_delayed_blks;

		if (xi->m->readonly || xi->m->shutdown)
			return -EIO;
		error = xb_err(
			xfs_bmapi_convert_delalloc(ip, whichfork, offset, &wpc->iomap, &seq));
		if (error)
			return error;
		atomic_fetch_add(&xfs_iomap_stats.delalloc_converted_blocks,
				 (uint64_t) (before - ip->i_delayed_blks));
		xf_trace(cow ? "cow_convert" : "delalloc_convert", xi->ino, offset,
			 XFS_FSB_TO_B(mp, before - ip->i_delayed_blks), "seq=%u", ifp->if_seq);
		if (!xfs_iext_lookup_extent(ip, ifp, offset_fsb, &icur, &imap) ||
		    imap.br_startoff > offset_fsb)
			return xb_err(-EFSCORRUPTED); /* the extent we converted is gone */
		if (!isnullstartblock(imap.br_startblock))
			break;
	}
	if (cow)
		wpc->cow_seq = ifp->if_seq;
	else
		wpc->data_seq = ifp->if_seq;
	return xfs_bmbt_to_iomap(xi, &wpc->iomap, &imap, cow ? IOMAP_F_SHARED : 0,
				 cow ? 0 : wpc->data_seq);
}

/*
 * Writeback of a block with a COW extent over it goes to the COW fork
 * (staging blocks, remapped at completion): xfs_map_blocks looks there
 * first.  Returns the first COW fork offset at or after @offset_fsb.
 */
static xfs_fileoff_t xfs_map_cow_start(struct xfs_inode *ip, xfs_fileoff_t offset_fsb,
				       struct xfs_bmbt_irec *cmap)
{
	struct xfs_iext_cursor icur;

	if (!xfs_inode_has_cow_data(ip) ||
	    !xfs_iext_lookup_extent(ip, ip->i_cowfp, offset_fsb, &icur, cmap))
		return NULLFILEOFF;
	return cmap->br_startoff;
}

static int xfs_map_cow_blocks(struct iomap_writepage_ctx *wpc, struct xb_inode *xi, loff_t offset,
			      struct xfs_bmbt_irec *cmap)
{
	wpc->cow_seq = xi->ip->i_cowfp->if_seq;
	if (isnullstartblock(cmap->br_startblock))
		return xfs_convert_blocks(wpc, xi, XFS_COW_FORK, offset);
	return xfs_bmbt_to_iomap(xi, &wpc->iomap, cmap, IOMAP_F_SHARED, 0);
}

/* Never let a data fork mapping run into COW fork blocks: they go elsewhere. */
static void xfs_trim_to_cow(struct iomap_writepage_ctx *wpc, xfs_fileoff_t cow_fsb,
			    struct xfs_mount *mp)
{
	uint64_t cow_pos;

	if (cow_fsb == NULLFILEOFF)
		return;
	cow_pos = (uint64_t) XFS_FSB_TO_B(mp, cow_fsb);
	if ((uint64_t) wpc->iomap.offset + wpc->iomap.length > cow_pos)
		wpc->iomap.length = cow_pos - (uint64_t) wpc->iomap.offset;
}

static int xfs_map_blocks_locked(struct iomap_writepage_ctx *wpc, struct xb_inode *xi,
				 loff_t offset)
{
	struct xfs_mount *mp = xi->m->mp;
	struct xfs_inode *ip = xi->ip;
	xfs_fileoff_t offset_fsb, end_fsb, cow_fsb;
	struct xfs_iext_cursor icur;
	struct xfs_bmbt_irec imap, cmap;
	bool cached;
	int error;

	if (!ip || xi->m->shutdown)
		return -EIO;
	cached = xfs_wpc_covers(wpc, offset);
	if (xfs_imap_valid(wpc, ip, offset)) {
		xfs_wb_count(wpc, true, false);
		xf_trace("wb_map_cached", xi->ino, offset, 0, "valid=1 seq=%llu",
			 (unsigned long long) wpc->data_seq);
		return 0;
	}
	xfs_wb_count(wpc, cached, cached);
	xf_trace("wb_map_lookup", xi->ino, offset, 0,
		 "cached=%d invalidated=%d old_seq=%llu seq=%u", cached, cached,
		 (unsigned long long) wpc->data_seq, ip->i_df.if_seq);

	error = xb_err(libxfs_iread_extents(NULL, ip, XFS_DATA_FORK));
	if (error)
		return error;
	offset_fsb = XFS_B_TO_FSBT(mp, offset);
	end_fsb = offset_fsb + 1;
	cow_fsb = xfs_map_cow_start(ip, offset_fsb, &cmap);
	if (cow_fsb <= offset_fsb) {
		error = xfs_map_cow_blocks(wpc, xi, offset, &cmap);
		return error ? error : xb_log_data_barrier(xi->m);
	}
	wpc->cow_seq = ip->i_cowfp ? ip->i_cowfp->if_seq : 0;
	if (!xfs_iext_lookup_extent(ip, &ip->i_df, offset_fsb, &icur, &imap))
		imap.br_startoff = end_fsb; /* fake a hole past EOF */
	wpc->data_seq = ip->i_df.if_seq;

	if (imap.br_startoff > offset_fsb) {
		/*
		 * A dirty block over a hole (xfs_map_blocks: "landed in a hole"):
		 * report the hole; iomap_writepage_map skips its blocks and tells
		 * the file, and writes the rest of the folio.
		 */
		imap.br_blockcount = imap.br_startoff - offset_fsb;
		imap.br_startoff = offset_fsb;
		imap.br_startblock = HOLESTARTBLOCK;
		imap.br_state = XFS_EXT_NORM;
		error = xfs_bmbt_to_iomap(xi, &wpc->iomap, &imap, 0, wpc->data_seq);
	} else if (isnullstartblock(imap.br_startblock)) {
		error = xfs_convert_blocks(wpc, xi, XFS_DATA_FORK, offset);
	} else {
		error = xfs_bmbt_to_iomap(xi, &wpc->iomap, &imap, 0, wpc->data_seq);
	}
	if (error)
		return error;
	xfs_trim_to_cow(wpc, cow_fsb, mp);
	/*
	 * Busy extents (doc/log.md): these blocks may have been freed by
	 * another file since the last checkpoint; that free must be durable
	 * before our data overwrites them.
	 */
	return xb_log_data_barrier(xi->m);
}

static int xfs_map_blocks(struct iomap_writepage_ctx *wpc, struct vfs_inode *inode, loff_t offset,
			  unsigned int len)
{
	struct xb_inode *xi = xb_from_vfs(inode);
	struct xfs_inode *ip = __atomic_load_n(&xi->ip, __ATOMIC_ACQUIRE);
	int error;

	(void) len; /* one block at a time, like the kernel's xfs_map_blocks */
	/*
	 * The cached mapping is checked without the lock first, as the
	 * kernel's xfs_map_blocks does before it takes the ILOCK: a lockless
	 * read of the fork sequences, the same argument as
	 * xfs_buffered_write_iomap_valid's (xfs_iomap.c).  A change racing
	 * with it is one writeback would have raced anyway: the blocks were
	 * mapped when we looked, and a punch or remap of them waits for this
	 * folio's writeback.
	 */
	if (ip && !xb_is_shutdown(xi->m) && xfs_imap_valid(wpc, ip, offset)) {
		xfs_wb_count(wpc, true, false);
		xf_trace("wb_map_cached", xi->ino, offset, 0, "valid=1 seq=%llu locked=0",
			 (unsigned long long) wpc->data_seq);
		return 0;
	}
	xb_lock();
	error = xfs_map_blocks_locked(wpc, xi, offset);
	xb_unlock();
	return error;
}

/*
 * xfs_new_eof: the on-disk size @new_size may move to -- never past the
 * in-memory i_size (a truncate may have cut it meanwhile) -- or 0 if it
 * would not grow.
 */
static uint64_t xfs_new_eof(struct xb_inode *xi, uint64_t new_size)
{
	uint64_t i_size = xfs_isize(xi);

	if (new_size > i_size)
		new_size = i_size;
	return new_size > (uint64_t) xi->ip->i_disk_size ? new_size : 0;
}

static int xfs_iomap_convert_one(struct xb_inode *xi, xfs_fileoff_t offset_fsb,
				 xfs_filblks_t count_fsb, uint64_t io_end, bool update_isize,
				 struct xfs_bmbt_irec *imap)
{
	struct xb_mount *m = xi->m;
	struct xfs_mount *mp = m->mp;
	struct xfs_inode *ip = xi->ip;
	unsigned int resblks = XFS_DIOSTRAT_SPACE_RES(mp, 0) << 1;
	struct xfs_trans *tp;
	uint64_t i_size;
	int nimaps = 1, error;

	/* Two full bmbt splits: converting the middle of an extent adds two. */
	error = xfs_trans_alloc_force(m, &M_RES(mp)->tr_write, resblks, &tp);
	if (error)
		return error;
	libxfs_trans_ijoin(tp, ip, 0);
	error = xb_err(
		xfs_iext_count_may_overflow(ip, XFS_DATA_FORK, XFS_IEXT_WRITE_UNWRITTEN_CNT));
	if (error == -EFBIG)
		error = xb_err(xfs_iext_count_upgrade(tp, ip, XFS_IEXT_WRITE_UNWRITTEN_CNT));
	if (!error)
		error = xb_err(libxfs_bmapi_write(tp, ip, offset_fsb, count_fsb, XFS_BMAPI_CONVERT,
						  resblks, imap, &nimaps));
	if (error) {
		xb_trans_cancel(m, tp);
		return error;
	}
	/* Log the size as we go, never past the end of the I/O. */
	i_size = (uint64_t) (offset_fsb + count_fsb) << mp->m_sb.sb_blocklog; /* may be 2^63 */
	if (i_size > io_end)
		i_size = io_end;
	/*
	 * A direct write moves i_size here, after the conversion and before
	 * the on-disk size: earlier, a racing direct read could find the
	 * unwritten extents inside EOF still unconverted.
	 */
	if (update_isize && xb_vfs_inode(xi) && i_size > xfs_isize(xi))
		vfs_i_size_write(xb_vfs_inode(xi), i_size);
	i_size = xfs_new_eof(xi, i_size);
	if (i_size) {
		ip->i_disk_size = i_size;
		libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
	}
	error = xb_trans_commit(tp);
	if (error)
		return error;
	if (nimaps == 0 || imap->br_blockcount == 0)
		return xb_err(-EFSCORRUPTED);
	if (!xfs_valid_startblock(ip, imap->br_startblock))
		return xb_err(-EFSCORRUPTED);
	return 0;
}

/*
 * xfs_iomap_write_unwritten: [offset, offset+count) has been written; mark
 * its unwritten extents written, one transaction per extent touched.
 * @update_isize (direct writes): i_size follows the converted range.
 */
int xfs_iomap_write_unwritten(struct xb_inode *xi, uint64_t offset, uint64_t count,
			      bool update_isize)
{
	struct xfs_mount *mp = xi->m->mp;
	xfs_fileoff_t offset_fsb = XFS_B_TO_FSBT(mp, offset);
	xfs_filblks_t count_fsb = XFS_B_TO_FSB(mp, offset + count) - offset_fsb;

	while (count_fsb > 0) {
		struct xfs_bmbt_irec imap;
		int error = xfs_iomap_convert_one(xi, offset_fsb, count_fsb, offset + count,
						  update_isize, &imap);

		if (error)
			return error;
		if (imap.br_blockcount > count_fsb)
			imap.br_blockcount = count_fsb;
		offset_fsb += imap.br_blockcount;
		count_fsb -= imap.br_blockcount;
	}
	atomic_fetch_add(&xfs_iomap_stats.unwritten_converted_bytes, count);
	xf_trace("unwritten_convert", xi->ino, offset, count, "seq=%u disk_size=%lld",
		 xi->ip->i_df.if_seq, (long long) xi->ip->i_disk_size);
	return 0;
}

/* xfs_setfilesize: log the on-disk size after an appending write. */
int xfs_setfilesize(struct xb_inode *xi, uint64_t offset, uint64_t size)
{
	struct xb_mount *m = xi->m;
	struct xfs_trans *tp;
	uint64_t isize;
	int error;

	error = xfs_trans_alloc_force(m, &M_RES(m->mp)->tr_fsyncts, 0, &tp);
	if (error)
		return error;
	isize = xfs_new_eof(xi, offset + size);
	if (!isize) {
		libxfs_trans_cancel(tp);
		return 0;
	}
	xi->ip->i_disk_size = isize;
	libxfs_trans_ijoin(tp, xi->ip, 0);
	libxfs_trans_log_inode(tp, xi->ip, XFS_ILOG_CORE);
	return xb_trans_commit(tp);
}

/*
 * xfs_end_ioend.  On a data write error nothing is converted: the blocks
 * stay unwritten (they read as zeroes) and the error goes to the mapping
 * (the engine records it for fsync); COW staging blocks are freed.  A COW
 * ioend remaps its staging blocks into the data fork instead.
 */
static int xfs_end_ioend_locked(struct xb_inode *xi, struct iomap_ioend *ioend)
{
	uint64_t offset = (uint64_t) ioend->io_offset, size = ioend->io_size;
	int error;

	if (!xi->ip || xi->m->shutdown)
		return -EIO;
	if (ioend->io_error) {
		/* Staging blocks that were not written go back (xfs_end_ioend). */
		if (ioend->io_flags & IOMAP_F_SHARED)
			xfs_reflink_cancel_cow_range(xi, offset, ioend->io_disk_len, true);
		return ioend->io_error;
	}
	if (ioend->io_flags & IOMAP_F_SHARED) {
		error = xfs_reflink_end_cow(xi, offset, ioend->io_disk_len);
		if (error)
			return error;
	} else if (ioend->io_type == IOMAP_UNWRITTEN) {
		error = xfs_iomap_write_unwritten(xi, offset, size, false);
		if (error)
			return error;
	}
	if (offset + size > (uint64_t) xi->ip->i_disk_size) /* xfs_ioend_is_append */
		return xfs_setfilesize(xi, offset, size);
	return 0;
}

static int xfs_end_io(struct vfs_inode *inode, struct iomap_ioend *ioend)
{
	struct xb_inode *xi = xb_from_vfs(inode);
	int error;

	xb_lock();
	error = xfs_end_ioend_locked(xi, ioend);
	xb_unlock();
	if (error && error != ioend->io_error)
		fprintf(stderr, "xfsfuse: I/O completion of inode %llu [%lld, +%zu) failed: %s\n",
			(unsigned long long) inode->i_ino, (long long) ioend->io_offset,
			ioend->io_size, strerror(-error));
	return error;
}

/*
 * xfs_discard_folio: writeback could not map this folio.  The punch range
 * always ends at the end of the folio, whatever @pos, so the delalloc under
 * the blocks that were not mapped is returned.
 */
static void xfs_discard_folio(struct folio *folio, loff_t pos)
{
	struct address_space *mapping = folio->mapping;
	struct vfs_inode *inode = mapping->host;
	struct xb_inode *xi = xb_from_vfs(inode);
	uint64_t end = folio_pos(folio, mapping->pc) + mapping->pc->folio_size;

	xb_lock();
	if (xi->ip && !xi->m->shutdown) {
		fprintf(stderr, "xfsfuse: discarding folio of inode %llu at %lld\n",
			(unsigned long long) xi->ino, (long long) pos);
		xfs_bmap_punch_delalloc_range(xi, pos, end);
		xf_trace("discard_folio", xi->ino, pos, end - (uint64_t) pos, "seq=%u",
			 xi->ip->i_df.if_seq);
	}
	xb_unlock();
}

/*
 * xfs_ioend_needs_wq_completion: unwritten extents to convert, staging
 * blocks to remap, or an on-disk size to move take a transaction on the
 * completion worker; a plain overwrite inside the on-disk size needs none.
 * The size is read without the lock, as the kernel's xfs_ioend_is_append
 * does: it only grows under writeback (a truncate waits for the writeback
 * of what it cuts), so a stale value can only send an ioend to the worker
 * that did not need it.  A stale inode (no libxfs copy) goes there too,
 * for ->end_io to report it.
 */
static bool xfs_ioend_needs_wq_completion(struct xb_inode *xi, const struct iomap_ioend *ioend)
{
	struct xfs_inode *ip = __atomic_load_n(&xi->ip, __ATOMIC_ACQUIRE);

	if (ioend->io_type == IOMAP_UNWRITTEN || (ioend->io_flags & IOMAP_F_SHARED) || !ip)
		return true;
	return (uint64_t) ioend->io_offset + ioend->io_size >
	       (uint64_t) __atomic_load_n(&ip->i_disk_size, __ATOMIC_RELAXED);
}

/*
 * xfs_prepare_ioend: COW staging blocks turn written just before the data
 * goes out; ioends that need no transaction complete without the worker.
 */
static int xfs_prepare_ioend(struct iomap_ioend *ioend)
{
	struct xb_inode *xi = xb_from_vfs(ioend->io_inode);
	int error = 0;

	ioend->io_fs_end_io = xfs_ioend_needs_wq_completion(xi, ioend);
	if (!(ioend->io_flags & IOMAP_F_SHARED))
		return 0;
	xb_lock();
	error = xi->ip ? xfs_reflink_convert_cow(xi, (uint64_t) ioend->io_offset,
						 ioend->io_disk_len)
		       : -EIO;
	xb_unlock();
	return error;
}

const struct iomap_writeback_ops xfs_writeback_ops = {
	.map_blocks = xfs_map_blocks,
	.end_io = xfs_end_io,
	.prepare_ioend = xfs_prepare_ioend,
	.discard_folio = xfs_discard_folio,
};
