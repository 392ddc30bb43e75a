// SPDX-License-Identifier: GPL-2.0
/*
 * Transactions with the kernel's free-space rules.
 *
 * libxfs's xfs_trans_reserve() only checks sb_fdblocks >= blocks.  The
 * kernel also keeps m_alloc_set_aside (and per-AG reservations) out of reach
 * so that an allocation never runs an AG dry halfway through a btree split.
 * Every namespace and attribute transaction of xfsfuse goes through here so
 * that a full filesystem answers ENOSPC before anything is touched.
 */
#include "xb_internal.h"

/*
 * The kernel's reserve pool (xfs_default_resblks: 5 % of the data device,
 * at most 8192 blocks).  Ordinary reservations never take it; transactions
 * that finish work already acknowledged -- I/O completion's unwritten
 * conversion, which may split the bmbt -- may (xfs_aops.c).  Without it a
 * filesystem filled through delalloc had nothing left for the conversion,
 * and acknowledged data stayed unwritten (zeroes).
 */
uint64_t xb_reserve_blocks(struct xfs_mount *mp)
{
	uint64_t resblks = mp->m_sb.sb_dblocks / 20;

	return resblks < 8192 ? resblks : 8192;
}

/* Blocks that no ordinary reservation may take: set-aside, margin, reserve pool. */
static uint64_t xb_unavailable_blocks(struct xfs_mount *mp)
{
	return mp->m_alloc_set_aside + mp->m_sb.sb_agcount * 8 + xb_reserve_blocks(mp);
}

bool xb_space_available(struct xb_mount *m, uint64_t blocks)
{
	struct xfs_mount *mp = m->mp;

	return mp->m_sb.sb_fdblocks >= blocks + xb_unavailable_blocks(mp);
}

int xb_trans_alloc(struct xb_mount *m, struct xfs_trans_res *resv, unsigned int blocks,
		   struct xfs_trans **tpp)
{
	if (m->readonly)
		return -EROFS;
	if (m->shutdown)
		return -EIO;
	if (blocks && !xb_space_available(m, blocks))
		return -ENOSPC;
	return xb_err(libxfs_trans_alloc(m->mp, resv, blocks, 0, 0, tpp));
}

int xb_trans_commit(struct xfs_trans *tp)
{
	return xb_err(libxfs_trans_commit(tp));
}

static void xb_flush_committed(struct xb_mount *m, struct xfs_trans *tp);

/*
 * Cancel a transaction.  A clean one is simply freed.  A dirty one cannot be
 * undone: libxfs has modified buffers in place (and would abort()), exactly
 * the case where the kernel shuts the filesystem down.  So do we: the image
 * becomes read-only from this instant (xb_shutdown), the transaction is
 * leaked, and the log's last checkpoint is what the next mount replays.
 */
void xb_trans_cancel(struct xb_mount *m, struct xfs_trans *tp)
{
	if (!(tp->t_flags & XFS_TRANS_DIRTY) && list_empty(&tp->t_dfops)) {
		libxfs_trans_cancel(tp);
		return;
	}
	xb_flush_committed(m, tp);
	xb_shutdown(m, "a failed transaction left metadata half-modified");
}

/*
 * Before shutting down, checkpoint what earlier transactions committed, if
 * that can be done without the failed one: libxfs sets a buffer's dirty bit
 * only at commit, so the failed transaction's buffers are out of the
 * checkpoint unless an earlier commit dirtied them too.  Then they mix both
 * and nothing may be logged: the last checkpoint stays what a replay gives
 * (the kernel loses its CIL on a shutdown the same way).
 */
static void xb_flush_committed(struct xb_mount *m, struct xfs_trans *tp)
{
	struct xfs_log_item *lip;

	list_for_each_entry(lip, &tp->t_items, li_trans)
	{
		if (lip->li_type == XFS_LI_BUF &&
		    (((struct xfs_buf_log_item *) lip)->bli_buf->b_flags & LIBXFS_B_DIRTY))
			return;
	}
	xb_log_checkpoint_locked(m);
}

/*
 * Stop writing to the image for good.  The image descriptor is replaced by a
 * read-only one so that not even the buffer cache's final purge, writeback,
 * reclaim or a checkpoint already in flight can write: each write fails
 * (EBADF) and nothing reaches the image.
 */
static void xb_shutdown_now(struct xb_mount *m)
{
	int fd;

	m->shutdown = true;
	atomic_store(&m->down, true);
	if (m->readonly)
		return;
	fd = open(m->image, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, m->xi.dfd);
		close(fd);
	}
}

void xb_shutdown(struct xb_mount *m, const char *reason)
{
	if (m->shutdown)
		return;
	fprintf(stderr, "xfsfuse: %s: shutting down writes (%s); run xfs_repair after unmount\n",
		m->image, reason);
	xb_shutdown_now(m);
}

/*
 * XFS_IOC_GOINGDOWN (doc/log.md "Shutdown on request").  With @logflush,
 * what transactions committed is checkpointed first, as the kernel's
 * xlog_force_shutdown forces the log unless the shutdown comes from a log
 * I/O error; without, it is lost as the kernel loses its CIL.  Either way
 * the log stays dirty: no unmount record, and the next mount replays it.
 * Shutting down twice is no error (the kernel's is idempotent too), nor is
 * a log force that fails: that shuts down too, with its own message.
 */
void xb_goingdown(struct xb_mount *m, bool logflush)
{
	xb_lock();
	if (!m->shutdown && logflush && m->log)
		xb_log_checkpoint(m);
	if (!m->shutdown)
		fprintf(stderr,
			"xfsfuse: %s: shut down on request (%s); writes fail with EIO, the next "
			"mount replays the log\n",
			m->image, logflush ? "log flushed" : "log not flushed");
	xb_shutdown_now(m);
	xb_unlock();
}

bool xb_is_shutdown(struct xb_mount *m)
{
	return atomic_load(&m->down);
}
