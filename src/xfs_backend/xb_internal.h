/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to src/xfs_backend/: the incore mount and inode, the libxfs lock,
 * and helpers shared by the namespace, attribute and data files.
 *
 * libxfs.h must come first (it is force-included through the compiler's
 * -include of platform_defs.h, then here), and it must never leak out of this
 * folder.
 */
#ifndef XFSFUSE_XB_INTERNAL_H
#define XFSFUSE_XB_INTERNAL_H

#include "libxfs.h"
#include "libxlog.h"

#include <pthread.h>
#include <stdatomic.h>

#include "backend.h"
#include "xfs_iomap.h"

/*
 * One incore inode per inode number (libxfs_iget reads a fresh copy every
 * call, so the table in inode_table.c is the only place that calls it).
 *
 * Fields are protected by the libxfs lock (xb_lock), except @ref which is
 * also only touched under it.  @ip is NULL while the inode is idle and has
 * given its libxfs copy back (inode_idle.c); xb_iget_locked loads it again,
 * so a request holding a reference always finds it.
 */
struct xb_inode {
	struct xb_mount *m;
	uint64_t ino;
	struct xfs_inode *ip;	/* the one libxfs incore inode */
	uint64_t ref;		/* lookup counts + open handles + temporary holds */
	struct xb_inode *hnext; /* hash chain */
	struct vfs_inode *vfs;	/* engine state of a regular file, else NULL */
	bool dying;		/* being evicted: xb_iget waits (I_FREEING) */
	/*
	 * The log checkpoint holding this inode's last change, and its last
	 * change other than timestamps: what fsync and fdatasync must force
	 * (the kernel's ili_commit_seq and ili_fsync_fields).  Under xb_lock.
	 */
	uint64_t log_seq, log_seq_data;
	/* stale_remedy=rfc: delalloc a stale mapping kept (xfs_stale_rfc.c), under xb_lock */
	struct xb_kept_ranges *kept;
	/*
	 * lazytime: the incore timestamps are newer than what is logged (the
	 * kernel's I_DIRTY_TIME).  Under xb_lock; cleared by any transaction
	 * that logs the inode (inode_times.c).
	 */
	bool dirty_time;
	/* What xb_itable_add charged to the page cache for us (bytes, 0: none). */
	uint32_t charge;
	/*
	 * Idle inodes (inode_idle.c): of @ref, those held by requests and open
	 * files rather than by the kernel's lookup count; the LRU of inodes
	 * with none; the data fork's sequence when the libxfs copy went.
	 */
	uint64_t active;
	struct xb_inode *lru_prev, *lru_next;
	bool on_lru;
	uint32_t df_seq;
};

struct xb_mount {
	struct xfs_mount xmnt; /* libxfs mount; xmnt is what libxfs calls mp */
	struct xfs_mount *mp;  /* == &xmnt after libxfs_mount */
	struct libxfs_xinit xi;
	char *image;
	int lock_fd; /* flock held for the whole mount: LOCK_EX read-write, LOCK_SH read-only */
	/*
	 * Read-only: no write reaches the image (its libxfs descriptor is
	 * O_RDONLY).  Cleared once, under xb_lock, by xb_remount_rw; read
	 * without the lock by the FUSE glue, hence atomic.
	 */
	_Atomic bool readonly;
	/*
	 * Read-only mounts keep the image open O_RDWR here, unused, so that
	 * remount,rw can go read-write (remount_rw.c); -1 when it cannot,
	 * @rw_refusal then says why.  Under xb_lock.
	 */
	int rw_fd;
	char rw_refusal[256];
	bool going_rw;		      /* xb_remount_rw under way (it drops xb_lock) */
	unsigned int log_interval_ms; /* -o log_interval, for a log started at remount,rw */
	bool quiet;
	bool marked;	   /* sb_inprogress set by us, clear at unmount */
	bool shutdown;	   /* a dirty transaction failed, or asked for: no more writes */
	_Atomic bool down; /* shutdown, for xb_is_shutdown's callers without the lock */

