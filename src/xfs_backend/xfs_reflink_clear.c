// SPDX-License-Identifier: GPL-2.0
/*
 * Unshare's last step: an inode left sharing nothing loses its reflink
 * flag (XFS_DIFLAG2_REFLINK), the shape of fs/xfs/xfs_reflink.c's
 * xfs_reflink_inode_has_shared_extents, xfs_reflink_clear_inode_flag and
 * xfs_reflink_try_clear_inode_flag (doc/reflink.md "Unshare").  Without
 * the flag the write path stops asking the refcount btree about every
 * written extent, and direct writes stop falling back for partial blocks.
 */
#include "xb_internal.h"
#include "trace.h"

/*
 * xfs_reflink_inode_has_shared_extents: does any written data fork extent
 * still have a block with a refcount above one?  Holes, delalloc and
 * unwritten extents are never shared.  xb_lock held.
 */
static int xfs_reflink_has_shared_locked(struct xfs_inode *ip, bool *shared)
{
	struct xfs_mount *mp = ip->i_mount;
	struct xfs_iext_cursor icur;
	struct xfs_bmbt_irec got;
	bool found;
	int error;

	*shared = false;
	error = xb_err(libxfs_iread_extents(NULL, ip, XFS_DATA_FORK));
	if (error)
		return error;
	found = xfs_iext_lookup_extent(ip, &ip->i_df, 0, &icur, &got);
	for (; found; found = xfs_iext_next_extent(&ip->i_df, &icur, &got)) {
		xfs_agblock_t fbno;
		xfs_extlen_t flen;

		if (isnullstartblock(got.br_startblock) || got.br_state != XFS_EXT_NORM)
			continue;
		error = xfs_reflink_find_shared(mp, XFS_FSB_TO_AGNO(mp, got.br_startblock),
						XFS_FSB_TO_AGBNO(mp, got.br_startblock),
						(xfs_extlen_t) got.br_blockcount, &fbno, &flen);
		if (error)
			return error;
		if (fbno != NULLAGBLOCK) {
			*shared = true;
			return 0;
		}
	}
	return 0;
}

int xfs_reflink_inode_has_shared_extents(struct xb_inode *xi, bool *shared)
{
	int error;

	*shared = false;
	xb_lock();
	if (!xi->ip)
		error = -ESTALE;
	else if (!xfs_is_reflink_inode(xi->ip))
		error = 0;
	else
		error = xfs_reflink_has_shared_locked(xi->ip, shared);
	xb_unlock();
	return error;
}

/*
 * xfs_reflink_clear_inode_flag: nothing shared, so the COW fork's
 * leftovers (the size hint's staging blocks and delalloc nobody wrote) go
 * back and the flag is cleared, logged with the inode core.  xb_lock held.
 */
static int xfs_reflink_clear_flag_locked(struct xb_inode *xi, bool *cleared)
{
	struct xfs_inode *ip = xi->ip;
	struct xfs_trans *tp;
	bool shared;
	int error;

	error = xfs_reflink_has_shared_locked(ip, &shared);
	if (error || shared)
		return error;
	error = xfs_reflink_cancel_cow_blocks(xi->m, ip, 0, XFS_MAX_FILEOFF, true);
	if (error)
		return error;
	error = xb_trans_alloc(xi->m, &M_RES(xi->m->mp)->tr_ichange, 0, &tp);
	if (error)
		return error;
	libxfs_trans_ijoin(tp, ip, 0);
	ip->i_diflags2 &= ~XFS_DIFLAG2_REFLINK;
	libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
	error = xb_trans_commit(tp);
	*cleared = !error;
	return error;
}

int xfs_reflink_try_clear_inode_flag(struct xb_inode *xi)
{
	bool cleared = false;
	int error;

	xb_lock();
	if (!xi->ip)
		error = -ESTALE;
	else if (xi->m->readonly)
		error = -EROFS;
	else if (xi->m->shutdown)
		error = -EIO;
	else if (!xfs_is_reflink_inode(xi->ip))
		error = 0;
	else
		error = xfs_reflink_clear_flag_locked(xi, &cleared);
	if (cleared)
		atomic_fetch_add(&xfs_reflink_stats.reflink_flags_cleared, 1);
	xf_trace("reflink_clear_flag", xi->ino, 0, 0, "cleared=%d err=%d", cleared, error);
	xb_unlock();
	return error;
}
