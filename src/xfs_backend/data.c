// SPDX-License-Identifier: GPL-2.0
/*
 * File data, synchronous path: what xfsfuse-mkimage, the backend unit tests
 * and a mount whose engine is not running use (a mount's data goes through
 * the page-cache engine, src/iomap + xfs_iomap.c).  The block-freeing
 * helpers at the end (xb_unmap_range, xb_itruncate_extents) serve both.
 *
 * Writes follow the kernel's direct-I/O shape (xfs_direct_write_iomap_begin,
 * xfs_dio_write_end_io): allocate holes as *unwritten* extents, write the
 * data to the mapped blocks, then convert unwritten -> written and move the
 * on-disk size.  A crash between the steps exposes zeroes, never stale disk
 * contents.  Partial blocks are read-modify-written.  Everything runs under
 * the libxfs lock: correct, not fast.
 *
 * Invariant kept by truncate and relied on by extending writes: the bytes
 * of the EOF block past EOF are zero on disk (iomap_truncate_page's rule).
 */
#include "xb_internal.h"

/* Largest extent we ask for in one allocation transaction. */
#define XB_ALLOC_CHUNK ((xfs_filblks_t) 1 << 16)

/* Largest file size (s_maxbytes): shared with the engine's XFS side. */
static uint64_t xb_maxbytes(struct xfs_mount *mp)
{
	return xfs_iomap_maxbytes(mp);
}

static int xb_dfd(struct xb_mount *m)
{
	return m->xi.dfd;
}

static off_t xb_fsb_to_byte(struct xfs_mount *mp, xfs_fsblock_t fsb)
{
	return (off_t) BBTOB(XFS_FSB_TO_DADDR(mp, fsb));
}

/*
 * Run xfs_bmapi_write over [start, start+count) in as many transactions as
 * it takes, @resblks(len) blocks reserved for each.  With XFS_BMAPI_PREALLOC
 * this allocates every hole as unwritten (xfs_alloc_file_space); with
 * XFS_BMAPI_CONVERT it turns unwritten extents into written ones
 * (xfs_iomap_write_unwritten).
 */
static int xb_bmapi_write_range(struct xb_mount *m, struct xfs_inode *ip, xfs_fileoff_t start,
				xfs_filblks_t count, uint32_t flags,
				unsigned int (*resblks)(struct xfs_mount *, xfs_filblks_t))
{
	struct xfs_mount *mp = m->mp;

	while (count) {
		xfs_filblks_t len = min(count, XB_ALLOC_CHUNK);
		unsigned int res = resblks(mp, len);
		struct xfs_bmbt_irec map;
		struct xfs_trans *tp;
		int nmaps = 1, error;

		error = xb_trans_alloc(m, &M_RES(mp)->tr_write, res, &tp);
		if (error)
			return error;
		libxfs_trans_ijoin(tp, ip, 0);
		error = xb_err(libxfs_bmapi_write(tp, ip, start, len, flags, res, &map, &nmaps));
		if (error) {
			xb_trans_cancel(m, tp);
			return error;
		}
		error = xb_trans_commit(tp);
		if (error)
			return error;
		if (nmaps == 0)
			return (flags & XFS_BMAPI_CONVERT) ? -EUCLEAN : -ENOSPC;
		len = map.br_startoff + map.br_blockcount - start;
		if (len > count)
			len = count;
		start += len;
		count -= len;
	}
	return 0;
}

static unsigned int xb_alloc_resblks(struct xfs_mount *mp, xfs_filblks_t len)
{
	return XFS_DIOSTRAT_SPACE_RES(mp, len);
}

static unsigned int xb_convert_resblks(struct xfs_mount *mp, xfs_filblks_t len)
{
	(void) len;
	return XFS_DIOSTRAT_SPACE_RES(mp, 0) << 1;
}

static int xb_alloc_unwritten(struct xb_mount *m, struct xfs_inode *ip, xfs_fileoff_t start,
			      xfs_filblks_t count)
{
	return xb_bmapi_write_range(m, ip, start, count, XFS_BMAPI_PREALLOC, xb_alloc_resblks);
}

static int xb_convert_written(struct xb_mount *m, struct xfs_inode *ip, xfs_fileoff_t start,
			      xfs_filblks_t count)
{
	return xb_bmapi_write_range(m, ip, start, count, XFS_BMAPI_CONVERT, xb_convert_resblks);
}

