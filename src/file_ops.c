// SPDX-License-Identifier: GPL-2.0
/*
 * File data through the iomap engine (see file_ops.h): the shape of
 * fs/xfs/xfs_file.c.  Locks are taken here exactly where the kernel's VFS
 * and XFS take them: i_rwsem exclusive for writes, truncate and fallocate,
 * shared for reads and seeks; invalidate_lock exclusive for truncate.
 */
#include "file_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iomap.h"
#include "iomap_dio.h"
#include "vfs_atime.h"
#include "xfs_iomap.h"

void xf_engine_default_opts(struct xf_engine_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->folio_size = 4096;
	o->cache_size = 256ull << 20;
	o->bdi.writeback_interval_ms = 500;
	o->bdi.dirty_expire_ms = 3000;
	/* Not the kernel's 10/20 % of memory: doc/engine.md, "Decisions that differ". */
	o->bdi.dirty_background_pct = 40;
	o->bdi.dirty_pct = 60;
	o->reclaim.interval_ms = 100;
	o->validate = true;
	o->prealloc = true;
	o->atime = VFS_ATIME_RELATIME; /* the kernel's default */
}

/* Reclaim's kick, installed as the page cache's over-limit hook. */
static struct reclaimer *xf_reclaimer;
static void xf_over_limit(struct page_cache *pc)
{
	(void) pc;
	if (xf_reclaimer)
		reclaim_kick(xf_reclaimer);
}

/*
 * Evict (the kernel's evict -> truncate_inode_pages_final): called by the
 * inode table without the libxfs lock before an inode's memory goes.
 */
static void xf_evict(struct vfs_inode *v, bool unlinked, void *arg)
{
	struct xf_engine *e = arg;

	/*
	 * An unlinked file's blocks are freed next (xfs_inactive): writing its
	 * dirty data first would be wasted I/O into blocks about to be free.
	 * The truncate below drops the dirty folios, as the kernel's
	 * truncate_inode_pages_final; xb_iomap_inode_teardown_locked returns
	 * their delalloc reservation.
	 */
	if (e->bdi)
		bdi_forget_inode(e->bdi, v, unlinked);
	inode_lock(v);
	filemap_invalidate_lock(v);
	truncate_inode_pages_range(&v->i_mapping, 0, UINT64_MAX);
	filemap_invalidate_unlock(v);
	inode_unlock(v);
}

/*
 * An idle inode's vfs_inode may go (the backend asks with its page cache
 * empty and no request holding the inode): nobody has it open, the flusher
 * does not list it, and no writeback error waits for an fsync to report it.
 */
static bool xf_inode_idle(struct vfs_inode *v, void *arg)
{
	struct xf_engine *e = arg;

	if (atomic_load(&v->i_opens) || atomic_load(&v->i_mapping.wb_err))
		return false;
	return !e->bdi || bdi_inode_unlisted(e->bdi, v);
}

static const struct xb_engine_ops xf_engine_ops = {
	.evict = xf_evict,
	.idle = xf_inode_idle,
};

int xf_engine_start(struct xf_engine *e, struct xb_mount *m)
{
	int error;

	e->m = m;
	atomic_store(&e->atime_flags, e->opts.atime);
	error = page_cache_init(&e->pc, e->opts.folio_size, e->opts.cache_size);
	if (error)
		return error;
	atomic_store(&iomap_tunables.validate, e->opts.validate);
	atomic_store(&iomap_tunables.legacy_punch, e->opts.legacy_punch);
	atomic_store(&iomap_tunables.rfc_remedy, e->opts.rfc_remedy);
	atomic_store(&xfs_iomap_config.speculative_prealloc, e->opts.prealloc);
	error = bdi_start(&e->bdi, &e->pc, &e->opts.bdi, &xfs_writeback_ops);
	if (error)
		goto out_pc;
	error = reclaim_start(&e->reclaim, &e->pc, e->bdi, &e->opts.reclaim);
	if (error)
		goto out_bdi;
	xf_reclaimer = e->reclaim;
	e->pc.over_limit = xf_over_limit;
	xb_engine_attach(m, &e->pc, &xf_engine_ops, e);
	e->running = true;
	return 0;

out_bdi:
	bdi_stop(e->bdi);
	e->bdi = NULL;
out_pc:
	page_cache_destroy(&e->pc);
	return error;
}

int xf_engine_stop(struct xf_engine *e)
{
	int error = 0;

	if (!e->running)
		return 0;
	error = bdi_sync_all(e->bdi);
	e->pc.over_limit = NULL;
	xf_reclaimer = NULL;
	reclaim_stop(e->reclaim);
	e->reclaim = NULL;
	bdi_stop(e->bdi);
	e->bdi = NULL;
	e->running = false;
	return error;
}

