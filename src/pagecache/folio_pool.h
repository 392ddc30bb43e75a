/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The folio pool: where folio memory comes from (doc/engine.md, "Folio
 * memory").  Folios are carved from chunks mmap'd for this cache alone, so
 * freed folios are reused in place and an empty chunk goes back to the
 * system, instead of fragmenting malloc's per-thread arenas.
 *
 * A chunk is one anonymous mapping: a header, then one slot header per folio
 * (struct folio and its two bitmaps), then the data slots, each folio_size
 * bytes (2 MiB of them, or one folio if folio_size is larger).
 *
 * Zeroing.  A slot never handed out before is zero (fresh anonymous memory)
 * and folio_pool_alloc says so.  A recycled slot holds the bytes of the
 * folio that had it, possibly another file's: it is NOT zeroed, because
 * every path that marks a block uptodate fills the whole block first and
 * only uptodate (or dirty, a subset) blocks are ever read from a folio
 * (doc/engine.md lists the paths).  Sanitizer builds fill recycled slots
 * with FOLIO_POOL_SCRUB_BYTE so a path that breaks this shows garbage to
 * the data-checking tests (fsx, model) rather than plausible old bytes.
 *
 * Lock: pool->lock is a leaf (no other lock is taken under it); mmap and
 * munmap run outside it.
 */
#ifndef XFSFUSE_FOLIO_POOL_H
#define XFSFUSE_FOLIO_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FOLIO_POOL_CHUNK_DATA (2UL << 20) /* data bytes per chunk (at least one folio) */
#define FOLIO_POOL_SCRUB_BYTE 0xa5

struct folio;
struct fp_chunk;

struct folio_pool_stats {
	_Atomic uint64_t chunks;	  /* mapped now (gauge) */
	_Atomic uint64_t chunks_mapped;	  /* ever */
	_Atomic uint64_t chunks_unmapped; /* ever */
	_Atomic uint64_t slots_used;	  /* handed out now (gauge) */
	_Atomic uint64_t slots_fresh;	  /* allocations from never-used (zero) slots */
	_Atomic uint64_t slots_recycled;  /* allocations of a freed slot */
};

struct folio_pool {
	size_t folio_size;
	size_t hdr_size;	  /* one slot header: struct folio + 2 bitmaps */
	size_t bitmap_bytes;	  /* each bitmap: folio_size >> 9 bits (512-byte blocks) */
	size_t data_off;	  /* from the chunk's start to its first data slot */
	size_t map_bytes;	  /* the whole mapping */
	unsigned int nr_slots;	  /* per chunk */
	pthread_mutex_t lock;	  /* leaf: partial, spare, every chunk's free stack */
	struct fp_chunk *partial; /* chunks with a free slot (doubly linked) */
	struct fp_chunk *spare;	  /* empty chunks kept: no map/unmap ping-pong */
	unsigned int nr_spare;
	unsigned int max_spare; /* folio_pool_init: 1; see folio_pool_set_spare */
	struct folio_pool_stats stats;
};

int folio_pool_init(struct folio_pool *p, size_t folio_size);
/*
 * Keep up to @bytes of empty chunks mapped (at least one).  The page cache
 * sets 1/16 of cache_size: reclaim frees that much at a time, often whole
 * chunks, and a sequential writer fills them again at once; unmapping and
 * faulting them back in cost more than the memset the pool saves
 * (doc/engine.md, "Folio memory").
 */
void folio_pool_set_spare(struct folio_pool *p, uint64_t bytes);
/* Unmaps every chunk with no folio in use (those in use stay mapped). */
void folio_pool_destroy(struct folio_pool *p);
/*
 * A slot: its struct folio zeroed but for ->data, ->uptodate, ->dirty (the
 * bitmaps zeroed too) and the pool's own field.  *@zeroed tells whether the
 * data bytes are known zero.  NULL if no memory.
 */
struct folio *folio_pool_alloc(struct folio_pool *p, bool *zeroed);
void folio_pool_free(struct folio_pool *p, struct folio *f);

#endif
