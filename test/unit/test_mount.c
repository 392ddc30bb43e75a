// SPDX-License-Identifier: GPL-2.0
/*
 * Mounting: accepted geometries, refusals with a reason and no writes, the
 * in-progress mark and its clearing, read-only mounts that write nothing,
 * and remount,rw of a read-only mount.
 */
#include "harness.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * A second mount of an image this process holds finds the flock taken and
 * no live mount of it, so it polls as for a finishing daemon: 60 s
 * (XB_CLAIM_WAIT_MS) of 50 ms nanosleeps, then "in use".  While the test
 * waits for that refusal, the polls are cut to 50 us: meson links this
 * program with -Wl,--wrap=nanosleep, so only our own and the backend's calls
 * come here.  The same loop runs the same number of rounds to the same
 * outcome; the backend and its limit are unchanged.
 */
int __real_nanosleep(const struct timespec *req, struct timespec *rem);
static bool fast_polls;
static unsigned int polls;

int __wrap_nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (fast_polls) {
		struct timespec poll = {0, 50000};

		polls++;
		return __real_nanosleep(&poll, NULL);
	}
	return __real_nanosleep(req, rem);
}

static int try_mount(const char *img, bool ro, char *why, size_t len)
{
	struct xb_mount_opts o = {.image = img, .readonly = ro, .quiet = true};
	struct xb_mount *m;
	int error = xb_mount(&o, &m, why, len);

	if (!error)
		xb_unmount(m);
	return error;
}

static void sh(const char *fmt, const char *arg)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, arg, arg, arg, arg);
	if (system(cmd) != 0)
		fprintf(stderr, "command failed: %s\n", cmd);
}

/* mtime+size+content checksum of the image, to prove "wrote nothing". */
static unsigned long long image_sum(const char *img)
{
	char cmd[512];
	unsigned long long sum = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "cksum < %s", img);
	p = popen(cmd, "r");
	if (p && fscanf(p, "%llu", &sum) != 1)
		sum = 0;
	if (p)
		pclose(p);
	return sum;
}

static void test_block_sizes(void)
{
	const char *opts[] = {"-b size=1024", "-b size=2048", "-b size=4096"};

	for (unsigned int i = 0; i < 3; i++) {
		char *img = th_mkfs(opts[i], 0);
		struct xb_mount *m = th_mount(img, false);
		struct statvfs st;

		CHECK_EQ(xb_statfs(m, &st), 0);
		CHECK_EQ(st.f_bsize, 1024u << i);
		CHECK(st.f_bfree > 0 && st.f_bfree < st.f_blocks);
		CHECK(st.f_ffree > 0);
		th_umount(m);
		CHECK(th_repair_clean(img));
		free(img);
	}
}

static void test_refusals(void)
{
	char why[512], *img = th_mkfs("", 0), path[600];
	unsigned long long before;

	/* Not XFS at all. */
	snprintf(path, sizeof(path), "%s.random", img);
	sh("head -c 1048576 /dev/urandom > %s.random", img);
	CHECK(try_mount(path, false, why, sizeof(why)) < 0);
	CHECK(strstr(why, "not an XFS filesystem") != NULL);
	/* Empty file. */
	snprintf(path, sizeof(path), "%s.empty", img);
	sh(": > %s.empty", img);
	CHECK(try_mount(path, false, why, sizeof(why)) < 0);
	CHECK(strstr(why, "not an XFS filesystem") != NULL);
	/* Truncated image. */
	snprintf(path, sizeof(path), "%s.trunc", img);
	sh("cp --sparse=always %s %s.trunc && truncate -s 100M %s.trunc", img);
	before = image_sum(path);
	CHECK(try_mount(path, false, why, sizeof(why)) < 0);
	CHECK(strstr(why, "truncated") != NULL);
	CHECK_EQ(image_sum(path), before);
	/* In-progress mark from a crashed xfsfuse: refused rw, allowed ro. */
	snprintf(path, sizeof(path), "%s.inprog", img);
	sh("cp --sparse=always %s %s.inprog && xfs_db -x -c 'sb 0' -c 'write -d inprogress 1' "
	   "%s.inprog >/dev/null",
	   img);
	CHECK(try_mount(path, false, why, sizeof(why)) < 0);
	CHECK(strstr(why, "xfs_repair") != NULL);
	CHECK_EQ(try_mount(path, true, why, sizeof(why)), 0);
	/* V4 image: read-only only. */
	snprintf(path, sizeof(path), "%s.v4", img);
	sh("truncate -s 512M %s.v4 && mkfs.xfs -q -f -m crc=0 %s.v4 2>/dev/null", img);
	CHECK(try_mount(path, false, why, sizeof(why)) < 0);
	CHECK(strstr(why, "V4") != NULL);
	CHECK_EQ(try_mount(path, true, why, sizeof(why)), 0);
	/* Realtime device: refused. */
	snprintf(path, sizeof(path), "%s.rt", img);
	sh("truncate -s 512M %s.rt && truncate -s 64M %s.rt.dev && mkfs.xfs -q -f -r "
	   "rtdev=%s.rt.dev %s.rt",
	   img);
	CHECK(try_mount(path, false, why, sizeof(why)) < 0);
	CHECK(strstr(why, "realtime") != NULL);
	/* Corrupt superblock checksum. */
	snprintf(path, sizeof(path), "%s.crc", img);
	sh("cp --sparse=always %s %s.crc && printf '\\377' | dd of=%s.crc bs=1 seek=200 "
	   "conv=notrunc status=none",
	   img);
	CHECK(try_mount(path, false, why, sizeof(why)) < 0);
	CHECK(strstr(why, "checksum") != NULL);
	/* Dirty log (a kernel that "crashed": xfs_io shutdown without flush). */
	snprintf(path, sizeof(path), "%s.dirty", img);
	sh("cp --sparse=always %s %s.dirty && d=$(mktemp -d) && mount -o loop %s.dirty $d && "
	   "touch $d/x && xfs_io -c fsync $d/x && xfs_io -x -c shutdown $d && umount $d && rmdir "
	   "$d",
	   img);
	before = image_sum(path);
	CHECK(try_mount(path, false, why, sizeof(why)) < 0);
	CHECK(strstr(why, "log is dirty") != NULL);
	CHECK_EQ(image_sum(path), before);
	/* External log: refused. */
	snprintf(path, sizeof(path), "%s.xlog", img);
	sh("truncate -s 512M %s.xlog && truncate -s 64M %s.xlog.dev && mkfs.xfs -q -f -l "
	   "logdev=%s.xlog.dev %s.xlog",
	   img);
	CHECK(try_mount(path, false, why, sizeof(why)) < 0);
	CHECK(strstr(why, "external log") != NULL);
	free(img);
}

