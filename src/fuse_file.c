// SPDX-License-Identifier: GPL-2.0
/*
 * libfuse handlers for open files: open, create, read, write, flush,
 * release, fsync, fallocate, lseek (fs/fuse/file.c).  Data goes through the
 * iomap engine (file_ops.c).
 */
#include "fuse_internal.h"
#include "copy_range.h"
#include "iflags.h"
#include "iomap.h"

#include <errno.h>

/*
 * An O_DIRECT open takes the direct path (doc/engine.md "Direct I/O") --
 * unless -o direct_io=buffered keeps it on the buffered engine with the
 * exact ranges FOPEN_DIRECT_IO gives (the race tool's mmap workload).
 */
static bool xf_open_is_direct(const struct xf_fs *fs, const struct fuse_file_info *fi)
{
	return (fi->flags & O_DIRECT) && !fs->direct_io_buffered;
}

/*
 * Opens the kernel keeps no page cache for (FOPEN_DIRECT_IO): cache=none,
 * where our page cache is the only one, and O_DIRECT (the kernel then
 * sends the exact ranges of the application's I/O).
 */
static bool xf_open_bypasses_kernel_cache(const struct xf_fs *fs, const struct fuse_file_info *fi)
{
	return fs->cache_none || (fi->flags & O_DIRECT);
}

/* @ip: the inode of an existing file (NULL for a create: nothing is cached yet). */
static void xf_set_open_flags(struct xf_fs *fs, struct fuse_file_info *fi, struct xb_inode *ip)
{
	if (xf_open_bypasses_kernel_cache(fs, fi)) {
		fi->direct_io = 1;
		return;
	}
	/*
	 * Nobody else changes the image under us, so the kernel's cached
	 * pages stay valid across opens -- unless a read would move atime
	 * now (relatime: the file changed since it was last read;
	 * strictatime: always).  Reads the kernel serves from its cache never
	 * reach us, so such an open drops them and the first read comes
	 * here (doc/options.md "Access times").
	 */
	fi->keep_cache = !(ip && (fi->flags & O_ACCMODE) != O_WRONLY &&
			   xf_file_atime_pending(&fs->engine, ip));
}

void xf_open(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi)
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
	xf_set_open_flags(xf_fs(req), fi, ip);
	xf_file_open(&xf_fs(req)->engine, ip);
	if (fuse_reply_open(req, fi) != 0) {
		xf_file_release(&xf_fs(req)->engine, ip);
		xf_fh_free(fi);
		xb_iput(ip); /* interrupted: no release will come */
	}
}

/*
 * Reply to CREATE or TMPFILE with the new inode @ip opened: one reference
 * for the kernel's lookup count, one for the open file.  On an error the
 * caller's reference goes (for an unnamed tmpfile, the last: it is freed).
 */
static void xf_reply_create_open(fuse_req_t req, struct xb_inode *ip, struct fuse_file_info *fi,
				 const char *op)
{
	struct fuse_entry_param e;
	int error;

	error = xf_fill_entry(xf_fs(req), ip, &e);
	if (!error)
		error = xf_fh_alloc(xf_fs(req), fi, ip);
	if (error) {
		xf_reply_err(req, op, xb_ino(ip), error);
		xb_iput(ip);
		return;
	}
	xb_igrab(ip);
	xf_set_open_flags(xf_fs(req), fi, NULL); /* new: nothing cached */
	xf_file_open(&xf_fs(req)->engine, ip);
	xb_ikeep_lookup(ip); /* one reference is the lookup's, the other the open file's */
	if (fuse_reply_create(req, &e, fi) != 0) {
		xf_file_release(&xf_fs(req)->engine, ip);
		xf_fh_free(fi);
		xb_iput_lookup(ip, 1);
		xb_iput(ip);
	}
}

void xf_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi)
{
	struct xb_inode *ip;
	int error;

	error = xf_make_node(req, parent, name, S_IFREG | (mode & 07777), 0, &ip);
	if (error) {
		xf_reply_err(req, "create", parent, error);
		return;
	}
	xf_reply_create_open(req, ip, fi, "create");
}

#if XF_FUSE_317
/*
 * O_TMPFILE (FUSE_TMPFILE, Linux 6.1+; libfuse 3.17+): a nameless regular
 * file on the AGI unlinked list (xb_tmpfile), opened.  The kernel makes the
 * dentry itself; linkat (FUSE_LINK) names it later, xb_link taking it off
 * the list.  Replied to as a create: one reference for the kernel's lookup
 * count, one for the open file.
 */
