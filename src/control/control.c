// SPDX-License-Identifier: GPL-2.0
/*
 * The xfsfuse.* virtual extended attributes (control.h, doc/control.md).
 *
 * A table of knobs, each with a getter that prints its value as text and a
 * setter that parses one.  Values are plain ASCII without a trailing
 * newline, except the multi-line reports (counters, bmap, help), whose
 * lines each end in one.  Every knob works on any inode of the mount
 * (conventionally the root); xfsfuse.bmap needs a regular file.
 */
#include "control.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atime.h"
#include "fault.h"
#include "fuse_ops.h"
#include "trace.h"

/* The kernel's XATTR_SIZE_MAX: no xattr value can be longer. */
#define XF_XATTR_MAX 65536
/* Room left for the "# truncated" line of a report that did not fit. */
#define XF_XATTR_TAIL 64

/*
 * xf_ctl_lock (leaf): protects reclaim_aggressive, whose only other copy is
 * inside the reclaimer (which has a setter but no getter).  The rest is set
 * once before the mount is served.
 */
static pthread_mutex_t xf_ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	struct xf_engine *engine; /* NULL until xf_control_start */
	char *mountpoint;	  /* resolved: trace files may not be under it */
	bool reclaim_aggressive;
} xf_ctl;

struct xf_knob {
	const char *name; /* without the "xfsfuse." prefix */
	int (*get)(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t);
	int (*set)(const struct xf_knob *k, const char *value); /* NULL: read-only */
	int arg;     /* inject point of the delay knobs, enum xf_fault of fail_*_nth */
	bool report; /* value may grow between size query and read */
};

/* ---- value parsing ---- */

