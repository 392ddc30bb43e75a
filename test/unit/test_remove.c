// SPDX-License-Identifier: GPL-2.0
/*
 * link, unlink, rmdir, rename (plain, NOREPLACE, EXCHANGE, WHITEOUT), the AGI unlinked
 * list of open-but-unlinked inodes, and freeing inodes of every shape
 * (xb_inactive), including whole inode chunks.  Oracles: xfs_repair -n, the
 * AGI and inodes as xfs_db prints them, and the kernel's XFS mounting the
 * image read-only.
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static const struct xb_cred root_cred = {.uid = 0, .gid = 0};

static struct xb_inode *mk(struct xb_inode *dir, const char *name, uint32_t mode)
{
	struct xb_inode *ip = NULL;
	int error = xb_create(dir, name, mode, 0, &root_cred, &ip);

	CHECK_EQ(error, 0);
	if (error) {
		fprintf(stderr, "create %s: %s\n", name, strerror(-error));
		exit(2);
	}
	return ip;
}

static void mk_put(struct xb_inode *dir, const char *name, uint32_t mode)
{
	xb_iput(mk(dir, name, mode));
}

static uint64_t ino_of(struct xb_inode *dir, const char *name)
{
	struct xb_inode *ip;
	uint64_t ino;

	if (xb_lookup(dir, name, &ip))
		return 0;
	ino = xb_ino(ip);
	xb_iput(ip);
	return ino;
}

static struct xb_stat st_of(struct xb_inode *ip)
{
	struct xb_stat st;

	memset(&st, 0, sizeof(st));
	CHECK_EQ(xb_getattr(ip, &st), 0);
	return st;
}

static uint32_t nlink_of(struct xb_inode *ip)
{
	return st_of(ip).nlink;
}

static int lookup_err(struct xb_inode *dir, const char *name)
{
	struct xb_inode *ip;
	int error = xb_lookup(dir, name, &ip);

	if (!error)
		xb_iput(ip);
	return error;
}

/* Run a command and return the first number of its output (or -1). */
static long long sh_num(const char *fmt, ...)
{
	char cmd[2048];
	long long v = -1;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fscanf(p, "%lld", &v) != 1)
		v = -1;
	pclose(p);
	return v;
}

static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* A number xfs_db prints as "0x83 (131)" or "131". */
static long long db_convert(const char *img, uint64_t ino, const char *to)
{
	return sh_num("xfs_db -r -c 'convert inode %llu %s' %s | sed 's/.*(\\(.*\\)).*/\\1/'",
		      (unsigned long long) ino, to, img);
}

/*
 * The head of the AGI unlinked bucket that inode @ino hashes to, as an AG
 * inode number (-1 for null), and the inode's own AG inode number.
 */
static long long agi_bucket(const char *img, uint64_t ino)
{
	long long agno = db_convert(img, ino, "agno"), agino = db_convert(img, ino, "agino");

	return sh_num("xfs_db -r -c 'agi %lld' -c 'print unlinked[%lld]' %s | "
		      "sed -n 's/.*= *\\([0-9][0-9]*\\).*/\\1/p; s/.*= *null.*/-1/p; "
		      "s/.*= *$/-1/p'",
		      agno, agino % 64, img);
}

static long long dinode_field(const char *img, uint64_t ino, const char *field)
{
	return sh_num("xfs_db -r -c 'inode %llu' -c 'print %s' %s | "
		      "sed -n 's/.*= *\\(0*[0-9][0-9]*\\).*/\\1/p; s/.*= *null.*/-1/p'",
		      (unsigned long long) ino, field, img);
}

static long long sb_field(const char *img, const char *field)
{
	return sh_num("xfs_db -r -c 'sb 0' -c 'print %s' %s | sed 's/.*= //'", field, img);
}

/* Which AGI bucket an inode hashes to (agino % 64). */
static long long bucket_of(const char *img, uint64_t ino)
{
	long long agno = db_convert(img, ino, "agno");

	return agno * 64 + db_convert(img, ino, "agino") % 64;
}

static void fill(struct xb_inode *ip, uint64_t off, size_t len, int c)
{
	char *buf = malloc(len);

	memset(buf, c, len);
	CHECK_EQ(xb_write(ip, buf, len, off), (long long) len);
	free(buf);
}

/* ---- freeing inodes of every shape ---- */

