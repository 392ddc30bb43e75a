// SPDX-License-Identifier: GPL-2.0
/*
 * Races 5 and 6 of the harness (doc/race-harness.md): what becomes of the
 * delalloc a write reserved when its mapping goes stale.  They are where the
 * three stale remedies (doc/race.md) part ways.
 *
 *   5. The stale mapping's cleanup vs an mmap store.  Validation with the
 *      old truncating punch (the naive fix) throws a store away although
 *      the write succeeds; the RFC keeps the delalloc instead, the merged
 *      fix punches only under clean page cache, the pre-6.2 kernel never
 *      notices the stale mapping.
 *   6. The remap after a stale mapping fails.  The merged fix has punched
 *      what the write did not use; the RFC kept it, and nobody uses it.
 *      6a, nothing of the reservation written: it stays delalloc, statfs
 *      counts it as used, and only inode teardown gives it back.  6b, one
 *      folio of it written: writeback converts the whole delalloc extent,
 *      so the kept part becomes unwritten blocks inside EOF -- allocated
 *      for good, reading as zeroes, until the file is truncated or removed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/statvfs.h>

#include "fault.h"
#include "harness.h"
#include "race_steps.h"
#include "xfs_iomap.h"

static uint64_t inherited_now(void)
{
	return atomic_load(&xfs_iomap_stats.stale_new_inherited);
}

static uint64_t kept_now(void)
{
	return atomic_load(&xfs_iomap_stats.stale_kept_blocks);
}

/*
 * W writes [0, len) of "f" on its own thread and parks: before the folio at
 * F (folio 0 written), or with @first right after its ->iomap_begin.
 */
static bool start_parked_writer(struct race_fs *rf, struct xb_inode *ip, struct race_thread *w,
				struct park **p, const unsigned char *buf, size_t len, bool first)
{
	*p = first ? park_arm(INJECT_WRITE_AFTER_BEGIN, xb_vfs_inode(ip), 0)
		   : park_arm(INJECT_WRITE_BEFORE_FOLIO, xb_vfs_inode(ip), (loff_t) rf->g.fsize);
	*w = (struct race_thread){
		.op = RACE_WRITE, .rf = rf, .ip = ip, .buf = (unsigned char *) buf, .len = len};
	race_thread_start(w);
	return reach(*p);
}

/* An mmap store into a hole of "f": new delalloc, so W's mapping goes stale. */
static void store_into_hole(struct race_fs *rf, struct xb_inode *ip, const unsigned char *buf,
			    uint64_t off, size_t len)
{
	CHECK_EQ(race_block_state(ip, off), 'H');
	CHECK_EQ(xf_file_write(&rf->e, ip, buf, len, (off_t) off, true), len);
	CHECK_EQ(race_block_state(ip, off), 'D');
}

/*
 * Race 5.  The file is a hole of 4 folios.  W writes [0, wend), wend in
 * the middle of a block of folio Q = [2F, 3F): it reserves delalloc (F_NEW)
 * for all of it, writes folio 0 and parks before folio 1.  Store 1 lands in
 * W's last block, past W's bytes (Q dirty, W's reservation).  Store 2 lands
 * in the hole of folio 3: new delalloc, the fork's sequence moves, W's
 * mapping is stale.  W goes on.
 */
