// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX ACL formats and mode algebra (doc/backend.md, "POSIX ACLs").
 *
 * Two representations meet here.  The VFS hands ACLs over as the values of
 * "system.posix_acl_access" / "system.posix_acl_default": a little-endian
 * header (version 2) and 8-byte entries (the UAPI struct posix_acl_xattr_*).
 * XFS stores them as the attributes SGI_ACL_FILE / SGI_ACL_DEFAULT in the
 * root namespace: a big-endian count and 12-byte entries (libxfs's
 * struct xfs_acl).  No libxfs function converts between the two, so this
 * file does, with the kernel's rules:
 *
 * - parsing the xattr value is the VFS's posix_acl_from_xattr (EINVAL for a
 *   bad size, an unknown tag or an invalid id; EOPNOTSUPP for a version
 *   other than 2; a header without entries is "no ACL"), then
 *   posix_acl_valid (entry order, permission bits, a mask when there are
 *   named entries; duplicates and unsorted ids are accepted, as the kernel
 *   accepts them);
 * - reading the attribute is xfs_acl_from_disk: a value whose size does not
 *   match its count is corruption, an unknown tag EINVAL, permission bits
 *   are passed through unchecked;
 * - writing it is xfs_acl_to_disk: entries in the order given, the id of
 *   unnamed entries ACL_UNDEFINED_ID, padding zero.
 *
 * The mode functions are posix_acl_equiv_mode, posix_acl_create_masq and
 * __posix_acl_chmod_masq; they rely on the entry order posix_acl_valid
 * enforces, exactly as the kernel's do.
 */
#include "acl.h"

#include <endian.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>

/*
 * The xattr format is little-endian; libxfs's byte-order helpers cover the
 * big-endian disk format only, so glibc's <endian.h> serves this side.
 * Values come from FUSE requests right after the name, at any alignment:
 * they are read and written through memcpy, never through the structs.
 */
#define XB_HDR_SIZE sizeof(struct posix_acl_xattr_header)
#define XB_ENT_SIZE sizeof(struct posix_acl_xattr_entry)

static void xb_xattr_entry_get(const unsigned char *p, struct posix_acl_xattr_entry *entry)
{
	memcpy(entry, p, sizeof(*entry));
}

struct xb_acl *xb_acl_alloc(unsigned int count)
{
	struct xb_acl *acl = calloc(1, sizeof(*acl) + (size_t) count * sizeof(acl->entries[0]));

	if (acl)
		acl->count = count;
	return acl;
}

struct xb_acl *xb_acl_clone(const struct xb_acl *acl)
{
	struct xb_acl *clone = xb_acl_alloc(acl->count);

	if (clone)
		memcpy(clone->entries, acl->entries, acl->count * sizeof(acl->entries[0]));
	return clone;
}

/* ---- the VFS's xattr format ---- */

size_t xb_acl_xattr_size(unsigned int count)
{
	return XB_HDR_SIZE + (size_t) count * XB_ENT_SIZE;
}

int xb_acl_from_xattr(const void *value, size_t size, struct xb_acl **aclp)
{
	const unsigned char *p = value;
	struct posix_acl_xattr_header header;
	struct posix_acl_xattr_entry entry;
	struct xb_acl *acl;
	size_t count, i;

	*aclp = NULL;
	/* An empty value removes the ACL (the VFS's do_set_acl). */
	if (!value || size == 0)
		return 0;
	if (size < XB_HDR_SIZE)
		return -EINVAL;
	memcpy(&header, p, sizeof(header));
	if (le32toh(header.a_version) != POSIX_ACL_XATTR_VERSION)
		return -EOPNOTSUPP;
	size -= XB_HDR_SIZE;
	if (size % XB_ENT_SIZE)
		return -EINVAL;
	count = size / XB_ENT_SIZE;
	if (count == 0)
		return 0;
	acl = xb_acl_alloc(count);
	if (!acl)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		struct xb_acl_entry *e = &acl->entries[i];

		xb_xattr_entry_get(p + XB_HDR_SIZE + i * XB_ENT_SIZE, &entry);
		e->tag = le16toh(entry.e_tag);
		e->perm = le16toh(entry.e_perm);
		switch (e->tag) {
		case ACL_USER_OBJ:
		case ACL_GROUP_OBJ:
		case ACL_MASK:
		case ACL_OTHER:
			break;
		case ACL_USER:
		case ACL_GROUP:
			/* make_kuid/make_kgid: (uid_t) -1 is no valid id. */
			e->id = le32toh(entry.e_id);
			if (e->id == (uint32_t) ACL_UNDEFINED_ID)
				goto fail;
			break;
		default:
			goto fail;
		}
	}
	*aclp = acl;
	return 0;

