// SPDX-License-Identifier: GPL-2.0
/*
 * The iteration state machine of fs/iomap/iter.c (Linux 6.2-6.6 shape):
 * end the previous mapping, advance, map the next range.  Also the engine's
 * tunables and counters.
 */
#include <errno.h>
#include <string.h>

#include "iomap_internal.h"
#include "trace.h"

struct iomap_tunables iomap_tunables = {
	.validate = true,
	.legacy_punch = false,
	.rfc_remedy = false,
	.short_copy_at = -1,
	.dio_post_invalidate = true,
};

struct iomap_stats iomap_stats;

/*
 * Clear the mappings for the next ->iomap_begin.  With stale_remedy=rfc a
 * stale mapping is not forgotten: its extent and its IOMAP_F_STALE and
 * IOMAP_F_NEW flags stay in iter->iomap, which is what ->iomap_begin is
 * handed, so that it knows it is remapping a range it had just reserved
 * (the RFC's "the filesystem must be told"; doc/race.md).  ->iomap_begin
 * overwrites all of it.
 */
static void iomap_iter_reset_maps(struct iomap_iter *iter, bool stale)
{
	struct iomap prev = iter->iomap;

	memset(&iter->iomap, 0, sizeof(iter->iomap));
	memset(&iter->srcmap, 0, sizeof(iter->srcmap));
	if (stale && atomic_load(&iomap_tunables.rfc_remedy)) {
		iter->iomap.offset = prev.offset;
		iter->iomap.length = prev.length;
		iter->iomap.type = prev.type;
		iter->iomap.flags = prev.flags & (IOMAP_F_STALE | IOMAP_F_NEW);
	}
}

/*
 * Handle the previous iteration (if any) and clear the state for the next
 * one.  Returns 1 to map again, 0 when done, -errno on error.  A mapping
 * marked IOMAP_F_STALE is mapped again from iter->pos even when nothing of
 * it was processed: that is the 6.2 fix.
 */
static int iomap_iter_advance(struct iomap_iter *iter)
{
	bool stale = iter->iomap.flags & IOMAP_F_STALE;

	if (iter->iomap.length) {
		if (iter->processed < 0)
			return (int) iter->processed;
		if (!iter->processed && !stale)
			return 0;
		if ((uint64_t) iter->processed > iomap_length(iter))
			return -EIO;
		iter->pos += iter->processed;
		iter->len -= (uint64_t) iter->processed;
		if (!iter->len)
			return 0;
		if (stale)
			atomic_fetch_add(&iomap_stats.remaps, 1);
	}

	iter->processed = 0;
	iomap_iter_reset_maps(iter, stale);
	return 1;
}

/* Sanity of a fresh mapping: it must cover iter->pos (iomap_iter_done). */
static int iomap_iter_done(struct iomap_iter *iter)
{
	const struct iomap *iomap = &iter->iomap, *src = &iter->srcmap;

	/* Unsigned: a mapping may end at 2^63, one past the largest offset. */
	if (iomap->length == 0 || iomap->offset > iter->pos ||
	    (uint64_t) iomap->offset + iomap->length <= (uint64_t) iter->pos ||
	    (iomap->flags & IOMAP_F_STALE))
		return -EIO;
	/* A COW source must cover the position too. */
	if (src->type != IOMAP_HOLE &&
	    (src->length == 0 || src->offset > iter->pos ||
	     (uint64_t) src->offset + src->length <= (uint64_t) iter->pos))
		return -EIO;
	return 1;
}

int iomap_iter(struct iomap_iter *iter, const struct iomap_ops *ops)
{
	int ret;

	if (iter->iomap.length && ops->iomap_end) {
		xf_trace("iomap_end", iter->inode->i_ino, iter->pos, iomap_length(iter),
			 "processed=%lld type=%s flags=0x%x op=0x%x", (long long) iter->processed,
			 xf_iomap_type_name(iter->iomap.type), iter->iomap.flags, iter->flags);
		ret = ops->iomap_end(iter->inode, iter->pos, (loff_t) iomap_length(iter),
				     iter->processed > 0 ? iter->processed : 0, iter->flags,
				     &iter->iomap);
		if (ret < 0 && !iter->processed)
			return ret;
	}

	ret = iomap_iter_advance(iter);
	if (ret <= 0)
		return ret;

	ret = ops->iomap_begin(iter->inode, iter->pos, (loff_t) iter->len, iter->flags,
			       &iter->iomap, &iter->srcmap);
	if (ret < 0)
		return ret;
	xf_trace("iomap_begin", iter->inode->i_ino, iter->pos, iter->len,
		 "type=%s flags=0x%x op=0x%x map=%lld+%llu addr=%lld cookie=0x%llx",
		 xf_iomap_type_name(iter->iomap.type), iter->iomap.flags, iter->flags,
		 (long long) iter->iomap.offset, (unsigned long long) iter->iomap.length,
		 iter->iomap.addr == IOMAP_NULL_ADDR ? -1LL : (long long) iter->iomap.addr,
		 (unsigned long long) iter->iomap.validity_cookie);
	return iomap_iter_done(iter);
}
