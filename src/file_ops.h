/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File data through the iomap engine: the userspace twin of fs/xfs/xfs_file.c
 * (xfs_file_buffered_write, xfs_file_read_iter, xfs_file_fsync,
 * xfs_file_release, xfs_vm_page_mkwrite) plus the per-mount engine: the page
 * cache, the writeback "bdi" (flusher + completion worker) and reclaim.
 *
 * The FUSE glue calls these for regular files; they take i_rwsem and
 * invalidate_lock as the kernel's VFS and XFS would (src/vfs/vfs_inode.h).
 */
#ifndef XFSFUSE_FILE_OPS_H
#define XFSFUSE_FILE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backend.h"
#include "reclaim.h"
#include "writeback.h"

struct xf_engine_opts {
	size_t folio_size;	       /* folio_size=, default 4096 */
	uint64_t cache_size;	       /* cache_size=, default 256 MiB */
	struct bdi_config bdi;	       /* writeback_interval=, dirty_expire=, dirty_background= */
	struct reclaim_config reclaim; /* reclaim=aggressive */
	bool validate;		       /* iomap_validate=on|off */
	bool legacy_punch;	       /* delalloc_punch=safe|legacy */
	bool rfc_remedy;	       /* stale_remedy=rfc (with the two above: doc/race.md) */
	bool prealloc;		       /* prealloc=on|off (speculative EOF preallocation) */
	unsigned int atime;	       /* noatime, relatime, ... as VFS_ATIME_* (src/atime.c) */
};
void xf_engine_default_opts(struct xf_engine_opts *o);

struct xf_engine {
	struct xf_engine_opts opts;
	struct page_cache pc;
	struct bdi *bdi;
	struct reclaimer *reclaim;
	struct xb_mount *m;
	bool running; /* threads up; false once stopped */
	/*
	 * The mount's atime flags (VFS_ATIME_*, src/vfs/vfs_atime.h): the
	 * kernel keeps them in the vfsmount and superblock.  Set from
	 * opts.atime at start, changed by remount (xfsfuse.atime); read
	 * without locks.
	 */
	_Atomic unsigned int atime_flags;
	/*
	 * The engine changed @ino's attributes where no request of the
	 * kernel's drops its cached ones (speculative preallocation trimmed
	 * at last close or for free space: st_blocks).  Set by the FUSE layer
	 * before start; called holding at most the inode's i_rwsem.
	 */
	void (*attr_changed)(struct xf_engine *e, uint64_t ino);
};

int xf_engine_start(struct xf_engine *e, struct xb_mount *m);
/* Write everything back and stop the threads (before xb_unmount). */
int xf_engine_stop(struct xf_engine *e);
/* After xb_unmount: free the page cache. */
void xf_engine_destroy(struct xf_engine *e);

/* @page_cache_fill: the FUSE kernel filling its page cache (not a direct read). */
ssize_t xf_file_read(struct xf_engine *e, struct xb_inode *ip, void *buf, size_t len, off_t off,
		     bool page_cache_fill);
/*
 * A page-cache fill without the copy (src/iomap/read-pin.c): fill and
 * reference the folios (-EAGAIN: use xf_file_read), then lock them; the
 * caller replies from pins->iov and calls iomap_read_unpin.
 */
struct iomap_read_pins;
ssize_t xf_file_read_pin(struct xf_engine *e, struct xb_inode *ip, size_t len, off_t off,
			 struct iomap_read_pins *pins);
ssize_t xf_file_read_pin_lock(struct xb_inode *ip, struct iomap_read_pins *pins);
/*
 * file_accessed / touch_atime: a read of @ip's data, a readdir of it or a
 * readlink of it reached the daemon (the FUSE kernel's fuse_invalidate_atime
 * then asks for the attributes again).  Errors are ignored, as touch_atime
 * ignores them.  Takes only the backend's lock: call it holding no engine lock.
 */
void xf_file_accessed(struct xf_engine *e, struct xb_inode *ip);
/*
 * Would a read of @ip move its atime now?  An open for reading then drops
 * the kernel's cached pages (no FOPEN_KEEP_CACHE), so that the read reaches
 * the daemon: reads served from the kernel's page cache never do.
 */
bool xf_file_atime_pending(struct xf_engine *e, struct xb_inode *ip);
/* @writepage: the FUSE kernel writing back an mmap store (a page fault). */
ssize_t xf_file_write(struct xf_engine *e, struct xb_inode *ip, const void *buf, size_t len,
		      off_t off, bool writepage);
/*
 * A page the kernel's writeback cache (-o writeback_cache) writes back: a
 * buffered write that may extend the file, but leaves mtime and ctime
 * alone: the kernel moved them at write(2) time and sends them with
 * SETATTR (doc/options.md "Writeback cache").
 */
ssize_t xf_file_write_cached(struct xf_engine *e, struct xb_inode *ip, const void *buf, size_t len,
			     off_t off);
