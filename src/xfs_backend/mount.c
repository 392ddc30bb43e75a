// SPDX-License-Identifier: GPL-2.0
/*
 * Mount and unmount an XFS image through libxfs.
 *
 * The sequence is db/init.c's (libxfs_init -> libxfs_mount), but every check
 * that libxfs would answer with exit(1) or an assert is done first, here, on
 * a raw copy of the superblock (sb_check.c): a bad image gets a one-line
 * refusal, never a dead process, and nothing is written before the image has
 * been judged.
 *
 * While mounted read-write the superblock carries sb_inprogress = 1 in place
 * (never in the log): the kernel refuses such an image ("Offline file system
 * operation in progress!").  The log (log/, doc/log.md) decides at mount what
 * a set mark means: a dirty log of ours is replayed, a clean one with the mark
 * set sends the user to xfs_repair.  A clean xb_unmount() clears it last.
 */
#include "xb_internal.h"
#include "sb_check.h"
#include "exclusive.h"

#include <sys/file.h>

int xb_write_sb(struct xb_mount *m)
{
	struct xfs_trans *tp;
	uint64_t delalloc = xb_delalloc_blocks_locked(m);
	int error;

	error = xb_err(libxfs_trans_alloc(m->mp, &M_RES(m->mp)->tr_sb, 0, 0, 0, &tp));
	if (error)
		return error;
	/*
	 * The incore free-block count has delalloc reservations taken out;
	 * the on-disk one must not (they are not allocations).
	 */
	m->mp->m_sb.sb_fdblocks += delalloc;
	libxfs_log_sb(tp);
	m->mp->m_sb.sb_fdblocks -= delalloc;
	return xb_err(libxfs_trans_commit(tp));
}

/*
 * Undo libxfs_init.  Not libxfs_destroy(): in 6.1 it frees the buffer free
 * list without resetting the list head, so a second libxfs_init() in the same
 * process (the unit tests mount many images) reuses freed buffers.  We close
 * the device, drop the (already purged) buffer cache and keep the free list,
 * whose buffers the next libxfs_init's cache reuses.
 */
static void xb_libxfs_teardown(struct xb_mount *m)
{
	libxfs_bcache_purge();
	cache_destroy(libxfs_bcache);
	libxfs_bcache = NULL;
	libxfs_device_close(m->xi.ddev);
	m->xi.ddev = 0;
	m->xi.dfd = -1;
	rcu_unregister_thread();
	xb_lock_main_thread_done();
}

/*
 * libxfs's buffer cache is bounded by a count of buffers, 8 per hash bucket,
 * not by bytes.  Its default of 1,024 buckets lets it grow to 8,192 buffers,
 * most of them 16 KiB inode clusters on a create-heavy load: about 115 MiB
 * that stay resident (measured: +815 buffers, +11 MB per 20,000 files
 * created and removed; doc/performance.md, "Memory").  256 buckets cap it at
 * 2,048 buffers, about 30 MiB, inside issue 10's cache_size + 64 MiB.
 */
#define XB_BHASH_SIZE 256

/* libxfs_init + libxfs_mount, after sb_check has accepted the superblock. */
static int xb_libxfs_mount(struct xb_mount *m, struct xfs_sb *sb, char *why, size_t whylen)
{
	m->xi.dname = m->image;
	m->xi.disfile = 1;
	m->xi.isreadonly = m->readonly ? LIBXFS_ISREADONLY : 0;
	m->xi.bcache_flags = CACHE_MISCOMPARE_PURGE;
	libxfs_bhash_size = XB_BHASH_SIZE;
	if (!libxfs_init(&m->xi)) {
		snprintf(why, whylen, "%s: libxfs could not open the image", m->image);
		return -EIO;
	}
	libxfs_buftarg_init(&m->xmnt, m->xi.ddev, m->xi.logdev, m->xi.rtdev);
	m->mp = libxfs_mount(&m->xmnt, sb, m->xi.ddev, m->xi.logdev, m->xi.rtdev, 0);
	if (!m->mp) {
		snprintf(why, whylen, "%s: libxfs refused the filesystem geometry", m->image);
		xb_libxfs_teardown(m);
		return -EUCLEAN;
	}
	/*
	 * The kernel's xfs_mountfs sets the default attr fork offset; libxfs
	 * 6.1's libxfs_mount leaves it 0 (doc/backend.md).  Left so, the first
	 * xattr of a directory whose shortform entries fill the literal area
	 * gets i_forkoff 0 from xfs_bmap_set_attrforkoff, and xfs_attr_set
	 * dereferences a NULL attr fork (fstests generic/013 crashed on it).
	 */
	M_IGEO(m->mp)->attr_fork_offset = xfs_bmap_compute_attr_offset(m->mp);
	return 0;
}

/* Summary counters from the AGs (lazy-count filesystems keep them there). */
static int xb_init_counters(struct xb_mount *m, char *why, size_t whylen)
{
	int error = xb_err(libxfs_initialize_perag_data(m->mp, m->mp->m_sb.sb_agcount));

	if (error)
		snprintf(why, whylen, "%s: AG headers are corrupt (%s); run xfs_repair", m->image,
			 strerror(-error));
	return error;
}

