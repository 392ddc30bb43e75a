// SPDX-License-Identifier: GPL-2.0
/*
 * fsmodel: a model-based random operation tester for a mounted filesystem.
 *
 * Every operation is applied to the file under test AND to a shadow file on
 * a reference filesystem (tmpfs: the model); every read compares the two.
 * Deterministic: thread t uses seed + t.  On a mismatch it prints the seed,
 * the failing operation and the thread's last operations, so the run can be
 * replayed (--threads 1 --seed S reproduces thread 0's sequence).
 *
 *   fsmodel --dir MNT --shadow DIR [--seed S] [--ops N] [--threads T]
 *           [--files F] [--max-size BYTES] [--no-mmap] [--no-drop]
 *           [--no-clone] [--no-dio]
 *   fsmodel --dir MNT --shadow DIR --verify     compare every file, nothing else
 *
 * Ops: pwrite (unaligned, overlapping, sparse, appending), pread, ftruncate
 * up and down, fsync/fdatasync, close and reopen, mmap read, mmap store
 * (MAP_SHARED, then msync or not), fallocate (KEEP_SIZE and extending),
 * SEEK_DATA sanity (never skips data), page-cache drop, and
 * FALLOC_FL_COLLAPSE_RANGE / INSERT_RANGE / UNSHARE_RANGE: the kernel's FUSE
 * refuses those itself on Linux 6.18 (EOPNOTSUPP, doc/engine.md), which is
 * asserted as the contract; a kernel that forwards them must give the
 * model's bytes (tmpfs has no collapse/insert: the shadow moves its bytes
 * with reads and writes).  copy_file_range between two of the thread's
 * files (xfsfuse shares whole blocks, copies the rest: doc/reflink.md; the
 * shadow copies), then often a write into the copied range of one of
 * them: copy-on-write, the other must not see it.  O_DIRECT pread/pwrite
 * on block-aligned offsets and lengths with aligned buffers, mixed with
 * the buffered and mmap ops on the same file (the shadow uses plain I/O:
 * tmpfs has no O_DIRECT); an O_DIRECT write off the sector size must fail
 * with EINVAL, as on XFS.  Each thread owns
 * its files, and all threads also write disjoint stripes of one shared file.
 * Exit 0 if every comparison matched; the last line is "N passed, M failed".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_RING 64
#define STRIPE	 (64 * 1024)

struct cfg {
	const char *dir, *shadow;
	uint64_t seed;
	long ops;
	int threads, files;
	off_t max_size;
	bool mmap_ok, drop_ok, verify_only, clone_ok, dio_ok;
};

struct tstate {
	const struct cfg *c;
	int id;
	uint64_t rng;
	char log[LOG_RING][160];
	long nlog;
	long passed, failed;
	long shift_refused, shift_served; /* collapse/insert/unshare */
	long clones, cloned_bytes, dio_ops;
	int fd[16], sfd[16]; /* file under test / shadow */
};

