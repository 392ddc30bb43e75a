// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX ACLs through the backend (doc/backend.md, "POSIX ACLs"): the
 * conversion between the VFS's xattr format and XFS's struct xfs_acl, with
 * the kernel's answers to malformed values (the same answers the kernel's
 * XFS gives on its own mount: test_acl.sh probes both), the mode updates,
 * inheritance with and without a default ACL, setgid, corrupt on-disk
 * values, and ENOSPC under a default ACL.  Images pass xfs_repair -n.
 */
#include "harness.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#define A "system.posix_acl_access"
#define D "system.posix_acl_default"

enum { UO = 0x01, U = 0x02, GO = 0x04, G = 0x08, M = 0x10, O = 0x20 };

static const struct xb_cred root_cred = {.uid = 0, .gid = 0};

struct ent {
	uint16_t tag, perm;
	uint32_t id;
};

/* The VFS's value: little-endian version 2, then tag, perm, id per entry. */
static size_t xattr_acl(unsigned char *buf, const struct ent *e, size_t n, uint32_t version)
{
	uint32_t v = htole32(version);
	size_t i;

	memcpy(buf, &v, 4);
	for (i = 0; i < n; i++) {
		uint16_t t = htole16(e[i].tag), p = htole16(e[i].perm);
		uint32_t id = htole32(e[i].id);

		memcpy(buf + 4 + 8 * i, &t, 2);
		memcpy(buf + 6 + 8 * i, &p, 2);
		memcpy(buf + 8 + 8 * i, &id, 4);
	}
	return 4 + 8 * n;
}

/* XFS's on-disk value: big-endian count, then tag, id, perm, pad. */
static size_t disk_acl(unsigned char *buf, const struct ent *e, size_t n, uint32_t count)
{
	uint32_t c = htobe32(count);
	size_t i;

	memcpy(buf, &c, 4);
	for (i = 0; i < n; i++) {
		uint32_t t = htobe32(e[i].tag), id = htobe32(e[i].id);
		uint16_t p = htobe16(e[i].perm), pad = 0;

		memcpy(buf + 4 + 12 * i, &t, 4);
		memcpy(buf + 8 + 12 * i, &id, 4);
		memcpy(buf + 12 + 12 * i, &p, 2);
		memcpy(buf + 14 + 12 * i, &pad, 2);
	}
	return 4 + 12 * n;
}

static struct xb_inode *root_of(struct xb_mount *m)
{
	struct xb_inode *r = NULL;

	CHECK_EQ(xb_iget(m, xb_root_ino(m), &r), 0);
	return r;
}

static struct xb_inode *make(struct xb_inode *dir, const char *name, uint32_t mode,
			     const struct xb_cred *cr)
{
	struct xb_inode *ip = NULL;

	CHECK_EQ(xb_create(dir, name, mode, 0, cr, &ip), 0);
	return ip;
}

static uint32_t mode_of(struct xb_inode *ip)
{
	struct xb_stat st;

	if (xb_getattr(ip, &st))
		return 0;
	return st.mode;
}

static const struct ent basic[] = {{UO, 7, ~0u}, {GO, 5, ~0u}, {O, 5, ~0u}};
static const struct ent named[] = {{UO, 6, ~0u}, {U, 0, 65534}, {GO, 4, ~0u},
				   {G, 6, 1},	 {M, 6, ~0u},	{O, 4, ~0u}};

