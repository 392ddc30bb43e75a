// SPDX-License-Identifier: GPL-2.0
/*
 * Shifting extents: FALLOC_FL_COLLAPSE_RANGE and FALLOC_FL_INSERT_RANGE,
 * the kernel's xfs_collapse_file_space / xfs_insert_file_space
 * (fs/xfs/xfs_bmap_util.c) on libxfs 6.1's xfs_bmap_collapse_extents,
 * xfs_bmap_insert_extents and xfs_bmap_split_extent, which move the data
 * fork records (and their reverse mappings) and nothing else: the blocks,
 * and so their refcounts, stay where they are (doc/backend.md "Collapse,
 * insert, unshare").
 *
 * The caller (src/file_shift.c) holds i_rwsem and invalidate_lock
 * exclusive, has trimmed the post-EOF preallocation and has written back
 * and dropped the page cache from the block before @offset to EOF
 * (xfs_prepare_shift): no folio, no writeback and no COW staging extent may
 * refer to a file offset that is about to move.
 */
#include "xb_internal.h"
#include "trace.h"

/*
 * The shift's side of xfs_prepare_shift, under ILOCK: what still maps file
 * offsets from @start on without data behind it goes.  The COW fork holds
 * only preallocation now (writeback remapped every written staging extent)
 * and would sit at the wrong offsets after the shift.  Delalloc without
 * page cache (stale_remedy=rfc keeps some, doc/race.md) has no data either,
 * and libxfs refuses to shift a delalloc record (-EFSCORRUPTED).
 */
static int xfs_shift_clean_locked(struct xb_inode *xi, uint64_t start)
{
	struct xfs_mount *mp = xi->m->mp;
	int error;

	error = xb_err(libxfs_iread_extents(NULL, xi->ip, XFS_DATA_FORK));
	if (error)
		return error;
	if (xi->ip->i_delayed_blks)
		xfs_bmap_punch_delalloc_range(xi, start, INT64_MAX);
	return xfs_reflink_cancel_cow_blocks(xi->m, xi->ip, XFS_B_TO_FSBT(mp, start),
					     XFS_MAX_FILEOFF, true);
}

/* Where the boundary to stabilise starts: the block before @offset (xfs_prepare_shift). */
uint64_t xfs_shift_boundary(struct xb_inode *xi, uint64_t offset)
{
	uint64_t bs = xi->m->mp->m_sb.sb_blocksize;

	offset &= ~(bs - 1);
	return offset ? offset - bs : 0;
}

static int xfs_shift_check(struct xb_inode *xi)
{
	if (!xi->ip)
		return -ESTALE;
	if (xi->m->readonly)
		return -EROFS;
	if (xi->m->shutdown)
		return -EIO;
	return 0;
}

/*
 * Shift every extent from @next_fsb on left by @shift_fsb, one record per
 * step, rolling the transaction between steps: a crash leaves some records
 * moved and some not, as in the kernel, never a record half-moved.
 */
static int xfs_collapse_extents_locked(struct xb_inode *xi, xfs_fileoff_t next_fsb,
				       xfs_fileoff_t shift_fsb)
{
	struct xb_mount *m = xi->m;
	struct xfs_trans *tp;
	bool done = false;
	int error;

	error = xb_trans_alloc(m, &M_RES(m->mp)->tr_write, 0, &tp);
	if (error)
		return error;
	libxfs_trans_ijoin(tp, xi->ip, 0);
	while (!done) {
		error = xb_err(xfs_bmap_collapse_extents(tp, xi->ip, &next_fsb, shift_fsb, &done));
		if (error)
			goto out_cancel;
		if (done)
			break;
		error = xb_err(libxfs_defer_finish(&tp));
		if (error)
			goto out_cancel;
	}
	return xb_trans_commit(tp);

out_cancel:
	xb_trans_cancel(m, tp);
	return error;
}

int xfs_collapse_file_space(struct xb_inode *xi, uint64_t offset, uint64_t len)
{
	struct xfs_mount *mp = xi->m->mp;
	int error;

	xb_lock();
	error = xfs_shift_check(xi);
	if (!error)
		error = xfs_shift_clean_locked(xi, xfs_shift_boundary(xi, offset));
	if (!error)
		error = xfs_collapse_extents_locked(xi, XFS_B_TO_FSB(mp, offset + len),
						    XFS_B_TO_FSB(mp, len));
	xf_trace("collapse", xi->ino, offset, len, "err=%d seq=%u", error,
		 xi->ip ? xi->ip->i_df.if_seq : 0);
	xb_unlock();
	return error;
}

/*
 * Split the extent across @stop_fsb so that the shift moves whole records,
 * then shift every record from the last one down to @stop_fsb right by
 * @shift_fsb, rolling between steps.
 */
static int xfs_insert_extents_locked(struct xb_inode *xi, xfs_fileoff_t stop_fsb,
				     xfs_fileoff_t shift_fsb)
{
	struct xb_mount *m = xi->m;
	struct xfs_inode *ip = xi->ip;
	xfs_fileoff_t next_fsb = NULLFSBLOCK;
	struct xfs_trans *tp;
	bool done = false;
	int error;

	error = xb_trans_alloc(m, &M_RES(m->mp)->tr_write, XFS_DIOSTRAT_SPACE_RES(m->mp, 0), &tp);
	if (error)
		return error;
	libxfs_trans_ijoin(tp, ip, 0);
	error = xb_err(xfs_iext_count_may_overflow(ip, XFS_DATA_FORK, XFS_IEXT_PUNCH_HOLE_CNT));
	if (error == -EFBIG)
		error = xb_err(xfs_iext_count_upgrade(tp, ip, XFS_IEXT_PUNCH_HOLE_CNT));
	if (!error)
		error = xb_err(xfs_bmap_split_extent(tp, ip, stop_fsb));
	while (!error && !done) {
		error = xb_err(libxfs_defer_finish(&tp));
		if (!error)
			error = xb_err(xfs_bmap_insert_extents(tp, ip, &next_fsb, shift_fsb, &done,
							       stop_fsb));
	}
	if (error) {
		xb_trans_cancel(m, tp);
		return error;
	}
	return xb_trans_commit(tp);
}

int xfs_insert_file_space(struct xb_inode *xi, uint64_t offset, uint64_t len)
{
	struct xfs_mount *mp = xi->m->mp;
	xfs_fileoff_t stop_fsb = XFS_B_TO_FSB(mp, offset), shift_fsb = XFS_B_TO_FSB(mp, len);
	int error;

	xb_lock();
	error = xfs_shift_check(xi);
	if (!error)
		error = xfs_shift_clean_locked(xi, xfs_shift_boundary(xi, offset));
	/* No record may end up past the largest file offset a record can hold. */
	if (!error)
		error = xb_err(xfs_bmap_can_insert_extents(xi->ip, stop_fsb, shift_fsb));
	if (!error)
		error = xfs_insert_extents_locked(xi, stop_fsb, shift_fsb);
	xf_trace("insert", xi->ino, offset, len, "err=%d seq=%u", error,
		 xi->ip ? xi->ip->i_df.if_seq : 0);
	xb_unlock();
	return error;
}
