// SPDX-License-Identifier: GPL-2.0
/*
 * Buffered I/O through the page cache: fs/iomap/buffered-io.c (Linux
 * 6.2-6.6): write_iter / write_begin / write_end, the cache fill of
 * read_folio, zero_range, truncate_page, and our mmap-store path (the
 * kernel's page_mkwrite).
 *
 * Locks held here: the folio lock (across the validity check, reading the
 * missing blocks from the image, and the copy into or out of the folio --
 * never across ->iomap_begin/->iomap_end of a write), and invalidate_lock
 * shared around cache fills of reads and around fault writes.  The callers
 * hold i_rwsem as documented in iomap.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "iomap_internal.h"
#include "trace.h"

void (*iomap_dirty_hook)(struct vfs_inode *inode);

/* ---- reading blocks from the image ---- */

/* Read [poff, poff+plen) of @folio, file offset @block_start, from @iomap. */
static int iomap_read_folio_sync(struct vfs_inode *inode, loff_t block_start, struct folio *folio,
				 size_t poff, size_t plen, const struct iomap *iomap)
{
	uint64_t addr = iomap->addr + (uint64_t) (block_start - iomap->offset);
	struct iovec iov = {.iov_base = folio->data + poff, .iov_len = plen};

	if (iomap->addr == IOMAP_NULL_ADDR)
		return -EIO;
	return iomap_preadv_all(inode->bdev_fd, &iov, 1, addr);
}

/*
 * Zero (rather than read) a block of a !uptodate folio?  Not on disk yet
 * (not MAPPED), just allocated (F_NEW), or past EOF.  This is the decision a
 * stale mapping gets wrong (DESIGN.md §3, race 1).
 */
bool iomap_block_needs_zeroing(const struct iomap_iter *iter, loff_t pos)
{
	const struct iomap *srcmap = iomap_iter_srcmap(iter);

	return srcmap->type != IOMAP_MAPPED || (srcmap->flags & IOMAP_F_NEW) ||
	       (uint64_t) pos >= vfs_i_size_read(iter->inode);
}

/*
 * Narrow [*pos, *pos+length) within @folio to its first run of blocks that
 * are not uptodate, stopping before the first block entirely past EOF when
 * the range straddles it (so that those are zeroed separately).  Returns the
 * run as folio offset *offp and length *lenp (0: nothing to do).
 */
void iomap_adjust_read_range(struct vfs_inode *inode, struct folio *folio, loff_t *pos,
			     loff_t length, size_t *offp, size_t *lenp)
{
	struct address_space *m = &inode->i_mapping;
	loff_t orig_pos = *pos;
	loff_t isize = (loff_t) vfs_i_size_read(inode);
	unsigned int block_bits = inode->i_blkbits;
	size_t block_size = (size_t) 1 << block_bits;
	size_t poff = offset_in_mapping_folio(m, *pos);
	size_t plen = mapping_folio_size(m) - poff;
	unsigned int first, last, i;

	if ((loff_t) plen > length)
		plen = (size_t) length;
	first = (unsigned int) (poff >> block_bits);
	last = (unsigned int) ((poff + plen - 1) >> block_bits);

	/* move forward for each leading block marked uptodate */
	for (i = first; i <= last; i++) {
		if (!ifs_block_is_uptodate(folio, i))
			break;
		*pos += (loff_t) block_size;
		poff += block_size;
		plen -= block_size;
		first++;
	}
	/* truncate len if we find any trailing uptodate block(s) */
	for (; i <= last; i++) {
		if (ifs_block_is_uptodate(folio, i)) {
			plen -= (last - i + 1) * block_size;
			last = i - 1;
			break;
		}
	}

	/* handle the halves of a range straddling EOF separately */
	if (orig_pos <= isize && orig_pos + length > isize && isize > 0 &&
	    (isize - 1) >> mapping_folio_size_shift(m) == orig_pos >> mapping_folio_size_shift(m)) {
		unsigned int end =
			(unsigned int) (offset_in_mapping_folio(m, isize - 1) >> block_bits);

		if (first <= end && last > end)
			plen -= (last - end) * block_size;
	}

	*offp = poff;
	*lenp = plen;
}

