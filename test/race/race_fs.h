/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The race harness's view of a real XFS image: mkfs, mount with the iomap
 * engine (xf_engine_start: bdi flusher + completion worker + reclaim), files,
 * threads that run one engine call, peeks at the extent state, remount, the
 * kernel as read-only oracle.
 *
 * Determinism.  The engine's own background work is switched off in effect:
 * the flusher's period and dirty expiry are an hour, the cache limit is far
 * above what a scenario dirties, reclaim is not aggressive until a scenario
 * turns it on.  Every writeback, completion and eviction a scenario depends
 * on is started by the test or waited for at a park point.
 */
#ifndef XFSFUSE_RACE_FS_H
#define XFSFUSE_RACE_FS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "copy_range.h"
#include "file_ops.h"

struct race_geom {
	unsigned int bs; /* filesystem block size */
	size_t fsize;	 /* folio size */
};

struct race_mount_opts {
	bool validate;	   /* iomap_validate= */
	bool legacy_punch; /* delalloc_punch=legacy */
	bool rfc;	   /* stale_remedy=rfc's own switch */
	bool prealloc;	   /* speculative EOF preallocation */
};

struct race_fs {
	struct race_geom g;
	char *img;
	struct xb_mount *m;
	struct xf_engine e;
	struct xb_inode *root;
};

/* mkfs a fresh image with @g's block size. */
void race_fs_mkfs(struct race_fs *rf, const struct race_geom *g);
/* Mount it with the engine (exits on failure: nothing can be checked). */
void race_fs_mount(struct race_fs *rf, const struct race_mount_opts *o);
/* Stop the engine (writes everything back), unmount, free the cache. */
void race_fs_unmount(struct race_fs *rf);

struct xb_inode *race_create(struct race_fs *rf, const char *name);
struct xb_inode *race_lookup(struct race_fs *rf, const char *name);
/* Read all of [0, len) through the engine; CHECKs the length. */
void race_read(struct race_fs *rf, struct xb_inode *ip, unsigned char *buf, size_t len);

/* Distinct, never-zero bytes for file offset @off onwards, per @seed. */
void race_fill(unsigned char *buf, size_t len, uint64_t off, unsigned int seed);
/* First offset where @a and @b differ, or -1. */
long long race_first_diff(const unsigned char *a, const unsigned char *b, size_t len);
/* Are all of [off, off+len) of @buf zero? */
bool race_all_zero(const unsigned char *buf, size_t off, size_t len);

/* Extent state of the file block holding @off: 'H', 'D', 'U', 'W' ('?' on error). */
char race_block_state(struct xb_inode *ip, uint64_t off);
/* Image byte address of the file block holding @off (UINT64_MAX if none). */
uint64_t race_block_addr(struct xb_inode *ip, uint64_t off);
/* The data fork's sequence counter (if_seq), sampled under ILOCK. */
uint32_t race_data_seq(struct xb_inode *ip);

/*
 * The kernel's XFS (read-only loop mount) reads @name: 1 if it matched
 * @expect (CHECKed), 0 if the loop mount is not possible here (skipped).
 */
int race_kernel_check(const char *img, const char *name, const unsigned char *expect, size_t len);

/* One engine call on its own thread (a writer, an mmap store, a writeback). */
enum race_op {
	RACE_WRITE,	 /* xf_file_write(writepage=false) */
	RACE_MMAP_STORE, /* xf_file_write(writepage=true): a FUSE writepage */
	RACE_WRITEBACK,	 /* filemap_write_and_wait_range(bdi, ...) */
	RACE_FN,	 /* fn(arg) */
};

struct race_thread {
	enum race_op op;
	struct race_fs *rf;
	struct xb_inode *ip;
	const void *buf;
	size_t len;
	off_t off;
	long (*fn)(void *arg);
	void *arg;
	long ret; /* bytes, or -errno */
	pthread_t tid;
	bool started;
};

void race_thread_start(struct race_thread *t);
/* Join with a failure-detector timeout: a thread still stuck aborts the run. */
long race_thread_join(struct race_thread *t);

#endif
