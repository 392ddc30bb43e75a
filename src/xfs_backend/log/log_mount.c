// SPDX-License-Identifier: GPL-2.0
/*
 * The log's part in mount and unmount (doc/log.md).
 *
 * Mount: find the head.  A dirty log that xfsfuse wrote (buffer items only)
 * is replayed read-write, then the in-progress mark is cleared and an
 * unmount record written -- the image is then exactly what a clean unmount
 * leaves, and the mount starts again from the superblock.  A log the kernel
 * left dirty is refused.  A clean log with the mark set was left by
 * something that wrote no log (an older xfsfuse): only xfs_repair knows.
 * Read-write mounts then log the superblock with the mark in place: from
 * here on the log is dirty until the unmount record.
 *
 * Unmount: checkpoint everything (in place, mark still set), flush; a last
 * checkpoint of the superblock alone goes home without the mark, flush; then
 * the unmount record, flush.  Every step is durable before the next, so a
 * crash anywhere in between leaves either a replayable log or a clean image.
 */
#include "xlog.h"

#define XB_LOG_DEFAULT_INTERVAL_MS 5000

static void xb_why(char *why, size_t whylen, const char *image, const char *msg)
{
	snprintf(why, whylen, "%s: %s", image, msg);
}

/* Clear the mark in place (the replayed images never carry it). */
static int xb_log_clear_mark(struct xb_mount *m)
{
	struct xfs_buf *bp;
	int error = libxfs_buf_read_uncached(m->mp->m_ddev_targp, XFS_SB_DADDR,
					     XFS_FSS_TO_BB(m->mp, 1), 0, &bp, &xfs_sb_buf_ops);

	if (error)
		return error;
	((struct xfs_dsb *) bp->b_addr)->sb_inprogress = 0;
	error = libxfs_bwrite(bp);
	libxfs_buf_relse(bp);
	if (!error && fdatasync(m->xi.dfd) < 0)
		error = -errno;
	return error;
}

static void xb_log_init_geometry(struct xb_log *log, struct xb_mount *m, struct xlog *xl)
{
	struct xfs_sb *sb = &m->mp->m_sb;
	int round = 1;

	log->m = m;
	log->fd = m->xi.dfd;
	log->bb_start = xl->l_logBBstart;
	log->bb_size = xl->l_logBBsize;
	if (xfs_has_logv2(m->mp) && sb->sb_logsunit > 1)
		round = BTOBB(sb->sb_logsunit);
	if (xl->l_sectBBsize > round)
		round = xl->l_sectBBsize;
	log->bb_round = round;
	log->curr_cycle = xl->l_curr_cycle ? xl->l_curr_cycle : 1;
	log->curr_block = xl->l_curr_block;
	log->prev_block = xl->l_prev_block;
	log->next_tid = (uint32_t) random() | 1;
	log->open_seq = 1;
	pthread_cond_init(&log->done, NULL);
}

/*
 * Restamp, in [first, last) of the log, every block that claims cycle @bad
 * (a record header's h_cycle, or a data block's first word) as an empty
 * block of cycle @good.
 */
static int xb_log_restamp(struct xb_log *log, int first, int last, uint32_t bad, uint32_t good)
{
	enum { CHUNK = 2048 };
	char *buf = malloc(BBTOB(CHUNK));
	int pos, error = 0;

	if (!buf)
		return -ENOMEM;
	for (pos = first; pos < last && !error; pos += CHUNK) {
		int n = last - pos < CHUNK ? last - pos : CHUNK, i;
		off_t off = BBTOB(log->bb_start + pos);
		bool changed = false;

		if (pread(log->fd, buf, BBTOB(n), off) != BBTOB(n)) {
			error = -EIO;
			break;
		}
		for (i = 0; i < n; i++) {
			char *blk = buf + BBTOB(i);
			__be32 w = *(__be32 *) blk;
			uint32_t cycle =
				w == cpu_to_be32(XLOG_HEADER_MAGIC_NUM)
					? be32_to_cpu(((struct xlog_rec_header *) blk)->h_cycle)
					: be32_to_cpu(w);

			if (cycle != bad)
				continue;
			memset(blk, 0, BBSIZE);
			*(__be32 *) blk = cpu_to_be32(good);
			changed = true;
		}
		if (changed && pwrite(log->fd, buf, BBTOB(n), off) != BBTOB(n))
			error = -EIO;
	}
	free(buf);
	return error;
}