/* Read one file block: zeroes for holes and unwritten extents. */
static int xb_read_block(struct xb_mount *m, struct xfs_inode *ip, xfs_fileoff_t fsb, char *dst)
{
	struct xfs_mount *mp = m->mp;
	struct xfs_bmbt_irec map;
	int nmaps = 1, error;
	ssize_t n;

	error = xb_err(libxfs_bmapi_read(ip, fsb, 1, &map, &nmaps, 0));
	if (error)
		return error;
	if (nmaps == 0 || map.br_startblock == HOLESTARTBLOCK ||
	    map.br_startblock == DELAYSTARTBLOCK || map.br_state == XFS_EXT_UNWRITTEN) {
		memset(dst, 0, mp->m_sb.sb_blocksize);
		return 0;
	}
	n = pread(xb_dfd(m), dst, mp->m_sb.sb_blocksize,
		  xb_fsb_to_byte(mp, map.br_startblock + (fsb - map.br_startoff)));
	if (n < 0)
		return -errno;
	return n == mp->m_sb.sb_blocksize ? 0 : -EIO;
}

/* Write a block-aligned buffer to the (allocated) blocks of [start, start+count). */
static int xb_write_mapped(struct xb_mount *m, struct xfs_inode *ip, xfs_fileoff_t start,
			   xfs_filblks_t count, const char *src)
{
	struct xfs_mount *mp = m->mp;
	xfs_fileoff_t end = start + count, fsb = start;

	while (fsb < end) {
		struct xfs_bmbt_irec map;
		int nmaps = 1, error;
		size_t bytes;
		ssize_t n;

		error = xb_err(libxfs_bmapi_read(ip, fsb, end - fsb, &map, &nmaps, 0));
		if (error)
			return error;
		if (nmaps == 0 || map.br_startblock == HOLESTARTBLOCK ||
		    map.br_startblock == DELAYSTARTBLOCK)
			return -EUCLEAN; /* we just allocated it */
		bytes = XFS_FSB_TO_B(mp, map.br_blockcount);
		n = pwrite(xb_dfd(m), src + XFS_FSB_TO_B(mp, fsb - start), bytes,
			   xb_fsb_to_byte(mp, map.br_startblock));
		if (n < 0)
			return -errno;
		if ((size_t) n != bytes)
			return -EIO;
		fsb += map.br_blockcount;
	}
	return 0;
}

