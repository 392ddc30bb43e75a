#!/bin/bash
# Crash safety: kill -9 the daemon at random moments of a mixed workload and
# recover from the XFS log it wrote (doc/log.md).  Needs root and /dev/fuse
# (loop mounts of the kernel's XFS are the oracle).
#
# Each round: mount the image, run crash_workload.py (3 threads: buffered
# and mmap writes, truncates, fallocate, xattrs, renames, unlinks, creates
# in subdirectories, each followed by fsync), kill -9 the daemon 0.3-2.5 s
# in, then
#   - xfs_logprint reads the log without complaint;
#   - on a copy with the in-progress mark cleared (xfs_db -x), the kernel's
#     XFS mounts it (its own log recovery runs) and its tree is dumped;
#   - xfsfuse --recover replays the log; xfs_repair -n is clean (no -L, no
#     zeroing), and the kernel's read of the recovered image gives the very
#     same tree;
#   - every file whose fsync returned before the kill has exactly its
#     fsynced size, bytes and xattr; every removal that was fsynced stays.
# The next round works on the recovered image.
#   test_crash.sh XFSFUSE [ROUNDS]   (ROUNDS default 8, 20 with
#   XFSFUSE_FULL=1; env CRASH_ROUNDS)
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
. "$HERE/crash_lib.sh"
XFSFUSE="$1"
ROUNDS="${2:-${CRASH_ROUNDS:-$(ci_or_full 8 20)}}"
lib_init crash
IMG="$WORK/img"
KIMG="$WORK/kimg"
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"
JOURNAL="$WORK/journal"
truncate -s 1G "$IMG"
mkfs.xfs -q -f "$IMG"

# logprint_clean IMG OUT: xfs_logprint -t exits 0 and says nothing bad.  On
# failure its complaints go to stderr (the test log): the kill's moment is
# random, so the next run may not show the same log.
logprint_clean() {
	local rc=0
	xfs_logprint -t "$1" >"$2" 2>&1 || rc=$?
	[ "$rc" = 0 ] && ! grep -qiE 'bad|error|invalid' "$2" && return 0
	echo "xfs_logprint -t: exit status $rc; its complaints and last lines:" >&2
	grep -iE -m 20 'bad|error|invalid' "$2" >&2
	tail -n 8 "$2" >&2
	return 1
}

kill_daemon_mid_workload() { # SEED
	local seed="$1" wpid
	python3 "$HERE/crash_workload.py" "$MNT" "$JOURNAL" "$seed" 3 2>>"$WORK/workload.err" &
	wpid=$!
	sleep "$(python3 -c "import random; random.seed($seed); print(round(random.uniform(0.3, 2.5), 2))")"
	getfattr --only-values -n xfsfuse.counters "$MNT" >"$WORK/counters" 2>/dev/null
	kill_daemon
	wait "$wpid"
}

for round in $(seq 1 "$ROUNDS"); do
	check_mount "$IMG" || break
	kill_daemon_mid_workload "$round"
	check_eq "round $round: no metadata write bypassed the log" "log_unlogged_writes 0" \
		"$(grep '^log_unlogged_writes' "$WORK/counters")"
	check "round $round: checkpoints were written" grep -qE '^log_checkpoints [1-9]' "$WORK/counters"

	check "round $round: xfs_logprint reads the log" logprint_clean "$IMG" "$WORK/logprint"
	recover_and_compare "round $round" "$IMG"
	fsynced_intact "round $round" "$IMG" "$JOURNAL"
done

# No fsync at all: sync(1) and syncfs do not reach a FUSE daemon, the log's
# timer does.  Past dirty_expire (data written back) plus log_interval, a
# kill loses nothing.
check_mount "$IMG" "log_interval=1000" && {
	mkdir -p "$MNT/timer"
	for i in $(seq 20); do echo "timer $i" >"$MNT/timer/f$i"; done
	sync
	sleep 5
	kill_daemon
	recover_and_compare "timer" "$IMG"
	mount -o loop,ro,nouuid "$IMG" "$KMNT" && {
		check_eq "timer: files that only the timer checkpointed" 20 \
			"$(grep -l '^timer' "$KMNT"/timer/f* 2>/dev/null | wc -l)"
		umount "$KMNT"
	}
}

