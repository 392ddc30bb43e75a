#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# POSIX ACLs on an xfsfuse mount, with the kernel's XFS as the oracle
# (doc/backend.md, "POSIX ACLs"):
#  1. ACLs the kernel wrote are shown as the kernel shows them (getfacl,
#     raw xattrs), read-write and read-only, and enforced: a user denied by
#     u:nobody:--- gets EACCES although the mode bits would let him in;
#  2. the same setfacl/chmod/create sequence on xfsfuse and on the kernel
#     (access and default ACLs, named users and groups, masks, inheritance
#     under umask 022 and 077, chmod, ACLs equivalent to the mode, setgid
#     cleared for an owner outside the group) leaves the same modes, ACLs
#     and on-disk attribute bytes; xfs_repair -n is clean and the kernel
#     reads xfsfuse's image the same;
#  3. raw setxattr values (acl_probe.py) get the kernel's answers;
#  4. the kernel's ACL cache follows every change (setfacl, chmod, a
#     trusted.SGI_ACL_FILE written directly);
#  5. on-disk ACLs that fail validation give errors, not a crash.
#
# usage: test_acl.sh path/to/xfsfuse     (root, /dev/fuse, kernel XFS, acl)
set -uo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
XFSFUSE=$(realpath "${1:-build/src/xfsfuse}")
lib_init acl
# nobody must reach the mounts: mktemp -d made WORK 0700.
chmod 755 "$WORK"
KMNT="$WORK/kmnt"
KMNT2="$WORK/kmnt2"
lib_mount_dir "$KMNT"
lib_mount_dir "$KMNT2"
umask 022

for tool in getfacl setfacl setpriv; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool missing (apt-get install acl)"; exit 77; }
done
id nobody >/dev/null 2>&1 || { echo "SKIP: no user nobody"; exit 77; }
NOGROUP=$(id -gn nobody)

mkimage() {
	rm -f "$1"
	truncate -s 512M "$1"
	mkfs.xfs -q "$1"
}

as_nobody() { setpriv --reuid=nobody --regid="$NOGROUP" --clear-groups "$@"; }

# What a path's ACLs look like from every angle, one tree per output: mode
# and owner, getfacl's view, and the raw xattrs (listxattr order, values in
# hex: system.* as the VFS formats them, trusted.SGI_ACL_* as on disk).
# Paths sorted, so that directory order does not matter.
acl_dump() {
	local p
	(
		cd "$1" || exit 1
		find . -mindepth 1 -not -path './lost+found*' | LC_ALL=C sort | while read -r p; do
			stat -c '%n %a %u:%g %F' "$p"
			[ -L "$p" ] && continue
			getfacl -p -n "$p" 2>&1 | grep -v '^# file:'
			getfattr -h -d -m - -e hex "$p" 2>&1 | grep -v '^# file:'
		done
	)
}

# The sequence run on both filesystems: every way an ACL comes and goes.
acl_ops() {
	(
		set -e
		cd "$1"
		umask 022
		# access ACLs: named user and group, explicit mask, on a file and a directory
		touch f1 f2 f3 f4 f5
		setfacl -m u:nobody:r,g:daemon:rw,m::r f1
		mkdir d1
		setfacl -m u:bin:rx,g:daemon:rwx d1
		# removal of one entry (the mask is recomputed), of everything
		setfacl -m u:nobody:rw,u:bin:r f2
		setfacl -x u:nobody f2
		setfacl -m u:nobody:rw f3
		setfacl -b f3
		# an ACL the mode says entirely: the mode changes, nothing stored
		setfacl -m u::rwx f4
		setfacl --set u::rw,g::r,o::- f5
		# chmod rewrites the access ACL (owner, mask, other)
		chmod 640 f1
		chmod 2775 d1
		chmod g-w,o+w f2
		# default ACLs and inheritance, the umask ignored under them
		mkdir d2
		setfacl -d -m g::---,o::--- d2
		touch d2/file
		mkdir d2/sub
		mkfifo d2/fifo
		ln -s target d2/link
		mkdir d3
		setfacl -d -m u:nobody:rwx,g:daemon:rx,m::rwx d3
		setfacl -m u:bin:r d3
		(umask 077 && touch d3/file && mkdir d3/sub && mkdir d3/sub/deeper)
		python3 -c "import os; os.close(os.open('d3/exe', os.O_CREAT | os.O_WRONLY, 0o755))"
		mknod d3/chr c 1 3
		# no default ACL: the umask applies (the kernel no longer does it for us)
		mkdir d4
		(umask 027 && touch d4/file && mkdir d4/sub)
		# removing the default ACL, then creating again
		mkdir d5
		setfacl -d -m o::--- d5
		setfacl -k d5
		touch d5/file
		# an owner outside the group loses setgid when setting an ACL
		touch sg
		chown nobody:root sg
		chmod 2775 sg
		as_nobody setfacl -m u:bin:r sg
	)
}

