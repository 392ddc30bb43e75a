// SPDX-License-Identifier: GPL-2.0
/*
 * Copy-on-write of shared blocks: fs/xfs/xfs_reflink.c of Linux 6.6, on
 * libxfs 6.1 (which has the refcount btree, the COW fork and the deferred
 * refcount/bmap updates, but none of xfs_reflink.c).  doc/reflink.md tells
 * the whole story; in short:
 *
 *   write      ->iomap_begin finds the data fork extent shared (refcount
 *              btree) and reserves delalloc in the COW fork instead of
 *              writing in place; the engine reads the old blocks from the
 *              data fork (srcmap) for partial blocks.
 *   writeback  map_blocks looks at the COW fork first and allocates its
 *              delalloc as unwritten staging extents (a CoW record in the
 *              refcount btree); before the data goes out the range turns
 *              written, in the incore COW fork only.
 *   completion the written staging blocks are remapped into the data fork:
 *              old extent unmapped and its refcount dropped, CoW record
 *              freed, new extent mapped (xfs_reflink_end_cow).
 *   cancel     staging blocks nobody will remap (failed I/O, truncate,
 *              inode teardown) go back (xfs_reflink_cancel_cow_blocks);
 *              leftovers of a crash are freed at mount (recover).
 *
 * The COW fork is never logged: on disk, only the refcount btree's CoW
 * records say that staging blocks exist.  Callers hold xb_lock (ILOCK).
 */
#include "xb_internal.h"
#include "trace.h"

/* libxfs 6.1 exports it but declares it only inside xfs_bmap.c. */
int xfs_bmap_add_extent_unwritten_real(struct xfs_trans *tp, struct xfs_inode *ip, int whichfork,
				       struct xfs_iext_cursor *icur, struct xfs_btree_cur **curp,
				       struct xfs_bmbt_irec *new, int *logflagsp);

/* The kernel's XFS_DEFAULT_COWEXTSZ_HINT: 32 blocks. */
#define XFS_DEFAULT_COWEXTSZ_HINT 32

/* libxfs 6.1's xfs_mod_fdblocks is a macro of its private header over this. */
int libxfs_mod_incore_sb(struct xfs_mount *mp, int field, int64_t delta, int rsvd);

static int xfs_mod_fdblocks(struct xfs_mount *mp, int64_t delta)
{
	return xb_err(libxfs_mod_incore_sb(mp, XFS_TRANS_SB_FDBLOCKS, delta, 0));
}

struct xfs_reflink_stats xfs_reflink_stats;

bool xfs_inode_has_cow_data(struct xfs_inode *ip)
{
	return ip->i_cowfp && ip->i_cowfp->if_bytes;
}

/*
 * xfs_get_cowextsz_hint: the COW extent size hint, or the extent size hint
 * if larger, or 32 blocks.  (libxfs 6.1 stubs it to 0, so its delalloc
 * reservation never aligns COW extents: xfs_reflink_reserve_cow does.)
 */
static xfs_extlen_t xfs_get_cowextsz_hint(struct xfs_inode *ip)
{
	xfs_extlen_t a = 0, b = 0;

	if (ip->i_diflags2 & XFS_DIFLAG2_COWEXTSIZE)
		a = ip->i_cowextsize;
	if (ip->i_diflags & XFS_DIFLAG_EXTSIZE)
		b = ip->i_extsize;
	a = max(a, b);
	return a ? a : XFS_DEFAULT_COWEXTSZ_HINT;
}