/* Mark whole blocks: round the byte range out to the blocks it touches. */
void iomap_set_range_uptodate(struct vfs_inode *inode, struct folio *folio, size_t off, size_t len)
{
	size_t bs = i_blocksize(inode);
	size_t start = off & ~(bs - 1);
	size_t end = (off + len + bs - 1) & ~(bs - 1);

	if (len)
		ifs_set_range_uptodate(folio, start, end - start);
}

static void iomap_set_range_dirty(struct vfs_inode *inode, struct folio *folio, size_t off,
				  size_t len)
{
	size_t bs = i_blocksize(inode);
	size_t start = off & ~(bs - 1);
	size_t end = (off + len + bs - 1) & ~(bs - 1);

	if (len)
		ifs_set_range_dirty(folio, start, end - start);
}

/* ---- write_begin / write_end ---- */

/*
 * Make the blocks of [pos, pos+len) that the copy will only partly
 * overwrite valid: zero them or read them from the image, per
 * iomap_block_needs_zeroing.  Blocks wholly overwritten are left alone.
 */
static int __iomap_write_begin(const struct iomap_iter *iter, loff_t pos, size_t len,
			       struct folio *folio)
{
	struct vfs_inode *inode = iter->inode;
	const struct iomap *srcmap = iomap_iter_srcmap(iter);
	size_t block_size = i_blocksize(inode);
	loff_t block_start = round_down_pow2(pos, block_size);
	loff_t block_end = round_up_pow2(pos + (loff_t) len, block_size);
	size_t from = offset_in_mapping_folio(&inode->i_mapping, pos), to = from + len;
	size_t poff, plen;
	int status;

	if (folio_test_uptodate(folio))
		return 0;

	do {
		iomap_adjust_read_range(inode, folio, &block_start, block_end - block_start, &poff,
					&plen);
		if (plen == 0)
			break;

		/* Unshare copies whole blocks: they must be read, never skipped. */
		if (!(iter->flags & IOMAP_UNSHARE) && (from <= poff || from >= poff + plen) &&
		    (to <= poff || to >= poff + plen))
			continue;

		if (iomap_block_needs_zeroing(iter, block_start)) {
			/* Unshare only visits written sources inside EOF. */
			if (iter->flags & IOMAP_UNSHARE)
				return -EIO;
			/*
			 * The whole run, the copy's part too (the kernel's
			 * folio_zero_segments leaves that part alone): this marks
			 * the run uptodate, and once the folio is wholly uptodate
			 * write_end accepts a short copy, so the bytes the copy
			 * did not reach must read as the zeroes they are, not a
			 * recycled pool slot's old bytes (doc/engine.md, "Folio
			 * memory"; buffer.c's block_write_end zeroes new buffers
			 * after a short copy for the same reason).
			 */
			memset(folio->data + poff, 0, plen);
			atomic_fetch_add(&iomap_stats.folios_zeroed, 1);
			xf_trace("write_zero_blocks", inode->i_ino,
				 folio_pos(folio, inode->i_mapping.pc) + poff, plen, "type=%s",
				 xf_iomap_type_name(srcmap->type));
		} else {
			status = iomap_read_folio_sync(inode, block_start, folio, poff, plen,
						       srcmap);
			if (status)
				return status;
			atomic_fetch_add(&iomap_stats.folios_read, 1);
			xf_trace("write_read_blocks", inode->i_ino,
				 folio_pos(folio, inode->i_mapping.pc) + poff, plen, "type=%s",
				 xf_iomap_type_name(srcmap->type));
		}
		iomap_set_range_uptodate(inode, folio, poff, plen);
	} while ((block_start += (loff_t) plen) < block_end);

	return 0;
}

static void iomap_put_folio(struct folio *folio)
{
	folio_unlock(folio);
	folio_put(folio);
}

