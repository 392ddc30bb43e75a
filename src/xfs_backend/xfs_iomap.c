// SPDX-License-Identifier: GPL-2.0
/*
 * The XFS iomap ops: fs/xfs/xfs_iomap.c of Linux 6.6, on libxfs 6.1.
 *
 *   xfs_buffered_write_iomap_ops  map a write: existing extents as they are
 *                                 (written, unwritten, delalloc), holes get
 *                                 a delalloc reservation (IOMAP_F_NEW), with
 *                                 speculative preallocation past EOF;
 *                                 ->iomap_end punches the delalloc a short
 *                                 write reserved and did not use.
 *   xfs_read_iomap_ops            map a read, never allocates.
 *   xfs_seek_iomap_ops            SEEK_DATA/SEEK_HOLE (IOMAP_REPORT).
 *   xfs_iomap_folio_ops           ->iomap_valid: the fork sequence cookie.
 *
 * ILOCK is the libxfs lock (xfs_iomap.h): every fork lookup, reservation and
 * sequence sample happens under one xb_lock() section, so the cookie stored
 * in an iomap is the fork's sequence *after* our own change, exactly as the
 * kernel samples it before dropping ILOCK.
 *
 * Free space: libxfs's xfs_mod_fdblocks only refuses to go below zero.  The
 * kernel also keeps m_alloc_set_aside out of reach of a reservation, so a
 * delalloc reservation is checked against trans.c's xb_space_available
 * (the same numbers every transaction is held to) before libxfs debits
 * sb_fdblocks for the blocks and their worst-case indirect blocks.  ENOSPC
 * is therefore reported by write(), never by writeback.
 */
#include "fault.h"
#include "xb_internal.h"
#include "trace.h"

struct xfs_iomap_config xfs_iomap_config = {
	.speculative_prealloc = true,
};
struct xfs_iomap_stats xfs_iomap_stats;

/*
 * Cap on one delalloc mapping of a write into a hole (the kernel's
 * 1024 * PAGE_SIZE): keeps reservation and writeback work symmetric.
 */
#define XFS_WRITE_MAP_MAX_BYTES ((loff_t) 1024 * 4096)

/* The default allocsize (m_allocsize_log): 64 KiB, the XFS_ALLOC_ALIGN unit. */
#define XFS_ALLOCSIZE_LOG 16

/*
 * s_maxbytes: the last addressable file block, capped at what an off_t can
 * hold (the kernel's MAX_LFS_FILESIZE).  Shifted unsigned: the signed
 * XFS_FSB_TO_B overflows for XFS_MAX_FILEOFF.
 */
uint64_t xfs_iomap_maxbytes(struct xfs_mount *mp)
{
	uint64_t last = (uint64_t) XFS_MAX_FILEOFF;

	if (last >> (63 - mp->m_sb.sb_blocklog))
		return (uint64_t) INT64_MAX;
	return last << mp->m_sb.sb_blocklog;
}

/* The engine's i_size (the kernel's VFS i_size, XFS_ISIZE for a file). */
uint64_t xfs_isize(struct xb_inode *xi)
{
	struct vfs_inode *inode = xb_vfs_inode(xi);

	return inode ? vfs_i_size_read(inode) : (uint64_t) xi->ip->i_size;
}

static xfs_fileoff_t xfs_iomap_end_fsb(struct xfs_mount *mp, loff_t offset, loff_t count)
{
	return min(XFS_B_TO_FSB(mp, (uint64_t) offset + count),
		   XFS_B_TO_FSB(mp, xfs_iomap_maxbytes(mp)));
}

/*
 * The validity cookie (xfs_iomap_inode_sequence): the data fork's if_seq,
 * with the COW fork's in the high half for shared mappings.  Caller holds
 * xb_lock, so a plain read is the kernel's READ_ONCE.
 */
uint64_t xfs_iomap_inode_sequence(struct xfs_inode *ip, uint16_t iomap_flags)
{
	uint64_t cookie = 0;

	if ((iomap_flags & IOMAP_F_SHARED) && ip->i_cowfp)
		cookie = (uint64_t) ip->i_cowfp->if_seq << 32;
	return cookie | ip->i_df.if_seq;
}

