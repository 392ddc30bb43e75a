// SPDX-License-Identifier: GPL-2.0
/*
 * Injection points (DESIGN.md §4): named places in the engine where a race
 * harness can park a thread or a daemon can add a delay.  A single hook,
 * installed by the harness or the daemon's race knobs; no hook, no cost
 * beyond one atomic load.
 */
#include "iomap.h"

static _Atomic(iomap_inject_hook_t) inject_hook;
static void *_Atomic inject_arg;

void iomap_set_inject_hook(iomap_inject_hook_t hook, void *arg)
{
	atomic_store(&inject_arg, arg);
	atomic_store(&inject_hook, hook);
}

void iomap_inject(enum iomap_inject_point point, struct vfs_inode *inode, loff_t pos)
{
	iomap_inject_hook_t hook = atomic_load(&inject_hook);

	if (hook)
		hook(point, inode, pos, atomic_load(&inject_arg));
}