/* xfs_reflink_find_shared: the first shared run of an AG extent (NULLAGBLOCK: none). */
int xfs_reflink_find_shared(struct xfs_mount *mp, xfs_agnumber_t agno, xfs_agblock_t agbno,
			    xfs_extlen_t aglen, xfs_agblock_t *fbno, xfs_extlen_t *flen)
{
	struct xfs_perag *pag = xfs_perag_get(mp, agno);
	struct xfs_btree_cur *cur;
	struct xfs_buf *agbp;
	int error;

	if (!pag)
		return -EFSCORRUPTED;
	error = xfs_alloc_read_agf(pag, NULL, 0, &agbp);
	if (!error) {
		cur = libxfs_refcountbt_init_cursor(mp, NULL, agbp, pag);
		error = xfs_refcount_find_shared(cur, agbno, aglen, fbno, flen, true);
		libxfs_btree_del_cursor(cur, error);
		libxfs_trans_brelse(NULL, agbp);
	}
	xfs_perag_put(pag);
	return error;
}

/*
 * xfs_reflink_trim_around_shared: trim a written data fork mapping to the
 * shared run at its start (*shared = true) or to the unshared part before
 * the first shared run.  Holes, delalloc and unwritten are never shared.
 */
static int xfs_reflink_trim_around_shared(struct xfs_inode *ip, struct xfs_bmbt_irec *irec,
					  bool *shared)
{
	struct xfs_mount *mp = ip->i_mount;
	xfs_agblock_t agbno, fbno;
	xfs_extlen_t aglen, flen;
	int error;

	*shared = false;
	if (!xfs_is_reflink_inode(ip) || !xfs_bmap_is_written_extent(irec))
		return 0;
	agbno = XFS_FSB_TO_AGBNO(mp, irec->br_startblock);
	aglen = irec->br_blockcount;
	error = xfs_reflink_find_shared(mp, XFS_FSB_TO_AGNO(mp, irec->br_startblock), agbno, aglen,
					&fbno, &flen);
	if (error)
		return error;
	if (fbno == NULLAGBLOCK)
		return 0;
	if (fbno == agbno) {
		irec->br_blockcount = flen;
		*shared = true;
		return 0;
	}
	irec->br_blockcount = fbno - agbno;
	return 0;
}

int xfs_bmap_trim_cow(struct xfs_inode *ip, struct xfs_bmbt_irec *imap, bool *shared)
{
	return xfs_reflink_trim_around_shared(ip, imap, shared);
}

/*
 * Insert a COW fork delalloc extent [aoff, aoff+alen) at @ccur, debiting
 * the blocks and their worst-case indirect blocks from sb_fdblocks: what
 * xfs_bmapi_reserve_delalloc does for the COW fork.  libxfs 6.1 cannot do it
 * itself: its stubbed COW extent size hint of 0 reaches a division in
 * xfs_bmap_extsize_align.  The record is not merged with its neighbours
 * (xfs_bmap_add_extent_hole_delay is private to libxfs); the fork stays
 * correct, only less compact.
 */
static int xfs_cow_insert_delalloc(struct xfs_inode *ip, xfs_fileoff_t aoff, xfs_filblks_t alen,
				   struct xfs_bmbt_irec *cmap, struct xfs_iext_cursor *ccur)
{
	struct xfs_mount *mp = ip->i_mount;
	xfs_filblks_t indlen = xfs_bmap_worst_indlen(ip, alen);
	int error;

	error = xfs_mod_fdblocks(mp, -(int64_t) alen);
	if (error)
		return error;
	error = xfs_mod_fdblocks(mp, -(int64_t) indlen);
	if (error) {
		xfs_mod_fdblocks(mp, (int64_t) alen);
		return error;
	}
	ip->i_delayed_blks += alen;
	cmap->br_startoff = aoff;
	cmap->br_startblock = nullstartblock(indlen);
	cmap->br_blockcount = alen;
	cmap->br_state = XFS_EXT_NORM;
	xfs_iext_insert(ip, ccur, cmap, BMAP_COWFORK);
	return 0;
}

/*
 * Reserve COW fork delalloc for [off, end), widened to the COW extent size
 * hint but never over a neighbouring COW extent (the kernel's
 * xfs_bmap_extsize_align in xfs_bmapi_reserve_delalloc).  @cmap/@ccur/
 * @cow_eof: the COW fork lookup at @off, which found nothing covering it.
 * On return @cmap is the reserved extent.
 */