# ---- 1. ACLs the kernel wrote: shown and enforced ----------------------------
IMG1="$WORK/img1"
mkimage "$IMG1"
mount -o loop "$IMG1" "$KMNT"
check "kernel: acl_ops" acl_ops "$KMNT"
echo secret >"$KMNT/denied"
echo public >"$KMNT/open"
echo shared >"$KMNT/granted"
chmod 644 "$KMNT/denied" "$KMNT/open"
chmod 600 "$KMNT/granted"
setfacl -m u:nobody:--- "$KMNT/denied"
setfacl -m u:nobody:r "$KMNT/granted"
acl_dump "$KMNT" >"$WORK/k1.dump"
check_eq "kernel: nobody denied, granted" "/shared" \
	"$(as_nobody cat "$KMNT/denied" 2>/dev/null)/$(as_nobody cat "$KMNT/granted")"
umount "$KMNT"

if check_mount "$IMG1" ro,allow_other; then
	acl_dump "$MNT" >"$WORK/f1ro.dump"
	check "read-only: xfsfuse shows the kernel's ACLs" diff -u "$WORK/k1.dump" "$WORK/f1ro.dump"
	check_eq "read-only: u:nobody:--- denies nobody" "" "$(as_nobody cat "$MNT/denied" 2>/dev/null)"
	check_eq "read-only: setfacl refused" 1 "$(setfacl -m u:bin:r "$MNT/open" 2>/dev/null; echo $?)"
	check_unmount "read-only"
fi
if check_mount "$IMG1" allow_other; then
	acl_dump "$MNT" >"$WORK/f1.dump"
	check "xfsfuse shows the kernel's ACLs" diff -u "$WORK/k1.dump" "$WORK/f1.dump"
	check_eq "mode bits let nobody read an ACL-less file" public "$(as_nobody cat "$MNT/open")"
	check_eq "u:nobody:--- denies nobody" "Permission denied" \
		"$(as_nobody cat "$MNT/denied" 2>&1 >/dev/null | sed 's/.*: //')"
	check_eq "u:nobody:r lets nobody into a 0640 root file" shared "$(as_nobody cat "$MNT/granted")"

	# ---- 4. the kernel's ACL cache follows every change ----
	echo data >"$MNT/cache"
	chmod 644 "$MNT/cache"
	check_eq "cache: nobody reads (no ACL cached)" data "$(as_nobody cat "$MNT/cache")"
	# u::rw, u:nobody:---, g::r, m::r, o::r written as XFS stores it
	setfattr -n trusted.SGI_ACL_FILE -v "0x00000005\
00000001ffffffff00060000\
00000002$(printf %08x "$(id -u nobody)")00000000\
00000004ffffffff00040000\
00000010ffffffff00040000\
00000020ffffffff00040000" "$MNT/cache"
	check_eq "cache: trusted.SGI_ACL_FILE written directly denies at once" "" \
		"$(as_nobody cat "$MNT/cache" 2>/dev/null)"
	setfacl -m u:nobody:r "$MNT/cache"
	check_eq "cache: setfacl u:nobody:r allows at once" data "$(as_nobody cat "$MNT/cache")"
	# (group bits 0 would skip the ACL altogether: the kernel's acl_permission_check)
	chmod 640 "$MNT/cache"
	check_eq "cache: chmod 640, other ---: the named entry lets nobody in" data \
		"$(as_nobody cat "$MNT/cache")"
	chmod 610 "$MNT/cache"
	check_eq "cache: chmod 610 (mask --x) denies at once" "" "$(as_nobody cat "$MNT/cache" 2>/dev/null)"
	check_eq "cache: chmod 610 set the mask" "mask::--x" \
		"$(getfacl -p "$MNT/cache" 2>/dev/null | grep '^mask')"
	setfacl -m m::r "$MNT/cache"
	check_eq "cache: setfacl m::r allows at once" data "$(as_nobody cat "$MNT/cache")"
	setfacl -b "$MNT/cache"
	check_eq "cache: setfacl -b (mode 640 alone) denies at once" "" \
		"$(as_nobody cat "$MNT/cache" 2>/dev/null)"
	check_unmount "kernel-made ACLs"
fi
# ---- 2. the same operations through xfsfuse and the kernel -------------------
IMGK="$WORK/imgk"
IMGF="$WORK/imgf"
mkimage "$IMGK"
mkimage "$IMGF"
mount -o loop "$IMGK" "$KMNT"
check "kernel: acl_ops" acl_ops "$KMNT"
acl_dump "$KMNT" >"$WORK/k2.dump"
check "kernel: acl_probe" python3 "$HERE/acl_probe.py" "$KMNT" --big >"$WORK/k2.probe"
umount "$KMNT"

