// SPDX-License-Identifier: GPL-2.0
/*
 * Inode flags: the XFS half of FS_IOC_FSGETXATTR / FS_IOC_FSSETXATTR and
 * FS_IOC_GETFLAGS / FS_IOC_SETFLAGS (the kernel's xfs_fileattr_get and
 * xfs_fileattr_set), what the VFS derives from di_flags (IS_IMMUTABLE,
 * IS_APPEND, IS_SYNC), and the flags a new inode inherits from its parent
 * (xfs_inode_inherit_flags).  doc/backend.md "Inode flags".
 *
 * The VFS half (fileattr_set_prepare: ownership, CAP_LINUX_IMMUTABLE, the
 * flag/file-type rules) is the caller's, in src/ioctl_ops.c; it runs as a
 * callback under the libxfs lock, between reading the old attributes and
 * changing them, as vfs_fileattr_set holds the inode lock across both.
 */
#include "xb_internal.h"

/* The kernel's xfs_ip2xflags: di_flags/di_flags2 -> FS_XFLAG_*. */
static uint32_t xb_ip2xflags(struct xfs_inode *ip)
{
	static const struct {
		uint16_t di;
		uint32_t fs;
	} map[] = {
		{XFS_DIFLAG_REALTIME, FS_XFLAG_REALTIME},
		{XFS_DIFLAG_PREALLOC, FS_XFLAG_PREALLOC},
		{XFS_DIFLAG_IMMUTABLE, FS_XFLAG_IMMUTABLE},
		{XFS_DIFLAG_APPEND, FS_XFLAG_APPEND},
		{XFS_DIFLAG_SYNC, FS_XFLAG_SYNC},
		{XFS_DIFLAG_NOATIME, FS_XFLAG_NOATIME},
		{XFS_DIFLAG_NODUMP, FS_XFLAG_NODUMP},
		{XFS_DIFLAG_RTINHERIT, FS_XFLAG_RTINHERIT},
		{XFS_DIFLAG_PROJINHERIT, FS_XFLAG_PROJINHERIT},
		{XFS_DIFLAG_NOSYMLINKS, FS_XFLAG_NOSYMLINKS},
		{XFS_DIFLAG_EXTSIZE, FS_XFLAG_EXTSIZE},
		{XFS_DIFLAG_EXTSZINHERIT, FS_XFLAG_EXTSZINHERIT},
		{XFS_DIFLAG_NODEFRAG, FS_XFLAG_NODEFRAG},
		{XFS_DIFLAG_FILESTREAM, FS_XFLAG_FILESTREAM},
	};
	uint32_t xflags = 0;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (ip->i_diflags & map[i].di)
			xflags |= map[i].fs;
	if (ip->i_diflags2 & XFS_DIFLAG2_DAX)
		xflags |= FS_XFLAG_DAX;
	if (ip->i_diflags2 & XFS_DIFLAG2_COWEXTSIZE)
		xflags |= FS_XFLAG_COWEXTSIZE;
	if (xfs_inode_has_attr_fork(ip))
		xflags |= FS_XFLAG_HASATTR;
	return xflags;
}

/* The kernel's xfs_flags2diflags: what FS_XFLAG_* may set on this file type. */
static uint16_t xb_flags2diflags(struct xfs_inode *ip, uint32_t xflags)
{
	uint16_t di = ip->i_diflags & XFS_DIFLAG_PREALLOC; /* not settable: kept */
	umode_t mode = VFS_I(ip)->i_mode;

	di |= (xflags & FS_XFLAG_IMMUTABLE) ? XFS_DIFLAG_IMMUTABLE : 0;
	di |= (xflags & FS_XFLAG_APPEND) ? XFS_DIFLAG_APPEND : 0;
	di |= (xflags & FS_XFLAG_SYNC) ? XFS_DIFLAG_SYNC : 0;
	di |= (xflags & FS_XFLAG_NOATIME) ? XFS_DIFLAG_NOATIME : 0;
	di |= (xflags & FS_XFLAG_NODUMP) ? XFS_DIFLAG_NODUMP : 0;
	di |= (xflags & FS_XFLAG_NODEFRAG) ? XFS_DIFLAG_NODEFRAG : 0;
	di |= (xflags & FS_XFLAG_FILESTREAM) ? XFS_DIFLAG_FILESTREAM : 0;
	if (S_ISDIR(mode)) {
		di |= (xflags & FS_XFLAG_RTINHERIT) ? XFS_DIFLAG_RTINHERIT : 0;
		di |= (xflags & FS_XFLAG_NOSYMLINKS) ? XFS_DIFLAG_NOSYMLINKS : 0;
		di |= (xflags & FS_XFLAG_EXTSZINHERIT) ? XFS_DIFLAG_EXTSZINHERIT : 0;
		di |= (xflags & FS_XFLAG_PROJINHERIT) ? XFS_DIFLAG_PROJINHERIT : 0;
	} else if (S_ISREG(mode)) {
		di |= (xflags & FS_XFLAG_REALTIME) ? XFS_DIFLAG_REALTIME : 0;
		di |= (xflags & FS_XFLAG_EXTSIZE) ? XFS_DIFLAG_EXTSIZE : 0;
	}
	return di;
}