int xfs_reflink_reserve_cow(struct xb_inode *xi, xfs_fileoff_t off, xfs_fileoff_t end,
			    struct xfs_bmbt_irec *cmap, struct xfs_iext_cursor *ccur, bool cow_eof)
{
	struct xfs_inode *ip = xi->ip;
	struct xfs_ifork *cfp = ip->i_cowfp;
	xfs_extlen_t hint = xfs_get_cowextsz_hint(ip);
	xfs_fileoff_t aoff, aend;
	struct xfs_iext_cursor pcur = *ccur;
	struct xfs_bmbt_irec prev;
	int error;

	/* Never over the next COW extent (xfs_bmapi_reserve_delalloc caps at got). */
	if (!cow_eof)
		end = min(end, cmap->br_startoff);
	aoff = off - off % hint;
	aend = (end + hint - 1) / hint * hint;
	if (xfs_iext_peek_prev_extent(cfp, &pcur, &prev))
		aoff = max(aoff, prev.br_startoff + prev.br_blockcount);
	if (!cow_eof)
		aend = min(aend, cmap->br_startoff);
	aend = min(aend,
		   (xfs_fileoff_t) XFS_B_TO_FSB(ip->i_mount, xfs_iomap_maxbytes(ip->i_mount)));
	aend = min(aend, aoff + XFS_MAX_BMBT_EXTLEN);
	if (aoff > off || aend < end) { /* the hint cannot fit: just the write */
		aoff = off;
		aend = min(end, off + XFS_MAX_BMBT_EXTLEN);
	}
	if (!xb_space_available(xi->m, aend - aoff + xfs_bmap_worst_indlen(ip, aend - aoff))) {
		aoff = off; /* no room for the hint: just the write */
		aend = min(end, off + XFS_MAX_BMBT_EXTLEN);
		if (!xb_space_available(xi->m, aend - off + xfs_bmap_worst_indlen(ip, aend - off)))
			return -ENOSPC;
	}
	error = xfs_cow_insert_delalloc(ip, aoff, aend - aoff, cmap, ccur);
	if (error)
		return error;
	atomic_fetch_add(&xfs_reflink_stats.cow_reserved_blocks, aend - aoff);
	xf_trace("cow_reserve", xi->ino, XFS_FSB_TO_B(ip->i_mount, aoff),
		 XFS_FSB_TO_B(ip->i_mount, aend - aoff), "write_fsb=%llu+%llu cow_seq=%u",
		 (unsigned long long) off, (unsigned long long) (end - off), cfp->if_seq);
	return 0;
}

/*
 * xfs_reflink_convert_cow: the staging blocks of [offset, offset+count)
 * are about to be written; mark them written in the incore COW fork, so
 * that completion remaps them and only them.  No transaction: the COW fork
 * is not logged.
 */
int xfs_reflink_convert_cow(struct xb_inode *xi, uint64_t offset, uint64_t count)
{
	struct xfs_mount *mp = xi->m->mp;
	struct xfs_inode *ip = xi->ip;
	xfs_fileoff_t offset_fsb = XFS_B_TO_FSBT(mp, offset);
	xfs_filblks_t count_fsb = XFS_B_TO_FSB(mp, offset + count) - offset_fsb;
	struct xfs_btree_cur *dummy_cur = NULL;
	struct xfs_iext_cursor icur;
	struct xfs_bmbt_irec got;
	int dummy_logflags, error = 0;

	if (!ip->i_cowfp || !xfs_iext_lookup_extent(ip, ip->i_cowfp, offset_fsb, &icur, &got))
		return 0;
	do {
		if (got.br_startoff >= offset_fsb + count_fsb)
			break;
		if (got.br_state == XFS_EXT_NORM)
			continue;
		if (isnullstartblock(got.br_startblock))
			return xb_err(-EFSCORRUPTED); /* writeback allocated it */
		xfs_trim_extent(&got, offset_fsb, count_fsb);
		if (!got.br_blockcount)
			continue;
		got.br_state = XFS_EXT_NORM;
		error = xb_err(xfs_bmap_add_extent_unwritten_real(
			NULL, ip, XFS_COW_FORK, &icur, &dummy_cur, &got, &dummy_logflags));
		if (error)
			return error;
	} while (xfs_iext_next_extent(ip->i_cowfp, &icur, &got));
	return 0;
}

