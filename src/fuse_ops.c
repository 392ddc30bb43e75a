// SPDX-License-Identifier: GPL-2.0
/*
 * libfuse3 low-level handlers: the userspace end of fs/fuse.
 *
 * Node ids.  The kernel's nodeid of an inode is its XFS inode number (stable
 * across mounts, equal to st_ino), except the root, which the protocol calls
 * FUSE_ROOT_ID (1).  XFS never has an inode 1 (that block holds the
 * superblock), so the mapping is one-to-one.
 *
 * References.  Every reply that makes the kernel count a lookup (lookup,
 * create, mknod, mkdir, symlink, link, readdirplus entries other than "." and
 * "..") carries one xb_inode reference, which FORGET gives back (n at a
 * time).  An open file or directory holds one more reference in fi->fh, so
 * an unlinked file stays readable until its last close.  Other handlers get
 * a temporary reference with xb_iget(), a table hit since the kernel holds a
 * lookup reference on any node it sends us.  When a reply cannot be
 * delivered (request interrupted: -ENOENT), the kernel never took the
 * reference, so we drop it again.
 *
 * Errors.  The backend returns negative errnos.  EUCLEAN (metadata failed
 * verification) reaches applications as EIO, as the kernel's XFS reports
 * EFSCORRUPTED to userspace, and is logged once per inode.  ENOSYS from an
 * unfinished backend call becomes EOPNOTSUPP: the kernel remembers ENOSYS
 * for some requests forever (an ENOSYS FSYNC would make every later fsync
 * "succeed" without reaching us).
 */
#include "fuse_ops.h"
#include "control.h"
#include "iflags.h"
#include "ioctl_ops.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

/* ---------------------------------------------------------------- logging */

static bool xf_use_syslog;

void xf_log_to_syslog(void)
{
	openlog("xfsfuse", LOG_PID, LOG_DAEMON);
	xf_use_syslog = true;
}

void xf_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (xf_use_syslog) {
		vsyslog(LOG_ERR, fmt, ap);
	} else {
		fputs("xfsfuse: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

/*
 * "Logged once" bookkeeping for corruption reports: a small set of inode
 * numbers already reported.  Losing an entry to the ring only means one more
 * log line, never a missed error.
 */
#define XF_CORRUPT_RING 64
static pthread_mutex_t xf_corrupt_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t xf_corrupt_seen[XF_CORRUPT_RING];
static unsigned int xf_corrupt_next;

static bool xf_corrupt_first_time(uint64_t ino)
{
	bool first = true;
	unsigned int i;

	pthread_mutex_lock(&xf_corrupt_lock);
	for (i = 0; i < XF_CORRUPT_RING; i++) {
		if (xf_corrupt_seen[i] == ino + 1) {
			first = false;
			break;
		}
	}
	if (first)
		xf_corrupt_seen[xf_corrupt_next++ % XF_CORRUPT_RING] = ino + 1;
	pthread_mutex_unlock(&xf_corrupt_lock);
	return first;
}

/* ENOSYS: say once per request type that the backend does not do it yet. */
static bool xf_enosys_first_time(const char *op)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static const char *seen[64];
	static unsigned int nseen;
	bool first = true;
	unsigned int i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nseen; i++) {
		if (seen[i] == op) {
			first = false;
			break;
		}
	}
	if (first && nseen < 64)
		seen[nseen++] = op;
	pthread_mutex_unlock(&lock);
	return first;
}

