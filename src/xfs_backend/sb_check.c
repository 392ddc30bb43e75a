// SPDX-License-Identifier: GPL-2.0
/*
 * Judge an image's primary superblock from a raw read, before libxfs_init.
 *
 * libxfs_init() and libxfs_mount() print and exit(1), or trip an ASSERT, on
 * many kinds of bad geometry.  A FUSE daemon must instead refuse with one
 * clear line and leave the image untouched, so the checks of the kernel's
 * xfs_validate_sb_common() that protect libxfs's arithmetic are repeated
 * here, together with the things xfsfuse does not support.
 */
#include "xb_internal.h"
#include "sb_check.h"

#include <linux/fs.h>
#include <sys/ioctl.h>

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int xb_image_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	if (!S_ISREG(st.st_mode))
		return -ENODEV;
	*size = st.st_size;
	return 0;
}

#define REFUSE(err, ...)                                                                           \
	do {                                                                                       \
		int __n = snprintf(why, whylen, "%s: ", image);                                    \
		if (__n > 0 && (size_t) __n < whylen)                                              \
			snprintf(why + __n, whylen - __n, __VA_ARGS__);                            \
		return (err);                                                                      \
	} while (0)

/* Geometry that libxfs's arithmetic depends on. */
static int xb_sb_geometry(const char *image, const struct xfs_sb *sb, char *why, size_t whylen)
{
	if (!is_pow2(sb->sb_sectsize) || sb->sb_sectsize < XFS_MIN_SECTORSIZE ||
	    sb->sb_sectsize > XFS_MAX_SECTORSIZE || (1U << sb->sb_sectlog) != sb->sb_sectsize)
		REFUSE(-EUCLEAN, "corrupt superblock: sector size %u", sb->sb_sectsize);
	if (!is_pow2(sb->sb_blocksize) || sb->sb_blocksize < XFS_MIN_BLOCKSIZE ||
	    sb->sb_blocksize > XFS_MAX_BLOCKSIZE || (1U << sb->sb_blocklog) != sb->sb_blocksize ||
	    sb->sb_blocksize < sb->sb_sectsize)
		REFUSE(-EUCLEAN, "corrupt superblock: block size %u", sb->sb_blocksize);
	if (!is_pow2(sb->sb_inodesize) || sb->sb_inodesize < XFS_DINODE_MIN_SIZE ||
	    sb->sb_inodesize > XFS_DINODE_MAX_SIZE || (1U << sb->sb_inodelog) != sb->sb_inodesize ||
	    sb->sb_inopblock != sb->sb_blocksize / sb->sb_inodesize)
		REFUSE(-EUCLEAN, "corrupt superblock: inode size %u", sb->sb_inodesize);
	if (sb->sb_agcount == 0 || sb->sb_agblocks < XFS_MIN_AG_BLOCKS ||
	    sb->sb_agblocks > XFS_MAX_AG_BLOCKS ||
	    sb->sb_agblklog != xfs_highbit32(sb->sb_agblocks - 1) + 1)
		REFUSE(-EUCLEAN, "corrupt superblock: AG geometry (%u AGs of %u blocks)",
		       sb->sb_agcount, sb->sb_agblocks);
	if (sb->sb_dblocks > (uint64_t) sb->sb_agcount * sb->sb_agblocks ||
	    sb->sb_dblocks < (uint64_t) (sb->sb_agcount - 1) * sb->sb_agblocks + XFS_MIN_AG_BLOCKS)
		REFUSE(-EUCLEAN, "corrupt superblock: %llu blocks do not fit %u AGs",
		       (unsigned long long) sb->sb_dblocks, sb->sb_agcount);
	if (sb->sb_dirblklog + sb->sb_blocklog > XFS_MAX_BLOCKSIZE_LOG)
		REFUSE(-EUCLEAN, "corrupt superblock: directory block size");
	if (sb->sb_imax_pct > 100 || sb->sb_inopblock == 0)
		REFUSE(-EUCLEAN, "corrupt superblock: inode geometry");
	return 0;
}

