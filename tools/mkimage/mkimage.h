/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfsfuse-mkimage: reproducible XFS test images.
 *
 * The spec (doc/mkimage.md) is parsed into a flat list of objects, parents
 * before children.  Three consumers walk that list: build.c creates the tree
 * in an image through our backend, posix.c creates it in any directory with
 * plain syscalls, verify.c checks a mounted tree against it.  The file
 * contents are a pure function of (seed, path, offset) (content.c), so the
 * verifier needs nothing but the spec and the seed.
 */
#ifndef XFSFUSE_MKIMAGE_H
#define XFSFUSE_MKIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum obj_type {
	OBJ_DIR,
	OBJ_FILE,
	OBJ_SYMLINK,
	OBJ_FIFO,
	OBJ_SOCK,
	OBJ_CHR,
	OBJ_BLK,
	OBJ_HARDLINK, /* another name of ->target */
};

struct range {
	uint64_t off, len;
};

struct xattr {
	char *name;
	unsigned char *val;
	size_t len;
};

struct obj {
	enum obj_type type;
	char *path;	  /* normalised, relative to the root; "." is the root */
	const char *name; /* last component (points into path) */
	struct obj *parent;
	struct obj *target; /* OBJ_HARDLINK */
	int line;	    /* spec line that declared it (0: implicit parent) */
	bool declared;	    /* named by a directive (not only a parent) */
	uint32_t mode;	    /* permission bits, 07777 */
	uint32_t uid, gid;
	uint64_t rdev;	      /* makedev() form */
	uint64_t size;	      /* OBJ_FILE */
	bool zero_content;    /* content=zero: data written, all zero bytes */
	struct range *zeroes; /* holes + unwritten, sorted, merged: read as 0 */
	size_t nzeroes;
	struct range *unwritten; /* preallocated, as declared */
	size_t nunwritten;
	char *link_target; /* OBJ_SYMLINK */
	struct xattr *xattrs;
	size_t nxattrs;
	uint32_t nlink;	   /* non-directories: 1 + hard links */
	uint32_t nsubdirs; /* directories */
	bool has_mtime;
	struct timespec mtime;
	uint64_t content_key; /* content.c key of the file's bytes */
	uint64_t ino;	      /* set by build.c */
	struct obj *hnext;    /* path hash chain */
	struct obj *child;    /* first child (directories) */
	struct obj *sibling;
};

struct spec {
	struct obj **objs; /* objs[0] is the root "." */
	size_t nobjs, cap;
	struct obj **htab;
	size_t hsize;
	uint64_t seed;
	bool fixed_time; /* set every timestamp to @time (else leave "now") */
	struct timespec time;
};

/* spec.c */
int spec_parse_file(struct spec *s, const char *file);
struct obj *spec_find(struct spec *s, const char *path);
/* A spec with only the root directory (xfsfuse-mkimage --owner without SPEC). */
void spec_init(struct spec *s);
void spec_free(struct spec *s);
int parse_size(const char *str, uint64_t *out);
int parse_time(const char *str, struct timespec *ts); /* SEC[.FRACTION] */
const char *obj_type_name(enum obj_type t);
/* File type bits (S_IFREG...) of an object (hard links: of the target). */
uint32_t obj_ifmt(const struct obj *o);
/* Expected mtime of an object, if it is fixed. */
bool obj_mtime(const struct spec *s, const struct obj *o, struct timespec *ts);

/* content.c: deterministic bytes */
uint64_t content_key(uint64_t seed, const char *path, const char *salt);
void content_fill(uint64_t key, uint64_t off, void *buf, size_t len);
/* The bytes a file must read back at [off, off+len): data, zero ranges zeroed. */
void content_expected(const struct obj *o, uint64_t off, void *buf, size_t len);
/*
 * Call @fn for each maximal range of a file that carries data (outside the
 * holes and unwritten ranges, inside its size).  Stops at the first non-zero
 * return and returns it.
 */
int content_for_each_data(const struct obj *o, int (*fn)(void *ctx, uint64_t off, uint64_t len),
			  void *ctx);

/* build.c: the image through the backend */
int build_image(struct spec *s, const char *image);
/* posix.c: populate an existing directory with plain syscalls */
int populate_dir(struct spec *s, const char *dir);
/* verify.c: 0 if the tree matches, 1 on mismatches, 2 on usage errors */
struct verify_opts {
	bool allow_extra; /* do not report entries the spec does not name */
	bool check_times; /* compare mtimes */
	long max_reports;
};
int verify_tree(struct spec *s, const char *dir, const struct verify_opts *vo);

#define CHUNK (1U << 20)

#endif
