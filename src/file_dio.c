// SPDX-License-Identifier: GPL-2.0
/*
 * O_DIRECT reads and writes: the shape of fs/xfs/xfs_file.c's
 * xfs_file_dio_read, xfs_file_dio_write, xfs_file_dio_write_aligned and
 * xfs_file_dio_write_unaligned over src/iomap/direct-io.c (doc/engine.md
 * "Direct I/O").  The FUSE glue calls these for opens with O_DIRECT.
 *
 * Locks: i_rwsem shared for a read and for a block-aligned write, which
 * may run side by side (they never touch the same block's unwritten
 * state); exclusive for a write that starts or ends inside a block, which
 * zeroes the rest of that block on disk and must not race another direct
 * write of it -- and for a write past EOF that zeroes the gap first.
 */
#include "file_ops.h"

#include <errno.h>

#include "iomap_dio.h"
#include "vfs_atime.h"
#include "xfs_direct.h"
#include "xfs_iomap.h"

static struct iomap_dio_req xf_dio_req(struct xf_engine *e, struct xb_inode *ip, void *buf,
				       size_t len, off_t off, bool write)
{
	return (struct iomap_dio_req){
		.inode = xb_vfs_inode(ip),
		.bdi = e->bdi,
		.pos = off,
		.len = len,
		.buf = buf,
		.write = write,
		.align = xfs_dio_alignment(ip),
	};
}

ssize_t xf_file_dio_read(struct xf_engine *e, struct xb_inode *ip, void *buf, size_t len, off_t off)
{
	struct vfs_inode *v = xb_vfs_inode(ip);
	struct iomap_dio_req req;
	ssize_t n;

	if (!v || !e->running)
		return xf_file_read(e, ip, buf, len, off, false);
	req = xf_dio_req(e, ip, buf, len, off, false);
	inode_lock_shared(v);
	n = iomap_dio_rw(&req, &xfs_read_iomap_ops, NULL);
	inode_unlock(v);
	return n;
}

/*
 * xfs_file_write_checks for a direct write: a write past EOF zeroes the gap
 * from the old EOF through the page cache first, which needs i_rwsem
 * exclusive and no direct I/O in flight (the kernel's "drained_dio"
 * restart); then mtime and ctime.  setuid/setgid removal is the FUSE
 * glue's, as for buffered writes.
 */
static int xf_dio_write_checks(struct xf_engine *e, struct xb_inode *ip, struct vfs_inode *v,
			       off_t off, bool *exclusive)
{
	bool did_zero = false;
	uint64_t isize;
	int error;

	isize = vfs_i_size_read(v);
	if ((uint64_t) off > isize) {
		if (!*exclusive) {
			inode_unlock(v);
			inode_lock(v);
			*exclusive = true;
			inode_dio_wait(v);
			isize = vfs_i_size_read(v);
		}
		if ((uint64_t) off > isize) {
			error = iomap_zero_range(v, (loff_t) isize, off - (loff_t) isize, &did_zero,
						 &xfs_buffered_write_iomap_ops);
			if (error)
				return error;
			if (did_zero)
				bdi_mark_inode_dirty(e->bdi, v);
		}
	}
	return xb_file_update_time(ip, atomic_load(&e->atime_flags) & VFS_ATIME_LAZYTIME);
}

/*
 * One attempt, locked as xfs_file_dio_write_aligned / _unaligned.  The
 * kernel demotes the exclusive lock of an EOF-zeroing aligned write to
 * shared for the I/O; pthread rwlocks cannot, so such a write keeps it.
 */
static ssize_t xf_dio_write_locked(struct xf_engine *e, struct xb_inode *ip, const void *buf,
				   size_t len, off_t off, bool unaligned)
{
	struct vfs_inode *v = xb_vfs_inode(ip);
	struct iomap_dio_req req = xf_dio_req(e, ip, (void *) buf, len, off, true);
	bool exclusive = unaligned;
	ssize_t n;

	if (exclusive) {
		inode_lock(v);
		inode_dio_wait(v); /* other direct I/O to the block drains first */
	} else {
		inode_lock_shared(v);
	}
	/* A partial shared block: copy-on-write through the page cache. */
	if (unaligned && xfs_dio_is_cow_inode(ip)) {
		inode_unlock(v);
		return -ENOTBLK;
	}
	n = xf_dio_write_checks(e, ip, v, off, &exclusive);
	if (!n)
		n = iomap_dio_rw(&req, &xfs_direct_write_iomap_ops, &xfs_dio_write_ops);
	inode_unlock(v);
	return n;
}

ssize_t xf_file_dio_write(struct xf_engine *e, struct xb_inode *ip, const void *buf, size_t len,
			  off_t off)
{
	struct vfs_inode *v = xb_vfs_inode(ip);
	uint64_t blockmask;
	bool unaligned;
	ssize_t n;

	if (!v || !e->running)
		return xf_file_write(e, ip, buf, len, off, false);
	if (!len)
		return 0;
	/* xfs_file_dio_write: the device's logical sector size. */
	if (((uint64_t) off | len) & (xfs_dio_alignment(ip) - 1))
		return -EINVAL;
	blockmask = (1ULL << v->i_blkbits) - 1;
	unaligned = ((uint64_t) off | len) & blockmask;
	n = xf_dio_write_locked(e, ip, buf, len, off, unaligned);
	if (n == -ENOSPC) {
		/* As the buffered path: free what can be, retry once. */
		xf_engine_free_space(e);
		n = xf_dio_write_locked(e, ip, buf, len, off, unaligned);
	}
	if (n == -ENOTBLK) {
		atomic_fetch_add(&iomap_dio_stats.fallbacks, 1);
		n = xf_file_write(e, ip, buf, len, off, false);
	}
	return n;
}