fail:
	free(acl);
	return -EINVAL;
}

void xb_acl_to_xattr(const struct xb_acl *acl, void *buf)
{
	struct posix_acl_xattr_header header = {.a_version = htole32(POSIX_ACL_XATTR_VERSION)};
	unsigned char *p = buf;
	unsigned int i;

	memcpy(p, &header, sizeof(header));
	for (i = 0; i < acl->count; i++) {
		const struct xb_acl_entry *e = &acl->entries[i];
		bool named = e->tag == ACL_USER || e->tag == ACL_GROUP;
		struct posix_acl_xattr_entry entry = {
			.e_tag = htole16(e->tag),
			.e_perm = htole16(e->perm),
			.e_id = htole32(named ? e->id : (uint32_t) ACL_UNDEFINED_ID),
		};

		memcpy(p + XB_HDR_SIZE + (size_t) i * XB_ENT_SIZE, &entry, sizeof(entry));
	}
}

int xb_acl_valid(const struct xb_acl *acl)
{
	int state = ACL_USER_OBJ;
	bool needs_mask = false;
	unsigned int i;

	for (i = 0; i < acl->count; i++) {
		const struct xb_acl_entry *e = &acl->entries[i];

		if (e->perm & ~(ACL_READ | ACL_WRITE | ACL_EXECUTE))
			return -EINVAL;
		switch (e->tag) {
		case ACL_USER_OBJ:
			if (state != ACL_USER_OBJ)
				return -EINVAL;
			state = ACL_USER;
			break;
		case ACL_USER:
			if (state != ACL_USER)
				return -EINVAL;
			needs_mask = true;
			break;
		case ACL_GROUP_OBJ:
			if (state != ACL_USER)
				return -EINVAL;
			state = ACL_GROUP;
			break;
		case ACL_GROUP:
			if (state != ACL_GROUP)
				return -EINVAL;
			needs_mask = true;
			break;
		case ACL_MASK:
			if (state != ACL_GROUP)
				return -EINVAL;
			state = ACL_OTHER;
			break;
		case ACL_OTHER:
			if (state != ACL_OTHER && (state != ACL_GROUP || needs_mask))
				return -EINVAL;
			state = 0;
			break;
		default:
			return -EINVAL;
		}
	}
	return state == 0 ? 0 : -EINVAL;
}

/* ---- XFS's on-disk format ---- */

size_t xb_acl_disk_size(unsigned int count)
{
	return XFS_ACL_SIZE((size_t) count);
}

int xb_acl_from_disk(const void *value, size_t len, unsigned int max_entries, struct xb_acl **aclp)
{
	const struct xfs_acl *aclp_disk = value;
	struct xb_acl *acl;
	unsigned int count, i;

	*aclp = NULL;
	if (len < sizeof(*aclp_disk))
		return -EFSCORRUPTED;
	count = be32_to_cpu(aclp_disk->acl_cnt);
	if (count > max_entries || xb_acl_disk_size(count) != len)
		return -EFSCORRUPTED;
	acl = xb_acl_alloc(count);
	if (!acl)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		const struct xfs_acl_entry *ace = &aclp_disk->acl_entry[i];
		struct xb_acl_entry *e = &acl->entries[i];

		/* 32 bits on disk, 16 in core: the kernel truncates as well. */
		e->tag = (uint16_t) be32_to_cpu(ace->ae_tag);
		e->perm = be16_to_cpu(ace->ae_perm);
		switch (e->tag) {
		case ACL_USER:
		case ACL_GROUP:
			e->id = be32_to_cpu(ace->ae_id);
			break;
		case ACL_USER_OBJ:
		case ACL_GROUP_OBJ:
		case ACL_MASK:
		case ACL_OTHER:
			break;
		default:
			/* xfs_acl_from_disk says EINVAL here, not EFSCORRUPTED. */
			free(acl);
			return -EINVAL;
		}
	}
	*aclp = acl;
	return 0;
}