void xf_tmpfile(fuse_req_t req, fuse_ino_t parent, mode_t mode, struct fuse_file_info *fi)
{
	struct xb_inode *dir, *ip;
	struct xb_cred cr;
	int error;

	error = xf_iget(req, parent, &dir);
	if (error) {
		xf_reply_err(req, "tmpfile", parent, error);
		return;
	}
	xf_cred(req, &cr);
	mode = S_IFREG | (mode & 07777);
	error = xb_tmpfile(dir, mode, &cr, &ip);
	if (error == -ENOSPC) { /* as xf_make_node: free what can be, retry once */
		xf_engine_free_space(&xf_fs(req)->engine);
		error = xb_tmpfile(dir, mode, &cr, &ip);
	}
	xb_iput(dir);
	if (error) {
		xf_reply_err(req, "tmpfile", parent, error);
		return;
	}
	xf_reply_create_open(req, ip, fi, "tmpfile");
}
#endif

/*
 * A page-cache fill answered from the folios themselves (fuse_reply_iov),
 * locked while the kernel copies them: one copy of the data fewer than
 * reading into a buffer (doc/engine.md "Zero-copy read replies").  False:
 * not done, the copying path answers (more folios than a pin set holds, or
 * one was dropped between fill and lock).
 */
static bool xf_read_zero_copy(fuse_req_t req, fuse_ino_t nodeid, size_t size, off_t off,
			      struct fuse_file_info *fi)
{
	struct xf_fs *fs = xf_fs(req);
	struct iomap_read_pins pins;
	ssize_t n = xf_file_read_pin(&fs->engine, xf_fh_inode(fi), size, off, &pins);

	if (n == -EAGAIN)
		return false;
	/* file_accessed before the reply (see xf_read), with no folio locked */
	if (n >= 0 && size)
		xf_file_accessed(&fs->engine, xf_fh_inode(fi));
	if (n < 0) {
		xf_reply_err(req, "read", nodeid, (int) n);
		return true;
	}
	if (xf_file_read_pin_lock(xf_fh_inode(fi), &pins) < 0) {
		iomap_read_unpin(&pins);
		return false;
	}
	fuse_reply_iov(req, pins.iov, (int) pins.nr_iov);
	iomap_read_unpin(&pins);
	return true;
}

