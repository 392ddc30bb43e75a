// SPDX-License-Identifier: GPL-2.0
/*
 * libfuse handlers for names: lookup, forget, attributes, create, link,
 * remove and rename (fs/fuse/dir.c).  References and errors: fuse_ops.c.
 */
#include "fuse_internal.h"
#include "iflags.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/*
 * LOOKUP of "." on any node: what the kernel sends to turn a file handle
 * back into an inode (fuse_get_dentry, with FUSE_CAP_EXPORT_SUPPORT).  The
 * node may have been forgotten long ago, and the handle forged: the inode
 * number is checked against the inode btree first.  The kernel compares
 * the generation in our reply with the handle's.
 */
static void xf_lookup_self(fuse_req_t req, fuse_ino_t nodeid)
{
	struct xf_fs *fs = xf_fs(req);
	struct xb_inode *ip;
	int error = xb_iget_handle(fs->m, xf_nodeid_to_ino(fs, nodeid), &ip);

	if (error) {
		xf_reply_err(req, "lookup of a file handle", nodeid, error);
		return;
	}
	xf_reply_entry(req, "lookup", ip);
}

void xf_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct xb_inode *dir, *ip;
	struct fuse_entry_param e;
	int error;

	if (strcmp(name, ".") == 0) {
		xf_lookup_self(req, parent);
		return;
	}
	error = xf_iget(req, parent, &dir);
	if (error) {
		xf_reply_err(req, "lookup", parent, error);
		return;
	}
	error = xb_lookup(dir, name, &ip);
	xb_iput(dir);
	if (error == -ENOENT) {
		/* A negative entry the kernel may cache: only we change the tree. */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = xf_fs(req)->entry_timeout;
		fuse_reply_entry(req, &e);
		return;
	}
	if (error) {
		/* The directory or the entry's inode: the backend does not say. */
		xf_reply_err(req, "lookup in directory", parent, error);
		return;
	}
	xf_reply_entry(req, "lookup", ip);
}

/* Without loading an idle inode again: FORGET needs nothing of it. */
static void xf_forget_one(struct xf_fs *fs, fuse_ino_t nodeid, uint64_t nlookup)
{
	int error;

	if (nlookup == 0)
		return;
	error = xb_iforget(fs->m, xf_nodeid_to_ino(fs, nodeid), nlookup);
	if (error) {
		/* The kernel forgets only what we gave it: a bug if we get here. */
		xf_log("forget: inode %llu is not in the inode table (%s)",
		       (unsigned long long) nodeid, strerror(-error));
	}
}

void xf_forget(fuse_req_t req, fuse_ino_t nodeid, uint64_t nlookup)
{
	xf_forget_one(xf_fs(req), nodeid, nlookup);
	fuse_reply_none(req);
}

