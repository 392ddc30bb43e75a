/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iomap: the userspace twin of include/linux/iomap.h and fs/iomap/{iter.c,
 * buffered-io.c, seek.c}.  The whole contract between the generic buffered
 * I/O engine and a filesystem (src/xfs_backend/iomap_ops.c) is here.
 *
 * Mappings.  ->iomap_begin maps [pos, pos+length) (it may return less) and
 * fills a struct iomap; the engine acts on it folio by folio; ->iomap_end is
 * told how much was processed.  All offsets are bytes.  iomap.addr is the
 * byte offset on the image (IOMAP_NULL_ADDR for holes and delalloc).
 *
 * Validity (Linux 6.2).  A mapping can go stale while the engine works
 * without the extent lock: writeback converts delalloc/unwritten extents,
 * reclaim drops folios.  The filesystem samples its fork sequence counter
 * under ILOCK *after* its own change and stores it in validity_cookie;
 * ->iomap_valid compares it with the current counter.  The engine calls it
 * with the folio locked, before touching the folio's contents or state.  On
 * "stale" it sets IOMAP_F_STALE, unlocks, ends the mapping with what was
 * written so far, and maps again from the current position -- even when
 * nothing was written.  With validation disabled (iomap_validate=off, the
 * pre-6.2 behaviour) the check is skipped: that is the 2022 corruption.
 *
 * Locking.  Buffered writers hold i_rwsem exclusive across the whole
 * iomap_iter loop, but not ILOCK: ->iomap_begin takes and drops ILOCK.
 * Readers hold i_rwsem shared.  The engine takes folio locks; the filesystem
 * never calls back into the engine with ILOCK held, except the punch scan
 * helpers, which only look at the page cache.
 */
#ifndef XFSFUSE_IOMAP_H
#define XFSFUSE_IOMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "pagecache.h"
#include "vfs_inode.h"

#define IOMAP_NULL_ADDR UINT64_MAX

/* iomap->type */
#define IOMAP_HOLE	0 /* no blocks allocated, need allocation */
#define IOMAP_DELALLOC	1 /* delayed allocation blocks */
#define IOMAP_MAPPED	2 /* blocks allocated at @addr */
#define IOMAP_UNWRITTEN 3 /* blocks allocated at @addr in unwritten state */

/* iomap->flags */
#define IOMAP_F_NEW    (1U << 0) /* blocks were just allocated/reserved by this call */
#define IOMAP_F_SHARED (1U << 2)
#define IOMAP_F_STALE  (1U << 5) /* set by the engine: remap from iter->pos */

/* flags passed to ->iomap_begin (the operation) */
#define IOMAP_WRITE   (1U << 0)
#define IOMAP_ZERO    (1U << 1)
#define IOMAP_REPORT  (1U << 2) /* seek/fiemap: no allocation */
#define IOMAP_FAULT   (1U << 3) /* page fault (mmap store): never punch on failure */
#define IOMAP_DIRECT  (1U << 4)
#define IOMAP_UNSHARE (1U << 5) /* copy shared blocks to new ones: no allocation over holes */

struct iomap_folio_ops;

struct iomap {
	uint64_t addr;		  /* image byte offset of @offset, or IOMAP_NULL_ADDR */
	loff_t offset;		  /* file offset of the mapping */
	uint64_t length;	  /* bytes */
	uint16_t type;		  /* IOMAP_* */
	uint16_t flags;		  /* IOMAP_F_* */
	uint64_t validity_cookie; /* fork sequence sampled under ILOCK */
	const struct iomap_folio_ops *folio_ops;
};

struct iomap_ops {
	int (*iomap_begin)(struct vfs_inode *inode, loff_t pos, loff_t length, unsigned int flags,
			   struct iomap *iomap, struct iomap *srcmap);
	/* @written: bytes of [pos, pos+length) actually processed. */
	int (*iomap_end)(struct vfs_inode *inode, loff_t pos, loff_t length, ssize_t written,
			 unsigned int flags, struct iomap *iomap);
};

struct iomap_folio_ops {
	/* Is @iomap still current?  Called with the folio locked. */
	bool (*iomap_valid)(struct vfs_inode *inode, const struct iomap *iomap);
};

struct iomap_iter {
	struct vfs_inode *inode;
	loff_t pos;	    /* current position */
	uint64_t len;	    /* bytes left */
	int64_t processed;  /* of the current mapping (or -errno) */
	unsigned int flags; /* IOMAP_WRITE, ... */
	struct iomap iomap;
	struct iomap srcmap; /* COW source; type HOLE-initialised == unused */
};

