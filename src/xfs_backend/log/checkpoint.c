// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoints: every dirty buffer into the log, durably, then home.
 *
 * The kernel's CIL push and AIL in one synchronous step, under the libxfs
 * lock with no transaction in flight (doc/log.md):
 *
 *   1. collect the dirty buffers (the committed state not yet home) and run
 *      their write verifiers: CRCs are computed, and a buffer that fails is
 *      never logged nor written (the mount shuts down instead);
 *   2. flush the image: data written for unwritten extents, and the previous
 *      checkpoint's in-place writes, are durable before any record that
 *      depends on them (the kernel's REQ_PREFLUSH);
 *   3. write the checkpoint's records (start, transaction header, one buf
 *      item per buffer), their tail LSN pointing at the checkpoint itself;
 *      a checkpoint that needs more than one record gets its commit record
 *      only after a flush, as xlog_cil_push_work orders it;
 *   4. flush: the checkpoint is on disk and would be replayed after a crash;
 *   5. write the buffers in place.  The next checkpoint's step 2 makes them
 *      durable before its records move the tail past this one.
 *
 * One checkpoint at a time is ever live in the log, so no buffer needs a
 * cancel record, and blocks freed since the last checkpoint are busy until
 * the next one (xb_log_data_barrier).
 */
#include "xlog.h"

struct xb_dirty_set {
	struct xfs_buf **bufs;
	size_t n, cap;
};

static int xb_dirty_add(struct xb_dirty_set *set, struct xfs_buf *bp)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 256;
		struct xfs_buf **b = realloc(set->bufs, cap * sizeof(*b));

		if (!b)
			return -ENOMEM;
		set->bufs = b;
		set->cap = cap;
	}
	set->bufs[set->n++] = bp;
	return 0;
}

static int xb_daddr_cmp(const void *a, const void *b)
{
	xfs_daddr_t x = xfs_buf_daddr(*(struct xfs_buf *const *) a);
	xfs_daddr_t y = xfs_buf_daddr(*(struct xfs_buf *const *) b);

	return x < y ? -1 : x > y;
}

/* Every dirty buffer in libxfs's cache, in disk order.  Stale ones are dropped. */
static int xb_collect_dirty(struct xb_dirty_set *set)
{
	struct cache *c = libxfs_bcache;
	unsigned int i;

	for (i = 0; i < c->c_hashsize; i++) {
		struct cache_node *node;

		list_for_each_entry(node, &c->c_hash[i].ch_list, cn_hash)
		{
			struct xfs_buf *bp = container_of(node, struct xfs_buf, b_node);
			int error;

			if (!(bp->b_flags & LIBXFS_B_DIRTY))
				continue;
			if (bp->b_flags & LIBXFS_B_STALE) {
				bp->b_flags &= ~LIBXFS_B_DIRTY; /* freed metadata: never written */
				continue;
			}
			error = xb_dirty_add(set, bp);
			if (error)
				return error;
		}
	}
	qsort(set->bufs, set->n, sizeof(set->bufs[0]), xb_daddr_cmp);
	return 0;
}

/* The in-progress mark lives only in the in-place superblock, never in the log. */
static struct xfs_dsb *xb_primary_sb(struct xfs_buf *bp)
{
	return xfs_buf_daddr(bp) == XFS_SB_DADDR && bp->b_ops &&
			       xb_buf_log_type(bp) == XFS_BLFT_SB_BUF
		       ? bp->b_addr
		       : NULL;
}

/* Step 1's verification: CRCs in, and nothing corrupt goes to the log. */
static int xb_prepare_bufs(struct xb_dirty_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		struct xfs_buf *bp = set->bufs[i];
		struct xfs_dsb *dsb = xb_primary_sb(bp);

		if (dsb)
			dsb->sb_inprogress = 0;
		if (!bp->b_ops)
			continue;
		bp->b_error = 0;
		bp->b_ops->verify_write(bp);
		if (bp->b_error) {
			fprintf(stderr,
				"xfsfuse: checkpoint: %s block 0x%llx failed its write verifier\n",
				bp->b_ops->name, (unsigned long long) xfs_buf_daddr(bp));
			return -EFSCORRUPTED;
		}
	}
	return 0;
}

