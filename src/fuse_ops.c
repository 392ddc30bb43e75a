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
 * reference, so we drop it again.  A reference handed to the kernel is
 * declared as such before the reply (xb_ikeep_lookup): an inode that only
 * the kernel's lookups hold may give its libxfs copy back while idle
 * (doc/backend.md "Idle inodes").
 *
 * Errors.  The backend returns negative errnos.  EUCLEAN (metadata failed
 * verification) reaches applications as EIO, as the kernel's XFS reports
 * EFSCORRUPTED to userspace, and is logged once per inode.  ENOSYS from an
 * unfinished backend call becomes EOPNOTSUPP: the kernel remembers ENOSYS
 * for some requests forever (an ENOSYS FSYNC would make every later fsync
 * "succeed" without reaching us).
 */
#include "fuse_internal.h"
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
int xf_errno(fuse_req_t req, const char *op, uint64_t ino, int error)
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
	struct xf_fs *fs = xf_fs(req); /* for after the reply */

	fuse_reply_err(req, error ? xf_errno(req, op, ino, error) : 0);
	/* The request that shut the mount down (a failed transaction) fails. */
	if (error)
		xf_shutdown_invalidate(fs);
}

/* ---------------------------------------------------------------- node ids */

uint64_t xf_nodeid_to_ino(const struct xf_fs *fs, fuse_ino_t nodeid)
{
	return nodeid == FUSE_ROOT_ID ? fs->root_ino : nodeid;
}

static fuse_ino_t xf_ino_to_nodeid(const struct xf_fs *fs, uint64_t ino)
{
	return ino == fs->root_ino ? FUSE_ROOT_ID : ino;
}

/* A temporary reference to the inode behind a nodeid; drop with xb_iput. */
int xf_iget_any(fuse_req_t req, fuse_ino_t nodeid, struct xb_inode **ipp)
{
	struct xf_fs *fs = xf_fs(req);

	return xb_iget(fs->m, xf_nodeid_to_ino(fs, nodeid), ipp);
}

/*
 * The same for a request on the file system: after a shutdown they all fail
 * with EIO, as the kernel's XFS fails lookup, getattr, open, readdir, read,
 * statfs and xattrs (doc/log.md "Shutdown on request").  The xfsfuse.*
 * controls keep answering (xf_iget_any).
 */
int xf_iget(fuse_req_t req, fuse_ino_t nodeid, struct xb_inode **ipp)
{
	if (xf_is_shutdown(req))
		return -EIO;
	return xf_iget_any(req, nodeid, ipp);
}

bool xf_is_shutdown(fuse_req_t req)
{
	return xb_is_shutdown(xf_fs(req)->m);
}

/*
 * Once the mount is shut down (on request, or by a failed transaction):
 * drop what the kernel caches of every inode (attributes and pages), so that
 * stat, or a read through a file already open, fails with EIO as on the
 * kernel's XFS instead of being served from FUSE's caches.  Once only; call
 * it after the reply: a READ in flight holds its page locked until another
 * thread answers it, and the invalidation waits for that.
 */
static void xf_invalidate_all(struct xf_fs *fs, off_t off)
{
	uint64_t *inos;
	size_t i, n;

	n = xb_itable_inos(fs->m, &inos);
	for (i = 0; i < n; i++)
		fuse_lowlevel_notify_inval_inode(fs->se, xf_ino_to_nodeid(fs, inos[i]), off, 0);
	free(inos);
}

void xf_shutdown_invalidate(struct xf_fs *fs)
{
	if (!xb_is_shutdown(fs->m) || atomic_exchange(&fs->shutdown_noticed, true))
		return;
	xf_invalidate_all(fs, 0);
}

/*
 * Before the shutdown request's reply: attributes only (offset < 0 waits for
 * no page), so that once the caller returns no stat, and no read that asks
 * for the size (a read reaching EOF), is answered from the kernel's cache
 * for up to attr_timeout.  The pages follow after the reply.
 */
void xf_shutdown_invalidate_attrs(struct xf_fs *fs)
{
	if (xb_is_shutdown(fs->m))
		xf_invalidate_all(fs, -1);
}

/*
 * The engine trimmed blocks of @ino behind the kernel's back: drop its
 * cached attributes (offset < 0: not its pages), so that a long
 * attr_timeout never shows a stale st_blocks.  ENOENT: nothing cached.
 */
static void xf_engine_attr_changed(struct xf_engine *e, uint64_t ino)
{
	struct xf_fs *fs = (struct xf_fs *) ((char *) e - offsetof(struct xf_fs, engine));

	fuse_lowlevel_notify_inval_inode(fs->se, xf_ino_to_nodeid(fs, ino), -1, 0);
}

void xf_fs_init_hooks(struct xf_fs *fs)
{
	fs->engine.attr_changed = xf_engine_attr_changed;
}

struct xf_file *xf_fh(const struct fuse_file_info *fi)
{
	return (struct xf_file *) (uintptr_t) fi->fh;
}

