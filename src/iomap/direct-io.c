// SPDX-License-Identifier: GPL-2.0
/*
 * Direct I/O (fs/iomap/direct-io.c: __iomap_dio_rw, iomap_dio_iter,
 * iomap_dio_bio_iter, iomap_dio_zero, iomap_dio_complete), synchronous:
 * each extent's transfer is one pread/pwrite on the image instead of bios,
 * and the completion runs before iomap_dio_rw returns (doc/engine.md
 * "Direct I/O").
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iomap_dio.h"
#include "iomap_internal.h"
#include "trace.h"
#include "writeback.h"

struct iomap_dio_stats iomap_dio_stats;

/* The largest block iomap_dio_zero can zero (the kernel's IOMAP_ZERO_PAGE_SIZE). */
#define IOMAP_DIO_ZERO_MAX (64 * 1024)
static const char iomap_dio_zeroes[IOMAP_DIO_ZERO_MAX];

struct iomap_dio {
	const struct iomap_dio_req *req;
	uint64_t i_size; /* at submission: a read stops here */
	size_t size;	 /* bytes transferred */
	unsigned int flags;
	int error;
};

/* ---- inode_dio_begin / inode_dio_end / inode_dio_wait ---- */

/* One wait queue for every inode, as the kernel hashes its bit waitqueues. */
static pthread_mutex_t dio_wait_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t dio_wait_cond = PTHREAD_COND_INITIALIZER;

void inode_dio_begin(struct vfs_inode *inode)
{
	atomic_fetch_add(&inode->i_dio_count, 1);
}

void inode_dio_end(struct vfs_inode *inode)
{
	if (atomic_fetch_sub(&inode->i_dio_count, 1) != 1)
		return;
	pthread_mutex_lock(&dio_wait_lock);
	pthread_cond_broadcast(&dio_wait_cond);
	pthread_mutex_unlock(&dio_wait_lock);
}

void inode_dio_wait(struct vfs_inode *inode)
{
	pthread_mutex_lock(&dio_wait_lock);
	while (atomic_load(&inode->i_dio_count) > 0)
		pthread_cond_wait(&dio_wait_cond, &dio_wait_lock);
	pthread_mutex_unlock(&dio_wait_lock);
}

/* ---- the transfers ---- */

/* The image offset of file offset @pos in @iomap (iomap_sector, in bytes). */
static uint64_t iomap_dio_addr(const struct iomap *iomap, loff_t pos)
{
	return iomap->addr + (uint64_t) (pos - iomap->offset);
}

/* All of it or an error: a short transfer on the image is an I/O error. */
static int iomap_dio_pio(int fd, char *buf, size_t len, uint64_t addr, bool write)
{
	while (len) {
		ssize_t n = write ? pwrite(fd, buf, len, (off_t) addr)
				  : pread(fd, buf, len, (off_t) addr);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf += n;
		addr += (uint64_t) n;
		len -= (size_t) n;
	}
	return 0;
}

/*
 * iomap_dio_zero: write zeroes over [pos, pos+len) of the current mapping,
 * the part of a block the write does not cover.  Without it a block just
 * allocated (IOMAP_F_NEW) or unwritten would show stale disk contents
 * there once the extent is converted.
 */
static int iomap_dio_zero(const struct iomap_iter *iter, loff_t pos, unsigned int len)
{
	if (!len)
		return 0;
	if (len > IOMAP_DIO_ZERO_MAX)
		return -EINVAL;
	atomic_fetch_add(&iomap_dio_stats.zeroed_bytes, len);
	return iomap_dio_pio(iter->inode->bdev_fd, (char *) iomap_dio_zeroes, len,
			     iomap_dio_addr(&iter->iomap, pos), true);
}

/* A write into this mapping: what ->end_io must do, and must it zero around? */
static bool iomap_dio_write_needs_zeroout(const struct iomap *iomap, struct iomap_dio *dio)
{
	bool need_zeroout = false;

	if (iomap->type == IOMAP_UNWRITTEN) {
		dio->flags |= IOMAP_DIO_UNWRITTEN;
		need_zeroout = true;
	}
	if (iomap->flags & IOMAP_F_SHARED)
		dio->flags |= IOMAP_DIO_COW;
	if (iomap->flags & IOMAP_F_NEW)
		need_zeroout = true;
	return need_zeroout;
}

