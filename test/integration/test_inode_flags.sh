#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Inode flags and the inode-flag ioctls (doc/backend.md "Inode flags"):
# chattr/lsattr, xfs_io chattr/lsattr/chproj, FS_IOC_FSSETXATTR hints and
# project ids, immutable/append-only enforcement, privileges, inheritance,
# and the sync flag.  The kernel's XFS is the oracle: inode_flags_ops.sh
# runs on a loop mount and on xfsfuse, and the outputs must be equal; then
# each side's flags must read the same through the other, and both images
# repair clean.
# Needs root, /dev/fuse, chattr/lsattr (e2fsprogs), xfs_io, setpriv, python3.
#   usage: test_inode_flags.sh XFSFUSE
set -uo pipefail
XFSFUSE="$(realpath "$1")"
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
lib_init inode-flags
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"
# The workload also runs as nobody: the path and the helper must be readable.
chmod 755 "$WORK"
cp "$HERE/fsxattr.py" "$WORK/fsxattr.py"
export FSXATTR="$WORK/fsxattr.py"
FSXATTR_PY=$(command -v /usr/bin/python3 || command -v python3)
export FSXATTR_PY
FSX="$FSXATTR_PY $FSXATTR"

truncate -s 512M "$WORK/k.img"
mkfs.xfs -q "$WORK/k.img"
cp "$WORK/k.img" "$WORK/f.img"

# flags_of DIR: every inode's flags, hints and project id, by path.  Special
# files only on the kernel's side (the FUSE kernel sends no ioctl for them).
flags_of() {
	(
		cd "$1" || exit 1
		find . ! -type l "${@:2}" -print0 | LC_ALL=C sort -z | xargs -0 $FSX get
		find . \( -type f -o -type d \) -print0 | LC_ALL=C sort -z | xargs -0 lsattr -d
	)
}

# ------------------------------------------------------------ the oracle
mount -o loop "$WORK/k.img" "$KMNT"
bash "$HERE/inode_flags_ops.sh" "$KMNT" >"$WORK/kernel.out" 2>&1
umount "$KMNT"

# allow_other: the workload's unprivileged part must reach the daemon.
check_mount "$WORK/f.img" allow_other || lib_finish
bash "$HERE/inode_flags_ops.sh" "$MNT" >"$WORK/fuse.out" 2>&1
if diff -u "$WORK/kernel.out" "$WORK/fuse.out" >"$WORK/diff"; then ok; else
	bad "the workload's results differ from the kernel's XFS"
	cat "$WORK/diff" >&2
fi
# Sanity: the outputs show what the flags must do, not just equal failures.
check "chattr +i worked" grep -qx 'chattr +i f_i: ok' "$WORK/fuse.out"
check "rm of an immutable file refused" grep -qx 'rm f_i: Operation not permitted' "$WORK/fuse.out"
check "appending to an append-only file worked" grep -qx 'append to f_a: ok' "$WORK/fuse.out"
check "extent size hint set" grep -qx 'e: ----------e----- extsize=1048576 projid=0 cowextsize=0' \
	"$WORK/fuse.out"
check "new file inherits the directory's flags" \
	grep -qx 'ih/file: ----sAd---e-f--- extsize=65536 projid=9 cowextsize=0' "$WORK/fuse.out"
check "a non-owner is refused" grep -qx "nobody chattr +d root's file: Operation not permitted while setting flags on g" \
	"$WORK/fuse.out"
check_unmount "after the workload"
check "xfs_repair -n after the workload (xfsfuse)" repair_clean "$WORK/f.img"
check "xfs_repair -n after the workload (kernel)" repair_clean "$WORK/k.img"

# ------------------------------------------------------------ persistence
# Flags set through xfsfuse, read by the kernel after unmount, equal the
# kernel's own (special files included: the fifo's inherited project id).
mount -o loop,ro "$WORK/k.img" "$KMNT"
flags_of "$KMNT" >"$WORK/kernel.flags" 2>&1
umount "$KMNT"
mount -o loop,ro "$WORK/f.img" "$KMNT"
flags_of "$KMNT" >"$WORK/fuse-by-kernel.flags" 2>&1
umount "$KMNT"
check "the flags set through xfsfuse read the same through the kernel" \
	diff -u "$WORK/kernel.flags" "$WORK/fuse-by-kernel.flags"
