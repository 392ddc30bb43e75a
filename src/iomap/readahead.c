// SPDX-License-Identifier: GPL-2.0
/*
 * Batched cache fills: the kernel's iomap_readahead (fs/iomap/buffered-io.c)
 * with preadv of the image in place of bios (doc/engine.md "Batched read
 * fills").  A FUSE READ of 128 KiB over 4 KiB folios used to cost 32
 * preads; here the folios it lacks are locked as one batch and every run of
 * them contiguous in the image is read with one preadv.
 *
 * Locks: invalidate_lock shared for the whole call (truncate and punch,
 * exclusive, cannot remove a folio of the batch or change the extents
 * under it); the folio locks of one batch, all held together across
 * ->iomap_begin (folio lock -> ILOCK, as the kernel's readahead) and the
 * I/O.  No folio lock is ever waited for while others are held: existing
 * folios are only trylocked, new ones are created locked, so two batches
 * (or a batch and writeback, which locks in index order) cannot deadlock.
 *
 * The rules of the single-folio fill are kept: a block is marked uptodate
 * only once every byte of it was read or zeroed (zeroed blocks at once,
 * read ones when their preadv succeeded); a failed preadv marks none of its
 * blocks, and the caller's per-folio fill reads them again and reports the
 * error.  Reads do not validate the mapping (the kernel's read path has no
 * ->iomap_valid): the folios are locked and not uptodate, so no dirty data
 * of theirs can have been written back under the mapping.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "iomap_internal.h"
#include "trace.h"

/* A batch's bound: 1 MiB of 4 KiB folios, the largest FUSE READ (iomap.h). */
#define RA_MAX_FOLIOS IOMAP_MAX_LOCKED_FOLIOS
/* iovecs of one preadv; IOV_MAX is 1024. */
#define RA_MAX_IOV 256

/* Blocks of one folio waiting in the preadv being built. */
struct ra_run {
	struct folio *folio;
	size_t off, len;
};

/* A batch of locked folios and the preadv being built (the kernel's bio). */
struct ra_ctx {
	struct vfs_inode *inode;
	struct folio *folios[RA_MAX_FOLIOS];
	unsigned int nr_folios;
	uint64_t first_index;
	struct iovec iov[RA_MAX_IOV];
	struct ra_run run[RA_MAX_IOV];
	unsigned int nr_iov;
	uint64_t addr; /* image offset of iov[0] */
	uint64_t next; /* image offset just past the last iovec */
};

/*
 * preadv all of it or fail: a short read of the image is an I/O error.
 * Consumes @iov (the single-folio fill in buffered-io.c uses it too).
 */
int iomap_preadv_all(int fd, struct iovec *iov, int cnt, uint64_t addr)
{
	while (cnt) {
		ssize_t n = preadv(fd, iov, cnt, (off_t) addr);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		addr += (uint64_t) n;
		while (cnt && (size_t) n >= iov->iov_len) {
			n -= (ssize_t) iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (char *) iov->iov_base + n;
			iov->iov_len -= (size_t) n;
		}
	}
	return 0;
}

/* Read what is pending; its blocks become uptodate only if all of it came. */
static int ra_submit(struct ra_ctx *ctx)
{
	struct vfs_inode *inode = ctx->inode;
	unsigned int i, nr = ctx->nr_iov;
	int error;

	if (!nr)
		return 0;
	ctx->nr_iov = 0;
	error = iomap_preadv_all(inode->bdev_fd, ctx->iov, (int) nr, ctx->addr);
	atomic_fetch_add(&iomap_stats.read_preadvs, 1);
	if (error) {
		xf_trace("read_batch_error", inode->i_ino,
			 folio_pos(ctx->run[0].folio, inode->i_mapping.pc), ctx->next - ctx->addr,
			 "addr=%llu error=%d", (unsigned long long) ctx->addr, error);
		return error;
	}
	for (i = 0; i < nr; i++)
		iomap_set_range_uptodate(inode, ctx->run[i].folio, ctx->run[i].off,
					 ctx->run[i].len);
	return 0;
}

/* Queue blocks for the preadv; one not contiguous in the image starts another. */
static int ra_add(struct ra_ctx *ctx, struct folio *folio, size_t off, size_t len, uint64_t addr)
{
	unsigned int n;
	int error;

	if (ctx->nr_iov && (addr != ctx->next || ctx->nr_iov == RA_MAX_IOV)) {
		error = ra_submit(ctx);
		if (error)
			return error;
	}
	if (!ctx->nr_iov)
		ctx->addr = addr;
	n = ctx->nr_iov++;
	ctx->iov[n].iov_base = folio->data + off;
	ctx->iov[n].iov_len = len;
	ctx->run[n] = (struct ra_run){.folio = folio, .off = off, .len = len};
	ctx->next = addr + len;
	return 0;
}

/*
 * The first run of !uptodate blocks of the folio at @pos: zero it, or queue
 * it for the preadv (iomap_readpage_iter's decisions).  Returns the bytes
 * consumed: the leading uptodate blocks and the run.
 */