static struct cfg cfg = {.seed = 1,
			 .ops = 2000,
			 .threads = 2,
			 .files = 3,
			 .max_size = 8 << 20,
			 .mmap_ok = true,
			 .drop_ok = true,
			 .clone_ok = true,
			 .dio_ok = true};
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t drop_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t rnd(struct tstate *t)
{
	uint64_t z = (t->rng += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t below(struct tstate *t, uint64_t n)
{
	return n ? rnd(t) % n : 0;
}

static void logop(struct tstate *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->log[t->nlog % LOG_RING], sizeof(t->log[0]), fmt, ap);
	va_end(ap);
	if (getenv("FSMODEL_TRACE"))
		fprintf(stderr, "t%d #%ld %s\n", t->id, t->nlog, t->log[t->nlog % LOG_RING]);
	t->nlog++;
}

static void fail(struct tstate *t, const char *fmt, ...)
{
	va_list ap;
	long i;

	pthread_mutex_lock(&out_lock);
	fprintf(stderr, "fsmodel: MISMATCH thread %d (seed %llu, op %ld): ", t->id,
		(unsigned long long) (t->c->seed + t->id), t->nlog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nfsmodel: last operations of thread %d:\n", t->id);
	for (i = t->nlog > LOG_RING ? t->nlog - LOG_RING : 0; i < t->nlog; i++)
		fprintf(stderr, "  #%ld %s\n", i, t->log[i % LOG_RING]);
	pthread_mutex_unlock(&out_lock);
	t->failed++;
}

static void path_of(char *buf, size_t len, const char *dir, int tid, int f)
{
	if (f < 0)
		snprintf(buf, len, "%s/shared", dir);
	else
		snprintf(buf, len, "%s/t%d-f%d", dir, tid, f);
}

static int open_pair(struct tstate *t, int f, int flags)
{
	char p[4096];

	path_of(p, sizeof(p), t->c->dir, t->id, f);
	t->fd[f] = open(p, O_RDWR | flags, 0644);
	path_of(p, sizeof(p), t->c->shadow, t->id, f);
	t->sfd[f] = open(p, O_RDWR | flags, 0644);
	if (t->fd[f] < 0 || t->sfd[f] < 0) {
		fail(t, "open file %d: %s", f, strerror(errno));
		return -1;
	}
	return 0;
}

/* Compare [off, off+len) of the two files through pread. */
static void compare_range(struct tstate *t, int fd, int sfd, off_t off, size_t len,
			  const char *what)
{
	char *a = malloc(len + 1), *b = malloc(len + 1);
	ssize_t na = pread(fd, a, len, off), nb = pread(sfd, b, len, off);

	if (na != nb) {
		fail(t, "%s: read %zd bytes at %lld, model %zd (%s)", what, na, (long long) off, nb,
		     na < 0 ? strerror(errno) : "");
	} else if (na > 0 && memcmp(a, b, (size_t) na)) {
		size_t i = 0;

		while (a[i] == b[i])
			i++;
		fail(t, "%s: byte %lld is 0x%02x, model 0x%02x", what, (long long) (off + i),
		     (unsigned char) a[i], (unsigned char) b[i]);
	} else {
		t->passed++;
	}
	free(a);
	free(b);
}

static void compare_whole(struct tstate *t, int fd, int sfd, const char *what)
{
	struct stat sa, sb;

	if (fstat(fd, &sa) || fstat(sfd, &sb)) {
		fail(t, "%s: fstat: %s", what, strerror(errno));
		return;
	}
	if (sa.st_size != sb.st_size) {
		fail(t, "%s: size %lld, model %lld", what, (long long) sa.st_size,
		     (long long) sb.st_size);
		return;
	}
	for (off_t off = 0; off < sb.st_size; off += 1 << 20)
		compare_range(t, fd, sfd, off, 1 << 20, what);
	t->passed++;
}

static void fill(struct tstate *t, char *buf, size_t len)
{
	uint64_t v = rnd(t);

	for (size_t i = 0; i < len; i++) {
		if (!(i & 7))
			v = v * 6364136223846793005ull + 1442695040888963407ull;
		buf[i] = (char) (v >> ((i & 7) * 8));
	}
}

/* Offsets that like block and folio edges. */
static off_t pick_off(struct tstate *t, off_t max)
{
	off_t off = (off_t) below(t, (uint64_t) max);

	switch (below(t, 4)) {
	case 0:
		return off & ~(off_t) 4095;
	case 1: {
		/* one byte either side of a 1 KiB boundary */
		off_t b = (off & ~(off_t) 1023) + (off_t) below(t, 3) - 1;

		return b < 0 ? 0 : b;
	}
	default:
		return off;
	}
}

static void op_write(struct tstate *t, int f, off_t lo, off_t hi, bool append)
{
	struct stat st;
	size_t len = 1 + below(t, below(t, 4) ? 9000 : 300000);
	off_t off = pick_off(t, hi - lo) + lo;
	char *buf = malloc(len);
	ssize_t a, b;

	if (append && !fstat(t->sfd[f], &st))
		off = st.st_size;
	if (off >= hi) { /* an append to a file already at the limit */
		free(buf);
		return;
	}
	if (off + (off_t) len > hi)
		len = (size_t) (hi - off);
	if (!len) {
		free(buf);
		return;
	}
	fill(t, buf, len);
	logop(t, "pwrite f%d off=%lld len=%zu", f, (long long) off, len);
	a = pwrite(t->fd[f], buf, len, off);
	b = pwrite(t->sfd[f], buf, len, off);
	if (a != b)
		fail(t, "pwrite returned %zd (%s), model %zd", a, a < 0 ? strerror(errno) : "", b);
	else
		t->passed++;
	free(buf);
}

static void op_read(struct tstate *t, int f, off_t lo, off_t hi)
{
	off_t off = pick_off(t, hi - lo) + lo;
	size_t len = 1 + below(t, 200000);

	logop(t, "pread f%d off=%lld len=%zu", f, (long long) off, len);
	compare_range(t, t->fd[f], t->sfd[f], off, len, "pread");
}

static void op_truncate(struct tstate *t, int f)
{
	off_t size = below(t, 3) ? pick_off(t, t->c->max_size) : 0;

	logop(t, "ftruncate f%d size=%lld", f, (long long) size);
	if (ftruncate(t->fd[f], size) || ftruncate(t->sfd[f], size))
		fail(t, "ftruncate: %s", strerror(errno));
	else
		t->passed++;
}

static void op_fallocate(struct tstate *t, int f)
{
	off_t off = pick_off(t, t->c->max_size / 2);
	off_t len = 1 + (off_t) below(t, 1 << 20);
	int mode = below(t, 2) ? FALLOC_FL_KEEP_SIZE : 0;
	int a, b;

	logop(t, "fallocate f%d mode=%d off=%lld len=%lld", f, mode, (long long) off,
	      (long long) len);
	a = fallocate(t->fd[f], mode, off, len);
	b = fallocate(t->sfd[f], mode, off, len);
	if ((a == 0) != (b == 0) && !(a && errno == ENOSPC))
		fail(t, "fallocate returned %d, model %d", a, b);
	else
		t->passed++;
}

/* The shadow's collapse or insert of [off, off+len): move the tail by rewriting it. */
static int shadow_shift(int sfd, off_t off, off_t len, off_t size, bool insert)
{
	off_t tail = size - (insert ? off : off + len);
	char *buf = malloc((size_t) (tail > len ? tail : len) + 1);
	int rc = -1;

	if (!buf)
		return -1;
	if (pread(sfd, buf, (size_t) tail, insert ? off : off + len) != tail)
		goto out;
	if (pwrite(sfd, buf, (size_t) tail, insert ? off + len : off) != tail)
		goto out;
	if (insert) {
		memset(buf, 0, (size_t) len);
		rc = pwrite(sfd, buf, (size_t) len, off) == len ? 0 : -1;
	} else {
		rc = ftruncate(sfd, size - len);
	}
out:
	free(buf);
	return rc;
}

/*
 * Collapse, insert or unshare whole 4 KiB units (block-aligned for 1 and 4
 * KiB blocks) inside EOF, where XFS accepts them.  EOPNOTSUPP is the
 * kernel's FUSE refusing the mode before the daemon sees it; anything else
 * than that or success is a failure, and success must match the model.
 */
static void op_shift(struct tstate *t, int f)
{
	static const char *const names[] = {"collapse", "insert", "unshare"};
	static const int modes[] = {FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE,
				    FALLOC_FL_UNSHARE_RANGE};
	int which = (int) below(t, 3);
	struct stat st;
	off_t units, off, len;

	if (fstat(t->sfd[f], &st) || st.st_size < 3 * 4096)
		return;
	units = st.st_size / 4096;
	off = (off_t) below(t, (uint64_t) units - 1) * 4096;
	len = (off_t) (1 + below(t, (uint64_t) (units - off / 4096 - 1))) * 4096;
	if (which == 1 && st.st_size + len > t->c->max_size * 2)
		return;
	logop(t, "%s f%d off=%lld len=%lld", names[which], f, (long long) off, (long long) len);
	if (fallocate(t->fd[f], modes[which], off, len)) {
		if (errno == EOPNOTSUPP) {
			t->shift_refused++;
			t->passed++;
		} else {
			fail(t, "%s: %s (expected success or EOPNOTSUPP)", names[which],
			     strerror(errno));
		}
		return;
	}
	t->shift_served++;
	if (which < 2 && shadow_shift(t->sfd[f], off, len, st.st_size, which == 1))
		fail(t, "%s of the model: %s", names[which], strerror(errno));
	else
		compare_whole(t, t->fd[f], t->sfd[f], names[which]);
}

static void op_mmap(struct tstate *t, int f, bool store)
{
	struct stat st;
	char *p, *q;
	size_t len;
	off_t off;

	if (fstat(t->sfd[f], &st) || st.st_size < 4096)
		return;
	off = (off_t) below(t, (uint64_t) st.st_size) & ~(off_t) 4095;
	len = (size_t) (st.st_size - off);
	if (len > 256 * 1024)
		len = 256 * 1024;
	logop(t, "mmap-%s f%d off=%lld len=%zu", store ? "store" : "read", f, (long long) off, len);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd[f], off);
	q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, t->sfd[f], off);
	if (p == MAP_FAILED || q == MAP_FAILED) {
		fail(t, "mmap: %s", strerror(errno));
		goto out;
	}
	if (store) {
		size_t at = below(t, len), n = 1 + below(t, len - at);
		char *buf = malloc(n);

		fill(t, buf, n);
		memcpy(p + at, buf, n);
		memcpy(q + at, buf, n);
		free(buf);
		if (below(t, 2))
			msync(p, len, MS_SYNC);
	}
	if (memcmp(p, q, len))
		fail(t, "mmap contents differ at file offset %lld", (long long) off);
	else
		t->passed++;
out:
	if (p != MAP_FAILED)
		munmap(p, len);
	if (q != MAP_FAILED)
		munmap(q, len);
}

