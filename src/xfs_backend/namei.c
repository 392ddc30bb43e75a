// SPDX-License-Identifier: GPL-2.0
/*
 * Looking names up and creating inodes: the userspace twins of the kernel's
 * xfs_lookup(), xfs_create(), xfs_create_tmpfile() and xfs_symlink()
 * (fs/xfs/xfs_inode.c, xfs_symlink.c), built on libxfs_dir_ialloc /
 * libxfs_dir_createname the way mkfs/proto.c drives them.
 *
 * An O_TMPFILE inode is created with no name and a link count of zero, and
 * goes on its AGI unlinked list in the creating transaction (xb_iunlink), as
 * the kernel's xfs_create_tmpfile does: it is freed when its last reference
 * goes (inode_table.c), or by log recovery / xfs_repair after a crash, unless
 * linkat gives it a name first (xb_link takes it off the list).
 *
 * Every check that can fail (name, existence, free space) happens before the
 * first modification: libxfs cannot cancel a dirty transaction.
 *
 * POSIX ACL inheritance is xfs_generic_create's (acl.c): the parent's
 * default ACL, read before anything is written, decides the mode the inode
 * is created with -- the umask applies only without one -- and which ACLs
 * are set on it right after the create, under the same hold of the libxfs
 * lock (so in the same log checkpoint).  The create transaction reserves
 * the blocks those attributes need, so ENOSPC comes before the create.
 */
#include "acl.h"
#include "dirop.h"

#include <sys/random.h>
#include <sys/sysmacros.h>

int xb_check_name(const char *name, struct xfs_name *xname)
{
	size_t len = strlen(name);

	if (len == 0 || strchr(name, '/'))
		return -EINVAL;
	if (len > MAXNAMELEN - 1)
		return -ENAMETOOLONG;
	xname->name = (const unsigned char *) name;
	xname->len = len;
	xname->type = XFS_DIR3_FT_UNKNOWN;
	return 0;
}

int xb_dir_lookup_ino(struct xb_inode *dir, const char *name, xfs_ino_t *ino)
{
	struct xfs_name xname;
	int error = xb_check_name(name, &xname);

	if (error)
		return error;
	if (!dir->ip || !S_ISDIR(VFS_I(dir->ip)->i_mode))
		return -ENOTDIR;
	error = xb_err(libxfs_dir_lookup(NULL, dir->ip, &xname, ino, NULL));
	if (!error && !libxfs_verify_dir_ino(dir->m->mp, *ino))
		error = -EUCLEAN;
	return error;
}

int xb_lookup(struct xb_inode *dir, const char *name, struct xb_inode **ipp)
{
	xfs_ino_t ino;
	int error;

	xb_lock();
	error = xb_dir_lookup_ino(dir, name, &ino);
	if (!error) {
		error = xb_iget_locked(dir->m, ino, ipp);
		/* A name pointing at a free inode is corruption, not ENOENT. */
		if (error == -ESTALE)
			error = -EUCLEAN;
	}
	xb_unlock();
	return error;
}

/* Linux dev_t to the on-disk sysv encoding (the kernel's linux_to_xfs_dev_t). */
static xfs_dev_t xb_dev_to_xfs(uint64_t rdev)
{
	return (xfs_dev_t) (minor(rdev) | (major(rdev) << 18));
}

/* The parts of the kernel's xfs_init_new_inode that libxfs leaves out. */
static void xb_init_new_inode(struct xfs_trans *tp, struct xfs_inode *ip)
{
	uint32_t gen = 0;

	if (getrandom(&gen, sizeof(gen), GRND_NONBLOCK) != sizeof(gen))
		gen = (uint32_t) random();
	VFS_I(ip)->i_generation = gen;
	VFS_I(ip)->i_atime = VFS_I(ip)->i_mtime;
	ip->i_size = 0;
	libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
}

struct xb_new {
	struct xb_inode *dir;
	struct xfs_name xname;
	uint32_t mode;
	xfs_dev_t rdev;
	const struct xb_cred *cr;
	const char *target; /* symlinks */
	size_t target_len;
	bool tmpfile; /* O_TMPFILE: no name (xname unset), nlink 0, unlinked list */
};

static int xb_new_precheck(struct xb_new *n)
{
	xfs_ino_t ino;
	int error;

	if (!n->dir->ip || !S_ISDIR(VFS_I(n->dir->ip)->i_mode))
		return -ENOTDIR;
	if (VFS_I(n->dir->ip)->i_nlink == 0)
		return -ENOENT; /* creating in a removed directory */
	if (!n->tmpfile) {
		error = xb_dir_lookup_ino(n->dir, (const char *) n->xname.name, &ino);
		if (error == 0)
			return -EEXIST;
		if (error != -ENOENT)
			return error;
	}
	/* may_create (immutable directory), then XFS's nosymlinks directories. */
	error = xb_may_create_in(n->dir->ip);
	if (error)
		return error;
	if (S_ISLNK(n->mode) && (n->dir->ip->i_diflags & XFS_DIFLAG_NOSYMLINKS))
		return -EPERM;
	if (S_ISDIR(n->mode) && VFS_I(n->dir->ip)->i_nlink >= XFS_MAXLINK)
		return -EMLINK;
	return 0;
}

