/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's atime policy (fs/inode.c: atime_needs_update,
 * relatime_need_update), as pure functions of a mount's flags and an
 * inode's times.
 *
 * The VFS decides whether a read, readdir or readlink moves atime; the
 * filesystem only logs the change (xfs_vn_update_time).  In xfsfuse the
 * FUSE kernel never decides (its inodes are S_NOATIME): the daemon's glue
 * holds the mount's flags (src/atime.c, src/file_ops.c) and the backend
 * evaluates this under its lock, where the inode's times live
 * (xb_touch_atime, doc/backend.md "Access times").
 */
#ifndef XFSFUSE_VFS_ATIME_H
#define XFSFUSE_VFS_ATIME_H

#include <stdbool.h>
#include <time.h>

/* A mount's atime flags: the kernel's MNT_* of the vfsmount and SB_* of the superblock. */
enum {
	VFS_ATIME_NOATIME = 1u << 0,	/* MNT_NOATIME: never */
	VFS_ATIME_NODIRATIME = 1u << 1, /* MNT_NODIRATIME: never for directories */
	VFS_ATIME_RELATIME = 1u << 2,	/* MNT_RELATIME; neither this nor NOATIME: strictatime */
	VFS_ATIME_LAZYTIME = 1u << 3,	/* SB_LAZYTIME: timestamps logged lazily */
	VFS_ATIME_RDONLY = 1u << 4,	/* SB_RDONLY / MNT_READONLY (remount,ro) */
};

/* What atime_needs_update reads of an inode. */
struct vfs_atime_inode {
	bool is_dir;
	bool noatime; /* S_NOATIME: XFS_DIFLAG_NOATIME, chattr +A */
	struct timespec atime, mtime, ctime;
};

static inline int vfs_timespec_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

/*
 * relatime: only when atime is not newer than mtime or ctime (the file
 * changed since it was last read), or is a day old.
 */
static inline bool relatime_need_update(unsigned int mnt_flags, const struct vfs_atime_inode *in,
					struct timespec now)
{
	if (!(mnt_flags & VFS_ATIME_RELATIME))
		return true;
	if (vfs_timespec_cmp(&in->mtime, &in->atime) >= 0)
		return true;
	if (vfs_timespec_cmp(&in->ctime, &in->atime) >= 0)
		return true;
	if ((long) (now.tv_sec - in->atime.tv_sec) >= 24 * 60 * 60)
		return true;
	return false;
}

/* @now: the coarse clock, as current_time(). */
static inline bool atime_needs_update(unsigned int mnt_flags, const struct vfs_atime_inode *in,
				      struct timespec now)
{
	if (in->noatime)
		return false;
	if (mnt_flags & (VFS_ATIME_NOATIME | VFS_ATIME_RDONLY))
		return false;
	if ((mnt_flags & VFS_ATIME_NODIRATIME) && in->is_dir)
		return false;
	if (!relatime_need_update(mnt_flags, in, now))
		return false;
	return vfs_timespec_cmp(&in->atime, &now) != 0;
}

#endif