void xb_acl_to_disk(const struct xb_acl *acl, void *value)
{
	struct xfs_acl *aclp_disk = value;
	unsigned int i;

	aclp_disk->acl_cnt = cpu_to_be32(acl->count);
	for (i = 0; i < acl->count; i++) {
		const struct xb_acl_entry *e = &acl->entries[i];
		struct xfs_acl_entry *ace = &aclp_disk->acl_entry[i];
		bool named = e->tag == ACL_USER || e->tag == ACL_GROUP;

		ace->ae_tag = cpu_to_be32(e->tag);
		ace->ae_id = cpu_to_be32(named ? e->id : (uint32_t) ACL_UNDEFINED_ID);
		ace->ae_perm = cpu_to_be16(e->perm);
		ace->ae_pad = 0;
	}
}

/* ---- mode algebra ---- */

int xb_acl_equiv_mode(const struct xb_acl *acl, uint32_t *mode_p)
{
	uint32_t mode = 0;
	int not_equiv = 0;
	unsigned int i;

	for (i = 0; i < acl->count; i++) {
		const struct xb_acl_entry *e = &acl->entries[i];

		switch (e->tag) {
		case ACL_USER_OBJ:
			mode |= (e->perm & S_IRWXO) << 6;
			break;
		case ACL_GROUP_OBJ:
			mode |= (e->perm & S_IRWXO) << 3;
			break;
		case ACL_OTHER:
			mode |= e->perm & S_IRWXO;
			break;
		case ACL_MASK:
			/* The mask is the group class: it replaces the owning group's bits. */
			mode = (mode & ~S_IRWXG) | ((e->perm & S_IRWXO) << 3);
			not_equiv = 1;
			break;
		case ACL_USER:
		case ACL_GROUP:
			not_equiv = 1;
			break;
		default:
			return -EINVAL;
		}
	}
	if (mode_p)
		*mode_p = (*mode_p & ~(uint32_t) XB_S_IRWXUGO) | mode;
	return not_equiv;
}

int xb_acl_create_masq(struct xb_acl *acl, uint32_t *mode_p)
{
	struct xb_acl_entry *group_obj = NULL, *mask_obj = NULL;
	uint32_t mode = *mode_p;
	int not_equiv = 0;
	unsigned int i;

	for (i = 0; i < acl->count; i++) {
		struct xb_acl_entry *e = &acl->entries[i];

		switch (e->tag) {
		case ACL_USER_OBJ:
			e->perm &= (mode >> 6) | ~S_IRWXO;
			mode &= (e->perm << 6) | ~S_IRWXU;
			break;
		case ACL_USER:
		case ACL_GROUP:
			not_equiv = 1;
			break;
		case ACL_GROUP_OBJ:
			group_obj = e;
			break;
		case ACL_OTHER:
			e->perm &= mode | ~S_IRWXO;
			mode &= e->perm | ~S_IRWXO;
			break;
		case ACL_MASK:
			mask_obj = e;
			not_equiv = 1;
			break;
		default:
			return -EIO;
		}
	}
	if (mask_obj) {
		mask_obj->perm &= (mode >> 3) | ~S_IRWXO;
		mode &= (mask_obj->perm << 3) | ~S_IRWXG;
	} else {
		if (!group_obj)
			return -EIO;
		group_obj->perm &= (mode >> 3) | ~S_IRWXO;
		mode &= (group_obj->perm << 3) | ~S_IRWXG;
	}
	*mode_p = (*mode_p & ~(uint32_t) XB_S_IRWXUGO) | mode;
	return not_equiv;
}

int xb_acl_chmod_masq(struct xb_acl *acl, uint32_t mode)
{
	struct xb_acl_entry *group_obj = NULL, *mask_obj = NULL;
	unsigned int i;

	for (i = 0; i < acl->count; i++) {
		struct xb_acl_entry *e = &acl->entries[i];

		switch (e->tag) {
		case ACL_USER_OBJ:
			e->perm = (mode & S_IRWXU) >> 6;
			break;
		case ACL_USER:
		case ACL_GROUP:
			break;
		case ACL_GROUP_OBJ:
			group_obj = e;
			break;
		case ACL_MASK:
			mask_obj = e;
			break;
		case ACL_OTHER:
			e->perm = mode & S_IRWXO;
			break;
		default:
			return -EIO;
		}
	}
	if (mask_obj) {
		mask_obj->perm = (mode & S_IRWXG) >> 3;
	} else {
		if (!group_obj)
			return -EIO;
		group_obj->perm = (mode & S_IRWXG) >> 3;
	}
	return 0;
}