void xf_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		xf_forget_one(xf_fs(req), forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

/*
 * The attributes of @nodeid (or of @fi's inode) for getattr and statx.
 * After a shutdown only the root answers (the kernel's XFS would say
 * EIO): the kernel's permission check of a getxattr needs its
 * attributes, and the xfsfuse.* controls must stay reachable.  On
 * failure the error has been sent.
 */
static int xf_getattr_common(fuse_req_t req, const char *op, fuse_ino_t nodeid,
			     struct fuse_file_info *fi, struct xb_stat *xs)
{
	struct xb_inode *ip;
	int error;

	if (fi) {
		ip = xf_fh_inode(fi);
		error = xf_is_shutdown(req) ? -EIO : xb_getattr(ip, xs);
		if (error)
			xf_reply_err(req, op, xb_ino(ip), error);
		return error;
	}
	if (nodeid == FUSE_ROOT_ID)
		error = xf_iget_any(req, nodeid, &ip);
	else
		error = xf_iget(req, nodeid, &ip);
	if (error) {
		xf_reply_err(req, op, nodeid, error);
		return error;
	}
	error = xb_getattr(ip, xs);
	if (error)
		xf_reply_err(req, op, xb_ino(ip), error);
	xb_iput(ip);
	return error;
}

void xf_getattr(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi)
{
	struct xb_stat xs;

	if (xf_getattr_common(req, "getattr", nodeid, fi, &xs))
		return;
	xf_reply_attr(req, "getattr", NULL, &xs, 0);
}

#if XF_FUSE_318
static void xf_statx_ts(struct statx_timestamp *t, const struct timespec *ts)
{
	t->tv_sec = ts->tv_sec;
	t->tv_nsec = (uint32_t) ts->tv_nsec;
}

/*
 * FUSE_STATX (Linux 6.6+ sends it when statx asks for more than the basic
 * stats, e.g. btime): the getattr attributes plus what the kernel's
 * xfs_vn_getattr adds, btime from di_crtime (v5 inodes) and the
 * immutable, append and nodump attributes.  @flags and @mask are hints:
 * the reply always carries everything.  Mainline FUSE (Linux 6.18) takes
 * btime from the reply but not stx_attributes; kernels that copy them
 * (fuse_statx_attributes) show them to statx.
 */
void xf_statx(fuse_req_t req, fuse_ino_t nodeid, int flags, int mask, struct fuse_file_info *fi)
{
	struct statx stx;
	struct xb_stat xs;

	(void) flags;
	(void) mask;
	if (xf_getattr_common(req, "statx", nodeid, fi, &xs))
		return;
	memset(&stx, 0, sizeof(stx));
	stx.stx_mask = STATX_BASIC_STATS | STATX_BTIME;
	stx.stx_blksize = xs.blksize;
	stx.stx_nlink = xs.nlink;
	stx.stx_uid = xs.uid;
	stx.stx_gid = xs.gid;
	stx.stx_mode = (uint16_t) xs.mode;
	stx.stx_ino = xs.ino;
	stx.stx_size = xs.size;
	stx.stx_blocks = xs.blocks;
	stx.stx_attributes_mask = STATX_ATTR_IMMUTABLE | STATX_ATTR_APPEND | STATX_ATTR_NODUMP;
	if (xs.iflags & XB_IFLAG_IMMUTABLE)
		stx.stx_attributes |= STATX_ATTR_IMMUTABLE;
	if (xs.iflags & XB_IFLAG_APPEND)
		stx.stx_attributes |= STATX_ATTR_APPEND;
	if (xs.iflags & XB_IFLAG_NODUMP)
		stx.stx_attributes |= STATX_ATTR_NODUMP;
	xf_statx_ts(&stx.stx_atime, &xs.atime);
	xf_statx_ts(&stx.stx_btime, &xs.crtime);
	xf_statx_ts(&stx.stx_ctime, &xs.ctime);
	xf_statx_ts(&stx.stx_mtime, &xs.mtime);
	stx.stx_rdev_major = major(xs.rdev);
	stx.stx_rdev_minor = minor(xs.rdev);
	fuse_reply_statx(req, 0, &stx, xf_fs(req)->attr_timeout);
}
#endif

/* FUSE_SET_ATTR_* -> XB_SET_*.  Timestamps "now" come from the backend's clock. */
static void xf_setattr_from_kernel(const struct stat *attr, int to_set, struct xb_setattr *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (to_set & FUSE_SET_ATTR_MODE) {
		sa->valid |= XB_SET_MODE;
		sa->mode = attr->st_mode;
	}
	if (to_set & FUSE_SET_ATTR_UID) {
		sa->valid |= XB_SET_UID;
		sa->uid = attr->st_uid;
	}
	if (to_set & FUSE_SET_ATTR_GID) {
		sa->valid |= XB_SET_GID;
		sa->gid = attr->st_gid;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		sa->valid |= XB_SET_SIZE;
		sa->size = (uint64_t) attr->st_size;
	}
	if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
		sa->valid |= XB_SET_ATIME_NOW;
	} else if (to_set & FUSE_SET_ATTR_ATIME) {
		sa->valid |= XB_SET_ATIME;
		sa->atime = attr->st_atim;
	}
	if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
		sa->valid |= XB_SET_MTIME_NOW;
	} else if (to_set & FUSE_SET_ATTR_MTIME) {
		sa->valid |= XB_SET_MTIME;
		sa->mtime = attr->st_mtim;
	}
	if (to_set & FUSE_SET_ATTR_CTIME) {
		sa->valid |= XB_SET_CTIME;
		sa->ctime = attr->st_ctim;
	}
}

/*
 * A size change of a regular file goes through the engine (xfs_setattr_size:
 * page cache, delalloc, EOF zeroing); the rest of the attributes after it.
 */
static int xf_setattr_size(struct xf_fs *fs, struct xb_inode *ip, struct xb_setattr *sa)
{
	struct xb_stat before;
	int error;

	if (!(sa->valid & XB_SET_SIZE) || !xb_vfs_inode(ip))
		return 0;
	error = xb_getattr(ip, &before);
	if (!error)
		error = xf_file_setsize(&fs->engine, ip, sa->size);
	if (error)
		return error;
	sa->valid &= ~XB_SET_SIZE;
	/* A size change always moves mtime and ctime (xfs_setattr_size). */
	if (before.size != sa->size && !(sa->valid & (XB_SET_MTIME | XB_SET_MTIME_NOW)))
		sa->valid |= XB_SET_MTIME_NOW;
	return 0;
}

