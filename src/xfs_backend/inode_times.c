// SPDX-License-Identifier: GPL-2.0
/*
 * The timestamps the VFS moves by itself: mtime and ctime of a write
 * (file_update_time) and atime of a read, readdir or readlink
 * (touch_atime), both logged the way fs/xfs/xfs_iops.c xfs_vn_update_time
 * logs them -- a tr_fsyncts transaction of XFS_ILOG_TIMESTAMP, which
 * fdatasync ignores -- or, on a lazytime mount, kept in memory until
 * something logs the inode anyway (doc/backend.md "Access times").
 *
 * lazytime's bookkeeping is the kernel's I_DIRTY_TIME: xb_inode.dirty_time.
 * Every transaction that logs the inode carries its incore timestamps and
 * clears it (xb_log_note_inode, as xfs_trans_log_inode clears
 * I_DIRTY_TIME); what is still dirty is logged by fsync (not fdatasync:
 * vfs_fsync_range), by sync (sync_inodes_sb), and before the inode leaves
 * the table (iput's mark_inode_dirty_sync) -- so unmount writes them too.
 */
#include "xb_internal.h"
#include "vfs_atime.h"

struct xb_time_stats xb_time_stats;

/*
 * The clock.  libxfs stamps what its transactions change (xfs_trans_ichgtime:
 * create, link, rename, setattr, ...) with its current_time(), a fine-grained
 * clock; a write's mtime and a read's atime use the coarse clock here, as
 * the kernel's current_time(), so that back-to-back writes log the inode
 * once.  The coarse clock lags the fine one by up to a tick: a file created
 * and written within one tick got an mtime *before* its creation time (and
 * its atime), and relatime then thought it read since the write.  The
 * kernel's multigrain timestamps (6.13) have the same problem and the same
 * answer, a floor: the coarse clock never reads earlier than the latest
 * fine-grained stamp handed out (ktime_get_coarse_real_ts64_mg).  libxfs's
 * current_time is wrapped (-Wl,--wrap=current_time) to keep that floor.
 */
static _Atomic int64_t xb_time_floor_ns;

static int64_t xb_ns(const struct timespec *ts)
{
	return (int64_t) ts->tv_sec * 1000000000 + ts->tv_nsec;
}

struct timespec64 __wrap_current_time(struct inode *inode);
struct timespec64 __wrap_current_time(struct inode *inode)
{
	struct timespec now;
	struct timespec64 t;
	int64_t ns, floor;

	(void) inode;
	clock_gettime(CLOCK_REALTIME, &now);
	ns = xb_ns(&now);
	floor = atomic_load(&xb_time_floor_ns);
	while (floor < ns && !atomic_compare_exchange_weak(&xb_time_floor_ns, &floor, ns))
		;
	t.tv_sec = now.tv_sec;
	t.tv_nsec = now.tv_nsec;
	return t;
}

/* current_time() of the kernel's VFS: the coarse clock, floored. */
static struct timespec64 xb_now_coarse(void)
{
	struct timespec now;
	struct timespec64 t;
	int64_t floor = atomic_load(&xb_time_floor_ns);

	clock_gettime(CLOCK_REALTIME_COARSE, &now);
	if (xb_ns(&now) < floor) {
		now.tv_sec = floor / 1000000000;
		now.tv_nsec = floor % 1000000000;
	}
	t.tv_sec = now.tv_sec;
	t.tv_nsec = now.tv_nsec;
	return t;
}

static struct timespec xb_ts(const struct timespec64 *x)
{
	struct timespec ts = {.tv_sec = x->tv_sec, .tv_nsec = x->tv_nsec};

	return ts;
}

