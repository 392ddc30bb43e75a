#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# setuid, setgid and file capabilities on write, truncate, chown, copy and
# fallocate (doc/backend.md "setuid and setgid"): xfsfuse negotiates
# HANDLE_KILLPRIV_V2 and drops them itself, where the kernel tells it the
# caller lacks CAP_FSETID.  killpriv_ops.sh runs the same operations, by
# root and by nobody, on the kernel's XFS (the oracle) and on xfsfuse in
# each cache mode (default, cache=none, writeback_cache); the modes, owners
# and capabilities must come out the same, and the kernel must read the
# same from each xfsfuse image, which must pass xfs_repair -n.  Then the
# point of it: small writes cost one request each, not a WRITE and a
# GETXATTR of security.capability (counted in the -d log).
#
# usage: test_killpriv.sh [path/to/xfsfuse]      (needs root and /dev/fuse)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
XFSFUSE=$(realpath "${1:-build/src/xfsfuse}")
lib_init killpriv
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"
chmod 755 "$WORK" # nobody must reach both mounts
OPS="$HERE/killpriv_ops.sh"
mkimage() { rm -f "$1"; truncate -s 512M "$1" && mkfs.xfs -q "$1"; }
# same LABEL EXPECTED ACTUAL: files equal, or the diff and a failure.
same() {
	if diff -u "$2" "$3" >"$WORK/diff"; then ok; else bad "$1 (diff below)"; cat "$WORK/diff" >&2; fi
}

# ---- the oracle: the kernel's XFS
mkimage "$WORK/k.img" || { bad mkfs; lib_finish; }
if mount -o loop "$WORK/k.img" "$KMNT"; then
	chmod 777 "$KMNT"
	bash "$OPS" "$KMNT" >"$WORK/kernel.out" 2>&1 || bad "killpriv_ops.sh on the kernel's XFS"
	umount "$KMNT"
else
	bad "kernel mount (oracle)"
	lib_finish
fi
# The oracle must show every rule at work, or the comparison proves nothing.
check "oracle: the untouched capability is there" grep -q "^keep.caps 755 0:0 65536 AQ" "$WORK/kernel.out"
check "oracle: nobody's write drops setuid" grep -q "^bwrite.nobody.suid 777 " "$WORK/kernel.out"
check "oracle: root's chown drops setuid" grep -q "^chown.root.suid 777 " "$WORK/kernel.out"
check "oracle: root's write drops the capability" grep -q "^bwrite.root.caps 755 0:0 65536 -" "$WORK/kernel.out"

# ---- xfsfuse in each cache mode
for mode in default cache=none writeback_cache; do
	img="$WORK/f-$mode.img"
	opts=allow_other
	[ "$mode" = default ] || opts="$opts,$mode"
	mkimage "$img" || { bad "mkfs ($mode)"; continue; }
	check_mount "$img" "$opts" || continue
	chmod 777 "$MNT"
	bash "$OPS" "$MNT" >"$WORK/$mode.out" 2>&1 || bad "killpriv_ops.sh on xfsfuse ($mode)"
	same "$mode: modes, owners and capabilities as on the kernel's XFS" "$WORK/kernel.out" "$WORK/$mode.out"
	check_unmount "$mode"
	check "$mode: xfs_repair -n" repair_clean "$img"
	loop_released "$img"
	if mount -o loop,ro "$img" "$KMNT"; then
		bash "$OPS" "$KMNT" list >"$WORK/$mode.kernel.out" 2>&1
		umount "$KMNT"
		same "$mode: the kernel reads the same from the image" "$WORK/$mode.out" "$WORK/$mode.kernel.out"
	else
		bad "$mode: kernel mount of the image"
	fi
done

# ---- one request per small write: no GETXATTR of security.capability each
img="$WORK/count.img"
mkimage "$img"
if check_mount "$img" allow_other,debug; then
	: >"$MNT/plain" && chmod 666 "$MNT/plain"
	w0=$(grep -c "opcode: WRITE " "$DAEMON_LOG")
	g0=$(grep -c "opcode: GETXATTR " "$DAEMON_LOG")
	dd if=/dev/zero of="$MNT/plain" bs=4096 count=200 conv=notrunc status=none || bad "root's writes"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		dd if=/dev/zero of="$MNT/plain" bs=4096 count=200 conv=notrunc status=none || bad "nobody's writes"
	w=$(($(grep -c "opcode: WRITE " "$DAEMON_LOG") - w0))
	g=$(($(grep -c "opcode: GETXATTR " "$DAEMON_LOG") - g0))
	check_eq "400 writes of 4 KiB: WRITE requests" 400 "$w"
	# The kernel asks again after it refreshes the attributes (each open
	# here may): a handful, where it was one per write before.
	check "400 writes: $g GETXATTRs (security.capability), at most 8" test "$g" -le 8
	check_unmount "debug mount"
	check "count image: xfs_repair -n" repair_clean "$img"
fi
lib_finish
