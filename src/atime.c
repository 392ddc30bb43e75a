// SPDX-License-Identifier: GPL-2.0
/*
 * The atime mount options (atime.h).  libmount turns each option into a
 * set or a cleared MS_* bit, left to right; the kernel's path_mount then
 * derives the mount's flags: relatime unless noatime, and strictatime
 * clears both -- so "strictatime,noatime" is strictatime, and norelatime
 * (which only clears MS_RELATIME) is still relatime, as on the kernel's
 * XFS (verified with mount -o loop on 6.18).
 */
#include "atime.h"

#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#define XF_MS_ATIME (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)

static const struct {
	const char *name;
	unsigned long ms;
	bool set;
} xf_atime_table[] = {
	{"noatime", MS_NOATIME, true},	       {"atime", MS_NOATIME, false},
	{"nodiratime", MS_NODIRATIME, true},   {"diratime", MS_NODIRATIME, false},
	{"relatime", MS_RELATIME, true},       {"norelatime", MS_RELATIME, false},
	{"strictatime", MS_STRICTATIME, true}, {"nostrictatime", MS_STRICTATIME, false},
	{"lazytime", MS_LAZYTIME, true},       {"nolazytime", MS_LAZYTIME, false},
};

bool xf_atime_opt(const char *opt, struct xf_atime_opts *a)
{
	size_t i;

	for (i = 0; i < sizeof(xf_atime_table) / sizeof(xf_atime_table[0]); i++) {
		if (strcmp(opt, xf_atime_table[i].name))
			continue;
		if (xf_atime_table[i].set)
			a->ms |= xf_atime_table[i].ms;
		else
			a->ms &= ~xf_atime_table[i].ms;
		a->seen |= xf_atime_table[i].ms;
		return true;
	}
	return false;
}

/* The atime part of path_mount's mnt_flags. */
static unsigned int xf_atime_from_ms(unsigned long ms)
{
	unsigned int f = 0;

	if (!(ms & MS_NOATIME))
		f |= VFS_ATIME_RELATIME; /* "Default to relatime unless overriden" */
	if (ms & MS_NOATIME)
		f |= VFS_ATIME_NOATIME;
	if (ms & MS_NODIRATIME)
		f |= VFS_ATIME_NODIRATIME;
	if (ms & MS_STRICTATIME)
		f &= ~(VFS_ATIME_RELATIME | VFS_ATIME_NOATIME);
	return f;
}

unsigned int xf_atime_mount_flags(const struct xf_atime_opts *a)
{
	return xf_atime_from_ms(a->ms) | ((a->ms & MS_LAZYTIME) ? VFS_ATIME_LAZYTIME : 0);
}

unsigned int xf_atime_remount_flags(unsigned int old, const struct xf_atime_opts *a)
{
	const unsigned int mnt = VFS_ATIME_NOATIME | VFS_ATIME_NODIRATIME | VFS_ATIME_RELATIME;
	unsigned int f = old;

	if (a->ms & XF_MS_ATIME)
		f = (f & ~mnt) | xf_atime_from_ms(a->ms);
	if (a->seen & MS_LAZYTIME)
		f = (f & ~VFS_ATIME_LAZYTIME) | ((a->ms & MS_LAZYTIME) ? VFS_ATIME_LAZYTIME : 0);
	return f;
}

void xf_atime_show(unsigned int flags, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s%s", (flags & VFS_ATIME_RDONLY) ? "ro" : "rw",
		 (flags & VFS_ATIME_NOATIME) ? ",noatime" : "",
		 (flags & VFS_ATIME_NODIRATIME) ? ",nodiratime" : "",
		 (flags & VFS_ATIME_RELATIME) ? ",relatime" : "",
		 (flags & (VFS_ATIME_NOATIME | VFS_ATIME_RELATIME)) ? "" : ",strictatime",
		 (flags & VFS_ATIME_LAZYTIME) ? ",lazytime" : "");
}
