// SPDX-License-Identifier: GPL-2.0
/*
 * Delalloc bookkeeping of the XFS side of the engine: punching reservations
 * (xfs_bmap_punch_delalloc_range), trimming speculative preallocation at
 * last close (xfs_free_eofblocks), truncate (xfs_setattr_size), and the
 * accounting the superblock writer and inode teardown need.  Shapes of
 * fs/xfs/xfs_bmap_util.c and xfs_iops.c, Linux 6.6.
 *
 * Delalloc lives only in the incore data fork: each record holds its
 * blocks (br_blockcount, summed in ip->i_delayed_blks) and, encoded in
 * br_startblock, its worst-case indirect-block reservation.  Both were
 * taken out of the incore sb_fdblocks when reserved, and libxfs's
 * xfs_bmap_del_extent_delay gives them back (it bumps if_seq through
 * xfs_iext_remove/update/insert).
 */
#include "xb_internal.h"

/*
 * Remove the delalloc extents in [start_byte, end_byte), leaving real
 * extents alone, walking backwards from the end like the kernel.  Caller
 * holds xb_lock.  Returns the blocks punched.
 */
uint64_t xfs_bmap_punch_delalloc_range(struct xb_inode *xi, uint64_t start_byte, uint64_t end_byte)
{
	struct xfs_mount *mp = xi->m->mp;
	struct xfs_inode *ip = xi->ip;
	struct xfs_ifork *ifp = &ip->i_df;
	xfs_fileoff_t start_fsb = XFS_B_TO_FSBT(mp, start_byte);
	xfs_fileoff_t end_fsb = min(XFS_B_TO_FSB(mp, end_byte), (uint64_t) XFS_MAX_FILEOFF);
	unsigned int before = ip->i_delayed_blks;
	struct xfs_bmbt_irec got, del;
	struct xfs_iext_cursor icur;

	if (end_byte <= start_byte || xfs_need_iread_extents(ifp))
		return 0; /* extents never read: no delalloc can exist */
	if (!xfs_iext_lookup_extent_before(ip, ifp, &end_fsb, &icur, &got))
		return 0;
	while (got.br_startoff + got.br_blockcount > start_fsb) {
		del = got;
		xfs_trim_extent(&del, start_fsb, end_fsb - start_fsb);
		/* Not delalloc, or outside the range: step back. */
		if (!del.br_blockcount || !isnullstartblock(del.br_startblock)) {
			if (!xfs_iext_prev_extent(ifp, &icur, &got))
				break;
			continue;
		}
		xfs_bmap_del_extent_delay(ip, XFS_DATA_FORK, &icur, &got, &del);
		if (!xfs_iext_get_extent(ifp, &icur, &got))
			break;
	}
	atomic_fetch_add(&xfs_iomap_stats.delalloc_punched_blocks,
			 (uint64_t) (before - ip->i_delayed_blks));
	return before - ip->i_delayed_blks;
}

/* Blocks (data + indirect) that the delalloc of @ip holds out of sb_fdblocks. */
uint64_t xfs_inode_delalloc_reserved(struct xfs_inode *ip)
{
	struct xfs_ifork *ifp = &ip->i_df;
	struct xfs_iext_cursor icur;
	struct xfs_bmbt_irec got;
	uint64_t total = 0;

	if (!S_ISREG(VFS_I(ip)->i_mode) || xfs_need_iread_extents(ifp) ||
	    !xfs_ifork_has_extents(ifp))
		return 0;
	for_each_xfs_iext(ifp, &icur, &got) if (isnullstartblock(got.br_startblock)) total +=
		got.br_blockcount + startblockval(got.br_startblock);
	return total + xfs_reflink_cow_delalloc_reserved(ip);
}

/*
 * Every outstanding delalloc reservation of the mount.  The incore
 * sb_fdblocks has these taken out; what goes to disk must not (the kernel
 * adds them back in xfs_log_sb): sb_fdblocks + this is the true count.
 */
uint64_t xb_delalloc_blocks_locked(struct xb_mount *m)
{
	uint64_t total = 0;
	size_t i;

	if (!m->htab) /* unmounting: the inode table is gone, and so is delalloc */
		return 0;
	for (i = 0; i < m->hsize; i++) {
		struct xb_inode *xi;

		for (xi = m->htab[i]; xi; xi = xi->hnext)
			if (xi->ip)
				total += xfs_inode_delalloc_reserved(xi->ip);
	}
	return total;
}

/*
 * An inode is leaving memory: writeback has run, so any delalloc left is
 * speculative preallocation or a leak.  Give it back rather than lose it
 * from the free-space count for good (the kernel's xfs_inactive frees
 * post-EOF blocks; xfs_inode_free asserts none remain).
 */
