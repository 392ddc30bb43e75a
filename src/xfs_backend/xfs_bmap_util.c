// SPDX-License-Identifier: GPL-2.0
/*
 * Punching holes: the kernel's xfs_free_file_space (fs/xfs/xfs_bmap_util.c).
 * The caller (file_ops.c) holds i_rwsem and invalidate_lock exclusive and
 * has written back and dropped the page cache over the range rounded out
 * to folios (xfs_flush_unmap_range), so no writeback maps these blocks.
 */
#include "xb_internal.h"

/* Unmap the whole blocks of [offset, offset+len); log the change times. */
static int xfs_free_file_blocks(struct xb_inode *xi, uint64_t offset, uint64_t len)
{
	struct xb_mount *m = xi->m;
	struct xfs_mount *mp = m->mp;
	xfs_fileoff_t start_fsb = XFS_B_TO_FSB(mp, offset);
	xfs_fileoff_t end_fsb = XFS_B_TO_FSBT(mp, offset + len);
	struct xfs_trans *tp;
	int error = 0;

	if (!xi->ip)
		return -ESTALE;
	if (end_fsb > start_fsb)
		error = xb_unmap_range(m, xi->ip, XFS_DATA_FORK, start_fsb, end_fsb - start_fsb);
	if (error)
		return error;
	error = xb_trans_alloc(m, &M_RES(mp)->tr_ichange, 0, &tp);
	if (error)
		return error;
	libxfs_trans_ijoin(tp, xi->ip, 0);
	libxfs_trans_ichgtime(tp, xi->ip, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
	libxfs_trans_log_inode(tp, xi->ip, XFS_ILOG_CORE);
	return xb_trans_commit(tp);
}

int xfs_free_file_space(struct xb_inode *xi, uint64_t offset, uint64_t len)
{
	struct vfs_inode *inode = xb_vfs_inode(xi);
	bool did_zero = false;
	uint64_t isize;
	int error;

	if (!inode)
		return -EINVAL;
	if (len == 0)
		return 0;
	xb_lock();
	error = xfs_free_file_blocks(xi, offset, len);
	xb_unlock();
	if (error)
		return error;
	/* The partial blocks at either end: zeroed through the page cache. */
	isize = vfs_i_size_read(inode);
	if (offset >= isize)
		return 0;
	if (offset + len > isize)
		len = isize - offset;
	return iomap_zero_range(inode, (loff_t) offset, (loff_t) len, &did_zero,
				&xfs_buffered_write_iomap_ops);
}