struct xf_fs *xf_fs(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* Backend error (negative errno) -> errno for the kernel (positive). */
static int xf_errno(fuse_req_t req, const char *op, uint64_t ino, int error)
{
	int err = error < 0 ? -error : error;

	if (err == EUCLEAN) {
		if (xf_corrupt_first_time(ino))
			xf_log("%s: inode %llu: metadata corruption detected; run xfs_repair", op,
			       (unsigned long long) ino);
		return EIO;
	}
	if (err == ENOSYS) {
		if (xf_enosys_first_time(op))
			xf_log("%s: not implemented by the backend yet", op);
		return EOPNOTSUPP;
	}
	if (err == 0 || err > 4095)
		return EIO; /* never hand the kernel nonsense */
	if (xf_fs(req)->debug)
		xf_log("%s: inode %llu: %s", op, (unsigned long long) ino, strerror(err));
	return err;
}

void xf_reply_err(fuse_req_t req, const char *op, uint64_t ino, int error)
{
	fuse_reply_err(req, error ? xf_errno(req, op, ino, error) : 0);
}

/* ---------------------------------------------------------------- node ids */

static uint64_t xf_nodeid_to_ino(const struct xf_fs *fs, fuse_ino_t nodeid)
{
	return nodeid == FUSE_ROOT_ID ? fs->root_ino : nodeid;
}

static fuse_ino_t xf_ino_to_nodeid(const struct xf_fs *fs, uint64_t ino)
{
	return ino == fs->root_ino ? FUSE_ROOT_ID : ino;
}

/* A temporary reference to the inode behind a nodeid; drop with xb_iput. */
int xf_iget(fuse_req_t req, fuse_ino_t nodeid, struct xb_inode **ipp)
{
	struct xf_fs *fs = xf_fs(req);

	return xb_iget(fs->m, xf_nodeid_to_ino(fs, nodeid), ipp);
}

/*
 * An open file description (the kernel's struct file): the inode reference
 * it holds, and its writeback-error cursor (f_wb_err), so that every
 * description open when a writeback error happened sees it once at fsync.
 */
struct xf_file {
	struct xb_inode *ip;
	uint32_t wb_err;
};

static struct xf_file *xf_fh(const struct fuse_file_info *fi)
{
	return (struct xf_file *) (uintptr_t) fi->fh;
}

static struct xb_inode *xf_fh_inode(const struct fuse_file_info *fi)
{
	return xf_fh(fi)->ip;
}

/* Make @fi the open description of @ip (which keeps the caller's reference). */
static int xf_fh_alloc(struct xf_fs *fs, struct fuse_file_info *fi, struct xb_inode *ip)
{
	struct xf_file *f = malloc(sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->ip = ip;
	f->wb_err = xf_file_sample_wb_err(&fs->engine, ip);
	fi->fh = (uintptr_t) f;
	return 0;
}

static void xf_fh_free(struct fuse_file_info *fi)
{
	free(xf_fh(fi));
	fi->fh = 0;
}

/* ---------------------------------------------------------------- attributes */

static void xf_stat_to_kernel(const struct xb_stat *xs, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = xs->ino;
	st->st_mode = xs->mode;
	st->st_nlink = xs->nlink;
	st->st_uid = xs->uid;
	st->st_gid = xs->gid;
	st->st_rdev = xs->rdev;
	st->st_size = (off_t) xs->size;
	st->st_blocks = (blkcnt_t) xs->blocks;
	st->st_blksize = xs->blksize;
	st->st_atim = xs->atime;
	st->st_mtim = xs->mtime;
	st->st_ctim = xs->ctime;
}

/* Fill @e for @ip; the caller's reference becomes the kernel's lookup. */
static int xf_fill_entry(struct xf_fs *fs, struct xb_inode *ip, struct fuse_entry_param *e)
{
	struct xb_stat xs;
	int error;

	memset(e, 0, sizeof(*e));
	error = xb_getattr(ip, &xs);
	if (error)
		return error;
	e->ino = xf_ino_to_nodeid(fs, xs.ino);
	e->generation = xs.generation;
	xf_stat_to_kernel(&xs, &e->attr);
	e->attr_timeout = XF_TIMEOUT;
	e->entry_timeout = XF_TIMEOUT;
	return 0;
}

/*
 * Reply to a request that creates a lookup with the reference @ip the
 * backend gave us; on any failure the reference goes back.
 */
static void xf_reply_entry(fuse_req_t req, const char *op, struct xb_inode *ip)
{
	struct fuse_entry_param e;
	int error = xf_fill_entry(xf_fs(req), ip, &e);

	if (error) {
		xf_reply_err(req, op, xb_ino(ip), error);
		xb_iput(ip);
		return;
	}
	if (fuse_reply_entry(req, &e) != 0)
		xb_iput(ip); /* interrupted: the kernel did not take it */
}

static void xf_reply_attr(fuse_req_t req, const char *op, struct xb_inode *ip,
			  const struct xb_stat *xs, int error)
{
	struct stat st;

	if (error) {
		xf_reply_err(req, op, xb_ino(ip), error);
		return;
	}
	xf_stat_to_kernel(xs, &st);
	fuse_reply_attr(req, &st, XF_TIMEOUT);
}

/* ---------------------------------------------------------------- session */

static void xf_init(void *userdata, struct fuse_conn_info *conn)
{
	struct xf_fs *fs = userdata;

	conn->max_write = XF_MAX_WRITE;
	/*
	 * readdirplus, and "auto" mode (the kernel uses it for the first
	 * getdents of a directory and when it sees lookups of its entries,
	 * plain readdir otherwise); -o readdirplus=yes|no overrides.
	 */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	if (conn->capable & FUSE_CAP_READDIRPLUS_AUTO)
		conn->want |= FUSE_CAP_READDIRPLUS_AUTO;
	if (fs->conn_opts)
		fuse_apply_conn_info_opts(fs->conn_opts, conn);
	/*
	 * Whatever the options said: no writeback cache (every write must
	 * reach us with its exact range); O_TRUNC arrives as SETATTR(size)
	 * from the kernel, not as an open flag; suid/sgid are cleared by the
	 * kernel through SETATTR(mode) on write and chown; no NFS export
	 * (lookup of "." and ".." is not promised).
	 */
	conn->want &=
		~(FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_ATOMIC_O_TRUNC | FUSE_CAP_HANDLE_KILLPRIV |
		  FUSE_CAP_EXPORT_SUPPORT | FUSE_CAP_DONT_MASK | FUSE_CAP_POSIX_ACL);
	/*
	 * POSIX ACLs (doc/options.md): the kernel enforces them from our
	 * "system.posix_acl_*" xattrs.  It leaves inheritance to us, which
	 * only works if it also stops applying the umask (DONT_MASK) and
	 * sends it along: the backend applies it where no default ACL does.
	 * Both or neither; without them the kernel masks, as before.
	 */
	if ((conn->capable & FUSE_CAP_POSIX_ACL) && (conn->capable & FUSE_CAP_DONT_MASK))
		conn->want |= FUSE_CAP_POSIX_ACL | FUSE_CAP_DONT_MASK;
	if (conn->max_write > XF_MAX_WRITE || conn->max_write == 0)
		conn->max_write = XF_MAX_WRITE;
}

static void xf_destroy(void *userdata)
{
	/* main() unmounts the backend once the session loop has ended. */
	(void) userdata;
}

/* ---------------------------------------------------------------- namespace */

static void xf_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct xb_inode *dir, *ip;
	struct fuse_entry_param e;
	int error;

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
		e.entry_timeout = XF_TIMEOUT;
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

static void xf_forget_one(struct xf_fs *fs, fuse_ino_t nodeid, uint64_t nlookup)
{
	struct xb_inode *ip;
	int error;

	if (nlookup == 0)
		return;
	error = xb_iget(fs->m, xf_nodeid_to_ino(fs, nodeid), &ip);
	if (error) {
		/* The kernel forgets only what we gave it: a bug if we get here. */
		xf_log("forget: inode %llu is not in the inode table (%s)",
		       (unsigned long long) nodeid, strerror(-error));
		return;
	}
	xb_iput_n(ip, nlookup + 1);
}

static void xf_forget(fuse_req_t req, fuse_ino_t nodeid, uint64_t nlookup)
{
	xf_forget_one(xf_fs(req), nodeid, nlookup);
	fuse_reply_none(req);
}

static void xf_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		xf_forget_one(xf_fs(req), forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void xf_getattr(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi)
{
	struct xb_inode *ip;
	struct xb_stat xs;
	int error;

	if (fi) {
		ip = xf_fh_inode(fi);
		error = xb_getattr(ip, &xs);
		xf_reply_attr(req, "getattr", ip, &xs, error);
		return;
	}
	error = xf_iget(req, nodeid, &ip);
	if (error) {
		xf_reply_err(req, "getattr", nodeid, error);
		return;
	}
	error = xb_getattr(ip, &xs);
	xf_reply_attr(req, "getattr", ip, &xs, error);
	xb_iput(ip);
}

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

static void xf_setattr(fuse_req_t req, fuse_ino_t nodeid, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct xb_setattr sa;
	struct xb_inode *ip;
	struct xb_stat xs;
	int error;

	xf_setattr_from_kernel(attr, to_set, &sa);
	if (fi) {
		ip = xf_fh_inode(fi);
		xb_igrab(ip);
	} else {
		error = xf_iget(req, nodeid, &ip);
		if (error) {
			xf_reply_err(req, "setattr", nodeid, error);
			return;
		}
	}
	error = xf_may_setattr(ip, to_set);
	if (!error)
		error = xf_setattr_size(xf_fs(req), ip, &sa);
	if (!error)
		error = xb_setattr(ip, &sa, &xs);
	xf_reply_attr(req, "setattr", ip, &xs, error);
	xb_iput(ip);
}

static void xf_readlink(fuse_req_t req, fuse_ino_t nodeid)
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
static void xf_cred(fuse_req_t req, struct xb_cred *cr)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	memset(cr, 0, sizeof(*cr));
	cr->uid = ctx->uid;
	cr->gid = ctx->gid;
	cr->umask = ctx->umask;
	/* FUSE does not send capabilities: root stands for CAP_FSETID, as in xf_write. */
	cr->fsetid = ctx->uid == 0;
}

/* mknod, mkdir and create: @mode has its file type, the umask is in the cred. */
static int xf_make_node(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
			dev_t rdev, struct xb_inode **ipp)
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

static void xf_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
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

static void xf_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
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

static void xf_symlink(fuse_req_t req, const char *target, fuse_ino_t parent, const char *name)
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

static void xf_link(fuse_req_t req, fuse_ino_t nodeid, fuse_ino_t newparent, const char *newname)
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

static void xf_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	xf_remove(req, parent, name, "unlink", xb_unlink);
}

static void xf_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	xf_remove(req, parent, name, "rmdir", xb_rmdir);
}

