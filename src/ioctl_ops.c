// SPDX-License-Identifier: GPL-2.0
/*
 * XFS_IOC_GOINGDOWN (the shutdown ioctl, doc/log.md "Shutdown on request"),
 * and FS_IOC_GETFLAGS, FS_IOC_SETFLAGS, FS_IOC_FSGETXATTR, FS_IOC_FSSETXATTR:
 * the VFS half of the kernel's inode-flag ioctls (fs/file_attr.c:
 * fileattr_fill_flags/xflags, vfs_fileattr_set, fileattr_set_prepare); the
 * XFS half is the backend's (src/xfs_backend/inode_flags.c).
 *
 * The FUSE kernel asks for these with the file opened read-only (its
 * fuse_priv_ioctl), FUSE_IOCTL_DIR for directories, and in/out sizes of the
 * real structures (4 bytes for the flags word), after its own VFS checks
 * with the caller's credentials.  We check again, because the rules belong
 * to the inode, and we see the whole request only here:
 *   - changing flags needs the owner or CAP_FOWNER;
 *   - changing immutable/append-only needs CAP_LINUX_IMMUTABLE;
 *   - FSSETXATTR by a caller without CAP_FSETID clears setuid/setgid (XFS).
 * The daemon cannot see the caller's capabilities: uid 0 counts as having
 * them all, any other uid as having none (doc/backend.md "Inode flags").
 */
#include "ioctl_ops.h"

#include <errno.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

/* The XFS number; FS_IOC_SHUTDOWN of newer <linux/fs.h> is the same. */
#ifndef XFS_IOC_GOINGDOWN
#define XFS_IOC_GOINGDOWN _IOR('X', 125, uint32_t)
#endif

/* The flags both words share (the kernel's FS_COMMON_FL / FS_XFLAG_COMMON). */
static const struct {
	uint32_t fl, xfl;
} xf_common_flags[] = {
	{FS_SYNC_FL, FS_XFLAG_SYNC},
	{FS_IMMUTABLE_FL, FS_XFLAG_IMMUTABLE},
	{FS_APPEND_FL, FS_XFLAG_APPEND},
	{FS_NODUMP_FL, FS_XFLAG_NODUMP},
	{FS_NOATIME_FL, FS_XFLAG_NOATIME},
	{FS_DAX_FL, FS_XFLAG_DAX},
	{FS_PROJINHERIT_FL, FS_XFLAG_PROJINHERIT},
};
#define XF_NCOMMON (sizeof(xf_common_flags) / sizeof(xf_common_flags[0]))

static uint32_t xf_flags_to_xflags(uint32_t flags)
{
	uint32_t x = 0;
	size_t i;

	for (i = 0; i < XF_NCOMMON; i++)
		if (flags & xf_common_flags[i].fl)
			x |= xf_common_flags[i].xfl;
	return x;
}

static uint32_t xf_xflags_to_flags(uint32_t xflags)
{
	uint32_t f = 0;
	size_t i;

	for (i = 0; i < XF_NCOMMON; i++)
		if (xflags & xf_common_flags[i].xfl)
			f |= xf_common_flags[i].fl;
	return f;
}

static uint32_t xf_xflags_common(void)
{
	return xf_flags_to_xflags(~0u);
}

/* Every FS_XFLAG_* XFS knows; PREALLOC and HASATTR are read-only. */
#define XF_XFLAGS_KNOWN                                                                            \
	(FS_XFLAG_REALTIME | FS_XFLAG_PREALLOC | FS_XFLAG_IMMUTABLE | FS_XFLAG_APPEND |            \
	 FS_XFLAG_SYNC | FS_XFLAG_NOATIME | FS_XFLAG_NODUMP | FS_XFLAG_RTINHERIT |                 \
	 FS_XFLAG_PROJINHERIT | FS_XFLAG_NOSYMLINKS | FS_XFLAG_EXTSIZE | FS_XFLAG_EXTSZINHERIT |   \
	 FS_XFLAG_NODEFRAG | FS_XFLAG_FILESTREAM | FS_XFLAG_DAX | FS_XFLAG_COWEXTSIZE |            \
	 FS_XFLAG_HASATTR)
#define XF_XFLAGS_RDONLY (FS_XFLAG_PREALLOC | FS_XFLAG_HASATTR)

struct xf_fileattr_caller {
	uint32_t uid;
};

static bool xf_capable(const struct xf_fileattr_caller *c)
{
	return c->uid == 0; /* see the top of this file */
}

