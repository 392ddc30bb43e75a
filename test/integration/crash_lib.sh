# Shared by test_crash.sh and test_powercut.sh; sourced after lib.sh, with
# KMNT (a lib_mount_dir), KIMG (a scratch image path), XFSFUSE and WORK set.

# kill_daemon: the power goes, or the OOM killer comes: SIGKILL, then the
# dead mount is detached.
kill_daemon() {
	kill -9 "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	umount -l "$MNT" 2>/dev/null || fusermount3 -u -z "$MNT" 2>/dev/null
}

# kernel_tree IMAGE OUT: mount with the kernel (its log recovery runs), dump
# the tree (crash_check.py --dump), unmount.
kernel_tree() {
	mount -o loop,nouuid "$1" "$KMNT" || return 1
	python3 "$LIB_DIR/crash_check.py" --dump "$KMNT" >"$2"
	umount "$KMNT"
	loop_released "$1"
}

# recover_and_compare LABEL IMAGE: the oracles of a crashed image.  The
# kernel recovers a copy (in-progress mark cleared with xfs_db -x), xfsfuse
# --recover recovers IMAGE, xfs_repair -n is clean, and the kernel reads the
# very tree its own recovery gave.
recover_and_compare() {
	cp --sparse=always "$2" "$KIMG"
	xfs_db -x -c 'sb 0' -c 'write -d inprogress 0' "$KIMG" >/dev/null 2>&1
	check "$1: the kernel recovers the log" kernel_tree "$KIMG" "$WORK/tree.kernel"
	check "$1: xfsfuse --recover" "$XFSFUSE" --recover "$2"
	check "$1: xfs_repair -n clean" repair_clean "$2"
	check "$1: the kernel reads the recovered image" kernel_tree "$2" "$WORK/tree.xfsfuse"
	check "$1: same tree as the kernel's recovery" cmp -s "$WORK/tree.kernel" "$WORK/tree.xfsfuse"
}

# fsynced_intact LABEL IMAGE JOURNAL [T]: every file whose fsync returned
# (before T, a power cut's time) has exactly its fsynced state.
fsynced_intact() {
	mount -o loop,ro,nouuid "$2" "$KMNT" || { bad "$1: mount $2"; return; }
	check "$1: fsynced files intact" python3 "$LIB_DIR/crash_check.py" "$KMNT" "$3" ${4:+"$4"}
	umount "$KMNT"
	loop_released "$2"
}
