// SPDX-License-Identifier: GPL-2.0
/*
 * libfuse handlers for directory streams: opendir, readdir, readdirplus,
 * releasedir, fsyncdir (fs/fuse/readdir.c).
 */
#include "fuse_internal.h"

#include <dirent.h>
#include <errno.h>

void xf_opendir(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi)
{
	struct xb_inode *ip;
	int error;

	error = xf_iget(req, nodeid, &ip);
	if (error) {
		xf_reply_err(req, "opendir", nodeid, error);
		return;
	}
	error = xf_fh_alloc(xf_fs(req), fi, ip);
	if (error) {
		xb_iput(ip);
		xf_reply_err(req, "opendir", nodeid, error);
		return;
	}
	if (fuse_reply_open(req, fi) != 0) {
		xf_fh_free(fi);
		xb_iput(ip);
	}
}

void xf_releasedir(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi)
{
	struct xb_inode *ip = xf_fh_inode(fi);

	(void) nodeid;
	xf_fh_free(fi);
	xb_iput(ip);
	fuse_reply_err(req, 0);
}

void xf_fsyncdir(fuse_req_t req, fuse_ino_t nodeid, int datasync, struct fuse_file_info *fi)
{
	/* Directory changes live in metadata: commit it all and sync the image. */
	(void) datasync;
	(void) fi;
	xf_reply_err(req, "fsyncdir", nodeid, xb_sync(xf_fs(req)->m));
}

struct xf_readdir_buf {
	fuse_req_t req;
	char *buf;
	size_t size;
	size_t pos;
};

static int xf_readdir_fill(void *ctx, const char *name, size_t namelen, uint64_t ino,
			   unsigned int dtype, uint64_t next_cookie)
{
	struct xf_readdir_buf *rb = ctx;
	char cname[NAME_MAX + 1];
	struct stat st;
	size_t len;

	if (namelen > NAME_MAX)
		return 0; /* cannot happen on XFS; skip rather than truncate */
	memcpy(cname, name, namelen);
	cname[namelen] = '\0';
	memset(&st, 0, sizeof(st));
	st.st_ino = ino;
	st.st_mode = DTTOIF(dtype);
	len = fuse_add_direntry(rb->req, rb->buf + rb->pos, rb->size - rb->pos, cname, &st,
				(off_t) next_cookie);
	if (len > rb->size - rb->pos)
		return 1; /* full: the backend emits this one again next time */
	rb->pos += len;
	return 0;
}

void xf_readdir(fuse_req_t req, fuse_ino_t nodeid, size_t size, off_t off,
		struct fuse_file_info *fi)
{
	struct xf_readdir_buf rb = {.req = req, .size = size, .pos = 0};
	int error;

