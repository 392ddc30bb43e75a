// SPDX-License-Identifier: GPL-2.0
/*
 * The AGI unlinked list, the userspace twin of fs/xfs/xfs_inode.c
 * xfs_iunlink() / xfs_iunlink_remove().
 *
 * An inode whose link count reaches zero while somebody still holds it (an
 * open-but-unlinked file) must survive until its last reference goes, and
 * must not be lost if we crash before that: so it is put on a singly linked
 * list hanging off one of the 64 buckets of its AG's AGI header
 * (agi_unlinked[agino % XFS_AGI_UNLINKED_BUCKETS]), threaded through the
 * dinodes' di_next_unlinked.  xfs_repair (and kernel log recovery) free the
 * inodes left on these lists after a crash.
 *
 * libxfs 6.1 does not write di_next_unlinked when it flushes an inode
 * (xfs_inode_to_disk skips it, as in the kernel), so the field is logged in
 * the inode cluster buffer directly, like the kernel's
 * xfs_iunlink_log_dinode().  The on-disk chain is the only truth: the
 * kernel's incore back pointers are not kept, a removal walks the bucket.
 */
#include "xb_internal.h"

/* A chain longer than the AG can hold inodes is a cycle: corruption. */
static uint64_t xb_iunlink_max_chain(struct xfs_mount *mp)
{
	return (uint64_t) mp->m_sb.sb_agblocks << mp->m_sb.sb_inopblog;
}

/* Map an AG inode number to its dinode in its cluster buffer (joined to @tp). */
static int xb_iunlink_map_dinode(struct xfs_trans *tp, xfs_agnumber_t agno, xfs_agino_t agino,
				 struct xfs_imap *imap, struct xfs_buf **bpp,
				 struct xfs_dinode **dipp)
{
	struct xfs_mount *mp = tp->t_mountp;
	xfs_ino_t ino = XFS_AGINO_TO_INO(mp, agno, agino);
	int error;

	error = xb_err(xfs_imap(mp, tp, ino, imap, 0));
	if (error)
		return error == -EINVAL ? -EUCLEAN : error;
	error = xb_err(xfs_imap_to_bp(mp, tp, imap, bpp));
	if (error)
		return error;
	*dipp = xfs_buf_offset(*bpp, imap->im_boffset);
	return 0;
}

/* Read di_next_unlinked of an inode on a chain (buffer released again). */
static int xb_iunlink_read_next(struct xfs_trans *tp, struct xfs_perag *pag, xfs_agino_t agino,
				xfs_agino_t *next)
{
	struct xfs_imap imap;
	struct xfs_dinode *dip;
	struct xfs_buf *bp;
	int error;

	error = xb_iunlink_map_dinode(tp, pag->pag_agno, agino, &imap, &bp, &dip);
	if (error)
		return error;
	*next = be32_to_cpu(dip->di_next_unlinked);
	libxfs_trans_brelse(tp, bp);
	if (*next != NULLAGINO && !xfs_verify_agino(pag, *next))
		return -EUCLEAN;
	return 0;
}

/*
 * Set di_next_unlinked of inode @agino to @next_agino in its cluster buffer
 * and log just that field (the inode core itself may not be dirty).  The
 * dinode CRC covers the field, so recompute it: libxfs recomputes inode
 * CRCs only for inodes it flushes itself.
 */
static int xb_iunlink_log_dinode(struct xfs_trans *tp, struct xfs_perag *pag, xfs_agino_t agino,
				 xfs_agino_t next_agino)
{
	struct xfs_mount *mp = tp->t_mountp;
	struct xfs_imap imap;
	struct xfs_dinode *dip;
	struct xfs_buf *bp;
	unsigned int offset;
	int error;

	error = xb_iunlink_map_dinode(tp, pag->pag_agno, agino, &imap, &bp, &dip);
	if (error)
		return error;
	if (be32_to_cpu(dip->di_next_unlinked) == next_agino) {
		libxfs_trans_brelse(tp, bp);
		return 0;
	}
	dip->di_next_unlinked = cpu_to_be32(next_agino);
	offset = imap.im_boffset + offsetof(struct xfs_dinode, di_next_unlinked);
	libxfs_dinode_calc_crc(mp, dip);
	libxfs_trans_log_buf(tp, bp, offset, offset + sizeof(xfs_agino_t) - 1);
	return 0;
}

