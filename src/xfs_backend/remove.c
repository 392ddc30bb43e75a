// SPDX-License-Identifier: GPL-2.0
/*
 * Removing and renaming names: link, unlink, rmdir, rename (plain,
 * RENAME_NOREPLACE, RENAME_EXCHANGE).  The userspace twins of
 * fs/xfs/xfs_inode.c xfs_link(), xfs_remove(), xfs_rename() and
 * xfs_cross_rename(), on top of the libxfs directory primitives
 * (xfs_dir_createname / removename / replace, as repair/phase6.c uses them).
 *
 * Every check that can fail is done before the first modification: a dirty
 * transaction cannot be cancelled in libxfs (xb_trans_cancel shuts down).
 *
 * An inode whose last name goes is not freed here: it goes on the AGI
 * unlinked list in the same transaction (xb_iunlink), and inode_table.c
 * frees it (xb_inactive) when its last reference is dropped, so an open
 * file keeps working after unlink.
 */
#include "xb_internal.h"

/* "." and ".." are never names a caller may remove, link or rename. */
static bool xb_is_dot_name(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

static bool xb_is_dir(struct xfs_inode *ip)
{
	return S_ISDIR(VFS_I(ip)->i_mode);
}

/* Name with the file type the new entry will carry (ftype directories). */
static int xb_name_for(const char *name, struct xfs_inode *ip, struct xfs_name *xname)
{
	int error = xb_check_name(name, xname);

	if (!error && ip)
		xname->type = libxfs_mode_to_ftype(VFS_I(ip)->i_mode);
	return error;
}

/*
 * Look @name up in @dir and take a reference on its inode (the one incore
 * copy: modifying a second libxfs copy would lose updates).
 */
static int xb_dir_get(struct xb_inode *dir, const char *name, struct xb_inode **ipp)
{
	xfs_ino_t ino;
	int error = xb_dir_lookup_ino(dir, name, &ino);

	if (error)
		return error;
	error = xb_iget_locked(dir->m, ino, ipp);
	/* A directory entry pointing at a free inode. */
	return error == -ESTALE ? -EUCLEAN : error;
}

/* A directory usable as a parent: still linked, and a directory. */
static int xb_check_dir(struct xb_inode *dir)
{
	if (!dir->ip)
		return -ENOENT;
	if (!xb_is_dir(dir->ip))
		return -ENOTDIR;
	if (VFS_I(dir->ip)->i_nlink == 0)
		return -ENOENT; /* removed directory: no new names in it */
	return 0;
}

/* Join each distinct inode once (joining one twice corrupts the item list). */
static void xb_ijoin_all(struct xfs_trans *tp, struct xfs_inode **ips, int n)
{
	int i, j;

	for (i = 0; i < n; i++) {
		if (!ips[i])
			continue;
		for (j = 0; j < i; j++)
			if (ips[j] == ips[i])
				break;
		if (j == i)
			libxfs_trans_ijoin(tp, ips[i], 0);
	}
}

/*
 * xfs_droplink: one name (or "." / "..") less.  At zero the inode goes on
 * the unlinked list in this same transaction.
 */
static int xb_droplink(struct xfs_trans *tp, struct xfs_inode *ip)
{
	struct inode *inode = VFS_I(ip);

	if (inode->i_nlink == 0)
		return -EUCLEAN;
	libxfs_trans_ichgtime(tp, ip, XFS_ICHGTIME_CHG);
	set_nlink(inode, inode->i_nlink - 1);
	libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
	if (inode->i_nlink)
		return 0;
	return xb_iunlink(tp, ip);
}

/* xfs_bumplink: one name (or "..") more. */
static void xb_bumplink(struct xfs_trans *tp, struct xfs_inode *ip)
{
	libxfs_trans_ichgtime(tp, ip, XFS_ICHGTIME_CHG);
	inc_nlink(VFS_I(ip));
	libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
}

/*
 * Allocate a transaction for adding a name.  Like the kernel: ask for the
 * full reservation, and when space is short retry with none, which is fine
 * as long as the name fits into existing directory blocks (xfs_dir_canenter).
 */
static int xb_trans_alloc_dirent(struct xb_mount *m, struct xfs_trans_res *resv,
				 unsigned int *resblks, struct xfs_trans **tpp)
{
	int error = xb_trans_alloc(m, resv, *resblks, tpp);

	if (error == -ENOSPC) {
		*resblks = 0;
		error = xb_trans_alloc(m, resv, 0, tpp);
	}
	return error;
}

/* With no block reservation, a new name must fit where the directory is. */
static int xb_check_canenter(struct xfs_trans *tp, struct xfs_inode *dp, struct xfs_name *name,
			     unsigned int resblks)
{
	if (resblks)
		return 0;
	return xb_err(xfs_dir_canenter(tp, dp, name));
}

/* ---- link ---- */

static int xb_link_check(struct xfs_inode *ip, struct xb_inode *newdir, const char *name)
{
	xfs_ino_t ino;
	int error;

	if (xb_is_dir(ip))
		return -EPERM;
	if (VFS_I(ip)->i_nlink >= XFS_MAXLINK)
		return -EMLINK;
	error = xb_check_dir(newdir);
	if (error)
		return error;
	if (xb_is_dot_name(name))
		return -EEXIST;
	error = xb_dir_lookup_ino(newdir, name, &ino);
	if (!error)
		return -EEXIST;
	return error == -ENOENT ? 0 : error;
}

static int xb_link_locked(struct xb_inode *xi, struct xb_inode *newdir, const char *name)
{
	struct xb_mount *m = xi->m;
	struct xfs_inode *ip = xi->ip, *dp = newdir->ip;
	struct xfs_name xname;
	struct xfs_trans *tp;
	unsigned int resblks;
	int error;

	if (!ip)
		return -ENOENT;
	error = xb_name_for(name, ip, &xname);
	if (!error)
		error = xb_link_check(ip, newdir, name);
	if (error)
		return error;
	resblks = XFS_LINK_SPACE_RES(m->mp, xname.len);
	error = xb_trans_alloc_dirent(m, &M_RES(m->mp)->tr_link, &resblks, &tp);
	if (error)
		return error;
	xb_ijoin_all(tp, (struct xfs_inode *[]){ip, dp}, 2);
	error = xb_check_canenter(tp, dp, &xname, resblks);
	if (error)
		goto out_cancel;

	/* An open-but-unlinked inode (O_TMPFILE-like) gets a name again. */
	if (VFS_I(ip)->i_nlink == 0) {
		error = xb_iunlink_remove(tp, ip);
		if (error)
			goto out_cancel;
	}
	error = xb_err(libxfs_dir_createname(tp, dp, &xname, ip->i_ino, resblks));
	if (error)
		goto out_cancel;
	libxfs_trans_ichgtime(tp, dp, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
	libxfs_trans_log_inode(tp, dp, XFS_ILOG_CORE);
	xb_bumplink(tp, ip);
	return xb_trans_commit(tp);

out_cancel:
	xb_trans_cancel(m, tp);
	return error;
}

int xb_link(struct xb_inode *xi, struct xb_inode *newdir, const char *name)
{
	int error;

	xb_lock();
	error = xb_link_locked(xi, newdir, name);
	xb_unlock();
	return error;
}

/* ---- unlink / rmdir ---- */

/* xfs_remove's checks: type, and for directories emptiness. */
static int xb_remove_check(struct xfs_inode *ip, bool is_dir)
{
	if (!is_dir)
		return xb_is_dir(ip) ? -EISDIR : 0;
	if (!xb_is_dir(ip))
		return -ENOTDIR;
	if (VFS_I(ip)->i_nlink != 2 || !xfs_dir_isempty(ip))
		return -ENOTEMPTY;
	return 0;
}

static int xb_remove_trans(struct xb_inode *dir, struct xfs_name *xname, struct xfs_inode *ip,
			   bool is_dir)
{
	struct xb_mount *m = dir->m;
	struct xfs_inode *dp = dir->ip;
	unsigned int resblks = XFS_REMOVE_SPACE_RES(m->mp);
	struct xfs_trans *tp;
	int error;

	/*
	 * Removing a name can split a directory's bmap btree.  Without space,
	 * the kernel goes on with no reservation: the directory code then
	 * trims the last directory block instead of splitting.
	 */
	error = xb_trans_alloc_dirent(m, &M_RES(m->mp)->tr_remove, &resblks, &tp);
	if (error)
		return error;
	xb_ijoin_all(tp, (struct xfs_inode *[]){dp, ip}, 2);

	if (is_dir) {
		/* ".." of the child, then "." of the child. */
		error = xb_droplink(tp, dp);
		if (!error)
			error = xb_droplink(tp, ip);
		if (error)
			goto out_cancel;
	}
	libxfs_trans_ichgtime(tp, dp, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
	libxfs_trans_log_inode(tp, dp, XFS_ILOG_CORE);
	error = xb_droplink(tp, ip);
	if (!error)
		error = xb_err(xfs_dir_removename(tp, dp, xname, ip->i_ino, resblks));
	if (error)
		goto out_cancel;
	return xb_trans_commit(tp);

out_cancel:
	xb_trans_cancel(m, tp);
	return error;
}

static int xb_remove(struct xb_inode *dir, const char *name, bool is_dir)
{
	struct xb_inode *child = NULL;
	struct xfs_name xname;
	int error;

	if (xb_is_dot_name(name))
		return is_dir && !strcmp(name, "..") ? -ENOTEMPTY : -EINVAL;
	xb_lock();
	error = xb_check_name(name, &xname);
	if (!error)
		error = xb_check_dir(dir);
	if (!error)
		error = xb_dir_get(dir, name, &child);
	if (!error)
		error = xb_remove_check(child->ip, is_dir);
	if (!error)
		error = xb_remove_trans(dir, &xname, child->ip, is_dir);
	/* The last reference of an unlinked inode frees it (xb_inactive). */
	if (child)
		xb_iput_locked(child, 1);
	xb_unlock();
	return error;
}

int xb_unlink(struct xb_inode *dir, const char *name)
{
	return xb_remove(dir, name, false);
}

int xb_rmdir(struct xb_inode *dir, const char *name)
{
	return xb_remove(dir, name, true);
}

/* ---- rename ---- */

struct xb_rename {
	struct xb_inode *sdir, *tdir; /* source and target parents */
	struct xb_inode *src, *tgt;   /* tgt NULL if the new name is free */
	struct xfs_name sname, tname;
	unsigned int flags;
	unsigned int resblks;
};

/* Plain rename over an existing target: the rename(2) type rules. */
static int xb_rename_check_target(struct xfs_inode *sip, struct xfs_inode *tip)
{
	if (xb_is_dir(tip)) {
		if (!xb_is_dir(sip))
			return -EISDIR;
		if (VFS_I(tip)->i_nlink > 2 || !xfs_dir_isempty(tip))
			return -ENOTEMPTY;
	} else if (xb_is_dir(sip)) {
		return -ENOTDIR;
	}
	return 0;
}

static int xb_rename_check(struct xb_rename *r)
{
	struct xfs_inode *sip = r->src->ip, *tdp = r->tdir->ip;
	bool new_parent = r->sdir != r->tdir;

	if (r->flags & XB_RENAME_EXCHANGE)
		return r->tgt ? 0 : -ENOENT;
	if (r->tgt && (r->flags & XB_RENAME_NOREPLACE))
		return -EEXIST;
	if (r->tgt)
		return xb_rename_check_target(sip, r->tgt->ip);
	/* A directory moving in adds a ".." link to the new parent. */
	if (new_parent && xb_is_dir(sip) && VFS_I(tdp)->i_nlink >= XFS_MAXLINK)
		return -EMLINK;
	return 0;
}

/*
 * A directory moved by an exchange into the other parent: point its ".." at
 * @newp, and if the inode it was swapped with is no directory, move the
 * parent link from @oldp to @newp.
 */
static int xb_cross_rename_dotdot(struct xfs_trans *tp, struct xb_rename *r, struct xfs_inode *dir,
				  struct xfs_inode *other, struct xfs_inode *oldp,
				  struct xfs_inode *newp)
{
	int error = xb_err(libxfs_dir_replace(tp, dir, &xfs_name_dotdot, newp->i_ino, r->resblks));

	if (error || xb_is_dir(other))
		return error;
	error = xb_droplink(tp, oldp);
	if (!error)
		xb_bumplink(tp, newp);
	return error;
}

/*
 * xfs_cross_rename: swap the inode numbers of two entries, then fix the ".."
 * of directories that changed parent and move their parent links along.
 */
static int xb_cross_rename(struct xfs_trans *tp, struct xb_rename *r)
{
	struct xfs_inode *dp1 = r->sdir->ip, *dp2 = r->tdir->ip;
	struct xfs_inode *ip1 = r->src->ip, *ip2 = r->tgt->ip;
	int ip1_flags = XFS_ICHGTIME_CHG, ip2_flags = XFS_ICHGTIME_CHG, error;

	error = xb_err(libxfs_dir_replace(tp, dp1, &r->sname, ip2->i_ino, r->resblks));
	if (!error)
		error = xb_err(libxfs_dir_replace(tp, dp2, &r->tname, ip1->i_ino, r->resblks));
	if (!error && dp1 != dp2 && xb_is_dir(ip2)) {
		error = xb_cross_rename_dotdot(tp, r, ip2, ip1, dp2, dp1);
		ip2_flags |= XFS_ICHGTIME_MOD;
	}
	if (!error && dp1 != dp2 && xb_is_dir(ip1)) {
		error = xb_cross_rename_dotdot(tp, r, ip1, ip2, dp1, dp2);
		ip1_flags |= XFS_ICHGTIME_MOD;
	}
	if (error)
		return error;
	/* Both inodes changed (ctime, like the VFS expects), both parents too. */
	libxfs_trans_ichgtime(tp, ip1, ip1_flags);
	libxfs_trans_log_inode(tp, ip1, XFS_ILOG_CORE);
	libxfs_trans_ichgtime(tp, ip2, ip2_flags);
	libxfs_trans_log_inode(tp, ip2, XFS_ILOG_CORE);
	libxfs_trans_ichgtime(tp, dp1, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
	libxfs_trans_log_inode(tp, dp1, XFS_ILOG_CORE);
	if (dp1 != dp2) {
		libxfs_trans_ichgtime(tp, dp2, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
		libxfs_trans_log_inode(tp, dp2, XFS_ILOG_CORE);
	}
	return 0;
}

/* The new name: a fresh entry, or the target's entry pointed at the source. */
static int xb_rename_enter(struct xfs_trans *tp, struct xb_rename *r)
{
	struct xfs_inode *sip = r->src->ip, *tdp = r->tdir->ip;
	int error;

	if (!r->tgt) {
		error = xb_err(libxfs_dir_createname(tp, tdp, &r->tname, sip->i_ino, r->resblks));
		if (error)
			return error;
		libxfs_trans_ichgtime(tp, tdp, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
		if (r->sdir != r->tdir && xb_is_dir(sip))
			xb_bumplink(tp, tdp); /* the source's ".." */
		return 0;
	}
	error = xb_err(libxfs_dir_replace(tp, tdp, &r->tname, sip->i_ino, r->resblks));
	if (error)
		return error;
	libxfs_trans_ichgtime(tp, tdp, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
	/* The target loses its name and, if a directory, its "." as well. */
	error = xb_droplink(tp, r->tgt->ip);
	if (!error && xb_is_dir(r->tgt->ip))
		error = xb_droplink(tp, r->tgt->ip);
	return error;
}

/* xfs_rename without whiteouts (FUSE never asks for RENAME_WHITEOUT here). */
static int xb_plain_rename(struct xfs_trans *tp, struct xb_rename *r)
{
	struct xfs_inode *sip = r->src->ip, *sdp = r->sdir->ip, *tdp = r->tdir->ip;
	bool new_parent = r->sdir != r->tdir;
	int error;

	error = xb_rename_enter(tp, r);
	if (error)
		return error;
	if (new_parent && xb_is_dir(sip)) {
		error = xb_err(
			libxfs_dir_replace(tp, sip, &xfs_name_dotdot, tdp->i_ino, r->resblks));
		if (error)
			return error;
	}
	libxfs_trans_ichgtime(tp, sip, XFS_ICHGTIME_CHG);
	libxfs_trans_log_inode(tp, sip, XFS_ILOG_CORE);
	/*
	 * A directory that left sdp, or replaced a directory within sdp: one
	 * ".." pointing at sdp less.
	 */
	if (xb_is_dir(sip) && (new_parent || r->tgt)) {
		error = xb_droplink(tp, sdp);
		if (error)
			return error;
	}
	error = xb_err(xfs_dir_removename(tp, sdp, &r->sname, sip->i_ino, r->resblks));
	if (error)
		return error;
	libxfs_trans_ichgtime(tp, sdp, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
	libxfs_trans_log_inode(tp, sdp, XFS_ILOG_CORE);
	if (new_parent)
		libxfs_trans_log_inode(tp, tdp, XFS_ILOG_CORE);
	return 0;
}

static int xb_rename_trans(struct xb_rename *r)
{
	struct xb_mount *m = r->src->m;
	struct xfs_trans *tp;
	int error;

	r->resblks = XFS_RENAME_SPACE_RES(m->mp, r->tname.len);
	error = xb_trans_alloc_dirent(m, &M_RES(m->mp)->tr_rename, &r->resblks, &tp);
	if (error)
		return error;
	xb_ijoin_all(tp,
		     (struct xfs_inode *[]){r->sdir->ip, r->tdir->ip, r->src->ip,
					    r->tgt ? r->tgt->ip : NULL},
		     4);
	if (!r->tgt) {
		error = xb_check_canenter(tp, r->tdir->ip, &r->tname, r->resblks);
		if (error)
			goto out_cancel;
	}
	if (r->flags & XB_RENAME_EXCHANGE)
		error = xb_cross_rename(tp, r);
	else
		error = xb_plain_rename(tp, r);
	if (error)
		goto out_cancel;
	return xb_trans_commit(tp);

out_cancel:
	xb_trans_cancel(m, tp);
	return error;
}

/* Look both names up (references taken), set the entries' file types. */
static int xb_rename_prepare(struct xb_rename *r, const char *oname, const char *nname)
{
	int error;

	error = xb_check_name(oname, &r->sname);
	if (!error)
		error = xb_check_name(nname, &r->tname);
	if (!error)
		error = xb_check_dir(r->sdir);
	if (!error)
		error = xb_check_dir(r->tdir);
	if (!error)
		error = xb_dir_get(r->sdir, oname, &r->src);
	if (error)
		return error;
	error = xb_dir_get(r->tdir, nname, &r->tgt);
	if (error == -ENOENT) {
		r->tgt = NULL;
		error = 0;
	}
	if (error)
		return error;
	/* Each entry ends up naming the other inode (exchange) or the source. */
	r->tname.type = libxfs_mode_to_ftype(VFS_I(r->src->ip)->i_mode);
	if (r->tgt)
		r->sname.type = libxfs_mode_to_ftype(VFS_I(r->tgt->ip)->i_mode);
	return 0;
}

int xb_rename(struct xb_inode *odir, const char *oname, struct xb_inode *ndir, const char *nname,
	      unsigned int flags)
{
	struct xb_rename r = {.sdir = odir, .tdir = ndir, .flags = flags};
	int error;

	if (flags & ~(XB_RENAME_NOREPLACE | XB_RENAME_EXCHANGE) ||
	    (flags & XB_RENAME_NOREPLACE && flags & XB_RENAME_EXCHANGE))
		return -EINVAL;
	if (xb_is_dot_name(oname) || xb_is_dot_name(nname))
		return -EINVAL;
	xb_lock();
	error = xb_rename_prepare(&r, oname, nname);
	/* Two names of one inode (or one name twice): nothing to do. */
	if (!error && r.src == r.tgt)
		goto out_put;
	if (!error)
		error = xb_rename_check(&r);
	if (!error)
		error = xb_rename_trans(&r);
out_put:
	/* A replaced target may have lost its last name: freed here if unused. */
	if (r.tgt)
		xb_iput_locked(r.tgt, 1);
	if (r.src)
		xb_iput_locked(r.src, 1);
	xb_unlock();
	return error;
}