/* copy_file_range until done or the source's EOF; total bytes or -errno. */
static long long copy_all(int in, off_t off_in, int out, off_t off_out, size_t len)
{
	long long done = 0;

	while (len) {
		ssize_t n = copy_file_range(in, &off_in, out, &off_out, len, 0);

		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += n;
		len -= (size_t) n;
	}
	return done;
}

/* Offsets for the copy: 4 KiB aligned (shared on 1 and 4 KiB blocks) or not (copied). */
static off_t pick_clone_off(struct tstate *t, off_t max)
{
	off_t off = (off_t) below(t, (uint64_t) (max > 0 ? max : 1));

	return below(t, 4) ? off & ~(off_t) 4095 : off;
}

/*
 * copy_file_range from file @a to file @b, then (mostly) a write into the
 * copied range of one of the two: copy-on-write must keep the other as
 * the model says.  Both ranges are compared after.
 */
static void op_clone(struct tstate *t, int a, int b)
{
	struct stat st;
	off_t in, out, span;
	size_t len, wlen;
	long long x, y;
	char *buf;

	if (fstat(t->sfd[a], &st) || !st.st_size)
		return;
	in = pick_clone_off(t, st.st_size);
	len = below(t, 2) ? (size_t) (st.st_size - in) : 1 + below(t, 1 << 20);
	if (below(t, 3))
		len = (len + 4095) & ~(size_t) 4095;
	out = pick_clone_off(t, t->c->max_size / 2);
	if (out + (off_t) len > t->c->max_size)
		len = (size_t) (t->c->max_size - out);
	if (!len)
		return;
	logop(t, "copy_file_range f%d off=%lld -> f%d off=%lld len=%zu", a, (long long) in, b,
	      (long long) out, len);
	x = copy_all(t->fd[a], in, t->fd[b], out, len);
	y = copy_all(t->sfd[a], in, t->sfd[b], out, len);
	if (x != y) {
		fail(t, "copy_file_range returned %lld (%s), model %lld", x,
		     x < 0 ? strerror((int) -x) : "", y);
		return;
	}
	t->passed++;
	t->clones++;
	t->cloned_bytes += x > 0 ? x : 0;
	span = x > 0 ? (off_t) x : 1;
	if (below(t, 4)) {
		/* Copy-on-write: a write inside the copy, in the source or the destination. */
		int w = below(t, 2) ? a : b;
		off_t at = (w == a ? in : out) + (off_t) below(t, (uint64_t) span);

		wlen = 1 + below(t, 20000);
		if (at + (off_t) wlen > t->c->max_size) /* files stay within max_size */
			wlen = (size_t) (t->c->max_size - at);
		if (!wlen)
			goto compare;
		buf = malloc(wlen);
		fill(t, buf, wlen);
		logop(t, "cow pwrite f%d off=%lld len=%zu", w, (long long) at, wlen);
		if (pwrite(t->fd[w], buf, wlen, at) != (ssize_t) wlen ||
		    pwrite(t->sfd[w], buf, wlen, at) != (ssize_t) wlen)
			fail(t, "cow pwrite: %s", strerror(errno));
		free(buf);
	}
compare:
	compare_range(t, t->fd[a], t->sfd[a], in, (size_t) span + 20000, "copy source");
	compare_range(t, t->fd[b], t->sfd[b], out, (size_t) span + 20000, "copy destination");
}