	if (xf_is_shutdown(req)) {
		fuse_reply_err(req, EIO); /* xfs_readdir */
		return;
	}
	rb.buf = malloc(size ? size : 1);
	if (!rb.buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	error = xb_readdir(xf_fh_inode(fi), (uint64_t) off, xf_readdir_fill, &rb);
	/* iterate_dir's file_accessed, whatever the result (nodiratime: see vfs_atime.h). */
	xf_file_accessed(&xf_fs(req)->engine, xf_fh_inode(fi));
	if (error && rb.pos == 0)
		xf_reply_err(req, "readdir", nodeid, error);
	else
		fuse_reply_buf(req, rb.buf, rb.pos); /* an error after entries: next call */
	free(rb.buf);
}

/*
 * readdirplus runs in two passes.  The backend calls fill() under its own
 * lock, so fill() must not call back into it: the first pass only records
 * the entries that fit (sizes are known from the names alone); the second
 * takes a lookup reference and the attributes of each and packs the reply.
 */
struct xf_plus_ent {
	uint64_t ino;
	uint64_t next_cookie;
	unsigned int dtype;
	char name[NAME_MAX + 1];
};

struct xf_plus_buf {
	fuse_req_t req;
	struct xf_plus_ent *ents;
	size_t nents, maxents;
	size_t size, used;
};

static int xf_plus_collect(void *ctx, const char *name, size_t namelen, uint64_t ino,
			   unsigned int dtype, uint64_t next_cookie)
{
	struct xf_plus_buf *pb = ctx;
	struct xf_plus_ent *ent;
	size_t len;

	if (namelen > NAME_MAX)
		return 0;
	if (pb->nents == pb->maxents)
		return 1;
	ent = &pb->ents[pb->nents];
	memcpy(ent->name, name, namelen);
	ent->name[namelen] = '\0';
	len = fuse_add_direntry_plus(pb->req, NULL, 0, ent->name, NULL, 0);
	if (len > pb->size - pb->used)
		return 1;
	pb->used += len;
	ent->ino = ino;
	ent->dtype = dtype;
	ent->next_cookie = next_cookie;
	pb->nents++;
	return 0;
}

static bool xf_is_dot_or_dotdot(const char *name)
{
	return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/*
 * Entry parameters for one readdirplus entry.  "." and ".." carry no lookup
 * (the kernel ignores them); other entries take one reference, left in *ipp.
 */
static int xf_plus_entry(struct xf_fs *fs, const struct xf_plus_ent *ent,
			 struct fuse_entry_param *e, struct xb_inode **ipp)
{
	int error;

	*ipp = NULL;
	if (xf_is_dot_or_dotdot(ent->name)) {
		memset(e, 0, sizeof(*e));
		e->attr.st_ino = ent->ino;
		e->attr.st_mode = DTTOIF(ent->dtype);
		return 0;
	}
	error = xb_iget(fs->m, ent->ino, ipp);
	if (error)
		return error;
	error = xf_fill_entry(fs, *ipp, e);
	if (error) {
		xb_iput(*ipp);
		*ipp = NULL;
	}
	return error;
}

/*
 * Second pass: pack the entries into @buf, keeping the reference of each
 * packed entry in @held (so that an undeliverable reply can give them back).
 * Returns the bytes packed.
 */
static size_t xf_plus_pack(fuse_req_t req, const struct xf_plus_buf *pb, char *buf,
			   struct xb_inode **held, size_t *nheld)
{
	struct xf_fs *fs = xf_fs(req);
	size_t i, pos = 0, len;
	int error;

	*nheld = 0;
	for (i = 0; i < pb->nents; i++) {
		const struct xf_plus_ent *ent = &pb->ents[i];
		struct fuse_entry_param e;
		struct xb_inode *ip;

		error = xf_plus_entry(fs, ent, &e, &ip);
		if (error == -ESTALE || error == -ENOENT)
			continue; /* removed between the passes */
		if (error) {
			/*
			 * An unreadable inode must not hide its siblings:
			 * list the name without attributes or lookup (the
			 * kernel takes nodeid 0 as "plain entry"), as the
			 * kernel's readdir lists names without reading
			 * inodes.  A later lookup reports the error.
			 */
			(void) xf_errno(req, "readdirplus", ent->ino, error);
			memset(&e, 0, sizeof(e));
			e.attr.st_ino = ent->ino;
			e.attr.st_mode = DTTOIF(ent->dtype);
		}
		len = fuse_add_direntry_plus(req, buf + pos, pb->size - pos, ent->name, &e,
					     (off_t) ent->next_cookie);
		if (len > pb->size - pos) {
			if (ip)
				xb_iput(ip);
			break;
		}
		pos += len;
		if (ip)
			held[(*nheld)++] = ip;
	}
	return pos;
}

void xf_readdirplus(fuse_req_t req, fuse_ino_t nodeid, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct xf_plus_buf pb = {.req = req, .size = size};
	struct xb_inode **held = NULL;
	size_t nheld = 0, i;
	char *buf = NULL;
	size_t packed;
	int error;

	if (xf_is_shutdown(req)) {
		fuse_reply_err(req, EIO); /* xfs_readdir */
		return;
	}
	/* The smallest entry is 0x60 bytes: that bounds the entry count. */
	pb.maxents = size / 96 + 1;
	pb.ents = malloc(pb.maxents * sizeof(*pb.ents));
	held = malloc(pb.maxents * sizeof(*held));
	buf = malloc(size ? size : 1);
	if (!pb.ents || !held || !buf) {
		fuse_reply_err(req, ENOMEM);
		goto out_free;
	}
	error = xb_readdir(xf_fh_inode(fi), (uint64_t) off, xf_plus_collect, &pb);
	xf_file_accessed(&xf_fs(req)->engine, xf_fh_inode(fi)); /* as xf_readdir */
	if (error && pb.nents == 0) {
		xf_reply_err(req, "readdirplus", nodeid, error);
		goto out_free;
	}
	packed = xf_plus_pack(req, &pb, buf, held, &nheld);
	for (i = 0; i < nheld; i++)
		xb_ikeep_lookup(held[i]);
	if (fuse_reply_buf(req, buf, packed) != 0) {
		for (i = 0; i < nheld; i++)
			xb_iput_lookup(held[i], 1); /* interrupted: the kernel took no lookups */
	}
out_free:
	free(held);
	free(pb.ents);
	free(buf);
}
