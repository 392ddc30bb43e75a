// SPDX-License-Identifier: GPL-2.0
/*
 * The per-mount "bdi": the flusher thread (fs/fs-writeback.c: wb_workfn,
 * wb_writeback, queue_io, requeue_inode) and the I/O completion worker
 * (xfs_end_io's workqueue).
 *
 * Inode writeback state lives in vfs_inode.wb_listed, used as a bit set
 * (the kernel's i_state bits), with wb_next and dirtied_when_ms, all under
 * bdi->list_lock:
 *   WB_I_DIRTY    on b_dirty (dirty, waiting for its turn)
 *   WB_I_IO       on b_io (picked for the pass in progress)
 *   WB_I_SYNC     the flusher is writing it back (I_SYNC): off both lists;
 *                 the flusher may use the inode only while this is set
 *   WB_I_REDIRTY  marked dirty while WB_I_SYNC: requeue when done
 *   WB_I_FREEING  bdi_forget_inode runs (I_FREEING): never picked again
 *
 * Inode lifetime.  The flusher takes an inode off a list and sets WB_I_SYNC
 * in one critical section, skipping WB_I_FREEING ones; bdi_forget_inode
 * sets WB_I_FREEING and waits for WB_I_SYNC to clear in one critical
 * section, then writes back and waits itself, and unlinks.  So the flusher
 * never starts on an inode that is going away and forget never returns
 * while the flusher uses it.  An idle inode's engine state is freed without
 * forget only when bdi_inode_unlisted finds no bit set, no folio is cached
 * and no request holds the inode, so nothing can list it again meanwhile
 * (doc/backend.md "Idle inodes").  fsync callers hold their own reference.  The
 * completion worker touches an inode only before the last
 * folio_end_writeback of its ioends, and forget waits for all of those.
 *
 * Locks:
 *   bdi->list_lock   the two lists, every inode's wb_* fields, kicked,
 *                    stopping, the sync counters.  Taken under folio locks
 *                    (bdi_mark_inode_dirty from the write path) and under
 *                    the libxfs lock (bdi_inode_unlisted); nothing is taken
 *                    under it -- no folio lock, no page-cache lock.
 *   bdi->cq_lock     the completion queue.  Leaf.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "wb_internal.h"

#define WB_I_DIRTY   0x01
#define WB_I_IO	     0x02
#define WB_I_SYNC    0x04
#define WB_I_REDIRTY 0x08
#define WB_I_FREEING 0x10

/* Folios per inode per background pass before moving on (MAX_WRITEBACK_PAGES). */
#define WB_SLICE_FOLIOS 4096

enum wb_reason {
	WB_REASON_PERIODIC,   /* expired inodes only */
	WB_REASON_BACKGROUND, /* over the background threshold: oldest first, until under */
	WB_REASON_KICK,	      /* everything, without waiting */
	WB_REASON_SYNC,	      /* everything, waited for (sync, unmount) */
};

struct wb_list {
	struct vfs_inode *head, *tail;
};

struct bdi {
	struct page_cache *pc;
	struct bdi_config cfg;
	const struct iomap_writeback_ops *ops;
	struct writeback_stats stats;

	pthread_mutex_t list_lock;
	pthread_cond_t work_cond; /* the flusher sleeps here (CLOCK_MONOTONIC) */
	pthread_cond_t done_cond; /* WB_I_SYNC cleared, sync pass done */
	struct wb_list b_dirty, b_io;
	bool kicked, stopping;
	uint64_t sync_requested, sync_done;
	int sync_err;

	pthread_mutex_t cq_lock;
	pthread_cond_t cq_cond;
	struct iomap_ioend *cq_head, **cq_tailp;
	bool cq_stopping;

	pthread_t flusher, worker;
};

uint64_t wb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* ---- inode lists (list_lock held) ---- */
static void wb_list_add_tail(struct wb_list *l, struct vfs_inode *inode)
{
	inode->wb_next = NULL;
	if (l->tail)
		l->tail->wb_next = inode;
	else
		l->head = inode;
	l->tail = inode;
}

static void wb_list_del(struct wb_list *l, struct vfs_inode *inode)
{
	struct vfs_inode **pp = &l->head, *prev = NULL;

	while (*pp && *pp != inode) {
		prev = *pp;
		pp = &(*pp)->wb_next;
	}
	if (!*pp)
		return;
	*pp = inode->wb_next;
	if (l->tail == inode)
		l->tail = prev;
	inode->wb_next = NULL;
}