check "the fifo inherited its project id" grep -qx './ih/fifo: ---------------- extsize=0 projid=9 cowextsize=0' \
	"$WORK/fuse-by-kernel.flags"
# ... and flags the kernel set read the same through xfsfuse.
mount -o loop,ro "$WORK/k.img" "$KMNT"
flags_of "$KMNT" \( -type f -o -type d \) >"$WORK/kernel-regdir.flags" 2>&1
umount "$KMNT"
if check_mount "$WORK/k.img" ro; then
	flags_of "$MNT" \( -type f -o -type d \) >"$WORK/kernel-by-fuse.flags" 2>&1
	check "the kernel's flags read the same through xfsfuse" \
		diff -u "$WORK/kernel-regdir.flags" "$WORK/kernel-by-fuse.flags"
	check_unmount "read-only mount of the kernel's image"
fi

# ------------------------------------------------------------ sync flag
# XFS_DIFLAG_SYNC makes every write O_SYNC: with the log timer off, only a
# forced log (fsync) writes a checkpoint.
counter() { getfattr --only-values -n xfsfuse.counters "$MNT" | awk -v n="$1" '$1 == n { print $2 }'; }
if check_mount "$WORK/f.img" log_interval=0; then
	echo data >"$MNT/async"
	echo data >"$MNT/sync"
	chattr +S "$MNT/sync"
	setfattr -n xfsfuse.sync -v 1 "$MNT"
	setfattr -n xfsfuse.counters -v 0 "$MNT"
	echo more >>"$MNT/async"
	check_eq "a plain write forces no checkpoint" 0 "$(counter log_checkpoints)"
	echo more >>"$MNT/sync"
	n=$(counter log_checkpoints)
	check "a write to a sync file forces a checkpoint ($n)" [ "${n:-0}" -ge 1 ]
	check_unmount "sync flag"
	check "xfs_repair -n after the sync writes" repair_clean "$WORK/f.img"
fi

# ------------------------------------------------------------ statx
# statx asking for btime makes the FUSE kernel send FUSE_STATX (Linux 6.6+):
# btime is di_crtime, the same the kernel's XFS reports for the inode.  The
# reply also carries stx_attributes (immutable, append, nodump), but
# mainline FUSE (6.18) drops them, so they are not checked here.
stx() { xfs_io -r -c 'statx -r -F' "$1" | awk -v k="stat.$2" '$1 == k { print $3 }'; }
if check_mount "$WORK/f.img"; then
	t0=$(date +%s)
	echo data >"$MNT/bt"
	chattr +a +d "$MNT/bt"
	mask=$(stx "$MNT/bt" mask)
	check "statx reports btime (mask $mask)" [ $((${mask:-0} & 0x800)) -ne 0 ]
	fbt=$(stx "$MNT/bt" btime.tv_sec).$(stx "$MNT/bt" btime.tv_nsec)
	check "btime is the creation time ($fbt, created at $t0)" [ "${fbt%%.*}" -ge "$t0" ]
	chattr -a -d "$MNT/bt"
	check_unmount "statx"
	mount -o loop,ro "$WORK/f.img" "$KMNT"
	kbt=$(stx "$KMNT/bt" btime.tv_sec).$(stx "$KMNT/bt" btime.tv_nsec)
	umount "$KMNT"
	check_eq "btime through xfsfuse and through the kernel" "$kbt" "$fbt"
fi

# ------------------------------------------------------------ other ioctls
if check_mount "$WORK/f.img"; then
	out=$($FSXATTR_PY -c '
import fcntl, sys, errno
f = open(sys.argv[1])
try:
    fcntl.ioctl(f, 0x80045801, bytes(4))   # _IOR('X', 1, int): none of ours
    print("ok")
except OSError as e:
    print(errno.errorcode[e.errno])' "$MNT/async")
	check_eq "an unknown ioctl: ENOTTY" ENOTTY "$out"
	check_unmount "unknown ioctl"
fi
lib_finish
