// SPDX-License-Identifier: GPL-2.0
/*
 * A checkpoint's frozen copy of the dirty buffers.
 *
 * A checkpoint takes its snapshot under the libxfs lock and then writes the
 * log and the buffers' homes without it, so that transactions go on while
 * the image flushes (the kernel's CIL swap: a new context takes changes
 * while the old one is pushed).  Each dirty buffer is verified (CRCs in;
 * nothing corrupt is logged) and copied.  The live buffers stay dirty while
 * the checkpoint is in flight, which keeps them in libxfs's cache (its
 * ->flush refuses dirty buffers, cache_hooks.c) and so keeps every pointer
 * in the snapshot valid without a reference.  A buffer a transaction dirties
 * again meanwhile is noted (xb_snap_note_redirty) and stays dirty for the
 * next checkpoint; the others turn clean when this one is home
 * (xb_snap_release).
 */
#include "xlog.h"

static int xb_snap_grow(struct xb_snapshot *s)
{
	size_t cap = s->cap ? s->cap * 2 : 256;
	struct xb_snap_buf *b = realloc(s->bufs, cap * sizeof(*b));

	if (!b)
		return -ENOMEM;
	s->bufs = b;
	s->cap = cap;
	return 0;
}

static int xb_snap_daddr_cmp(const void *a, const void *b)
{
	const struct xb_snap_buf *x = a, *y = b;

	return x->daddr < y->daddr ? -1 : x->daddr > y->daddr;
}

/* The in-progress mark lives only in the in-place superblock, never in the log. */
static struct xfs_dsb *xb_primary_sb(struct xfs_buf *bp)
{
	return xfs_buf_daddr(bp) == XFS_SB_DADDR && bp->b_ops &&
			       xb_buf_log_type(bp) == XFS_BLFT_SB_BUF
		       ? bp->b_addr
		       : NULL;
}

/* Verify one buffer and copy it into the snapshot. */
static int xb_snap_add(struct xb_snapshot *s, struct xfs_buf *bp)
{
	struct xfs_dsb *dsb = xb_primary_sb(bp);
	struct xb_snap_buf *sb;
	size_t len = BBTOB(bp->b_length);
	int i, error;

	if (dsb)
		dsb->sb_inprogress = 0;
	if (bp->b_ops) {
		bp->b_error = 0;
		bp->b_ops->verify_write(bp);
		if (bp->b_error) {
			fprintf(stderr,
				"xfsfuse: checkpoint: %s block 0x%llx failed its write verifier\n",
				bp->b_ops->name, (unsigned long long) xfs_buf_daddr(bp));
			return -EFSCORRUPTED;
		}
	}
	if (s->n == s->cap && (error = xb_snap_grow(s)))
		return error;
	sb = &s->bufs[s->n];
	memset(sb, 0, sizeof(*sb));
	sb->bp = bp;
	sb->daddr = xfs_buf_daddr(bp);
	sb->type = xb_buf_log_type(bp);
	sb->is_sb = dsb != NULL;
	sb->nmaps = bp->b_nmaps;
	sb->maps = malloc(bp->b_nmaps * sizeof(*sb->maps));
	sb->data = malloc(len);
	if (!sb->maps || !sb->data) {
		free(sb->maps);
		free(sb->data);
		return -ENOMEM;
	}
	for (i = 0; i < bp->b_nmaps; i++)
		sb->maps[i] = bp->b_maps[i];
	memcpy(sb->data, bp->b_addr, len);
	sb->len = len;
	s->n++;
	s->bytes += len;
	return 0;
}

int xb_snap_take(struct xb_snapshot *s)
{
	struct cache *c = libxfs_bcache;
	unsigned int i;
	int error;

	for (i = 0; i < c->c_hashsize; i++) {
		struct cache_node *node;

		list_for_each_entry(node, &c->c_hash[i].ch_list, cn_hash)
		{
			struct xfs_buf *bp = container_of(node, struct xfs_buf, b_node);

			if (!(bp->b_flags & LIBXFS_B_DIRTY))
				continue;
			if (bp->b_flags & LIBXFS_B_STALE) {
				bp->b_flags &= ~LIBXFS_B_DIRTY; /* freed metadata: never written */
				continue;
			}
			error = xb_snap_add(s, bp);
			if (error)
				return error;
		}
	}
	if (s->n) /* qsort's base must not be NULL, even for no elements */
		qsort(s->bufs, s->n, sizeof(s->bufs[0]), xb_snap_daddr_cmp);
	return 0;
}

/*
 * A transaction dirtied @bp while a checkpoint holding it is in flight: it
 * must stay dirty afterwards.  Returns true the first time, so that the
 * caller counts its bytes toward the next checkpoint.
 */
bool xb_snap_note_redirty(struct xb_snapshot *s, struct xfs_buf *bp)
{
	struct xb_snap_buf key = {.daddr = xfs_buf_daddr(bp)};
	struct xb_snap_buf *hit, *end, *p;

	if (!s->n)
		return false;
	hit = bsearch(&key, s->bufs, s->n, sizeof(key), xb_snap_daddr_cmp);
	if (!hit)
		return false;
	end = s->bufs + s->n;
	/* Buffers of different lengths may share a daddr: look both ways. */
	for (p = hit; p >= s->bufs && p->daddr == key.daddr; p--)
		if (p->bp == bp)
			goto found;
	for (p = hit + 1; p < end && p->daddr == key.daddr; p++)
		if (p->bp == bp)
			goto found;
	return false;
found:
	if (p->redirtied)
		return false;
	p->redirtied = true;
	return true;
}

/* The superblock goes home carrying the in-progress mark while mounted. */
static void xb_snap_mark_sb(struct xb_snap_buf *sb, bool marked)
{
	struct xfs_dsb *dsb = (struct xfs_dsb *) sb->data;

	dsb->sb_inprogress = marked;
	xfs_update_cksum(sb->data, sb->len, XFS_SB_CRC_OFF);
}

/* Write every copy home, in disk order.  No flush (the next checkpoint's). */
int xb_snap_write_in_place(struct xb_snapshot *s, int fd, bool sb_marked)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct xb_snap_buf *sb = &s->bufs[i];
		const char *addr = sb->data;
		int j, error;

		if (sb->is_sb)
			xb_snap_mark_sb(sb, sb_marked);
		for (j = 0; j < sb->nmaps; j++) {
			size_t len = BBTOB(sb->maps[j].bm_len);

			error = xb_pwrite_all(fd, addr, len, BBTOB(sb->maps[j].bm_bn));
			if (error)
				return error;
			addr += len;
		}
	}
	return 0;
}

/* The checkpoint is home: buffers nobody dirtied since are clean now. */
void xb_snap_release(struct xb_snapshot *s, bool home)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct xb_snap_buf *sb = &s->bufs[i];

		if (home && !sb->redirtied)
			sb->bp->b_flags &= ~LIBXFS_B_DIRTY;
		free(sb->maps);
		free(sb->data);
	}
	free(s->bufs);
	memset(s, 0, sizeof(*s));
}