/* Malformed and odd values: the kernel's answers (acl_probe.py). */
static void test_parse(struct xb_inode *ip)
{
	unsigned char v[65536];
	struct ent e[8];
	size_t n;

	n = xattr_acl(v, basic, 3, 2);
	CHECK_EQ(xb_setxattr(ip, A, v, 2, 0), -EINVAL); /* shorter than the header */
	CHECK_EQ(xb_setxattr(ip, A, v, n + 1, 0), -EINVAL);
	xattr_acl(v, basic, 3, 1);
	CHECK_EQ(xb_setxattr(ip, A, v, n, 0), -EOPNOTSUPP);
	memcpy(e, basic, sizeof(basic));
	e[1].tag = 0x40;
	n = xattr_acl(v, e, 3, 2);
	CHECK_EQ(xb_setxattr(ip, A, v, n, 0), -EINVAL); /* unknown tag */
	memcpy(e, basic, sizeof(basic));
	e[0].perm = 8;
	n = xattr_acl(v, e, 3, 2);
	CHECK_EQ(xb_setxattr(ip, A, v, n, 0), -EINVAL); /* permission bits */
	memcpy(e, basic, sizeof(basic));
	e[3] = e[2];
	n = xattr_acl(v, e, 4, 2);
	CHECK_EQ(xb_setxattr(ip, A, v, n, 0), -EINVAL); /* two OTHERs */
	e[0] = basic[0];
	e[1] = (struct ent){U, 7, ~0u};
	e[2] = basic[1];
	e[3] = (struct ent){M, 7, ~0u};
	e[4] = basic[2];
	n = xattr_acl(v, e, 5, 2);
	CHECK_EQ(xb_setxattr(ip, A, v, n, 0), -EINVAL); /* id -1 */
	e[1].id = 5;
	n = xattr_acl(v, (struct ent[]){basic[0], e[1], basic[1], basic[2]}, 4, 2);
	CHECK_EQ(xb_setxattr(ip, A, v, n, 0), -EINVAL); /* named entry, no mask */
	n = xattr_acl(v, (struct ent[]){basic[1], basic[0], basic[2]}, 3, 2);
	CHECK_EQ(xb_setxattr(ip, A, v, n, 0), -EINVAL); /* order */
	/* Accepted: duplicate named entries, unsorted ids, XATTR_CREATE ignored. */
	n = xattr_acl(v,
		      (struct ent[]){basic[0],
				     {U, 7, 1001},
				     {U, 5, 1000},
				     {U, 4, 1000},
				     basic[1],
				     {M, 7, ~0u},
				     basic[2]},
		      7, 2);
	CHECK_EQ(xb_setxattr(ip, A, v, n, XB_XATTR_CREATE), 0);
	/* More than XFS_ACL_MAX_ENTRIES (5461 on v5): E2BIG. */
	{
		struct ent *many = calloc(6004, sizeof(*many));
		size_t i;

		many[0] = basic[0];
		for (i = 1; i <= 6000; i++)
			many[i] = (struct ent){U, 7, (uint32_t) (1000 + i)};
		many[6001] = basic[1];
		many[6002] = (struct ent){M, 7, ~0u};
		many[6003] = basic[2];
		n = xattr_acl(v, many, 6004, 2);
		CHECK_EQ(xb_setxattr(ip, A, v, n, 0), -E2BIG);
		/* 5461 fit, and come back whole. */
		many[5458] = basic[1];
		many[5459] = (struct ent){M, 7, ~0u};
		many[5460] = basic[2];
		n = xattr_acl(v, many, 5461, 2);
		CHECK_EQ(xb_setxattr(ip, A, v, n, 0), 0);
		CHECK_EQ(xb_getxattr(ip, A, NULL, 0), (long long) n);
		CHECK_EQ(xb_getxattr(ip, A, v, 100), -ERANGE);
		free(many);
	}
	/* FUSE hands values over right after the name: any alignment (UBSan). */
	{
		unsigned char odd[64];
		struct xb_stat st;

		n = xattr_acl(v, (struct ent[]){{UO, 6, ~0u}, {GO, 4, ~0u}, {O, 0, ~0u}}, 3, 2);
		memcpy(odd + 1, v, n);
		CHECK_EQ(xb_setxattr(ip, A, odd + 1, n, 0), 0);
		CHECK_EQ(xb_getattr(ip, &st), 0);
		CHECK_EQ(st.mode, S_IFREG | 0640);
		n = xattr_acl(v, named, 6, 2);
		memcpy(odd + 3, v, n);
		CHECK_EQ(xb_setxattr(ip, A, odd + 3, n, 0), 0);
		CHECK_EQ(xb_getxattr(ip, A, odd + 1, sizeof(odd) - 1), (long long) n);
		CHECK(memcmp(odd + 1, v, n) == 0);
	}
	/* An empty value or a bare header removes; removing twice is fine. */
	CHECK_EQ(xb_setxattr(ip, A, v, 4, 0), 0);
	CHECK_EQ(xb_getxattr(ip, A, NULL, 0), -ENODATA);
	CHECK_EQ(xb_removexattr(ip, A), 0);
	CHECK_EQ(xb_getxattr(ip, "trusted.SGI_ACL_FILE", NULL, 0), -ENODATA);
	/* No default ACL on a file; removing one there is fine. */
	n = xattr_acl(v, basic, 3, 2);
	CHECK_EQ(xb_setxattr(ip, D, v, n, 0), -EACCES);
	CHECK_EQ(xb_removexattr(ip, D), 0);
}