void xf_engine_destroy(struct xf_engine *e)
{
	page_cache_destroy(&e->pc);
}

/*
 * A FUSE READ is either a read(2) (direct_io opens: cache=none, O_DIRECT),
 * which takes i_rwsem shared like xfs_file_buffered_read, or the kernel
 * filling its own page cache (readahead, a page fault of an mmap), which in
 * the kernel holds only invalidate_lock shared -- taken by the engine around
 * its own folio fills.  Taking i_rwsem there would serialise page faults
 * behind writers, which the kernel never does (and hides DESIGN.md race 3).
 */
ssize_t xf_file_read(struct xf_engine *e, struct xb_inode *ip, void *buf, size_t len, off_t off,
		     bool page_cache_fill)
{
	struct vfs_inode *v = xb_vfs_inode(ip);
	ssize_t n;

	if (xb_is_shutdown(e->m))
		return -EIO; /* xfs_file_read_iter */
	if (!v)
		return xb_read(ip, buf, len, (uint64_t) off);
	if (page_cache_fill)
		return iomap_file_buffered_read(v, buf, len, off, &xfs_read_iomap_ops);
	inode_lock_shared(v);
	n = iomap_file_buffered_read(v, buf, len, off, &xfs_read_iomap_ops);
	inode_unlock(v);
	return n;
}

ssize_t xf_file_read_pin(struct xf_engine *e, struct xb_inode *ip, size_t len, off_t off,
			 struct iomap_read_pins *pins)
{
	struct vfs_inode *v = xb_vfs_inode(ip);

	pins->nr = pins->nr_locked = pins->nr_iov = 0;
	if (xb_is_shutdown(e->m))
		return -EIO; /* xfs_file_read_iter */
	if (!v)
		return -EAGAIN;
	/* no i_rwsem: a page-cache fill, as in xf_file_read */
	return iomap_read_pin(v, len, off, &xfs_read_iomap_ops, pins);
}

ssize_t xf_file_read_pin_lock(struct xb_inode *ip, struct iomap_read_pins *pins)
{
	return iomap_read_pin_lock(xb_vfs_inode(ip), pins);
}

void xf_file_accessed(struct xf_engine *e, struct xb_inode *ip)
{
	(void) xb_touch_atime(ip, atomic_load(&e->atime_flags));
}

bool xf_file_atime_pending(struct xf_engine *e, struct xb_inode *ip)
{
	return xb_atime_pending(ip, atomic_load(&e->atime_flags));
}

static bool xf_lazytime(struct xf_engine *e)
{
	return atomic_load(&e->atime_flags) & VFS_ATIME_LAZYTIME;
}

/*
 * Writing past EOF: zero the gap from the old EOF first, so the tail of the
 * old EOF block never shows stale bytes (xfs_file_write_zero_eof).
 */
static int xf_zero_eof_gap(struct vfs_inode *v, loff_t pos)
{
	uint64_t isize = vfs_i_size_read(v);
	bool did_zero = false;

	if ((uint64_t) pos <= isize)
		return 0;
	return iomap_zero_range(v, (loff_t) isize, pos - (loff_t) isize, &did_zero,
				&xfs_buffered_write_iomap_ops);
}

/* @stamp: move mtime/ctime (false: the kernel's writeback cache owns them). */
static ssize_t xf_buffered_write(struct xf_engine *e, struct xb_inode *ip, struct vfs_inode *v,
				 const void *buf, size_t len, off_t off, bool stamp)
{
	ssize_t n;
	int error;

	inode_lock(v);
	error = xf_zero_eof_gap(v, off);
	/*
	 * mtime/ctime before the copy, under i_rwsem, as file_modified() in
	 * xfs_file_write_checks: once data is in the page cache and the size
	 * has moved, nothing may turn the write into a failure.
	 */
	if (!error && stamp)
		error = xb_file_update_time(ip, xf_lazytime(e));
	n = error ? error
		  : iomap_file_buffered_write(v, buf, len, off, &xfs_buffered_write_iomap_ops);
	inode_unlock(v);
	if (n > 0) {
		bdi_mark_inode_dirty(e->bdi, v);
		/* After i_rwsem, unlike generic_perform_write: readers of this
		 * file need not wait out the writer's throttling. */
		bdi_balance_dirty_pages(e->bdi);
	}
	return n;
}