/* Log size and times after a write or fallocate. */
static int xb_update_size_times(struct xb_mount *m, struct xfs_inode *ip, uint64_t new_size,
				bool prealloc)
{
	struct xfs_trans *tp;
	int error;

	error = xb_trans_alloc(m, &M_RES(m->mp)->tr_ichange, 0, &tp);
	if (error)
		return error;
	libxfs_trans_ijoin(tp, ip, 0);
	if (new_size > (uint64_t) ip->i_size) {
		ip->i_size = new_size;
		ip->i_disk_size = new_size;
	}
	if (prealloc)
		ip->i_diflags |= XFS_DIFLAG_PREALLOC;
	libxfs_trans_ichgtime(tp, ip, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
	libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
	return xb_trans_commit(tp);
}

static int xb_check_regular_rw(struct xb_inode *xi)
{
	if (!xi->ip)
		return -ESTALE;
	if (!S_ISREG(VFS_I(xi->ip)->i_mode))
		return S_ISDIR(VFS_I(xi->ip)->i_mode) ? -EISDIR : -EINVAL;
	if (xi->m->readonly)
		return -EROFS;
	if (xi->m->shutdown)
		return -EIO;
	return 0;
}

static int xb_write_locked(struct xb_inode *xi, const void *buf, size_t len, uint64_t off)
{
	struct xb_mount *m = xi->m;
	struct xfs_mount *mp = m->mp;
	struct xfs_inode *ip = xi->ip;
	unsigned int bs = mp->m_sb.sb_blocksize;
	xfs_fileoff_t start = off >> mp->m_sb.sb_blocklog;
	xfs_fileoff_t end = (off + len + bs - 1) >> mp->m_sb.sb_blocklog;
	size_t head = off - ((uint64_t) start << mp->m_sb.sb_blocklog);
	char *bounce;
	int error;

	if (off + len > xb_maxbytes(mp))
		return -EFBIG;
	/* This path writes in place; shared blocks need the engine's COW (doc/reflink.md). */
	if (xfs_is_reflink_inode(ip))
		return -EOPNOTSUPP;
	error = xb_alloc_unwritten(m, ip, start, end - start);
	if (error)
		return error;
	bounce = aligned_alloc(4096, ((size_t) (end - start) * bs + 4095) & ~(size_t) 4095);
	if (!bounce)
		return -ENOMEM;
	error = 0;
	if (head)
		error = xb_read_block(m, ip, start, bounce);
	if (!error && (off + len) % bs && (end - 1 != start || !head))
		error = xb_read_block(m, ip, end - 1, bounce + (size_t) (end - 1 - start) * bs);
	if (!error) {
		memcpy(bounce + head, buf, len);
		error = xb_write_mapped(m, ip, start, end - start, bounce);
	}
	free(bounce);
	if (!error)
		error = xb_convert_written(m, ip, start, end - start);
	if (!error)
		error = xb_update_size_times(m, ip, off + len, false);
	return error ? error : (int) len;
}

int xb_write(struct xb_inode *xi, const void *buf, size_t len, uint64_t off)
{
	int error;

	if (len == 0)
		return 0;
	if (len > INT32_MAX)
		len = INT32_MAX & ~4095;
	xb_lock();
	error = xb_check_regular_rw(xi);
	if (!error)
		error = xb_write_locked(xi, buf, len, off);
	xb_unlock();
	return error;
}

static int xb_read_locked(struct xb_inode *xi, char *buf, size_t len, uint64_t off)
{
	struct xb_mount *m = xi->m;
	struct xfs_mount *mp = m->mp;
	struct xfs_inode *ip = xi->ip;
	uint64_t size = ip->i_size, pos = off;
	unsigned int bs = mp->m_sb.sb_blocksize;
	char *blk;

	if (off >= size)
		return 0;
	if (len > size - off)
		len = size - off;
	blk = malloc(bs);
	if (!blk)
		return -ENOMEM;
	while (pos < off + len) {
		xfs_fileoff_t fsb = pos >> mp->m_sb.sb_blocklog;
		size_t in = pos & (bs - 1), n = min((size_t) (bs - in), (size_t) (off + len - pos));
		int error = xb_read_block(m, ip, fsb, blk);

		if (error) {
			free(blk);
			return error;
		}
		memcpy(buf + (pos - off), blk + in, n);
		pos += n;
	}
	free(blk);
	return (int) len;
}

int xb_read(struct xb_inode *xi, void *buf, size_t len, uint64_t off)
{
	int error = 0;

	if (len > INT32_MAX)
		len = INT32_MAX & ~4095;
	xb_lock();
	if (!xi->ip)
		error = -ESTALE;
	else if (S_ISDIR(VFS_I(xi->ip)->i_mode))
		error = -EISDIR;
	else if (!S_ISREG(VFS_I(xi->ip)->i_mode))
		error = -EINVAL;
	if (!error)
		error = xb_read_locked(xi, buf, len, off);
	xb_unlock();
	return error;
}

int xb_prealloc(struct xb_inode *xi, uint64_t off, uint64_t len, bool keep_size)
{
	struct xfs_mount *mp;
	xfs_fileoff_t start, end;
	int error;

	if (len == 0)
		return -EINVAL;
	xb_lock();
	error = xb_check_regular_rw(xi);
	if (error)
		goto out_unlock;
	mp = xi->m->mp;
	error = -EFBIG;
	if (off + len > xb_maxbytes(mp))
		goto out_unlock;
	start = off >> mp->m_sb.sb_blocklog;
	end = (off + len + mp->m_sb.sb_blocksize - 1) >> mp->m_sb.sb_blocklog;
	error = xb_alloc_unwritten(xi->m, xi->ip, start, end - start);
	if (!error)
		error = xb_update_size_times(xi->m, xi->ip, keep_size ? 0 : off + len, true);
out_unlock:
	xb_unlock();
	return error;
}

/* Zero the tail of the block holding the new EOF, if it is written on disk. */
static int xb_zero_eof_block(struct xb_mount *m, struct xfs_inode *ip, uint64_t size)
{
	struct xfs_mount *mp = m->mp;
	unsigned int bs = mp->m_sb.sb_blocksize, in = size & (bs - 1);
	xfs_fileoff_t fsb = size >> mp->m_sb.sb_blocklog;
	struct xfs_bmbt_irec map;
	int nmaps = 1, error;
	char *blk;
	ssize_t n;

	if (!in)
		return 0;
	if (xfs_is_reflink_inode(ip))
		return -EOPNOTSUPP; /* would zero a block in place that may be shared */
	error = xb_err(libxfs_bmapi_read(ip, fsb, 1, &map, &nmaps, 0));
	if (error || nmaps == 0 || map.br_startblock == HOLESTARTBLOCK ||
	    map.br_startblock == DELAYSTARTBLOCK || map.br_state == XFS_EXT_UNWRITTEN)
		return error;
	blk = malloc(bs);
	if (!blk)
		return -ENOMEM;
	error = xb_read_block(m, ip, fsb, blk);
	if (!error) {
		memset(blk + in, 0, bs - in);
		n = pwrite(xb_dfd(m), blk, bs,
			   xb_fsb_to_byte(mp, map.br_startblock + (fsb - map.br_startoff)));
		error = n < 0 ? -errno : (n == bs ? 0 : -EIO);
	}
	free(blk);
	return error;
}

/*
 * Unmap [start, start+len) of @whichfork in as many transactions as it takes
 * (xfs_unmap_extent / xfs_itruncate_extents shape).  Delalloc in the range
 * is punched and its reservation given back by libxfs's bunmapi.
 */
static int xb_unmap_range_res(struct xb_mount *m, struct xfs_inode *ip, int whichfork,
			      xfs_fileoff_t start, xfs_filblks_t len, bool hole)
{
	struct xfs_mount *mp = m->mp;
	/*
	 * A hole in the middle of an extent splits it: reserve the blocks a
	 * bmbt split may need, as xfs_unmap_extent does.  Cutting a tail off
	 * (truncate) never splits and needs none (xfs_itruncate_extents).
	 */
	struct xfs_trans_res *resv = hole ? &M_RES(mp)->tr_write : &M_RES(mp)->tr_itruncate;
	unsigned int resblks = hole ? XFS_DIOSTRAT_SPACE_RES(mp, 0) : 0;
	int done = 0;

	while (!done) {
		struct xfs_trans *tp;
		int error;

		error = xb_trans_alloc(m, resv, resblks, &tp);
		if (error)
			return error;
		libxfs_trans_ijoin(tp, ip, 0);
		error = xb_err(
			libxfs_bunmapi(tp, ip, start, len, xfs_bmapi_aflag(whichfork), 2, &done));
		if (error) {
			xb_trans_cancel(m, tp);
			return error;
		}
		libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
		error = xb_trans_commit(tp);
		if (error)
			return error;
	}
	return 0;
}

int xb_unmap_range(struct xb_mount *m, struct xfs_inode *ip, int whichfork, xfs_fileoff_t start,
		   xfs_filblks_t len)
{
	return xb_unmap_range_res(m, ip, whichfork, start, len, true);
}

/* Free every block from @start on (the kernel's xfs_itruncate_extents). */
int xb_itruncate_extents(struct xb_mount *m, struct xfs_inode *ip, int whichfork,
			 xfs_fileoff_t start)
{
	/* COW staging blocks past the new end are nobody's any more. */
	if (whichfork == XFS_DATA_FORK && xfs_inode_has_cow_data(ip)) {
		int error = xfs_reflink_cancel_cow_blocks(m, ip, start, XFS_MAX_FILEOFF, true);

		if (error)
			return error;
	}
	return xb_unmap_range_res(m, ip, whichfork, start, XFS_MAX_FILEOFF - start, false);
}

int xb_truncate_locked(struct xb_inode *xi, uint64_t size)
{
	struct xb_mount *m = xi->m;
	struct xfs_mount *mp = m->mp;
	struct xfs_inode *ip = xi->ip;
	struct xfs_trans *tp;
	int error;

	if (m->readonly)
		return -EROFS;
	if (size > xb_maxbytes(mp))
		return -EFBIG;
	if (size < (uint64_t) ip->i_size) {
		error = xb_zero_eof_block(m, ip, size);
		if (!error)
			error = xb_itruncate_extents(m, ip, XFS_DATA_FORK, XFS_B_TO_FSB(mp, size));
		if (error)
			return error;
	}
	error = xb_trans_alloc(m, &M_RES(mp)->tr_ichange, 0, &tp);
	if (error)
		return error;
	libxfs_trans_ijoin(tp, ip, 0);
	ip->i_size = size;
	ip->i_disk_size = size;
	libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
	return xb_trans_commit(tp);
}

int xb_fsync(struct xb_inode *xi, bool datasync)
{
	int error;

	if (xi->m->readonly)
		return 0;
	xb_lock();
	/* vfs_fsync_range: an fsync (not fdatasync) logs lazytime's timestamps first. */
	error = datasync ? 0 : xb_flush_dirty_time_locked(xi);
	if (!error)
		error = xb_log_fsync(xi, datasync);
	xb_unlock();
	return error;
}
