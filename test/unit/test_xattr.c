// SPDX-License-Identifier: GPL-2.0
/*
 * Extended attributes through the backend: every attr fork format
 * (shortform, leaf, node, remote values), the three namespaces, the Linux
 * error semantics, on 1 KiB and 4 KiB block images.
 *
 * The inodes come from mkfs.xfs -p (a protofile): the root directory, a
 * regular file, a directory, a file inside it, a symlink and a fifo.  A model
 * in memory records what was written.  After unmount the image must pass
 * xfs_repair -n, and the kernel (read-only loop mount) must list exactly the
 * bytes xb_listxattr listed and return every value byte for byte.
 * Finally a corrupt attr block must give EUCLEAN and stay untouched.
 */
#include "harness.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

enum { I_ROOT, I_FILE, I_DIR, I_INNER, I_LINK, I_FIFO, I_COUNT };

static const char *const ipath[I_COUNT] = {"", "file", "dir", "dir/inner", "link", "fifo"};

#define LIST_MAX 65536

struct xa {
	int idx;
	char name[256];
	unsigned char *val;
	size_t len;
};

struct img {
	unsigned int bsize;
	char *path;
	struct xb_mount *m;
	uint64_t ino[I_COUNT];
	struct xb_inode *ip[I_COUNT];
	struct xa *xa;
	size_t nxa, cap;
	bool touched[I_COUNT]; /* attributes changed: ctime must have moved */
	char *list[I_COUNT];   /* what xb_listxattr returned before unmount */
	int listlen[I_COUNT];
	struct timespec t0; /* after mkfs: every changed ctime is later */
};

static char protodir[] = "/tmp/xfsfuse-xattr-proto-XXXXXX";
static char protofile[128];
static char datafile[160];

/* The protofile; @fill_bytes > 0 adds a preallocated file that size. */
static void write_proto(const char *path, unsigned long long fill_bytes)
{
	FILE *f = fopen(path, "w");

	if (!f)
		exit(2);
	fprintf(f,
		"dummy\n0 0\nd--755 0 0\n"
		"file ---644 0 0 %s\n"
		"dir d--755 0 0\n"
		"inner ---600 0 0 %s\n"
		"$\n"
		"link l--777 0 0 /some/target\n"
		"fifo p--644 0 0\n",
		datafile, datafile);
	if (fill_bytes)
		fprintf(f, "fill r--644 0 0 %llu\n", fill_bytes);
	fprintf(f, "$\n$\n");
	fclose(f);
}

static void make_proto(void)
{
	FILE *f;

	if (!mkdtemp(protodir))
		exit(2);
	snprintf(datafile, sizeof(datafile), "%s/data", protodir);
	snprintf(protofile, sizeof(protofile), "%s/proto", protodir);
	f = fopen(datafile, "w");
	if (!f)
		exit(2);
	fputs("some file data\n", f);
	fclose(f);
	write_proto(protofile, 0);
}

static void remove_proto(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", protodir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", protodir);
}

/* Inode number of a path, from xfs_db's "ls" of its parent. */
static uint64_t db_ino(const char *image, const char *dir, const char *name)
{
	char cmd[512], line[512];
	uint64_t ino = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "xfs_db -r -c 'ls /%s' %s", dir, image);
	p = popen(cmd, "r");
	if (!p)
		exit(2);
	while (fgets(line, sizeof(line), p)) {
		unsigned long long dirent, i;
		char type[32], hash[32], nm[300];
		int nlen;

		if (sscanf(line, "%llu %llu %31s %31s %d %299s", &dirent, &i, type, hash, &nlen,
			   nm) == 6 &&
		    !strcmp(nm, name))
			ino = i;
	}
	pclose(p);
	return ino;
}

static void pattern(unsigned char *v, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		v[i] = (unsigned char) (seed * 131 + i * 7 + (i >> 8));
}

static struct xa *model_find(struct img *im, int idx, const char *name)
{
	size_t i;

