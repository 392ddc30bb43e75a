// SPDX-License-Identifier: GPL-2.0
/*
 * Option parsing for xfsfuse; see options.h for the division of labour with
 * libfuse's own parsers.
 */
#include "options.h"
#include "control.h"
#include "file_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	XF_KEY_RO,
	XF_KEY_RW,
	XF_KEY_FSNAME,
	XF_KEY_SUBTYPE,
	XF_KEY_DROP,
	XF_KEY_WRITEBACK_CACHE,
	XF_KEY_MAX_WRITE,
	XF_KEY_IO_URING,
};

#define XF_OPT(t, p)                                                                               \
	{                                                                                          \
		t, offsetof(struct xf_options, p), 0                                               \
	}

static const struct fuse_opt xf_opt_spec[] = {
	XF_OPT("cache=%s", cache), XF_OPT("direct_io=%s", direct_io),
	XF_OPT("folio_size=%s", folio_size), XF_OPT("cache_size=%s", cache_size),
	XF_OPT("reclaim=%s", reclaim), XF_OPT("iomap_validate=%s", iomap_validate),
	XF_OPT("delalloc_punch=%s", delalloc_punch), XF_OPT("stale_remedy=%s", stale_remedy),
	XF_OPT("prealloc=%s", prealloc), XF_OPT("writeback_interval=%s", writeback_interval),
	XF_OPT("dirty_expire=%s", dirty_expire), XF_OPT("dirty_background=%s", dirty_background),
	XF_OPT("dirty_ratio=%s", dirty_ratio), XF_OPT("log_interval=%s", log_interval),
	XF_OPT("inode_cache=%s", inode_cache), XF_OPT("attr_timeout=%s", attr_timeout),
	XF_OPT("entry_timeout=%s", entry_timeout),
	XF_OPT("inject_write_delay_ms=%s", inject_write_delay_ms),
	XF_OPT("inject_folio_delay_ms=%s", inject_folio_delay_ms),
	XF_OPT("inject_wb_delay_ms=%s", inject_wb_delay_ms),
	XF_OPT("inject_ioend_delay_ms=%s", inject_ioend_delay_ms),
	XF_OPT("inject_evict_delay_ms=%s", inject_evict_delay_ms),
	XF_OPT("inject_log_flush_delay_ms=%s", inject_log_flush_delay_ms),
	XF_OPT("inject_jitter=%s", inject_jitter), XF_OPT("fail_write_nth=%s", fail_write_nth),
	XF_OPT("fail_ioend_alloc_nth=%s", fail_ioend_alloc_nth),
	XF_OPT("short_copy_at=%s", short_copy_at), XF_OPT("trace=%s", trace),
	FUSE_OPT_KEY("ro", XF_KEY_RO), FUSE_OPT_KEY("-r", XF_KEY_RO), FUSE_OPT_KEY("rw", XF_KEY_RW),
	FUSE_OPT_KEY("fsname=", XF_KEY_FSNAME), FUSE_OPT_KEY("subtype=", XF_KEY_SUBTYPE),
	/* Always on; we add it once ourselves. */
	FUSE_OPT_KEY("default_permissions", XF_KEY_DROP),
	FUSE_OPT_KEY("writeback_cache", XF_KEY_WRITEBACK_CACHE),
	FUSE_OPT_KEY("max_write=", XF_KEY_MAX_WRITE), FUSE_OPT_KEY("io_uring", XF_KEY_IO_URING),
	FUSE_OPT_END};

/*
 * Options that mount(8) or an fstab line may hand to the helper but that
 * libfuse's mount code does not know (it knows ro/rw, [no]suid, [no]dev,
 * [no]exec, [a]sync, dirsync, noatime).  They mean nothing for us, so they
 * are accepted and dropped instead of failing the mount.  The atime
 * options are ours (xf_atime_opt).
 */
static const char *const xf_dropped_opts[] = {"defaults", "nomand", "silent",  "loud", "auto",
					      "noauto",	  "nofail", "_netdev", "user", "nouser",
					      "users",	  "owner",  "group",   NULL};

