// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX ACLs of inodes: the userspace twin of the kernel's xfs_get_acl /
 * xfs_set_acl, with what the VFS's ACL code does around them for a
 * filesystem (posix_acl_update_mode, posix_acl_create, posix_acl_chmod).
 * The formats are in acl_format.c; doc/backend.md ("POSIX ACLs") has the
 * whole picture.
 *
 * Over FUSE (FUSE_POSIX_ACL) the kernel enforces ACLs from what getxattr
 * returns here and caches them, but the rest is the server's job: an access
 * ACL that is set moves the mode (and may turn out to be no ACL at all), a
 * chmod moves the access ACL, and a new inode inherits its parent's default
 * ACL instead of losing the umask.  Those happen here.
 *
 * Each of them is two or three libxfs transactions (libxfs 6.1's
 * xfs_attr_set commits its own), as in the kernel, whose xfs_set_acl and
 * xfs_generic_create are not atomic either.  They run under one hold of the
 * libxfs lock, and a checkpoint snapshot needs that lock (doc/log.md), so
 * they reach the log in the same checkpoint: after a crash, all or none.
 */
#include "acl.h"

static const char *xb_acl_name(enum xb_acl_type type)
{
	return type == XB_ACL_ACCESS ? SGI_ACL_FILE : SGI_ACL_DEFAULT;
}

bool xb_acl_xattr_type(const char *name, enum xb_acl_type *type)
{
	if (!strcmp(name, "system.posix_acl_access")) {
		*type = XB_ACL_ACCESS;
		return true;
	}
	if (!strcmp(name, "system.posix_acl_default")) {
		*type = XB_ACL_DEFAULT;
		return true;
	}
	return false;
}

/* xfs_get_acl: a missing attribute is no ACL, any other error is an error. */
int xb_acl_get_locked(struct xfs_inode *ip, enum xb_acl_type type, struct xb_acl **aclp)
{
	struct xfs_mount *mp = ip->i_mount;
	struct xfs_da_args args;
	size_t max = XFS_ACL_MAX_SIZE(mp);
	void *value;
	int error;

	*aclp = NULL;
	if (!xfs_inode_hasattr(ip))
		return 0;
	value = malloc(max);
	if (!value)
		return -ENOMEM;
	xb_xattr_args_init(&args, ip, XFS_ATTR_ROOT, xb_acl_name(type));
	args.value = value;
	args.valuelen = max;
	error = xb_attr_err(libxfs_attr_get(&args));
	if (!error)
		error = xb_acl_from_disk(value, args.valuelen, XFS_ACL_MAX_ENTRIES(mp), aclp);
	else if (error == -ENODATA)
		error = 0;
	free(value);
	return error;
}

/* __xfs_set_acl: store @acl, or remove the attribute (NULL; absent is fine). */
static int xb_acl_store_locked(struct xb_inode *xi, enum xb_acl_type type, const struct xb_acl *acl)
{
	void *value = NULL;
	size_t len = 0;
	int error;

	if (acl) {
		len = xb_acl_disk_size(acl->count);
		value = malloc(len);
		if (!value)
			return -ENOMEM;
		xb_acl_to_disk(acl, value);
	}
	error = xb_xattr_set_locked(xi, XFS_ATTR_ROOT, xb_acl_name(type), value, len, 0);
	free(value);
	if (!acl && error == -ENODATA)
		error = 0;
	return error;
}

/* xfs_acl_set_mode: the mode an ACL implies, in a transaction of its own. */
static int xb_acl_set_mode(struct xb_inode *xi, uint32_t mode)
{
	struct xfs_inode *ip = xi->ip;
	struct xfs_trans *tp;
	int error;

	error = xb_trans_alloc(xi->m, &M_RES(xi->m->mp)->tr_ichange, 0, &tp);
	if (error)
		return error;
	libxfs_trans_ijoin(tp, ip, 0);
	VFS_I(ip)->i_mode = mode;
	libxfs_trans_ichgtime(tp, ip, XFS_ICHGTIME_CHG);
	libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
	return xb_trans_commit(tp);
}

/*
 * Store @acl (NULL: none) as the access ACL and make the mode follow, the
 * way xfs_set_acl does: posix_acl_update_mode first (an ACL the mode bits
 * express entirely is not stored, and a setgid the caller may not keep
 * goes), then the attribute, then the mode, so that an ENOSPC leaves the
 * mode alone.  @acl is consumed.
 */
static int xb_acl_set_access_locked(struct xb_inode *xi, struct xb_acl *acl,
				    const struct xb_cred *cr, bool check_sgid)
{
	struct inode *inode = VFS_I(xi->ip);
	uint32_t mode = inode->i_mode;
	int error;

	if (acl) {
		error = xb_acl_equiv_mode(acl, &mode);
		if (error < 0)
			goto out_free;
		if (error == 0) {
			free(acl);
			acl = NULL;
		}
		if (check_sgid && !xb_in_group_or_capable(cr, inode->i_gid))
			mode &= ~(uint32_t) S_ISGID;
	}
	error = xb_acl_store_locked(xi, XB_ACL_ACCESS, acl);
	if (!error && mode != inode->i_mode)
		error = xb_acl_set_mode(xi, mode);
out_free:
	free(acl);
	return error;
}

int xb_acl_getxattr(struct xb_inode *xi, enum xb_acl_type type, void *buf, size_t size)
{
	struct xb_acl *acl = NULL;
	size_t len;
	int error;

	xb_lock();
	error = xi->ip ? xb_acl_get_locked(xi->ip, type, &acl) : -ESTALE;
	xb_unlock();
	if (error)
		return error;
	if (!acl)
		return -ENODATA;
	/* At most XFS_ACL_MAX_ENTRIES: 4 + 8 * 5461 bytes, an int. */
	len = xb_acl_xattr_size(acl->count);
	if (size && len > size)
		error = -ERANGE;
	else if (size)
		xb_acl_to_xattr(acl, buf);
	free(acl);
	return error ? error : (int) len;
}