/*
 * xfs_reflink_end_cow_extent: remap the first written staging extent in
 * [*offset_fsb, end_fsb) into the data fork, in one transaction whose
 * deferred work drops the old extent's refcount and frees the CoW record.
 */
static int xfs_reflink_end_cow_extent(struct xb_inode *xi, xfs_fileoff_t *offset_fsb,
				      xfs_fileoff_t end_fsb)
{
	struct xb_mount *m = xi->m;
	struct xfs_mount *mp = m->mp;
	struct xfs_inode *ip = xi->ip;
	struct xfs_ifork *ifp = ip->i_cowfp;
	struct xfs_bmbt_irec got, del, data;
	struct xfs_iext_cursor icur;
	struct xfs_trans *tp;
	int nmaps = 1, error;

	if (!ifp || !ifp->if_bytes) {
		*offset_fsb = end_fsb;
		return 0;
	}
	error = xfs_trans_alloc_force(m, &M_RES(mp)->tr_write,
				      XFS_EXTENTADD_SPACE_RES(mp, XFS_DATA_FORK), &tp);
	if (error)
		return error;
	libxfs_trans_ijoin(tp, ip, 0);
	error = xb_err(
		xfs_iext_count_may_overflow(ip, XFS_DATA_FORK, XFS_IEXT_REFLINK_END_COW_CNT));
	if (error == -EFBIG)
		error = xb_err(xfs_iext_count_upgrade(tp, ip, XFS_IEXT_REFLINK_END_COW_CNT));
	if (error)
		goto out_cancel;

	/* Overlapping completions: the range may be remapped already. */
	if (!xfs_iext_lookup_extent(ip, ifp, *offset_fsb, &icur, &got) ||
	    got.br_startoff >= end_fsb)
		goto out_done;
	/* Only written staging extents hold data; the rest stays as preallocation. */
	while (!xfs_bmap_is_written_extent(&got)) {
		if (!xfs_iext_next_extent(ifp, &icur, &got) || got.br_startoff >= end_fsb)
			goto out_done;
	}
	del = got;
	xfs_trim_extent(&del, *offset_fsb, end_fsb - *offset_fsb);

	error = xb_err(libxfs_bmapi_read(ip, del.br_startoff, del.br_blockcount, &data, &nmaps, 0));
	if (error)
		goto out_cancel;
	/* Remap the smaller of the two. */
	data.br_blockcount = min(data.br_blockcount, del.br_blockcount);
	del.br_blockcount = data.br_blockcount;

	if (xfs_bmap_is_real_extent(&data)) {
		xfs_bmap_unmap_extent(tp, ip, &data);
		xfs_refcount_decrease_extent(tp, &data);
	} else if (data.br_startblock == DELAYSTARTBLOCK) {
		int done;

		/* A data fork reservation under the remap: give it back. */
		error = xb_err(libxfs_bunmapi(NULL, ip, data.br_startoff, data.br_blockcount, 0, 1,
					      &done));
		if (error)
			goto out_cancel;
	}
	xfs_refcount_free_cow_extent(tp, del.br_startblock, del.br_blockcount);
	xfs_bmap_map_extent(tp, ip, &del);
	xfs_bmap_del_extent_cow(ip, &icur, &got, &del);
	error = xb_trans_commit(tp);
	if (error)
		return error;
	atomic_fetch_add(&xfs_reflink_stats.cow_remapped_blocks, del.br_blockcount);
	xf_trace("cow_remap", xi->ino, XFS_FSB_TO_B(mp, del.br_startoff),
		 XFS_FSB_TO_B(mp, del.br_blockcount), "from_fsb=%llu to_fsb=%llu",
		 (unsigned long long) data.br_startblock, (unsigned long long) del.br_startblock);
	*offset_fsb = del.br_startoff + del.br_blockcount;
	return 0;

out_done:
	*offset_fsb = end_fsb;
out_cancel:
	xb_trans_cancel(m, tp);
	return error;
}

