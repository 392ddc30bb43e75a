// SPDX-License-Identifier: GPL-2.0
/*
 * libfuse handlers for extended attributes, POSIX ACLs among them
 * (fs/fuse/xattr.c, fs/fuse/acl.c).
 */
#include "fuse_internal.h"
#include "control.h"

#include <errno.h>

/*
 * The kernel caches ACLs (FUSE_POSIX_ACL) and forgets them itself when it
 * sets one or sends SETATTR.  Writing XFS's own attribute for an ACL
 * through its trusted.* name bypasses that, so tell the kernel, as the
 * kernel's XFS forgets its cached ACL then (xfs_forget_acl).
 */
static void xf_acl_attr_changed(fuse_req_t req, fuse_ino_t nodeid, const char *name)
{
	if (!strcmp(name, "trusted.SGI_ACL_FILE") || !strcmp(name, "trusted.SGI_ACL_DEFAULT"))
		fuse_lowlevel_notify_inval_inode(xf_fs(req)->se, nodeid, -1, 0);
}

void xf_setxattr(fuse_req_t req, fuse_ino_t nodeid, const char *name, const char *value,
		 size_t size, int flags)
{
	struct xf_fs *fs = xf_fs(req); /* for after the reply */
	uint32_t *groups = NULL;
	struct xb_inode *ip;
	struct xb_cred cr;
	int error;

	if (flags & ~(XB_XATTR_CREATE | XB_XATTR_REPLACE)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	error = xf_control_name(name) ? xf_iget_any(req, nodeid, &ip) : xf_iget(req, nodeid, &ip);
	if (!error) {
		/* xfsfuse.*: run-time control (src/control), never stored */
		if (xf_control_name(name)) {
			error = xf_control_setxattr(ip, name, value, size, fuse_req_ctx(req)->uid);
		} else {
			xf_cred(req, &cr);
			if (!cr.fsetid && !strcmp(name, "system.posix_acl_access"))
				groups = xf_cred_groups(req, &cr);
			error = xb_setxattr_as(ip, name, value, size, flags, &cr);
			free(groups);
		}
		xb_iput(ip);
	}
	if (!error)
		xf_acl_attr_changed(req, nodeid, name);
	if (!error && !strcmp(name, XF_CONTROL_PREFIX "shutdown"))
		xf_shutdown_invalidate_attrs(fs);
	xf_reply_err(req, "setxattr", nodeid, error);
	if (!error && !strcmp(name, XF_CONTROL_PREFIX "shutdown"))
		xf_shutdown_invalidate(fs);
}

/*
 * getxattr and listxattr share the size protocol: size 0 asks for the
 * length, otherwise the value must fit or the answer is ERANGE.
 */
static void xf_reply_xattr_buf(fuse_req_t req, const char *op, fuse_ino_t nodeid, size_t size,
			       int (*get)(struct xb_inode *, const char *, void *, size_t),
			       const char *name)
{
	struct xb_inode *ip;
	char *buf = NULL;
	int len;

	if (size && !(buf = malloc(size))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* The controls answer after a shutdown too (xfsfuse.counters, .shutdown). */
	len = name && xf_control_name(name) ? xf_iget_any(req, nodeid, &ip)
					    : xf_iget(req, nodeid, &ip);
	if (!len) {
		len = get(ip, name, buf, size);
		xb_iput(ip);
	}
	if (len < 0)
		xf_reply_err(req, op, nodeid, len);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t) len);
	else
		fuse_reply_buf(req, buf, (size_t) len);
	free(buf);
}

static int xf_listxattr_get(struct xb_inode *ip, const char *name, void *buf, size_t size)
{
	(void) name;
	return xb_listxattr(ip, buf, size);
}

void xf_getxattr(fuse_req_t req, fuse_ino_t nodeid, const char *name, size_t size)
{
	xf_reply_xattr_buf(req, "getxattr", nodeid, size,
			   xf_control_name(name) ? xf_control_getxattr : xb_getxattr, name);
}

/*
 * The xfsfuse.* names are virtual: nothing is stored under them (XFS has no
 * such namespace), so the on-disk list never holds one and they are never
 * listed -- cp -a and getfattr -d do not copy them.
 */
void xf_listxattr(fuse_req_t req, fuse_ino_t nodeid, size_t size)
{
	xf_reply_xattr_buf(req, "listxattr", nodeid, size, xf_listxattr_get, NULL);
}

void xf_removexattr(fuse_req_t req, fuse_ino_t nodeid, const char *name)
{
	struct xb_inode *ip;
	int error;

	error = xf_iget(req, nodeid, &ip);
	if (!error) {
		error = xf_control_name(name) ? xf_control_removexattr(ip, name)
					      : xb_removexattr(ip, name);
		xb_iput(ip);
	}
	if (!error)
		xf_acl_attr_changed(req, nodeid, name);
	xf_reply_err(req, "removexattr", nodeid, error);
}
