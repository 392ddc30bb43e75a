// SPDX-License-Identifier: GPL-2.0
/*
 * Directory iteration: the userspace twin of fs/xfs/xfs_dir2_readdir.c.
 *
 * Cookies are the kernel's: an entry's position is the "dataptr" of its byte
 * offset in the directory's data space (offset >> XFS_DIR2_DATA_ALIGN_LOG),
 * masked to 31 bits.  Shortform directories use the offsets recorded in
 * their entries, which are the offsets the entries would have in a block
 * directory, so a cookie stays valid when the directory changes format.
 *
 * The kernel's dir_emit() hands out an entry's own position and lets
 * getdents() store it as d_off of the *previous* entry.  Our fill() wants the
 * next entry's cookie with each entry, so every entry is held back until the
 * next one (or the end of the directory) has been found: the cookies then
 * equal the d_off values the kernel reports for the same directory.
 *
 * Leaf and node directories are walked through their data blocks only, and a
 * call starts with an extent lookup at the cookie's data block, so its cost
 * is the entries returned plus the blocks visited, whatever the size.
 */
#include "xb_internal.h"

#include <dirent.h>

/* Positions are 31-bit, so that 32-bit userspace can telldir() them. */
#define XB_DIR_POS_MASK 0x7fffffffULL

struct xb_dir_ctx {
	struct xfs_mount *mp;
	struct xfs_da_geometry *geo;
	xb_filldir_t fill;
	void *ctx;
	unsigned long emitted; /* entries fill() accepted */
	bool full;	       /* fill() refused an entry: stop */
	bool pending;	       /* an entry waits for its successor's cookie */
	uint8_t namelen;
	uint64_t ino;
	unsigned int dtype;
	char name[MAXNAMELEN + 1];
};

static const unsigned char xfs_dir3_filetype_table[] = {
	[XFS_DIR3_FT_UNKNOWN] = DT_UNKNOWN, [XFS_DIR3_FT_REG_FILE] = DT_REG,
	[XFS_DIR3_FT_DIR] = DT_DIR,	    [XFS_DIR3_FT_CHRDEV] = DT_CHR,
	[XFS_DIR3_FT_BLKDEV] = DT_BLK,	    [XFS_DIR3_FT_FIFO] = DT_FIFO,
	[XFS_DIR3_FT_SOCK] = DT_SOCK,	    [XFS_DIR3_FT_SYMLINK] = DT_LNK,
	[XFS_DIR3_FT_WHT] = DT_WHT,
};

/*
 * Declared by libxfs's xfs_dir2.h but defined only in the kernel's
 * xfs_dir2_readdir.c; this is the backend's one definition.
 */
unsigned char xfs_dir3_get_dtype(struct xfs_mount *mp, uint8_t filetype)
{
	if (!xfs_has_ftype(mp) || filetype >= XFS_DIR3_FT_MAX)
		return DT_UNKNOWN;
	return xfs_dir3_filetype_table[filetype];
}

/*
 * Hand the held-back entry to fill(), now that @pos, the position of what
 * follows it, is known.  Returns false if fill() refused it.
 */
static bool xb_dir_flush(struct xb_dir_ctx *dc, uint64_t pos)
{
	if (!dc->pending)
		return true;
	if (dc->fill(dc->ctx, dc->name, dc->namelen, dc->ino, dc->dtype, pos)) {
		dc->full = true;
		return false;
	}
	dc->pending = false;
	dc->emitted++;
	return true;
}

/*
 * The kernel's dir_emit(): offer the entry at position @pos.  Returns false
 * when the caller must stop because fill() refused the previous entry.
 */
static bool xb_dir_emit(struct xb_dir_ctx *dc, uint64_t pos, const void *name, uint8_t namelen,
			uint64_t ino, unsigned int dtype)
{
	if (!xb_dir_flush(dc, pos))
		return false;
	memcpy(dc->name, name, namelen);
	dc->name[namelen] = '\0'; /* fill() may want a C string (fuse_add_direntry) */
	dc->namelen = namelen;
	dc->ino = ino;
	dc->dtype = dtype;
	dc->pending = true;
	return true;
}

