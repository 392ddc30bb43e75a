// SPDX-License-Identifier: GPL-2.0
/*
 * SEEK_HOLE / SEEK_DATA: fs/iomap/seek.c.  The filesystem reports mappings
 * with IOMAP_REPORT (no allocation).  HOLE is a hole; MAPPED and DELALLOC
 * are data (XFS reports delalloc as data: it will be written); over
 * UNWRITTEN the page cache decides -- dirty or uptodate cached blocks are
 * data, the rest reads as zeroes and is a hole (mapping_seek_hole_data).
 * The caller holds i_rwsem shared, as the kernel's xfs_seek_iomap_begin's
 * caller does (ILOCK shared inside).
 */
#include <errno.h>

#include "iomap_internal.h"

static int64_t iomap_seek_hole_iter(const struct iomap_iter *iter, loff_t *hole_pos)
{
	loff_t length = (loff_t) iomap_length(iter);
	struct address_space *m = &iter->inode->i_mapping;

	switch (iter->iomap.type) {
	case IOMAP_UNWRITTEN:
		*hole_pos = (loff_t) mapping_seek_hole_range(m, (uint64_t) iter->pos,
							     (uint64_t) (iter->pos + length), true);
		if (*hole_pos == iter->pos + length)
			return length;
		return 0;
	case IOMAP_HOLE:
		*hole_pos = iter->pos;
		return 0;
	default:
		return length;
	}
}

loff_t iomap_seek_hole(struct vfs_inode *inode, loff_t pos, const struct iomap_ops *ops)
{
	loff_t size = (loff_t) vfs_i_size_read(inode);
	struct iomap_iter iter = {
		.inode = inode,
		.pos = pos,
		.flags = IOMAP_REPORT,
	};
	int ret;

	/* Nothing to be found before or beyond the end of the file. */
	if (pos < 0 || pos >= size)
		return -ENXIO;

	iter.len = (uint64_t) (size - pos);
	while ((ret = iomap_iter(&iter, ops)) > 0)
		iter.processed = iomap_seek_hole_iter(&iter, &pos);
	if (ret < 0)
		return ret;
	if (iter.len) /* found hole before EOF */
		return pos;
	return size;
}

static int64_t iomap_seek_data_iter(const struct iomap_iter *iter, loff_t *hole_pos)
{
	loff_t length = (loff_t) iomap_length(iter);
	struct address_space *m = &iter->inode->i_mapping;

	switch (iter->iomap.type) {
	case IOMAP_HOLE:
		return length;
	case IOMAP_UNWRITTEN:
		*hole_pos = (loff_t) mapping_seek_data_range(m, (uint64_t) iter->pos,
							     (uint64_t) (iter->pos + length), true);
		if (*hole_pos < 0)
			return length;
		return 0;
	default:
		*hole_pos = iter->pos;
		return 0;
	}
}

loff_t iomap_seek_data(struct vfs_inode *inode, loff_t pos, const struct iomap_ops *ops)
{
	loff_t size = (loff_t) vfs_i_size_read(inode);
	struct iomap_iter iter = {
		.inode = inode,
		.pos = pos,
		.flags = IOMAP_REPORT,
	};
	int ret;

	/* Nothing to be found before or beyond the end of the file. */
	if (pos < 0 || pos >= size)
		return -ENXIO;

	iter.len = (uint64_t) (size - pos);
	while ((ret = iomap_iter(&iter, ops)) > 0)
		iter.processed = iomap_seek_data_iter(&iter, &pos);
	if (ret < 0)
		return ret;
	if (iter.len) /* found data before EOF */
		return pos;
	/* We've reached the end of the file without finding data */
	return -ENXIO;
}
