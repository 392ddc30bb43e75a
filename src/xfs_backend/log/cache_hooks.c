// SPDX-License-Identifier: GPL-2.0
/*
 * Where the log meets libxfs's buffer cache.
 *
 * 1. The write-ahead rule.  libxfs writes a dirty buffer whenever its cache
 *    needs room (cache_shake calls the cache's ->flush) or a caller flushes
 *    the cache.  With a log, a dirty buffer may reach its home only after a
 *    durable checkpoint holds it, so ->flush is replaced by one that refuses
 *    dirty buffers: the shaker parks them on its dirty list, as it does with
 *    buffers it could not write, and the checkpoint writes them itself.
 *
 * 2. How much is dirty.  Linked with --wrap=libxfs_buf_mark_dirty (see
 *    src/meson.build), every buffer that turns dirty adds its length to the
 *    log's dirty-byte count, so xb_unlock() knows in O(1) when the next
 *    checkpoint is due (the kernel's CIL space limit).
 *
 * 3. Busy extents.  libxfs stubs the kernel's busy-extent tracking out, so a
 *    freed extent can be allocated again at once.  Metadata reusing it is
 *    safe (it is logged in the same or a later checkpoint than the free),
 *    data is not: written in place before the free is durable, a crash would
 *    leave the old owner pointing at the new owner's bytes.  Linked with
 *    --wrap=__xfs_free_extent, every free marks the log, and writeback forces
 *    a checkpoint before it writes data into blocks it just allocated
 *    (xb_log_data_barrier).
 *
 * 4. A check.  libxfs calls m_buf_writeback_fn before every buffer write
 *    it does; checkpoints write their snapshots themselves, so any metadata
 *    write libxfs does is counted as "unlogged_writes" (remote attribute
 *    values excepted: the kernel writes those unlogged too, before the
 *    transaction that points at them).  Tests require the count to stay 0.
 *
 * 5. fsync's sequence.  Linked with --wrap=libxfs_trans_log_inode, every
 *    inode a transaction logs is stamped with the open checkpoint sequence
 *    (xb_log_note_inode), so that fsync forces only what it needs.
 */
#include "xlog.h"

struct xb_log *xb_active_log; /* one mount per process; under xb_lock */

static cache_node_flush_t xb_libxfs_bflush;

static int xb_log_bflush(struct cache_node *node)
{
	struct xfs_buf *bp = container_of(node, struct xfs_buf, b_node);

	if (bp->b_flags & LIBXFS_B_DIRTY)
		return -EAGAIN; /* not before a checkpoint has logged it */
	return bp->b_error;
}

static void xb_log_writeback_check(struct xfs_buf *bp)
{
	struct xb_log *log = xb_active_log;

	if (log && bp->b_ops != &xfs_attr3_rmt_buf_ops)
		log->unlogged_writes++;
}

void xb_log_install_cache_hooks(struct xb_log *log)
{
	xb_libxfs_bflush = libxfs_bcache->flush;
	libxfs_bcache->flush = xb_log_bflush;
	log->m->mp->m_buf_writeback_fn = xb_log_writeback_check;
	xb_active_log = log;
}

void xb_log_remove_cache_hooks(struct xb_log *log)
{
	if (xb_active_log != log)
		return;
	libxfs_bcache->flush = xb_libxfs_bflush;
	log->m->mp->m_buf_writeback_fn = NULL;
	xb_active_log = NULL;
}

void __real_libxfs_buf_mark_dirty(struct xfs_buf *bp);
void __wrap_libxfs_buf_mark_dirty(struct xfs_buf *bp);

void __wrap_libxfs_buf_mark_dirty(struct xfs_buf *bp)
{
	struct xb_log *log = xb_active_log;

	if (log && !(bp->b_flags & LIBXFS_B_DIRTY))
		log->dirty_bytes += BBTOB(bp->b_length);
	else if (log && log->flight && xb_snap_note_redirty(log->flight, bp))
		log->dirty_bytes += BBTOB(bp->b_length); /* in flight, and changed again */
	__real_libxfs_buf_mark_dirty(bp);
}

void __real_libxfs_trans_log_inode(struct xfs_trans *tp, struct xfs_inode *ip, uint flags);
void __wrap_libxfs_trans_log_inode(struct xfs_trans *tp, struct xfs_inode *ip, uint flags);

void __wrap_libxfs_trans_log_inode(struct xfs_trans *tp, struct xfs_inode *ip, uint flags)
{
	if (xb_active_log)
		xb_log_note_inode(xb_active_log->m, ip->i_ino, flags);
	__real_libxfs_trans_log_inode(tp, ip, flags);
}

int __real___xfs_free_extent(struct xfs_trans *tp, xfs_fsblock_t bno, xfs_extlen_t len,
			     const struct xfs_owner_info *oinfo, enum xfs_ag_resv_type type,
			     bool skip_discard);
int __wrap___xfs_free_extent(struct xfs_trans *tp, xfs_fsblock_t bno, xfs_extlen_t len,
			     const struct xfs_owner_info *oinfo, enum xfs_ag_resv_type type,
			     bool skip_discard);

int __wrap___xfs_free_extent(struct xfs_trans *tp, xfs_fsblock_t bno, xfs_extlen_t len,
			     const struct xfs_owner_info *oinfo, enum xfs_ag_resv_type type,
			     bool skip_discard)
{
	if (xb_active_log)
		xb_active_log->free_seq = xb_active_log->open_seq;
	return __real___xfs_free_extent(tp, bno, len, oinfo, type, skip_discard);
}