void race5_stale_cleanup(const struct race_geom *g, const struct race_mode *mode)
{
	struct race_mount_opts o = race_mode_opts(mode, false);
	uint64_t F = g->fsize, B = g->bs, size = 4 * F, wend = 2 * F + F / 2 + B / 2;
	uint64_t s1 = wend, s1len = B / 4, s2 = 3 * F, s2len = B;
	unsigned char *expect = calloc(1, size), *got = malloc(size), *wbuf = malloc(wend);
	unsigned char *st1 = malloc(s1len), *st2 = malloc(s2len);
	bool lost_expected = mode->validate && mode->legacy_punch && !mode->rfc;
	uint64_t stale0, inherited0, kept0, stale = 0, kept = 0, inherited = 0;
	const char *result = "NOT RUN";
	struct race_thread w = {0};
	struct xb_inode *ip;
	struct race_fs rf;
	struct park *p_w;
	char why[200];
	int kernel = 0;
	bool ok;

	ip = race_hole_file(&rf, g, &o, size);
	race_fill(wbuf, wend, 0, 30);
	race_fill(st1, s1len, s1, 31);
	race_fill(st2, s2len, s2, 32);
	stale0 = stale_now();
	inherited0 = inherited_now();
	kept0 = kept_now();

	if (!start_parked_writer(&rf, ip, &w, &p_w, wbuf, wend, false))
		goto out_release;
	CHECK_EQ(race_block_state(ip, s1), 'D'); /* W's reservation covers store 1's block */
	CHECK_EQ(xf_file_write(&rf.e, ip, st1, s1len, (off_t) s1, true), s1len);
	store_into_hole(&rf, ip, st2, s2, s2len);

	park_release(p_w);
	CHECK_EQ(race_thread_join(&w), wend);
	stale = stale_now() - stale0;
	inherited = inherited_now() - inherited0;
	kept = kept_now() - kept0;
	CHECK(mode->validate ? stale >= 1 : stale == 0);
	CHECK(mode->rfc ? kept > 0 && inherited >= 1 : kept == 0 && inherited == 0);

	memcpy(expect, wbuf, wend);
	memcpy(expect + s2, st2, s2len);
	if (!lost_expected)
		memcpy(expect + s1, st1, s1len);
	CHECK_EQ(xf_file_fsync(&rf.e, ip, false, NULL), 0);
	CHECK_EQ(xb_stale_kept_pending(rf.m), 0); /* the RFC's remap used all it kept */
	xb_iput(ip);

	remount_read(&rf, &o, "f", got, size);
	ok = race_first_diff(got, expect, size) < 0;
	CHECK(ok);
	if (lost_expected) {
		CHECK(race_all_zero(got, s1, s1len));
		snprintf(why, sizeof(why), "%s: %llu bytes at %llu read as zeroes",
			 ok ? "STORE LOST as expected" : "NOT LOST: not reproduced",
			 (unsigned long long) s1len, (unsigned long long) s1);
	} else {
		snprintf(why, sizeof(why), "%s (kept=%llu inherited_new=%llu)",
			 ok ? "stores kept, data right" : "WRONG DATA", (unsigned long long) kept,
			 (unsigned long long) inherited);
	}
	result = why;
	finish(&rf);
	if (!lost_expected)
		kernel = race_kernel_check(rf.img, "f", expect, size);
	goto out;

out_release:
	park_check_all("race5");
	race_thread_join(&w);
	xb_iput(ip);
	finish(&rf);
out:
	park_check_all("race5");
	summary("5-stale-clean", g, mode->name, result, stale,
		lost_expected ? "-" : (kernel ? "same" : "skipped"));
	free(expect);
	free(got);
	free(wbuf);
	free(st1);
	free(st2);
	free(rf.img);
}

/* Free blocks as statfs reports them. */
static uint64_t free_blocks(struct race_fs *rf)
{
	struct statvfs st;

	CHECK_EQ(xb_statfs(rf->m, &st), 0);
	return st.f_bfree;
}

/*
 * Race 6.  The file is a hole of 5 folios.  W writes [0, 3F): delalloc
 * (F_NEW) for all of it.  6a: W parks right after ->iomap_begin; 6b: it
 * writes folio 0 and parks before folio 1.  A store into folio 4 (not 3:
 * its delalloc would merge with W's and be converted with it) makes W's
 * mapping stale, and the next ->iomap_begin of a write will fail
 * (XF_FAULT_IOMAP_BEGIN).  W goes on: it finds its mapping stale, ends it,
 * and its remap fails -- the write returns EIO (6a) or F (6b).
 */
