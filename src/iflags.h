/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel's VFS does with an inode's immutable, append-only and
 * sync flags on the requests that reach the FUSE glue (iflags.c).  The FUSE
 * kernel knows nothing of these flags (its inodes never carry S_IMMUTABLE),
 * so the checks the VFS makes for a local XFS happen here; the namespace
 * and xattr checks live in the backend, under its lock (doc/backend.md).
 */
#ifndef XFSFUSE_IFLAGS_H
#define XFSFUSE_IFLAGS_H

#include <stdbool.h>

#include "backend.h"

/* may_open: writing an immutable file, or not appending to an append-only one. */
int xf_may_open(struct xb_inode *ip, int open_flags);
/* notify_change / do_truncate / utimes for a SETATTR with FUSE_SET_ATTR_* @to_set. */
int xf_may_setattr(struct xb_inode *ip, int to_set);
/* vfs_fallocate: nothing on immutable files, only plain allocation on append-only ones. */
int xf_may_fallocate(struct xb_inode *ip, int mode);
/* IS_SYNC: every write(2) to the file is O_SYNC (iocb_flags). */
/* copy_file_range into @ip: EPERM if immutable, EBADF if append-only. */
int xf_may_copy_to(struct xb_inode *ip);
bool xf_write_is_sync(struct xb_inode *ip);

#endif