struct xb_inode *xf_fh_inode(const struct fuse_file_info *fi)
{
	return xf_fh(fi)->ip;
}

/* Make @fi the open description of @ip (which keeps the caller's reference). */
int xf_fh_alloc(struct xf_fs *fs, struct fuse_file_info *fi, struct xb_inode *ip)
{
	struct xf_file *f = malloc(sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->ip = ip;
	f->wb_err = xf_file_sample_wb_err(&fs->engine, ip);
	fi->fh = (uintptr_t) f;
	return 0;
}

void xf_fh_free(struct fuse_file_info *fi)
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
int xf_fill_entry(struct xf_fs *fs, struct xb_inode *ip, struct fuse_entry_param *e)
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
	e->attr_timeout = fs->attr_timeout;
	e->entry_timeout = fs->entry_timeout;
	return 0;
}

/*
 * Reply to a request that creates a lookup with the reference @ip the
 * backend gave us; on any failure the reference goes back.
 */
void xf_reply_entry(fuse_req_t req, const char *op, struct xb_inode *ip)
{
	struct fuse_entry_param e;
	int error = xf_fill_entry(xf_fs(req), ip, &e);

	if (error) {
		xf_reply_err(req, op, xb_ino(ip), error);
		xb_iput(ip);
		return;
	}
	xb_ikeep_lookup(ip); /* from here on the kernel's, even before it has it */
	if (fuse_reply_entry(req, &e) != 0)
		xb_iput_lookup(ip, 1); /* interrupted: the kernel did not take it */
}

void xf_reply_attr(fuse_req_t req, const char *op, struct xb_inode *ip, const struct xb_stat *xs,
		   int error)
{
	struct stat st;

	if (error) {
		xf_reply_err(req, op, xb_ino(ip), error);
		return;
	}
	xf_stat_to_kernel(xs, &st);
	fuse_reply_attr(req, &st, xf_fs(req)->attr_timeout);
}

/* ---------------------------------------------------------------- session */

/*
 * Capabilities: libfuse 3.17 keeps them in the 64-bit capable_ext/want_ext,
 * set through fuse_set_feature_flag() (which also keeps the old 32-bit
 * want in step); 3.14 has only capable/want.
 */
static bool xf_capable(const struct fuse_conn_info *conn, uint64_t cap)
{
#if XF_FUSE_317
	return (conn->capable_ext & cap) == cap;
#else
	return (conn->capable & cap) == cap;
#endif
}

static void xf_want(struct fuse_conn_info *conn, uint64_t cap)
{
#if XF_FUSE_317
	fuse_set_feature_flag(conn, cap);
#else
	if (xf_capable(conn, cap))
		conn->want |= (unsigned int) cap;
#endif
}

static void xf_unwant(struct fuse_conn_info *conn, uint64_t cap)
{
#if XF_FUSE_317
	fuse_unset_feature_flag(conn, cap);
#else
	conn->want &= ~(unsigned int) cap;
#endif
}

/*
 * The kernel's writeback cache only with -o writeback_cache (doc/options.md
 * "Writeback cache"): without it every write(2) reaches the engine with its
 * exact range, as the race harness and the model tester need.  With it the
 * kernel owns size, mtime and ctime of regular files, copies writes into
 * its page cache and sends them later as page-sized WRITEs (fi->writepage),
 * and clears suid/sgid with SETATTR(mode) itself.
 */
static void xf_init_writeback_cache(struct xf_fs *fs, struct fuse_conn_info *conn)
{
	if (!fs->writeback_cache) {
		xf_unwant(conn, FUSE_CAP_WRITEBACK_CACHE);
		return;
	}
	if (xf_capable(conn, FUSE_CAP_WRITEBACK_CACHE)) {
		xf_want(conn, FUSE_CAP_WRITEBACK_CACHE);
		return;
	}
	xf_log("-o writeback_cache: the kernel does not offer it: writes go through");
	fs->writeback_cache = false;
}

/*
 * HANDLE_KILLPRIV_V2 (doc/backend.md "setuid and setgid"): we drop setuid
 * and setgid on write, truncate and chown, told by the kernel which
 * callers lack CAP_FSETID.  In return the kernel marks its superblock
 * SB_NOSEC: once a file is known to have no setuid, setgid or capability,
 * its writes no longer cost a GETXATTR of security.capability each -- half
 * the round trips of small writes.  Without it, the kernel clears the bits
 * with SETATTR(mode) (with the pre-6.2 setgid rule, which xf_write's own
 * check completes).
 */
static void xf_init_killpriv(struct xf_fs *fs, struct fuse_conn_info *conn)
{
	fs->killpriv_v2 = false;
#ifdef FUSE_CAP_HANDLE_KILLPRIV_V2
	if (xf_capable(conn, FUSE_CAP_HANDLE_KILLPRIV_V2)) {
		xf_want(conn, FUSE_CAP_HANDLE_KILLPRIV_V2);
		fs->killpriv_v2 = true;
	}
#else
	(void) conn;
#endif
}

