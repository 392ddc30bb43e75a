/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Steps the race harness's scenarios share (race_steps.c), and the modes
 * each scenario runs in (doc/race-harness.md).
 */
#ifndef XFSFUSE_RACE_STEPS_H
#define XFSFUSE_RACE_STEPS_H

#include "park.h"
#include "race_fs.h"

/*
 * A stale remedy as three engine switches: the daemon's stale_remedy=none,
 * merged and rfc (race_modes), and the naive fix of validation with the
 * old truncating punch -- the combination the RFC was written to avoid.
 */
struct race_mode {
	const char *name;
	bool validate, legacy_punch, rfc;
};
#define RACE_NR_MODES 3
extern const struct race_mode race_mode_none, race_mode_merged, race_mode_rfc, race_mode_naive;
extern const struct race_mode *const race_modes[RACE_NR_MODES];
/* CHECKs that the modes are the daemon's (names and switches). */
void race_modes_check(void);
struct race_mount_opts race_mode_opts(const struct race_mode *mode, bool prealloc);

/* The one-line summary every scenario prints. */
void summary(const char *scenario, const struct race_geom *g, const char *mode, const char *result,
	     uint64_t stale, const char *kernel);
/* Wait for a park point; a scenario that cannot reach one must fail. */
bool reach(struct park *p);
uint64_t stale_now(void);
uint64_t folio_index_of(struct race_fs *rf, uint64_t pos);
bool folio_cached(struct race_fs *rf, struct xb_inode *ip, uint64_t pos);
/* Evict the clean folio at @pos through reclaim (waits at INJECT_AFTER_EVICT). */
bool evict_by_reclaim(struct race_fs *rf, struct xb_inode *ip, uint64_t pos);
ssize_t write_at(struct race_fs *rf, struct xb_inode *ip, const unsigned char *buf, size_t len,
		 uint64_t off);
/* Unmount, xfs_repair -n, mount again, read @name whole (its size must be @len). */
void remount_read(struct race_fs *rf, const struct race_mount_opts *o, const char *name,
		  unsigned char *got, size_t len);
/* A fresh image mounted with @o, and in it "f": a hole of @size bytes. */
struct xb_inode *race_hole_file(struct race_fs *rf, const struct race_geom *g,
				const struct race_mount_opts *o, uint64_t size);
/* Unmount and xfs_repair -n. */
void finish(struct race_fs *rf);

/* Races 5 and 6 (race_stale_cleanup.c): what a stale mapping's cleanup does. */
void race5_stale_cleanup(const struct race_geom *g, const struct race_mode *mode);
void race6_failed_remap(const struct race_geom *g, const struct race_mode *mode, bool wrote);
/* Race 7 (race_cow.c): a stale mapping across a copy-on-write remap. */
void race7_cow(const struct race_geom *g, const struct race_mode *mode);
/*
 * Race 8 (race_shift.c): a collapse (@insert false) or an insert against a
 * buffered write holding a mapping; @locks: through the real locked call,
 * else with i_rwsem defeated so that only the validity cookie protects.
 */
void race8_shift(const struct race_geom *g, const struct race_mode *mode, bool insert, bool locks);
/*
 * Race 9 (race_dio.c): a direct write parked between its writeback-and-drop
 * of the page cache and its I/O while a buffered read (@post_invalidate
 * false: with the drop after the write switched off) or mmap stores fill
 * the range's folio again.
 */
void race9_dio_read(const struct race_geom *g, bool post_invalidate);
void race9_dio_mmap(const struct race_geom *g);

#endif
