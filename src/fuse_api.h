/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which libfuse API xfsfuse is written against: 3.17 where the library is
 * 3.17 or newer (scripts/build-libfuse.sh builds 3.18 or 3.17 from Debian's
 * source package), 3.12 with Debian 12's libfuse 3.14.  Include this instead
 * of <fuse_lowlevel.h>; test XF_FUSE_317 where the APIs differ.
 *
 * libfuse_config.h names the library's version only from 3.17 on (before,
 * fuse_common.h does, and it cannot be included before FUSE_USE_VERSION is
 * set).
 */
#ifndef XFSFUSE_FUSE_API_H
#define XFSFUSE_FUSE_API_H

#include <libfuse_config.h>

#if defined(FUSE_MAJOR_VERSION) && defined(FUSE_MINOR_VERSION) &&                                  \
	(FUSE_MAJOR_VERSION > 3 || (FUSE_MAJOR_VERSION == 3 && FUSE_MINOR_VERSION >= 17))
#define FUSE_USE_VERSION 317
#else
#define FUSE_USE_VERSION 312
#endif
#include <fuse_lowlevel.h>

/* 1 with libfuse >= 3.17: fuse_set_feature_flag(), the tmpfile operation. */
#define XF_FUSE_317 (FUSE_VERSION >= FUSE_MAKE_VERSION(3, 17))
/* 1 with libfuse >= 3.18: the statx operation (FUSE_STATX). */
#define XF_FUSE_318 (FUSE_VERSION >= FUSE_MAKE_VERSION(3, 18))

#endif
