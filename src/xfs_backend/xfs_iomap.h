/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The XFS side of the iomap engine: fs/xfs/xfs_iomap.c (iomap ops, delalloc
 * reservation and punching, validity cookies) and fs/xfs/xfs_aops.c
 * (writeback map_blocks with seq revalidation, delalloc -> unwritten
 * conversion, I/O completion).  No libxfs type leaks out of here.
 *
 * ILOCK.  libxfs's fork and allocation code runs under the global libxfs
 * mutex (lock.c), so that mutex *is* ILOCK for every inode in this version:
 * fork changes and the sampling of the fork sequence counters (if_seq) are
 * atomic under it.  The engine never holds it while copying data or doing
 * data I/O.
 */
#ifndef XFSFUSE_XFS_IOMAP_H
#define XFSFUSE_XFS_IOMAP_H

#include "backend.h"
#include "iomap.h"
#include "writeback.h"

extern const struct iomap_ops xfs_buffered_write_iomap_ops; /* writes, zeroing, faults */
extern const struct iomap_ops xfs_read_iomap_ops;	    /* reads */
extern const struct iomap_ops xfs_seek_iomap_ops;	    /* SEEK_DATA/HOLE (IOMAP_REPORT) */
extern const struct iomap_writeback_ops xfs_writeback_ops;

/* xb_vfs_inode() is in backend.h; its inverse: */
struct xb_inode *xb_from_vfs(struct vfs_inode *inode);

/*
 * What the backend asks of the engine about a regular file's vfs_inode.
 *
 * evict: called WITHOUT the libxfs lock before an inode's memory is freed,
 * to write back (if still linked) and drop its page cache (the kernel's
 * evict -> truncate_inode_pages_final).  While it runs, xb_iget of that
 * inode number waits (I_FREEING).
 *
 * idle: called under the libxfs lock for an inode no request or open file
 * holds and whose page cache is empty: true when nothing of the engine
 * refers to it any more (the flusher does not list it, no writeback error
 * waits for an fsync), so that its vfs_inode may be freed while the kernel
 * keeps the inode (inode_idle.c).  Must not sleep.  NULL: never.
 */
struct xb_engine_ops {
	void (*evict)(struct vfs_inode *inode, bool unlinked, void *arg);
	bool (*idle)(struct vfs_inode *inode, void *arg);
};

/* Give the backend the page cache (regular files get a vfs_inode whose
 * mapping lives in it) and the engine's callbacks (@ops outlives the mount). */
void xb_engine_attach(struct xb_mount *m, struct page_cache *pc, const struct xb_engine_ops *ops,
		      void *arg);

/*
 * Truncate (the kernel's xfs_setattr_size): caller holds i_rwsem and
 * invalidate_lock exclusive and has written back what must be.  Zeroes the
 * partial EOF block through the page cache, moves i_size, drops the page
 * cache past EOF, frees blocks past EOF, logs the new size and times.
 */
int xfs_setattr_size(struct xb_inode *ip, uint64_t newsize);

/*
 * Punch a hole (xfs_free_file_space): caller holds i_rwsem and
 * invalidate_lock exclusive and has written back and dropped the page cache
 * over the range rounded out to folios.
 */
int xfs_free_file_space(struct xb_inode *ip, uint64_t offset, uint64_t len);

/*
 * Collapse and insert (xfs_shift.c, doc/backend.md "Collapse, insert,
 * unshare"): shift the data fork records from @offset + @len left by @len,
 * or from @offset right by @len.  Block-aligned; the caller holds i_rwsem
 * and invalidate_lock exclusive, has trimmed post-EOF blocks
 * (xfs_free_eofblocks), written back and dropped the page cache from
 * xfs_shift_boundary(@offset) to EOF, and moves i_size itself (collapse:
 * after, insert: before).  Collapse expects [@offset, +@len) punched.
 */
int xfs_collapse_file_space(struct xb_inode *ip, uint64_t offset, uint64_t len);
int xfs_insert_file_space(struct xb_inode *ip, uint64_t offset, uint64_t len);
/* The block before @offset's: a COW completion there could merge across the boundary. */
uint64_t xfs_shift_boundary(struct xb_inode *ip, uint64_t offset);

/*
 * Trim speculative preallocation past EOF (last close: xfs_release).
 * @trimmed (may be NULL): the blocks st_blocks lost, which the kernel's
 * cached attributes still count.
 */