static bool xf_is_dropped_opt(const char *arg)
{
	const char *const *p;

	/* x-* (x-systemd.automount...) and comment= are for userspace tools. */
	if (!strncmp(arg, "x-", 2) || !strncmp(arg, "comment=", 8))
		return true;
	for (p = xf_dropped_opts; *p; p++)
		if (!strcmp(arg, *p))
			return true;
	return false;
}

static int xf_image_arg(struct xf_options *o, const char *arg)
{
	char path[PATH_MAX];

	/* If it does not resolve, the backend's refusal will say why. */
	o->image = strdup(realpath(arg, path) ? path : arg);
	return o->image ? 0 : -1;
}

static int xf_parse_size(const char *name, const char *v, uint64_t *out);

/* Below a page the kernel cannot send a WRITE at all (the mount would fail). */
static int xf_check_max_write(const char *arg)
{
	const char *v = arg + strlen("max_write=");
	uint64_t n;

	if (xf_parse_size("max_write", v, &n))
		return -1;
	if (n < 4096) {
		fprintf(stderr, "xfsfuse: -o max_write=%s: at least 4096\n", v);
		return -1;
	}
	return 0;
}

static int xf_opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct xf_options *o = data;

	(void) outargs;
	switch (key) {
	case FUSE_OPT_KEY_NONOPT:
		o->nonopts++;
		if (o->nonopts == 1)
			return xf_image_arg(o, arg) ? -1 : 0; /* ours, not libfuse's */
		if (o->nonopts == 2)
			return 1; /* MOUNTPOINT: fuse_parse_cmdline takes it */
		fprintf(stderr,
			"xfsfuse: too many arguments: `%s' (usage: xfsfuse [options] IMAGE "
			"MOUNTPOINT)\n",
			arg);
		return -1;
	case XF_KEY_RO:
		o->readonly = true;
		return 1; /* the kernel mount is read-only too */
	case XF_KEY_RW:
		o->readonly = false;
		return 1;
	case XF_KEY_FSNAME:
		o->has_fsname = true;
		return 1;
	case XF_KEY_SUBTYPE:
		o->has_subtype = true;
		return 1;
	case XF_KEY_DROP:
		return 0;
	case XF_KEY_MAX_WRITE:
		return xf_check_max_write(arg) ? -1 : 1; /* libfuse applies it */
	case XF_KEY_IO_URING:
		o->io_uring = true;
		return 0; /* xf_io_uring_setup() decides whether libfuse sees it */
	case XF_KEY_WRITEBACK_CACHE:
		o->writeback_cache = true;
		return 0; /* xf_init() asks the kernel for it, not libfuse's option */
	case FUSE_OPT_KEY_OPT:
		if (xf_atime_opt(arg, &o->atime))
			return 0; /* ours; noatime goes back to libfuse below */
		return xf_is_dropped_opt(arg) ? 0 : 1;
	default:
		return 1;
	}
}

static int xf_check_cache(struct xf_options *o)
{
	if (!o->cache || !strcmp(o->cache, "kernel"))
		return 0;
	if (!strcmp(o->cache, "none")) {
		o->cache_none = true;
		return 0;
	}
	fprintf(stderr, "xfsfuse: -o cache=%s: expected cache=kernel or cache=none\n", o->cache);
	return -1;
}

static int xf_check_direct_io(struct xf_options *o)
{
	if (!o->direct_io || !strcmp(o->direct_io, "iomap"))
		return 0;
	if (!strcmp(o->direct_io, "buffered")) {
		o->direct_io_buffered = true;
		return 0;
	}
	fprintf(stderr,
		"xfsfuse: -o direct_io=%s: expected direct_io=iomap or direct_io=buffered\n",
		o->direct_io);
	return -1;
}

/* -o name=value with commas and backslashes in the value escaped for libfuse. */
static int xf_add_escaped_opt(struct fuse_args *args, const char *name, const char *value)
{
	char *opt, *escaped = NULL;
	int ret = -1;

	if (asprintf(&opt, "%s=%s", name, value) < 0)
		return -1;
	if (fuse_opt_add_opt_escaped(&escaped, opt) == 0) {
		free(opt);
		if (asprintf(&opt, "-o%s", escaped) >= 0) {
			ret = fuse_opt_add_arg(args, opt);
			free(opt);
		}
		free(escaped);
		return ret;
	}
	free(opt);
	return -1;
}