/*
 * A bad entry at @pos: what came before it is still handed out (the next
 * call starts at @pos and reports the corruption), as getdents() does.
 */
static int xb_dir_corrupt(struct xb_dir_ctx *dc, uint64_t pos)
{
	xb_dir_flush(dc, pos);
	return -EUCLEAN;
}

static int xfs_dir2_sf_getdents(struct xb_dir_ctx *dc, struct xfs_inode *dp, uint64_t pos)
{
	struct xfs_da_geometry *geo = dc->geo;
	struct xfs_mount *mp = dc->mp;
	struct xfs_dir2_sf_hdr *sfp = (struct xfs_dir2_sf_hdr *) dp->i_df.if_u1.if_data;
	struct xfs_dir2_sf_entry *sfep;
	xfs_dir2_dataptr_t dot_offset, dotdot_offset, off;
	int i;

	/* The fork verifier (at iget) checked sizes, offsets and inode numbers. */
	if (dp->i_disk_size < xfs_dir2_sf_hdr_size(0) || !sfp)
		return -EUCLEAN;

	/* If the block number in the offset is out of range, we're done. */
	if (xfs_dir2_dataptr_to_db(geo, pos) > geo->datablk)
		return 0;

	dot_offset = xfs_dir2_db_off_to_dataptr(geo, geo->datablk, geo->data_entry_offset);
	dotdot_offset = xfs_dir2_db_off_to_dataptr(
		geo, geo->datablk,
		geo->data_entry_offset + libxfs_dir2_data_entsize(mp, sizeof(".") - 1));

	if (pos <= dot_offset &&
	    !xb_dir_emit(dc, dot_offset & XB_DIR_POS_MASK, ".", 1, dp->i_ino, DT_DIR))
		return 0;
	if (pos <= dotdot_offset && !xb_dir_emit(dc, dotdot_offset & XB_DIR_POS_MASK, "..", 2,
						 libxfs_dir2_sf_get_parent_ino(sfp), DT_DIR))
		return 0;

	sfep = xfs_dir2_sf_firstentry(sfp);
	for (i = 0; i < sfp->count; i++, sfep = libxfs_dir2_sf_nextentry(mp, sfp, sfep)) {
		off = xfs_dir2_db_off_to_dataptr(geo, geo->datablk, xfs_dir2_sf_get_offset(sfep));
		if (pos > off)
			continue;
		if (!libxfs_dir2_namecheck(sfep->name, sfep->namelen))
			return xb_dir_corrupt(dc, off & XB_DIR_POS_MASK);
		if (!xb_dir_emit(dc, off & XB_DIR_POS_MASK, sfep->name, sfep->namelen,
				 libxfs_dir2_sf_get_ino(mp, sfp, sfep),
				 xfs_dir3_get_dtype(mp, libxfs_dir2_sf_get_ftype(mp, sfep))))
			return 0;
	}
	xb_dir_flush(dc, xfs_dir2_db_off_to_dataptr(geo, geo->datablk + 1, 0) & XB_DIR_POS_MASK);
	return 0;
}

/*
 * Emit the entries of one data (or single-block) directory block that sit at
 * or after byte @*curoff of the data space, which lies in block @db.  On
 * return @*curoff is the start of the next block, or the stopping point.
 */