/*
 * vfs_fileattr_set and fileattr_set_prepare, run by the backend under its
 * lock with the current attributes @old.
 */
static int xf_fileattr_prepare(const struct xb_fileattr *old, struct xb_fileattr *fa,
			       const struct xb_stat *st, void *arg)
{
	const struct xf_fileattr_caller *c = arg;
	uint32_t old_flags = xf_xflags_to_flags(old->xflags);

	/* inode_owner_or_capable */
	if (c->uid != st->uid && !xf_capable(c))
		return -EPERM;
	/* What the request does not carry stays as it is. */
	if (!fa->fsx_valid) {
		fa->xflags |= old->xflags & ~xf_xflags_common();
		fa->extsize = old->extsize;
		fa->nextents = old->nextents;
		fa->projid = old->projid;
		fa->cowextsize = old->cowextsize;
	}
	if (((fa->flags ^ old_flags) & (FS_APPEND_FL | FS_IMMUTABLE_FL)) && !xf_capable(c))
		return -EPERM;
	/* projid_valid(): (projid_t)-1 is no project. */
	if (old->projid != fa->projid && fa->projid == UINT32_MAX)
		return -EINVAL;
	if ((fa->xflags & FS_XFLAG_EXTSIZE) && !S_ISREG(st->mode))
		return -EINVAL;
	if ((fa->xflags & FS_XFLAG_EXTSZINHERIT) && !S_ISDIR(st->mode))
		return -EINVAL;
	if ((fa->xflags & (FS_XFLAG_COWEXTSIZE | FS_XFLAG_DAX)) && !S_ISREG(st->mode) &&
	    !S_ISDIR(st->mode))
		return -EINVAL;
	/* A hint of zero turns its flags off. */
	if (fa->extsize == 0)
		fa->xflags &= ~(FS_XFLAG_EXTSIZE | FS_XFLAG_EXTSZINHERIT);
	if (fa->cowextsize == 0)
		fa->xflags &= ~FS_XFLAG_COWEXTSIZE;
	fa->cap_fsetid = xf_capable(c);
	return 0;
}

static int xf_ioctl_set(fuse_req_t req, struct xb_inode *ip, unsigned int cmd, const void *in,
			size_t insz)
{
	struct xf_fileattr_caller c = {.uid = fuse_req_ctx(req)->uid};
	struct xb_fileattr fa;
	struct fsxattr fsx;
	uint32_t flags;

	memset(&fa, 0, sizeof(fa));
	if (cmd == FS_IOC_SETFLAGS) {
		if (insz < sizeof(flags))
			return -EINVAL;
		memcpy(&flags, in, sizeof(flags));
		fa.flags = flags; /* fileattr_fill_flags */
		fa.xflags = xf_flags_to_xflags(flags);
	} else {
		if (insz < sizeof(fsx))
			return -EINVAL;
		memcpy(&fsx, in, sizeof(fsx));
		if (fsx.fsx_xflags & ~XF_XFLAGS_KNOWN)
			return -EOPNOTSUPP; /* copy_fsxattr_from_user */
		fa.fsx_valid = true;	    /* fileattr_fill_xflags */
		fa.xflags = fsx.fsx_xflags & ~XF_XFLAGS_RDONLY;
		fa.flags = xf_xflags_to_flags(fa.xflags);
		fa.extsize = fsx.fsx_extsize;
		fa.nextents = fsx.fsx_nextents;
		fa.projid = fsx.fsx_projid;
		fa.cowextsize = fsx.fsx_cowextsize;
	}
	return xb_fileattr_set(ip, &fa, xf_fileattr_prepare, &c);
}

static void xf_ioctl_get(fuse_req_t req, fuse_ino_t nodeid, struct xb_inode *ip, unsigned int cmd,
			 size_t outsz)
{
	struct xb_fileattr fa;
	struct fsxattr fsx;
	uint32_t flags;
	int error;

	error = xb_fileattr_get(ip, &fa);
	if (error) {
		xf_reply_err(req, "ioctl", nodeid, error);
		return;
	}
	if (cmd == FS_IOC_GETFLAGS) {
		flags = xf_xflags_to_flags(fa.xflags);
		fuse_reply_ioctl(req, 0, &flags, outsz < sizeof(flags) ? outsz : sizeof(flags));
		return;
	}
	memset(&fsx, 0, sizeof(fsx));
	fsx.fsx_xflags = fa.xflags;
	fsx.fsx_extsize = fa.extsize;
	fsx.fsx_nextents = fa.nextents;
	fsx.fsx_projid = fa.projid;
	fsx.fsx_cowextsize = fa.cowextsize;
	fuse_reply_ioctl(req, 0, &fsx, outsz < sizeof(fsx) ? outsz : sizeof(fsx));
}