/* Write a remote symlink target into freshly allocated blocks (xfs_symlink). */
static int xb_symlink_remote(struct xfs_trans *tp, struct xfs_inode *ip, const char *target,
			     size_t len, int resblks)
{
	struct xfs_mount *mp = ip->i_mount;
	int fsblocks = libxfs_symlink_blocks(mp, len);
	struct xfs_bmbt_irec mval[XFS_SYMLINK_MAPS];
	int nmaps = XFS_SYMLINK_MAPS, i, error;
	size_t done = 0;

	error = xb_err(
		libxfs_bmapi_write(tp, ip, 0, fsblocks, XFS_BMAPI_METADATA, resblks, mval, &nmaps));
	if (error)
		return error;
	/* One header per mapping, as the kernel's xfs_symlink() writes them. */
	for (i = 0; i < nmaps && done < len; i++) {
		xfs_daddr_t d = XFS_FSB_TO_DADDR(mp, mval[i].br_startblock);
		int bytes = XFS_FSB_TO_B(mp, mval[i].br_blockcount);
		size_t chunk = min((size_t) XFS_SYMLINK_BUF_SPACE(mp, bytes), len - done);
		struct xfs_buf *bp;
		char *buf;

		error = xb_err(libxfs_trans_get_buf(tp, mp->m_ddev_targp, d, BTOBB(bytes), 0, &bp));
		if (error)
			return error;
		bp->b_ops = &xfs_symlink_buf_ops;
		buf = bp->b_addr;
		buf += xfs_symlink_hdr_set(mp, ip->i_ino, done, chunk, bp);
		memcpy(buf, target + done, chunk);
		done += chunk;
		libxfs_trans_log_buf(tp, bp, 0, (buf - (char *) bp->b_addr) + chunk - 1);
	}
	return done == len ? 0 : -ENOSPC;
}

/* Symlink body: inline in the inode when it fits, else remote blocks. */
static int xb_symlink_body(struct xfs_trans *tp, struct xfs_inode *ip, const char *target,
			   size_t len, int resblks)
{
	int error = 0;

	if (len <= (size_t) xfs_inode_data_fork_size(ip)) {
		libxfs_init_local_fork(ip, XFS_DATA_FORK, target, len);
		ip->i_df.if_format = XFS_DINODE_FMT_LOCAL;
		libxfs_trans_log_inode(tp, ip, XFS_ILOG_DDATA | XFS_ILOG_CORE);
	} else {
		error = xb_symlink_remote(tp, ip, target, len, resblks);
	}
	ip->i_disk_size = len;
	ip->i_size = len;
	libxfs_trans_log_inode(tp, ip, XFS_ILOG_CORE);
	return error;
}

static int xb_new_resblks(struct xfs_mount *mp, struct xb_new *n)
{
	if (n->tmpfile)
		return XFS_IALLOC_SPACE_RES(mp);
	if (S_ISDIR(n->mode))
		return XFS_MKDIR_SPACE_RES(mp, n->xname.len);
	if (S_ISLNK(n->mode))
		return XFS_SYMLINK_SPACE_RES(mp, n->xname.len,
					     libxfs_symlink_blocks(mp, n->target_len));
	return XFS_CREATE_SPACE_RES(mp, n->xname.len);
}

static struct xfs_trans_res *xb_new_tres(struct xfs_mount *mp, const struct xb_new *n)
{
	uint32_t mode = n->mode;

	if (n->tmpfile)
		return &M_RES(mp)->tr_create_tmpfile;
	if (S_ISDIR(mode))
		return &M_RES(mp)->tr_mkdir;
	if (S_ISLNK(mode))
		return &M_RES(mp)->tr_symlink;
	return &M_RES(mp)->tr_create;
}

