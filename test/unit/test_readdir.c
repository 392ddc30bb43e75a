// SPDX-License-Identifier: GPL-2.0
/*
 * xb_readdir against the kernel: images are populated by mkfs.xfs -p (a
 * proto file), so that no code of ours writes them, with directories of 0 to
 * 100,000 entries in every format (shortform, block, leaf, node, node with a
 * btree-format data fork), checked with xfs_db.  The kernel's own listing of
 * a read-only loop mount is the oracle: same names in the same order, same
 * inode numbers, same d_type, and our next_cookie equal to its d_off.  Then
 * resuming in small batches and from every k-th cookie, cookies past the
 * end, non-directories, and corrupted directory blocks.
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct ent {
	char *name;
	uint64_t ino;
	unsigned int dtype;
	uint64_t off; /* next_cookie (ours) or d_off (kernel) */
};

struct list {
	struct ent *e;
	size_t n, cap;
};

static void list_add(struct list *l, const char *name, size_t len, uint64_t ino, unsigned int dtype,
		     uint64_t off)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->e = realloc(l->e, l->cap * sizeof(*l->e));
		if (!l->e)
			exit(2);
	}
	l->e[l->n].name = strndup(name, len);
	l->e[l->n].ino = ino;
	l->e[l->n].dtype = dtype;
	l->e[l->n].off = off;
	l->n++;
}

static void list_free(struct list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->e[i].name);
	free(l->e);
	memset(l, 0, sizeof(*l));
}

/* ---- the directories of the proto file ---- */

struct tdir {
	const char *name;
	int nents;	    /* -1: the "types" directory */
	const char *format; /* expected: local, block, leaf, node, btree (node + btree fork) */
	uint64_t ino;	    /* from the kernel oracle */
	struct list kernel; /* the kernel's listing (or xfs_db's: see db_oracle) */
};

/* Unique names of lengths 1..255, mostly short, every 10th long. */
static void ent_name(int i, char *buf)
{
	int len = snprintf(buf, 256, "f%d_", i);
	int want = (i % 10) ? 4 + (i * 7919) % 33 : (i * 7919) % 256;

	if (i == 1)
		want = 255;
	if (want > 255)
		want = 255;
	while (len < want) {
		/* some non-ASCII bytes: names are bytes, not text */
		buf[len] = (len % 17 == 5) ? (char) 0xc3 : (char) ('a' + (i + len) % 26);
		if (buf[len] == (char) 0xc3 && len + 1 < want) {
			buf[++len] = (char) 0xa9;
		}
		len++;
	}
	buf[len] = '\0'; /* never shorter than the unique prefix */
}

static void write_proto_dir(FILE *f, const struct tdir *d)
{
	char name[256];
	int i;

	fprintf(f, "%s d--755 0 0\n", d->name);
	if (d->nents < 0) {
		fprintf(f, "reg ---644 0 0 /dev/null\n");
		fprintf(f, "sub d--755 0 0\n$\n");
		fprintf(f, "sl l--777 0 0 /some/target\n");
		fprintf(f, "fi p--644 0 0\n");
		fprintf(f, "ch c--644 0 0 1 3\n");
		fprintf(f, "bl b--644 0 0 7 0\n");
	} else if (d->nents == 3) {
		/* 1 + 20 + 255 bytes still fit a 512-byte inode: shortform */
		fprintf(f, "a ---644 0 0 /dev/null\n");
		fprintf(f, "%s ---644 0 0 /dev/null\n", "twenty_byte_name_xyz");
		memset(name, 'L', 255);
		name[255] = '\0';
		fprintf(f, "%s ---644 0 0 /dev/null\n", name);
	} else {
		for (i = 0; i < d->nents; i++) {
			ent_name(i, name);
			fprintf(f, "%s ---644 0 0 /dev/null\n", name);
		}
	}
	fprintf(f, "$\n");
}

