// SPDX-License-Identifier: GPL-2.0
/*
 * The racing adjacent writers of the 2022 stale-iomap corruption, as plain
 * POSIX I/O (see stress.h and doc/race.md).
 *
 * Per round, in a fresh region of the pair's file (fallocated: unwritten;
 * or a hole of a sparse file: delalloc), with X a block in the region:
 *
 *     region_start        b_start                X      X+j  X+k            a_end
 *     |  zero             |  B: large write ......|  B  | 0 |  A: tail of X ...|  zero  |
 *
 * Writer A writes [X+k, a_end), writer B writes [b_start, X+j), j <= k, both
 * unaligned.  They start together; whichever takes the file's i_rwsem
 * second maps block X while the first one's data in X is still dirty
 * (UNWRITTEN or DELALLOC in the extent map).  If writeback converts X and
 * reclaim evicts its folio before the second writer reaches it, a writer
 * whose mapping is not revalidated zeroes the other writer's bytes of X.
 * The leader then reads the region back and checks every byte.
 */
#include "stress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* ---- patterns and randomness ---- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* Never zero, so that zeroed data can never pass for written data. */
uint8_t stress_byte(uint64_t seed, uint64_t off)
{
	return (uint8_t) (mix64(seed ^ (off * 0x9e3779b97f4a7c15ull)) % 255 + 1);
}

void stress_fill(char *buf, uint64_t seed, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char) stress_byte(seed, off + i);
}

/* splitmix64 */
uint64_t stress_rand(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ull;
	return mix64(*state);
}

static uint64_t rand_below(uint64_t *state, uint64_t n)
{
	return n ? stress_rand(state) % n : 0;
}

double stress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

void stress_file_name(char *buf, size_t len, const char *dir, uint32_t pair, uint32_t gen)
{
	snprintf(buf, len, "%s/race.%u.%u", dir, pair, gen);
}

const char *stress_workload_name(enum stress_workload w)
{
	switch (w) {
	case WL_UNWRITTEN:
		return "unwritten";
	case WL_DELALLOC:
		return "delalloc";
	case WL_MMAP:
		return "mmap";
	}
	return "?";
}

int stress_parse_workload(const char *s, enum stress_workload *w)
{
	if (!strcmp(s, "unwritten"))
		*w = WL_UNWRITTEN;
	else if (!strcmp(s, "delalloc"))
		*w = WL_DELALLOC;
	else if (!strcmp(s, "mmap"))
		*w = WL_MMAP;
	else
		return -1;
	return 0;
}

void stress_default_opts(struct stress_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->workload = WL_UNWRITTEN;
	o->seconds = 10;
	o->pairs = 2;
	o->region = 64 << 10;
	o->file_size = 16 << 20;
	o->keep_files = 4;
	o->seed = 2022;
	o->short_copy_at = -1;
	o->mmap_delay_us = 3000;
}

/* ---- the manifest ---- */

void stress_manifest_init(struct stress_manifest *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
}

void stress_manifest_free(struct stress_manifest *m)
{
	free(m->r);
	pthread_mutex_destroy(&m->lock);
}

void stress_manifest_add(struct stress_manifest *m, const struct stress_round *r)
{
	pthread_mutex_lock(&m->lock);
	if (m->nr == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		struct stress_round *n = realloc(m->r, cap * sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&m->lock);
			return; /* the recheck just covers less */
		}
		m->r = n;
		m->cap = cap;
	}
	m->r[m->nr++] = *r;
	pthread_mutex_unlock(&m->lock);
}

/* A file was removed to make room: forget its rounds. */
void stress_manifest_drop_file(struct stress_manifest *m, uint32_t pair, uint32_t gen)
{
	size_t i, j = 0;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nr; i++)
		if (m->r[i].pair != pair || m->r[i].gen != gen)
			m->r[j++] = m->r[i];
	m->nr = j;
	pthread_mutex_unlock(&m->lock);
}