	for (i = 0; i < im->nxa; i++)
		if (im->xa[i].idx == idx && !strcmp(im->xa[i].name, name))
			return &im->xa[i];
	return NULL;
}

/* Record a value the backend accepted. */
static void model_record(struct img *im, int idx, const char *name, size_t len, unsigned int seed)
{
	struct xa *a = model_find(im, idx, name);

	if (!a) {
		if (im->nxa == im->cap) {
			im->cap = im->cap ? im->cap * 2 : 256;
			im->xa = realloc(im->xa, im->cap * sizeof(*im->xa));
		}
		a = &im->xa[im->nxa++];
		a->idx = idx;
		snprintf(a->name, sizeof(a->name), "%s", name);
	} else {
		free(a->val);
	}
	a->val = malloc(len ? len : 1);
	pattern(a->val, len, seed);
	a->len = len;
	im->touched[idx] = true;
}

/* Set through the backend (flags 0) and record it in the model. */
static void model_set(struct img *im, int idx, const char *name, size_t len, unsigned int seed)
{
	unsigned char *v = malloc(len ? len : 1);
	int error;

	pattern(v, len, seed);
	error = xb_setxattr(im->ip[idx], name, v, len, 0);
	free(v);
	CHECK_EQ(error, 0);
	if (error)
		fprintf(stderr, "  setxattr %s on /%s (%zu bytes): %s\n", name, ipath[idx], len,
			strerror(-error));
	else
		model_record(im, idx, name, len, seed);
}

static void model_remove(struct img *im, int idx, const char *name)
{
	struct xa *a = model_find(im, idx, name);

	CHECK(a != NULL);
	CHECK_EQ(xb_removexattr(im->ip[idx], name), 0);
	if (!a)
		return;
	free(a->val);
	*a = im->xa[--im->nxa];
	im->touched[idx] = true;
}

static size_t model_count(struct img *im, int idx, size_t *listlen)
{
	size_t i, n = 0;

	*listlen = 0;
	for (i = 0; i < im->nxa; i++) {
		if (im->xa[i].idx != idx)
			continue;
		n++;
		*listlen += strlen(im->xa[i].name) + 1;
	}
	return n;
}

/* The backend's view of one inode equals the model: names and values. */
static void verify_backend(struct img *im, int idx)
{
	size_t want_len, want_n = model_count(im, idx, &want_len), n = 0;
	unsigned char *val = malloc(LIST_MAX);
	char *list = malloc(LIST_MAX), *p;
	int len, vlen;
	size_t i;

	len = xb_listxattr(im->ip[idx], NULL, 0);
	CHECK_EQ(len, want_len);
	len = xb_listxattr(im->ip[idx], list, LIST_MAX);
	CHECK_EQ(len, want_len);
	if (len < 0)
		len = 0;
	for (p = list; p < list + len; p += strlen(p) + 1) {
		n++;
		if (!model_find(im, idx, p)) {
			CHECK(!"listed name not in model");
			fprintf(stderr, "  %s: unexpected %s\n", ipath[idx], p);
		}
	}
	CHECK_EQ(n, want_n);
	free(im->list[idx]);
	im->list[idx] = list;
	im->listlen[idx] = len;

	for (i = 0; i < im->nxa; i++) {
		struct xa *a = &im->xa[i];

		if (a->idx != idx)
			continue;
		vlen = xb_getxattr(im->ip[idx], a->name, NULL, 0);
		CHECK_EQ(vlen, a->len);
		vlen = xb_getxattr(im->ip[idx], a->name, val, LIST_MAX);
		CHECK_EQ(vlen, a->len);
		if (vlen == (int) a->len)
			CHECK(memcmp(val, a->val, a->len) == 0);
	}
	free(val);
}

