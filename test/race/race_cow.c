// SPDX-License-Identifier: GPL-2.0
/*
 * Race 7 of the harness (doc/race-harness.md): the stale mapping across a
 * copy-on-write remap.  The 2022 race, with shared blocks instead of
 * unwritten ones: the validity cookie of a COW mapping carries the COW
 * fork's sequence counter (doc/reflink.md), and this is the race it exists
 * for.
 *
 * "g" holds the original bytes; "f" shares all of g's blocks
 * (copy_file_range).  W1 writes P's tail in f: COW fork delalloc, P dirty.
 * W2 maps [0, w1) of f -- the COW extent as destination, the shared data
 * fork extent as source -- and parks right after ->iomap_begin.  Writeback
 * of P allocates the staging blocks, writes them and remaps P's into the
 * data fork (both forks' counters move); reclaim evicts the clean P.  W2
 * goes on.  With its stale mapping it reads the partial block at w1 from
 * the old shared block, and W1's bytes there turn back into g's; with
 * validation it maps again and reads W1's staging block, now f's own.  g
 * must never change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "race_steps.h"
#include "xfs_iomap.h"

/* The COW extent size hint xfsfuse applies by default (doc/reflink.md). */
#define RACE_COWEXTSZ_BLOCKS 32

struct race_cow {
	struct race_fs rf;
	struct race_mount_opts o;
	struct xb_inode *f, *g;
	uint64_t F, B, P, w1, size;
	unsigned char *orig, *expect, *got, *w2buf;
};

/* g with the original bytes, f sharing all of them. */
static bool race_cow_setup(struct race_cow *c)
{
	uint64_t shared0 = atomic_load(&xfs_reflink_stats.remapped_shared_blocks);

	c->g = race_create(&c->rf, "g");
	c->f = race_create(&c->rf, "f");
	race_fill(c->orig, c->size, 0, 7);
	CHECK_EQ(write_at(&c->rf, c->g, c->orig, c->size, 0), (ssize_t) c->size);
	CHECK_EQ(xf_file_fsync(&c->rf.e, c->g, false, NULL), 0);
	CHECK_EQ(xf_file_copy_range(&c->rf.e, c->g, 0, c->f, 0, c->size), (ssize_t) c->size);
	CHECK_EQ(atomic_load(&xfs_reflink_stats.remapped_shared_blocks) - shared0, c->size / c->B);
	CHECK_EQ(race_block_addr(c->f, c->w1), race_block_addr(c->g, c->w1));
	return race_block_addr(c->f, c->w1) == race_block_addr(c->g, c->w1);
}

/*
 * Without validation exactly W1's bytes of the block holding w1 are g's
 * again; with it, f is what was written.
 */
static const char *race_cow_verdict(struct race_cow *c, bool validate, char *why, size_t len)
{
	uint64_t lost = c->w1, lost_len = c->B - c->w1 % c->B, tail = lost + lost_len;
	bool right = race_first_diff(c->got, c->expect, c->size) < 0;
	bool corrupted = race_first_diff(c->got, c->expect, lost) < 0 &&
			 race_first_diff(c->got + lost, c->orig + lost, lost_len) < 0 &&
			 race_first_diff(c->expect + lost, c->orig + lost, lost_len) >= 0 &&
			 race_first_diff(c->got + tail, c->expect + tail, c->size - tail) < 0;

	if (validate) {
		CHECK(right);
		snprintf(why, len, "%s", right ? "data right" : "WRONG DATA: the fix failed");
	} else {
		CHECK(corrupted);
		snprintf(why, len,
			 corrupted ? "CORRUPTED as expected: W1's %llu bytes at %llu read back as "
				     "the shared block's old bytes"
				   : "NOT CORRUPTED: the race was not reproduced (%llu at %llu)",
			 (unsigned long long) lost_len, (unsigned long long) lost);
	}
	return why;
}

