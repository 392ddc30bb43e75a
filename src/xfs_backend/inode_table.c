// SPDX-License-Identifier: GPL-2.0
/*
 * The incore inode table: exactly one struct xb_inode (and so one libxfs
 * xfs_inode) per inode number while anybody holds a reference.
 *
 * libxfs_iget() reads a fresh inode from disk on every call; two copies of
 * one inode would each log their own core and silently lose the other's
 * updates.  So this file is the only caller of libxfs_iget for inodes that
 * outlive a single backend call.  Everything here runs under xb_lock.
 *
 * The last reference of an inode whose link count is zero frees it on disk
 * (xb_inactive), the userspace twin of the kernel's xfs_inactive().
 *
 * Regular files carry a struct vfs_inode (the engine's i_rwsem, i_size and
 * page cache) once the engine is attached.  Before such an inode's memory
 * goes, the engine's evict callback runs WITHOUT the libxfs lock (writeback
 * takes it): it writes back a linked file and drops the page cache.  While
 * it runs the inode stays in the table marked dying, and xb_iget of the same
 * number waits for it to be gone -- the kernel's I_FREEING -- so there is
 * never a second incore copy racing the first one's writeback.
 */
#include "xb_internal.h"

#define XB_HASH_MIN 1024

static size_t xb_hash(const struct xb_mount *m, uint64_t ino)
{
	return (size_t) ((ino * 0x9E3779B97F4A7C15ULL) >> 17) & (m->hsize - 1);
}

int xb_itable_init(struct xb_mount *m)
{
	pthread_cond_init(&m->itable_cond, NULL);
	m->hsize = XB_HASH_MIN;
	m->hcount = 0;
	m->htab = calloc(m->hsize, sizeof(*m->htab));
	return m->htab ? 0 : -ENOMEM;
}

/* Keep chains short: double the table when it is fuller than one per bucket. */
static void xb_itable_grow(struct xb_mount *m)
{
	size_t oldsize = m->hsize, i;
	struct xb_inode **old = m->htab;
	struct xb_inode **nt = calloc(oldsize * 2, sizeof(*nt));

	if (!nt)
		return; /* longer chains, still correct */
	m->htab = nt;
	m->hsize = oldsize * 2;
	for (i = 0; i < oldsize; i++) {
		struct xb_inode *xi = old[i], *next;

		for (; xi; xi = next) {
			size_t h = xb_hash(m, xi->ino);

			next = xi->hnext;
			xi->hnext = nt[h];
			nt[h] = xi;
		}
	}
	free(old);
}

struct xb_inode *xb_itable_lookup(struct xb_mount *m, uint64_t ino)
{
	struct xb_inode *xi;

	for (xi = m->htab[xb_hash(m, ino)]; xi; xi = xi->hnext)
		if (xi->ino == ino)
			return xi;
	return NULL;
}

static void xb_itable_remove(struct xb_mount *m, struct xb_inode *xi)
{
	struct xb_inode **pp = &m->htab[xb_hash(m, xi->ino)];

	while (*pp != xi)
		pp = &(*pp)->hnext;
	*pp = xi->hnext;
	m->hcount--;
}

/* The engine's view of a regular file (see src/vfs/vfs_inode.h). */
static struct vfs_inode *xb_vfs_alloc(struct xb_mount *m, struct xb_inode *xi)
{
	struct vfs_inode *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->i_ino = xi->ino;
	v->i_blkbits = m->mp->m_sb.sb_blocklog;
	v->bdev_fd = m->xi.dfd;
	pthread_rwlock_init(&v->i_rwsem, NULL);
	pthread_rwlock_init(&v->invalidate_lock, NULL);
	vfs_i_size_write(v, xi->ip->i_size);
	mapping_init(&v->i_mapping, m->pc, v, v->i_blkbits);
	v->i_mapping.host_ino = v->i_ino;
	v->i_private = xi;
	return v;
}

static void xb_vfs_free(struct vfs_inode *v)
{
	mapping_destroy(&v->i_mapping);
	pthread_rwlock_destroy(&v->i_rwsem);
	pthread_rwlock_destroy(&v->invalidate_lock);
	free(v);
}

