// SPDX-License-Identifier: GPL-2.0
/*
 * The spec parser: text -> flat list of objects (parents first).
 *
 * Everything is checked here, before any image is made, so that a typo gives
 * a message with its line number instead of a half-built image.  The format
 * is described in doc/mkimage.md.
 */
#include "mkimage.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define MAX_TOKENS	256
#define XFS_NAME_MAX	255
#define XFS_SYMLINK_MAX 1024
#define XATTR_VALUE_MAX 65536

struct ctx {
	struct spec *s;
	const char *file;
	int line;
};

#define perr(c, fmt, ...) fprintf(stderr, "%s:%d: " fmt "\n", (c)->file, (c)->line, ##__VA_ARGS__)

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "xfsfuse-mkimage: out of memory\n");
		exit(2);
	}
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "xfsfuse-mkimage: out of memory\n");
		exit(2);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

const char *obj_type_name(enum obj_type t)
{
	static const char *const names[] = {
		[OBJ_DIR] = "dir",   [OBJ_FILE] = "file",	  [OBJ_SYMLINK] = "symlink",
		[OBJ_FIFO] = "fifo", [OBJ_SOCK] = "sock",	  [OBJ_CHR] = "chr",
		[OBJ_BLK] = "blk",   [OBJ_HARDLINK] = "hardlink",
	};
	return names[t];
}

uint32_t obj_ifmt(const struct obj *o)
{
	if (o->type == OBJ_HARDLINK)
		o = o->target;
	switch (o->type) {
	case OBJ_DIR:
		return S_IFDIR;
	case OBJ_FILE:
		return S_IFREG;
	case OBJ_SYMLINK:
		return S_IFLNK;
	case OBJ_FIFO:
		return S_IFIFO;
	case OBJ_SOCK:
		return S_IFSOCK;
	case OBJ_CHR:
		return S_IFCHR;
	case OBJ_BLK:
		return S_IFBLK;
	default:
		return 0;
	}
}

bool obj_mtime(const struct spec *s, const struct obj *o, struct timespec *ts)
{
	if (o->type == OBJ_HARDLINK)
		o = o->target;
	if (o->has_mtime) {
		*ts = o->mtime;
		return true;
	}
	if (s->fixed_time) {
		*ts = s->time;
		return true;
	}
	return false;
}

/* ---- numbers ---- */

int parse_size(const char *str, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (!isdigit((unsigned char) *str))
		return -EINVAL;
	errno = 0;
	v = strtoull(str, &end, 0);
	if (errno)
		return -EINVAL;
	switch (toupper((unsigned char) *end)) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		end++;
		break;
	case 'M':
		shift = 20;
		end++;
		break;
	case 'G':
		shift = 30;
		end++;
		break;
	case 'T':
		shift = 40;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (shift && (!strcmp(end, "iB") || !strcmp(end, "B")))
		end += strlen(end);
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t) v << shift;
	return 0;
}

static int parse_u32(const char *str, int base, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char) *str))
		return -EINVAL;
	errno = 0;
	v = strtoull(str, &end, base);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

/* SEC[.FRACTION], fraction up to nanoseconds. */
int parse_time(const char *str, struct timespec *ts)
{
	char *end;
	long long sec;
	long nsec = 0;
	int digits = 0;

	if (!isdigit((unsigned char) *str) && *str != '-')
		return -EINVAL;
	errno = 0;
	sec = strtoll(str, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end == '.') {
		for (end++; isdigit((unsigned char) *end) && digits < 9; end++, digits++)
			nsec = nsec * 10 + (*end - '0');
		if (!digits)
			return -EINVAL;
		for (; digits < 9; digits++)
			nsec *= 10;
	}
	if (*end)
		return -EINVAL;
	ts->tv_sec = sec;
	ts->tv_nsec = nsec;
	return 0;
}