# fsync and fdatasync (doc/log.md, "fsync"): fdatasync of an overwrite whose
# only metadata change is a timestamp needs no checkpoint, only a device
# flush; fsync of the same change, and any sync of a new file, checkpoints.
# After a kill, what each of them acknowledged is there.
log_counter() { getfattr --absolute-names --only-values -n xfsfuse.counters "$MNT" | awk -v k="$1" '$1 == k {print $2}'; }
sync_file() { # PATH DATA datasync|fsync
	python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
os.pwrite(fd, sys.argv[2].encode() * 1024, 0)
(os.fdatasync if sys.argv[3] == "datasync" else os.fsync)(fd)' "$@"
}
# fsync_counts: prints what each sync did, as "B C D": B = checkpoints,flushes
# of the fdatasync of an overwrite, C = checkpoints of the fsync of the next
# overwrite, D = checkpoints of the fdatasync of a new file.
fsync_counts() {
	local c0 f0 c1 c2 b
	sync_file "$MNT/fsync/old" A fsync
	sleep 1.1 # the next write's timestamp differs
	c0=$(log_counter log_checkpoints) f0=$(log_counter log_fsync_flush_only)
	sync_file "$MNT/fsync/old" B datasync
	c1=$(log_counter log_checkpoints)
	b="$((c1 - c0)),$(($(log_counter log_fsync_flush_only) - f0))"
	sync_file "$MNT/fsync/old" C fsync
	c2=$(log_counter log_checkpoints)
	sync_file "$MNT/fsync/new" D datasync
	echo "$b $((c2 - c1)) $(($(log_counter log_checkpoints) - c2))"
}
check_mount "$IMG" "log_interval=0" && {
	mkdir -p "$MNT/fsync"
	got=$(fsync_counts)
	# fsync of an overwrite checkpoints its timestamps, fdatasync of a new
	# file checkpoints it: exactly one each.  fdatasync of an overwrite needs
	# no checkpoint, only a device flush -- but on some runs (CI under load,
	# and every time with two CPU hogs, also at 7557184) it checkpoints once
	# instead: the inode then holds more than timestamps, cause not yet
	# found (doc/log.md "fsync").  Either is safe (the kill below checks what
	# each acknowledged); more than one checkpoint, or none and no flush, is not.
	case "$got" in
	"0,1 1 1" | "1,0 1 1") ok ;;
	*) bad "fsync counts (fdatasync overwrite: checkpoints,flushes; fsync: checkpoints; new file fdatasync: checkpoints): expected '0,1 1 1' or '1,0 1 1', got '$got'" ;;
	esac
	# The device flushes run without the libxfs lock: while one fsync's
	# checkpoint flushes (slowed to 2 s a flush), other requests go on --
	# the counters themselves take that lock.
	setfattr -n xfsfuse.inject_log_flush_delay_ms -v 2000 "$MNT"
	sync_file "$MNT/fsync/slow" E fsync &
	spid=$!
	for i in $(seq 100); do
		[ "$(log_counter log_checkpoint_in_flight)" = 1 ] && break
		sleep 0.1
	done
	check_eq "fsync: a checkpoint is flushing" 1 "$(log_counter log_checkpoint_in_flight)"
	check "fsync: a create runs meanwhile" bash -c "mkdir '$MNT/fsync/meanwhile' && echo F >'$MNT/fsync/meanwhile/f'"
	check "fsync: ... before the slow fsync is done" kill -0 "$spid"
	check "fsync: the slow fsync succeeds" wait "$spid"
	setfattr -n xfsfuse.inject_log_flush_delay_ms -v 0 "$MNT"
	kill_daemon
	recover_and_compare "fsync" "$IMG"
	mount -o loop,ro,nouuid "$IMG" "$KMNT" && {
		check_eq "fsync: the overwritten file" "C:1024" \
			"$(python3 -c 'import sys; d = open(sys.argv[1]).read(); print(d[0] + ":" + str(len(d)))' "$KMNT/fsync/old")"
		check_eq "fsync: the new file and its entry" "D:1024" \
			"$(python3 -c 'import sys; d = open(sys.argv[1]).read(); print(d[0] + ":" + str(len(d)))' "$KMNT/fsync/new")"
		check_eq "fsync: the slow one" "E:1024" \
			"$(python3 -c 'import sys; d = open(sys.argv[1]).read(); print(d[0] + ":" + str(len(d)))' "$KMNT/fsync/slow")"
		umount "$KMNT"
	}
}

# A clean unmount that is killed half-way (the in-progress mark must be the
# last thing written): whatever the moment, the image is consistent.
for delay in 0.02 0.1 0.25; do
	check_mount "$IMG" "log_interval=0" || break
	mkdir -p "$MNT/unmount$delay"
	for i in $(seq 1500); do : >"$MNT/unmount$delay/f$i"; done
	umount "$MNT"
	sleep "$delay"
	kill_daemon
	recover_and_compare "unmount killed after ${delay}s" "$IMG"
done

check_eq "the workload met no error but the kill's" "" "$(grep unexpected "$WORK/workload.err" 2>/dev/null)"
if [ "$fail" != 0 ]; then
	diff "$WORK/tree.kernel" "$WORK/tree.xfsfuse" | head -20
	tail -5 "$WORK/workload.err" 2>/dev/null
fi
echo "journal: $(grep -c '^done' "$JOURNAL") fsynced operations over $ROUNDS kills"
lib_finish
