/* SPDX-License-Identifier: GPL-2.0 */
/* Judge an image's superblock before libxfs sees it (see sb_check.c). */
#ifndef XFSFUSE_SB_CHECK_H
#define XFSFUSE_SB_CHECK_H

struct xfs_sb;
int xb_sb_check(const char *image, bool readonly, struct xfs_sb *sb, char *why, size_t whylen);

#endif