	/* the XFS log (log/), NULL on read-only mounts */
	struct xb_log *log;
	uint64_t replays, replayed_bufs; /* recoveries done by this mount */
	bool iunlinks_done;		 /* ... and the unlinked lists it freed */

	/* inode table (inode_table.c), under xb_lock */
	struct xb_inode **htab;
	size_t hsize;
	size_t hcount;
	pthread_cond_t itable_cond; /* with the libxfs mutex: a dying inode is gone */
	/* idle inodes (inode_idle.c), under xb_lock */
	struct xb_inode *lru_head, *lru_tail; /* no active reference, oldest first */
	uint64_t lru_count;
	uint64_t inodes_loaded; /* with their libxfs copy */
	uint64_t inode_cache;	/* -o inode_cache (XB_INODE_CACHE_DEFAULT) */

	/* the iomap engine (xb_engine_attach), NULL until attached */
	struct page_cache *pc;
	const struct xb_engine_ops *engine_ops;
	void *engine_arg;
};

/*
 * The libxfs lock.  libxfs 6.1 has no locking of its own (xfs_ilock is a
 * no-op, the buffer cache and superblock counters are unprotected), so every
 * call into libxfs, and every read or write of struct xb_inode / xfs_inode
 * fields, happens under this one mutex.  It is the innermost lock of the
 * order i_rwsem -> invalidate_lock -> folio lock -> ILOCK -> libxfs.
 * xb_lock() also registers the calling thread with liburcu (libxfs needs it).
 */
void xb_lock(void);
void xb_unlock(void);
void xb_lock_init_main_thread(void);
void xb_lock_main_thread_done(void);
/* Wait on @cond, releasing the libxfs lock meanwhile (pthread_cond_wait). */
void xb_lock_wait(pthread_cond_t *cond);
void xb_lock_timedwait(pthread_cond_t *cond, const struct timespec *abstime);
void xb_lock_drop(void);
void xb_lock_retake(void);

/*
 * The log (log/, doc/log.md).  Callers hold xb_lock, with no transaction in
 * flight.  xb_log_mount returns 1 when it replayed a crashed mount's log:
 * the caller mounts again from the superblock; XB_MOUNT_REPLAY_RO when the
 * log needs a replay that a read-only mount must do first (xb_mount).
 */
#define XB_MOUNT_REPLAY_RO 2
struct xb_log;
int xb_log_mount(struct xb_mount *m, unsigned int interval_ms, char *why, size_t whylen);
int xb_log_mark_in_use(struct xb_mount *m);
/* Why the log could not be written read-write ("" and 0 if it can). */
int xb_log_rw_refusal(struct xb_mount *m, char *why, size_t whylen);
/* remount,rw of a read-only mount: the clean log opened for writing. */
int xb_log_mount_rw(struct xb_mount *m, char *why, size_t whylen);
int xb_log_unmount(struct xb_mount *m);
/* A refused mount: drop the log without writing a byte. */
void xb_log_abort(struct xb_mount *m);
int xb_log_checkpoint(struct xb_mount *m);
int xb_log_checkpoint_locked(struct xb_mount *m);
int xb_log_data_barrier(struct xb_mount *m);
int xb_log_fsync(struct xb_inode *xi, bool datasync);
uint64_t xb_log_open_seq(struct xb_mount *m);
struct xb_inode *xb_itable_lookup(struct xb_mount *m, uint64_t ino); /* no reference */
void xb_log_note_inode(struct xb_mount *m, uint64_t ino, unsigned int ilog_flags);
void xb_log_at_unlock(void);
void xb_log_at_unlock_force(void); /* any dirty buffer: checkpoint now */
int xb_log_replay(struct xb_mount *m, struct xlog *xl, xfs_daddr_t head, xfs_daddr_t tail,
		  uint64_t *nbufs);
int xb_log_write_unmount_record(struct xb_log *log);
int xb_log_start_timer(struct xb_log *log);
void xb_log_stop_timer(struct xb_log *log);
/* mount.c: the superblock (free counters) into a transaction of its own. */
int xb_write_sb(struct xb_mount *m);