void xf_read(fuse_req_t req, fuse_ino_t nodeid, size_t size, off_t off, struct fuse_file_info *fi)
{
	char *buf;
	int n;

	if (!fi->direct_io && !xf_open_is_direct(xf_fs(req), fi) &&
	    xf_read_zero_copy(req, nodeid, size, off, fi))
		return;
	buf = malloc(size ? size : 1);

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/*
	 * fi->flags are the file's f_flags: O_DIRECT opens read straight from
	 * the image (doc/engine.md "Direct I/O"); cache=none alone keeps our
	 * page cache, its only cache.
	 */
	if (xf_open_is_direct(xf_fs(req), fi))
		n = (int) xf_file_dio_read(&xf_fs(req)->engine, xf_fh_inode(fi), buf, size, off);
	else
		n = (int) xf_file_read(&xf_fs(req)->engine, xf_fh_inode(fi), buf, size, off,
				       !fi->direct_io);
	/*
	 * file_accessed, before the reply: the FUSE kernel forgets the atime
	 * it caches when the READ completes (fuse_invalidate_atime), and the
	 * next stat must find the new one.
	 */
	if (n >= 0 && size)
		xf_file_accessed(&xf_fs(req)->engine, xf_fh_inode(fi));
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
 * What a write must make durable before it returns: 0 nothing, 1 its data
 * (O_DSYNC: fdatasync), 2 everything (O_SYNC, or a sync inode: fsync).  The
 * FUSE kernel's generic_write_sync sends FSYNC after a buffered write, but
 * its direct path (FOPEN_DIRECT_IO: O_DIRECT opens, cache=none) sends
 * nothing, so there the file's O_SYNC/O_DSYNC are ours to honour (the
 * kernel's XFS syncs its direct writes in iomap_dio_complete).
 */
static int xf_write_sync_mode(fuse_req_t req, struct fuse_file_info *fi)
{
	if (fi->writepage)
		return 0;
	if (xf_write_is_sync(xf_fh_inode(fi)))
		return 2;
	if (!xf_fs(req)->cache_none && !(fi->flags & O_DIRECT))
		return 0;
	if ((fi->flags & O_SYNC) == O_SYNC)
		return 2;
	return (fi->flags & O_DSYNC) ? 1 : 0;
}

/*
 * file_remove_privs, done here (doc/backend.md "setuid and setgid"):
 * @unprivileged says the caller lacks CAP_FSETID.  Returns 0 or a negative
 * errno.
 */
static int xf_remove_privs_as(fuse_req_t req, fuse_ino_t nodeid, struct xb_inode *ip,
			      bool unprivileged)
{
	struct xb_cred cr;
	uint32_t *groups;
	int ret;

	/* Most files have neither bit: no /proc read for their groups. */
	if (!unprivileged || !xb_file_has_privs(ip))
		return 0;
	xf_cred(req, &cr);
	cr.fsetid = false;
	groups = xf_cred_groups(req, &cr);
	ret = xb_file_remove_privs(ip, &cr);
	free(groups);
	/* The kernel's cached mode is stale now: attributes only (offset < 0). */
	if (ret > 0)
		fuse_lowlevel_notify_inval_inode(xf_fs(req)->se, nodeid, -1, 0);
	return ret < 0 ? ret : 0;
}

/*
 * fallocate and copy_file_range: the kernel does not say whether the caller
 * holds CAP_FSETID (FUSE sends no capabilities); root stands for it.
 */
static int xf_remove_privs(fuse_req_t req, fuse_ino_t nodeid, struct xb_inode *ip)
{
	return xf_remove_privs_as(req, nodeid, ip, fuse_req_ctx(req)->uid != 0);
}

/*
 * A WRITE of write(2) (not page writeback): with KILLPRIV_V2 the kernel
 * flags every writer without CAP_FSETID (FUSE_WRITE_KILL_SUIDGID) and no
 * longer sends the mode change itself; without it, root stands for
 * CAP_FSETID.  The kernel drops the file's capabilities itself, except
 * through an open without its page cache (xf_open_bypasses_kernel_cache),
 * where it never calls file_remove_privs.
 */
static int xf_write_remove_privs(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi)
{
	struct xb_inode *ip = xf_fh_inode(fi);
	bool unprivileged = fuse_req_ctx(req)->uid != 0;
	int ret;

#ifdef FUSE_CAP_HANDLE_KILLPRIV_V2
	if (xf_fs(req)->killpriv_v2)
		unprivileged = fi->kill_suidgid;
#endif
	ret = xf_remove_privs_as(req, nodeid, ip, unprivileged);
	if (!ret && xf_open_bypasses_kernel_cache(xf_fs(req), fi))
		ret = xb_file_kill_caps(ip);
	return ret;
}

/*
 * Without writeback_cache, every write(2) arrives here with its exact range,
 * and fi->writepage marks the kernel writing back pages dirtied through a
 * shared mmap: those are page faults for the engine (IOMAP_FAULT: never
 * punch, never past EOF).  With -o writeback_cache every buffered write
 * comes as a writepage, possibly extending the file (the kernel's i_size
 * leads ours): those are plain buffered writes of whole pages.
 */
void xf_write(fuse_req_t req, fuse_ino_t nodeid, const char *buf, size_t size, off_t off,
	      struct fuse_file_info *fi)
{
	struct xf_engine *e = &xf_fs(req)->engine;
	struct xb_inode *ip = xf_fh_inode(fi);
	bool direct = !fi->writepage && xf_open_is_direct(xf_fs(req), fi);
	ssize_t n;
	int sync;

	/*
	 * Page writeback carries no writer's identity; with writeback_cache
	 * the kernel writes a setuid or setgid file through (KILLPRIV_V2) or
	 * cleared the bits with SETATTR(mode) at write(2) time.
	 */
	if (!fi->writepage) {
		int ret = xf_write_remove_privs(req, nodeid, fi);

		if (ret < 0) {
			xf_reply_err(req, "write", nodeid, ret);
			return;
		}
	}
	if (fi->writepage && xf_fs(req)->writeback_cache)
		n = xf_file_write_cached(e, ip, buf, size, off);
	else if (direct)
		n = xf_file_dio_write(e, ip, buf, size, off);
	else
		n = xf_file_write(e, ip, buf, size, off, fi->writepage != 0);
	sync = n > 0 ? xf_write_sync_mode(req, fi) : 0;
	if (sync) {
		int err = xf_file_fsync(e, ip, sync == 1, &xf_fh(fi)->wb_err);

		if (err)
			n = err;
	}
	if (n > 0 && !fi->writepage && (fi->flags & O_DIRECT) && !xf_fs(req)->cache_none)
		xf_direct_write_invalidate(req, nodeid, off, (size_t) n);
	if (n < 0)
		xf_reply_err(req, "write", nodeid, (int) n);
	else
		fuse_reply_write(req, (size_t) n);
}

/*
 * copy_file_range between two files of this mount: blocks shared where
 * they can be, the rest copied (copy_range.c, doc/reflink.md).  The kernel
 * drops its cached pages of the destination range and moves its size after
 * our reply.
 */
void xf_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
			struct fuse_file_info *fi_out, size_t len, int flags)
{
	struct xb_inode *src = xf_fh_inode(fi_in), *dst = xf_fh_inode(fi_out);
	ssize_t n;
	int err;