/*
 * A write did not fill [pos, pos+len): drop page cache it instantiated past
 * EOF (the kernel's iomap_write_failed -> truncate_pagecache_range).  Holds
 * no invalidate_lock, as in the kernel: the caller's i_rwsem exclusive keeps
 * i_size, and nothing else instantiates folios wholly past EOF.  Faults
 * never get here (their range is inside EOF).
 */
static void iomap_write_failed(struct vfs_inode *inode, unsigned int flags, loff_t pos, size_t len)
{
	loff_t i_size = (loff_t) vfs_i_size_read(inode);
	loff_t end = pos + (loff_t) len;

	if (flags & IOMAP_FAULT)
		return;
	if (end > i_size)
		truncate_inode_pages_range(&inode->i_mapping,
					   (uint64_t) (pos > i_size ? pos : i_size),
					   (uint64_t) end - 1);
}

/*
 * Get the locked folio for [pos, pos+len) and make it ready for the copy.
 * The mapping is validated with the folio locked, before anything of the
 * folio is looked at: on "stale" the folio is released, IOMAP_F_STALE set,
 * and 0 returned with *foliop NULL.
 */
int iomap_write_begin(struct iomap_iter *iter, loff_t pos, size_t len, struct folio **foliop)
{
	struct vfs_inode *inode = iter->inode;
	struct address_space *m = &inode->i_mapping;
	const struct iomap_folio_ops *folio_ops = iter->iomap.folio_ops;
	struct folio *folio;
	size_t fsize = mapping_folio_size(m);
	int status = 0;

	*foliop = NULL;
	/* the race harness's point: buffered writes only (not faults, not zeroing) */
	if ((iter->flags & (IOMAP_WRITE | IOMAP_FAULT)) == IOMAP_WRITE)
		iomap_inject(INJECT_WRITE_BEFORE_FOLIO, inode, pos);

	folio = filemap_grab_folio(m, pos_to_index(m, pos));
	if (!folio)
		return -ENOMEM;

	if (atomic_load(&iomap_tunables.validate) && folio_ops && folio_ops->iomap_valid &&
	    !folio_ops->iomap_valid(inode, &iter->iomap)) {
		iter->iomap.flags |= IOMAP_F_STALE;
		atomic_fetch_add(&iomap_stats.stale_iomaps, 1);
		xf_trace("iomap_stale", inode->i_ino, pos, len,
			 "type=%s map=%lld+%llu cookie=0x%llx",
			 xf_iomap_type_name(iter->iomap.type), (long long) iter->iomap.offset,
			 (unsigned long long) iter->iomap.length,
			 (unsigned long long) iter->iomap.validity_cookie);
		goto out_unlock;
	}

	if (offset_in_mapping_folio(m, pos) + len > fsize)
		len = fsize - offset_in_mapping_folio(m, pos);

	status = __iomap_write_begin(iter, pos, len, folio);
	if (status)
		goto out_unlock;

	*foliop = folio;
	return 0;

out_unlock:
	iomap_put_folio(folio);
	iomap_write_failed(inode, iter->flags, pos, len);
	return status;
}

/*
 * The copy landed: mark the blocks uptodate and dirty.  A short copy into a
 * !uptodate folio is rejected (blocks the copy was to overwrite whole were
 * neither read nor zeroed): the caller retries with the copied length.
 */
static size_t __iomap_write_end(struct vfs_inode *inode, struct iomap_write_ctx *ctx, loff_t pos,
				size_t len, size_t copied, struct folio *folio)
{
	size_t off = offset_in_mapping_folio(&inode->i_mapping, pos);

	if (copied < len && !folio_test_uptodate(folio))
		return 0;
	iomap_set_range_uptodate(inode, folio, off, len);
	iomap_set_range_dirty(inode, folio, off, copied);
	if (copied && filemap_dirty_folio(folio))
		ctx->dirtied = true;
	return copied;
}

/*
 * Finish the folio: dirty it, move the in-memory size past what was written
 * (not for faults: i_size is theirs to respect, not to move), release it.
 */
