/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page cache internals shared by the files of src/pagecache (not part of the
 * contract in pagecache.h).
 */
#ifndef XFSFUSE_PC_INTERNAL_H
#define XFSFUSE_PC_INTERNAL_H

#include <limits.h>

#include "pagecache.h"

#define PC_BITS_PER_LONG	(sizeof(unsigned long) * CHAR_BIT)
#define PC_BATCH		16 /* folios per gang lookup (the kernel's folio_batch) */
#define PC_DIRECT_RECLAIM_BATCH 32 /* folios a creator scans past the hard limit */

/* ---- list_head ---- */
static inline bool pc_list_empty(const struct pc_list *l)
{
	return l->next == l;
}

static inline void pc_list_del_init(struct pc_list *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	pc_list_init(e);
}

static inline void pc_list_add_tail(struct pc_list *e, struct pc_list *head)
{
	e->prev = head->prev;
	e->next = head;
	head->prev->next = e;
	head->prev = e;
}

static inline void pc_list_move_tail(struct pc_list *e, struct pc_list *head)
{
	pc_list_del_init(e);
	pc_list_add_tail(e, head);
}

#define pc_lru_entry(ptr) ((struct folio *) ((char *) (ptr) -offsetof(struct folio, lru)))

/* ---- atomic flag bits ---- */
static inline bool folio_test_flag(struct folio *f, int bit)
{
	return atomic_load(&f->flags) & (1UL << bit);
}

static inline bool folio_test_set_flag(struct folio *f, int bit)
{
	return atomic_fetch_or(&f->flags, 1UL << bit) & (1UL << bit);
}

static inline bool folio_test_clear_flag(struct folio *f, int bit)
{
	return atomic_fetch_and(&f->flags, ~(1UL << bit)) & (1UL << bit);
}

/* ---- plain bitmaps (callers hold folio->state_lock) ---- */
static inline bool pc_test_bit(const unsigned long *map, unsigned int nr)
{
	return map[nr / PC_BITS_PER_LONG] & (1UL << (nr % PC_BITS_PER_LONG));
}

static inline void pc_set_bit(unsigned long *map, unsigned int nr)
{
	map[nr / PC_BITS_PER_LONG] |= 1UL << (nr % PC_BITS_PER_LONG);
}

static inline void pc_clear_bit(unsigned long *map, unsigned int nr)
{
	map[nr / PC_BITS_PER_LONG] &= ~(1UL << (nr % PC_BITS_PER_LONG));
}

static inline size_t pc_bitmap_bytes(unsigned int nbits)
{
	return (nbits + PC_BITS_PER_LONG - 1) / PC_BITS_PER_LONG * sizeof(unsigned long);
}

/* Blocks per folio, from the folio itself (its mapping may be gone). */
static inline unsigned int folio_nr_blocks_of(const struct folio *f)
{
	return f->nr_blocks;
}

/* mm/filemap.c: take the folio out of the index (i_pages_lock held). */
void __filemap_remove_folio(struct address_space *m, struct folio *f);
/* ... then the rest: LRU, counters, the cache's reference (no locks). */
void filemap_free_removed_folio(struct page_cache *pc, struct folio *f);
/* Forget every block's state and PG_uptodate: the folio left the cache. */
void ifs_drop_state(struct folio *f);
/* iomap_invalidate_folio for a partial range: whole blocks lose their state. */
void ifs_invalidate_range(struct folio *f, size_t off, size_t len);

#endif
