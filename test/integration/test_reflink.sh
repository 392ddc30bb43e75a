#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Copy-on-write of shared blocks (doc/reflink.md).  The kernel's XFS makes
# the sharing (cp --reflink), xfsfuse writes to the shared files, and the
# kernel is the oracle for what it wrote:
#   - random writes of every kind (reflink_ops.py) and copy_file_range
#     (which shares blocks on the mount) on the mount, mirrored
#     into shadow copies: the mount reads the shadows' bytes, the source
#     files are untouched, xfs_repair -n is clean (refcounts, no CoW
#     leftovers), the kernel reads the same bytes, and blocks nobody wrote
#     are still shared; a second round on the remounted, partly unshared
#     files (refcount 3 and 2 mixed); 4 KiB and 1 KiB blocks;
#   - a failed data write to staging blocks (fail_write_nth): fsync reports
#     EIO, the staging blocks are freed, the image repairs clean;
#   - kill -9 while staging blocks are allocated but not yet remapped: the
#     CoW record is in the log, and recovery frees it (xfs_repair -n clean;
#     without that, repair finds a "leftover CoW extent").
# Needs root, /dev/fuse, xfs_io, xfs_db, cp --reflink, python3.
#   usage: test_reflink.sh XFSFUSE
set -uo pipefail
XFSFUSE="$(realpath "$1")"
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
lib_init reflink
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"
PY=$(command -v /usr/bin/python3 || command -v python3)
OPS="$PY $HERE/reflink_ops.py"
ROUND_OPS=${REFLINK_OPS:-120}

counter() { getfattr --absolute-names --only-values -n xfsfuse.counters "$MNT" | awk -v k="$1" '$1 == k { print $2 }'; }

# shared_extents DIR: extents of the copies the kernel reports as shared.
shared_extents() { $OPS shared "$1"; }

# kernel_oracle IMAGE SHADOW LABEL: repair clean, the kernel reads the shadows.
kernel_oracle() {
	check "$3: xfs_repair -n clean" repair_clean "$1"
	mount -o loop,ro "$1" "$KMNT" || { bad "$3: kernel mount"; return; }
	check "$3: the kernel reads what was written" $OPS compare "$KMNT" "$2"
	check "$3: the source file is untouched" $OPS original "$KMNT"
	local shared
	shared=$(shared_extents "$KMNT")
	if [ "$shared" -gt 0 ]; then ok; else bad "$3: no shared extent left (copied instead of shared?)"; fi
	umount "$KMNT"
}

geometry() { # LABEL MKFS_OPTS...
	local label=$1 img="$WORK/$1.img" sh="$WORK/$1.shadow"
	shift
	truncate -s 512M "$img"
	mkfs.xfs -q -f -m reflink=1 "$@" "$img"
	mount -o loop "$img" "$KMNT"
	$OPS make "$KMNT" && $OPS shadow "$KMNT" "$sh"
	check_eq "$label: kernel shares the copies" yes \
		"$([ "$(shared_extents "$KMNT")" -gt 0 ] && echo yes || echo no)"
	umount "$KMNT"

	local round
	for round in 1 2; do
		check_mount "$img" || return
		check "$label round $round: writes to shared files" \
			$OPS write "$MNT" "$sh" "$round" "$ROUND_OPS"
		check "$label round $round: the mount reads what was written" $OPS compare "$MNT" "$sh"
		local remapped
		remapped=$(counter cow_remapped_blocks)
		if [ "${remapped:-0}" -gt 0 ]; then ok; else
			bad "$label round $round: no staging block was remapped (cow_remapped_blocks=$remapped)"
		fi
		remapped=$(counter remapped_shared_blocks)
		if [ "${remapped:-0}" -gt 0 ]; then ok; else
			bad "$label round $round: copy_file_range shared nothing (remapped_shared_blocks=$remapped)"
		fi
		check_unmount "$label round $round"
		kernel_oracle "$img" "$sh" "$label round $round"
	done
}

geometry bs4k -b size=4096
geometry bs1k -b size=1024

# ------------------------------------------ a failed write to staging blocks
img="$WORK/bs4k.img"
if check_mount "$img"; then
	setfattr -n xfsfuse.fail_write_nth -v 1 "$MNT"
	out=$(xfs_io -c "pwrite -S 0x77 8192 65536" -c fsync "$MNT/b2" 2>&1)
	check "fsync after a failed COW write reports EIO" grep -q "Input/output error" <<<"$out"
	cancelled=$(counter cow_cancelled_blocks)
	if [ "${cancelled:-0}" -gt 0 ]; then ok; else bad "failed COW write: nothing cancelled"; fi
	check_unmount "failed COW write"
	check "failed COW write: xfs_repair -n clean" repair_clean "$img"
fi

# ------------------------------------------ kill -9 with staging blocks in flight
if check_mount "$img" log_interval=100; then
	# Completion waits 5 s: the staging blocks are allocated and logged,
	# the data written, nothing remapped yet when the daemon dies.
	setfattr -n xfsfuse.inject_ioend_delay_ms -v 5000 "$MNT"
	xfs_io -c "pwrite -S 0x66 0 262144" -c fsync "$MNT/b" >/dev/null 2>&1 &
	writer=$!
	sleep 2
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	umount -l "$MNT"
	wait "$writer" 2>/dev/null
	# Checkpoints write metadata home: the crashed image's refcount btree
	# must hold a CoW staging record (cowflag 1), or nothing was tested.
	cow_recs=$(xfs_db -r -c "agf 0" -c "addr refcntroot" -c btdump "$img" 2>/dev/null |
		grep -cE '^[0-9]+:\[[0-9]+,[0-9]+,1,1\]')
	if [ "$cow_recs" -gt 0 ]; then ok; else bad "kill -9 mid-COW: no CoW staging record at the kill"; fi
	check "kill -9 mid-COW: recovery and mount succeed" "$XFSFUSE" --recover "$img"
	check "kill -9 mid-COW: xfs_repair -n clean (no leftover CoW extent)" repair_clean "$img"
	if mount -o loop,ro "$img" "$KMNT"; then
		check "kill -9 mid-COW: the source file is untouched" $OPS original "$KMNT"
		umount "$KMNT"
	else
		bad "kill -9 mid-COW: kernel mount"
	fi
fi
lib_finish
