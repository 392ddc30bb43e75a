// SPDX-License-Identifier: GPL-2.0
/*
 * copy_file_range on the mount: what the kernel's vfs_copy_file_range does
 * for a local XFS, whose ->remap_file_range shares blocks (doc/reflink.md).
 *
 * Linux's FUSE sends COPY_FILE_RANGE for two files of the same mount and
 * never a clone (FICLONE does not reach a FUSE server), so this is the one
 * way to make sharing from the mount.  As the VFS does with
 * REMAP_FILE_CAN_SHORTEN, block-aligned offsets share whole blocks (and the
 * source's EOF block when the copy reaches the source's EOF and the
 * destination's); whatever cannot be shared -- unaligned offsets, a
 * sub-block tail, an image without the reflink feature -- is copied through
 * the page cache, as do_splice_direct would.  We must never answer ENOSYS
 * or EOPNOTSUPP: the kernel would stop sending COPY_FILE_RANGE for good.
 */
#include "copy_range.h"

#include <errno.h>
#include <stdlib.h>

#include "xfs_iomap.h"

#define XF_COPY_CHUNK (1024 * 1024)

/*
 * How much of [pos_in, +len) can be shared: 0, whole blocks, or up to the
 * source's EOF block when the copy ends at both files' EOF.  *size_len:
 * the bytes that count for the destination's size.
 */
static uint64_t xf_shareable(struct xf_engine *e, struct xb_inode *src, uint64_t pos_in,
			     struct xb_inode *dst, uint64_t pos_out, uint64_t len,
			     uint64_t *size_len)
{
	struct vfs_inode *vs = xb_vfs_inode(src), *vd = xb_vfs_inode(dst);
	uint64_t bs = xb_blocksize(e->m), src_size, end;

	*size_len = 0;
	if (!vs || !vd || !e->running || !xfs_reflink_supported(e->m))
		return 0;
	if (pos_in % bs || pos_out % bs)
		return 0;
	src_size = vfs_i_size_read(vs);
	if (pos_in >= src_size)
		return 0;
	if (len > src_size - pos_in)
		len = src_size - pos_in;
	end = pos_in + len;
	if (end == src_size && pos_out + len >= vfs_i_size_read(vd)) {
		*size_len = len;
		return (len + bs - 1) / bs * bs;
	}
	*size_len = len / bs * bs;
	return *size_len;
}

/* do_splice_direct's part: copy through the page cache. */
static ssize_t xf_copy_data(struct xf_engine *e, struct xb_inode *src, uint64_t pos_in,
			    struct xb_inode *dst, uint64_t pos_out, size_t len)
{
	size_t chunk = len < XF_COPY_CHUNK ? len : XF_COPY_CHUNK;
	char *buf = malloc(chunk ? chunk : 1);
	size_t copied = 0;
	ssize_t err = 0;

	if (!buf)
		return -ENOMEM;
	while (copied < len) {
		size_t want = len - copied < chunk ? len - copied : chunk;
		ssize_t n = xf_file_read(e, src, buf, want, (off_t) (pos_in + copied), false);
		ssize_t w;

		if (n <= 0) {
			err = n;
			break;
		}
		w = xf_file_write(e, dst, buf, (size_t) n, (off_t) (pos_out + copied), false);
		if (w < 0) {
			err = w;
			break;
		}
		copied += (size_t) w;
		if (w < n)
			break;
	}
	free(buf);
	return copied ? (ssize_t) copied : err;
}

ssize_t xf_file_copy_range(struct xf_engine *e, struct xb_inode *src, uint64_t pos_in,
			   struct xb_inode *dst, uint64_t pos_out, size_t len)
{
	uint64_t size_len, shared;
	ssize_t n;
	int error;

	if (src == dst && pos_in < pos_out + len && pos_out < pos_in + len)
		return -EINVAL; /* generic_copy_file_checks: no overlap in one file */
	shared = xf_shareable(e, src, pos_in, dst, pos_out, len, &size_len);
	if (shared) {
		error = xf_file_remap_range(e, src, pos_in, dst, pos_out, shared, size_len);
		if (!error && size_len == len)
			return (ssize_t) len;
		if (!error) {
			pos_in += size_len;
			pos_out += size_len;
			len -= size_len;
		} else if (error != -EOPNOTSUPP && error != -ENOSPC) {
			return error;
		} else {
			size_len = 0; /* could not share: copy it all */
		}
	} else {
		size_len = 0;
	}
	n = xf_copy_data(e, src, pos_in, dst, pos_out, len);
	if (n < 0)
		return size_len ? (ssize_t) size_len : n;
	return (ssize_t) size_len + n;
}
