// SPDX-License-Identifier: GPL-2.0
/*
 * Unsharing through the page cache: fs/iomap/buffered-io.c
 * iomap_file_unshare.  Each folio over a shared written extent is brought
 * uptodate from the shared blocks and dirtied without a byte changing; the
 * filesystem's writeback then puts it in blocks of the file's own (the COW
 * fork: doc/reflink.md) and remaps them.  The copy is writeback's: this
 * file only makes the folios dirty.
 */
#include <errno.h>

#include "iomap_internal.h"
#include "trace.h"

/*
 * Is the current mapping worth unsharing?  Only blocks the filesystem says
 * are shared, and whose source holds data: a hole or an unwritten source
 * reads as zeroes wherever it lives.
 */
static bool iomap_want_unshare_iter(const struct iomap_iter *iter)
{
	const struct iomap *srcmap = iomap_iter_srcmap(iter);

	return (iter->iomap.flags & IOMAP_F_SHARED) && srcmap->type == IOMAP_MAPPED;
}

static int64_t iomap_unshare_iter(struct iomap_iter *iter, struct iomap_write_ctx *ctx)
{
	struct address_space *m = &iter->inode->i_mapping;
	loff_t pos = iter->pos;
	loff_t length = (loff_t) iomap_length(iter);
	int64_t written = 0;

	if (!iomap_want_unshare_iter(iter))
		return length;
	do {
		size_t bytes = mapping_folio_size(m) - offset_in_mapping_folio(m, pos);
		struct folio *folio;
		int status;

		if ((loff_t) bytes > length)
			bytes = (size_t) length;
		status = iomap_write_begin(iter, pos, bytes, &folio);
		if (status)
			return status;
		if (iter->iomap.flags & IOMAP_F_STALE)
			break;
		folio_mark_accessed(folio);
		bytes = iomap_write_end(iter, ctx, pos, bytes, bytes, folio);
		if (bytes == 0)
			return -EIO;
		pos += (loff_t) bytes;
		length -= (loff_t) bytes;
		written += (int64_t) bytes;
	} while (length > 0);
	return written;
}

int iomap_file_unshare(struct vfs_inode *inode, loff_t pos, loff_t len, const struct iomap_ops *ops)
{
	struct iomap_iter iter = {
		.inode = inode,
		.pos = pos,
		.flags = IOMAP_WRITE | IOMAP_UNSHARE,
	};
	struct iomap_write_ctx ctx = {0};
	loff_t size = (loff_t) vfs_i_size_read(inode);
	int ret;

	if (pos < 0 || pos >= size || len <= 0)
		return 0;
	if (len > size - pos)
		len = size - pos;
	iter.len = (uint64_t) len;
	xf_trace("unshare", inode->i_ino, pos, (uint64_t) len, "isize=%lld", (long long) size);
	while ((ret = iomap_iter(&iter, ops)) > 0)
		iter.processed = iomap_unshare_iter(&iter, &ctx);
	iomap_note_dirtied(inode, &ctx);
	return ret;
}