/*
 * O_DIRECT (src/file_dio.c, doc/engine.md "Direct I/O"): straight between
 * @buf and the image, the page cache over the range written back (and, for
 * a write, dropped) first.  A write's @off and @len must be multiples of
 * the image's sector size (-EINVAL); reads are checked where they meet
 * allocated blocks, as XFS does.
 */
ssize_t xf_file_dio_read(struct xf_engine *e, struct xb_inode *ip, void *buf, size_t len,
			 off_t off);
ssize_t xf_file_dio_write(struct xf_engine *e, struct xb_inode *ip, const void *buf, size_t len,
			  off_t off);
int xf_file_setsize(struct xf_engine *e, struct xb_inode *ip, uint64_t size);
/* The writeback-error cursor a new open file description starts from. */
uint32_t xf_file_sample_wb_err(struct xf_engine *e, struct xb_inode *ip);
/* fsync through one open description: errors since *@wb_err, which advances
 * (NULL: the inode's errors, each reported once). */
int xf_file_fsync(struct xf_engine *e, struct xb_inode *ip, bool datasync, uint32_t *wb_err);
/*
 * Before giving up with ENOSPC (the kernel's xfs_trans_alloc retry): write
 * everything back, trim speculative preallocation, wait for unlinked files
 * being freed (xb_inodegc_wait).  Takes i_rwsem of other files (trylock):
 * call it holding no engine or backend lock.
 */
void xf_engine_free_space(struct xf_engine *e);
int xf_file_fallocate(struct xf_engine *e, struct xb_inode *ip, uint64_t off, uint64_t len,
		      bool keep_size);
/* FALLOC_FL_PUNCH_HOLE / FALLOC_FL_ZERO_RANGE (xfs_free_file_space). */
int xf_file_punch_or_zero(struct xf_engine *e, struct xb_inode *ip, uint64_t off, uint64_t len,
			  bool zero_range, bool keep_size);
/*
 * Share blocks of @src at @pos_out of @dst (doc/reflink.md): block-aligned
 * offsets, @len whole blocks or up to the source's EOF; @size_len bytes of
 * it count for the destination's size.  -EOPNOTSUPP without reflink.
 */
int xf_file_remap_range(struct xf_engine *e, struct xb_inode *src, uint64_t pos_in,
			struct xb_inode *dst, uint64_t pos_out, uint64_t len, uint64_t size_len);
/*
 * Write back and drop the page cache over [off, off+len) rounded out to
 * folios (xfs_flush_unmap_range).  Caller holds i_rwsem and invalidate_lock
 * exclusive.  For the fallocate modes of file_shift.c.
 */
int xf_flush_unmap_range(struct xf_engine *e, struct vfs_inode *v, uint64_t off, uint64_t len);
/*
 * FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_UNSHARE_RANGE
 * (src/file_shift.c, doc/engine.md "Collapse, insert, unshare"): the checks
 * and locks of xfs_file_fallocate, then xfs_collapse_file_space /
 * xfs_insert_file_space / xfs_reflink_unshare.  Collapse and insert:
 * @off and @len multiples of the block size (else -EINVAL); collapse must
 * end before EOF, insert must start before it (-EINVAL); insert must not
 * take the size past MAX_LFS_FILESIZE (-EFBIG).
 */
int xf_file_collapse_range(struct xf_engine *e, struct xb_inode *ip, uint64_t off, uint64_t len);
int xf_file_insert_range(struct xf_engine *e, struct xb_inode *ip, uint64_t off, uint64_t len);
int xf_file_unshare_range(struct xf_engine *e, struct xb_inode *ip, uint64_t off, uint64_t len,
			  bool keep_size);
/*
 * Collapse (@insert false) or insert with i_rwsem and invalidate_lock
 * already held exclusive by the caller -- or, in the race harness's
 * "locks defeated" runs, deliberately not (doc/race-harness.md race 8).
 */
int xf_file_shift_locked(struct xf_engine *e, struct xb_inode *ip, uint64_t off, uint64_t len,
			 bool insert);
off_t xf_file_lseek(struct xf_engine *e, struct xb_inode *ip, off_t off, int whence);
void xf_file_open(struct xf_engine *e, struct xb_inode *ip);
void xf_file_release(struct xf_engine *e, struct xb_inode *ip);
int xf_engine_syncfs(struct xf_engine *e);

/* XFS_IOC_GOINGDOWN's flags (the kernel's XFS_FSOP_GOING_FLAGS_*). */
enum xf_goingdown {
	XF_GOINGDOWN_DEFAULT = 0,    /* write everything back, then shut down */
	XF_GOINGDOWN_LOGFLUSH = 1,   /* force the log, then shut down */
	XF_GOINGDOWN_NOLOGFLUSH = 2, /* shut down now */
};
/* Shut the mount down (doc/log.md "Shutdown on request"); -EINVAL: bad mode. */
int xf_engine_goingdown(struct xf_engine *e, unsigned int mode);

#endif
