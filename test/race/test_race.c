// SPDX-License-Identifier: GPL-2.0
/*
 * The deterministic race harness (issue 6, DESIGN.md §4): each race the
 * 2022 XFS fixes closed, forced step by step on a real XFS image with real
 * threads, through the real engine (xf_engine_start: bdi flusher, completion
 * worker, reclaim).  Threads stop at the engine's named injection points
 * (park.h) and go on only when the test says so; nothing depends on timing.
 *
 *   1. unwritten -> written under a write (the 2022 corruption)
 *   2. delalloc (F_NEW, reserved by the write itself) -> unwritten -> written
 *   3. short write vs an mmap store in the same delalloc folio (punch)
 *   4. writeback's cached mapping vs a racing fork change (xfs/558 style)
 *   (5-8 in race_stale_cleanup.c, race_cow.c, race_shift.c; 9, direct I/O
 *   against buffered and mmap I/O, in race_dio.c)
 *
 * Each runs on 1 KiB blocks / 4 KiB folios and 4 KiB blocks / 16 KiB
 * folios, with the fix and without it.  Without it the corruption is
 * ASSERTED (so the harness proves it reaches the window); with it the data
 * is right after remount, xfs_repair -n is clean and the kernel's XFS reads
 * the same bytes.  Every armed park point must be reached.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "park.h"
#include "race_fs.h"
#include "race_steps.h"
#include "xfs_iomap.h"

/* Blocks smaller than folios in each: a folio can be partly uptodate (the 2022 case). */
static const struct race_geom geoms[] = {
	{.bs = 1024, .fsize = 4096},
	{.bs = 1024, .fsize = 16384},
	{.bs = 4096, .fsize = 16384},
};

/* ------------------------------------------------------------------ */
/* 1 + 2: a stale mapping under a write                                */
/* ------------------------------------------------------------------ */

/*
 * The layout of races 1 and 2, folio P = the third folio:
 *   W1 writes [w1, P+F): the tail half of P, starting in the middle of a
 *      block, so that block is partly W1's (its head zeroed in memory).
 *   W2 writes [0, w1): a large write ending inside P, in W1's block.
 * If W2 reaches P with the mapping it had before writeback converted P's
 * blocks and reclaim dropped P, it believes W1's block is unwritten (or
 * delalloc) and zeroes W1's bytes instead of reading them.
 */
struct stale_layout {
	uint64_t F, B, P, w1, size;
	uint64_t lost_off, lost_len; /* W1's bytes in the shared block */
};

static struct stale_layout stale_layout(const struct race_geom *g)
{
	struct stale_layout l;

	l.F = g->fsize;
	l.B = g->bs;
	l.P = 2 * l.F;
	l.w1 = l.P + l.F / 2 + l.B / 2;
	l.size = 4 * l.F;
	l.lost_off = l.w1;
	l.lost_len = l.B / 2;
	return l;
}

/*
 * Check what came back: with the fix, exactly @expect; without, exactly
 * @expect except W1's bytes of the shared block, which are zeroes.
 * Returns a result string for the summary.
 */
static const char *stale_verdict(const struct stale_layout *l, const unsigned char *expect,
				 const unsigned char *got, bool validate, char *why, size_t whylen)
{
	size_t tail = l->lost_off + l->lost_len;
	bool right = race_first_diff(got, expect, l->size) < 0;
	bool corrupted = race_all_zero(got, l->lost_off, l->lost_len) &&
			 !race_all_zero(expect, l->lost_off, l->lost_len) &&
			 race_first_diff(got, expect, l->lost_off) < 0 &&
			 race_first_diff(got + tail, expect + tail, l->size - tail) < 0;

	if (validate) {
		CHECK(right);
		snprintf(why, whylen, "%s", right ? "data right" : "WRONG DATA: the fix failed");
	} else {
		/* The corruption, asserted: exactly W1's bytes of the shared block are zeroes. */
		CHECK(corrupted);
		if (corrupted)
			snprintf(why, whylen,
				 "CORRUPTED as expected: W1's %llu bytes at %llu "
				 "read back as zeroes",
				 (unsigned long long) l->lost_len,
				 (unsigned long long) l->lost_off);
		else
			snprintf(why, whylen, "NOT CORRUPTED: the race was not reproduced%s",
				 right ? "" : " (other damage)");
	}
	return why;
}