int xb_log_flush_device(struct xb_log *log)
{
	if (fdatasync(log->fd) < 0)
		return -errno;
	return 0;
}

/* Close the open record, write every finished one at the head, flush. */
static int xb_rec_write_durably(struct xb_rec_writer *w)
{
	int error = xb_rec_close(w);

	if (!error)
		error = xb_rec_write_out(w);
	if (!error)
		error = xb_log_flush_device(w->log);
	return error;
}

/* Steps 2-4. */
static int xb_log_write_checkpoint(struct xb_log *log, struct xb_dirty_set *set)
{
	struct xb_rec_writer *w = malloc(sizeof(*w));
	struct xfs_trans_header th = {.th_magic = XFS_TRANS_HEADER_MAGIC,
				      .th_type = XFS_TRANS_CHECKPOINT};
	int nitems = 0, error;
	size_t i;

	if (!w)
		return -ENOMEM;
	xb_rec_init(w, log, log->next_tid++);
	th.th_tid = w->tid;
	for (i = 0; i < set->n; i++)
		th.th_num_items +=
			2 * set->bufs[i]->b_nmaps; /* format + bytes, as the CIL counts */
	error = xb_rec_add_op(w, XLOG_START_TRANS, NULL, 0);
	if (!error)
		error = xb_rec_add_op(w, 0, &th, sizeof(th));
	for (i = 0; !error && i < set->n; i++)
		error = xb_buf_item_format(w, set->bufs[i], &nitems);
	if (!error)
		error = xb_log_flush_device(log);
	/* Several records: all of them on disk before the commit record. */
	if (!error && w->nrecords)
		error = xb_rec_write_durably(w);
	if (!error)
		error = xb_rec_add_op(w, XLOG_COMMIT_TRANS, NULL, 0);
	if (!error)
		error = xb_rec_write_durably(w);
	if (!error)
		log->bufs_logged += (uint64_t) nitems;
	xb_rec_free(w);
	free(w);
	return error;
}

/* Step 5.  The superblock goes home with the in-progress mark while mounted. */
static int xb_log_write_in_place(struct xb_log *log, struct xb_dirty_set *set)
{
	int error = 0;
	size_t i;

	log->in_place = true;
	for (i = 0; i < set->n && !error; i++) {
		struct xfs_buf *bp = set->bufs[i];
		struct xfs_dsb *dsb = xb_primary_sb(bp);

		if (dsb && log->m->marked)
			dsb->sb_inprogress = 1;
		error = libxfs_bwrite(bp);
		if (dsb)
			dsb->sb_inprogress = 0;
	}
	log->in_place = false;
	return error;
}

static int xb_log_do_checkpoint(struct xb_log *log)
{
	struct xb_dirty_set set = {0};
	int error;

	if (log->m->shutdown)
		return -EIO;
	error = xb_collect_dirty(&set);
	if (!error && !set.n) {
		/* Nothing to log; fsync still wants the data durable. */
		error = xb_log_flush_device(log);
		goto out;
	}
	if (!error)
		error = xb_prepare_bufs(&set);
	if (!error)
		error = xb_log_write_checkpoint(log, &set);
	if (!error)
		error = xb_log_write_in_place(log, &set);
	if (!error) {
		log->checkpoints++;
		log->dirty_bytes = 0;
		log->frees_pending = false;
	}
out:
	free(set.bufs);
	if (error && error != -EIO)
		xb_shutdown(log->m, error == -ENOSPC ? "a checkpoint does not fit in the log"
						     : "the log could not be written");
	return error;
}

