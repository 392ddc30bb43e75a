// SPDX-License-Identifier: GPL-2.0
/*
 * Extended attributes: get, set and remove, the userspace twin of the
 * kernel's fs/xfs/xfs_xattr.c on top of libxfs_attr_get/libxfs_attr_set.
 * Listing lives in xattr_list.c (libxfs 6.1 has no xfs_attr_list).
 *
 * Names arrive as the VFS sees them ("user.foo").  The prefix picks the XFS
 * namespace (attr_filter) and is not stored on disk, as in the kernel's
 * xattr handlers.  The checks are the VFS's, in its order: name length
 * (ERANGE), value size (E2BIG), then the prefix (EOPNOTSUPP, or EINVAL for
 * an empty name after a known prefix).  "system.posix_acl_access" and
 * "system.posix_acl_default" go to acl.c, which stores them as XFS does
 * (SGI_ACL_FILE / SGI_ACL_DEFAULT in the root namespace); any other
 * "system.*" name answers EOPNOTSUPP, as on the kernel's XFS.
 *
 * libxfs 6.1's xfs_attr_set() allocates, joins and commits its own
 * transaction (and xfs_bmap_add_attrfork() another one before it), so it
 * cannot go through xb_trans_alloc().  Everything that can fail cleanly is
 * therefore checked here first, under the libxfs lock, before libxfs
 * touches anything: the name lookup (EEXIST/ENODATA, corrupt blocks), the
 * free-space set-aside (ENOSPC) and the extent-count limit (EFBIG).  An
 * error from libxfs_attr_set() after that means a transaction failed half
 * way, and the mount is shut down as the kernel would.
 */
#include "acl.h"

#include <linux/limits.h>
#include <sys/xattr.h>

struct xb_xattr_ns {
	const char *prefix;
	size_t len;
	unsigned int attr_filter;
};

/* The kernel's xfs_xattr_handlers, minus the POSIX ACL ones. */
static const struct xb_xattr_ns xb_xattr_namespaces[] = {
	{"user.", 5, 0},
	{"trusted.", 8, XFS_ATTR_ROOT},
	{"security.", 9, XFS_ATTR_SECURE},
};

/*
 * Map "prefix.name" to (attr_filter, name), as the VFS's xattr_resolve_name
 * does.  The length check is setxattr()'s copy of the name from user space.
 */
static int xb_xattr_resolve(const char *name, unsigned int *attr_filter, const char **bare)
{
	size_t len = strnlen(name, XATTR_NAME_MAX + 1);
	size_t i;

	if (len == 0 || len > XATTR_NAME_MAX)
		return -ERANGE;
	for (i = 0; i < ARRAY_SIZE(xb_xattr_namespaces); i++) {
		const struct xb_xattr_ns *ns = &xb_xattr_namespaces[i];

		if (strncmp(name, ns->prefix, ns->len))
			continue;
		if (name[ns->len] == '\0')
			return -EINVAL;
		*attr_filter = ns->attr_filter;
		*bare = name + ns->len;
		return 0;
	}
	return -EOPNOTSUPP;
}

void xb_xattr_args_init(struct xfs_da_args *args, struct xfs_inode *ip, unsigned int attr_filter,
			const char *bare)
{
	memset(args, 0, sizeof(*args));
	args->dp = ip;
	args->attr_filter = attr_filter;
	args->name = (const uint8_t *) bare;
	args->namelen = strlen(bare);
}

/* A bad CRC is corrupt metadata, as the kernel's xfs_buf_read_map says. */
int xb_attr_err(int error)
{
	error = xb_err(error);
	return error == -EFSBADCRC ? -EFSCORRUPTED : error;
}

/* An inode freed under a handle (xb_inode.ip == NULL) has no attributes. */
static int xb_xattr_inode(struct xb_inode *xi, struct xfs_inode **ipp)
{
	if (!xi->ip)
		return -ESTALE;
	*ipp = xi->ip;
	return 0;
}

