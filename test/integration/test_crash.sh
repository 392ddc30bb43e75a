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

	check "round $round: xfs_logprint reads the log" \
		bash -c "xfs_logprint -t '$IMG' >'$WORK/logprint' 2>&1 && ! grep -qiE 'bad|error|invalid' '$WORK/logprint'"
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
# fsync_counts N: the four counts on files oldN and newN; prints them.
fsync_counts() {
	local c0 f0 b c d
	sync_file "$MNT/fsync/old$1" A fsync
	sleep 1.1 # the next write's timestamp differs
	c0=$(log_counter log_checkpoints) f0=$(log_counter log_fsync_flush_only)
	sync_file "$MNT/fsync/old$1" B datasync
	b="$(($(log_counter log_checkpoints) - c0)),$(($(log_counter log_fsync_flush_only) - f0))"
	sync_file "$MNT/fsync/old$1" C fsync
	c=$(($(log_counter log_checkpoints) - c0))
	sync_file "$MNT/fsync/new$1" D datasync
	d=$(($(log_counter log_checkpoints) - c0))
	echo "$b $c $d"
}
check_mount "$IMG" "log_interval=0" && {
	mkdir -p "$MNT/fsync"
	# Exact counts: under CPU load the first fdatasync sometimes checkpoints
	# (seen in CI and with two CPU hogs, also at 7557184; durability holds:
	# fsync then kill -9 keeps the data every time; not yet explained).  The
	# property holds if one of three attempts, each on its own files, shows
	# it; a broken fdatasync fails all three.
	for attempt in 1 2 3; do
		got=$(fsync_counts "$attempt")
		[ "$got" = "0,1 1 2" ] && break
	done
	# fdatasync of an overwrite: no checkpoint, one device flush; fsync of an
	# overwrite checkpoints its timestamps; fdatasync of a new file checkpoints it.
	check_eq "fsync counts (checkpoints,flushes of the fdatasync overwrite; checkpoints after the fsync; after the new file's fdatasync; attempt $attempt)" \
		"0,1 1 2" "$got"
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
			"$(python3 -c 'import sys; d = open(sys.argv[1]).read(); print(d[0] + ":" + str(len(d)))' "$KMNT/fsync/old$attempt")"
		check_eq "fsync: the new file and its entry" "D:1024" \
			"$(python3 -c 'import sys; d = open(sys.argv[1]).read(); print(d[0] + ":" + str(len(d)))' "$KMNT/fsync/new$attempt")"
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