#define MANIFEST_FMT "%u %u %u %lu %u %lu %lu %lu %lu %lu %lu %u\n"

int stress_manifest_save(const struct stress_manifest *m, const char *path)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (!f)
		return -errno;
	fprintf(f, "# xfsfuse-stress manifest: pair gen nr region_start region_len a_start a_len "
		   "a_seed b_start b_len b_seed corrupt\n");
	for (i = 0; i < m->nr; i++) {
		const struct stress_round *r = &m->r[i];

		fprintf(f, MANIFEST_FMT, r->pair, r->gen, r->nr, (unsigned long) r->region_start,
			r->region_len, (unsigned long) r->a_start, (unsigned long) r->a_len,
			(unsigned long) r->a_seed, (unsigned long) r->b_start,
			(unsigned long) r->b_len, (unsigned long) r->b_seed, r->corrupt);
	}
	return fclose(f) ? -errno : 0;
}

int stress_manifest_load(struct stress_manifest *m, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct stress_round r;
		unsigned long v[8];

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%u %u %u %lu %u %lu %lu %lu %lu %lu %lu %u", &r.pair, &r.gen,
			   &r.nr, &v[0], &r.region_len, &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &r.corrupt) != 12) {
			fclose(f);
			return -EINVAL;
		}
		r.region_start = v[0];
		r.a_start = v[1];
		r.a_len = v[2];
		r.a_seed = v[3];
		r.b_start = v[4];
		r.b_len = v[5];
		r.b_seed = v[6];
		stress_manifest_add(m, &r);
	}
	fclose(f);
	return 0;
}

/* ---- checking ---- */

static int pread_full(int fd, char *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t) off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) { /* past EOF reads as zero for our purpose */
			memset(buf, 0, len);
			return 0;
		}
		buf += n;
		len -= (size_t) n;
		off += (uint64_t) n;
	}
	return 0;
}

static int pwrite_full(int fd, const char *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, (off_t) off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t) n;
		off += (uint64_t) n;
	}
	return 0;
}

static uint8_t expected_byte(const struct stress_round *r, uint64_t off, char *who)
{
	if (off >= r->a_start && off < r->a_start + r->a_len) {
		*who = 'A';
		return stress_byte(r->a_seed, off);
	}
	if (off >= r->b_start && off < r->b_start + r->b_len) {
		*who = 'B';
		return stress_byte(r->b_seed, off);
	}
	*who = '0';
	return 0;
}

/* Say what went wrong in one block: the first bad byte and its owner. */
static void report_block(const struct stress_opts *o, const struct stress_round *r,
			 const char *when, uint64_t boff, const char *got, unsigned int bs)
{
	unsigned int i, bad = 0, zeroes = 0, first = bs;
	char who = '0', first_who = '0';

	for (i = 0; i < bs; i++) {
		uint8_t want = expected_byte(r, boff + i, &who);

		if ((uint8_t) got[i] == want)
			continue;
		if (first == bs) {
			first = i;
			first_who = who;
		}
		bad++;
		zeroes += got[i] == 0;
	}
	fprintf(o->log ? o->log : stderr,
		"stress: CORRUPT (%s) file race.%u.%u round %u block at %lu: %u bad bytes from %lu "
		"(%s's data), %u of them zero; A=[%lu,+%lu) B=[%lu,+%lu)\n",
		when, r->pair, r->gen, r->nr, (unsigned long) boff, bad,
		(unsigned long) (boff + first),
		first_who == 'A'   ? "writer A"
		: first_who == 'B' ? "writer B"
				   : "nobody",
		zeroes, (unsigned long) r->a_start, (unsigned long) r->a_len,
		(unsigned long) r->b_start, (unsigned long) r->b_len);
}

