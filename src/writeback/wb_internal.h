/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writeback internals shared by the files of src/writeback (not part of the
 * contract in writeback.h).
 */
#ifndef XFSFUSE_WB_INTERNAL_H
#define XFSFUSE_WB_INTERNAL_H

#include "writeback.h"
#include "vfs_inode.h"

#define WB_BATCH 16 /* folios per tag lookup (the kernel's folio_batch) */

/* mm/page-writeback.c: call @writepage on each dirty folio of the range. */
typedef int (*writepage_t)(struct folio *folio, struct writeback_control *wbc, void *data);
int write_cache_pages(struct address_space *mapping, struct writeback_control *wbc,
		      writepage_t writepage, void *data);

/* ---- ioend.c: the "bio" of an ioend, its data write and its completion ---- */
struct iomap_ioend *iomap_alloc_ioend(struct iomap_writepage_ctx *wpc, struct vfs_inode *inode,
				      loff_t pos);
/* Add [off, off+len) of @folio (takes a reference and a wb_pending count). */
void iomap_ioend_add_folio(struct iomap_ioend *ioend, struct folio *folio, size_t off, size_t len);
bool iomap_ioend_has_room(const struct iomap_ioend *ioend, const struct folio *folio);
/* pwrite the data to the image: returns 0 or -EIO. */
int iomap_ioend_write(struct iomap_ioend *ioend);
/* ->end_io, errors to the mapping, end writeback, free: the ioend is gone. */
void iomap_finish_ioend(struct iomap_ioend *ioend);
/* Drop one wb_pending count; the last one ends the folio's writeback. */
void iomap_finish_folio_write(struct folio *folio);

/* ---- fs-writeback.c ---- */
/* Hand a submitted ioend to the completion worker. */
void bdi_queue_ioend(struct bdi *bdi, struct iomap_ioend *ioend);
uint64_t wb_now_ms(void);

#endif