/*
 * The iteration state machine (fs/iomap/iter.c): call with processed = 0
 * first; each call ends the previous mapping (->iomap_end), advances by
 * iter->processed, and maps the next range.  Returns > 0 while there is a
 * mapping to act on, 0 when done, -errno on error.
 */
int iomap_iter(struct iomap_iter *iter, const struct iomap_ops *ops);

/* The engine's knobs (mount options, changeable at runtime). */
struct iomap_tunables {
	_Atomic bool validate;	   /* iomap_validate=on (default) */
	_Atomic bool legacy_punch; /* delalloc_punch=legacy */
	/*
	 * stale_remedy=rfc: a mapping found stale keeps IOMAP_F_STALE and its
	 * IOMAP_F_NEW in the struct iomap handed to the next ->iomap_begin
	 * (iomap_iter_advance), so that the filesystem can skip the punch of
	 * what the stale mapping reserved and mark the remap new.
	 */
	_Atomic bool rfc_remedy;
	/*
	 * Test hook modelling a user buffer that faults part way (the kernel's
	 * short copy_folio_from_iter_atomic): the copy from the caller's
	 * buffer of a buffered or fault write stops at this file offset.  -1
	 * (default): off.  As in the kernel, a short copy into a !uptodate
	 * folio is rejected and retried with the copied length, and the next
	 * copy at the faulting offset fails (-EFAULT): the write returns the
	 * bytes before this offset, and the mapping's ->iomap_end sees them
	 * as written (and punches the rest).
	 */
	_Atomic int64_t short_copy_at;
	/*
	 * Test hook (the race harness's race 9): false skips the page cache
	 * drop after a direct write (iomap_dio_complete), to show what it is
	 * for.  Default true.
	 */
	_Atomic bool dio_post_invalidate;
};
extern struct iomap_tunables iomap_tunables;

/*
 * The three answers to a stale mapping (src/iomap/remedy.c, doc/race.md):
 * each sets validate, legacy_punch and rfc_remedy together.  CUSTOM is
 * what a mix set through iomap_validate=/delalloc_punch= reads back as.
 */
enum iomap_stale_remedy {
	IOMAP_REMEDY_NONE,   /* pre-6.2: no validity check, truncating punch */
	IOMAP_REMEDY_MERGED, /* Linux 6.2: ->iomap_valid + safe punch (default) */
	IOMAP_REMEDY_RFC,    /* the September 2022 RFC: no punch after stale, F_NEW carried */
	IOMAP_REMEDY_CUSTOM,
};
void iomap_stale_remedy_set(enum iomap_stale_remedy r); /* not CUSTOM */
void iomap_stale_remedy_switches(enum iomap_stale_remedy r, bool *validate, bool *legacy_punch,
				 bool *rfc);
enum iomap_stale_remedy iomap_stale_remedy_get(void);
const char *iomap_stale_remedy_name(enum iomap_stale_remedy r);
int iomap_stale_remedy_parse(const char *s, enum iomap_stale_remedy *r); /* 0 or -EINVAL */

/*
 * Optional: called once at the end of a buffered write, fault write or
 * zeroing that dirtied at least one clean folio, with no engine lock held
 * (the caller's i_rwsem / invalidate_lock still are).  The FUSE glue may
 * instead call bdi_mark_inode_dirty() itself; the engine does not depend on
 * src/writeback.  NULL (default): nothing.  Set before the first I/O.
 */
extern void (*iomap_dirty_hook)(struct vfs_inode *inode);

/* Counters (part of the interface; printed at unmount). */
struct iomap_stats {
	_Atomic uint64_t stale_iomaps; /* iomap_valid said stale */
	_Atomic uint64_t remaps;
	_Atomic uint64_t short_writes;
	_Atomic uint64_t folios_zeroed;	   /* partial blocks zeroed instead of read */
	_Atomic uint64_t folios_read;	   /* partial blocks read for a write */
	_Atomic uint64_t delalloc_punched; /* bytes punched by write-failure cleanup */
	_Atomic uint64_t read_preadvs;	   /* image reads of batched fills (readahead.c) */
};
extern struct iomap_stats iomap_stats;