/* remount_rw.c: at mount, read-only: open the image O_RDWR in reserve, or say why not. */
void xb_reserve_rw(struct xb_mount *m);

/* inode_table.c (callers hold xb_lock) */
int xb_itable_init(struct xb_mount *m);
void xb_itable_destroy(struct xb_mount *m);
int xb_iget_locked(struct xb_mount *m, uint64_t ino, struct xb_inode **ipp);
/* libxfs_iget for the table: -ESTALE for a free slot, i_size the on-disk size. */
int xb_iread(struct xb_mount *m, uint64_t ino, struct xfs_inode **ipp);
void xb_iput_locked(struct xb_inode *xi); /* -1 active reference */
/* Drop @n references, @nactive of them active ones (inode_table.c). */
void xb_idrop_locked(struct xb_inode *xi, uint64_t n, uint64_t nactive);

/*
 * Idle inodes (inode_idle.c).  XB_INODE_SLACK: the forks' extent lists and
 * malloc's headers, charged with each loaded libxfs copy.
 */
#define XB_INODE_SLACK	      256
#define XB_INODE_LOADED_MIN   1024 /* libxfs copies kept whatever cache_size */
#define XB_INODE_SHRINK_BATCH 8	   /* LRU entries a request looks at, at most */
size_t xb_inode_loaded_charge(void);
void xb_ihold_locked(struct xb_inode *xi);
void xb_ilru_del(struct xb_mount *m, struct xb_inode *xi);
void xb_inode_inactive(struct xb_inode *xi);
void xb_inode_shrink_locked(struct xb_mount *m);
/* Load what an idle inode gave back, before a request uses it (no-op if whole). */
int xb_inode_reload(struct xb_inode *xi);
/* A loaded regular file's vfs_inode: made (charged) if missing; given back (inode_table.c). */
int xb_vfs_attach(struct xb_inode *xi);
void xb_vfs_detach(struct xb_inode *xi);
void xb_inode_shrinker_install(struct xb_mount *m);
/* Post-EOF blocks a close or blockgc would trim (xfs_delalloc.c). */
bool xfs_can_free_eofblocks(struct xb_inode *xi);
/* Insert a freshly allocated inode (from libxfs_dir_ialloc) with one reference. */
struct xb_inode *xb_itable_insert_new(struct xb_mount *m, struct xfs_inode *ip);

/* inactive.c: free an inode whose link count is zero (last reference gone). */
int xb_inactive(struct xb_mount *m, struct xfs_inode *ip);
/* unlinked.c: AGI unlinked list, as fs/xfs/xfs_inode.c xfs_iunlink*. */
int xb_iunlink(struct xfs_trans *tp, struct xfs_inode *ip);
int xb_iunlink_remove(struct xfs_trans *tp, struct xfs_inode *ip);
/* After a log replay: free the inodes left on the AGI unlinked lists. */
int xb_iunlink_recover(struct xb_mount *m, uint64_t *freed);

/* trans.c: every transaction goes through these (free-space set-aside, ro) */
bool xb_space_available(struct xb_mount *m, uint64_t blocks);
/* in_group_or_capable: may @cr keep a setgid of group @gid? (inode_attr.c) */
bool xb_in_group_or_capable(const struct xb_cred *cr, uint32_t gid);
/* The reserve pool only I/O completion may dip into (xfs_default_resblks). */
uint64_t xb_reserve_blocks(struct xfs_mount *mp);
int xb_trans_alloc(struct xb_mount *m, struct xfs_trans_res *resv, unsigned int blocks,
		   struct xfs_trans **tpp);
int xb_trans_commit(struct xfs_trans *tp);
void xb_trans_cancel(struct xb_mount *m, struct xfs_trans *tp);
void xb_shutdown(struct xb_mount *m, const char *reason);

/* inode_attr.c */
void xb_fill_stat(struct xb_inode *xi, struct xb_stat *st);
/* inode_flags.c: di_flags -> XB_IFLAG_* (caller holds xb_lock). */
unsigned int xb_diflags_to_iflags(const struct xfs_inode *ip);
/* inode_times.c: log lazytime's timestamps of one inode / of every cached inode. */
int xb_flush_dirty_time_locked(struct xb_inode *xi);
int xb_flush_dirty_times_locked(struct xb_mount *m);