static int xb_dir2_data_block_getdents(struct xb_dir_ctx *dc, struct xfs_buf *bp, xfs_dir2_db_t db,
				       xfs_dir2_off_t *curoff)
{
	struct xfs_da_geometry *geo = dc->geo;
	struct xfs_mount *mp = dc->mp;
	unsigned int byteoff = xfs_dir2_byte_to_off(geo, *curoff);
	unsigned int offset = geo->data_entry_offset;
	unsigned int end = xfs_dir3_data_end_offset(geo, bp->b_addr);
	unsigned int length;

	while (offset < end) {
		struct xfs_dir2_data_unused *dup = bp->b_addr + offset;
		struct xfs_dir2_data_entry *dep = bp->b_addr + offset;

		/*
		 * The read verifier walked this block, so lengths are sane;
		 * still, never spin on a zero-length free region.
		 */
		if (be16_to_cpu(dup->freetag) == XFS_DIR2_DATA_FREE_TAG) {
			length = be16_to_cpu(dup->length);
			if (!length || (length & (XFS_DIR2_DATA_ALIGN - 1)))
				return xb_dir_corrupt(dc,
						      xfs_dir2_db_off_to_dataptr(geo, db, offset) &
							      XB_DIR_POS_MASK);
			offset += length;
			continue;
		}
		length = libxfs_dir2_data_entsize(mp, dep->namelen);
		if (offset < byteoff) {
			offset += length;
			continue;
		}
		*curoff = xfs_dir2_db_off_to_byte(geo, db, offset);
		if (!libxfs_dir2_namecheck(dep->name, dep->namelen))
			return xb_dir_corrupt(dc,
					      xfs_dir2_byte_to_dataptr(*curoff) & XB_DIR_POS_MASK);
		if (!xb_dir_emit(dc, xfs_dir2_byte_to_dataptr(*curoff) & XB_DIR_POS_MASK, dep->name,
				 dep->namelen, be64_to_cpu(dep->inumber),
				 xfs_dir3_get_dtype(mp, libxfs_dir2_data_get_ftype(mp, dep))))
			return 0;
		offset += length;
	}
	*curoff = xfs_dir2_db_off_to_byte(geo, db + 1, 0);
	return 0;
}

/*
 * libxfs leaves a buffer that failed its read verifier in its cache, marked
 * up to date, and the next read hands it out unverified.  Getting it again
 * (without a transaction) clears that state, so the next read rereads the
 * block from disk and verifies it again.
 */
static void xb_dir_forget_bad_buf(struct xfs_inode *dp, xfs_dablk_t bno)
{
	struct xfs_buf *bp;

	if (!libxfs_da_get_buf(NULL, dp, bno, &bp, XFS_DATA_FORK) && bp)
		libxfs_buf_relse(bp);
}

/* Corruption and bad checksums are both "metadata failed verification". */
static int xb_dir_read_error(struct xfs_inode *dp, xfs_dablk_t bno, int error)
{
	error = xb_err(error);
	if (error == -EUCLEAN || error == -EBADMSG) {
		xb_dir_forget_bad_buf(dp, bno);
		return -EUCLEAN;
	}
	return error;
}

static int xfs_dir2_block_getdents(struct xb_dir_ctx *dc, struct xfs_inode *dp, uint64_t pos)
{
	struct xfs_da_geometry *geo = dc->geo;
	xfs_dir2_off_t curoff = xfs_dir2_dataptr_to_byte(pos);
	struct xfs_buf *bp;
	int error;

	/* If the block number in the offset is out of range, we're done. */
	if (xfs_dir2_dataptr_to_db(geo, pos) > geo->datablk)
		return 0;

	error = xfs_dir3_block_read(NULL, dp, &bp);
	if (error)
		return xb_dir_read_error(dp, geo->datablk, error);
	error = xb_dir2_data_block_getdents(dc, bp, geo->datablk, &curoff);
	libxfs_buf_relse(bp);
	if (error || dc->full)
		return error;
	/* Reached the end of the block: the next position is block 1. */
	xb_dir_flush(dc, xfs_dir2_db_off_to_dataptr(geo, geo->datablk + 1, 0) & XB_DIR_POS_MASK);
	return 0;
}

/*
 * Read the first mapped data block at or after the block holding @*curoff
 * (the kernel's xfs_dir2_leaf_readbuf, without readahead: the image is in the
 * page cache).  *@bpp is NULL when there are no more data blocks.
 */