/* xfs_reflink_end_cow: I/O to the staging blocks of [offset, +count) is done. */
int xfs_reflink_end_cow(struct xb_inode *xi, uint64_t offset, uint64_t count)
{
	struct xfs_mount *mp = xi->m->mp;
	xfs_fileoff_t offset_fsb = XFS_B_TO_FSBT(mp, offset);
	xfs_fileoff_t end_fsb = XFS_B_TO_FSB(mp, offset + count);
	int error = 0;

	while (!error && offset_fsb < end_fsb)
		error = xfs_reflink_end_cow_extent(xi, &offset_fsb, end_fsb);
	return error;
}

/*
 * xfs_reflink_cancel_cow_blocks: drop the COW fork over [offset_fsb,
 * end_fsb): delalloc gives its reservation back; unwritten staging extents
 * (and written ones if @cancel_real) are freed with their CoW record.
 * Walks backwards like the kernel.
 */
int xfs_reflink_cancel_cow_blocks(struct xb_mount *m, struct xfs_inode *ip,
				  xfs_fileoff_t offset_fsb, xfs_fileoff_t end_fsb, bool cancel_real)
{
	struct xfs_ifork *ifp = ip ? ip->i_cowfp : NULL;
	struct xfs_bmbt_irec got, del;
	struct xfs_iext_cursor icur;
	int error = 0;

	if (!ip || !xfs_inode_has_cow_data(ip))
		return 0;
	if (!xfs_iext_lookup_extent_before(ip, ifp, &end_fsb, &icur, &got))
		return 0;
	while (got.br_startoff + got.br_blockcount > offset_fsb) {
		del = got;
		xfs_trim_extent(&del, offset_fsb, end_fsb - offset_fsb);
		if (!del.br_blockcount) {
			xfs_iext_prev(ifp, &icur);
		} else if (isnullstartblock(del.br_startblock)) {
			unsigned int before = ip->i_delayed_blks;

			error = xb_err(
				xfs_bmap_del_extent_delay(ip, XFS_COW_FORK, &icur, &got, &del));
			if (error)
				break;
			atomic_fetch_add(&xfs_reflink_stats.cow_cancelled_blocks,
					 (uint64_t) (before - ip->i_delayed_blks));
		} else if (del.br_state == XFS_EXT_UNWRITTEN || cancel_real) {
			struct xfs_trans *tp;

			error = xfs_trans_alloc_force(m, &M_RES(m->mp)->tr_write, 0, &tp);
			if (error)
				break;
			xfs_refcount_free_cow_extent(tp, del.br_startblock, del.br_blockcount);
			xfs_free_extent_later(tp, del.br_startblock, del.br_blockcount, NULL);
			error = xb_trans_commit(tp);
			if (error)
				break;
			xfs_bmap_del_extent_cow(ip, &icur, &got, &del);
			atomic_fetch_add(&xfs_reflink_stats.cow_cancelled_blocks,
					 del.br_blockcount);
		} else {
			xfs_iext_prev(ifp, &icur);
		}
		if (!xfs_iext_get_extent(ifp, &icur, &got))
			break;
	}
	return error;
}

int xfs_reflink_cancel_cow_range(struct xb_inode *xi, uint64_t offset, uint64_t count,
				 bool cancel_real)
{
	struct xfs_mount *mp = xi->m->mp;
	xfs_fileoff_t offset_fsb = XFS_B_TO_FSBT(mp, offset), end_fsb;

	end_fsb = count == UINT64_MAX ? XFS_MAX_FILEOFF : XFS_B_TO_FSB(mp, offset + count);
	if (!xi->ip)
		return 0;
	return xfs_reflink_cancel_cow_blocks(xi->m, xi->ip, offset_fsb, end_fsb, cancel_real);
}