/*
 * What races 1 and 2 share: one file "f" on a fresh image, W2 (the large
 * write that goes stale) on its own thread, and the ending -- W2 resumes,
 * the stale counter must have moved exactly when validation is on, then
 * unmount, repair, remount, the verdict, and the kernel as a second reader.
 */
struct stale_case {
	const char *name;
	const struct race_geom *g;
	const struct race_mode *mode;
	bool validate;
	struct race_mount_opts o;
	struct stale_layout l;
	struct race_fs rf;
	struct xb_inode *ip;
	struct vfs_inode *v;
	struct race_thread w2;
	struct park *p_w2;
	unsigned char *expect, *got, *w2buf;
	uint64_t stale0, stale;
	const char *result;
	char why[160];
	int kernel;
};

static void stale_case_begin(struct stale_case *c, const char *name, const struct race_geom *g,
			     const struct race_mode *mode)
{
	*c = (struct stale_case){.name = name,
				 .g = g,
				 .mode = mode,
				 .validate = mode->validate,
				 .result = "NOT RUN"};
	c->o = race_mode_opts(mode, true);
	c->l = stale_layout(g);
	c->expect = calloc(1, c->l.size);
	c->got = malloc(c->l.size);
	c->w2buf = malloc(c->l.w1);
	race_fs_mkfs(&c->rf, g);
	race_fs_mount(&c->rf, &c->o);
	c->ip = race_create(&c->rf, "f");
	c->v = xb_vfs_inode(c->ip);
}

/* W2 writes [0, w1) with pattern @seed and parks at @point for @pos. */
static bool stale_case_start_w2(struct stale_case *c, enum iomap_inject_point point, loff_t pos,
				int seed)
{
	race_fill(c->w2buf, c->l.w1, 0, seed);
	c->stale0 = stale_now();
	c->p_w2 = park_arm(point, c->v, pos);
	c->w2 = (struct race_thread){.op = RACE_WRITE,
				     .rf = &c->rf,
				     .ip = c->ip,
				     .buf = c->w2buf,
				     .len = c->l.w1,
				     .off = 0};
	race_thread_start(&c->w2);
	return reach(c->p_w2);
}

/* W2 goes on with the mapping it cached before the race; then the verdict. */
static void stale_case_conclude(struct stale_case *c)
{
	park_release(c->p_w2);
	CHECK_EQ(race_thread_join(&c->w2), c->l.w1);
	c->stale = stale_now() - c->stale0;
	memcpy(c->expect, c->w2buf, c->l.w1);
	if (c->validate)
		CHECK(c->stale >= 1);
	else
		CHECK_EQ(c->stale, 0);
	CHECK_EQ(xf_file_fsync(&c->rf.e, c->ip, false, NULL), 0);
	xb_iput(c->ip);

	remount_read(&c->rf, &c->o, "f", c->got, c->l.size);
	c->result = stale_verdict(&c->l, c->expect, c->got, c->validate, c->why, sizeof(c->why));
	finish(&c->rf);
	if (c->validate)
		c->kernel = race_kernel_check(c->rf.img, "f", c->expect, c->l.size);
}

/* A park point was not reached: release everything, join @extra too. */
static void stale_case_abort(struct stale_case *c, struct race_thread *extra)
{
	park_check_all(c->name);
	if (extra)
		race_thread_join(extra);
	race_thread_join(&c->w2);
	xb_iput(c->ip);
	finish(&c->rf);
}

static void stale_case_end(struct stale_case *c)
{
	park_check_all(c->name);
	summary(c->name, c->g, c->mode->name, c->result, c->stale,
		c->validate ? (c->kernel ? "same" : "skipped") : "-");
	free(c->expect);
	free(c->got);
	free(c->w2buf);
	free(c->rf.img);
}

/*
 * Race 1.  The file is preallocated (unwritten).  W1 dirties P's tail.  W2
 * maps [0, w1) -- one UNWRITTEN mapping -- and parks right after
 * ->iomap_begin.  Writeback writes P; its completion (parked first, to show
 * P cannot be evicted while under writeback) converts W1's blocks to
 * written; reclaim evicts the now clean P.  W2 goes on.
 */
