// SPDX-License-Identifier: GPL-2.0
/*
 * Pieces shared by the operations that add and drop names (remove.c,
 * rename.c): name and parent checks, the one-reference lookup, link count
 * changes (xfs_droplink / xfs_bumplink) and the directory-entry
 * transaction with its no-reservation fallback, as in fs/xfs/xfs_inode.c.
 */
#include "xb_internal.h"
#include "dirop.h"

/* "." and ".." are never names a caller may remove, link or rename. */
bool xb_is_dot_name(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

bool xb_is_dir(struct xfs_inode *ip)
{
	return S_ISDIR(VFS_I(ip)->i_mode);
}

/* Name with the file type the new entry will carry (ftype directories). */
int xb_name_for(const char *name, struct xfs_inode *ip, struct xfs_name *xname)
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
int xb_dir_get(struct xb_inode *dir, const char *name, struct xb_inode **ipp)
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
int xb_check_dir(struct xb_inode *dir)
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
void xb_ijoin_all(struct xfs_trans *tp, struct xfs_inode **ips, int n)
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
int xb_droplink(struct xfs_trans *tp, struct xfs_inode *ip)
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
void xb_bumplink(struct xfs_trans *tp, struct xfs_inode *ip)
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
int xb_trans_alloc_dirent(struct xb_mount *m, struct xfs_trans_res *resv, unsigned int *resblks,
			  struct xfs_trans **tpp)
{
	int error = xb_trans_alloc(m, resv, *resblks, tpp);

	if (error == -ENOSPC) {
		*resblks = 0;
		error = xb_trans_alloc(m, resv, 0, tpp);
	}
	return error;
}

/* With no block reservation, a new name must fit where the directory is. */
int xb_check_canenter(struct xfs_trans *tp, struct xfs_inode *dp, struct xfs_name *name,
		      unsigned int resblks)
{
	if (resblks)
		return 0;
	return xb_err(xfs_dir_canenter(tp, dp, name));
}
