#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The shutdown ioctl (XFS_IOC_GOINGDOWN, what fstests' godown and xfs_io's
# shutdown send) and xfsfuse.shutdown, in each of the three modes, against
# the kernel's XFS doing the same sequence on a loop mount (doc/log.md
# "Shutdown on request"):
#   - a file written and fsynced, a directory with a fsynced file, a file
#     written O_SYNC|O_DIRECT, then a file written without fsync, then the
#     shutdown;
#   - the daemon got the ioctl with no input bytes (FUSE's restricted
#     ioctls) and read the flags from the caller;
#   - afterwards writes, creates, reads (through a file opened before, whose
#     pages the kernel had cached), stat, readdir and statfs fail with EIO,
#     as on the kernel; xfsfuse.shutdown reads 1;
#   - nothing reaches the image after the shutdown (its checksum does not
#     move past several log timer periods and writeback) and the unmount
#     leaves the log dirty: no unmount record, the in-progress mark kept,
#     xfs_repair -n refuses it;
#   - the kernel recovers a copy (mark cleared), xfsfuse's next mount
#     replays the log: both give the same files as the kernel's own shutdown
#     (the fsynced ones always, the unsynced one by mode), repair is clean,
#     and the remounted image is writable.
#
# usage: test_shutdown.sh [path/to/xfsfuse]      (needs root and /dev/fuse)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
XFSFUSE=$(realpath "${1:-build/src/xfsfuse}")
fails_eio() { local out; out=$("$@" 2>&1) && return 1; [[ "$out" == *"Input/output error"* ]]; }

lib_init shutdown
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"
IMG="$WORK/img"
KIMG="$WORK/kimg"

# shutdown.py PATH FLAGS: ioctl(fd, XFS_IOC_GOINGDOWN, &flags) on PATH, as
# godown does; the word is in a mutable buffer so the caller's memory holds it.
cat >"$WORK/shutdown.py" <<'PY'
import fcntl, os, struct, sys
XFS_IOC_GOINGDOWN = 0x8004587d  # _IOR('X', 125, __u32)
fd = os.open(sys.argv[1], os.O_RDONLY)
buf = bytearray(struct.pack("I", int(sys.argv[2])))
fcntl.ioctl(fd, XFS_IOC_GOINGDOWN, buf)
assert struct.unpack("I", buf)[0] == int(sys.argv[2]), "flags word overwritten"
PY
# held.py PATH: opens PATH, reads it (the kernel caches its page), waits for
# a line on stdin, then reads again: prints the second read's result.
cat >"$WORK/held.py" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.read(fd, 100)
print("ready", flush=True)
sys.stdin.readline()
try:
    print(os.pread(fd, 100, 0).decode().strip())
except OSError as e:
    print("error", e.errno)
PY
fsync() { python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)" "$1"; }

# workload DIR: the same sequence on both file systems.
workload() {
	echo synced >"$1/synced" && fsync "$1/synced" &&
		mkdir "$1/dir" && echo inner >"$1/dir/f" && fsync "$1/dir/f" && fsync "$1/dir" &&
		xfs_io -fsd -c "pwrite -q -S 0x61 0 4096" "$1/osync-direct" &&
		echo unsynced >"$1/unsynced"
}

# listing DIR: name, size and content of every file, sorted.
listing() {
	(cd "$1" && find . -mindepth 1 | sort | while read -r f; do
		if [ -f "$f" ]; then echo "$f $(stat -c %s "$f") $(head -c 16 "$f")"; else echo "$f/"; fi
	done)
}

# kernel_shutdown MODE: the kernel's XFS does the workload and the shutdown;
# its recovered tree goes to $WORK/tree.kernel-shutdown.
kernel_shutdown() {
	rm -f "$KIMG" && truncate -s 512M "$KIMG" && mkfs.xfs -q -f "$KIMG" || return 1
	mount -o loop "$KIMG" "$KMNT" || return 1
	# unsynced held open as on the FUSE side: a drop_caches beside us
	# would evict its inode, and reclaiming a dirty inode forces the log.
	local fd
	workload "$KMNT" && exec {fd}<"$KMNT/unsynced" && python3 "$WORK/shutdown.py" "$KMNT" "$1"
	[ -n "$fd" ] && exec {fd}<&-
	umount "$KMNT"
	loop_released "$KIMG"
	mount -o loop "$KIMG" "$KMNT" || return 1
	listing "$KMNT" >"$WORK/tree.kernel-shutdown"
	umount "$KMNT"
	loop_released "$KIMG"
}

