// SPDX-License-Identifier: GPL-2.0
/*
 * The libxfs lock and liburcu thread registration.
 *
 * libxfs 6.1 is not thread-safe: the buffer cache users, the superblock
 * counters, the per-AG structures and every xfs_inode are unprotected, and
 * xfs_ilock() is a no-op.  Until a finer scheme is proven safe, one mutex
 * serialises every call into libxfs.  It sits at the bottom of the lock order
 * (i_rwsem -> invalidate_lock -> folio lock -> ILOCK -> libxfs): code holding
 * it never blocks on any other xfsfuse lock, and never calls back into FUSE.
 *
 * liburcu: every thread that touches libxfs must be registered.  FUSE worker
 * threads come and go, so registration happens lazily on first use and is
 * undone by a thread-specific-data destructor when the thread exits (a dead
 * registered thread would leave a dangling reader in liburcu's registry).
 * The thread that called libxfs_init() is registered by libxfs itself and
 * must not register again (liburcu asserts).
 */
#include "xb_internal.h"
#include "lockwatch.h"

static pthread_mutex_t xb_libxfs_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t xb_rcu_key;
static pthread_once_t xb_rcu_once = PTHREAD_ONCE_INIT;
static __thread int xb_rcu_registered; /* 1 = by us, 2 = by libxfs_init */

static void xb_rcu_thread_exit(void *arg)
{
	(void) arg;
	if (xb_rcu_registered == 1)
		rcu_unregister_thread();
	xb_rcu_registered = 0;
}

static void xb_rcu_key_create(void)
{
	pthread_key_create(&xb_rcu_key, xb_rcu_thread_exit);
}

/*
 * fork() without exec: the daemon mounts, then fuse_daemonize forks.  By
 * then libxfs has freed per-AG structures with call_rcu (every unmount of a
 * mount that replayed the log first), which started liburcu's call_rcu
 * thread; forked while that thread held liburcu's registry lock (inside a
 * grace period), the child inherits the lock held by no thread, and its
 * first FUSE worker hangs for good registering itself (fstests generic/417,
 * now and then).  liburcu's answer: pause the call_rcu threads around fork.
 */
static pthread_once_t xb_rcu_fork_once = PTHREAD_ONCE_INIT;

static void xb_rcu_fork_handlers(void)
{
	pthread_atfork(call_rcu_before_fork, call_rcu_after_fork_parent, call_rcu_after_fork_child);
}

/* Called by the thread that runs libxfs_init() (which registers it). */
void xb_lock_init_main_thread(void)
{
	pthread_once(&xb_rcu_fork_once, xb_rcu_fork_handlers);
	xb_rcu_registered = 2;
}

/* ... and after its libxfs_destroy() (which unregisters it). */
void xb_lock_main_thread_done(void)
{
	xb_rcu_registered = 0;
}

static void xb_rcu_register_self(void)
{
	pthread_once(&xb_rcu_once, xb_rcu_key_create);
	rcu_register_thread();
	xb_rcu_registered = 1;
	pthread_setspecific(xb_rcu_key, (void *) 1);
}

void xb_lock(void)
{
	if (!xb_rcu_registered)
		xb_rcu_register_self();
	xb_lock_retake();
}

/* A condition wait lets go of the lock meanwhile (it is no lock wait). */
void xb_lock_wait(pthread_cond_t *cond)
{
	xf_lw_put(XF_LW_LIBXFS);
	pthread_cond_wait(cond, &xb_libxfs_mutex);
	xf_lw_got(XF_LW_LIBXFS, 0, true);
}

void xb_lock_timedwait(pthread_cond_t *cond, const struct timespec *abstime)
{
	xf_lw_put(XF_LW_LIBXFS);
	pthread_cond_timedwait(cond, &xb_libxfs_mutex, abstime);
	xf_lw_got(XF_LW_LIBXFS, 0, true);
}

/*
 * A checkpoint's lock-free phase (log/checkpoint.c): let go of the lock
 * without xb_unlock()'s work, and take it back.
 */
void xb_lock_drop(void)
{
	xf_lw_put(XF_LW_LIBXFS);
	pthread_mutex_unlock(&xb_libxfs_mutex);
}

void xb_lock_retake(void)
{
	xf_lw_wait(XF_LW_LIBXFS, 0, 0);
	pthread_mutex_lock(&xb_libxfs_mutex);
	xf_lw_got(XF_LW_LIBXFS, 0, true);
}

bool xb_saw_corruption;

/*
 * Drop every cached buffer after an operation that met corruption (see
 * xb_err), so that the corrupt block is read and verified again next time.
 * Dirty buffers belong to committed transactions: a checkpoint takes them
 * home first (without a log, read-only, there are none).
 */
static void xb_forget_corrupt_buffers(void)
{
	xb_saw_corruption = false;
	xb_log_at_unlock_force();
	if (libxfs_bcache)
		libxfs_bcache_purge();
}

/*
 * Leaving libxfs: no transaction is in flight, so this is where a
 * checkpoint falls due when the dirty set reaches its limit.
 */
void xb_unlock(void)
{
	xb_log_at_unlock();
	if (xb_saw_corruption)
		xb_forget_corrupt_buffers();
	xb_lock_drop();
}