/*
 * ->iomap_valid, called with the folio locked for every folio a write
 * touches.  As in the kernel, a lockless read of the fork sequences
 * (READ_ONCE of if_seq): every change to a fork bumps its counter under the
 * libxfs lock, an aligned 32-bit load sees the old or the new value, and a
 * change racing with this read is caught at the next folio or by writeback,
 * exactly as the kernel's is.  Taking the libxfs lock here made every folio
 * of every write wait behind whoever held it (a transaction, a checkpoint's
 * snapshot).  The caller's reference keeps xi->ip.
 */
static bool xfs_buffered_write_iomap_valid(struct vfs_inode *inode, const struct iomap *iomap)
{
	struct xfs_inode *ip = xb_from_vfs(inode)->ip;
	struct xfs_ifork *cow = __atomic_load_n(&ip->i_cowfp, __ATOMIC_ACQUIRE);
	uint64_t cookie = 0;

	if ((iomap->flags & IOMAP_F_SHARED) && cow)
		cookie = (uint64_t) __atomic_load_n(&cow->if_seq, __ATOMIC_ACQUIRE) << 32;
	cookie |= __atomic_load_n(&ip->i_df.if_seq, __ATOMIC_ACQUIRE);
	return iomap->validity_cookie == cookie;
}

const struct iomap_folio_ops xfs_iomap_folio_ops = {
	.iomap_valid = xfs_buffered_write_iomap_valid,
};

/* xfs_bmbt_to_iomap: an incore extent record as an iomap. */
int xfs_bmbt_to_iomap(struct xb_inode *xi, struct iomap *iomap, struct xfs_bmbt_irec *imap,
		      uint16_t iomap_flags, uint64_t sequence_cookie)
{
	struct xfs_mount *mp = xi->m->mp;

	if (!xfs_valid_startblock(xi->ip, imap->br_startblock)) {
		fprintf(stderr, "xfsfuse: inode %llu maps file block %llu to disk block 0\n",
			(unsigned long long) xi->ino, (unsigned long long) imap->br_startoff);
		return xb_err(-EFSCORRUPTED);
	}
	if (imap->br_startblock == HOLESTARTBLOCK) {
		iomap->addr = IOMAP_NULL_ADDR;
		iomap->type = IOMAP_HOLE;
	} else if (imap->br_startblock == DELAYSTARTBLOCK ||
		   isnullstartblock(imap->br_startblock)) {
		iomap->addr = IOMAP_NULL_ADDR;
		iomap->type = IOMAP_DELALLOC;
	} else {
		iomap->addr = BBTOB(XFS_FSB_TO_DADDR(mp, imap->br_startblock));
		iomap->type = imap->br_state == XFS_EXT_UNWRITTEN ? IOMAP_UNWRITTEN : IOMAP_MAPPED;
	}
	iomap->offset = XFS_FSB_TO_B(mp, imap->br_startoff);
	iomap->length = XFS_FSB_TO_B(mp, imap->br_blockcount);
	iomap->flags = iomap_flags;
	iomap->validity_cookie = sequence_cookie;
	iomap->folio_ops = &xfs_iomap_folio_ops;
	return 0;
}

/*
 * Bytes of @fsb blocks, unsigned: a hole may reach 2^63 (one past the largest
 * offset), which the signed XFS_FSB_TO_B cannot hold.
 */
static uint64_t xfs_fsb_to_bytes(struct xfs_mount *mp, xfs_fileoff_t fsb)
{
	return (uint64_t) fsb << mp->m_sb.sb_blocklog;
}

static void xfs_hole_to_iomap(struct xb_inode *xi, struct iomap *iomap, xfs_fileoff_t offset_fsb,
			      xfs_fileoff_t end_fsb)
{
	struct xfs_mount *mp = xi->m->mp;

	iomap->addr = IOMAP_NULL_ADDR;
	iomap->type = IOMAP_HOLE;
	iomap->offset = XFS_FSB_TO_B(mp, offset_fsb);
	iomap->length = xfs_fsb_to_bytes(mp, end_fsb - offset_fsb);
	iomap->flags = 0;
	iomap->validity_cookie = xfs_iomap_inode_sequence(xi->ip, 0);
	iomap->folio_ops = &xfs_iomap_folio_ops;
}