static int xf_parse_bool(const char *v, const char *yes, const char *no, bool *out)
{
	if (!strcmp(v, yes))
		*out = true;
	else if (!strcmp(v, no))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int xf_parse_u64(const char *v, uint64_t max, uint64_t *out)
{
	unsigned long long n;
	char *end;

	if (!*v || *v == '-' || *v == '+')
		return -EINVAL;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

/* ---- getters and setters ---- */

static int xf_get_validate(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t)
{
	(void) k;
	(void) ip;
	xf_text_printf(t, "%s", atomic_load(&iomap_tunables.validate) ? "on" : "off");
	return 0;
}

static int xf_set_validate(const struct xf_knob *k, const char *v)
{
	bool on;

	(void) k;
	if (xf_parse_bool(v, "on", "off", &on))
		return -EINVAL;
	atomic_store(&iomap_tunables.validate, on);
	xf_trace("set_iomap_validate", 0, 0, 0, "value=%s", v);
	return 0;
}

static int xf_get_punch(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t)
{
	(void) k;
	(void) ip;
	xf_text_printf(t, "%s", atomic_load(&iomap_tunables.legacy_punch) ? "legacy" : "safe");
	return 0;
}

static int xf_set_punch(const struct xf_knob *k, const char *v)
{
	bool legacy;

	(void) k;
	if (xf_parse_bool(v, "legacy", "safe", &legacy))
		return -EINVAL;
	atomic_store(&iomap_tunables.legacy_punch, legacy);
	xf_trace("set_delalloc_punch", 0, 0, 0, "value=%s", v);
	return 0;
}

/* The three switches together (doc/race.md); a mix reads back as "custom". */
static int xf_get_remedy(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t)
{
	(void) k;
	(void) ip;
	xf_text_printf(t, "%s", iomap_stale_remedy_name(iomap_stale_remedy_get()));
	return 0;
}

static int xf_set_remedy(const struct xf_knob *k, const char *v)
{
	enum iomap_stale_remedy r;

	(void) k;
	if (iomap_stale_remedy_parse(v, &r))
		return -EINVAL;
	iomap_stale_remedy_set(r);
	xf_trace("set_stale_remedy", 0, 0, 0, "value=%s", v);
	return 0;
}

static int xf_get_reclaim(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t)
{
	bool aggressive;

	(void) k;
	(void) ip;
	pthread_mutex_lock(&xf_ctl_lock);
	aggressive = xf_ctl.reclaim_aggressive;
	pthread_mutex_unlock(&xf_ctl_lock);
	xf_text_printf(t, "%s", aggressive ? "aggressive" : "normal");
	return 0;
}

static int xf_set_reclaim(const struct xf_knob *k, const char *v)
{
	struct xf_engine *e = xf_ctl.engine;
	bool aggressive;

	(void) k;
	if (xf_parse_bool(v, "aggressive", "normal", &aggressive))
		return -EINVAL;
	if (!e || !e->running)
		return -EIO;
	pthread_mutex_lock(&xf_ctl_lock);
	reclaim_set_aggressive(e->reclaim, aggressive);
	xf_ctl.reclaim_aggressive = aggressive;
	pthread_mutex_unlock(&xf_ctl_lock);
	xf_trace("set_reclaim", 0, 0, 0, "value=%s", v);
	return 0;
}

static int xf_get_delay(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t)
{
	(void) ip;
	xf_text_printf(t, "%u", xf_inject_get_delay((enum iomap_inject_point) k->arg));
	return 0;
}

#define XF_DELAY_MAX_MS 60000

static int xf_set_delay(const struct xf_knob *k, const char *v)
{
	uint64_t ms;

	if (xf_parse_u64(v, XF_DELAY_MAX_MS, &ms))
		return -EINVAL;
	xf_inject_set_delay((enum iomap_inject_point) k->arg, (unsigned int) ms);
	xf_trace("set_inject_delay", 0, 0, 0, "knob=%s ms=%u", k->name, (unsigned int) ms);
	return 0;
}

static int xf_get_jitter(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t)
{
	(void) k;
	(void) ip;
	xf_text_printf(t, "%d", xf_inject_get_jitter() ? 1 : 0);
	return 0;
}

static int xf_set_jitter(const struct xf_knob *k, const char *v)
{
	bool on;

	(void) k;
	if (xf_parse_bool(v, "1", "0", &on) && xf_parse_bool(v, "on", "off", &on))
		return -EINVAL;
	xf_inject_set_jitter(on);
	return 0;
}

/* The fail_*_nth knobs: k->arg is the enum xf_fault. */
static int xf_get_fault(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t)
{
	(void) ip;
	xf_text_printf(t, "%llu", (unsigned long long) xf_fault_get_nth((enum xf_fault) k->arg));
	return 0;
}

static int xf_set_fault(const struct xf_knob *k, const char *v)
{
	uint64_t n;

	if (!strcmp(v, "off"))
		n = 0;
	else if (xf_parse_u64(v, UINT32_MAX, &n))
		return -EINVAL;
	xf_fault_set_nth((enum xf_fault) k->arg, n);
	xf_trace("set_fault", 0, 0, 0, "knob=%s n=%llu", k->name, (unsigned long long) n);
	return 0;
}

static int xf_get_short_copy(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t)
{
	int64_t at = atomic_load(&iomap_tunables.short_copy_at);

	(void) k;
	(void) ip;
	if (at < 0)
		xf_text_printf(t, "off");
	else
		xf_text_printf(t, "%lld", (long long) at);
	return 0;
}

static int xf_set_short_copy(const struct xf_knob *k, const char *v)
{
	uint64_t at;

	(void) k;
	if (!strcmp(v, "off") || !strcmp(v, "-1"))
		at = UINT64_MAX;
	else if (xf_parse_u64(v, INT64_MAX, &at))
		return -EINVAL;
	atomic_store(&iomap_tunables.short_copy_at, at == UINT64_MAX ? -1 : (int64_t) at);
	xf_trace("set_short_copy_at", 0, 0, 0, "value=%s", v);
	return 0;
}

static int xf_get_counters(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t)
{
	(void) k;
	(void) ip;
	if (!xf_ctl.engine)
		return -EIO;
	xf_counters_format(xf_ctl.engine, t, false);
	return 0;
}

static int xf_set_counters(const struct xf_knob *k, const char *v)
{
	(void) k;
	if (strcmp(v, "0"))
		return -EINVAL;
	if (!xf_ctl.engine)
		return -EIO;
	xf_counters_reset(xf_ctl.engine);
	return 0;
}

static int xf_get_trace(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t)
{
	char path[PATH_MAX];

	(void) k;
	(void) ip;
	xf_trace_path(path, sizeof(path));
	xf_text_printf(t, "%s", path);
	return 0;
}

/* The daemon must never write to its own mount (it would wait for itself). */
static bool xf_path_in_mount(const char *path)
{
	size_t n = xf_ctl.mountpoint ? strlen(xf_ctl.mountpoint) : 0;

	if (!n)
		return false;
	if (n == 1) /* mounted on / */
		return true;
	return !strncmp(path, xf_ctl.mountpoint, n) && (path[n] == '/' || path[n] == '\0');
}

static int xf_check_trace_path(const char *path)
{
	if (path[0] != '/' || xf_path_in_mount(path))
		return -EINVAL;
	return 0;
}

static int xf_set_trace(const struct xf_knob *k, const char *v)
{
	int error;

	(void) k;
	if (!strcmp(v, "off")) {
		xf_trace_stop();
		return 0;
	}
	error = xf_check_trace_path(v);
	return error ? error : xf_trace_start(v);
}

static int xf_get_bmap(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t)
{
	(void) k;
	if (!xf_ctl.engine)
		return -EIO;
	return xf_control_bmap(xf_ctl.engine, ip, t);
}

/*
 * sync: what syncfs(2) would do if Linux's FUSE sent it to us -- every dirty
 * folio written back and the log checkpointed (durable).  remount,ro uses it
 * (src/remount.c), as XFS quiesces its log when it goes read-only.
 */
static _Atomic uint64_t xf_syncs;

static int xf_get_sync(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t)
{
	(void) k;
	(void) ip;
	xf_text_printf(t, "%llu", (unsigned long long) atomic_load(&xf_syncs));
	return 0;
}

static int xf_set_sync(const struct xf_knob *k, const char *v)
{
	int error;

	(void) k;
	if (strcmp(v, "1"))
		return -EINVAL;
	if (!xf_ctl.engine)
		return -EIO;
	error = xf_engine_syncfs(xf_ctl.engine);
	if (!error)
		atomic_fetch_add(&xf_syncs, 1);
	xf_trace("sync", 0, 0, 0, "error=%d", error);
	return error;
}

/*
 * shutdown: XFS_IOC_GOINGDOWN with its mode named ("default", "logflush",
 * "nologflush"), for a daemon that cannot read the ioctl's flags (doc/log.md
 * "Shutdown on request").  Reads 1 once the mount is shut down, for any
 * reason.
 */
static int xf_get_shutdown(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t)
{
	(void) k;
	(void) ip;
	if (!xf_ctl.engine || !xf_ctl.engine->m)
		return -EIO;
	xf_text_printf(t, "%d", xb_is_shutdown(xf_ctl.engine->m));
	return 0;
}

static int xf_set_shutdown(const struct xf_knob *k, const char *v)
{
	static const char *const modes[] = {
		[XF_GOINGDOWN_DEFAULT] = "default",
		[XF_GOINGDOWN_LOGFLUSH] = "logflush",
		[XF_GOINGDOWN_NOLOGFLUSH] = "nologflush",
	};
	unsigned int i;

	(void) k;
	if (!xf_ctl.engine)
		return -EIO;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!strcmp(v, modes[i])) {
			xf_trace("shutdown", 0, 0, 0, "mode=%s", v);
			return xf_engine_goingdown(xf_ctl.engine, i);
		}
	}
	return -EINVAL;
}

