/* SPDX-License-Identifier: GPL-2.0 */
/* mount -o remount,ro|rw of an xfsfuse mount (see remount.c). */
#ifndef XFSFUSE_REMOUNT_H
#define XFSFUSE_REMOUNT_H

#include <stdbool.h>

/* Does the command line ask for a remount (an option "remount")? */
bool xf_is_remount(int argc, char *argv[]);
/* Do it: exit status for main(). */
int xf_remount(int argc, char *argv[]);

#endif
