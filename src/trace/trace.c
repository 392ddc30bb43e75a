// SPDX-License-Identifier: GPL-2.0
/*
 * The event trace (trace.h).  One global trace per process (one mount per
 * daemon), appended to a file.
 */
#include "trace.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iomap.h"
#include "pagecache.h"
#include "vfs_inode.h"

#define XF_TRACE_LINE_MAX 512
#define XF_TRACE_BUFSIZE  (1u << 20)
#define XF_TRACE_FLUSH_NS 100000000ull /* 100 ms */

_Atomic bool xf_trace_on;

/*
 * xf_trace_lock (leaf): protects xf_trace_file, xf_trace_file_path,
 * xf_trace_buf and xf_trace_last_flush.  xf_trace_on is set under it and
 * read without it (a stale "on" finds xf_trace_file NULL and returns).
 */
static pthread_mutex_t xf_trace_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *xf_trace_file;
static char *xf_trace_file_path;
static char *xf_trace_buf;
static uint64_t xf_trace_last_flush;

static uint64_t xf_trace_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

/* The caller's kernel thread id, cached; a forked child (fuse_daemonize) asks again. */
static _Thread_local pid_t xf_trace_cached_tid;
static pthread_once_t xf_trace_atfork_once = PTHREAD_ONCE_INIT;

static void xf_trace_forget_tid(void)
{
	xf_trace_cached_tid = 0;
}

static void xf_trace_register_atfork(void)
{
	pthread_atfork(NULL, NULL, xf_trace_forget_tid);
}

static pid_t xf_trace_tid(void)
{
	if (!xf_trace_cached_tid)
		xf_trace_cached_tid = gettid();
	return xf_trace_cached_tid;
}

/* Caller holds xf_trace_lock. */
static void xf_trace_write_locked(const char *line, uint64_t now)
{
	if (!xf_trace_file)
		return;
	fputs(line, xf_trace_file);
	if (now - xf_trace_last_flush >= XF_TRACE_FLUSH_NS) {
		fflush(xf_trace_file);
		xf_trace_last_flush = now;
	}
}

void xf_trace_event(const char *event, uint64_t ino, int64_t pos, int64_t len, const char *fmt, ...)
{
	char line[XF_TRACE_LINE_MAX];
	uint64_t now = xf_trace_now_ns();
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "%llu %d %s ino=%llu pos=%lld len=%lld ",
		     (unsigned long long) now, (int) xf_trace_tid(), event,
		     (unsigned long long) ino, (long long) pos, (long long) len);
	if (n < 0 || (size_t) n >= sizeof(line) - 2)
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t) n - 1, fmt, ap);
	va_end(ap);
	n = (int) strlen(line);
	while (n > 0 && line[n - 1] == ' ')
		n--;
	line[n] = '\n';
	line[n + 1] = '\0';

	pthread_mutex_lock(&xf_trace_lock);
	xf_trace_write_locked(line, now);
	pthread_mutex_unlock(&xf_trace_lock);
}

/* Caller holds xf_trace_lock. */
static void xf_trace_stop_locked(void)
{
	atomic_store(&xf_trace_on, false);
	if (xf_trace_file) {
		fprintf(xf_trace_file, "%llu %d trace_stop ino=0 pos=0 len=0\n",
			(unsigned long long) xf_trace_now_ns(), (int) xf_trace_tid());
		fclose(xf_trace_file);
	}
	xf_trace_file = NULL;
	free(xf_trace_file_path);
	xf_trace_file_path = NULL;
	free(xf_trace_buf);
	xf_trace_buf = NULL;
}

int xf_trace_start(const char *path)
{
	char *copy, *buf;
	FILE *f;

	if (!path || path[0] != '/')
		return -EINVAL;
	pthread_once(&xf_trace_atfork_once, xf_trace_register_atfork);
	copy = strdup(path);
	buf = malloc(XF_TRACE_BUFSIZE);
	if (!copy || !buf) {
		free(copy);
		free(buf);
		return -ENOMEM;
	}
	f = fopen(path, "ae");
	if (!f) {
		int error = -errno;

		free(copy);
		free(buf);
		return error;
	}
	setvbuf(f, buf, _IOFBF, XF_TRACE_BUFSIZE);

	pthread_mutex_lock(&xf_trace_lock);
	xf_trace_stop_locked();
	xf_trace_file = f;
	xf_trace_file_path = copy;
	xf_trace_buf = buf;
	xf_trace_last_flush = xf_trace_now_ns();
	fprintf(f,
		"%llu %d trace_start ino=0 pos=0 len=0 format=\"ns tid event ino pos len "
		"details\"\n",
		(unsigned long long) xf_trace_last_flush, (int) xf_trace_tid());
	fflush(f); /* nothing buffered across a fork (fuse_daemonize) */
	atomic_store(&xf_trace_on, true);
	pthread_mutex_unlock(&xf_trace_lock);
	return 0;
}

void xf_trace_stop(void)
{
	pthread_mutex_lock(&xf_trace_lock);
	xf_trace_stop_locked();
	pthread_mutex_unlock(&xf_trace_lock);
}

void xf_trace_path(char *buf, size_t size)
{
	pthread_mutex_lock(&xf_trace_lock);
	snprintf(buf, size, "%s", xf_trace_file_path ? xf_trace_file_path : "off");
	pthread_mutex_unlock(&xf_trace_lock);
}

const char *xf_iomap_type_name(unsigned int type)
{
	switch (type) {
	case IOMAP_HOLE:
		return "HOLE";
	case IOMAP_DELALLOC:
		return "DELALLOC";
	case IOMAP_MAPPED:
		return "MAPPED";
	case IOMAP_UNWRITTEN:
		return "UNWRITTEN";
	default:
		return "?";
	}
}

uint64_t xf_trace_folio_ino(struct folio *folio)
{
	uint64_t ino = 0;

	if (!xf_trace_enabled() || !folio_trylock(folio))
		return 0;
	/* Locked and still cached: truncation (and so inode freeing) waits for us. */
	if (folio->mapping)
		ino = ((struct vfs_inode *) folio->mapping->host)->i_ino;
	folio_unlock(folio);
	return ino;
}