/* xfs_free_eofblocks, and the kernel told when st_blocks went down. */
static void xf_trim_eofblocks(struct xf_engine *e, struct xb_inode *ip)
{
	uint64_t trimmed;

	xfs_free_eofblocks(ip, &trimmed);
	if (trimmed && e->attr_changed)
		e->attr_changed(e, xb_ino(ip));
}

/*
 * xfs_blockgc_free_space: trim the blocks past EOF of every cached file.
 * A file whose i_rwsem is busy is skipped, as the kernel's trylock does.
 */
static void xf_blockgc_free_space(struct xf_engine *e)
{
	struct xb_inode **list;
	size_t n, i;

	if (xfs_blockgc_candidates(e->m, &list, &n))
		return;
	for (i = 0; i < n; i++) {
		struct vfs_inode *v = xb_vfs_inode(list[i]);

		if (inode_trylock(v)) {
			xf_trim_eofblocks(e, list[i]);
			inode_unlock(v);
		}
		xb_iput(list[i]);
	}
	free(list);
}

void xf_engine_free_space(struct xf_engine *e)
{
	if (!e->running || xb_readonly(e->m))
		return;
	bdi_sync_all(e->bdi);
	xf_blockgc_free_space(e);
	xb_inodegc_wait(e->m);
}

static ssize_t xf_buffered_write_retry(struct xf_engine *e, struct xb_inode *ip,
				       struct vfs_inode *v, const void *buf, size_t len, off_t off,
				       bool stamp)
{
	ssize_t n = xf_buffered_write(e, ip, v, buf, len, off, stamp);

	if (n == -ENOSPC) {
		/*
		 * As xfs_file_buffered_write: write everything back (indirect-block
		 * reservations come back: xfs_flush_inodes), then trim every
		 * file's speculative preallocation past EOF (xfs_blockgc_free_space)
		 * and wait for unlinked files being freed (xfs_inodegc_flush), and
		 * retry once.
		 */
		xf_engine_free_space(e);
		n = xf_buffered_write(e, ip, v, buf, len, off, stamp);
	}
	return n;
}

ssize_t xf_file_write(struct xf_engine *e, struct xb_inode *ip, const void *buf, size_t len,
		      off_t off, bool writepage)
{
	struct vfs_inode *v = xb_vfs_inode(ip);
	ssize_t n;

	if (!v || !e->running)
		return xb_write(ip, buf, len, (uint64_t) off);
	if (writepage) {
		/*
		 * The kernel's XFS moves mtime and ctime when a store first
		 * dirties a page (file_update_time in xfs_write_fault, before
		 * the MMAPLOCK).  The FUSE kernel's page_mkwrite cannot (its
		 * inodes are S_NOCMTIME without writeback_cache) and tells us
		 * nothing; the store reaches us only here, as the page's
		 * writeback, after which fuse_writepage_end invalidates the
		 * kernel's cached mtime/ctime.  So they move now, as late as
		 * the writeback (doc/backend.md "Access times").  Errors are
		 * ignored, as xfs_write_fault ignores them.
		 */
		(void) xb_file_update_time(ip, xf_lazytime(e));
		n = iomap_fault_write(v, buf, len, off, &xfs_buffered_write_iomap_ops);
		if (n > 0) {
			bdi_mark_inode_dirty(e->bdi, v);
			bdi_balance_dirty_pages(e->bdi); /* as iomap_page_mkwrite's caller */
		}
		return n;
	}
	return xf_buffered_write_retry(e, ip, v, buf, len, off, true);
}

ssize_t xf_file_write_cached(struct xf_engine *e, struct xb_inode *ip, const void *buf, size_t len,
			     off_t off)
{
	struct vfs_inode *v = xb_vfs_inode(ip);

	if (!v || !e->running)
		return xb_write(ip, buf, len, (uint64_t) off);
	return xf_buffered_write_retry(e, ip, v, buf, len, off, false);
}

int xf_file_setsize(struct xf_engine *e, struct xb_inode *ip, uint64_t size)
{
	struct vfs_inode *v = xb_vfs_inode(ip);
	int error;

	if (!v)
		return -EINVAL;
	inode_lock(v);
	inode_dio_wait(v); /* xfs_setattr_size */
	/*
	 * Shrinking: write the new EOF block back first.  Zeroing skips
	 * unwritten extents, so a dirty folio over one would keep stale bytes
	 * past the new EOF (the kernel's xfs_setattr_size does the same flush).
	 */
	error = 0;
	if (size < vfs_i_size_read(v) && e->running)
		error = filemap_write_and_wait_range(e->bdi, v, size, size);
	if (error) {
		inode_unlock(v);
		return error;
	}
	filemap_invalidate_lock(v);
	error = xfs_setattr_size(ip, size);
	filemap_invalidate_unlock(v);
	inode_unlock(v);
	return error;
}