/* COW fork delalloc of @ip (data + indirect blocks held out of sb_fdblocks). */
uint64_t xfs_reflink_cow_delalloc_reserved(struct xfs_inode *ip)
{
	struct xfs_ifork *ifp = ip->i_cowfp;
	struct xfs_iext_cursor icur;
	struct xfs_bmbt_irec got;
	uint64_t total = 0;

	if (!ifp || !ifp->if_bytes)
		return 0;
	for_each_xfs_iext(ifp, &icur, &got)
	{
		if (isnullstartblock(got.br_startblock))
			total += got.br_blockcount + startblockval(got.br_startblock);
	}
	return total;
}

/*
 * xfs_reflink_recover_cow: staging extents left by a crash (CoW records in
 * the refcount btree) are freed when a read-write mount starts, as the
 * kernel does at the end of log recovery.
 */
int xfs_reflink_recover_cow(struct xb_mount *m)
{
	struct xfs_mount *mp = m->mp;
	struct xfs_perag *pag;
	xfs_agnumber_t agno;
	int error = 0;

	if (!xfs_has_reflink(mp) || m->readonly)
		return 0;
	for_each_perag(mp, agno, pag)
	{
		error = xb_err(xfs_refcount_recover_cow_leftovers(mp, pag));
		if (error) {
			xfs_perag_put(pag);
			break;
		}
	}
	return error;
}

/* ------------------------------------------------------------ remap */

/* xfs_reflink_set_inode_flag: both inodes may share blocks from now on. */
static int xfs_reflink_set_inode_flags(struct xb_mount *m, struct xfs_inode *src,
				       struct xfs_inode *dest)
{
	struct xfs_trans *tp;
	int error;

	if (xfs_is_reflink_inode(src) && xfs_is_reflink_inode(dest))
		return 0;
	error = xb_trans_alloc(m, &M_RES(m->mp)->tr_ichange, 0, &tp);
	if (error)
		return error;
	if (!xfs_is_reflink_inode(src)) {
		libxfs_trans_ijoin(tp, src, 0);
		src->i_diflags2 |= XFS_DIFLAG2_REFLINK;
		libxfs_trans_log_inode(tp, src, XFS_ILOG_CORE);
	}
	if (!xfs_is_reflink_inode(dest)) {
		libxfs_trans_ijoin(tp, dest, 0);
		dest->i_diflags2 |= XFS_DIFLAG2_REFLINK;
		libxfs_trans_log_inode(tp, dest, XFS_ILOG_CORE);
	}
	return xb_trans_commit(tp);
}

/*
 * xfs_reflink_remap_extent: make @dmap (a source mapping, moved to the
 * destination's file offset) the destination's mapping there: whatever the
 * destination had is unmapped (its refcount dropped, or its delalloc given
 * back), a written source extent gains a reference and is mapped.  Holes,
 * unwritten and delalloc in the source leave a hole.  Remaps at most as
 * much as the destination's current mapping covers: @dmap is trimmed.
 */
