// SPDX-License-Identifier: GPL-2.0
/*
 * getattr and setattr: the kernel's xfs_vn_getattr() and xfs_setattr_nonsize()
 * / xfs_setattr_size() (fs/xfs/xfs_iops.c).  Permission checks are the FUSE
 * kernel's (default_permissions); this file only applies what it was sent.
 * A mode change also rewrites the access ACL, as xfs_setattr_nonsize's
 * posix_acl_chmod does: the FUSE kernel leaves that to the server.
 */
#include "acl.h"

#include <sys/sysmacros.h>

static void xb_ts(struct timespec *ts, const struct timespec64 *x)
{
	ts->tv_sec = x->tv_sec;
	ts->tv_nsec = x->tv_nsec;
}

static struct timespec64 xb_ts64(const struct timespec *ts)
{
	struct timespec64 x = {.tv_sec = ts->tv_sec, .tv_nsec = ts->tv_nsec};

	return x;
}

/* On-disk sysv dev encoding to a Linux dev_t (the kernel's xfs_to_linux_dev_t). */
static uint64_t xb_dev_from_xfs(xfs_dev_t dev)
{
	return makedev((dev >> 18) & 0x1ff, dev & 0x3ffff);
}

void xb_fill_stat(struct xb_inode *xi, struct xb_stat *st)
{
	struct xfs_inode *ip = xi->ip;
	struct xfs_mount *mp = ip->i_mount;
	struct inode *inode = VFS_I(ip);

	memset(st, 0, sizeof(*st));
	st->ino = ip->i_ino;
	st->mode = inode->i_mode;
	st->nlink = inode->i_nlink;
	st->uid = inode->i_uid;
	st->gid = inode->i_gid;
	if (S_ISCHR(inode->i_mode) || S_ISBLK(inode->i_mode))
		st->rdev = xb_dev_from_xfs(inode->i_rdev);
	/* Regular files: the engine's in-memory size (delalloc writes move it). */
	if (xi->vfs)
		st->size = vfs_i_size_read(xi->vfs);
	else
		st->size = S_ISREG(inode->i_mode) ? ip->i_size : ip->i_disk_size;
	st->blocks = XFS_FSB_TO_BB(mp, ip->i_nblocks + ip->i_delayed_blks);
	st->blksize = mp->m_sb.sb_blocksize > 4096 ? mp->m_sb.sb_blocksize : 4096;
	st->generation = inode->i_generation;
	st->iflags = xb_diflags_to_iflags(ip);
	xb_ts(&st->atime, &inode->i_atime);
	xb_ts(&st->mtime, &inode->i_mtime);
	xb_ts(&st->ctime, &inode->i_ctime);
	xb_ts(&st->crtime, &ip->i_crtime);
}

int xb_getattr(struct xb_inode *xi, struct xb_stat *st)
{
	int error = 0;

	xb_lock();
	if (xi->ip)
		xb_fill_stat(xi, st);
	else
		error = -ESTALE;
	xb_unlock();
	return error;
}

/* Apply mode/owner/time changes to the incore inode; ctime as the VFS does. */
static void xb_apply_attrs(struct xfs_trans *tp, struct xfs_inode *ip, const struct xb_setattr *sa)
{
	struct inode *inode = VFS_I(ip);
	struct timespec64 now = current_time(inode);

	if (sa->valid & XB_SET_MODE)
		inode->i_mode = (inode->i_mode & S_IFMT) | (sa->mode & 07777);
	if (sa->valid & XB_SET_UID)
		inode->i_uid = sa->uid;
	if (sa->valid & XB_SET_GID)
		inode->i_gid = sa->gid;
	if (sa->valid & XB_SET_ATIME_NOW)
		inode->i_atime = now;
	else if (sa->valid & XB_SET_ATIME)
		inode->i_atime = xb_ts64(&sa->atime);
	if (sa->valid & XB_SET_MTIME_NOW)
		inode->i_mtime = now;
	else if (sa->valid & XB_SET_MTIME)
		inode->i_mtime = xb_ts64(&sa->mtime);
	inode->i_ctime = (sa->valid & XB_SET_CTIME) ? xb_ts64(&sa->ctime) : now;
	libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
}

static int xb_setattr_nonsize(struct xb_inode *xi, const struct xb_setattr *sa)
{
	struct xb_mount *m = xi->m;
	struct xfs_trans *tp;
	int error;

	error = xb_trans_alloc(m, &M_RES(m->mp)->tr_ichange, 0, &tp);
	if (error)
		return error;
	libxfs_trans_ijoin(tp, xi->ip, 0);
	xb_apply_attrs(tp, xi->ip, sa);
	return xb_trans_commit(tp);
}

/*
 * The bits a write, truncate or chown by @cr drops: setuid, and setgid when
 * group execute is set or the caller is neither in the file's group nor
 * holds CAP_FSETID (should_remove_suid and, since Linux 6.2,
 * setattr_should_drop_sgid).  Whether @cr's CAP_FSETID spares setuid too is
 * the caller's rule: it does for a write or truncate, not for a chown.
 */