uint32_t xf_file_sample_wb_err(struct xf_engine *e, struct xb_inode *ip)
{
	struct vfs_inode *v = xb_vfs_inode(ip);

	(void) e;
	return v ? filemap_sample_wb_err(&v->i_mapping) : 0;
}

int xf_file_fsync(struct xf_engine *e, struct xb_inode *ip, bool datasync, uint32_t *wb_err)
{
	struct vfs_inode *v = xb_vfs_inode(ip);
	int error = 0, err2;

	/*
	 * file_write_and_wait_range + file_check_and_advance_wb_err; without an
	 * open description (the race harness) each error is reported once.
	 */
	if (v && e->running)
		error = wb_err ? file_write_and_wait_range(e->bdi, v, 0, UINT64_MAX, wb_err)
			       : filemap_write_and_wait_range(e->bdi, v, 0, UINT64_MAX);
	err2 = xb_fsync(ip, datasync);
	return error ? error : err2;
}

int xf_file_fallocate(struct xf_engine *e, struct xb_inode *ip, uint64_t off, uint64_t len,
		      bool keep_size)
{
	struct vfs_inode *v = xb_vfs_inode(ip);
	int error;

	if (!v)
		return xb_prealloc(ip, off, len, keep_size);
	/*
	 * As xfs_file_fallocate: allocate (never moving the size there), then
	 * grow the file through the setattr-size path, which zeroes the old
	 * EOF block's tail and logs the new size with the engine's i_size --
	 * the backend's own incore size is not the file's size any more.
	 */
	inode_lock(v);
	inode_dio_wait(v); /* xfs_file_fallocate */
	error = xb_prealloc(ip, off, len, true);
	if (error == -ENOSPC) { /* as xfs_trans_alloc's retry after xfs_blockgc_flush_all */
		inode_unlock(v);
		xf_engine_free_space(e);
		inode_lock(v);
		error = xb_prealloc(ip, off, len, true);
	}
	if (!error && !keep_size && off + len > vfs_i_size_read(v)) {
		filemap_invalidate_lock(v);
		error = xfs_setattr_size(ip, off + len);
		filemap_invalidate_unlock(v);
	}
	inode_unlock(v);
	return error;
}

/*
 * Write back and drop the page cache over [off, off+len) rounded out to
 * folios (xfs_flush_unmap_range): nothing cached or under writeback may
 * map blocks about to be unmapped.  Caller holds both locks exclusive.
 */
int xf_flush_unmap_range(struct xf_engine *e, struct vfs_inode *v, uint64_t off, uint64_t len)
{
	uint64_t fs = e->pc.folio_size;
	uint64_t start = off & ~(fs - 1), end = ((off + len + fs - 1) & ~(fs - 1)) - 1;
	int error = 0;

	if (e->running)
		error = filemap_write_and_wait_range(e->bdi, v, start, end);
	if (!error)
		truncate_inode_pages_range(&v->i_mapping, start, end);
	return error;
}

/* FALLOC_FL_PUNCH_HOLE (always with KEEP_SIZE) and FALLOC_FL_ZERO_RANGE. */
int xf_file_punch_or_zero(struct xf_engine *e, struct xb_inode *ip, uint64_t off, uint64_t len,
			  bool zero_range, bool keep_size)
{
	struct vfs_inode *v = xb_vfs_inode(ip);
	int error;

	if (!v)
		return -EOPNOTSUPP;
	inode_lock(v);
	inode_dio_wait(v); /* xfs_file_fallocate */
	filemap_invalidate_lock(v);
	error = xf_flush_unmap_range(e, v, off, len);
	if (!error)
		error = xfs_free_file_space(ip, off, len);
	/* Zero range: the hole becomes preallocated unwritten space. */
	if (!error && zero_range)
		error = xb_prealloc(ip, off, len, true);
	if (!error && zero_range && !keep_size && off + len > vfs_i_size_read(v))
		error = xfs_setattr_size(ip, off + len);
	filemap_invalidate_unlock(v);
	inode_unlock(v);
	if (!error && e->running)
		bdi_mark_inode_dirty(e->bdi, v);
	return error;
}

/* lock_two_nondirectories + filemap_invalidate_lock_two: by address, once if the same. */
static void xf_lock_two(struct vfs_inode *a, struct vfs_inode *b)
{
	if (a > b) {
		struct vfs_inode *t = a;

		a = b;
		b = t;
	}
	inode_lock(a);
	if (b != a)
		inode_lock(b);
	filemap_invalidate_lock(a);
	if (b != a)
		filemap_invalidate_lock(b);
}

