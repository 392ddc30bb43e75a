// SPDX-License-Identifier: GPL-2.0
/*
 * One user of an image at a time.
 *
 * Nothing in libxfs stops two processes (or the kernel and xfsfuse) from
 * opening one image, and two writers destroy it.  So: refuse a block device
 * that is mounted, refuse a file that backs a loop device, and hold a flock
 * for the whole mount (exclusive read-write, shared read-only), as a second
 * xfsfuse, xfs_repair run under flock(1), or a careful tool would respect.
 */
#include "xb_internal.h"
#include "exclusive.h"

#include <dirent.h>
#include <sys/file.h>
#include <sys/sysmacros.h>

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

/* Is the block device @rdev mounted (any mount in our namespace)? */
static bool xb_is_mounted_bdev(dev_t rdev)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned int maj, min;

		if (sscanf(line, "%*u %*u %u:%u", &maj, &min) == 2 && makedev(maj, min) == rdev)
			found = true;
	}
	fclose(f);
	return found;
}

int xb_claim_image(const char *image, bool readonly, int *lock_fd, char *why, size_t whylen)
{
	struct stat st;
	int fd = open(image, O_RDONLY | O_CLOEXEC);

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
	if (flock(fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		snprintf(why, whylen, "%s: image is in use by another process", image);
		close(fd);
		return -EBUSY;
	}
	*lock_fd = fd;
	return 0;
}

void xb_release_image(int lock_fd)
{
	if (lock_fd >= 0)
		close(lock_fd);
}