/*
 * iomap_dio_bio_iter: transfer the part of the request inside a MAPPED (or,
 * writing, UNWRITTEN) extent.  A write that does not start or end on a block
 * boundary zeroes the rest of the block when the block is new or unwritten,
 * and the tail of a block that ends past EOF (mmap would show it).
 */
static int64_t iomap_dio_bio_iter(struct iomap_iter *iter, struct iomap_dio *dio)
{
	const struct iomap *iomap = &iter->iomap;
	const struct iomap_dio_req *req = dio->req;
	unsigned int bs = i_blocksize(iter->inode), pad;
	uint64_t length = iomap_length(iter);
	loff_t pos = iter->pos, end = pos + (loff_t) length;
	char *buf = (char *) req->buf + (pos - req->pos);
	bool need_zeroout = false;
	int error;

	if (((uint64_t) pos | length) & (req->align - 1))
		return -EINVAL;
	if (req->write) {
		need_zeroout = iomap_dio_write_needs_zeroout(iomap, dio);
		pad = (unsigned int) (pos & (bs - 1));
		if (need_zeroout) {
			error = iomap_dio_zero(iter, pos - pad, pad);
			if (error)
				return error;
		}
	}
	error = iomap_dio_pio(iter->inode->bdev_fd, buf, length, iomap_dio_addr(iomap, pos),
			      req->write);
	if (error)
		return error;
	dio->size += length;
	if (req->write && (need_zeroout || (uint64_t) end >= vfs_i_size_read(iter->inode))) {
		pad = (unsigned int) (end & (bs - 1));
		if (pad) {
			error = iomap_dio_zero(iter, end, bs - pad);
			if (error)
				return error;
		}
	}
	return (int64_t) length;
}

/* iomap_dio_hole_iter: a read of a hole or of unwritten blocks is zeroes. */
static int64_t iomap_dio_hole_iter(struct iomap_iter *iter, struct iomap_dio *dio)
{
	uint64_t length = iomap_length(iter);

	memset((char *) dio->req->buf + (iter->pos - dio->req->pos), 0, length);
	dio->size += length;
	return (int64_t) length;
}

static int64_t iomap_dio_iter(struct iomap_iter *iter, struct iomap_dio *dio)
{
	bool write = dio->req->write;

	switch (iter->iomap.type) {
	case IOMAP_HOLE:
		return write ? -EIO : iomap_dio_hole_iter(iter, dio);
	case IOMAP_UNWRITTEN:
		return write ? iomap_dio_bio_iter(iter, dio) : iomap_dio_hole_iter(iter, dio);
	case IOMAP_MAPPED:
		return iomap_dio_bio_iter(iter, dio);
	case IOMAP_DELALLOC:
		/*
		 * The kernel fails here ("Direct I/O collision with buffered
		 * writes"): delalloc left after the range was written back has
		 * no dirty data over it -- speculative preallocation, or a
		 * racing mmap store's.  A read sees what the page cache held
		 * when it was written back, zeroes; a write never gets it
		 * (the direct write mapping allocates over delalloc).
		 */
		if (!write)
			return iomap_dio_hole_iter(iter, dio);
		fprintf(stderr, "xfsfuse: direct I/O collision with buffered writes, inode %llu\n",
			(unsigned long long) iter->inode->i_ino);
		return -EIO;
	default:
		return -EIO;
	}
}

/*
 * kiocb_write_and_wait / kiocb_invalidate_pages: before a read, the dirty
 * cache over the range reaches the disk; before a write, it also leaves the
 * cache.  A folio dirtied again in between makes the write fall back to a
 * buffered one (-ENOTBLK), as __iomap_dio_rw does.
 */
static int iomap_dio_prepare(const struct iomap_dio_req *req)
{
	uint64_t start = (uint64_t) req->pos, end = start + req->len - 1;
	int error = filemap_write_and_wait_range(req->bdi, req->inode, start, end);

	if (error || !req->write)
		return error;
	if (invalidate_inode_pages2_range(&req->inode->i_mapping, start, end))
		return -ENOTBLK;
	return 0;
}

