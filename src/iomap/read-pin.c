// SPDX-License-Identifier: GPL-2.0
/*
 * Zero-copy buffered reads for FUSE replies (doc/engine.md "Zero-copy read
 * replies"): instead of copying the folios of a READ into a buffer that is
 * then copied into the kernel, the reply is written straight from the
 * folios (fuse_reply_iov), with every folio of it locked, so that the
 * kernel's copy is the one the folio lock protects (the rule of
 * iomap_file_buffered_read: no racing write or truncate-zeroing may show
 * through half done).
 *
 * Two phases, because a fill takes invalidate_lock, which ranks above the
 * folio lock: iomap_read_pin fills and references the folios with no lock
 * held between folios (as the copying read does); iomap_read_pin_lock then
 * locks them all, in ascending index order, and checks that each is still
 * cached and uptodate over its part (truncate or reclaim may have struck in
 * between; the caller then copies instead).
 *
 * Several blocking folio locks at once, in index order: safe because no
 * thread waits for a folio lock while holding one of a higher index
 * (writeback, truncate and writes hold one at a time; readahead batches
 * only trylock what they did not create; reclaim only trylocks), and
 * nothing waited for under them needs a folio lock (the write of the reply
 * to /dev/fuse copies into the kernel's own locked pages and returns).
 */
#include <errno.h>

#include "iomap_internal.h"

void iomap_read_unpin(struct iomap_read_pins *pins)
{
	unsigned int i;

	for (i = 0; i < pins->nr; i++) {
		if (i < pins->nr_locked)
			folio_unlock(pins->folio[i]);
		folio_put(pins->folio[i]);
	}
	pins->nr = pins->nr_locked = pins->nr_iov = 0;
}

ssize_t iomap_read_pin(struct vfs_inode *inode, size_t len, loff_t pos, const struct iomap_ops *ops,
		       struct iomap_read_pins *pins)
{
	struct address_space *m = &inode->i_mapping;
	size_t done = 0;
	int error = 0;

	pins->nr = pins->nr_locked = pins->nr_iov = 0;
	if (pos < 0)
		return -EINVAL;
	while (done < len) {
		size_t n, off = offset_in_mapping_folio(m, pos);
		struct folio *folio;

		if (pins->nr == IOMAP_MAX_LOCKED_FOLIOS) {
			iomap_read_unpin(pins);
			return -EAGAIN;
		}
		folio = iomap_read_folio_at(inode, pos, len - done, &n, ops, &error);
		if (!folio)
			break;
		folio_mark_accessed(folio);
		pins->folio[pins->nr] = folio;
		pins->iov[pins->nr].iov_base = folio->data + off;
		pins->iov[pins->nr].iov_len = n;
		pins->nr++;
		done += n;
		pos += (loff_t) n;
	}
	pins->nr_iov = pins->nr;
	pins->pos = pos - (loff_t) done;
	return done ? (ssize_t) done : error;
}

/* Is pinned folio @i still cached and uptodate under its iovec? */
static bool iomap_pin_valid(struct vfs_inode *inode, const struct iomap_read_pins *pins,
			    unsigned int i)
{
	struct folio *folio = pins->folio[i];
	size_t off = (size_t) ((char *) pins->iov[i].iov_base - folio->data);

	if (folio->mapping != &inode->i_mapping)
		return false;
	return folio_test_uptodate(folio) ||
	       iomap_is_partially_uptodate(inode, folio, off, pins->iov[i].iov_len);
}

ssize_t iomap_read_pin_lock(struct vfs_inode *inode, struct iomap_read_pins *pins)
{
	uint64_t isize, pos = (uint64_t) pins->pos;
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < pins->nr; i++) {
		folio_lock(pins->folio[i]);
		pins->nr_locked = i + 1;
		if (!iomap_pin_valid(inode, pins, i))
			return -EAGAIN;
	}
	/* a truncate may have shrunk the file since the fill: clip, as a copy would */
	isize = vfs_i_size_read(inode);
	for (i = 0; i < pins->nr_iov; i++) {
		size_t n = pins->iov[i].iov_len;

		if (pos + done >= isize)
			break;
		if (pos + done + n > isize)
			pins->iov[i].iov_len = n = (size_t) (isize - pos - done);
		done += n;
	}
	pins->nr_iov = i;
	return (ssize_t) done;
}