/* Open @f of the mount again with O_DIRECT (the shadow keeps its plain fd). */
static int open_direct(struct tstate *t, int f)
{
	char p[4096];
	int fd;

	path_of(p, sizeof(p), t->c->dir, t->id, f);
	fd = open(p, O_RDWR | O_DIRECT);
	if (fd < 0)
		fail(t, "open O_DIRECT: %s", strerror(errno));
	return fd;
}

/* An O_DIRECT write off the sector size: EINVAL, nothing written. */
static void dio_misaligned(struct tstate *t, int dfd, int f, char *buf)
{
	off_t off = (off_t) below(t, (uint64_t) t->c->max_size / 2) & ~(off_t) 4095;
	size_t len = 4096;

	if (below(t, 2))
		off += 1 + (off_t) below(t, 511);
	else
		len -= 1 + below(t, 511);
	logop(t, "O_DIRECT misaligned pwrite f%d off=%lld len=%zu", f, (long long) off, len);
	if (pwrite(dfd, buf, len, off) >= 0 || errno != EINVAL)
		fail(t, "misaligned O_DIRECT pwrite: %s, expected EINVAL", strerror(errno));
	else
		t->passed++;
}

/*
 * O_DIRECT pread or pwrite of whole 4 KiB units (block-aligned on 1 and 4
 * KiB blocks) on a fresh O_DIRECT open of the file the other ops use
 * through the cache and mmap; the shadow does the same with plain I/O.
 */
