// SPDX-License-Identifier: GPL-2.0
/*
 * rename(2): plain, RENAME_NOREPLACE, RENAME_EXCHANGE and RENAME_WHITEOUT.
 * The userspace twins of fs/xfs/xfs_inode.c xfs_rename() and
 * xfs_cross_rename(), on top of xfs_dir_createname / removename / replace.
 *
 * RENAME_WHITEOUT (overlayfs) leaves a whiteout, a character device 0:0, at
 * the old name, in xfs_rename's order: the whiteout is made first as a
 * nameless O_TMPFILE inode in a transaction of its own (namei.c), then the
 * rename transaction takes it off the unlinked list, gives it its link and
 * points the old entry at it (xfs_dir_replace instead of removename).  Until
 * that commits, a crash leaves only an unlinked inode that recovery frees
 * (doc/backend.md, "Names").
 *
 * Every check that can fail is done before the first modification: a dirty
 * transaction cannot be cancelled in libxfs (xb_trans_cancel shuts down).
 * A target whose last name goes is put on the AGI unlinked list in the
 * same transaction, as unlink does (remove.c).
 */
#include "xb_internal.h"
#include "dirop.h"

struct xb_rename {
	struct xb_inode *sdir, *tdir; /* source and target parents */
	struct xb_inode *src, *tgt;   /* tgt NULL if the new name is free */
	struct xb_inode *wip;	      /* the whiteout (RENAME_WHITEOUT) or NULL */
	const struct xb_cred *cr;     /* the whiteout's owner */
	struct xfs_name sname, tname;
	unsigned int flags;
	unsigned int resblks;
};

/*
 * Plain rename over an existing target: the rename(2) type rules, which the
 * VFS checks (may_delete) before the filesystem sees the rename.
 */
static int xb_rename_check_target(struct xfs_inode *sip, struct xfs_inode *tip)
{
	if (xb_is_dir(tip))
		return xb_is_dir(sip) ? 0 : -EISDIR;
	return xb_is_dir(sip) ? -ENOTDIR : 0;
}

/*
 * A directory replaced by a rename must be empty.  xfs_rename checks that
 * itself, after it made the whiteout (a RENAME_WHITEOUT that cannot get its
 * whiteout fails with that error first), and says EEXIST, one of the two
 * answers rename(2) allows.
 */
static int xb_rename_check_empty(struct xb_rename *r)
{
	struct xfs_inode *tip = r->tgt ? r->tgt->ip : NULL;

	if (!tip || r->flags & XB_RENAME_EXCHANGE || !xb_is_dir(tip))
		return 0;
	if (VFS_I(tip)->i_nlink > 2 || !xfs_dir_isempty(tip))
		return -EEXIST;
	return 0;
}

static int xb_rename_check(struct xb_rename *r)
{
	struct xfs_inode *sip = r->src->ip, *tdp = r->tdir->ip;
	bool new_parent = r->sdir != r->tdir;
	int error;

	if (r->flags & XB_RENAME_EXCHANGE && !r->tgt)
		return -ENOENT;
	if (r->tgt && (r->flags & XB_RENAME_NOREPLACE))
		return -EEXIST;
	/*
	 * vfs_rename: the source is deleted from its directory, the target
	 * (if any) from its own, else a name is created there.
	 */
	error = xb_may_delete(r->sdir->ip, sip);
	if (!error)
		error = r->tgt ? xb_may_delete(tdp, r->tgt->ip) : xb_may_create_in(tdp);
	if (error || r->flags & XB_RENAME_EXCHANGE)
		return error;
	if (r->tgt)
		return xb_rename_check_target(sip, r->tgt->ip);
	/* A directory moving in adds a ".." link to the new parent. */
	if (new_parent && xb_is_dir(sip) && VFS_I(tdp)->i_nlink >= XFS_MAXLINK)
		return -EMLINK;
	return 0;
}

/*
 * A directory moved by an exchange into the other parent: point its ".." at
 * @newp, and if the inode it was swapped with is no directory, move the
 * parent link from @oldp to @newp.
 */
static int xb_cross_rename_dotdot(struct xfs_trans *tp, struct xb_rename *r, struct xfs_inode *dir,
				  struct xfs_inode *other, struct xfs_inode *oldp,
				  struct xfs_inode *newp)
{
	int error = xb_err(libxfs_dir_replace(tp, dir, &xfs_name_dotdot, newp->i_ino, r->resblks));

	if (error || xb_is_dir(other))
		return error;
	error = xb_droplink(tp, oldp);
	if (!error)
		xb_bumplink(tp, newp);
	return error;
}

/*
 * xfs_cross_rename: swap the inode numbers of two entries, then fix the ".."
 * of directories that changed parent and move their parent links along.
 */