/*
 * XFS_IOC_GOINGDOWN's flags word is input, but the ioctl is numbered _IOR:
 * the FUSE kernel forwards a file's or directory's ioctl restricted, copying
 * data in only for _IOC_WRITE, so the request carries no input (in 0 bytes,
 * out 4).  The caller sits blocked in its ioctl, so the word at @arg can be
 * read from its memory (process_vm_readv, which the kernel allows a daemon
 * that may ptrace the caller).  Where that fails (no such right, or a caller
 * in a PID namespace we cannot see: pid 0), LOGFLUSH, the mode of godown -f
 * and xfs_io's shutdown -f; xfsfuse.shutdown chooses any mode.
 */
static uint32_t xf_goingdown_flags(fuse_req_t req, void *arg, bool *read)
{
	pid_t pid = fuse_req_ctx(req)->pid;
	uint32_t flags = XF_GOINGDOWN_LOGFLUSH;
	struct iovec local = {&flags, sizeof(flags)}, remote = {arg, sizeof(flags)};

	*read = pid > 0 &&
		process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t) sizeof(flags);
	return *read ? flags : XF_GOINGDOWN_LOGFLUSH;
}

/* The kernel's xfs_fs_goingdown, on any file or directory of the mount. */
static void xf_ioctl_goingdown(fuse_req_t req, fuse_ino_t nodeid, void *arg, size_t in_bufsz,
			       size_t out_bufsz)
{
	struct xf_fs *fs = xf_fs(req);
	uint32_t flags;
	bool read;
	int error;

	/* CAP_SYS_ADMIN: uid 0 (see the top of this file). */
	if (fuse_req_ctx(req)->uid != 0) {
		fuse_reply_err(req, EPERM);
		return;
	}
	flags = xf_goingdown_flags(req, arg, &read);
	xf_log("shutdown ioctl on inode %llu from pid %d (in %zu bytes, out %zu): flags %u %s",
	       (unsigned long long) nodeid, (int) fuse_req_ctx(req)->pid, in_bufsz, out_bufsz,
	       flags, read ? "read from the caller" : "assumed (caller unreadable)");
	error = xf_engine_goingdown(&fs->engine, flags);
	if (error) {
		fuse_reply_err(req, -error);
		return;
	}
	xf_shutdown_invalidate_attrs(fs);
	fuse_reply_ioctl(req, 0, NULL, 0); /* no data: the caller's word stays */
	xf_shutdown_invalidate(fs);
}

void xf_ioctl(fuse_req_t req, fuse_ino_t nodeid, unsigned int cmd, void *arg,
	      struct fuse_file_info *fi, unsigned int flags, const void *in_buf, size_t in_bufsz,
	      size_t out_bufsz)
{
	unsigned int c = cmd;
	struct xb_inode *ip;
	int error;

	(void) fi;
	(void) flags;
	if (c == XFS_IOC_GOINGDOWN) {
		xf_ioctl_goingdown(req, nodeid, arg, in_bufsz, out_bufsz);
		return;
	}
	if (c != FS_IOC_GETFLAGS && c != FS_IOC_SETFLAGS && c != FS_IOC_FSGETXATTR &&
	    c != FS_IOC_FSSETXATTR) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	error = xf_iget(req, nodeid, &ip);
	if (error) {
		xf_reply_err(req, "ioctl", nodeid, error);
		return;
	}
	if (c == FS_IOC_GETFLAGS || c == FS_IOC_FSGETXATTR) {
		xf_ioctl_get(req, nodeid, ip, c, out_bufsz);
		xb_iput(ip);
		return;
	}
	error = xf_ioctl_set(req, ip, c, in_buf, in_bufsz);
	xb_iput(ip);
	/* ctime moved (and setuid/setgid may have gone): drop the kernel's attributes. */
	if (!error)
		fuse_lowlevel_notify_inval_inode(xf_fs(req)->se, nodeid, -1, 0);
	if (error)
		xf_reply_err(req, "ioctl", nodeid, error);
	else
		fuse_reply_ioctl(req, 0, NULL, 0);
}