static int parse_devno(const char *str, uint64_t *rdev)
{
	uint32_t maj, min;
	char buf[64], *colon;

	if (strlen(str) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, str);
	colon = strchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (parse_u32(buf, 10, &maj) || parse_u32(colon + 1, 10, &min) || maj > 4095 ||
	    min > 0xfffff)
		return -EINVAL;
	*rdev = makedev(maj, min);
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* "OFF:LEN,START-END,..." appended to *rs. */
static int parse_ranges(const char *str, struct range **rs, size_t *n)
{
	char *copy = xstrdup(str), *save = NULL, *tok;
	int error = 0;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *sep = strpbrk(tok, ":-");
		uint64_t a, b;
		struct range r;
		char kind;

		if (!sep) {
			error = -EINVAL;
			break;
		}
		kind = *sep;
		*sep = '\0';
		if (parse_size(tok, &a) || parse_size(sep + 1, &b) || (kind == '-' && b < a) ||
		    (kind == ':' && a + b < a)) {
			error = -EINVAL;
			break;
		}
		r.off = a;
		r.len = kind == '-' ? b - a : b;
		if (!r.len)
			continue;
		*rs = xrealloc(*rs, (*n + 1) * sizeof(**rs));
		(*rs)[(*n)++] = r;
	}
	free(copy);
	return error;
}

/* Sort and merge zero ranges so that content.c can walk them in order. */
static void merge_ranges(struct range *rs, size_t *n)
{
	size_t i, out = 0;

	if (!*n)
		return;
	qsort(rs, *n, sizeof(*rs), cmp_range);
	for (i = 1; i < *n; i++) {
		struct range *last = &rs[out];

		if (rs[i].off <= last->off + last->len) {
			uint64_t end = rs[i].off + rs[i].len;

			if (end > last->off + last->len)
				last->len = end - last->off;
		} else {
			rs[++out] = rs[i];
		}
	}
	*n = out + 1;
}

/* ---- tokenizer ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Split a line into tokens in place: whitespace separates, '#' at the start
 * of a token begins a comment, double quotes group (with \\ \" \n \t \xHH).
 */
static int tokenize(struct ctx *c, char *line, char **tok, int max)
{
	char *r = line, *w;
	int n = 0;

	for (;;) {
		bool quoted = false;

		while (isspace((unsigned char) *r))
			r++;
		if (!*r || *r == '#')
			return n;
		if (n == max) {
			perr(c, "too many tokens");
			return -1;
		}
		tok[n++] = w = r;
		while (*r && (quoted || !isspace((unsigned char) *r))) {
			if (*r == '"') {
				quoted = !quoted;
				r++;
				continue;
			}
			if (quoted && *r == '\\' && r[1]) {
				r++;
				switch (*r) {
				case 'n':
					*w++ = '\n';
					r++;
					break;
				case 't':
					*w++ = '\t';
					r++;
					break;
				case 'x':
					if (hexval(r[1]) < 0 || hexval(r[2]) < 0 ||
					    !(hexval(r[1]) | hexval(r[2]))) {
						perr(c, "bad \\x escape");
						return -1;
					}
					*w++ = hexval(r[1]) * 16 + hexval(r[2]);
					r += 3;
					break;
				default:
					*w++ = *r++;
					break;
				}
				continue;
			}
			*w++ = *r++;
		}
		if (quoted) {
			perr(c, "unterminated quote");
			return -1;
		}
		if (*r)
			r++;
		*w = '\0';
	}
}

/* ---- objects ---- */

static uint64_t path_hash(const char *p)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *p; p++)
		h = (h ^ (unsigned char) *p) * 0x100000001b3ULL;
	return h;
}

struct obj *spec_find(struct spec *s, const char *path)
{
	struct obj *o;

	for (o = s->htab[path_hash(path) & (s->hsize - 1)]; o; o = o->hnext)
		if (!strcmp(o->path, path))
			return o;
	return NULL;
}