static int xfs_reflink_remap_extent(struct xb_inode *dxi, struct xfs_bmbt_irec *dmap,
				    uint64_t new_isize)
{
	struct xb_mount *m = dxi->m;
	struct xfs_mount *mp = m->mp;
	struct xfs_inode *ip = dxi->ip;
	bool dmap_written = xfs_bmap_is_written_extent(dmap);
	struct xfs_bmbt_irec smap;
	struct xfs_trans *tp;
	int iext_delta = 0, nimaps = 1, error;
	uint64_t newlen;

	error = xb_trans_alloc(m, &M_RES(mp)->tr_write, XFS_EXTENTADD_SPACE_RES(mp, XFS_DATA_FORK),
			       &tp);
	if (error)
		return error;
	libxfs_trans_ijoin(tp, ip, 0);
	error = xb_err(
		libxfs_bmapi_read(ip, dmap->br_startoff, dmap->br_blockcount, &smap, &nimaps, 0));
	if (error)
		goto out_cancel;
	if (nimaps != 1 || smap.br_startoff != dmap->br_startoff) {
		error = xb_err(-EFSCORRUPTED);
		goto out_cancel;
	}
	dmap->br_blockcount = min(dmap->br_blockcount, smap.br_blockcount);
	if (dmap->br_startblock == smap.br_startblock) { /* already the same blocks */
		if (dmap->br_state != smap.br_state)
			error = xb_err(-EFSCORRUPTED);
		goto out_cancel;
	}
	if (dmap->br_state == XFS_EXT_UNWRITTEN && smap.br_state == XFS_EXT_UNWRITTEN)
		goto out_cancel;
	/* Unmapping part of an extent splits it: each side may add one. */
	if (xfs_bmap_is_real_extent(&smap))
		iext_delta++;
	if (dmap_written)
		iext_delta++;
	error = xb_err(xfs_iext_count_may_overflow(ip, XFS_DATA_FORK, iext_delta));
	if (error == -EFBIG)
		error = xb_err(xfs_iext_count_upgrade(tp, ip, iext_delta));
	if (error)
		goto out_cancel;

	if (xfs_bmap_is_real_extent(&smap)) {
		xfs_bmap_unmap_extent(tp, ip, &smap);
		xfs_refcount_decrease_extent(tp, &smap);
	} else if (smap.br_startblock == DELAYSTARTBLOCK) {
		int done;

		error = xb_err(libxfs_bunmapi(NULL, ip, smap.br_startoff, smap.br_blockcount, 0, 1,
					      &done));
		if (error)
			goto out_cancel;
	}
	if (dmap_written) {
		xfs_refcount_increase_extent(tp, dmap);
		xfs_bmap_map_extent(tp, ip, dmap);
	}
	newlen = min((uint64_t) XFS_FSB_TO_B(mp, dmap->br_startoff + dmap->br_blockcount),
		     new_isize);
	if (newlen > (uint64_t) ip->i_disk_size) {
		ip->i_disk_size = newlen;
		libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
	}
	error = xb_trans_commit(tp);
	if (!error && dmap_written)
		atomic_fetch_add(&xfs_reflink_stats.remapped_shared_blocks, dmap->br_blockcount);
	return error;

out_cancel:
	xb_trans_cancel(m, tp);
	return error;
}

