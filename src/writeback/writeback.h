/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writeback: the flusher thread, iomap_writepages and the I/O-completion
 * worker -- fs/iomap/buffered-io.c (writeback half), fs/fs-writeback.c and
 * mm/page-writeback.c, reduced to what xfsfuse needs.
 *
 * Shape (as in the kernel):
 *   flusher (one thread per mount)  picks dirty inodes/folios (age, dirty
 *       threshold, sync request), and for each file runs iomap_writepages():
 *       per dirty folio, with the folio LOCKED: clear dirty, then per dirty
 *       block range ->map_blocks (the filesystem keeps a cached mapping in
 *       wpc->iomap and revalidates it against its fork sequence counters; a
 *       delalloc range is converted to a real *unwritten* allocation there),
 *       add the blocks to the current ioend, set PG_writeback, UNLOCK.
 *       Ioends are submitted: the data is pwritten to the image by the
 *       flusher, then the ioend is queued to the completion worker.
 *   completion worker (one thread)  runs ->end_io (XFS: convert unwritten
 *       -> written in a transaction, move the on-disk size), then
 *       folio_end_writeback() on every folio of the ioend.  Its timing is
 *       independent of writers: that is where the 2022 race lives.
 * Writeback never takes i_rwsem.  Lock order: folio lock -> ILOCK -> libxfs.
 */
#ifndef XFSFUSE_WRITEBACK_H
#define XFSFUSE_WRITEBACK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "iomap.h"

struct bdi;

struct iomap_ioend {
	struct iomap_ioend *io_next; /* completion queue */
	struct vfs_inode *io_inode;
	uint16_t io_type;	 /* IOMAP_MAPPED or IOMAP_UNWRITTEN (after conversion) */
	uint16_t io_flags;	 /* IOMAP_F_SHARED ... */
	loff_t io_offset;	 /* file offset */
	size_t io_size;		 /* bytes */
	uint64_t io_addr;	 /* image byte offset of io_offset */
	struct folio *io_folios; /* folios under writeback (chained via wb_next) */
	int io_error;		 /* -errno of the data write, if any */

	/*
	 * Writeback-private from here on (added by the writeback work).  A
	 * folio can sit in two ioends (its dirty runs mapped to different
	 * extents), which a single folio->wb_next chain cannot express, so
	 * the ioend carries the kernel's bio instead: one iovec per folio
	 * segment, in file order, each holding a folio reference and one
	 * count of folio->wb_pending.  io_folios stays NULL.
	 */
	const struct iomap_writeback_ops *io_ops; /* whose ->end_io completes it */
	struct bdi *io_bdi;			  /* completion queue, NULL: complete inline */
	/*
	 * The filesystem must see this completion (->end_io, on io_bdi's
	 * worker): the kernel's bi_end_io = xfs_end_bio.  Set at allocation
	 * when the ops have an ->end_io; ->prepare_ioend may clear it for an
	 * ioend that needs no transaction, which then completes where its
	 * data write did (iomap_writepage_end_bio).
	 */
	bool io_fs_end_io;
	size_t io_disk_len; /* bytes written at io_addr (whole blocks) */
	unsigned int io_nr_vecs, io_max_vecs;
	struct folio **io_vec_folio; /* [io_max_vecs] */
	struct iovec *io_iov;	     /* [io_max_vecs]: the data in the folios */
};

struct iomap_writepage_ctx;

struct iomap_writeback_ops {
	/*
	 * Map the block range at @offset (len bytes, within one folio) for
	 * writeback into wpc->iomap, reusing it when still valid (its seq
	 * cookies in wpc->data_seq/cow_seq).  Delalloc is allocated here
	 * (as unwritten).  The returned mapping must not be HOLE/DELALLOC.
	 */
	int (*map_blocks)(struct iomap_writepage_ctx *wpc, struct vfs_inode *inode, loff_t offset,
			  unsigned int len);
	/*
	 * I/O completion, on the completion worker, of ioends that have
	 * io_fs_end_io: for UNWRITTEN ioends convert to written; extend the
	 * on-disk size up to min(io_offset + io_size, i_size).
	 */
	int (*end_io)(struct vfs_inode *inode, struct iomap_ioend *ioend);
	/*
	 * Optional, before the data write of an ioend (the kernel's
	 * ->prepare_ioend; XFS: staging blocks of a COW ioend turn written,
	 * and ioends that need no transaction clear io_fs_end_io).  An error
	 * fails the ioend without writing it.
	 */
	int (*prepare_ioend)(struct iomap_ioend *ioend);
	/*
	 * A folio could not be mapped: release what map_blocks reserved for it
	 * (XFS: punch the delalloc under it, xfs_discard_folio).
	 */
	void (*discard_folio)(struct folio *folio, loff_t pos);
};

