// SPDX-License-Identifier: GPL-2.0
/*
 * Freeing an unlinked inode when its last reference goes: the userspace twin
 * of fs/xfs/xfs_inode.c xfs_inactive() -> xfs_inactive_truncate() /
 * xfs_inactive_symlink() / xfs_attr_inactive() -> xfs_inactive_ifree() ->
 * xfs_ifree() (+ xfs_ifree_cluster).  libxfs 6.1 has none of these.
 *
 * Called by inode_table.c under xb_lock for an inode with nlink == 0, which
 * is on its AGI unlinked list (put there by unlink/rmdir/rename).  Each step
 * commits on its own, as in the kernel: a crash in between leaves the inode
 * on the unlinked list with fewer blocks, which xfs_repair finishes.
 *
 * Buffer cache: libxfs writes cached metadata buffers back at flush time,
 * and file data goes to the image directly.  A dirty cached buffer for a
 * block we free (a directory, symlink or attribute block) could later be
 * written over whatever reuses the block, so those buffers are invalidated
 * (xfs_trans_binval) before the blocks are freed, like the kernel's
 * xfs_inactive_symlink_rmt() and xfs_attr3_*_inactive().
 */
#include "xb_internal.h"

/* Buffers invalidated per transaction (bounds the transaction's item list). */
#define XB_BINVAL_BATCH 64

static int xb_inactive_trans_alloc(struct xb_mount *m, struct xfs_trans **tpp)
{
	/* Freeing space needs no block reservation (xfs_inactive_truncate). */
	return xb_trans_alloc(m, &M_RES(m->mp)->tr_itruncate, 0, tpp);
}

/*
 * Invalidate every cached metadata buffer that starts on a block of @whichfork,
 * one filesystem block at a time.  A cached buffer of another length at that
 * address (a multi-block remote attr value or directory block) is written back
 * and purged by the cache lookup itself (CACHE_MISCOMPARE_PURGE), while the
 * block is still ours; the one-block buffer that replaces it is then staled.
 */
static int xb_inactive_binval_fork(struct xb_mount *m, struct xfs_inode *ip, int whichfork)
{
	struct xfs_mount *mp = m->mp;
	struct xfs_ifork *ifp = xfs_ifork_ptr(ip, whichfork);
	struct xfs_iext_cursor icur;
	struct xfs_bmbt_irec got;
	struct xfs_trans *tp;
	unsigned int nbufs = 0;
	int error;

	error = xb_inactive_trans_alloc(m, &tp);
	if (error)
		return error;
	error = xb_err(libxfs_iread_extents(tp, ip, whichfork));
	if (error)
		goto out_cancel;
	for_each_xfs_iext(ifp, &icur, &got)
	{
		xfs_filblks_t i;

		if (isnullstartblock(got.br_startblock))
			continue; /* delalloc: nothing on disk */
		for (i = 0; i < got.br_blockcount; i++) {
			struct xfs_buf *bp;

			error = xb_err(libxfs_trans_get_buf(
				tp, mp->m_ddev_targp, XFS_FSB_TO_DADDR(mp, got.br_startblock + i),
				XFS_FSB_TO_BB(mp, 1), 0, &bp));
			if (error)
				goto out_cancel;
			libxfs_trans_binval(tp, bp);
			if (++nbufs % XB_BINVAL_BATCH)
				continue;
			error = xb_err(libxfs_trans_roll(&tp));
			if (error)
				goto out_cancel;
		}
	}
	return xb_trans_commit(tp);

out_cancel:
	xb_trans_cancel(m, tp);
	return error;
}

/*
 * Unmap every extent of @whichfork, like xfs_itruncate_extents_flags() with
 * new_size 0 (data.c's xb_itruncate_extents, shared with truncate).
 */
static int xb_itruncate_fork(struct xb_mount *m, struct xfs_inode *ip, int whichfork)
{
	struct xfs_trans *tp;
	int error;

	if (whichfork == XFS_DATA_FORK) {
		/* The size goes first, so a crash never exposes freed blocks. */
		error = xb_inactive_trans_alloc(m, &tp);
		if (error)
			return error;
		libxfs_trans_ijoin(tp, ip, 0);
		ip->i_disk_size = 0;
		ip->i_size = 0;
		libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
		error = xb_trans_commit(tp);
		if (error)
			return error;
	}
	return xb_itruncate_extents(m, ip, whichfork, 0);
}

static bool xb_fork_has_blocks(struct xfs_inode *ip, int whichfork)
{
	struct xfs_ifork *ifp = xfs_ifork_ptr(ip, whichfork);

	if (!ifp || ifp->if_format == XFS_DINODE_FMT_LOCAL)
		return false;
	return ifp->if_nextents > 0 || ifp->if_format == XFS_DINODE_FMT_BTREE ||
	       (whichfork == XFS_DATA_FORK && ip->i_delayed_blks > 0);
}

/* Data fork: file data, or directory / remote symlink blocks (metadata). */
static int xb_inactive_data(struct xb_mount *m, struct xfs_inode *ip)
{
	int error;

	if (!xb_fork_has_blocks(ip, XFS_DATA_FORK))
		return 0;
	if (!S_ISREG(VFS_I(ip)->i_mode)) {
		error = xb_inactive_binval_fork(m, ip, XFS_DATA_FORK);
		if (error)
			return error;
	}
	return xb_itruncate_fork(m, ip, XFS_DATA_FORK);
}

/*
 * Attribute fork (xfs_attr_inactive): every attr block, remote value blocks
 * included, is mapped by the attr fork, so unmapping the fork frees them all.
 * Then the fork itself goes (i_forkoff 0, as xfs_ifree expects).
 */