int xb_getxattr(struct xb_inode *xi, const char *name, void *buf, size_t size)
{
	struct xfs_da_args args;
	struct xfs_inode *ip;
	enum xb_acl_type type;
	unsigned int attr_filter;
	const char *bare;
	int error;

	if (xb_acl_xattr_type(name, &type))
		return xb_acl_getxattr(xi, type, buf, size);
	error = xb_xattr_resolve(name, &attr_filter, &bare);
	if (error)
		return error;
	/* getxattr(2) never asks for more than XATTR_SIZE_MAX. */
	if (size > XATTR_SIZE_MAX)
		size = XATTR_SIZE_MAX;

	xb_lock();
	error = xb_xattr_inode(xi, &ip);
	if (error)
		goto out_unlock;
	xb_xattr_args_init(&args, ip, attr_filter, bare);
	/* valuelen 0: xfs_attr_get only reports the length (xfs_xattr_get). */
	args.value = size ? buf : NULL;
	args.valuelen = size;
	error = xb_attr_err(libxfs_attr_get(&args));
	if (!error)
		error = args.valuelen;
out_unlock:
	xb_unlock();
	return error;
}

/* Does the attribute exist?  0 yes, -ENODATA no, else the read error. */
static int xb_xattr_lookup(struct xfs_inode *ip, unsigned int attr_filter, const char *bare)
{
	struct xfs_da_args args;

	xb_xattr_args_init(&args, ip, attr_filter, bare);
	return xb_attr_err(libxfs_attr_get(&args));
}

/*
 * Blocks xfs_attr_set() will reserve: its own total (xfs_init_attr_trans),
 * plus xfs_bmap_add_attrfork()'s transaction if the fork is not there yet.
 */
static unsigned int xb_xattr_blocks(struct xfs_da_args *args)
{
	struct xfs_mount *mp = args->dp->i_mount;
	unsigned int blocks;
	int local;

	if (!args->value)
		return XFS_ATTRRM_SPACE_RES(mp);
	args->geo = mp->m_attr_geo;
	blocks = xfs_attr_calc_size(args, &local);
	if (!xfs_inode_has_attr_fork(args->dp))
		blocks += XFS_ADDAFORK_SPACE_RES(mp);
	return blocks;
}

/*
 * xfs_attr_set() checks the attr fork's extent count inside its transaction;
 * without large extent counts the answer is a clean EFBIG, which we give
 * before anything starts.  (With them it upgrades the inode and goes on.)
 */
static int xb_xattr_check_extents(struct xfs_da_args *args)
{
	struct xfs_inode *ip = args->dp;
	struct xfs_mount *mp = ip->i_mount;
	int rmt_blks = 0;
	int local;

	if (xfs_has_large_extent_counts(mp) || !xfs_inode_hasattr(ip))
		return 0;
	if (!args->value) {
		rmt_blks = xfs_attr3_rmt_blocks(mp, XFS_XATTR_SIZE_MAX);
	} else {
		args->geo = mp->m_attr_geo;
		libxfs_attr_leaf_newentsize(args, &local);
		if (!local)
			rmt_blks = xfs_attr3_rmt_blocks(mp, args->valuelen);
	}
	return xb_err(
		xfs_iext_count_may_overflow(ip, XFS_ATTR_FORK, XFS_IEXT_ATTR_MANIP_CNT(rmt_blks)));
}

/*
 * Everything that may refuse the change, checked before libxfs modifies a
 * single byte.  @args->value NULL means remove.
 */
static int xb_xattr_precheck(struct xb_mount *m, struct xfs_da_args *args, int flags)
{
	int error;

	if (m->readonly)
		return -EROFS;
	if (m->shutdown)
		return -EIO;
	error = xb_xattr_lookup(args->dp, args->attr_filter, (const char *) args->name);
	if (error && error != -ENODATA)
		return error;
	if (!error && args->value && (flags & XB_XATTR_CREATE))
		return -EEXIST;
	if (error == -ENODATA && (!args->value || (flags & XB_XATTR_REPLACE)))
		return -ENODATA;
	if (!xb_space_available(m, xb_xattr_blocks(args)))
		return -ENOSPC;
	return xb_xattr_check_extents(args);
}