void xb_iomap_inode_teardown_locked(struct xb_inode *xi)
{
	struct xfs_inode *ip = xi->ip;
	uint64_t past_eof;

	xb_kept_teardown_locked(xi);
	if (!ip || !S_ISREG(VFS_I(ip)->i_mode))
		return;
	/* COW fork leftovers: reservations of failed writes, staging preallocation. */
	if (xfs_inode_has_cow_data(ip) && xfs_reflink_cancel_cow_range(xi, 0, UINT64_MAX, true) &&
	    !xi->m->shutdown)
		fprintf(stderr, "xfsfuse: inode %llu: cannot free its copy-on-write blocks\n",
			(unsigned long long) xi->ino);
	if (!ip->i_delayed_blks)
		return;
	past_eof = round_up(xfs_isize(xi), xi->m->mp->m_sb.sb_blocksize);
	atomic_fetch_add(&xfs_iomap_stats.eofblocks_trimmed_blocks,
			 xfs_bmap_punch_delalloc_range(xi, past_eof, INT64_MAX));
	if (ip->i_delayed_blks) {
		if (!xi->m->shutdown) /* after one, unwritten data is dropped on purpose */
			fprintf(stderr,
				"xfsfuse: inode %llu freed with %u delalloc blocks under EOF\n",
				(unsigned long long) xi->ino, ip->i_delayed_blks);
		xfs_bmap_punch_delalloc_range(xi, 0, INT64_MAX);
	}
}

/*
 * xfs_can_free_eofblocks: is there anything past EOF to trim?  Only regular
 * files with their extents in memory, and not for files preallocated on
 * purpose unless they carry delalloc.
 */
bool xfs_can_free_eofblocks(struct xb_inode *xi)
{
	struct xfs_mount *mp = xi->m->mp;
	struct xfs_inode *ip = xi->ip;
	struct vfs_inode *inode = xb_vfs_inode(xi);
	uint64_t isize = xfs_isize(xi);
	struct xfs_iext_cursor icur;
	struct xfs_bmbt_irec imap;
	xfs_fileoff_t end_fsb, last_fsb;

	if (!S_ISREG(VFS_I(ip)->i_mode))
		return false;
	if (isize == 0 && (!inode || inode->i_mapping.nrpages == 0) && ip->i_delayed_blks == 0)
		return false;
	if (xfs_need_iread_extents(&ip->i_df))
		return false;
	if ((ip->i_diflags & XFS_DIFLAG_PREALLOC) && !ip->i_delayed_blks)
		return false;
	end_fsb = XFS_B_TO_FSB(mp, isize);
	last_fsb = XFS_B_TO_FSB(mp, xfs_iomap_maxbytes(mp));
	if (last_fsb <= end_fsb)
		return false;
	return ip->i_delayed_blks || xfs_iext_lookup_extent(ip, &ip->i_df, end_fsb, &icur, &imap);
}

static int xfs_free_eofblocks_locked(struct xb_inode *xi, uint64_t *trimmed)
{
	struct xb_mount *m = xi->m;
	struct xfs_inode *ip = xi->ip;
	uint64_t isize, before;
	int error;

	if (!ip || m->readonly || m->shutdown || !xfs_can_free_eofblocks(xi))
		return 0;
	isize = xfs_isize(xi);
	before = ip->i_nblocks + ip->i_delayed_blks;
	/* Preallocated files keep their real blocks; only delalloc goes. */
	if (ip->i_diflags & (XFS_DIFLAG_PREALLOC | XFS_DIFLAG_APPEND)) {
		if (ip->i_delayed_blks)
			xfs_bmap_punch_delalloc_range(xi, round_up(isize, m->mp->m_sb.sb_blocksize),
						      INT64_MAX);
		error = 0;
	} else {
		/* The on-disk size is not touched (the NULL-files rule). */
		error = xb_itruncate_extents(m, ip, XFS_DATA_FORK, XFS_B_TO_FSB(m->mp, isize));
	}
	if (before > ip->i_nblocks + ip->i_delayed_blks) {
		*trimmed = before - ip->i_nblocks - ip->i_delayed_blks;
		atomic_fetch_add(&xfs_iomap_stats.eofblocks_trimmed_blocks, *trimmed);
	}
	return error;
}

int xfs_free_eofblocks(struct xb_inode *xi, uint64_t *trimmed)
{
	uint64_t none;
	int error;

	if (!trimmed)
		trimmed = &none;
	*trimmed = 0;
	xb_lock();
	error = xfs_free_eofblocks_locked(xi, trimmed);
	xb_unlock();
	return error;
}

