#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# -o io_uring: FUSE-over-io_uring where libfuse (3.18 built with liburing) and
# the kernel (6.14+, the fuse module's enable_uring, which xfsfuse turns on as
# root) have it.  Either the daemon says why it serves /dev/fuse instead and
# has no ring threads, or it has libfuse's "fuse-ring-N" threads; both ways
# the mount must behave: data written by parallel writers, O_DIRECT and a
# shared mmap read back, names and xattrs, a clean unmount, xfs_repair -n and
# the kernel's XFS reading the same bytes.
#
# usage: test_io_uring.sh [path/to/xfsfuse]      (needs root and /dev/fuse)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
XFSFUSE=$(realpath "${1:-build/src/xfsfuse}")
lib_init io-uring
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"
IMG="$WORK/img"
PARAM=/sys/module/fuse/parameters/enable_uring

truncate -s 512M "$IMG" && mkfs.xfs -q "$IMG" || exit 1
head -c $((5 << 20)) /dev/urandom >"$WORK/r1"
head -c $((3 << 20)) /dev/urandom >"$WORK/r2"
check_mount "$IMG" io_uring || lib_finish
rings=$(ps -T -p "$DAEMON_PID" -o comm= | grep -c '^fuse-ring' || true)
if grep -q "io_uring.*serving /dev/fuse" "$DAEMON_LOG"; then
	echo "fallback: $(grep "io_uring" "$DAEMON_LOG" | head -1)"
	check_eq "fallback: no ring threads" 0 "$rings"
else
	check "io_uring: ring threads (fuse-ring-N: $rings)" test "$rings" -gt 0
	check "io_uring: $PARAM is on" grep -qE '^(Y|1)' "$PARAM"
fi

# Two writers in parallel (requests from several queues), then read back.
cp "$WORK/r1" "$MNT/r1" &
p1=$!
cp "$WORK/r2" "$MNT/r2" &
p2=$!
wait $p1 && wait $p2 && ok || bad "parallel writes"
check "read back r1" cmp "$WORK/r1" "$MNT/r1"
check "read back r2" cmp "$WORK/r2" "$MNT/r2"
check "O_DIRECT write" dd if="$WORK/r2" of="$MNT/direct" bs=64k oflag=direct status=none
check "O_DIRECT read" cmp "$WORK/r2" "$MNT/direct"
check "shared mmap store" python3 -c "
import mmap, os
fd = os.open('$MNT/mapped', os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(fd, 8192)
m = mmap.mmap(fd, 8192)
m[4096:4101] = b'RINGS'
m.flush(); m.close(); os.close(fd)"
check "names: mkdir, rename, link, unlink" sh -c "
	mkdir '$MNT/d' && mv '$MNT/r2' '$MNT/d/r2' && ln '$MNT/d/r2' '$MNT/hard' && rm '$MNT/hard'"
check "xattr" setfattr -n user.t -v ring "$MNT/d/r2"
check_eq "xattr reads back" ring "$(getfattr --only-values -n user.t "$MNT/d/r2" 2>/dev/null)"
check_eq "ls" "d direct mapped r1" "$(ls "$MNT" | tr '\n' ' ' | sed 's/ $//')"
check_unmount
repair_clean "$IMG" && ok || bad "xfs_repair -n"
if mount -o loop,ro "$IMG" "$KMNT"; then
	check "kernel: r1" cmp "$WORK/r1" "$KMNT/r1"
	check "kernel: d/r2" cmp "$WORK/r2" "$KMNT/d/r2"
	check "kernel: direct" cmp "$WORK/r2" "$KMNT/direct"
	check_eq "kernel: mapped" RINGS "$(dd if="$KMNT/mapped" bs=1 skip=4096 count=5 status=none)"
	check_eq "kernel: xattr" ring "$(getfattr --only-values -n user.t "$KMNT/d/r2" 2>/dev/null)"
	umount "$KMNT"
else
	bad "kernel mount (oracle)"
fi
lib_finish
