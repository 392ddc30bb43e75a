// SPDX-License-Identifier: GPL-2.0
/*
 * One user of an image at a time.
 *
 * Nothing in libxfs stops two processes (or the kernel and xfsfuse) from
 * opening one image, and two writers destroy it.  So: refuse a block device
 * that is mounted, refuse a file that backs a loop device, and hold a flock
 * for the whole mount (exclusive read-write, shared read-only), as a second
 * xfsfuse, xfs_repair run under flock(1), or a careful tool would respect.
 *
 * umount(8) of a FUSE mount returns before the daemon has written back,
 * logged and let go of the image, so "umount; mount" as scripts write it
 * would find the image still locked.  When the lock is held but no mount of
 * the image is live any more, a new mount waits (XB_CLAIM_WAIT_MS, saying
 * so) for the finishing daemon; while a mount is live it is refused at once,
 * naming the mount point.
 */
#include "xb_internal.h"
#include "exclusive.h"

#include <dirent.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <time.h>

/* How long a new mount waits for a finishing daemon to release the image. */
#define XB_CLAIM_WAIT_MS 60000
#define XB_CLAIM_POLL_MS 50

/* Does a read-only loop device (/sys/block/loopN/ro) name this backing file? */
static bool xb_loop_is_readonly(const char *loop)
{
	char p[512], v[8] = "0";
	FILE *f;

	snprintf(p, sizeof(p), "/sys/block/%s/ro", loop);
	f = fopen(p, "r");
	if (f) {
		if (!fgets(v, sizeof(v), f))
			v[0] = '0';
		fclose(f);
	}
	return v[0] == '1';
}

/*
 * Is @img (a regular file) the backing file of a loop device -- of a
 * writable one only, if @writable_only (a read-only user may share the image
 * with read-only loop devices, never with one the kernel may write through)?
 */