static void test_inprogress_mark(void)
{
	char *img = th_mkfs("", 0), cmd[1024];
	struct xb_mount *m = th_mount(img, false);

	/* While mounted, the kernel's oracle (xfs_repair -n) sees the mark. */
	snprintf(cmd, sizeof(cmd),
		 "xfs_db -r -c 'sb 0' -c 'print inprogress' %s | grep -q 'inprogress = 1'", img);
	CHECK_EQ(system(cmd), 0);
	/* A second mount of the same image is refused while we hold it. */
	{
		char why[512];

		fast_polls = true;
		CHECK(try_mount(img, true, why, sizeof(why)) < 0);
		fast_polls = false;
		CHECK(strstr(why, "in use") != NULL);
		CHECK(polls > 0); /* it waited (for a finishing daemon) first */
	}
	th_umount(m);
	snprintf(cmd, sizeof(cmd),
		 "xfs_db -r -c 'sb 0' -c 'print inprogress' %s | grep -q 'inprogress = 0'", img);
	CHECK_EQ(system(cmd), 0);
	CHECK(th_repair_clean(img));
	free(img);
}

static void test_readonly_writes_nothing(void)
{
	char *img = th_mkfs("", 0);
	unsigned long long before = image_sum(img);
	struct xb_mount *m = th_mount(img, true);
	struct xb_inode *root;
	struct xb_stat st;

	CHECK_EQ(xb_iget(m, xb_root_ino(m), &root), 0);
	CHECK_EQ(xb_getattr(root, &st), 0);
	CHECK(S_ISDIR(st.mode));
	xb_iput(root);
	th_umount(m);
	CHECK_EQ(image_sum(img), before);
	free(img);
}

/* Create @name in the root: 0 or the error. */
static int create_in_root(struct xb_mount *m, const char *name)
{
	static const struct xb_cred cr = {.uid = 0, .gid = 0};
	struct xb_inode *root, *ip = NULL;
	int error;

	CHECK_EQ(xb_iget(m, xb_root_ino(m), &root), 0);
	error = xb_create(root, name, S_IFREG | 0644, 0, &cr, &ip);
	if (ip)
		xb_iput(ip);
	xb_iput(root);
	return error;
}

/*
 * remount,rw (remount_rw.c): a read-only mount refuses writes and writes
 * nothing until xb_remount_rw; then it is a read-write mount (in-progress
 * mark set, new files), and its unmount leaves a clean image.  A V4 image
 * stays read-only, with a reason.
 */
static void test_remount_rw(void)
{
	char *img = th_mkfs("", 0), *v4 = th_mkfs("-m crc=0", 300), why[512];
	unsigned long long before = image_sum(img);
	struct xb_mount *m = th_mount(img, true);
	char cmd[512];

	CHECK_EQ(create_in_root(m, "before"), -EROFS);
	CHECK(!xb_rw_refused(m, why, sizeof(why)));
	CHECK_EQ(image_sum(img), before);
	CHECK_EQ(xb_remount_rw(m, why, sizeof(why)), 0);
	CHECK(!xb_readonly(m));
	snprintf(cmd, sizeof(cmd),
		 "xfs_db -r -c 'sb 0' -c 'print inprogress' %s | grep -q 'inprogress = 1'", img);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(create_in_root(m, "after"), 0);
	CHECK_EQ(xb_remount_rw(m, why, sizeof(why)), 0); /* already: nothing to do */
	th_umount(m);
	CHECK(th_repair_clean(img));

	m = th_mount(v4, true);
	CHECK(xb_rw_refused(m, why, sizeof(why)));
	CHECK(strstr(why, "V4") != NULL);
	CHECK_EQ(xb_remount_rw(m, why, sizeof(why)), -EROFS);
	CHECK(xb_readonly(m));
	th_umount(m);
	free(img);
	free(v4);
}

int main(void)
{
	test_block_sizes();
	test_refusals();
	test_inprogress_mark();
	test_readonly_writes_nothing();
	test_remount_rw();
	return th_done("test_mount");
}
