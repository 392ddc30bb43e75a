// SPDX-License-Identifier: GPL-2.0
/*
 * Log records in the kernel's on-disk format, built in memory.
 *
 * The kernel's xlog_write() copies op headers and regions into 32 KiB
 * in-core log buffers, splitting a region that does not fit with
 * XLOG_CONTINUE_TRANS / XLOG_WAS_CONT_TRANS / XLOG_END_TRANS; xlog_sync()
 * then pads the record, packs the first word of every 512-byte block into the
 * header's h_cycle_data[] (the block gets the cycle number instead, which is
 * how recovery finds the head), and checksums header and payload.  This file
 * does the same into one growing byte array per checkpoint; xb_rec_write_out
 * puts it at the head of the circular log, wrapping at its end as
 * xlog_split_iclog() does (blocks past the end carry the next cycle).
 */
#include "xlog.h"

void xb_rec_init(struct xb_rec_writer *w, struct xb_log *log, uint32_t tid)
{
	memset(w, 0, offsetof(struct xb_rec_writer, payload));
	w->log = log;
	w->tid = tid;
	w->used = 0;
	w->nops = 0;
	w->start_cycle = log->curr_cycle;
	w->start_block = log->curr_block;
	/* Room for ops in one record once padding to the stripe unit is added. */
	w->cap = BBTOB((1 + BTOBB(XB_LOG_RECORD_SIZE)) / log->bb_round * log->bb_round - 1);
	w->tail_lsn = xb_log_lsn(log->curr_cycle, log->curr_block);
}

void xb_rec_free(struct xb_rec_writer *w)
{
	free(w->out);
	w->out = NULL;
}

/* Log block @rel blocks after the writer's start: its position and cycle. */
static void xb_rec_block_pos(const struct xb_rec_writer *w, size_t rel, int *block, int *cycle)
{
	uint64_t abs = (uint64_t) w->start_block + rel;

	*block = (int) (abs % (uint64_t) w->log->bb_size);
	*cycle = w->start_cycle + (int) (abs / (uint64_t) w->log->bb_size);
}

static int xb_rec_grow(struct xb_rec_writer *w, size_t more)
{
	size_t cap = w->out_cap ? w->out_cap : 256 * 1024;
	char *p;

	while (cap < w->out_len + more)
		cap *= 2;
	if (cap == w->out_cap)
		return 0;
	p = realloc(w->out, cap);
	if (!p)
		return -ENOMEM;
	w->out = p;
	w->out_cap = cap;
	return 0;
}

/* Payload length rounded so that header + payload fill whole log stripe units. */
static int xb_rec_padded_len(const struct xb_log *log, int used)
{
	int blocks = 1 + (int) BTOBB(used);

	blocks = roundup(blocks, log->bb_round);
	return BBTOB(blocks - 1);
}

/* crc32c of the header (h_crc zeroed) then of the payload, as xlog_cksum(). */
static void xb_rec_checksum(struct xlog_rec_header *rh, const char *data, int len)
{
	uint32_t crc = xfs_start_cksum_update((char *) rh, sizeof(*rh),
					      offsetof(struct xlog_rec_header, h_crc));

	crc = crc32c(crc, data, len);
	rh->h_crc = xfs_end_cksum(crc);
}