static void make_shapes(struct xb_inode *root, unsigned int bs)
{
	struct xb_inode *ip, *d;
	char name[64], val[5000];
	int i;

	mk_put(root, "empty", S_IFREG | 0644);
	ip = mk(root, "small", S_IFREG | 0644);
	fill(ip, 0, 100, 's');
	xb_iput(ip);
	/* Sparse, many extents: one block every third block. */
	ip = mk(root, "sparse", S_IFREG | 0644);
	for (i = 0; i < 40; i++)
		fill(ip, (uint64_t) i * 3 * bs, bs, 'a' + i % 26);
	xb_iput(ip);
	/* Attributes: shortform would do, so many and a remote value (leaf form). */
	ip = mk(root, "xattrs", S_IFREG | 0644);
	memset(val, 'v', sizeof(val));
	for (i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "user.attribute_number_%d", i);
		CHECK_EQ(xb_setxattr(ip, name, val, 40, 0), 0);
	}
	CHECK_EQ(xb_setxattr(ip, "user.remote", val, sizeof(val), 0), 0);
	fill(ip, 0, 3 * bs, 'x');
	xb_iput(ip);
	CHECK_EQ(xb_symlink(root, "sym_inline", "short/target", &root_cred, &ip), 0);
	xb_iput(ip);
	memset(val, 'L', 1000);
	val[1000] = '\0';
	CHECK_EQ(xb_symlink(root, "sym_remote", val, &root_cred, &ip), 0);
	xb_iput(ip);
	mk_put(root, "dir", S_IFDIR | 0755);
	/* A directory big enough for leaf/node form, emptied again before rmdir. */
	d = mk(root, "bigdir", S_IFDIR | 0755);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "a_rather_long_file_name_%04d", i);
		mk_put(d, name, S_IFREG | 0600);
	}
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "a_rather_long_file_name_%04d", i);
		CHECK_EQ(xb_unlink(d, name), 0);
	}
	xb_iput(d);
}

static void test_shapes(unsigned int bs)
{
	static const char *const files[] = {"empty",  "small",	    "sparse",
					    "xattrs", "sym_inline", "sym_remote"};
	char opts[64], *img;
	struct xb_mount *m;
	struct xb_inode *root;
	struct statvfs before, after;
	long long icount0;
	unsigned int i;

	snprintf(opts, sizeof(opts), "-b size=%u", bs);
	img = th_mkfs(opts, 0);
	icount0 = sb_field(img, "icount");
	m = th_mount(img, false);
	CHECK_EQ(xb_iget(m, xb_root_ino(m), &root), 0);
	CHECK_EQ(xb_statfs(m, &before), 0);
	make_shapes(root, bs);
	/* The shapes are what they claim to be (on disk, after a sync). */
	CHECK_EQ(xb_sync(m), 0);
	CHECK(dinode_field(img, ino_of(root, "sparse"), "core.nextents") >= 40);
	CHECK_EQ(dinode_field(img, ino_of(root, "xattrs"), "core.aformat"), 2);
	CHECK_EQ(dinode_field(img, ino_of(root, "sym_remote"), "core.format"), 2);
	CHECK_EQ(dinode_field(img, ino_of(root, "sym_inline"), "core.format"), 1);
	CHECK(dinode_field(img, ino_of(root, "bigdir"), "core.size") > 0);

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		CHECK_EQ(xb_unlink(root, files[i]), 0);
		CHECK_EQ(lookup_err(root, files[i]), -ENOENT);
	}
	CHECK_EQ(xb_rmdir(root, "dir"), 0);
	CHECK_EQ(xb_rmdir(root, "bigdir"), 0);
	CHECK_EQ(lookup_err(root, "bigdir"), -ENOENT);
	CHECK_EQ(nlink_of(root), 2);
	/* Every block came back: data, attr, symlink, directory, inode chunks. */
	CHECK_EQ(xb_statfs(m, &after), 0);
	CHECK_EQ(after.f_bfree, before.f_bfree);
	xb_iput(root);
	th_umount(m);
	CHECK_EQ(sb_field(img, "icount"), icount0);
	CHECK(th_repair_clean(img));
	free(img);
}

/* ---- whole inode chunks freed, inobt and finobt consistent ---- */

static void test_free_chunks(const char *opts)
{
	char *img = th_mkfs(opts, 0), name[32];
	long long icount0 = sb_field(img, "icount");
	struct xb_mount *m = th_mount(img, false);
	struct xb_inode *root, *d;
	int i;

	CHECK_EQ(xb_iget(m, xb_root_ino(m), &root), 0);
	d = mk(root, "many", S_IFDIR | 0755);
	for (i = 0; i < 400; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		mk_put(d, name, S_IFREG | 0644);
	}
	xb_sync(m);
	CHECK(sb_field(img, "icount") >= icount0 + 320);
	/* Every other file first (partial chunks), then the rest (whole chunks). */
	for (i = 0; i < 400; i += 2) {
		snprintf(name, sizeof(name), "f%d", i);
		CHECK_EQ(xb_unlink(d, name), 0);
	}
	xb_sync(m);
	CHECK(sb_field(img, "ifree") >= 200);
	for (i = 1; i < 400; i += 2) {
		snprintf(name, sizeof(name), "f%d", i);
		CHECK_EQ(xb_unlink(d, name), 0);
	}
	xb_iput(d);
	CHECK_EQ(xb_rmdir(root, "many"), 0);
	xb_iput(root);
	th_umount(m);
	CHECK_EQ(sb_field(img, "icount"), icount0);
	CHECK(th_repair_clean(img));
	free(img);
}

/* ---- open-but-unlinked inodes and the AGI unlinked list ---- */

/*
 * Three held inodes of one bucket, unlinked c0, c1, c2 (chain c2 -> c1 -> c0):
 * release the middle one, then the head (with a successor), then the last.
 */
