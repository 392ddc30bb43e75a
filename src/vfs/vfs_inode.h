/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "VFS inode" of the engine: what the kernel keeps in struct inode for
 * the buffered I/O path (i_rwsem, invalidate_lock, i_size, i_mapping).
 *
 * One per open/looked-up regular file; owned by the backend's struct
 * xb_inode (xb_vfs_inode()), whose lifetime it shares.  The engine
 * (src/iomap, src/pagecache, src/writeback, src/reclaim) sees only this.
 *
 * Lock order (as in the kernel):
 *   i_rwsem -> invalidate_lock -> folio lock -> ILOCK (backend) -> libxfs
 *   mapping->i_pages_lock and page_cache->lru_lock are leaf locks: never held
 *   while sleeping or while taking any other lock.  page_cache->pool.lock
 *   (the folio pool) is innermost of all: the last folio_put may take it.
 */
#ifndef XFSFUSE_VFS_INODE_H
#define XFSFUSE_VFS_INODE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lockwatch.h"
#include "pagecache.h"

struct vfs_inode {
	uint64_t i_ino;
	unsigned int i_blkbits; /* filesystem block size, log2 */
	int bdev_fd;		/* the image: data I/O goes here */

	/*
	 * i_rwsem (IOLOCK): exclusive for write, truncate, fallocate, setattr
	 * size; shared for buffered read.  Writeback never takes it.
	 */
	pthread_rwlock_t i_rwsem;
	/*
	 * invalidate_lock (MMAPLOCK): exclusive while removing page cache or
	 * punching delalloc behind it (truncate, short-write cleanup), shared
	 * by page faults (our mmap-store writes) and cache fills.
	 */
	pthread_rwlock_t invalidate_lock;

	/*
	 * In-memory file size (the kernel's i_size).  Written under i_rwsem
	 * exclusive (write, truncate) or by I/O completion under ILOCK when it
	 * only grows the on-disk size; read without locks.
	 */
	_Atomic uint64_t i_size;

	struct address_space i_mapping; /* the page cache of this file */

	void *i_private;     /* struct xb_inode * */
	_Atomic int i_opens; /* open file handles (last close trims EOF prealloc) */
	_Atomic int i_dio_count; /* direct I/O in flight (inode_dio_begin, iomap_dio.h) */

	/* Writeback bookkeeping (src/writeback), under the bdi's lock. */
	struct vfs_inode *wb_next; /* on the bdi's dirty-inode list */
	int wb_listed;
	uint64_t dirtied_when_ms;
};

/*
 * The kernel's names for the two inode locks.  Each also tells the lock
 * watch (lockwatch.h) who waits and who holds, for diagnose.sh.
 */
static inline void inode_lock(struct vfs_inode *inode)
{
	xf_lw_wait(XF_LW_I_RWSEM, inode->i_ino, 0);
	pthread_rwlock_wrlock(&inode->i_rwsem);
	xf_lw_got(XF_LW_I_RWSEM, inode->i_ino, true);
}

static inline void inode_lock_shared(struct vfs_inode *inode)
{
	xf_lw_wait(XF_LW_I_RWSEM, inode->i_ino, 0);
	pthread_rwlock_rdlock(&inode->i_rwsem);
	xf_lw_got(XF_LW_I_RWSEM, inode->i_ino, false);
}

static inline bool inode_trylock(struct vfs_inode *inode)
{
	if (pthread_rwlock_trywrlock(&inode->i_rwsem))
		return false;
	xf_lw_got(XF_LW_I_RWSEM, inode->i_ino, true);
	return true;
}

/* Shared or exclusive alike (pthread rwlocks have one unlock). */
static inline void inode_unlock(struct vfs_inode *inode)
{
	xf_lw_put(XF_LW_I_RWSEM);
	pthread_rwlock_unlock(&inode->i_rwsem);
}

static inline void filemap_invalidate_lock(struct vfs_inode *inode)
{
	xf_lw_wait(XF_LW_INVALIDATE_LOCK, inode->i_ino, 0);
	pthread_rwlock_wrlock(&inode->invalidate_lock);
	xf_lw_got(XF_LW_INVALIDATE_LOCK, inode->i_ino, true);
}

static inline void filemap_invalidate_lock_shared(struct vfs_inode *inode)
{
	xf_lw_wait(XF_LW_INVALIDATE_LOCK, inode->i_ino, 0);
	pthread_rwlock_rdlock(&inode->invalidate_lock);
	xf_lw_got(XF_LW_INVALIDATE_LOCK, inode->i_ino, false);
}

static inline void filemap_invalidate_unlock(struct vfs_inode *inode)
{
	xf_lw_put(XF_LW_INVALIDATE_LOCK);
	pthread_rwlock_unlock(&inode->invalidate_lock);
}

static inline uint64_t vfs_i_size_read(struct vfs_inode *inode)
{
	return atomic_load(&inode->i_size);
}

static inline void vfs_i_size_write(struct vfs_inode *inode, uint64_t size)
{
	atomic_store(&inode->i_size, size);
}

#endif