/* xfs_flags2diflags2: the feature bits stay, DAX and COWEXTSIZE follow the request. */
static uint64_t xb_flags2diflags2(struct xfs_inode *ip, uint32_t xflags)
{
	uint64_t di2 =
		ip->i_diflags2 & (XFS_DIFLAG2_REFLINK | XFS_DIFLAG2_BIGTIME | XFS_DIFLAG2_NREXT64);

	di2 |= (xflags & FS_XFLAG_DAX) ? XFS_DIFLAG2_DAX : 0;
	di2 |= (xflags & FS_XFLAG_COWEXTSIZE) ? XFS_DIFLAG2_COWEXTSIZE : 0;
	return di2;
}

/* xfs_fill_fsxattr for the data fork. */
static void xb_fill_fileattr(struct xfs_inode *ip, struct xb_fileattr *fa)
{
	struct xfs_mount *mp = ip->i_mount;

	memset(fa, 0, sizeof(*fa));
	fa->fsx_valid = true;
	fa->xflags = xb_ip2xflags(ip);
	if (ip->i_diflags & XFS_DIFLAG_EXTSIZE) {
		fa->extsize = XFS_FSB_TO_B(mp, ip->i_extsize);
	} else if (ip->i_diflags & XFS_DIFLAG_EXTSZINHERIT) {
		/* A misaligned hint on an rtinherit directory is not shown
		 * (it would not pass the set checks). */
		if ((ip->i_diflags & XFS_DIFLAG_RTINHERIT) && ip->i_extsize % mp->m_sb.sb_rextsize)
			fa->xflags &= ~(FS_XFLAG_EXTSIZE | FS_XFLAG_EXTSZINHERIT);
		else
			fa->extsize = XFS_FSB_TO_B(mp, ip->i_extsize);
	}
	if (ip->i_diflags2 & XFS_DIFLAG2_COWEXTSIZE)
		fa->cowextsize = XFS_FSB_TO_B(mp, ip->i_cowextsize);
	fa->projid = ip->i_projid;
	/* The in-core count includes delalloc extents, as the kernel reports. */
	if (!xfs_need_iread_extents(&ip->i_df))
		fa->nextents = xfs_iext_count(&ip->i_df);
	else
		fa->nextents = ip->i_df.if_nextents;
}

static bool xb_is_special(struct xfs_inode *ip)
{
	umode_t mode = VFS_I(ip)->i_mode;

	return !S_ISREG(mode) && !S_ISDIR(mode) && !S_ISLNK(mode);
}

int xb_fileattr_get(struct xb_inode *xi, struct xb_fileattr *fa)
{
	int error = 0;

	xb_lock();
	if (!xi->ip)
		error = -ESTALE;
	else if (xb_is_special(xi->ip))
		error = -ENOTTY; /* xfs_fileattr_get: d_is_special */
	else
		xb_fill_fileattr(xi->ip, fa);
	xb_unlock();
	return error;
}

/* Data or delalloc reservations: a regular file's hint is then frozen. */
static bool xb_inode_has_data(struct xfs_inode *ip)
{
	return ip->i_df.if_nextents > 0 || ip->i_delayed_blks > 0;
}