/* libxfs's static xfs_bmap_worst_indlen: bmbt blocks a delalloc extent may need. */
xfs_filblks_t xfs_bmap_worst_indlen(struct xfs_inode *ip, xfs_filblks_t len)
{
	struct xfs_mount *mp = ip->i_mount;
	unsigned int maxrecs = mp->m_bmap_dmxr[0], level;
	xfs_filblks_t rval = 0;

	for (level = 0; level < XFS_BM_MAXLEVELS(mp, XFS_DATA_FORK); level++) {
		len = (len + maxrecs - 1) / maxrecs;
		rval += len;
		if (len == 1)
			return rval + XFS_BM_MAXLEVELS(mp, XFS_DATA_FORK) - level - 1;
		if (level == 0)
			maxrecs = mp->m_bmap_dmxr[1];
	}
	return rval;
}

/* The extent length xfs_bmapi_reserve_delalloc will reserve (its own capping). */
static xfs_filblks_t xfs_delalloc_alen(xfs_fileoff_t off, xfs_filblks_t len, xfs_filblks_t prealloc,
				       const struct xfs_bmbt_irec *got, bool eof)
{
	xfs_filblks_t alen = min(len + prealloc, (xfs_filblks_t) XFS_MAX_BMBT_EXTLEN);

	if (!eof)
		alen = min(alen, got->br_startoff - off);
	return alen;
}

static bool xfs_delalloc_fits(struct xb_inode *xi, xfs_filblks_t alen)
{
	return xb_space_available(xi->m, alen + xfs_bmap_worst_indlen(xi->ip, alen));
}

/*
 * Reserve delalloc blocks for [off, off+len) plus @prealloc past it.  The
 * free-space set-aside is checked first (see the top of this file); when
 * only the speculative part does not fit, the write still gets its own
 * blocks (the kernel frees other inodes' preallocation and retries instead;
 * the result for this write is the same).
 */
static int xfs_iomap_reserve_delalloc(struct xb_inode *xi, xfs_fileoff_t off, xfs_filblks_t len,
				      xfs_filblks_t prealloc, struct xfs_bmbt_irec *got,
				      struct xfs_iext_cursor *icur, bool eof)
{
	struct xfs_inode *ip = xi->ip;
	unsigned int before = ip->i_delayed_blks;
	int error;

	if (prealloc && !xfs_delalloc_fits(xi, xfs_delalloc_alen(off, len, prealloc, got, eof)))
		prealloc = 0;
	if (!xfs_delalloc_fits(xi, xfs_delalloc_alen(off, len, 0, got, eof)))
		return -ENOSPC;
	error = xb_err(
		xfs_bmapi_reserve_delalloc(ip, XFS_DATA_FORK, off, len, prealloc, got, icur, eof));
	if (error)
		return error;
	atomic_fetch_add(&xfs_iomap_stats.delalloc_reserved_blocks,
			 (uint64_t) (ip->i_delayed_blks - before));
	xf_trace("delalloc_reserve", xi->ino, XFS_FSB_TO_B(xi->m->mp, off),
		 XFS_FSB_TO_B(xi->m->mp, len), "prealloc_blocks=%llu reserved_blocks=%u seq=%u",
		 (unsigned long long) prealloc, ip->i_delayed_blks - before, ip->i_df.if_seq);
	return 0;
}

/* The kernel's m_low_space[]: 1..5 % of the data device. */
static uint64_t xfs_low_space(struct xfs_mount *mp, unsigned int pct)
{
	return mp->m_sb.sb_dblocks / 100 * pct;
}

/* Free blocks a reservation may still take (minus set-aside and reserve pool). */
static int64_t xfs_iomap_freesp(struct xb_inode *xi)
{
	struct xfs_mount *mp = xi->m->mp;
	int64_t freesp = (int64_t) mp->m_sb.sb_fdblocks - mp->m_alloc_set_aside -
			 (int64_t) xb_reserve_blocks(mp);

	return freesp > 0 ? freesp : 0;
}