static struct vfs_inode *wb_list_pop(struct wb_list *l)
{
	struct vfs_inode *inode = l->head;

	if (inode) {
		l->head = inode->wb_next;
		if (!l->head)
			l->tail = NULL;
		inode->wb_next = NULL;
	}
	return inode;
}

/* Put what is left on b_io back at the head of b_dirty (it is older). */
static void wb_splice_io_back(struct bdi *bdi)
{
	struct vfs_inode *inode;

	if (!bdi->b_io.head)
		return;
	for (inode = bdi->b_io.head; inode; inode = inode->wb_next)
		inode->wb_listed = (inode->wb_listed & ~WB_I_IO) | WB_I_DIRTY;
	bdi->b_io.tail->wb_next = bdi->b_dirty.head;
	if (!bdi->b_dirty.head)
		bdi->b_dirty.tail = bdi->b_io.tail;
	bdi->b_dirty.head = bdi->b_io.head;
	bdi->b_io.head = bdi->b_io.tail = NULL;
}

/* ---- thresholds ---- */
static bool wb_over_bg_thresh(struct bdi *bdi)
{
	uint64_t dirty = atomic_load(&bdi->pc->nr_dirty) * bdi->pc->folio_size;

	return dirty * 100 > (uint64_t) bdi->cfg.dirty_background_pct * bdi->pc->limit_bytes;
}

static bool inode_dirtied_expired(struct bdi *bdi, struct vfs_inode *inode, uint64_t now)
{
	return now - inode->dirtied_when_ms >= bdi->cfg.dirty_expire_ms;
}

/* ---- dirtying ---- */
void bdi_kick(struct bdi *bdi)
{
	pthread_mutex_lock(&bdi->list_lock);
	bdi->kicked = true;
	pthread_cond_signal(&bdi->work_cond);
	pthread_mutex_unlock(&bdi->list_lock);
}

/* __mark_inode_dirty(I_DIRTY_PAGES): the first dirtying starts the clock. */
void bdi_mark_inode_dirty(struct bdi *bdi, struct vfs_inode *inode)
{
	int state;

	pthread_mutex_lock(&bdi->list_lock);
	state = inode->wb_listed;
	if (state & WB_I_FREEING) {
		/* bdi_forget_inode writes it back itself */
	} else if (state & WB_I_SYNC) {
		inode->wb_listed = state | WB_I_REDIRTY; /* the flusher requeues it */
	} else if (!(state & (WB_I_DIRTY | WB_I_IO))) {
		inode->dirtied_when_ms = wb_now_ms();
		inode->wb_listed = state | WB_I_DIRTY;
		wb_list_add_tail(&bdi->b_dirty, inode);
	}
	pthread_mutex_unlock(&bdi->list_lock);

	/* Past the background threshold, start writeback now (the throttling
	 * half of balance_dirty_pages is bdi_balance_dirty_pages). */
	if (wb_over_bg_thresh(bdi))
		bdi_kick(bdi);
}

/* ---- throttling dirtiers ---- */

/* Longest single sleep of a throttled dirtier (the kernel's MAX_PAUSE). */
#define WB_MAX_PAUSE_MS 200
/*
 * A dirtier gives up waiting after this long without writeback making any
 * progress (a failing image, a shut-down filesystem): it must not hang.
 */
#define WB_THROTTLE_STALL_MS 10000

/* Dirty and under writeback: what writeback still has to finish (the kernel
 * counts NR_FILE_DIRTY + NR_WRITEBACK against the limit). */
static uint64_t wb_dirty_folios(struct bdi *bdi)
{
	return atomic_load(&bdi->pc->nr_dirty) + atomic_load(&bdi->pc->nr_writeback);
}

static uint64_t wb_dirty_limit_folios(struct bdi *bdi)
{
	uint64_t limit = bdi->pc->limit_bytes / 100 * bdi->cfg.dirty_pct / bdi->pc->folio_size;

	return limit ? limit : 1;
}

/*
 * The kernel computes each pause from the dirty rate and the write
 * bandwidth so that dirtiers slow down smoothly; here a dirtier over the
 * limit simply waits, woken by every folio_end_writeback, until the cache
 * is back under it -- the same bound on dirty memory, without the
 * rate-limit controller.  Below the limit it costs two atomic reads.
 */