static int xb_cross_rename(struct xfs_trans *tp, struct xb_rename *r)
{
	struct xfs_inode *dp1 = r->sdir->ip, *dp2 = r->tdir->ip;
	struct xfs_inode *ip1 = r->src->ip, *ip2 = r->tgt->ip;
	int ip1_flags = XFS_ICHGTIME_CHG, ip2_flags = XFS_ICHGTIME_CHG, error;

	error = xb_err(libxfs_dir_replace(tp, dp1, &r->sname, ip2->i_ino, r->resblks));
	if (!error)
		error = xb_err(libxfs_dir_replace(tp, dp2, &r->tname, ip1->i_ino, r->resblks));
	if (!error && dp1 != dp2 && xb_is_dir(ip2)) {
		error = xb_cross_rename_dotdot(tp, r, ip2, ip1, dp2, dp1);
		ip2_flags |= XFS_ICHGTIME_MOD;
	}
	if (!error && dp1 != dp2 && xb_is_dir(ip1)) {
		error = xb_cross_rename_dotdot(tp, r, ip1, ip2, dp1, dp2);
		ip1_flags |= XFS_ICHGTIME_MOD;
	}
	if (error)
		return error;
	/* Both inodes changed (ctime, like the VFS expects), both parents too. */
	libxfs_trans_ichgtime(tp, ip1, ip1_flags);
	libxfs_trans_log_inode(tp, ip1, XFS_ILOG_CORE);
	libxfs_trans_ichgtime(tp, ip2, ip2_flags);
	libxfs_trans_log_inode(tp, ip2, XFS_ILOG_CORE);
	libxfs_trans_ichgtime(tp, dp1, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
	libxfs_trans_log_inode(tp, dp1, XFS_ILOG_CORE);
	if (dp1 != dp2) {
		libxfs_trans_ichgtime(tp, dp2, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
		libxfs_trans_log_inode(tp, dp2, XFS_ILOG_CORE);
	}
	return 0;
}

/* The new name: a fresh entry, or the target's entry pointed at the source. */
static int xb_rename_enter(struct xfs_trans *tp, struct xb_rename *r)
{
	struct xfs_inode *sip = r->src->ip, *tdp = r->tdir->ip;
	int error;

	if (!r->tgt) {
		error = xb_err(libxfs_dir_createname(tp, tdp, &r->tname, sip->i_ino, r->resblks));
		if (error)
			return error;
		libxfs_trans_ichgtime(tp, tdp, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
		if (r->sdir != r->tdir && xb_is_dir(sip))
			xb_bumplink(tp, tdp); /* the source's ".." */
		return 0;
	}
	error = xb_err(libxfs_dir_replace(tp, tdp, &r->tname, sip->i_ino, r->resblks));
	if (error)
		return error;
	libxfs_trans_ichgtime(tp, tdp, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
	/* The target loses its name and, if a directory, its "." as well. */
	error = xb_droplink(tp, r->tgt->ip);
	if (!error && xb_is_dir(r->tgt->ip))
		error = xb_droplink(tp, r->tgt->ip);
	return error;
}

/*
 * The whiteout gets its name: off the AGI unlinked list and one link, before
 * any directory block is touched (xfs_rename: the AGI before the AGF).
 */
static int xb_rename_take_whiteout(struct xfs_trans *tp, struct xfs_inode *wip)
{
	int error;

	if (VFS_I(wip)->i_nlink != 0)
		return -EUCLEAN;
	error = xb_iunlink_remove(tp, wip);
	if (!error)
		xb_bumplink(tp, wip);
	return error;
}

/* The old name goes, or with a whiteout now names the whiteout. */
static int xb_rename_leave(struct xfs_trans *tp, struct xb_rename *r)
{
	struct xfs_inode *sdp = r->sdir->ip;

	if (r->wip)
		return xb_err(
			libxfs_dir_replace(tp, sdp, &r->sname, r->wip->ip->i_ino, r->resblks));
	return xb_err(xfs_dir_removename(tp, sdp, &r->sname, r->src->ip->i_ino, r->resblks));
}

/* xfs_rename's non-exchange path, a whiteout taking the old name if asked. */
static int xb_plain_rename(struct xfs_trans *tp, struct xb_rename *r)
{
	struct xfs_inode *sip = r->src->ip, *sdp = r->sdir->ip, *tdp = r->tdir->ip;
	bool new_parent = r->sdir != r->tdir;
	int error;

	if (r->wip) {
		error = xb_rename_take_whiteout(tp, r->wip->ip);
		if (error)
			return error;
	}
	error = xb_rename_enter(tp, r);
	if (error)
		return error;
	if (new_parent && xb_is_dir(sip)) {
		error = xb_err(
			libxfs_dir_replace(tp, sip, &xfs_name_dotdot, tdp->i_ino, r->resblks));
		if (error)
			return error;
	}
	libxfs_trans_ichgtime(tp, sip, XFS_ICHGTIME_CHG);
	libxfs_trans_log_inode(tp, sip, XFS_ILOG_CORE);
	/*
	 * A directory that left sdp, or replaced a directory within sdp: one
	 * ".." pointing at sdp less.
	 */
	if (xb_is_dir(sip) && (new_parent || r->tgt)) {
		error = xb_droplink(tp, sdp);
		if (error)
			return error;
	}
	error = xb_rename_leave(tp, r);
	if (error)
		return error;
	libxfs_trans_ichgtime(tp, sdp, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
	libxfs_trans_log_inode(tp, sdp, XFS_ILOG_CORE);
	if (new_parent)
		libxfs_trans_log_inode(tp, tdp, XFS_ILOG_CORE);
	return 0;
}

static int xb_rename_trans(struct xb_rename *r)
{
	struct xb_mount *m = r->src->m;
	struct xfs_trans *tp;
	int error;

	r->resblks = XFS_RENAME_SPACE_RES(m->mp, r->tname.len);
	error = xb_trans_alloc_dirent(m, &M_RES(m->mp)->tr_rename, &r->resblks, &tp);
	if (error)
		return error;
	/* Up to five inodes, the whiteout's counted in tr_rename's log space. */
	xb_ijoin_all(tp,
		     (struct xfs_inode *[]){r->sdir->ip, r->tdir->ip, r->src->ip,
					    r->tgt ? r->tgt->ip : NULL, r->wip ? r->wip->ip : NULL},
		     5);
	error = xb_rename_check_empty(r);
	if (!error && !r->tgt)
		error = xb_check_canenter(tp, r->tdir->ip, &r->tname, r->resblks);
	if (error)
		goto out_cancel;
	if (r->flags & XB_RENAME_EXCHANGE)
		error = xb_cross_rename(tp, r);
	else
		error = xb_plain_rename(tp, r);
	if (error)
		goto out_cancel;
	return xb_trans_commit(tp);

out_cancel:
	xb_trans_cancel(m, tp);
	return error;
}

/* Look both names up (references taken), set the entries' file types. */
static int xb_rename_prepare(struct xb_rename *r, const char *oname, const char *nname)
{
	int error;

	error = xb_check_name(oname, &r->sname);
	if (!error)
		error = xb_check_name(nname, &r->tname);
	if (!error)
		error = xb_check_dir(r->sdir);
	if (!error)
		error = xb_check_dir(r->tdir);
	if (!error)
		error = xb_dir_get(r->sdir, oname, &r->src);
	if (error)
		return error;
	error = xb_dir_get(r->tdir, nname, &r->tgt);
	if (error == -ENOENT) {
		r->tgt = NULL;
		error = 0;
	}
	if (error)
		return error;
	/* Each entry ends up naming the other inode (exchange) or the source. */
	r->tname.type = libxfs_mode_to_ftype(VFS_I(r->src->ip)->i_mode);
	if (r->tgt)
		r->sname.type = libxfs_mode_to_ftype(VFS_I(r->tgt->ip)->i_mode);
	return 0;
}

/*
 * xfs_rename_alloc_whiteout, in the target directory as there; the old
 * entry will carry the whiteout's file type.
 */
static int xb_rename_alloc_whiteout(struct xb_rename *r)
{
	int error = xb_whiteout_tmpfile(r->tdir, r->cr, &r->wip);

	if (!error)
		r->sname.type = XFS_DIR3_FT_CHRDEV;
	return error;
}

/* do_renameat2's flag rules: EXCHANGE goes with neither of the others. */
static bool xb_rename_flags_valid(unsigned int flags, const struct xb_cred *cr)
{
	if (flags & ~(XB_RENAME_NOREPLACE | XB_RENAME_EXCHANGE | XB_RENAME_WHITEOUT))
		return false;
	if (flags & XB_RENAME_EXCHANGE && flags & (XB_RENAME_NOREPLACE | XB_RENAME_WHITEOUT))
		return false;
	return !(flags & XB_RENAME_WHITEOUT) || cr;
}

int xb_rename2(struct xb_inode *odir, const char *oname, struct xb_inode *ndir, const char *nname,
	       unsigned int flags, const struct xb_cred *cr)
{
	struct xb_rename r = {.sdir = odir, .tdir = ndir, .flags = flags, .cr = cr};
	int error;

	if (!xb_rename_flags_valid(flags, cr))
		return -EINVAL;
	if (xb_is_dot_name(oname) || xb_is_dot_name(nname))
		return -EINVAL;
	xb_lock();
	error = xb_rename_prepare(&r, oname, nname);
	/* Two names of one inode (or one name twice): nothing to do (vfs_rename). */
	if (!error && r.src == r.tgt)
		goto out_put;
	if (!error)
		error = xb_rename_check(&r);
	/* The VFS's checks passed: xfs_rename makes the whiteout first of all. */
	if (!error && flags & XB_RENAME_WHITEOUT)
		error = xb_rename_alloc_whiteout(&r);
	if (!error)
		error = xb_rename_trans(&r);
out_put:
	/* A whiteout never linked (the rename failed) is freed with this. */
	if (r.wip)
		xb_iput_locked(r.wip);
	/* A replaced target may have lost its last name: freed here if unused. */
	if (r.tgt)
		xb_iput_locked(r.tgt);
	if (r.src)
		xb_iput_locked(r.src);
	xb_unlock();
	return error;
}

int xb_rename(struct xb_inode *odir, const char *oname, struct xb_inode *ndir, const char *nname,
	      unsigned int flags)
{
	return xb_rename2(odir, oname, ndir, nname, flags, NULL);
}
