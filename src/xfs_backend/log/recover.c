// SPDX-License-Identifier: GPL-2.0
/*
 * Log recovery for the logs xfsfuse writes.
 *
 * libxlog (xfsprogs) finds the head and tail (xlog_find_tail), walks the
 * records between them and parses transactions (xlog_do_recovery_pass); it
 * hands every committed transaction to the program's xlog_recover_do_trans.
 * Ours replays buf log items as the kernel's xlog_recover_do_reg_buffer
 * does: each dirty chunk run of the data map gets the next logged region.
 *
 * Pass 1 only checks that the log is one xfsfuse can replay: buffer items
 * and nothing else (no inode items, intents, cancels or inode-buffer
 * special cases -- those are the kernel's, and a log holding them is sent
 * to the kernel).  Pass 2 writes.  libxlog does not check record CRCs, so
 * xb_log_verify_records does first, and a record that fails (a torn write)
 * becomes the head, as the kernel's xlog_verify_head does.
 */
#include "xlog.h"

struct xb_replay {
	struct xfs_mount *mp;
	bool foreign; /* an item xfsfuse does not write */
	uint64_t transactions, bufs;
	int error;
};

static struct xb_replay *xb_replay; /* set for the duration of xb_log_replay */

/*
 * The next run of set bits in a buf item's chunk map at or after *@bit:
 * returns its length (0: none left) and moves *@bit to its start.  Not
 * libxfs's xfs_contig_bits: in 6.1 userspace its ffz() is ffs(~x), one-based,
 * and every run comes back one chunk too long.
 */
static int xb_map_next_run(const unsigned int *map, unsigned int words, int *bit)
{
	int nbits = (int) words * NBWORD, b = *bit, n = 0;

#define XB_MAP_BIT(i) (map[(i) / NBWORD] & (1U << ((i) % NBWORD)))
	while (b < nbits && !XB_MAP_BIT(b))
		b++;
	while (b + n < nbits && XB_MAP_BIT(b + n))
		n++;
#undef XB_MAP_BIT
	*bit = b;
	return n;
}

static bool xb_replay_item_ok(struct xfs_mount *mp, struct xlog_recover_item *item)
{
	struct xfs_buf_log_format *blf = item->ri_buf[0].i_addr;
	int len0 = item->ri_buf[0].i_len;
	int bit = 0, nbits, region = 1;

	if (len0 < (int) offsetof(struct xfs_buf_log_format, blf_data_map) ||
	    blf->blf_type != XFS_LI_BUF)
		return false;
	if (blf->blf_flags & ~XFS_BLFT_MASK) /* cancel, inode/quota buffer: kernel items */
		return false;
	if (!blf->blf_len || blf->blf_map_size > XFS_BLF_DATAMAP_SIZE ||
	    len0 < (int) (offsetof(struct xfs_buf_log_format, blf_data_map) +
			  blf->blf_map_size * sizeof(blf->blf_data_map[0])))
		return false;
	if (blf->blf_blkno < 0 ||
	    blf->blf_blkno + blf->blf_len > (int64_t) XFS_FSB_TO_BB(mp, mp->m_sb.sb_dblocks))
		return false;
	while ((nbits = xb_map_next_run(blf->blf_data_map, blf->blf_map_size, &bit))) {
		if (region >= item->ri_cnt ||
		    item->ri_buf[region].i_len != nbits << XFS_BLF_SHIFT ||
		    (bit + nbits) << XFS_BLF_SHIFT > (int) BBTOB(blf->blf_len))
			return false;
		region++;
		bit += nbits;
	}
	return region == item->ri_cnt;
}

static int xb_replay_buf(struct xfs_mount *mp, struct xlog_recover_item *item)
{
	struct xfs_buf_log_format *blf = item->ri_buf[0].i_addr;
	struct xfs_buf *bp;
	int bit = 0, nbits, region = 1, error;

	error = libxfs_buf_read_uncached(mp->m_ddev_targp, blf->blf_blkno, blf->blf_len, 0, &bp,
					 NULL);
	if (error)
		return error;
	while ((nbits = xb_map_next_run(blf->blf_data_map, blf->blf_map_size, &bit))) {
		memcpy((char *) bp->b_addr + (bit << XFS_BLF_SHIFT), item->ri_buf[region].i_addr,
		       nbits << XFS_BLF_SHIFT);
		region++;
		bit += nbits;
	}
	/* The logged images carry their CRCs (computed before logging). */
	error = libxfs_bwrite(bp);
	libxfs_buf_relse(bp);
	return error;
}

/* libxlog's callback: one committed transaction (here: one checkpoint). */
int xlog_recover_do_trans(struct xlog *log, struct xlog_recover *trans, int pass)
{
	struct xb_replay *r = xb_replay;
	struct xlog_recover_item *item;
	int error;

	(void) log;
	if (!r)
		return -EOPNOTSUPP;
	if (pass == XLOG_RECOVER_PASS1)
		r->transactions++;
	list_for_each_entry(item, &trans->r_itemq, ri_list)
	{
		if (pass == XLOG_RECOVER_PASS1) {
			if (!item->ri_cnt || !xb_replay_item_ok(r->mp, item))
				r->foreign = true;
			continue;
		}
		error = xb_replay_buf(r->mp, item);
		if (error) {
			r->error = error;
			return error;
		}
		r->bufs++;
	}
	return 0;
}