static int xf_add_default_opts(struct fuse_args *args, struct xf_options *o)
{
	if (fuse_opt_add_arg(args, "-odefault_permissions"))
		return -1;
	if (!o->has_fsname && o->image && xf_add_escaped_opt(args, "fsname", o->image))
		return -1;
	if (!o->has_subtype && fuse_opt_add_arg(args, "-osubtype=xfsfuse"))
		return -1;
	/*
	 * The kernel's FUSE never updates atime itself (its inodes are
	 * S_NOATIME): we do.  Of the flags, libfuse 3.14 can pass only noatime
	 * to mount(2); /proc/mounts then agrees with us, and shows relatime
	 * for the rest (xfsfuse.atime shows them all, doc/options.md).
	 */
	if ((xf_atime_mount_flags(&o->atime) & VFS_ATIME_NOATIME) &&
	    fuse_opt_add_arg(args, "-onoatime"))
		return -1;
	return 0;
}

#define XF_URING_PARAM "/sys/module/fuse/parameters/enable_uring"

/*
 * -o io_uring: FUSE-over-io_uring (Linux 6.14+, libfuse 3.18 built with
 * liburing): requests and replies go through per-CPU io_uring queues instead
 * of read(2)/write(2) on /dev/fuse.  The kernel offers it only while the fuse
 * module's enable_uring parameter is on; root may turn it on, and we do (it
 * stays on: FUSE servers running with it need it on to keep their queues).
 * Where it cannot be had, say why and serve /dev/fuse as without the option:
 * never a reason to refuse the mount.  At INIT, xf_init() reports a kernel
 * that still does not offer it; libfuse reports a ring it could not start.
 * Returns -1 only when out of memory.
 */
static int xf_io_uring_setup(struct fuse_args *args, struct xf_options *o)
{
#ifdef XF_LIBFUSE_IO_URING
	char v[8] = "";
	ssize_t n;
	int fd = open(XF_URING_PARAM, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr,
			"xfsfuse: -o io_uring: this kernel has no FUSE-over-io_uring (%s: %s; it "
			"needs Linux 6.14+ with CONFIG_FUSE_IO_URING): serving /dev/fuse\n",
			XF_URING_PARAM, strerror(errno));
		o->io_uring = false;
		return 0;
	}
	n = read(fd, v, sizeof(v) - 1);
	close(fd);
	if (n <= 0 || (v[0] != 'Y' && v[0] != '1')) {
		fd = open(XF_URING_PARAM, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "1", 1) != 1) {
			fprintf(stderr,
				"xfsfuse: -o io_uring: cannot turn on %s (%s; as root: echo 1 > "
				"%s): serving /dev/fuse\n",
				XF_URING_PARAM, strerror(errno), XF_URING_PARAM);
			if (fd >= 0)
				close(fd);
			o->io_uring = false;
			return 0;
		}
		close(fd);
		fprintf(stderr, "xfsfuse: -o io_uring: turned on %s (for every FUSE server)\n",
			XF_URING_PARAM);
	}
	return fuse_opt_add_arg(args, "-oio_uring");
#else
	(void) args;
	fprintf(stderr,
		"xfsfuse: -o io_uring: libfuse %s here has no FUSE-over-io_uring (scripts/"
		"build-libfuse.sh builds libfuse 3.18 with it): serving /dev/fuse\n",
		fuse_pkgversion());
	o->io_uring = false;
	return 0;
#endif
}

int xf_parse_options(struct fuse_args *args, struct xf_options *o)
{
	memset(o, 0, sizeof(*o));
	if (fuse_opt_parse(args, o, xf_opt_spec, xf_opt_proc) == -1)
		return -1;
	if (xf_check_cache(o) || xf_check_direct_io(o))
		return -1;
	if (o->writeback_cache && o->cache_none) {
		/* cache=none opens bypass the kernel's page cache: nothing to write back. */
		fprintf(stderr, "xfsfuse: -o writeback_cache needs cache=kernel (cache=none "
				"keeps no kernel page cache)\n");
		return -1;
	}
	if (xf_add_default_opts(args, o) || (o->io_uring && xf_io_uring_setup(args, o))) {
		fprintf(stderr, "xfsfuse: out of memory\n");
		return -1;
	}
	return 0;
}