int xb_log_checkpoint(struct xb_mount *m)
{
	if (!m->log)
		return m->readonly ? 0 : -EIO;
	return xb_log_do_checkpoint(m->log);
}

/* Busy extents: data never lands in blocks whose free is not yet durable. */
int xb_log_data_barrier(struct xb_mount *m)
{
	if (!m->log || !m->log->frees_pending)
		return 0;
	m->log->forced_by_free++;
	return xb_log_do_checkpoint(m->log);
}

/* Called by xb_unlock(): the dirty set must never outgrow the log. */
void xb_log_at_unlock(void)
{
	struct xb_log *log = xb_active_log;

	if (log && log->dirty_bytes >= log->dirty_limit && !log->m->shutdown)
		xb_log_do_checkpoint(log);
}

void xb_log_at_unlock_force(void)
{
	struct xb_log *log = xb_active_log;

	if (log && log->dirty_bytes && !log->m->shutdown)
		xb_log_do_checkpoint(log);
}

static char *xb_next_block(char *p, int offset, void *priv)
{
	(void) priv;
	return p + offset;
}

/*
 * A clean log: libxfs_log_header's unmount record at the head (what mkfs and
 * xfs_repair write), its tail pointing at itself.  Blocks that wrap past the
 * end of the log carry the next cycle, as in xb_rec_close.
 */
int xb_log_write_unmount_record(struct xb_log *log)
{
	int sunit = log->bb_round > 1 ? BBTOB(log->bb_round) : 0;
	int len = log->bb_round > 1 ? log->bb_round : 2;
	xfs_lsn_t lsn = xb_log_lsn(log->curr_cycle, log->curr_block);
	char *buf = calloc(len, BBSIZE);
	int i, error, first;

	if (!buf)
		return -ENOMEM;
	libxfs_log_header(buf, &log->m->mp->m_sb.sb_uuid, 2, sunit, XLOG_FMT, lsn, lsn,
			  xb_next_block, NULL);
	first = len;
	if (log->curr_block + len > log->bb_size)
		first = log->bb_size - log->curr_block;
	for (i = first; i < len; i++)
		*(__be32 *) (buf + BBTOB(i)) = cpu_to_be32(log->curr_cycle + 1);
	error = xb_log_write_blocks(log, log->curr_block, buf, len);
	free(buf);
	if (error)
		return error;
	log->prev_block = log->curr_block;
	log->curr_block += len;
	if (log->curr_block >= log->bb_size) {
		log->curr_block -= log->bb_size;
		log->curr_cycle++;
	}
	return xb_log_flush_device(log);
}

/* ---- the timer: checkpoints every interval_ms while anything is dirty ---- */

static void *xb_log_timer_main(void *arg)
{
	struct xb_log *log = arg;
	struct timespec ts;

	xb_lock();
	while (!log->timer_stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += log->interval_ms / 1000;
		ts.tv_nsec += (long) (log->interval_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		xb_lock_timedwait(&log->timer_cond, &ts);
		if (log->timer_stop)
			break;
		if ((log->dirty_bytes || log->frees_pending) && !log->m->shutdown)
			xb_log_do_checkpoint(log);
	}
	xb_unlock();
	return NULL;
}

int xb_log_start_timer(struct xb_log *log)
{
	if (!log->interval_ms || log->timer_running)
		return 0;
	pthread_cond_init(&log->timer_cond, NULL);
	log->timer_stop = false;
	if (pthread_create(&log->timer, NULL, xb_log_timer_main, log))
		return -EAGAIN;
	log->timer_running = true;
	return 0;
}

/* Caller holds xb_lock; the timer thread needs it to finish. */
void xb_log_stop_timer(struct xb_log *log)
{
	if (!log->timer_running)
		return;
	log->timer_stop = true;
	pthread_cond_signal(&log->timer_cond);
	xb_unlock();
	pthread_join(log->timer, NULL);
	xb_lock();
	log->timer_running = false;
	pthread_cond_destroy(&log->timer_cond);
}
