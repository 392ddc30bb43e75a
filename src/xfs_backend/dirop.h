/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by remove.c, rename.c and namei.c (dirop.c): see there. */
#ifndef XFSFUSE_XB_DIROP_H
#define XFSFUSE_XB_DIROP_H

#include "xb_internal.h"

bool xb_is_dot_name(const char *name);
bool xb_is_dir(struct xfs_inode *ip);
int xb_name_for(const char *name, struct xfs_inode *ip, struct xfs_name *xname);
int xb_dir_get(struct xb_inode *dir, const char *name, struct xb_inode **ipp);
int xb_check_dir(struct xb_inode *dir);
void xb_ijoin_all(struct xfs_trans *tp, struct xfs_inode **ips, int n);
int xb_droplink(struct xfs_trans *tp, struct xfs_inode *ip);
void xb_bumplink(struct xfs_trans *tp, struct xfs_inode *ip);
int xb_trans_alloc_dirent(struct xb_mount *m, struct xfs_trans_res *resv, unsigned int *resblks,
			  struct xfs_trans **tpp);
/* remove.c: take a name away (unlink, rmdir; namei.c's undo of a create). */
int xb_remove_trans(struct xb_inode *dir, struct xfs_name *xname, struct xfs_inode *ip,
		    bool is_dir);
/* namei.c: a RENAME_WHITEOUT's whiteout, nameless until the rename links it. */
int xb_whiteout_tmpfile(struct xb_inode *dir, const struct xb_cred *cr, struct xb_inode **ipp);
int xb_check_canenter(struct xfs_trans *tp, struct xfs_inode *dp, struct xfs_name *name,
		      unsigned int resblks);

#endif