/*
 * FATTR_KILL_SUIDGID (KILLPRIV_V2; libfuse calls it FUSE_SET_ATTR_KILL_SUID):
 * the kernel sends it with every chown of a non-directory and with a
 * truncate by a caller without CAP_FSETID, and leaves the mode change to
 * us (doc/backend.md "setuid and setgid").  A truncate's caller lacks
 * CAP_FSETID by that rule; for a chown, root stands for it (it keeps
 * setgid on a file without group execute).  Returns the groups to free.
 */
static uint32_t *xf_setattr_kill_privs(fuse_req_t req, int to_set, struct xb_cred *cr,
				       struct xb_setattr *sa)
{
	if (!(to_set & FUSE_SET_ATTR_KILL_SUID))
		return NULL;
	xf_cred(req, cr);
	if (!(to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)))
		cr->fsetid = false;
	sa->valid |= XB_SET_KILL_PRIVS;
	sa->kill_cr = cr;
	return cr->fsetid ? NULL : xf_cred_groups(req, cr);
}

void xf_setattr(fuse_req_t req, fuse_ino_t nodeid, struct stat *attr, int to_set,
		struct fuse_file_info *fi)
{
	struct xb_setattr sa;
	struct xb_inode *ip;
	struct xb_stat xs;
	struct xb_cred cr;
	uint32_t *groups;
	int error;

	xf_setattr_from_kernel(attr, to_set, &sa);
	groups = xf_setattr_kill_privs(req, to_set, &cr, &sa);
	if (fi) {
		ip = xf_fh_inode(fi);
		xb_igrab(ip);
	} else {
		error = xf_iget(req, nodeid, &ip);
		if (error) {
			free(groups);
			xf_reply_err(req, "setattr", nodeid, error);
			return;
		}
	}
	error = xf_may_setattr(ip, to_set);
	if (!error)
		error = xf_setattr_size(xf_fs(req), ip, &sa);
	if (!error)
		error = xb_setattr(ip, &sa, &xs);
	free(groups);
	xf_reply_attr(req, "setattr", ip, &xs, error);
	xb_iput(ip);
}

void xf_readlink(fuse_req_t req, fuse_ino_t nodeid)
{
	char buf[PATH_MAX + 1];
	struct xb_inode *ip;
	int len;

	len = xf_iget(req, nodeid, &ip);
	if (len) {
		xf_reply_err(req, "readlink", nodeid, len);
		return;
	}
	len = xb_readlink(ip, buf, sizeof(buf) - 1);
	/* touch_atime (do_readlinkat, pick_link); the FUSE kernel then forgets its atime. */
	if (len >= 0)
		xf_file_accessed(&xf_fs(req)->engine, ip);
	xb_iput(ip);
	if (len < 0) {
		xf_reply_err(req, "readlink", nodeid, len);
		return;
	}
	buf[len] = '\0';
	fuse_reply_readlink(req, buf);
}

/*
 * The caller's credentials.  The umask came with the request (libfuse fills
 * it in for create, mknod and mkdir); with DONT_MASK the kernel has not
 * applied it, and the backend does unless a default ACL takes its place.
 */
void xf_cred(fuse_req_t req, struct xb_cred *cr)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	memset(cr, 0, sizeof(*cr));
	cr->uid = ctx->uid;
	cr->gid = ctx->gid;
	cr->umask = ctx->umask;
	/* FUSE does not send capabilities: root stands for CAP_FSETID, as in xf_write. */
	cr->fsetid = ctx->uid == 0;
}

/*
 * The caller's supplementary groups, for the setgid rules that need them
 * (posix_acl_update_mode, setattr_should_drop_sgid): FUSE does not send
 * them, so they come from /proc (fuse_req_getgroups).
 * Returns an allocated list for @cr, or NULL (none, or they could not be
 * read: then only the primary group counts, the safe direction).
 */
uint32_t *xf_cred_groups(fuse_req_t req, struct xb_cred *cr)
{
	gid_t small[32], *list = small;
	uint32_t *groups = NULL;
	int n, i;

	n = fuse_req_getgroups(req, 32, small);
	if (n > 32) {
		list = malloc((size_t) n * sizeof(*list));
		if (list)
			n = fuse_req_getgroups(req, n, list);
	}
	if (list && n > 0)
		groups = malloc((size_t) n * sizeof(*groups));
	if (groups) {
		for (i = 0; i < n; i++)
			groups[i] = list[i];
		cr->groups = groups;
		cr->ngroups = (size_t) n;
	}
	if (list != small)
		free(list);
	return groups;
}

/* mknod, mkdir and create: @mode has its file type, the umask is in the cred. */
int xf_make_node(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev,
		 struct xb_inode **ipp)
{
	struct xb_inode *dir;
	struct xb_cred cr;
	int error;