/* xfs_ioctl_setattr_check_extsize */
static int xb_check_extsize(struct xfs_inode *ip, const struct xb_fileattr *fa)
{
	struct xfs_mount *mp = ip->i_mount;
	uint16_t new_diflags;

	if (!fa->fsx_valid)
		return 0;
	if (S_ISREG(VFS_I(ip)->i_mode) && xb_inode_has_data(ip) &&
	    XFS_FSB_TO_B(mp, ip->i_extsize) != fa->extsize)
		return -EINVAL;
	if (fa->extsize & mp->m_blockmask)
		return -EINVAL;
	new_diflags = xb_flags2diflags(ip, fa->xflags);
	/* The verifiers do not check this combination on directories. */
	if ((new_diflags & XFS_DIFLAG_RTINHERIT) && (new_diflags & XFS_DIFLAG_EXTSZINHERIT) &&
	    fa->extsize % XFS_FSB_TO_B(mp, mp->m_sb.sb_rextsize))
		return -EINVAL;
	return xfs_inode_validate_extsize(mp, XFS_B_TO_FSB(mp, fa->extsize), VFS_I(ip)->i_mode,
					  new_diflags)
		       ? -EINVAL
		       : 0;
}

/* xfs_ioctl_setattr_check_cowextsize */
static int xb_check_cowextsize(struct xfs_inode *ip, const struct xb_fileattr *fa)
{
	struct xfs_mount *mp = ip->i_mount;

	if (!fa->fsx_valid)
		return 0;
	if (fa->cowextsize & mp->m_blockmask)
		return -EINVAL;
	return xfs_inode_validate_cowextsize(mp, XFS_B_TO_FSB(mp, fa->cowextsize),
					     VFS_I(ip)->i_mode, xb_flags2diflags(ip, fa->xflags),
					     xb_flags2diflags2(ip, fa->xflags))
		       ? -EINVAL
		       : 0;
}

/* The checks of xfs_ioctl_setattr_xflags, all before anything changes. */
static int xb_check_xflags(struct xfs_inode *ip, const struct xb_fileattr *fa)
{
	struct xfs_mount *mp = ip->i_mount;
	bool rtflag = fa->xflags & FS_XFLAG_REALTIME;

	/* Can't change the realtime flag once blocks are allocated. */
	if (rtflag != XFS_IS_REALTIME_INODE(ip) && xb_inode_has_data(ip))
		return -EINVAL;
	/* A realtime file needs a realtime device (xfsfuse mounts none). */
	if (rtflag && (mp->m_sb.sb_rblocks == 0 || mp->m_sb.sb_rextsize == 0 ||
		       ip->i_extsize % mp->m_sb.sb_rextsize))
		return -EINVAL;
	if (xb_flags2diflags2(ip, fa->xflags) && !xfs_has_v3inodes(mp))
		return -EINVAL;
	return 0;
}

/*
 * xfs_fileattr_set's checks: FS_IOC_SETFLAGS may only carry the flags XFS
 * has (EOPNOTSUPP: chattr +c), then the project id and the hints.
 */
static int xb_fileattr_check(struct xfs_inode *ip, const struct xb_fileattr *fa)
{
	int error;

	if (!fa->fsx_valid &&
	    (fa->flags & ~(FS_IMMUTABLE_FL | FS_APPEND_FL | FS_NOATIME_FL | FS_NODUMP_FL |
			   FS_SYNC_FL | FS_DAX_FL | FS_PROJINHERIT_FL)))
		return -EOPNOTSUPP;
	/* 32-bit project ids need the projid32bit feature. */
	if (fa->fsx_valid && fa->projid > UINT16_MAX && !xfs_has_projid32(ip->i_mount))
		return -EINVAL;
	error = xb_check_extsize(ip, fa);
	if (!error)
		error = xb_check_cowextsize(ip, fa);
	if (!error)
		error = xb_check_xflags(ip, fa);
	return error;
}