/* A loaded regular file gets its vfs_inode, charged with the inode (no-op if it has one). */
int xb_vfs_attach(struct xb_inode *xi)
{
	struct xb_mount *m = xi->m;

	if (xi->vfs || !m->pc || !S_ISREG(VFS_I(xi->ip)->i_mode))
		return 0;
	xi->vfs = xb_vfs_alloc(m, xi);
	if (!xi->vfs)
		return -ENOMEM;
	xi->charge += sizeof(*xi->vfs);
	page_cache_charge(m->pc, sizeof(*xi->vfs));
	return 0;
}

/* An idle inode gives its vfs_inode back (inode_idle.c says when it may). */
void xb_vfs_detach(struct xb_inode *xi)
{
	if (!xi->vfs)
		return;
	xb_vfs_free(xi->vfs);
	xi->vfs = NULL;
	xi->charge -= sizeof(struct vfs_inode);
	page_cache_charge(xi->m->pc, -(int64_t) sizeof(struct vfs_inode));
	atomic_fetch_add(&xb_idle_stats.vfs_released, 1);
}

/*
 * An in-core inode's memory, charged to cache_size while it lives
 * (page_cache_charge; doc/performance.md, "Memory"): our xb_inode, and
 * while it is loaded libxfs's xfs_inode with XB_INODE_SLACK for its forks'
 * extent lists and malloc's headers (xb_inode_loaded_charge) and a regular
 * file's vfs_inode (xb_vfs_attach): an idle inode gives both back.
 */
static uint32_t xb_inode_charge(void)
{
	return (uint32_t) (sizeof(struct xb_inode) + xb_inode_loaded_charge());
}

static struct xb_inode *xb_itable_add(struct xb_mount *m, struct xfs_inode *ip)
{
	struct xb_inode *xi = calloc(1, sizeof(*xi));
	size_t h;

	if (!xi)
		return NULL;
	if (m->hcount >= m->hsize)
		xb_itable_grow(m);
	xi->m = m;
	xi->ino = ip->i_ino;
	xi->ip = ip;
	xi->ref = 1;
	xi->active = 1;
	/* What this inode changed before we knew it is not known: assume now. */
	xi->log_seq = xi->log_seq_data = xb_log_open_seq(m);
	if (m->pc) {
		xi->charge = xb_inode_charge();
		page_cache_charge(m->pc, xi->charge);
		if (xb_vfs_attach(xi)) {
			page_cache_charge(m->pc, -(int64_t) xi->charge);
			free(xi);
			return NULL;
		}
	}
	h = xb_hash(m, xi->ino);
	xi->hnext = m->htab[h];
	m->htab[h] = xi;
	m->hcount++;
	m->inodes_loaded++; /* charged above with the rest */
	xb_inode_shrink_locked(m);
	return xi;
}

/*
 * Read inode @ino from the image (its cluster buffer, through the buffer
 * cache): -ESTALE for a free inode slot.  libxfs_iget leaves the incore
 * size 0: it starts as the on-disk size.
 */
int xb_iread(struct xb_mount *m, uint64_t ino, struct xfs_inode **ipp)
{
	struct xfs_inode *ip;
	int error = xb_err(libxfs_iget(m->mp, NULL, ino, 0, &ip));

	if (error)
		return error;
	if (VFS_I(ip)->i_mode == 0) {
		libxfs_irele(ip);
		return -ESTALE;
	}
	ip->i_size = ip->i_disk_size;
	*ipp = ip;
	return 0;
}

int xb_iget_locked(struct xb_mount *m, uint64_t ino, struct xb_inode **ipp)
{
	struct xb_inode *xi = xb_itable_lookup(m, ino);
	struct xfs_inode *ip;
	int error;

	while (xi && xi->dying) {
		xb_lock_wait(&m->itable_cond);
		xi = xb_itable_lookup(m, ino);
	}
	if (xi) {
		error = xb_inode_reload(xi); /* what it gave back while idle */
		if (error)
			return error;
		xb_ihold_locked(xi);
		*ipp = xi;
		return 0;
	}
	if (!libxfs_verify_ino(m->mp, ino))
		return -ESTALE;
	/* ESTALE: a free inode slot (stale file handle, or a dir entry to nothing). */
	error = xb_iread(m, ino, &ip);
	if (error)
		return error;
	xi = xb_itable_add(m, ip);
	if (!xi) {
		libxfs_irele(ip);
		return -ENOMEM;
	}
	*ipp = xi;
	return 0;
}