	error = xf_iget(req, parent, &dir);
	if (error)
		return error;
	xf_cred(req, &cr);
	error = xb_create(dir, name, mode, rdev, &cr, ipp);
	if (error == -ENOSPC) { /* xfs_trans_alloc: free what can be, retry once */
		xf_engine_free_space(&xf_fs(req)->engine);
		error = xb_create(dir, name, mode, rdev, &cr, ipp);
	}
	xb_iput(dir);
	return error;
}

void xf_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	struct xb_inode *ip;
	int error;

	if (!(mode & S_IFMT))
		mode |= S_IFREG; /* mknod(2): a zero type means a regular file */
	error = xf_make_node(req, parent, name, mode, rdev, &ip);
	if (error) {
		xf_reply_err(req, "mknod", parent, error);
		return;
	}
	xf_reply_entry(req, "mknod", ip);
}

void xf_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct xb_inode *ip;
	int error;

	error = xf_make_node(req, parent, name, S_IFDIR | (mode & 07777), 0, &ip);
	if (error) {
		xf_reply_err(req, "mkdir", parent, error);
		return;
	}
	xf_reply_entry(req, "mkdir", ip);
}

void xf_symlink(fuse_req_t req, const char *target, fuse_ino_t parent, const char *name)
{
	struct xb_inode *dir, *ip;
	struct xb_cred cr;
	int error;

	error = xf_iget(req, parent, &dir);
	if (error) {
		xf_reply_err(req, "symlink", parent, error);
		return;
	}
	xf_cred(req, &cr);
	error = xb_symlink(dir, name, target, &cr, &ip);
	if (error == -ENOSPC) { /* as xf_make_node */
		xf_engine_free_space(&xf_fs(req)->engine);
		error = xb_symlink(dir, name, target, &cr, &ip);
	}
	xb_iput(dir);
	if (error) {
		xf_reply_err(req, "symlink", parent, error);
		return;
	}
	xf_reply_entry(req, "symlink", ip);
}

void xf_link(fuse_req_t req, fuse_ino_t nodeid, fuse_ino_t newparent, const char *newname)
{
	struct xb_inode *ip, *dir;
	int error;

	error = xf_iget(req, nodeid, &ip);
	if (error) {
		xf_reply_err(req, "link", nodeid, error);
		return;
	}
	error = xf_iget(req, newparent, &dir);
	if (error)
		goto out_err;
	error = xb_link(ip, dir, newname);
	xb_iput(dir);
	if (error)
		goto out_err;
	xf_reply_entry(req, "link", ip); /* our reference becomes the new lookup */
	return;

out_err:
	xf_reply_err(req, "link", nodeid, error);
	xb_iput(ip);
}

/* unlink and rmdir: same shape, different backend call. */
static void xf_remove(fuse_req_t req, fuse_ino_t parent, const char *name, const char *op,
		      int (*remove)(struct xb_inode *, const char *))
{
	struct xb_inode *dir;
	int error;

	error = xf_iget(req, parent, &dir);
	if (!error) {
		error = remove(dir, name);
		xb_iput(dir);
	}
	xf_reply_err(req, op, parent, error);
}

void xf_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	xf_remove(req, parent, name, "unlink", xb_unlink);
}

void xf_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	xf_remove(req, parent, name, "rmdir", xb_rmdir);
}

void xf_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
	       const char *newname, unsigned int flags)
{
	struct xb_inode *odir, *ndir;
	unsigned int xflags = 0;
	struct xb_cred cr;
	int error;

	/* Anything newer than RENAME_WHITEOUT: unknown, as to the kernel's XFS. */
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (flags & RENAME_NOREPLACE)
		xflags |= XB_RENAME_NOREPLACE;
	if (flags & RENAME_EXCHANGE)
		xflags |= XB_RENAME_EXCHANGE;
	if (flags & RENAME_WHITEOUT)
		xflags |= XB_RENAME_WHITEOUT;
	/* The whiteout belongs to the caller, as a new inode does. */
	xf_cred(req, &cr);
	error = xf_iget(req, parent, &odir);
	if (error)
		goto out;
	error = xf_iget(req, newparent, &ndir);
	if (!error) {
		error = xb_rename2(odir, name, ndir, newname, xflags, &cr);
		/* The whiteout's inode allocation: free what can be, retry once. */
		if (error == -ENOSPC && xflags & XB_RENAME_WHITEOUT) {
			xf_engine_free_space(&xf_fs(req)->engine);
			error = xb_rename2(odir, name, ndir, newname, xflags, &cr);
		}
		xb_iput(ndir);
	}
	xb_iput(odir);
out:
	xf_reply_err(req, "rename", parent, error);
}