/* The mode follows an access ACL; an equivalent ACL is not stored. */
static void test_mode(struct xb_inode *ip)
{
	unsigned char disk[256];
	size_t dlen = disk_acl(disk, named, 6, 6);
	unsigned char v[256], out[256];
	size_t n;

	n = xattr_acl(v, basic, 3, 2);
	CHECK_EQ(xb_setxattr(ip, A, v, n, 0), 0);
	CHECK_EQ(mode_of(ip), S_IFREG | 0755);
	CHECK_EQ(xb_getxattr(ip, "trusted.SGI_ACL_FILE", NULL, 0), -ENODATA);
	CHECK_EQ(xb_listxattr(ip, NULL, 0), 0);

	n = xattr_acl(v, named, 6, 2);
	CHECK_EQ(xb_setxattr(ip, A, v, n, 0), 0);
	CHECK_EQ(mode_of(ip), S_IFREG | 0664); /* group bits: the mask */
	CHECK_EQ(xb_getxattr(ip, A, out, sizeof(out)), (long long) n);
	CHECK(memcmp(out, v, n) == 0);
	/* struct xfs_acl as the kernel writes it (test_acl.sh compares the bytes). */
	CHECK_EQ(xb_getxattr(ip, "trusted.SGI_ACL_FILE", out, sizeof(out)), (long long) dlen);
	CHECK(memcmp(out, disk, dlen) == 0);
	CHECK_EQ(xb_listxattr(ip, (char *) out, sizeof(out)),
		 (long long) sizeof("system.posix_acl_access\0trusted.SGI_ACL_FILE"));
	CHECK(memcmp(out, "system.posix_acl_access\0trusted.SGI_ACL_FILE\0", 45) == 0);

	/* chmod: owner, mask and other follow (posix_acl_chmod). */
	{
		struct xb_setattr sa = {.valid = XB_SET_MODE, .mode = 0610};
		struct ent want[6];

		memcpy(want, named, sizeof(named));
		want[0].perm = 6;
		want[4].perm = 1;
		want[5].perm = 0;
		CHECK_EQ(xb_setattr(ip, &sa, NULL), 0);
		n = xattr_acl(v, want, 6, 2);
		CHECK_EQ(xb_getxattr(ip, A, out, sizeof(out)), (long long) n);
		CHECK(memcmp(out, v, n) == 0);
	}
	/* An equivalent ACL over a stored one removes the attribute. */
	n = xattr_acl(v, basic, 3, 2);
	CHECK_EQ(xb_setxattr(ip, A, v, n, 0), 0);
	CHECK_EQ(xb_getxattr(ip, A, NULL, 0), -ENODATA);
	CHECK_EQ(xb_getxattr(ip, "trusted.SGI_ACL_FILE", NULL, 0), -ENODATA);
}