void bdi_balance_dirty_pages(struct bdi *bdi)
{
	uint64_t limit = wb_dirty_limit_folios(bdi);
	uint64_t start, last_progress, written, now;

	if (wb_dirty_folios(bdi) <= limit)
		return;
	start = last_progress = wb_now_ms();
	written = atomic_load(&bdi->stats.folios_written);
	do {
		bdi_kick(bdi);
		pc_wait_writeback_progress(bdi->pc, WB_MAX_PAUSE_MS);
		now = wb_now_ms();
		if (atomic_load(&bdi->stats.folios_written) != written) {
			written = atomic_load(&bdi->stats.folios_written);
			last_progress = now;
		} else if (now - last_progress >= WB_THROTTLE_STALL_MS) {
			break;
		}
	} while (wb_dirty_folios(bdi) > limit);
	atomic_fetch_add(&bdi->stats.dirty_throttled, 1);
	atomic_fetch_add(&bdi->stats.dirty_throttled_ms, now - start);
}

/* ---- writing one inode ---- */
static bool mapping_tagged_dirty(struct address_space *mapping)
{
	struct folio *folio;

	if (!filemap_get_folios_tag(mapping, 0, UINT64_MAX, PC_TAG_DIRTY, &folio, 1))
		return false;
	folio_put(folio);
	return true;
}

/* __writeback_single_inode: write (and, for sync, wait for) the inode's folios. */
static int writeback_single_inode(struct bdi *bdi, struct vfs_inode *inode, bool sync_all)
{
	struct iomap_writepage_ctx wpc = {.bdi = bdi, .stats = &bdi->stats};
	struct writeback_control wbc = {
		.range_start = 0,
		.range_end = UINT64_MAX,
		.sync_all = sync_all,
		.nr_to_write = sync_all ? -1 : WB_SLICE_FOLIOS,
	};
	int error;

	wpc.iomap.type = IOMAP_HOLE;
	error = iomap_writepages(&inode->i_mapping, &wbc, &wpc, bdi->ops);
	if (sync_all)
		filemap_fdatawait_range(&inode->i_mapping, 0, UINT64_MAX);
	return error;
}

/*
 * requeue_inode: after a pass, an inode that still has dirty folios (busy
 * ones were skipped, the slice ran out, or it was redirtied meanwhile) goes
 * back to b_dirty.  Redirtied: its clock restarts; skipped: it keeps its age.
 */
static void requeue_inode(struct bdi *bdi, struct vfs_inode *inode, bool still_dirty)
{
	int state = inode->wb_listed;

	inode->wb_listed = state & ~(WB_I_SYNC | WB_I_REDIRTY);
	if (state & WB_I_FREEING)
		return;
	if (state & WB_I_REDIRTY)
		inode->dirtied_when_ms = wb_now_ms();
	if ((state & WB_I_REDIRTY) || still_dirty) {
		inode->wb_listed |= WB_I_DIRTY;
		wb_list_add_tail(&bdi->b_dirty, inode);
	}
}

/* queue_io: move the inodes this pass is for from b_dirty to b_io, in order. */
static void queue_io(struct bdi *bdi, enum wb_reason reason)
{
	struct vfs_inode *inode = bdi->b_dirty.head, *next;
	uint64_t now = wb_now_ms();
	struct wb_list keep = {NULL, NULL};

	for (; inode; inode = next) {
		next = inode->wb_next;
		if (reason == WB_REASON_PERIODIC && !inode_dirtied_expired(bdi, inode, now)) {
			wb_list_add_tail(&keep, inode);
			continue;
		}
		inode->wb_listed = (inode->wb_listed & ~WB_I_DIRTY) | WB_I_IO;
		wb_list_add_tail(&bdi->b_io, inode);
	}
	bdi->b_dirty = keep;
}

/* Next inode of b_io to work on, marked WB_I_SYNC, or NULL (list_lock held). */
static struct vfs_inode *wb_next_inode(struct bdi *bdi, enum wb_reason reason)
{
	struct vfs_inode *inode;

	if (reason == WB_REASON_BACKGROUND && !wb_over_bg_thresh(bdi)) {
		wb_splice_io_back(bdi);
		return NULL;
	}
	while ((inode = wb_list_pop(&bdi->b_io)) != NULL) {
		if (inode->wb_listed & WB_I_FREEING) {
			inode->wb_listed &= ~WB_I_IO;
			continue;
		}
		inode->wb_listed = (inode->wb_listed & ~(WB_I_IO | WB_I_REDIRTY)) | WB_I_SYNC;
		return inode;
	}
	return NULL;
}