static void race1_unwritten(const struct race_geom *g, const struct race_mode *mode)
{
	struct stale_case c;
	struct stale_layout *l = &c.l;
	struct race_thread wb = {0};
	struct park *p_io;
	struct folio *f;

	stale_case_begin(&c, "1-unwritten", g, mode);
	CHECK_EQ(xf_file_fallocate(&c.rf.e, c.ip, 0, l->size, false), 0);
	CHECK_EQ(race_block_state(c.ip, 0), 'U');

	/* W1: the tail half of P, over unwritten blocks: P dirty. */
	race_fill(c.expect + l->w1, l->P + l->F - l->w1, l->w1, 1);
	CHECK_EQ(write_at(&c.rf, c.ip, c.expect + l->w1, l->P + l->F - l->w1, l->w1),
		 l->P + l->F - l->w1);

	/* W2 caches the UNWRITTEN mapping of [0, w1) and parks. */
	if (!stale_case_start_w2(&c, INJECT_WRITE_AFTER_BEGIN, 0, 2))
		goto out_abort;

	/* Writeback of P; its completion parks before the conversion. */
	p_io = park_arm(INJECT_IOEND_BEFORE_COMPLETE, c.v, PARK_ANY_POS);
	wb = (struct race_thread){
		.op = RACE_WRITEBACK, .rf = &c.rf, .ip = c.ip, .off = (off_t) l->P, .len = l->F};
	race_thread_start(&wb);
	if (!reach(p_io))
		goto out_abort;
	f = filemap_get_folio(&c.v->i_mapping, folio_index_of(&c.rf, l->P));
	CHECK(f && folio_test_writeback(f) && !folio_test_dirty(f));
	CHECK(f && !folio_try_evict(f)); /* under writeback: not yet */
	if (f)
		folio_put(f);
	CHECK_EQ(race_block_state(c.ip, l->w1), 'U');
	park_release(p_io);
	CHECK_EQ(race_thread_join(&wb), 0);
	CHECK_EQ(race_block_state(c.ip, l->w1), 'W'); /* unwritten -> written */

	/* Reclaim evicts the now clean P. */
	if (!evict_by_reclaim(&c.rf, c.ip, l->P))
		goto out_abort;

	stale_case_conclude(&c);
	goto out;

out_abort:
	reclaim_set_aggressive(c.rf.e.reclaim, false);
	stale_case_abort(&c, &wb);
out:
	stale_case_end(&c);
}

/*
 * Race 2.  The file is a hole (size 4F).  W2 maps [0, w1): it reserves the
 * delalloc itself (IOMAP_F_NEW) -- down to the block holding w1 -- writes
 * the first two folios and parks before folio P.  W1 is an mmap store (a
 * FUSE writepage: no i_rwsem, as page faults take none in the kernel) of
 * P's tail: it lands in W2's reservation and dirties P.  Writeback of P
 * converts the whole delalloc extent to unwritten and writes P; completion
 * converts W1's blocks to written; reclaim evicts P.  W2 goes on to P with its DELALLOC mapping.
 *
 * Why W1 is a store and not a write(): a buffered W1 before W2 reserves
 * its own delalloc, and xfs_bmapi_reserve_delalloc returns W2 only the new
 * extent, which ends where W1's begins -- W2 maps W1's block in a second
 * ->iomap_begin, after writeback, and sees it as it is.  A store after W2's
 * reservation is the way data gets under W2's F_NEW mapping.
 */