/* What xfsfuse does not handle, and V4 restrictions. */
static int xb_sb_features(const char *image, const struct xfs_sb *sb, bool readonly, char *why,
			  size_t whylen)
{
	bool v5 = XFS_SB_VERSION_NUM(sb) == XFS_SB_VERSION_5;

	if (!xfs_sb_good_version((struct xfs_sb *) sb))
		REFUSE(-EOPNOTSUPP, "unsupported XFS superblock version %u",
		       XFS_SB_VERSION_NUM(sb));
	if (!v5 && !readonly)
		REFUSE(-EROFS,
		       "V4 (non-crc) filesystem: only read-only mounts (-o ro) are supported");
	if (v5 && (sb->sb_features_incompat & XFS_SB_FEAT_INCOMPAT_UNKNOWN))
		REFUSE(-EOPNOTSUPP, "unknown incompatible features 0x%x",
		       sb->sb_features_incompat & XFS_SB_FEAT_INCOMPAT_UNKNOWN);
	if (v5 && !readonly && (sb->sb_features_ro_compat & XFS_SB_FEAT_RO_COMPAT_UNKNOWN))
		REFUSE(-EROFS, "unknown read-only-compatible features 0x%x: mount with -o ro",
		       sb->sb_features_ro_compat & XFS_SB_FEAT_RO_COMPAT_UNKNOWN);
	if (v5 && (sb->sb_features_incompat & XFS_SB_FEAT_INCOMPAT_NEEDSREPAIR))
		REFUSE(-EUCLEAN, "filesystem needs repair: run xfs_repair");
	if (v5 && !readonly && (sb->sb_features_log_incompat & XFS_SB_FEAT_INCOMPAT_LOG_UNKNOWN))
		REFUSE(-EROFS, "unknown log-incompatible features: mount once with the kernel");
	if (sb->sb_rblocks || sb->sb_rextents)
		REFUSE(-EOPNOTSUPP, "realtime devices are not supported");
	if (sb->sb_logstart == 0)
		REFUSE(-EOPNOTSUPP, "external logs are not supported");
	/* sb_inprogress is judged with the log (log/log_mount.c): a crash replays. */
	return 0;
}

static int xb_sb_read(const char *image, int fd, char *buf, size_t len, char *why, size_t whylen)
{
	ssize_t n = pread(fd, buf, len, 0);

	if (n < 0)
		REFUSE(-errno, "cannot read: %s", strerror(errno));
	if ((size_t) n < sizeof(struct xfs_dsb))
		REFUSE(-EINVAL, "not an XFS filesystem (too short: %zd bytes)", n);
	return 0;
}

int xb_sb_check(const char *image, bool readonly, struct xfs_sb *sb, char *why, size_t whylen)
{
	char *buf = calloc(1, XFS_MAX_SECTORSIZE);
	uint64_t size;
	int fd, error;

	if (!buf)
		return -ENOMEM;
	fd = open(image, O_RDONLY);
	if (fd < 0) {
		error = -errno;
		snprintf(why, whylen, "%s: %s", image, strerror(errno));
		goto out_free;
	}
	error = xb_image_size(fd, &size);
	if (error) {
		snprintf(why, whylen, "%s: not a regular file or block device", image);
		goto out_close;
	}
	error = xb_sb_read(image, fd, buf, XFS_MAX_SECTORSIZE, why, whylen);
	if (error)
		goto out_close;
	memset(sb, 0, sizeof(*sb));
	libxfs_sb_from_disk(sb, (struct xfs_dsb *) buf);
	error = -EINVAL;
	if (sb->sb_magicnum != XFS_SB_MAGIC) {
		snprintf(why, whylen, "%s: not an XFS filesystem (bad superblock magic 0x%08x)",
			 image, sb->sb_magicnum);
		goto out_close;
	}
	error = xb_sb_geometry(image, sb, why, whylen);
	if (error)
		goto out_close;
	if (XFS_SB_VERSION_NUM(sb) == XFS_SB_VERSION_5 &&
	    !xfs_verify_cksum(buf, sb->sb_sectsize, XFS_SB_CRC_OFF)) {
		error = -EUCLEAN;
		snprintf(why, whylen, "%s: superblock checksum mismatch: run xfs_repair", image);
		goto out_close;
	}
	error = xb_sb_features(image, sb, readonly, why, whylen);
	if (error)
		goto out_close;
	if (size < sb->sb_dblocks * sb->sb_blocksize) {
		error = -EUCLEAN;
		snprintf(why, whylen, "%s: truncated image: %llu bytes, filesystem needs %llu",
			 image, (unsigned long long) size,
			 (unsigned long long) sb->sb_dblocks * sb->sb_blocksize);
	}
out_close:
	close(fd);
out_free:
	free(buf);
	return error;
}

int xb_sb_check_rw(const char *image, const struct xfs_sb *sb, char *why, size_t whylen)
{
	return xb_sb_features(image, sb, false, why, whylen);
}