/*
 * inode_flags.c: the VFS's immutable/append-only checks on names and xattrs
 * (-EPERM or 0), and the flags a new inode inherits from its parent.
 */
int xb_may_create_in(const struct xfs_inode *dp);
int xb_may_delete(const struct xfs_inode *dp, const struct xfs_inode *ip);
int xb_may_link(const struct xfs_inode *ip);
int xb_may_change_xattr(const struct xfs_inode *ip);
void xb_inherit_flags(struct xfs_trans *tp, struct xfs_inode *ip, const struct xfs_inode *pip);

/* data.c: change a regular file's size (blocks past EOF freed, tail zeroed). */
int xb_truncate_locked(struct xb_inode *xi, uint64_t size);
/* Free every block of @whichfork from file block @start on, in rolling transactions. */
int xb_itruncate_extents(struct xb_mount *m, struct xfs_inode *ip, int whichfork,
			 xfs_fileoff_t start);
/* Unmap [start, start+len) file blocks of @whichfork (punch hole). */
int xb_unmap_range(struct xb_mount *m, struct xfs_inode *ip, int whichfork, xfs_fileoff_t start,
		   xfs_filblks_t len);

/* xattr.c: one attribute of a live inode (@val NULL: remove), checks first. */
void xb_xattr_args_init(struct xfs_da_args *args, struct xfs_inode *ip, unsigned int attr_filter,
			const char *bare);
int xb_attr_err(int error);
int xb_xattr_set_locked(struct xb_inode *xi, unsigned int attr_filter, const char *bare,
			const void *val, size_t size, int flags);

/* namei.c helpers shared with remove.c and readdir.c */
/* Validate a name from FUSE: 1..255 bytes, no '/'.  -ENAMETOOLONG / -EINVAL. */
int xb_check_name(const char *name, struct xfs_name *xname);
/* Look a name up in a directory without taking a reference. */
int xb_dir_lookup_ino(struct xb_inode *dir, const char *name, xfs_ino_t *ino);

/*
 * Errors: libxfs returns negative errnos (a few paths positive ones).  A bad
 * checksum (EFSBADCRC, EBADMSG) is reported like any other verification
 * failure, as EFSCORRUPTED (EUCLEAN).  Seeing one also arms a buffer-cache
 * purge at xb_unlock(): libxfs 6.1 caches a buffer whose read verifier failed
 * as up to date and checked, so the next read would hand out the corrupt
 * block unverified -- and a transaction could then modify and write it.
 */
extern bool xb_saw_corruption; /* under xb_lock */

static inline int xb_err(int error)
{
	if (error > 0)
		error = -error;
	if (error == -EFSBADCRC)
		error = -EFSCORRUPTED;
	if (error == -EFSCORRUPTED)
		xb_saw_corruption = true;
	return error;
}

/*
 * The XFS side of the iomap engine (xfs_iomap.c, xfs_aops.c, xfs_delalloc.c),
 * for each other, the superblock writer and inode teardown.  Callers hold
 * xb_lock unless noted.
 */
uint64_t xfs_iomap_maxbytes(struct xfs_mount *mp);
/* The engine's i_size of a regular file (the kernel's XFS_ISIZE). */
uint64_t xfs_isize(struct xb_inode *xi);
/* The validity cookie: data fork if_seq (| COW fork if_seq << 32 if SHARED). */
uint64_t xfs_iomap_inode_sequence(struct xfs_inode *ip, uint16_t iomap_flags);
int xfs_bmbt_to_iomap(struct xb_inode *xi, struct iomap *iomap, struct xfs_bmbt_irec *imap,
		      uint16_t iomap_flags, uint64_t sequence_cookie);