static void race2_delalloc(const struct race_geom *g, const struct race_mode *mode)
{
	struct stale_case c;
	struct stale_layout *l = &c.l;
	uint64_t w1len;

	stale_case_begin(&c, "2-delalloc", g, mode);
	w1len = l->P + l->F - l->w1;
	CHECK_EQ(xf_file_setsize(&c.rf.e, c.ip, l->size), 0);
	CHECK_EQ(race_block_state(c.ip, 0), 'H');

	/* W2 reserves [0, w1) as delalloc, writes folios 0 and 1, parks before P. */
	if (!stale_case_start_w2(&c, INJECT_WRITE_BEFORE_FOLIO, (loff_t) l->P, 4))
		goto out_abort;
	CHECK_EQ(race_block_state(c.ip, 0), 'D');     /* W2's own reservation (F_NEW) */
	CHECK_EQ(race_block_state(c.ip, l->w1), 'D'); /* ... down to W1's block */
	CHECK(!folio_cached(&c.rf, c.ip, l->P));

	/* W1: an mmap store of P's tail, inside W2's reservation. */
	race_fill(c.expect + l->w1, w1len, l->w1, 3);
	CHECK_EQ(xf_file_write(&c.rf.e, c.ip, c.expect + l->w1, w1len, (off_t) l->w1, true), w1len);

	/* Writeback of P: delalloc -> unwritten (all of it), then written (P's blocks). */
	CHECK_EQ(filemap_write_and_wait_range(c.rf.e.bdi, c.v, l->P, l->P + l->F - 1), 0);
	CHECK_EQ(race_block_state(c.ip, 0), 'U');
	CHECK_EQ(race_block_state(c.ip, l->w1), 'W');
	if (!evict_by_reclaim(&c.rf, c.ip, l->P))
		goto out_abort;

	stale_case_conclude(&c);
	goto out;

out_abort:
	stale_case_abort(&c, NULL);
out:
	stale_case_end(&c);
}

/* ------------------------------------------------------------------ */
/* 3: a short write vs an mmap store in the same delalloc folio        */
/* ------------------------------------------------------------------ */

/*
 * The file is a hole of 4 folios.  W writes [0, 3F) and reserves delalloc
 * for all of it, then parks after ->iomap_begin.  An mmap store (a FUSE
 * writepage: iomap_fault_write) lands in folio Q = [2F, 3F), inside W's
 * reservation, and dirties it.  W goes on and its copy faults at
 * F + F/2 + B/2 (iomap_tunables.short_copy_at): a short write, whose
 * ->iomap_end punches the delalloc W reserved but did not use.
 *   legacy punch: truncates the page cache and punches everything past the
 *                 last written block -- the store's folio and its delalloc
 *                 go: the store is lost (asserted);
 *   safe punch:   punches only under clean page cache: the store stays.
 */
static void race3_punch(const struct race_geom *g, const struct race_mode *mode)
{
	struct race_mount_opts o = race_mode_opts(mode, true);
	bool legacy = mode->legacy_punch;
	uint64_t F = g->fsize, B = g->bs, size = 4 * F, wlen = 3 * F;
	uint64_t short_at = F + F / 2 + B / 2, q = 2 * F + B / 2, slen = B;
	struct race_thread w = {0};
	unsigned char *expect = calloc(1, size), *got = malloc(size), *wbuf = malloc(wlen);
	unsigned char *store = malloc(slen);
	uint64_t stale0, stale = 0, punched0;
	const char *result = "NOT RUN";
	bool ok;
	struct park *p_w;
	struct xb_inode *ip;
	struct vfs_inode *v;
	char why[160];
	int kernel = 0;
	struct race_fs rf;

	ip = race_hole_file(&rf, g, &o, size);
	v = xb_vfs_inode(ip);

	race_fill(wbuf, wlen, 0, 5);
	race_fill(store, slen, q, 6);
	stale0 = stale_now();
	punched0 = atomic_load(&iomap_stats.delalloc_punched);
	atomic_store(&iomap_tunables.short_copy_at, (int64_t) short_at);
	p_w = park_arm(INJECT_WRITE_AFTER_BEGIN, v, 0);
	w = (struct race_thread){
		.op = RACE_WRITE, .rf = &rf, .ip = ip, .buf = wbuf, .len = wlen, .off = 0};
	race_thread_start(&w);
	if (!reach(p_w))
		goto out_release;
	CHECK_EQ(race_block_state(ip, q), 'D'); /* W's reservation */

	/* The mmap store into W's delalloc, while W is between begin and copy. */
	CHECK_EQ(xf_file_write(&rf.e, ip, store, slen, (off_t) q, true), slen);
	CHECK(folio_cached(&rf, ip, q));

	park_release(p_w);
	CHECK_EQ(race_thread_join(&w), short_at);
	atomic_store(&iomap_tunables.short_copy_at, -1);
	stale = stale_now() - stale0;
	CHECK(atomic_load(&iomap_stats.delalloc_punched) > punched0);
	memcpy(expect, wbuf, short_at);
	if (legacy) {
		/* The store's folio truncated and its delalloc punched. */
		CHECK(!folio_cached(&rf, ip, q));
		CHECK_EQ(race_block_state(ip, q), 'H');
	} else {
		CHECK(folio_cached(&rf, ip, q));
		CHECK_EQ(race_block_state(ip, q), 'D');
		memcpy(expect + q, store, slen);
	}
	CHECK_EQ(xf_file_fsync(&rf.e, ip, false, NULL), 0);
	xb_iput(ip);

	remount_read(&rf, &o, "f", got, size);
	ok = race_first_diff(got, expect, size) < 0;
	CHECK(ok);
	if (legacy) {
		/* The store's bytes, asserted lost (expect holds zeroes there). */
		ok = ok && race_all_zero(got, q, slen);
		CHECK(race_all_zero(got, q, slen));
		snprintf(why, sizeof(why),
			 ok ? "STORE LOST as expected: %llu bytes at %llu read as "
			      "zeroes"
			    : "NOT LOST: the race was not reproduced (%llu bytes at %llu)",
			 (unsigned long long) slen, (unsigned long long) q);
	} else {
		CHECK_EQ(race_first_diff(got + q, store, slen), -1);
		snprintf(why, sizeof(why), "%s", ok ? "store kept, data right" : "WRONG DATA");
	}
	result = why;
	finish(&rf);
	if (!legacy)
		kernel = race_kernel_check(rf.img, "f", expect, size);
	goto out;

out_release:
	park_check_all("race3");
	race_thread_join(&w);
	atomic_store(&iomap_tunables.short_copy_at, -1);
	xb_iput(ip);
	finish(&rf);
out:
	park_check_all("race3");
	summary("3-short-mmap", g, mode->name, result, stale,
		legacy ? "-" : (kernel ? "same" : "skipped"));
	free(expect);
	free(got);
	free(wbuf);
	free(store);
	free(rf.img);
}

