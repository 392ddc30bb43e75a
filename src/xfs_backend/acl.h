/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POSIX ACLs inside the backend (doc/backend.md, "POSIX ACLs").
 *
 * acl_format.c: the in-core ACL, the two formats it is converted between
 * (the VFS's "system.posix_acl_*" xattr value and XFS's on-disk
 * struct xfs_acl) and the mode algebra of the kernel's VFS ACL code.
 * acl.c: reading and writing the ACLs of an inode, under the libxfs lock.
 */
#ifndef XFSFUSE_XB_ACL_H
#define XFSFUSE_XB_ACL_H

#include "xb_internal.h"

enum xb_acl_type { XB_ACL_ACCESS, XB_ACL_DEFAULT };

/* The permission bits of a mode (the kernel's S_IRWXUGO). */
#define XB_S_IRWXUGO (S_IRWXU | S_IRWXG | S_IRWXO)

struct xb_acl_entry {
	uint16_t tag;  /* ACL_USER_OBJ ... ACL_OTHER */
	uint16_t perm; /* ACL_READ | ACL_WRITE | ACL_EXECUTE */
	uint32_t id;   /* uid or gid of ACL_USER / ACL_GROUP entries */
};

struct xb_acl {
	unsigned int count;
	struct xb_acl_entry entries[];
};

/* ---- acl_format.c: no inode, no lock ---- */
struct xb_acl *xb_acl_alloc(unsigned int count);
struct xb_acl *xb_acl_clone(const struct xb_acl *acl);
/* The VFS's parse (posix_acl_from_xattr): *aclp NULL means "no ACL". */
int xb_acl_from_xattr(const void *value, size_t size, struct xb_acl **aclp);
size_t xb_acl_xattr_size(unsigned int count);
void xb_acl_to_xattr(const struct xb_acl *acl, void *buf);
/* posix_acl_valid: entry order, a mask where needed, permission bits. */
int xb_acl_valid(const struct xb_acl *acl);
/*
 * xfs_acl_from_disk: a value of the wrong size is corruption (-EUCLEAN).
 * These two take buffers aligned for struct xfs_acl (malloc'd); the xattr
 * functions above take values at any alignment.
 */
int xb_acl_from_disk(const void *value, size_t len, unsigned int max_entries, struct xb_acl **aclp);
size_t xb_acl_disk_size(unsigned int count);
void xb_acl_to_disk(const struct xb_acl *acl, void *value);
/* posix_acl_equiv_mode: 0 if the mode says it all, 1 if not, <0 invalid. */
int xb_acl_equiv_mode(const struct xb_acl *acl, uint32_t *mode_p);
/* posix_acl_create_masq: a default ACL masked by the create mode. */
int xb_acl_create_masq(struct xb_acl *acl, uint32_t *mode_p);
/* __posix_acl_chmod: the owner, group-class and other entries follow @mode. */
int xb_acl_chmod_masq(struct xb_acl *acl, uint32_t mode);

/* ---- acl.c: callers hold xb_lock ---- */
/* The ACL of @ip, NULL if it has none. */
int xb_acl_get_locked(struct xfs_inode *ip, enum xb_acl_type type, struct xb_acl **aclp);
/*
 * What a new inode of @*mode_p under @dp inherits (posix_acl_create): with
 * no default ACL on @dp, *mode_p loses @umask and nothing is inherited;
 * otherwise *mode_p is masked by the default ACL, *aclp is the access ACL
 * to set (NULL if the mode says it all) and *daclp the default ACL to set
 * (directories only).  Free both with free().
 */
int xb_acl_inherit_prepare(struct xfs_inode *dp, uint32_t *mode_p, uint32_t umask,
			   struct xb_acl **daclp, struct xb_acl **aclp);
/* Blocks the attribute sets of xb_acl_inherit_apply may need. */
unsigned int xb_acl_inherit_blocks(struct xfs_inode *dp, const struct xb_acl *dacl,
				   const struct xb_acl *acl);
/* Store the inherited ACLs on the new inode: default first, as the kernel. */
int xb_acl_inherit_apply(struct xb_inode *xi, const struct xb_acl *dacl, const struct xb_acl *acl);
/* After a mode change: posix_acl_chmod on the access ACL, if any. */
int xb_acl_chmod_locked(struct xb_inode *xi);

/* The xattr entry points (xattr.c hands "system.posix_acl_*" over). */
bool xb_acl_xattr_type(const char *name, enum xb_acl_type *type);
int xb_acl_getxattr(struct xb_inode *xi, enum xb_acl_type type, void *buf, size_t size);
int xb_acl_setxattr(struct xb_inode *xi, enum xb_acl_type type, const void *val, size_t size,
		    const struct xb_cred *cr);

#endif