void xf_free_options(struct xf_options *o)
{
	free(o->image);
	free(o->cache);
	free(o->folio_size);
	free(o->cache_size);
	free(o->reclaim);
	free(o->iomap_validate);
	free(o->delalloc_punch);
	free(o->stale_remedy);
	free(o->prealloc);
	free(o->writeback_interval);
	free(o->dirty_expire);
	free(o->dirty_background);
	free(o->dirty_ratio);
	free(o->log_interval);
	free(o->inode_cache);
	free(o->attr_timeout);
	free(o->entry_timeout);
	free(o->inject_write_delay_ms);
	free(o->inject_folio_delay_ms);
	free(o->inject_wb_delay_ms);
	free(o->inject_ioend_delay_ms);
	free(o->inject_evict_delay_ms);
	free(o->inject_log_flush_delay_ms);
	free(o->inject_jitter);
	free(o->fail_write_nth);
	free(o->fail_ioend_alloc_nth);
	free(o->short_copy_at);
	free(o->trace);
}

/* "4k", "64K", "256M", "1g", or plain bytes. */
static int xf_parse_size(const char *name, const char *v, uint64_t *out)
{
	unsigned int shift = 0;
	char *end;
	unsigned long long n;

	errno = 0;
	if (*v < '0' || *v > '9') /* strtoull takes "-1" and wraps it */
		goto bad;
	n = strtoull(v, &end, 10);
	if (errno || end == v)
		goto bad;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	default:
		break;
	}
	if (*end || n > (UINT64_MAX >> shift))
		goto bad;
	*out = (uint64_t) n << shift;
	return 0;
bad:
	fprintf(stderr, "xfsfuse: -o %s=%s: expected a number (k, m, g suffixes allowed)\n", name,
		v);
	return -1;
}

static int xf_parse_ms(const char *name, const char *v, unsigned int max, unsigned int *out)
{
	uint64_t n;

	if (xf_parse_size(name, v, &n) || n > max) {
		fprintf(stderr, "xfsfuse: -o %s=%s: expected a number up to %u\n", name, v, max);
		return -1;
	}
	*out = (unsigned int) n;
	return 0;
}

/* 0 would mean "never" or "stop every writer": refused, with the reason. */
static int xf_at_least_one(const char *name, const char *given, unsigned int value)
{
	if (!given || value >= 1)
		return 0;
	fprintf(stderr, "xfsfuse: -o %s=%s: at least 1\n", name, given);
	return -1;
}

static int xf_parse_choice(const char *name, const char *v, const char *yes, const char *no,
			   bool *out)
{
	if (!strcmp(v, yes))
		*out = true;
	else if (!strcmp(v, no))
		*out = false;
	else {
		fprintf(stderr, "xfsfuse: -o %s=%s: expected %s or %s\n", name, v, yes, no);
		return -1;
	}
	return 0;
}

/*
 * stale_remedy= sets the three switches (doc/race.md); iomap_validate= and
 * delalloc_punch=, the older spellings, then override one switch each.
 */
static int xf_parse_stale_remedy(const char *v, struct xf_engine_opts *eo)
{
	enum iomap_stale_remedy r;

	if (!v)
		return 0;
	if (iomap_stale_remedy_parse(v, &r)) {
		fprintf(stderr, "xfsfuse: -o stale_remedy=%s: expected merged, rfc or none\n", v);
		return -1;
	}
	iomap_stale_remedy_switches(r, &eo->validate, &eo->legacy_punch, &eo->rfc_remedy);
	return 0;
}

