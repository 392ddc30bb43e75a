// SPDX-License-Identifier: GPL-2.0
/*
 * Adding and removing names of existing inodes: link, unlink, rmdir.  The
 * userspace twins of fs/xfs/xfs_inode.c xfs_link() and xfs_remove(), on top
 * of the libxfs directory primitives (xfs_dir_createname / removename, as
 * repair/phase6.c uses them).  Renames are in rename.c.
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
#include "dirop.h"

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
	if (error != -ENOENT)
		return error;
	/* vfs_link's order: the name is free, then the directory and the inode. */
	error = xb_may_create_in(newdir->ip);
	return error ? error : xb_may_link(ip);
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

int xb_remove_trans(struct xb_inode *dir, struct xfs_name *xname, struct xfs_inode *ip, bool is_dir)
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
	/* may_delete: immutable/append-only before the type checks. */
	if (!error)
		error = xb_may_delete(dir->ip, child->ip);
	if (!error)
		error = xb_remove_check(child->ip, is_dir);
	if (!error)
		error = xb_remove_trans(dir, &xname, child->ip, is_dir);
	/* The last reference of an unlinked inode frees it (xb_inactive). */
	if (child)
		xb_iput_locked(child);
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
