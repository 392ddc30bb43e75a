// SPDX-License-Identifier: GPL-2.0
/*
 * Populate an existing directory (a FUSE mount, a tmpfs, anything) with the
 * spec's tree using plain syscalls: the same tree build.c makes through the
 * backend, so tests can build it either way and compare.  ctime cannot be set
 * through POSIX; only atime and mtime are.
 */
#include "mkimage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

struct pop {
	struct spec *s;
	int rootfd;
	struct obj *o;
	int fd;
	unsigned char *buf;
};

static int pfail(struct pop *p, const char *what)
{
	int error = -errno;

	fprintf(stderr, "xfsfuse-mkimage: spec line %d: %s %s: %s: %s\n", p->o->line,
		obj_type_name(p->o->type), p->o->path, what, strerror(errno));
	return error ? error : -EIO;
}

static int pwrite_range(void *ctx, uint64_t off, uint64_t len)
{
	struct pop *p = ctx;

	while (len) {
		size_t n = len < CHUNK ? len : CHUNK, done = 0;

		content_expected(p->o, off, p->buf, n);
		while (done < n) {
			ssize_t r = pwrite(p->fd, p->buf + done, n - done, off + done);

			if (r < 0)
				return pfail(p, "pwrite");
			done += r;
		}
		off += n;
		len -= n;
	}
	return 0;
}

static int pop_file(struct pop *p)
{
	struct obj *o = p->o;
	size_t i;
	int error;

	p->fd = openat(p->rootfd, o->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (p->fd < 0)
		return pfail(p, "open");
	error = content_for_each_data(o, pwrite_range, p);
	for (i = 0; !error && i < o->nunwritten; i++)
		if (fallocate(p->fd, FALLOC_FL_KEEP_SIZE, o->unwritten[i].off,
			      o->unwritten[i].len) < 0)
			error = pfail(p, "fallocate");
	if (!error && ftruncate(p->fd, o->size) < 0)
		error = pfail(p, "ftruncate");
	if (close(p->fd) < 0 && !error)
		error = pfail(p, "close");
	return error;
}

static int pop_create(struct pop *p)
{
	struct obj *o = p->o;

	switch (o->type) {
	case OBJ_DIR:
		if (o == p->s->objs[0])
			return 0;
		if (mkdirat(p->rootfd, o->path, 0700) < 0)
			return pfail(p, "mkdir");
		return 0;
	case OBJ_FILE:
		return pop_file(p);
	case OBJ_SYMLINK:
		if (symlinkat(o->link_target, p->rootfd, o->path) < 0)
			return pfail(p, "symlink");
		return 0;
	case OBJ_HARDLINK:
		if (linkat(p->rootfd, o->target->path, p->rootfd, o->path, 0) < 0)
			return pfail(p, "link");
		return 0;
	default:
		if (mknodat(p->rootfd, o->path, obj_ifmt(o) | 0600, o->rdev) < 0)
			return pfail(p, "mknod");
		return 0;
	}
}

static int pop_attrs(struct pop *p)
{
	struct obj *o = p->o;
	char path[4200];
	size_t i;

	if (o->type == OBJ_HARDLINK)
		return 0;
	if (fchownat(p->rootfd, o->path, o->uid, o->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return pfail(p, "chown");
	if (o->type != OBJ_SYMLINK && fchmodat(p->rootfd, o->path, o->mode, 0) < 0)
		return pfail(p, "chmod");
	/* no l*xattrat before Linux 6.13's setxattrat: go through /proc */
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", p->rootfd, o->path);
	for (i = 0; i < o->nxattrs; i++)
		if (lsetxattr(path, o->xattrs[i].name, o->xattrs[i].val, o->xattrs[i].len, 0) < 0)
			return pfail(p, o->xattrs[i].name);
	return 0;
}

static int pop_times(struct pop *p)
{
	struct obj *o = p->o;
	struct timespec ts[2];

	if (o->type == OBJ_HARDLINK || !obj_mtime(p->s, o, &ts[1]))
		return 0;
	ts[0] = ts[1];
	if (utimensat(p->rootfd, o->path, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return pfail(p, "utimensat");
	return 0;
}

int populate_dir(struct spec *s, const char *dir)
{
	struct pop p = {.s = s};
	size_t i;
	int error = 0;

	p.rootfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (p.rootfd < 0) {
		fprintf(stderr, "xfsfuse-mkimage: %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	p.buf = malloc(CHUNK);
	if (!p.buf) {
		close(p.rootfd);
		return -ENOMEM;
	}
	for (i = 0; i < s->nobjs && !error; i++) {
		p.o = s->objs[i];
		error = pop_create(&p);
		if (!error)
			error = pop_attrs(&p);
	}
	for (i = 0; i < s->nobjs && !error; i++) {
		p.o = s->objs[i];
		error = pop_times(&p);
	}
	free(p.buf);
	close(p.rootfd);
	return error;
}