static void hash_insert(struct spec *s, struct obj *o)
{
	size_t b;

	if (s->nobjs >= s->hsize) {
		struct obj **old = s->htab;
		size_t oldsize = s->hsize, i;

		s->hsize *= 2;
		s->htab = calloc(s->hsize, sizeof(*s->htab));
		if (!s->htab) {
			fprintf(stderr, "xfsfuse-mkimage: out of memory\n");
			exit(2);
		}
		for (i = 0; i < oldsize; i++) {
			struct obj *p = old[i], *next;

			for (; p; p = next) {
				next = p->hnext;
				b = path_hash(p->path) & (s->hsize - 1);
				p->hnext = s->htab[b];
				s->htab[b] = p;
			}
		}
		free(old);
	}
	b = path_hash(o->path) & (s->hsize - 1);
	o->hnext = s->htab[b];
	s->htab[b] = o;
}

static struct obj *obj_new(struct spec *s, const char *path, enum obj_type type)
{
	struct obj *o = calloc(1, sizeof(*o));
	const char *slash;

	if (!o) {
		fprintf(stderr, "xfsfuse-mkimage: out of memory\n");
		exit(2);
	}
	o->type = type;
	o->path = xstrdup(path);
	slash = strrchr(o->path, '/');
	o->name = slash ? slash + 1 : o->path;
	o->mode = type == OBJ_DIR ? 0755 : type == OBJ_SYMLINK ? 0777 : 0644;
	o->nlink = 1;
	hash_insert(s, o);
	if (s->nobjs == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->objs = xrealloc(s->objs, s->cap * sizeof(*s->objs));
	}
	s->objs[s->nobjs++] = o;
	return o;
}

/* Canonical form: no leading "/" or "./", no empty or "." components, no "..". */
static int normalise(struct ctx *c, const char *in, char *out, size_t outlen)
{
	const char *p = in;
	size_t w = 0;

	if (!strcmp(in, ".") || !strcmp(in, "/") || !strcmp(in, "./")) {
		strcpy(out, ".");
		return 0;
	}
	while (*p) {
		const char *e;
		size_t len;

		while (*p == '/')
			p++;
		e = strchrnul(p, '/');
		len = e - p;
		if (len == 0)
			break;
		if (len == 1 && p[0] == '.') {
			p = e;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			perr(c, "\"..\" is not allowed in paths: %s", in);
			return -1;
		}
		if (len > XFS_NAME_MAX) {
			perr(c, "name longer than %d bytes in %s", XFS_NAME_MAX, in);
			return -1;
		}
		if (w + len + 2 > outlen) {
			perr(c, "path too long: %s", in);
			return -1;
		}
		if (w)
			out[w++] = '/';
		memcpy(out + w, p, len);
		w += len;
		p = e;
	}
	if (!w) {
		strcpy(out, ".");
		return 0;
	}
	out[w] = '\0';
	return 0;
}

static struct obj *ensure_parent(struct ctx *c, const char *path)
{
	char buf[4096];
	char *slash;
	struct obj *p;

	strcpy(buf, path);
	slash = strrchr(buf, '/');
	if (!slash)
		return c->s->objs[0];
	*slash = '\0';
	p = spec_find(c->s, buf);
	if (p) {
		if (p->type != OBJ_DIR) {
			perr(c, "%s: parent %s is a %s (line %d), not a directory", path, buf,
			     obj_type_name(p->type), p->line);
			return NULL;
		}
		return p;
	}
	p = ensure_parent(c, buf);
	if (!p)
		return NULL;
	{
		struct obj *d = obj_new(c->s, buf, OBJ_DIR);

		d->parent = p;
		d->sibling = p->child;
		p->child = d;
		p->nsubdirs++;
		return d;
	}
}

/* Declare @rawpath as a new object of @type (or an implicit directory as declared). */
static struct obj *declare(struct ctx *c, const char *rawpath, enum obj_type type)
{
	char path[4096];
	struct obj *o, *parent;