static void xf_init(void *userdata, struct fuse_conn_info *conn)
{
	struct xf_fs *fs = userdata;

	conn->max_write = XF_MAX_WRITE;
	/*
	 * readdirplus, and "auto" mode (the kernel uses it for the first
	 * getdents of a directory and when it sees lookups of its entries,
	 * plain readdir otherwise); -o readdirplus=yes|no overrides.
	 */
	xf_want(conn, FUSE_CAP_READDIRPLUS);
	xf_want(conn, FUSE_CAP_READDIRPLUS_AUTO);
	if (fs->conn_opts)
		fuse_apply_conn_info_opts(fs->conn_opts, conn);
	xf_init_writeback_cache(fs, conn);
	/* O_TRUNC arrives as SETATTR(size) from the kernel, not as an open flag. */
	xf_unwant(conn, FUSE_CAP_ATOMIC_O_TRUNC);
	xf_unwant(conn, FUSE_CAP_HANDLE_KILLPRIV);
	xf_init_killpriv(fs, conn);
	xf_unwant(conn, FUSE_CAP_DONT_MASK);
	xf_unwant(conn, FUSE_CAP_POSIX_ACL);
	/*
	 * File handles (name_to_handle_at / open_by_handle_at, NFS export):
	 * a handle is the nodeid -- the inode number -- and its generation;
	 * the kernel turns it back with LOOKUP of "." and finds a parent with
	 * LOOKUP of "..", which xf_lookup answers for any inode.
	 */
	xf_want(conn, FUSE_CAP_EXPORT_SUPPORT);
	/*
	 * POSIX ACLs (doc/options.md): the kernel enforces them from our
	 * "system.posix_acl_*" xattrs.  It leaves inheritance to us, which
	 * only works if it also stops applying the umask (DONT_MASK) and
	 * sends it along: the backend applies it where no default ACL does.
	 * Both or neither; without them the kernel masks, as before.
	 */
	if (xf_capable(conn, FUSE_CAP_POSIX_ACL | FUSE_CAP_DONT_MASK)) {
		xf_want(conn, FUSE_CAP_POSIX_ACL);
		xf_want(conn, FUSE_CAP_DONT_MASK);
	}
#ifdef FUSE_CAP_DIRECT_IO_ALLOW_MMAP
	/*
	 * A file opened with FOPEN_DIRECT_IO (O_DIRECT, -o cache=none) may be
	 * mmapped MAP_SHARED: the kernel (6.6+) then pages it through its page
	 * cache, writes back with WRITE (fi->writepage) and drops its cached
	 * pages on the next mmap.  Without it, such an mmap fails with ENODEV
	 * (fsx in fstests generic/091, generic/263).  libfuse >= 3.16.
	 */
	xf_want(conn, FUSE_CAP_DIRECT_IO_ALLOW_MMAP);
#endif
#ifdef FUSE_CAP_OVER_IO_URING
	/* libfuse wants it by default; it uses it only with -o io_uring. */
	if (fs->io_uring && !xf_capable(conn, FUSE_CAP_OVER_IO_URING))
		xf_log("-o io_uring: the kernel does not offer FUSE-over-io_uring "
		       "(enable_uring off?): serving /dev/fuse");
#endif
	if (conn->max_write > XF_MAX_WRITE || conn->max_write == 0)
		conn->max_write = XF_MAX_WRITE;
}

static void xf_destroy(void *userdata)
{
	/* main() unmounts the backend once the session loop has ended. */
	(void) userdata;
}

static void xf_statfs(fuse_req_t req, fuse_ino_t nodeid)
{
	struct statvfs st;
	int error = xf_is_shutdown(req) ? -EIO : xb_statfs(xf_fs(req)->m, &st);

	if (error)
		xf_reply_err(req, "statfs", nodeid, error);
	else
		fuse_reply_statfs(req, &st);
}

/*
 * Not provided, on purpose: access (default_permissions: the kernel checks),
 * lseek (ENOSYS from libfuse: the kernel falls back to generic SEEK_DATA /
 * SEEK_HOLE, "all data", until the iomap engine answers), locks (the kernel
 * keeps POSIX and flock locks locally).
 */
const struct fuse_lowlevel_ops xf_ops = {
	.init = xf_init,
	.destroy = xf_destroy,
	.lookup = xf_lookup,
	.forget = xf_forget,
	.forget_multi = xf_forget_multi,
	.getattr = xf_getattr,
#if XF_FUSE_318
	.statx = xf_statx,
#endif
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
	.copy_file_range = xf_copy_file_range,
	.ioctl = xf_ioctl,
#if XF_FUSE_317
	.tmpfile = xf_tmpfile, /* without it, O_TMPFILE fails with EOPNOTSUPP */
#endif
};