static void test_bucket_chain(const char *img, struct xb_mount *m, struct xb_inode *root,
			      const uint64_t *inos, int n)
{
	struct xb_inode *c[3];
	char name[3][32];
	int idx[3], k = 0, i;

	for (i = 0; i < n && k < 3; i++) {
		snprintf(name[0], sizeof(name[0]), "b%d", i);
		if (ino_of(root, name[0]) != inos[i])
			continue; /* used by the two-inode case */
		if (k && (inos[i] % 64 != inos[idx[0]] % 64 ||
			  bucket_of(img, inos[i]) != bucket_of(img, inos[idx[0]])))
			continue;
		idx[k++] = i;
	}
	CHECK_EQ(k, 3);
	if (k < 3)
		return;
	for (k = 0; k < 3; k++) {
		snprintf(name[k], sizeof(name[k]), "b%d", idx[k]);
		if (xb_lookup(root, name[k], &c[k])) {
			CHECK(0);
			return;
		}
		CHECK_EQ(xb_unlink(root, name[k]), 0);
	}
	CHECK_EQ(xb_sync(m), 0);
	CHECK_EQ(agi_bucket(img, inos[idx[0]]), db_convert(img, inos[idx[2]], "agino"));
	CHECK_EQ(dinode_field(img, inos[idx[2]], "next_unlinked"),
		 db_convert(img, inos[idx[1]], "agino"));
	xb_iput(c[1]);
	CHECK_EQ(xb_sync(m), 0);
	CHECK_EQ(dinode_field(img, inos[idx[2]], "next_unlinked"),
		 db_convert(img, inos[idx[0]], "agino"));
	CHECK_EQ(dinode_field(img, inos[idx[1]], "core.mode"), 0);
	xb_iput(c[2]);
	CHECK_EQ(xb_sync(m), 0);
	CHECK_EQ(agi_bucket(img, inos[idx[0]]), db_convert(img, inos[idx[0]], "agino"));
	xb_iput(c[0]);
	CHECK_EQ(xb_sync(m), 0);
	CHECK_EQ(agi_bucket(img, inos[idx[0]]), -1);
	for (k = 0; k < 3; k++)
		CHECK_EQ(dinode_field(img, inos[idx[k]], "core.mode"), 0);
}

static void test_open_unlinked(void)
{
	char *img = th_mkfs("", 0), name[32], buf[16], crash[600];
	struct xb_mount *m = th_mount(img, false);
	struct xb_inode *root, *held, *a = NULL, *b = NULL, *tmp;
	uint64_t ino, inos[200];
	struct xb_stat st;
	int i, j, ia = -1, ib = -1;

	CHECK_EQ(xb_iget(m, xb_root_ino(m), &root), 0);
	held = mk(root, "held", S_IFREG | 0644);
	ino = xb_ino(held);
	fill(held, 0, 5000, 'h');
	CHECK_EQ(xb_setxattr(held, "user.k", "value", 5, 0), 0);
	CHECK_EQ(xb_unlink(root, "held"), 0);
	CHECK_EQ(lookup_err(root, "held"), -ENOENT);
	st = st_of(held);
	CHECK_EQ(st.nlink, 0);
	CHECK_EQ(st.size, 5000);
	CHECK_EQ(xb_read(held, buf, sizeof(buf), 4000), (long long) sizeof(buf));
	CHECK(buf[0] == 'h' && buf[15] == 'h');
	CHECK_EQ(xb_getxattr(held, "user.k", buf, sizeof(buf)), 5);
	CHECK_EQ(xb_sync(m), 0);
	CHECK_EQ(agi_bucket(img, ino), db_convert(img, ino, "agino"));
	CHECK_EQ(dinode_field(img, ino, "core.nlinkv2"), 0);
	/* A crash now: repair must recover the inode from the unlinked list. */
	snprintf(crash, sizeof(crash), "%s.crash", img);
	CHECK_EQ(sh("cp --sparse=always %s %s", img, crash), 0);

	xb_iput(held);
	CHECK_EQ(xb_sync(m), 0);
	CHECK_EQ(agi_bucket(img, ino), -1);
	CHECK_EQ(dinode_field(img, ino, "core.mode"), 0);
	CHECK_EQ(dinode_field(img, ino, "core.gen"), (long long) (uint32_t) (st.generation + 1));
	CHECK_EQ(xb_iget(m, ino, &tmp), -ESTALE);

	/* Two inodes in one bucket: the deeper one leaves first (predecessor walk). */
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "b%d", i);
		tmp = mk(root, name, S_IFREG | 0644);
		inos[i] = xb_ino(tmp);
		xb_iput(tmp);
	}
	for (i = 0; i < 200 && ia < 0; i++)
		for (j = i + 1; j < 200; j++)
			if (inos[i] % 64 == inos[j] % 64 &&
			    bucket_of(img, inos[i]) == bucket_of(img, inos[j])) {
				ia = i;
				ib = j;
				break;
			}
	CHECK(ia >= 0);
	if (ia >= 0) {
		char na[32], nb[32];

		snprintf(na, sizeof(na), "b%d", ia);
		snprintf(nb, sizeof(nb), "b%d", ib);
		CHECK_EQ(xb_lookup(root, na, &a), 0);
		CHECK_EQ(xb_lookup(root, nb, &b), 0);
		CHECK_EQ(xb_unlink(root, na), 0); /* a: head */
		CHECK_EQ(xb_unlink(root, nb), 0); /* b: head, a behind it */
		CHECK_EQ(xb_sync(m), 0);
		CHECK_EQ(agi_bucket(img, inos[ia]), db_convert(img, inos[ib], "agino"));
		CHECK_EQ(dinode_field(img, inos[ib], "next_unlinked"),
			 db_convert(img, inos[ia], "agino"));
		xb_iput(a); /* b's next_unlinked must become null */
		CHECK_EQ(xb_sync(m), 0);
		CHECK_EQ(agi_bucket(img, inos[ia]), db_convert(img, inos[ib], "agino"));
		CHECK_EQ(dinode_field(img, inos[ib], "next_unlinked"), -1);
		/* link() takes an unlinked inode off the list (O_TMPFILE linkat). */
		CHECK_EQ(xb_link(b, root, "relinked"), 0);
		CHECK_EQ(nlink_of(b), 1);
		xb_iput(b);
		CHECK_EQ(xb_sync(m), 0);
		CHECK_EQ(agi_bucket(img, inos[ia]), -1);
		CHECK_EQ(ino_of(root, "relinked"), inos[ib]);
	}
	test_bucket_chain(img, m, root, inos, 200);
	xb_iput(root);
	th_umount(m);
	CHECK(th_repair_clean(img));

	/*
	 * The crash copy: its log holds the checkpoint of xb_sync.  repair -n
	 * refuses the dirty log; xfsfuse's recovery replays it and then frees
	 * the inode left on the unlinked list, as the kernel's log recovery
	 * does (xlog_recover_process_iunlinks): clean, bucket empty, inode gone.
	 */
	CHECK(sh("xfs_repair -n %s >/dev/null 2>&1", crash) != 0);
	{
		uint64_t nbufs = 0;
		char why[512];

		CHECK_EQ(xb_recover(crash, true, &nbufs, why, sizeof(why)), 0);
		CHECK(nbufs > 0);
	}
	CHECK(th_repair_clean(crash));
	CHECK_EQ(agi_bucket(crash, ino), -1);
	CHECK_EQ(dinode_field(crash, ino, "core.mode"), 0);
	free(img);
}