struct xb_inode *xb_itable_insert_new(struct xb_mount *m, struct xfs_inode *ip)
{
	return xb_itable_add(m, ip);
}

/*
 * Run the engine's evict callback without the libxfs lock.  Callers of
 * xb_iput_locked hold nothing else: they call it as their last step.
 */
static void xb_evict_engine(struct xb_mount *m, struct xb_inode *xi)
{
	bool unlinked = xi->ip && VFS_I(xi->ip)->i_nlink == 0;

	if (!xi->vfs || !m->engine_ops || !m->engine_ops->evict)
		return;
	xi->dying = true;
	xb_unlock();
	m->engine_ops->evict(xi->vfs, unlinked, m->engine_arg);
	xb_lock();
}

void xb_iput_locked(struct xb_inode *xi)
{
	xb_idrop_locked(xi, 1, 1);
}

void xb_idrop_locked(struct xb_inode *xi, uint64_t n, uint64_t nactive)
{
	struct xb_mount *m = xi->m;

	assert(xi->ref >= n && n >= nactive);
	assert(xi->active >= nactive);
	/*
	 * iput of an I_DIRTY_TIME inode: lazytime's timestamps are logged
	 * before the last reference goes (the incore inode is all that holds
	 * them).  Done while the reference is still held.
	 */
	if (xi->ref == n && xi->dirty_time && xi->ip && VFS_I(xi->ip)->i_nlink)
		xb_flush_dirty_time_locked(xi);
	xi->ref -= n;
	xi->active -= nactive;
	if (xi->ref) {
		if (!xi->active)
			xb_inode_inactive(xi);
		return;
	}
	xb_ilru_del(m, xi);
	xb_evict_engine(m, xi);
	if (xi->vfs && xi->ip)
		xb_iomap_inode_teardown_locked(xi); /* leftover delalloc back to the free count */
	if (xi->ip) {
		if (VFS_I(xi->ip)->i_nlink == 0 && !m->readonly) {
			int error = xb_inactive(m, xi->ip);

			/* After a shutdown the log's replay frees it (doc/log.md). */
			if (error && !m->shutdown)
				fprintf(stderr, "xfsfuse: freeing inode %llu failed: %s\n",
					(unsigned long long) xi->ino, strerror(-error));
		}
		libxfs_irele(xi->ip);
		m->inodes_loaded--;
	}
	xb_itable_remove(m, xi);
	if (xi->charge)
		page_cache_charge(m->pc, -(int64_t) xi->charge);
	if (xi->vfs)
		xb_vfs_free(xi->vfs);
	free(xi);
	pthread_cond_broadcast(&m->itable_cond);
}

/* Unmount: drop what the kernel never forgot (it forgets nothing at umount). */
void xb_itable_destroy(struct xb_mount *m)
{
	size_t i;

	for (i = 0; i < m->hsize; i++) {
		while (m->htab[i] && !m->htab[i]->dying)
			xb_idrop_locked(m->htab[i], m->htab[i]->ref, m->htab[i]->active);
	}
	free(m->htab);
	m->htab = NULL;
}

/* The inodes the kernel may cache something of: those in the table. */
size_t xb_itable_inos(struct xb_mount *m, uint64_t **inosp)
{
	struct xb_inode *xi;
	uint64_t *inos;
	size_t i, n = 0;

	xb_lock();
	inos = malloc((m->hcount + 1) * sizeof(*inos));
	for (i = 0; inos && i < m->hsize; i++)
		for (xi = m->htab[i]; xi && n <= m->hcount; xi = xi->hnext)
			inos[n++] = xi->ino;
	xb_unlock();
	*inosp = inos;
	return n;
}

int xb_iget(struct xb_mount *m, uint64_t ino, struct xb_inode **ipp)
{
	int error;

	xb_lock();
	error = xb_iget_locked(m, ino, ipp);
	xb_unlock();
	return error;
}