void race6_failed_remap(const struct race_geom *g, const struct race_mode *mode, bool wrote)
{
	struct race_mount_opts o = race_mode_opts(mode, false);
	uint64_t F = g->fsize, B = g->bs, size = 5 * F, wlen = 3 * F, s2 = 4 * F, s2len = B;
	unsigned char *expect = calloc(1, size), *got = malloc(size), *wbuf = malloc(wlen);
	unsigned char *st2 = malloc(s2len);
	uint64_t stale0, kept0, inj0, reclaimed0, stale = 0, kept = 0, free0, free1;
	uint64_t written = mode->validate ? (wrote ? F : 0) : wlen;
	uint64_t unused = (wlen - (wrote ? F : 0)) / B; /* what the stale mapping did not use */
	uint64_t reclaimed;
	const char *result = "NOT RUN";
	struct race_thread w = {0};
	struct xb_inode *ip;
	struct race_fs rf;
	struct park *p_w;
	char why[200];
	int kernel = 0;
	bool ok;

	ip = race_hole_file(&rf, g, &o, size);
	race_fill(wbuf, wlen, 0, 40);
	race_fill(st2, s2len, s2, 41);
	stale0 = stale_now();
	kept0 = kept_now();
	inj0 = atomic_load(&xf_fault_stats.injected[XF_FAULT_IOMAP_BEGIN]);
	reclaimed0 = atomic_load(&xfs_iomap_stats.stale_kept_reclaimed_blocks);

	if (!start_parked_writer(&rf, ip, &w, &p_w, wbuf, wlen, !wrote))
		goto out_release;
	store_into_hole(&rf, ip, st2, s2, s2len);
	xf_fault_set_nth(XF_FAULT_IOMAP_BEGIN, 1);
	park_release(p_w);

	/* Without validation nothing goes stale: no remap, the write is whole. */
	CHECK_EQ(race_thread_join(&w), written ? (long) written : -EIO);
	CHECK_EQ(atomic_load(&xf_fault_stats.injected[XF_FAULT_IOMAP_BEGIN]) - inj0,
		 mode->validate ? 1 : 0);
	xf_fault_set_nth(XF_FAULT_IOMAP_BEGIN, 0);
	stale = stale_now() - stale0;
	kept = kept_now() - kept0;
	memcpy(expect, wbuf, written);
	memcpy(expect + s2, st2, s2len);
	CHECK_EQ(xf_file_fsync(&rf.e, ip, false, NULL), 0);

	/* What the stale mapping reserved and the write never used, after writeback. */
	CHECK_EQ(kept, mode->rfc ? unused : 0);
	if (!mode->validate)
		CHECK_EQ(race_block_state(ip, F + F / 2), 'W');
	else if (!mode->rfc)
		CHECK_EQ(race_block_state(ip, F + F / 2), 'H'); /* punched */
	else
		CHECK_EQ(race_block_state(ip, F + F / 2), wrote ? 'U' : 'D');
	CHECK_EQ(xb_stale_kept_pending(rf.m), mode->rfc && !wrote ? unused : 0);
	free0 = free_blocks(&rf);
	xb_iput(ip); /* the kernel forgets the inode: teardown */
	free1 = free_blocks(&rf);
	reclaimed = atomic_load(&xfs_iomap_stats.stale_kept_reclaimed_blocks) - reclaimed0;
	CHECK_EQ(reclaimed, mode->rfc && !wrote ? unused : 0);
	/* statfs counted kept delalloc as used until then (with its indirect blocks) */
	CHECK(reclaimed ? free1 >= free0 + unused : free1 == free0);

	remount_read(&rf, &o, "f", got, size);
	ok = race_first_diff(got, expect, size) < 0;
	CHECK(ok);
	if (mode->rfc && wrote) { /* still allocated after the remount: for good */
		ip = race_lookup(&rf, "f");
		CHECK_EQ(race_block_state(ip, F + F / 2), 'U');
		xb_iput(ip);
	}
	snprintf(why, sizeof(why), "%s; kept %llu blocks%s", ok ? "data right" : "WRONG DATA",
		 (unsigned long long) kept,
		 !mode->rfc ? ""
		 : wrote    ? ": unwritten extents for good"
			    : ": delalloc until inode teardown");
	result = why;
	finish(&rf);
	kernel = race_kernel_check(rf.img, "f", expect, size);
	goto out;

out_release:
	park_check_all("race6");
	race_thread_join(&w);
	xb_iput(ip);
	finish(&rf);
out:
	xf_fault_set_nth(XF_FAULT_IOMAP_BEGIN, 0);
	park_check_all("race6");
	summary(wrote ? "6b-remap-fails" : "6a-remap-fails", g, mode->name, result, stale,
		kernel ? "same" : "skipped");
	free(expect);
	free(got);
	free(wbuf);
	free(st2);
	free(rf.img);
}
