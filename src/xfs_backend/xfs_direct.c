// SPDX-License-Identifier: GPL-2.0
/*
 * Direct writes on the XFS side: fs/xfs/xfs_iomap.c of Linux 6.6
 * (xfs_direct_write_iomap_begin, xfs_iomap_write_direct) and the completion
 * of fs/xfs/xfs_file.c (xfs_dio_write_end_io), on libxfs 6.1.  See
 * xfs_direct.h and doc/engine.md "Direct I/O".
 *
 * ILOCK is the libxfs lock (xfs_iomap.h).  The kernel drops ILOCK around
 * the allocation transaction; here the lookup and the allocation run in one
 * xb_lock section, so nobody can change the fork in between.
 */
#include "xb_internal.h"
#include "xfs_direct.h"
#include "trace.h"

struct xfs_dio_stats xfs_dio_stats;

/*
 * Cap on one allocating mapping (the kernel's 1024 * PAGE_SIZE): the work of
 * one transaction stays near what writeback does for one extent.
 */
#define XFS_DIO_MAP_MAX_BYTES ((loff_t) 1024 * 4096)

unsigned int xfs_dio_alignment(struct xb_inode *xi)
{
	return xi->m->mp->m_sb.sb_sectsize;
}

bool xfs_dio_is_cow_inode(struct xb_inode *xi)
{
	bool cow;

	xb_lock();
	cow = xi->ip && xfs_is_reflink_inode(xi->ip);
	xb_unlock();
	return cow;
}

/* imap_needs_alloc: a hole or delalloc has no blocks to write into yet. */
static bool xfs_dio_needs_alloc(const struct xfs_bmbt_irec *imap)
{
	return imap->br_startblock == HOLESTARTBLOCK || imap->br_startblock == DELAYSTARTBLOCK ||
	       isnullstartblock(imap->br_startblock);
}

/*
 * xfs_iomap_write_direct: allocate [offset_fsb, +count_fsb) as unwritten
 * extents (XFS_BMAPI_PREALLOC) in one transaction -- holes and delalloc
 * alike -- and return the first extent allocated in @imap.  Unwritten until
 * the data is on disk, so a crash in between shows zeroes, never stale
 * blocks.
 */
static int xfs_iomap_write_direct(struct xb_inode *xi, xfs_fileoff_t offset_fsb,
				  xfs_filblks_t count_fsb, struct xfs_bmbt_irec *imap)
{
	struct xb_mount *m = xi->m;
	struct xfs_mount *mp = m->mp;
	struct xfs_inode *ip = xi->ip;
	unsigned int resblks = XFS_DIOSTRAT_SPACE_RES(mp, count_fsb);
	struct xfs_trans *tp;
	int nimaps = 1, error;

	error = xb_trans_alloc(m, &M_RES(mp)->tr_write, resblks, &tp);
	if (error)
		return error;
	libxfs_trans_ijoin(tp, ip, 0);
	error = xb_err(xfs_iext_count_may_overflow(ip, XFS_DATA_FORK, XFS_IEXT_ADD_NOSPLIT_CNT));
	if (error == -EFBIG)
		error = xb_err(xfs_iext_count_upgrade(tp, ip, XFS_IEXT_ADD_NOSPLIT_CNT));
	if (!error)
		error = xb_err(libxfs_bmapi_write(tp, ip, offset_fsb, count_fsb, XFS_BMAPI_PREALLOC,
						  0, imap, &nimaps));
	if (error) {
		xb_trans_cancel(m, tp);
		return error;
	}
	error = xb_trans_commit(tp);
	if (error)
		return error;
	if (nimaps == 0)
		return -ENOSPC;
	if (!xfs_valid_startblock(ip, imap->br_startblock))
		return xb_err(-EFSCORRUPTED);
	atomic_fetch_add(&xfs_dio_stats.allocated_blocks, imap->br_blockcount);
	xf_trace("dio_alloc", xi->ino, XFS_FSB_TO_B(mp, imap->br_startoff),
		 XFS_FSB_TO_B(mp, imap->br_blockcount), "seq=%u", ip->i_df.if_seq);
	return 0;
}

/*
 * The COW fork delalloc at @offset_fsb becomes unwritten staging blocks with
 * their CoW record (writeback's xfs_convert_blocks, COW fork), in a loop:
 * fragmented free space may take several allocations to reach @offset_fsb.
 */
static int xfs_dio_cow_allocate(struct xb_inode *xi, xfs_fileoff_t offset_fsb,
				struct xfs_bmbt_irec *cmap)
{
	struct xfs_mount *mp = xi->m->mp;
	struct xfs_inode *ip = xi->ip;

