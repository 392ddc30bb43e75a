/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CHECK and CHECK_EQ for every unit test: count checks and failures, print
 * the failing expression.  Atomic counters: engine tests check from threads.
 */
#ifndef XFSFUSE_TEST_CHECK_H
#define XFSFUSE_TEST_CHECK_H

#include <stdatomic.h>
#include <stdio.h>

extern _Atomic int th_failures;
extern _Atomic int th_checks;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		th_checks++;                                                                       \
		if (!(cond)) {                                                                     \
			th_failures++;                                                             \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
		}                                                                                  \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long __a = (long long) (a), __b = (long long) (b);                            \
		th_checks++;                                                                       \
		if (__a != __b) {                                                                  \
			th_failures++;                                                             \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n",        \
				__FILE__, __LINE__, #a, __a, #b, __b);                             \
		}                                                                                  \
	} while (0)

/* Print "NAME: N checks, M failed" and return the exit code. */
int th_report(const char *name);

#endif
