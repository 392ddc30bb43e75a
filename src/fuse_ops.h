/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The libfuse3 low-level glue of xfsfuse: request -> backend call -> reply.
 *
 * fuse_ops.c and its handler files (fuse_dir.c, fuse_file.c, fuse_readdir.c,
 * fuse_xattr.c; fuse_internal.h) talk only to src/xfs_backend/backend.h; it never sees a libxfs
 * type.  main.c owns the session and hands us a struct xf_fs as userdata.
 */
#ifndef XFSFUSE_FUSE_OPS_H
#define XFSFUSE_FUSE_OPS_H

#include "fuse_api.h"

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "file_ops.h"

/* Default and largest WRITE the kernel may send (conn->max_write). */
#define XF_MAX_WRITE (1024u * 1024u)

/* The session's userdata: one per mount. */
struct xf_fs {
	struct xb_mount *m;	 /* set by main() before fuse_session_mount */
	uint64_t root_ino;	 /* the XFS root inode; the kernel calls it FUSE_ROOT_ID */
	bool cache_none;	 /* -o cache=none: FOPEN_DIRECT_IO on every open */
	bool direct_io_buffered; /* -o direct_io=buffered: O_DIRECT opens stay buffered */
	bool io_uring;		 /* -o io_uring asked libfuse for FUSE-over-io_uring */
	bool writeback_cache;	 /* -o writeback_cache: asked of the kernel at INIT */
	bool killpriv_v2;	 /* we drop setuid/setgid (HANDLE_KILLPRIV_V2, INIT) */
	bool debug;		 /* -d: log backend errors too */
	double attr_timeout;	 /* -o attr_timeout=: validity of attributes (s) */
	double entry_timeout;	 /* -o entry_timeout=: of names and negative entries */
	struct fuse_conn_info_opts *conn_opts; /* -o max_write=... and friends */
	struct xf_engine engine;	       /* page cache, writeback, reclaim (file_ops.c) */
	struct fuse_session *se;	       /* for notifications to the kernel */
	_Atomic bool shutdown_noticed;	       /* xf_shutdown_invalidate ran */
};

extern const struct fuse_lowlevel_ops xf_ops;

/* For handlers in files of their own (ioctl_ops.c): see fuse_ops.c. */
struct xf_fs *xf_fs(fuse_req_t req);
int xf_iget(fuse_req_t req, fuse_ino_t nodeid, struct xb_inode **ipp);
int xf_iget_any(fuse_req_t req, fuse_ino_t nodeid, struct xb_inode **ipp);
bool xf_is_shutdown(fuse_req_t req);
void xf_shutdown_invalidate(struct xf_fs *fs);
void xf_shutdown_invalidate_attrs(struct xf_fs *fs);
/* The engine's callbacks into the FUSE layer (before xf_engine_start). */
void xf_fs_init_hooks(struct xf_fs *fs);
void xf_reply_err(fuse_req_t req, const char *op, uint64_t ino, int error);

/*
 * Messages: stderr while we have one, syslog once daemonized (stderr is then
 * /dev/null).  main() calls xf_log_to_syslog() right after fuse_daemonize.
 */
void xf_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void xf_log_to_syslog(void);

#endif
