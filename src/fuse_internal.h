/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the libfuse handler files share (fuse_ops.c, fuse_dir.c, fuse_file.c,
 * fuse_readdir.c, fuse_xattr.c; split as fs/fuse splits inode.c, dir.c,
 * file.c, readdir.c and xattr.c).  Private to src/: main.c sees fuse_ops.h.
 */
#ifndef XFSFUSE_FUSE_INTERNAL_H
#define XFSFUSE_FUSE_INTERNAL_H

#include "fuse_ops.h"

/*
 * An open file description (the kernel's struct file): the inode reference
 * it holds, and its writeback-error cursor (f_wb_err), so that every
 * description open when a writeback error happened sees it once at fsync.
 */
struct xf_file {
	struct xb_inode *ip;
	uint32_t wb_err;
};

/* fuse_ops.c: node ids, open descriptions, attributes */
int xf_errno(fuse_req_t req, const char *op, uint64_t ino, int error);
struct xf_file *xf_fh(const struct fuse_file_info *fi);
int xf_fh_alloc(struct xf_fs *fs, struct fuse_file_info *fi, struct xb_inode *ip);
void xf_fh_free(struct fuse_file_info *fi);
struct xb_inode *xf_fh_inode(const struct fuse_file_info *fi);
int xf_fill_entry(struct xf_fs *fs, struct xb_inode *ip, struct fuse_entry_param *e);
uint64_t xf_nodeid_to_ino(const struct xf_fs *fs, fuse_ino_t nodeid);
void xf_reply_attr(fuse_req_t req, const char *op, struct xb_inode *ip, const struct xb_stat *xs,
		   int error);
void xf_reply_entry(fuse_req_t req, const char *op, struct xb_inode *ip);

/* fuse_dir.c: names (the kernel's dir.c) */
void xf_cred(fuse_req_t req, struct xb_cred *cr);
/* cr->groups from /proc: an allocated list to free, or NULL (then none). */
uint32_t *xf_cred_groups(fuse_req_t req, struct xb_cred *cr);
void xf_forget(fuse_req_t req, fuse_ino_t nodeid, uint64_t nlookup);
void xf_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets);
void xf_getattr(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi);
#if XF_FUSE_318
void xf_statx(fuse_req_t req, fuse_ino_t nodeid, int flags, int mask, struct fuse_file_info *fi);
#endif
void xf_link(fuse_req_t req, fuse_ino_t nodeid, fuse_ino_t newparent, const char *newname);
void xf_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
int xf_make_node(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev,
		 struct xb_inode **ipp);
void xf_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void xf_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);
void xf_readlink(fuse_req_t req, fuse_ino_t nodeid);
void xf_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
	       const char *newname, unsigned int flags);
void xf_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void xf_setattr(fuse_req_t req, fuse_ino_t nodeid, struct stat *attr, int to_set,
		struct fuse_file_info *fi);
void xf_symlink(fuse_req_t req, const char *target, fuse_ino_t parent, const char *name);
void xf_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);

/* fuse_file.c: open files and their data (file.c) */
void xf_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
			struct fuse_file_info *fi_out, size_t len, int flags);
void xf_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi);
void xf_fallocate(fuse_req_t req, fuse_ino_t nodeid, int mode, off_t off, off_t len,
		  struct fuse_file_info *fi);
void xf_flush(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi);
void xf_fsync(fuse_req_t req, fuse_ino_t nodeid, int datasync, struct fuse_file_info *fi);
void xf_lseek(fuse_req_t req, fuse_ino_t nodeid, off_t off, int whence, struct fuse_file_info *fi);
void xf_open(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi);
void xf_read(fuse_req_t req, fuse_ino_t nodeid, size_t size, off_t off, struct fuse_file_info *fi);
void xf_release(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi);
void xf_write(fuse_req_t req, fuse_ino_t nodeid, const char *buf, size_t size, off_t off,
	      struct fuse_file_info *fi);
#if XF_FUSE_317
void xf_tmpfile(fuse_req_t req, fuse_ino_t parent, mode_t mode, struct fuse_file_info *fi);
#endif

/* fuse_readdir.c: directory streams (readdir.c) */
void xf_fsyncdir(fuse_req_t req, fuse_ino_t nodeid, int datasync, struct fuse_file_info *fi);
void xf_opendir(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi);
void xf_readdir(fuse_req_t req, fuse_ino_t nodeid, size_t size, off_t off,
		struct fuse_file_info *fi);
void xf_readdirplus(fuse_req_t req, fuse_ino_t nodeid, size_t size, off_t off,
		    struct fuse_file_info *fi);
void xf_releasedir(fuse_req_t req, fuse_ino_t nodeid, struct fuse_file_info *fi);

/* fuse_xattr.c: extended attributes and ACLs (xattr.c) */
void xf_getxattr(fuse_req_t req, fuse_ino_t nodeid, const char *name, size_t size);
void xf_listxattr(fuse_req_t req, fuse_ino_t nodeid, size_t size);
void xf_removexattr(fuse_req_t req, fuse_ino_t nodeid, const char *name);
void xf_setxattr(fuse_req_t req, fuse_ino_t nodeid, const char *name, const char *value,
		 size_t size, int flags);

#endif