/* Throttle: shift the preallocation down as the filesystem fills. */
static int xfs_iomap_prealloc_shift(struct xfs_mount *mp, int64_t freesp)
{
	int shift = 0;
	unsigned int pct;

	if ((uint64_t) freesp >= xfs_low_space(mp, 5))
		return 0;
	shift = 2;
	for (pct = 4; pct >= 1; pct--)
		if ((uint64_t) freesp < xfs_low_space(mp, pct))
			shift++;
	return shift;
}

/*
 * xfs_iomap_prealloc_size: speculative preallocation for an appending write.
 * None for files smaller than allocsize; allocsize after a hole or for small
 * files; otherwise twice the contiguous extents before the write, throttled
 * near ENOSPC, rounded down to a power of two, at most one extent.
 */
static xfs_filblks_t xfs_iomap_prealloc_size(struct xb_inode *xi, loff_t offset,
					     struct xfs_iext_cursor *icur)
{
	struct xfs_mount *mp = xi->m->mp;
	struct xfs_ifork *ifp = &xi->ip->i_df;
	struct xfs_iext_cursor ncur = *icur;
	struct xfs_bmbt_irec prev, got;
	xfs_fileoff_t offset_fsb = XFS_B_TO_FSBT(mp, offset);
	xfs_filblks_t allocsize_blocks = max(1, XFS_B_TO_FSBT(mp, 1ULL << XFS_ALLOCSIZE_LOG));
	uint64_t isize = xfs_isize(xi), alloc_blocks, plen;
	int64_t freesp;
	int shift;

	if (isize < (uint64_t) XFS_FSB_TO_B(mp, allocsize_blocks))
		return 0;
	if (isize < (uint64_t) XFS_FSB_TO_B(mp, mp->m_dalign) ||
	    !xfs_iext_prev_extent(ifp, &ncur, &prev) ||
	    prev.br_startoff + prev.br_blockcount < offset_fsb)
		return allocsize_blocks;

	plen = prev.br_blockcount;
	while (xfs_iext_prev_extent(ifp, &ncur, &got)) {
		if (plen > XFS_MAX_BMBT_EXTLEN / 2 || isnullstartblock(got.br_startblock) ||
		    got.br_startoff + got.br_blockcount != prev.br_startoff ||
		    got.br_startblock + got.br_blockcount != prev.br_startblock)
			break;
		plen += got.br_blockcount;
		prev = got;
	}
	alloc_blocks = plen * 2;
	if (alloc_blocks > XFS_MAX_BMBT_EXTLEN)
		alloc_blocks = XFS_B_TO_FSB(mp, offset);
	alloc_blocks =
		min(alloc_blocks, (uint64_t) XFS_MAX_BMBT_EXTLEN + 1); /* roundup_pow_of_two */

	freesp = xfs_iomap_freesp(xi);
	shift = xfs_iomap_prealloc_shift(mp, freesp);
	alloc_blocks >>= shift;
	if (alloc_blocks)
		alloc_blocks = 1ULL
			       << (63 - __builtin_clzll(alloc_blocks)); /* rounddown_pow_of_two */
	if (alloc_blocks > XFS_MAX_BMBT_EXTLEN)
		alloc_blocks = XFS_MAX_BMBT_EXTLEN;
	while (alloc_blocks && (int64_t) alloc_blocks >= freesp)
		alloc_blocks >>= 4;
	if (alloc_blocks < allocsize_blocks)
		alloc_blocks = allocsize_blocks;
	return alloc_blocks;
}

/*
 * How many blocks past @end_fsb to preallocate: the preallocation is counted
 * from the allocsize-aligned end of the write (XFS_ALLOC_ALIGN), so that
 * successive appends do not each push the speculative end a little further.
 */
