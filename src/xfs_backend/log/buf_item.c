// SPDX-License-Identifier: GPL-2.0
/*
 * A dirty buffer as a buf log item: the kernel's xfs_buf_item_format(), for
 * a buffer logged whole.
 *
 * Each map of the buffer becomes one item: an xfs_buf_log_format region
 * (block number, length, every 128-byte chunk marked dirty, the buffer type
 * that tells recovery which verifier to run) followed by one region with the
 * bytes.  libxfs forgets the type a transaction set (xfs_trans_buf_set_type)
 * when the transaction commits, so it is read back from the verifier the
 * buffer carries, as recovery maps it the other way.
 */
#include "xlog.h"

static const struct {
	const struct xfs_buf_ops *ops;
	enum xfs_blft type;
} xb_blft_by_ops[] = {
	{&xfs_sb_buf_ops, XFS_BLFT_SB_BUF},
	{&xfs_sb_quiet_buf_ops, XFS_BLFT_SB_BUF},
	{&xfs_agf_buf_ops, XFS_BLFT_AGF_BUF},
	{&xfs_agfl_buf_ops, XFS_BLFT_AGFL_BUF},
	{&xfs_agi_buf_ops, XFS_BLFT_AGI_BUF},
	{&xfs_bnobt_buf_ops, XFS_BLFT_BTREE_BUF},
	{&xfs_cntbt_buf_ops, XFS_BLFT_BTREE_BUF},
	{&xfs_inobt_buf_ops, XFS_BLFT_BTREE_BUF},
	{&xfs_finobt_buf_ops, XFS_BLFT_BTREE_BUF},
	{&xfs_bmbt_buf_ops, XFS_BLFT_BTREE_BUF},
	{&xfs_rmapbt_buf_ops, XFS_BLFT_BTREE_BUF},
	{&xfs_refcountbt_buf_ops, XFS_BLFT_BTREE_BUF},
	{&xfs_inode_buf_ops, XFS_BLFT_DINO_BUF},
	{&xfs_inode_buf_ra_ops, XFS_BLFT_DINO_BUF},
	{&xfs_symlink_buf_ops, XFS_BLFT_SYMLINK_BUF},
	{&xfs_dir3_block_buf_ops, XFS_BLFT_DIR_BLOCK_BUF},
	{&xfs_dir3_data_buf_ops, XFS_BLFT_DIR_DATA_BUF},
	{&xfs_dir3_free_buf_ops, XFS_BLFT_DIR_FREE_BUF},
	{&xfs_dir3_leaf1_buf_ops, XFS_BLFT_DIR_LEAF1_BUF},
	{&xfs_dir3_leafn_buf_ops, XFS_BLFT_DIR_LEAFN_BUF},
	{&xfs_da3_node_buf_ops, XFS_BLFT_DA_NODE_BUF},
	{&xfs_attr3_leaf_buf_ops, XFS_BLFT_ATTR_LEAF_BUF},
	{&xfs_attr3_rmt_buf_ops, XFS_BLFT_ATTR_RMT_BUF},
	{&xfs_dquot_buf_ops, XFS_BLFT_UDQUOT_BUF},
};

enum xfs_blft xb_buf_log_type(const struct xfs_buf *bp)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(xb_blft_by_ops); i++)
		if (bp->b_ops == xb_blft_by_ops[i].ops)
			return xb_blft_by_ops[i].type;
	return XFS_BLFT_UNKNOWN_BUF;
}

/* One map (@daddr, @bblen) of a buffer, whose bytes start at @addr. */
static int xb_buf_item_format_map(struct xb_rec_writer *w, enum xfs_blft type, xfs_daddr_t daddr,
				  int bblen, const char *addr)
{
	struct xfs_buf_log_format blf;
	unsigned int chunks = BBTOB(bblen) >> XFS_BLF_SHIFT;
	unsigned int i;
	int error;

	if (chunks > XFS_BLF_DATAMAP_SIZE * NBWORD)
		return -EFBIG;
	memset(&blf, 0, sizeof(blf));
	blf.blf_type = XFS_LI_BUF;
	blf.blf_size = 2; /* this format, then one region with the bytes */
	blf.blf_len = bblen;
	blf.blf_blkno = daddr;
	blf.blf_map_size = (chunks + NBWORD - 1) / NBWORD;
	for (i = 0; i < chunks; i++)
		blf.blf_data_map[i / NBWORD] |= 1U << (i % NBWORD);
	if (type != XFS_BLFT_UNKNOWN_BUF)
		xfs_blft_to_flags(&blf, type);

	error = xb_rec_add_op(w, 0, &blf,
			      offsetof(struct xfs_buf_log_format, blf_data_map) +
				      blf.blf_map_size * sizeof(blf.blf_data_map[0]));
	if (!error)
		error = xb_rec_add_op(w, 0, addr, BBTOB(bblen));
	return error;
}

int xb_buf_item_format(struct xb_rec_writer *w, const struct xb_snap_buf *sb, int *nitems)
{
	const char *addr = sb->data;
	int i, error;

	for (i = 0; i < sb->nmaps; i++) {
		error = xb_buf_item_format_map(w, sb->type, sb->maps[i].bm_bn, sb->maps[i].bm_len,
					       addr);
		if (error)
			return error;
		addr += BBTOB(sb->maps[i].bm_len);
		(*nitems)++;
	}
	return 0;
}