/* The destination's new size and times, in one transaction (xfs_reflink_update_dest). */
static int xfs_reflink_update_dest(struct xb_inode *dxi, uint64_t new_isize)
{
	struct xfs_inode *ip = dxi->ip;
	struct xfs_trans *tp;
	int error;

	error = xb_trans_alloc(dxi->m, &M_RES(dxi->m->mp)->tr_ichange, 0, &tp);
	if (error)
		return error;
	libxfs_trans_ijoin(tp, ip, 0);
	if (new_isize > (uint64_t) ip->i_size)
		ip->i_size = new_isize;
	if (new_isize > (uint64_t) ip->i_disk_size)
		ip->i_disk_size = new_isize;
	libxfs_trans_ichgtime(tp, ip, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
	libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
	return xb_trans_commit(tp);
}

static int xfs_reflink_remap_blocks_locked(struct xb_inode *sxi, uint64_t pos_in,
					   struct xb_inode *dxi, uint64_t pos_out, uint64_t len,
					   uint64_t new_isize)
{
	struct xfs_mount *mp = sxi->m->mp;
	xfs_fileoff_t srcoff = XFS_B_TO_FSBT(mp, pos_in), destoff = XFS_B_TO_FSBT(mp, pos_out);
	xfs_filblks_t remaining = XFS_B_TO_FSB(mp, len);
	int error;

	error = xb_err(libxfs_iread_extents(NULL, sxi->ip, XFS_DATA_FORK));
	if (!error)
		error = xb_err(libxfs_iread_extents(NULL, dxi->ip, XFS_DATA_FORK));
	if (!error)
		error = xfs_reflink_set_inode_flags(sxi->m, sxi->ip, dxi->ip);
	if (!error) /* staging blocks over the range would be remapped over the new sharing */
		error = xfs_reflink_cancel_cow_blocks(dxi->m, dxi->ip, destoff, destoff + remaining,
						      true);
	while (!error && remaining) {
		struct xfs_bmbt_irec imap;
		int nimaps = 1;

		error = xb_err(libxfs_bmapi_read(sxi->ip, srcoff, remaining, &imap, &nimaps, 0));
		if (error)
			break;
		if (nimaps != 1 || imap.br_startoff != srcoff) {
			error = xb_err(-EFSCORRUPTED);
			break;
		}
		imap.br_startoff = destoff;
		error = xfs_reflink_remap_extent(dxi, &imap, new_isize);
		if (error)
			break;
		srcoff += imap.br_blockcount;
		destoff += imap.br_blockcount;
		remaining -= imap.br_blockcount;
	}
	if (!error)
		error = xfs_reflink_update_dest(dxi, new_isize);
	return error;
}

int xfs_reflink_remap_blocks(struct xb_inode *src, uint64_t pos_in, struct xb_inode *dest,
			     uint64_t pos_out, uint64_t len, uint64_t new_isize)
{
	int error;

	xb_lock();
	if (!src->ip || !dest->ip)
		error = -ESTALE;
	else if (!xfs_has_reflink(src->m->mp))
		error = -EOPNOTSUPP;
	else if (src->m->readonly)
		error = -EROFS;
	else if (src->m->shutdown)
		error = -EIO;
	else
		error = xfs_reflink_remap_blocks_locked(src, pos_in, dest, pos_out, len, new_isize);
	xf_trace("reflink_remap", dest->ino, pos_out, len, "src=%llu pos_in=%llu err=%d",
		 (unsigned long long) src->ino, (unsigned long long) pos_in, error);
	xb_unlock();
	return error;
}

bool xfs_reflink_supported(struct xb_mount *m)
{
	return xfs_has_reflink(m->mp);
}

/* ------------------------------------------------------------ unshare */

bool xfs_reflink_inode_may_share(struct xb_inode *xi)
{
	bool ret;

	xb_lock();
	ret = xi->ip && xfs_is_reflink_inode(xi->ip);
	xb_unlock();
	return ret;
}

static int xfs_reflink_count_shared_locked(struct xb_inode *xi, xfs_fileoff_t off,
					   xfs_fileoff_t end, uint64_t *nshared)
{
	struct xfs_inode *ip = xi->ip;
	int error;

	error = xb_err(libxfs_iread_extents(NULL, ip, XFS_DATA_FORK));
	while (!error && off < end) {
		struct xfs_bmbt_irec imap;
		bool shared;
		int nimaps = 1;

		error = xb_err(libxfs_bmapi_read(ip, off, end - off, &imap, &nimaps, 0));
		if (error || nimaps != 1)
			return error ? error : xb_err(-EFSCORRUPTED);
		/* Trimmed to the shared run at its start, or to the unshared part before it. */
		error = xfs_reflink_trim_around_shared(ip, &imap, &shared);
		if (!error && shared)
			*nshared += imap.br_blockcount;
		off = imap.br_startoff + imap.br_blockcount;
	}
	return error;
}

int xfs_reflink_count_shared(struct xb_inode *xi, uint64_t off, uint64_t len, uint64_t *nshared)
{
	struct xfs_mount *mp = xi->m->mp;
	int error;

	*nshared = 0;
	xb_lock();
	if (!xi->ip)
		error = -ESTALE;
	else
		error = xfs_reflink_count_shared_locked(xi, XFS_B_TO_FSBT(mp, off),
							XFS_B_TO_FSB(mp, off + len), nshared);
	xb_unlock();
	return error;
}