	if (normalise(c, rawpath, path, sizeof(path)))
		return NULL;
	o = spec_find(c->s, path);
	if (o) {
		if (o->type == OBJ_DIR && type == OBJ_DIR && !o->declared) {
			o->declared = true;
			o->line = c->line;
			return o;
		}
		if (o->declared)
			perr(c, "%s is already declared at line %d", path, o->line);
		else
			perr(c, "%s is the parent directory of something declared earlier", path);
		return NULL;
	}
	parent = ensure_parent(c, path);
	if (!parent)
		return NULL;
	o = obj_new(c->s, path, type);
	o->declared = true;
	o->line = c->line;
	o->parent = parent;
	o->sibling = parent->child;
	parent->child = o;
	if (type == OBJ_DIR)
		parent->nsubdirs++;
	return o;
}

static struct obj *find_declared(struct ctx *c, const char *rawpath)
{
	char path[4096];
	struct obj *o;

	if (normalise(c, rawpath, path, sizeof(path)))
		return NULL;
	o = spec_find(c->s, path);
	if (!o)
		perr(c, "%s is not declared before this line", path);
	return o;
}

/* ---- attributes ---- */

/* mode= uid= gid= mtime=: 1 if handled, 0 if not ours, -1 on error. */
static int attr_common(struct ctx *c, struct obj *o, const char *key, const char *val)
{
	if (!strcmp(key, "mode")) {
		if (parse_u32(val, 8, &o->mode) || o->mode > 07777) {
			perr(c, "bad mode %s (octal, at most 07777)", val);
			return -1;
		}
		if (o->type == OBJ_SYMLINK && o->mode != 0777) {
			perr(c, "symlinks always have mode 0777");
			return -1;
		}
		return 1;
	}
	if (!strcmp(key, "uid") || !strcmp(key, "gid")) {
		if (parse_u32(val, 10, key[0] == 'u' ? &o->uid : &o->gid) ||
		    (key[0] == 'u' ? o->uid : o->gid) == UINT32_MAX) {
			perr(c, "bad %s %s", key, val);
			return -1;
		}
		return 1;
	}
	if (!strcmp(key, "mtime")) {
		if (parse_time(val, &o->mtime)) {
			perr(c, "bad mtime %s (SECONDS[.FRACTION])", val);
			return -1;
		}
		o->has_mtime = true;
		return 1;
	}
	return 0;
}

static int attr_file(struct ctx *c, struct obj *o, const char *key, const char *val)
{
	if (!strcmp(key, "size")) {
		if (parse_size(val, &o->size) || o->size > (1ULL << 62)) {
			perr(c, "bad size %s", val);
			return -1;
		}
		return 1;
	}
	if (!strcmp(key, "holes") || !strcmp(key, "unwritten")) {
		bool unw = key[0] == 'u';

		if (parse_ranges(val, unw ? &o->unwritten : &o->zeroes,
				 unw ? &o->nunwritten : &o->nzeroes)) {
			perr(c, "bad %s list %s (OFFSET:LENGTH or START-END, comma separated)", key,
			     val);
			return -1;
		}
		return 1;
	}
	if (!strcmp(key, "content")) {
		if (strcmp(val, "rand") && strcmp(val, "zero")) {
			perr(c, "content= is rand or zero");
			return -1;
		}
		o->zero_content = !strcmp(val, "zero");
		return 1;
	}
	return 0;
}

/* Apply key=value tokens; @extra handles the directive's own keys. */
static int apply_attrs(struct ctx *c, struct obj *o, char **tok, int n,
		       int (*extra)(struct ctx *, struct obj *, const char *, const char *))
{
	int i;

	for (i = 0; i < n; i++) {
		char *eq = strchr(tok[i], '=');
		int r;

		if (!eq || eq == tok[i]) {
			perr(c, "expected key=value, got \"%s\"", tok[i]);
			return -1;
		}
		*eq = '\0';
		r = attr_common(c, o, tok[i], eq + 1);
		if (!r && extra)
			r = extra(c, o, tok[i], eq + 1);
		*eq = '=';
		if (r < 0)
			return -1;
		if (!r) {
			perr(c, "unknown attribute \"%s\" for %s", tok[i], obj_type_name(o->type));
			return -1;
		}
	}
	return 0;
}