	while (isnullstartblock(cmap->br_startblock)) {
		struct xfs_iext_cursor icur;
		struct iomap unused;
		unsigned int seq;
		int error = xb_err(xfs_bmapi_convert_delalloc(
			ip, XFS_COW_FORK, XFS_FSB_TO_B(mp, offset_fsb), &unused, &seq));

		if (error)
			return error;
		if (!xfs_iext_lookup_extent(ip, ip->i_cowfp, offset_fsb, &icur, cmap) ||
		    cmap->br_startoff > offset_fsb)
			return xb_err(-EFSCORRUPTED);
	}
	return 0;
}

/*
 * xfs_reflink_allocate_cow with convert_now, for a block-aligned direct
 * write of a reflink inode: a COW fork extent at @offset_fsb, or a shared
 * written data extent (which gets one, hint-aligned as a buffered write's),
 * becomes real staging blocks marked written in the incore COW fork; the
 * write goes there (IOMAP_F_SHARED) and completion remaps them
 * (xfs_reflink_end_cow).  Returns 1 with @imap trimmed to what is not
 * shared (written in place or allocated as usual), 0 with @iomap filled.
 */
static int xfs_dio_cow_begin(struct xb_inode *xi, xfs_fileoff_t offset_fsb, xfs_fileoff_t end_fsb,
			     struct xfs_bmbt_irec *imap, struct iomap *iomap)
{
	struct xfs_mount *mp = xi->m->mp;
	struct xfs_inode *ip = xi->ip;
	struct xfs_iext_cursor ccur;
	struct xfs_bmbt_irec cmap;
	bool cow_eof, shared;
	int error;

	if (!ip->i_cowfp)
		xfs_ifork_init_cow(ip);
	cow_eof = !xfs_iext_lookup_extent(ip, ip->i_cowfp, offset_fsb, &ccur, &cmap);
	if (cow_eof || cmap.br_startoff > offset_fsb) {
		/* Stop before the next COW extent: it is that write's destination. */
		if (!cow_eof)
			xfs_trim_extent(imap, offset_fsb, cmap.br_startoff - offset_fsb);
		if (xfs_dio_needs_alloc(imap) || imap->br_state != XFS_EXT_NORM)
			return 1; /* holes and unwritten are never shared */
		error = xfs_bmap_trim_cow(ip, imap, &shared);
		if (error || !shared)
			return error ? error : 1;
		error = xfs_reflink_reserve_cow(xi, offset_fsb,
						imap->br_startoff + imap->br_blockcount, &cmap,
						&ccur, cow_eof);
		if (error)
			return error;
	}
	error = xfs_dio_cow_allocate(xi, offset_fsb, &cmap);
	if (error)
		return error;
	xfs_trim_extent(&cmap, offset_fsb, end_fsb - offset_fsb);
	error = xfs_reflink_convert_cow(xi, XFS_FSB_TO_B(mp, cmap.br_startoff),
					XFS_FSB_TO_B(mp, cmap.br_blockcount));
	if (error)
		return error;
	cmap.br_state = XFS_EXT_NORM;
	atomic_fetch_add(&xfs_dio_stats.cow_blocks, cmap.br_blockcount);
	error = xb_log_data_barrier(xi->m);
	if (error)
		return error;
	return xfs_bmbt_to_iomap(xi, iomap, &cmap, IOMAP_F_SHARED,
				 xfs_iomap_inode_sequence(ip, IOMAP_F_SHARED));
}

static int xfs_direct_write_iomap_begin_locked(struct xb_inode *xi, loff_t offset, loff_t length,
					       struct iomap *iomap)
{
	struct xfs_mount *mp = xi->m->mp;
	struct xfs_inode *ip;
	xfs_fileoff_t offset_fsb = XFS_B_TO_FSBT(mp, offset), end_fsb;
	struct xfs_bmbt_irec imap;
	uint16_t iomap_flags = 0;
	int nimaps = 1, error;