/* Allocate, initialise and link a new inode; the shape of xfs_create(). */
static int xb_new_inode(struct xb_new *n, unsigned int aclblks, struct xb_inode **ipp)
{
	struct xb_mount *m = n->dir->m;
	struct xfs_mount *mp = m->mp;
	struct xfs_inode *dp = n->dir->ip, *ip = NULL;
	struct cred cr = {.cr_uid = n->cr->uid, .cr_gid = n->cr->gid};
	bool is_dir = S_ISDIR(n->mode);
	struct xfs_trans *tp;
	int resblks, error;

	resblks = xb_new_resblks(mp, n);
	error = xb_trans_alloc(m, xb_new_tres(mp, n), resblks + aclblks, &tp);
	if (error)
		return error;
	/* May roll the transaction: join the parent only afterwards (proto.c). */
	error = xb_err(libxfs_dir_ialloc(&tp, dp, n->mode,
					 n->tmpfile ? 0
					 : is_dir   ? 2
						    : 1,
					 n->rdev, &cr, NULL, &ip));
	if (error)
		goto out_cancel;
	xb_init_new_inode(tp, ip);
	xb_inherit_flags(tp, ip, dp);
	if (n->tmpfile) {
		/* xfs_create_tmpfile: no name, the parent untouched. */
		error = xb_iunlink(tp, ip);
		if (error)
			goto out_cancel;
		goto commit;
	}
	libxfs_trans_ijoin(tp, dp, 0);
	n->xname.type = xfs_mode_to_ftype(n->mode);
	error = xb_err(libxfs_dir_createname(tp, dp, &n->xname, ip->i_ino,
					     resblks - XFS_IALLOC_SPACE_RES(mp)));
	if (error)
		goto out_cancel;
	libxfs_trans_ichgtime(tp, dp, XFS_ICHGTIME_MOD | XFS_ICHGTIME_CHG);
	if (is_dir) {
		error = xb_err(libxfs_dir_init(tp, ip, dp));
		if (error)
			goto out_cancel;
		inc_nlink(VFS_I(dp)); /* the new ".." (the kernel's xfs_bumplink) */
	}
	if (S_ISLNK(n->mode)) {
		error = xb_symlink_body(tp, ip, n->target, n->target_len, resblks);
		if (error)
			goto out_cancel;
	}
	libxfs_trans_log_inode(tp, dp, XFS_ILOG_CORE);
commit:
	error = xb_trans_commit(tp);
	if (error)
		goto out_irele;
	*ipp = xb_itable_insert_new(m, ip);
	if (!*ipp) {
		error = -ENOMEM;
		goto out_irele;
	}
	return 0;

out_cancel:
	xb_trans_cancel(m, tp);
out_irele:
	if (ip)
		libxfs_irele(ip);
	return error;
}

/*
 * The kernel's xfs_cleanup_inode: the inherited ACLs could not be set, so
 * the new name goes again (and the inode with our reference).
 */
static void xb_new_undo(struct xb_new *n, struct xb_inode *xi)
{
	/* A tmpfile has no name: dropping it frees it from the unlinked list. */
	if (!n->tmpfile && xb_remove_trans(n->dir, &n->xname, xi->ip, S_ISDIR(n->mode)))
		fprintf(stderr, "xfsfuse: inode %llu: could not remove it after a failed create\n",
			(unsigned long long) xi->ino);
	xb_iput_locked(xi);
}

/* posix_acl_create, the create, then the inherited ACLs (xfs_generic_create). */
static int xb_new_inode_acl(struct xb_new *n, struct xb_inode **ipp)
{
	struct xb_acl *dacl, *acl;
	int error;

	error = xb_new_precheck(n);
	if (error)
		return error;
	error = xb_acl_inherit_prepare(n->dir->ip, &n->mode, n->cr->umask, &dacl, &acl);
	if (error)
		return error;
	error = xb_new_inode(n, xb_acl_inherit_blocks(n->dir->ip, dacl, acl), ipp);
	if (!error && (dacl || acl)) {
		error = xb_acl_inherit_apply(*ipp, dacl, acl);
		if (error)
			xb_new_undo(n, *ipp);
	}
	free(dacl);
	free(acl);
	return error;
}

int xb_create(struct xb_inode *dir, const char *name, uint32_t mode, uint64_t rdev,
	      const struct xb_cred *cr, struct xb_inode **ipp)
{
	struct xb_new n = {.dir = dir, .mode = mode, .rdev = xb_dev_to_xfs(rdev), .cr = cr};
	int error;

	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFIFO:
	case S_IFSOCK:
	case S_IFCHR:
	case S_IFBLK:
		break;
	default:
		return -EINVAL;
	}
	error = xb_check_name(name, &n.xname);
	if (error)
		return error;
	xb_lock();
	error = xb_new_inode_acl(&n, ipp);
	xb_unlock();
	return error;
}

int xb_symlink(struct xb_inode *dir, const char *name, const char *target, const struct xb_cred *cr,
	       struct xb_inode **ipp)
{
	struct xb_new n = {.dir = dir, .mode = S_IFLNK | 0777, .cr = cr, .target = target};
	int error;