/* wb_writeback: one pass over the inodes @reason selects.  Returns the first error. */
static int wb_writeback(struct bdi *bdi, enum wb_reason reason)
{
	bool sync_all = reason == WB_REASON_SYNC;
	struct vfs_inode *inode;
	int ret = 0;

	pthread_mutex_lock(&bdi->list_lock);
	queue_io(bdi, reason);
	while ((inode = wb_next_inode(bdi, reason)) != NULL) {
		bool still_dirty;
		int error;

		pthread_mutex_unlock(&bdi->list_lock);
		error = writeback_single_inode(bdi, inode, sync_all);
		still_dirty = mapping_tagged_dirty(&inode->i_mapping);
		if (error && !ret)
			ret = error;
		pthread_mutex_lock(&bdi->list_lock);
		requeue_inode(bdi, inode, still_dirty);
		pthread_cond_broadcast(&bdi->done_cond);
	}
	pthread_mutex_unlock(&bdi->list_lock);
	return ret;
}

/* A sync or stop request is waiting: background work yields to it. */
static bool wb_urgent_work(struct bdi *bdi)
{
	bool urgent;

	pthread_mutex_lock(&bdi->list_lock);
	urgent = bdi->stopping || bdi->sync_requested != bdi->sync_done;
	pthread_mutex_unlock(&bdi->list_lock);
	return urgent;
}

/* Periodic/kicked work: the pass, then background passes while over the threshold. */
static void wb_do_writeback(struct bdi *bdi, enum wb_reason reason)
{
	uint64_t before;

	wb_writeback(bdi, reason);
	while (wb_over_bg_thresh(bdi) && !wb_urgent_work(bdi)) {
		before = atomic_load(&bdi->stats.folios_written);
		wb_writeback(bdi, WB_REASON_BACKGROUND);
		if (atomic_load(&bdi->stats.folios_written) == before)
			break; /* nothing writable now: wait for the next wakeup */
	}
}

/* A sync pass requested by bdi_sync_all (list_lock held, dropped inside). */
static void wb_do_sync(struct bdi *bdi)
{
	uint64_t gen = bdi->sync_requested;
	int error;

	pthread_mutex_unlock(&bdi->list_lock);
	error = wb_writeback(bdi, WB_REASON_SYNC);
	pthread_mutex_lock(&bdi->list_lock);
	bdi->sync_err = error;
	bdi->sync_done = gen;
	pthread_cond_broadcast(&bdi->done_cond);
}

/* wb_workfn: the flusher thread. */
static void *wb_workfn(void *arg)
{
	struct bdi *bdi = arg;
	struct timespec next;

	pthread_mutex_lock(&bdi->list_lock);
	pc_deadline_ms(&next, bdi->cfg.writeback_interval_ms);
	for (;;) {
		enum wb_reason reason = WB_REASON_PERIODIC;
		int rc = 0;

		while (!bdi->kicked && !bdi->stopping && bdi->sync_requested == bdi->sync_done &&
		       rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&bdi->work_cond, &bdi->list_lock, &next);
		if (bdi->stopping)
			break;
		if (bdi->sync_requested != bdi->sync_done) {
			wb_do_sync(bdi);
			continue;
		}
		if (bdi->kicked)
			reason = WB_REASON_KICK;
		else
			pc_deadline_ms(&next, bdi->cfg.writeback_interval_ms);
		bdi->kicked = false;
		pthread_mutex_unlock(&bdi->list_lock);
		wb_do_writeback(bdi, reason);
		pthread_mutex_lock(&bdi->list_lock);
	}
	/* Unmount: everything, waited for; then release any sync waiters. */
	wb_do_sync(bdi);
	bdi->sync_done = bdi->sync_requested;
	pthread_cond_broadcast(&bdi->done_cond);
	pthread_mutex_unlock(&bdi->list_lock);
	return NULL;
}

/* ---- the completion worker ---- */
void bdi_queue_ioend(struct bdi *bdi, struct iomap_ioend *ioend)
{
	ioend->io_next = NULL;
	pthread_mutex_lock(&bdi->cq_lock);
	*bdi->cq_tailp = ioend;
	bdi->cq_tailp = &ioend->io_next;
	pthread_cond_signal(&bdi->cq_cond);
	pthread_mutex_unlock(&bdi->cq_lock);
}