/* ---- buffered I/O entry points (caller holds i_rwsem as noted) ---- */
/*
 * i_rwsem exclusive.  Returns bytes written (short on error, the error
 * only when nothing was written) or -errno; moves i_size past what it
 * wrote.  The caller zeroes a gap between EOF and @pos first
 * (iomap_zero_range, as xfs_file_write_checks does) and marks the inode
 * dirty for writeback (or sets iomap_dirty_hook).
 */
ssize_t iomap_file_buffered_write(struct vfs_inode *inode, const void *buf, size_t len, loff_t pos,
				  const struct iomap_ops *ops);
/*
 * An mmap store of the FUSE kernel (fi->writepage): iomap_page_mkwrite
 * semantics.  The caller holds NO lock; the engine takes invalidate_lock
 * shared around it.  Flags IOMAP_WRITE|IOMAP_FAULT: the filesystem's
 * ->iomap_end must not punch for IOMAP_FAULT (it would also deadlock:
 * the punch takes invalidate_lock exclusive).  The store is clipped to
 * i_size, which never moves; returns the bytes stored (0 past EOF) or
 * -errno.  No injection points fire for faults.
 */
ssize_t iomap_fault_write(struct vfs_inode *inode, const void *buf, size_t len, loff_t pos,
			  const struct iomap_ops *ops);
/*
 * i_rwsem shared.  Returns bytes read (short at EOF) or -errno.  Cache fills
 * take invalidate_lock shared and the folio lock; ops should not allocate
 * (xfs_read_iomap_ops).  HOLE/DELALLOC/UNWRITTEN and blocks past EOF read
 * as zeroes, MAPPED with pread(bdev_fd).
 */
ssize_t iomap_file_buffered_read(struct vfs_inode *inode, void *buf, size_t len, loff_t pos,
				 const struct iomap_ops *ops);
/*
 * Batched cache fill (the kernel's iomap_readahead, src/iomap/readahead.c):
 * the folios of [pos, pos+len) (clipped to EOF) that are missing or not
 * uptodate are filled in batches of locked folios, one preadv of the image
 * per run contiguous on disk; holes, unwritten, delalloc and past-EOF
 * blocks are zeroed.  Folios uptodate or locked by another thread are
 * skipped.  Takes invalidate_lock shared; the caller holds no folio lock.
 * Returns 0 or the first error: the blocks of a failed preadv (and every
 * folio after it in its batch) stay !uptodate.
 */
int iomap_readahead(struct vfs_inode *inode, loff_t pos, size_t len, const struct iomap_ops *ops);

/*
 * Zero-copy buffered reads (src/iomap/read-pin.c): the folios of a read,
 * referenced, then locked, with one iovec each over the bytes to reply.
 */
#define IOMAP_PIN_MAX 256 /* folios: a 1 MiB FUSE READ of 4 KiB folios */
/*
 * Folio locks one thread may hold at once (a readahead batch, a pinned
 * reply).  TSan's deadlock detector tracks at most 64 locks per thread and
 * aborts past that, so its builds take batches of 32 (128 KiB of 4 KiB
 * folios, a typical FUSE READ); a larger READ then goes by the copying path.
 */
#ifdef __SANITIZE_THREAD__
#define IOMAP_MAX_LOCKED_FOLIOS 32
#else
#define IOMAP_MAX_LOCKED_FOLIOS IOMAP_PIN_MAX
#endif
struct iomap_read_pins {
	struct folio *folio[IOMAP_PIN_MAX];
	struct iovec iov[IOMAP_PIN_MAX];
	unsigned int nr;	/* folios referenced */
	unsigned int nr_locked; /* the first nr_locked of them are locked */
	unsigned int nr_iov;	/* iovecs to reply (clipped to i_size) */
	loff_t pos;		/* file offset of iov[0] */
};
/*
 * Phase 1, the caller holding no lock: fill and reference the folios of
 * [pos, pos+len) as iomap_file_buffered_read would read them (short at EOF
 * or at an error after some data).  Returns the bytes or -errno, or -EAGAIN
 * (nothing held) if more than IOMAP_PIN_MAX folios would be needed.
 */
ssize_t iomap_read_pin(struct vfs_inode *inode, size_t len, loff_t pos, const struct iomap_ops *ops,
		       struct iomap_read_pins *pins);
/*
 * Phase 2: lock them all in index order; the iovecs are then stable until
 * iomap_read_unpin.  Returns the bytes (clipped to the current i_size), or
 * -EAGAIN if a folio was truncated, evicted or invalidated since phase 1
 * (copy with iomap_file_buffered_read instead).  Unpin either way.
 */
