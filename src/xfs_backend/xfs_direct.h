/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The XFS side of direct I/O (xfs_direct.c, doc/engine.md "Direct I/O"):
 * fs/xfs/xfs_iomap.c's xfs_direct_write_iomap_ops and fs/xfs/xfs_file.c's
 * xfs_dio_write_ops, plus what xfs_file_dio_write asks of the inode.  No
 * libxfs type leaks out of here.
 */
#ifndef XFSFUSE_XFS_DIRECT_H
#define XFSFUSE_XFS_DIRECT_H

#include "backend.h"
#include "iomap_dio.h"

/*
 * Map a direct write (xfs_direct_write_iomap_begin): written and unwritten
 * extents as they are; holes and delalloc allocated as unwritten extents
 * (IOMAP_F_NEW) in one transaction each (xfs_iomap_write_direct).  Shared
 * blocks of a reflink inode are copied on write into COW fork staging
 * blocks (IOMAP_F_SHARED) when the write is block-aligned; otherwise
 * -ENOTBLK: the caller writes buffered, as XFS does.
 */
extern const struct iomap_ops xfs_direct_write_iomap_ops;
/* Completion (xfs_dio_write_end_io): unwritten -> written, i_size, on-disk size. */
extern const struct iomap_dio_ops xfs_dio_write_ops;

/* The data device's logical sector size (sb_sectsize): direct I/O's alignment. */
unsigned int xfs_dio_alignment(struct xb_inode *xi);
/* xfs_is_cow_inode: writes may have to copy shared blocks (whole blocks only). */
bool xfs_dio_is_cow_inode(struct xb_inode *xi);

struct xfs_dio_stats {
	_Atomic uint64_t allocated_blocks; /* unwritten extents allocated by direct writes */
	_Atomic uint64_t unwritten_converted_bytes; /* ... converted at their completion */
	_Atomic uint64_t cow_blocks; /* staging blocks written by direct writes (copy-on-write) */
};
extern struct xfs_dio_stats xfs_dio_stats;

#endif