/* ------------------------------------------------------------------ */
/* 4: writeback's cached mapping vs a racing fork change               */
/* ------------------------------------------------------------------ */

/*
 * File f = folios A B C over one written extent at X.  A and B are
 * redirtied and written back by our own iomap_writepages pass (thread T):
 * mapping A caches [0, 3F) -> X.  T parks before mapping B (B locked).
 * Meanwhile: f is truncated to 2F (C's blocks X+2F.. are freed), file d
 * gets a folio of data and is fsynced (its blocks: the freed ones), and C
 * is written again (new delalloc).  T goes on to B, then to the new C.
 *   check on:       the data fork's sequence moved: the cached mapping is
 *                   dropped (map_invalidated), C is allocated anew.  Right.
 *   check defeated: the test forces wpc.data_seq to the current value each
 *                   time T resumes, so the cached mapping is "valid": C's
 *                   data goes to X+2F -- d's block -- and f's C stays a
 *                   delalloc reservation that never reaches the disk.
 */
struct race4 {
	struct iomap_writepage_ctx wpc;
	struct writeback_stats stats;
	struct race_fs *rf;
	struct xb_inode *ip;
	bool defeat;
	pthread_t t; /* the writeback thread */
	_Atomic bool t_known;
	_Atomic unsigned int forced;
};

static long race4_writeback(void *arg)
{
	struct race4 *r = arg;
	struct vfs_inode *v = xb_vfs_inode(r->ip);
	struct writeback_control wbc = {
		.range_start = 0,
		.range_end = UINT64_MAX,
		.sync_all = true,
		.nr_to_write = -1,
	};
	int error, err2;

	r->t = pthread_self();
	atomic_store(&r->t_known, true);
	r->wpc.iomap.type = IOMAP_HOLE;
	r->wpc.bdi = r->rf->e.bdi;
	r->wpc.stats = &r->stats;
	error = iomap_writepages(&v->i_mapping, &wbc, &r->wpc, &xfs_writeback_ops);
	filemap_fdatawait_range(&v->i_mapping, 0, UINT64_MAX);
	err2 = filemap_check_and_clear_wb_err(&v->i_mapping);
	return error ? error : err2;
}