static int xb_inactive_attr(struct xb_mount *m, struct xfs_inode *ip)
{
	struct xfs_trans *tp;
	int error;

	if (!xfs_inode_has_attr_fork(ip))
		return 0;
	if (xb_fork_has_blocks(ip, XFS_ATTR_FORK)) {
		error = xb_inactive_binval_fork(m, ip, XFS_ATTR_FORK);
		if (!error)
			error = xb_itruncate_fork(m, ip, XFS_ATTR_FORK);
		if (error)
			return error;
	}
	error = xb_inactive_trans_alloc(m, &tp);
	if (error)
		return error;
	libxfs_trans_ijoin(tp, ip, 0);
	xfs_attr_fork_remove(ip, tp);
	return xb_trans_commit(tp);
}

/*
 * The whole inode chunk became free and its blocks went back to the free
 * space (xfs_ifree_cluster): invalidate the cached cluster buffers so that
 * nothing is ever written to blocks that now belong to somebody else.
 */
static int xb_ifree_cluster(struct xfs_trans *tp, struct xfs_perag *pag, struct xfs_icluster *xic)
{
	struct xfs_mount *mp = tp->t_mountp;
	struct xfs_ino_geometry *igeo = M_IGEO(mp);
	unsigned int nbufs = igeo->ialloc_blks / igeo->blocks_per_cluster, j;

	for (j = 0; j < nbufs; j++) {
		xfs_ino_t inum = xic->first_ino + j * igeo->inodes_per_cluster;
		unsigned int ioffset = inum - xic->first_ino;
		struct xfs_buf *bp;
		xfs_daddr_t blkno;
		int error;

		/* Sparse chunk: this cluster was never allocated. */
		if ((xic->alloc & XFS_INOBT_MASK(ioffset)) == 0)
			continue;
		blkno = XFS_AGB_TO_DADDR(mp, pag->pag_agno, XFS_INO_TO_AGBNO(mp, inum));
		error = xb_err(libxfs_trans_get_buf(tp, mp->m_ddev_targp, blkno,
						    XFS_FSB_TO_BB(mp, igeo->blocks_per_cluster), 0,
						    &bp));
		if (error)
			return error;
		libxfs_trans_binval(tp, bp);
	}
	return 0;
}

/* Reset the incore inode to a free one, as xfs_ifree() does. */
static void xb_ifree_reset_core(struct xfs_mount *mp, struct xfs_inode *ip)
{
	if (ip->i_df.if_format == XFS_DINODE_FMT_LOCAL) {
		kmem_free(ip->i_df.if_u1.if_data);
		ip->i_df.if_u1.if_data = NULL;
		ip->i_df.if_bytes = 0;
	}
	VFS_I(ip)->i_mode = 0;
	ip->i_diflags = 0;
	ip->i_diflags2 = M_IGEO(mp)->new_diflags2;
	ip->i_forkoff = 0;
	ip->i_df.if_format = XFS_DINODE_FMT_EXTENTS;
	ip->i_disk_size = 0;
	ip->i_size = 0;
	/* No confusion with reincarnations of this inode number (NFS/FUSE handles). */
	VFS_I(ip)->i_generation++;
}

/*
 * xfs_inactive_ifree + xfs_ifree: take the inode off the unlinked list, free
 * it in the inobt/finobt and clear the dinode.
 */
static int xb_inactive_ifree(struct xb_mount *m, struct xfs_inode *ip)
{
	struct xfs_mount *mp = m->mp;
	unsigned int resblks = XFS_IFREE_SPACE_RES(mp);
	struct xfs_icluster xic = {0};
	struct xfs_perag *pag;
	struct xfs_trans *tp;
	int error;

	/*
	 * The finobt may need a block for the record of a newly free inode.
	 * Like the kernel (XFS_TRANS_RESERVE), dip into the set-aside rather
	 * than leave the inode allocated forever on a full filesystem.
	 */
	error = xb_trans_alloc(m, &M_RES(mp)->tr_ifree, resblks, &tp);
	if (error == -ENOSPC)
		error = xb_err(libxfs_trans_alloc(mp, &M_RES(mp)->tr_ifree, resblks, 0,
						  XFS_TRANS_RESERVE, &tp));
	if (error)
		return error;
	libxfs_trans_ijoin(tp, ip, 0);

	pag = libxfs_perag_get(mp, XFS_INO_TO_AGNO(mp, ip->i_ino));
	error = xb_err(xfs_difree(tp, pag, ip->i_ino, &xic));
	if (!error)
		error = xb_iunlink_remove(tp, ip);
	if (error)
		goto out_cancel;

	xb_ifree_reset_core(mp, ip);
	if (xic.deleted) {
		/*
		 * The kernel logs the core and marks it stale with the cluster
		 * buffer.  libxfs would flush a logged inode into the buffer at
		 * commit and un-stale it: the chunk is free space now, so the
		 * core is simply not written.
		 */
		error = xb_ifree_cluster(tp, pag, &xic);
		if (error)
			goto out_cancel;
	} else {
		libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
	}
	libxfs_perag_put(pag);
	return xb_trans_commit(tp);

out_cancel:
	libxfs_perag_put(pag);
	xb_trans_cancel(m, tp);
	return error;
}

int xb_inactive(struct xb_mount *m, struct xfs_inode *ip)
{
	int error;

	/* Already free, still linked, or no writes allowed: nothing to do. */
	if (VFS_I(ip)->i_mode == 0 || VFS_I(ip)->i_nlink != 0)
		return 0;
	if (m->readonly || m->shutdown)
		return m->readonly ? 0 : -EIO;

	error = xb_inactive_data(m, ip);
	if (!error)
		error = xb_inactive_attr(m, ip);
	if (!error)
		error = xb_inactive_ifree(m, ip);
	return error;
}