/* Error semantics, on the regular file, which starts without attributes. */
static void test_errors(struct img *im)
{
	struct xb_inode *ip = im->ip[I_FILE];
	char buf[64], longname[300];
	static unsigned char big[65537];

	CHECK_EQ(xb_listxattr(ip, NULL, 0), 0);
	CHECK_EQ(xb_getxattr(ip, "user.none", buf, sizeof(buf)), -ENODATA);
	CHECK_EQ(xb_removexattr(ip, "user.none"), -ENODATA);
	CHECK_EQ(xb_setxattr(ip, "user.none", "x", 1, XB_XATTR_REPLACE), -ENODATA);

	/* Namespaces: unknown, system.* other than ACLs, ACLs (none yet), prefix only. */
	CHECK_EQ(xb_setxattr(ip, "foo.bar", "x", 1, 0), -EOPNOTSUPP);
	CHECK_EQ(xb_getxattr(ip, "foo.bar", buf, sizeof(buf)), -EOPNOTSUPP);
	CHECK_EQ(xb_removexattr(ip, "foo.bar"), -EOPNOTSUPP);
	CHECK_EQ(xb_setxattr(ip, "user", "x", 1, 0), -EOPNOTSUPP);
	CHECK_EQ(xb_getxattr(ip, "system.foo", buf, sizeof(buf)), -EOPNOTSUPP);
	CHECK_EQ(xb_setxattr(ip, "system.foo", "x", 1, 0), -EOPNOTSUPP);
	CHECK_EQ(xb_getxattr(ip, "system.posix_acl_access", buf, sizeof(buf)), -ENODATA);
	CHECK_EQ(xb_setxattr(ip, "user.", "x", 1, 0), -EINVAL);
	CHECK_EQ(xb_getxattr(ip, "trusted.", buf, sizeof(buf)), -EINVAL);

	/* Name length: the whole name, prefix included, at most 255 bytes. */
	memset(longname, 'n', sizeof(longname));
	memcpy(longname, "user.", 5);
	longname[256] = '\0';
	CHECK_EQ(xb_setxattr(ip, longname, "x", 1, 0), -ERANGE);
	CHECK_EQ(xb_getxattr(ip, longname, buf, sizeof(buf)), -ERANGE);
	CHECK_EQ(xb_removexattr(ip, longname), -ERANGE);
	CHECK_EQ(xb_setxattr(ip, "", "x", 1, 0), -ERANGE);
	longname[255] = '\0';
	model_set(im, I_FILE, longname, 3, 1);

	/* Values: 64 KiB is the limit. */
	CHECK_EQ(xb_setxattr(ip, "user.big", big, sizeof(big), 0), -E2BIG);
	CHECK_EQ(xb_getxattr(ip, "user.big", NULL, 0), -ENODATA);

	/* CREATE / REPLACE. */
	model_set(im, I_FILE, "user.a", 5, 2);
	CHECK_EQ(xb_setxattr(ip, "user.a", "zz", 2, XB_XATTR_CREATE), -EEXIST);
	CHECK_EQ(xb_setxattr(ip, "user.b", "zz", 2, XB_XATTR_REPLACE), -ENODATA);
	CHECK_EQ(xb_setxattr(ip, "user.b", "zz", 2, XB_XATTR_CREATE), 0);
	CHECK_EQ(xb_setxattr(ip, "user.b", "yyy", 3, XB_XATTR_REPLACE), 0);
	CHECK_EQ(xb_getxattr(ip, "user.b", buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "yyy", 3) == 0);
	CHECK_EQ(xb_setxattr(ip, "user.b", "x", 1, XB_XATTR_CREATE | XB_XATTR_REPLACE), -EEXIST);
	CHECK_EQ(xb_removexattr(ip, "user.b"), 0);
	CHECK_EQ(xb_getxattr(ip, "user.b", buf, sizeof(buf)), -ENODATA);
	/* Same name, other namespace: a different attribute. */
	CHECK_EQ(xb_getxattr(ip, "trusted.a", buf, sizeof(buf)), -ENODATA);
	model_set(im, I_FILE, "trusted.a", 7, 3);
	model_set(im, I_FILE, "security.a", 9, 4);

	/* Empty values exist (size 0 is not a removal). */
	model_set(im, I_FILE, "user.empty", 0, 5);
	CHECK_EQ(xb_getxattr(ip, "user.empty", buf, sizeof(buf)), 0);
	CHECK_EQ(xb_getxattr(ip, "user.empty", NULL, 0), 0);

	/* Small buffers. */
	CHECK_EQ(xb_getxattr(ip, "user.a", NULL, 0), 5);
	CHECK_EQ(xb_getxattr(ip, "user.a", buf, 4), -ERANGE);
	CHECK_EQ(xb_getxattr(ip, "user.a", buf, 5), 5);
	{
		size_t want;
		int len;

		model_count(im, I_FILE, &want);
		len = xb_listxattr(ip, NULL, 0);
		CHECK_EQ(len, want);
		CHECK_EQ(xb_listxattr(ip, buf, 1), -ERANGE);
		CHECK_EQ(xb_listxattr(ip, buf, sizeof(buf)), -ERANGE); /* the long name */
		if (len > 0) {
			char *l = malloc(len);

			CHECK_EQ(xb_listxattr(ip, l, len - 1), -ERANGE);
			CHECK_EQ(xb_listxattr(ip, l, len), len);
			free(l);
		}
	}
}