static int finish_file(struct ctx *c, struct obj *o)
{
	size_t i;

	for (i = 0; i < o->nunwritten; i++) {
		o->zeroes = xrealloc(o->zeroes, (o->nzeroes + 1) * sizeof(*o->zeroes));
		o->zeroes[o->nzeroes++] = o->unwritten[i];
		if (o->unwritten[i].off + o->unwritten[i].len < o->unwritten[i].off) {
			perr(c, "unwritten range overflows");
			return -1;
		}
	}
	merge_ranges(o->zeroes, &o->nzeroes);
	o->content_key = content_key(c->s->seed, o->path, "data");
	return 0;
}

/* ---- directives ---- */

static int d_dir(struct ctx *c, char **tok, int n)
{
	struct obj *o;

	if (n < 2) {
		perr(c, "usage: dir PATH [mode=] [uid=] [gid=] [mtime=]");
		return -1;
	}
	o = declare(c, tok[1], OBJ_DIR);
	if (!o)
		return -1;
	if (o == c->s->objs[0])
		o->declared = true;
	return apply_attrs(c, o, tok + 2, n - 2, NULL);
}

static int d_file(struct ctx *c, char **tok, int n)
{
	struct obj *o;

	if (n < 2) {
		perr(c, "usage: file PATH [size=] [holes=] [unwritten=] [content=] [mode=] ...");
		return -1;
	}
	o = declare(c, tok[1], OBJ_FILE);
	if (!o || apply_attrs(c, o, tok + 2, n - 2, attr_file))
		return -1;
	return finish_file(c, o);
}

static int attr_symlink(struct ctx *c, struct obj *o, const char *key, const char *val)
{
	uint64_t len;
	uint64_t k;
	size_t i;

	if (strcmp(key, "target-len"))
		return 0;
	if (parse_size(val, &len) || len < 1 || len > XFS_SYMLINK_MAX) {
		perr(c, "target-len must be 1..%d", XFS_SYMLINK_MAX);
		return -1;
	}
	/* A deterministic path-like target: 15 name bytes, then '/'. */
	free(o->link_target);
	o->link_target = xmalloc(len + 1);
	k = content_key(c->s->seed, o->path, "symlink");
	for (i = 0; i < len; i++) {
		unsigned char b;

		content_fill(k, i, &b, 1);
		o->link_target[i] = (i % 16 == 15 && i + 1 < len)
					    ? '/'
					    : "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36];
	}
	o->link_target[len] = '\0';
	return 1;
}

static int d_symlink(struct ctx *c, char **tok, int n)
{
	struct obj *o;
	int first = 2;

	if (n < 3 || (!strcmp(tok[2], "->") && n < 4)) {
		perr(c, "usage: symlink PATH -> TARGET | symlink PATH target-len=N");
		return -1;
	}
	o = declare(c, tok[1], OBJ_SYMLINK);
	if (!o)
		return -1;
	o->mode = 0777;
	if (!strcmp(tok[2], "->")) {
		if (!tok[3][0] || strlen(tok[3]) > XFS_SYMLINK_MAX) {
			perr(c, "symlink target must be 1..%d bytes", XFS_SYMLINK_MAX);
			return -1;
		}
		o->link_target = xstrdup(tok[3]);
		first = 4;
	}
	if (apply_attrs(c, o, tok + first, n - first, attr_symlink))
		return -1;
	if (!o->link_target) {
		perr(c, "symlink %s has no target", o->path);
		return -1;
	}
	return 0;
}

static int attr_rdev(struct ctx *c, struct obj *o, const char *key, const char *val)
{
	if (strcmp(key, "rdev"))
		return 0;
	if (parse_devno(val, &o->rdev)) {
		perr(c, "bad device number %s (MAJOR:MINOR)", val);
		return -1;
	}
	return 1;
}