/*
 * setxattr / removexattr of "system.posix_acl_*" (@val NULL or empty: remove),
 * with the checks of the VFS's set_posix_acl and xfs_set_acl in their order
 * after the value's parse.  The owner check (EPERM) is the FUSE kernel's.
 */
int xb_acl_setxattr(struct xb_inode *xi, enum xb_acl_type type, const void *val, size_t size,
		    const struct xb_cred *cr)
{
	struct xb_acl *acl;
	struct inode *inode;
	int error;

	error = xb_acl_from_xattr(val, size, &acl);
	if (error)
		return error;
	xb_lock();
	if (!xi->ip) {
		error = -ESTALE;
		goto out_unlock;
	}
	inode = VFS_I(xi->ip);
	error = -EROFS;
	if (xi->m->readonly)
		goto out_unlock;
	/* vfs_set_acl's xattr_permission: immutable and append-only refuse (EPERM) */
	error = xb_may_change_xattr(xi->ip);
	if (error)
		goto out_unlock;
	/* XFS symlinks have no ->set_acl. */
	error = -EOPNOTSUPP;
	if (S_ISLNK(inode->i_mode))
		goto out_unlock;
	if (type == XB_ACL_DEFAULT && !S_ISDIR(inode->i_mode)) {
		error = acl ? -EACCES : 0;
		goto out_unlock;
	}
	if (acl) {
		error = xb_acl_valid(acl);
		if (!error && acl->count > XFS_ACL_MAX_ENTRIES(xi->m->mp))
			error = -E2BIG;
		if (error)
			goto out_unlock;
	}
	if (type == XB_ACL_ACCESS) {
		error = xb_acl_set_access_locked(xi, acl, cr, true);
		acl = NULL;
	} else {
		error = xb_acl_store_locked(xi, type, acl);
	}
out_unlock:
	xb_unlock();
	free(acl);
	return error;
}

/*
 * posix_acl_chmod, which xfs_setattr_nonsize runs after the mode change:
 * the owner, group class (the mask if there is one) and other entries take
 * the new mode's bits, stored through xfs_set_acl as any ACL.  The setgid
 * check is left out: the chmod went through the VFS's setattr_prepare with
 * the caller's credentials already, which made the same decision.
 */
int xb_acl_chmod_locked(struct xb_inode *xi)
{
	struct inode *inode = VFS_I(xi->ip);
	struct xb_acl *acl;
	int error;

	if (S_ISLNK(inode->i_mode))
		return 0;
	error = xb_acl_get_locked(xi->ip, XB_ACL_ACCESS, &acl);
	if (error || !acl)
		return error;
	error = xb_acl_chmod_masq(acl, inode->i_mode);
	if (error) {
		free(acl);
		return error;
	}
	return xb_acl_set_access_locked(xi, acl, NULL, false);
}

int xb_acl_inherit_prepare(struct xfs_inode *dp, uint32_t *mode_p, uint32_t umask,
			   struct xb_acl **daclp, struct xb_acl **aclp)
{
	struct xb_acl *p, *clone;
	int error;

	*daclp = NULL;
	*aclp = NULL;
	if (S_ISLNK(*mode_p))
		return 0;
	error = xb_acl_get_locked(dp, XB_ACL_DEFAULT, &p);
	if (error)
		return error;
	if (!p) {
		*mode_p &= ~(umask & XB_S_IRWXUGO);
		return 0;
	}
	clone = xb_acl_clone(p);
	error = -ENOMEM;
	if (!clone)
		goto out;
	error = xb_acl_create_masq(clone, mode_p);
	if (error <= 0) {
		free(clone);
		if (error < 0)
			goto out;
	} else {
		*aclp = clone;
	}
	error = 0;
	if (S_ISDIR(*mode_p)) {
		*daclp = p;
		p = NULL;
	}
out:
	free(p);
	return error;
}

/* xfs_attr_calc_size for one ACL attribute; @ip only lends its mount. */
static unsigned int xb_acl_attr_blocks(struct xfs_inode *ip, enum xb_acl_type type,
				       const struct xb_acl *acl)
{
	struct xfs_da_args args;
	int local;

	xb_xattr_args_init(&args, ip, XFS_ATTR_ROOT, xb_acl_name(type));
	args.valuelen = xb_acl_disk_size(acl->count);
	args.geo = ip->i_mount->m_attr_geo;
	return xfs_attr_calc_size(&args, &local);
}

unsigned int xb_acl_inherit_blocks(struct xfs_inode *dp, const struct xb_acl *dacl,
				   const struct xb_acl *acl)
{
	unsigned int blocks = 0;

	if (dacl)
		blocks += xb_acl_attr_blocks(dp, XB_ACL_DEFAULT, dacl);
	if (acl)
		blocks += xb_acl_attr_blocks(dp, XB_ACL_ACCESS, acl);
	/* The new inode has no attr fork yet: the first set adds it. */
	if (blocks)
		blocks += XFS_ADDAFORK_SPACE_RES(dp->i_mount);
	return blocks;
}

int xb_acl_inherit_apply(struct xb_inode *xi, const struct xb_acl *dacl, const struct xb_acl *acl)
{
	int error = 0;

	if (dacl)
		error = xb_acl_store_locked(xi, XB_ACL_DEFAULT, dacl);
	if (!error && acl)
		error = xb_acl_store_locked(xi, XB_ACL_ACCESS, acl);
	return error;
}
