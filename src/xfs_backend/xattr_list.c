// SPDX-License-Identifier: GPL-2.0
/*
 * Listing extended attributes: the userspace twin of the kernel's
 * fs/xfs/xfs_attr_list.c, which libxfs 6.1 does not carry.
 *
 * The three attr fork formats are walked as the kernel walks them:
 * shortform entries in the inode literal area in their on-disk order; a
 * single leaf block; a da-btree, descended along its leftmost path to the
 * first leaf, then the leaves in hash order through their forw pointers.
 * Only names are needed, so remote values are never read.  Entries marked
 * INCOMPLETE (an interrupted set or remove) are skipped, as the kernel does
 * outside log recovery.
 *
 * The whole list is produced in one call, so the kernel's cursor machinery
 * (hash-sorting shortform entries when they do not fit, resuming in a leaf
 * after a hash value) is not needed: the output is the kernel's order for a
 * buffer large enough to take everything.  Names go out with their VFS
 * prefix; trusted.* is listed too (the kernel filters it by capability, on
 * the FUSE side of the fence).  SGI_ACL_FILE / SGI_ACL_DEFAULT are listed
 * twice, as the kernel's xfs_xattr_put_listent lists them: first as the
 * POSIX ACL ("system.posix_acl_access" / "_default", acl.c), then as
 * themselves under trusted.
 *
 * Corrupt metadata gives -EUCLEAN.  Nothing here writes.
 */
#include "xb_internal.h"

#include <linux/limits.h>

/* The output buffer, as the kernel's struct xfs_attr_list_context. */
struct xb_attr_list_context {
	struct xfs_inode *dp;
	char *buffer; /* NULL: only count (size 0) */
	size_t bufsize;
	size_t count;  /* bytes emitted (or needed) so far */
	bool overflow; /* did not fit: -ERANGE */
};

static void xb_attr_put_prefixed(struct xb_attr_list_context *context, const char *prefix,
				 size_t prefix_len, const unsigned char *name, size_t namelen)
{
	size_t len = prefix_len + namelen + 1;

	if (context->overflow)
		return;
	if (context->buffer) {
		char *p = context->buffer + context->count;

		if (context->count + len > context->bufsize) {
			context->overflow = true;
			return;
		}
		memcpy(p, prefix, prefix_len);
		memcpy(p + prefix_len, name, namelen);
		p[prefix_len + namelen] = '\0';
	}
	context->count += len;
}

/* xfs_xattr_put_listent: the on-disk namespace flags pick the prefix. */
static int xb_attr_put_listent(struct xb_attr_list_context *context, unsigned int flags,
			       const unsigned char *name, size_t namelen)
{
	if (!libxfs_attr_namecheck(name, namelen))
		return -EFSCORRUPTED;
	if (flags & XFS_ATTR_ROOT) {
		if (namelen == SGI_ACL_FILE_SIZE && !memcmp(name, SGI_ACL_FILE, namelen))
			xb_attr_put_prefixed(context, "system.", 7,
					     (const unsigned char *) "posix_acl_access", 16);
		else if (namelen == SGI_ACL_DEFAULT_SIZE && !memcmp(name, SGI_ACL_DEFAULT, namelen))
			xb_attr_put_prefixed(context, "system.", 7,
					     (const unsigned char *) "posix_acl_default", 17);
		xb_attr_put_prefixed(context, "trusted.", 8, name, namelen);
	} else if (flags & XFS_ATTR_SECURE)
		xb_attr_put_prefixed(context, "security.", 9, name, namelen);
	else
		xb_attr_put_prefixed(context, "user.", 5, name, namelen);
	return 0;
}

/*
 * Shortform: entries in the attr fork's inline data.  libxfs_iget verified
 * the fork (xfs_attr_shortform_verify), but stay inside if_bytes anyway.
 */
