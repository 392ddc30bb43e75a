/* SPDX-License-Identifier: GPL-2.0 */
/* One user of an image at a time (see exclusive.c). */
#ifndef XFSFUSE_EXCLUSIVE_H
#define XFSFUSE_EXCLUSIVE_H

int xb_claim_image(const char *image, bool readonly, int *lock_fd, char *why, size_t whylen);
void xb_release_image(int lock_fd);
/*
 * remount,rw: turn a read-only mount's claim (shared flock on @lock_fd) into
 * a read-write one, or refuse (-EBUSY) and keep the shared lock.
 */
int xb_claim_image_rw(const char *image, int lock_fd, char *why, size_t whylen);

#endif