uint64_t stress_check_round(const struct stress_opts *o, int fd, const struct stress_round *r,
			    unsigned int bs, const char *when, struct stress_result *res)
{
	char *got = malloc(r->region_len);
	uint64_t off, corrupt = 0;
	char who;

	if (!got || pread_full(fd, got, r->region_len, r->region_start)) {
		free(got);
		res->errors++;
		return 0;
	}
	for (off = 0; off < r->region_len; off += bs) {
		uint64_t boff = r->region_start + off;
		unsigned int n =
			r->region_len - off < bs ? (unsigned int) (r->region_len - off) : bs;
		unsigned int i;

		for (i = 0; i < n; i++)
			if ((uint8_t) got[off + i] != expected_byte(r, boff + i, &who))
				break;
		if (i == n)
			continue;
		corrupt++;
		if (o->verbose)
			report_block(o, r, when, boff, got + off, n);
	}
	res->checked_bytes += r->region_len;
	free(got);
	return corrupt;
}

/* ---- the writer pairs ---- */

struct stress_shared {
	const struct stress_opts *o;
	struct stress_manifest *m;
	double start, end;
	_Atomic bool stop;
	pthread_mutex_t lock; /* protects res */
	struct stress_result *res;
	_Atomic uint32_t round_nr;
};

struct stress_pair {
	struct stress_shared *sh;
	unsigned int id, bs;
	uint64_t rng;	       /* the leader's */
	uint64_t follower_rng; /* the follower's seed, set before either thread runs */
	int fd;		       /* current file, -1: none */
	uint32_t gen;
	uint64_t next_off;	       /* next region of the current file */
	pthread_barrier_t start, done; /* leader and follower, per round */
	bool quit;		       /* set by the leader before `start` */
	struct stress_round cur;
	char *abuf, *bbuf;
	int a_err, b_err;
	pthread_t follower;
	/* mmap workload */
	int dfd;	/* O_DIRECT: straight to the daemon */
	char *map;	/* the page the store goes to */
	uint64_t w_len; /* what the short write asks for */
	bool was_short;
};

/* Close the full file, drop the oldest kept one, open the next. */
static int pair_next_file(struct stress_pair *p)
{
	const struct stress_opts *o = p->sh->o;
	unsigned int keep = o->workload == WL_MMAP ? o->keep_files * 16 : o->keep_files;
	char name[4096];

	if (p->dfd >= 0 && p->dfd != p->fd)
		close(p->dfd);
	p->dfd = -1;
	if (p->fd >= 0) {
		close(p->fd);
		p->gen++;
		if (p->gen >= keep) {
			uint32_t old = p->gen - keep;

			stress_file_name(name, sizeof(name), o->dir, p->id, old);
			unlink(name);
			stress_manifest_drop_file(p->sh->m, p->id, old);
		}
	}
	stress_file_name(name, sizeof(name), o->dir, p->id, p->gen);
	p->fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (p->fd < 0)
		return -errno;
	/* inside EOF: no EOF zeroing or speculative preallocation in the way */
	if (ftruncate(p->fd, (off_t) o->file_size))
		return -errno;
	p->next_off = 0;
	if (o->workload != WL_MMAP)
		return 0;
	/* on FUSE: FOPEN_DIRECT_IO, no kernel page cache between us and the daemon */
	p->dfd = open(name, O_RDWR | O_DIRECT);
	if (p->dfd < 0 && errno == EINVAL)
		p->dfd = dup(p->fd); /* a filesystem without O_DIRECT */
	return p->dfd < 0 ? -errno : 0;
}

/*
 * The mmap round (generic/346 style), in a fresh sparse file: writer B is an
 * O_DIRECT write() of [s, e) that the daemon cuts short at OFF
 * (short_copy_at), so it writes [s, OFF) and gives back the delalloc it
 * reserved past OFF; writer A stores into page Q of [OFF, e) through a shared
 * mapping and starts writeback of that page at once, so that the store may
 * reach the daemon (a writepage WRITE: a fault for the engine) while the
 * short write sits between its iomap_begin and its punch.  The store must
 * survive the short write's cleanup (see mmap_store for why it is not
 * msync).
 *
 *     region_start     s           OFF     Q [store]          e
 *     |   zero         | B writes  |   B's reservation, not written |  zero  |
 */