	(void) ino_in;
	if (flags || off_in < 0 || off_out < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	err = xf_may_copy_to(dst);
	if (!err)
		err = xf_remove_privs(req, ino_out, dst);
	if (err < 0) {
		xf_reply_err(req, "copy_file_range", ino_out, err);
		return;
	}
	n = xf_file_copy_range(&xf_fs(req)->engine, src, (uint64_t) off_in, dst, (uint64_t) off_out,
			       len);
	if (n > 0 && xf_write_is_sync(dst)) {
		err = xf_file_fsync(&xf_fs(req)->engine, dst, false, &xf_fh(fi_out)->wb_err);
		if (err)
			n = err;
	}
	if (n < 0)
		xf_reply_err(req, "copy_file_range", ino_out, (int) n);
	else
		fuse_reply_write(req, (size_t) n);
}

void xf_flush(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi)
{
	/* close(2) promises no durability; xb_write leaves nothing to push. */
	(void) nodeid;
	(void) fi;
	fuse_reply_err(req, 0);
}

void xf_release(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi)
{
	(void) nodeid;
	struct xb_inode *ip = xf_fh_inode(fi);

	xf_file_release(&xf_fs(req)->engine, ip);
	xf_fh_free(fi);
	xb_iput(ip);
	fuse_reply_err(req, 0);
}

void xf_fsync(fuse_req_t req, fuse_ino_t nodeid, int datasync, struct fuse_file_info *fi)
{
	xf_reply_err(req, "fsync", nodeid,
		     xf_file_fsync(&xf_fs(req)->engine, xf_fh_inode(fi), datasync != 0,
				   &xf_fh(fi)->wb_err));
}

void xf_fallocate(fuse_req_t req, fuse_ino_t nodeid, int mode, off_t off, off_t len,
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
	if (!error) /* file_modified, as vfs_fallocate's filesystems call it */
		error = xf_remove_privs(req, nodeid, xf_fh_inode(fi));
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
	/*
	 * The next three never arrive from Linux 6.18's FUSE: its
	 * fuse_file_fallocate answers EOPNOTSUPP for every mode but
	 * KEEP_SIZE, PUNCH_HOLE and ZERO_RANGE before asking us
	 * (doc/engine.md "Collapse, insert, unshare").  A kernel that
	 * forwards them is served, with vfs_fallocate's rules: collapse and
	 * insert alone, unshare at most with KEEP_SIZE.
	 */
	case FALLOC_FL_COLLAPSE_RANGE:
		error = keep ? -EINVAL
			     : xf_file_collapse_range(e, xf_fh_inode(fi), (uint64_t) off,
						      (uint64_t) len);
		break;
	case FALLOC_FL_INSERT_RANGE:
		error = keep ? -EINVAL
			     : xf_file_insert_range(e, xf_fh_inode(fi), (uint64_t) off,
						    (uint64_t) len);
		break;
	case FALLOC_FL_UNSHARE_RANGE:
		error = xf_file_unshare_range(e, xf_fh_inode(fi), (uint64_t) off, (uint64_t) len,
					      keep);
		break;
	default:
		error = (mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE |
				 FALLOC_FL_UNSHARE_RANGE))
				? -EINVAL /* vfs_fallocate: these modes mix with nothing */
				: -EOPNOTSUPP;
	}
	xf_reply_err(req, "fallocate", nodeid, error);
}

/* SEEK_DATA / SEEK_HOLE (the kernel handles SET/CUR/END itself). */
void xf_lseek(fuse_req_t req, fuse_ino_t nodeid, off_t off, int whence, struct fuse_file_info *fi)
{
	off_t ret = xf_file_lseek(&xf_fs(req)->engine, xf_fh_inode(fi), off, whence);

	if (ret < 0)
		xf_reply_err(req, "lseek", nodeid, (int) ret);
	else
		fuse_reply_lseek(req, ret);
}
