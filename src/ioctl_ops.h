/* SPDX-License-Identifier: GPL-2.0 */
/*
 * FUSE_IOCTL: the inode-flag ioctls (ioctl_ops.c).  The FUSE kernel turns
 * chattr/lsattr/xfs_io's FS_IOC_[GS]ETFLAGS and FS_IOC_FS[GS]ETXATTR into
 * these requests (its fileattr_get/fileattr_set).  XFS_IOC_GOINGDOWN (godown,
 * xfs_io's shutdown) shuts the mount down.  Every other ioctl gets ENOTTY,
 * as from a file system that does not know it.
 */
#ifndef XFSFUSE_IOCTL_OPS_H
#define XFSFUSE_IOCTL_OPS_H

#include "fuse_ops.h"

void xf_ioctl(fuse_req_t req, fuse_ino_t nodeid, unsigned int cmd, void *arg,
	      struct fuse_file_info *fi, unsigned int flags, const void *in_buf, size_t in_bufsz,
	      size_t out_bufsz);

#endif
