// SPDX-License-Identifier: GPL-2.0
/*
 * Creating names and inodes, attributes, and the interim data path, checked
 * through the backend, then by xfs_repair -n and by the kernel (oracle).
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const struct xb_cred root_cred = {.uid = 0, .gid = 0};

static struct xb_inode *root_of(struct xb_mount *m)
{
	struct xb_inode *r = NULL;

	CHECK_EQ(xb_iget(m, xb_root_ino(m), &r), 0);
	return r;
}

/* Fill @buf with a pattern that depends on the offset, so misplaced bytes show. */
static void pattern(unsigned char *buf, size_t len, uint64_t off)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char) ((off + i) * 7 + ((off + i) >> 9));
}

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc;
}

static void test_create_kinds(struct xb_mount *m)
{
	struct xb_inode *root = root_of(m), *ip = NULL, *again = NULL;
	struct xb_cred user = {.uid = 1000, .gid = 1000};
	struct xb_stat st, rst0, rst1;
	char longname[300], target[1100];

	CHECK_EQ(xb_getattr(root, &rst0), 0);
	CHECK_EQ(xb_create(root, "file", S_IFREG | 0640, 0, &user, &ip), 0);
	CHECK_EQ(xb_getattr(ip, &st), 0);
	CHECK_EQ(st.mode, S_IFREG | 0640);
	CHECK_EQ(st.uid, 1000);
	CHECK_EQ(st.gid, 1000);
	CHECK_EQ(st.nlink, 1);
	CHECK_EQ(st.size, 0);
	CHECK(st.generation != 0 || st.ino != 0);
	CHECK_EQ(st.atime.tv_sec, st.mtime.tv_sec);
	CHECK_EQ(xb_lookup(root, "file", &again), 0);
	CHECK(again == ip); /* one incore inode per inode number */
	xb_iput(again);
	xb_iput(ip);
	CHECK_EQ(xb_create(root, "file", S_IFREG | 0644, 0, &root_cred, &ip), -EEXIST);
	CHECK_EQ(xb_lookup(root, "nope", &ip), -ENOENT);

	CHECK_EQ(xb_create(root, "dir", S_IFDIR | 0755, 0, &root_cred, &ip), 0);
	CHECK_EQ(xb_getattr(ip, &st), 0);
	CHECK_EQ(st.nlink, 2);
	CHECK_EQ(xb_getattr(root, &rst1), 0);
	CHECK_EQ(rst1.nlink, rst0.nlink + 1);
	xb_iput(ip);

	CHECK_EQ(xb_create(root, "fifo", S_IFIFO | 0600, 0, &root_cred, &ip), 0);
	xb_iput(ip);
	CHECK_EQ(xb_create(root, "sock", S_IFSOCK | 0600, 0, &root_cred, &ip), 0);
	xb_iput(ip);
	CHECK_EQ(xb_create(root, "chr", S_IFCHR | 0600, makedev(1, 3), &root_cred, &ip), 0);
	CHECK_EQ(xb_getattr(ip, &st), 0);
	CHECK_EQ(st.rdev, makedev(1, 3));
	xb_iput(ip);
	CHECK_EQ(xb_create(root, "blk", S_IFBLK | 0600, makedev(259, 70000), &root_cred, &ip), 0);
	CHECK_EQ(xb_getattr(ip, &st), 0);
	CHECK_EQ(st.rdev, makedev(259, 70000));
	xb_iput(ip);

	memset(longname, 'n', 255);
	longname[255] = '\0';
	CHECK_EQ(xb_create(root, longname, S_IFREG | 0644, 0, &root_cred, &ip), 0);
	xb_iput(ip);
	memset(longname, 'n', 256);
	longname[256] = '\0';
	CHECK_EQ(xb_create(root, longname, S_IFREG | 0644, 0, &root_cred, &ip), -ENAMETOOLONG);

	/* Symlinks: inline, and remote (longer than the inode's literal area). */
	CHECK_EQ(xb_symlink(root, "short", "file", &root_cred, &ip), 0);
	{
		char buf[64];

		CHECK_EQ(xb_readlink(ip, buf, sizeof(buf)), 4);
		CHECK(memcmp(buf, "file", 4) == 0);
	}
	xb_iput(ip);
	for (int i = 0; i < 1023; i++)
		target[i] = 'a' + i % 26;
	target[1023] = '\0';
	CHECK_EQ(xb_symlink(root, "long", target, &root_cred, &ip), 0);
	{
		char buf[1100];

		CHECK_EQ(xb_readlink(ip, buf, sizeof(buf)), 1023);
		CHECK(memcmp(buf, target, 1023) == 0);
	}
	xb_iput(ip);
	/* XFS's limit is 1023 bytes (xfs_symlink: pathlen >= XFS_SYMLINK_MAXLEN). */
	target[1023] = 'x';
	target[1024] = '\0';
	ip = NULL;
	CHECK_EQ(xb_symlink(root, "toolong", target, &root_cred, &ip), -ENAMETOOLONG);
	CHECK(ip == NULL);
	xb_iput(root);
}