static void xf_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	struct xb_inode *odir, *ndir;
	unsigned int xflags = 0;
	int error;

	/* RENAME_WHITEOUT (overlayfs) and anything newer: not supported. */
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (flags & RENAME_NOREPLACE)
		xflags |= XB_RENAME_NOREPLACE;
	if (flags & RENAME_EXCHANGE)
		xflags |= XB_RENAME_EXCHANGE;
	error = xf_iget(req, parent, &odir);
	if (error)
		goto out;
	error = xf_iget(req, newparent, &ndir);
	if (!error) {
		error = xb_rename(odir, name, ndir, newname, xflags);
		xb_iput(ndir);
	}
	xb_iput(odir);
out:
	xf_reply_err(req, "rename", parent, error);
}

/* ---------------------------------------------------------------- files */

static void xf_set_open_flags(struct xf_fs *fs, struct fuse_file_info *fi)
{
	/*
	 * cache=none: our page cache is the only one.  O_DIRECT: no kernel
	 * page cache for this open either (the kernel then sends the exact
	 * ranges of the application's I/O).
	 */
	if (fs->cache_none || (fi->flags & O_DIRECT))
		fi->direct_io = 1;
	else
		fi->keep_cache = 1; /* nobody else changes the image under us */
}

static void xf_open(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi)
{
	struct xb_inode *ip;
	int error;

	error = xf_iget(req, nodeid, &ip);
	if (error) {
		xf_reply_err(req, "open", nodeid, error);
		return;
	}
	error = xf_may_open(ip, fi->flags);
	if (!error)
		error = xf_fh_alloc(xf_fs(req), fi, ip); /* the reference lives until release */
	if (error) {
		xb_iput(ip);
		xf_reply_err(req, "open", nodeid, error);
		return;
	}
	xf_set_open_flags(xf_fs(req), fi);
	xf_file_open(&xf_fs(req)->engine, ip);
	if (fuse_reply_open(req, fi) != 0) {
		xf_file_release(&xf_fs(req)->engine, ip);
		xf_fh_free(fi);
		xb_iput(ip); /* interrupted: no release will come */
	}
}

