// SPDX-License-Identifier: GPL-2.0
/*
 * Error injection knobs checked inside the engine (fault.h).
 */
#include "fault.h"

/* Events left before each injected failure; 0 = off. */
static _Atomic uint64_t xf_fault_countdown[XF_FAULT_NR];

struct xf_fault_stats xf_fault_stats;

void xf_fault_set_nth(enum xf_fault f, uint64_t n)
{
	atomic_store(&xf_fault_countdown[f], n);
}

uint64_t xf_fault_get_nth(enum xf_fault f)
{
	return atomic_load(&xf_fault_countdown[f]);
}

bool xf_fault_fires(enum xf_fault f)
{
	uint64_t left = atomic_load_explicit(&xf_fault_countdown[f], memory_order_relaxed);

	/* Exactly one caller takes it from 1 to 0, and that one fails. */
	while (left) {
		if (atomic_compare_exchange_weak(&xf_fault_countdown[f], &left, left - 1)) {
			if (left != 1)
				return false;
			atomic_fetch_add(&xf_fault_stats.injected[f], 1);
			return true;
		}
	}
	return false;
}