static char *write_proto(const char *tmpdir, struct tdir *dirs, int ndirs)
{
	char *path;
	FILE *f;
	int i;

	if (asprintf(&path, "%s/proto", tmpdir) < 0)
		exit(2);
	f = fopen(path, "w");
	if (!f)
		exit(2);
	fprintf(f, "/dev/null\n0 0\nd--755 0 0\n");
	for (i = 0; i < ndirs; i++)
		write_proto_dir(f, &dirs[i]);
	fprintf(f, "$\n");
	fclose(f);
	return path;
}

/* ---- xfs_db: what format did mkfs give each directory? ---- */

static void check_format(const char *img, const struct tdir *d, unsigned int bsize)
{
	char cmd[512], line[512];
	unsigned long long leaf_off = (1ULL << 35) / bsize, free_off = (1ULL << 36) / bsize;
	unsigned long long off, size = 0;
	int format = 0, nleaf = 0, nfree = 0, ndata = 0;
	const char *got;
	bool ok;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "xfs_db -r -c 'path /%s' -c 'print core.format core.size' -c bmap %s", d->name,
		 img);
	p = popen(cmd, "r");
	if (!p)
		exit(2);
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, "core.format = %d", &format) == 1)
			continue;
		if (sscanf(line, "core.size = %llu", &size) == 1)
			continue;
		if (sscanf(line, "data offset %llu", &off) == 1) {
			if (off >= free_off)
				nfree++;
			else if (off >= leaf_off)
				nleaf++;
			else
				ndata++;
		}
	}
	pclose(p);
	if (format == 1)
		got = "local";
	else if (nfree)
		got = format == 3 ? "btree" : "node";
	else if (nleaf)
		got = "leaf";
	else if (ndata)
		got = "block";
	else
		got = "?";
	printf("  /%s: %d entries, format %d, size %llu, %s\n", d->name, d->nents, format, size,
	       got);
	/* a node directory's data fork may be in extents or btree format */
	ok = !strcmp(got, d->format) || (!strcmp(d->format, "node") && !strcmp(got, "btree"));
	CHECK(ok);
	if (!ok)
		fprintf(stderr, "  /%s: want %s, got %s\n", d->name, d->format, got);
}

/* ---- the kernel oracle ---- */

static void kernel_list(const char *path, struct list *l)
{
	DIR *dir = opendir(path);
	struct dirent *de;

	CHECK(dir != NULL);
	if (!dir)
		return;
	while ((de = readdir(dir)))
		list_add(l, de->d_name, strlen(de->d_name), de->d_ino, de->d_type,
			 (uint64_t) de->d_off);
	closedir(dir);
}

static bool kernel_oracle(const char *img, const char *tmpdir, struct tdir *dirs, int ndirs)
{
	char mnt[512], cmd[1024], path[1024];
	struct stat st;
	int i;

	snprintf(mnt, sizeof(mnt), "%s/mnt", tmpdir);
	mkdir(mnt, 0755);
	snprintf(cmd, sizeof(cmd), "mount -o loop,ro %s %s", img, mnt);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot loop-mount %s (not root?)\n", img);
		CHECK(!"kernel oracle available");
		return false;
	}
	for (i = 0; i < ndirs; i++) {
		snprintf(path, sizeof(path), "%s/%s", mnt, dirs[i].name);
		CHECK_EQ(stat(path, &st), 0);
		dirs[i].ino = st.st_ino;
		kernel_list(path, &dirs[i].kernel);
	}
	snprintf(cmd, sizeof(cmd), "umount %s", mnt);
	CHECK_EQ(system(cmd), 0);
	return true;
}

/*
 * xfs_db's "ls" where the kernel cannot mount (V4 without ftype): it prints
 * each entry's own position, so entry i's d_off is entry i+1's position; the
 * last d_off is unknown (UINT64_MAX) and the types are left to the caller.
 */