static void xf_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	struct xb_inode *ip;
	int error;

	error = xf_make_node(req, parent, name, S_IFREG | (mode & 07777), 0, &ip);
	if (error) {
		xf_reply_err(req, "create", parent, error);
		return;
	}
	error = xf_fill_entry(xf_fs(req), ip, &e);
	if (error) {
		xf_reply_err(req, "create", xb_ino(ip), error);
		xb_iput(ip);
		return;
	}
	error = xf_fh_alloc(xf_fs(req), fi, ip);
	if (error) {
		xf_reply_err(req, "create", xb_ino(ip), error);
		xb_iput(ip);
		return;
	}
	xb_igrab(ip); /* one for the lookup, one for the open file */
	xf_set_open_flags(xf_fs(req), fi);
	xf_file_open(&xf_fs(req)->engine, ip);
	if (fuse_reply_create(req, &e, fi) != 0) {
		xf_file_release(&xf_fs(req)->engine, ip);
		xf_fh_free(fi);
		xb_iput_n(ip, 2);
	}
}

static void xf_read(fuse_req_t req, fuse_ino_t nodeid, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	char *buf = malloc(size ? size : 1);
	int n;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = (int) xf_file_read(&xf_fs(req)->engine, xf_fh_inode(fi), buf, size, off,
			       !fi->direct_io);
	if (n < 0)
		xf_reply_err(req, "read", nodeid, n);
	else
		fuse_reply_buf(req, buf, (size_t) n);
	free(buf);
}

/*
 * An O_DIRECT open bypasses the kernel's page cache (FOPEN_DIRECT_IO), but
 * other opens of the file fill it: drop what it caches of the range just
 * written, before the write returns, as XFS's direct writes invalidate the
 * page cache after the I/O (generic/451: buffered readers racing AIO direct
 * writes).  A reader's page still being filled is locked, and the kernel
 * waits for it before dropping it, so no stale page survives.  Called after
 * the engine's locks are dropped: the kernel may need other requests to
 * finish (a locked page's READ) while it invalidates.
 */
static void xf_direct_write_invalidate(fuse_req_t req, fuse_ino_t nodeid, off_t off, size_t len)
{
	int err = fuse_lowlevel_notify_inval_inode(xf_fs(req)->se, nodeid, off, (off_t) len);

	if (err && err != -ENOENT) /* ENOENT: the kernel has no inode cached */
		fprintf(stderr, "xfsfuse: invalidating the kernel's cache of inode %llu: %s\n",
			(unsigned long long) nodeid, strerror(-err));
}

