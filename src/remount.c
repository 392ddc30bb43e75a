// SPDX-License-Identifier: GPL-2.0
/*
 * mount -o remount,ro|rw MOUNTPOINT.
 *
 * mount(8) hands a remount of a fuse.xfsfuse mount to mount.fuse3, which
 * runs "xfsfuse IMAGE MOUNTPOINT -o remount,...".  There is no new daemon
 * to start: the kernel's FUSE accepts MS_REMOUNT itself (fuse_reconfigure),
 * and the VFS then refuses writes on a read-only mount.  What the kernel
 * cannot do is tell the daemon, so before going read-only this asks it
 * (xfsfuse.sync) to write everything back and checkpoint the log -- the
 * kernel's XFS quiesces its log on remount,ro the same way.  Going
 * read-write when the daemon itself is read-only (-o ro) tells it to go
 * read-write too (xfsfuse.mode, the kernel's xfs_remount_rw), and is
 * refused up front when the image could not be opened read-write, as the
 * kernel refuses remount,rw on a read-only device.  The mount's other
 * flags (nosuid, nodev, ...) are kept.
 *
 * Access times are the daemon's business (the FUSE kernel never updates
 * them), so it is told through xfsfuse.atime: "ro" before the mount goes
 * read-only (a read-only mount never moves atime; the kernel refuses
 * setxattr once it is), "rw" once it is read-write again, and the atime
 * options given (noatime, strictatime, ...), which replace the old ones as
 * on a kernel remount.  The kernel mount's own atime flags follow them, so
 * /proc/mounts shows them.
 */
#include "remount.h"
#include "atime.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>

struct xf_remount_args {
	bool remount, ro;
	struct xf_atime_opts atime; /* the atime options given */
	char atime_list[256];	    /* ... as text, for xfsfuse.atime */
	const char *nonopt[2];	    /* IMAGE, MOUNTPOINT */
	int nnonopt;
};

/*
 * One -o list: remount, the last of ro/rw, and the atime options matter;
 * the rest was set at mount.
 */
static void xf_remount_scan_opts(struct xf_remount_args *a, const char *list)
{
	char buf[4096], *tok, *save = NULL;
	size_t len;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "remount"))
			a->remount = true;
		else if (!strcmp(tok, "ro"))
			a->ro = true;
		else if (!strcmp(tok, "rw"))
			a->ro = false;
		else if (xf_atime_opt(tok, &a->atime)) {
			len = strlen(a->atime_list);
			snprintf(a->atime_list + len, sizeof(a->atime_list) - len, ",%s", tok);
		}
	}
}

static void xf_remount_scan(struct xf_remount_args *a, int argc, char *argv[])
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			xf_remount_scan_opts(a, argv[++i]);
		else if (!strncmp(argv[i], "-o", 2))
			xf_remount_scan_opts(a, argv[i] + 2);
		else if (argv[i][0] != '-' && a->nnonopt < 2)
			a->nonopt[a->nnonopt++] = argv[i];
	}
}

bool xf_is_remount(int argc, char *argv[])
{
	struct xf_remount_args a;

	xf_remount_scan(&a, argc, argv);
	return a.remount;
}

/*
 * The per-mount flags MS_REMOUNT would otherwise reset; the atime flags
 * become those of the atime options given, if any (do_remount's rule).
 */
static unsigned long xf_remount_kept_flags(const struct statvfs *sv,
					   const struct xf_atime_opts *atime)
{
	static const struct {
		unsigned long st, ms;
	} map[] = {{ST_NOSUID, MS_NOSUID},	    {ST_NODEV, MS_NODEV},
		   {ST_NOEXEC, MS_NOEXEC},	    {ST_NOATIME, MS_NOATIME},
		   {ST_NODIRATIME, MS_NODIRATIME},  {ST_RELATIME, MS_RELATIME},
		   {ST_SYNCHRONOUS, MS_SYNCHRONOUS}};
	const unsigned long ms_atime = MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;
	unsigned long flags = 0;
	unsigned int f;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (sv->f_flag & map[i].st)
			flags |= map[i].ms;
	if (!(atime->ms & ms_atime))
		return flags;
	f = xf_atime_mount_flags(atime);
	flags &= ~ms_atime;
	flags |= (f & VFS_ATIME_NOATIME) ? MS_NOATIME : 0;
	flags |= (f & VFS_ATIME_NODIRATIME) ? MS_NODIRATIME : 0;
	flags |= (f & VFS_ATIME_RELATIME) ? MS_RELATIME : 0;
	flags |= (f & (VFS_ATIME_NOATIME | VFS_ATIME_RELATIME)) ? 0 : MS_STRICTATIME;
	return flags;
}

