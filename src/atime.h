/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The atime mount options (noatime, relatime, strictatime, nodiratime,
 * lazytime and their negations), read as mount(8) and the kernel read them
 * (atime.c), for the command line (options.c), remount (remount.c) and
 * the xfsfuse.atime knob (src/control), which shows them as /proc/mounts
 * would.  What they do: src/vfs/vfs_atime.h; doc/options.md.
 */
#ifndef XFSFUSE_ATIME_H
#define XFSFUSE_ATIME_H

#include <stdbool.h>
#include <stddef.h>

#include "vfs_atime.h"

/*
 * The options as given, in mount(2)'s MS_* bits: each sets or clears its
 * bit in order, as libmount builds the flags (so "noatime,atime" is
 * atime).  @seen: the bits some option named.
 */
struct xf_atime_opts {
	unsigned long ms, seen;
};

/* @opt one of the atime options: applied to @a, true; else false. */
bool xf_atime_opt(const char *opt, struct xf_atime_opts *a);
/* The kernel's path_mount: the flags (VFS_ATIME_*) of a new mount. */
unsigned int xf_atime_mount_flags(const struct xf_atime_opts *a);
/*
 * do_remount: the atime flags are replaced when an atime flag (noatime,
 * nodiratime, relatime, strictatime) is given, kept otherwise; lazytime and
 * nolazytime set and clear lazytime, which is kept when neither is given.
 * @old's read-only bit is kept.
 */
unsigned int xf_atime_remount_flags(unsigned int old, const struct xf_atime_opts *a);
/* As /proc/mounts lists them: "rw,relatime", "ro,noatime", "rw,strictatime,lazytime". */
void xf_atime_show(unsigned int flags, char *buf, size_t size);

#endif