static void test_shortform(struct img *im)
{
	model_set(im, I_ROOT, "user.one", 1, 10);
	model_set(im, I_ROOT, "user.two", 12, 11);
	model_set(im, I_ROOT, "trusted.three", 20, 12);
	model_set(im, I_ROOT, "security.four", 30, 13);
	model_set(im, I_ROOT, "user.two", 4, 14); /* replace, shorter */
	verify_backend(im, I_ROOT);
}

/* Dozens of attributes: the regular file's fork becomes one leaf block
 * (1 KiB blocks: several leaves, a node). */
static void test_leaf(struct img *im)
{
	static const char *const ns[] = {"user.", "trusted.", "security."};
	char name[64];
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "%sleaf%02d", ns[i % 3], i);
		model_set(im, I_FILE, name, 10 + i * 2, 100 + i);
	}
	for (i = 0; i < 40; i += 7) {
		snprintf(name, sizeof(name), "%sleaf%02d", ns[i % 3], i);
		model_remove(im, I_FILE, name);
	}
	verify_backend(im, I_FILE);
}

/* Thousands of attributes: a da-btree, replaced and half removed. */
static void test_node(struct img *im, int n)
{
	char name[64];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "user.n%05d", i);
		model_set(im, I_DIR, name, 8 + i % 17, 1000 + i);
	}
	verify_backend(im, I_DIR);
	for (i = 0; i < n; i += 5) {
		snprintf(name, sizeof(name), "user.n%05d", i);
		model_set(im, I_DIR, name, 30 + i % 5, 7000 + i);
	}
	for (i = 1; i < n; i += 2) {
		snprintf(name, sizeof(name), "user.n%05d", i);
		model_remove(im, I_DIR, name);
	}
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "trusted.t%03d", i);
		model_set(im, I_DIR, name, 40, 9000 + i);
	}
	verify_backend(im, I_DIR);
}

/* Remote values, 4 KiB to 64 KiB, in every namespace. */
static void test_remote(struct img *im)
{
	static const size_t sizes[] = {4096, 5000, 8192, 16384, 32768, 65535, 65536};
	static const char *const ns[] = {"user.", "trusted.", "security."};
	char name[64];
	size_t i;

	model_set(im, I_INNER, "user.small", 16, 20);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(name, sizeof(name), "%sremote%zu", ns[i % 3], sizes[i]);
		model_set(im, I_INNER, name, sizes[i], 21 + i);
	}
	verify_backend(im, I_INNER);
	model_set(im, I_INNER, "user.remote4096", 10, 40);	 /* remote -> local */
	model_set(im, I_INNER, "user.small", 40000, 41);	 /* local -> remote */
	model_set(im, I_INNER, "trusted.remote5000", 65536, 42); /* remote -> bigger */
	model_remove(im, I_INNER, "user.remote16384");
	verify_backend(im, I_INNER);
}