static int xb_attr_shortform_list(struct xb_attr_list_context *context)
{
	struct xfs_ifork *ifp = &context->dp->i_af;
	struct xfs_attr_shortform *sf = (struct xfs_attr_shortform *) ifp->if_u1.if_data;
	char *end = (char *) sf + ifp->if_bytes;
	struct xfs_attr_sf_entry *sfe;
	int i, error;

	if (ifp->if_bytes < (int) sizeof(sf->hdr))
		return -EFSCORRUPTED;
	sfe = &sf->list[0];
	for (i = 0; i < sf->hdr.count; i++) {
		if ((char *) sfe + sizeof(*sfe) > end ||
		    (char *) sfe + xfs_attr_sf_entsize(sfe) > end)
			return -EFSCORRUPTED;
		error = xb_attr_put_listent(context, sfe->flags, sfe->nameval, sfe->namelen);
		if (error || context->overflow)
			return error;
		sfe = xfs_attr_sf_nextentry(sfe);
	}
	return 0;
}

/* xfs_attr3_leaf_list_int: one verified leaf block, in hash order. */
static int xb_attr3_leaf_list_int(struct xfs_buf *bp, struct xb_attr_list_context *context)
{
	struct xfs_mount *mp = context->dp->i_mount;
	struct xfs_attr_leafblock *leaf = bp->b_addr;
	struct xfs_attr3_icleaf_hdr ichdr;
	struct xfs_attr_leaf_entry *entries;
	int i, error;

	xfs_attr3_leaf_hdr_from_disk(mp->m_attr_geo, &ichdr, leaf);
	entries = xfs_attr3_leaf_entryp(leaf);
	for (i = 0; i < ichdr.count; i++) {
		struct xfs_attr_leaf_entry *entry = &entries[i];
		const unsigned char *name;
		size_t namelen;

		if (entry->flags & XFS_ATTR_INCOMPLETE)
			continue;
		if (entry->flags & XFS_ATTR_LOCAL) {
			struct xfs_attr_leaf_name_local *name_loc =
				xfs_attr3_leaf_name_local(leaf, i);

			name = name_loc->nameval;
			namelen = name_loc->namelen;
		} else {
			struct xfs_attr_leaf_name_remote *name_rmt =
				xfs_attr3_leaf_name_remote(leaf, i);

			name = name_rmt->name;
			namelen = name_rmt->namelen;
		}
		error = xb_attr_put_listent(context, entry->flags, name, namelen);
		if (error || context->overflow)
			return error;
	}
	return 0;
}

/* xfs_attr_leaf_list: the whole fork is the leaf at dablk 0. */
static int xb_attr_leaf_list(struct xb_attr_list_context *context)
{
	struct xfs_buf *bp;
	int error;

	error = xfs_attr3_leaf_read(NULL, context->dp, 0, &bp);
	if (error)
		return error;
	error = xb_attr3_leaf_list_int(bp, context);
	libxfs_trans_brelse(NULL, bp);
	return error;
}

/*
 * xfs_attr_node_list_lookup with a zero hash cursor: from the root, follow
 * the first entry of each node down to the leftmost leaf, checking levels
 * so that a corrupt tree cannot send us round in circles.
 */
static int xb_attr_node_list_lookup(struct xb_attr_list_context *context, struct xfs_buf **pbp)
{
	struct xfs_inode *dp = context->dp;
	struct xfs_mount *mp = dp->i_mount;
	struct xfs_da3_icnode_hdr nodehdr;
	unsigned int expected_level = 0;
	xfs_dablk_t blkno = 0;
	struct xfs_buf *bp;
	int error;

	for (;;) {
		struct xfs_da_intnode *node;
		uint16_t magic;

		error = xfs_da3_node_read(NULL, dp, blkno, &bp, XFS_ATTR_FORK);
		if (error)
			return error;
		node = bp->b_addr;
		magic = be16_to_cpu(node->hdr.info.magic);
		if (magic == XFS_ATTR_LEAF_MAGIC || magic == XFS_ATTR3_LEAF_MAGIC)
			break;
		if (magic != XFS_DA_NODE_MAGIC && magic != XFS_DA3_NODE_MAGIC)
			goto out_corrupt;
		libxfs_da3_node_hdr_from_disk(mp, &nodehdr, node);
		if (nodehdr.level >= XFS_DA_NODE_MAXDEPTH || nodehdr.level == 0)
			goto out_corrupt;
		if (blkno == 0)
			expected_level = nodehdr.level - 1;
		else if (expected_level != nodehdr.level)
			goto out_corrupt;
		else
			expected_level--;
		if (nodehdr.count == 0) {
			/* An empty node: nothing to list (kernel: i == count). */
			libxfs_trans_brelse(NULL, bp);
			*pbp = NULL;
			return 0;
		}
		blkno = be32_to_cpu(nodehdr.btree[0].before);
		libxfs_trans_brelse(NULL, bp);
		/* We can't point back to the root. */
		if (blkno == 0)
			return -EFSCORRUPTED;
	}
	if (expected_level != 0)
		goto out_corrupt;
	*pbp = bp;
	return 0;

out_corrupt:
	libxfs_trans_brelse(NULL, bp);
	return -EFSCORRUPTED;
}