static int pair_prepare_mmap_round(struct stress_pair *p)
{
	const struct stress_opts *o = p->sh->o;
	struct stress_round *r = &p->cur;
	uint64_t off = (uint64_t) o->short_copy_at, q;
	volatile char c;
	int error;

	error = pair_next_file(p);
	if (error)
		return error;
	r->region_start = (off - 16384) & ~((uint64_t) p->bs - 1);
	r->region_len = o->region;
	r->b_start = off - 1 - rand_below(&p->rng, 12288);
	r->b_seed = stress_rand(&p->rng);
	q = ((off + 4096) & ~4095ull) + 4096 * rand_below(&p->rng, 3);
	p->w_len = q + 4096 + rand_below(&p->rng, 4096) - r->b_start;
	r->a_start = q + rand_below(&p->rng, 2048);
	r->a_len = 1 + rand_below(&p->rng, 2048);
	r->a_seed = stress_rand(&p->rng);
	stress_fill(p->abuf, r->a_seed, r->a_start, r->a_len);
	stress_fill(p->bbuf, r->b_seed, r->b_start, p->w_len);

	/* one 4 KiB page, faulted in now (no readahead): the store only dirties it */
	p->map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, (off_t) q);
	if (p->map == MAP_FAILED) {
		p->map = NULL;
		return -errno;
	}
	madvise(p->map, 4096, MADV_RANDOM);
	c = p->map[0];
	(void) c;
	return 0;
}

/* Lay out one round (see the picture at the top) and make its space. */
static int pair_prepare_round(struct stress_pair *p)
{
	const struct stress_opts *o = p->sh->o;
	struct stress_round *r = &p->cur;
	uint64_t bs = p->bs, nb = o->region / bs, x, j, k;
	int error;

	memset(r, 0, sizeof(*r));
	r->nr = atomic_fetch_add(&p->sh->round_nr, 1);
	r->pair = p->id;
	if (o->workload == WL_MMAP) {
		error = pair_prepare_mmap_round(p);
		r->gen = p->gen;
		return error;
	}
	if (p->fd < 0 || p->next_off + o->region > o->file_size) {
		error = pair_next_file(p);
		if (error)
			return error;
	}
	r->gen = p->gen;
	r->region_start = p->next_off;
	r->region_len = o->region;
	p->next_off += o->region;

	x = r->region_start + bs * (nb / 2 + rand_below(&p->rng, nb / 4));
	j = 1 + rand_below(&p->rng, bs - 1);
	k = rand_below(&p->rng, 2) ? j : j + rand_below(&p->rng, bs - j);
	r->b_start = r->region_start + rand_below(&p->rng, bs);
	r->b_len = x + j - r->b_start;
	r->b_seed = stress_rand(&p->rng);
	r->a_start = x + k;
	r->a_len = 1 + rand_below(&p->rng, o->region / 8);
	if (r->a_start + r->a_len > r->region_start + o->region)
		r->a_len = r->region_start + o->region - r->a_start;
	r->a_seed = stress_rand(&p->rng);

	stress_fill(p->abuf, r->a_seed, r->a_start, r->a_len);
	stress_fill(p->bbuf, r->b_seed, r->b_start, r->b_len);

	if (o->workload == WL_UNWRITTEN &&
	    fallocate(p->fd, 0, (off_t) r->region_start, (off_t) r->region_len))
		return -errno;
	return 0;
}

/* A short random pause so that either writer may come first. */
static void jitter(uint64_t *rng)
{
	uint64_t spins = rand_below(rng, 20000);

	for (volatile uint64_t i = 0; i < spins; i++)
		;
}

