/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine's event trace: one text line per event, switchable at run
 * time (xfsfuse.trace, -o trace=PATH), written to a file so that a user can
 * read the exact interleaving of threads that led to a corrupted block.
 *
 * Line format (doc/control.md):
 *   <ns> <tid> <event> ino=<ino> pos=<pos> len=<len> <details>
 * <ns> is CLOCK_MONOTONIC in nanoseconds, <tid> the kernel thread id.
 *
 * Cost when off: one relaxed atomic load at each call site (the macro), the
 * arguments are not even evaluated.  When on: formatting without locks, then
 * the line is appended to a stdio buffer under xf_trace_lock, a leaf lock
 * (taken with any engine lock held, never held while taking another one).
 * The buffer is flushed at most every 100 ms by the tracing threads and at
 * stop, so a trace read while running may lag by that much.
 */
#ifndef XFSFUSE_TRACE_H
#define XFSFUSE_TRACE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct folio;

extern _Atomic bool xf_trace_on;

#define xf_trace_enabled() atomic_load_explicit(&xf_trace_on, memory_order_relaxed)

/* xf_trace("iomap_begin", ino, pos, len, "type=%s", ...): a no-op when off. */
#define xf_trace(event, ino, pos, len, ...)                                                        \
	do {                                                                                       \
		if (xf_trace_enabled())                                                            \
			xf_trace_event((event), (uint64_t) (ino), (int64_t) (pos),                 \
				       (int64_t) (len), __VA_ARGS__);                              \
	} while (0)

void xf_trace_event(const char *event, uint64_t ino, int64_t pos, int64_t len, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Start appending to @path (absolute); a running trace is stopped first. */
int xf_trace_start(const char *path);
/* Flush and close; no more events.  Idempotent. */
void xf_trace_stop(void);
/* The current trace file, or "off". */
void xf_trace_path(char *buf, size_t size);

/* IOMAP_HOLE... as text: HOLE, DELALLOC, MAPPED, UNWRITTEN. */
const char *xf_iomap_type_name(unsigned int type);

/*
 * The inode number of a cached folio's file, read with the folio lock held
 * (a trylock) so that the inode cannot be freed meanwhile; 0 when tracing
 * is off, when the folio is locked by someone else or no longer cached.
 * For reclaim, which may only learn the inode after it is already gone.
 */
uint64_t xf_trace_folio_ino(struct folio *folio);

#endif
