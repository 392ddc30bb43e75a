/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command line of xfsfuse: `xfsfuse [options] IMAGE MOUNTPOINT`, options
 * anywhere (mount.fuse3 runs `xfsfuse IMAGE MNT -o opts`).
 *
 * xf_parse_options() takes what is ours (IMAGE, -o cache=, ro/rw, the atime
 * options, options mount(8) adds that libfuse would reject) out of @args and
 * adds the options that are always on (default_permissions, fsname=IMAGE,
 * subtype=xfsfuse), and noatime when the atime options amount to it (the
 * only one libfuse 3.14 can hand to the kernel, for /proc/mounts).
 * What is left goes to fuse_parse_cmdline(), fuse_parse_conn_info_opts()
 * and fuse_session_new(), which rejects anything it does not know.
 */
#ifndef XFSFUSE_OPTIONS_H
#define XFSFUSE_OPTIONS_H

#include "fuse_api.h"

#include <stdbool.h>

#include "atime.h"

struct xf_options {
	char *image; /* IMAGE, made absolute (fuse_daemonize does chdir("/")) */
	char *cache; /* -o cache=kernel|none, as given */
	bool cache_none;
	char *direct_io;	 /* -o direct_io=iomap|buffered, as given */
	bool direct_io_buffered; /* O_DIRECT opens use the buffered engine */
	bool readonly;		 /* -o ro or -r (and not a later -o rw) */
	bool io_uring;		 /* -o io_uring, and the kernel may give it (xf_io_uring_setup) */
	bool writeback_cache;	 /* -o writeback_cache: the kernel's writeback cache (opt-in) */
	bool has_fsname;	 /* the user chose fsname= / subtype= */
	bool has_subtype;
	int nonopts;		    /* positional arguments seen */
	struct xf_atime_opts atime; /* noatime, relatime, strictatime, nodiratime, lazytime */
	/* the iomap engine (validated into struct xf_engine_opts) */
	char *folio_size, *cache_size, *reclaim, *iomap_validate, *delalloc_punch, *prealloc;
	char *stale_remedy;
	char *writeback_interval, *dirty_expire, *dirty_background, *dirty_ratio;
	char *log_interval;		    /* the XFS log's timer (validated by xf_log_options) */
	char *inode_cache;		    /* libxfs copies kept loaded (xf_inode_cache_option) */
	char *attr_timeout, *entry_timeout; /* kernel cache validity (xf_cache_options) */
	/* run-time control (validated into struct xf_control_opts, src/control) */
	char *inject_write_delay_ms, *inject_folio_delay_ms, *inject_wb_delay_ms;
	char *inject_ioend_delay_ms, *inject_evict_delay_ms, *inject_log_flush_delay_ms;
	char *inject_jitter;
	char *fail_write_nth, *fail_ioend_alloc_nth, *short_copy_at, *trace;
};

/* 0, or -1 after printing "xfsfuse: <reason>" on stderr. */
int xf_parse_options(struct fuse_args *args, struct xf_options *o);
struct xf_engine_opts;
/* 0, or -1 after printing "xfsfuse: <reason>": engine options to @eo. */
int xf_engine_options(const struct xf_options *o, struct xf_engine_opts *eo);
struct xf_control_opts;
/* 0, or -1 after printing "xfsfuse: <reason>": injection and trace options to @co. */
int xf_control_options(const struct xf_options *o, struct xf_control_opts *co);
/* 0, or -1 after printing: the log timer period in ms (UINT32_MAX: none). */
int xf_log_options(const struct xf_options *o, unsigned int *interval_ms);
/* 0, or -1 after printing: -o inode_cache=N to @n, *@set if given. */
int xf_inode_cache_option(const struct xf_options *o, bool *set, uint64_t *n);
/*
 * How long the kernel may trust attributes and names (doc/options.md
 * "Kernel caches"): only the daemon changes the image while it is mounted,
 * and it tells the kernel whenever it changes them behind its back.
 */
#define XF_CACHE_TIMEOUT_DEFAULT 86400.0
/* 0, or -1 after printing: the kernel's attribute and entry validity (s). */
int xf_cache_options(const struct xf_options *o, double *attr_s, double *entry_s);
void xf_free_options(struct xf_options *o);
void xf_print_options_help(void);

#endif
