// SPDX-License-Identifier: GPL-2.0
/*
 * Check a mounted tree (kernel or FUSE) against the spec with plain syscalls:
 * types, modes, owners, link counts, sizes, bytes (holes and unwritten ranges
 * read as zeroes), link targets, device numbers, xattrs, mtimes, and that no
 * directory holds an entry the spec does not name.
 */
#include "mkimage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

struct ver {
	struct spec *s;
	const struct verify_opts *vo;
	int rootfd;
	long bad;
	unsigned char *want, *got;
};

static void __attribute__((format(printf, 3, 4)))
mismatch(struct ver *v, const struct obj *o, const char *fmt, ...)
{
	va_list ap;

	if (v->bad++ >= v->vo->max_reports) {
		if (v->bad == v->vo->max_reports + 1)
			printf("... (more mismatches not shown)\n");
		return;
	}
	printf("%s: ", o->path);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void proc_path(struct ver *v, const struct obj *o, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d/%s", v->rootfd, o->path);
}

static void check_content(struct ver *v, const struct obj *o)
{
	int fd = openat(v->rootfd, o->path, O_RDONLY | O_NOFOLLOW);
	uint64_t off = 0;

	if (fd < 0) {
		mismatch(v, o, "cannot open: %s", strerror(errno));
		return;
	}
	for (;;) {
		ssize_t r = pread(fd, v->got, CHUNK, off);
		size_t want = o->size - off < CHUNK ? o->size - off : CHUNK;

		if (r < 0) {
			mismatch(v, o, "read at %" PRIu64 ": %s", off, strerror(errno));
			break;
		}
		if ((size_t) r != want) {
			mismatch(v, o, "read at %" PRIu64 " returned %zd bytes, expected %zu", off,
				 r, want);
			break;
		}
		if (!r)
			break;
		content_expected(o, off, v->want, r);
		if (memcmp(v->want, v->got, r)) {
			ssize_t i = 0;

			while (v->want[i] == v->got[i])
				i++;
			mismatch(v, o,
				 "content differs at byte %" PRIu64
				 " (expected 0x%02x, got 0x%02x)",
				 off + i, v->want[i], v->got[i]);
			break;
		}
		off += r;
	}
	close(fd);
}

static void check_link(struct ver *v, const struct obj *o)
{
	char buf[4097];
	ssize_t n = readlinkat(v->rootfd, o->path, buf, sizeof(buf) - 1);

	if (n < 0) {
		mismatch(v, o, "readlink: %s", strerror(errno));
		return;
	}
	buf[n] = '\0';
	if (strcmp(buf, o->link_target))
		mismatch(v, o,
			 "link target is \"%.60s%s\" (%zd bytes), expected \"%.60s%s\" (%zu bytes)",
			 buf, n > 60 ? "..." : "", n, o->link_target,
			 strlen(o->link_target) > 60 ? "..." : "", strlen(o->link_target));
}

static bool xattr_expected(const struct obj *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->nxattrs; i++)
		if (!strcmp(o->xattrs[i].name, name))
			return true;
	return false;
}

static void check_xattrs(struct ver *v, const struct obj *o)
{
	char path[4200], *list;
	ssize_t n, i;
	size_t k;

	proc_path(v, o, path, sizeof(path));
	for (k = 0; k < o->nxattrs; k++) {
		const struct xattr *x = &o->xattrs[k];

		n = lgetxattr(path, x->name, v->got, CHUNK);
		if (n < 0)
			mismatch(v, o, "xattr %s: %s", x->name, strerror(errno));
		else if ((size_t) n != x->len || memcmp(v->got, x->val, n))
			mismatch(v, o, "xattr %s: value differs (%zd bytes, expected %zu)", x->name,
				 n, x->len);
	}
	if (v->vo->allow_extra)
		return;
	n = llistxattr(path, NULL, 0);
	if (n <= 0) {
		if (n < 0 && errno != ENOTSUP)
			mismatch(v, o, "listxattr: %s", strerror(errno));
		return;
	}
	list = malloc(n + 64);
	if (!list)
		return;
	n = llistxattr(path, list, n + 64);
	for (i = 0; i < n; i += strlen(list + i) + 1) {
		bool ours = !strncmp(list + i, "user.", 5) || !strncmp(list + i, "trusted.", 8);

		if (ours && !xattr_expected(o, list + i))
			mismatch(v, o, "unexpected xattr %s", list + i);
	}
	free(list);
}

static void check_entries(struct ver *v, const struct obj *o)
{
	int fd = openat(v->rootfd, o->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	char path[4400];
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		mismatch(v, o, "opendir: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (o == v->s->objs[0]) {
			if (!strcmp(de->d_name, "lost+found"))
				continue;
			snprintf(path, sizeof(path), "%s", de->d_name);
		} else {
			snprintf(path, sizeof(path), "%s/%s", o->path, de->d_name);
		}
		if (!spec_find(v->s, path))
			mismatch(v, o, "unexpected entry %s", de->d_name);
	}
	if (errno)
		mismatch(v, o, "readdir: %s", strerror(errno));
	closedir(d);
}