/* Read @n blocks at log block @blk, wrapping at the end of the log. */
static int xb_log_read(struct xlog *xl, int fd, int blk, int n, char *buf)
{
	int first = n;

	if (blk + n > xl->l_logBBsize)
		first = xl->l_logBBsize - blk;
	if (pread(fd, buf, BBTOB(first), BBTOB(xl->l_logBBstart + blk)) != BBTOB(first))
		return -EIO;
	if (first < n && pread(fd, buf + BBTOB(first), BBTOB(n - first), BBTOB(xl->l_logBBstart)) !=
				 BBTOB(n - first))
		return -EIO;
	return 0;
}

/*
 * Check every record's CRC from tail to head; move the head back to the first
 * record that fails.  Records with extended headers (h_size > 32 KiB) are the
 * kernel's and make the log foreign.
 */
static int xb_log_verify_records(struct xlog *xl, int fd, xfs_daddr_t tail, xfs_daddr_t *head,
				 bool *foreign)
{
	char *buf = malloc(BBSIZE + XB_LOG_RECORD_SIZE);
	xfs_daddr_t blk = tail;
	int error = 0;

	if (!buf)
		return -ENOMEM;
	while (blk != *head) {
		struct xlog_rec_header *rh = (struct xlog_rec_header *) buf;
		int len;
		uint32_t crc;

		error = xb_log_read(xl, fd, blk, 1, buf);
		if (error)
			break;
		len = be32_to_cpu(rh->h_len);
		if (rh->h_magicno == cpu_to_be32(XLOG_HEADER_MAGIC_NUM) &&
		    be32_to_cpu(rh->h_size) > XB_LOG_RECORD_SIZE) {
			*foreign = true; /* the kernel's larger in-core logs */
			break;
		}
		if (rh->h_magicno != cpu_to_be32(XLOG_HEADER_MAGIC_NUM) || len <= 0 ||
		    len > XB_LOG_RECORD_SIZE) {
			fprintf(stderr,
				"xfsfuse: no log record where one should start (block %lld): "
				"a torn write, the log ends there\n",
				(long long) blk);
			*head = blk;
			break;
		}
		error = xb_log_read(xl, fd, (blk + 1) % xl->l_logBBsize, BTOBB(len), buf + BBSIZE);
		if (error)
			break;
		crc = xfs_start_cksum_safe(buf, sizeof(*rh),
					   offsetof(struct xlog_rec_header, h_crc));
		crc = crc32c(crc, buf + BBSIZE, len);
		if (rh->h_crc && rh->h_crc != xfs_end_cksum(crc)) {
			fprintf(stderr,
				"xfsfuse: log record at block %lld fails its CRC: torn write, "
				"the log ends there\n",
				(long long) blk);
			*head = blk;
			break;
		}
		blk = (blk + 1 + BTOBB(len)) % xl->l_logBBsize;
	}
	free(buf);
	return error;
}

/* Set up libxlog's view of the log and find its head and tail. */
int xb_log_find_head(struct xb_mount *m, struct xlog *xl, xfs_daddr_t *head, xfs_daddr_t *tail)
{
	int dirty = xlog_is_dirty(m->mp, xl, &m->xi, 0);

	if (dirty < 0)
		return -EUCLEAN;
	*head = xl->l_curr_block;
	*tail = dirty ? BLOCK_LSN(xl->l_tail_lsn) /* int64_t in userspace */ : *head;
	return 0;
}

/*
 * Replay the records between @tail and @head into the image.  Returns 1 if
 * something was replayed, 0 if the log holds nothing xfsfuse wrote (then
 * nothing was touched), or a negative errno.
 */
int xb_log_replay(struct xb_mount *m, struct xlog *xl, xfs_daddr_t head, xfs_daddr_t tail,
		  uint64_t *nbufs)
{
	struct xb_replay r = {.mp = m->mp};
	int error;

	error = xb_log_verify_records(xl, m->xi.dfd, tail, &head, &r.foreign);
	if (error || r.foreign)
		return error ? error : 0;
	if (head == tail)
		return 1; /* only a torn checkpoint: nothing committed to replay */
	xb_replay = &r;
	error = xlog_do_recovery_pass(xl, head, tail, XLOG_RECOVER_PASS1);
	if (error > 0)
		error = -error;
	if (!error && !r.foreign)
		error = xlog_do_recovery_pass(xl, head, tail, XLOG_RECOVER_PASS2);
	if (error > 0)
		error = -error;
	xb_replay = NULL;
	if (error)
		return r.error ? r.error : error;
	if (r.foreign)
		return 0;
	*nbufs = r.bufs;
	return fdatasync(m->xi.dfd) < 0 ? -errno : 1;
}