static void db_list(const char *img, const char *name, struct list *l)
{
	char cmd[512], line[1024];
	unsigned long long pos, ino;
	unsigned int hash;
	int namelen, at;
	char type[64];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "xfs_db -r -c 'path /%s' -c ls %s", name, img);
	p = popen(cmd, "r");
	if (!p)
		exit(2);
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, "%llu %llu %63s %x %d %n", &pos, &ino, type, &hash, &namelen,
			   &at) != 5)
			continue;
		if (l->n)
			l->e[l->n - 1].off = pos;
		list_add(l, line + at, namelen, ino, DT_UNKNOWN, UINT64_MAX);
	}
	pclose(p);
}

static uint64_t db_ino(const char *img, const char *path);

static void db_oracle(const char *img, struct tdir *dirs, int ndirs)
{
	char path[300];
	int i;

	for (i = 0; i < ndirs; i++) {
		snprintf(path, sizeof(path), "/%s", dirs[i].name);
		dirs[i].ino = db_ino(img, path);
		db_list(img, dirs[i].name, &dirs[i].kernel);
		CHECK(dirs[i].kernel.n >= 2);
	}
}

/* ---- our side ---- */

struct coll {
	struct list *l;
	size_t limit; /* entries accepted per call */
	size_t got;
	bool bad_name;
};

static int coll_fill(void *ctx, const char *name, size_t namelen, uint64_t ino, unsigned int dtype,
		     uint64_t next_cookie)
{
	struct coll *c = ctx;

	if (c->got >= c->limit)
		return 1;
	if (namelen == 0 || namelen > 255 || strlen(name) != namelen)
		c->bad_name = true;
	list_add(c->l, name, namelen, ino, dtype, next_cookie);
	c->got++;
	return 0;
}

/* List everything in calls of at most @batch entries. */
static int list_batches(struct xb_inode *dir, size_t batch, struct list *out, size_t maxcalls,
			unsigned long *calls)
{
	struct coll c = {.l = out, .limit = batch};
	uint64_t cookie = 0;
	size_t i;
	int error;

	for (i = 0; i < maxcalls; i++) {
		c.got = 0;
		error = xb_readdir(dir, cookie, coll_fill, &c);
		if (error)
			return error;
		if (!c.got)
			break;
		cookie = out->e[out->n - 1].off;
	}
	if (calls)
		*calls = i + 1;
	CHECK(!c.bad_name);
	return i < maxcalls ? 0 : -ELOOP;
}

