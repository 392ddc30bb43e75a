// SPDX-License-Identifier: GPL-2.0
/*
 * Race 8 of the harness (doc/race-harness.md): a collapse or an insert
 * (src/file_shift.c) against a buffered write that holds a mapping.
 *
 * W writes a quarter block at p = 2F + B/2 and parks right after its
 * ->iomap_begin.  Collapse: [2F, 4F) is unwritten and W's mapping says so;
 * the collapse removes it and moves the written D from 4F to 2F.  Insert:
 * the file is written all through and W's mapping is MAPPED; the insert
 * opens a hole at [2F, 4F) and moves what W mapped to 4F.
 *
 * Locks held (the real xf_file_collapse_range / xf_file_insert_range): the
 * shift waits for W's i_rwsem (the lock watch says so) and runs after it;
 * W's mapping never goes stale.  Locks defeated (the harness calls
 * xf_file_shift_locked holding only invalidate_lock, as if i_rwsem did not
 * exclude writers): the shift moves extents under W's mapping, and only
 * the validity cookie stands between W and the wrong blocks.  Without it,
 * collapse: W zeroes the rest of the block it believes unwritten, and
 * writeback puts those zeroes over D; insert: W fills its folio from the
 * block that moved to 4F, so the new hole shows D's old bytes, and
 * writeback, finding a hole, drops W's bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "lockwatch.h"
#include "race_steps.h"
#include "xfs_iomap.h"

struct race_shift {
	struct race_fs rf;
	struct race_mount_opts o;
	struct xb_inode *f;
	bool insert;
	uint64_t F, B, size, p, wlen;
	unsigned char *expect, *got, *wbuf, *moved;
};

/* Collapse: A | unwritten | D.  Insert: one written run.  8F bytes, fsynced. */
static void race_shift_setup(struct race_shift *s)
{
	uint64_t F = s->F;

	s->f = race_create(&s->rf, "f");
	race_fill(s->expect, s->size, 0, 1);
	if (s->insert) {
		CHECK_EQ(write_at(&s->rf, s->f, s->expect, s->size, 0), (ssize_t) s->size);
	} else {
		memset(s->expect + 2 * F, 0, 2 * F);
		CHECK_EQ(write_at(&s->rf, s->f, s->expect, 2 * F, 0), (ssize_t) (2 * F));
		CHECK_EQ(write_at(&s->rf, s->f, s->expect + 4 * F, 4 * F, 4 * F),
			 (ssize_t) (4 * F));
		CHECK_EQ(xf_file_fallocate(&s->rf.e, s->f, 2 * F, 2 * F, true), 0);
	}
	CHECK_EQ(xf_file_fsync(&s->rf.e, s->f, false, NULL), 0);
	CHECK_EQ(race_block_state(s->f, s->p), s->insert ? 'W' : 'U');
}

/* The model's shift of [2F, 4F). */
static void race_shift_model(struct race_shift *s)
{
	uint64_t off = 2 * s->F, len = 2 * s->F;

	if (s->insert) {
		memmove(s->expect + off + len, s->expect + off, s->size - off);
		memset(s->expect + off, 0, len);
		s->size += len;
	} else {
		memmove(s->expect + off, s->expect + off + len, s->size - off - len);
		s->size -= len;
	}
}

static long race_shift_locked_call(void *arg)
{
	struct race_shift *s = arg;

	return s->insert ? xf_file_insert_range(&s->rf.e, s->f, 2 * s->F, 2 * s->F)
			 : xf_file_collapse_range(&s->rf.e, s->f, 2 * s->F, 2 * s->F);
}

/* Wait until some thread blocks on @ino's i_rwsem (the lock watch's slots). */
static bool race_wait_rwsem_waiter(uint64_t ino)
{
	struct timespec d = {0, 1000000};
	int n;

	for (n = 0; n < PARK_ARRIVE_TIMEOUT_MS; n++) {
		if (xf_lw_waits_on(XF_LW_I_RWSEM, ino))
			return true;
		nanosleep(&d, NULL);
	}
	return false;
}

/*
 * Without the cookie, what W's stale mapping did, asserted byte by byte
 * (after the remount, in s->got; the page cache before it, in s->moved).
 */
static bool race_shift_corrupted(struct race_shift *s, const unsigned char *cached)
{
	uint64_t blk = s->p - s->p % s->B, head = s->p - blk, tail = s->p + s->wlen;
	uint64_t tail_len = blk + s->B - tail;

	if (race_first_diff(s->got, s->expect, blk) >= 0 ||
	    race_first_diff(s->got + blk + s->B, s->expect + blk + s->B, s->size - blk - s->B) >= 0)
		return false; /* damage outside W's block: not this race */
	if (!s->insert)	      /* D's bytes around W's are zeroes; W's are there */
		return race_all_zero(s->got, blk, head) && race_all_zero(s->got, tail, tail_len) &&
		       race_first_diff(s->got + s->p, s->wbuf, s->wlen) < 0 &&
		       !race_all_zero(s->expect, blk, head);
	/* The hole showed the moved block's bytes; on disk W's bytes are gone. */
	return race_first_diff(cached, s->moved, head) < 0 && !race_all_zero(s->moved, 0, head) &&
	       race_all_zero(s->got, blk, s->B);
}