if check_mount "$IMGF" allow_other; then
	check "xfsfuse: acl_ops" acl_ops "$MNT"
	acl_dump "$MNT" >"$WORK/f2.dump"
	check "xfsfuse: same modes, ACLs and attribute bytes as the kernel" \
		diff -u "$WORK/k2.dump" "$WORK/f2.dump"
	# the brief's case, spelled out: g::---,o::--- under umask 022
	check_eq "default g::---,o::---: file 0600, dir 0700" "600 700" \
		"$(stat -c %a "$MNT/d2/file" "$MNT/d2/sub" | tr '\n' ' ' | sed 's/ $//')"
	check_eq "no default ACL: umask 027 applies" "640 750" \
		"$(stat -c %a "$MNT/d4/file" "$MNT/d4/sub" | tr '\n' ' ' | sed 's/ $//')"
	check_eq "an equivalent ACL leaves no attribute" "744 " \
		"$(stat -c '%a ' "$MNT/f4")$(getfattr -m - "$MNT/f4" 2>/dev/null | grep -v '^#' | tr -d '\n')"
	python3 "$HERE/acl_probe.py" "$MNT" --big >"$WORK/f2.probe" 2>&1
	check "xfsfuse: raw ACL values get the kernel's answers" \
		diff -u <(head -n -1 "$WORK/k2.probe") <(head -n -1 "$WORK/f2.probe")
	# FUSE hands ACLs over in one page: 600 entries fit XFS, not FUSE.
	check_eq "600 entries: kernel ok, E2BIG through FUSE (doc/options.md)" "ok E2BIG" \
		"$(tail -1 "$WORK/k2.probe") $(tail -1 "$WORK/f2.probe")"

	check_unmount "setfacl through xfsfuse"
fi
check "xfs_repair -n after setfacl through xfsfuse" repair_clean "$IMGF"
# ... and the kernel reads the same ACLs from xfsfuse's image as from its own.
mount -o loop,ro "$IMGF" "$KMNT"
mount -o loop,ro "$IMGK" "$KMNT2"
acl_dump "$KMNT" >"$WORK/fk2.dump"
acl_dump "$KMNT2" >"$WORK/kk2.dump"
umount "$KMNT2"
umount "$KMNT"
check "the kernel reads xfsfuse's ACLs as its own" diff -u "$WORK/kk2.dump" "$WORK/fk2.dump"

# ---- 5. on-disk ACLs that fail validation ------------------------------------
IMGC="$WORK/imgc"
mkimage "$IMGC"
mount -o loop "$IMGC" "$KMNT"
for f in badtag badsize; do
	echo x >"$KMNT/$f"
	chmod 644 "$KMNT/$f"
done
# an unknown tag (0x40), and a count that does not match the size
setfattr -n trusted.SGI_ACL_FILE -v 0x0000000300000001ffffffff0007000000000040ffffffff0005000000000020ffffffff00050000 "$KMNT/badtag"
setfattr -n trusted.SGI_ACL_FILE -v 0x0000000400000001ffffffff0007000000000004ffffffff0005000000000020ffffffff00050000 "$KMNT/badsize"
KBAD="$(getfacl -p "$KMNT/badtag" 2>&1 >/dev/null | sed 's/.*: //') / $(getfacl -p "$KMNT/badsize" 2>&1 >/dev/null | sed 's/.*: //')"
umount "$KMNT"
check_eq "kernel: bad tag EINVAL, bad size EUCLEAN" "Invalid argument / Structure needs cleaning" "$KBAD"
if check_mount "$IMGC" allow_other; then
	# EUCLEAN is EIO on xfsfuse, as every corruption (doc/backend.md)
	check_eq "xfsfuse: bad tag EINVAL, bad size EIO" "Invalid argument / Input/output error" \
		"$(getfacl -p "$MNT/badtag" 2>&1 >/dev/null | sed 's/.*: //') / $(getfacl -p "$MNT/badsize" 2>&1 >/dev/null | sed 's/.*: //')"
	check_eq "a corrupt ACL lets nobody in through neither" "" \
		"$(as_nobody cat "$MNT/badtag" "$MNT/badsize" 2>/dev/null)"
	check_eq "root still reads (owner: no ACL check)" "x" "$(cat "$MNT/badsize")"
	check "the mount still works" touch "$MNT/after"
	check_unmount "corrupt ACLs"
	check "the corruption was logged" grep -q "corruption detected" "$DAEMON_LOG"
fi

lib_finish