static void op_dio(struct tstate *t, int f)
{
	off_t off = (off_t) below(t, (uint64_t) t->c->max_size) & ~(off_t) 4095;
	size_t len = (1 + below(t, below(t, 4) ? 16 : 128)) * 4096;
	int kind = (int) below(t, 8), dfd;
	char *buf = NULL, *sbuf;
	ssize_t a, b;

	if (off + (off_t) len > t->c->max_size)
		len = (size_t) (t->c->max_size - off);
	if (!len || posix_memalign((void **) &buf, 4096, len)) {
		free(buf);
		return;
	}
	sbuf = malloc(len);
	dfd = open_direct(t, f);
	if (dfd < 0)
		goto out;
	t->dio_ops++;
	if (kind == 0) {
		dio_misaligned(t, dfd, f, buf);
	} else if (kind <= 4) {
		fill(t, buf, len);
		logop(t, "O_DIRECT pwrite f%d off=%lld len=%zu", f, (long long) off, len);
		a = pwrite(dfd, buf, len, off);
		b = pwrite(t->sfd[f], buf, len, off);
		if (a != b)
			fail(t, "O_DIRECT pwrite returned %zd (%s), model %zd", a,
			     a < 0 ? strerror(errno) : "", b);
		else
			t->passed++;
	} else {
		logop(t, "O_DIRECT pread f%d off=%lld len=%zu", f, (long long) off, len);
		a = pread(dfd, buf, len, off);
		b = pread(t->sfd[f], sbuf, len, off);
		if (a != b)
			fail(t, "O_DIRECT pread returned %zd (%s), model %zd", a,
			     a < 0 ? strerror(errno) : "", b);
		else if (a > 0 && memcmp(buf, sbuf, (size_t) a))
			fail(t, "O_DIRECT pread at %lld differs from the model", (long long) off);
		else
			t->passed++;
	}
	close(dfd);
out:
	free(buf);
	free(sbuf);
}

