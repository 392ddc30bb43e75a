/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run-time control of a mounted xfsfuse (doc/control.md): the engine's
 * switches, injection delays and errors, counters, the event trace and the
 * per-file extent/page-cache view, all as virtual extended attributes named
 * "xfsfuse.*" on the inodes of the mount:
 *
 *   getfattr --only-values -n xfsfuse.counters MNT
 *   setfattr -n xfsfuse.iomap_validate -v off MNT
 *   getfattr --only-values -n xfsfuse.bmap MNT/file
 *
 * The kernel hands xattr names of namespaces it does not know to FUSE
 * unchanged, so these reach us; they never touch the image, and listxattr
 * never lists them (cp -a and getfattr -d do not copy them).
 *
 * One mount per process: the state is global.  Daemon only -- the in-process
 * race harness drives the engine's knobs and injection hook itself.
 */
#ifndef XFSFUSE_CONTROL_H
#define XFSFUSE_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "file_ops.h"
#include "iomap.h"

#define XF_CONTROL_PREFIX "xfsfuse."

/* What -o inject_*=, fail_write_nth=, short_copy_at=, trace= asked for. */
struct xf_control_opts {
	unsigned int delay_ms[INJECT_NR_POINTS]; /* inject_*_delay_ms= */
	bool jitter;				 /* inject_jitter=1: 0..N ms */
	uint64_t fail_write_nth;		 /* 0: off */
	uint64_t fail_ioend_alloc_nth;		 /* 0: off */
	int64_t short_copy_at;			 /* -1: off */
	char *trace;				 /* trace=PATH, or NULL */
};
void xf_control_default_opts(struct xf_control_opts *o);

/*
 * Before the FUSE mount: remember the mount point (trace files inside the
 * mount are refused: the daemon would write to itself) and start the trace
 * asked for, so that a bad trace= path fails the mount.  0 or -errno.
 */
int xf_control_init(const struct xf_control_opts *o, const char *mountpoint);
/* After xf_engine_start: apply the knobs, install the injection hook. */
void xf_control_start(struct xf_engine *e, const struct xf_control_opts *o);
/* After xf_engine_stop: remove the hook, stop the trace (flushing it). */
void xf_control_stop(void);

/* Is @name one of ours ("xfsfuse." prefix)? */
static inline bool xf_control_name(const char *name)
{
	return name && !__builtin_strncmp(name, XF_CONTROL_PREFIX, sizeof(XF_CONTROL_PREFIX) - 1);
}

/*
 * The xattr handlers' twins, with the same return conventions as
 * xb_getxattr / xb_setxattr / xb_removexattr (negative errno; get returns
 * the value length, or with @size 0 an upper bound of it; -ERANGE if it
 * does not fit).  Unknown names: -ENODATA on get, -EINVAL on set and
 * remove.  Setting needs @uid 0 or the daemon's own uid (-EPERM).
 */
int xf_control_getxattr(struct xb_inode *ip, const char *name, void *buf, size_t size);
int xf_control_setxattr(struct xb_inode *ip, const char *name, const void *value, size_t size,
			uid_t uid);
int xf_control_removexattr(struct xb_inode *ip, const char *name);

/* ---- inject.c: the daemon's injection hook (delays at the engine's points) ---- */
void xf_inject_set_delay(enum iomap_inject_point point, unsigned int ms);
unsigned int xf_inject_get_delay(enum iomap_inject_point point);
void xf_inject_set_jitter(bool on);
bool xf_inject_get_jitter(void);
uint64_t xf_inject_delays_done(void);
void xf_inject_install(void);
void xf_inject_remove(void);

/* ---- bmap.c: the xfsfuse.bmap report of a regular file ---- */
struct xf_text;
int xf_control_bmap(struct xf_engine *e, struct xb_inode *ip, struct xf_text *t);

/* ---- counters.c ---- */
/* A growable text buffer, capped (xattr values: 64 KiB at most). */
struct xf_text {
	char *buf;
	size_t len, cap, max;
	bool truncated; /* something did not fit under max */
};
void xf_text_init(struct xf_text *t, size_t max);
void xf_text_free(struct xf_text *t);
void xf_text_printf(struct xf_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "name value\n" per counter; since the last reset unless @totals. */
void xf_counters_format(struct xf_engine *e, struct xf_text *t, bool totals);
/* Counters shown by xfsfuse.counters restart from zero (gauges excepted). */
void xf_counters_reset(struct xf_engine *e);
/* At unmount: totals since mount, to stderr (@foreground) or syslog. */
void xf_counters_print(struct xf_engine *e, bool foreground);

#endif