static xfs_filblks_t xfs_iomap_eof_prealloc(struct xb_inode *xi, loff_t offset, loff_t count,
					    xfs_fileoff_t end_fsb, struct xfs_iext_cursor *icur)
{
	struct xfs_mount *mp = xi->m->mp;
	xfs_filblks_t prealloc_blocks;
	xfs_fileoff_t p_end_fsb;
	uint64_t end_offset;

	if (!atomic_load(&xfs_iomap_config.speculative_prealloc))
		return 0;
	prealloc_blocks = xfs_iomap_prealloc_size(xi, offset, icur);
	if (!prealloc_blocks)
		return 0;
	end_offset = ((uint64_t) (offset + count - 1) >> XFS_ALLOCSIZE_LOG) << XFS_ALLOCSIZE_LOG;
	p_end_fsb = XFS_B_TO_FSBT(mp, end_offset) + prealloc_blocks;
	p_end_fsb = min(p_end_fsb, XFS_B_TO_FSB(mp, xfs_iomap_maxbytes(mp)));
	return p_end_fsb > end_fsb ? p_end_fsb - end_fsb : 0;
}

static int xfs_iomap_check_inode(struct xb_inode *xi, bool write)
{
	if (!xi->ip)
		return -ESTALE;
	if (write && xi->m->readonly)
		return -EROFS;
	if (xi->m->shutdown)
		return -EIO;
	if (!xfs_ifork_has_extents(&xi->ip->i_df))
		return xb_err(-EFSCORRUPTED);
	return xb_err(libxfs_iread_extents(NULL, xi->ip, XFS_DATA_FORK));
}

/*
 * The write maps through the COW fork (xfs_buffered_write_iomap_begin's
 * found_cow): @cmap is the COW extent at @offset_fsb.  Over a data fork
 * extent, that extent is the source (read for partial blocks) and the COW
 * extent the destination, IOMAP_F_SHARED; over a hole, the COW extent alone.
 */
static int xfs_iomap_found_cow(struct xb_inode *xi, xfs_fileoff_t offset_fsb,
			       struct xfs_bmbt_irec *imap, struct xfs_bmbt_irec *cmap,
			       struct iomap *iomap, struct iomap *srcmap)
{
	struct xfs_inode *ip = xi->ip;
	int error;

	if (imap->br_startoff <= offset_fsb) {
		error = xfs_bmbt_to_iomap(xi, srcmap, imap, 0, xfs_iomap_inode_sequence(ip, 0));
		if (error)
			return error;
		return xfs_bmbt_to_iomap(xi, iomap, cmap, IOMAP_F_SHARED,
					 xfs_iomap_inode_sequence(ip, IOMAP_F_SHARED));
	}
	xfs_trim_extent(cmap, offset_fsb, imap->br_startoff - offset_fsb);
	return xfs_bmbt_to_iomap(xi, iomap, cmap, 0, xfs_iomap_inode_sequence(ip, 0));
}

/*
 * A reflink inode's write over data fork extent @imap: a COW extent already
 * there wins; a shared written extent gets COW fork delalloc from the write
 * to the end of the shared run; an unshared one is written in place.
 * Returns 1 when @imap is to be reported as is.
 */
static int xfs_iomap_write_cow(struct xb_inode *xi, xfs_fileoff_t offset_fsb, xfs_fileoff_t end_fsb,
			       unsigned int flags, struct xfs_bmbt_irec *imap, struct iomap *iomap,
			       struct iomap *srcmap)
{
	struct xfs_inode *ip = xi->ip;
	struct xfs_iext_cursor ccur;
	struct xfs_bmbt_irec cmap;
	bool cow_eof, shared;
	int error;

	if (!ip->i_cowfp)
		xfs_ifork_init_cow(ip);
	cow_eof = !xfs_iext_lookup_extent(ip, ip->i_cowfp, offset_fsb, &ccur, &cmap);
	if (!cow_eof && cmap.br_startoff <= offset_fsb)
		return xfs_iomap_found_cow(xi, offset_fsb, imap, &cmap, iomap, srcmap);
	if (imap->br_startoff > offset_fsb)
		return 1; /* a hole: delalloc in the data fork, as for any file */
	/* Zeroing unwritten or delalloc needs no copy. */
	if ((flags & IOMAP_ZERO) && imap->br_state != XFS_EXT_NORM)
		return 1;
	xfs_trim_extent(imap, offset_fsb, end_fsb - offset_fsb);
	error = xfs_bmap_trim_cow(ip, imap, &shared);
	if (error)
		return error;
	if (!shared)
		return 1;
	error = xfs_reflink_reserve_cow(xi, offset_fsb, imap->br_startoff + imap->br_blockcount,
					&cmap, &ccur, cow_eof);
	if (error)
		return error;
	return xfs_iomap_found_cow(xi, offset_fsb, imap, &cmap, iomap, srcmap);
}

