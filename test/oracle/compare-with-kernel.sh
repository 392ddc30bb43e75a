#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# compare-with-kernel.sh IMAGE DUMP_FILE [TREEDUMP_OPTION...]
#
# The kernel's XFS as oracle: loop-mount IMAGE read-only, dump the tree with
# treedump.py (extra arguments go to treedump, e.g. --no-ctime or
# --exclude lost+found), always unmount, and diff the dump with DUMP_FILE.
# Exit 0 if identical, 1 with the diff on stdout if not, 2 if the image could
# not be mounted or dumped.
#
# A plain "ro" mount of a cleanly unmounted image never writes to it (the loop
# device is read-only too).  An image whose log is dirty is refused here on
# purpose: the oracle must not run log recovery.
set -euo pipefail

if [ $# -lt 2 ]; then
	echo "usage: $0 IMAGE DUMP_FILE [TREEDUMP_OPTION...]" >&2
	exit 2
fi
image=$1
expected=$2
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

mnt=$(mktemp -d /tmp/xfsfuse-oracle.XXXXXX)
actual=$(mktemp /tmp/xfsfuse-oracle-dump.XXXXXX)
mounted=0
cleanup() {
	if [ "$mounted" = 1 ]; then
		umount "$mnt" || umount -l "$mnt" || echo "compare-with-kernel: cannot unmount $mnt" >&2
	fi
	rmdir "$mnt" 2>/dev/null || true
	rm -f "$actual"
}
trap cleanup EXIT

if ! mount -t xfs -o loop,ro "$image" "$mnt"; then
	echo "compare-with-kernel: the kernel refused to mount $image read-only" >&2
	dmesg 2>/dev/null | tail -5 >&2 || true
	exit 2
fi
mounted=1
if ! python3 "$here/treedump.py" "$@" "$mnt" >"$actual"; then
	echo "compare-with-kernel: treedump failed on $image" >&2
	exit 2
fi
umount "$mnt"
mounted=0
# The loop device goes when its last opener closes it (a concurrent
# `mount -o loop` may hold it a moment): the caller's next use of the image
# (xfsfuse refuses a loop-backed one) waits for that here, 10 s at most.
img_path=$(realpath "$image")
for _ in $(seq 100); do
	grep -qsxF "$img_path" /sys/block/loop*/loop/backing_file || break
	sleep 0.1
done

if ! diff -u --label "expected ($expected)" --label "kernel ($image)" "$expected" "$actual"; then
	echo "compare-with-kernel: $image differs from $expected" >&2
	exit 1
fi
exit 0
