// SPDX-License-Identifier: GPL-2.0
/*
 * Idle inodes give their libxfs copy back (doc/backend.md "Idle inodes").
 *
 * The kernel keeps an inode for as long as it keeps a dentry of it, and
 * FUSE makes us keep ours until FORGET: a tree the kernel has walked holds
 * an xb_inode, a vfs_inode and libxfs's incore xfs_inode (with its forks)
 * per file.  The libxfs copy is most of that, and nothing needs it between
 * requests once the inode is clean.  So, as the kernel's inode shrinker
 * reclaims clean inodes nobody uses, an inode only the kernel's lookup
 * count holds goes on an LRU list, and once more libxfs copies are loaded
 * than a quarter of cache_size pays for, the oldest clean ones are
 * released (libxfs_irele) and xi->ip becomes NULL, and so does a regular
 * file's xi->vfs, the engine's vfs_inode with its empty page-cache index.
 * xb_iget_locked reads the inode again from its cluster buffer -- the
 * buffer cache holds every committed change, dirty buffers included -- and
 * gives it a new vfs_inode before any request uses it.
 *
 * Who may touch xi->ip.  Every request takes a reference with xb_iget or
 * xb_igrab, and those count as "active"; the references a reply hands to the
 * kernel as lookup counts stop being active (xb_ikeep_lookup) and FORGET
 * drops them without making the inode active (xb_iforget).  Only an inode
 * with no active reference is on the LRU, and only one that also has no
 * page-cache folio, no direct I/O, no delalloc, no COW fork extents, no
 * lazy timestamps, no kept ranges, no post-EOF blocks to trim, links, no
 * libxfs log item, and that the engine calls idle (not open, not on the
 * flusher's lists, no writeback error unreported) is released: the
 * engine's threads (writeback, completion, reclaim) reach xi->ip and
 * xi->vfs only through folios, open files and the flusher's lists.
 * A reference wrongly counted as active only keeps an inode loaded.
 *
 * Everything here runs under xb_lock.
 */
#include "xb_internal.h"

struct xb_idle_stats xb_idle_stats;

/*
 * What a loaded libxfs copy costs (charged to the page cache with the rest
 * of the inode, inode_table.c): the xfs_inode and the slack for its forks'
 * extent lists and malloc's headers.
 */
size_t xb_inode_loaded_charge(void)
{
	return sizeof(struct xfs_inode) + XB_INODE_SLACK;
}

/*
 * How many libxfs copies may stay loaded: -o inode_cache, else a quarter
 * of cache_size's worth (at least XB_INODE_LOADED_MIN).
 */
static uint64_t xb_inode_loaded_max(const struct xb_mount *m)
{
	uint64_t max;

	if (m->inode_cache != XB_INODE_CACHE_DEFAULT)
		return m->inode_cache;
	if (!m->pc || !m->pc->limit_bytes)
		return UINT64_MAX;
	max = m->pc->limit_bytes / 4 / xb_inode_loaded_charge();
	return max < XB_INODE_LOADED_MIN ? XB_INODE_LOADED_MIN : max;
}

/* ---- the LRU of inactive inodes ---- */

static void xb_ilru_add(struct xb_mount *m, struct xb_inode *xi)
{
	if (xi->on_lru)
		return;
	xi->lru_prev = m->lru_tail;
	xi->lru_next = NULL;
	if (m->lru_tail)
		m->lru_tail->lru_next = xi;
	else
		m->lru_head = xi;
	m->lru_tail = xi;
	xi->on_lru = true;
	m->lru_count++;
}

void xb_ilru_del(struct xb_mount *m, struct xb_inode *xi)
{
	if (!xi->on_lru)
		return;
	if (xi->lru_prev)
		xi->lru_prev->lru_next = xi->lru_next;
	else
		m->lru_head = xi->lru_next;
	if (xi->lru_next)
		xi->lru_next->lru_prev = xi->lru_prev;
	else
		m->lru_tail = xi->lru_prev;
	xi->lru_prev = xi->lru_next = NULL;
	xi->on_lru = false;
	m->lru_count--;
}

/* A reference for a request or an open file (ref and active together). */
void xb_ihold_locked(struct xb_inode *xi)
{
	xi->ref++;
	xi->active++;
	xb_ilru_del(xi->m, xi);
}

/* The last active reference went: the inode may go on the LRU. */
void xb_inode_inactive(struct xb_inode *xi)
{
	struct xb_mount *m = xi->m;

	if (xi->active || !xi->ip || xi->dying || xi->ino == m->mp->m_sb.sb_rootino)
		return;
	xb_ilru_add(m, xi);
	xb_inode_shrink_locked(m);
}

/* ---- release and reload ---- */

/*
 * Nothing but the on-disk inode (and what we keep in xb_inode) describes
 * it.  Its clean folios go first, as the kernel's inode LRU invalidates an
 * inode's clean pages before it reclaims it: a dirty folio, or one under
 * writeback, locked or in use, keeps the inode loaded for now.
 */
static bool xb_inode_releasable(struct xb_inode *xi)
{
	struct xfs_inode *ip = xi->ip;
	struct vfs_inode *v = xi->vfs;

	if (xi->active || xi->dying || !ip || xi->dirty_time || xi->kept)
		return false;
	if (VFS_I(ip)->i_nlink == 0 || VFS_I(ip)->i_count != 1 || ip->i_itemp)
		return false;
	if (ip->i_delayed_blks || (ip->i_cowfp && ip->i_cowfp->if_bytes))
		return false;
	if (v && (atomic_load(&v->i_dio_count) || vfs_i_size_read(v) != (uint64_t) ip->i_disk_size))
		return false;
	if (xfs_can_free_eofblocks(xi))
		return false;
	if (!v)
		return true;
	if (invalidate_mapping_pages(&v->i_mapping) != 0)
		return false;
	return xi->m->engine_ops && xi->m->engine_ops->idle &&
	       xi->m->engine_ops->idle(v, xi->m->engine_arg);
}

