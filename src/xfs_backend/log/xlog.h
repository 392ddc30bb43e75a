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
 * in flight.
 */
#ifndef XFSFUSE_XLOG_H
#define XFSFUSE_XLOG_H

#include "../xb_internal.h"

/* One log record as we write it: 32 KiB of payload, one header block. */
#define XB_LOG_RECORD_SIZE XLOG_HEADER_CYCLE_SIZE

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

	/* policy */
	uint64_t dirty_bytes;	  /* buffers turned dirty since the last checkpoint */
	uint64_t dirty_limit;	  /* checkpoint once this many dirty bytes accumulate */
	unsigned int interval_ms; /* timer checkpoints (0: none) */
	bool frees_pending;	  /* blocks freed since the last checkpoint (busy extents) */
	bool in_place;		  /* inside the checkpoint's in-place phase */

	/* counters (doc/control.md) */
	uint64_t checkpoints, log_bytes, bufs_logged, forced_by_free, unlogged_writes;

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
	size_t total_blocks; /* every record of this writer: the checkpoint's size */
	int cap;	     /* payload bytes one record can hold */
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

/* buf_item.c */
enum xfs_blft xb_buf_log_type(const struct xfs_buf *bp);
int xb_buf_item_format(struct xb_rec_writer *w, struct xfs_buf *bp, int *nitems);

/* checkpoint.c */
int xb_log_flush_device(struct xb_log *log);

/* recover.c */
int xb_log_find_head(struct xb_mount *m, struct xlog *xl, xfs_daddr_t *head, xfs_daddr_t *tail);

#endif