ssize_t iomap_read_pin_lock(struct vfs_inode *inode, struct iomap_read_pins *pins);
void iomap_read_unpin(struct iomap_read_pins *pins); /* unlock and release all */
/*
 * Zero [pos, pos+len) through the page cache (holes and unwritten are
 * skipped; the folios zeroed are dirtied).  Flags IOMAP_ZERO: the
 * filesystem must not allocate.  As in the kernel, zeroing past i_size
 * moves i_size to the end of what it zeroed.  Caller: i_rwsem exclusive
 * (truncate also holds invalidate_lock exclusive: fine, the engine does
 * not take it here).  Like Linux 6.6 it does not see dirty cache over an
 * UNWRITTEN extent: callers that need it zeroed (xfs_setattr_size) write
 * back the EOF block first.
 */
int iomap_zero_range(struct vfs_inode *inode, loff_t pos, loff_t len, bool *did_zero,
		     const struct iomap_ops *ops);
/*
 * FALLOC_FL_UNSHARE_RANGE's first half (fs/iomap/buffered-io.c
 * iomap_file_unshare): every folio over a mapping the filesystem reports
 * IOMAP_F_SHARED with a written source is read (if not cached) and dirtied
 * unchanged, so that writeback copies it to the blocks the filesystem
 * reserved (its COW fork).  Holes, unwritten and unshared blocks are
 * skipped.  Clamped to i_size.  Flags IOMAP_WRITE|IOMAP_UNSHARE.  Caller:
 * i_rwsem and invalidate_lock exclusive; it writes the range back after.
 */
int iomap_file_unshare(struct vfs_inode *inode, loff_t pos, loff_t len,
		       const struct iomap_ops *ops);
/* Zero from @pos to the end of its block (truncate's partial block). */
int iomap_truncate_page(struct vfs_inode *inode, loff_t pos, bool *did_zero,
			const struct iomap_ops *ops);
/* SEEK_DATA / SEEK_HOLE: dirty or uptodate cache over unwritten is data; delalloc is data. */
loff_t iomap_seek_data(struct vfs_inode *inode, loff_t offset, const struct iomap_ops *ops);
loff_t iomap_seek_hole(struct vfs_inode *inode, loff_t offset, const struct iomap_ops *ops);

/*
 * Short-write cleanup (fs/iomap/buffered-io.c iomap_file_buffered_write_punch_delalloc,
 * Linux 6.2+): called by a filesystem's ->iomap_end for an IOMAP_F_NEW
 * delalloc mapping.  Punches (via @punch) only delalloc past the last
 * written block, only under page-cache ranges that are not dirty (a racing
 * mmap store's folio is kept), holding invalidate_lock exclusive, never
 * truncating the page cache.  With iomap_tunables.legacy_punch it does the
 * pre-6.2 thing instead: truncate the page cache over the range and punch it
 * all (loses mmap stores: DESIGN.md race 3).
 */
typedef int (*iomap_punch_t)(struct vfs_inode *inode, loff_t offset, loff_t length);
int iomap_file_buffered_write_punch_delalloc(struct vfs_inode *inode, struct iomap *iomap,
					     loff_t pos, loff_t length, ssize_t written,
					     iomap_punch_t punch);

/* ---- the race harness's injection points (DESIGN.md §4; issue 6) ---- */
enum iomap_inject_point {
	INJECT_WRITE_AFTER_BEGIN,     /* after ->iomap_begin in a buffered write */
	INJECT_WRITE_BEFORE_FOLIO,    /* before write_begin of each folio */
	INJECT_WB_BEFORE_MAP,	      /* writeback, before map_blocks revalidation */
	INJECT_IOEND_BEFORE_COMPLETE, /* before ioend unwritten conversion */
	INJECT_AFTER_EVICT,	      /* reclaim, after evicting a folio */
	INJECT_LOG_FLUSH,	      /* a checkpoint, before each device flush */
	INJECT_DIO_AFTER_PREPARE,     /* direct I/O, range written back (and dropped): before I/O */
	INJECT_NR_POINTS,
};
/* Called by the engine at each point; a no-op unless a hook is installed. */
void iomap_inject(enum iomap_inject_point point, struct vfs_inode *inode, loff_t pos);
typedef void (*iomap_inject_hook_t)(enum iomap_inject_point point, struct vfs_inode *inode,
				    loff_t pos, void *arg);
void iomap_set_inject_hook(iomap_inject_hook_t hook, void *arg);

#endif