size_t iomap_write_end(struct iomap_iter *iter, struct iomap_write_ctx *ctx, loff_t pos, size_t len,
		       size_t copied, struct folio *folio)
{
	struct vfs_inode *inode = iter->inode;
	uint64_t old_size = vfs_i_size_read(inode);
	size_t ret;

	ret = __iomap_write_end(inode, ctx, pos, len, copied, folio);
	if (!(iter->flags & IOMAP_FAULT) && (uint64_t) pos + ret > old_size)
		vfs_i_size_write(inode, (uint64_t) pos + ret);
	iomap_put_folio(folio);

	if (ret < len)
		iomap_write_failed(inode, iter->flags, pos + (loff_t) ret, len - ret);
	return ret;
}

/* ---- the user copy (and its short-copy test hook) ---- */

/* How many of @bytes at file offset @pos the caller's buffer yields. */
static size_t iomap_copy_limit(loff_t pos, size_t bytes)
{
	int64_t stop = atomic_load(&iomap_tunables.short_copy_at);

	if (stop < 0 || stop < pos || stop >= pos + (loff_t) bytes)
		return bytes;
	return (size_t) (stop - pos);
}

/* copy_folio_from_iter_atomic: may fall short. */
static size_t iomap_copy_from_user(struct folio *folio, size_t offset,
				   const struct iomap_write_ctx *ctx, loff_t pos, size_t bytes)
{
	size_t n = iomap_copy_limit(pos, bytes);

	memcpy(folio->data + offset, ctx->buf + (pos - ctx->buf_pos), n);
	return n;
}

/* ---- the write actor ---- */

static int64_t iomap_write_iter(struct iomap_iter *iter, struct iomap_write_ctx *ctx)
{
	struct address_space *m = &iter->inode->i_mapping;
	size_t chunk = mapping_folio_size(m);
	loff_t length = (loff_t) iomap_length(iter);
	loff_t pos = iter->pos;
	int64_t written = 0;
	int64_t status = 0;

	do {
		struct folio *folio;
		size_t offset = offset_in_mapping_folio(m, pos);
		size_t bytes = chunk - offset;
		size_t copied;

		if ((loff_t) bytes > ctx->buf_end - pos)
			bytes = (size_t) (ctx->buf_end - pos);
	again:
		if ((loff_t) bytes > length)
			bytes = (size_t) length;

		/* fault_in_iov_iter_readable: nothing at all copyable? */
		if (iomap_copy_limit(pos, bytes) == 0) {
			status = -EFAULT;
			break;
		}

		status = iomap_write_begin(iter, pos, bytes, &folio);
		if (status)
			break;
		if (iter->iomap.flags & IOMAP_F_STALE)
			break;

		copied = iomap_copy_from_user(folio, offset, ctx, pos, bytes);
		if (copied < bytes)
			xf_trace("short_copy", iter->inode->i_ino, pos, bytes, "copied=%zu",
				 copied);
		status = (int64_t) iomap_write_end(iter, ctx, pos, bytes, copied, folio);
		if (status == 0) {
			/* short copy into a !uptodate folio: retry what was copyable */
			if (copied)
				bytes = copied;
			goto again;
		}
		pos += status;
		written += status;
		length -= status;
	} while (pos < ctx->buf_end && length);

	return written ? written : status;
}

void iomap_note_dirtied(struct vfs_inode *inode, const struct iomap_write_ctx *ctx)
{
	void (*hook)(struct vfs_inode *) = iomap_dirty_hook;

	if (ctx->dirtied && hook)
		hook(inode);
}