/* SEEK_DATA must never skip bytes that are not zero. */
static void op_seek(struct tstate *t, int f)
{
	struct stat st;
	off_t off, d;
	char c;

	if (fstat(t->sfd[f], &st) || !st.st_size)
		return;
	off = (off_t) below(t, (uint64_t) st.st_size);
	logop(t, "seek_data f%d off=%lld", f, (long long) off);
	d = lseek(t->fd[f], off, SEEK_DATA);
	if (d < 0 && errno != ENXIO) {
		fail(t, "SEEK_DATA: %s", strerror(errno));
		return;
	}
	if (d < 0)
		d = st.st_size;
	for (off_t i = off; i < d && i < off + 65536; i++) {
		if (pread(t->sfd[f], &c, 1, i) == 1 && c) {
			fail(t, "SEEK_DATA(%lld) = %lld skips data at %lld", (long long) off,
			     (long long) d, (long long) i);
			return;
		}
	}
	t->passed++;
}

static void op_drop_caches(struct tstate *t)
{
	int fd;

	logop(t, "drop_caches");
	pthread_mutex_lock(&drop_lock);
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "3", 1) != 1)
			fail(t, "drop_caches: %s", strerror(errno));
		close(fd);
	}
	pthread_mutex_unlock(&drop_lock);
}

static void op_reopen(struct tstate *t, int f)
{
	logop(t, "close+reopen f%d", f);
	close(t->fd[f]);
	close(t->sfd[f]);
	open_pair(t, f, 0);
	compare_whole(t, t->fd[f], t->sfd[f], "after reopen");
}

static void one_op(struct tstate *t)
{
	int f = (int) below(t, (uint64_t) t->c->files);
	int shared = t->c->files; /* index of the shared file in fd[] */
	off_t lo = (off_t) t->id * STRIPE * 4;

	switch (below(t, 24)) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
		op_write(t, f, 0, t->c->max_size, false);
		break;
	case 5:
		op_write(t, f, 0, t->c->max_size, true);
		break;
	case 6:
	case 7:
	case 8:
		op_read(t, f, 0, t->c->max_size);
		break;
	case 9:
		op_truncate(t, f);
		break;
	case 10:
		logop(t, "fsync f%d", f);
		if (fsync(t->fd[f]))
			fail(t, "fsync: %s", strerror(errno));
		break;
	case 11:
		op_reopen(t, f);
		break;
	case 12:
	case 13:
		if (t->c->mmap_ok)
			op_mmap(t, f, below(t, 2));
		break;
	case 14:
		op_fallocate(t, f);
		break;
	case 15:
		op_seek(t, f);
		break;
	case 16:
		if (t->c->drop_ok && !below(t, 4))
			op_drop_caches(t);
		break;
	case 17:
	case 18:
		op_write(t, shared, lo, lo + STRIPE * 4, false);
		break;
	case 20:
		op_shift(t, f);
		break;
	case 21:
		if (t->c->clone_ok && t->c->files > 1)
			op_clone(t, f,
				 (f + 1 + (int) below(t, (uint64_t) t->c->files - 1)) %
					 t->c->files);
		break;
	case 22:
	case 23:
		if (t->c->dio_ok)
			op_dio(t, f);
		break;
	default:
		op_read(t, shared, lo, lo + STRIPE * 4);
		break;
	}
}