static int xb_read_root(struct xb_mount *m, char *why, size_t whylen)
{
	struct xb_inode *root = NULL;
	int error = xb_iget_locked(m, m->mp->m_sb.sb_rootino, &root);

	if (!error && !S_ISDIR(VFS_I(root->ip)->i_mode))
		error = -EUCLEAN;
	if (root)
		xb_iput_locked(root);
	if (error)
		snprintf(why, whylen, "%s: cannot read the root directory (%s)", m->image,
			 strerror(-error));
	return error;
}

/* Undo xb_libxfs_mount and the inode table (a refused or restarted mount). */
static void xb_libxfs_unmount(struct xb_mount *m)
{
	xb_itable_destroy(m);
	libxfs_umount(m->mp);
	xb_libxfs_teardown(m);
	/* libxfs_buftarg_init refuses a mount struct that still names a device. */
	memset(&m->xmnt, 0, sizeof(m->xmnt));
	memset(&m->xi, 0, sizeof(m->xi));
	m->mp = NULL;
}

/*
 * Everything from the superblock check to the log.  Returns 1 when the log
 * was replayed: libxfs saw the image before the replay, so the caller mounts
 * again from scratch.
 */
static int xb_mount_once(struct xb_mount *m, const struct xb_mount_opts *opts, char *why,
			 size_t whylen)
{
	struct xfs_sb sb;
	int error;

	error = xb_sb_check(m->image, m->readonly, &sb, why, whylen);
	if (error)
		return error;
	xb_lock_init_main_thread(); /* libxfs_init registers us with liburcu */
	xb_lock();
	error = xb_libxfs_mount(m, &sb, why, whylen);
	if (error)
		goto out_unlock;
	error = xb_itable_init(m);
	if (!error)
		error = xb_init_counters(m, why, whylen);
	if (!error)
		error = xb_log_mount(m, opts->log_interval_ms, why, whylen);
	if (!error)
		error = xb_read_root(m, why, whylen);
	if (!error && !m->readonly) {
		error = xb_log_mark_in_use(m);
		if (error)
			snprintf(why, whylen, "%s: cannot write the superblock (%s)", m->image,
				 strerror(-error));
	}
	if (!error && m->replays && !m->iunlinks_done) {
		uint64_t freed = 0;

		error = xb_iunlink_recover(m, &freed);
		m->iunlinks_done = true;
		if (error)
			snprintf(why, whylen,
				 "%s: cannot free the inodes left unlinked by the crash (%s); run "
				 "xfs_repair",
				 m->image, strerror(-error));
		else if (freed && !m->quiet)
			fprintf(stderr, "xfsfuse: %s: freed %llu unlinked inodes after recovery\n",
				m->image, (unsigned long long) freed);
	}
	if (!error) {
		/* CoW staging blocks of a crashed writer (the kernel's xfs_reflink_recover_cow). */
		error = xfs_reflink_recover_cow(m);
		if (error)
			snprintf(why, whylen,
				 "%s: cannot free the copy-on-write staging blocks left by a "
				 "crash (%s); run xfs_repair",
				 m->image, strerror(-error));
	}
	if (error) {
		if (m->log)
			xb_log_abort(m);
		xb_libxfs_unmount(m);
	}
out_unlock:
	xb_unlock();
	return error;
}

/*
 * A read-only mount of an image whose log needs replay.  The kernel's XFS
 * replays it anyway (only a read-only device stops it: "recovery required
 * on read-only device"), so do we, as xfsfuse --recover does, then mount
 * read-only (doc/log.md "Recovery").  An image we may not write keeps the
 * refusal xb_log_mount wrote into @why.  Returns 1: mount again.
 */
