/* SPDX-License-Identifier: GPL-2.0 */
/* Judge an image's superblock before libxfs sees it (see sb_check.c). */
#ifndef XFSFUSE_SB_CHECK_H
#define XFSFUSE_SB_CHECK_H

struct xfs_sb;
int xb_sb_check(const char *image, bool readonly, struct xfs_sb *sb, char *why, size_t whylen);
/* Could a read-only mount of @sb (already checked) go read-write? */
int xb_sb_check_rw(const char *image, const struct xfs_sb *sb, char *why, size_t whylen);

#endif