int xfs_free_eofblocks(struct xb_inode *ip, uint64_t *trimmed);
/* Referenced files with blocks past EOF (xfs_blockgc_free_space's walk). */
int xfs_blockgc_candidates(struct xb_mount *m, struct xb_inode ***listp, size_t *np);

/* Mount-wide XFS iomap knobs and counters. */
struct xfs_iomap_config {
	_Atomic bool speculative_prealloc; /* allocsize-like EOF prealloc, default on */
};
extern struct xfs_iomap_config xfs_iomap_config;

struct xfs_iomap_stats {
	_Atomic uint64_t delalloc_reserved_blocks;
	_Atomic uint64_t delalloc_punched_blocks;
	_Atomic uint64_t delalloc_converted_blocks; /* writeback allocations */
	_Atomic uint64_t unwritten_converted_bytes; /* ioend conversions */
	_Atomic uint64_t eofblocks_trimmed_blocks;
	/* stale_remedy=rfc (doc/race.md) */
	_Atomic uint64_t stale_new_inherited; /* remaps that inherited IOMAP_F_NEW */
	_Atomic uint64_t stale_kept_blocks;   /* delalloc left unpunched after a stale map */
	_Atomic uint64_t stale_kept_reclaimed_blocks; /* ... given back only at inode teardown */
};
/* Kept delalloc still reserved now (walks the inode table under xb_lock). */
uint64_t xb_stale_kept_pending(struct xb_mount *m);
extern struct xfs_iomap_stats xfs_iomap_stats;

/* Copy-on-write of shared blocks (xfs_reflink.c, doc/reflink.md). */
struct xfs_reflink_stats {
	_Atomic uint64_t cow_reserved_blocks;	 /* COW fork delalloc reserved by writes */
	_Atomic uint64_t cow_remapped_blocks;	 /* staging blocks moved into the data fork */
	_Atomic uint64_t cow_cancelled_blocks;	 /* COW fork blocks given back unused */
	_Atomic uint64_t remapped_shared_blocks; /* blocks copy_file_range shared */
	_Atomic uint64_t reflink_flags_cleared;	 /* inodes unshare left sharing nothing */
};
extern struct xfs_reflink_stats xfs_reflink_stats;

/*
 * Share [pos_in, +len) of @src at @pos_out of @dest (xfs_reflink_remap_blocks,
 * doc/reflink.md): block-aligned offsets; @len whole blocks, or reaching the
 * source's EOF.  The destination's size becomes at least @new_isize.  Caller
 * holds both inodes' i_rwsem and invalidate_lock, has written back the
 * source range and written back and dropped the destination range.  Takes
 * the libxfs lock.  -EOPNOTSUPP without the reflink feature.
 */
int xfs_reflink_remap_blocks(struct xb_inode *src, uint64_t pos_in, struct xb_inode *dest,
			     uint64_t pos_out, uint64_t len, uint64_t new_isize);
bool xfs_reflink_supported(struct xb_mount *m);
/* May @ip share blocks (XFS_DIFLAG2_REFLINK)?  Unshare has nothing to do if not. */
bool xfs_reflink_inode_may_share(struct xb_inode *ip);
/*
 * How many data fork blocks of [off, off+len) the refcount btree says are
 * shared (refcount > 1), in *@nshared.  For tests and reports; takes the
 * libxfs lock.
 */
int xfs_reflink_count_shared(struct xb_inode *ip, uint64_t off, uint64_t len, uint64_t *nshared);
/*
 * Does any written data fork extent of @ip still share a block (the
 * refcount btree says so)?  False for an inode without the reflink flag.
 * Takes the libxfs lock.
 */
int xfs_reflink_inode_has_shared_extents(struct xb_inode *ip, bool *shared);
/*
 * xfs_reflink_try_clear_inode_flag (src/xfs_backend/xfs_reflink_clear.c):
 * if nothing of @ip is shared any more, give back its COW fork and clear
 * XFS_DIFLAG2_REFLINK.  The caller holds i_rwsem and invalidate_lock and
 * has written back the whole file, so no dirty folio or ioend still
 * counts on a COW fork extent.  Takes the libxfs lock.
 */
int xfs_reflink_try_clear_inode_flag(struct xb_inode *ip);

#endif