	if (!xi->ip)
		return -ESTALE;
	ip = xi->ip;
	if (xi->m->readonly)
		return -EROFS;
	if (xi->m->shutdown)
		return -EIO;
	if ((uint64_t) offset >= xfs_iomap_maxbytes(mp))
		return -EFBIG;
	/* A partial block cannot be copied on write here: buffered (xfs_file_dio_write). */
	if (xfs_is_reflink_inode(ip) && (((uint64_t) offset | (uint64_t) length) & mp->m_blockmask))
		return -ENOTBLK;
	error = xb_err(libxfs_iread_extents(NULL, ip, XFS_DATA_FORK));
	if (error)
		return error;
	end_fsb = min(XFS_B_TO_FSB(mp, (uint64_t) offset + length),
		      XFS_B_TO_FSB(mp, xfs_iomap_maxbytes(mp)));
	error = xb_err(libxfs_bmapi_read(ip, offset_fsb, end_fsb - offset_fsb, &imap, &nimaps, 0));
	if (error)
		return error;
	if (nimaps == 0)
		return xb_err(-EFSCORRUPTED);
	if (xfs_is_reflink_inode(ip)) {
		error = xfs_dio_cow_begin(xi, offset_fsb, end_fsb, &imap, iomap);
		if (error <= 0)
			return error;
	}
	if (xfs_dio_needs_alloc(&imap)) {
		length = min(length, XFS_DIO_MAP_MAX_BYTES);
		end_fsb = min(end_fsb, XFS_B_TO_FSB(mp, (uint64_t) offset + length));
		end_fsb = min(end_fsb, imap.br_startoff + imap.br_blockcount);
		error = xfs_iomap_write_direct(xi, offset_fsb, end_fsb - offset_fsb, &imap);
		if (error)
			return error;
		xfs_trim_extent(&imap, offset_fsb, end_fsb - offset_fsb);
		iomap_flags |= IOMAP_F_NEW;
	}
	/*
	 * Busy extents (doc/log.md), as writeback's map_blocks: these blocks
	 * may have been another file's until a free not yet checkpointed.
	 */
	error = xb_log_data_barrier(xi->m);
	if (error)
		return error;
	return xfs_bmbt_to_iomap(xi, iomap, &imap, iomap_flags,
				 xfs_iomap_inode_sequence(ip, iomap_flags));
}

static int xfs_direct_write_iomap_begin(struct vfs_inode *inode, loff_t offset, loff_t length,
					unsigned int flags, struct iomap *iomap,
					struct iomap *srcmap)
{
	int error;

	(void) flags;
	(void) srcmap;
	xb_lock();
	error = xfs_direct_write_iomap_begin_locked(xb_from_vfs(inode), offset, length, iomap);
	xb_unlock();
	return error;
}

const struct iomap_ops xfs_direct_write_iomap_ops = {
	.iomap_begin = xfs_direct_write_iomap_begin,
};

/*
 * i_size follows an extending write (spin_lock(i_flags_lock) in the
 * kernel; here xb_lock serialises the completions of direct writes, which
 * hold i_rwsem shared and so exclude every other writer of i_size).
 */
static bool xfs_dio_extend_isize(struct xb_inode *xi, uint64_t end)
{
	if (end <= xfs_isize(xi))
		return false;
	vfs_i_size_write(xb_vfs_inode(xi), end);
	return true;
}

static int xfs_dio_write_end_io_locked(struct xb_inode *xi, uint64_t offset, uint64_t size,
				       unsigned int flags)
{
	int error;

	if (!xi->ip || xi->m->shutdown)
		return -EIO;
	if (flags & IOMAP_DIO_COW) {
		error = xfs_reflink_end_cow(xi, offset, size);
		if (error)
			return error;
	}
	/* Unwritten conversion moves i_size itself, after converting. */
	if (flags & IOMAP_DIO_UNWRITTEN) {
		error = xfs_iomap_write_unwritten(xi, offset, size, true);
		if (!error)
			atomic_fetch_add(&xfs_dio_stats.unwritten_converted_bytes, size);
		return error;
	}
	if (xfs_dio_extend_isize(xi, offset + size))
		return xfs_setfilesize(xi, offset, size);
	return 0;
}

/*
 * xfs_dio_write_end_io: nothing is converted after an error (zeroes stay);
 * the staging blocks of a failed copy-on-write go back.
 */
static int xfs_dio_write_end_io(struct vfs_inode *inode, loff_t offset, ssize_t size, int error,
				unsigned int flags)
{
	struct xb_inode *xi = xb_from_vfs(inode);

	if (error && (flags & IOMAP_DIO_COW)) {
		/* Staging blocks marked written must never be remapped now. */
		xb_lock();
		if (xi->ip)
			xfs_reflink_cancel_cow_range(xi, (uint64_t) offset, (uint64_t) size, true);
		xb_unlock();
	}
	if (error)
		return error;
	if (size <= 0)
		return 0;
	xb_lock();
	error = xfs_dio_write_end_io_locked(xi, (uint64_t) offset, (uint64_t) size, flags);
	xb_unlock();
	return error;
}

const struct iomap_dio_ops xfs_dio_write_ops = {
	.end_io = xfs_dio_write_end_io,
};
