/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Error injection in the engine (issues 6 and 12): countdown knobs that the
 * daemon's xfsfuse.fail_*_nth xattrs and -o fail_*_nth= options set, checked
 * by the engine where the failure happens.  Short copies are
 * iomap_tunables.short_copy_at (src/iomap/iomap.h); delays go through
 * iomap_set_inject_hook.
 *
 * XF_FAULT_DATA_WRITE, fail_write_nth=N: the Nth data write to the image made
 * by writeback from now on (one ioend: src/writeback/ioend.c
 * iomap_ioend_write) fails with EIO, once; then the knob is off again.  The
 * failure takes the path of a real device error: the ioend completes with the
 * error, no unwritten extent is converted, the error is recorded on the
 * mapping and returned by the next fsync, the folios stay clean (the data is
 * lost, as with the kernel), metadata stays consistent.
 *
 * XF_FAULT_IOEND_ALLOC, fail_ioend_alloc_nth=N: the Nth ioend allocation of
 * writeback fails (ENOMEM), once.  The kernel's bio allocation cannot fail
 * (a mempool); ours can, and the folio must then stay dirty and be written
 * later, not be dropped (src/writeback/buffered-io.c).
 *
 * XF_FAULT_IOMAP_BEGIN, xfsfuse.fail_iomap_begin_nth=N: the Nth ->iomap_begin
 * of a buffered write() fails with EIO, once (as a failed read of the extent
 * tree would).  The write returns what it wrote before.  It shows what a
 * stale_remedy leaves behind when the remap after a stale mapping fails
 * (doc/race.md).
 */
#ifndef XFSFUSE_FAULT_H
#define XFSFUSE_FAULT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum xf_fault {
	XF_FAULT_DATA_WRITE,
	XF_FAULT_IOEND_ALLOC,
	XF_FAULT_IOMAP_BEGIN,
	XF_FAULT_NR,
};

/* 0 = off; N = fail the Nth event from now on. */
void xf_fault_set_nth(enum xf_fault f, uint64_t n);
/* Events left until the failure (1 = the next one), 0 when off. */
uint64_t xf_fault_get_nth(enum xf_fault f);
/* Called once per event: true if this one must fail. */
bool xf_fault_fires(enum xf_fault f);

struct xf_fault_stats {
	_Atomic uint64_t injected[XF_FAULT_NR];
};
extern struct xf_fault_stats xf_fault_stats;

#endif