/*
 * mmap: the store, after a random delay, pushed to the filesystem at once.
 * Not msync(MS_SYNC): on FUSE that is fsync, which takes the kernel inode
 * lock, and B's O_DIRECT write holds it until the daemon answers -- the
 * store would always arrive after the short write's cleanup and race 3
 * could never show.  sync_file_range() writes the page back without the
 * inode lock, as the kernel's own writeback does, so the writepage WRITE
 * can overlap B's WRITE in the daemon.  (B's write invalidated page Q before
 * it was sent; the store's fault re-reads it through FUSE, which xfsfuse
 * serves without i_rwsem, as kernel XFS fills its page cache.)
 */
static int mmap_store(struct stress_pair *p, uint64_t *rng)
{
	const struct stress_round *r = &p->cur;
	uint64_t q = r->a_start & ~4095ull;
	unsigned int how =
		SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;

	usleep((useconds_t) rand_below(rng, p->sh->o->mmap_delay_us + 1));
	memcpy(p->map + (r->a_start - q), p->abuf, r->a_len);
	return sync_file_range(p->fd, (off_t) q, 4096, how) ? -errno : 0;
}

/* mmap: the write that comes back short (one call: no retry of the rest) */
static int mmap_short_write(struct stress_pair *p)
{
	struct stress_round *r = &p->cur;
	ssize_t n = pwrite(p->dfd, p->bbuf, p->w_len, (off_t) r->b_start);

	if (n < 0 && errno != EFAULT)
		return -errno;
	r->b_len = n < 0 ? 0 : (uint64_t) n;
	p->was_short = r->b_len < p->w_len;
	return 0;
}

static void *pair_follower(void *arg)
{
	struct stress_pair *p = arg;
	uint64_t rng = p->follower_rng; /* not p->rng: the leader is already drawing from it */

	for (;;) {
		pthread_barrier_wait(&p->start);
		if (p->quit)
			break;
		if (p->sh->o->workload == WL_MMAP) {
			p->b_err = mmap_store(p, &rng);
		} else {
			jitter(&rng);
			p->b_err = pwrite_full(p->fd, p->bbuf, p->cur.b_len, p->cur.b_start);
		}
		pthread_barrier_wait(&p->done);
	}
	return NULL;
}

static void pair_leader_write(struct stress_pair *p)
{
	if (p->sh->o->workload == WL_MMAP) {
		p->a_err = mmap_short_write(p);
		return;
	}
	jitter(&p->rng);
	p->a_err = pwrite_full(p->fd, p->abuf, p->cur.a_len, p->cur.a_start);
}

static void pair_account(struct stress_pair *p, uint64_t corrupt, const struct stress_result *one)
{
	struct stress_shared *sh = p->sh;

	pthread_mutex_lock(&sh->lock);
	sh->res->rounds++;
	sh->res->checked_bytes += one->checked_bytes;
	sh->res->errors += one->errors;
	sh->res->short_writes += one->short_writes;
	sh->res->corrupt_blocks += corrupt;
	if (corrupt && sh->res->first_corruption_s < 0)
		sh->res->first_corruption_s = stress_now() - sh->start;
	pthread_mutex_unlock(&sh->lock);
	if (corrupt && sh->o->stop_at_first)
		atomic_store(&sh->stop, true);
}

