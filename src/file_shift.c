// SPDX-License-Identifier: GPL-2.0
/*
 * FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE and
 * FALLOC_FL_UNSHARE_RANGE: the shape of fs/xfs/xfs_file.c
 * xfs_file_fallocate and fs/xfs/xfs_bmap_util.c xfs_prepare_shift
 * (doc/engine.md "Collapse, insert, unshare").
 *
 * Locks: i_rwsem and invalidate_lock exclusive for the whole operation, as
 * xfs_file_fallocate's XFS_IOLOCK_EXCL | XFS_MMAPLOCK_EXCL: no buffered
 * write, no page fault, no cache fill may run while extents move.  The
 * libxfs lock (ILOCK) is taken by the backend, below them (doc/engine.md
 * "Lock order").  inode_dio_wait has nothing to wait for: every I/O of the
 * engine runs under i_rwsem or a folio lock, none completes later.
 */
#include "file_ops.h"

#include <errno.h>
#include <stdint.h>

#include "iomap.h"
#include "vfs_atime.h"
#include "xfs_iomap.h"

/* MAX_LFS_FILESIZE: the s_maxbytes of both the kernel's XFS and FUSE. */
#define XF_MAXBYTES ((uint64_t) INT64_MAX)

/* file_modified(): mtime and ctime move before the data does. */
static int xf_shift_modified(struct xf_engine *e, struct xb_inode *ip)
{
	return xb_file_update_time(ip, atomic_load(&e->atime_flags) & VFS_ATIME_LAZYTIME);
}

/*
 * xfs_prepare_shift: no post-EOF preallocation may be shifted into the
 * file, and from the block before @off to EOF nothing may stay cached or
 * under writeback (a COW completion there could merge a record across the
 * boundary while it moves).  The backend then drops what is left of the
 * COW fork past that block.
 */
static int xf_prepare_shift(struct xf_engine *e, struct vfs_inode *v, struct xb_inode *ip,
			    uint64_t off)
{
	int error = xfs_free_eofblocks(ip, NULL); /* fallocate's reply drops the attrs */

	if (error)
		return error;
	return xf_flush_unmap_range(e, v, xfs_shift_boundary(ip, off), vfs_i_size_read(v));
}

/* xfs_file_fallocate's FALLOC_FL_COLLAPSE_RANGE arm and xfs_collapse_file_space. */
static int xf_collapse_locked(struct xf_engine *e, struct vfs_inode *v, struct xb_inode *ip,
			      uint64_t off, uint64_t len)
{
	uint64_t isize = vfs_i_size_read(v);
	int error;

	/* Reaching EOF would be a truncate: not this call's job. */
	if (off + len >= isize)
		return -EINVAL;
	error = xf_shift_modified(e, ip);
	if (!error)
		error = xf_flush_unmap_range(e, v, off, len);
	if (!error)
		error = xfs_free_file_space(ip, off, len);
	if (!error)
		error = xf_prepare_shift(e, v, ip, off);
	if (!error)
		error = xfs_collapse_file_space(ip, off, len);
	if (!error)
		error = xfs_setattr_size(ip, isize - len);
	return error;
}

/*
 * FALLOC_FL_INSERT_RANGE: the size grows first, so that a crash in the
 * middle of the shift never leaves data in extents past EOF (the kernel's
 * order); the old EOF block's tail is zeroed on the way, then written back
 * by the shift's flush.
 */
static int xf_insert_locked(struct xf_engine *e, struct vfs_inode *v, struct xb_inode *ip,
			    uint64_t off, uint64_t len)
{
	uint64_t isize = vfs_i_size_read(v);
	int error;

	if (XF_MAXBYTES - isize < len)
		return -EFBIG;
	if (off >= isize)
		return -EINVAL;
	error = xf_shift_modified(e, ip);
	if (!error)
		error = xfs_setattr_size(ip, isize + len);
	if (!error)
		error = xf_prepare_shift(e, v, ip, off);
	if (!error)
		error = xfs_insert_file_space(ip, off, len);
	return error;
}

int xf_file_shift_locked(struct xf_engine *e, struct xb_inode *ip, uint64_t off, uint64_t len,
			 bool insert)
{
	struct vfs_inode *v = xb_vfs_inode(ip);
	uint64_t mask = xb_blocksize(xb_inode_mount(ip)) - 1;

	if (!v)
		return -EINVAL;
	/* xfs_is_falloc_aligned: whole blocks move, or nothing does. */
	if ((off | len) & mask)
		return -EINVAL;
	return insert ? xf_insert_locked(e, v, ip, off, len)
		      : xf_collapse_locked(e, v, ip, off, len);
}