static bool xb_is_loop_backing(const struct stat *img, bool writable_only)
{
	DIR *d = opendir("/sys/block");
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char p[512], back[PATH_MAX];
		struct stat st;
		FILE *f;

		if (strncmp(de->d_name, "loop", 4))
			continue;
		snprintf(p, sizeof(p), "/sys/block/%s/loop/backing_file", de->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fgets(back, sizeof(back), f)) {
			back[strcspn(back, "\n")] = '\0';
			if (stat(back, &st) == 0 && st.st_dev == img->st_dev &&
			    st.st_ino == img->st_ino &&
			    !(writable_only && xb_loop_is_readonly(de->d_name)))
				found = true;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/* Does @match accept a line of /proc/self/mountinfo (our namespace's mounts)? */
static bool xb_mountinfo_any(bool (*match)(char *line, void *arg), void *arg)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = match(line, arg);
	fclose(f);
	return found;
}

static bool xb_mountinfo_is_bdev(char *line, void *arg)
{
	unsigned int maj, min;

	return sscanf(line, "%*u %*u %u:%u", &maj, &min) == 2 &&
	       makedev(maj, min) == *(dev_t *) arg;
}

/* Is the block device @rdev mounted? */
static bool xb_is_mounted_bdev(dev_t rdev)
{
	return xb_mountinfo_any(xb_mountinfo_is_bdev, &rdev);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo: undo it in place. */
static void xb_mountinfo_unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

struct xb_image_mount {
	const struct stat *img;
	char *mnt;
	size_t mntlen;
};

static bool xb_mountinfo_is_image(char *line, void *arg)
{
	struct xb_image_mount *im = arg;
	char point[1024], fstype[256], source[1024];
	const char *sep = strstr(line, " - ");
	struct stat st;

	if (!sep || sscanf(line, "%*s %*s %*s %*s %1023s", point) != 1 ||
	    sscanf(sep + 3, "%255s %1023s", fstype, source) != 2 || strncmp(fstype, "fuse", 4))
		return false;
	xb_mountinfo_unescape(source);
	if (stat(source, &st) || st.st_dev != im->img->st_dev || st.st_ino != im->img->st_ino)
		return false;
	xb_mountinfo_unescape(point);
	snprintf(im->mnt, im->mntlen, "%s", point);
	return true;
}

/*
 * Is there a live FUSE mount whose source is this image (the fsname
 * xfsfuse gives it by default)?  Its mount point goes to @mnt.
 */
static bool xb_image_mounted_at(const struct stat *img, char *mnt, size_t mntlen)
{
	struct xb_image_mount im = {img, mnt, mntlen};

	return xb_mountinfo_any(xb_mountinfo_is_image, &im);
}

static void xb_sleep_ms(unsigned int ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Take the image's flock.  Held by a process whose mount is gone (an
 * xfsfuse finishing its unmount): wait for it, a bounded time.
 */
static int xb_flock_image(int fd, const struct stat *st, const char *image, bool readonly,
			  char *why, size_t whylen)
{
	int op = (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB;
	unsigned int waited = 0;
	char mnt[1024];

	while (flock(fd, op) < 0) {
		if (errno != EWOULDBLOCK) {
			snprintf(why, whylen, "%s: flock: %s", image, strerror(errno));
			return -errno;
		}
		if (xb_image_mounted_at(st, mnt, sizeof(mnt))) {
			snprintf(why, whylen, "%s: image is already mounted at %s", image, mnt);
			return -EBUSY;
		}
		if (waited >= XB_CLAIM_WAIT_MS) {
			snprintf(why, whylen, "%s: image is in use by another process", image);
			return -EBUSY;
		}
		if (!waited)
			fprintf(stderr,
				"xfsfuse: %s is held by another process and not mounted (an "
				"xfsfuse "
				"finishing its unmount?): waiting up to %u s\n",
				image, XB_CLAIM_WAIT_MS / 1000);
		xb_sleep_ms(XB_CLAIM_POLL_MS);
		waited += XB_CLAIM_POLL_MS;
	}
	return 0;
}

int xb_claim_image(const char *image, bool readonly, int *lock_fd, char *why, size_t whylen)
{
	struct stat st;
	int fd = open(image, O_RDONLY | O_CLOEXEC);
	int error;

	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", image, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
		snprintf(why, whylen, "%s: not a regular file or block device", image);
		close(fd);
		return -ENODEV;
	}
	if (S_ISBLK(st.st_mode) && xb_is_mounted_bdev(st.st_rdev)) {
		snprintf(why, whylen, "%s: block device is mounted", image);
		close(fd);
		return -EBUSY;
	}
	if (S_ISREG(st.st_mode) && xb_is_loop_backing(&st, readonly)) {
		snprintf(why, whylen, "%s: image is attached to a %sloop device", image,
			 readonly ? "writable " : "");
		close(fd);
		return -EBUSY;
	}
	error = xb_flock_image(fd, &st, image, readonly, why, whylen);
	if (error) {
		close(fd);
		return error;
	}
	*lock_fd = fd;
	return 0;
}

void xb_release_image(int lock_fd)
{
	if (lock_fd >= 0)
		close(lock_fd);
}

/*
 * A read-only mount shares the image with other read-only users (flock
 * LOCK_SH, read-only loop devices); a writer may not.  Linux converts a
 * flock by dropping the old lock first, so a refused LOCK_EX leaves none:
 * the shared one is taken back.
 */
int xb_claim_image_rw(const char *image, int lock_fd, char *why, size_t whylen)
{
	struct stat st;

	if (fstat(lock_fd, &st) < 0) {
		snprintf(why, whylen, "%s: fstat: %s", image, strerror(errno));
		return -errno;
	}
	if (S_ISREG(st.st_mode) && xb_is_loop_backing(&st, false)) {
		snprintf(why, whylen, "%s: image is attached to a loop device", image);
		return -EBUSY;
	}
	if (flock(lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	snprintf(why, whylen, "%s: image is in use by another process (%s)", image,
		 strerror(errno));
	if (flock(lock_fd, LOCK_SH | LOCK_NB) < 0)
		fprintf(stderr, "xfsfuse: %s: lost the shared lock of the image\n", image);
	return -EBUSY;
}