static int xfs_dir2_leaf_readbuf(struct xb_dir_ctx *dc, struct xfs_inode *dp,
				 xfs_dir2_off_t *curoff, struct xfs_buf **bpp)
{
	struct xfs_da_geometry *geo = dc->geo;
	xfs_dablk_t last_da = xfs_dir2_byte_to_da(geo, XFS_DIR2_LEAF_OFFSET);
	xfs_dablk_t map_off = xfs_dir2_db_to_da(geo, xfs_dir2_byte_to_db(geo, *curoff));
	struct xfs_iext_cursor icur;
	struct xfs_bmbt_irec map;
	xfs_dir2_off_t new_off;
	int error;

	*bpp = NULL;
	error = xb_err(libxfs_iread_extents(NULL, dp, XFS_DATA_FORK));
	if (error)
		return error == -EBADMSG ? -EUCLEAN : error;

	/* Skip holes: find the first mapping at or above the cookie's block. */
	if (!libxfs_iext_lookup_extent(dp, &dp->i_df, map_off, &icur, &map))
		return 0;
	if (map.br_startoff >= last_da)
		return 0;
	libxfs_trim_extent(&map, map_off, last_da - map_off);

	new_off = xfs_dir2_da_to_byte(geo, map.br_startoff);
	if (new_off > *curoff)
		*curoff = new_off;
	error = xfs_dir3_data_read(NULL, dp, map.br_startoff, 0, bpp);
	if (error)
		return xb_dir_read_error(dp, map.br_startoff, error);
	return 0;
}

/* Leaf and node directories: only the data blocks matter, so both are alike. */
static int xfs_dir2_leaf_getdents(struct xb_dir_ctx *dc, struct xfs_inode *dp, uint64_t pos)
{
	xfs_dir2_off_t curoff;
	struct xfs_buf *bp;
	int error = 0;

	if (pos >= XFS_DIR2_MAX_DATAPTR)
		return 0;

	curoff = xfs_dir2_dataptr_to_byte(pos);
	while (curoff < (xfs_dir2_off_t) XFS_DIR2_LEAF_OFFSET) {
		error = xfs_dir2_leaf_readbuf(dc, dp, &curoff, &bp);
		if (error || !bp)
			break;
		/* readbuf moved curoff into the block it read (if it was before). */
		error = xb_dir2_data_block_getdents(dc, bp, xfs_dir2_byte_to_db(dc->geo, curoff),
						    &curoff);
		libxfs_buf_relse(bp);
		if (error || dc->full)
			break;
	}
	if (dc->full)
		return 0;

	/*
	 * Past the last block, or stopped by a bad block: the held-back entry
	 * gets the position we stopped at, so the next call starts there.
	 */
	if (curoff > xfs_dir2_dataptr_to_byte(XFS_DIR2_MAX_DATAPTR))
		pos = XFS_DIR2_MAX_DATAPTR & XB_DIR_POS_MASK;
	else
		pos = xfs_dir2_byte_to_dataptr(curoff) & XB_DIR_POS_MASK;
	xb_dir_flush(dc, pos);
	return error;
}

static int xb_readdir_locked(struct xb_dir_ctx *dc, struct xfs_inode *dp, uint64_t cookie)
{
	struct xfs_da_args args = {
		.dp = dp,
		.geo = dc->geo,
		.whichfork = XFS_DATA_FORK,
	};
	bool isblock;
	int error;

	/*
	 * Positions are 32-bit dataptrs.  The kernel would truncate a larger
	 * seek offset and list a block directory again from its start.
	 */
	if (cookie >= XFS_DIR2_MAX_DATAPTR)
		return 0;
	if (dp->i_df.if_format == XFS_DINODE_FMT_LOCAL)
		return xfs_dir2_sf_getdents(dc, dp, cookie);

	error = xb_err(libxfs_dir2_isblock(&args, &isblock));
	if (error)
		return error == -EBADMSG ? -EUCLEAN : error;
	if (isblock)
		return xfs_dir2_block_getdents(dc, dp, cookie);
	return xfs_dir2_leaf_getdents(dc, dp, cookie);
}

int xb_readdir(struct xb_inode *dir, uint64_t cookie, xb_filldir_t fill, void *ctx)
{
	struct xb_dir_ctx dc = {.fill = fill, .ctx = ctx};
	struct xfs_inode *dp;
	int error;

	xb_lock();
	dp = dir->ip;
	if (!dp || !S_ISDIR(VFS_I(dp)->i_mode)) {
		error = -ENOTDIR;
		goto out_unlock;
	}
	dc.mp = dp->i_mount;
	dc.geo = dc.mp->m_dir_geo;
	error = xb_readdir_locked(&dc, dp, cookie);
	/*
	 * As getdents(): entries already handed out win over an error, which
	 * the next call (starting at the bad block) reports.
	 */
	if (dc.emitted)
		error = 0;
out_unlock:
	xb_unlock();
	return error;
}