# same_files LABEL MODE: xfsfuse's recovered tree against the kernel's own
# shutdown.  Without a log flush (mode 2) the unsynced file's create survives
# on the kernel only if something pushed its log first (its 30 s log worker,
# or the reclaim of any dirty inode: a drop_caches anywhere on the machine),
# so there both outcomes are the kernel's: absent, or empty.
same_files() {
	local u
	if [ "$2" != 2 ]; then
		check "$1: the same files as the kernel's own shutdown" \
			cmp -s "$WORK/tree.kernel-shutdown" "$WORK/tree.xfsfuse"
		return
	fi
	check "$1: the same files as the kernel's own shutdown, unsynced aside" \
		cmp -s <(grep -v '^./unsynced ' "$WORK/tree.kernel-shutdown") \
		<(grep -v '^./unsynced ' "$WORK/tree.xfsfuse")
	u=$(grep '^./unsynced ' "$WORK/tree.xfsfuse")
	check "$1: unsynced absent or empty, as the kernel may leave it ('$u')" \
		test -z "$u" -o "$u" = "./unsynced 0 "
}

# scenario LABEL MODE HOW [MOUNT_OPTS]: HOW is ioctl, xfs_io or xattr.
scenario() {
	local label="$1" mode="$2" how="$3" sum1 sum2 rc
	rm -f "$IMG" && truncate -s 512M "$IMG" && mkfs.xfs -q -f "$IMG"
	: >"$DAEMON_LOG"
	check_mount "$IMG" "$4" || return
	check "$label: workload" workload "$MNT"
	# Held open until after the shutdown: a test beside this one that drops
	# the kernel's caches (drop_caches: fsmodel, handles, the bench) would
	# otherwise make the kernel FORGET the inode, and the daemon writes back
	# the dirty data of an inode it lets go -- legal, but not the timing the
	# kernel's own run (and this comparison) has.
	local unsynced_fd
	exec {unsynced_fd}<"$MNT/unsynced"
	coproc HELD { python3 "$WORK/held.py" "$MNT/synced"; }
	read -r _ <&"${HELD[0]}"
	case "$how" in
	ioctl) check "$label: shutdown ioctl" python3 "$WORK/shutdown.py" "$MNT/dir" "$mode" ;;
	xfs_io) check "$label: xfs_io shutdown -f" xfs_io -x -c "shutdown -f" "$MNT" ;;
	xattr)
		local name=(default logflush nologflush)
		check "$label: setfattr xfsfuse.shutdown" setfattr -n xfsfuse.shutdown -v "${name[$mode]}" "$MNT"
		;;
	esac
	if [ "$how" != xattr ]; then
		check "$label: the request carried no input (restricted _IOR)" \
			grep -q "in 0 bytes, out 4): flags $mode read from the caller" "$DAEMON_LOG"
	fi
	echo >&"${HELD[1]}"
	local held
	read -r held <&"${HELD[0]}"
	wait "$HELD_PID" 2>/dev/null
	check_eq "$label: read through a file opened before" "error 5" "$held"
	check "$label: overwrite gives EIO" fails_eio sh -c "echo x >>'$MNT/synced'"
	check "$label: create gives EIO" fails_eio touch "$MNT/new"
	check "$label: mkdir gives EIO" fails_eio mkdir "$MNT/newdir"
	check "$label: read gives EIO" fails_eio cat "$MNT/dir/f"
	check "$label: readdir gives EIO" fails_eio ls "$MNT/dir"
	check "$label: statfs gives EIO" fails_eio stat -f "$MNT"
	check "$label: stat gives EIO" fails_eio stat "$MNT/synced"
	check "$label: open gives EIO" fails_eio python3 "$WORK/shutdown.py" "$MNT/dir" 1
	# The controls still answer (the root keeps its attributes for that).
	check_eq "$label: xfsfuse.shutdown" 1 "$(getfattr --absolute-names --only-values -n xfsfuse.shutdown "$MNT" 2>&1)"
	check "$label: a second shutdown is no error" setfattr -n xfsfuse.shutdown -v nologflush "$MNT"
	# The log timer (log_interval=200), reclaim, inodegc and the unmount's
	# final writeback of the dirty unsynced file all had their chance: not
	# one byte changed.
	sum1=$(md5sum <"$IMG")
	exec {unsynced_fd}<&- # its release, after the shutdown, writes nothing either
	sleep 2
	fuse_unmount
	rc=$?
	check "$label: the daemon reports the shutdown at exit ($rc)" test "$rc" != 0
	sum2=$(md5sum <"$IMG")
	check_eq "$label: nothing written after the shutdown" "$sum1" "$sum2"
	check "$label: the log is dirty" sh -c "xfs_logprint -t '$IMG' 2>&1 | grep -q 'state: <DIRTY>'"
	check "$label: the in-progress mark is kept" sh -c "xfs_db -r -c 'sb 0' -c 'print inprogress' '$IMG' | grep -q '= 1'"
	check "$label: xfs_repair -n refuses the dirty log" sh -c "! xfs_repair -n '$IMG' >/dev/null 2>&1"
	# The kernel recovers a copy (mark cleared, as doc/log.md's oracle does).
	cp --sparse=always "$IMG" "$KIMG"
	xfs_db -x -c 'sb 0' -c 'write -d inprogress 0' "$KIMG" >/dev/null 2>&1
	if mount -o loop,nouuid "$KIMG" "$KMNT"; then
		listing "$KMNT" >"$WORK/tree.kernel-recovery"
		umount "$KMNT"
		loop_released "$KIMG"
		ok
	else
		bad "$label: the kernel recovers the log"
	fi
	# xfsfuse's own recovery, at its next mount.
	check_mount "$IMG" || return
	check "$label: xfsfuse replayed the log" sh -c "getfattr --only-values -n xfsfuse.counters '$MNT' | grep -q '^log_replays 1$'"
	listing "$MNT" >"$WORK/tree.xfsfuse"
	check_eq "$label: the fsynced file" "./synced 7 synced" "$(grep '^./synced ' "$WORK/tree.xfsfuse")"
	check_eq "$label: the fsynced file in a directory" "./dir/f 6 inner" "$(grep '^./dir/f ' "$WORK/tree.xfsfuse")"
	# The FUSE kernel sends no FSYNC after an O_DIRECT write: the daemon syncs it.
	check_eq "$label: the O_SYNC|O_DIRECT file" "./osync-direct 4096 aaaaaaaaaaaaaaaa" \
		"$(grep '^./osync-direct ' "$WORK/tree.xfsfuse")"
	check "$label: the kernel's recovery gives the same files" cmp -s "$WORK/tree.kernel-recovery" "$WORK/tree.xfsfuse"
	if kernel_shutdown "$mode"; then
		same_files "$label" "$mode"
	else
		bad "$label: the kernel's shutdown sequence"
	fi
	check "$label: writable again" sh -c "echo again >'$MNT/again'"
	check_unmount "$label"
	check "$label: repair clean" repair_clean "$IMG"
	if [ "$fail" != 0 ]; then
		echo "--- $label: xfsfuse after recovery"; cat "$WORK/tree.xfsfuse"
		echo "--- kernel's recovery of the copy"; cat "$WORK/tree.kernel-recovery" 2>/dev/null
		echo "--- kernel's own shutdown"; cat "$WORK/tree.kernel-shutdown" 2>/dev/null
	fi
}