static int d_special(struct ctx *c, char **tok, int n, enum obj_type type)
{
	struct obj *o;
	int first = 2;

	if (n < 2) {
		perr(c, "usage: %s PATH%s [mode=] [uid=] [gid=]", obj_type_name(type),
		     type == OBJ_CHR || type == OBJ_BLK ? " MAJOR:MINOR" : "");
		return -1;
	}
	o = declare(c, tok[1], type);
	if (!o)
		return -1;
	if ((type == OBJ_CHR || type == OBJ_BLK) && n > 2 && !strchr(tok[2], '=')) {
		if (parse_devno(tok[2], &o->rdev)) {
			perr(c, "bad device number %s (MAJOR:MINOR)", tok[2]);
			return -1;
		}
		first = 3;
	}
	return apply_attrs(c, o, tok + first, n - first,
			   type == OBJ_CHR || type == OBJ_BLK ? attr_rdev : NULL);
}

static int parse_xattr_value(struct ctx *c, const char *v, struct xattr *x)
{
	uint64_t n;
	size_t i, len;

	if (!strncmp(v, "hex:", 4)) {
		v += 4;
		len = strlen(v);
		if (len % 2) {
			perr(c, "odd number of hex digits");
			return -1;
		}
		x->len = len / 2;
		x->val = xmalloc(x->len);
		for (i = 0; i < x->len; i++) {
			int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				perr(c, "bad hex value");
				return -1;
			}
			x->val[i] = hi * 16 + lo;
		}
	} else if (!strncmp(v, "rand:", 5)) {
		if (parse_size(v + 5, &n) || n > XATTR_VALUE_MAX) {
			perr(c, "rand:N needs N <= %d", XATTR_VALUE_MAX);
			return -1;
		}
		x->len = n;
		x->val = xmalloc(n);
		return 1; /* filled by the caller, who knows the path */
	} else {
		if (!strncmp(v, "text:", 5))
			v += 5;
		x->len = strlen(v);
		x->val = (unsigned char *) xstrdup(v);
	}
	if (x->len > XATTR_VALUE_MAX) {
		perr(c, "xattr value longer than %d bytes", XATTR_VALUE_MAX);
		return -1;
	}
	return 0;
}

static int add_xattr(struct ctx *c, struct obj *o, char *tok)
{
	char *eq = strchr(tok, '=');
	struct xattr x = {0};
	size_t i;
	int r;

	if (!eq) {
		perr(c, "expected NAME=VALUE, got \"%s\"", tok);
		return -1;
	}
	*eq = '\0';
	if (strncmp(tok, "user.", 5) && strncmp(tok, "trusted.", 8) &&
	    strncmp(tok, "security.", 9)) {
		perr(c, "xattr name %s: namespace must be user., trusted. or security.", tok);
		return -1;
	}
	if (strlen(tok) > XFS_NAME_MAX || !strchr(tok, '.')[1]) {
		perr(c, "bad xattr name %s", tok);
		return -1;
	}
	/* The VFS refuses user.* on anything but files and directories. */
	if (!strncmp(tok, "user.", 5) && o->type != OBJ_FILE && o->type != OBJ_DIR) {
		perr(c, "user.* xattrs are only allowed on files and directories (use trusted.*)");
		return -1;
	}
	r = parse_xattr_value(c, eq + 1, &x);
	if (r < 0)
		return -1;
	x.name = xstrdup(tok);
	if (r == 1)
		content_fill(content_key(c->s->seed, o->path, x.name), 0, x.val, x.len);
	for (i = 0; i < o->nxattrs; i++) {
		if (!strcmp(o->xattrs[i].name, x.name)) {
			free(o->xattrs[i].name);
			free(o->xattrs[i].val);
			o->xattrs[i] = x;
			return 0;
		}
	}
	o->xattrs = xrealloc(o->xattrs, (o->nxattrs + 1) * sizeof(*o->xattrs));
	o->xattrs[o->nxattrs++] = x;
	return 0;
}

static int d_xattr(struct ctx *c, char **tok, int n)
{
	struct obj *o;
	int i;

	if (n < 3) {
		perr(c, "usage: xattr PATH NAME=VALUE...");
		return -1;
	}
	o = find_declared(c, tok[1]);
	if (!o)
		return -1;
	if (o->type == OBJ_HARDLINK)
		o = o->target;
	for (i = 2; i < n; i++)
		if (add_xattr(c, o, tok[i]))
			return -1;
	return 0;
}

