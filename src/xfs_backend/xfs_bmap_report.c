// SPDX-License-Identifier: GPL-2.0
/*
 * The extent map report (xfs_bmap_report.h): a walk over the incore data
 * fork, the shape of xfs_getbmap without its output formats.
 */
#include "xb_internal.h"
#include "xfs_bmap_report.h"

static void xb_bmap_irec_to_rec(struct xfs_mount *mp, const struct xfs_bmbt_irec *got,
				struct xb_bmap_rec *rec)
{
	rec->offset = XFS_FSB_TO_B(mp, got->br_startoff);
	rec->length = XFS_FSB_TO_B(mp, got->br_blockcount);
	if (isnullstartblock(got->br_startblock)) {
		rec->type = XB_BMAP_DELALLOC;
		rec->addr = XB_BMAP_NO_ADDR;
		rec->fsblock = 0;
		return;
	}
	rec->type = got->br_state == XFS_EXT_UNWRITTEN ? XB_BMAP_UNWRITTEN : XB_BMAP_WRITTEN;
	rec->fsblock = got->br_startblock;
	rec->addr = BBTOB(XFS_FSB_TO_DADDR(mp, got->br_startblock));
}

/* Report the hole [start, end) (bytes) if it is not empty. */
static int xb_bmap_hole(uint64_t start, uint64_t end, xb_bmap_fn fn, void *arg)
{
	struct xb_bmap_rec rec = {
		.offset = start,
		.length = end - start,
		.addr = XB_BMAP_NO_ADDR,
		.type = XB_BMAP_HOLE,
	};

	return end > start ? fn(arg, &rec) : 0;
}

static void xb_bmap_fill_info(struct xb_inode *xi, struct xb_bmap_info *info)
{
	struct xfs_inode *ip = xi->ip;

	info->size = xfs_isize(xi);
	info->disk_size = (uint64_t) ip->i_disk_size;
	info->blocksize = xi->m->mp->m_sb.sb_blocksize;
	info->nextents = xfs_iext_count(&ip->i_df); /* incore records: delalloc too */
	info->delayed_blocks = ip->i_delayed_blks;
	info->data_seq = ip->i_df.if_seq;
}

static int xb_bmap_walk_locked(struct xb_inode *xi, struct xb_bmap_info *info, xb_bmap_fn fn,
			       void *arg)
{
	struct xfs_mount *mp = xi->m->mp;
	struct xfs_inode *ip = xi->ip;
	struct xfs_iext_cursor icur;
	struct xfs_bmbt_irec got;
	uint64_t pos = 0, eof;
	int error;

	if (!ip)
		return -ESTALE;
	if (!S_ISREG(VFS_I(ip)->i_mode) || !xfs_ifork_has_extents(&ip->i_df))
		return -EINVAL;
	error = xb_err(libxfs_iread_extents(NULL, ip, XFS_DATA_FORK));
	if (error)
		return error;
	xb_bmap_fill_info(xi, info);

	for_each_xfs_iext(&ip->i_df, &icur, &got)
	{
		struct xb_bmap_rec rec;

		xb_bmap_irec_to_rec(mp, &got, &rec);
		error = xb_bmap_hole(pos, rec.offset, fn, arg);
		if (!error)
			error = fn(arg, &rec);
		if (error)
			return error;
		pos = rec.offset + rec.length;
	}
	eof = XFS_FSB_TO_B(mp, XFS_B_TO_FSB(mp, info->size));
	return xb_bmap_hole(pos, eof, fn, arg);
}

int xb_bmap_report(struct xb_inode *xi, struct xb_bmap_info *info, xb_bmap_fn fn, void *arg)
{
	int error;

	memset(info, 0, sizeof(*info));
	xb_lock();
	error = xb_bmap_walk_locked(xi, info, fn, arg);
	xb_unlock();
	return error;
}