extern const struct iomap_folio_ops xfs_iomap_folio_ops;
xfs_filblks_t xfs_bmap_worst_indlen(struct xfs_inode *ip, xfs_filblks_t len);
/* Remove only delalloc in [start_byte, end_byte); returns blocks punched. */
uint64_t xfs_bmap_punch_delalloc_range(struct xb_inode *xi, uint64_t start_byte, uint64_t end_byte);
/* Unwritten -> written over [offset, offset+count), on-disk size moved with it. */
int xfs_iomap_write_unwritten(struct xb_inode *xi, uint64_t offset, uint64_t count,
			      bool update_isize);
/* xfs_setfilesize: log the on-disk size up to min(offset + size, i_size). */
int xfs_setfilesize(struct xb_inode *xi, uint64_t offset, uint64_t size);
/* Blocks (data + indirect) reserved by one inode's / all inodes' delalloc. */
uint64_t xfs_inode_delalloc_reserved(struct xfs_inode *ip);
uint64_t xb_delalloc_blocks_locked(struct xb_mount *m);
/* Before an inode's memory goes (after eviction): give back leftover delalloc. */
void xb_iomap_inode_teardown_locked(struct xb_inode *xi);

/*
 * stale_remedy=rfc (xfs_stale_rfc.c).  inherit: ->iomap_begin replacing the
 * stale mapping @prev marks delalloc it finds there IOMAP_F_NEW again.  keep:
 * ->iomap_end of a stale mapping, true when it must not punch (the blocks it
 * keeps are counted and remembered; takes xb_lock).  teardown: count what is
 * still kept as reclaimed, forget it (xb_lock held).
 */
void xfs_iomap_inherit_new(struct xb_inode *xi, struct iomap *iomap, const struct iomap *prev,
			   unsigned int flags);
bool xfs_iomap_keep_stale_delalloc(struct xb_inode *xi, loff_t offset, loff_t length,
				   ssize_t written, const struct iomap *iomap);
void xb_kept_teardown_locked(struct xb_inode *xi);

/*
 * A transaction finishing work the user was told succeeded (I/O completion):
 * may dip into the reserve pool, as the kernel's force=true (xfs_aops.c).
 */
int xfs_trans_alloc_force(struct xb_mount *m, struct xfs_trans_res *resv, unsigned int blocks,
			  struct xfs_trans **tpp);

/*
 * Copy-on-write of shared blocks (xfs_reflink.c, doc/reflink.md).  xb_lock
 * held.  trim_cow: trim a data fork mapping to its shared or unshared
 * start.  reserve_cow: COW fork delalloc for [off, end) (hint-aligned).
 * convert_cow: staging blocks about to be written become written (incore).
 * end_cow: remap written staging blocks into the data fork.  cancel: drop
 * COW fork delalloc and unwritten (or all, @cancel_real) staging blocks.
 */
bool xfs_inode_has_cow_data(struct xfs_inode *ip);
int xfs_reflink_find_shared(struct xfs_mount *mp, xfs_agnumber_t agno, xfs_agblock_t agbno,
			    xfs_extlen_t aglen, xfs_agblock_t *fbno, xfs_extlen_t *flen);
int xfs_bmap_trim_cow(struct xfs_inode *ip, struct xfs_bmbt_irec *imap, bool *shared);
int xfs_reflink_reserve_cow(struct xb_inode *xi, xfs_fileoff_t off, xfs_fileoff_t end,
			    struct xfs_bmbt_irec *cmap, struct xfs_iext_cursor *ccur, bool cow_eof);
int xfs_reflink_convert_cow(struct xb_inode *xi, uint64_t offset, uint64_t count);
int xfs_reflink_end_cow(struct xb_inode *xi, uint64_t offset, uint64_t count);
int xfs_reflink_cancel_cow_blocks(struct xb_mount *m, struct xfs_inode *ip,
				  xfs_fileoff_t offset_fsb, xfs_fileoff_t end_fsb,
				  bool cancel_real);
int xfs_reflink_cancel_cow_range(struct xb_inode *xi, uint64_t offset, uint64_t count,
				 bool cancel_real);
uint64_t xfs_reflink_cow_delalloc_reserved(struct xfs_inode *ip);
/* Free CoW staging extents a crash left (read-write mount). */
int xfs_reflink_recover_cow(struct xb_mount *m);

#endif
