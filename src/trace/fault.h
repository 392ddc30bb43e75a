/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Error injection in the engine (issue 6): the knobs the daemon's
 * xfsfuse.fail_write_nth and -o fail_write_nth= set, checked by the engine
 * where the failure happens.  Short copies are iomap_tunables.short_copy_at
 * (src/iomap/iomap.h); delays go through iomap_set_inject_hook.
 *
 * fail_write_nth=N: the Nth data write to the image made by writeback from
 * now on (one ioend: src/writeback/ioend.c iomap_ioend_write) fails with
 * EIO, once; then the knob is off again.  The failure takes the path of a
 * real device error: the ioend completes with the error, no unwritten
 * extent is converted, the error is recorded on the mapping and returned by
 * the next fsync, the folios stay clean (the data is lost, as with the
 * kernel), metadata stays consistent.
 */
#ifndef XFSFUSE_FAULT_H
#define XFSFUSE_FAULT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* 0 = off; N = fail the Nth data write from now on. */
void xf_fault_set_fail_write_nth(uint64_t n);
/* Data writes left until the failure (1 = the next one), 0 when off. */
uint64_t xf_fault_get_fail_write_nth(void);
/* Called once per data write: true if this one must fail. */
bool xf_fault_data_write_fails(void);

struct xf_fault_stats {
	_Atomic uint64_t write_errors_injected;
};
extern struct xf_fault_stats xf_fault_stats;

#endif