/* ---- O_TMPFILE (xb_tmpfile: the kernel's xfs_create_tmpfile) ---- */

static void test_tmpfile(void)
{
	char *img = th_mkfs("", 0);
	struct xb_mount *m = th_mount(img, false);
	struct xb_cred user = {.uid = 1000, .gid = 1000, .umask = 022};
	struct xb_inode *root, *t, *u, *f;
	struct xb_stat st, rst0, rst1;
	uint64_t tino, uino;

	CHECK_EQ(xb_iget(m, xb_root_ino(m), &root), 0);
	CHECK_EQ(xb_getattr(root, &rst0), 0);
	CHECK_EQ(xb_tmpfile(root, S_IFREG | 0666, &user, &t), 0);
	tino = xb_ino(t);
	st = st_of(t);
	CHECK_EQ(st.nlink, 0);
	CHECK_EQ(st.mode, S_IFREG | 0644); /* the umask applies (no default ACL) */
	CHECK_EQ(st.uid, 1000);
	fill(t, 0, 5000, 't');
	/* No name: the directory is untouched. */
	CHECK_EQ(xb_getattr(root, &rst1), 0);
	CHECK_EQ(rst1.nlink, rst0.nlink);
	CHECK_EQ(rst1.size, rst0.size);
	CHECK_EQ(rst1.mtime.tv_sec, rst0.mtime.tv_sec);
	CHECK_EQ(rst1.mtime.tv_nsec, rst0.mtime.tv_nsec);
	/* On its AGI unlinked bucket from the creating transaction on. */
	CHECK_EQ(xb_sync(m), 0);
	CHECK_EQ(agi_bucket(img, tino), db_convert(img, tino, "agino"));
	CHECK_EQ(dinode_field(img, tino, "core.nlinkv2"), 0);
	/* linkat names it and takes it off the list. */
	CHECK_EQ(xb_link(t, root, "named"), 0);
	CHECK_EQ(nlink_of(t), 1);
	CHECK_EQ(ino_of(root, "named"), tino);
	xb_iput(t);
	CHECK_EQ(xb_sync(m), 0);
	CHECK_EQ(agi_bucket(img, tino), -1);
	CHECK_EQ(dinode_field(img, tino, "core.nlinkv2"), 1);
	CHECK_EQ(st_of(root).nlink, rst0.nlink);

	/* Never named: its last reference frees it, data and all. */
	CHECK_EQ(xb_tmpfile(root, S_IFREG | 0600, &root_cred, &u), 0);
	uino = xb_ino(u);
	fill(u, 0, 100000, 'u');
	xb_iput(u);
	CHECK_EQ(xb_sync(m), 0);
	CHECK_EQ(agi_bucket(img, uino), -1);
	CHECK_EQ(dinode_field(img, uino, "core.mode"), 0);
	CHECK_EQ(xb_iget(m, uino, &u), -ESTALE);

	/* Regular files only (vfs_tmpfile), in directories only. */
	CHECK_EQ(xb_tmpfile(root, S_IFDIR | 0755, &root_cred, &u), -EINVAL);
	f = mk(root, "file", S_IFREG | 0644);
	CHECK_EQ(xb_tmpfile(f, S_IFREG | 0644, &root_cred, &u), -ENOTDIR);
	xb_iput(f);
	xb_iput(root);
	th_umount(m);
	CHECK(th_repair_clean(img));
	free(img);
}