int xb_rec_close(struct xb_rec_writer *w)
{
	struct xb_log *log = w->log;
	struct xfs_mount *mp = log->m->mp;
	struct xlog_rec_header *rh;
	int len = xb_rec_padded_len(log, w->used);
	size_t rel = w->out_len / BBSIZE;
	int block, cycle, i, error;
	char *data;

	if (!w->nops)
		return 0;
	if (w->total_blocks + 1 + BTOBB(len) > (size_t) log->bb_size - 2 * log->bb_round)
		return -ENOSPC; /* one checkpoint may never lap the log */
	error = xb_rec_grow(w, BBSIZE + len);
	if (error)
		return error;
	rh = (struct xlog_rec_header *) (w->out + w->out_len);
	data = w->out + w->out_len + BBSIZE;
	memset(rh, 0, BBSIZE);
	memset(w->payload + w->used, 0, len - w->used);
	memcpy(data, w->payload, len);

	xb_rec_block_pos(w, rel, &block, &cycle);
	rh->h_magicno = cpu_to_be32(XLOG_HEADER_MAGIC_NUM);
	rh->h_cycle = cpu_to_be32(cycle);
	rh->h_version = cpu_to_be32(xfs_has_logv2(mp) ? 2 : 1);
	rh->h_len = cpu_to_be32(len);
	rh->h_lsn = cpu_to_be64(xb_log_lsn(cycle, block));
	rh->h_tail_lsn = cpu_to_be64(w->tail_lsn);
	rh->h_prev_block = cpu_to_be32(log->prev_block);
	rh->h_num_logops = cpu_to_be32(w->nops);
	rh->h_fmt = cpu_to_be32(XLOG_FMT);
	memcpy(&rh->h_fs_uuid, &mp->m_sb.sb_uuid, sizeof(uuid_t));
	rh->h_size = cpu_to_be32(XB_LOG_RECORD_SIZE);

	/* xlog_pack_data + xlog_split_iclog: each block carries its own cycle. */
	for (i = 0; i < (int) BTOBB(len); i++) {
		int bblock, bcycle;

		xb_rec_block_pos(w, rel + 1 + i, &bblock, &bcycle);
		rh->h_cycle_data[i] = *(__be32 *) (data + BBTOB(i));
		*(__be32 *) (data + BBTOB(i)) = cpu_to_be32(bcycle);
	}
	xb_rec_checksum(rh, data, len);

	log->prev_block = block;
	w->out_len += BBSIZE + len;
	w->total_blocks += 1 + BTOBB(len);
	w->nrecords++;
	w->used = 0;
	w->nops = 0;
	return 0;
}

static int xb_rec_put(struct xb_rec_writer *w, uint8_t clientid, uint8_t flags, const void *data,
		      int len)
{
	struct xlog_op_header oh = {
		.oh_tid = cpu_to_be32(w->tid),
		.oh_len = cpu_to_be32(len),
		.oh_clientid = clientid,
		.oh_flags = flags,
	};

	memcpy(w->payload + w->used, &oh, sizeof(oh));
	if (len)
		memcpy(w->payload + w->used + sizeof(oh), data, len);
	w->used += sizeof(oh) + len;
	w->nops++;
	return 0;
}

/*
 * Regions this small never straddle records: recovery reads an item's
 * format (its region count) from the first fragment.
 */
#define XB_REC_NOSPLIT 1024

int xb_rec_add_op(struct xb_rec_writer *w, uint8_t flags, const void *data, int len)
{
	const char *p = data;
	int off = 0;
	bool first = true;

	for (;;) {
		int space = w->cap - w->used - (int) sizeof(struct xlog_op_header);
		int left = len - off, chunk;
		uint8_t f;
		int error;

		if (space < 8 || (left > space && (left <= XB_REC_NOSPLIT || space < 256))) {
			if (!w->nops)
				return -EINVAL; /* cannot happen: an empty record has room */
			error = xb_rec_close(w);
			if (error)
				return error;
			continue;
		}
		chunk = left < space ? left : space;
		if (first)
			f = flags | (chunk < left ? XLOG_CONTINUE_TRANS : 0);
		else
			f = XLOG_WAS_CONT_TRANS |
			    (chunk < left ? XLOG_CONTINUE_TRANS : XLOG_END_TRANS);
		xb_rec_put(w, XFS_TRANSACTION, f, p + off, chunk);
		off += chunk;
		first = false;
		if (off == len)
			return 0;
		error = xb_rec_close(w);
		if (error)
			return error;
	}
}

int xb_pwrite_all(int fd, const char *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t) n;
		off += n;
	}
	return 0;
}

int xb_log_write_blocks(struct xb_log *log, int block, const char *buf, size_t nblocks)
{
	size_t first = nblocks;
	int error;

	if ((size_t) block + nblocks > (size_t) log->bb_size)
		first = (size_t) (log->bb_size - block);
	error = xb_pwrite_all(log->fd, buf, BBTOB(first), BBTOB(log->bb_start + block));
	if (!error && first < nblocks)
		error = xb_pwrite_all(log->fd, buf + BBTOB(first), BBTOB(nblocks - first),
				      BBTOB(log->bb_start));
	return error;
}

int xb_rec_write_out(struct xb_rec_writer *w)
{
	struct xb_log *log = w->log;
	size_t blocks = w->out_len / BBSIZE;
	int error;

	if (!blocks)
		return 0;
	error = xb_log_write_blocks(log, w->start_block, w->out, blocks);
	if (error)
		return error;
	xb_rec_block_pos(w, blocks, &log->curr_block, &log->curr_cycle);
	w->bytes_written += w->out_len;
	/* The next writer starts where this one ended. */
	w->start_block = log->curr_block;
	w->start_cycle = log->curr_cycle;
	w->out_len = 0;
	return 0;
}