static bool xb_ts_equal(const struct timespec64 *a, const struct timespec64 *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* A transaction of its own for the inode's timestamps (xfs_vn_update_time). */
static int xb_log_timestamps(struct xb_inode *xi)
{
	struct xfs_trans *tp;
	int error;

	error = xb_trans_alloc(xi->m, &M_RES(xi->m->mp)->tr_fsyncts, 0, &tp);
	if (error)
		return error;
	libxfs_trans_ijoin(tp, xi->ip, 0);
	libxfs_trans_log_inode(tp, xi->ip, XFS_ILOG_TIMESTAMP); /* fdatasync ignores it */
	error = xb_trans_commit(tp);
	/* The log's hook clears it too, but a mount without a log has no hook. */
	if (!error)
		xi->dirty_time = false;
	return error;
}

int xb_file_update_time(struct xb_inode *xi, bool lazy)
{
	struct timespec64 t = xb_now_coarse(), old_m, old_c;
	struct inode *inode;
	int error = 0;

	xb_lock();
	inode = VFS_I(xi->ip);
	if (xb_ts_equal(&inode->i_mtime, &t) && xb_ts_equal(&inode->i_ctime, &t))
		goto out_unlock;
	old_m = inode->i_mtime;
	old_c = inode->i_ctime;
	inode->i_mtime = t;
	inode->i_ctime = t;
	if (lazy) {
		xi->dirty_time = true; /* generic_update_time: I_DIRTY_TIME */
		goto out_unlock;
	}
	error = xb_log_timestamps(xi);
	if (error) { /* no transaction: the incore inode must not differ from what is logged */
		inode->i_mtime = old_m;
		inode->i_ctime = old_c;
	}
out_unlock:
	xb_unlock();
	return error;
}

/* The inode as atime_needs_update sees it. */
static void xb_atime_view(struct xfs_inode *ip, struct vfs_atime_inode *in)
{
	const struct inode *inode = VFS_I(ip);

	in->is_dir = S_ISDIR(inode->i_mode);
	in->noatime = (ip->i_diflags & XFS_DIFLAG_NOATIME) != 0; /* S_NOATIME */
	in->atime = xb_ts(&inode->i_atime);
	in->mtime = xb_ts(&inode->i_mtime);
	in->ctime = xb_ts(&inode->i_ctime);
}

static bool xb_atime_needs_update_locked(struct xb_inode *xi, unsigned int mnt_flags,
					 const struct timespec64 *now)
{
	struct vfs_atime_inode in;

	/* touch_atime's mnt_want_write and sb_start_write: nothing on a read-only mount. */
	if (!xi->ip || xi->m->readonly || xi->m->shutdown)
		return false;
	/* iterate_dir skips a removed directory (IS_DEADDIR). */
	if (S_ISDIR(VFS_I(xi->ip)->i_mode) && VFS_I(xi->ip)->i_nlink == 0)
		return false;
	xb_atime_view(xi->ip, &in);
	return atime_needs_update(mnt_flags, &in, xb_ts(now));
}

bool xb_atime_pending(struct xb_inode *xi, unsigned int mnt_flags)
{
	struct timespec64 now = xb_now_coarse();
	bool pending;

	xb_lock();
	pending = xb_atime_needs_update_locked(xi, mnt_flags, &now);
	xb_unlock();
	return pending;
}

int xb_touch_atime(struct xb_inode *xi, unsigned int mnt_flags)
{
	struct timespec64 now = xb_now_coarse();
	struct timespec64 old;
	int error;

	xb_lock();
	if (!xb_atime_needs_update_locked(xi, mnt_flags, &now)) {
		xb_unlock();
		return 0;
	}
	old = VFS_I(xi->ip)->i_atime;
	VFS_I(xi->ip)->i_atime = now;
	if (mnt_flags & VFS_ATIME_LAZYTIME) {
		/* generic_update_time: I_DIRTY_TIME, no transaction. */
		xi->dirty_time = true;
		atomic_fetch_add(&xb_time_stats.atime_lazy, 1);
		xb_unlock();
		return 1;
	}
	error = xb_log_timestamps(xi);
	if (error)
		VFS_I(xi->ip)->i_atime = old; /* no transaction: nothing was logged */
	else
		atomic_fetch_add(&xb_time_stats.atime_logged, 1);
	xb_unlock();
	return error ? error : 1;
}

int xb_flush_dirty_time_locked(struct xb_inode *xi)
{
	int error;

	if (!xi->dirty_time)
		return 0;
	if (!xi->ip || xi->m->readonly || xi->m->shutdown) {
		xi->dirty_time = false; /* nowhere to write them: lost, as on a shut-down XFS */
		return 0;
	}
	error = xb_log_timestamps(xi);
	if (!error)
		atomic_fetch_add(&xb_time_stats.lazy_flushed, 1);
	return error;
}

int xb_flush_dirty_times_locked(struct xb_mount *m)
{
	struct xb_inode *xi;
	int error = 0, err;
	size_t i;

	for (i = 0; m->htab && i < m->hsize; i++) {
		for (xi = m->htab[i]; xi; xi = xi->hnext) {
			err = xb_flush_dirty_time_locked(xi);
			if (err && !error)
				error = err;
		}
	}
	return error;
}
