/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Direct I/O: the userspace twin of fs/iomap/direct-io.c (iomap_dio_rw).
 * Data goes between the caller's buffer and the image at the mapped disk
 * address, never through the page cache; the page cache over the range is
 * written back first (both directions) and dropped around a write, so a
 * buffered reader sees the direct write's bytes (doc/engine.md "Direct I/O").
 *
 * Synchronous: every pread/pwrite has completed when iomap_dio_rw returns,
 * and ->end_io has run (the kernel's wait_for_completion path).  The caller
 * holds i_rwsem, shared or exclusive as the filesystem decides, across the
 * whole call; the engine takes no inode lock of its own.
 */
#ifndef XFSFUSE_IOMAP_DIO_H
#define XFSFUSE_IOMAP_DIO_H

#include <stdbool.h>
#include <stddef.h>

#include "iomap.h"

struct bdi;

/* What the I/O met, for ->end_io (the kernel's dio->flags). */
#define IOMAP_DIO_UNWRITTEN (1U << 0)  /* wrote into unwritten extents: convert them */
#define IOMAP_DIO_COW	    (1U << 1)  /* wrote into COW fork extents: remap them */
#define IOMAP_DIO_WRITE	    (1U << 30) /* a write */

struct iomap_dio_ops {
	/*
	 * The write's data is on the image: @size bytes from @pos (0 if none),
	 * @error the first error of the I/O or 0 (then @size is the whole
	 * request: what ->iomap_begin may have mapped, to be cancelled).  Converts unwritten
	 * extents and moves i_size and the on-disk size (xfs_dio_write_end_io). Returns 0 or
	 * -errno.  No engine lock held but the caller's i_rwsem.
	 */
	int (*end_io)(struct vfs_inode *inode, loff_t pos, ssize_t size, int error,
		      unsigned int flags);
};

/* One request: the kernel's kiocb and iov_iter together. */
struct iomap_dio_req {
	struct vfs_inode *inode;
	struct bdi *bdi; /* writes the page cache of the range back first */
	loff_t pos;
	size_t len;
	void *buf; /* read into, or (write) written from */
	bool write;
	/*
	 * The device's logical sector size (a power of two): the position
	 * and length of every transfer to or from a mapped extent must be a
	 * multiple, else -EINVAL (iomap_dio_bio_iter).  Holes and unwritten
	 * extents read as zeroes without the check, as in the kernel.
	 */
	unsigned int align;
};

/*
 * Returns the bytes transferred (a read stops at i_size) or -errno.
 * -ENOTBLK: a write found the page cache over its range dirty again after
 * writing it back (a racing mmap store) and did nothing; the caller falls
 * back to a buffered write, as XFS does.  Flags: IOMAP_DIRECT (|IOMAP_WRITE)
 * to ->iomap_begin; a write mapping must be MAPPED or UNWRITTEN (IOMAP_F_NEW
 * when just allocated: the parts of its blocks outside the write are zeroed
 * on disk), never a hole or delalloc.
 */
ssize_t iomap_dio_rw(const struct iomap_dio_req *req, const struct iomap_ops *ops,
		     const struct iomap_dio_ops *dops);

/*
 * Direct I/O in flight on an inode (inode_dio_begin/end): truncate,
 * fallocate and hole punching wait for none to be left (inode_dio_wait)
 * after taking i_rwsem exclusive.
 */
void inode_dio_begin(struct vfs_inode *inode);
void inode_dio_end(struct vfs_inode *inode);
void inode_dio_wait(struct vfs_inode *inode);

/* Counters (xfsfuse.counters, doc/control.md). */
struct iomap_dio_stats {
	_Atomic uint64_t reads, writes; /* iomap_dio_rw calls that transferred data */
	_Atomic uint64_t bytes_read, bytes_written;
	_Atomic uint64_t zeroed_bytes; /* sub-block zeroing around unaligned writes */
	_Atomic uint64_t fallbacks;    /* writes done buffered (ENOTBLK, reflink) */
	_Atomic uint64_t stale_cache;  /* direct writes that could not drop the cache after */
};
extern struct iomap_dio_stats iomap_dio_stats;

#endif