static ssize_t iomap_write_loop(struct iomap_iter *iter, struct iomap_write_ctx *ctx,
				const struct iomap_ops *ops)
{
	loff_t start = iter->pos;
	int ret;

	while ((ret = iomap_iter(iter, ops)) > 0) {
		if (!(iter->flags & IOMAP_FAULT))
			iomap_inject(INJECT_WRITE_AFTER_BEGIN, iter->inode, iter->pos);
		iter->processed = iomap_write_iter(iter, ctx);
	}
	iomap_note_dirtied(iter->inode, ctx);
	if (iter->len) { /* ended before its end: error, fault, ENOSPC... */
		atomic_fetch_add(&iomap_stats.short_writes, 1);
		xf_trace("short_write", iter->inode->i_ino, iter->pos, iter->len,
			 "start=%lld ret=%d", (long long) start, ret);
	}
	if (iter->pos == start)
		return ret;
	return iter->pos - start;
}

ssize_t iomap_file_buffered_write(struct vfs_inode *inode, const void *buf, size_t len, loff_t pos,
				  const struct iomap_ops *ops)
{
	struct iomap_iter iter = {
		.inode = inode,
		.pos = pos,
		.len = len,
		.flags = IOMAP_WRITE,
	};
	struct iomap_write_ctx ctx = {
		.buf = buf,
		.buf_pos = pos,
		.buf_end = pos + (loff_t) len,
	};

	if (!len)
		return 0;
	xf_trace("write", inode->i_ino, pos, len, "isize=%llu",
		 (unsigned long long) vfs_i_size_read(inode));
	return iomap_write_loop(&iter, &ctx, ops);
}

/*
 * An mmap store (iomap_page_mkwrite semantics).  Locking: the glue holds
 * nothing; we take invalidate_lock shared, which keeps truncate and the
 * delalloc punch of a failed write (both exclusive) out while the store
 * lands.  Stores past EOF are dropped (the kernel's FUSE already clips
 * them); i_size never moves; the filesystem's ->iomap_end sees IOMAP_FAULT
 * and must not punch.  Returns the bytes stored (clipped) or -errno.
 */
ssize_t iomap_fault_write(struct vfs_inode *inode, const void *buf, size_t len, loff_t pos,
			  const struct iomap_ops *ops)
{
	struct iomap_iter iter = {
		.inode = inode,
		.pos = pos,
		.flags = IOMAP_WRITE | IOMAP_FAULT,
	};
	struct iomap_write_ctx ctx = {
		.buf = buf,
		.buf_pos = pos,
	};
	uint64_t isize;
	ssize_t ret = 0;

	filemap_invalidate_lock_shared(inode);
	isize = vfs_i_size_read(inode);
	if (pos < 0 || (uint64_t) pos >= isize || !len)
		goto out_unlock;
	if ((uint64_t) pos + len > isize)
		len = (size_t) (isize - (uint64_t) pos);
	iter.len = len;
	ctx.buf_end = pos + (loff_t) len;
	xf_trace("fault_write", inode->i_ino, pos, len, "isize=%llu", (unsigned long long) isize);
	ret = iomap_write_loop(&iter, &ctx, ops);
out_unlock:
	filemap_invalidate_unlock(inode);
	return ret;
}

/* ---- reads ---- */

/*
 * Fill the blocks of the current mapping that @folio lacks (the kernel's
 * iomap_readpage_iter, with a synchronous pread instead of a bio).
 */
static int64_t iomap_readpage_iter(const struct iomap_iter *iter, struct folio *folio)
{
	const struct iomap *iomap = &iter->iomap;
	loff_t pos = iter->pos;
	loff_t length = (loff_t) iomap_length(iter);
	loff_t orig_pos = pos;
	size_t poff, plen;
	int error;

	iomap_adjust_read_range(iter->inode, folio, &pos, length, &poff, &plen);
	if (plen == 0)
		goto done;

	if (iomap_block_needs_zeroing(iter, pos)) {
		memset(folio->data + poff, 0, plen);
	} else {
		error = iomap_read_folio_sync(iter->inode, pos, folio, poff, plen, iomap);
		if (error)
			return error;
	}
	iomap_set_range_uptodate(iter->inode, folio, poff, plen);
done:
	/* include leading uptodate blocks, leave trailing ones to the next pass */
	return pos - orig_pos + (loff_t) plen;
}

