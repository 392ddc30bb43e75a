// SPDX-License-Identifier: GPL-2.0
/*
 * Populate a freshly made image through our own backend (backend.h): the
 * kernel's XFS is never needed to build an image, only to check one.
 *
 * Order: every object in spec order (parents first): create, fix owner and
 * mode, write data, preallocate unwritten ranges, set the size, set xattrs.
 * Timestamps come last, in a pass of their own, because creating entries
 * changes a directory's mtime and linking or setting an xattr changes an
 * inode's ctime.
 */
#include "mkimage.h"
#include "backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct build {
	struct spec *s;
	struct xb_mount *m;
	struct obj *o;	     /* object being built, for messages */
	struct xb_inode *ip; /* its inode */
	unsigned char *buf;
};

static int fail(struct build *b, const char *what, int error)
{
	struct obj *o = b->o;

	if (o && o->line)
		fprintf(stderr, "xfsfuse-mkimage: spec line %d: %s %s: %s: %s\n", o->line,
			obj_type_name(o->type), o->path, what, strerror(-error));
	else if (o)
		fprintf(stderr, "xfsfuse-mkimage: %s %s: %s: %s\n", obj_type_name(o->type), o->path,
			what, strerror(-error));
	else
		fprintf(stderr, "xfsfuse-mkimage: %s: %s\n", what, strerror(-error));
	return error;
}

static int write_range(void *ctx, uint64_t off, uint64_t len)
{
	struct build *b = ctx;

	while (len) {
		size_t n = len < CHUNK ? len : CHUNK, done = 0;

		content_expected(b->o, off, b->buf, n);
		while (done < n) {
			int r = xb_write(b->ip, b->buf + done, n - done, off + done);

			if (r < 0)
				return fail(b, "xb_write", r);
			if (r == 0)
				return fail(b, "xb_write (no progress)", -EIO);
			done += r;
		}
		off += n;
		len -= n;
	}
	return 0;
}

static int build_file_data(struct build *b)
{
	struct obj *o = b->o;
	struct xb_stat st;
	size_t i;
	int error;

	error = content_for_each_data(o, write_range, b);
	if (error)
		return error;
	for (i = 0; i < o->nunwritten; i++) {
		error = xb_prealloc(b->ip, o->unwritten[i].off, o->unwritten[i].len, true);
		if (error)
			return fail(b, "xb_prealloc", error);
	}
	/* A trailing hole or unwritten range: extend the size without data. */
	error = xb_getattr(b->ip, &st);
	if (error)
		return fail(b, "xb_getattr", error);
	if (st.size != o->size) {
		struct xb_setattr sa = {.valid = XB_SET_SIZE, .size = o->size};

		error = xb_setattr(b->ip, &sa, &st);
		if (error)
			return fail(b, "xb_setattr(size)", error);
	}
	return 0;
}

/* New inodes get the creator's ids, and a setgid parent may change gid/mode. */
static int fix_owner_mode(struct build *b)
{
	struct obj *o = b->o;
	struct xb_setattr sa = {0};
	struct xb_stat st;
	int error = xb_getattr(b->ip, &st);

	if (error)
		return fail(b, "xb_getattr", error);
	if (st.uid != o->uid || st.gid != o->gid) {
		sa.valid |= XB_SET_UID | XB_SET_GID;
		sa.uid = o->uid;
		sa.gid = o->gid;
	}
	/* chown clears suid/sgid, so the mode goes last (and always after ids) */
	if ((st.mode & 07777) != o->mode || sa.valid) {
		if (o->type != OBJ_SYMLINK) {
			sa.valid |= XB_SET_MODE;
			sa.mode = (st.mode & S_IFMT) | o->mode;
		}
	}
	if (!sa.valid)
		return 0;
	error = xb_setattr(b->ip, &sa, &st);
	if (error)
		return fail(b, "xb_setattr(owner/mode)", error);
	if (o->type != OBJ_SYMLINK && (st.mode & 07777) != o->mode)
		return fail(b, "mode not applied", -EIO);
	return 0;
}

