// SPDX-License-Identifier: GPL-2.0
/*
 * Error injection knobs checked inside the engine (fault.h).
 */
#include "fault.h"

/* Data writes left before the injected failure; 0 = off. */
static _Atomic uint64_t xf_fail_write_countdown;

struct xf_fault_stats xf_fault_stats;

void xf_fault_set_fail_write_nth(uint64_t n)
{
	atomic_store(&xf_fail_write_countdown, n);
}

uint64_t xf_fault_get_fail_write_nth(void)
{
	return atomic_load(&xf_fail_write_countdown);
}

bool xf_fault_data_write_fails(void)
{
	uint64_t left = atomic_load_explicit(&xf_fail_write_countdown, memory_order_relaxed);

	/* Exactly one caller takes it from 1 to 0, and that write fails. */
	while (left) {
		if (atomic_compare_exchange_weak(&xf_fail_write_countdown, &left, left - 1)) {
			if (left != 1)
				return false;
			atomic_fetch_add(&xf_fault_stats.write_errors_injected, 1);
			return true;
		}
	}
	return false;
}
