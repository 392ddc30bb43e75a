// SPDX-License-Identifier: GPL-2.0
/*
 * libxlog expects each program to supply log-replay callbacks.  xfsfuse only
 * asks libxlog whether the log is clean (xlog_is_dirty) and never replays a
 * log: replay belongs to the kernel or xfs_repair -L.
 */
#include "xb_internal.h"

int xlog_recover_do_trans(struct xlog *log, struct xlog_recover *trans, int pass)
{
	(void) log;
	(void) trans;
	(void) pass;
	return -EOPNOTSUPP;
}