/*
 * mode: "rw", "ro", or "ro-only: REASON" (read-only and unable to go
 * read-write: the image could not be opened read-write, or its features
 * forbid writing), whatever the kernel's mount flags say.  remount.c reads
 * it before remount,rw and refuses "ro-only" with the reason.
 */
static int xf_get_mode(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t)
{
	char why[256];

	(void) k;
	(void) ip;
	if (!xf_ctl.engine || !xf_ctl.engine->m)
		return -EIO;
	if (xb_rw_refused(xf_ctl.engine->m, why, sizeof(why)))
		xf_text_printf(t, "ro-only: %s", why);
	else
		xf_text_printf(t, "%s", xb_readonly(xf_ctl.engine->m) ? "ro" : "rw");
	return 0;
}

/*
 * Setting "rw" makes a read-only daemon read-write (xb_remount_rw): what
 * remount,rw does once the kernel's mount is read-write, since the kernel
 * refuses setxattr on a read-only one.  Why a refusal: in the daemon's log.
 */
static int xf_set_mode(const struct xf_knob *k, const char *v)
{
	char why[512];
	int error;

	(void) k;
	if (strcmp(v, "rw"))
		return -EINVAL;
	if (!xf_ctl.engine || !xf_ctl.engine->m)
		return -EIO;
	error = xb_remount_rw(xf_ctl.engine->m, why, sizeof(why));
	if (error)
		xf_log("remount,rw refused: %s", why[0] ? why : strerror(-error));
	xf_trace("set_mode", 0, 0, 0, "value=rw error=%d", error);
	return error;
}

/*
 * atime: the mount's atime flags as /proc/mounts would list them (the
 * kernel's mount shows only noatime: libfuse 3.14 cannot pass the others).
 * Setting takes a mount option list applied as a remount (ro, rw and the
 * atime options; xf_atime_remount_flags): remount.c tells the daemon this
 * way, since the FUSE kernel does not.
 */