/* The changes of xfs_ioctl_setattr_xflags and xfs_fileattr_set, checks done. */
static void xb_fileattr_apply(struct xfs_trans *tp, struct xfs_inode *ip,
			      const struct xb_fileattr *fa)
{
	struct xfs_mount *mp = ip->i_mount;
	struct inode *inode = VFS_I(ip);

	if ((fa->xflags & FS_XFLAG_REALTIME) && xfs_is_reflink_inode(ip))
		ip->i_diflags2 &= ~XFS_DIFLAG2_REFLINK;
	ip->i_diflags = xb_flags2diflags(ip, fa->xflags);
	ip->i_diflags2 = xb_flags2diflags2(ip, fa->xflags);
	if (fa->fsx_valid) {
		/* As chown: setuid/setgid go unless the caller has CAP_FSETID. */
		if ((inode->i_mode & (S_ISUID | S_ISGID)) && !fa->cap_fsetid)
			inode->i_mode &= ~(S_ISUID | S_ISGID);
		ip->i_projid = fa->projid;
		/* A hint without its flag is cleared, not kept. */
		if (ip->i_diflags & (XFS_DIFLAG_EXTSIZE | XFS_DIFLAG_EXTSZINHERIT))
			ip->i_extsize = XFS_B_TO_FSB(mp, fa->extsize);
		else
			ip->i_extsize = 0;
		if (xfs_has_v3inodes(mp))
			ip->i_cowextsize = (ip->i_diflags2 & XFS_DIFLAG2_COWEXTSIZE)
						   ? XFS_B_TO_FSB(mp, fa->cowextsize)
						   : 0;
	}
	libxfs_trans_ichgtime(tp, ip, XFS_ICHGTIME_CHG);
	libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
}

int xb_fileattr_set(struct xb_inode *xi, struct xb_fileattr *fa, xb_fileattr_prepare_t prepare,
		    void *arg)
{
	struct xb_fileattr old;
	struct xfs_trans *tp;
	struct xb_stat st;
	int error;

	xb_lock();
	if (!xi->ip) {
		error = -ESTALE;
		goto out_unlock;
	}
	if (xb_is_special(xi->ip)) {
		error = -ENOTTY;
		goto out_unlock;
	}
	if (xb_readonly(xi->m)) {
		error = -EROFS;
		goto out_unlock;
	}
	xb_fill_fileattr(xi->ip, &old);
	xb_fill_stat(xi, &st);
	error = prepare(&old, fa, &st, arg);
	if (!error)
		error = xb_fileattr_check(xi->ip, fa);
	if (error)
		goto out_unlock;
	error = xb_trans_alloc(xi->m, &M_RES(xi->m->mp)->tr_ichange, 0, &tp);
	if (error)
		goto out_unlock;
	libxfs_trans_ijoin(tp, xi->ip, 0);
	xb_fileattr_apply(tp, xi->ip, fa);
	error = xb_trans_commit(tp);
out_unlock:
	xb_unlock();
	return error;
}

/* di_flags -> XB_IFLAG_*; the caller holds xb_lock. */
unsigned int xb_diflags_to_iflags(const struct xfs_inode *ip)
{
	uint16_t di = ip->i_diflags;
	unsigned int flags = 0;

	flags |= (di & XFS_DIFLAG_IMMUTABLE) ? XB_IFLAG_IMMUTABLE : 0;
	flags |= (di & XFS_DIFLAG_APPEND) ? XB_IFLAG_APPEND : 0;
	flags |= (di & XFS_DIFLAG_SYNC) ? XB_IFLAG_SYNC : 0;
	flags |= (di & XFS_DIFLAG_NOATIME) ? XB_IFLAG_NOATIME : 0;
	flags |= (di & XFS_DIFLAG_NODUMP) ? XB_IFLAG_NODUMP : 0;
	return flags;
}

unsigned int xb_iflags(struct xb_inode *xi)
{
	unsigned int flags;

	xb_lock();
	flags = xi->ip ? xb_diflags_to_iflags(xi->ip) : 0;
	xb_unlock();
	return flags;
}

/* ---- the VFS's namespace checks on these flags (callers hold xb_lock) ---- */

static bool xb_locked_down(const struct xfs_inode *ip)
{
	return ip->i_diflags & (XFS_DIFLAG_IMMUTABLE | XFS_DIFLAG_APPEND);
}

int xb_may_create_in(const struct xfs_inode *dp)
{
	/* may_create -> inode_permission(MAY_WRITE): IS_IMMUTABLE. */
	return (dp->i_diflags & XFS_DIFLAG_IMMUTABLE) ? -EPERM : 0;
}

int xb_may_delete(const struct xfs_inode *dp, const struct xfs_inode *ip)
{
	/* may_delete: the directory must allow removal, the victim be neither. */
	return xb_locked_down(dp) || xb_locked_down(ip) ? -EPERM : 0;
}

