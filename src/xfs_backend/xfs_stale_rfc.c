// SPDX-License-Identifier: GPL-2.0
/*
 * The XFS side of stale_remedy=rfc (doc/race.md, "Three remedies"): what
 * the September 2022 RFC asked of ->iomap_begin and ->iomap_end, and the
 * bookkeeping that shows what it costs.
 *
 *  - ->iomap_end of a stale IOMAP_F_NEW delalloc mapping does not punch:
 *    the 6.1 punch truncated the page cache over the range, and an mmap
 *    store that landed there meanwhile would go with it.  The delalloc it
 *    keeps is remembered per inode ("kept" ranges).
 *  - ->iomap_begin, told that it replaces such a mapping, reports delalloc
 *    it finds there as IOMAP_F_NEW again, so that a write that then fails
 *    still gives it back.  Only delalloc: written or unwritten blocks are
 *    never new (marking written blocks new would zero them: the 2022 bug).
 *
 * Kept delalloc that no remap reuses stays reserved: it reads as zeroes,
 * statfs counts it as used, and only inode teardown (or a truncate, or the
 * last close past EOF) gives it back.  The counters say how much was kept,
 * how much is still pending and how much teardown reclaimed.
 */
#include "trace.h"
#include "xb_internal.h"
#include "xfs_iomap.h"

#define XB_KEPT_MAX 16

struct xb_kept_ranges {
	unsigned int n;
	uint64_t start[XB_KEPT_MAX], end[XB_KEPT_MAX]; /* bytes */
};

/* Delalloc blocks (not indirect) in [start_byte, end_byte) of @xi's data fork. */
static uint64_t xfs_count_delalloc_range(struct xb_inode *xi, uint64_t start_byte,
					 uint64_t end_byte)
{
	struct xfs_mount *mp = xi->m->mp;
	struct xfs_ifork *ifp = &xi->ip->i_df;
	xfs_fileoff_t start_fsb = XFS_B_TO_FSBT(mp, start_byte);
	xfs_fileoff_t end_fsb = XFS_B_TO_FSB(mp, end_byte);
	struct xfs_iext_cursor icur;
	struct xfs_bmbt_irec got;
	uint64_t n = 0;

	if (end_byte <= start_byte || xfs_need_iread_extents(ifp))
		return 0;
	if (!xfs_iext_lookup_extent(xi->ip, ifp, start_fsb, &icur, &got))
		return 0;
	do {
		if (got.br_startoff >= end_fsb)
			break;
		xfs_trim_extent(&got, start_fsb, end_fsb - start_fsb);
		if (got.br_blockcount && isnullstartblock(got.br_startblock))
			n += got.br_blockcount;
	} while (xfs_iext_next_extent(ifp, &icur, &got));
	return n;
}

/* Remember [start, end) as kept; overlapping ranges merge, a full table widens its last. */
static void xb_kept_add(struct xb_inode *xi, uint64_t start, uint64_t end)
{
	struct xb_kept_ranges *k = xi->kept;
	unsigned int i;

	if (!k) {
		k = calloc(1, sizeof(*k));
		if (!k)
			return; /* only the pending/reclaimed figures lose this range */
		xi->kept = k;
	}
	for (i = 0; i < k->n; i++) {
		if (start <= k->end[i] && end >= k->start[i]) {
			k->start[i] = min(k->start[i], start);
			k->end[i] = max(k->end[i], end);
			return;
		}
	}
	if (k->n == XB_KEPT_MAX) {
		k->start[k->n - 1] = min(k->start[k->n - 1], start);
		k->end[k->n - 1] = max(k->end[k->n - 1], end);
		return;
	}
	k->start[k->n] = start;
	k->end[k->n] = end;
	k->n++;
}

