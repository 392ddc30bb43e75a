// SPDX-License-Identifier: GPL-2.0
/*
 * remount,rw of a read-only mount: the kernel's xfs_remount_rw
 * (doc/options.md "Read-only mounts and remount").
 *
 * A read-only mount reads through an O_RDONLY descriptor, so not one byte
 * can reach the image.  When the image allows it, the mount also opens it
 * O_RDWR and keeps that descriptor unused (xb_reserve_rw): the kernel opens
 * its block device read-write too unless the device is read-only, and the
 * image is judged writable now, while its path still means what the user
 * gave.  Going read-write then does what a read-write mount does after the
 * libxfs mount: take the image exclusively, swap the writable descriptor in
 * under libxfs's (dup2 onto the same number, so libxfs, the log and the
 * engine's inodes follow), open the clean log, mark the image in use, free
 * copy-on-write leftovers, start the log timer.
 *
 * Locking: all of it under xb_lock.  The mark's checkpoint drops the lock
 * while it writes; @going_rw keeps a second caller out meanwhile, and
 * @readonly is cleared only after the mark is home, so that no transaction
 * of another thread can commit before it.
 */
#include "xb_internal.h"
#include "exclusive.h"
#include "sb_check.h"

#include <sys/file.h>

static void xb_rw_refuse(struct xb_mount *m, const char *what, int err)
{
	snprintf(m->rw_refusal, sizeof(m->rw_refusal), "%s: %s: %s", m->image, what, strerror(err));
}

void xb_reserve_rw(struct xb_mount *m)
{
	m->rw_fd = -1;
	m->rw_refusal[0] = '\0';
	if (xb_sb_check_rw(m->image, &m->mp->m_sb, m->rw_refusal, sizeof(m->rw_refusal)) ||
	    xb_log_rw_refusal(m, m->rw_refusal, sizeof(m->rw_refusal)))
		return;
	m->rw_fd = open(m->image, O_RDWR | O_CLOEXEC);
	if (m->rw_fd < 0)
		xb_rw_refuse(m, "cannot be opened read-write", errno);
}

bool xb_rw_refused(struct xb_mount *m, char *why, size_t whylen)
{
	bool refused;

	xb_lock();
	refused = m->readonly && m->rw_fd < 0;
	if (refused)
		snprintf(why, whylen, "%s", m->rw_refusal);
	xb_unlock();
	return refused;
}

/* Back to read-only after a refusal before anything was written. */
static void xb_remount_rw_undo(struct xb_mount *m, int ro_fd)
{
	if (ro_fd >= 0) {
		dup2(ro_fd, m->xi.dfd);
		close(ro_fd);
	}
	if (flock(m->lock_fd, LOCK_SH | LOCK_NB) < 0)
		fprintf(stderr, "xfsfuse: %s: lost the shared lock of the image\n", m->image);
}

/* Mark the image in use and finish what a read-write mount starts with. */
static int xb_remount_rw_start(struct xb_mount *m, char *why, size_t whylen)
{
	int error = xb_log_mark_in_use(m);

	if (error) {
		snprintf(why, whylen, "%s: cannot write the superblock (%s)", m->image,
			 strerror(-error));
		return error;
	}
	atomic_store(&m->readonly, false);
	error = xfs_reflink_recover_cow(m);
	if (error) {
		snprintf(why, whylen, "%s: cannot free copy-on-write leftovers (%s)", m->image,
			 strerror(-error));
		return error;
	}
	/* Attached: the engine runs; otherwise xb_engine_attach starts the timer. */
	if (m->pc && xb_log_start_timer(m->log))
		fprintf(stderr, "xfsfuse: %s: cannot start the log timer\n", m->image);
	return 0;
}

static int xb_remount_rw_locked(struct xb_mount *m, char *why, size_t whylen)
{
	int ro_fd, error;

	if (m->shutdown) {
		snprintf(why, whylen, "%s: the mount is shut down", m->image);
		return -EIO;
	}
	if (m->rw_fd < 0) {
		snprintf(why, whylen, "%s", m->rw_refusal);
		return -EROFS;
	}
	error = xb_claim_image_rw(m->image, m->lock_fd, why, whylen);
	if (error)
		return error;
	ro_fd = dup(m->xi.dfd);
	if (ro_fd < 0 || dup2(m->rw_fd, m->xi.dfd) < 0) {
		error = -errno;
		snprintf(why, whylen, "%s: dup: %s", m->image, strerror(errno));
		goto out_undo;
	}
	error = xb_log_mount_rw(m, why, whylen);
	if (error)
		goto out_undo;
	error = xb_remount_rw_start(m, why, whylen);
	if (error) {
		/* Half written, as after a failed transaction: nothing more goes out. */
		if (m->readonly)
			dup2(ro_fd, m->xi.dfd);
		xb_shutdown(m, why);
	}
	close(ro_fd);
	close(m->rw_fd);
	m->rw_fd = -1;
	if (error) /* shut down: read-only for good, and xfsfuse.mode says why */
		snprintf(m->rw_refusal, sizeof(m->rw_refusal), "%s", why);
	return error;

out_undo:
	xb_remount_rw_undo(m, ro_fd);
	return error;
}

int xb_remount_rw(struct xb_mount *m, char *why, size_t whylen)
{
	int error = 0;

	why[0] = '\0';
	xb_lock();
	if (m->going_rw) {
		snprintf(why, whylen, "%s: already going read-write", m->image);
		error = -EBUSY;
	} else if (m->readonly) {
		m->going_rw = true;
		error = xb_remount_rw_locked(m, why, whylen);
		m->going_rw = false;
	}
	xb_unlock();
	return error;
}