/* ---- errors and link counts ---- */

static void test_errors(void)
{
	char *img = th_mkfs("", 0), big[300];
	struct xb_mount *m = th_mount(img, false);
	struct xb_inode *root, *f, *d, *sub;

	CHECK_EQ(xb_iget(m, xb_root_ino(m), &root), 0);
	f = mk(root, "file", S_IFREG | 0644);
	d = mk(root, "dir", S_IFDIR | 0755);
	sub = mk(d, "sub", S_IFDIR | 0755);
	CHECK_EQ(nlink_of(d), 3);
	CHECK_EQ(nlink_of(root), 3);

	CHECK_EQ(xb_unlink(root, "nope"), -ENOENT);
	CHECK_EQ(xb_rmdir(root, "nope"), -ENOENT);
	CHECK_EQ(xb_unlink(root, "dir"), -EISDIR);
	CHECK_EQ(xb_rmdir(root, "file"), -ENOTDIR);
	CHECK_EQ(xb_rmdir(root, "dir"), -ENOTEMPTY);
	CHECK_EQ(xb_unlink(f, "x"), -ENOTDIR);
	CHECK_EQ(xb_link(f, root, "dir"), -EEXIST);
	CHECK_EQ(xb_link(d, root, "dirlink"), -EPERM);
	memset(big, 'n', 299);
	big[299] = '\0';
	CHECK_EQ(xb_link(f, root, big), -ENAMETOOLONG);
	CHECK_EQ(xb_rename(root, "nope", root, "x", 0), -ENOENT);

	/* Hard links: counts, ctime, and the last name freeing the inode. */
	CHECK_EQ(xb_link(f, root, "link1"), 0);
	CHECK_EQ(xb_link(f, d, "link2"), 0);
	CHECK_EQ(nlink_of(f), 3);
	CHECK_EQ(ino_of(d, "link2"), xb_ino(f));
	CHECK_EQ(xb_unlink(root, "file"), 0);
	CHECK_EQ(xb_unlink(d, "link2"), 0);
	CHECK_EQ(nlink_of(f), 1);
	CHECK_EQ(ino_of(root, "link1"), xb_ino(f));
	xb_iput(f);

	/* rmdir: the parent loses the child's "..". */
	xb_iput(sub);
	CHECK_EQ(xb_rmdir(d, "sub"), 0);
	CHECK_EQ(nlink_of(d), 2);
	CHECK_EQ(xb_rmdir(root, "dir"), 0);
	CHECK_EQ(nlink_of(root), 2);
	/* A removed directory held open takes no new names. */
	f = mk(root, "late", S_IFREG | 0644);
	CHECK_EQ(xb_link(f, d, "late"), -ENOENT);
	CHECK_EQ(xb_rename(root, "late", d, "late", 0), -ENOENT);
	xb_iput(f);
	xb_iput(d);
	xb_iput(root);
	th_umount(m);
	CHECK(th_repair_clean(img));

	/* EMLINK: an inode already at XFS_MAXLINK (set with xfs_db). */
	m = th_mount(img, false);
	CHECK_EQ(xb_iget(m, xb_root_ino(m), &root), 0);
	f = mk(root, "maxed", S_IFREG | 0644);
	{
		uint64_t ino = xb_ino(f);

		xb_iput(f);
		xb_iput(root);
		th_umount(m);
		CHECK_EQ(sh("xfs_db -x -c 'inode %llu' -c 'write core.nlinkv2 2147483647' %s "
			    ">/dev/null",
			    (unsigned long long) ino, img),
			 0);
		m = th_mount(img, false);
		CHECK_EQ(xb_iget(m, xb_root_ino(m), &root), 0);
		CHECK_EQ(xb_iget(m, ino, &f), 0);
		CHECK_EQ(xb_link(f, root, "one_more"), -EMLINK);
		CHECK_EQ(lookup_err(root, "one_more"), -ENOENT);
		xb_iput(f);
		xb_iput(root);
		th_umount(m);
	}
	free(img);
}

/* ---- rename ---- */