static bool same_lists(const char *what, const struct list *a, const struct list *b, bool cookies)
{
	size_t i;

	if (a->n != b->n) {
		fprintf(stderr, "%s: %zu entries vs %zu\n", what, a->n, b->n);
		return false;
	}
	for (i = 0; i < a->n; i++) {
		const struct ent *x = &a->e[i], *y = &b->e[i];

		if (strcmp(x->name, y->name) || x->ino != y->ino || x->dtype != y->dtype ||
		    (cookies && x->off != y->off)) {
			fprintf(stderr,
				"%s: entry %zu: '%.40s' ino %llu type %u off %llu vs "
				"'%.40s' ino %llu type %u off %llu\n",
				what, i, x->name, (unsigned long long) x->ino, x->dtype,
				(unsigned long long) x->off, y->name, (unsigned long long) y->ino,
				y->dtype, (unsigned long long) y->off);
			return false;
		}
	}
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Every expected name exactly once, plus "." and "..". */
static void check_names(const struct tdir *d, const struct list *l)
{
	char **got, **want, name[256];
	size_t i, n = 0, nwant = 0;
	bool ok = true;

	if (d->nents < 3 || d->nents == 3)
		return; /* small fixed sets: the kernel comparison covers them */
	got = calloc(l->n, sizeof(*got));
	want = calloc(d->nents + 2, sizeof(*want));
	for (i = 0; i < l->n; i++)
		got[n++] = l->e[i].name;
	want[nwant++] = strdup(".");
	want[nwant++] = strdup("..");
	for (i = 0; i < (size_t) d->nents; i++) {
		ent_name((int) i, name);
		want[nwant++] = strdup(name);
	}
	qsort(got, n, sizeof(*got), cmp_str);
	qsort(want, nwant, sizeof(*want), cmp_str);
	if (n != nwant)
		ok = false;
	for (i = 0; ok && i < n; i++)
		if (strcmp(got[i], want[i]))
			ok = false;
	CHECK(ok);
	for (i = 0; i < nwant; i++)
		free(want[i]);
	free(want);
	free(got);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Start at the cookie before every k-th entry and take a few entries. */
static void check_resume_points(struct xb_inode *dir, const struct list *full, size_t k)
{
	size_t j, i;
	bool ok = true;

	for (j = 0; j < full->n && ok; j += k) {
		struct list part = {0};
		struct coll c = {.l = &part, .limit = 3};
		uint64_t cookie = j ? full->e[j - 1].off : 0;

		CHECK_EQ(xb_readdir(dir, cookie, coll_fill, &c), 0);
		if (part.n != (full->n - j < 3 ? full->n - j : 3))
			ok = false;
		for (i = 0; ok && i < part.n; i++)
			if (strcmp(part.e[i].name, full->e[j + i].name) ||
			    part.e[i].off != full->e[j + i].off)
				ok = false;
		if (!ok)
			fprintf(stderr, "resume at entry %zu (cookie %llu) differs\n", j,
				(unsigned long long) cookie);
		list_free(&part);
	}
	CHECK(ok);
}

static void check_past_end(struct xb_inode *dir, const struct list *full)
{
	static const uint64_t cookies[] = {0x7fffffff, 0x80000000, 0xffffffff, 1ULL << 40,
					   UINT64_MAX};
	struct list part = {0};
	struct coll c = {.l = &part, .limit = 100};
	size_t i;

	CHECK(full->n >= 2);
	CHECK_EQ(xb_readdir(dir, full->e[full->n - 1].off, coll_fill, &c), 0);
	CHECK_EQ(part.n, 0);
	for (i = 0; i < sizeof(cookies) / sizeof(cookies[0]); i++) {
		CHECK_EQ(xb_readdir(dir, cookies[i], coll_fill, &c), 0);
		CHECK_EQ(part.n, 0);
	}
	/* A fill() that refuses at once consumes nothing. */
	c.limit = 0;
	CHECK_EQ(xb_readdir(dir, 0, coll_fill, &c), 0);
	CHECK_EQ(part.n, 0);
	c.limit = 1;
	CHECK_EQ(xb_readdir(dir, 0, coll_fill, &c), 0);
	CHECK(part.n == 1 && strcmp(part.e[0].name, ".") == 0 && part.e[0].off == full->e[0].off);
	list_free(&part);
}

/* Without the ftype feature every entry's type is unknown, as in the kernel. */
static void check_no_ftype(const struct list *full)
{
	size_t i, known = 0;

	for (i = 0; i < full->n; i++)
		if (strcmp(full->e[i].name, ".") && strcmp(full->e[i].name, "..") &&
		    full->e[i].dtype != DT_UNKNOWN)
			known++;
	CHECK_EQ(known, 0);
}

static void check_dir(struct xb_mount *m, struct tdir *d, bool ftype)
{
	static const size_t batches[] = {1, 3, 17};
	struct xb_inode *dir;
	struct list full = {0};
	unsigned long calls;
	size_t b, n = d->kernel.n;
	double t;

	CHECK_EQ(xb_iget(m, d->ino, &dir), 0);
	t = now();
	CHECK_EQ(list_batches(dir, SIZE_MAX, &full, 4, NULL), 0);
	t = now() - t;
	if (!ftype && full.n >= 2 && full.n == n) {
		/* xfs_db oracle: no last d_off; "." and ".." of shortform are DT_DIR */
		d->kernel.e[n - 1].off = full.e[n - 1].off;
		d->kernel.e[0].dtype = full.e[0].dtype;
		d->kernel.e[1].dtype = full.e[1].dtype;
	}
	/*
	 * xfs_db 6.1's "ls" misplaces V4 leaf/node entries by 16 bytes (its
	 * positions disagree with the entries' own tags), so against xfs_db
	 * only names and inode numbers count; the kernel configurations check
	 * the cookies, and the batch/resume checks below check they work.
	 */
	CHECK(same_lists(d->name, &full, &d->kernel, ftype));
	check_names(d, &full);
	if (!ftype)
		check_no_ftype(&full);
	CHECK(full.n >= 2 && strcmp(full.e[0].name, ".") == 0 && full.e[0].ino == d->ino &&
	      strcmp(full.e[1].name, "..") == 0);
	if (ftype)
		CHECK(full.n >= 2 && full.e[0].dtype == DT_DIR && full.e[1].dtype == DT_DIR);

	if (n > 20000) {
		/* Huge: small batches must cost O(batch), not O(directory). */
		double t1, t50;
		struct list l1 = {0}, l50 = {0};

		t50 = now();
		CHECK_EQ(list_batches(dir, 50, &l50, n, &calls), 0);
		t50 = now() - t50;
		CHECK(same_lists("batch 50", &l50, &full, true));
		t1 = now();
		CHECK_EQ(list_batches(dir, 1, &l1, n + 2, &calls), 0);
		t1 = now() - t1;
		CHECK(same_lists("batch 1", &l1, &full, true));
		printf("  /%s: %zu entries: one call %.3f s, batches of 50 %.3f s, "
		       "batches of 1 (%lu calls) %.3f s\n",
		       d->name, n, t, t50, calls, t1);
		list_free(&l1);
		list_free(&l50);
		check_resume_points(dir, &full, 997);
	} else {
		for (b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
			struct list l = {0};

			CHECK_EQ(list_batches(dir, batches[b], &l, n + 2, NULL), 0);
			CHECK(same_lists("batches", &l, &full, true));
			list_free(&l);
		}
		check_resume_points(dir, &full, n > 500 ? 7 : 1);
	}
	check_past_end(dir, &full);
	list_free(&full);
	xb_iput(dir);
}

/* A regular file of a listing: readdir on it is ENOTDIR. */
static void check_notdir(struct xb_mount *m, const struct tdir *d)
{
	struct list l = {0};
	struct coll c = {.l = &l, .limit = 10};
	struct xb_inode *ip;
	size_t i;

	for (i = 0; i < d->kernel.n; i++) {
		if (d->kernel.e[i].dtype != DT_REG && d->kernel.e[i].dtype != DT_LNK &&
		    d->kernel.e[i].dtype != DT_FIFO)
			continue;
		CHECK_EQ(xb_iget(m, d->kernel.e[i].ino, &ip), 0);
		CHECK_EQ(xb_readdir(ip, 0, coll_fill, &c), -ENOTDIR);
		CHECK_EQ(l.n, 0);
		xb_iput(ip);
	}
}

static void run_config(const char *tmpdir, const char *opts, unsigned int bsize, bool formats,
		       bool ftype)
{
	struct tdir dirs[] = {
		{.name = "d0", .nents = 0, .format = "local"},
		{.name = "d3", .nents = 3, .format = "local"},
		{.name = "types", .nents = -1, .format = "local"},
		{.name = "d30", .nents = 30, .format = "block"},
		{.name = "d300", .nents = 300, .format = "leaf"},
		{.name = "d3000", .nents = 3000, .format = "node"},
		{.name = "d100000", .nents = 100000, .format = "btree"},
	};
	int ndirs = sizeof(dirs) / sizeof(dirs[0]), i;
	char *proto = write_proto(tmpdir, dirs, ndirs), mkfs_opts[512], *img;
	struct xb_mount *m;
	double t = now();

	printf("mkfs.xfs %s\n", opts);
	snprintf(mkfs_opts, sizeof(mkfs_opts), "-p %s %s", proto, opts);
	img = th_mkfs(mkfs_opts, 0);
	printf("  mkfs %.1f s\n", now() - t);
	for (i = 0; i < ndirs; i++)
		if (formats)
			check_format(img, &dirs[i], bsize);
	if (!ftype)
		db_oracle(img, dirs, ndirs); /* the kernel has no V4 support any more */
	else if (!kernel_oracle(img, tmpdir, dirs, ndirs))
		goto out;

	/* the "types" directory: the dtypes the kernel reports */
	{
		static const struct {
			const char *name;
			unsigned int dtype;
		} types[] = {{"reg", DT_REG}, {"sub", DT_DIR}, {"sl", DT_LNK},
			     {"fi", DT_FIFO}, {"ch", DT_CHR},  {"bl", DT_BLK}};
		size_t j, k, found = 0;

		for (j = 0; j < sizeof(types) / sizeof(types[0]); j++)
			for (k = 0; k < dirs[2].kernel.n; k++)
				if (!strcmp(dirs[2].kernel.e[k].name, types[j].name) &&
				    dirs[2].kernel.e[k].dtype == types[j].dtype)
					found++;
		CHECK_EQ(found, ftype ? 6 : 0);
	}

	m = th_mount(img, true);
	for (i = 0; i < ndirs; i++)
		check_dir(m, &dirs[i], ftype);
	check_notdir(m, &dirs[2]);
	check_notdir(m, &dirs[1]);
	th_umount(m);
	CHECK(th_repair_clean(img));
out:
	for (i = 0; i < ndirs; i++)
		list_free(&dirs[i].kernel);
	unlink(img);
	free(img);
	free(proto);
}

/* ---- corruption ---- */

static void xfs_db_x(const char *img, const char *cmds)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "xfs_db -x %s %s >/dev/null 2>&1", cmds, img);
	CHECK_EQ(system(cmd), 0);
}