static void test_setattr(struct xb_mount *m)
{
	struct xb_inode *root = root_of(m), *ip = NULL;
	struct xb_setattr sa = {0};
	struct xb_stat st;

	CHECK_EQ(xb_lookup(root, "file", &ip), 0);
	sa.valid = XB_SET_MODE | XB_SET_UID | XB_SET_GID | XB_SET_ATIME | XB_SET_MTIME;
	sa.mode = 04711;
	sa.uid = 42;
	sa.gid = 43;
	sa.atime.tv_sec = 1000000000;
	sa.atime.tv_nsec = 123456789;
	sa.mtime.tv_sec = 4000000000LL; /* past 2038: bigtime */
	sa.mtime.tv_nsec = 987654321;
	CHECK_EQ(xb_setattr(ip, &sa, &st), 0);
	CHECK_EQ(st.mode, S_IFREG | 04711);
	CHECK_EQ(st.uid, 42);
	CHECK_EQ(st.gid, 43);
	CHECK_EQ(st.atime.tv_sec, 1000000000);
	CHECK_EQ(st.atime.tv_nsec, 123456789);
	CHECK_EQ(st.mtime.tv_sec, 4000000000LL);
	CHECK_EQ(st.mtime.tv_nsec, 987654321);
	CHECK(st.ctime.tv_sec > 1600000000);
	/* Truncate of an empty file to 0, and a size-neutral setattr. */
	sa.valid = XB_SET_SIZE;
	sa.size = 0;
	CHECK_EQ(xb_setattr(ip, &sa, &st), 0);
	CHECK_EQ(st.size, 0);
	CHECK_EQ(st.mtime.tv_sec, 4000000000LL); /* unchanged size: mtime stays */
	xb_iput(ip);
	xb_iput(root);
}