static int d_hardlink(struct ctx *c, char **tok, int n)
{
	struct obj *o, *t;

	if (n != 4 || strcmp(tok[2], "=>")) {
		perr(c, "usage: hardlink NEWPATH => EXISTING");
		return -1;
	}
	t = find_declared(c, tok[3]);
	if (!t)
		return -1;
	if (t->type == OBJ_HARDLINK)
		t = t->target;
	if (t->type == OBJ_DIR) {
		perr(c, "cannot hard link a directory");
		return -1;
	}
	o = declare(c, tok[1], OBJ_HARDLINK);
	if (!o)
		return -1;
	o->target = t;
	t->nlink++;
	return 0;
}

static int d_bigdir(struct ctx *c, char **tok, int n)
{
	const char *prefix = "f";
	uint64_t count = 0;
	uint32_t fmode = 0644;
	char **rest = xmalloc(n * sizeof(*rest));
	int nrest = 0, i, error = -1;
	struct obj *d;
	uint64_t k;

	if (n < 3) {
		perr(c, "usage: bigdir PATH count=N [prefix=f] [fmode=0644] [mode=] [uid=] [gid=]");
		goto out;
	}
	for (i = 2; i < n; i++) {
		if (!strncmp(tok[i], "count=", 6)) {
			if (parse_size(tok[i] + 6, &count) || count > 10000000) {
				perr(c, "bad count %s", tok[i] + 6);
				goto out;
			}
		} else if (!strncmp(tok[i], "prefix=", 7)) {
			prefix = tok[i] + 7;
			if (strchr(prefix, '/') || strlen(prefix) > 200) {
				perr(c, "bad prefix %s", prefix);
				goto out;
			}
		} else if (!strncmp(tok[i], "fmode=", 6)) {
			if (parse_u32(tok[i] + 6, 8, &fmode) || fmode > 07777) {
				perr(c, "bad fmode %s", tok[i] + 6);
				goto out;
			}
		} else {
			rest[nrest++] = tok[i];
		}
	}
	d = declare(c, tok[1], OBJ_DIR);
	if (!d || apply_attrs(c, d, rest, nrest, NULL))
		goto out;
	for (k = 0; k < count; k++) {
		char path[4096];
		struct obj *f;

		snprintf(path, sizeof(path), "%s/%s%llu", d->path, prefix, (unsigned long long) k);
		f = declare(c, path, OBJ_FILE);
		if (!f)
			goto out;
		f->mode = fmode;
		f->uid = d->uid;
		f->gid = d->gid;
		f->has_mtime = d->has_mtime;
		f->mtime = d->mtime;
		finish_file(c, f);
	}
	error = 0;
out:
	free(rest);
	return error;
}

static int d_tree(struct ctx *c, char **tok, int n)
{
	const char *name = "d";
	uint64_t depth = 0;
	char **rest = xmalloc(n * sizeof(*rest));
	char path[4096];
	int nrest = 0, i, error = -1;
	struct obj *d;
	uint64_t k;

	if (n < 3) {
		perr(c, "usage: tree PATH depth=N [name=d] [mode=] [uid=] [gid=]");
		goto out;
	}
	for (i = 2; i < n; i++) {
		if (!strncmp(tok[i], "depth=", 6)) {
			if (parse_size(tok[i] + 6, &depth) || depth > 1000) {
				perr(c, "bad depth %s (at most 1000)", tok[i] + 6);
				goto out;
			}
		} else if (!strncmp(tok[i], "name=", 5)) {
			name = tok[i] + 5;
			if (strchr(name, '/') || strlen(name) > 200 || !*name) {
				perr(c, "bad name %s", name);
				goto out;
			}
		} else {
			rest[nrest++] = tok[i];
		}
	}
	d = declare(c, tok[1], OBJ_DIR);
	if (!d || apply_attrs(c, d, rest, nrest, NULL))
		goto out;
	snprintf(path, sizeof(path), "%s", d->path);
	for (k = 1; k <= depth; k++) {
		struct obj *sub;
		size_t len = strlen(path);

		if (len + strlen(name) + 24 >= sizeof(path)) {
			perr(c, "tree too deep for a 4096-byte path");
			goto out;
		}
		snprintf(path + len, sizeof(path) - len, "/%s%llu", name, (unsigned long long) k);
		sub = declare(c, path, OBJ_DIR);
		if (!sub || apply_attrs(c, sub, rest, nrest, NULL))
			goto out;
	}
	error = 0;
out:
	free(rest);
	return error;
}

