/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The page cache: folios indexed per file, with the per-block state of the
 * kernel's struct iomap_folio_state.  Only what the iomap buffered path,
 * writeback and reclaim need of mm/filemap.c.
 *
 * Folios.  All folios of one cache have the same size (mount option
 * folio_size: 4k default, 16k, 64k), a power of two >= the fs block size, so
 * one folio can hold many blocks.  A folio is in at most one mapping, at index
 * pos >> folio_shift.  Its memory (struct, bitmaps, data: one slot of the
 * folio pool, folio_pool.h) lives as long as a reference does; folio->mapping
 * becomes NULL when it is removed from the cache (truncate or eviction):
 * holders must check it after locking.
 *
 * References.  The cache holds one reference while the folio is in the
 * mapping; every lookup returns one more, dropped with folio_put().  Reclaim
 * evicts only folios whose only references are the cache's and its own.
 *
 * Flags (folio->flags, atomic bit ops):
 *   PG_uptodate   every block of the folio is up to date
 *   PG_dirty      some block is dirty; mirrored by tag PC_TAG_DIRTY
 *   PG_writeback  under writeback I/O; mirrored by tag PC_TAG_WRITEBACK;
 *                 set with the folio locked, cleared by I/O completion
 * Per-block state (struct folio_state, the kernel's iomap_folio_state):
 *   uptodate[] and dirty[] bitmaps, one bit per fs block, under state_lock.
 *
 * Locks (innermost last; see src/vfs/vfs_inode.h for the whole order):
 *   folio->lock               the folio lock, a sleeping lock held across
 *                             reading it from disk, copying into it and
 *                             starting writeback; taken before ILOCK.  A
 *                             pthread mutex: the thread that locked it
 *                             unlocks it (unlike the kernel's PG_locked)
 *   folio->state_lock         leaf: per-block bitmaps
 *   mapping->i_pages_lock     leaf: the index tree, its tags, nrpages
 *   page_cache->lru_lock      leaf: LRU list and global counters
 *   page_cache->wait_lock     leaf: with wait_cond, one wait queue for all
 *                             folios (folio_end_writeback broadcasts,
 *                             waiters re-test their own PG_writeback)
 *   page_cache->pool.lock     leaf: the folio pool's free slots and chunks;
 *                             taken by folio allocation and the last
 *                             folio_put, under any of the above or none
 *
 * PG_dirty/PG_writeback flip under i_pages_lock together with their tags.
 * Lookups take their reference under i_pages_lock, which is what lets
 * folio_try_evict check "refcount == 2" there (folio_ref_freeze).
 */
#ifndef XFSFUSE_PAGECACHE_H
#define XFSFUSE_PAGECACHE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "folio_pool.h"
#include "radix-tree.h" /* libfrog (xfsprogs): the kernel's radix tree with tags */

#define PC_TAG_DIRTY	 0
#define PC_TAG_WRITEBACK 1

enum {
	PG_uptodate = 0,
	PG_dirty = 1,
	PG_writeback = 2,
};

struct page_cache;
struct address_space;

/* The kernel's list_head, for the LRU and ioend folio lists. */
struct pc_list {
	struct pc_list *next, *prev;
};

struct folio {
	struct address_space *mapping; /* NULL once removed from the cache */
	uint64_t index;		       /* pos >> folio_shift */
	_Atomic int refcount;
	_Atomic unsigned long flags; /* PG_* bits */
	pthread_mutex_t lock;	     /* the folio lock */
	pthread_mutex_t state_lock;  /* protects the bitmaps below */
	unsigned long *uptodate;     /* one bit per block */
	unsigned long *dirty;	     /* one bit per block */
	char *data;		     /* folio_size bytes */
	struct pc_list lru;	     /* on page_cache->lru, under lru_lock */
	bool on_lru;
	uint64_t dirtied_when_ms; /* for dirty_expire */
	struct folio *wb_next;	  /* writeback: chain in an ioend */
	/*
	 * src/writeback (added by the writeback work): ioends holding this
	 * folio plus a submission bias while iomap_writepage_map runs (the
	 * kernel's ifs->write_bytes_pending); the one that drops it to zero
	 * calls folio_end_writeback().  Zero when not under writeback.
	 */
	_Atomic int wb_pending;
	/* Fixed at allocation (valid after removal, unlike mapping): */
	struct page_cache *pc;
	unsigned int blkbits;	     /* block size log2 of the mapping */
	unsigned int nr_blocks;	     /* bits in uptodate[] and dirty[] */
	struct fp_chunk *pool_chunk; /* the folio pool's chunk holding this folio */
};

struct pc_stats {
	_Atomic uint64_t folios_created;
	_Atomic uint64_t folios_reclaimed;
	_Atomic uint64_t folios_truncated;
	_Atomic uint64_t reads;		   /* folio fills from disk */
	_Atomic uint64_t folios_freed;	   /* last reference dropped */
	_Atomic uint64_t direct_reclaimed; /* evicted by creators (hard limit) */
};

struct page_cache {
	size_t folio_size;
	unsigned int folio_shift;
	uint64_t limit_bytes; /* cache_size= */
	pthread_mutex_t lru_lock;
	struct pc_list lru; /* clean and dirty folios, oldest first */
	_Atomic uint64_t nr_folios;
	_Atomic uint64_t nr_dirty;     /* folios with PG_dirty */
	_Atomic uint64_t nr_writeback; /* folios with PG_writeback */
	pthread_mutex_t wait_lock;     /* with wait_cond: writeback/lock waiters */
	pthread_cond_t wait_cond;
	/*
	 * Called, with no page-cache lock held, by filemap_grab_folio when a
	 * new folio takes the cache over limit_bytes.  Must not sleep on
	 * anything (the caller may hold i_rwsem and other folio locks).
	 * reclaim_start() installs reclaim's kick here, with the reclaimer in
	 * over_limit_data; both are read and written with atomic builtins.
	 * Past twice the limit (the hard limit) the creator also evicts clean
	 * folios itself first (direct reclaim, trylocks only).
	 */
	void (*over_limit)(struct page_cache *pc); /* reclaim's kick, may be NULL */
	void *over_limit_data;
	/*
	 * A shrinker of what is charged beside the folios (the backend's idle
	 * inodes, doc/backend.md "Idle inodes"): reclaim calls it about once
	 * a second with no lock held, as the kernel's reclaim calls its
	 * shrinkers.  Installed by the owner of the charge (atomic builtins).
	 */
	void (*shrink_charged)(void *arg);
	void *shrink_charged_arg;
	/*
	 * Memory outside the folios that cache_size covers too, in bytes:
	 * the in-core inodes, charged by the backend as they come and go
	 * (page_cache_charge).  The kernel's inodes and page cache share one
	 * memory as well; without this, a tree of small files the kernel
	 * keeps grew the daemon past cache_size (doc/performance.md, "Memory").
	 */
	_Atomic int64_t charged_bytes;
	struct folio_pool pool; /* folio memory (folio_pool.h) */
	struct pc_stats stats;
};

struct address_space {
	struct page_cache *pc;
	void *host;	      /* struct vfs_inode * */
	uint64_t host_ino;    /* host->i_ino, for the lock watch (0: unknown) */
	unsigned int blkbits; /* fs block size log2 */
	pthread_mutex_t i_pages_lock;
	struct radix_tree_root i_pages;
	uint64_t nrpages;
	_Atomic int wb_err;	     /* first writeback error not yet reported (-errno) */
	_Atomic uint32_t wb_err_seq; /* bumped on every new error (errseq-like) */
};

/* ---- the cache and mappings ---- */
int page_cache_init(struct page_cache *pc, size_t folio_size, uint64_t limit_bytes);
void page_cache_destroy(struct page_cache *pc); /* all mappings must be empty */
/* CLOCK_MONOTONIC in milliseconds (the cache's and reclaim's clock). */
uint64_t pc_now_ms(void);
/* Charge (@bytes > 0) or uncharge memory held beside the folios. */
void page_cache_charge(struct page_cache *pc, int64_t bytes);
/*
 * How many folios cache_size leaves room for: cache_size less what is
 * charged and the folio pool's spare chunks, each folio counted with its
 * slot header -- but at least half of cache_size for folios, whatever is
 * charged.  Only meaningful with a limit (limit_bytes != 0).
 */
uint64_t page_cache_limit_folios(struct page_cache *pc);
void mapping_init(struct address_space *m, struct page_cache *pc, void *host, unsigned int blkbits);
void mapping_destroy(struct address_space *m); /* must be empty */
static inline unsigned int folio_nr_blocks(const struct address_space *m)
{
	return (unsigned int) (m->pc->folio_size >> m->blkbits);
}
static inline uint64_t folio_pos(const struct folio *f, const struct page_cache *pc)
{
	return f->index << pc->folio_shift;
}

/* ---- lookup (every returned folio carries a reference) ---- */
struct folio *filemap_get_folio(struct address_space *m, uint64_t index); /* NULL if absent */
/* Find, lock: NULL if absent.  Retries if the folio is removed meanwhile. */
struct folio *filemap_lock_folio(struct address_space *m, uint64_t index);
/* Find or create (not uptodate, no blocks uptodate), locked.  -ENOMEM as NULL. */
struct folio *filemap_grab_folio(struct address_space *m, uint64_t index);
/* Create only (readahead): new, locked; NULL with -EEXIST or -ENOMEM in *errp. */
struct folio *filemap_create_folio(struct address_space *m, uint64_t index, int *errp);
/* Up to @max folios with index in [start, end] carrying @tag, in index order. */
unsigned int filemap_get_folios_tag(struct address_space *m, uint64_t start, uint64_t end,
				    unsigned int tag, struct folio **folios, unsigned int max);
/* Up to @max folios with index in [start, end], in index order. */
unsigned int filemap_get_folios(struct address_space *m, uint64_t start, uint64_t end,
				struct folio **folios, unsigned int max);

void folio_get(struct folio *f);
void folio_put(struct folio *f);
void folio_lock(struct folio *f);
bool folio_trylock(struct folio *f);
void folio_unlock(struct folio *f);

/* ---- flags ---- */
bool folio_test_uptodate(struct folio *f);
void folio_mark_uptodate(struct folio *f);
bool folio_test_dirty(struct folio *f);
bool folio_test_writeback(struct folio *f);
/* Set PG_dirty and the tag (folio locked).  Returns true if it was clean. */
bool filemap_dirty_folio(struct folio *f);
/* Writeback: clear PG_dirty and the tag before I/O (folio locked). */
bool folio_clear_dirty_for_io(struct folio *f);
/* Undo the dirty state without I/O (truncate, failed delalloc): PG_dirty,
 * its tag and every block's dirty bit. */
void folio_cancel_dirty(struct folio *f);
void folio_start_writeback(struct folio *f); /* folio locked */
void folio_end_writeback(struct folio *f);   /* any thread; wakes waiters */
void folio_wait_writeback(struct folio *f);  /* caller holds a reference */
/*
 * Sleep until some folio ends writeback, or @ms pass; at once if nothing is
 * dirty or under writeback (reclaim_throttle, balance_dirty_pages' pause).
 */
void pc_wait_writeback_progress(struct page_cache *pc, unsigned int ms);
/* @ms from now on CLOCK_MONOTONIC, for the engine's monotonic condvars. */
void pc_deadline_ms(struct timespec *ts, unsigned int ms);
void folio_mark_accessed(struct folio *f); /* LRU: move to the young end */

/* ---- per-block state (iomap_folio_state) ---- */
bool ifs_block_is_uptodate(struct folio *f, unsigned int block);
bool ifs_block_is_dirty(struct folio *f, unsigned int block);
/*
 * [off, off+len) in bytes within the folio; every block the range touches is
 * marked as a whole (the kernel's first_blk = off >> blkbits, last_blk =
 * (off + len - 1) >> blkbits): a one-byte write dirties its block.  Callers
 * make partially written blocks uptodate (read or zero) before saying so.
 */
void ifs_set_range_uptodate(struct folio *f, size_t off,
			    size_t len); /* sets PG_uptodate when all are */
void ifs_set_range_dirty(struct folio *f, size_t off, size_t len);
void ifs_clear_range_dirty(struct folio *f, size_t off, size_t len);
/* First dirty block run at or after block *@start: returns its length (0 if none). */
unsigned int ifs_find_dirty_range(struct folio *f, unsigned int *start);
/*
 * Drop the per-block granularity (the kernel's ifs_free): blocks become
 * uptodate iff PG_uptodate, none dirty.  Removal from the cache (truncate,
 * eviction) also clears PG_uptodate and every bit.
 */
void ifs_clear_all(struct folio *f);

/* ---- removal ---- */
/*
 * Remove folios wholly inside [lstart, lend] (bytes, inclusive), waiting for
 * writeback and dropping dirty state; zero the parts of partial folios in the
 * range (they stay cached).  Caller holds i_rwsem and invalidate_lock
 * exclusive.  The kernel's truncate_inode_pages_range.
 * In a partial folio, blocks wholly inside the range lose their uptodate
 * and dirty bits (so PG_uptodate goes; PG_dirty too if no dirty block is
 * left); a block partly inside keeps its state, zeroed in the range.
 * lend == UINT64_MAX means to the end of the file.
 */
void truncate_inode_pages_range(struct address_space *m, uint64_t lstart, uint64_t lend);
/*
 * Drop every folio with a byte in [lstart, lend] whole, taking no inode lock
 * (src/pagecache/invalidate.c).  A folio found dirty or under writeback
 * stays: -EBUSY (a direct write then falls back to a buffered one).
 */
int invalidate_inode_pages2_range(struct address_space *m, uint64_t lstart, uint64_t lend);
/* Drop every clean, unlocked, unused folio of @m; how many are left (trylocks only). */
uint64_t invalidate_mapping_pages(struct address_space *m);
/*
 * Reclaim: evict @f if clean, unlocked, not under writeback, unreferenced
 * (the caller's reference is the only other one).  The caller still puts
 * its reference afterwards.
 */
bool folio_try_evict(struct folio *f);
/*
 * The same; on success *@host is the mapping's host, read while the folio
 * was still indexed (an identity for injection hooks: once the folio is
 * gone nothing keeps the inode alive).
 */
bool folio_try_evict_from(struct folio *f, void **host);

/*
 * Reclaim's scan (mm/vmscan.c isolate_lru_folios, reduced): up to @max
 * folios from the old end of the LRU, each with a reference, rotated to the
 * young end so the next call sees others.
 */
unsigned int isolate_lru_folios(struct page_cache *pc, struct folio **batch, unsigned int max);

/* ---- queries for punch/seek (see iomap/seek.c, iomap/punch.c) ---- */
/*
 * Next byte offset in [start, end) that is dirty in the page cache, or
 * that is uptodate when @uptodate_counts is set; -1 if none.  Holds nothing
 * across folios: callers hold invalidate_lock to keep it stable.
 */
int64_t mapping_seek_data_range(struct address_space *m, uint64_t start, uint64_t end,
				bool uptodate_counts);
/* Next offset in [start, end) that is NOT dirty (same rules), or end. */
int64_t mapping_seek_hole_range(struct address_space *m, uint64_t start, uint64_t end,
				bool uptodate_counts);

/* ---- writeback errors (errseq) ---- */
void mapping_set_error(struct address_space *m, int error);
/* Report an error set since *@since (and advance it), else 0. */
int mapping_check_error(struct address_space *m, uint32_t *since);
/* The cursor a new opener starts from (errors before it are not reported). */
static inline uint32_t filemap_sample_wb_err(struct address_space *m)
{
	return atomic_load(&m->wb_err_seq);
}

/* ---- list helpers ---- */
static inline void pc_list_init(struct pc_list *l)
{
	l->next = l->prev = l;
}

#endif