static umode_t xb_privs_to_kill(const struct inode *inode, const struct xb_cred *cr)
{
	umode_t kill = 0;

	if (inode->i_mode & S_ISUID)
		kill |= S_ISUID;
	if ((inode->i_mode & S_ISGID) &&
	    ((inode->i_mode & S_IXGRP) || !xb_in_group_or_capable(cr, inode->i_gid)))
		kill |= S_ISGID;
	return kill;
}

/*
 * XB_SET_KILL_PRIVS: turn the request into the mode change it implies, from
 * the mode as it is under the lock (the kernel computes it before the
 * truncate or chown, from the old owner).  Directories keep theirs.
 */
static void xb_setattr_kill_privs(struct xfs_inode *ip, struct xb_setattr *sa)
{
	struct inode *inode = VFS_I(ip);
	umode_t kill = S_ISDIR(inode->i_mode) ? 0 : xb_privs_to_kill(inode, sa->kill_cr);
	uint32_t mode = (sa->valid & XB_SET_MODE) ? sa->mode : inode->i_mode;

	sa->valid &= ~XB_SET_KILL_PRIVS;
	if (!kill || !(mode & kill))
		return;
	sa->valid |= XB_SET_MODE;
	sa->mode = mode & ~kill;
}

int xb_setattr(struct xb_inode *xi, const struct xb_setattr *sa, struct xb_stat *st)
{
	struct xb_setattr rest = *sa;
	int error = 0;

	xb_lock();
	if (!xi->ip) {
		error = -ESTALE;
		goto out_unlock;
	}
	if (sa->valid & XB_SET_KILL_PRIVS)
		xb_setattr_kill_privs(xi->ip, &rest);
	if (sa->valid & XB_SET_SIZE) {
		if (!S_ISREG(VFS_I(xi->ip)->i_mode)) {
			error = S_ISDIR(VFS_I(xi->ip)->i_mode) ? -EISDIR : -EINVAL;
			goto out_unlock;
		}
		/* A size change always moves mtime and ctime (xfs_setattr_size). */
		if (sa->size != (uint64_t) xi->ip->i_size && !(sa->valid & XB_SET_MTIME))
			rest.valid |= XB_SET_MTIME_NOW;
		error = xb_truncate_locked(xi, sa->size);
		if (error)
			goto out_unlock;
		rest.valid &= ~XB_SET_SIZE;
	}
	if (rest.valid)
		error = xb_setattr_nonsize(xi, &rest);
	/* After the mode's transaction, as the kernel (not atomic there either). */
	if (!error && (rest.valid & XB_SET_MODE))
		error = xb_acl_chmod_locked(xi);
	if (!error && st)
		xb_fill_stat(xi, st);
out_unlock:
	xb_unlock();
	return error;
}

/* in_group_or_capable: NULL is a caller that may (tools, tests). */
bool xb_in_group_or_capable(const struct xb_cred *cr, uint32_t gid)
{
	size_t i;

	if (!cr || cr->fsetid || cr->gid == gid)
		return true;
	for (i = 0; i < cr->ngroups; i++) {
		if (cr->groups[i] == gid)
			return true;
	}
	return false;
}

/*
 * Could xb_file_remove_privs change anything: a regular file with setuid or
 * setgid (IS_NOSEC's question)?  Lets a caller skip gathering the
 * credentials that call needs -- the supplementary groups come from /proc --
 * on every write of an ordinary file.
 */
bool xb_file_has_privs(struct xb_inode *xi)
{
	bool privs = true; /* a stale inode: xb_file_remove_privs says ESTALE */

	xb_lock();
	if (xi->ip) {
		umode_t mode = VFS_I(xi->ip)->i_mode;

		privs = S_ISREG(mode) && (mode & (S_ISUID | S_ISGID));
	}
	xb_unlock();
	return privs;
}

/*
 * A write, fallocate or copy_file_range by someone without CAP_FSETID drops
 * setuid and setgid as xb_privs_to_kill says (the kernel's
 * file_remove_privs; generic/683-685).  With KILLPRIV_V2 the FUSE kernel
 * leaves that to us on every path (doc/backend.md "setuid and setgid");
 * the FUSE layer calls this for every writer the kernel flags, and for
 * every caller but root where it flags none (fallocate, copy).  Returns 1
 * when the mode changed.
 */
int xb_file_remove_privs(struct xb_inode *xi, const struct xb_cred *cr)
{
	struct xfs_trans *tp;
	struct inode *inode;
	umode_t kill;
	int error = 0;

	xb_lock();
	if (!xi->ip) {
		error = -ESTALE;
		goto out_unlock;
	}
	inode = VFS_I(xi->ip);
	kill = xb_privs_to_kill(inode, cr);
	if (!kill || !S_ISREG(inode->i_mode) || (cr && cr->fsetid))
		goto out_unlock;
	error = xb_trans_alloc(xi->m, &M_RES(xi->m->mp)->tr_ichange, 0, &tp);
	if (error)
		goto out_unlock;
	libxfs_trans_ijoin(tp, xi->ip, 0);
	inode->i_mode &= ~kill;
	libxfs_trans_ichgtime(tp, xi->ip, XFS_ICHGTIME_CHG);
	libxfs_trans_log_inode(tp, xi->ip, XFS_ILOG_CORE);
	error = xb_trans_commit(tp);
	if (!error)
		error = 1; /* changed */
out_unlock:
	xb_unlock();
	return error;
}