void race7_cow(const struct race_geom *g, const struct race_mode *mode)
{
	struct race_cow c = {.F = g->fsize, .B = g->bs};
	struct race_thread w2 = {0};
	struct park *p_w2 = NULL;
	struct vfs_inode *v;
	const char *result = "NOT RUN";
	uint64_t stale0, stale = 0, park_pos, w1len, addr_w1;
	char why[160];
	int kernel = 0;

	c.P = 2 * c.F;
	c.w1 = c.P + c.F / 2 + c.B / 2;
	c.size = 4 * c.F;
	c.o = race_mode_opts(mode, true);
	c.orig = malloc(c.size);
	c.expect = malloc(c.size);
	c.got = malloc(c.size);
	c.w2buf = malloc(c.w1);
	race_fs_mkfs(&c.rf, g);
	race_fs_mount(&c.rf, &c.o);
	if (!race_cow_setup(&c))
		goto out_unmount;
	v = xb_vfs_inode(c.f);
	memcpy(c.expect, c.orig, c.size);

	/* W1: P's tail, over shared blocks: COW fork delalloc, P dirty. */
	w1len = c.P + c.F - c.w1;
	race_fill(c.expect + c.w1, w1len, c.w1, 1);
	CHECK_EQ(write_at(&c.rf, c.f, c.expect + c.w1, w1len, c.w1), (ssize_t) w1len);

	/* W2 maps the mapping that holds P (the hint aligns COW extents) and parks. */
	race_fill(c.w2buf, c.w1, 0, 2);
	park_pos = c.P - c.P % (RACE_COWEXTSZ_BLOCKS * c.B);
	stale0 = stale_now();
	p_w2 = park_arm(INJECT_WRITE_AFTER_BEGIN, v, (loff_t) park_pos);
	w2 = (struct race_thread){
		.op = RACE_WRITE, .rf = &c.rf, .ip = c.f, .buf = c.w2buf, .len = c.w1, .off = 0};
	race_thread_start(&w2);
	if (!reach(p_w2))
		goto out_abort;

	/* Writeback of P: staging blocks written and remapped into f. */
	CHECK_EQ(filemap_write_and_wait_range(c.rf.e.bdi, v, c.P, c.P + c.F - 1), 0);
	addr_w1 = race_block_addr(c.f, c.w1);
	CHECK(addr_w1 != UINT64_MAX && addr_w1 != race_block_addr(c.g, c.w1));
	if (!evict_by_reclaim(&c.rf, c.f, c.P))
		goto out_abort;

	/* W2 goes on with the mapping it cached before the remap. */
	park_release(p_w2);
	CHECK_EQ(race_thread_join(&w2), (long) c.w1);
	stale = stale_now() - stale0;
	memcpy(c.expect, c.w2buf, c.w1);
	if (mode->validate)
		CHECK(stale >= 1);
	else
		CHECK_EQ(stale, 0);
	CHECK_EQ(xf_file_fsync(&c.rf.e, c.f, false, NULL), 0);
	xb_iput(c.f);
	xb_iput(c.g);
	remount_read(&c.rf, &c.o, "f", c.got, c.size);
	result = race_cow_verdict(&c, mode->validate, why, sizeof(why));
	/* g is never written, whatever happened to f. */
	c.g = race_lookup(&c.rf, "g");
	race_read(&c.rf, c.g, c.got, c.size);
	CHECK_EQ(race_first_diff(c.got, c.orig, c.size), -1);
	xb_iput(c.g);
	finish(&c.rf);
	if (mode->validate)
		kernel = race_kernel_check(c.rf.img, "f", c.expect, c.size);
	goto out;

out_abort:
	park_check_all("race7");
	race_thread_join(&w2);
out_unmount:
	xb_iput(c.f);
	xb_iput(c.g);
	finish(&c.rf);
out:
	park_check_all("race7");
	summary("7-cow", g, mode->name, result, stale,
		mode->validate ? (kernel ? "same" : "skipped") : "-");
	free(c.orig);
	free(c.expect);
	free(c.got);
	free(c.w2buf);
	free(c.rf.img);
}