/* posix_acl_update_mode: setgid goes unless the caller is in the group. */
static void test_setgid(struct xb_inode *dir)
{
	struct xb_cred owner = {.uid = 1000, .gid = 1000};
	uint32_t grp = 50;
	struct xb_setattr sa = {.valid = XB_SET_MODE | XB_SET_GID, .mode = 02775, .gid = 50};
	struct xb_inode *ip = make(dir, "sgid", S_IFREG | 0644, &owner);
	unsigned char v[64];
	size_t n = xattr_acl(v, named, 6, 2);

	CHECK_EQ(xb_setattr(ip, &sa, NULL), 0);
	CHECK_EQ(xb_setxattr_as(ip, A, v, n, 0, &owner), 0);
	CHECK_EQ(mode_of(ip), S_IFREG | 0664);
	CHECK_EQ(xb_setattr(ip, &sa, NULL), 0);
	owner.groups = &grp;
	owner.ngroups = 1;
	CHECK_EQ(xb_setxattr_as(ip, A, v, n, 0, &owner), 0);
	CHECK_EQ(mode_of(ip), S_IFREG | 02664);
	owner.groups = NULL;
	owner.ngroups = 0;
	owner.fsetid = true;
	CHECK_EQ(xb_setxattr_as(ip, A, v, n, 0, &owner), 0);
	CHECK_EQ(mode_of(ip), S_IFREG | 02664);
	xb_iput(ip);
}

/* posix_acl_create: the default ACL instead of the umask. */
static void test_inherit(struct xb_inode *root)
{
	struct xb_cred cr = {.uid = 0, .gid = 0, .umask = 022};
	static const struct ent dflt[] = {{UO, 7, ~0u}, {GO, 0, ~0u}, {O, 0, ~0u}};
	static const struct ent dnamed[] = {
		{UO, 7, ~0u}, {U, 7, 65534}, {GO, 5, ~0u}, {M, 7, ~0u}, {O, 0, ~0u}};
	struct xb_inode *d, *ip;
	unsigned char v[256], out[256];
	size_t n, dn;

	/* No default ACL: the umask. */
	d = make(root, "plain", S_IFDIR | 0777, &cr);
	CHECK_EQ(mode_of(d), S_IFDIR | 0755);
	ip = make(d, "f", S_IFREG | 0666, &cr);
	CHECK_EQ(mode_of(ip), S_IFREG | 0644);
	xb_iput(ip);
	xb_iput(d);

	/* g::---,o::---: file 0600, directory 0700 with the default copied. */
	d = make(root, "inherit", S_IFDIR | 0755, &root_cred);
	dn = xattr_acl(v, dflt, 3, 2);
	CHECK_EQ(xb_setxattr(d, D, v, dn, 0), 0);
	ip = make(d, "f", S_IFREG | 0666, &cr);
	CHECK_EQ(mode_of(ip), S_IFREG | 0600);
	CHECK_EQ(xb_getxattr(ip, A, NULL, 0), -ENODATA);
	CHECK_EQ(xb_getxattr(ip, D, NULL, 0), -ENODATA);
	xb_iput(ip);
	ip = make(d, "sub", S_IFDIR | 0777, &cr);
	CHECK_EQ(mode_of(ip), S_IFDIR | 0700);
	CHECK_EQ(xb_getxattr(ip, D, out, sizeof(out)), (long long) dn);
	CHECK(memcmp(out, v, dn) == 0);
	xb_iput(ip);
	/* Symlinks inherit nothing. */
	CHECK_EQ(xb_symlink(d, "l", "target", &cr, &ip), 0);
	CHECK_EQ(mode_of(ip), S_IFLNK | 0777);
	xb_iput(ip);
	xb_iput(d);

	/* Named entries: an access ACL, masked by the create mode. */
	d = make(root, "named", S_IFDIR | 0755, &root_cred);
	dn = xattr_acl(v, dnamed, 5, 2);
	CHECK_EQ(xb_setxattr(d, D, v, dn, 0), 0);
	cr.umask = 077; /* ignored under a default ACL */
	ip = make(d, "f", S_IFREG | 0640, &cr);
	CHECK_EQ(mode_of(ip), S_IFREG | 0640);
	{
		struct ent want[5];

		memcpy(want, dnamed, sizeof(dnamed));
		want[0].perm = 6;
		want[3].perm = 4;
		n = xattr_acl(v, want, 5, 2);
		CHECK_EQ(xb_getxattr(ip, A, out, sizeof(out)), (long long) n);
		CHECK(memcmp(out, v, n) == 0);
	}
	CHECK_EQ(xb_getxattr(ip, D, NULL, 0), -ENODATA);
	xb_iput(ip);
	ip = make(d, "fifo", S_IFIFO | 0666, &cr);
	CHECK_EQ(mode_of(ip), S_IFIFO | 0660);
	xb_iput(ip);
	xb_iput(d);
}