# dirty_expire as long as the kernel's (30 s): writeback does not write the
# unsynced file before the shutdown, however slow the machine (what the
# kernel's run relies on too); the unmount's final writeback still tries.
scenario "default (0)" 0 ioctl log_interval=200,dirty_expire=30000
scenario "logflush (1)" 1 ioctl log_interval=200,dirty_expire=30000
# No log timer: what was not checkpointed is certain to be lost.
scenario "nologflush (2)" 2 ioctl log_interval=0,dirty_expire=30000
scenario "xfs_io shutdown -f" 1 xfs_io log_interval=200,dirty_expire=30000
scenario "xfsfuse.shutdown=nologflush" 2 xattr log_interval=0,dirty_expire=30000

# Only root may shut the mount down (CAP_SYS_ADMIN on the kernel's XFS).
rm -f "$IMG" && truncate -s 512M "$IMG" && mkfs.xfs -q -f "$IMG"
if check_mount "$IMG" allow_other; then
	chmod 755 "$WORK"
	check "unprivileged: EPERM" sh -c "setpriv --reuid=65534 --regid=65534 --clear-groups \
		/usr/bin/python3 '$WORK/shutdown.py' '$MNT' 1 2>&1 | grep -q 'Operation not permitted'"
	check "unprivileged: still writable" sh -c "echo ok >'$MNT/ok'"
	check_unmount "unprivileged"
fi
lib_finish
