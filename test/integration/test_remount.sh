#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mount -o ro, then mount -o remount,rw (fstests generic/417's step; the
# kernel's xfs_remount_rw; doc/options.md "Read-only mounts and remount"),
# all through mount(8), which runs our build's helper (mount.fuse3 finds
# xfsfuse in /usr/local/sbin, bound over in this test's namespace):
#   - a read-only mount of a clean image changes no byte of it: reads, and
#     writes of every kind refused with EROFS (image checksum before/after);
#   - ro -> rw -> ro -> rw: the daemon goes read-write (xfsfuse.mode), writes
#     work, fail again while read-only, work again; after unmount
#     xfs_repair -n is clean and the kernel reads the bytes written;
#   - an image the daemon cannot open read-write (a read-only bind mount,
#     chattr +i) or may not write (V4) reads "ro-only: REASON", and
#     remount,rw is refused with that reason, the mount left read-only and
#     the image unchanged;
#   - another read-only mount sharing the image: the daemon refuses, the
#     helper puts the mount back to read-only; once alone it goes rw;
#   - the ro mount of a crashed image (it replays the log) goes rw.
#
# usage: test_remount.sh XFSFUSE      (needs root, /dev/fuse, chattr)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
XFSFUSE=$(realpath "${1:-build/src/xfsfuse}")

lib_init remount
KMNT="$WORK/kmnt"
MNT2="$WORK/mnt2"
RODIR="$WORK/rodir"
lib_mount_dir "$KMNT"
lib_mount_dir "$MNT2"
lib_mount_dir "$RODIR"
IMG="$WORK/img"

# mount.fuse3 runs "xfsfuse" through /bin/sh with the default PATH.
mkdir -p "$WORK/sbin"
ln -s "$XFSFUSE" "$WORK/sbin/xfsfuse"
mount --bind "$WORK/sbin" /usr/local/sbin || exit 1

erofs() { local out; out=$("$@" 2>&1) && return 1; [[ "$out" == *"Read-only file system"* ]]; }
mode() { getfattr --only-values -n xfsfuse.mode "${1:-$MNT}" 2>/dev/null; }
mnt_flag() { awk -v m="${1:-$MNT}" '$2 == m { split($4, o, ","); print o[1] }' /proc/mounts; }
sum() { md5sum <"$1" | cut -d' ' -f1; }
# umount(8) returns before the daemon has let go of the image: wait for its flock.
umount_wait() { umount "$MNT" && flock -w 30 "$1" true; }
check_rofs_writes() {
	check "$1: create refused" erofs sh -c "echo x > '$MNT/new'"
	check "$1: append refused" erofs sh -c "echo x >> '$MNT/a'"
	check "$1: truncate refused" erofs truncate -s 0 "$MNT/a"
	check "$1: mkdir refused" erofs mkdir "$MNT/d2"
	check "$1: unlink refused" erofs rm -f "$MNT/a"
	check "$1: chmod refused" erofs chmod 600 "$MNT/a"
	check "$1: touch refused" erofs touch "$MNT/a"
	check "$1: setfattr refused" erofs setfattr -n user.x -v 1 "$MNT/a"
	check "$1: xfsfuse.mode refused (the kernel)" erofs setfattr -n xfsfuse.mode -v rw "$MNT"
}

head -c 1M /dev/urandom >"$WORK/src1"
head -c 300K /dev/urandom >"$WORK/src2"
truncate -s 300M "$IMG" # small: it is checksummed
mkfs.xfs -q "$IMG"
mount -t fuse.xfsfuse "$IMG" "$MNT"
mkdir "$MNT/d"
cp "$WORK/src2" "$MNT/a"
umount_wait "$IMG"

# ---- a read-only mount writes nothing
before=$(sum "$IMG")
check "ro mount" mount -t fuse.xfsfuse "$IMG" "$MNT" -o ro
check_eq "ro: xfsfuse.mode" ro "$(mode)"
check_eq "ro: /proc/mounts" ro "$(mnt_flag)"
check "ro: read" cmp "$WORK/src2" "$MNT/a"
ls -lR "$MNT" >/dev/null
check_rofs_writes "ro"
sleep 1 # the flusher's and the log timer's intervals, had they run
umount_wait "$IMG"
check_eq "ro mount: image unchanged" "$before" "$(sum "$IMG")"

# ---- ro -> rw -> ro -> rw
check "cycle: ro mount" mount -t fuse.xfsfuse "$IMG" "$MNT" -o ro,nosuid
check "cycle: remount,rw" mount -o remount,rw "$MNT"
check_eq "cycle: xfsfuse.mode after remount,rw" rw "$(mode)"
check_eq "cycle: /proc/mounts after remount,rw" rw "$(mnt_flag)"
check "cycle: nosuid kept" grep -q " $MNT fuse.xfsfuse rw,nosuid," /proc/mounts
check_eq "cycle: atime flags read-write" rw,relatime \
	"$(getfattr --only-values -n xfsfuse.atime "$MNT" 2>/dev/null)"