static int xfs_buffered_write_iomap_begin_locked(struct xb_inode *xi, loff_t offset, loff_t count,
						 unsigned int flags, struct iomap *iomap,
						 struct iomap *srcmap)
{
	struct xfs_mount *mp = xi->m->mp;
	struct xfs_inode *ip = xi->ip;
	xfs_fileoff_t offset_fsb = XFS_B_TO_FSBT(mp, offset), end_fsb;
	xfs_filblks_t prealloc_blocks = 0;
	struct xfs_iext_cursor icur;
	struct xfs_bmbt_irec imap;
	bool eof;
	int error;

	error = xfs_iomap_check_inode(xi, true);
	if (error)
		return error;
	if ((uint64_t) offset >= xfs_iomap_maxbytes(mp))
		return -EFBIG;
	end_fsb = xfs_iomap_end_fsb(mp, offset, count);

	/* The data fork mapping at @offset: an extent, or a hole up to the next one. */
	eof = !xfs_iext_lookup_extent(ip, &ip->i_df, offset_fsb, &icur, &imap);
	if (eof)
		imap.br_startoff = end_fsb; /* fake hole until the end */

	/* Zeroing or unsharing a hole needs no blocks. */
	if ((flags & (IOMAP_ZERO | IOMAP_UNSHARE)) && imap.br_startoff > offset_fsb) {
		xfs_hole_to_iomap(xi, iomap, offset_fsb, imap.br_startoff);
		return 0;
	}
	/* Blocks shared with another file are never written in place (doc/reflink.md). */
	if (xfs_is_reflink_inode(ip)) {
		error = xfs_iomap_write_cow(xi, offset_fsb, end_fsb, flags, &imap, iomap, srcmap);
		if (error <= 0)
			return error;
	}
	if (imap.br_startoff <= offset_fsb) /* not shared: report the extent as is */
		return xfs_bmbt_to_iomap(xi, iomap, &imap, 0, xfs_iomap_inode_sequence(ip, 0));

	count = min(count, XFS_WRITE_MAP_MAX_BYTES);
	end_fsb = xfs_iomap_end_fsb(mp, offset, count);
	if (eof && (uint64_t) (offset + count) > xfs_isize(xi))
		prealloc_blocks = xfs_iomap_eof_prealloc(xi, offset, count, end_fsb, &icur);

	error = xfs_iomap_reserve_delalloc(xi, offset_fsb, end_fsb - offset_fsb, prealloc_blocks,
					   &imap, &icur, eof);
	if (error)
		return error;
	/* New delalloc is IOMAP_F_NEW: punched again if the write fails. */
	return xfs_bmbt_to_iomap(xi, iomap, &imap, IOMAP_F_NEW,
				 xfs_iomap_inode_sequence(ip, IOMAP_F_NEW));
}

static int xfs_buffered_write_iomap_begin(struct vfs_inode *inode, loff_t offset, loff_t count,
					  unsigned int flags, struct iomap *iomap,
					  struct iomap *srcmap)
{
	struct xb_inode *xi = xb_from_vfs(inode);
	struct iomap prev = *iomap; /* stale_remedy=rfc: the stale mapping replaced, if any */
	int error;

	if ((flags & (IOMAP_WRITE | IOMAP_FAULT | IOMAP_ZERO)) == IOMAP_WRITE &&
	    xf_fault_fires(XF_FAULT_IOMAP_BEGIN))
		return -EIO; /* fault.h */
	xb_lock();
	error = xfs_buffered_write_iomap_begin_locked(xi, offset, count, flags, iomap, srcmap);
	if (!error)
		xfs_iomap_inherit_new(xi, iomap, &prev, flags);
	xb_unlock();
	return error;
}