#ifndef XFS_IGET_UNTRUSTED
#define XFS_IGET_UNTRUSTED 0x2 /* libxfs 6.1 defines it in a private header */
#endif

int xb_iget_handle(struct xb_mount *m, uint64_t ino, struct xb_inode **ipp)
{
	struct xfs_imap imap;
	int error = 0;

	xb_lock();
	if (!xb_itable_lookup(m, ino) &&
	    (!libxfs_verify_ino(m->mp, ino) ||
	     xfs_imap(m->mp, NULL, ino, &imap, XFS_IGET_UNTRUSTED) != 0))
		error = -ESTALE;
	if (!error)
		error = xb_iget_locked(m, ino, ipp);
	xb_unlock();
	return error;
}

void xb_igrab(struct xb_inode *xi)
{
	xb_lock();
	xb_ihold_locked(xi);
	xb_unlock();
}

void xb_iput(struct xb_inode *xi)
{
	xb_lock();
	xb_iput_locked(xi);
	xb_unlock();
}

uint64_t xb_ino(const struct xb_inode *xi)
{
	return xi->ino;
}

struct xb_mount *xb_inode_mount(const struct xb_inode *xi)
{
	return xi->m;
}

void xb_engine_attach(struct xb_mount *m, struct page_cache *pc, const struct xb_engine_ops *ops,
		      void *arg)
{
	xb_lock();
	m->pc = pc;
	m->engine_ops = ops;
	m->engine_arg = arg;
	xb_inode_shrinker_install(m);
	/* Like the engine's threads, the log's timer is born after fuse_daemonize. */
	if (m->log && xb_log_start_timer(m->log))
		fprintf(stderr,
			"xfsfuse: %s: cannot start the log timer; checkpoints at fsync, "
			"size limit and unmount only\n",
			m->image);
	xb_unlock();
}

struct vfs_inode *xb_vfs_inode(struct xb_inode *xi)
{
	return xi->vfs;
}

struct xb_inode *xb_from_vfs(struct vfs_inode *inode)
{
	return inode->i_private;
}

/*
 * xfs_inodegc_flush for FUSE: an unlinked file's blocks are freed when the
 * kernel's FORGET comes (xb_iput_locked -> xb_inactive).  Before reporting
 * ENOSPC, wait while one is being freed, as the kernel waits for queued
 * inactivation: `rm big; touch a` must not fail (fstests generic/511).  The
 * FORGET of a file just removed may still be on its way (the kernel queues
 * it, another daemon thread reads it): give closed, unlinked files up to
 * XB_INODEGC_GRACE_MS to start going.  Their blocks are never freed before
 * the FORGET: only the kernel knows nobody can reopen them (an O_PATH
 * descriptor can, through /proc).
 */
#define XB_INODEGC_GRACE_MS 200

enum xb_gc_state { XB_GC_NONE, XB_GC_PENDING, XB_GC_FREEING };

static enum xb_gc_state xb_unlinked_state(struct xb_mount *m)
{
	enum xb_gc_state st = XB_GC_NONE;
	struct xb_inode *xi;
	size_t i;

	for (i = 0; i < m->hsize; i++) {
		for (xi = m->htab[i]; xi; xi = xi->hnext) {
			if (!xi->ip || VFS_I(xi->ip)->i_nlink != 0 || !xi->vfs)
				continue;
			if (xi->dying)
				return XB_GC_FREEING;
			if (atomic_load(&xi->vfs->i_opens) == 0 && xi->ip->i_nblocks)
				st = XB_GC_PENDING;
		}
	}
	return st;
}

void xb_inodegc_wait(struct xb_mount *m)
{
	struct timespec deadline;
	enum xb_gc_state st;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_nsec += XB_INODEGC_GRACE_MS * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	xb_lock();
	while (m->htab && (st = xb_unlinked_state(m)) != XB_GC_NONE) {
		struct timespec now;

		if (st == XB_GC_FREEING) {
			xb_lock_wait(&m->itable_cond);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &now);
		if (now.tv_sec > deadline.tv_sec ||
		    (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec))
			break;
		xb_lock_timedwait(&m->itable_cond, &deadline);
	}
	xb_unlock();
}