static struct timespec ctime_of(struct xb_inode *ip)
{
	struct xb_stat st = {0};

	CHECK_EQ(xb_getattr(ip, &st), 0);
	return st.ctime;
}

static bool ts_after(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

static void tick(void)
{
	struct timespec ts = {0, 2000000};

	nanosleep(&ts, NULL);
}

/* ctime moves with every change, and only then (xfs_attr_set's CHG). */
static void test_ctime(struct img *im)
{
	struct xb_inode *ip = im->ip[I_LINK];
	struct timespec t1, t2;

	t1 = ctime_of(ip);
	tick();
	model_set(im, I_LINK, "trusted.ct", 10, 70);
	t2 = ctime_of(ip);
	CHECK(ts_after(t2, t1));
	tick();
	CHECK_EQ(xb_setxattr(ip, "trusted.ct", "x", 1, XB_XATTR_CREATE), -EEXIST);
	CHECK_EQ(xb_setxattr(ip, "trusted.no", "x", 1, XB_XATTR_REPLACE), -ENODATA);
	CHECK_EQ(xb_removexattr(ip, "trusted.no"), -ENODATA);
	t1 = ctime_of(ip);
	CHECK(!ts_after(t1, t2));
	tick();
	model_remove(im, I_LINK, "trusted.ct");
	t2 = ctime_of(ip);
	CHECK(ts_after(t2, t1));
}

/* Down to nothing and back, on the special files (trusted/security only,
 * as the VFS allows no user.* there). */
static void test_empty_and_back(struct img *im)
{
	char name[64];
	int i;

	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "%s%d", i & 1 ? "trusted.f" : "security.f", i);
		model_set(im, I_FIFO, name, 20 * i, 50 + i);
	}
	verify_backend(im, I_FIFO);
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "%s%d", i & 1 ? "trusted.f" : "security.f", i);
		model_remove(im, I_FIFO, name);
	}
	CHECK_EQ(xb_listxattr(im->ip[I_FIFO], NULL, 0), 0);
	verify_backend(im, I_FIFO);
	model_set(im, I_FIFO, "trusted.back", 100, 60);
	model_set(im, I_FIFO, "security.back", 3000, 61);
	verify_backend(im, I_FIFO);

	model_set(im, I_LINK, "trusted.link", 10, 62);
	model_set(im, I_LINK, "security.gone", 10, 63);
	model_remove(im, I_LINK, "security.gone");
	verify_backend(im, I_LINK);
}

/* The kernel, read-only, sees exactly what we wrote. */
static void kernel_oracle(struct img *im)
{
	char mnt[] = "/tmp/xfsfuse-xattr-mnt-XXXXXX", cmd[512], path[512];
	char *klist = malloc(LIST_MAX);
	unsigned char *kval = malloc(LIST_MAX);
	size_t i;
	int idx;

	if (!mkdtemp(mnt))
		exit(2);
	snprintf(cmd, sizeof(cmd), "mount -t xfs -o loop,ro %s %s", im->path, mnt);
	if (system(cmd) != 0) {
		CHECK(!"kernel mount failed");
		goto out;
	}
	for (idx = 0; idx < I_COUNT; idx++) {
		struct stat st;
		ssize_t len;

		snprintf(path, sizeof(path), "%s/%s", mnt, ipath[idx]);
		len = llistxattr(path, klist, LIST_MAX);
		CHECK_EQ(len, im->listlen[idx]);
		/* Same names, same order (the kernel's order with a big buffer). */
		if (len == im->listlen[idx] && len > 0)
			CHECK(memcmp(klist, im->list[idx], len) == 0);
		CHECK(lstat(path, &st) == 0);
		/* Attributes changed after t0 (and only then): ctime moved. */
		CHECK_EQ(st.st_ctim.tv_sec > im->t0.tv_sec ||
				 (st.st_ctim.tv_sec == im->t0.tv_sec &&
				  st.st_ctim.tv_nsec >= im->t0.tv_nsec / 1000 * 1000),
			 im->touched[idx]);
	}
	for (i = 0; i < im->nxa; i++) {
		struct xa *a = &im->xa[i];
		ssize_t len;

		snprintf(path, sizeof(path), "%s/%s", mnt, ipath[a->idx]);
		len = lgetxattr(path, a->name, kval, LIST_MAX);
		CHECK_EQ(len, a->len);
		if (len == (ssize_t) a->len)
			CHECK(memcmp(kval, a->val, a->len) == 0);
	}
	snprintf(cmd, sizeof(cmd), "umount %s", mnt);
	CHECK(system(cmd) == 0);
out:
	rmdir(mnt);
	free(klist);
	free(kval);
}