static void xf_unlock_two(struct vfs_inode *a, struct vfs_inode *b)
{
	filemap_invalidate_unlock(a);
	if (b != a)
		filemap_invalidate_unlock(b);
	inode_unlock(a);
	if (b != a)
		inode_unlock(b);
}

/*
 * Share [pos_in, +len) of @src at @pos_out of @dst (xfs_file_remap_range,
 * xfs_reflink_remap_prep): the source range written back, the destination
 * range written back and dropped, the destination extended to @pos_out
 * first if it ends before (its EOF block's tail zeroed, as
 * xfs_reflink_zero_posteof), then the blocks remapped.  @len is whole
 * blocks or reaches the source's EOF (then the destination ends at
 * @pos_out + @size_len).
 */
int xf_file_remap_range(struct xf_engine *e, struct xb_inode *src, uint64_t pos_in,
			struct xb_inode *dst, uint64_t pos_out, uint64_t len, uint64_t size_len)
{
	struct vfs_inode *vs = xb_vfs_inode(src), *vd = xb_vfs_inode(dst);
	uint64_t new_isize;
	int error;

	if (!vs || !vd || !e->running)
		return -EOPNOTSUPP;
	xf_lock_two(vs, vd);
	error = filemap_write_and_wait_range(e->bdi, vs, pos_in, pos_in + len - 1);
	if (!error)
		error = xf_flush_unmap_range(e, vd, pos_out, len);
	if (!error && pos_out > vfs_i_size_read(vd))
		error = xfs_setattr_size(dst, pos_out);
	new_isize = pos_out + size_len;
	if (new_isize < vfs_i_size_read(vd))
		new_isize = vfs_i_size_read(vd);
	if (!error)
		error = xfs_reflink_remap_blocks(src, pos_in, dst, pos_out, len, new_isize);
	if (!error && new_isize > vfs_i_size_read(vd))
		vfs_i_size_write(vd, new_isize);
	xf_unlock_two(vs, vd);
	return error;
}

off_t xf_file_lseek(struct xf_engine *e, struct xb_inode *ip, off_t off, int whence)
{
	struct vfs_inode *v = xb_vfs_inode(ip);
	off_t ret;

	(void) e;
	if (!v)
		return -EINVAL;
	inode_lock_shared(v);
	if (whence == SEEK_DATA)
		ret = iomap_seek_data(v, off, &xfs_seek_iomap_ops);
	else if (whence == SEEK_HOLE)
		ret = iomap_seek_hole(v, off, &xfs_seek_iomap_ops);
	else
		ret = -EINVAL;
	inode_unlock(v);
	return ret;
}

void xf_file_open(struct xf_engine *e, struct xb_inode *ip)
{
	struct vfs_inode *v = xb_vfs_inode(ip);

	(void) e;
	if (v)
		atomic_fetch_add(&v->i_opens, 1);
}

/* Last close trims speculative preallocation past EOF (xfs_release). */
void xf_file_release(struct xf_engine *e, struct xb_inode *ip)
{
	struct vfs_inode *v = xb_vfs_inode(ip);

	if (!v || atomic_fetch_sub(&v->i_opens, 1) != 1 || !e->running || xb_readonly(e->m))
		return;
	inode_lock(v);
	xf_trim_eofblocks(e, ip);
	inode_unlock(v);
}

int xf_engine_syncfs(struct xf_engine *e)
{
	int error = e->running ? bdi_sync_all(e->bdi) : 0;
	int err2 = xb_sync(e->m);

	return error ? error : err2;
}

/*
 * The kernel's xfs_fs_goingdown.  DEFAULT freezes the filesystem (which
 * writes back every dirty folio and forces the log) before the shutdown; we
 * cannot hold writers off, so a write racing with it may be lost, as one
 * racing with a LOGFLUSH shutdown is on the kernel.  Dirty folios left after
 * the shutdown are discarded by writeback (xfs_aops.c: no image writes).
 */
int xf_engine_goingdown(struct xf_engine *e, unsigned int mode)
{
	if (mode > XF_GOINGDOWN_NOLOGFLUSH)
		return -EINVAL;
	if (mode == XF_GOINGDOWN_DEFAULT && !xb_is_shutdown(e->m))
		xf_engine_syncfs(e); /* failed or not, the shutdown follows */
	xb_goingdown(e->m, mode != XF_GOINGDOWN_NOLOGFLUSH);
	return 0;
}
