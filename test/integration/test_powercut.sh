#!/bin/bash
# Power cuts: the daemon runs with test/crash/iolog.c preloaded, which logs
# every write and flush that reaches the image; test/crash/powercut.py then
# rebuilds the image as a power cut would leave it at a flush point, with the
# writes that followed it dropped, kept or torn at random (fstests'
# dm-log-writes technique; this kernel has no device-mapper).  For each
# rebuilt image:
#   - the kernel's XFS recovers a copy (in-progress mark cleared) and
#     xfsfuse --recover the image; xfs_repair -n is clean; both trees agree;
#   - every file whose fsync returned before the cut has exactly its fsynced
#     size, bytes and xattr (crash_check.py with the cut's time).
# Needs root and /dev/fuse (the kernel's loop mounts are the oracle).
#   test_powercut.sh XFSFUSE IOLOG_SO [CUTS]   (CUTS default 8, 12 with
#   XFSFUSE_FULL=1; env POWERCUT_CUTS; the first and the last flush are
#   always among them)
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
. "$HERE/crash_lib.sh"
XFSFUSE="$1"
IOLOG_SO="$2"
CUTS="${3:-${POWERCUT_CUTS:-$(ci_or_full 8 12)}}"
lib_init powercut
IMG="$WORK/img"
BASE="$WORK/base"
CUT="$WORK/cut"
KIMG="$WORK/kimg"
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"
JOURNAL="$WORK/journal"
IOLOG="$WORK/iolog"
truncate -s 1G "$IMG"
mkfs.xfs -q -f "$IMG"

# A starting tree, unmounted cleanly: the base every cut is rebuilt from.
check_mount "$IMG" && {
	cp -r /usr/include/linux "$MNT/include" 2>/dev/null
	check_unmount "base"
}
cp --sparse=always "$IMG" "$BASE"

# The recorded run: the workload, then the power goes (kill -9).
# (An ASan daemon: the recorder is preloaded ahead of ASan's runtime.)
ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
	XFSFUSE_IOLOG="$IOLOG" XFSFUSE_IOLOG_IMAGE="$IMG" LD_PRELOAD="$IOLOG_SO" \
	check_mount "$IMG" "log_interval=1000" && {
	python3 "$HERE/crash_workload.py" "$MNT" "$JOURNAL" 7 3 2>>"$WORK/workload.err" &
	wpid=$!
	sleep 3
	kill_daemon
	wait "$wpid"
}
python3 "$HERE/../crash/powercut.py" points "$IOLOG" >"$WORK/points"
nflush=$(wc -l <"$WORK/points")
check "flushes were recorded ($nflush)" test "$nflush" -gt 10

# Cut points spread over the run, the first and the last flush included.
for i in $(seq 0 $((CUTS - 1))); do
	k=$((1 + i * (nflush - 1) / (CUTS - 1)))
	t=$(python3 "$HERE/../crash/powercut.py" build "$IOLOG" "$BASE" "$CUT" "$k" "$i")
	recover_and_compare "cut $k/$nflush" "$CUT"
	fsynced_intact "cut $k/$nflush" "$CUT" "$JOURNAL" "$t"
done
echo "recorded $(stat -c %s "$IOLOG") bytes of writes, $nflush flushes, $(grep -c '^done' "$JOURNAL") fsynced operations"
lib_finish