/* A read-only mount reads but refuses changes. */
static void test_readonly(struct img *im)
{
	struct xb_mount *m = th_mount(im->path, true);
	struct xb_inode *ip;
	char buf[16];

	CHECK_EQ(xb_iget(m, im->ino[I_ROOT], &ip), 0);
	CHECK_EQ(xb_getxattr(ip, "user.one", buf, sizeof(buf)), 1);
	CHECK_EQ(xb_setxattr(ip, "user.one", "x", 1, 0), -EROFS);
	CHECK_EQ(xb_removexattr(ip, "user.one"), -EROFS);
	xb_iput(ip);
	th_umount(m);
}

static void db_cmd(const char *image, const char *cmds, char *out, size_t outlen)
{
	char cmd[1024];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "xfs_db %s %s 2>&1", cmds, image);
	p = popen(cmd, "r");
	if (!p)
		exit(2);
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	pclose(p);
}

/*
 * Corrupt the da-btree root of the node-format inode (magic zeroed without
 * fixing the CRC): every operation says EUCLEAN, nothing crashes, and the
 * block is not rewritten.
 */
static void test_corrupt(struct img *im)
{
	char cmds[256], before[4096], after[4096];
	struct xb_mount *m;
	struct xb_inode *ip;
	char buf[64];

	snprintf(cmds, sizeof(cmds),
		 "-c 'inode %llu' -c 'ablock 0' -c 'print hdr.info.hdr.magic hdr.level'",
		 (unsigned long long) im->ino[I_DIR]);
	db_cmd(im->path, cmds, before, sizeof(before));
	CHECK(strstr(before, "0x3ebe") != NULL); /* XFS_DA3_NODE_MAGIC: a real da-btree */
	printf("   node fork root: %s", strchr(before, '\n') ? strchr(before, '\n') + 1 : before);
	snprintf(cmds, sizeof(cmds),
		 "-x -c 'inode %llu' -c 'ablock 0' -c 'write -d hdr.info.hdr.magic 0'",
		 (unsigned long long) im->ino[I_DIR]);
	db_cmd(im->path, cmds, before, sizeof(before));
	snprintf(cmds, sizeof(cmds), "-c 'inode %llu' -c 'ablock 0' -c 'type data' -c 'print'",
		 (unsigned long long) im->ino[I_DIR]);
	db_cmd(im->path, cmds, before, sizeof(before));

	m = th_mount(im->path, false);
	CHECK_EQ(xb_iget(m, im->ino[I_DIR], &ip), 0);
	CHECK_EQ(xb_listxattr(ip, NULL, 0), -EUCLEAN);
	CHECK_EQ(xb_listxattr(ip, buf, sizeof(buf)), -EUCLEAN);
	CHECK_EQ(xb_getxattr(ip, "user.n00000", buf, sizeof(buf)), -EUCLEAN);
	CHECK_EQ(xb_setxattr(ip, "user.n00000", "x", 1, 0), -EUCLEAN);
	CHECK_EQ(xb_setxattr(ip, "user.new", "x", 1, 0), -EUCLEAN);
	CHECK_EQ(xb_removexattr(ip, "user.n00000"), -EUCLEAN);
	xb_iput(ip);
	/* Other inodes still work, and the mount was not shut down. */
	CHECK_EQ(xb_iget(m, im->ino[I_ROOT], &ip), 0);
	CHECK_EQ(xb_setxattr(ip, "user.after", "ok", 2, 0), 0);
	xb_iput(ip);
	th_umount(m);

	db_cmd(im->path, cmds, after, sizeof(after));
	CHECK(strcmp(before, after) == 0);
}

