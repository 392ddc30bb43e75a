// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoints: every dirty buffer into the log, durably, then home.
 *
 * The kernel's CIL push and AIL in one step (doc/log.md):
 *
 *   1. under the libxfs lock, with no transaction in flight: snapshot the
 *      dirty buffers (the committed state not yet home), running their
 *      write verifiers, so that CRCs are in and a buffer that fails is never
 *      logged nor written (the mount shuts down instead).  Changes made
 *      from now on belong to the next sequence.
 *
 *   Then without the lock, so that other requests go on:
 *   2. flush the image: data written for unwritten extents, and the previous
 *      checkpoint's in-place writes, are durable before any record that
 *      depends on them (the kernel's REQ_PREFLUSH);
 *   3. write the checkpoint's records (start, transaction header, one buf
 *      item per buffer), their tail LSN pointing at the checkpoint itself;
 *      a checkpoint that needs more than one record gets its commit record
 *      only after a flush, as xlog_cil_push_work orders it;
 *   4. flush: the checkpoint is on disk and would be replayed after a crash;
 *   5. write the snapshot in place.  The next checkpoint's step 2 makes it
 *      durable before its records move the tail past this one.
 *
 *   6. under the lock again: buffers nobody dirtied meanwhile turn clean,
 *      the sequence is committed, waiters wake.
 *
 * One checkpoint at a time is ever live in the log, so no buffer needs a
 * cancel record, and blocks freed since the last checkpoint are busy until
 * the one holding the free is home (xb_log_data_barrier).
 */
#include "xlog.h"