/* xfs_end_io: take the whole queue, complete each ioend in submission order. */
static void *wb_end_io_worker(void *arg)
{
	struct bdi *bdi = arg;

	pthread_mutex_lock(&bdi->cq_lock);
	for (;;) {
		struct iomap_ioend *ioend;

		while (!bdi->cq_head && !bdi->cq_stopping)
			pthread_cond_wait(&bdi->cq_cond, &bdi->cq_lock);
		if (!bdi->cq_head)
			break; /* stopping, and drained */
		ioend = bdi->cq_head;
		bdi->cq_head = NULL;
		bdi->cq_tailp = &bdi->cq_head;
		pthread_mutex_unlock(&bdi->cq_lock);
		while (ioend) {
			struct iomap_ioend *next = ioend->io_next;

			iomap_finish_ioend(ioend);
			ioend = next;
		}
		pthread_mutex_lock(&bdi->cq_lock);
	}
	pthread_mutex_unlock(&bdi->cq_lock);
	return NULL;
}

/* ---- public entry points ---- */
static void bdi_apply_config(struct bdi *bdi, const struct bdi_config *cfg)
{
	bdi->cfg.writeback_interval_ms =
		cfg && cfg->writeback_interval_ms ? cfg->writeback_interval_ms : 500;
	bdi->cfg.dirty_expire_ms = cfg && cfg->dirty_expire_ms ? cfg->dirty_expire_ms : 3000;
	bdi->cfg.dirty_background_pct =
		cfg && cfg->dirty_background_pct ? cfg->dirty_background_pct : 40;
	bdi->cfg.dirty_pct = cfg && cfg->dirty_pct ? cfg->dirty_pct : 60;
	/* As the kernel's domain_dirty_limits: background stays below the limit. */
	if (bdi->cfg.dirty_background_pct > bdi->cfg.dirty_pct)
		bdi->cfg.dirty_background_pct = bdi->cfg.dirty_pct;
}

static int bdi_init_locks(struct bdi *bdi)
{
	pthread_condattr_t attr;
	int error;

	pthread_mutex_init(&bdi->list_lock, NULL);
	pthread_mutex_init(&bdi->cq_lock, NULL);
	pthread_cond_init(&bdi->done_cond, NULL);
	pthread_cond_init(&bdi->cq_cond, NULL);
	pthread_condattr_init(&attr);
	error = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!error)
		error = pthread_cond_init(&bdi->work_cond, &attr);
	pthread_condattr_destroy(&attr);
	return -error;
}

static void bdi_free(struct bdi *bdi)
{
	pthread_cond_destroy(&bdi->work_cond);
	pthread_cond_destroy(&bdi->done_cond);
	pthread_cond_destroy(&bdi->cq_cond);
	pthread_mutex_destroy(&bdi->list_lock);
	pthread_mutex_destroy(&bdi->cq_lock);
	free(bdi);
}

int bdi_start(struct bdi **bdip, struct page_cache *pc, const struct bdi_config *cfg,
	      const struct iomap_writeback_ops *ops)
{
	struct bdi *bdi;
	int error;

	bdi = calloc(1, sizeof(*bdi));
	if (!bdi)
		return -ENOMEM;
	bdi->pc = pc;
	bdi->ops = ops;
	bdi_apply_config(bdi, cfg);
	bdi->cq_tailp = &bdi->cq_head;
	error = bdi_init_locks(bdi);
	if (error)
		goto out_free;
	error = -pthread_create(&bdi->worker, NULL, wb_end_io_worker, bdi);
	if (error)
		goto out_free;
	pthread_setname_np(bdi->worker, "xf-end-io"); /* names for diagnose.sh */
	error = -pthread_create(&bdi->flusher, NULL, wb_workfn, bdi);
	if (error)
		goto out_stop_worker;
	pthread_setname_np(bdi->flusher, "xf-flusher");
	*bdip = bdi;
	return 0;

out_stop_worker:
	pthread_mutex_lock(&bdi->cq_lock);
	bdi->cq_stopping = true;
	pthread_cond_signal(&bdi->cq_cond);
	pthread_mutex_unlock(&bdi->cq_lock);
	pthread_join(bdi->worker, NULL);
out_free:
	bdi_free(bdi);
	return error;
}

void bdi_stop(struct bdi *bdi)
{
	pthread_mutex_lock(&bdi->list_lock);
	bdi->stopping = true;
	pthread_cond_signal(&bdi->work_cond);
	pthread_mutex_unlock(&bdi->list_lock);
	pthread_join(bdi->flusher, NULL); /* its last pass waited for every ioend */

	pthread_mutex_lock(&bdi->cq_lock);
	bdi->cq_stopping = true;
	pthread_cond_signal(&bdi->cq_cond);
	pthread_mutex_unlock(&bdi->cq_lock);
	pthread_join(bdi->worker, NULL);
	bdi_free(bdi);
}