static const char *ifmt_name(uint32_t m)
{
	switch (m & S_IFMT) {
	case S_IFDIR:
		return "dir";
	case S_IFREG:
		return "file";
	case S_IFLNK:
		return "symlink";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "sock";
	case S_IFCHR:
		return "chr";
	case S_IFBLK:
		return "blk";
	default:
		return "unknown";
	}
}

static void check_inode(struct ver *v, const struct obj *o, const struct obj *t,
			const struct stat *st)
{
	struct timespec ts;

	if (t->type != OBJ_SYMLINK && (st->st_mode & 07777) != t->mode)
		mismatch(v, o, "mode %04o, expected %04o", st->st_mode & 07777, t->mode);
	if (st->st_uid != t->uid || st->st_gid != t->gid)
		mismatch(v, o, "owner %u:%u, expected %u:%u", st->st_uid, st->st_gid, t->uid,
			 t->gid);
	if (t->type == OBJ_DIR) {
		if (!v->vo->allow_extra && st->st_nlink != 2 + t->nsubdirs)
			mismatch(v, o, "nlink %ju, expected %u", (uintmax_t) st->st_nlink,
				 2 + t->nsubdirs);
	} else if (st->st_nlink != t->nlink) {
		mismatch(v, o, "nlink %ju, expected %u", (uintmax_t) st->st_nlink, t->nlink);
	}
	if (t->type == OBJ_FILE && (uint64_t) st->st_size != t->size)
		mismatch(v, o, "size %jd, expected %" PRIu64, (intmax_t) st->st_size, t->size);
	if ((t->type == OBJ_CHR || t->type == OBJ_BLK) && st->st_rdev != t->rdev)
		mismatch(v, o, "rdev %u:%u, expected %u:%u", major(st->st_rdev), minor(st->st_rdev),
			 major(t->rdev), minor(t->rdev));
	if (v->vo->check_times && obj_mtime(v->s, t, &ts) &&
	    (st->st_mtim.tv_sec != ts.tv_sec || st->st_mtim.tv_nsec != ts.tv_nsec))
		mismatch(v, o, "mtime %jd.%09ld, expected %jd.%09ld", (intmax_t) st->st_mtim.tv_sec,
			 st->st_mtim.tv_nsec, (intmax_t) ts.tv_sec, ts.tv_nsec);
}

static void verify_obj(struct ver *v, struct obj *o)
{
	struct obj *t = o->type == OBJ_HARDLINK ? o->target : o;
	struct stat st;

	if (fstatat(v->rootfd, o->path, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		mismatch(v, o, "missing: %s", strerror(errno));
		return;
	}
	if ((st.st_mode & S_IFMT) != obj_ifmt(o)) {
		mismatch(v, o, "is a %s, expected a %s", ifmt_name(st.st_mode),
			 ifmt_name(obj_ifmt(o)));
		return;
	}
	if (o->type == OBJ_HARDLINK) {
		if (t->ino && st.st_ino != t->ino)
			mismatch(v, o, "inode %ju is not the inode of %s (%ju)",
				 (uintmax_t) st.st_ino, t->path, (uintmax_t) t->ino);
		return; /* the rest was checked through the target */
	}
	o->ino = st.st_ino;
	check_inode(v, o, t, &st);
	if (o->type == OBJ_FILE && (uint64_t) st.st_size == o->size)
		check_content(v, o);
	if (o->type == OBJ_SYMLINK)
		check_link(v, o);
	if (o->type == OBJ_DIR && !v->vo->allow_extra)
		check_entries(v, o);
	check_xattrs(v, o);
}

int verify_tree(struct spec *s, const char *dir, const struct verify_opts *vo)
{
	struct ver v = {.s = s, .vo = vo};
	size_t i;

	v.rootfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (v.rootfd < 0) {
		fprintf(stderr, "xfsfuse-mkimage: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	v.want = malloc(CHUNK);
	v.got = malloc(CHUNK);
	if (!v.want || !v.got) {
		fprintf(stderr, "xfsfuse-mkimage: out of memory\n");
		return 2;
	}
	for (i = 0; i < s->nobjs; i++)
		verify_obj(&v, s->objs[i]);
	free(v.want);
	free(v.got);
	close(v.rootfd);
	if (v.bad) {
		printf("%ld mismatches in %zu objects\n", v.bad, s->nobjs);
		return 1;
	}
	printf("verified %zu objects: no mismatches\n", s->nobjs);
	return 0;
}
