// SPDX-License-Identifier: GPL-2.0
/*
 * Access times: the kernel's policy (src/vfs/vfs_atime.h) case by case, the
 * mount options as mount(8) and the kernel read them (src/atime.c), and the
 * backend's touch_atime, lazytime and clock (inode_times.c) on real images.
 * test/integration/test_atime.sh checks the whole against the kernel's XFS.
 */
#include "harness.h"

#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atime.h"

static const struct xb_cred root_cred = {.uid = 0, .gid = 0};

static struct timespec ts(long sec, long nsec)
{
	struct timespec t = {.tv_sec = sec, .tv_nsec = nsec};

	return t;
}

/* An inode read at @a, changed at @m and @c (seconds past 1e9). */
static struct vfs_atime_inode ino(long a, long m, long c)
{
	struct vfs_atime_inode in = {.is_dir = false, .noatime = false};

	in.atime = ts(1000000000 + a, 0);
	in.mtime = ts(1000000000 + m, 0);
	in.ctime = ts(1000000000 + c, 0);
	return in;
}

static void test_policy(void)
{
	const unsigned int rel = VFS_ATIME_RELATIME, strict = 0;
	struct timespec now = ts(1000000000 + 100, 0);
	struct vfs_atime_inode in;

	/* relatime: read since the last change -> no; changed since -> yes. */
	in = ino(50, 40, 40);
	CHECK(!atime_needs_update(rel, &in, now));
	CHECK(atime_needs_update(strict, &in, now));
	in = ino(50, 60, 40);
	CHECK(atime_needs_update(rel, &in, now));
	in = ino(50, 40, 60);
	CHECK(atime_needs_update(rel, &in, now));
	in = ino(50, 50, 40); /* mtime equal to atime: "younger than or equal" */
	CHECK(atime_needs_update(rel, &in, now));
	/* a day old: yes, a second less: no */
	in = ino(50, 40, 40);
	CHECK(atime_needs_update(rel, &in, ts(1000000000 + 50 + 86400, 0)));
	CHECK(!atime_needs_update(rel, &in, ts(1000000000 + 50 + 86399, 0)));
	/* atime already "now": never (strictatime included) */
	in = ino(100, 40, 40);
	CHECK(!atime_needs_update(strict, &in, now));
	CHECK(atime_needs_update(strict, &in, ts(1000000000 + 100, 1)));
	/* noatime: never; nodiratime: not for directories; S_NOATIME; read-only */
	in = ino(50, 60, 60);
	CHECK(!atime_needs_update(VFS_ATIME_NOATIME, &in, now));
	CHECK(atime_needs_update(rel | VFS_ATIME_NODIRATIME, &in, now));
	in.is_dir = true;
	CHECK(!atime_needs_update(rel | VFS_ATIME_NODIRATIME, &in, now));
	CHECK(atime_needs_update(rel, &in, now));
	in.is_dir = false;
	in.noatime = true;
	CHECK(!atime_needs_update(strict, &in, now));
	in.noatime = false;
	CHECK(!atime_needs_update(strict | VFS_ATIME_RDONLY, &in, now));
	CHECK(atime_needs_update(strict | VFS_ATIME_LAZYTIME, &in, now));
}

static unsigned int mount_flags(const char *list)
{
	struct xf_atime_opts a = {0, 0};
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		CHECK(xf_atime_opt(tok, &a));
	return xf_atime_mount_flags(&a);
}

static unsigned int remount_flags(unsigned int old, const char *list)
{
	struct xf_atime_opts a = {0, 0};
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		CHECK(xf_atime_opt(tok, &a));
	return xf_atime_remount_flags(old, &a);
}

static void check_show(unsigned int flags, const char *want)
{
	char buf[96];

	xf_atime_show(flags, buf, sizeof(buf));
	CHECK(!strcmp(buf, want));
	if (strcmp(buf, want))
		fprintf(stderr, "  shown '%s', expected '%s'\n", buf, want);
}