static int xb_mount_replay_ro(struct xb_mount *m, char *why, size_t whylen)
{
	char why2[512];
	uint64_t nbufs;
	int fd, error;

	fd = open(m->image, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -EUCLEAN;
	close(fd);
	xb_release_image(m->lock_fd);
	m->lock_fd = -1;
	why2[0] = '\0';
	error = xb_recover(m->image, true, &nbufs, why2, sizeof(why2));
	if (error) {
		snprintf(why, whylen, "%s", why2[0] ? why2 : strerror(-error));
		return error;
	}
	m->replayed_bufs += nbufs;
	m->replays++;
	error = xb_claim_image(m->image, true, &m->lock_fd, why, whylen);
	return error ? error : 1;
}

int xb_mount(const struct xb_mount_opts *opts, struct xb_mount **mpp, char *why, size_t whylen)
{
	struct xb_mount *m = calloc(1, sizeof(*m));
	int error, tries = 0;

	if (!m)
		return -ENOMEM;
	m->readonly = opts->readonly;
	m->quiet = opts->quiet;
	m->image = strdup(opts->image);
	m->lock_fd = -1;
	m->rw_fd = -1;
	m->log_interval_ms = opts->log_interval_ms;
	m->inode_cache = opts->inode_cache_set ? opts->inode_cache : XB_INODE_CACHE_DEFAULT;
	why[0] = '\0';

	error = xb_claim_image(m->image, m->readonly, &m->lock_fd, why, whylen);
	if (error)
		goto out_free;
	do {
		error = xb_mount_once(m, opts, why, whylen);
		if (error == XB_MOUNT_REPLAY_RO && !tries)
			error = xb_mount_replay_ro(m, why, whylen);
		else if (error == XB_MOUNT_REPLAY_RO)
			error = -EUCLEAN;
	} while (error == 1 && ++tries < 2);
	if (error == 1) {
		snprintf(why, whylen, "%s: the log is still dirty after a replay", m->image);
		error = -EUCLEAN;
	}
	if (error)
		goto out_unclaim;
	if (m->readonly) {
		xb_lock();
		xb_reserve_rw(m);
		xb_unlock();
	}
	*mpp = m;
	return 0;

out_unclaim:
	if (m->lock_fd >= 0)
		xb_release_image(m->lock_fd);
out_free:
	free(m->image);
	free(m);
	return error;
}

int xb_recover(const char *image, bool quiet, uint64_t *nbufs, char *why, size_t whylen)
{
	struct xb_mount_opts o = {
		.image = image, .quiet = quiet, .log_interval_ms = XB_LOG_NO_TIMER};
	struct xb_mount *m;
	int error = xb_mount(&o, &m, why, whylen);

	if (error)
		return error;
	*nbufs = m->replayed_bufs;
	error = xb_unmount(m);
	if (error)
		snprintf(why, whylen, "%s: unmount after recovery failed (%s)", image,
			 strerror(-error));
	return error;
}

int xb_sync(struct xb_mount *m)
{
	int error = 0;

	if (m->readonly)
		return 0;
	xb_lock();
	if (m->shutdown) {
		xb_unlock();
		return -EIO;
	}
	/* sync_inodes_sb: lazytime's timestamps too. */
	error = xb_flush_dirty_times_locked(m);
	if (!error)
		error = xb_write_sb(m);
	if (!error)
		error = xb_log_checkpoint(m);
	xb_unlock();
	return error;
}

int xb_unmount(struct xb_mount *m)
{
	int error = 0, err2;

	xb_lock();
	xb_itable_destroy(m);
	error = xb_log_unmount(m);
	err2 = xb_err(libxfs_umount(m->mp));
	if (!error)
		error = err2;
	if (m->shutdown) /* writes were refused: the log holds the last checkpoint */
		error = -EIO;
	xb_libxfs_teardown(m);
	xb_unlock();
	if (m->rw_fd >= 0)
		close(m->rw_fd);
	xb_release_image(m->lock_fd);
	free(m->image);
	free(m);
	return error;
}

int xb_statfs(struct xb_mount *m, struct statvfs *st)
{
	struct xfs_mount *mp = m->mp;
	uint64_t fdblocks, icount, ifree, maxicount, fakeinos;

	xb_lock();
	memset(st, 0, sizeof(*st));
	st->f_bsize = mp->m_sb.sb_blocksize;
	st->f_frsize = mp->m_sb.sb_blocksize;
	st->f_blocks = mp->m_sb.sb_dblocks - mp->m_sb.sb_logblocks * (mp->m_sb.sb_logstart != 0);
	/* As a read-write kernel mount: the reserve pool is not free space. */
	fdblocks = mp->m_sb.sb_fdblocks;
	fdblocks = fdblocks > mp->m_alloc_set_aside ? fdblocks - mp->m_alloc_set_aside : 0;
	if (!m->readonly)
		fdblocks = fdblocks > xb_reserve_blocks(mp) ? fdblocks - xb_reserve_blocks(mp) : 0;
	st->f_bfree = fdblocks;
	st->f_bavail = fdblocks;
	/* As xfs_fs_statfs: inodes could grow into every free block. */
	icount = mp->m_sb.sb_icount;
	ifree = mp->m_sb.sb_ifree;
	fakeinos = XFS_FSB_TO_INO(mp, fdblocks);
	st->f_files = icount + fakeinos;
	maxicount = M_IGEO(mp)->maxicount;
	if (maxicount && st->f_files > maxicount)
		st->f_files = maxicount;
	if (st->f_files < icount)
		st->f_files = icount;
	st->f_ffree = st->f_files - (icount - ifree);
	st->f_favail = st->f_ffree;
	st->f_namemax = MAXNAMELEN - 1;
	st->f_fsid = *(unsigned long *) &mp->m_sb.sb_uuid;
	xb_unlock();
	return 0;
}

uint64_t xb_root_ino(const struct xb_mount *m)
{
	return m->mp->m_sb.sb_rootino;
}

bool xb_readonly(const struct xb_mount *m)
{
	return atomic_load(&m->readonly);
}

unsigned int xb_blocksize(const struct xb_mount *m)
{
	return m->mp->m_sb.sb_blocksize;
}