static void test_data(struct xb_mount *m, unsigned int bs)
{
	struct xb_inode *root = root_of(m), *ip = NULL;
	size_t big = 3 * 1024 * 1024 + 777;
	unsigned char *w = malloc(big), *r = malloc(big);
	struct xb_setattr sa = {0};
	struct xb_stat st;

	CHECK_EQ(xb_create(root, "data", S_IFREG | 0644, 0, &root_cred, &ip), 0);
	pattern(w, big, 5);
	CHECK_EQ(xb_write(ip, w, big, 5), (int) big);
	/* Unaligned overwrite in the middle, and a sparse write far away. */
	pattern(w, 1000, 99999);
	CHECK_EQ(xb_write(ip, w, 1000, bs + 3), 1000);
	pattern(w, 100, 1 << 30);
	CHECK_EQ(xb_write(ip, w, 100, (uint64_t) 1 << 30), 100);
	CHECK_EQ(xb_getattr(ip, &st), 0);
	CHECK_EQ(st.size, ((uint64_t) 1 << 30) + 100);
	CHECK(st.blocks < 8 * 1024); /* sparse: far below 1 GiB */
	/* Read back: the overwrite, untouched neighbours, the hole. */
	CHECK_EQ(xb_read(ip, r, 1000, bs + 3), 1000);
	pattern(w, 1000, 99999);
	CHECK(memcmp(r, w, 1000) == 0);
	CHECK_EQ(xb_read(ip, r, 3, bs), 3);
	pattern(w, 3, bs);
	CHECK(memcmp(r, w, 3) == 0);
	CHECK_EQ(xb_read(ip, r, 4096, 1 << 20), 4096);
	pattern(w, 4096, 1 << 20);
	CHECK(memcmp(r, w, 4096) == 0);
	CHECK_EQ(xb_read(ip, r, 4096, 512 << 20), 4096);
	memset(w, 0, 4096);
	CHECK(memcmp(r, w, 4096) == 0);
	CHECK_EQ(xb_read(ip, r, 4096, ((uint64_t) 1 << 30) + 50), 50); /* short at EOF */
	/* Truncate down into a block, then extend: the tail must read as zeroes. */
	sa.valid = XB_SET_SIZE;
	sa.size = 2 * 1024 * 1024 + 10;
	CHECK_EQ(xb_setattr(ip, &sa, &st), 0);
	sa.size = 3 * 1024 * 1024;
	CHECK_EQ(xb_setattr(ip, &sa, &st), 0);
	CHECK_EQ(xb_read(ip, r, 100, 2 * 1024 * 1024), 100);
	pattern(w, 10, 2 * 1024 * 1024);
	CHECK(memcmp(r, w, 10) == 0);
	memset(w, 0, 90);
	CHECK(memcmp(r + 10, w, 90) == 0);
	/* Preallocation: unwritten reads as zeroes, KEEP_SIZE keeps the size. */
	CHECK_EQ(xb_prealloc(ip, 4 << 20, 1 << 20, true), 0);
	CHECK_EQ(xb_getattr(ip, &st), 0);
	CHECK_EQ(st.size, 3 * 1024 * 1024);
	CHECK_EQ(xb_prealloc(ip, 3 << 20, 1 << 20, false), 0);
	CHECK_EQ(xb_getattr(ip, &st), 0);
	CHECK_EQ(st.size, 4 * 1024 * 1024);
	CHECK_EQ(xb_read(ip, r, 4096, (3 << 20) + 100), 4096);
	memset(w, 0, 4096);
	CHECK(memcmp(r, w, 4096) == 0);
	xb_iput(ip);
	xb_iput(root);
	free(w);
	free(r);
}

/* The kernel (oracle) must see what the backend wrote. */
static void check_with_kernel(const char *img, unsigned int bs)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "set -e; d=$(mktemp -d); mount -o loop,ro %s $d; trap 'umount $d; rmdir $d' EXIT;"
		 "test \"$(stat -c %%a:%%u:%%g:%%s:%%X:%%Y $d/file)\" = "
		 "4711:42:43:0:1000000000:4000000000;"
		 "test \"$(stat -c %%y $d/file)\" = '2096-10-02 07:06:40.987654321 +0000';"
		 "test -d $d/dir && test -p $d/fifo && test -S $d/sock;"
		 "test \"$(stat -c %%t:%%T $d/chr)\" = 1:3;"
		 "test \"$(readlink $d/short)\" = file;"
		 "test \"$(readlink $d/long | wc -c)\" = 1024;"
		 "test \"$(stat -c %%s $d/data)\" = 4194304;"
		 "test \"$(stat -c %%h $d)\" = 3;"
		 "ls "
		 "$d/"
		 "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn* "
		 ">/dev/null",
		 img);
	CHECK_EQ(sh(cmd), 0);
	(void) bs;
}

/* Data bytes as the kernel reads them, against the same pattern. */
static void check_data_with_kernel(const char *img)
{
	char cmd[1024];
	unsigned char *w = malloc(1 << 20), *r = malloc(1 << 20);
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "d=$(mktemp -d); mount -o loop,ro %s $d && dd if=$d/data bs=1M count=1 skip=1 "
		 "status=none; umount $d; rmdir $d",
		 img);
	f = popen(cmd, "r");
	CHECK(f != NULL);
	if (f) {
		CHECK_EQ(fread(r, 1, 1 << 20, f), 1 << 20);
		pclose(f);
		pattern(w, 1 << 20, 1 << 20);
		CHECK(memcmp(r, w, 1 << 20) == 0);
	}
	free(w);
	free(r);
}