struct iomap_writepage_ctx {
	struct iomap iomap;	   /* cached mapping, type HOLE when none */
	struct iomap_ioend *ioend; /* being built */
	const struct iomap_writeback_ops *ops;
	uint64_t data_seq, cow_seq; /* filesystem's revalidation cookies */
	struct writeback_stats *stats;
	/*
	 * Where ioends go once their data is written: the bdi's completion
	 * worker, or NULL to run ->end_io inline in the submitting thread.
	 * Callers zero the whole context (iomap.type == IOMAP_HOLE: no cached
	 * mapping) and set ops/bdi/stats as needed.
	 */
	struct bdi *bdi;
};

struct writeback_stats {
	_Atomic uint64_t ioends;
	_Atomic uint64_t ioends_inline; /* ... completed by their submitter, not the worker */
	_Atomic uint64_t folios_written;
	_Atomic uint64_t bytes_written;
	_Atomic uint64_t map_revalidated; /* cached mapping checked again */
	_Atomic uint64_t map_invalidated; /* ... and found stale */
	_Atomic uint64_t write_errors;
	_Atomic uint64_t redirtied;	     /* folios left dirty: no memory for an ioend */
	_Atomic uint64_t hole_blocks;	     /* dirty blocks found over a hole, not written */
	_Atomic uint64_t dirty_throttled;    /* writes that waited in balance_dirty_pages */
	_Atomic uint64_t dirty_throttled_ms; /* ... for this long in all */
};

/* Writeback control: what to write, and whether to wait (WB_SYNC_ALL). */
struct writeback_control {
	uint64_t range_start, range_end; /* bytes, inclusive */
	bool sync_all;			 /* write every dirty folio, wait for locks */
	bool for_reclaim;
	int64_t nr_to_write; /* folios budget; <0 = unlimited */
};

/* Write back the dirty folios of @mapping in the range. */
int iomap_writepages(struct address_space *mapping, struct writeback_control *wbc,
		     struct iomap_writepage_ctx *wpc, const struct iomap_writeback_ops *ops);
/* Ioends never grow past this many bytes (completion latency, iovec count). */
#define IOMAP_IOEND_MAX_BYTES (1U << 20)

/* Wait for PG_writeback to clear on every folio of [start, end] (bytes). */
void filemap_fdatawait_range(struct address_space *mapping, uint64_t start, uint64_t end);
/*
 * Take (and clear) the first writeback error recorded on @mapping since the
 * last call: each error is reported exactly once, to whichever fsync (or
 * bdi_forget_inode) comes first -- the inode has no per-opener cursor.
 */
int filemap_check_and_clear_wb_err(struct address_space *mapping);

/* ---- the per-mount flusher and completion worker ("bdi") ---- */
struct bdi_config {
	unsigned int writeback_interval_ms; /* default 500 */
	unsigned int dirty_expire_ms;	    /* default 3000 */
	unsigned int dirty_background_pct;  /* of the cache limit, default 10 */
	unsigned int dirty_pct;		    /* dirtiers wait past this, default 20 */
};

struct bdi;
int bdi_start(struct bdi **bdip, struct page_cache *pc, const struct bdi_config *cfg,
	      const struct iomap_writeback_ops *ops);
/* Write back everything, wait, stop the threads. */
void bdi_stop(struct bdi *bdi);
/* A file has dirty folios: put it on the dirty-inode list (idempotent). */
void bdi_mark_inode_dirty(struct bdi *bdi, struct vfs_inode *inode);
/* fsync of one open file description: errors it has not seen (*wb_err advances). */
int file_write_and_wait_range(struct bdi *bdi, struct vfs_inode *inode, uint64_t start,
			      uint64_t end, uint32_t *wb_err);
/* The inode is going away: write it back (unless @discard: unlinked), wait,
 * take it off the lists. */
int bdi_forget_inode(struct bdi *bdi, struct vfs_inode *inode, bool discard);
/*
 * The bdi neither lists @inode nor writes it back (no writeback bit set):
 * with no folio cached and nobody to dirty one, it may be freed without
 * bdi_forget_inode (an idle inode, doc/backend.md "Idle inodes").
 */
bool bdi_inode_unlisted(struct bdi *bdi, struct vfs_inode *inode);
/* Wake the flusher now (dirty threshold passed, reclaim blocked). */
void bdi_kick(struct bdi *bdi);
/*
 * balance_dirty_pages: called by a task that has just dirtied folios, with
 * no lock held.  Past dirty_pct of the cache (dirty + under writeback) it
 * waits for writeback to bring the cache back under the limit.
 */
void bdi_balance_dirty_pages(struct bdi *bdi);
/*
 * fsync: write back [start, end] of @inode and wait for it (incl. ioends).
 * Returns the error of this writeback (map_blocks failures) or else
 * filemap_check_and_clear_wb_err(): an I/O error is returned once.
 */
int filemap_write_and_wait_range(struct bdi *bdi, struct vfs_inode *inode, uint64_t start,
				 uint64_t end);
/* syncfs/unmount: every dirty inode, waited for. */
int bdi_sync_all(struct bdi *bdi);
const struct writeback_stats *bdi_stats(struct bdi *bdi);

#endif
