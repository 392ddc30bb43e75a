// SPDX-License-Identifier: GPL-2.0
/*
 * The VFS's rules for immutable, append-only and sync inodes on open,
 * setattr, fallocate and write (see iflags.h).  Each returns -EPERM where
 * the kernel does for a local XFS; doc/backend.md "Inode flags" lists them
 * and where xfsfuse differs.
 */
#include "iflags.h"

#include "fuse_api.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>

int xf_may_open(struct xb_inode *ip, int open_flags)
{
	unsigned int f = xb_iflags(ip);
	bool writing = (open_flags & O_ACCMODE) != O_RDONLY;

	/* inode_permission(MAY_WRITE) refuses immutable inodes. */
	if (writing && (f & XB_IFLAG_IMMUTABLE))
		return -EPERM;
	/*
	 * An append-only file opens for writing only with O_APPEND.  O_TRUNC
	 * never reaches us (no ATOMIC_O_TRUNC): it comes as SETATTR(size),
	 * which xf_may_setattr refuses.
	 */
	if (writing && !(open_flags & O_APPEND) && (f & XB_IFLAG_APPEND))
		return -EPERM;
	return 0;
}

int xf_may_setattr(struct xb_inode *ip, int to_set)
{
	unsigned int f = xb_iflags(ip);
	/* The kernel sends "now" as FUSE_SET_ATTR_xTIME plus FUSE_SET_ATTR_xTIME_NOW. */
	bool set_times = ((to_set & FUSE_SET_ATTR_ATIME) && !(to_set & FUSE_SET_ATTR_ATIME_NOW)) ||
			 ((to_set & FUSE_SET_ATTR_MTIME) && !(to_set & FUSE_SET_ATTR_MTIME_NOW));
	bool touch = to_set & (FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW);
	bool owner_or_mode = to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID);
	bool size = to_set & FUSE_SET_ATTR_SIZE;

	if (!(f & (XB_IFLAG_IMMUTABLE | XB_IFLAG_APPEND)))
		return 0;
	/* notify_change: mode, owner and explicit times; truncate: IS_APPEND. */
	if (owner_or_mode || set_times || size)
		return -EPERM;
	/* Times set to "now" (touch) need write access: not on immutable files. */
	if (touch && (f & XB_IFLAG_IMMUTABLE))
		return -EPERM;
	return 0;
}

int xf_may_fallocate(struct xb_inode *ip, int mode)
{
	unsigned int f = xb_iflags(ip);

	if (f & XB_IFLAG_IMMUTABLE)
		return -EPERM;
	if ((mode & ~FALLOC_FL_KEEP_SIZE) && (f & XB_IFLAG_APPEND))
		return -EPERM;
	return 0;
}

/* generic_copy_file_checks on the destination. */
int xf_may_copy_to(struct xb_inode *ip)
{
	unsigned int f = xb_iflags(ip);

	if (f & XB_IFLAG_IMMUTABLE)
		return -EPERM;
	if (f & XB_IFLAG_APPEND)
		return -EBADF;
	return 0;
}

bool xf_write_is_sync(struct xb_inode *ip)
{
	return xb_iflags(ip) & XB_IFLAG_SYNC;
}