/*
 * Writes cut short by the crash (or torn by a power cut) can leave blocks of
 * the head's cycle past the head, with holes between them.  The next head
 * search, which trusts that every block before the head has the current
 * cycle and every block after it the previous one, would then stop after
 * them.  So every such block past the head gets the previous cycle, and any
 * block before it that a wrapped torn write gave the next cycle gets the
 * current one -- the kernel's xlog_clear_stale_blocks, which libxlog leaves
 * out, over the whole log rather than the in-flight window, since one
 * checkpoint's records may be written in one go.
 */
static int xb_log_clear_stale(struct xb_log *log)
{
	uint32_t cycle = (uint32_t) log->curr_cycle;
	int error = xb_log_restamp(log, log->curr_block, log->bb_size, cycle, cycle - 1);

	if (!error)
		error = xb_log_restamp(log, 0, log->curr_block, cycle + 1, cycle);
	return error;
}

/* A crashed mount's log: replay, clear the mark, close the log cleanly. */
static int xb_log_recover(struct xb_mount *m, struct xlog *xl, xfs_daddr_t head, xfs_daddr_t tail,
			  char *why, size_t whylen)
{
	struct xb_log log = {0};
	uint64_t nbufs = 0;
	int ret = xb_log_replay(m, xl, head, tail, &nbufs);

	if (ret == 0) {
		xb_why(why, whylen, m->image,
		       "log is dirty: mount it once with the kernel or run xfs_repair -L");
		return -EUCLEAN;
	}
	if (ret < 0) {
		snprintf(why, whylen, "%s: log replay failed (%s); run xfs_repair", m->image,
			 strerror(-ret));
		return ret;
	}
	xb_log_init_geometry(&log, m, xl);
	ret = xb_log_clear_mark(m);
	if (!ret)
		ret = xb_log_clear_stale(&log);
	if (!ret)
		ret = xb_log_write_unmount_record(&log);
	if (ret) {
		snprintf(why, whylen, "%s: cannot close the replayed log (%s)", m->image,
			 strerror(-ret));
		return ret;
	}
	m->replayed_bufs += nbufs;
	m->replays++;
	if (!m->quiet)
		fprintf(stderr, "xfsfuse: %s: recovered from the log (%llu buffers replayed)\n",
			m->image, (unsigned long long) nbufs);
	return 1;
}