check "cycle: write after rw" cp "$WORK/src1" "$MNT/one"
check "cycle: mkdir after rw" mkdir "$MNT/d/sub"
check "cycle: fsync" python3 -c "import os; os.fsync(os.open('$MNT/one', os.O_RDONLY))"
check "cycle: remount,ro" mount -o remount,ro "$MNT"
check_eq "cycle: /proc/mounts after remount,ro" ro "$(mnt_flag)"
check "cycle: write refused again" erofs sh -c "echo x >> '$MNT/one'"
check "cycle: data readable while ro" cmp "$WORK/src1" "$MNT/one"
check "cycle: second remount,rw" mount -o remount,rw "$MNT"
check "cycle: append after second rw" sh -c "cat '$WORK/src2' >> '$MNT/one'"
check "cycle: unlink after second rw" rm "$MNT/a"
check "cycle: counters: checkpoints" \
	test "$(getfattr --only-values -n xfsfuse.counters "$MNT" | awk '$1 == "log_checkpoints" { print $2 }')" -ge 1
umount_wait "$IMG"
check "cycle: repair clean" repair_clean "$IMG"
cat "$WORK/src1" "$WORK/src2" >"$WORK/want"
loop_released "$IMG"
if check "cycle: kernel mounts the image" mount -o loop,ro "$IMG" "$KMNT"; then
	check "cycle: kernel reads the bytes written" cmp "$WORK/want" "$KMNT/one"
	check "cycle: kernel sees the directory" test -d "$KMNT/d/sub"
	check "cycle: kernel sees the unlink" test ! -e "$KMNT/a"
	umount "$KMNT"
fi
loop_released "$IMG"

# ---- images that cannot be written: refused up front, nothing changes
# refused LABEL IMAGE REASON: ro mount, remount,rw refused naming REASON.
refused() {
	local img="$2" before
	before=$(sum "$img")
	if ! check "$1: ro mount" mount -t fuse.xfsfuse "$img" "$MNT" -o ro; then return; fi
	check "$1: xfsfuse.mode names the reason" grep -q "^ro-only: .*$3" <<<"$(mode)"
	check "$1: remount,rw refused" erofs_or_fail mount -o remount,rw "$MNT"
	check "$1: the helper says why" grep -q "cannot go read-write: .*$3" "$WORK/remount.err"
	check_eq "$1: still read-only" ro "$(mnt_flag)"
	check "$1: write refused" erofs sh -c "echo x > '$MNT/new'"
	umount_wait "$img"
	check_eq "$1: image unchanged" "$before" "$(sum "$img")"
}
erofs_or_fail() { ! "$@" 2>"$WORK/remount.err"; }

mkdir -p "$RODIR"
mount --bind "$WORK" "$RODIR" && mount -o remount,bind,ro "$RODIR"
refused "read-only bind" "$RODIR/img" "Read-only file system"
umount "$RODIR"
if chattr +i "$IMG"; then
	refused "chattr +i" "$IMG" "Operation not permitted"
	chattr -i "$IMG"
else
	bad "chattr +i $IMG"
fi
truncate -s 300M "$WORK/v4.img"
mkfs.xfs -q -f -m crc=0 "$WORK/v4.img" >/dev/null 2>&1
refused "V4 image" "$WORK/v4.img" "V4"
rm -f "$WORK/v4.img"

# ---- another reader shares the image: refused, put back to read-only
check "shared: first ro mount" mount -t fuse.xfsfuse "$IMG" "$MNT" -o ro
# In the foreground, to wait for its exit: flock(1) would wait for the first one too.
"$XFSFUSE" -f -o ro "$IMG" "$MNT2" 2>>"$DAEMON_LOG" &
PID2=$!
for _ in $(seq 100); do mountpoint -q "$MNT2" && break; sleep 0.1; done
check "shared: second ro mount" mountpoint -q "$MNT2"
check "shared: remount,rw refused" erofs_or_fail mount -o remount,rw "$MNT"
check "shared: the helper says so" grep -q "daemon cannot go read-write" "$WORK/remount.err"
check_eq "shared: back to read-only" ro "$(mnt_flag)"
check_eq "shared: daemon still read-only" ro "$(mode)"
check "shared: still reads" cmp "$WORK/want" "$MNT/one"
umount "$MNT2"
check "shared: second daemon exits 0" wait "$PID2"
check "shared: alone, remount,rw" mount -o remount,rw "$MNT"
check "shared: write" sh -c "echo alone > '$MNT/alone'"
umount_wait "$IMG"
check "shared: repair clean" repair_clean "$IMG"

# ---- generic/417's order: crash, ro mount (replays the log), remount,rw
fuse_mount "$IMG" || bad "crash: mount"
echo crashed >"$MNT/crashed"
python3 -c "import os; os.fsync(os.open('$MNT/crashed', os.O_RDONLY))"
kill -KILL "$DAEMON_PID"
{ wait "$DAEMON_PID"; } 2>/dev/null
DAEMON_PID=
umount "$MNT" 2>/dev/null || umount -l "$MNT"
check "crash: ro mount replays" mount -t fuse.xfsfuse "$IMG" "$MNT" -o ro
check_eq "crash: fsynced file back" crashed "$(cat "$MNT/crashed" 2>&1)"
check "crash: remount,rw" mount -o remount,rw "$MNT"
check "crash: write" sh -c "echo after > '$MNT/after'"
umount_wait "$IMG"
check "crash: repair clean" repair_clean "$IMG"
loop_released "$IMG"
if check "crash: kernel mounts the image" mount -o loop,ro "$IMG" "$KMNT"; then
	check_eq "crash: kernel reads the file written after rw" after "$(cat "$KMNT/after" 2>&1)"
	umount "$KMNT"
fi

lib_finish