	n.target_len = strlen(target);
	if (n.target_len == 0)
		return -ENOENT;
	if (n.target_len >= XFS_SYMLINK_MAXLEN) /* as xfs_symlink: at most 1023 bytes */
		return -ENAMETOOLONG;
	error = xb_check_name(name, &n.xname);
	if (error)
		return error;
	xb_lock();
	error = xb_new_inode_acl(&n, ipp);
	xb_unlock();
	return error;
}

int xb_tmpfile(struct xb_inode *dir, uint32_t mode, const struct xb_cred *cr, struct xb_inode **ipp)
{
	struct xb_new n = {.dir = dir, .mode = mode, .cr = cr, .tmpfile = true};
	int error;

	if (!S_ISREG(mode)) /* vfs_tmpfile makes regular files only */
		return -EINVAL;
	xb_lock();
	error = xb_new_inode_acl(&n, ipp);
	xb_unlock();
	return error;
}

/*
 * The whiteout of a RENAME_WHITEOUT, made as xfs_rename_alloc_whiteout does:
 * xfs_create_tmpfile in the target directory of a character device 0:0 with
 * no permission bits (WHITEOUT_MODE, WHITEOUT_DEV).  It has no name and
 * nlink 0 and sits on the AGI unlinked list, so a crash before the rename
 * commits leaves only what recovery frees.  No ACL is inherited and the
 * umask plays no part: the kernel does not make it through
 * xfs_generic_create.  The caller holds the libxfs lock and has done the
 * rename's checks (the directory is live, names may be created in it).
 */
int xb_whiteout_tmpfile(struct xb_inode *dir, const struct xb_cred *cr, struct xb_inode **ipp)
{
	struct xb_new n = {.dir = dir, .mode = S_IFCHR, .rdev = 0, .cr = cr, .tmpfile = true};

	return xb_new_inode(&n, 0, ipp);
}

/* Read a remote symlink's blocks (the kernel's xfs_readlink_bmap_ilocked). */
static int xb_readlink_remote(struct xfs_inode *ip, char *link, size_t len)
{
	struct xfs_mount *mp = ip->i_mount;
	struct xfs_bmbt_irec mval[XFS_SYMLINK_MAPS];
	int nmaps = XFS_SYMLINK_MAPS, fsblocks = libxfs_symlink_blocks(mp, len);
	int i, error;
	size_t off = 0;

	error = xb_err(libxfs_bmapi_read(ip, 0, fsblocks, mval, &nmaps, 0));
	if (error)
		return error;
	for (i = 0; i < nmaps && off < len; i++) {
		struct xfs_buf *bp;
		char *cur;
		int byte_cnt;

		if (mval[i].br_startblock == HOLESTARTBLOCK ||
		    mval[i].br_startblock == DELAYSTARTBLOCK)
			return -EUCLEAN;
		error = xb_err(libxfs_buf_read(
			mp->m_ddev_targp, XFS_FSB_TO_DADDR(mp, mval[i].br_startblock),
			XFS_FSB_TO_BB(mp, mval[i].br_blockcount), 0, &bp, &xfs_symlink_buf_ops));
		if (error)
			return error;
		cur = bp->b_addr;
		byte_cnt = XFS_SYMLINK_BUF_SPACE(mp, XFS_FSB_TO_B(mp, mval[i].br_blockcount));
		byte_cnt = (int) min((size_t) byte_cnt, len - off);
		if (xfs_has_crc(mp)) {
			if (!libxfs_symlink_hdr_ok(ip->i_ino, off, byte_cnt, bp)) {
				libxfs_buf_relse(bp);
				return -EUCLEAN;
			}
			cur += sizeof(struct xfs_dsymlink_hdr);
		}
		memcpy(link + off, cur, byte_cnt);
		off += byte_cnt;
		libxfs_buf_relse(bp);
	}
	return off == len ? 0 : -EUCLEAN;
}

int xb_readlink(struct xb_inode *xi, char *buf, size_t size)
{
	struct xfs_inode *ip;
	size_t len;
	char *link;
	int error;

	xb_lock();
	ip = xi->ip;
	error = -EINVAL;
	if (!ip || !S_ISLNK(VFS_I(ip)->i_mode))
		goto out_unlock;
	len = ip->i_disk_size;
	error = -EUCLEAN;
	if (len == 0 || len > XFS_SYMLINK_MAXLEN)
		goto out_unlock;
	error = -ENOMEM;
	link = malloc(len);
	if (!link)
		goto out_unlock;
	if (ip->i_df.if_format == XFS_DINODE_FMT_LOCAL) {
		error = ip->i_df.if_u1.if_data ? 0 : -EUCLEAN;
		if (!error)
			memcpy(link, ip->i_df.if_u1.if_data, len);
	} else {
		error = xb_readlink_remote(ip, link, len);
	}
	if (!error) {
		memcpy(buf, link, min(len, size));
		error = (int) min(len, size);
	}
	free(link);
out_unlock:
	xb_unlock();
	return error;
}
