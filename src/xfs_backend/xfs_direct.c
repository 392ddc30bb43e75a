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
	/* Shared blocks need copy-on-write: the caller writes buffered. */
	if (xfs_is_reflink_inode(ip))
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

/* xfs_dio_write_end_io: nothing is converted after an error (zeroes stay). */
static int xfs_dio_write_end_io(struct vfs_inode *inode, loff_t offset, ssize_t size, int error,
				unsigned int flags)
{
	struct xb_inode *xi = xb_from_vfs(inode);

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