/* One round as the leader (writer A); false: stop. */
static bool pair_round(struct stress_pair *p)
{
	struct stress_shared *sh = p->sh;
	const struct stress_opts *o = sh->o;
	struct stress_result one = {0};
	uint64_t corrupt;
	int error = 0;

	p->quit = atomic_load(&sh->stop) || stress_now() >= sh->end;
	if (!p->quit) {
		error = pair_prepare_round(p);
		if (error) {
			fprintf(stderr, "stress: pair %u: preparing a round: %s\n", p->id,
				strerror(-error));
			p->quit = true;
			one.errors++;
			pair_account(p, 0, &one);
			atomic_store(&sh->stop, true);
		}
	}
	pthread_barrier_wait(&p->start);
	if (p->quit)
		return false;
	pair_leader_write(p);
	pthread_barrier_wait(&p->done);
	if (p->map) {
		munmap(p->map, 4096);
		p->map = NULL;
	}
	one.short_writes = p->was_short;

	if (p->a_err || p->b_err) {
		fprintf(stderr, "stress: pair %u round %u: write failed: %s\n", p->id, p->cur.nr,
			strerror(-(p->a_err ? p->a_err : p->b_err)));
		one.errors++;
	}
	corrupt =
		stress_check_round(o, p->dfd >= 0 ? p->dfd : p->fd, &p->cur, p->bs, "online", &one);
	p->cur.corrupt = (uint32_t) corrupt;
	stress_manifest_add(sh->m, &p->cur);
	if (o->verbose >= 2)
		fprintf(o->log ? o->log : stderr, "stress: round %u pair %u: %lu corrupt blocks\n",
			p->cur.nr, p->id, (unsigned long) corrupt);
	pair_account(p, corrupt, &one);
	return true;
}

static void *pair_leader(void *arg)
{
	struct stress_pair *p = arg;

	while (pair_round(p))
		;
	return NULL;
}

static int pair_init(struct stress_pair *p, struct stress_shared *sh, unsigned int id,
		     unsigned int bs)
{
	memset(p, 0, sizeof(*p));
	p->sh = sh;
	p->id = id;
	p->bs = bs;
	p->fd = -1;
	p->dfd = -1;
	p->rng = sh->o->seed * 1000003 + id;
	p->follower_rng = p->rng ^ 0x5bd1e995;
	p->abuf = malloc(sh->o->region);
	p->bbuf = malloc(sh->o->region);
	if (!p->abuf || !p->bbuf)
		return -ENOMEM;
	pthread_barrier_init(&p->start, NULL, 2);
	pthread_barrier_init(&p->done, NULL, 2);
	return 0;
}

static void pair_destroy(struct stress_pair *p)
{
	if (p->dfd >= 0)
		close(p->dfd);
	if (p->fd >= 0)
		close(p->fd);
	free(p->abuf);
	free(p->bbuf);
	pthread_barrier_destroy(&p->start);
	pthread_barrier_destroy(&p->done);
}

static int stress_block_size(const struct stress_opts *o, unsigned int *bs)
{
	struct statvfs sv;

	if (o->block_size) {
		*bs = o->block_size;
		return 0;
	}
	if (statvfs(o->dir, &sv))
		return -errno;
	*bs = (unsigned int) sv.f_bsize;
	return 0;
}

static int stress_check_opts(const struct stress_opts *o, unsigned int bs)
{
	if (bs < 512 || (bs & (bs - 1)) || o->region < 8 * bs || o->region % bs ||
	    o->file_size < o->region || !o->pairs || !o->keep_files ||
	    (o->workload == WL_MMAP && o->file_size < (uint64_t) o->short_copy_at + o->region)) {
		fprintf(stderr, "stress: bad geometry: block %u, region %u, file size %lu\n", bs,
			o->region, (unsigned long) o->file_size);
		return -EINVAL;
	}
	return 0;
}