static const char *race_shift_verdict(struct race_shift *s, bool validate, bool locks,
				      const unsigned char *cached, char *why, size_t len)
{
	bool right = race_first_diff(s->got, s->expect, s->size) < 0;
	bool corrupted;

	if (validate || locks) {
		CHECK(right);
		return right ? "data right" : "WRONG DATA: the fix failed";
	}
	corrupted = race_shift_corrupted(s, cached);
	CHECK(corrupted);
	if (!corrupted)
		return "NOT CORRUPTED: the race was not reproduced";
	snprintf(why, len,
		 s->insert ? "CORRUPTED as expected: the new hole showed %llu moved bytes, "
			     "W's %llu bytes lost"
			   : "CORRUPTED as expected: D's %llu bytes around W's %llu read as zeroes",
		 (unsigned long long) (s->insert ? s->p % s->B : s->B - s->wlen),
		 (unsigned long long) s->wlen);
	return why;
}

/* Release W, with the shift done under it (@locks false) or waiting for it (@locks true). */
static bool race_shift_run(struct race_shift *s, struct race_thread *w, struct park *pw, bool locks,
			   const unsigned char *old)
{
	struct vfs_inode *v = xb_vfs_inode(s->f);
	struct race_thread c = {0};

	if (locks) {
		c = (struct race_thread){.op = RACE_FN, .fn = race_shift_locked_call, .arg = s};
		race_thread_start(&c);
		CHECK(race_wait_rwsem_waiter(xb_ino(s->f)));
		CHECK_EQ(c.ret, -EINPROGRESS); /* still waiting: W holds i_rwsem */
		park_release(pw);
		CHECK_EQ(race_thread_join(w), (long) s->wlen);
		CHECK_EQ(race_thread_join(&c), 0);
		memcpy(s->expect + s->p, s->wbuf, s->wlen);
		race_shift_model(s);
		return true;
	}
	filemap_invalidate_lock(v);
	CHECK_EQ(xf_file_shift_locked(&s->rf.e, s->f, 2 * s->F, 2 * s->F, s->insert), 0);
	filemap_invalidate_unlock(v);
	race_shift_model(s);
	/* What the hole at p would show if filled from the block that moved away. */
	memcpy(s->moved, old + s->p - s->p % s->B, s->B);
	park_release(pw);
	CHECK_EQ(race_thread_join(w), (long) s->wlen);
	memcpy(s->expect + s->p, s->wbuf, s->wlen);
	return true;
}

void race8_shift(const struct race_geom *g, const struct race_mode *mode, bool insert, bool locks)
{
	struct race_shift s = {.F = g->fsize, .B = g->bs, .insert = insert};
	struct race_thread w = {0};
	struct park *pw;
	const char *result = "NOT RUN";
	unsigned char *old, *cached;
	uint64_t stale0, stale = 0, cap;
	char why[160], name[48], mname[40];
	int kernel = 0;

	s.size = 8 * s.F;
	s.p = 2 * s.F + s.B / 2;
	s.wlen = s.B / 4;
	cap = 10 * s.F;
	s.o = race_mode_opts(mode, true);
	s.expect = calloc(1, cap);
	s.got = calloc(1, cap);
	s.wbuf = malloc(s.wlen);
	s.moved = malloc(s.B);
	old = calloc(1, cap);
	cached = calloc(1, cap);
	race_fs_mkfs(&s.rf, g);
	race_fs_mount(&s.rf, &s.o);
	race_shift_setup(&s);
	memcpy(old, s.expect, s.size);

	race_fill(s.wbuf, s.wlen, s.p, 3);
	stale0 = stale_now();
	pw = park_arm(INJECT_WRITE_AFTER_BEGIN, xb_vfs_inode(s.f), (loff_t) s.p);
	w = (struct race_thread){
		.op = RACE_WRITE, .rf = &s.rf, .ip = s.f, .buf = s.wbuf, .len = s.wlen, .off = s.p};
	race_thread_start(&w);
	if (!reach(pw)) {
		race_thread_join(&w);
		goto out_unmount;
	}
	race_shift_run(&s, &w, pw, locks, old);
	stale = stale_now() - stale0;
	if (mode->validate && !locks)
		CHECK(stale >= 1);
	else
		CHECK_EQ(stale, 0);
	/* Before anything is written back: what the page cache shows. */
	race_read(&s.rf, s.f, cached, s.size);
	/* The insert's dropped write is a writeback error (a hole under dirty blocks). */
	CHECK_EQ(xf_file_fsync(&s.rf.e, s.f, false, NULL),
		 insert && !mode->validate && !locks ? -EIO : 0);
	xb_iput(s.f);
	remount_read(&s.rf, &s.o, "f", s.got, s.size);
	result = race_shift_verdict(&s, mode->validate, locks, cached + s.p - s.p % s.B, why,
				    sizeof(why));
	finish(&s.rf);
	if (mode->validate || locks)
		kernel = race_kernel_check(s.rf.img, "f", s.expect, s.size);
	goto out;

out_unmount:
	xb_iput(s.f);
	finish(&s.rf);
out:
	park_check_all("race8");
	snprintf(name, sizeof(name), "8-%s", insert ? "insert" : "collapse");
	snprintf(mname, sizeof(mname), "%s%s", mode->name, locks ? "+i_rwsem" : "");
	summary(name, g, mname, result, stale,
		(mode->validate || locks) ? (kernel ? "same" : "skipped") : "-");
	free(s.expect);
	free(s.got);
	free(s.wbuf);
	free(s.moved);
	free(old);
	free(cached);
	free(s.rf.img);
}