int xb_log_rw_refusal(struct xb_mount *m, char *why, size_t whylen)
{
	if (m->mp->m_sb.sb_inprogress) {
		xb_why(why, whylen, m->image,
		       "filesystem was being modified offline and not cleanly unmounted "
		       "(sb_inprogress set, log clean): run xfs_repair");
		return -EUCLEAN;
	}
	if (m->mp->m_sb.sb_logsunit > XB_LOG_RECORD_SIZE) {
		xb_why(why, whylen, m->image,
		       "log stripe units above 32 KiB are not supported read-write");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* A clean log, opened for new checkpoints from its head on. */
static int xb_log_open(struct xb_mount *m, struct xlog *xl, unsigned int interval_ms, char *why,
		       size_t whylen)
{
	struct xb_log *log;
	int error = xb_log_rw_refusal(m, why, whylen);

	if (error)
		return error;
	log = calloc(1, sizeof(*log));
	if (!log)
		return -ENOMEM;
	xb_log_init_geometry(log, m, xl);
	/* The kernel pushes its CIL at 1/8 of the log; whole buffers cost more. */
	log->dirty_limit = BBTOB((uint64_t) log->bb_size) / 8;
	log->interval_ms = interval_ms ? interval_ms : XB_LOG_DEFAULT_INTERVAL_MS;
	if (interval_ms == XB_LOG_NO_TIMER)
		log->interval_ms = 0;
	m->log = log;
	xb_log_install_cache_hooks(log);
	return 0;
}

int xb_log_mount(struct xb_mount *m, unsigned int interval_ms, char *why, size_t whylen)
{
	struct xlog xl;
	xfs_daddr_t head, tail;

	if (xb_log_find_head(m, &xl, &head, &tail)) {
		xb_why(why, whylen, m->image, "cannot find the log head/tail; run xfs_repair");
		return -EUCLEAN;
	}
	if (head != tail && m->readonly) {
		xb_why(why, whylen, m->image,
		       "log needs replay (a read-write mount did not end cleanly) and the image "
		       "is not writable: run xfsfuse --recover IMAGE on a writable copy (a "
		       "kernel's log: mount it with the kernel)");
		return XB_MOUNT_REPLAY_RO;
	}
	if (head != tail)
		return xb_log_recover(m, &xl, head, tail, why, whylen);
	if (m->readonly)
		return 0;
	return xb_log_open(m, &xl, interval_ms, why, whylen);
}

/*
 * remount,rw (remount_rw.c).  The read-only mount wrote nothing, so the log
 * is as clean as it found it -- unless something else wrote the image
 * under us, which is refused rather than replayed over live caches.  The
 * caller has already made the descriptor writable: the log writes to it.
 */
int xb_log_mount_rw(struct xb_mount *m, char *why, size_t whylen)
{
	struct xlog xl;
	xfs_daddr_t head, tail;

	if (xb_log_find_head(m, &xl, &head, &tail)) {
		xb_why(why, whylen, m->image, "cannot find the log head/tail; run xfs_repair");
		return -EUCLEAN;
	}
	if (head != tail) {
		xb_why(why, whylen, m->image,
		       "the log became dirty under the read-only mount: unmount, mount again");
		return -EUCLEAN;
	}
	return xb_log_open(m, &xl, m->log_interval_ms, why, whylen);
}

/* After xb_log_mount: the first checkpoint carries the mark to the image. */
int xb_log_mark_in_use(struct xb_mount *m)
{
	m->marked = true;
	return xb_write_sb(m) ?: xb_log_checkpoint(m);
}

/* After a shutdown, dirty buffers are dropped, not written (they could not be). */
static void xb_buf_forget(struct cache_node *node)
{
	container_of(node, struct xfs_buf, b_node)->b_flags &= ~LIBXFS_B_DIRTY;
}

int xb_log_unmount(struct xb_mount *m)
{
	struct xb_log *log = m->log;
	int error = 0;

	if (!log)
		return 0;
	xb_log_stop_timer(log);
	if (!m->shutdown) {
		error = xb_write_sb(m) ?: xb_log_checkpoint(m);
		if (!error && m->marked) {
			m->marked = false;
			error = xb_write_sb(m) ?: xb_log_checkpoint(m);
		}
		if (!error)
			error = xb_log_flush_device(log);
		if (!error)
			error = xb_log_write_unmount_record(log);
	}
	if (m->shutdown)
		cache_walk(libxfs_bcache, xb_buf_forget);
	xb_log_abort(m);
	return error;
}

void xb_log_abort(struct xb_mount *m)
{
	struct xb_log *log = m->log;

	xb_log_stop_timer(log); /* idempotent: xb_log_unmount stopped it already */
	xb_log_remove_cache_hooks(log);
	m->log = NULL;
	pthread_cond_destroy(&log->done);
	free(log);
}

void xb_log_counters(struct xb_mount *m, struct xb_log_stats *st)
{
	struct xb_log *log;

	xb_lock();
	log = m->log;
	memset(st, 0, sizeof(*st));
	st->replays = m->replays;
	st->replayed_bufs = m->replayed_bufs;
	if (log) {
		st->checkpoints = log->checkpoints;
		st->log_bytes = log->log_bytes;
		st->bufs_logged = log->bufs_logged;
		st->forced_by_free = log->forced_by_free;
		st->unlogged_writes = log->unlogged_writes;
		st->fsync_flush_only = log->fsync_flush_only;
		st->in_flight = log->in_flight;
		st->dirty_bytes = log->dirty_bytes;
	}
	xb_unlock();
}