/* mkfs with @proto, find the inodes, mount, take a reference on each. */
static void img_setup(struct img *im, unsigned int bsize, const char *proto)
{
	char opts[256];
	int idx;

	im->bsize = bsize;
	snprintf(opts, sizeof(opts), "-b size=%u -p %s", bsize, proto);
	im->path = th_mkfs(opts, 0);
	im->ino[I_ROOT] = db_ino(im->path, "", ".");
	im->ino[I_FILE] = db_ino(im->path, "", "file");
	im->ino[I_DIR] = db_ino(im->path, "", "dir");
	im->ino[I_INNER] = db_ino(im->path, "dir", "inner");
	im->ino[I_LINK] = db_ino(im->path, "", "link");
	im->ino[I_FIFO] = db_ino(im->path, "", "fifo");
	clock_gettime(CLOCK_REALTIME, &im->t0);

	im->m = th_mount(im->path, false);
	CHECK_EQ(xb_root_ino(im->m), im->ino[I_ROOT]);
	for (idx = 0; idx < I_COUNT; idx++) {
		CHECK(im->ino[idx] != 0);
		CHECK_EQ(xb_iget(im->m, im->ino[idx], &im->ip[idx]), 0);
	}
}

/* Final check of the backend's view, unmount, xfs_repair, kernel oracle. */
static void img_finish(struct img *im)
{
	int idx;

	for (idx = 0; idx < I_COUNT; idx++)
		verify_backend(im, idx);
	for (idx = 0; idx < I_COUNT; idx++)
		xb_iput(im->ip[idx]);
	th_umount(im->m);
	CHECK(th_repair_clean(im->path));
	kernel_oracle(im);
}

static void img_free(struct img *im)
{
	int idx;

	for (idx = 0; idx < I_COUNT; idx++)
		free(im->list[idx]);
	while (im->nxa)
		free(im->xa[--im->nxa].val);
	free(im->xa);
	free(im->path);
}

/*
 * The first xattr of a directory whose shortform entries (302 bytes here)
 * leave no room for the default attr fork: libxfs 6.1's mount left the
 * default attr fork offset 0, so the fork offset came out 0 and
 * xfs_attr_set crashed on a NULL attr fork (fstests generic/013).
 */
static void test_full_shortform_dir(struct img *im)
{
	struct xb_cred cr = {.uid = 0, .gid = 0};
	struct xb_inode *dir, *ip;
	char name[64], val[96], out[96];
	int i;

	CHECK_EQ(xb_create(im->ip[0], "fulldir", S_IFDIR | 0755, 0, &cr, &dir), 0);
	for (i = 0; i < 11; i++) {
		snprintf(name, sizeof(name), "entry_%02d_padding_xxxx", i);
		CHECK_EQ(xb_create(dir, name, S_IFREG | 0644, 0, &cr, &ip), 0);
		xb_iput(ip);
	}
	memset(val, 'v', sizeof(val));
	CHECK_EQ(xb_setxattr(dir, "user.x1", val, sizeof(val), 0), 0);
	CHECK_EQ(xb_getxattr(dir, "user.x1", out, sizeof(out)), (int) sizeof(out));
	CHECK(!memcmp(out, val, sizeof(val)));
	xb_iput(dir);
}