/* Point bucket @bucket of the AGI at @new_agino and log that slot only. */
static void xb_iunlink_update_bucket(struct xfs_trans *tp, struct xfs_buf *agibp,
				     unsigned int bucket, xfs_agino_t new_agino)
{
	struct xfs_agi *agi = agibp->b_addr;
	unsigned int offset;

	agi->agi_unlinked[bucket] = cpu_to_be32(new_agino);
	offset = offsetof(struct xfs_agi, agi_unlinked) + sizeof(xfs_agino_t) * bucket;
	libxfs_trans_log_buf(tp, agibp, offset, offset + sizeof(xfs_agino_t) - 1);
}

/*
 * Put @ip at the head of its AGI bucket.  Called in the transaction that
 * drops its link count to zero.
 */
int xb_iunlink(struct xfs_trans *tp, struct xfs_inode *ip)
{
	struct xfs_mount *mp = tp->t_mountp;
	xfs_agino_t agino = XFS_INO_TO_AGINO(mp, ip->i_ino);
	unsigned int bucket = agino % XFS_AGI_UNLINKED_BUCKETS;
	struct xfs_perag *pag;
	struct xfs_buf *agibp;
	xfs_agino_t head;
	int error;

	pag = libxfs_perag_get(mp, XFS_INO_TO_AGNO(mp, ip->i_ino));
	error = xb_err(libxfs_ialloc_read_agi(pag, tp, &agibp));
	if (error)
		goto out_put;
	head = be32_to_cpu(((struct xfs_agi *) agibp->b_addr)->agi_unlinked[bucket]);
	if (head == agino || (head != NULLAGINO && !xfs_verify_agino(pag, head))) {
		error = -EUCLEAN;
		goto out_put;
	}
	/* The old head becomes our successor (ours was NULLAGINO: not on a list). */
	if (head != NULLAGINO) {
		error = xb_iunlink_log_dinode(tp, pag, agino, head);
		if (error)
			goto out_put;
	}
	ip->i_next_unlinked = head;
	xb_iunlink_update_bucket(tp, agibp, bucket, agino);
out_put:
	libxfs_perag_put(pag);
	return error;
}

/*
 * Find the inode whose di_next_unlinked is @agino, walking from @head.
 * *prev is NULLAGINO if @agino is the head itself.
 */
static int xb_iunlink_find_prev(struct xfs_trans *tp, struct xfs_perag *pag, xfs_agino_t head,
				xfs_agino_t agino, xfs_agino_t *prev)
{
	uint64_t max = xb_iunlink_max_chain(tp->t_mountp), n;
	xfs_agino_t cur = head, next;
	int error;

	*prev = NULLAGINO;
	if (head == agino)
		return 0;
	for (n = 0; cur != NULLAGINO && n < max; n++) {
		error = xb_iunlink_read_next(tp, pag, cur, &next);
		if (error)
			return error;
		if (next == agino) {
			*prev = cur;
			return 0;
		}
		cur = next;
	}
	/* Not on the list it hashes to, or a cycle. */
	return -EUCLEAN;
}

