#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# -o writeback_cache (doc/options.md "Writeback cache"): the kernel caches
# writes and sends them back as pages.  The option is refused with
# cache=none; small writes must reach the daemon coalesced (counted in the
# -d log); the kernel's partial-page reads of a write-only open, O_APPEND,
# extending and sparse writes, truncation, suid/sgid clearing by an
# unprivileged writer and mtime (the kernel's, sent with SETATTR) must come
# out as on the kernel's XFS; then fsx (buffered, mmap, fallocate, punch,
# copy_file_range) and fsstress run on the mount, the image must pass
# xfs_repair -n, and the kernel's XFS must read the same bytes, sizes,
# modes and mtimes.
#
# usage: test_wbcache.sh [path/to/xfsfuse]      (needs root and /dev/fuse)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
XFSFUSE=$(realpath "${1:-build/src/xfsfuse}")
# fstests' fsx and fsstress: shared/ beside the checkout, as test_fstests.sh.
FST="${FSTESTS_DIR:-}"
if [ -z "$FST" ]; then
	for d in "$HERE/../../../shared/fstests" /work/shared/fstests; do
		[ -x "$d/build.sh" ] && { FST="$d"; break; }
	done
fi
FSX=${FSX:-/opt/fstests/bin/fsx}
FSX_OPS="${XFSFUSE_WBC_FSX_OPS:-$(ci_or_full 20000 60000)}"
lib_init wbcache
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"
IMG="$WORK/img"

truncate -s 1G "$IMG" && mkfs.xfs -q "$IMG" || exit 1
check "fstests build" "$FST/build.sh"

# Refused where there is no kernel page cache to write back.
if "$XFSFUSE" -f -o writeback_cache,cache=none "$IMG" "$MNT" 2>"$WORK/refused"; then
	bad "writeback_cache with cache=none was accepted"
	umount "$MNT" 2>/dev/null
else
	check "cache=none refusal says why" grep -q "writeback_cache needs cache=kernel" "$WORK/refused"
fi

# 1. What reaches the daemon: 256 writes of 512 bytes, then fsync.  Without
# the writeback cache that is 256 WRITE requests; with it a few page runs.
check_mount "$IMG" writeback_cache,debug || lib_finish
before=$(grep -c "opcode: WRITE " "$DAEMON_LOG")
check "256 small writes" dd if=/dev/urandom of="$MNT/small" bs=512 count=256 conv=fsync status=none
writes=$(($(grep -c "opcode: WRITE " "$DAEMON_LOG") - before))
check "small writes coalesced: $writes WRITE requests for 256 write(2)s" test "$writes" -le 32
check "the kernel asked for SETATTR of the times" grep -q "opcode: SETATTR" "$DAEMON_LOG"
check_unmount "debug mount"

check_mount "$IMG" writeback_cache,allow_other || lib_finish
head -c 300000 /dev/urandom >"$WORK/r1"
cp "$WORK/r1" "$MNT/r1" && ok || bad "cp r1"
cp "$WORK/r1" "$MNT/wo" && ok || bad "cp wo"
# 2. The kernel reads the rest of a page it writes partly, even through a
# write-only open: the daemon must serve that READ.
check "write-only partial-page writes" python3 - "$MNT/wo" "$WORK/r1" <<'PY'
import os, sys
mnt, ref = sys.argv[1], sys.argv[2]
data = bytearray(open(ref, 'rb').read())
fd = os.open(mnt, os.O_WRONLY)
for off, s in ((5000, b'abc'), (131071, b'XY'), (299990, b'tail-of-the-file!')):
    os.pwrite(fd, s, off)
    data[off:off + len(s)] = s
os.close(fd)
open(ref + '.expect', 'wb').write(data)
sys.exit(0 if open(mnt, 'rb').read() == bytes(data) else 1)
PY
# 3. O_APPEND (the kernel positions appends), sparse and extending writes,
# truncation down and up.
check "appends" sh -c "for i in 1 2 3 4 5; do echo line\$i >>'$MNT/log'; done"
check_eq "appended" "line1 line5" "$(sed -n '1p;5p' "$MNT/log" | tr '\n' ' ' | sed 's/ $//')"
check "sparse write past EOF" dd if="$WORK/r1" of="$MNT/sparse" bs=4096 count=3 seek=1000 status=none
check "truncate down, then up" sh -c "truncate -s 4097000 '$MNT/sparse' && truncate -s 5000000 '$MNT/sparse'"
check_eq "sparse size" 5000000 "$(stat -c %s "$MNT/sparse")"
# 4. An unprivileged writer loses suid/sgid (the kernel's SETATTR(mode)).
chmod 755 "$WORK" # nobody walks to the mount
cp "$WORK/r1" "$MNT/suid" && chown 65534:65534 "$MNT/suid" && chmod 6777 "$MNT/suid"
check "write as nobody" setpriv --reuid=65534 --regid=65534 --clear-groups \
	dd if=/dev/zero of="$MNT/suid" bs=100 count=1 conv=notrunc status=none
check_eq "suid/sgid cleared" 777 "$(stat -c %a "$MNT/suid")"
# 5. mtime is the kernel's, from write(2) time, not the daemon's.
sleep 1.1
check "rewrite r1" dd if=/dev/zero of="$MNT/r1" bs=1000 count=1 conv=notrunc status=none
sync "$MNT/r1"
m_fuse=$(stat -c %y "$MNT/r1")
dd if=/dev/zero bs=1000 count=1 2>/dev/null | cmp -s - <(head -c 1000 "$MNT/r1") && ok ||
	bad "rewrite reads back"
# 6. fsx and fsstress, as users run them.
check "fsx ($FSX_OPS ops, buffered + mmap + fallocate + copy_file_range)" \
	"$FSX" -q -C -I -J -B -0 -u -a -S 411 -N "$FSX_OPS" "$MNT/fsx.wbc"
check "fsx 1k-aligned, no mmap" "$FSX" -q -C -I -J -B -0 -u -a -R -W -S 412 \
	-N $((FSX_OPS / 2)) -r 1024 -w 1024 -t 1024 "$MNT/fsx.wbc1k"
check "fsstress" "$FST/fsstress-run.sh" "$MNT" 4 "$(ci_or_full 1000 3000)"
sizes=$(cd "$MNT" && stat -c '%n %s %a' r1 wo log sparse suid)
check_unmount
repair_clean "$IMG" && ok || bad "xfs_repair -n"
if mount -o loop,ro "$IMG" "$KMNT"; then
	check "kernel: wo" cmp "$WORK/r1.expect" "$KMNT/wo"
	check_eq "kernel: sizes and modes" "$sizes" "$(cd "$KMNT" && stat -c '%n %s %a' r1 wo log sparse suid)"
	check_eq "kernel: r1 mtime" "$m_fuse" "$(stat -c %y "$KMNT/r1")"
	# 4096000: the data (1000 bytes left by the truncation), zeroes around it.
	check "kernel: sparse data" cmp <(head -c 1000 "$WORK/r1") \
		<(tail -c +4096001 "$KMNT/sparse" | head -c 1000)
	check_eq "kernel: sparse zeroes" 0 \
		"$( (head -c 4096000; tail -c +4097001) <"$KMNT/sparse" | tr -d '\0' | wc -c)"
	umount "$KMNT"
else
	bad "kernel mount (oracle)"
fi
lib_finish