int xf_engine_options(const struct xf_options *o, struct xf_engine_opts *eo)
{
	uint64_t n;

	xf_engine_default_opts(eo);
	if (o->folio_size) {
		if (xf_parse_size("folio_size", o->folio_size, &n))
			return -1;
		if (n != 4096 && n != 16384 && n != 65536) {
			fprintf(stderr, "xfsfuse: -o folio_size=%s: expected 4k, 16k or 64k\n",
				o->folio_size);
			return -1;
		}
		eo->folio_size = n;
	}
	if (o->cache_size) {
		if (xf_parse_size("cache_size", o->cache_size, &n))
			return -1;
		if (n < (1u << 20)) {
			fprintf(stderr, "xfsfuse: -o cache_size=%s: at least 1M\n", o->cache_size);
			return -1;
		}
		eo->cache_size = n;
	}
	if (o->writeback_interval && xf_parse_ms("writeback_interval", o->writeback_interval,
						 3600000, &eo->bdi.writeback_interval_ms))
		return -1;
	if (o->dirty_expire &&
	    xf_parse_ms("dirty_expire", o->dirty_expire, 3600000, &eo->bdi.dirty_expire_ms))
		return -1;
	if (o->dirty_background && xf_parse_ms("dirty_background", o->dirty_background, 100,
					       &eo->bdi.dirty_background_pct))
		return -1;
	if (o->dirty_ratio && xf_parse_ms("dirty_ratio", o->dirty_ratio, 100, &eo->bdi.dirty_pct))
		return -1;
	if (xf_at_least_one("writeback_interval", o->writeback_interval,
			    eo->bdi.writeback_interval_ms) ||
	    xf_at_least_one("dirty_ratio", o->dirty_ratio, eo->bdi.dirty_pct))
		return -1;
	if (o->dirty_background && o->dirty_ratio &&
	    eo->bdi.dirty_background_pct > eo->bdi.dirty_pct) {
		fprintf(stderr, "xfsfuse: -o dirty_background=%s: above dirty_ratio=%s\n",
			o->dirty_background, o->dirty_ratio);
		return -1;
	}
	if (o->reclaim &&
	    xf_parse_choice("reclaim", o->reclaim, "aggressive", "normal", &eo->reclaim.aggressive))
		return -1;
	if (xf_parse_stale_remedy(o->stale_remedy, eo))
		return -1;
	if (o->iomap_validate &&
	    xf_parse_choice("iomap_validate", o->iomap_validate, "on", "off", &eo->validate))
		return -1;
	if (o->delalloc_punch && xf_parse_choice("delalloc_punch", o->delalloc_punch, "legacy",
						 "safe", &eo->legacy_punch))
		return -1;
	if (o->prealloc && xf_parse_choice("prealloc", o->prealloc, "on", "off", &eo->prealloc))
		return -1;
	eo->atime = xf_atime_mount_flags(&o->atime) | (o->readonly ? VFS_ATIME_RDONLY : 0);
	return 0;
}

/* A plain decimal number up to @max (no size suffixes: these are counts and offsets). */
static int xf_parse_count(const char *name, const char *v, uint64_t max, uint64_t *out)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v || *end || *v == '-' || n > max) {
		fprintf(stderr, "xfsfuse: -o %s=%s: expected a number up to %llu\n", name, v,
			(unsigned long long) max);
		return -1;
	}
	*out = n;
	return 0;
}

static int xf_parse_delay(const char *name, const char *v, unsigned int *out)
{
	uint64_t n;

	if (!v)
		return 0;
	if (xf_parse_count(name, v, 60000, &n))
		return -1;
	*out = (unsigned int) n;
	return 0;
}

static int xf_parse_delays(const struct xf_options *o, struct xf_control_opts *co)
{
	if (xf_parse_delay("inject_write_delay_ms", o->inject_write_delay_ms,
			   &co->delay_ms[INJECT_WRITE_AFTER_BEGIN]) ||
	    xf_parse_delay("inject_folio_delay_ms", o->inject_folio_delay_ms,
			   &co->delay_ms[INJECT_WRITE_BEFORE_FOLIO]) ||
	    xf_parse_delay("inject_wb_delay_ms", o->inject_wb_delay_ms,
			   &co->delay_ms[INJECT_WB_BEFORE_MAP]) ||
	    xf_parse_delay("inject_ioend_delay_ms", o->inject_ioend_delay_ms,
			   &co->delay_ms[INJECT_IOEND_BEFORE_COMPLETE]) ||
	    xf_parse_delay("inject_evict_delay_ms", o->inject_evict_delay_ms,
			   &co->delay_ms[INJECT_AFTER_EVICT]) ||
	    xf_parse_delay("inject_log_flush_delay_ms", o->inject_log_flush_delay_ms,
			   &co->delay_ms[INJECT_LOG_FLUSH]))
		return -1;
	return 0;
}