static int directive(struct ctx *c, char **tok, int n)
{
	const char *d = tok[0];

	if (!strcmp(d, "dir"))
		return d_dir(c, tok, n);
	if (!strcmp(d, "file"))
		return d_file(c, tok, n);
	if (!strcmp(d, "symlink"))
		return d_symlink(c, tok, n);
	if (!strcmp(d, "fifo"))
		return d_special(c, tok, n, OBJ_FIFO);
	if (!strcmp(d, "sock"))
		return d_special(c, tok, n, OBJ_SOCK);
	if (!strcmp(d, "chr"))
		return d_special(c, tok, n, OBJ_CHR);
	if (!strcmp(d, "blk"))
		return d_special(c, tok, n, OBJ_BLK);
	if (!strcmp(d, "xattr"))
		return d_xattr(c, tok, n);
	if (!strcmp(d, "hardlink"))
		return d_hardlink(c, tok, n);
	if (!strcmp(d, "bigdir"))
		return d_bigdir(c, tok, n);
	if (!strcmp(d, "tree"))
		return d_tree(c, tok, n);
	perr(c, "unknown directive \"%s\"", d);
	return -1;
}

/* One line: directives separated by ";" tokens. */
static int parse_line(struct ctx *c, char *line)
{
	char *tok[MAX_TOKENS];
	int n = tokenize(c, line, tok, MAX_TOKENS), start = 0, i;

	if (n < 0)
		return -1;
	for (i = 0; i <= n; i++) {
		if (i < n && strcmp(tok[i], ";"))
			continue;
		if (i > start && directive(c, tok + start, i - start))
			return -1;
		start = i + 1;
	}
	return 0;
}

void spec_init(struct spec *s)
{
	struct obj *root;

	s->hsize = 1024;
	s->htab = calloc(s->hsize, sizeof(*s->htab));
	if (!s->htab) {
		fprintf(stderr, "xfsfuse-mkimage: out of memory\n");
		exit(2);
	}
	root = obj_new(s, ".", OBJ_DIR);
	root->name = "";
}

int spec_parse_file(struct spec *s, const char *file)
{
	struct ctx c = {.s = s, .file = file};
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	int error = 0;

	spec_init(s);
	if (!f) {
		fprintf(stderr, "xfsfuse-mkimage: %s: %s\n", file, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) >= 0) {
		c.line++;
		if (memchr(line, '\0', strlen(line) + 1) != line + strlen(line)) {
			perr(&c, "NUL byte in line");
			error = -1;
			break;
		}
		error = parse_line(&c, line);
		if (error)
			break;
	}
	if (!error && ferror(f)) {
		fprintf(stderr, "xfsfuse-mkimage: %s: read error\n", file);
		error = -1;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return error;
}

void spec_free(struct spec *s)
{
	size_t i, j;

	for (i = 0; i < s->nobjs; i++) {
		struct obj *o = s->objs[i];

		for (j = 0; j < o->nxattrs; j++) {
			free(o->xattrs[j].name);
			free(o->xattrs[j].val);
		}
		free(o->xattrs);
		free(o->zeroes);
		free(o->unwritten);
		free(o->link_target);
		free(o->path);
		free(o);
	}
	free(s->objs);
	free(s->htab);
	memset(s, 0, sizeof(*s));
}