static void run(unsigned int bsize, int nnode)
{
	struct img im = {0};

	printf("== %u-byte blocks, %d attributes in the node fork\n", bsize, nnode);
	img_setup(&im, bsize, protofile);
	test_errors(&im);
	verify_backend(&im, I_FILE);
	test_shortform(&im);
	test_leaf(&im);
	test_node(&im, nnode);
	test_remote(&im);
	test_empty_and_back(&im);
	test_full_shortform_dir(&im);
	test_ctime(&im);
	img_finish(&im);
	test_readonly(&im);
	test_corrupt(&im);
	img_free(&im);
}

static unsigned long long db_sb_field(const char *image, const char *field)
{
	char out[256], cmd[128], fmt[64];
	unsigned long long n = 0;

	snprintf(cmd, sizeof(cmd), "-r -c 'sb 0' -c 'print %s'", field);
	snprintf(fmt, sizeof(fmt), "%s = %%llu", field);
	db_cmd(image, cmd, out, sizeof(out));
	if (sscanf(out, fmt, &n) != 1)
		fprintf(stderr, "xfs_db: %s\n", out);
	return n;
}

static unsigned long long db_fdblocks(const char *image)
{
	return db_sb_field(image, "fdblocks");
}

/* The reserve pool no ordinary reservation takes (xfs_default_resblks). */
static unsigned long long db_resblks(const char *image)
{
	unsigned long long r = db_sb_field(image, "dblocks") / 20;

	return r < 8192 ? r : 8192;
}

/*
 * A nearly full filesystem: a preallocated file leaves @left blocks free
 * above the reserve pool.
 * 64 KiB values go in until ENOSPC; ENOSPC must come before anything is
 * modified (no shutdown: the next call says ENOSPC again, not EIO), also for
 * an inode that has no attr fork yet; the image stays clean.
 */
static void run_enospc(unsigned int bsize, unsigned long long left)
{
	static unsigned char big[65536];
	char fullproto[200], name[256];
	struct img im = {0};
	unsigned long long free0;
	char *probe;
	int i, error = 0;

	printf("== %u-byte blocks, %llu blocks left free\n", bsize, left);
	snprintf(fullproto, sizeof(fullproto), "%s/proto-full", protodir);
	snprintf(name, sizeof(name), "-b size=%u -p %s", bsize, protofile);
	probe = th_mkfs(name, 0);
	free0 = db_fdblocks(probe);
	left += db_resblks(probe); /* @left is what ordinary reservations may take */
	unlink(probe);
	free(probe);
	CHECK(free0 > left);
	write_proto(fullproto, (free0 - left) * bsize);
	img_setup(&im, bsize, fullproto);
	CHECK_EQ(db_fdblocks(im.path), left);

	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "user.big%03d", i);
		pattern(big, sizeof(big), 300 + i);
		error = xb_setxattr(im.ip[I_ROOT], name, big, sizeof(big), 0);
		if (error)
			break;
		model_record(&im, I_ROOT, name, sizeof(big), 300 + i);
	}
	printf("   %d values of 64 KiB went in, then: %s\n", i, strerror(-error));
	CHECK(i > 0);
	CHECK_EQ(error, -ENOSPC);
	CHECK_EQ(xb_setxattr(im.ip[I_ROOT], name, big, sizeof(big), 0), -ENOSPC);
	CHECK_EQ(xb_getxattr(im.ip[I_ROOT], name, NULL, 0), -ENODATA);
	CHECK_EQ(xb_setxattr(im.ip[I_FIFO], "trusted.big", big, sizeof(big), 0), -ENOSPC);
	CHECK_EQ(xb_getxattr(im.ip[I_FIFO], "trusted.big", NULL, 0), -ENODATA);
	CHECK_EQ(xb_listxattr(im.ip[I_FIFO], NULL, 0), 0);
	img_finish(&im);
	img_free(&im);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	make_proto();
	run(4096, 2500);
	run(1024, 4000);
	run_enospc(4096, 600);
	run_enospc(1024, 1500);
	remove_proto();
	return th_done("test_xattr");
}