/* Take @ip off its AGI bucket: re-link its predecessor (or the bucket). */
int xb_iunlink_remove(struct xfs_trans *tp, struct xfs_inode *ip)
{
	struct xfs_mount *mp = tp->t_mountp;
	xfs_agino_t agino = XFS_INO_TO_AGINO(mp, ip->i_ino);
	unsigned int bucket = agino % XFS_AGI_UNLINKED_BUCKETS;
	xfs_agino_t head, next, prev;
	struct xfs_perag *pag;
	struct xfs_buf *agibp;
	int error;

	pag = libxfs_perag_get(mp, XFS_INO_TO_AGNO(mp, ip->i_ino));
	error = xb_err(libxfs_ialloc_read_agi(pag, tp, &agibp));
	if (error)
		goto out_put;
	head = be32_to_cpu(((struct xfs_agi *) agibp->b_addr)->agi_unlinked[bucket]);
	if (head == NULLAGINO || !xfs_verify_agino(pag, head)) {
		error = -EUCLEAN;
		goto out_put;
	}
	/* Read everything before changing anything: errors leave tp clean. */
	error = xb_iunlink_read_next(tp, pag, agino, &next);
	if (!error)
		error = xb_iunlink_find_prev(tp, pag, head, agino, &prev);
	if (error)
		goto out_put;

	if (prev == NULLAGINO)
		xb_iunlink_update_bucket(tp, agibp, bucket, next);
	else
		error = xb_iunlink_log_dinode(tp, pag, prev, next);
	if (!error && next != NULLAGINO)
		error = xb_iunlink_log_dinode(tp, pag, agino, NULLAGINO);
	ip->i_next_unlinked = NULLAGINO;
out_put:
	libxfs_perag_put(pag);
	return error;
}

/* The head of one AGI bucket, read outside any transaction. */
static int xb_iunlink_bucket_head(struct xfs_perag *pag, unsigned int bucket, xfs_agino_t *head)
{
	struct xfs_buf *agibp;
	int error = xb_err(libxfs_ialloc_read_agi(pag, NULL, &agibp));

	if (error)
		return error;
	*head = be32_to_cpu(((struct xfs_agi *) agibp->b_addr)->agi_unlinked[bucket]);
	libxfs_buf_relse(agibp);
	if (*head != NULLAGINO && !xfs_verify_agino(pag, *head))
		return -EUCLEAN;
	return 0;
}

/* Free every inode of one bucket: each xb_inactive takes the head off. */
static int xb_iunlink_recover_bucket(struct xb_mount *m, struct xfs_perag *pag, unsigned int bucket,
				     uint64_t *freed)
{
	uint64_t n, max = xb_iunlink_max_chain(m->mp);
	xfs_agino_t head, prev = NULLAGINO;
	struct xb_inode *xi;
	int error;

	for (n = 0; n < max; n++) {
		error = xb_iunlink_bucket_head(pag, bucket, &head);
		if (error || head == NULLAGINO)
			return error;
		if (head == prev)
			return -EUCLEAN; /* the last free did not take it off: stop */
		error = xb_iget_locked(m, XFS_AGINO_TO_INO(m->mp, pag->pag_agno, head), &xi);
		if (error)
			return error;
		if (VFS_I(xi->ip)->i_nlink != 0) {
			xb_iput_locked(xi);
			return -EUCLEAN;
		}
		xb_iput_locked(xi); /* the last reference: xb_inactive frees it */
		prev = head;
		(*freed)++;
	}
	return -EUCLEAN;
}

/*
 * After a log replay: free the inodes that were unlinked but still open
 * when the daemon died, as the kernel's xlog_recover_process_iunlinks does.
 */
int xb_iunlink_recover(struct xb_mount *m, uint64_t *freed)
{
	xfs_agnumber_t agno;
	unsigned int bucket;
	int error = 0;

	for (agno = 0; agno < m->mp->m_sb.sb_agcount && !error; agno++) {
		struct xfs_perag *pag = libxfs_perag_get(m->mp, agno);

		for (bucket = 0; bucket < XFS_AGI_UNLINKED_BUCKETS && !error; bucket++)
			error = xb_iunlink_recover_bucket(m, pag, bucket, freed);
		libxfs_perag_put(pag);
	}
	return error;
}