static int stress_run_pairs(struct stress_shared *sh, unsigned int bs)
{
	const struct stress_opts *o = sh->o;
	struct stress_pair *pairs = calloc(o->pairs, sizeof(*pairs));
	pthread_t *leaders = calloc(o->pairs, sizeof(*leaders));
	unsigned int i, started = 0;
	int error = 0;

	if (!pairs || !leaders) {
		error = -ENOMEM;
		goto out;
	}
	for (i = 0; i < o->pairs && !error; i++) {
		error = pair_init(&pairs[i], sh, i, bs);
		if (!error && pthread_create(&pairs[i].follower, NULL, pair_follower, &pairs[i]))
			error = -EAGAIN;
		if (!error && pthread_create(&leaders[i], NULL, pair_leader, &pairs[i])) {
			/* release the follower: it sees quit */
			pairs[i].quit = true;
			pthread_barrier_wait(&pairs[i].start);
			pthread_join(pairs[i].follower, NULL);
			error = -EAGAIN;
		}
		if (!error)
			started++;
	}
	if (error)
		atomic_store(&sh->stop, true);
	for (i = 0; i < started; i++) {
		pthread_join(leaders[i], NULL);
		pthread_join(pairs[i].follower, NULL);
	}
	for (i = 0; i < o->pairs && pairs; i++)
		if (pairs[i].abuf || pairs[i].bbuf)
			pair_destroy(&pairs[i]);
out:
	free(pairs);
	free(leaders);
	return error;
}

int stress_run(const struct stress_opts *o, struct stress_manifest *m, struct stress_result *res)
{
	struct stress_shared sh;
	unsigned int bs = 0;
	int error;

	memset(res, 0, sizeof(*res));
	res->first_corruption_s = -1;
	error = stress_block_size(o, &bs);
	if (error)
		return error;
	error = stress_check_opts(o, bs);
	if (error)
		return error;
	if (o->workload == WL_MMAP && o->short_copy_at < 32768) {
		fprintf(stderr, "stress: the mmap workload needs --short-copy-at OFF (>= 32768), "
				"the daemon's short_copy_at\n");
		return -EINVAL;
	}

	memset(&sh, 0, sizeof(sh));
	sh.o = o;
	sh.m = m;
	sh.res = res;
	pthread_mutex_init(&sh.lock, NULL);
	sh.start = stress_now();
	sh.end = sh.start + o->seconds;
	error = stress_run_pairs(&sh, bs);
	pthread_mutex_destroy(&sh.lock);
	return error;
}

/* ---- the second look, after a remount ---- */

static int round_cmp(const void *a, const void *b)
{
	const struct stress_round *x = a, *y = b;

	if (x->pair != y->pair)
		return x->pair < y->pair ? -1 : 1;
	if (x->gen != y->gen)
		return x->gen < y->gen ? -1 : 1;
	return x->region_start < y->region_start ? -1 : x->region_start > y->region_start;
}

int stress_verify(const struct stress_opts *o, const struct stress_manifest *m,
		  struct stress_result *res)
{
	uint32_t cur_pair = UINT32_MAX, cur_gen = UINT32_MAX;
	struct stress_round *sorted;
	uint64_t found;
	int fd = -1;
	unsigned int bs = 0;
	size_t i;
	int error;

	memset(res, 0, sizeof(*res));
	res->first_corruption_s = -1;
	error = stress_block_size(o, &bs);
	if (error)
		return error;
	/* file by file, in offset order */
	sorted = malloc((m->nr ? m->nr : 1) * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	if (m->nr)
		memcpy(sorted, m->r, m->nr * sizeof(*sorted));
	qsort(sorted, m->nr, sizeof(*sorted), round_cmp);
	for (i = 0; i < m->nr; i++) {
		const struct stress_round *r = &sorted[i];
		char name[4096];

		if (r->pair != cur_pair || r->gen != cur_gen) {
			if (fd >= 0)
				close(fd);
			stress_file_name(name, sizeof(name), o->dir, r->pair, r->gen);
			fd = open(name, O_RDONLY);
			cur_pair = r->pair;
			cur_gen = r->gen;
			if (fd < 0) {
				fprintf(stderr, "stress: %s: %s\n", name, strerror(errno));
				res->errors++;
				continue;
			}
		}
		if (fd < 0)
			continue;
		found = stress_check_round(o, fd, r, bs, "after remount", res);
		res->corrupt_blocks += found;
		res->corrupt_union += found > r->corrupt ? found : r->corrupt;
		res->rounds++;
	}
	if (fd >= 0)
		close(fd);
	free(sorted);
	return 0;
}