/*
 * Without writeback_cache, every write(2) arrives here with its exact range.
 * fi->writepage marks the kernel writing back pages dirtied through a shared
 * mmap: those are page faults for the engine (IOMAP_FAULT: never punch).
 */
static void xf_write(fuse_req_t req, fuse_ino_t nodeid, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	ssize_t n;

	/*
	 * Not root (no CAP_FSETID): setuid/setgid go, as file_remove_privs.
	 * Page writeback of a shared mapping carries no writer's identity.
	 */
	if (!fi->writepage && fuse_req_ctx(req)->uid != 0) {
		int ret = xb_file_remove_privs(xf_fh_inode(fi));

		if (ret < 0) {
			xf_reply_err(req, "write", nodeid, ret);
			return;
		}
		/* The kernel's cached mode is stale now: attributes only (offset < 0). */
		if (ret > 0)
			fuse_lowlevel_notify_inval_inode(xf_fs(req)->se, nodeid, -1, 0);
	}
	n = xf_file_write(&xf_fs(req)->engine, xf_fh_inode(fi), buf, size, off, fi->writepage != 0);
	/* A sync inode makes every write O_SYNC (generic_write_sync). */
	if (n > 0 && !fi->writepage && xf_write_is_sync(xf_fh_inode(fi))) {
		int err = xf_file_fsync(&xf_fs(req)->engine, xf_fh_inode(fi), false,
					&xf_fh(fi)->wb_err);
		if (err)
			n = err;
	}
	if (n > 0 && (fi->flags & O_DIRECT) && !xf_fs(req)->cache_none)
		xf_direct_write_invalidate(req, nodeid, off, (size_t) n);
	if (n < 0)
		xf_reply_err(req, "write", nodeid, (int) n);
	else
		fuse_reply_write(req, (size_t) n);
}

static void xf_flush(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi)
{
	/* close(2) promises no durability; xb_write leaves nothing to push. */
	(void) nodeid;
	(void) fi;
	fuse_reply_err(req, 0);
}

static void xf_release(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi)
{
	(void) nodeid;
	struct xb_inode *ip = xf_fh_inode(fi);

	xf_file_release(&xf_fs(req)->engine, ip);
	xf_fh_free(fi);
	xb_iput(ip);
	fuse_reply_err(req, 0);
}

static void xf_fsync(fuse_req_t req, fuse_ino_t nodeid, int datasync, struct fuse_file_info *fi)
{
	xf_reply_err(req, "fsync", nodeid,
		     xf_file_fsync(&xf_fs(req)->engine, xf_fh_inode(fi), datasync != 0,
				   &xf_fh(fi)->wb_err));
}

static void xf_fallocate(fuse_req_t req, fuse_ino_t nodeid, int mode, off_t off, off_t len,
			 struct fuse_file_info *fi)
{
	struct xf_engine *e = &xf_fs(req)->engine;
	bool keep = (mode & FALLOC_FL_KEEP_SIZE) != 0;
	int error;