int xb_log_flush_device(struct xb_log *log)
{
	iomap_inject(INJECT_LOG_FLUSH, NULL, 0);
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

/* What a checkpoint's lock-free phase reports back (counters). */
struct xb_ckpt_result {
	uint64_t log_bytes;
	int nitems;
};

/* Steps 2-4. */
static int xb_log_write_checkpoint(struct xb_log *log, struct xb_snapshot *snap,
				   struct xb_ckpt_result *r)
{
	struct xb_rec_writer *w = malloc(sizeof(*w));
	struct xfs_trans_header th = {.th_magic = XFS_TRANS_HEADER_MAGIC,
				      .th_type = XFS_TRANS_CHECKPOINT};
	int error;
	size_t i;

	if (!w)
		return -ENOMEM;
	xb_rec_init(w, log, log->next_tid++);
	th.th_tid = w->tid;
	for (i = 0; i < snap->n; i++)
		th.th_num_items += 2 * snap->bufs[i].nmaps; /* format + bytes, as the CIL counts */
	error = xb_rec_add_op(w, XLOG_START_TRANS, NULL, 0);
	if (!error)
		error = xb_rec_add_op(w, 0, &th, sizeof(th));
	for (i = 0; !error && i < snap->n; i++)
		error = xb_buf_item_format(w, &snap->bufs[i], &r->nitems);
	if (!error)
		error = xb_log_flush_device(log);
	/* Several records: all of them on disk before the commit record. */
	if (!error && w->nrecords)
		error = xb_rec_write_durably(w);
	if (!error)
		error = xb_rec_add_op(w, XLOG_COMMIT_TRANS, NULL, 0);
	if (!error)
		error = xb_rec_write_durably(w);
	r->log_bytes = w->bytes_written;
	xb_rec_free(w);
	free(w);
	return error;
}

/* Steps 2-5, or only the flush when nothing is dirty (fsync wants the data). */
static int xb_ckpt_write(struct xb_log *log, struct xb_snapshot *snap, bool sb_marked,
			 struct xb_ckpt_result *r)
{
	int error;

	if (!snap->n)
		return xb_log_flush_device(log);
	error = xb_log_write_checkpoint(log, snap, r);
	if (!error)
		error = xb_snap_write_in_place(snap, log->fd, sb_marked);
	return error;
}

static void xb_ckpt_failed(struct xb_log *log, int error)
{
	if (error != -EIO || !log->m->shutdown)
		xb_shutdown(log->m, error == -ENOSPC ? "a checkpoint does not fit in the log"
				    : error == -EFSCORRUPTED
					    ? "a dirty buffer failed its write verifier"
					    : "the log could not be written");
}

/*
 * Push sequence open_seq.  Caller holds xb_lock, nothing is in flight.  With
 * @keep_lock the writes happen under the lock (a failed transaction's
 * half-modified buffers must not be seen meanwhile: xb_trans_cancel).
 */
static int xb_ckpt_push(struct xb_log *log, bool keep_lock)
{
	struct xb_snapshot snap = {0};
	struct xb_ckpt_result r = {0};
	uint64_t seq = log->open_seq;
	bool marked = log->m->marked;
	int error;

	if (log->m->shutdown)
		return -EIO;
	error = xb_snap_take(&snap);
	if (error) {
		xb_snap_release(&snap, false);
		xb_ckpt_failed(log, error);
		return error;
	}
	log->in_flight = true;
	log->flight = &snap;
	log->open_seq++;
	log->dirty_bytes = 0;
	if (!keep_lock)
		xb_lock_drop();
	error = xb_ckpt_write(log, &snap, marked, &r);
	if (!keep_lock)
		xb_lock_retake();
	log->flight = NULL;
	log->in_flight = false;
	if (!error && log->m->shutdown)
		error = -EIO; /* shut down meanwhile: its writes may have been refused */
	if (!error) {
		log->committed_seq = seq;
		log->checkpoints += snap.n ? 1 : 0;
		log->bufs_logged += (uint64_t) r.nitems;
		log->log_bytes += r.log_bytes;
	}
	xb_snap_release(&snap, !error);
	if (error)
		xb_ckpt_failed(log, error);
	pthread_cond_broadcast(&log->done);
	return error;
}

/*
 * Make sequence @seq durable and home.  *@flushed tells whether a device
 * flush started after the call did (the caller's earlier data writes are
 * then durable too).
 */
int xb_log_force_seq(struct xb_log *log, uint64_t seq, bool *flushed)
{
	bool ran = false;
	int error = 0;

	while (!error && log->committed_seq < seq) {
		if (log->m->shutdown)
			return -EIO;
		if (log->in_flight) {
			xb_lock_wait(&log->done);
			continue;
		}
		error = xb_ckpt_push(log, false);
		ran = true;
	}
	if (flushed)
		*flushed = ran;
	return log->m->shutdown ? -EIO : error;
}

/* Everything committed so far, and a device flush. */
int xb_log_checkpoint(struct xb_mount *m)
{
	if (!m->log)
		return m->readonly ? 0 : -EIO;
	return xb_log_force_seq(m->log, m->log->open_seq, NULL);
}

/* xb_trans_cancel's: everything committed, without letting go of the lock. */
int xb_log_checkpoint_locked(struct xb_mount *m)
{
	if (!m->log || m->log->in_flight)
		return -EAGAIN; /* the last checkpoint is what a replay gives */
	return xb_ckpt_push(m->log, true);
}

/* Busy extents: data never lands in blocks whose free is not yet home. */
int xb_log_data_barrier(struct xb_mount *m)
{
	struct xb_log *log = m->log;

	if (!log || log->free_seq <= log->committed_seq)
		return 0;
	log->forced_by_free++;
	return xb_log_force_seq(log, log->free_seq, NULL);
}

/*
 * fsync: the checkpoint holding the inode's last change (fdatasync: its last
 * change other than timestamps), then the data's flush unless a checkpoint
 * that started after us flushed it already.  Called with xb_lock held.
 */
int xb_log_fsync(struct xb_inode *xi, bool datasync)
{
	struct xb_log *log = xi->m->log;
	uint64_t seq = datasync ? xi->log_seq_data : xi->log_seq;
	bool flushed = false;
	int error;

	if (!log)
		return xi->m->readonly ? 0 : -EIO;
	if (log->m->shutdown)
		return -EIO;
	error = xb_log_force_seq(log, seq, &flushed);
	if (error || flushed)
		return error;
	log->fsync_flush_only++;
	xb_lock_drop();
	error = xb_log_flush_device(log);
	xb_lock_retake();
	return error;
}

uint64_t xb_log_open_seq(struct xb_mount *m)
{
	return m->log ? m->log->open_seq : 0;
}

/*
 * Called (through the xfs_trans_log_inode wrapper) whenever a transaction
 * logs inode @ino: its change belongs to the open sequence.  Timestamps
 * alone (XFS_ILOG_TIMESTAMP) do not concern fdatasync.
 */
void xb_log_note_inode(struct xb_mount *m, uint64_t ino, unsigned int ilog_flags)
{
	struct xb_inode *xi = xb_itable_lookup(m, ino);

	if (!xi)
		return;
	/* xfs_trans_log_inode clears I_DIRTY_TIME: the incore timestamps go with it. */
	xi->dirty_time = false;
	if (!m->log)
		return;
	xi->log_seq = m->log->open_seq;
	if (ilog_flags & ~XFS_ILOG_TIMESTAMP)
		xi->log_seq_data = m->log->open_seq;
}

/*
 * Called by xb_unlock(): the dirty set must never outgrow the log.  Past the
 * limit a checkpoint starts; past twice the limit while one is in flight,
 * the caller waits for it (the kernel's CIL hard limit throttles the same way).
 */
void xb_log_at_unlock(void)
{
	struct xb_log *log = xb_active_log;

	if (!log || log->dirty_bytes < log->dirty_limit || log->m->shutdown)
		return;
	while (log->in_flight && log->dirty_bytes >= 2 * log->dirty_limit && !log->m->shutdown)
		xb_lock_wait(&log->done);
	if (!log->in_flight && log->dirty_bytes >= log->dirty_limit && !log->m->shutdown)
		xb_ckpt_push(log, false);
}

void xb_log_at_unlock_force(void)
{
	struct xb_log *log = xb_active_log;

	if (log && (log->dirty_bytes || log->in_flight) && !log->m->shutdown)
		xb_log_force_seq(log, log->open_seq, NULL);
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