static void test_rename(void)
{
	char *img = th_mkfs("", 0), mnt[700];
	struct xb_mount *m = th_mount(img, false);
	struct xb_inode *root, *a, *b, *f, *g, *d, *e, *t;
	uint64_t fino, dino, eino, tino, gino;
	struct xb_stat s0, s1;

	CHECK_EQ(xb_iget(m, xb_root_ino(m), &root), 0);
	a = mk(root, "A", S_IFDIR | 0755);
	b = mk(root, "B", S_IFDIR | 0755);
	f = mk(a, "f", S_IFREG | 0644);
	fino = xb_ino(f);
	fill(f, 0, 10, 'f');
	d = mk(a, "d", S_IFDIR | 0755);
	dino = xb_ino(d);
	mk_put(d, "inner", S_IFREG | 0644);

	/* Same directory. */
	s0 = st_of(a);
	usleep(20000);
	CHECK_EQ(xb_rename(a, "f", a, "f2", 0), 0);
	CHECK_EQ(lookup_err(a, "f"), -ENOENT);
	CHECK_EQ(ino_of(a, "f2"), fino);
	s1 = st_of(a);
	CHECK(s1.mtime.tv_sec > s0.mtime.tv_sec ||
	      (s1.mtime.tv_sec == s0.mtime.tv_sec && s1.mtime.tv_nsec > s0.mtime.tv_nsec));
	CHECK_EQ(s1.nlink, 3);
	/* Across directories. */
	CHECK_EQ(xb_rename(a, "f2", b, "f", 0), 0);
	CHECK_EQ(ino_of(b, "f"), fino);
	CHECK_EQ(lookup_err(a, "f2"), -ENOENT);
	/* A directory across directories: "..", and both parents' link counts. */
	CHECK_EQ(xb_rename(a, "d", b, "d", 0), 0);
	CHECK_EQ(ino_of(d, ".."), xb_ino(b));
	CHECK_EQ(nlink_of(a), 2);
	CHECK_EQ(nlink_of(b), 3);
	CHECK_EQ(ino_of(b, "d"), dino);
	/* NOREPLACE. */
	mk_put(b, "other", S_IFREG | 0644);
	CHECK_EQ(xb_rename(b, "f", b, "other", XB_RENAME_NOREPLACE), -EEXIST);
	CHECK_EQ(ino_of(b, "f"), fino);
	CHECK_EQ(xb_rename(b, "f", b, "fresh", XB_RENAME_NOREPLACE), 0);
	CHECK_EQ(xb_rename(b, "fresh", b, "f", XB_RENAME_NOREPLACE), 0);
	/* Type rules of a replacing rename. */
	e = mk(a, "e", S_IFDIR | 0755);
	eino = xb_ino(e);
	CHECK_EQ(xb_rename(b, "f", a, "e", 0), -EISDIR);
	CHECK_EQ(xb_rename(a, "e", b, "f", 0), -ENOTDIR);
	CHECK_EQ(xb_rename(a, "e", b, "d", 0), -EEXIST); /* as xfs_rename */
	CHECK_EQ(xb_rename(a, "x", b, "f", XB_RENAME_EXCHANGE), -ENOENT);
	CHECK_EQ(xb_rename(a, "e", b, "nothere", XB_RENAME_EXCHANGE), -ENOENT);
	CHECK_EQ(xb_rename(a, "e", b, "d", XB_RENAME_EXCHANGE | XB_RENAME_NOREPLACE), -EINVAL);

	/* EXCHANGE a file in B with a directory in A. */
	CHECK_EQ(nlink_of(a), 3);
	CHECK_EQ(nlink_of(b), 3);
	CHECK_EQ(xb_rename(b, "f", a, "e", XB_RENAME_EXCHANGE), 0);
	CHECK_EQ(ino_of(b, "f"), eino);
	CHECK_EQ(ino_of(a, "e"), fino);
	CHECK_EQ(ino_of(e, ".."), xb_ino(b));
	CHECK_EQ(nlink_of(a), 2);
	CHECK_EQ(nlink_of(b), 4);
	CHECK_EQ(nlink_of(f), 1);
	CHECK_EQ(nlink_of(e), 2);
	/* ... and back, directory <-> directory in one parent is a plain swap. */
	CHECK_EQ(xb_rename(a, "e", b, "f", XB_RENAME_EXCHANGE), 0);
	CHECK_EQ(ino_of(a, "e"), eino);
	CHECK_EQ(ino_of(e, ".."), xb_ino(a));
	CHECK_EQ(nlink_of(a), 3);
	CHECK_EQ(nlink_of(b), 3);

	/* Replace a file: the target's inode is freed (nobody holds it). */
	t = mk(b, "victim", S_IFREG | 0644);
	tino = xb_ino(t);
	fill(t, 0, 8192, 'v');
	xb_iput(t);
	CHECK_EQ(xb_rename(b, "other", b, "victim", 0), 0);
	CHECK_EQ(lookup_err(b, "other"), -ENOENT);
	CHECK(ino_of(b, "victim") != tino);
	CHECK_EQ(xb_iget(m, tino, &t), -ESTALE);
	/* Replace a file that is still open: on the unlinked list until released. */
	g = mk(b, "held", S_IFREG | 0644);
	gino = xb_ino(g);
	CHECK_EQ(xb_rename(b, "victim", b, "held", 0), 0);
	CHECK_EQ(nlink_of(g), 0);
	CHECK_EQ(xb_sync(m), 0);
	CHECK_EQ(agi_bucket(img, gino), db_convert(img, gino, "agino"));
	xb_iput(g);
	/* Replace an empty directory with a directory from another parent. */
	mk_put(b, "emptydir", S_IFDIR | 0755);
	CHECK_EQ(nlink_of(b), 4);
	CHECK_EQ(xb_rename(a, "e", b, "emptydir", 0), 0);
	CHECK_EQ(ino_of(b, "emptydir"), eino);
	CHECK_EQ(ino_of(e, ".."), xb_ino(b));
	CHECK_EQ(nlink_of(a), 2);
	CHECK_EQ(nlink_of(b), 4);
	/* Onto a hard link of the same inode: nothing happens. */
	CHECK_EQ(xb_link(f, b, "hard"), 0);
	CHECK_EQ(xb_rename(b, "f", b, "hard", 0), 0);
	CHECK_EQ(ino_of(b, "f"), fino);
	CHECK_EQ(ino_of(b, "hard"), fino);
	CHECK_EQ(nlink_of(f), 2);

	xb_iput(e);
	xb_iput(d);
	xb_iput(f);
	xb_iput(a);
	xb_iput(b);
	xb_iput(root);
	th_umount(m);
	CHECK_EQ(agi_bucket(img, gino), -1);
	CHECK(th_repair_clean(img));

	/* The kernel sees the same tree. */
	snprintf(mnt, sizeof(mnt), "%s.mnt", img);
	if (sh("mkdir -p %s && mount -o loop,ro %s %s 2>/dev/null", mnt, img, mnt) == 0) {
		CHECK_EQ(sh("cd %s && test \"$(find . | sort | tr '\\n' ' ')\" = "
			    "'. ./A ./B ./B/d ./B/d/inner ./B/emptydir ./B/f ./B/hard ./B/held '",
			    mnt),
			 0);
		CHECK_EQ(sh_num("stat -c %%h %s/B", mnt), 4);
		CHECK_EQ(sh_num("stat -c %%h %s/B/f", mnt), 2);
		CHECK_EQ(sh_num("stat -c %%i %s/B/emptydir/..", mnt),
			 sh_num("stat -c %%i %s/B", mnt));
		CHECK_EQ(sh_num("stat -c %%s %s/B/f", mnt), 10);
		CHECK_EQ(sh("umount %s", mnt), 0);
	} else {
		fprintf(stderr, "test_remove: no loop mount, kernel oracle skipped\n");
	}
	free(img);
}