/* Kept delalloc still reserved; ranges with none left are forgotten. */
static uint64_t xb_kept_pending_locked(struct xb_inode *xi)
{
	struct xb_kept_ranges *k = xi->kept;
	uint64_t total = 0, n;
	unsigned int i = 0;

	if (!k || !xi->ip)
		return 0;
	while (i < k->n) {
		n = xfs_count_delalloc_range(xi, k->start[i], k->end[i]);
		if (n) {
			total += n;
			i++;
			continue;
		}
		k->n--;
		k->start[i] = k->start[k->n];
		k->end[i] = k->end[k->n];
	}
	return total;
}

void xfs_iomap_inherit_new(struct xb_inode *xi, struct iomap *iomap, const struct iomap *prev,
			   unsigned int flags)
{
	const uint16_t stale_new = IOMAP_F_STALE | IOMAP_F_NEW;
	loff_t prev_end = prev->offset + (loff_t) prev->length;

	if (!atomic_load(&iomap_tunables.rfc_remedy) || (prev->flags & stale_new) != stale_new)
		return;
	if ((flags & (IOMAP_WRITE | IOMAP_FAULT | IOMAP_ZERO)) != IOMAP_WRITE)
		return;
	if (iomap->type != IOMAP_DELALLOC || (iomap->flags & IOMAP_F_NEW) ||
	    iomap->offset >= prev_end)
		return;
	/* Only what the stale mapping reserved is this write's to punch. */
	if (iomap->offset + (loff_t) iomap->length > prev_end)
		iomap->length = (uint64_t) (prev_end - iomap->offset);
	iomap->flags |= IOMAP_F_NEW;
	atomic_fetch_add(&xfs_iomap_stats.stale_new_inherited, 1);
	xf_trace("stale_inherit_new", xi->ino, iomap->offset, (int64_t) iomap->length,
		 "stale_map=%lld+%llu", (long long) prev->offset,
		 (unsigned long long) prev->length);
}

bool xfs_iomap_keep_stale_delalloc(struct xb_inode *xi, loff_t offset, loff_t length,
				   ssize_t written, const struct iomap *iomap)
{
	unsigned int bs = xi->m->mp->m_sb.sb_blocksize;
	uint64_t start, end, kept;

	if (!atomic_load(&iomap_tunables.rfc_remedy) || !(iomap->flags & IOMAP_F_STALE))
		return false;
	/* the range the merged fix would punch (iomap_file_buffered_write_punch_delalloc) */
	start = written ? round_up((uint64_t) (offset + written), bs)
			: (uint64_t) offset & ~((uint64_t) bs - 1);
	end = round_up((uint64_t) (offset + length), bs);
	if (start >= end)
		return true;
	xb_lock();
	if (xi->ip) {
		kept = xfs_count_delalloc_range(xi, start, end);
		if (kept) {
			xb_kept_add(xi, start, end);
			atomic_fetch_add(&xfs_iomap_stats.stale_kept_blocks, kept);
		}
		xf_trace("stale_keep_delalloc", xi->ino, (int64_t) start, (int64_t) (end - start),
			 "blocks=%llu", (unsigned long long) kept);
	}
	xb_unlock();
	return true;
}

uint64_t xb_stale_kept_pending(struct xb_mount *m)
{
	uint64_t total = 0;
	size_t i;

	xb_lock();
	for (i = 0; m->htab && i < m->hsize; i++) {
		struct xb_inode *xi;

		for (xi = m->htab[i]; xi; xi = xi->hnext)
			total += xb_kept_pending_locked(xi);
	}
	xb_unlock();
	return total;
}

void xb_kept_teardown_locked(struct xb_inode *xi)
{
	uint64_t n = xb_kept_pending_locked(xi);

	if (n) {
		atomic_fetch_add(&xfs_iomap_stats.stale_kept_reclaimed_blocks, n);
		xf_trace("stale_kept_reclaimed", xi->ino, 0, 0, "blocks=%llu",
			 (unsigned long long) n);
	}
	free(xi->kept);
	xi->kept = NULL;
}