/* Remove only the delalloc in [offset, offset+length): the punch callback. */
static int xfs_buffered_write_delalloc_punch(struct vfs_inode *inode, loff_t offset, loff_t length)
{
	struct xb_inode *xi = xb_from_vfs(inode);

	xb_lock();
	if (xi->ip)
		xfs_bmap_punch_delalloc_range(xi, offset, offset + length);
	xb_unlock();
	return 0;
}

/*
 * A write that did not use all the delalloc it reserved gives the rest back
 * (iomap_file_buffered_write_punch_delalloc decides which part: only past
 * the last written block and only under clean page cache).  Page faults
 * never punch: a racing write's reservation may be under them.
 */
static int xfs_buffered_write_iomap_end(struct vfs_inode *inode, loff_t offset, loff_t length,
					ssize_t written, unsigned int flags, struct iomap *iomap)
{
	struct xb_inode *xi = xb_from_vfs(inode);
	int error;

	if (flags & IOMAP_FAULT)
		return 0;
	if (iomap->type != IOMAP_DELALLOC || !(iomap->flags & IOMAP_F_NEW))
		return 0;
	if (xfs_iomap_keep_stale_delalloc(xi, offset, length, written > 0 ? written : 0, iomap))
		return 0;
	error = iomap_file_buffered_write_punch_delalloc(inode, iomap, offset, length,
							 written > 0 ? written : 0,
							 xfs_buffered_write_delalloc_punch);
	if (error && !xi->m->shutdown) {
		fprintf(stderr, "xfsfuse: unable to clean up delalloc of inode %llu: %s\n",
			(unsigned long long) xi->ino, strerror(-error));
		return error;
	}
	return 0;
}

const struct iomap_ops xfs_buffered_write_iomap_ops = {
	.iomap_begin = xfs_buffered_write_iomap_begin,
	.iomap_end = xfs_buffered_write_iomap_end,
};

static int xfs_read_iomap_begin_locked(struct xb_inode *xi, loff_t offset, loff_t length,
				       struct iomap *iomap)
{
	struct xfs_mount *mp = xi->m->mp;
	xfs_fileoff_t offset_fsb = XFS_B_TO_FSBT(mp, offset), end_fsb;
	struct xfs_bmbt_irec imap;
	int nimaps = 1, error;

	error = xfs_iomap_check_inode(xi, false);
	if (error)
		return error;
	end_fsb = xfs_iomap_end_fsb(mp, offset, length);
	if (end_fsb <= offset_fsb)
		return -EFBIG;
	error = xb_err(
		libxfs_bmapi_read(xi->ip, offset_fsb, end_fsb - offset_fsb, &imap, &nimaps, 0));
	if (error)
		return error;
	if (nimaps == 0)
		return xb_err(-EFSCORRUPTED);
	return xfs_bmbt_to_iomap(xi, iomap, &imap, 0, xfs_iomap_inode_sequence(xi->ip, 0));
}

/* Run a read-only mapping lookup under ILOCK (the libxfs lock). */
static int xfs_iomap_begin_ilocked(struct vfs_inode *inode, loff_t offset, loff_t length,
				   struct iomap *iomap,
				   int (*lookup)(struct xb_inode *, loff_t, loff_t, struct iomap *))
{
	int error;

	xb_lock();
	error = lookup(xb_from_vfs(inode), offset, length, iomap);
	xb_unlock();
	return error;
}

static int xfs_read_iomap_begin(struct vfs_inode *inode, loff_t offset, loff_t length,
				unsigned int flags, struct iomap *iomap, struct iomap *srcmap)
{
	(void) flags;
	(void) srcmap;
	return xfs_iomap_begin_ilocked(inode, offset, length, iomap, xfs_read_iomap_begin_locked);
}

const struct iomap_ops xfs_read_iomap_ops = {
	.iomap_begin = xfs_read_iomap_begin,
};

/*
 * A data fork hole at @offset_fsb covered by a COW fork extent (a write
 * into the COW size hint's reservation past the shared blocks, or past
 * EOF): report it, capped at the next data fork extent, as UNWRITTEN so
 * that SEEK_DATA looks at the page cache over it -- the data is only there
 * until writeback remaps it.  False if no COW extent covers the offset;
 * *@cow_fsb is where the next one starts (NULLFILEOFF: none).
 */