/* Tell the daemon (xfsfuse.atime); @ro: the mount is (about to be) read-only. */
static int xf_remount_tell_atime(const char *mnt, const struct xf_remount_args *a, bool ro)
{
	char val[300];

	snprintf(val, sizeof(val), "%s%s", ro ? "ro" : "rw", a->atime_list);
	if (setxattr(mnt, "xfsfuse.atime", val, strlen(val), 0) == 0)
		return 0;
	/* A daemon older than xfsfuse.atime never moves atime: nothing to tell it. */
	if (errno == EINVAL && !a->atime_list[0])
		return 0;
	fprintf(stderr, "xfsfuse: remount: %s: telling the daemon %s: %s\n", mnt, val,
		strerror(errno));
	return -1;
}

/*
 * The daemon's xfsfuse.mode ("rw", "ro", "ro-only: REASON") into @mode,
 * and the mount's flags: -1 (with a message) if @mnt is no xfsfuse mount.
 */
static int xf_remount_probe(const char *mnt, char *mode, size_t size, struct statvfs *sv)
{
	ssize_t n = getxattr(mnt, "xfsfuse.mode", mode, size - 1);

	if (n < 0 || statvfs(mnt, sv) < 0) {
		fprintf(stderr, "xfsfuse: remount: %s is not an xfsfuse mount (%s)\n", mnt,
			strerror(errno));
		return -1;
	}
	mode[n] = '\0';
	return 0;
}

/*
 * The kernel's mount is read-write now; the daemon, which opened the image
 * read-only, becomes read-write too (xfsfuse.mode, xb_remount_rw).  The
 * kernel refuses setxattr on a read-only mount, so this cannot come first.
 * Refused (someone else holds the image, the log moved under us): the
 * mount goes back to read-only, as it was.
 */
static int xf_remount_daemon_rw(const char *mnt, unsigned long kept)
{
	int err;

	if (setxattr(mnt, "xfsfuse.mode", "rw", 2, 0) == 0)
		return 0;
	err = errno;
	if (mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY | kept, NULL) < 0)
		fprintf(stderr, "xfsfuse: remount: %s: back to read-only: %s\n", mnt,
			strerror(errno));
	fprintf(stderr,
		"xfsfuse: remount: %s: the daemon cannot go read-write: %s (its log says why)\n",
		mnt, strerror(err));
	return -1;
}

int xf_remount(int argc, char *argv[])
{
	struct xf_remount_args a;
	const char *mnt;
	struct statvfs sv;
	char mode[512], old_atime[96];
	unsigned long kept;
	ssize_t old_len;

	xf_remount_scan(&a, argc, argv);
	mnt = a.nnonopt == 2 ? a.nonopt[1] : a.nonopt[0];
	if (!mnt) {
		fprintf(stderr, "xfsfuse: remount: no mount point\n");
		return 1;
	}
	if (xf_remount_probe(mnt, mode, sizeof(mode), &sv))
		return 1;
	/* As the kernel refuses remount,rw of a read-only device: before anything. */
	if (!a.ro && !strncmp(mode, "ro-only", 7)) {
		fprintf(stderr, "xfsfuse: remount: %s: cannot go read-write: %s\n", mnt,
			mode[7] == ':' ? mode + 9 : "the image was opened read-only");
		return 1;
	}
	if (a.ro && !(sv.f_flag & ST_RDONLY) && setxattr(mnt, "xfsfuse.sync", "1", 1, 0) < 0) {
		fprintf(stderr, "xfsfuse: remount: %s: writing back before read-only: %s\n", mnt,
			strerror(errno));
		return 1;
	}
	/* While still read-write: afterwards the kernel refuses the setxattr. */
	old_len = getxattr(mnt, "xfsfuse.atime", old_atime, sizeof(old_atime));
	if (!(sv.f_flag & ST_RDONLY) && xf_remount_tell_atime(mnt, &a, a.ro))
		return 1;
	kept = xf_remount_kept_flags(&sv, &a.atime);
	if (mount(NULL, mnt, NULL, MS_REMOUNT | kept | (a.ro ? MS_RDONLY : 0), NULL) < 0) {
		fprintf(stderr, "xfsfuse: remount %s %s: %s\n", a.ro ? "read-only" : "read-write",
			mnt, strerror(errno));
		/* Nothing changed: neither may the daemon's atime flags. */
		if (!(sv.f_flag & ST_RDONLY) && old_len > 0)
			(void) setxattr(mnt, "xfsfuse.atime", old_atime, (size_t) old_len, 0);
		return 1;
	}
	if (!a.ro && !strcmp(mode, "ro") && xf_remount_daemon_rw(mnt, kept))
		return 1;
	/*
	 * Read-only before: the daemon learns it is read-write again (and the
	 * atime options) only now.  A remount that stays read-only cannot tell
	 * it the atime options: name them again with remount,rw.
	 */
	if ((sv.f_flag & ST_RDONLY) && !a.ro && xf_remount_tell_atime(mnt, &a, false))
		return 1;
	return 0;
}