/* ENOSPC at write time, nothing half-created, image stays clean. */
static void test_enospc(void)
{
	char *img = th_mkfs("-d agcount=2", 320);
	struct xb_mount *m = th_mount(img, false);
	struct xb_inode *root = root_of(m), *ip = NULL;
	size_t chunk = 8 << 20;
	char *buf = calloc(1, chunk);
	uint64_t off = 0;
	int rc = 0;
	struct statvfs sv;

	CHECK_EQ(xb_create(root, "fill", S_IFREG | 0644, 0, &root_cred, &ip), 0);
	while ((rc = xb_write(ip, buf, chunk, off)) > 0)
		off += rc;
	CHECK_EQ(rc, -ENOSPC);
	CHECK(off > 200ull << 20);
	CHECK_EQ(xb_statfs(m, &sv), 0);
	/* Nearly full: what is left is reservation slack (see data.c). */
	CHECK(sv.f_bfree < sv.f_blocks / 20);
	/* Small writes still fit into what is left, or fail cleanly. */
	while ((rc = xb_write(ip, buf, 4096, off)) > 0)
		off += rc;
	CHECK_EQ(rc, -ENOSPC);
	xb_iput(ip);
	th_umount(m);
	CHECK(th_repair_clean(img));
	free(buf);
	free(img);
}

/* Running out of inodes (imaxpct caps inode space): ENOSPC, nothing half made. */
static void test_out_of_inodes(void)
{
	char *img = th_mkfs("-i maxpct=1 -d agcount=2", 320);
	struct xb_mount *m = th_mount(img, false);
	struct xb_inode *root = root_of(m), *ip = NULL;
	char name[32];
	int i, rc = 0;

	for (i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		rc = xb_create(root, name, S_IFREG | 0644, 0, &root_cred, &ip);
		if (rc)
			break;
		xb_iput(ip);
	}
	CHECK_EQ(rc, -ENOSPC);
	CHECK(i > 1000 && i < 100000);
	/* The failed name does not exist; a directory cannot be made either. */
	CHECK_EQ(xb_lookup(root, name, &ip), -ENOENT);
	CHECK_EQ(xb_create(root, "d", S_IFDIR | 0755, 0, &root_cred, &ip), -ENOSPC);
	/* Freeing one inode makes room for one more. */
	CHECK_EQ(xb_unlink(root, "f0"), 0);
	CHECK_EQ(xb_create(root, "again", S_IFREG | 0644, 0, &root_cred, &ip), 0);
	if (!rc || ip)
		xb_iput(ip);
	xb_iput(root);
	th_umount(m);
	CHECK(th_repair_clean(img));
	free(img);
}

static void run_bs(unsigned int bs)
{
	char opts[64], *img;
	struct xb_mount *m;

	snprintf(opts, sizeof(opts), "-b size=%u", bs);
	img = th_mkfs(opts, 0);
	m = th_mount(img, false);
	test_create_kinds(m);
	test_setattr(m);
	test_data(m, bs);
	th_umount(m);
	CHECK(th_repair_clean(img));
	check_with_kernel(img, bs);
	check_data_with_kernel(img);
	/* Remount: the same inode attributes come back from disk. */
	m = th_mount(img, true);
	{
		struct xb_inode *root = root_of(m), *ip = NULL;
		struct xb_stat st;

		CHECK_EQ(xb_lookup(root, "file", &ip), 0);
		if (ip) {
			CHECK_EQ(xb_getattr(ip, &st), 0);
			CHECK_EQ(st.mtime.tv_nsec, 987654321);
			xb_iput(ip);
		}
		CHECK_EQ(xb_create(root, "x", S_IFREG | 0644, 0, &root_cred, &ip), -EROFS);
		xb_iput(root);
	}
	th_umount(m);
	free(img);
}

int main(void)
{
	run_bs(1024);
	run_bs(4096);
	test_enospc();
	test_out_of_inodes();
	return th_done("test_namei");
}
