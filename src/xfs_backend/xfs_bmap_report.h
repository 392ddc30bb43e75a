/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A regular file's data-fork extent map, for the xfsfuse.bmap virtual xattr
 * (src/control): the incore extents as xfs_bmap / xfs_io's bmap -v shows
 * them, with delayed allocations, plus the holes between them.  No libxfs
 * type leaks out of here.
 */
#ifndef XFSFUSE_XFS_BMAP_REPORT_H
#define XFSFUSE_XFS_BMAP_REPORT_H

#include <stdint.h>

#include "backend.h"

enum xb_bmap_type {
	XB_BMAP_HOLE,
	XB_BMAP_DELALLOC,  /* reserved, not allocated (delayed allocation) */
	XB_BMAP_UNWRITTEN, /* allocated, reads as zeroes until converted */
	XB_BMAP_WRITTEN,
};

#define XB_BMAP_NO_ADDR UINT64_MAX

struct xb_bmap_rec {
	uint64_t offset;  /* file offset, bytes */
	uint64_t length;  /* bytes */
	uint64_t addr;	  /* byte offset on the image, or XB_BMAP_NO_ADDR */
	uint64_t fsblock; /* XFS filesystem block number (0 if no addr) */
	enum xb_bmap_type type;
};

/* The file as the report saw it (sampled in the same locked section). */
struct xb_bmap_info {
	uint64_t size;	    /* in-memory size (the engine's i_size) */
	uint64_t disk_size; /* size logged in the inode (di_size) */
	unsigned int blocksize;
	uint64_t nextents;	 /* incore data-fork records, delalloc included */
	uint64_t delayed_blocks; /* i_delayed_blks */
	uint64_t data_seq;	 /* if_seq: what validity cookies are made of */
};

/*
 * Called once per record in file order, with the libxfs lock held: copy
 * what you need and return; do not block or take any other lock.  A
 * non-zero return stops the walk and is returned by xb_bmap_report.
 */
typedef int (*xb_bmap_fn)(void *arg, const struct xb_bmap_rec *rec);

/*
 * Walk the data fork of the regular file @ip under one xb_lock section:
 * every extent, and the holes between them and up to the block holding the
 * last byte of the file.  Extents past EOF (preallocation) are reported as
 * they are.  -EINVAL for anything but a regular file with an extent list.
 */
int xb_bmap_report(struct xb_inode *ip, struct xb_bmap_info *info, xb_bmap_fn fn, void *arg);

#endif
