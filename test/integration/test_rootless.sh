#!/bin/bash
# Rootless use, as CI without root runs it (issue 11): an unprivileged user
# makes an image whose root directory is theirs (xfsfuse-mkimage --owner),
# mounts it through fusermount3 (setuid, as libfuse uses it for users), works
# in it, unmounts with fusermount3 -u.  Then, as root: xfs_repair -n is clean
# and the kernel's XFS sees the files owned by that user.
#
# Needs root to set up (runuser, a loop mount for the oracle) and /dev/fuse.
# Debian's udev rules make /dev/fuse 0666; a container may leave it 0600,
# so the test opens it to others for its run and puts the mode back.
#   test_rootless.sh XFSFUSE MKIMAGE
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
XFSFUSE="$(realpath "$1")"
MKIMAGE="$(realpath "$2")"
lib_init rootless
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"
USR=nobody
UID_GID="$(id -u $USR):$(id -g $USR)"
HOMEDIR="$WORK/home"
mkdir -p "$HOMEDIR/mnt"
chown -R "$UID_GID" "$HOMEDIR"
chmod 755 "$WORK"
FUSE_MODE=$(stat -c %a /dev/fuse)
chmod 666 /dev/fuse
trap 'chmod "$FUSE_MODE" /dev/fuse; fusermount3 -u -z "$HOMEDIR/mnt" 2>/dev/null; lib_cleanup' EXIT

as_user() { runuser -u "$USR" -- "$@"; }

check "user: xfsfuse-mkimage --owner" as_user "$MKIMAGE" -q --owner "$UID_GID" --size 400M "$HOMEDIR/img"
check "user: mount" as_user "$XFSFUSE" "$HOMEDIR/img" "$HOMEDIR/mnt"
check "user: mounted (fuse.xfsfuse, user_id=$(id -u $USR))" \
	grep -q "^$HOMEDIR/img $HOMEDIR/mnt fuse.xfsfuse rw,.*user_id=$(id -u $USR)," /proc/mounts
check "user: mkdir, write, xattr, symlink" as_user sh -c "
	mkdir '$HOMEDIR/mnt/d' && echo mine >'$HOMEDIR/mnt/d/f' &&
	setfattr -n user.who -v $USR '$HOMEDIR/mnt/d/f' && ln -s d/f '$HOMEDIR/mnt/l'"
check_eq "user: reads back" mine "$(as_user cat "$HOMEDIR/mnt/l")"
check "user: fusermount3 -u" as_user fusermount3 -u "$HOMEDIR/mnt"
check "the daemon lets go of the image" flock -w 60 "$HOMEDIR/img" true
check "xfs_repair -n clean" repair_clean "$HOMEDIR/img"
if mount -o loop,ro "$HOMEDIR/img" "$KMNT"; then
	check_eq "kernel: owner of root, dir, file, symlink" \
		"$UID_GID $UID_GID $UID_GID $UID_GID" \
		"$(stat -c %u:%g "$KMNT" "$KMNT/d" "$KMNT/d/f" "$KMNT/l" | tr '\n' ' ' | sed 's/ $//')"
	check_eq "kernel: the file and its xattr" "mine $USR" \
		"$(cat "$KMNT/d/f") $(getfattr --only-values -n user.who "$KMNT/d/f" 2>/dev/null)"
	umount "$KMNT"
else
	bad "kernel mount of the image"
fi
check "--owner refuses a malformed value" sh -c "! '$MKIMAGE' -q --owner nobody '$WORK/bad.img' 2>/dev/null"
lib_finish