/* Read what a locked folio lacks; the caller unlocks. */
int iomap_read_folio(struct vfs_inode *inode, struct folio *folio, const struct iomap_ops *ops)
{
	struct address_space *m = &inode->i_mapping;
	struct iomap_iter iter = {
		.inode = inode,
		.pos = (loff_t) folio->index << m->pc->folio_shift,
		.len = mapping_folio_size(m),
	};
	int ret;

	while ((ret = iomap_iter(&iter, ops)) > 0)
		iter.processed = iomap_readpage_iter(&iter, folio);
	if (ret == 0)
		atomic_fetch_add(&m->pc->stats.reads, 1);
	return ret;
}

/* Are the blocks under [off, off+len) of @folio all uptodate? */
bool iomap_is_partially_uptodate(struct vfs_inode *inode, struct folio *folio, size_t off,
				 size_t len)
{
	unsigned int first = (unsigned int) (off >> inode->i_blkbits);
	unsigned int last = (unsigned int) ((off + len - 1) >> inode->i_blkbits);
	unsigned int i;

	for (i = first; i <= last; i++)
		if (!ifs_block_is_uptodate(folio, i))
			return false;
	return true;
}

/*
 * The folio at @pos with [pos, pos+len) uptodate, referenced and unlocked
 * (filemap_get_pages / filemap_update_page).  The fill holds the folio lock
 * and invalidate_lock shared, so truncate cannot drop the folio under it.
 */
static struct folio *iomap_get_read_folio(struct vfs_inode *inode, loff_t pos, size_t len,
					  const struct iomap_ops *ops, int *errp)
{
	struct address_space *m = &inode->i_mapping;
	size_t off = offset_in_mapping_folio(m, pos);
	struct folio *folio;
	int error = 0;

	folio = filemap_get_folio(m, pos_to_index(m, pos));
	if (folio && folio_test_uptodate(folio))
		return folio;

	filemap_invalidate_lock_shared(inode);
	if (folio) {
		folio_lock(folio);
		if (!folio->mapping) {
			/* truncated or evicted meanwhile: start over */
			iomap_put_folio(folio);
			folio = NULL;
		}
	}
	if (!folio)
		folio = filemap_grab_folio(m, pos_to_index(m, pos));
	if (!folio) {
		error = -ENOMEM;
		goto out_unlock;
	}
	if (!folio_test_uptodate(folio) && !iomap_is_partially_uptodate(inode, folio, off, len))
		error = iomap_read_folio(inode, folio, ops);
	folio_unlock(folio);
	if (error) {
		folio_put(folio);
		folio = NULL;
	}
out_unlock:
	filemap_invalidate_unlock(inode);
	*errp = error;
	return folio;
}

/* Is the folio at @pos in the cache and wholly uptodate? */
static bool iomap_folio_cached_uptodate(struct address_space *m, loff_t pos)
{
	struct folio *folio = filemap_get_folio(m, pos_to_index(m, pos));
	bool uptodate = folio && folio_test_uptodate(folio);

	if (folio)
		folio_put(folio);
	return uptodate;
}

struct folio *iomap_read_folio_at(struct vfs_inode *inode, loff_t pos, size_t left, size_t *np,
				  const struct iomap_ops *ops, int *errp)
{
	struct address_space *m = &inode->i_mapping;
	size_t n = mapping_folio_size(m) - offset_in_mapping_folio(m, pos);
	struct folio *folio;
	uint64_t isize;

	*errp = 0;
	if (n > left)
		n = left;
	if ((uint64_t) pos >= vfs_i_size_read(inode))
		return NULL;
	/*
	 * Fill the rest of the request in batches first; an error is left to
	 * the single-folio fill below, which reads again and reports it (the
	 * kernel's filemap_read_folio after readahead).
	 */
	if (!iomap_folio_cached_uptodate(m, pos))
		(void) iomap_readahead(inode, pos, left, ops);
	folio = iomap_get_read_folio(inode, pos, n, ops, errp);
	if (!folio)
		return NULL;
	/* the size may have changed while we filled the folio */
	isize = vfs_i_size_read(inode);
	if ((uint64_t) pos >= isize) {
		folio_put(folio);
		return NULL;
	}
	if ((uint64_t) pos + n > isize)
		n = (size_t) (isize - (uint64_t) pos);
	*np = n;
	return folio;
}