static int xf_get_atime(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t)
{
	unsigned int flags;
	char buf[96];

	(void) k;
	(void) ip;
	if (!xf_ctl.engine || !xf_ctl.engine->m)
		return -EIO;
	flags = atomic_load(&xf_ctl.engine->atime_flags);
	if (xb_readonly(xf_ctl.engine->m))
		flags |= VFS_ATIME_RDONLY;
	xf_atime_show(flags, buf, sizeof(buf));
	xf_text_printf(t, "%s", buf);
	return 0;
}

static int xf_set_atime(const struct xf_knob *k, const char *v)
{
	struct xf_atime_opts opts = {0, 0};
	unsigned int flags, old;
	char buf[256], *tok, *save = NULL;
	int ro = -1; /* -1: not named */

	(void) k;
	if (!xf_ctl.engine)
		return -EIO;
	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "ro") || !strcmp(tok, "rw"))
			ro = tok[1] == 'o';
		else if (!xf_atime_opt(tok, &opts))
			return -EINVAL;
	}
	old = atomic_load(&xf_ctl.engine->atime_flags);
	do {
		flags = xf_atime_remount_flags(old, &opts);
		if (ro >= 0)
			flags = ro ? flags | VFS_ATIME_RDONLY : flags & ~VFS_ATIME_RDONLY;
	} while (!atomic_compare_exchange_weak(&xf_ctl.engine->atime_flags, &old, flags));
	xf_atime_show(flags, buf, sizeof(buf));
	xf_trace("set_atime", 0, 0, 0, "value=%s", buf);
	return 0;
}

static int xf_get_help(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t);

static const struct xf_knob xf_knobs[] = {
	{"iomap_validate", xf_get_validate, xf_set_validate, 0, false},
	{"delalloc_punch", xf_get_punch, xf_set_punch, 0, false},
	{"stale_remedy", xf_get_remedy, xf_set_remedy, 0, false},
	{"reclaim", xf_get_reclaim, xf_set_reclaim, 0, false},
	{"inject_write_delay_ms", xf_get_delay, xf_set_delay, INJECT_WRITE_AFTER_BEGIN, false},
	{"inject_folio_delay_ms", xf_get_delay, xf_set_delay, INJECT_WRITE_BEFORE_FOLIO, false},
	{"inject_wb_delay_ms", xf_get_delay, xf_set_delay, INJECT_WB_BEFORE_MAP, false},
	{"inject_ioend_delay_ms", xf_get_delay, xf_set_delay, INJECT_IOEND_BEFORE_COMPLETE, false},
	{"inject_evict_delay_ms", xf_get_delay, xf_set_delay, INJECT_AFTER_EVICT, false},
	{"inject_log_flush_delay_ms", xf_get_delay, xf_set_delay, INJECT_LOG_FLUSH, false},
	{"inject_jitter", xf_get_jitter, xf_set_jitter, 0, false},
	{"fail_write_nth", xf_get_fault, xf_set_fault, XF_FAULT_DATA_WRITE, false},
	{"fail_ioend_alloc_nth", xf_get_fault, xf_set_fault, XF_FAULT_IOEND_ALLOC, false},
	{"fail_iomap_begin_nth", xf_get_fault, xf_set_fault, XF_FAULT_IOMAP_BEGIN, false},
	{"short_copy_at", xf_get_short_copy, xf_set_short_copy, 0, false},
	{"counters", xf_get_counters, xf_set_counters, 0, true},
	{"sync", xf_get_sync, xf_set_sync, 0, false},
	{"shutdown", xf_get_shutdown, xf_set_shutdown, 0, false},
	{"mode", xf_get_mode, xf_set_mode, 0, false},
	{"atime", xf_get_atime, xf_set_atime, 0, false},
	{"trace", xf_get_trace, xf_set_trace, 0, true},
	{"bmap", xf_get_bmap, NULL, 0, true},
	{"help", xf_get_help, NULL, 0, false},
};

#define XF_NR_KNOBS (sizeof(xf_knobs) / sizeof(xf_knobs[0]))

static int xf_get_help(const struct xf_knob *k, struct xb_inode *ip, struct xf_text *t)
{
	size_t i;

	(void) k;
	(void) ip;
	for (i = 0; i < XF_NR_KNOBS; i++)
		xf_text_printf(t, "%s%s%s\n", XF_CONTROL_PREFIX, xf_knobs[i].name,
			       xf_knobs[i].set ? "" : " (read-only)");
	return 0;
}

