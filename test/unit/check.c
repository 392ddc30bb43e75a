// SPDX-License-Identifier: GPL-2.0
#include "check.h"

_Atomic int th_failures;
_Atomic int th_checks;

int th_report(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, th_checks, th_failures);
	return th_failures ? 1 : 0;
}