/* Does the image hold @data at byte @addr?  (After unmount.) */
static bool image_holds(const char *img, uint64_t addr, const unsigned char *data, size_t len)
{
	unsigned char *buf = malloc(len);
	int fd = open(img, O_RDONLY);
	bool same;

	same = fd >= 0 && buf && pread(fd, buf, len, (off_t) addr) == (ssize_t) len &&
	       !memcmp(buf, data, len);
	if (fd >= 0)
		close(fd);
	free(buf);
	return same;
}

/* Defeat the sequence check: T's cached cookie := the fork's current one. */
static void race4_observer(enum iomap_inject_point point, struct vfs_inode *inode, loff_t pos,
			   void *arg)
{
	struct race4 *r = arg;

	(void) pos;
	if (point != INJECT_WB_BEFORE_MAP || !r->defeat || inode != xb_vfs_inode(r->ip) ||
	    !atomic_load(&r->t_known) || !pthread_equal(pthread_self(), r->t))
		return;
	r->wpc.data_seq = race_data_seq(r->ip);
	atomic_fetch_add(&r->forced, 1);
}

static void race4_wb_map(const struct race_geom *g, const struct race_mode *mode, bool defeat)
{
	struct race_mount_opts o = race_mode_opts(mode, false);
	uint64_t F = g->fsize, size = 3 * F;
	unsigned char *expect = malloc(size), *got = malloc(size), *dbuf = malloc(F);
	unsigned char *dgot = malloc(F);
	struct race4 r = {.defeat = defeat};
	struct race_thread t = {0};
	struct xb_inode *ip, *d;
	uint64_t X, daddr = 0, stale0, stale = 0;
	bool d_reused = false, ok, stray;
	const char *result = "NOT RUN";
	struct park *p_b;
	struct vfs_inode *v;
	char why[200];
	int kernel = 0;
	struct race_fs rf;

	race_fs_mkfs(&rf, g);
	race_fs_mount(&rf, &o);
	ip = race_create(&rf, "f");
	v = xb_vfs_inode(ip);
	r.rf = &rf;
	r.ip = ip;

	/* A B C written and on disk: one written extent at X. */
	race_fill(expect, size, 0, 10);
	CHECK_EQ(write_at(&rf, ip, expect, size, 0), size);
	CHECK_EQ(xf_file_fsync(&rf.e, ip, false, NULL), 0);
	X = race_block_addr(ip, 0);
	CHECK_EQ(race_block_state(ip, 2 * F), 'W');
	CHECK_EQ(race_block_addr(ip, 2 * F), X + 2 * F);

	/* A and B dirty again. */
	race_fill(expect, 2 * F, 0, 11);
	CHECK_EQ(write_at(&rf, ip, expect, 2 * F, 0), 2 * F);

	stale0 = stale_now();
	park_set_observer(race4_observer, &r);
	p_b = park_arm(INJECT_WB_BEFORE_MAP, v, (loff_t) F);
	t = (struct race_thread){.op = RACE_FN, .rf = &rf, .fn = race4_writeback, .arg = &r};
	race_thread_start(&t);
	if (!reach(p_b))
		goto out_release;
	CHECK_EQ(r.stats.map_invalidated, 0);

	/* The racing fork changes, none of which needs B's folio lock. */
	CHECK_EQ(xf_file_setsize(&rf.e, ip, 2 * F), 0);
	CHECK_EQ(race_block_state(ip, 2 * F), 'H');
	d = race_create(&rf, "d");
	race_fill(dbuf, F, 0, 20);
	CHECK_EQ(write_at(&rf, d, dbuf, F, 0), F);
	CHECK_EQ(xf_file_fsync(&rf.e, d, false, NULL), 0);
	daddr = race_block_addr(d, 0);
	d_reused = daddr == X + 2 * F;
	if (getenv("RACE_DEBUG"))
		fprintf(stderr, "race4: f at %llu, d at %llu, ino f %llu d %llu\n",
			(unsigned long long) X, (unsigned long long) daddr,
			(unsigned long long) xb_ino(ip), (unsigned long long) xb_ino(d));
	xb_iput(d);
	race_fill(expect + 2 * F, F, 2 * F, 12);
	CHECK_EQ(write_at(&rf, ip, expect + 2 * F, F, 2 * F), F);
	CHECK_EQ(race_block_state(ip, 2 * F), 'D');

	park_release(p_b);
	CHECK_EQ(race_thread_join(&t), 0);
	stale = stale_now() - stale0;
	if (defeat) {
		CHECK(atomic_load(&r.forced) >= 2); /* at B and at the new C */
		CHECK_EQ(r.stats.map_invalidated, 0);
	} else {
		CHECK(r.stats.map_invalidated >= 1);
		CHECK_EQ(race_block_state(ip, 2 * F), 'W');
	}
	CHECK_EQ(xf_file_fsync(&rf.e, ip, false, NULL), 0);
	park_set_observer(NULL, NULL);
	xb_iput(ip);

	remount_read(&rf, &o, "f", got, size);
	d = race_lookup(&rf, "d");
	race_read(&rf, d, dgot, F);
	xb_iput(d);
	if (!defeat) {
		ok = race_first_diff(got, expect, size) < 0 && race_first_diff(dgot, dbuf, F) < 0;
		CHECK(ok);
		snprintf(why, sizeof(why), "%s (map_invalidated=%llu)",
			 ok ? "data right" : "WRONG DATA",
			 (unsigned long long) r.stats.map_invalidated);
	} else {
		/*
		 * A and B are right; C's data never reached f (its delalloc was
		 * never written: a hole on disk) but went to X+2F, a block f no
		 * longer owns -- d's, when the allocator gave it to d.
		 */
		stray = image_holds(rf.img, X + 2 * F, expect + 2 * F, F);
		ok = race_first_diff(got, expect, 2 * F) < 0 && race_all_zero(got, 2 * F, F) &&
		     stray && (!d_reused || race_first_diff(dgot, expect + 2 * F, F) < 0);
		CHECK_EQ(race_first_diff(got, expect, 2 * F), -1);
		CHECK(race_all_zero(got, 2 * F, F));
		CHECK(stray);
		if (d_reused)
			CHECK_EQ(race_first_diff(dgot, expect + 2 * F, F), -1);
		snprintf(why, sizeof(why),
			 "%s: f's C reads zeroes, its data went to a freed block%s",
			 ok ? "CORRUPTED as expected" : "NOT AS EXPECTED",
			 d_reused ? " now file d's: d overwritten" : "");
	}
	result = why;
	finish(&rf);
	if (!defeat) {
		kernel = race_kernel_check(rf.img, "f", expect, size);
		if (kernel)
			race_kernel_check(rf.img, "d", dbuf, F);
	}
	goto out;

out_release:
	park_check_all("race4");
	race_thread_join(&t);
	park_set_observer(NULL, NULL);
	xb_iput(ip);
	finish(&rf);
out:
	park_check_all("race4");
	summary("4-wb-map", g, defeat ? "wb-check=defeated" : mode->name, result, stale,
		defeat ? "-" : (kernel ? "same" : "skipped"));
	free(expect);
	free(got);
	free(dbuf);
	free(dgot);
	free(rf.img);
}

