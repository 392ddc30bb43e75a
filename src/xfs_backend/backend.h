/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfs_backend: the XFS side of xfsfuse, built on libxfs (xfsprogs 6.1).
 *
 * This header is the whole contract between the FUSE glue (and tools such as
 * xfsfuse-mkimage) and libxfs.  It deliberately exposes no libxfs type: libxfs
 * headers redefine half the kernel and must stay inside src/xfs_backend/.
 *
 * Errors: every function returns 0 or a negative errno, like the kernel.
 * EUCLEAN (-117) means "metadata failed verification" (XFS's EFSCORRUPTED);
 * the FUSE glue maps it to EIO for applications.
 *
 * Inode references: struct xb_inode is the one incore inode for an inode
 * number (libxfs 6.1 has no inode cache; see inode_table.c).  Every function
 * that hands out an xb_inode takes a reference for the caller, who drops it
 * with xb_iput().  The FUSE glue holds one reference per kernel lookup count
 * and one per open file handle.  An inode whose link count reached zero is
 * freed (extents, attr fork, inode chunk slot) when its last reference goes,
 * as the kernel's xfs_inactive does.
 *
 * Locking: see lock.c.  Every backend entry point takes the libxfs lock
 * itself; callers hold nothing.
 */
#ifndef XFSFUSE_BACKEND_H
#define XFSFUSE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <time.h>

struct xb_mount;
struct xb_inode;
struct vfs_inode;

struct xb_mount_opts {
	const char *image;	      /* image file or block device */
	bool readonly;		      /* never write a byte to the image (until xb_remount_rw) */
	bool quiet;		      /* no informational messages on stderr */
	unsigned int log_interval_ms; /* timer checkpoints; 0: default, XB_LOG_NO_TIMER: none */
	/*
	 * libxfs copies of inodes kept loaded (doc/backend.md "Idle inodes"),
	 * when @inode_cache_set; else a quarter of cache_size's worth.
	 */
	bool inode_cache_set;
	uint64_t inode_cache;
};
#define XB_INODE_CACHE_DEFAULT UINT64_MAX

#define XB_LOG_NO_TIMER UINT32_MAX

/* The log's counters (doc/log.md, xfsfuse.counters). */
struct xb_log_stats {
	uint64_t checkpoints, log_bytes, bufs_logged, forced_by_free, unlogged_writes, dirty_bytes;
	uint64_t fsync_flush_only, in_flight;
	uint64_t replays, replayed_bufs;
};
void xb_log_counters(struct xb_mount *m, struct xb_log_stats *st);
/* Replay a crashed mount's log and leave the image clean, without mounting. */
int xb_recover(const char *image, bool quiet, uint64_t *nbufs, char *why, size_t whylen);

/*
 * Mount the image.  On refusal returns a negative errno and writes a one-line
 * human reason into @why (no trailing newline).  Nothing is written to the
 * image unless the mount succeeds read-write (then the superblock is marked
 * "offline modification in progress" until xb_unmount).
 */
int xb_mount(const struct xb_mount_opts *opts, struct xb_mount **mp, char *why, size_t whylen);
/* Write back everything, clear the in-progress mark, close.  Frees @m. */
int xb_unmount(struct xb_mount *m);
/* Commit dirty metadata to the image and fdatasync it (syncfs). */
int xb_sync(struct xb_mount *m);
/*
 * XFS_IOC_GOINGDOWN: stop every write to the image, checkpointing committed
 * metadata first with @logflush (doc/log.md).  Data writeback is the caller's.
 */
void xb_goingdown(struct xb_mount *m, bool logflush);
bool xb_is_shutdown(struct xb_mount *m);
/*
 * remount,rw of a read-only mount (the kernel's xfs_remount_rw): from now on
 * the image is written, the log takes new checkpoints.  0 when already
 * read-write; else a negative errno and a one-line reason in @why: -EROFS
 * when the image could not be opened read-write at mount (or its features
 * forbid writing), -EBUSY when someone else holds it, -EIO shut down.
 */
int xb_remount_rw(struct xb_mount *m, char *why, size_t whylen);
/* Read-only for good (xb_remount_rw would answer -EROFS)?  Why in @why. */
bool xb_rw_refused(struct xb_mount *m, char *why, size_t whylen);
uint64_t xb_root_ino(const struct xb_mount *m);
bool xb_readonly(const struct xb_mount *m);
unsigned int xb_blocksize(const struct xb_mount *m);

/* ---- inode references ---- */
int xb_iget(struct xb_mount *m, uint64_t ino, struct xb_inode **ipp);
/* The inode numbers in the inode table, in *@inosp (malloc'd; NULL: none). */
size_t xb_itable_inos(struct xb_mount *m, uint64_t **inosp);
/*
 * The same for an inode number that came from a file handle (the kernel's
 * open_by_handle_at, name_to_handle_at after the inode was forgotten): it
 * may be anything, so it must be an allocated inode chunk's by the inode
 * btree (the kernel's XFS_IGET_UNTRUSTED) before it is read.  -ESTALE if not,
 * or if the inode is free.
 */
int xb_iget_handle(struct xb_mount *m, uint64_t ino, struct xb_inode **ipp);
void xb_igrab(struct xb_inode *ip); /* +1 reference */
void xb_iput(struct xb_inode *ip);  /* -1 reference */
/*
 * Wait while an unlinked inode is being freed (its FORGET came), and a
 * little for the FORGET of closed unlinked files to come: what the ENOSPC
 * retries do before giving up, as xfs_inodegc_flush (inode_table.c).
 */
void xb_inodegc_wait(struct xb_mount *m);
uint64_t xb_ino(const struct xb_inode *ip);
/* The iomap engine's inode of a regular file, NULL otherwise (xfs_iomap.h). */
struct vfs_inode *xb_vfs_inode(struct xb_inode *ip);
struct xb_mount *xb_inode_mount(const struct xb_inode *ip);

/* ---- attributes ---- */
struct xb_stat {
	uint64_t ino;
	uint32_t mode;
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint64_t rdev; /* makedev() form */
	uint64_t size;
	uint64_t blocks; /* 512-byte units, like st_blocks */
	uint32_t blksize;
	uint32_t generation;
	uint32_t iflags; /* XB_IFLAG_* */
	struct timespec atime, mtime, ctime, crtime;
};
int xb_getattr(struct xb_inode *ip, struct xb_stat *st);

struct xb_cred;
/* Which fields of struct xb_setattr to apply. */
enum {
	XB_SET_MODE = 1 << 0,
	XB_SET_UID = 1 << 1,
	XB_SET_GID = 1 << 2,
	XB_SET_SIZE = 1 << 3,
	XB_SET_ATIME = 1 << 4, /* to .atime */
	XB_SET_MTIME = 1 << 5, /* to .mtime */
	XB_SET_ATIME_NOW = 1 << 6,
	XB_SET_MTIME_NOW = 1 << 7,
	XB_SET_CTIME = 1 << 8, /* to .ctime (else ctime = now when anything changes) */
	/*
	 * Drop setuid/setgid as a truncate or chown by .kill_cr must
	 * (KILLPRIV_V2's FATTR_KILL_SUIDGID; the rule is xb_file_remove_privs').
	 */
	XB_SET_KILL_PRIVS = 1 << 9,
};
struct xb_setattr {
	unsigned int valid;
	uint32_t mode, uid, gid;
	uint64_t size;
	struct timespec atime, mtime, ctime;
	const struct xb_cred *kill_cr;
};
int xb_setattr(struct xb_inode *ip, const struct xb_setattr *sa, struct xb_stat *st);
/*
 * ---- timestamps the VFS moves (inode_times.c, doc/backend.md "Access times") ----
 * A write changed the file: mtime and ctime to now (file_update_time; coarse
 * clock like the kernel's, so back-to-back writes log the inode once).
 * @lazy (lazytime): in memory only, logged later (see xb_touch_atime).
 */
int xb_file_update_time(struct xb_inode *ip, bool lazy);
/*
 * touch_atime: a read, readdir or readlink of @ip reached us on a mount whose
 * atime flags are @mnt_flags (VFS_ATIME_*, src/vfs/vfs_atime.h).  When
 * atime_needs_update() says so, atime becomes now, logged in a transaction
 * of its own (xfs_vn_update_time); with VFS_ATIME_LAZYTIME in memory only,
 * logged with the inode's next transaction, at fsync (not fdatasync),
 * xb_sync, or when the inode leaves the inode table (unmount included).
 * Read-only and shut-down mounts never move it.  Returns 1 if atime moved,
 * 0 if not, or a negative errno (touch_atime's callers ignore it).
 */
int xb_touch_atime(struct xb_inode *ip, unsigned int mnt_flags);
/* Would a read of @ip move its atime now?  (Nothing changes.) */
bool xb_atime_pending(struct xb_inode *ip, unsigned int mnt_flags);
/* Counters (xfsfuse.counters): atime moved and logged at once, moved in
 * memory (lazytime), lazy timestamps logged later. */
struct xb_time_stats {
	_Atomic uint64_t atime_logged, atime_lazy, lazy_flushed;
};
extern struct xb_time_stats xb_time_stats;
/*
 * Idle inodes (doc/backend.md "Idle inodes"): references the kernel holds
 * as lookup counts are not "active"; an inode with no active reference may
 * give its libxfs copy back and is read again when a request needs it.
 * xb_ikeep_lookup: the caller's reference becomes the kernel's lookup
 * (called before the reply that hands it over); xb_iput_lookup: such
 * references dropped (a reply that failed); xb_iforget: FORGET.
 */
void xb_ikeep_lookup(struct xb_inode *ip);
void xb_iput_lookup(struct xb_inode *ip, uint64_t n);
int xb_iforget(struct xb_mount *m, uint64_t ino, uint64_t nlookup);
uint64_t xb_inodes_loaded(struct xb_mount *m);
struct xb_idle_stats {
	_Atomic uint64_t released, reloaded;
	_Atomic uint64_t vfs_released; /* regular files: their vfs_inode too */
};
extern struct xb_idle_stats xb_idle_stats;
/* A write by an unprivileged user: drop setuid/setgid as file_remove_privs.
 * Returns 1 if the mode changed, 0 if not, or a negative errno. */
int xb_file_remove_privs(struct xb_inode *ip, const struct xb_cred *cr);
/* A regular file with setuid or setgid: xb_file_remove_privs may change it. */
bool xb_file_has_privs(struct xb_inode *ip);
/*
 * security_inode_killpriv for the writes the kernel never passes through
 * file_remove_privs (FOPEN_DIRECT_IO opens: cache=none, O_DIRECT): remove
 * the file capability (security.capability).  0 if there was none, or a
 * negative errno.
 */
int xb_file_kill_caps(struct xb_inode *ip);

/*
 * ---- inode flags (inode_flags.c, doc/backend.md "Inode flags") ----
 * The VFS's struct fileattr: what FS_IOC_FSGETXATTR / FS_IOC_FSSETXATTR
 * carry (FS_XFLAG_* values, sizes in bytes), or, when !fsx_valid, the
 * FS_*_FL word of FS_IOC_SETFLAGS in @flags with @xflags translated.
 */
struct xb_fileattr {
	uint32_t xflags, extsize, nextents, projid, cowextsize;
	uint32_t flags;
	bool fsx_valid;
	bool cap_fsetid; /* set: the caller may keep setuid/setgid (else cleared, as XFS does) */
};
int xb_fileattr_get(struct xb_inode *ip, struct xb_fileattr *fa);
/*
 * @prepare runs under the backend's lock with the current attributes and
 * the inode's owner and type (@st), before anything changes: it checks the
 * caller's rights and completes @fa (vfs_fileattr_set); non-zero refuses.
 */
typedef int (*xb_fileattr_prepare_t)(const struct xb_fileattr *old, struct xb_fileattr *fa,
				     const struct xb_stat *st, void *arg);
int xb_fileattr_set(struct xb_inode *ip, struct xb_fileattr *fa, xb_fileattr_prepare_t prepare,
		    void *arg);
/* The flags the VFS acts on (its S_IMMUTABLE, S_APPEND, S_SYNC, S_NOATIME). */
enum {
	XB_IFLAG_IMMUTABLE = 1 << 0,
	XB_IFLAG_APPEND = 1 << 1,
	XB_IFLAG_SYNC = 1 << 2,
	XB_IFLAG_NOATIME = 1 << 3,
	XB_IFLAG_NODUMP = 1 << 4, /* statx's STATX_ATTR_NODUMP only */
};
unsigned int xb_iflags(struct xb_inode *ip);

/* ---- namespace ---- */
/*
 * Credentials of the caller.  New inodes: owner (setgid directories
 * honoured) and umask, which applies only where the parent directory has no
 * default ACL (posix_acl_create).  Setting an access ACL clears setgid
 * unless the caller is in the file's group (@gid or @groups) or has
 * CAP_FSETID (@fsetid), as posix_acl_update_mode.
 */
struct xb_cred {
	uint32_t uid, gid;
	uint32_t umask;
	bool fsetid;
	const uint32_t *groups; /* supplementary groups */
	size_t ngroups;
};
int xb_lookup(struct xb_inode *dir, const char *name, struct xb_inode **ipp);
/* Regular files, directories, fifos, sockets, char and block devices. */
int xb_create(struct xb_inode *dir, const char *name, uint32_t mode, uint64_t rdev,
	      const struct xb_cred *cr, struct xb_inode **ipp);
int xb_symlink(struct xb_inode *dir, const char *name, const char *target, const struct xb_cred *cr,
	       struct xb_inode **ipp);
/*
 * O_TMPFILE: a regular file with no name and nlink 0 in @dir (the parent's
 * default ACL and flags are inherited), on the AGI unlinked list until
 * xb_link names it; freed when its last reference goes if it never is.
 */
int xb_tmpfile(struct xb_inode *dir, uint32_t mode, const struct xb_cred *cr,
	       struct xb_inode **ipp);
int xb_readlink(struct xb_inode *ip, char *buf, size_t size); /* returns length */
int xb_link(struct xb_inode *ip, struct xb_inode *newdir, const char *name);
int xb_unlink(struct xb_inode *dir, const char *name);
int xb_rmdir(struct xb_inode *dir, const char *name);
#define XB_RENAME_NOREPLACE (1 << 0) /* same values as RENAME_* */
#define XB_RENAME_EXCHANGE  (1 << 1)
#define XB_RENAME_WHITEOUT  (1 << 2)
int xb_rename(struct xb_inode *odir, const char *oname, struct xb_inode *ndir, const char *nname,
	      unsigned int flags);
/*
 * renameat2 with its flags; @cr owns the whiteout that XB_RENAME_WHITEOUT
 * leaves at the old name (a character device 0:0, doc/backend.md), and
 * may be NULL without that flag (xb_rename passes NULL).
 */
int xb_rename2(struct xb_inode *odir, const char *oname, struct xb_inode *ndir, const char *nname,
	       unsigned int flags, const struct xb_cred *cr);

/*
 * Directory iteration.  @cookie 0 starts at the beginning (".", "..", then
 * the entries); each emitted entry carries the cookie of the *next* entry, so
 * that a later call resumes after it.  @fill returns non-zero to stop (buffer
 * full); the entry it refused is emitted again by the next call.
 */
typedef int (*xb_filldir_t)(void *ctx, const char *name, size_t namelen, uint64_t ino,
			    unsigned int dtype, uint64_t next_cookie);
int xb_readdir(struct xb_inode *dir, uint64_t cookie, xb_filldir_t fill, void *ctx);

int xb_statfs(struct xb_mount *m, struct statvfs *st);

/*
 * ---- extended attributes ("user.x", "trusted.x", "security.x") ----
 * and POSIX ACLs ("system.posix_acl_access", "system.posix_acl_default",
 * in the VFS's xattr format; stored as XFS stores them, doc/backend.md).
 */
#define XB_XATTR_CREATE	 1 /* same values as XATTR_* */
#define XB_XATTR_REPLACE 2
int xb_getxattr(struct xb_inode *ip, const char *name, void *buf, size_t size); /* len */
/* As xb_setxattr_as by a caller who may keep setgid (tools, tests). */
int xb_setxattr(struct xb_inode *ip, const char *name, const void *val, size_t size, int flags);
/* @cr matters only for access ACLs; NULL: a caller who may keep setgid. */
int xb_setxattr_as(struct xb_inode *ip, const char *name, const void *val, size_t size, int flags,
		   const struct xb_cred *cr);
int xb_listxattr(struct xb_inode *ip, char *buf, size_t size); /* len */
int xb_removexattr(struct xb_inode *ip, const char *name);

/* ---- file data ---- */
int xb_read(struct xb_inode *ip, void *buf, size_t len, uint64_t off);	      /* bytes */
int xb_write(struct xb_inode *ip, const void *buf, size_t len, uint64_t off); /* bytes */
/* Allocate [off, off+len) as unwritten extents (fallocate mode 0 / KEEP_SIZE). */
int xb_prealloc(struct xb_inode *ip, uint64_t off, uint64_t len, bool keep_size);
int xb_fsync(struct xb_inode *ip, bool datasync);

#endif