int xb_may_link(const struct xfs_inode *ip)
{
	return xb_locked_down(ip) ? -EPERM : 0; /* vfs_link */
}

int xb_may_change_xattr(const struct xfs_inode *ip)
{
	return xb_locked_down(ip) ? -EPERM : 0; /* xattr_permission */
}

/* ---- inheritance (xfs_inode_inherit_flags, xfs_inode_inherit_flags2) ---- */

/*
 * The kernel's fs.xfs.inherit_* sysctls, at their defaults: a child takes
 * sync, nodump, noatime and nodefrag, but not nosymlinks.
 */
#define XB_INHERIT_FLAGS                                                                           \
	(XFS_DIFLAG_SYNC | XFS_DIFLAG_NODUMP | XFS_DIFLAG_NOATIME | XFS_DIFLAG_NODEFRAG |          \
	 XFS_DIFLAG_FILESTREAM)

static void xb_inherit_diflags(struct xfs_inode *ip, const struct xfs_inode *pip)
{
	uint16_t pf = pip->i_diflags, di = pf & XB_INHERIT_FLAGS;
	umode_t mode = VFS_I(ip)->i_mode;

	if (S_ISDIR(mode)) {
		di |= pf & (XFS_DIFLAG_RTINHERIT | XFS_DIFLAG_PROJINHERIT);
		if (pf & XFS_DIFLAG_EXTSZINHERIT) {
			di |= XFS_DIFLAG_EXTSZINHERIT;
			ip->i_extsize = pip->i_extsize;
		}
	} else {
		if ((pf & XFS_DIFLAG_RTINHERIT) && xfs_has_realtime(ip->i_mount))
			di |= XFS_DIFLAG_REALTIME;
		if (pf & XFS_DIFLAG_EXTSZINHERIT) {
			di |= XFS_DIFLAG_EXTSIZE;
			ip->i_extsize = pip->i_extsize;
		}
	}
	ip->i_diflags |= di;
	/* A broken hint must not spread to the child. */
	if (xfs_inode_validate_extsize(ip->i_mount, ip->i_extsize, mode, ip->i_diflags)) {
		ip->i_diflags &= ~(XFS_DIFLAG_EXTSIZE | XFS_DIFLAG_EXTSZINHERIT);
		ip->i_extsize = 0;
	}
}

static void xb_inherit_diflags2(struct xfs_inode *ip, const struct xfs_inode *pip)
{
	if (pip->i_diflags2 & XFS_DIFLAG2_COWEXTSIZE) {
		ip->i_diflags2 |= XFS_DIFLAG2_COWEXTSIZE;
		ip->i_cowextsize = pip->i_cowextsize;
	}
	if (pip->i_diflags2 & XFS_DIFLAG2_DAX)
		ip->i_diflags2 |= XFS_DIFLAG2_DAX;
	if (xfs_inode_validate_cowextsize(ip->i_mount, ip->i_cowextsize, VFS_I(ip)->i_mode,
					  ip->i_diflags, ip->i_diflags2)) {
		ip->i_diflags2 &= ~XFS_DIFLAG2_COWEXTSIZE;
		ip->i_cowextsize = 0;
	}
}

/*
 * libxfs 6.1's libxfs_init_new_inode inherits its own subset (rtinherit,
 * extszinherit, projinherit even to regular files; no project id, no
 * sync/nodump/noatime/nodefrag, no di_flags2): redo it the kernel's way.
 */
void xb_inherit_flags(struct xfs_trans *tp, struct xfs_inode *ip, const struct xfs_inode *pip)
{
	umode_t mode = VFS_I(ip)->i_mode;

	ip->i_projid = (pip->i_diflags & XFS_DIFLAG_PROJINHERIT) ? pip->i_projid : 0;
	if (S_ISREG(mode) || S_ISDIR(mode)) {
		ip->i_diflags = 0;
		ip->i_extsize = 0;
		if (pip->i_diflags & XFS_DIFLAG_ANY)
			xb_inherit_diflags(ip, pip);
		if (xfs_has_v3inodes(ip->i_mount)) {
			ip->i_diflags2 = ip->i_mount->m_ino_geo.new_diflags2;
			ip->i_cowextsize = 0;
			if (pip->i_diflags2 & XFS_DIFLAG2_ANY)
				xb_inherit_diflags2(ip, pip);
		}
	}
	libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
}