static bool xfs_seek_cow(struct xb_inode *xi, xfs_fileoff_t offset_fsb, xfs_fileoff_t end_fsb,
			 xfs_fileoff_t data_fsb, struct iomap *iomap, xfs_fileoff_t *cow_fsb,
			 int *error)
{
	struct xfs_inode *ip = xi->ip;
	struct xfs_iext_cursor icur;
	struct xfs_bmbt_irec cmap;

	*cow_fsb = NULLFILEOFF;
	if (!xfs_inode_has_cow_data(ip) ||
	    !xfs_iext_lookup_extent(ip, ip->i_cowfp, offset_fsb, &icur, &cmap))
		return false;
	*cow_fsb = cmap.br_startoff;
	if (cmap.br_startoff > offset_fsb)
		return false;
	if (data_fsb < cmap.br_startoff + cmap.br_blockcount && data_fsb < end_fsb)
		end_fsb = data_fsb;
	xfs_trim_extent(&cmap, offset_fsb, end_fsb - offset_fsb);
	*error = xfs_bmbt_to_iomap(xi, iomap, &cmap, IOMAP_F_SHARED,
				   xfs_iomap_inode_sequence(ip, IOMAP_F_SHARED));
	iomap->type = IOMAP_UNWRITTEN;
	return true;
}

/*
 * SEEK_DATA/SEEK_HOLE (xfs_seek_iomap_begin): an extent at @offset is
 * reported as it is -- the generic code counts written and delalloc as data
 * and looks at the page cache for unwritten -- a COW fork extent over a
 * hole as unwritten (xfs_seek_cow), and a hole is capped at the next data
 * or COW extent or the end of the request.
 */
static int xfs_seek_iomap_begin_locked(struct xb_inode *xi, loff_t offset, loff_t length,
				       struct iomap *iomap)
{
	struct xfs_mount *mp = xi->m->mp;
	struct xfs_inode *ip = xi->ip;
	xfs_fileoff_t offset_fsb = XFS_B_TO_FSBT(mp, offset), end_fsb, data_fsb, cow_fsb;
	struct xfs_iext_cursor icur;
	struct xfs_bmbt_irec imap;
	int error;

	error = xfs_iomap_check_inode(xi, false);
	if (error)
		return error;
	end_fsb = xfs_iomap_end_fsb(mp, offset, length);
	if (end_fsb <= offset_fsb)
		return -ENXIO;
	if (xfs_iext_lookup_extent(ip, &ip->i_df, offset_fsb, &icur, &imap)) {
		if (imap.br_startoff <= offset_fsb)
			goto done;
		data_fsb = imap.br_startoff;
	} else {
		data_fsb = end_fsb; /* fake a hole until the end of the request */
	}
	error = 0;
	if (xfs_seek_cow(xi, offset_fsb, end_fsb, data_fsb, iomap, &cow_fsb, &error))
		return error;
	if (cow_fsb != NULLFILEOFF && cow_fsb < data_fsb)
		data_fsb = cow_fsb;
	imap.br_startoff = offset_fsb;
	imap.br_blockcount = data_fsb - offset_fsb;
	imap.br_startblock = HOLESTARTBLOCK;
	imap.br_state = XFS_EXT_NORM;
done:
	xfs_trim_extent(&imap, offset_fsb, end_fsb - offset_fsb);
	return xfs_bmbt_to_iomap(xi, iomap, &imap, 0, xfs_iomap_inode_sequence(ip, 0));
}

static int xfs_seek_iomap_begin(struct vfs_inode *inode, loff_t offset, loff_t length,
				unsigned int flags, struct iomap *iomap, struct iomap *srcmap)
{
	(void) flags;
	(void) srcmap;
	return xfs_iomap_begin_ilocked(inode, offset, length, iomap, xfs_seek_iomap_begin_locked);
}

const struct iomap_ops xfs_seek_iomap_ops = {
	.iomap_begin = xfs_seek_iomap_begin,
};