ssize_t iomap_file_buffered_read(struct vfs_inode *inode, void *buf, size_t len, loff_t pos,
				 const struct iomap_ops *ops)
{
	struct address_space *m = &inode->i_mapping;
	size_t done = 0;
	int error = 0;

	if (pos < 0)
		return -EINVAL;
	while (done < len) {
		size_t n, off = offset_in_mapping_folio(m, pos);
		struct folio *folio = iomap_read_folio_at(inode, pos, len - done, &n, ops, &error);

		if (!folio)
			break;
		/*
		 * The copy holds the folio lock, which every writer holds while
		 * it changes folio data: a FUSE page-cache fill takes no i_rwsem
		 * (as a kernel readahead fill takes none), so without the lock it
		 * could hand the kernel half of a racing write or truncate-zeroing.
		 * The kernel's own copy_folio_to_iter needs no lock: it runs under
		 * i_rwsem shared, and its fills read into a locked folio.
		 */
		folio_lock(folio);
		memcpy((char *) buf + done, folio->data + off, n);
		folio_unlock(folio);
		folio_mark_accessed(folio);
		folio_put(folio);
		done += n;
		pos += (loff_t) n;
	}
	return done ? (ssize_t) done : error;
}

/* ---- zeroing ---- */

static int64_t iomap_zero_iter(struct iomap_iter *iter, struct iomap_write_ctx *ctx, bool *did_zero)
{
	const struct iomap *srcmap = iomap_iter_srcmap(iter);
	struct address_space *m = &iter->inode->i_mapping;
	loff_t pos = iter->pos;
	loff_t length = (loff_t) iomap_length(iter);
	int64_t written = 0;

	/* already zeroed?  we're done. */
	if (srcmap->type == IOMAP_HOLE || srcmap->type == IOMAP_UNWRITTEN)
		return length;

	do {
		struct folio *folio;
		size_t offset = offset_in_mapping_folio(m, pos);
		size_t bytes = mapping_folio_size(m) - offset;
		int status;

		if ((loff_t) bytes > length)
			bytes = (size_t) length;
		status = iomap_write_begin(iter, pos, bytes, &folio);
		if (status)
			return status;
		if (iter->iomap.flags & IOMAP_F_STALE)
			break;

		memset(folio->data + offset, 0, bytes);
		folio_mark_accessed(folio);

		bytes = iomap_write_end(iter, ctx, pos, bytes, bytes, folio);
		if (bytes == 0)
			return -EIO;
		pos += (loff_t) bytes;
		length -= (loff_t) bytes;
		written += (int64_t) bytes;
	} while (length > 0);

	if (did_zero)
		*did_zero = true;
	return written;
}

int iomap_zero_range(struct vfs_inode *inode, loff_t pos, loff_t len, bool *did_zero,
		     const struct iomap_ops *ops)
{
	struct iomap_iter iter = {
		.inode = inode,
		.pos = pos,
		.len = (uint64_t) len,
		.flags = IOMAP_ZERO,
	};
	struct iomap_write_ctx ctx = {0};
	int ret;

	if (len <= 0)
		return 0;
	while ((ret = iomap_iter(&iter, ops)) > 0)
		iter.processed = iomap_zero_iter(&iter, &ctx, did_zero);
	iomap_note_dirtied(inode, &ctx);
	return ret;
}

int iomap_truncate_page(struct vfs_inode *inode, loff_t pos, bool *did_zero,
			const struct iomap_ops *ops)
{
	unsigned int blocksize = i_blocksize(inode);
	unsigned int off = (unsigned int) (pos & (blocksize - 1));

	/* Block boundary?  Nothing to do */
	if (!off)
		return 0;
	return iomap_zero_range(inode, pos, blocksize - off, did_zero, ops);
}