/* @ip becomes xi->ip (NULL: given back): the loaded count and its charge follow. */
static void xb_inode_set_loaded(struct xb_inode *xi, struct xfs_inode *ip)
{
	struct xb_mount *m = xi->m;
	int64_t delta = (int64_t) xb_inode_loaded_charge();

	__atomic_store_n(&xi->ip, ip, __ATOMIC_RELEASE);
	if (!ip)
		delta = -delta;
	m->inodes_loaded += ip ? 1 : -1;
	if (xi->charge) {
		xi->charge = (uint32_t) ((int64_t) xi->charge + delta);
		page_cache_charge(m->pc, delta);
	}
}

static void xb_inode_release(struct xb_inode *xi)
{
	struct xfs_inode *ip = xi->ip;

	xb_ilru_del(xi->m, xi);
	xi->df_seq = ip->i_df.if_seq;
	xb_inode_set_loaded(xi, NULL);
	libxfs_irele(ip);
	xb_vfs_detach(xi);
	atomic_fetch_add(&xb_idle_stats.released, 1);
}

/*
 * Release the oldest clean inactive inodes while more libxfs copies are
 * loaded than allowed, looking at no more than @batch of them (and each at
 * most once): an inode that is not clean yet (its writeback, its lazy
 * timestamps) goes to the tail.  Requests pass a small batch, so that a
 * list of dirty inodes costs them a bounded scan; reclaim's shrinker walks
 * the whole list once a second.
 */
static void xb_inode_shrink(struct xb_mount *m, uint64_t batch)
{
	uint64_t max = xb_inode_loaded_max(m);
	uint64_t scan = batch < m->lru_count ? batch : m->lru_count;

	while (m->inodes_loaded > max && m->lru_head && scan--) {
		struct xb_inode *xi = m->lru_head;

		if (xb_inode_releasable(xi)) {
			xb_inode_release(xi);
		} else {
			xb_ilru_del(m, xi);
			xb_ilru_add(m, xi);
		}
	}
}

void xb_inode_shrink_locked(struct xb_mount *m)
{
	xb_inode_shrink(m, XB_INODE_SHRINK_BATCH);
}

/* The page cache's shrink_charged hook (reclaim's thread, no lock held). */
static void xb_inode_shrinker(void *arg)
{
	struct xb_mount *m = arg;

	xb_lock();
	xb_inode_shrink(m, m->lru_count);
	xb_unlock();
}

void xb_inode_shrinker_install(struct xb_mount *m)
{
	__atomic_store_n(&m->pc->shrink_charged_arg, m, __ATOMIC_RELEASE);
	__atomic_store_n(&m->pc->shrink_charged, xb_inode_shrinker, __ATOMIC_RELEASE);
}

/*
 * Read a released inode again.  Its data fork's sequence continues from
 * where it was (an iomap cached before the release can never look valid),
 * and i_size is the on-disk size, which the engine's was at the release
 * (xb_inode_releasable).
 */
static int xb_inode_reread(struct xb_inode *xi)
{
	struct xfs_inode *ip;
	int error = xb_iread(xi->m, xi->ino, &ip);

	if (error == -ESTALE) /* freed on disk behind our back: not by us */
		return xb_err(-EFSCORRUPTED);
	if (error)
		return error;
	ip->i_df.if_seq = xi->df_seq + 1;
	xb_inode_set_loaded(xi, ip);
	atomic_fetch_add(&xb_idle_stats.reloaded, 1);
	return 0;
}

/*
 * Before a request uses @xi: load what it gave back while idle, its libxfs
 * copy and then, for a regular file, a new vfs_inode sized from it (the
 * second alone when making it failed last time).  Nothing if it is whole.
 */
int xb_inode_reload(struct xb_inode *xi)
{
	if (!xi->ip) {
		int error = xb_inode_reread(xi);

		if (error)
			return error;
	}
	return xb_vfs_attach(xi);
}

/* ---- the lookup references the kernel holds ---- */

void xb_ikeep_lookup(struct xb_inode *xi)
{
	xb_lock();
	if (xi->active) {
		xi->active--;
		xb_inode_inactive(xi);
	}
	xb_unlock();
}

/* A lookup reference the kernel did not take after all (reply failed). */
void xb_iput_lookup(struct xb_inode *xi, uint64_t n)
{
	xb_lock();
	xb_idrop_locked(xi, n, 0);
	xb_unlock();
}

int xb_iforget(struct xb_mount *m, uint64_t ino, uint64_t nlookup)
{
	struct xb_inode *xi;

	xb_lock();
	xi = xb_itable_lookup(m, ino);
	if (!xi || xi->dying || xi->ref < nlookup) {
		xb_unlock();
		return -ESTALE;
	}
	xb_idrop_locked(xi, nlookup, 0);
	xb_unlock();
	return 0;
}

uint64_t xb_inodes_loaded(struct xb_mount *m)
{
	uint64_t n;

	xb_lock();
	n = m->inodes_loaded;
	xb_unlock();
	return n;
}