/* ---- RENAME_WHITEOUT ---- */

/* The file type readdir reports for @name in @dir (DT_UNKNOWN if absent). */
struct dtype_find {
	const char *name;
	unsigned int dtype;
};

static int dtype_fill(void *ctx, const char *name, size_t namelen, uint64_t ino, unsigned int dtype,
		      uint64_t next)
{
	struct dtype_find *f = ctx;

	(void) ino;
	(void) next;
	if (namelen == strlen(f->name) && !memcmp(name, f->name, namelen))
		f->dtype = dtype;
	return 0;
}

static unsigned int dtype_of(struct xb_inode *dir, const char *name)
{
	struct dtype_find f = {.name = name, .dtype = DT_UNKNOWN};

	CHECK_EQ(xb_readdir(dir, 0, dtype_fill, &f), 0);
	return f.dtype;
}

/* Inodes in use (sb_icount - sb_ifree), whatever chunks came and went. */
static unsigned long long inodes_used(struct xb_mount *m)
{
	struct statvfs sv;

	CHECK_EQ(xb_statfs(m, &sv), 0);
	return (unsigned long long) (sv.f_files - sv.f_ffree);
}

/* @name in @dir is a whiteout: a character device 0:0, mode 0, one link. */
static uint64_t check_whiteout(struct xb_inode *dir, const char *name, uint32_t uid)
{
	struct xb_inode *w;
	struct xb_stat st;
	uint64_t ino;

	if (xb_lookup(dir, name, &w)) {
		CHECK(0);
		return 0;
	}
	st = st_of(w);
	CHECK_EQ(st.mode, S_IFCHR);
	CHECK_EQ(st.rdev, 0);
	CHECK_EQ(st.nlink, 1);
	CHECK_EQ(st.uid, uid);
	CHECK_EQ(st.size, 0);
	CHECK_EQ(dtype_of(dir, name), DT_CHR);
	ino = xb_ino(w);
	xb_iput(w);
	return ino;
}

