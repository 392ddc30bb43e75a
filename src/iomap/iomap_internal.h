/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the files of src/iomap (the kernel keeps them in
 * include/linux/iomap.h and fs/iomap/buffered-io.c).  Not for other modules.
 */
#ifndef XFSFUSE_IOMAP_INTERNAL_H
#define XFSFUSE_IOMAP_INTERNAL_H

#include "iomap.h"

/*
 * Bytes of the current mapping left to act on (the kernel's iomap_length):
 * the end of the destination, and of the COW source if there is one -- a
 * COW extent may reach past the source extent it copies from.
 */
static inline uint64_t iomap_length(const struct iomap_iter *iter)
{
	uint64_t end = (uint64_t) (iter->iomap.offset + (loff_t) iter->iomap.length);
	uint64_t src_end = (uint64_t) (iter->srcmap.offset + (loff_t) iter->srcmap.length);

	if (iter->srcmap.type != IOMAP_HOLE && src_end < end)
		end = src_end;

	if (end - (uint64_t) iter->pos < iter->len)
		return end - (uint64_t) iter->pos;
	return iter->len;
}

/* The mapping data comes from: the COW source if there is one. */
static inline const struct iomap *iomap_iter_srcmap(const struct iomap_iter *iter)
{
	if (iter->srcmap.type != IOMAP_HOLE)
		return &iter->srcmap;
	return &iter->iomap;
}

static inline unsigned int i_blocksize(const struct vfs_inode *inode)
{
	return 1U << inode->i_blkbits;
}

static inline size_t mapping_folio_size(const struct address_space *m)
{
	return m->pc->folio_size;
}

static inline unsigned int mapping_folio_size_shift(const struct address_space *m)
{
	return m->pc->folio_shift;
}

static inline uint64_t pos_to_index(const struct address_space *m, loff_t pos)
{
	return (uint64_t) pos >> m->pc->folio_shift;
}

static inline size_t offset_in_mapping_folio(const struct address_space *m, loff_t pos)
{
	return (size_t) pos & (m->pc->folio_size - 1);
}

static inline loff_t round_down_pow2(loff_t x, uint64_t align)
{
	return x & ~(loff_t) (align - 1);
}

static inline loff_t round_up_pow2(loff_t x, uint64_t align)
{
	return (x + (loff_t) align - 1) & ~(loff_t) (align - 1);
}

/* What a write copies from, and what it did (the kernel's iov_iter). */
struct iomap_write_ctx {
	const char *buf; /* the caller's data */
	loff_t buf_pos;	 /* file offset of buf[0] */
	loff_t buf_end;	 /* file offset just past the data */
	bool dirtied;	 /* some clean folio was dirtied */
};

/*
 * buffered-io.c's write_begin / write_end, for the other writers of folios
 * (unshare.c): the folio locked and validated (*foliop NULL and
 * IOMAP_F_STALE set if the mapping went stale); then marked uptodate and
 * dirty over [pos, pos+copied), unlocked and released.
 */
int iomap_write_begin(struct iomap_iter *iter, loff_t pos, size_t len, struct folio **foliop);
size_t iomap_write_end(struct iomap_iter *iter, struct iomap_write_ctx *ctx, loff_t pos, size_t len,
		       size_t copied, struct folio *folio);
/* The dirty hook, once, if a write dirtied some clean folio. */
void iomap_note_dirtied(struct vfs_inode *inode, const struct iomap_write_ctx *ctx);

/*
 * buffered-io.c's read-fill rules, shared with readahead.c: zero rather
 * than read the block at @pos (not MAPPED, F_NEW, or past EOF)?  The first
 * run of !uptodate blocks of @folio within [*pos, *pos+length), as folio
 * offset and length (0: none), *pos moved past the leading uptodate ones.
 * Mark the blocks under [off, off+len) uptodate (after filling all of them).
 */
bool iomap_block_needs_zeroing(const struct iomap_iter *iter, loff_t pos);
void iomap_adjust_read_range(struct vfs_inode *inode, struct folio *folio, loff_t *pos,
			     loff_t length, size_t *offp, size_t *lenp);
void iomap_set_range_uptodate(struct vfs_inode *inode, struct folio *folio, size_t off, size_t len);

/* Are the blocks under [off, off+len) of @folio all uptodate? */
bool iomap_is_partially_uptodate(struct vfs_inode *inode, struct folio *folio, size_t off,
				 size_t len);
/*
 * One step of a buffered read at @pos with @left bytes to go: the folio
 * there, referenced and unlocked, uptodate over its first *np bytes from
 * @pos (clipped to the folio and to i_size); filled first if need be
 * (batched: iomap_readahead).  NULL at EOF (*errp 0) or on error.
 */
struct folio *iomap_read_folio_at(struct vfs_inode *inode, loff_t pos, size_t left, size_t *np,
				  const struct iomap_ops *ops, int *errp);

/* buffered-io.c: read the missing blocks of a locked folio (its cache fill). */
int iomap_read_folio(struct vfs_inode *inode, struct folio *folio, const struct iomap_ops *ops);

struct iovec;
/* preadv of the image, all of it or an error (readahead.c). */
int iomap_preadv_all(int fd, struct iovec *iov, int cnt, uint64_t addr);

#endif
