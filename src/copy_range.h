/* SPDX-License-Identifier: GPL-2.0 */
/*
 * copy_file_range on the mount (copy_range.c, doc/reflink.md): share what
 * can be shared, copy the rest through the page cache.
 */
#ifndef XFSFUSE_COPY_RANGE_H
#define XFSFUSE_COPY_RANGE_H

#include "file_ops.h"

/* Bytes copied (possibly short, as copy_file_range may be), or -errno. */
ssize_t xf_file_copy_range(struct xf_engine *e, struct xb_inode *src, uint64_t pos_in,
			   struct xb_inode *dst, uint64_t pos_out, size_t len);

#endif