/*
 * kiocb_invalidate_post_direct_write: drop the range from the cache again.
 * A folio dirtied meanwhile (an mmap store or buffered write that raced
 * the direct write) cannot go: it keeps the bytes it was filled with
 * before the direct write, and says so as dio_warn_stale_pagecache does.
 */
static void iomap_dio_invalidate_after_write(const struct iomap_dio_req *req, size_t size)
{
	if (!atomic_load(&iomap_tunables.dio_post_invalidate))
		return;
	if (!invalidate_inode_pages2_range(&req->inode->i_mapping, (uint64_t) req->pos,
					   (uint64_t) req->pos + size - 1))
		return;
	atomic_fetch_add(&iomap_dio_stats.stale_cache, 1);
	fprintf(stderr,
		"xfsfuse: page cache invalidation failure on direct I/O, inode %llu: possible "
		"data corruption due to collision with buffered I/O\n",
		(unsigned long long) req->inode->i_ino);
}

/*
 * iomap_dio_complete: ->end_io, the short read at EOF, and the page cache
 * dropped again after a write: a buffered read racing the write may have
 * cached the old bytes (or the zeroes of unwritten blocks, which is why
 * this comes after ->end_io converted them).
 */
static ssize_t iomap_dio_complete(struct iomap_dio *dio, const struct iomap_dio_ops *dops)
{
	const struct iomap_dio_req *req = dio->req;
	ssize_t ret = dio->error;

	/* After an error ->end_io gets the whole range, which may be mapped. */
	if (dops && dops->end_io)
		ret = dops->end_io(req->inode, req->pos,
				   (ssize_t) (dio->error ? req->len : dio->size), dio->error,
				   dio->flags);
	if (!ret) {
		ret = (ssize_t) dio->size;
		if (!req->write && (uint64_t) req->pos + dio->size > dio->i_size)
			ret = (ssize_t) (dio->i_size - (uint64_t) req->pos);
	}
	if (!dio->error && dio->size && req->write)
		iomap_dio_invalidate_after_write(req, dio->size);
	if (ret > 0) {
		atomic_fetch_add(req->write ? &iomap_dio_stats.writes : &iomap_dio_stats.reads, 1);
		atomic_fetch_add(req->write ? &iomap_dio_stats.bytes_written
					    : &iomap_dio_stats.bytes_read,
				 (uint64_t) ret);
	}
	return ret;
}

ssize_t iomap_dio_rw(const struct iomap_dio_req *req, const struct iomap_ops *ops,
		     const struct iomap_dio_ops *dops)
{
	struct iomap_iter iter = {
		.inode = req->inode,
		.pos = req->pos,
		.len = req->len,
		.flags = IOMAP_DIRECT | (req->write ? IOMAP_WRITE : 0),
	};
	struct iomap_dio dio = {
		.req = req,
		.i_size = vfs_i_size_read(req->inode),
		.flags = req->write ? IOMAP_DIO_WRITE : 0,
	};
	ssize_t ret;
	int error;

	if (!req->len || (!req->write && (uint64_t) req->pos >= dio.i_size))
		return 0;
	error = iomap_dio_prepare(req);
	if (error)
		return error;
	iomap_inject(INJECT_DIO_AFTER_PREPARE, req->inode, req->pos);
	xf_trace("dio_begin", req->inode->i_ino, req->pos, req->len, "write=%d i_size=%llu",
		 req->write, (unsigned long long) dio.i_size);
	inode_dio_begin(req->inode);
	while ((error = iomap_iter(&iter, ops)) > 0)
		iter.processed = iomap_dio_iter(&iter, &dio);
	/*
	 * ENOTBLK from ->iomap_begin: what was done stands, the caller writes
	 * the rest buffered; nothing done, the caller falls back for all.
	 */
	if (error == -ENOTBLK && !dio.size) {
		inode_dio_end(req->inode);
		return -ENOTBLK;
	}
	if (error == -ENOTBLK)
		error = 0;
	dio.error = error;
	ret = iomap_dio_complete(&dio, dops);
	inode_dio_end(req->inode);
	xf_trace("dio_end", req->inode->i_ino, req->pos, dio.size, "ret=%lld flags=0x%x",
		 (long long) ret, dio.flags);
	return ret;
}