	if (off < 0 || len <= 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	error = xf_may_fallocate(xf_fh_inode(fi), mode);
	if (error) {
		xf_reply_err(req, "fallocate", nodeid, error);
		return;
	}
	switch (mode & ~FALLOC_FL_KEEP_SIZE) {
	case 0:
		error = xf_file_fallocate(e, xf_fh_inode(fi), (uint64_t) off, (uint64_t) len, keep);
		break;
	case FALLOC_FL_PUNCH_HOLE:
		if (!keep) {
			error = -EOPNOTSUPP; /* the VFS insists on KEEP_SIZE with punch */
			break;
		}
		error = xf_file_punch_or_zero(e, xf_fh_inode(fi), (uint64_t) off, (uint64_t) len,
					      false, true);
		break;
	case FALLOC_FL_ZERO_RANGE:
		error = xf_file_punch_or_zero(e, xf_fh_inode(fi), (uint64_t) off, (uint64_t) len,
					      true, keep);
		break;
	default:
		error = -EOPNOTSUPP; /* collapse, insert, unshare: not yet */
	}
	xf_reply_err(req, "fallocate", nodeid, error);
}

/* SEEK_DATA / SEEK_HOLE (the kernel handles SET/CUR/END itself). */
static void xf_lseek(fuse_req_t req, fuse_ino_t nodeid, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	off_t ret = xf_file_lseek(&xf_fs(req)->engine, xf_fh_inode(fi), off, whence);

	if (ret < 0)
		xf_reply_err(req, "lseek", nodeid, (int) ret);
	else
		fuse_reply_lseek(req, ret);
}

/* ---------------------------------------------------------------- directories */

static void xf_opendir(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi)
{
	struct xb_inode *ip;
	int error;

	error = xf_iget(req, nodeid, &ip);
	if (error) {
		xf_reply_err(req, "opendir", nodeid, error);
		return;
	}
	error = xf_fh_alloc(xf_fs(req), fi, ip);
	if (error) {
		xb_iput(ip);
		xf_reply_err(req, "opendir", nodeid, error);
		return;
	}
	if (fuse_reply_open(req, fi) != 0) {
		xf_fh_free(fi);
		xb_iput(ip);
	}
}

static void xf_releasedir(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi)
{
	struct xb_inode *ip = xf_fh_inode(fi);

	(void) nodeid;
	xf_fh_free(fi);
	xb_iput(ip);
	fuse_reply_err(req, 0);
}

static void xf_fsyncdir(fuse_req_t req, fuse_ino_t nodeid, int datasync, struct fuse_file_info *fi)
{
	/* Directory changes live in metadata: commit it all and sync the image. */
	(void) datasync;
	(void) fi;
	xf_reply_err(req, "fsyncdir", nodeid, xb_sync(xf_fs(req)->m));
}

struct xf_readdir_buf {
	fuse_req_t req;
	char *buf;
	size_t size;
	size_t pos;
};

static int xf_readdir_fill(void *ctx, const char *name, size_t namelen, uint64_t ino,
			   unsigned int dtype, uint64_t next_cookie)
{
	struct xf_readdir_buf *rb = ctx;
	char cname[NAME_MAX + 1];
	struct stat st;
	size_t len;

	if (namelen > NAME_MAX)
		return 0; /* cannot happen on XFS; skip rather than truncate */
	memcpy(cname, name, namelen);
	cname[namelen] = '\0';
	memset(&st, 0, sizeof(st));
	st.st_ino = ino;
	st.st_mode = DTTOIF(dtype);
	len = fuse_add_direntry(rb->req, rb->buf + rb->pos, rb->size - rb->pos, cname, &st,
				(off_t) next_cookie);
	if (len > rb->size - rb->pos)
		return 1; /* full: the backend emits this one again next time */
	rb->pos += len;
	return 0;
}

static void xf_readdir(fuse_req_t req, fuse_ino_t nodeid, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct xf_readdir_buf rb = {.req = req, .size = size, .pos = 0};
	int error;

	rb.buf = malloc(size ? size : 1);
	if (!rb.buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	error = xb_readdir(xf_fh_inode(fi), (uint64_t) off, xf_readdir_fill, &rb);
	if (error && rb.pos == 0)
		xf_reply_err(req, "readdir", nodeid, error);
	else
		fuse_reply_buf(req, rb.buf, rb.pos); /* an error after entries: next call */
	free(rb.buf);
}

/*
 * readdirplus runs in two passes.  The backend calls fill() under its own
 * lock, so fill() must not call back into it: the first pass only records
 * the entries that fit (sizes are known from the names alone); the second
 * takes a lookup reference and the attributes of each and packs the reply.
 */
struct xf_plus_ent {
	uint64_t ino;
	uint64_t next_cookie;
	unsigned int dtype;
	char name[NAME_MAX + 1];
};

struct xf_plus_buf {
	fuse_req_t req;
	struct xf_plus_ent *ents;
	size_t nents, maxents;
	size_t size, used;
};

static int xf_plus_collect(void *ctx, const char *name, size_t namelen, uint64_t ino,
			   unsigned int dtype, uint64_t next_cookie)
{
	struct xf_plus_buf *pb = ctx;
	struct xf_plus_ent *ent;
	size_t len;

	if (namelen > NAME_MAX)
		return 0;
	if (pb->nents == pb->maxents)
		return 1;
	ent = &pb->ents[pb->nents];
	memcpy(ent->name, name, namelen);
	ent->name[namelen] = '\0';
	len = fuse_add_direntry_plus(pb->req, NULL, 0, ent->name, NULL, 0);
	if (len > pb->size - pb->used)
		return 1;
	pb->used += len;
	ent->ino = ino;
	ent->dtype = dtype;
	ent->next_cookie = next_cookie;
	pb->nents++;
	return 0;
}

static bool xf_is_dot_or_dotdot(const char *name)
{
	return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/*
 * Entry parameters for one readdirplus entry.  "." and ".." carry no lookup
 * (the kernel ignores them); other entries take one reference, left in *ipp.
 */
static int xf_plus_entry(struct xf_fs *fs, const struct xf_plus_ent *ent,
			 struct fuse_entry_param *e, struct xb_inode **ipp)
{
	int error;

	*ipp = NULL;
	if (xf_is_dot_or_dotdot(ent->name)) {
		memset(e, 0, sizeof(*e));
		e->attr.st_ino = ent->ino;
		e->attr.st_mode = DTTOIF(ent->dtype);
		return 0;
	}
	error = xb_iget(fs->m, ent->ino, ipp);
	if (error)
		return error;
	error = xf_fill_entry(fs, *ipp, e);
	if (error) {
		xb_iput(*ipp);
		*ipp = NULL;
	}
	return error;
}

/*
 * Second pass: pack the entries into @buf, keeping the reference of each
 * packed entry in @held (so that an undeliverable reply can give them back).
 * Returns the bytes packed.
 */
static size_t xf_plus_pack(fuse_req_t req, const struct xf_plus_buf *pb, char *buf,
			   struct xb_inode **held, size_t *nheld)
{
	struct xf_fs *fs = xf_fs(req);
	size_t i, pos = 0, len;
	int error;

	*nheld = 0;
	for (i = 0; i < pb->nents; i++) {
		const struct xf_plus_ent *ent = &pb->ents[i];
		struct fuse_entry_param e;
		struct xb_inode *ip;

		error = xf_plus_entry(fs, ent, &e, &ip);
		if (error == -ESTALE || error == -ENOENT)
			continue; /* removed between the passes */
		if (error) {
			/*
			 * An unreadable inode must not hide its siblings:
			 * list the name without attributes or lookup (the
			 * kernel takes nodeid 0 as "plain entry"), as the
			 * kernel's readdir lists names without reading
			 * inodes.  A later lookup reports the error.
			 */
			(void) xf_errno(req, "readdirplus", ent->ino, error);
			memset(&e, 0, sizeof(e));
			e.attr.st_ino = ent->ino;
			e.attr.st_mode = DTTOIF(ent->dtype);
		}
		len = fuse_add_direntry_plus(req, buf + pos, pb->size - pos, ent->name, &e,
					     (off_t) ent->next_cookie);
		if (len > pb->size - pos) {
			if (ip)
				xb_iput(ip);
			break;
		}
		pos += len;
		if (ip)
			held[(*nheld)++] = ip;
	}
	return pos;
}

static void xf_readdirplus(fuse_req_t req, fuse_ino_t nodeid, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	struct xf_plus_buf pb = {.req = req, .size = size};
	struct xb_inode **held = NULL;
	size_t nheld = 0, i;
	char *buf = NULL;
	size_t packed;
	int error;

	/* The smallest entry is 0x60 bytes: that bounds the entry count. */
	pb.maxents = size / 96 + 1;
	pb.ents = malloc(pb.maxents * sizeof(*pb.ents));
	held = malloc(pb.maxents * sizeof(*held));
	buf = malloc(size ? size : 1);
	if (!pb.ents || !held || !buf) {
		fuse_reply_err(req, ENOMEM);
		goto out_free;
	}
	error = xb_readdir(xf_fh_inode(fi), (uint64_t) off, xf_plus_collect, &pb);
	if (error && pb.nents == 0) {
		xf_reply_err(req, "readdirplus", nodeid, error);
		goto out_free;
	}
	packed = xf_plus_pack(req, &pb, buf, held, &nheld);
	if (fuse_reply_buf(req, buf, packed) != 0) {
		for (i = 0; i < nheld; i++)
			xb_iput(held[i]); /* interrupted: the kernel took no lookups */
	}
out_free:
	free(held);
	free(pb.ents);
	free(buf);
}

static void xf_statfs(fuse_req_t req, fuse_ino_t nodeid)
{
	struct statvfs st;
	int error = xb_statfs(xf_fs(req)->m, &st);

	if (error)
		xf_reply_err(req, "statfs", nodeid, error);
	else
		fuse_reply_statfs(req, &st);
}

/* ---------------------------------------------------------------- xattrs */

/*
 * The kernel caches ACLs (FUSE_POSIX_ACL) and forgets them itself when it
 * sets one or sends SETATTR.  Writing XFS's own attribute for an ACL
 * through its trusted.* name bypasses that, so tell the kernel, as the
 * kernel's XFS forgets its cached ACL then (xfs_forget_acl).
 */
static void xf_acl_attr_changed(fuse_req_t req, fuse_ino_t nodeid, const char *name)
{
	if (!strcmp(name, "trusted.SGI_ACL_FILE") || !strcmp(name, "trusted.SGI_ACL_DEFAULT"))
		fuse_lowlevel_notify_inval_inode(xf_fs(req)->se, nodeid, -1, 0);
}

/*
 * Setting an access ACL clears setgid unless the caller is in the file's
 * group (posix_acl_update_mode); the kernel cannot tell us through libfuse
 * 3.14, so the supplementary groups come from /proc (fuse_req_getgroups).
 * Returns an allocated list for @cr, or NULL (none, or they could not be
 * read: then only the primary group counts, the safe direction).
 */
static uint32_t *xf_cred_groups(fuse_req_t req, struct xb_cred *cr)
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

static void xf_setxattr(fuse_req_t req, fuse_ino_t nodeid, const char *name, const char *value,
			size_t size, int flags)
{
	uint32_t *groups = NULL;
	struct xb_inode *ip;
	struct xb_cred cr;
	int error;

	if (flags & ~(XB_XATTR_CREATE | XB_XATTR_REPLACE)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	error = xf_iget(req, nodeid, &ip);
	if (!error) {
		/* xfsfuse.*: run-time control (src/control), never stored */
		if (xf_control_name(name)) {
			error = xf_control_setxattr(ip, name, value, size, fuse_req_ctx(req)->uid);
		} else {
			xf_cred(req, &cr);
			if (!cr.fsetid && !strcmp(name, "system.posix_acl_access"))
				groups = xf_cred_groups(req, &cr);
			error = xb_setxattr_as(ip, name, value, size, flags, &cr);
			free(groups);
		}
		xb_iput(ip);
	}
	if (!error)
		xf_acl_attr_changed(req, nodeid, name);
	xf_reply_err(req, "setxattr", nodeid, error);
}

/*
 * getxattr and listxattr share the size protocol: size 0 asks for the
 * length, otherwise the value must fit or the answer is ERANGE.
 */
static void xf_reply_xattr_buf(fuse_req_t req, const char *op, fuse_ino_t nodeid, size_t size,
			       int (*get)(struct xb_inode *, const char *, void *, size_t),
			       const char *name)
{
	struct xb_inode *ip;
	char *buf = NULL;
	int len;

	if (size && !(buf = malloc(size))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	len = xf_iget(req, nodeid, &ip);
	if (!len) {
		len = get(ip, name, buf, size);
		xb_iput(ip);
	}
	if (len < 0)
		xf_reply_err(req, op, nodeid, len);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t) len);
	else
		fuse_reply_buf(req, buf, (size_t) len);
	free(buf);
}

static int xf_listxattr_get(struct xb_inode *ip, const char *name, void *buf, size_t size)
{
	(void) name;
	return xb_listxattr(ip, buf, size);
}

static void xf_getxattr(fuse_req_t req, fuse_ino_t nodeid, const char *name, size_t size)
{
	xf_reply_xattr_buf(req, "getxattr", nodeid, size,
			   xf_control_name(name) ? xf_control_getxattr : xb_getxattr, name);
}

/*
 * The xfsfuse.* names are virtual: nothing is stored under them (XFS has no
 * such namespace), so the on-disk list never holds one and they are never
 * listed -- cp -a and getfattr -d do not copy them.
 */
static void xf_listxattr(fuse_req_t req, fuse_ino_t nodeid, size_t size)
{
	xf_reply_xattr_buf(req, "listxattr", nodeid, size, xf_listxattr_get, NULL);
}

static void xf_removexattr(fuse_req_t req, fuse_ino_t nodeid, const char *name)
{
	struct xb_inode *ip;
	int error;

	error = xf_iget(req, nodeid, &ip);
	if (!error) {
		error = xf_control_name(name) ? xf_control_removexattr(ip, name)
					      : xb_removexattr(ip, name);
		xb_iput(ip);
	}
	if (!error)
		xf_acl_attr_changed(req, nodeid, name);
	xf_reply_err(req, "removexattr", nodeid, error);
}

/*
 * Not provided, on purpose: access (default_permissions: the kernel checks),
 * lseek (ENOSYS from libfuse: the kernel falls back to generic SEEK_DATA /
 * SEEK_HOLE, "all data", until the iomap engine answers), locks (the kernel
 * keeps POSIX and flock locks locally), copy_file_range (the kernel copies).
 */
const struct fuse_lowlevel_ops xf_ops = {
	.init = xf_init,
	.destroy = xf_destroy,
	.lookup = xf_lookup,
	.forget = xf_forget,
	.forget_multi = xf_forget_multi,
	.getattr = xf_getattr,
	.setattr = xf_setattr,
	.readlink = xf_readlink,
	.mknod = xf_mknod,
	.mkdir = xf_mkdir,
	.unlink = xf_unlink,
	.rmdir = xf_rmdir,
	.symlink = xf_symlink,
	.rename = xf_rename,
	.link = xf_link,
	.open = xf_open,
	.read = xf_read,
	.write = xf_write,
	.flush = xf_flush,
	.release = xf_release,
	.fsync = xf_fsync,
	.opendir = xf_opendir,
	.readdir = xf_readdir,
	.readdirplus = xf_readdirplus,
	.releasedir = xf_releasedir,
	.fsyncdir = xf_fsyncdir,
	.statfs = xf_statfs,
	.setxattr = xf_setxattr,
	.getxattr = xf_getxattr,
	.listxattr = xf_listxattr,
	.removexattr = xf_removexattr,
	.create = xf_create,
	.lseek = xf_lseek,
	.fallocate = xf_fallocate,
	.ioctl = xf_ioctl,
};