/* What /proc/mounts of the kernel's XFS said for each (mount -o loop, 6.18). */
static void test_options(void)
{
	struct xf_atime_opts a = {0, 0};

	CHECK_EQ(mount_flags(""), VFS_ATIME_RELATIME);
	CHECK_EQ(mount_flags("relatime"), VFS_ATIME_RELATIME);
	CHECK_EQ(mount_flags("norelatime"), VFS_ATIME_RELATIME); /* the kernel's default stays */
	CHECK_EQ(mount_flags("strictatime"), 0);
	CHECK_EQ(mount_flags("strictatime,noatime"), 0);
	CHECK_EQ(mount_flags("noatime,strictatime"), 0);
	CHECK_EQ(mount_flags("noatime"), VFS_ATIME_NOATIME);
	CHECK_EQ(mount_flags("relatime,noatime"), VFS_ATIME_NOATIME);
	CHECK_EQ(mount_flags("noatime,atime"), VFS_ATIME_RELATIME);
	CHECK_EQ(mount_flags("nodiratime"), VFS_ATIME_RELATIME | VFS_ATIME_NODIRATIME);
	CHECK_EQ(mount_flags("nodiratime,diratime"), VFS_ATIME_RELATIME);
	CHECK_EQ(mount_flags("lazytime"), VFS_ATIME_RELATIME | VFS_ATIME_LAZYTIME);
	CHECK_EQ(mount_flags("lazytime,nolazytime,strictatime"), 0);
	CHECK(!xf_atime_opt("ro", &a));
	CHECK(!xf_atime_opt("noatimex", &a));
	/* remount: atime flags replaced only when one is named; lazytime kept unless named */
	CHECK_EQ(remount_flags(VFS_ATIME_NOATIME | VFS_ATIME_LAZYTIME, ""),
		 VFS_ATIME_NOATIME | VFS_ATIME_LAZYTIME);
	CHECK_EQ(remount_flags(VFS_ATIME_NOATIME, "nodiratime"),
		 VFS_ATIME_RELATIME | VFS_ATIME_NODIRATIME);
	/* "atime" only clears MS_NOATIME: no atime bit is left, nothing changes */
	CHECK_EQ(remount_flags(VFS_ATIME_NOATIME, "atime"), VFS_ATIME_NOATIME);
	CHECK_EQ(remount_flags(VFS_ATIME_RELATIME | VFS_ATIME_RDONLY, "strictatime,lazytime"),
		 VFS_ATIME_RDONLY | VFS_ATIME_LAZYTIME);
	CHECK_EQ(remount_flags(VFS_ATIME_RELATIME | VFS_ATIME_LAZYTIME, "nolazytime"),
		 VFS_ATIME_RELATIME);
	check_show(VFS_ATIME_RELATIME, "rw,relatime");
	check_show(0, "rw,strictatime");
	check_show(VFS_ATIME_NOATIME | VFS_ATIME_NODIRATIME | VFS_ATIME_RDONLY,
		   "ro,noatime,nodiratime");
	check_show(VFS_ATIME_RELATIME | VFS_ATIME_NODIRATIME | VFS_ATIME_LAZYTIME,
		   "rw,nodiratime,relatime,lazytime");
}

static uint64_t xb_log_dirty_bytes(struct xb_mount *m)
{
	struct xb_log_stats s;

	xb_log_counters(m, &s);
	return s.dirty_bytes;
}

static int cmp(const struct timespec *a, const struct timespec *b)
{
	return vfs_timespec_cmp(a, b);
}

static void nap(void)
{
	usleep(20000); /* past a tick of the coarse clock */
}