static const struct xf_knob *xf_knob_lookup(const char *name)
{
	size_t i;

	if (!xf_control_name(name))
		return NULL;
	name += sizeof(XF_CONTROL_PREFIX) - 1;
	for (i = 0; i < XF_NR_KNOBS; i++)
		if (!strcmp(name, xf_knobs[i].name))
			return &xf_knobs[i];
	return NULL;
}

/* ---- the xattr entry points ---- */

/* Size 0 asks for the length: a report may grow before the read, so allow for that. */
static int xf_value_size_hint(const struct xf_knob *k, size_t len)
{
	size_t hint = k->report ? len + len / 4 + 256 : len;

	return (int) (hint > XF_XATTR_MAX ? XF_XATTR_MAX : hint);
}

int xf_control_getxattr(struct xb_inode *ip, const char *name, void *buf, size_t size)
{
	const struct xf_knob *k = xf_knob_lookup(name);
	struct xf_text t;
	int ret;

	if (!k)
		return -ENODATA;
	xf_text_init(&t, XF_XATTR_MAX - XF_XATTR_TAIL);
	ret = k->get(k, ip, &t);
	if (ret)
		goto out;
	if (t.truncated) {
		t.truncated = false;
		t.max = XF_XATTR_MAX;
		xf_text_printf(&t, "# truncated\n");
	}
	if (!size)
		ret = xf_value_size_hint(k, t.len);
	else if (t.len > size)
		ret = -ERANGE;
	else {
		if (t.len)
			memcpy(buf, t.buf, t.len);
		ret = (int) t.len;
	}
out:
	xf_text_free(&t);
	return ret;
}

/* The value as a C string, trailing whitespace (echo's newline) dropped. */
static char *xf_value_string(const void *value, size_t size)
{
	char *v = malloc(size + 1);

	if (!v)
		return NULL;
	memcpy(v, value, size);
	v[size] = '\0';
	while (size && (v[size - 1] == '\n' || v[size - 1] == ' ' || v[size - 1] == '\t'))
		v[--size] = '\0';
	return v;
}

int xf_control_setxattr(struct xb_inode *ip, const char *name, const void *value, size_t size,
			uid_t uid)
{
	const struct xf_knob *k = xf_knob_lookup(name);
	char *v;
	int error;

	(void) ip;
	if (!k)
		return -EINVAL;
	if (!k->set)
		return -EPERM;
	/* Knobs can lose data (fail_write_nth) or stall the mount: owner only. */
	if (uid != 0 && uid != geteuid())
		return -EPERM;
	if (size > PATH_MAX || memchr(value, '\0', size))
		return -EINVAL;
	v = xf_value_string(value, size);
	if (!v)
		return -ENOMEM;
	error = k->set(k, v);
	free(v);
	return error;
}

int xf_control_removexattr(struct xb_inode *ip, const char *name)
{
	(void) ip;
	return xf_knob_lookup(name) ? -EPERM : -EINVAL;
}

/* ---- set-up ---- */

void xf_control_default_opts(struct xf_control_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->short_copy_at = -1;
}

int xf_control_init(const struct xf_control_opts *o, const char *mountpoint)
{
	char path[PATH_MAX];

	free(xf_ctl.mountpoint);
	xf_ctl.mountpoint = NULL;
	if (mountpoint && realpath(mountpoint, path))
		xf_ctl.mountpoint = strdup(path);
	if (!o->trace)
		return 0;
	if (xf_check_trace_path(o->trace))
		return -EINVAL;
	return xf_trace_start(o->trace);
}

void xf_control_start(struct xf_engine *e, const struct xf_control_opts *o)
{
	int p;

	xf_ctl.engine = e;
	xf_ctl.reclaim_aggressive = e->opts.reclaim.aggressive;
	for (p = 0; p < INJECT_NR_POINTS; p++)
		xf_inject_set_delay((enum iomap_inject_point) p, o->delay_ms[p]);
	xf_inject_set_jitter(o->jitter);
	xf_fault_set_nth(XF_FAULT_DATA_WRITE, o->fail_write_nth);
	xf_fault_set_nth(XF_FAULT_IOEND_ALLOC, o->fail_ioend_alloc_nth);
	atomic_store(&iomap_tunables.short_copy_at, o->short_copy_at);
	xf_inject_install();
}

void xf_control_stop(void)
{
	xf_inject_remove();
	xf_trace_stop();
	xf_ctl.engine = NULL;
	free(xf_ctl.mountpoint);
	xf_ctl.mountpoint = NULL;
}