static void *run_thread(void *arg)
{
	struct tstate *t = arg;
	int f;

	for (f = 0; f < t->c->files; f++)
		if (open_pair(t, f, O_CREAT | (t->c->verify_only ? 0 : O_TRUNC)))
			return NULL;
	if (open_pair(t, t->c->files, O_CREAT) == 0 && t->c->verify_only) {
		/* the shared file: each thread checks its own stripe */
		off_t lo = (off_t) t->id * STRIPE * 4;

		compare_range(t, t->fd[t->c->files], t->sfd[t->c->files], lo, STRIPE * 4, "verify");
	}
	if (t->c->verify_only) {
		for (f = 0; f < t->c->files; f++)
			compare_whole(t, t->fd[f], t->sfd[f], "verify");
	} else {
		for (long i = 0; i < t->c->ops && !t->failed; i++)
			one_op(t);
		for (f = 0; f < t->c->files && !t->failed; f++)
			compare_whole(t, t->fd[f], t->sfd[f], "final");
	}
	for (f = 0; f <= t->c->files; f++) {
		close(t->fd[f]);
		close(t->sfd[f]);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"dir", 1, 0, 'd'},
					   {"shadow", 1, 0, 's'},
					   {"seed", 1, 0, 'S'},
					   {"ops", 1, 0, 'n'},
					   {"threads", 1, 0, 't'},
					   {"files", 1, 0, 'f'},
					   {"max-size", 1, 0, 'm'},
					   {"no-mmap", 0, 0, 'M'},
					   {"no-drop", 0, 0, 'D'},
					   {"verify", 0, 0, 'v'},
					   {"no-clone", 0, 0, 'C'},
					   {"no-dio", 0, 0, 'O'},
					   {0, 0, 0, 0}};
	struct tstate *ts;
	pthread_t *th;
	long passed = 0, failed = 0, refused = 0, served = 0, clones = 0, cbytes = 0, dio = 0;
	int c, i;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			cfg.dir = optarg;
			break;
		case 's':
			cfg.shadow = optarg;
			break;
		case 'S':
			cfg.seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			cfg.ops = strtol(optarg, NULL, 0);
			break;
		case 't':
			cfg.threads = atoi(optarg);
			break;
		case 'f':
			cfg.files = atoi(optarg);
			break;
		case 'm':
			cfg.max_size = strtoll(optarg, NULL, 0);
			break;
		case 'M':
			cfg.mmap_ok = false;
			break;
		case 'D':
			cfg.drop_ok = false;
			break;
		case 'v':
			cfg.verify_only = true;
			break;
		case 'C':
			cfg.clone_ok = false;
			break;
		case 'O':
			cfg.dio_ok = false;
			break;
		default:
			return 2;
		}
	}
	if (!cfg.dir || !cfg.shadow || cfg.threads < 1 || cfg.files < 1 || cfg.files > 15) {
		fprintf(stderr,
			"usage: fsmodel --dir MNT --shadow DIR [--seed S] [--ops N] "
			"[--threads T] [--files F<=15] [--max-size B] [--no-mmap] [--no-drop] "
			"[--no-clone] [--no-dio] [--verify]\n");
		return 2;
	}
	ts = calloc((size_t) cfg.threads, sizeof(*ts));
	th = calloc((size_t) cfg.threads, sizeof(*th));
	for (i = 0; i < cfg.threads; i++) {
		ts[i].c = &cfg;
		ts[i].id = i;
		ts[i].rng = cfg.seed + (uint64_t) i;
		pthread_create(&th[i], NULL, run_thread, &ts[i]);
	}
	for (i = 0; i < cfg.threads; i++) {
		pthread_join(th[i], NULL);
		passed += ts[i].passed;
		failed += ts[i].failed;
		refused += ts[i].shift_refused;
		served += ts[i].shift_served;
		clones += ts[i].clones;
		cbytes += ts[i].cloned_bytes;
		dio += ts[i].dio_ops;
	}
	printf("fsmodel: seed %llu, %d threads x %ld ops\n", (unsigned long long) cfg.seed,
	       cfg.threads, cfg.verify_only ? 0 : cfg.ops);
	printf("fsmodel: collapse/insert/unshare: %ld refused by the kernel (EOPNOTSUPP), %ld "
	       "served\n",
	       refused, served);
	printf("fsmodel: copy_file_range: %ld calls, %ld bytes; O_DIRECT: %ld ops\n", clones,
	       cbytes, dio);
	printf("%ld passed, %ld failed\n", passed, failed);
	return failed ? 1 : 0;
}
