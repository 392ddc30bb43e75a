/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 2022 stale-iomap workload as plain POSIX I/O on any mounted directory
 * (doc/race.md).  Used by xfsfuse-stress (any directory) and xfsfuse-race
 * (its own image, mounted with xfsfuse).
 *
 * Workloads:
 *  - unwritten: per round a fresh fallocated (unwritten) region; writer A
 *    writes the tail of block X, writer B a large range ending in the head
 *    of X.  The two are started together and race for the file.
 *  - delalloc: the same over a hole of a sparse file (delalloc reservations).
 *  - mmap: generic/346 style: a write() that falls short (the daemon's
 *    short_copy_at) racing an mmap store into a later page of its range.
 *
 * Every round is recorded (offsets, lengths, pattern seeds) so that a
 * second pass after unmount + remount can check the same bytes on disk.
 */
#ifndef XFSFUSE_RACE_STRESS_H
#define XFSFUSE_RACE_STRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum stress_workload {
	WL_UNWRITTEN,
	WL_DELALLOC,
	WL_MMAP,
};

struct stress_opts {
	const char *dir; /* where the files go */
	enum stress_workload workload;
	double seconds;		 /* run time */
	unsigned int pairs;	 /* writer pairs (each owns a file), default 2 */
	unsigned int block_size; /* 0: statvfs f_bsize of dir */
	unsigned int region;	 /* bytes per round, default 64 KiB */
	uint64_t file_size;	 /* bytes per file before rotating, default 16 MiB */
	unsigned int keep_files; /* generations kept per pair for the recheck */
	uint64_t seed;
	int64_t short_copy_at;	    /* mmap: the daemon's short_copy_at offset */
	unsigned int mmap_delay_us; /* mmap: max delay before the store */
	bool stop_at_first;	    /* stop once a corruption is seen */
	int verbose;		    /* 1: each corruption, 2: each round */
	FILE *log;		    /* verbose output, default stderr */
};

/* One round: what each writer wrote where (the checker's ground truth). */
struct stress_round {
	uint32_t pair, gen; /* file race.<pair>.<gen> */
	uint32_t nr;	    /* round number within the run */
	uint64_t region_start;
	uint32_t region_len;
	uint64_t a_start, a_len, a_seed; /* writer A (mmap: the store) */
	uint64_t b_start, b_len, b_seed; /* writer B (mmap: the short write's bytes) */
	uint32_t corrupt;		 /* corrupt blocks the online check found */
};

struct stress_result {
	uint64_t rounds;
	uint64_t corrupt_blocks; /* blocks with at least one wrong byte */
	uint64_t checked_bytes;
	double first_corruption_s; /* seconds into the run, <0: none */
	uint64_t short_writes;	   /* mmap: write() calls that came back short */
	uint64_t errors;	   /* I/O errors (not corruption) */
	/* stress_verify: per round the larger of its online and its new count */
	uint64_t corrupt_union;
};

/* The rounds still on disk, for stress_verify(). */
struct stress_manifest {
	pthread_mutex_t lock;
	struct stress_round *r;
	size_t nr, cap;
};

void stress_default_opts(struct stress_opts *o);
void stress_manifest_init(struct stress_manifest *m);
void stress_manifest_free(struct stress_manifest *m);
int stress_manifest_save(const struct stress_manifest *m, const char *path);
int stress_manifest_load(struct stress_manifest *m, const char *path);

/* Run the workload; 0, or -errno when the workload itself could not run. */
int stress_run(const struct stress_opts *o, struct stress_manifest *m, struct stress_result *res);
/* Re-check every recorded round (after a remount). */
int stress_verify(const struct stress_opts *o, const struct stress_manifest *m,
		  struct stress_result *res);

const char *stress_workload_name(enum stress_workload w);
int stress_parse_workload(const char *s, enum stress_workload *w);

/* ---- shared by the workloads (stress.c) ---- */
uint8_t stress_byte(uint64_t seed, uint64_t off);
void stress_fill(char *buf, uint64_t seed, uint64_t off, size_t len);
uint64_t stress_rand(uint64_t *state);
double stress_now(void);
void stress_file_name(char *buf, size_t len, const char *dir, uint32_t pair, uint32_t gen);
/* Compare one round's region in @fd; adds to @res; returns corrupt blocks. */
uint64_t stress_check_round(const struct stress_opts *o, int fd, const struct stress_round *r,
			    unsigned int bs, const char *when, struct stress_result *res);
void stress_manifest_add(struct stress_manifest *m, const struct stress_round *r);
void stress_manifest_drop_file(struct stress_manifest *m, uint32_t pair, uint32_t gen);

#endif