static uint64_t db_ino(const char *img, const char *path)
{
	char cmd[512];
	unsigned long long ino = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "xfs_db -r -c 'path %s' -c inode %s", path, img);
	p = popen(cmd, "r");
	if (!p)
		exit(2);
	if (fscanf(p, "current inode number is %llu", &ino) != 1)
		ino = 0;
	pclose(p);
	CHECK(ino != 0);
	return ino;
}

/* Put a '/' into entry @idx of data block @db: only readdir's name check sees it. */
static void corrupt_name(const char *img, const char *path, int db, int idx)
{
	char cmd[1024], name[256];
	int namelen = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "xfs_db -r -c 'path %s' -c 'dblock %d' -c 'print du[%d].namelen' %s", path, db,
		 idx, img);
	p = popen(cmd, "r");
	if (!p)
		exit(2);
	if (fscanf(p, "du[%*d].namelen = %d", &namelen) != 1)
		namelen = 0;
	pclose(p);
	CHECK(namelen >= 2 && namelen < 256);
	if (namelen < 2 || namelen >= 256)
		return;
	memset(name, 'a', namelen);
	name[1] = '/';
	name[namelen] = '\0';
	snprintf(cmd, sizeof(cmd), "-c 'path %s' -c 'dblock %d' -c 'write -d du[%d].name \"%s\"'",
		 path, db, idx, name);
	xfs_db_x(img, cmd);
}