static int64_t ra_folio_iter(const struct iomap_iter *iter, struct ra_ctx *ctx, loff_t pos,
			     loff_t length)
{
	struct vfs_inode *inode = iter->inode;
	const struct iomap *iomap = &iter->iomap;
	struct folio *folio = ctx->folios[pos_to_index(&inode->i_mapping, pos) - ctx->first_index];
	loff_t orig_pos = pos;
	size_t poff, plen;
	int error;

	iomap_adjust_read_range(inode, folio, &pos, length, &poff, &plen);
	if (plen == 0)
		goto done;
	if (iomap_block_needs_zeroing(iter, pos)) {
		memset(folio->data + poff, 0, plen);
		iomap_set_range_uptodate(inode, folio, poff, plen);
	} else {
		if (iomap->addr == IOMAP_NULL_ADDR)
			return -EIO;
		error = ra_add(ctx, folio, poff, plen,
			       iomap->addr + (uint64_t) (pos - iomap->offset));
		if (error)
			return error;
	}
done:
	return pos - orig_pos + (loff_t) plen;
}

/* One mapping: every folio of the batch it covers, then its I/O. */
static int64_t ra_iter(const struct iomap_iter *iter, struct ra_ctx *ctx)
{
	loff_t length = (loff_t) iomap_length(iter);
	loff_t done = 0;
	int error;

	while (done < length) {
		int64_t ret = ra_folio_iter(iter, ctx, iter->pos + done, length - done);

		if (ret < 0)
			return ret;
		done += ret;
	}
	error = ra_submit(ctx);
	return error ? error : done;
}

static int ra_fill_batch(struct ra_ctx *ctx, const struct iomap_ops *ops)
{
	struct address_space *m = &ctx->inode->i_mapping;
	struct iomap_iter iter = {
		.inode = ctx->inode,
		.pos = (loff_t) (ctx->first_index << m->pc->folio_shift),
		.len = (uint64_t) ctx->nr_folios << m->pc->folio_shift,
	};
	int ret;

	ctx->nr_iov = 0;
	while ((ret = iomap_iter(&iter, ops)) > 0)
		iter.processed = ra_iter(&iter, ctx);
	ctx->nr_iov = 0; /* what an error left unsubmitted stays !uptodate */
	if (ret == 0)
		atomic_fetch_add(&m->pc->stats.reads, ctx->nr_folios);
	xf_trace("read_batch", ctx->inode->i_ino, iter.pos,
		 (uint64_t) ctx->nr_folios << m->pc->folio_shift, "folios=%u ret=%d",
		 ctx->nr_folios, ret);
	return ret;
}

/*
 * The folio at @index for a batch, locked and !uptodate: 0; 1 to skip it
 * (uptodate, or another thread holds it: that one fills it); -ENOMEM.
 */
static int ra_grab_one(struct address_space *m, uint64_t index, struct folio **fp)
{
	struct folio *f = filemap_get_folio(m, index);
	int error;

	if (!f) {
		*fp = filemap_create_folio(m, index, &error);
		if (*fp)
			return 0;
		return error == -EEXIST ? 1 : error;
	}
	if (!folio_test_uptodate(f) && folio_trylock(f)) {
		if (f->mapping == m && !folio_test_uptodate(f)) {
			*fp = f;
			return 0;
		}
		folio_unlock(f);
	}
	folio_put(f);
	return 1;
}

/*
 * Lock the next run of folios to fill from *index (at most @max, before
 * @end).  A folio to skip ends the run; if it is the first, it is passed
 * over and the run is empty.  Returns 0 or -ENOMEM.
 */
static int ra_grab_batch(struct address_space *m, uint64_t *index, uint64_t end, struct ra_ctx *ctx,
			 unsigned int max)
{
	ctx->nr_folios = 0;
	ctx->first_index = *index;
	while (*index < end && ctx->nr_folios < max) {
		struct folio *f;
		int ret = ra_grab_one(m, *index, &f);

		if (ret < 0)
			return ret;
		if (ret > 0) {
			if (!ctx->nr_folios)
				(*index)++;
			break;
		}
		ctx->folios[ctx->nr_folios++] = f;
		(*index)++;
	}
	return 0;
}

static void ra_release(struct ra_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_folios; i++) {
		folio_unlock(ctx->folios[i]);
		folio_put(ctx->folios[i]);
	}
	ctx->nr_folios = 0;
}

/* Folios per batch: RA_MAX_FOLIOS, but never more than 1/8 of the cache. */
static unsigned int ra_max_folios(const struct address_space *m)
{
	uint64_t n = m->pc->limit_bytes / m->pc->folio_size / 8;

	if (n < 1)
		return 1;
	return n < RA_MAX_FOLIOS ? (unsigned int) n : RA_MAX_FOLIOS;
}

int iomap_readahead(struct vfs_inode *inode, loff_t pos, size_t len, const struct iomap_ops *ops)
{
	struct address_space *m = &inode->i_mapping;
	struct ra_ctx ctx = {.inode = inode};
	unsigned int max = ra_max_folios(m);
	uint64_t isize, end, index;
	int error = 0;

	if (pos < 0 || !len)
		return 0;
	filemap_invalidate_lock_shared(inode);
	/* under invalidate_lock: a truncate cannot shrink the file meanwhile */
	isize = vfs_i_size_read(inode);
	end = (uint64_t) pos + len < isize ? (uint64_t) pos + len : isize;
	end = (end + m->pc->folio_size - 1) >> m->pc->folio_shift;
	index = pos_to_index(m, pos);
	while (!error && index < end) {
		error = ra_grab_batch(m, &index, end, &ctx, max);
		if (ctx.nr_folios) {
			int ret = ra_fill_batch(&ctx, ops);

			ra_release(&ctx);
			if (!error)
				error = ret;
		}
	}
	filemap_invalidate_unlock(inode);
	return error;
}