/* Values that fail validation: errors, never a crash, nothing created. */
static void test_corrupt(struct xb_inode *root)
{
	struct xb_inode *ip = make(root, "bad", S_IFREG | 0644, &root_cred), *d, *x = NULL;
	static const struct ent badtag[] = {{UO, 7, ~0u}, {0x40, 5, ~0u}, {O, 5, ~0u}};
	unsigned char v[64];
	size_t n;

	n = disk_acl(v, basic, 3, 3);
	CHECK_EQ(xb_setxattr(ip, "trusted.SGI_ACL_FILE", v, n + 2, 0), 0);
	CHECK_EQ(xb_getxattr(ip, A, v, sizeof(v)), -EUCLEAN); /* size */
	n = disk_acl(v, basic, 3, 4);
	CHECK_EQ(xb_setxattr(ip, "trusted.SGI_ACL_FILE", v, n, 0), 0);
	CHECK_EQ(xb_getxattr(ip, A, v, sizeof(v)), -EUCLEAN); /* count */
	CHECK_EQ(xb_setxattr(ip, "trusted.SGI_ACL_FILE", v, 2, 0), 0);
	CHECK_EQ(xb_getxattr(ip, A, v, sizeof(v)), -EUCLEAN); /* shorter than a count */
	/* chmod reaches the ACL after the mode, as the kernel: the error shows. */
	{
		struct xb_setattr sa = {.valid = XB_SET_MODE, .mode = 0600};

		CHECK_EQ(xb_setattr(ip, &sa, NULL), -EUCLEAN);
		CHECK_EQ(mode_of(ip), S_IFREG | 0600);
	}
	n = disk_acl(v, badtag, 3, 3);
	CHECK_EQ(xb_setxattr(ip, "trusted.SGI_ACL_FILE", v, n, 0), 0);
	CHECK_EQ(xb_getxattr(ip, A, v, sizeof(v)), -EINVAL); /* as xfs_acl_from_disk */
	CHECK_EQ(xb_removexattr(ip, A), 0);
	xb_iput(ip);

	/* A corrupt default ACL: creating below fails before anything is made. */
	d = make(root, "baddir", S_IFDIR | 0755, &root_cred);
	n = disk_acl(v, basic, 3, 3);
	CHECK_EQ(xb_setxattr(d, "trusted.SGI_ACL_DEFAULT", v, n - 1, 0), 0);
	CHECK_EQ(xb_create(d, "f", S_IFREG | 0644, 0, &root_cred, &x), -EUCLEAN);
	CHECK_EQ(xb_lookup(d, "f", &x), -ENOENT);
	CHECK_EQ(xb_symlink(d, "l", "t", &root_cred, &x), 0); /* symlinks don't look */
	xb_iput(x);
	CHECK_EQ(xb_removexattr(d, D), 0);
	xb_iput(d);
}

/*
 * ENOSPC under a default ACL with named entries: every create that
 * succeeds has its ACLs, every one that fails left no name behind.
 */