static void run_corruption(const char *tmpdir)
{
	struct tdir dirs[] = {
		{.name = "c30", .nents = 30, .format = "block"},
		{.name = "c300", .nents = 300, .format = "leaf"},
		{.name = "c3000", .nents = 3000, .format = "node"},
	};
	char *proto = write_proto(tmpdir, dirs, 3), opts[512], *img;
	struct list l = {0};
	struct coll c = {.l = &l, .limit = SIZE_MAX};
	struct xb_inode *dir;
	struct xb_mount *m;
	uint64_t ino30, ino300, ino3000, cookie;
	size_t n0;
	int error;

	printf("corruption\n");
	snprintf(opts, sizeof(opts), "-p %s", proto);
	img = th_mkfs(opts, 0);
	ino30 = db_ino(img, "/c30");
	ino300 = db_ino(img, "/c300");
	ino3000 = db_ino(img, "/c3000");
	/* block dir: an entry with inode number 0 (CRC recomputed): verifier */
	xfs_db_x(img, "-c 'path /c30' -c 'dblock 0' -c 'write -d bu[3].inumber 0'");
	/* leaf dir: a '/' in a name of data block 1 (passes the verifier) */
	corrupt_name(img, "/c300", 1, 1);
	/* node dir: a bad CRC in data block 1 */
	xfs_db_x(img, "-c 'path /c3000' -c 'dblock 1' -c 'write -c du[0].inumber 12345'");

	m = th_mount(img, true);

	/* block: nothing to hand out, -EUCLEAN, and again (no cached good copy) */
	CHECK_EQ(xb_iget(m, ino30, &dir), 0);
	CHECK_EQ(xb_readdir(dir, 0, coll_fill, &c), -EUCLEAN);
	CHECK_EQ(xb_readdir(dir, 0, coll_fill, &c), -EUCLEAN);
	CHECK_EQ(l.n, 0);
	xb_iput(dir);

	/* node: block 0 is handed out, then the bad CRC stops us, every time */
	CHECK_EQ(xb_iget(m, ino3000, &dir), 0);
	CHECK_EQ(xb_readdir(dir, 0, coll_fill, &c), 0);
	n0 = l.n;
	CHECK(n0 > 2);
	cookie = n0 ? l.e[n0 - 1].off : 0;
	CHECK_EQ(xb_readdir(dir, cookie, coll_fill, &c), -EUCLEAN);
	CHECK_EQ(xb_readdir(dir, cookie, coll_fill, &c), -EUCLEAN);
	CHECK_EQ(l.n, n0);
	/* blocks after the bad one are still reachable by cookie */
	error = xb_readdir(dir, cookie + 4096 / 8, coll_fill, &c);
	CHECK_EQ(error, 0);
	CHECK(l.n > n0);
	list_free(&l);
	xb_iput(dir);

	/* leaf: the bad name is reported after what precedes it */
	CHECK_EQ(xb_iget(m, ino300, &dir), 0);
	cookie = 0;
	for (n0 = 0; n0 < 10; n0++) {
		size_t before = l.n;

		error = xb_readdir(dir, cookie, coll_fill, &c);
		if (error || l.n == before)
			break;
		cookie = l.e[l.n - 1].off;
	}
	CHECK_EQ(error, -EUCLEAN);
	CHECK(l.n > 2);
	list_free(&l);
	xb_iput(dir);

	th_umount(m);
	unlink(img);
	free(img);
	free(proto);
}

int main(void)
{
	char tmpdir[] = "/tmp/xfsfuse-readdir-XXXXXX";
	char cmd[128];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	run_config(tmpdir, "-b size=4096", 4096, true, true);
	run_config(tmpdir, "-b size=1024", 1024, true, true);
	/* 16 KiB directory blocks over 4 KiB blocks: formats differ, kernel agrees */
	run_config(tmpdir, "-n size=16384", 4096, false, true);
	/* V4 without ftype (read-only): DT_UNKNOWN, 16-byte data headers */
	run_config(tmpdir, "-m crc=0 -n ftype=0", 4096, false, false);
	run_corruption(tmpdir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return th_done("test_readdir");
}