static int build_xattrs(struct build *b)
{
	struct obj *o = b->o;
	size_t i;

	for (i = 0; i < o->nxattrs; i++) {
		int error = xb_setxattr(b->ip, o->xattrs[i].name, o->xattrs[i].val,
					o->xattrs[i].len, 0);

		if (error) {
			char what[300];

			snprintf(what, sizeof(what), "xb_setxattr(%s)", o->xattrs[i].name);
			return fail(b, what, error);
		}
	}
	return 0;
}

static uint32_t create_mode(const struct obj *o)
{
	return obj_ifmt(o) | o->mode;
}

/* Make the inode of @o (or the new name of a hard link) in its parent. */
static int build_create(struct build *b)
{
	struct obj *o = b->o;
	struct xb_cred cr = {.uid = o->uid, .gid = o->gid};
	struct xb_inode *dir;
	int error;

	error = xb_iget(b->m, o->parent->ino, &dir);
	if (error)
		return fail(b, "xb_iget(parent)", error);
	switch (o->type) {
	case OBJ_SYMLINK:
		error = xb_symlink(dir, o->name, o->link_target, &cr, &b->ip);
		if (error)
			fail(b, "xb_symlink", error);
		break;
	case OBJ_HARDLINK:
		error = xb_iget(b->m, o->target->ino, &b->ip);
		if (error) {
			fail(b, "xb_iget(link target)", error);
			break;
		}
		error = xb_link(b->ip, dir, o->name);
		if (error)
			fail(b, "xb_link", error);
		break;
	default:
		error = xb_create(dir, o->name, create_mode(o), o->rdev, &cr, &b->ip);
		if (error)
			fail(b, "xb_create", error);
		break;
	}
	xb_iput(dir);
	return error;
}

static int build_obj(struct build *b, struct obj *o)
{
	int error;

	b->o = o;
	b->ip = NULL;
	if (o == b->s->objs[0])
		error = xb_iget(b->m, xb_root_ino(b->m), &b->ip);
	else
		error = build_create(b);
	if (error)
		goto out;
	o->ino = xb_ino(b->ip);
	if (o->type == OBJ_HARDLINK)
		goto out;
	error = fix_owner_mode(b);
	if (!error && o->type == OBJ_FILE)
		error = build_file_data(b);
	if (!error)
		error = build_xattrs(b);
out:
	if (b->ip)
		xb_iput(b->ip);
	b->ip = NULL;
	return error;
}

static int build_times(struct build *b, struct obj *o)
{
	struct xb_setattr sa = {0};
	struct xb_stat st;
	struct timespec t;
	int error;

	if (o->type == OBJ_HARDLINK || !obj_mtime(b->s, o, &t))
		return 0;
	b->o = o;
	sa.valid = XB_SET_ATIME | XB_SET_MTIME;
	sa.atime = t;
	sa.mtime = t;
	if (b->s->fixed_time) {
		sa.valid |= XB_SET_CTIME;
		sa.ctime = b->s->time;
	}
	error = xb_iget(b->m, o->ino, &b->ip);
	if (error)
		return fail(b, "xb_iget", error);
	error = xb_setattr(b->ip, &sa, &st);
	xb_iput(b->ip);
	b->ip = NULL;
	if (error)
		return fail(b, "xb_setattr(times)", error);
	return 0;
}

int build_image(struct spec *s, const char *image)
{
	struct xb_mount_opts mo = {.image = image, .readonly = false, .quiet = true};
	struct build b = {.s = s};
	char why[512];
	size_t i;
	int error, err2;

	b.buf = malloc(CHUNK);
	if (!b.buf)
		return -ENOMEM;
	error = xb_mount(&mo, &b.m, why, sizeof(why));
	if (error) {
		fprintf(stderr, "xfsfuse-mkimage: backend mount: %s (%s)\n", why, strerror(-error));
		free(b.buf);
		return error;
	}
	for (i = 0; i < s->nobjs && !error; i++)
		error = build_obj(&b, s->objs[i]);
	for (i = 0; i < s->nobjs && !error; i++)
		error = build_times(&b, s->objs[i]);
	b.o = NULL;
	err2 = xb_unmount(b.m);
	if (err2) {
		fail(&b, "xb_unmount", err2);
		if (!error)
			error = err2;
	}
	free(b.buf);
	return error;
}