int main(void)
{
	struct timespec t0, t1;
	unsigned int i, m;

	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	atomic_store(&iomap_tunables.short_copy_at, -1);
	park_install();
	race_modes_check();
	for (i = 0; i < sizeof(geoms) / sizeof(geoms[0]); i++) {
		const struct race_geom *g = &geoms[i];

		for (m = 0; m < RACE_NR_MODES; m++) {
			race1_unwritten(g, race_modes[m]);
			race2_delalloc(g, race_modes[m]);
			race3_punch(g, race_modes[m]);
			race4_wb_map(g, race_modes[m], false);
			race5_stale_cleanup(g, race_modes[m]);
			race6_failed_remap(g, race_modes[m], false);
			race6_failed_remap(g, race_modes[m], true);
			race7_cow(g, race_modes[m]);
			race8_shift(g, race_modes[m], false, false);
			race8_shift(g, race_modes[m], true, false);
		}
		race8_shift(g, &race_mode_merged, false, true);
		race8_shift(g, &race_mode_merged, true, true);
		race4_wb_map(g, &race_mode_merged, true);
		race5_stale_cleanup(g, &race_mode_naive);
		race9_dio_read(g, true);
		race9_dio_read(g, false);
		race9_dio_mmap(g);
	}
	park_uninstall();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("race harness: %.1f s\n",
	       (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return th_done("test_race");
}