/* vfs_fallocate's own checks of the range (and an inode to work on). */
static int xf_falloc_range_check(const struct vfs_inode *v, uint64_t off, uint64_t len)
{
	if (!v)
		return -EINVAL;
	if (!len || off > XF_MAXBYTES || len > XF_MAXBYTES)
		return -EINVAL;
	if (off + len > XF_MAXBYTES)
		return -EFBIG;
	return 0;
}

/* vfs_fallocate's own checks, then both locks around @fn's work. */
static int xf_shift(struct xf_engine *e, struct xb_inode *ip, uint64_t off, uint64_t len,
		    bool insert)
{
	struct vfs_inode *v = xb_vfs_inode(ip);
	int error;

	error = xf_falloc_range_check(v, off, len);
	if (error)
		return error;
	inode_lock(v);
	filemap_invalidate_lock(v);
	error = xf_file_shift_locked(e, ip, off, len, insert);
	filemap_invalidate_unlock(v);
	inode_unlock(v);
	/* Shrinking zeroed the new EOF block's tail in the page cache. */
	if (!error && e->running)
		bdi_mark_inode_dirty(e->bdi, v);
	return error;
}

int xf_file_collapse_range(struct xf_engine *e, struct xb_inode *ip, uint64_t off, uint64_t len)
{
	return xf_shift(e, ip, off, len, false);
}

int xf_file_insert_range(struct xf_engine *e, struct xb_inode *ip, uint64_t off, uint64_t len)
{
	return xf_shift(e, ip, off, len, true);
}

/*
 * xfs_reflink_try_clear_inode_flag: an inode that shares nothing any more
 * loses its reflink flag.  The kernel gives back the COW fork right away;
 * here the rest of the file is written back first (only when nothing is
 * shared: the cheap check comes first), so that no dirty folio outside the
 * unshared range and no ioend in flight still counts on a staging extent
 * the clearing frees.  i_rwsem and invalidate_lock, held, keep new writes
 * and faults out meanwhile.
 */
static int xf_reflink_try_clear_flag(struct xf_engine *e, struct vfs_inode *v, struct xb_inode *ip)
{
	bool shared;
	int error;

	error = xfs_reflink_inode_has_shared_extents(ip, &shared);
	if (error || shared)
		return error;
	error = filemap_write_and_wait_range(e->bdi, v, 0, UINT64_MAX);
	if (!error)
		error = xfs_reflink_try_clear_inode_flag(ip);
	return error;
}

/*
 * xfs_reflink_unshare: dirty every cached-or-read folio over shared blocks
 * (iomap_file_unshare reserves COW fork blocks for them), then write the
 * range back: writeback allocates the new blocks, writes the copies and
 * remaps them over the shared ones (doc/reflink.md); last, a file left
 * sharing nothing loses its reflink flag.  Files that never shared
 * anything have nothing to do.
 */
static int xf_reflink_unshare(struct xf_engine *e, struct vfs_inode *v, struct xb_inode *ip,
			      uint64_t off, uint64_t len)
{
	int error;

	if (!xfs_reflink_inode_may_share(ip))
		return 0;
	if (!e->running)
		return -EOPNOTSUPP; /* no writeback to copy the blocks */
	error = iomap_file_unshare(v, (loff_t) off, (loff_t) len, &xfs_buffered_write_iomap_ops);
	if (!error)
		bdi_mark_inode_dirty(e->bdi, v);
	if (!error)
		error = filemap_write_and_wait_range(e->bdi, v, off, off + len - 1);
	if (!error)
		error = xf_reflink_try_clear_flag(e, v, ip);
	return error;
}

/*
 * FALLOC_FL_UNSHARE_RANGE (with or without KEEP_SIZE): unshare, then
 * allocate the holes of the range as preallocation, and grow the size
 * without KEEP_SIZE -- the allocate mode with a copy first.
 */
int xf_file_unshare_range(struct xf_engine *e, struct xb_inode *ip, uint64_t off, uint64_t len,
			  bool keep_size)
{
	struct vfs_inode *v = xb_vfs_inode(ip);
	int error;

	error = xf_falloc_range_check(v, off, len);
	if (error)
		return error;
	inode_lock(v);
	filemap_invalidate_lock(v);
	error = xf_shift_modified(e, ip);
	if (!error)
		error = xf_reflink_unshare(e, v, ip, off, len);
	if (!error)
		error = xb_prealloc(ip, off, len, true);
	if (!error && !keep_size && off + len > vfs_i_size_read(v))
		error = xfs_setattr_size(ip, off + len);
	filemap_invalidate_unlock(v);
	inode_unlock(v);
	return error;
}
