/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lock watch: which thread holds or waits for which of the engine's
 * sleeping locks, so that a hang explains itself (issue 12).
 *
 * Each thread that takes one of these locks owns a slot in xf_lw_slots
 * (claimed on first use, given back when the thread exits) and writes only
 * its own slot: no lock, a few stores per acquisition.  Nothing in the
 * daemon reads the slots; test/integration/diagnose.sh prints them from a
 * stopped process with gdb (xf_lw_slots, xf_lw_nslots), beside every
 * thread's stack, and the race harness asks xf_lw_waits_on (waiting and
 * wait_ino are stored atomically for it).  The lock order they follow is
 * vfs_inode.h's.
 */
#ifndef XFSFUSE_LOCKWATCH_H
#define XFSFUSE_LOCKWATCH_H

#include <stdbool.h>
#include <stdint.h>

enum xf_lw_kind {
	XF_LW_I_RWSEM,	       /* vfs_inode.i_rwsem */
	XF_LW_INVALIDATE_LOCK, /* vfs_inode.invalidate_lock */
	XF_LW_FOLIO,	       /* folio lock */
	XF_LW_LIBXFS,	       /* xb_lock(): the libxfs mutex */
	XF_LW_NR,
};

struct xf_lw_slot {
	int tid;     /* 0: free; diagnose.sh finds the name in /proc */
	int waiting; /* enum xf_lw_kind it blocks on, -1: none */
	uint64_t wait_ino, wait_index;
	uint64_t wait_since_ms;
	int held[XF_LW_NR];	     /* how many of each it holds */
	uint64_t held_ino[XF_LW_NR]; /* inode of the last one taken */
	bool held_excl[XF_LW_NR];    /* ... and whether exclusively */
};

#define XF_LW_MAX_SLOTS 512
extern struct xf_lw_slot xf_lw_slots[XF_LW_MAX_SLOTS];
extern int xf_lw_nslots;

/* About to block on lock @k of inode @ino (@index: the folio's). */
void xf_lw_wait(enum xf_lw_kind k, uint64_t ino, uint64_t index);
/* Got what xf_lw_wait announced (or took it with a trylock). */
void xf_lw_got(enum xf_lw_kind k, uint64_t ino, bool excl);
/* Released one lock of kind @k. */
void xf_lw_put(enum xf_lw_kind k);
/* Is some thread blocked on lock @k of inode @ino right now? */
bool xf_lw_waits_on(enum xf_lw_kind k, uint64_t ino);

#endif
