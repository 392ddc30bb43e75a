// SPDX-License-Identifier: GPL-2.0
/*
 * Ioends: a run of blocks contiguous in the file and on the image, with one
 * mapping type, and the folio segments that hold its data -- the kernel's
 * struct iomap_ioend with its bio (fs/iomap/buffered-io.c: iomap_alloc_ioend,
 * iomap_finish_ioend, iomap_finish_folio_write).
 *
 * Folio accounting.  Every segment holds one folio reference and one count
 * of folio->wb_pending; iomap_writepage_map holds one more (a bias) while it
 * builds the folio's segments.  Whoever drops wb_pending to zero ends the
 * folio's writeback, so a folio split over several ioends stays under
 * writeback until the last of them has completed (->end_io included).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "trace.h"
#include "wb_internal.h"

static unsigned int iomap_ioend_max_vecs(const struct page_cache *pc)
{
	/* An ioend covers at most MAX_BYTES, plus partial folios at each end. */
	return (unsigned int) (IOMAP_IOEND_MAX_BYTES / pc->folio_size) + 2;
}

struct iomap_ioend *iomap_alloc_ioend(struct iomap_writepage_ctx *wpc, struct vfs_inode *inode,
				      loff_t pos)
{
	unsigned int max = iomap_ioend_max_vecs(inode->i_mapping.pc);
	struct iomap_ioend *ioend;

	if (xf_fault_fires(XF_FAULT_IOEND_ALLOC)) { /* fault.h: as if calloc failed */
		xf_trace("inject_ioend_alloc", inode->i_ino, pos, 0, "error=%s", "ENOMEM");
		return NULL;
	}
	ioend = calloc(1, sizeof(*ioend));
	if (!ioend)
		return NULL;
	ioend->io_vec_folio = calloc(max, sizeof(*ioend->io_vec_folio));
	ioend->io_iov = calloc(max, sizeof(*ioend->io_iov));
	if (!ioend->io_vec_folio || !ioend->io_iov) {
		free(ioend->io_vec_folio);
		free(ioend->io_iov);
		free(ioend);
		return NULL;
	}
	ioend->io_max_vecs = max;
	ioend->io_inode = inode;
	ioend->io_type = wpc->iomap.type;
	ioend->io_flags = wpc->iomap.flags;
	ioend->io_offset = pos;
	ioend->io_addr = wpc->iomap.addr + (uint64_t) (pos - wpc->iomap.offset);
	ioend->io_ops = wpc->ops;
	ioend->io_bdi = wpc->bdi;
	ioend->io_fs_end_io = wpc->ops->end_io != NULL;
	return ioend;
}

static void iomap_free_ioend(struct iomap_ioend *ioend)
{
	free(ioend->io_vec_folio);
	free(ioend->io_iov);
	free(ioend);
}

/* Can @folio's next segment go in?  (Extending the last one always can.) */
bool iomap_ioend_has_room(const struct iomap_ioend *ioend, const struct folio *folio)
{
	if (ioend->io_nr_vecs && ioend->io_vec_folio[ioend->io_nr_vecs - 1] == folio)
		return true;
	return ioend->io_nr_vecs < ioend->io_max_vecs;
}

void iomap_ioend_add_folio(struct iomap_ioend *ioend, struct folio *folio, size_t off, size_t len)
{
	unsigned int n = ioend->io_nr_vecs;
	struct iovec *last = n ? &ioend->io_iov[n - 1] : NULL;

	/* Blocks are added in file order: contiguous ones extend the segment. */
	if (last && ioend->io_vec_folio[n - 1] == folio &&
	    (char *) last->iov_base + last->iov_len == folio->data + off) {
		last->iov_len += len;
	} else {
		folio_get(folio);
		atomic_fetch_add(&folio->wb_pending, 1);
		ioend->io_vec_folio[n] = folio;
		ioend->io_iov[n].iov_base = folio->data + off;
		ioend->io_iov[n].iov_len = len;
		ioend->io_nr_vecs = n + 1;
	}
	ioend->io_disk_len += len;
}

/*
 * The data write (submit_bio + the device).  Any failure is an I/O error to
 * the application, as blk_status_to_errno() makes of most bio errors.  The
 * iovecs are consumed (advanced) by short writes; completion does not use
 * them.
 */
int iomap_ioend_write(struct iomap_ioend *ioend)
{
	struct iovec *iov = ioend->io_iov;
	unsigned int nr = ioend->io_nr_vecs, first = 0;
	off_t addr = (off_t) ioend->io_addr;

	/* Injected device error (fault.h, -o fail_write_nth=N): nothing is written. */
	if (xf_fault_fires(XF_FAULT_DATA_WRITE)) {
		xf_trace("inject_write_error", ioend->io_inode->i_ino, ioend->io_offset,
			 ioend->io_size, "addr=%llu", (unsigned long long) ioend->io_addr);
		fprintf(stderr,
			"xfsfuse: writeback of inode %llu at %llu failed: injected EIO "
			"(fail_write_nth)\n",
			(unsigned long long) ioend->io_inode->i_ino, (unsigned long long) addr);
		return -EIO;
	}
	while (first < nr) {
		ssize_t done =
			pwritev(ioend->io_inode->bdev_fd, iov + first, (int) (nr - first), addr);

		if (done < 0 && errno == EINTR)
			continue;
		if (done <= 0) {
			fprintf(stderr, "xfsfuse: writeback of inode %llu at %llu failed: %s\n",
				(unsigned long long) ioend->io_inode->i_ino,
				(unsigned long long) addr,
				done < 0 ? strerror(errno) : "short write");
			return -EIO;
		}
		addr += done;
		while (first < nr && (size_t) done >= iov[first].iov_len)
			done -= (ssize_t) iov[first++].iov_len;
		if (done) {
			iov[first].iov_base = (char *) iov[first].iov_base + done;
			iov[first].iov_len -= (size_t) done;
		}
	}
	return 0;
}

void iomap_finish_folio_write(struct folio *folio)
{
	if (atomic_fetch_sub(&folio->wb_pending, 1) == 1)
		folio_end_writeback(folio);
}

/*
 * I/O completion (iomap_finish_ioend + xfs_end_ioend): the filesystem's
 * ->end_io first when it asked for it (unwritten -> written, on-disk size),
 * the error on the mapping, and only then PG_writeback off: a waiter that
 * sees the folio clean and not under writeback sees the extent converted.
 * After the last folio_end_writeback of the inode the inode may be freed
 * (bdi_forget_inode waits for exactly that), so nothing below it touches
 * the inode.
 */
void iomap_finish_ioend(struct iomap_ioend *ioend)
{
	struct vfs_inode *inode = ioend->io_inode;
	int error = 0;
	unsigned int i;

	if (ioend->io_fs_end_io) {
		iomap_inject(INJECT_IOEND_BEFORE_COMPLETE, inode, ioend->io_offset);
		error = ioend->io_ops->end_io(inode, ioend);
	}
	xf_trace("ioend_complete", inode->i_ino, ioend->io_offset, ioend->io_size,
		 "type=%s io_error=%d err=%d", xf_iomap_type_name(ioend->io_type), ioend->io_error,
		 error);
	if (ioend->io_error)
		error = ioend->io_error;
	if (error)
		mapping_set_error(&inode->i_mapping, error);

	for (i = 0; i < ioend->io_nr_vecs; i++)
		iomap_finish_folio_write(ioend->io_vec_folio[i]);
	for (i = 0; i < ioend->io_nr_vecs; i++)
		folio_put(ioend->io_vec_folio[i]);
	iomap_free_ioend(ioend);
}