/*
 * How many attr blocks the fork maps: no sane leaf chain is longer, which
 * bounds the walk along forw pointers if a corrupt one loops.
 */
static int xb_attr_fork_blocks(struct xfs_inode *dp, uint64_t *nblocks)
{
	struct xfs_ifork *ifp = &dp->i_af;
	struct xfs_iext_cursor icur;
	struct xfs_bmbt_irec got;
	uint64_t fsbs = 0;
	int error;

	error = libxfs_iread_extents(NULL, dp, XFS_ATTR_FORK);
	if (error)
		return error;
	for_each_xfs_iext(ifp, &icur, &got) fsbs += got.br_blockcount;
	*nblocks = fsbs / dp->i_mount->m_attr_geo->fsbcount;
	return 0;
}

/* xfs_attr_node_list: leftmost leaf, then right along the sibling chain. */
static int xb_attr_node_list(struct xb_attr_list_context *context)
{
	struct xfs_inode *dp = context->dp;
	struct xfs_attr3_icleaf_hdr leafhdr;
	struct xfs_buf *bp;
	uint64_t nblocks, seen = 0;
	int error;

	error = xb_attr_fork_blocks(dp, &nblocks);
	if (error)
		return error;
	error = xb_attr_node_list_lookup(context, &bp);
	if (error || !bp)
		return error;
	for (;;) {
		error = xb_attr3_leaf_list_int(bp, context);
		if (error)
			break;
		xfs_attr3_leaf_hdr_from_disk(dp->i_mount->m_attr_geo, &leafhdr, bp->b_addr);
		if (context->overflow || leafhdr.forw == 0)
			break;
		if (++seen >= nblocks) {
			error = -EFSCORRUPTED;
			break;
		}
		libxfs_trans_brelse(NULL, bp);
		error = xfs_attr3_leaf_read(NULL, dp, leafhdr.forw, &bp);
		if (error)
			return error;
	}
	libxfs_trans_brelse(NULL, bp);
	return error;
}

/* xfs_attr_list_ilocked: pick the walker for the fork's format. */
static int xb_attr_list_ilocked(struct xb_attr_list_context *context)
{
	struct xfs_inode *dp = context->dp;

	if (!xfs_inode_hasattr(dp))
		return 0;
	if (dp->i_af.if_format == XFS_DINODE_FMT_LOCAL)
		return xb_attr_shortform_list(context);
	if (xfs_attr_is_leaf(dp))
		return xb_attr_leaf_list(context);
	return xb_attr_node_list(context);
}

int xb_listxattr(struct xb_inode *xi, char *buf, size_t size)
{
	struct xb_attr_list_context context = {
		.buffer = size ? buf : NULL,
		.bufsize = size,
	};
	int error;

	xb_lock();
	if (!xi->ip) {
		error = -ESTALE;
		goto out_unlock;
	}
	context.dp = xi->ip;
	error = xb_err(xb_attr_list_ilocked(&context));
	if (error == -EFSBADCRC)
		error = -EFSCORRUPTED;
	else if (!error && context.overflow)
		error = -ERANGE;
	else if (!error && context.count > INT_MAX)
		error = -E2BIG;
	else if (!error)
		error = context.count;
out_unlock:
	xb_unlock();
	return error;
}
