/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfsfuse's writer of the image's own XFS log (doc/log.md).
 *
 * libxfs 6.1 commits a transaction by marking its buffers dirty in the
 * buffer cache (inodes are flushed into their cluster buffers at commit), so
 * the committed state of the filesystem is "the image plus every dirty
 * buffer".  A checkpoint logs every dirty buffer, whole, as one checkpoint
 * transaction in the on-disk format the kernel's log recovery reads (record
 * headers with cycle stamping and CRC, op headers, a transaction header, buf
 * log format items, a commit record), makes it durable, and only then writes
 * the buffers in place.  Until then the buffer cache may not write a dirty
 * buffer (xb_log_install_cache_hooks): that is the write-ahead rule.
 *
 * Everything here runs under the libxfs lock (xb_lock) with no transaction
 * in flight, except a checkpoint's writes and flushes: those run without the
 * lock, from a snapshot (snapshot.c), one checkpoint at a time.
 */
#ifndef XFSFUSE_XLOG_H
#define XFSFUSE_XLOG_H

#include "../xb_internal.h"

/* One log record as we write it: 32 KiB of payload, one header block. */
#define XB_LOG_RECORD_SIZE XLOG_HEADER_CYCLE_SIZE

/* One dirty buffer as a checkpoint froze it (snapshot.c). */
struct xb_snap_buf {
	struct xfs_buf *bp; /* the live buffer: identity only, outside the lock */
	xfs_daddr_t daddr;
	struct xfs_buf_map *maps;
	int nmaps;
	char *data; /* verified bytes of every map, in order */
	size_t len;
	enum xfs_blft type;
	bool is_sb;	/* the primary superblock */
	bool redirtied; /* dirtied again while the checkpoint was in flight */
};

struct xb_snapshot {
	struct xb_snap_buf *bufs; /* in disk order */
	size_t n, cap;
	uint64_t bytes;
};

struct xb_log {
	struct xb_mount *m;
	int fd;		      /* the image */
	xfs_daddr_t bb_start; /* first basic block of the log */
	int bb_size;	      /* log length in basic blocks */
	int bb_round;	      /* record lengths are multiples of this (log sunit, sector) */
	int curr_cycle;	      /* cycle of the next block written at @curr_block */
	int curr_block;	      /* head: where the next record starts */
	int prev_block;	      /* header block of the last record written */
	uint32_t next_tid;

	/*
	 * Sequences (the kernel's CIL sequence numbers).  Changes made now
	 * belong to checkpoint @open_seq; every checkpoint up to @committed_seq
	 * is durable in the log and written home.  At most one checkpoint is in
	 * flight (open_seq - 1, its lock-free phase), @flight holding its
	 * buffers; @done is broadcast (with xb_lock) whenever one ends.
	 */
	uint64_t open_seq, committed_seq;
	uint64_t free_seq; /* the checkpoint holding the latest extent free */
	bool in_flight;
	struct xb_snapshot *flight;
	pthread_cond_t done;

	/* policy */
	uint64_t dirty_bytes;	  /* buffers turned dirty since the last snapshot */
	uint64_t dirty_limit;	  /* checkpoint once this many dirty bytes accumulate */
	unsigned int interval_ms; /* timer checkpoints (0: none) */

	/* counters (doc/control.md) */
	uint64_t checkpoints, log_bytes, bufs_logged, forced_by_free, unlogged_writes;
	uint64_t fsync_flush_only; /* fsyncs that needed no checkpoint */

	/* timer thread */
	pthread_t timer;
	pthread_cond_t timer_cond;
	bool timer_running, timer_stop;
};

/* A record being filled (record.c). */
struct xb_rec_writer {
	struct xb_log *log;
	char *out; /* the bytes of every finished record, in log order */
	size_t out_len, out_cap;
	int start_cycle, start_block; /* where out[0] lands */
	int nrecords;
	uint64_t bytes_written; /* by xb_rec_write_out, for the log_bytes counter */
	size_t total_blocks;	/* every record of this writer: the checkpoint's size */
	int cap;		/* payload bytes one record can hold */
	xfs_lsn_t tail_lsn;
	/* the open record */
	char payload[XB_LOG_RECORD_SIZE];
	int used; /* bytes of @payload in use */
	int nops;
	uint32_t tid;
};

/* record.c: build log records (the kernel's xlog_write + xlog_sync, in memory). */
void xb_rec_init(struct xb_rec_writer *w, struct xb_log *log, uint32_t tid);
void xb_rec_free(struct xb_rec_writer *w);
/* One op: @len bytes of @data, split across records as xlog_write does. */
int xb_rec_add_op(struct xb_rec_writer *w, uint8_t flags, const void *data, int len);
/* Close the open record (if any ops) so that the next op starts a new one. */
int xb_rec_close(struct xb_rec_writer *w);
/* Write @nblocks at log block @block, wrapping at the log's end.  No flush. */
int xb_log_write_blocks(struct xb_log *log, int block, const char *buf, size_t nblocks);
/* Write the finished records at the head, advance it.  No flush. */
int xb_rec_write_out(struct xb_rec_writer *w);
/* The LSN that the record starting at @block in @cycle has. */
static inline xfs_lsn_t xb_log_lsn(int cycle, int block)
{
	return ((xfs_lsn_t) cycle << 32) | (uint32_t) block;
}

/* cache_hooks.c */
extern struct xb_log *xb_active_log;
void xb_log_install_cache_hooks(struct xb_log *log);
void xb_log_remove_cache_hooks(struct xb_log *log);

/* Write all of @len bytes at @off. */
int xb_pwrite_all(int fd, const char *buf, size_t len, off_t off);

/* buf_item.c */
enum xfs_blft xb_buf_log_type(const struct xfs_buf *bp);
int xb_buf_item_format(struct xb_rec_writer *w, const struct xb_snap_buf *sb, int *nitems);

/* snapshot.c: under xb_lock except xb_snap_write_in_place. */
int xb_snap_take(struct xb_snapshot *s);
bool xb_snap_note_redirty(struct xb_snapshot *s, struct xfs_buf *bp);
int xb_snap_write_in_place(struct xb_snapshot *s, int fd, bool sb_marked);
void xb_snap_release(struct xb_snapshot *s, bool home);

/* checkpoint.c */
int xb_log_flush_device(struct xb_log *log);
/* Caller holds xb_lock; it may be dropped and retaken while a checkpoint writes. */
int xb_log_force_seq(struct xb_log *log, uint64_t seq, bool *flushed);

/* recover.c */
int xb_log_find_head(struct xb_mount *m, struct xlog *xl, xfs_daddr_t *head, xfs_daddr_t *tail);

#endif
