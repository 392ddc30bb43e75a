// SPDX-License-Identifier: GPL-2.0
/*
 * Race 9 of the harness (doc/race-harness.md): a direct write against the
 * page cache of its own range.  The direct write (src/file_dio.c over
 * src/iomap/direct-io.c) writes the range back and drops it from the cache,
 * then writes the image; it parks in between (INJECT_DIO_AFTER_PREPARE),
 * holding i_rwsem shared as an aligned direct write does, and the cache of
 * the range fills again behind it:
 *
 *   read:  a buffered read caches the old bytes of D = [F+B, F+2B).  After
 *          the direct write, a read must return the new ones: the second
 *          drop (iomap_dio_complete's kiocb_invalidate_post_direct_write)
 *          is what removes the old folio.  With that drop switched off
 *          (iomap_tunables.dio_post_invalidate) the old bytes come back,
 *          asserted.
 *   mmap:  S1, an mmap store completed before the direct write began, sits
 *          in D's folio (block 0 of it): the first writeback must put it
 *          on disk before the drop, or it would be lost.  S2, a store into
 *          block 2 of the same folio while the write is parked, brings the
 *          folio back and dirties it.  The second drop cannot remove a
 *          dirty folio (counted in dio_stale_cache, warned about as the
 *          kernel's dio_warn_stale_pagecache).  The kernel's page fault
 *          reads the whole folio, so its cache would show D's old bytes
 *          until the folio is evicted; a FUSE mmap store reaches the engine
 *          as a write of its bytes, which reads only the blocks it
 *          partly covers, so D's block is not uptodate in the folio and a
 *          read gets the direct write's bytes from disk (asserted).
 *          Writeback writes only the dirty block: S1, D and S2 are all
 *          there, mounted and remounted.
 *
 * Each ends with xfs_repair -n clean and the kernel's XFS reading the bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "iomap_dio.h"
#include "race_steps.h"

struct race_dio {
	struct race_fs rf;
	struct race_mount_opts o;
	struct xb_inode *f;
	uint64_t F, B, size, d; /* D = [d, d + B): the direct write */
	unsigned char *expect, *old, *got, *dbuf;
};

static long race_dio_write(void *arg)
{
	struct race_dio *r = arg;

	return (long) xf_file_dio_write(&r->rf.e, r->f, r->dbuf, r->B, (off_t) r->d);
}

/* f: 4 folios of written data, on disk; none of it cached. */
static void race_dio_begin(struct race_dio *r, const struct race_geom *g)
{
	*r = (struct race_dio){.F = g->fsize, .B = g->bs};
	r->size = 4 * r->F;
	r->d = r->F + r->B;
	r->o = race_mode_opts(&race_mode_merged, true);
	r->expect = malloc(r->size);
	r->old = malloc(r->size);
	r->got = malloc(r->size);
	r->dbuf = malloc(r->B);
	race_fill(r->dbuf, r->B, r->d, 2);
	race_fs_mkfs(&r->rf, g);
	race_fs_mount(&r->rf, &r->o);
	r->f = race_create(&r->rf, "f");
	race_fill(r->expect, r->size, 0, 1);
	CHECK_EQ(write_at(&r->rf, r->f, r->expect, r->size, 0), (ssize_t) r->size);
	CHECK_EQ(xf_file_fsync(&r->rf.e, r->f, false, NULL), 0);
	CHECK_EQ(race_block_state(r->f, r->d), 'W');
}

/* Start the direct write; true once it is parked after its first drop. */
static bool race_dio_park(struct race_dio *r, struct race_thread *w, struct park **p)
{
	*p = park_arm(INJECT_DIO_AFTER_PREPARE, xb_vfs_inode(r->f), (loff_t) r->d);
	*w = (struct race_thread){.op = RACE_FN, .fn = race_dio_write, .arg = r};
	race_thread_start(w);
	if (!reach(*p))
		return false;
	CHECK(!folio_cached(&r->rf, r->f, r->d)); /* written back and dropped */
	return true;
}

/* Is the block holding @pos uptodate in its cached folio? */
static bool folio_test_uptodate_block(struct race_dio *r, uint64_t pos)
{
	struct folio *f =
		filemap_get_folio(&xb_vfs_inode(r->f)->i_mapping, folio_index_of(&r->rf, pos));
	bool up;

	if (!f)
		return false;
	up = ifs_block_is_uptodate(f, (unsigned int) ((pos % r->F) / r->B));
	folio_put(f);
	return up;
}

/* Read D's folio through the cache into r->got + F. */
static void race_dio_read_folio(struct race_dio *r)
{
	CHECK_EQ(xf_file_read(&r->rf.e, r->f, r->got + r->F, r->F, (off_t) r->F, false),
		 (ssize_t) r->F);
}

/* Unmount, repair, remount and read; the kernel too.  Returns "same"/"skipped". */
static const char *race_dio_end(struct race_dio *r, bool *right)
{
	int kernel;

	xb_iput(r->f);
	remount_read(&r->rf, &r->o, "f", r->got, r->size);
	*right = race_first_diff(r->got, r->expect, r->size) < 0;
	CHECK(*right);
	finish(&r->rf);
	kernel = race_kernel_check(r->rf.img, "f", r->expect, r->size);
	return kernel ? "same" : "skipped";
}

static void race_dio_free(struct race_dio *r)
{
	free(r->expect);
	free(r->old);
	free(r->got);
	free(r->dbuf);
	free(r->rf.img);
}