static void test_enospc(void)
{
	char *img = th_mkfs("-d agcount=2", 320);
	struct xb_mount *m = th_mount(img, false);
	struct xb_inode *root = root_of(m), *d, *ip = NULL;
	static const struct ent dnamed[] = {
		{UO, 7, ~0u}, {U, 7, 65534}, {GO, 5, ~0u}, {M, 7, ~0u}, {O, 0, ~0u}};
	size_t chunk = 8 << 20, dn;
	char *buf = calloc(1, chunk), name[32];
	unsigned char v[128];
	uint64_t off = 0;
	int rc, i, made = 0;

	d = make(root, "d", S_IFDIR | 0755, &root_cred);
	dn = xattr_acl(v, dnamed, 5, 2);
	CHECK_EQ(xb_setxattr(d, D, v, dn, 0), 0);
	ip = make(root, "fill", S_IFREG | 0644, &root_cred);
	while ((rc = xb_write(ip, buf, chunk, off)) > 0)
		off += rc;
	while ((rc = xb_write(ip, buf, 4096, off)) > 0)
		off += rc;
	/* Give a little back: some creates fit, then one does not. */
	{
		struct xb_setattr sa = {.valid = XB_SET_SIZE, .size = off - (1 << 20)};

		CHECK_EQ(xb_setattr(ip, &sa, NULL), 0);
	}
	xb_iput(ip);
	for (i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "%s%d", i % 2 ? "dir" : "file", i);
		rc = xb_create(d, name, (i % 2 ? S_IFDIR : S_IFREG) | 0755, 0, &root_cred, &ip);
		if (rc)
			break;
		made++;
		CHECK(xb_getxattr(ip, A, NULL, 0) > 0);
		if (i % 2)
			CHECK_EQ(xb_getxattr(ip, D, NULL, 0), (long long) dn);
		xb_iput(ip);
	}
	CHECK_EQ(rc, -ENOSPC);
	CHECK(made > 0);
	CHECK_EQ(xb_lookup(d, name, &ip), -ENOENT);
	xb_iput(d);
	xb_iput(root);
	th_umount(m);
	CHECK(th_repair_clean(img));
	free(buf);
	free(img);
}

static void run(unsigned int bs)
{
	char opts[64], *img;
	struct xb_mount *m;
	struct xb_inode *root, *f;

	snprintf(opts, sizeof(opts), "-b size=%u", bs);
	img = th_mkfs(opts, 0);
	m = th_mount(img, false);
	root = root_of(m);
	f = make(root, "parse", S_IFREG | 0644, &root_cred);
	test_parse(f);
	xb_iput(f);
	f = make(root, "mode", S_IFREG | 0644, &root_cred);
	test_mode(f);
	xb_iput(f);
	test_setgid(root);
	test_inherit(root);
	xb_iput(root);
	th_umount(m);
	CHECK(th_repair_clean(img));

	/* Read-only: ACLs read, nothing written. */
	m = th_mount(img, true);
	root = root_of(m);
	{
		struct xb_inode *d = NULL, *ip = NULL;
		unsigned char v[64];

		CHECK_EQ(xb_lookup(root, "named", &d), 0);
		CHECK_EQ(xb_lookup(d, "f", &ip), 0);
		CHECK(xb_getxattr(ip, A, v, sizeof(v)) > 0);
		CHECK_EQ(xb_removexattr(ip, A), -EROFS);
		CHECK_EQ(xb_setxattr(ip, A, v, xattr_acl(v, basic, 3, 2), 0), -EROFS);
		xb_iput(ip);
		xb_iput(d);
	}
	xb_iput(root);
	th_umount(m);

	/* Corrupt values last: xfs_repair checks ACLs too. */
	m = th_mount(img, false);
	root = root_of(m);
	test_corrupt(root);
	xb_iput(root);
	th_umount(m);
	CHECK(th_repair_clean(img));
	free(img);
}

int main(void)
{
	run(4096);
	run(1024);
	test_enospc();
	return th_done("test_acl");
}