static void test_whiteout(void)
{
	char *img = th_mkfs("", 0), mnt[700];
	struct xb_mount *m = th_mount(img, false);
	struct xb_cred user = {.uid = 1000, .gid = 1000, .umask = 077};
	struct xb_inode *root, *a, *b, *f, *d, *full, *t;
	uint64_t fino, dino, wino, w2ino, tino;
	unsigned long long used;
	struct xb_stat s0;

	CHECK_EQ(xb_iget(m, xb_root_ino(m), &root), 0);
	a = mk(root, "A", S_IFDIR | 0755);
	b = mk(root, "B", S_IFDIR | 0755);
	f = mk(a, "f", S_IFREG | 0644);
	fino = xb_ino(f);
	fill(f, 0, 10, 'f');

	/* Across directories: the source moves, a whiteout takes its name. */
	s0 = st_of(a);
	CHECK_EQ(xb_rename2(a, "f", b, "g", XB_RENAME_WHITEOUT, &user), 0);
	CHECK_EQ(ino_of(b, "g"), fino);
	CHECK_EQ(nlink_of(f), 1);
	wino = check_whiteout(a, "f", 1000);
	CHECK(wino != 0 && wino != fino);
	CHECK_EQ(st_of(a).nlink, s0.nlink);
	/* Linked in the rename's transaction: off the unlinked list, nlink 1. */
	CHECK_EQ(xb_sync(m), 0);
	CHECK_EQ(agi_bucket(img, wino), -1);
	CHECK_EQ(dinode_field(img, wino, "core.nlinkv2"), 1);
	CHECK_EQ(dinode_field(img, wino, "core.mode"), 20000); /* xfs_db: octal */

	/* Over an existing target, which is freed (nobody holds it). */
	t = mk(b, "victim", S_IFREG | 0644);
	tino = xb_ino(t);
	xb_iput(t);
	CHECK_EQ(xb_rename2(b, "g", b, "victim", XB_RENAME_WHITEOUT, &root_cred), 0);
	CHECK_EQ(ino_of(b, "victim"), fino);
	w2ino = check_whiteout(b, "g", 0);
	CHECK_EQ(xb_iget(m, tino, &t), -ESTALE);

	/* NOREPLACE | WHITEOUT: EEXIST before any whiteout is made. */
	used = inodes_used(m);
	CHECK_EQ(xb_rename2(b, "victim", b, "g", XB_RENAME_NOREPLACE | XB_RENAME_WHITEOUT, &user),
		 -EEXIST);
	CHECK_EQ(inodes_used(m), used);
	CHECK_EQ(ino_of(b, "g"), w2ino);
	CHECK_EQ(
		xb_rename2(b, "victim", a, "back", XB_RENAME_NOREPLACE | XB_RENAME_WHITEOUT, &user),
		0);
	CHECK_EQ(ino_of(a, "back"), fino);
	check_whiteout(b, "victim", 1000);
	CHECK_EQ(inodes_used(m), used + 1);

	/* The flag rules of renameat2. */
	CHECK_EQ(xb_rename2(a, "back", b, "g", XB_RENAME_EXCHANGE | XB_RENAME_WHITEOUT, &user),
		 -EINVAL);
	CHECK_EQ(xb_rename2(a, "back", b, "new", 1u << 3, &user), -EINVAL);
	CHECK_EQ(xb_rename(a, "back", b, "new", XB_RENAME_WHITEOUT), -EINVAL); /* no owner */
	CHECK_EQ(xb_rename2(a, "nope", b, "new", XB_RENAME_WHITEOUT, &user), -ENOENT);
	CHECK_EQ(inodes_used(m), used + 1);
	CHECK_EQ(ino_of(a, "back"), fino);

	/* A directory to another parent: "..", both link counts, the whiteout. */
	d = mk(a, "d", S_IFDIR | 0755);
	dino = xb_ino(d);
	CHECK_EQ(nlink_of(a), 3);
	CHECK_EQ(nlink_of(b), 2);
	CHECK_EQ(xb_rename2(a, "d", b, "d", XB_RENAME_WHITEOUT, &user), 0);
	CHECK_EQ(ino_of(b, "d"), dino);
	CHECK_EQ(ino_of(d, ".."), xb_ino(b));
	CHECK_EQ(nlink_of(a), 2);
	CHECK_EQ(nlink_of(b), 3);
	check_whiteout(a, "d", 1000);

	/* Failing after the whiteout was made (a non-empty target): it is freed. */
	full = mk(b, "full", S_IFDIR | 0755);
	mk_put(full, "x", S_IFREG | 0644);
	used = inodes_used(m);
	CHECK_EQ(xb_rename2(b, "d", b, "full", XB_RENAME_WHITEOUT, &user), -EEXIST);
	CHECK_EQ(inodes_used(m), used);
	CHECK_EQ(ino_of(b, "d"), dino);

	xb_iput(full);
	xb_iput(d);
	xb_iput(f);
	xb_iput(a);
	xb_iput(b);
	xb_iput(root);
	th_umount(m);
	CHECK_EQ(agi_bucket(img, wino), -1);
	CHECK(th_repair_clean(img));

	/* The kernel reads the same whiteouts. */
	snprintf(mnt, sizeof(mnt), "%s.mnt", img);
	if (sh("mkdir -p %s && mount -o loop,ro %s %s 2>/dev/null", mnt, img, mnt) == 0) {
		CHECK_EQ(sh("cd %s && test \"$(find . | sort | tr '\\n' ' ')\" = "
			    "'. ./A ./A/back ./A/d ./A/f ./B ./B/d ./B/full ./B/full/x ./B/g "
			    "./B/victim '",
			    mnt),
			 0);
		CHECK_EQ(sh("test \"$(stat -c '%%F %%t:%%T %%h %%a %%u' %s/A/f)\" = "
			    "'character special file 0:0 1 0 1000'",
			    mnt),
			 0);
		CHECK_EQ(sh_num("stat -c %%i %s/A/f", mnt), (long long) wino);
		CHECK_EQ(sh_num("stat -c %%s %s/A/back", mnt), 10);
		CHECK_EQ(sh("umount %s", mnt), 0);
	} else {
		fprintf(stderr, "test_remove: no loop mount, kernel oracle skipped\n");
	}
	free(img);
}

int main(void)
{
	test_errors();
	test_rename();
	test_whiteout();
	test_open_unlinked();
	test_tmpfile();
	test_shapes(1024);
	test_shapes(4096);
	test_free_chunks("-b size=4096");
	test_free_chunks("-b size=1024 -i sparse=1");
	return th_done("test_remove");
}
