// SPDX-License-Identifier: GPL-2.0
/*
 * Steps every scenario of the race harness shares (doc/race-harness.md):
 * the stale-remedy modes, waiting at park points, peeking at the page
 * cache, eviction by reclaim, the remount-and-read ending, the summary line.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "race_steps.h"
#include "xfs_iomap.h"

const struct race_mode race_mode_none = {"none", false, true, false};
const struct race_mode race_mode_merged = {"merged", true, false, false};
const struct race_mode race_mode_rfc = {"rfc", true, true, true};
const struct race_mode race_mode_naive = {"validate+legacy", true, true, false};
const struct race_mode *const race_modes[RACE_NR_MODES] = {&race_mode_none, &race_mode_merged,
							   &race_mode_rfc};

/* The modes' switches are the daemon's stale_remedy= ones (src/iomap/remedy.c). */
void race_modes_check(void)
{
	static const enum iomap_stale_remedy r[RACE_NR_MODES] = {
		IOMAP_REMEDY_NONE, IOMAP_REMEDY_MERGED, IOMAP_REMEDY_RFC};
	unsigned int i;

	for (i = 0; i < RACE_NR_MODES; i++) {
		bool validate, legacy, rfc;

		iomap_stale_remedy_switches(r[i], &validate, &legacy, &rfc);
		CHECK(!strcmp(race_modes[i]->name, iomap_stale_remedy_name(r[i])));
		CHECK(validate == race_modes[i]->validate &&
		      legacy == race_modes[i]->legacy_punch && rfc == race_modes[i]->rfc);
	}
}

struct race_mount_opts race_mode_opts(const struct race_mode *mode, bool prealloc)
{
	return (struct race_mount_opts){.validate = mode->validate,
					.legacy_punch = mode->legacy_punch,
					.rfc = mode->rfc,
					.prealloc = prealloc};
}

/* The one-line summary every scenario prints. */
void summary(const char *scenario, const struct race_geom *g, const char *mode, const char *result,
	     uint64_t stale, const char *kernel)
{
	if (!strcmp(result, "NOT RUN"))
		kernel = "-";
	printf("race: %-14s bs=%-4u folio=%-5zu %-17s stale_iomaps=%-2llu kernel=%-7s %s\n",
	       scenario, g->bs, g->fsize, mode, (unsigned long long) stale, kernel, result);
	fflush(stdout);
}

/* Wait for a park point; a scenario that cannot reach one must fail. */
bool reach(struct park *p)
{
	bool ok = park_wait(p);

	CHECK(ok);
	return ok;
}

uint64_t stale_now(void)
{
	return atomic_load(&iomap_stats.stale_iomaps);
}

uint64_t folio_index_of(struct race_fs *rf, uint64_t pos)
{
	return pos >> rf->e.pc.folio_shift;
}

bool folio_cached(struct race_fs *rf, struct xb_inode *ip, uint64_t pos)
{
	struct folio *f = filemap_get_folio(&xb_vfs_inode(ip)->i_mapping, folio_index_of(rf, pos));

	if (f)
		folio_put(f);
	return f != NULL;
}

/*
 * Evict the clean folio at @pos the way memory pressure would: reclaim,
 * aggressive for a moment, and the test waits at INJECT_AFTER_EVICT for
 * that very folio.  (Not folio_try_evict from here: the completion worker
 * drops its folio references just after PG_writeback clears, so a waiter
 * can still see one -- reclaim simply tries again, as the kernel's does.)
 */
bool evict_by_reclaim(struct race_fs *rf, struct xb_inode *ip, uint64_t pos)
{
	struct park *p = park_arm(INJECT_AFTER_EVICT, xb_vfs_inode(ip), (loff_t) pos);
	bool ok;

	reclaim_set_aggressive(rf->e.reclaim, true);
	ok = reach(p);
	reclaim_set_aggressive(rf->e.reclaim, false);
	park_release(p);
	CHECK(!folio_cached(rf, ip, pos));
	return ok;
}

ssize_t write_at(struct race_fs *rf, struct xb_inode *ip, const unsigned char *buf, size_t len,
		 uint64_t off)
{
	return xf_file_write(&rf->e, ip, buf, len, (off_t) off, false);
}

/*
 * The end of every scenario: unmount (the engine writes everything back),
 * xfs_repair -n, mount again with a fresh engine, read @name back into
 * @got (size @len).  A clean image is required in every mode: the races
 * corrupt data, never metadata.
 */
void remount_read(struct race_fs *rf, const struct race_mount_opts *o, const char *name,
		  unsigned char *got, size_t len)
{
	struct xb_inode *ip;
	struct xb_stat st;

	race_fs_unmount(rf);
	CHECK(th_repair_clean(rf->img));
	race_fs_mount(rf, o);
	ip = race_lookup(rf, name);
	CHECK_EQ(xb_getattr(ip, &st), 0);
	CHECK_EQ(st.size, len);
	memset(got, 0xee, len);
	race_read(rf, ip, got, len);
	xb_iput(ip);
}

void finish(struct race_fs *rf)
{
	race_fs_unmount(rf);
	CHECK(th_repair_clean(rf->img));
}

struct xb_inode *race_hole_file(struct race_fs *rf, const struct race_geom *g,
				const struct race_mount_opts *o, uint64_t size)
{
	struct xb_inode *ip;

	race_fs_mkfs(rf, g);
	race_fs_mount(rf, o);
	ip = race_create(rf, "f");
	CHECK_EQ(xf_file_setsize(&rf->e, ip, size), 0);
	return ip;
}