/* A buffered read fills D's folio while the direct write is parked. */
void race9_dio_read(const struct race_geom *g, bool post_invalidate)
{
	struct race_dio r;
	struct race_thread w = {0};
	struct park *p;
	const char *result = "NOT RUN", *kernel = "-";
	bool stale, right = false;
	uint64_t stale0 = atomic_load(&iomap_dio_stats.stale_cache);
	char why[160];

	race_dio_begin(&r, g);
	memcpy(r.old, r.expect, r.size);
	atomic_store(&iomap_tunables.dio_post_invalidate, post_invalidate);
	if (!race_dio_park(&r, &w, &p)) {
		race_thread_join(&w);
		xb_iput(r.f);
		finish(&r.rf);
		goto out;
	}
	race_dio_read_folio(&r); /* shares i_rwsem with the parked write */
	CHECK_EQ(race_first_diff(r.got + r.F, r.old + r.F, r.F), -1);
	CHECK(folio_cached(&r.rf, r.f, r.d));
	park_release(p);
	CHECK_EQ(race_thread_join(&w), (long) r.B);
	memcpy(r.expect + r.d, r.dbuf, r.B);
	CHECK_EQ(atomic_load(&iomap_dio_stats.stale_cache), stale0); /* the folio was clean */

	race_dio_read_folio(&r);
	stale = race_first_diff(r.got + r.d, r.old + r.d, r.B) < 0;
	if (post_invalidate) {
		CHECK_EQ(race_first_diff(r.got + r.F, r.expect + r.F, r.F), -1);
		snprintf(why, sizeof(why), "%s", stale ? "STALE: old bytes after the write" : "");
	} else {
		CHECK(stale); /* the old folio stayed: its bytes are what a read gets */
		snprintf(why, sizeof(why), "STALE as expected: %llu old bytes read at %llu",
			 (unsigned long long) r.B, (unsigned long long) r.d);
	}
	kernel = race_dio_end(&r, &right);
	if (post_invalidate)
		snprintf(why, sizeof(why), "%s", right && !stale ? "data right" : "WRONG DATA");
	result = why;
out:
	atomic_store(&iomap_tunables.dio_post_invalidate, true);
	park_check_all("race9");
	summary("9-dio-read", g, post_invalidate ? "merged" : "post-inval=off", result, 0, kernel);
	race_dio_free(&r);
}

/* mmap stores in D's folio: S1 before the direct write, S2 while it is parked. */
void race9_dio_mmap(const struct race_geom *g)
{
	struct race_dio r;
	struct race_thread w = {0};
	struct park *p;
	const char *result = "NOT RUN", *kernel = "-";
	uint64_t s1, s2, slen, fallbacks0, writes0, stale0;
	unsigned char *sbuf;
	bool right = false;
	char why[200];

	race_dio_begin(&r, g);
	s1 = r.F;
	s2 = r.F + 2 * r.B + r.B / 4;
	slen = r.B / 2;
	sbuf = malloc(slen);
	race_fill(sbuf, slen, s1, 3);
	CHECK_EQ(xf_file_write(&r.rf.e, r.f, sbuf, slen, (off_t) s1, true), (ssize_t) slen);
	memcpy(r.expect + s1, sbuf, slen);
	memcpy(r.old, r.expect, r.size);
	fallbacks0 = atomic_load(&iomap_dio_stats.fallbacks);
	writes0 = atomic_load(&iomap_dio_stats.writes);
	stale0 = atomic_load(&iomap_dio_stats.stale_cache);
	if (!race_dio_park(&r, &w, &p)) {
		race_thread_join(&w);
		xb_iput(r.f);
		finish(&r.rf);
		goto out;
	}
	/* S2: the fault reads the folio back (D still old on disk) and dirties block 2. */
	race_fill(sbuf, slen, s2, 4);
	CHECK_EQ(xf_file_write(&r.rf.e, r.f, sbuf, slen, (off_t) s2, true), (ssize_t) slen);
	memcpy(r.expect + s2, sbuf, slen);
	memcpy(r.old + s2, sbuf, slen);
	park_release(p);
	CHECK_EQ(race_thread_join(&w), (long) r.B);
	memcpy(r.expect + r.d, r.dbuf, r.B);
	/* It went direct, and its second drop met the dirty folio. */
	CHECK_EQ(atomic_load(&iomap_dio_stats.fallbacks), fallbacks0);
	CHECK_EQ(atomic_load(&iomap_dio_stats.writes), writes0 + 1);
	CHECK_EQ(atomic_load(&iomap_dio_stats.stale_cache), stale0 + 1);

	/*
	 * S2 brought only block 2 uptodate, so D is read from disk: new bytes,
	 * where the kernel's whole-folio fault read would show the old ones.
	 */
	CHECK(!folio_test_uptodate_block(&r, r.d));
	race_dio_read_folio(&r);
	CHECK_EQ(race_first_diff(r.got + r.F, r.expect + r.F, r.F), -1);
	CHECK_EQ(xf_file_fsync(&r.rf.e, r.f, false, NULL), 0);
	race_dio_read_folio(&r); /* after writeback of block 2 alone */
	CHECK_EQ(race_first_diff(r.got + r.F, r.expect + r.F, r.F), -1);
	kernel = race_dio_end(&r, &right);
	snprintf(why, sizeof(why), "%s",
		 right ? "stores kept, direct write read back, cache kept" : "WRONG DATA");
	result = why;
out:
	park_check_all("race9");
	summary("9-dio-mmap", g, "merged", result, 0, kernel);
	free(sbuf);
	race_dio_free(&r);
}
