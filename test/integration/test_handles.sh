#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# File handles (name_to_handle_at / open_by_handle_at, as NFS export and
# fstests generic/426, 467, 477 use them): a handle made on the mount opens
# the file or directory after the kernel forgot the inode; a handle of a
# removed inode and forged handles give ESTALE and nothing else.  The kernel's
# XFS is the oracle: handles.py prints the same lines on a loop mount.
# Needs root, /dev/fuse, python3.
#   usage: test_handles.sh XFSFUSE
set -uo pipefail
XFSFUSE="$(realpath "$1")"
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
lib_init handles
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"
PY=$(command -v /usr/bin/python3 || command -v python3)

truncate -s 512M "$WORK/k.img"
mkfs.xfs -q "$WORK/k.img"
cp "$WORK/k.img" "$WORK/f.img"
mount -o loop "$WORK/k.img" "$KMNT"
$PY "$HERE/handles.py" "$KMNT" >"$WORK/kernel.out" 2>&1
umount "$KMNT"

check_mount "$WORK/f.img" || lib_finish
$PY "$HERE/handles.py" "$MNT" >"$WORK/fuse.out" 2>&1
if diff -u "$WORK/kernel.out" "$WORK/fuse.out" >"$WORK/diff"; then ok; else
	bad "handles on xfsfuse differ from the kernel's XFS"
	cat "$WORK/diff" >&2
fi
# What the lines must say, not only that they are equal.
check "a file opens by handle after FORGET" grep -qx 'open file by handle: hello' "$WORK/fuse.out"
check "a directory reconnects through .." grep -qx 'open directory by handle: MNT/d/e f' "$WORK/fuse.out"
check "an unlinked file's handle is stale" \
	grep -qx 'open unlinked file by handle: Stale file handle' "$WORK/fuse.out"
check "forged handles are stale" test "$(grep -c '^open forged handle .*: Stale file handle$' "$WORK/fuse.out")" = 3
check "the daemon is alive" test -d "$MNT/d"
check_unmount
check "xfs_repair -n clean" repair_clean "$WORK/f.img"
lib_finish