/* touch_atime on a real image: relatime, strictatime, noatime, read-only, lazytime. */
static void test_backend(void)
{
	char *img = th_mkfs(NULL, 0);
	struct xb_mount *m = th_mount(img, false);
	struct xb_inode *root = NULL, *ip = NULL;
	struct timespec created;
	struct xb_stat st;
	uint64_t flushed;

	CHECK_EQ(xb_iget(m, xb_root_ino(m), &root), 0);
	CHECK_EQ(xb_create(root, "f", S_IFREG | 0644, 0, &root_cred, &ip), 0);
	CHECK_EQ(xb_getattr(ip, &st), 0);
	created = st.ctime;
	/*
	 * The clock: a write right after the create (libxfs stamps the create
	 * with a fine-grained clock, a write uses the coarse one) must not go
	 * back in time, or relatime thinks the file was read since.
	 */
	CHECK_EQ(xb_file_update_time(ip, false), 0);
	CHECK_EQ(xb_getattr(ip, &st), 0);
	CHECK(cmp(&st.mtime, &created) >= 0);
	CHECK(cmp(&st.mtime, &st.atime) >= 0);
	nap();
	/* relatime: the first read after the write moves atime, the next does not */
	CHECK_EQ(xb_atime_pending(ip, VFS_ATIME_RELATIME), true);
	CHECK_EQ(xb_touch_atime(ip, VFS_ATIME_RELATIME), 1);
	CHECK_EQ(xb_atime_pending(ip, VFS_ATIME_RELATIME), false);
	nap();
	CHECK_EQ(xb_touch_atime(ip, VFS_ATIME_RELATIME), 0);
	CHECK_EQ(xb_touch_atime(ip, VFS_ATIME_NOATIME), 0);
	CHECK_EQ(xb_touch_atime(ip, VFS_ATIME_RDONLY), 0);
	/* strictatime: every read once the clock moved */
	CHECK_EQ(xb_touch_atime(ip, 0), 1);
	nap();
	CHECK_EQ(xb_touch_atime(ip, 0), 1);
	/* lazytime: in memory only; fsync logs it, fdatasync does not */
	CHECK_EQ(xb_sync(m), 0);
	CHECK_EQ(xb_log_dirty_bytes(m), 0);
	nap();
	flushed = atomic_load(&xb_time_stats.lazy_flushed);
	CHECK_EQ(xb_touch_atime(ip, VFS_ATIME_LAZYTIME), 1);
	CHECK_EQ(xb_log_dirty_bytes(m), 0);
	CHECK_EQ(xb_fsync(ip, true), 0);
	CHECK_EQ(atomic_load(&xb_time_stats.lazy_flushed), flushed);
	CHECK_EQ(xb_fsync(ip, false), 0);
	CHECK_EQ(atomic_load(&xb_time_stats.lazy_flushed), flushed + 1);
	/* ... and the last iput logs what is left */
	nap();
	CHECK_EQ(xb_touch_atime(ip, VFS_ATIME_LAZYTIME), 1);
	CHECK_EQ(xb_log_dirty_bytes(m), 0);
	CHECK_EQ(xb_getattr(ip, &st), 0);
	created = st.atime; /* the lazy atime */
	xb_iput(ip);
	CHECK_EQ(atomic_load(&xb_time_stats.lazy_flushed), flushed + 2);
	xb_iput(root);
	th_umount(m);
	CHECK(th_repair_clean(img));

	m = th_mount(img, true);
	CHECK_EQ(xb_iget(m, xb_root_ino(m), &root), 0);
	CHECK_EQ(xb_lookup(root, "f", &ip), 0);
	CHECK_EQ(xb_getattr(ip, &st), 0);
	CHECK_EQ(cmp(&st.atime, &created), 0); /* written at the last iput */
	nap();
	CHECK_EQ(xb_touch_atime(ip, 0), 0); /* read-only mount */
	xb_iput(ip);
	xb_iput(root);
	th_umount(m);
	free(img);
}

int main(void)
{
	test_policy();
	test_options();
	test_backend();
	return th_done("test_atime");
}