int xf_control_options(const struct xf_options *o, struct xf_control_opts *co)
{
	uint64_t n;

	xf_control_default_opts(co);
	if (xf_parse_delays(o, co))
		return -1;
	if (o->inject_jitter &&
	    xf_parse_choice("inject_jitter", o->inject_jitter, "1", "0", &co->jitter))
		return -1;
	if (o->fail_write_nth) {
		if (xf_parse_count("fail_write_nth", o->fail_write_nth, UINT32_MAX, &n))
			return -1;
		co->fail_write_nth = n;
	}
	if (o->fail_ioend_alloc_nth) {
		if (xf_parse_count("fail_ioend_alloc_nth", o->fail_ioend_alloc_nth, UINT32_MAX, &n))
			return -1;
		co->fail_ioend_alloc_nth = n;
	}
	if (o->short_copy_at) {
		if (xf_parse_count("short_copy_at", o->short_copy_at, INT64_MAX, &n))
			return -1;
		co->short_copy_at = (int64_t) n;
	}
	if (o->trace && o->trace[0] != '/') {
		fprintf(stderr, "xfsfuse: -o trace=%s: expected an absolute path\n", o->trace);
		return -1;
	}
	co->trace = o->trace;
	return 0;
}

int xf_log_options(const struct xf_options *o, unsigned int *interval_ms)
{
	*interval_ms = 0; /* the backend's default */
	if (!o->log_interval)
		return 0;
	if (xf_parse_ms("log_interval", o->log_interval, 3600000, interval_ms))
		return -1;
	if (*interval_ms == 0)
		*interval_ms = UINT32_MAX; /* no timer: checkpoints at fsync, size, unmount */
	return 0;
}

int xf_inode_cache_option(const struct xf_options *o, bool *set, uint64_t *n)
{
	*set = o->inode_cache != NULL;
	*n = 0;
	if (!o->inode_cache)
		return 0;
	if (xf_parse_size("inode_cache", o->inode_cache, n))
		return -1;
	if (*n > (1ULL << 40)) {
		fprintf(stderr, "xfsfuse: -o inode_cache=%s: expected a number of inodes\n",
			o->inode_cache);
		return -1;
	}
	return 0;
}

/* Whole seconds up to a year: the kernel keeps the validity in jiffies. */
static int xf_parse_seconds(const char *name, const char *v, double *out)
{
	unsigned int s;

	if (!v)
		return 0;
	if (xf_parse_ms(name, v, 365u * 86400u, &s))
		return -1;
	*out = s;
	return 0;
}

int xf_cache_options(const struct xf_options *o, double *attr_s, double *entry_s)
{
	*attr_s = *entry_s = XF_CACHE_TIMEOUT_DEFAULT;
	if (xf_parse_seconds("attr_timeout", o->attr_timeout, attr_s) ||
	    xf_parse_seconds("entry_timeout", o->entry_timeout, entry_s))
		return -1;
	return 0;
}

