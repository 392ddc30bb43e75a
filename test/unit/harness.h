/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny harness for the backend unit tests: checks that count failures,
 * fresh mkfs.xfs images in a private temp dir, mount/unmount, xfs_repair -n.
 * Each test program exits 0 only if every check passed.
 */
#ifndef XFSFUSE_TEST_HARNESS_H
#define XFSFUSE_TEST_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "check.h"

/* Make a sparse image with mkfs.xfs (size 512 MiB unless @size_mb) and
 * extra mkfs options such as "-b size=1024".  Returns a malloc'd path. */
char *th_mkfs(const char *mkfs_opts, unsigned int size_mb);
struct xb_mount *th_mount(const char *image, bool readonly);
void th_umount(struct xb_mount *m);
/* xfs_repair -n: true if clean.  Prints repair's output when not. */
bool th_repair_clean(const char *image);
/* Remove the temp dir made by th_mkfs. */
void th_cleanup(void);
/* Print the summary line and return the exit code. */
int th_done(const char *name);

#endif