/*
 * sync_inodes_sb: the flusher runs a WB_SYNC_ALL pass over every listed
 * inode (waiting for its ioends) and we wait for it; concurrent callers
 * share a pass that started after they asked.  Inodes being forgotten are
 * skipped: bdi_forget_inode writes them back itself.  Returns the pass's
 * first writeback error; mapping errors stay for fsync to report.
 */
int bdi_sync_all(struct bdi *bdi)
{
	uint64_t gen;
	int error;

	pthread_mutex_lock(&bdi->list_lock);
	gen = ++bdi->sync_requested;
	pthread_cond_signal(&bdi->work_cond);
	while (bdi->sync_done < gen)
		pthread_cond_wait(&bdi->done_cond, &bdi->list_lock);
	error = bdi->sync_err;
	pthread_mutex_unlock(&bdi->list_lock);
	return error;
}

/* Write [start, end] back and wait for it; the error this pass met. */
static int wb_write_and_wait(struct bdi *bdi, struct vfs_inode *inode, uint64_t start, uint64_t end)
{
	struct iomap_writepage_ctx wpc = {.bdi = bdi, .stats = &bdi->stats};
	struct writeback_control wbc = {
		.range_start = start,
		.range_end = end,
		.sync_all = true,
		.nr_to_write = -1,
	};
	int error;

	wpc.iomap.type = IOMAP_HOLE;
	error = iomap_writepages(&inode->i_mapping, &wbc, &wpc, bdi->ops);
	filemap_fdatawait_range(&inode->i_mapping, start, end);
	return error;
}

int filemap_write_and_wait_range(struct bdi *bdi, struct vfs_inode *inode, uint64_t start,
				 uint64_t end)
{
	int error = wb_write_and_wait(bdi, inode, start, end);
	int error2 = filemap_check_and_clear_wb_err(&inode->i_mapping);

	return error ? error : error2;
}

/*
 * fsync's flush (file_write_and_wait_range): write, wait, then report the
 * errors this open file description has not seen (*@wb_err, advanced).
 */
int file_write_and_wait_range(struct bdi *bdi, struct vfs_inode *inode, uint64_t start,
			      uint64_t end, uint32_t *wb_err)
{
	int error = wb_write_and_wait(bdi, inode, start, end);
	int error2 = mapping_check_error(&inode->i_mapping, wb_err);

	return error ? error : error2;
}

/*
 * The inode is about to be freed (evict): keep the flusher off it, write it
 * back and wait (ioends included), take it off the lists.  The caller
 * guarantees nobody dirties it any more.  @discard (the file is unlinked and
 * its blocks are about to be freed): only wait for the writeback in flight;
 * its dirty data is never written, as truncate_inode_pages_final drops it.
 */
int bdi_forget_inode(struct bdi *bdi, struct vfs_inode *inode, bool discard)
{
	int error;

	pthread_mutex_lock(&bdi->list_lock);
	inode->wb_listed |= WB_I_FREEING;
	while (inode->wb_listed & WB_I_SYNC)
		pthread_cond_wait(&bdi->done_cond, &bdi->list_lock);
	pthread_mutex_unlock(&bdi->list_lock);

	if (discard) {
		filemap_fdatawait_range(&inode->i_mapping, 0, UINT64_MAX);
		error = 0;
	} else {
		error = filemap_write_and_wait_range(bdi, inode, 0, UINT64_MAX);
	}

	pthread_mutex_lock(&bdi->list_lock);
	if (inode->wb_listed & WB_I_DIRTY)
		wb_list_del(&bdi->b_dirty, inode);
	if (inode->wb_listed & WB_I_IO)
		wb_list_del(&bdi->b_io, inode);
	inode->wb_listed = 0;
	inode->wb_next = NULL;
	pthread_mutex_unlock(&bdi->list_lock);
	return error;
}

bool bdi_inode_unlisted(struct bdi *bdi, struct vfs_inode *inode)
{
	bool unlisted;

	pthread_mutex_lock(&bdi->list_lock);
	unlisted = inode->wb_listed == 0;
	pthread_mutex_unlock(&bdi->list_lock);
	return unlisted;
}

const struct writeback_stats *bdi_stats(struct bdi *bdi)
{
	return &bdi->stats;
}