void xf_print_options_help(void)
{
	printf("xfsfuse options:\n"
	       "    -o ro                  mount read-only: nothing is written to the image\n"
	       "                           (until mount -o remount,rw)\n"
	       "    -o cache=kernel|none   kernel: the kernel page cache is used (default)\n"
	       "                           none: every open is FOPEN_DIRECT_IO (no kernel cache)\n"
	       "    -o writeback_cache     the kernel caches writes and sends them as pages\n"
	       "                           (faster; writes lose their exact ranges: not for "
	       "races)\n"
	       "    -o direct_io=iomap|buffered  O_DIRECT opens: straight to the image (default),\n"
	       "                           or exact ranges through the buffered engine (races)\n"
	       "    -o allow_other         let other users access the mount\n"
	       "    -o fsname=NAME         source shown in /proc/mounts (default: IMAGE)\n"
	       "    -o max_write=N         largest WRITE request (default and maximum 1 MiB)\n"
	       "    -o readdirplus=yes|no|auto   readdirplus mode (default auto)\n"
	       "    -o attr_timeout=S      seconds the kernel may cache attributes (default "
	       "86400)\n"
	       "    -o entry_timeout=S     seconds the kernel may cache names, negative ones too "
	       "(86400)\n"
	       "  access times, as the kernel's XFS (doc/options.md; getfattr -n xfsfuse.atime "
	       "MNT):\n"
	       "    -o relatime            update atime on a read when it is not newer than\n"
	       "                           mtime or ctime, or a day old (default; norelatime\n"
	       "                           is relatime too, as on the kernel)\n"
	       "    -o strictatime         update atime on every read that reaches xfsfuse\n"
	       "    -o noatime / atime     never update atime / undo noatime\n"
	       "    -o nodiratime          never update the atime of directories\n"
	       "    -o lazytime            keep timestamp updates in memory until the inode is\n"
	       "                           logged anyway, fsync, sync or unmount\n"
	       "    -o io_uring            FUSE-over-io_uring where libfuse and kernel have it\n"
	       "                           (turns on the fuse module's enable_uring; else "
	       "/dev/fuse)\n"
	       "  the iomap engine (doc/options.md):\n"
	       "    -o folio_size=4k|16k|64k     page cache folio size (default 4k)\n"
	       "    -o cache_size=SIZE           page cache and in-core inodes (default 256M)\n"
	       "    -o inode_cache=N             idle inodes keeping their libxfs copy (default: "
	       "a quarter\n"
	       "                                 of cache_size's worth; 0: none)\n"
	       "    -o writeback_interval=MS     flusher period (default 500)\n"
	       "    -o dirty_expire=MS           age at which dirty data is written (default "
	       "3000)\n"
	       "    -o dirty_background=PCT      dirty share of the cache that starts writeback "
	       "(40)\n"
	       "    -o dirty_ratio=PCT           dirty share past which writers wait for "
	       "writeback (60)\n"
	       "    -o reclaim=normal|aggressive evict clean folios at once when aggressive\n"
	       "    -o stale_remedy=merged|rfc|none  answer to a stale iomap: Linux 6.2's "
	       "(default),\n"
	       "                                 the Sept. 2022 RFC's, or none (pre-6.2: "
	       "corrupts)\n"
	       "    -o iomap_validate=on|off     one switch of it: the validity check\n"
	       "    -o delalloc_punch=safe|legacy  the other: legacy = pre-6.2 short-write "
	       "cleanup\n"
	       "    -o prealloc=on|off           speculative preallocation past EOF (default on)\n"
	       "  the XFS log (doc/log.md):\n"
	       "    -o log_interval=MS           checkpoint dirty metadata this often (default "
	       "5000; 0: only at fsync, size limit, unmount)\n"
	       "  race injection and tracing (doc/control.md; also xattrs xfsfuse.* at run time):\n"
	       "    -o inject_write_delay_ms=N   sleep after ->iomap_begin of a buffered write\n"
	       "    -o inject_folio_delay_ms=N   sleep before each folio of a buffered write\n"
	       "    -o inject_wb_delay_ms=N      sleep before writeback revalidates its mapping\n"
	       "    -o inject_ioend_delay_ms=N   sleep before I/O completion converts extents\n"
	       "    -o inject_evict_delay_ms=N   sleep after reclaim evicts a folio\n"
	       "    -o inject_log_flush_delay_ms=N  sleep before each device flush of a "
	       "checkpoint\n"
	       "    -o inject_jitter=1           sleep a random 0..N ms instead of N\n"
	       "    -o fail_write_nth=N          the Nth data write of writeback fails (EIO), "
	       "once\n"
	       "    -o fail_ioend_alloc_nth=N    the Nth ioend allocation of writeback fails "
	       "(ENOMEM), once\n"
	       "    -o short_copy_at=OFFSET      write() copies fall short at this file offset\n"
	       "    -o trace=PATH                append an engine event trace to PATH (absolute)\n"
	       "  always on: default_permissions (the kernel checks permissions),\n"
	       "  subtype=xfsfuse\n\n");
}