/*
 * Set or remove (@val NULL) one attribute of a live inode: xfs_xattr_set()
 * -> xfs_attr_change() -> xfs_attr_set(), which also stamps ctime
 * (XFS_ICHGTIME_CHG) in the same transaction.
 */
int xb_xattr_set_locked(struct xb_inode *xi, unsigned int attr_filter, const char *bare,
			const void *val, size_t size, int flags)
{
	struct xb_mount *m = xi->m;
	struct xfs_da_args args;
	int error;

	xb_xattr_args_init(&args, xi->ip, attr_filter, bare);
	args.value = (void *) val;
	args.valuelen = size;
	args.attr_flags = flags & (XATTR_CREATE | XATTR_REPLACE);
	error = xb_xattr_precheck(m, &args, flags);
	if (error)
		return error;
	error = xb_attr_err(libxfs_attr_set(&args));
	if (error)
		xb_shutdown(m, "an extended attribute update failed halfway");
	return error;
}

static int xb_xattr_change(struct xb_inode *xi, const char *name, const void *val, size_t size,
			   int flags)
{
	struct xfs_inode *ip;
	unsigned int attr_filter;
	const char *bare;
	int error;

	error = xb_xattr_resolve(name, &attr_filter, &bare);
	if (error)
		return error;

	xb_lock();
	error = xb_xattr_inode(xi, &ip);
	if (!error)
		error = xb_may_change_xattr(ip); /* xattr_permission */
	if (!error)
		error = xb_xattr_set_locked(xi, attr_filter, bare, val, size, flags);
	xb_unlock();
	return error;
}

int xb_setxattr_as(struct xb_inode *xi, const char *name, const void *val, size_t size, int flags,
		   const struct xb_cred *cr)
{
	size_t len = strnlen(name, XATTR_NAME_MAX + 1);
	enum xb_acl_type type;

	/* setxattr(2)'s order: the name is copied (ERANGE) before the value. */
	if (len == 0 || len > XATTR_NAME_MAX)
		return -ERANGE;
	if (size > XATTR_SIZE_MAX)
		return -E2BIG;
	if (flags & ~(XB_XATTR_CREATE | XB_XATTR_REPLACE))
		return -EINVAL;
	/* The VFS ignores XATTR_CREATE/REPLACE for ACLs (do_set_acl). */
	if (xb_acl_xattr_type(name, &type))
		return xb_acl_setxattr(xi, type, val, size, cr);
	/* An empty value is an empty attribute, not a removal (__vfs_setxattr). */
	if (!val || size == 0) {
		val = "";
		size = 0;
	}
	return xb_xattr_change(xi, name, val, size, flags);
}

int xb_setxattr(struct xb_inode *xi, const char *name, const void *val, size_t size, int flags)
{
	return xb_setxattr_as(xi, name, val, size, flags, NULL);
}

int xb_removexattr(struct xb_inode *xi, const char *name)
{
	enum xb_acl_type type;

	/* Removing an ACL is setting none (vfs_remove_acl). */
	if (xb_acl_xattr_type(name, &type))
		return xb_acl_setxattr(xi, type, NULL, 0, NULL);
	return xb_xattr_change(xi, name, NULL, 0, 0);
}

/*
 * cap_inode_killpriv: a write drops the file's capabilities.  The FUSE
 * kernel does it itself (GETXATTR, then REMOVEXATTR) wherever it calls
 * file_remove_privs; its FOPEN_DIRECT_IO write path (cache=none, O_DIRECT)
 * never does, so that path asks us.  Files without an attribute fork pay
 * one test.
 */
int xb_file_kill_caps(struct xb_inode *xi)
{
	int error = 0;

	xb_lock();
	if (!xi->ip)
		error = -ESTALE;
	else if (xfs_inode_has_attr_fork(xi->ip))
		error = xb_xattr_set_locked(xi, XFS_ATTR_SECURE, "capability", NULL, 0, 0);
	xb_unlock();
	return error == -ENODATA ? 0 : error;
}