/*
 * The candidates of the kernel's xfs_blockgc_free_space: every cached
 * regular file with blocks past EOF, each with a reference for the caller,
 * who trims them under their i_rwsem (which may not be taken here: it comes
 * before the libxfs lock).
 */
int xfs_blockgc_candidates(struct xb_mount *m, struct xb_inode ***listp, size_t *np)
{
	struct xb_inode **list = NULL, *xi;
	size_t n = 0, cap = 0, i;

	xb_lock();
	for (i = 0; i < m->hsize; i++) {
		for (xi = m->htab[i]; xi; xi = xi->hnext) {
			if (xi->dying || !xi->ip || !xi->vfs || !xfs_can_free_eofblocks(xi))
				continue;
			if (n == cap) {
				struct xb_inode **l;

				cap = cap ? cap * 2 : 64;
				l = realloc(list, cap * sizeof(*l));
				if (!l)
					break;
				list = l;
			}
			xb_ihold_locked(xi);
			list[n++] = xi;
		}
	}
	xb_unlock();
	*listp = list;
	*np = n;
	return 0;
}

static int xfs_setattr_size_check(struct xb_inode *xi, uint64_t newsize)
{
	int error = 0;

	xb_lock();
	if (!xi->ip)
		error = -ESTALE;
	else if (!S_ISREG(VFS_I(xi->ip)->i_mode))
		error = -EINVAL;
	else if (xi->m->readonly)
		error = -EROFS;
	else if (xi->m->shutdown)
		error = -EIO;
	else if (newsize > xfs_iomap_maxbytes(xi->m->mp))
		error = -EFBIG;
	xb_unlock();
	return error;
}

static bool xfs_setattr_size_empty(struct xb_inode *xi)
{
	bool empty;

	xb_lock();
	empty = xi->ip && xi->ip->i_df.if_nextents == 0 && !xi->ip->i_delayed_blks;
	xb_unlock();
	return empty;
}

/* Log the new size (and c/mtime when it changed), then free what is past it. */
static int xfs_setattr_size_commit(struct xb_inode *xi, uint64_t oldsize, uint64_t newsize)
{
	struct xb_mount *m = xi->m;
	struct xfs_inode *ip = xi->ip;
	struct xfs_trans *tp;
	int error;

	error = xb_trans_alloc(m, &M_RES(m->mp)->tr_itruncate, 0, &tp);
	if (error)
		return error;
	libxfs_trans_ijoin(tp, ip, 0);
	/*
	 * The new size is made permanent before any block is freed: a block
	 * freed and reused by another file can then never show up in this one.
	 */
	ip->i_disk_size = newsize;
	ip->i_size = newsize;
	if (newsize != oldsize)
		libxfs_trans_ichgtime(tp, ip, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
	libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
	error = xb_trans_commit(tp);
	if (error || newsize > oldsize)
		return error;
	/* Real and delalloc extents alike (bunmapi gives reservations back). */
	return xb_itruncate_extents(m, ip, XFS_DATA_FORK, XFS_B_TO_FSB(m->mp, newsize));
}

/*
 * xfs_setattr_size.  The caller holds i_rwsem and invalidate_lock exclusive
 * and has written back what must be (at least the new EOF block when it is
 * unwritten and dirty, which zeroing cannot see).  The partial block is
 * zeroed through the page cache, then i_size moves and the cache past it
 * goes, and only then are extents freed: no writeback can be mapping them.
 */
int xfs_setattr_size(struct xb_inode *xi, uint64_t newsize)
{
	struct vfs_inode *inode = xb_vfs_inode(xi);
	bool did_zeroing = false;
	uint64_t oldsize;
	int error;

	if (!inode)
		return -EINVAL;
	error = xfs_setattr_size_check(xi, newsize);
	if (error)
		return error;
	oldsize = vfs_i_size_read(inode);
	if (newsize == 0 && oldsize == 0 && xfs_setattr_size_empty(xi))
		return 0; /* nothing to do (truncate(2) leaves the times alone) */
	if (newsize > oldsize)
		error = iomap_zero_range(inode, (loff_t) oldsize, (loff_t) (newsize - oldsize),
					 &did_zeroing, &xfs_buffered_write_iomap_ops);
	else
		error = iomap_truncate_page(inode, (loff_t) newsize, &did_zeroing,
					    &xfs_buffered_write_iomap_ops);
	if (error)
		return error;

	/* truncate_setsize: the new size first, then the page cache past it. */
	vfs_i_size_write(inode, newsize);
	truncate_inode_pages_range(&inode->i_mapping, newsize, UINT64_MAX);

	xb_lock();
	error = xi->ip ? xfs_setattr_size_commit(xi, oldsize, newsize) : -ESTALE;
	xb_unlock();
	return error;
}
