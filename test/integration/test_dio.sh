#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# O_DIRECT through xfsfuse's direct path (doc/engine.md "Direct I/O"), the
# kernel's XFS as oracle.  dio_ops.py runs one O_DIRECT sequence -- aligned
# and sub-block writes, EINVAL off the sector size, short reads at EOF,
# holes and unwritten extents, buffered and mmap I/O on the same file,
# O_APPEND, mtime -- on a loop mount of one image and on xfsfuse over
# another; the outputs must be equal, and so must the file's bytes (the
# kernel reads xfsfuse's image after unmount).  The counters prove the direct
# path ran; a non-root direct write drops setuid as XFS does; dio_mix.py
# races direct, buffered and mmap writers on one file; xfs_repair -n.
#
# usage: test_dio.sh [path/to/xfsfuse]      (needs root and /dev/fuse)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
XFSFUSE=$(realpath "${1:-build/src/xfsfuse}")
lib_init dio
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"
KIMG="$WORK/kimg"
FIMG="$WORK/fimg"

# The same geometry for both: 4 KiB blocks, 512-byte sectors (the loop
# device's logical block size, which is what the kernel checks against).
mkimage() { rm -f "$1"; truncate -s 512M "$1" && mkfs.xfs -q -b size=4096 -s size=512 "$1"; }
counter() { getfattr --absolute-names --only-values -n xfsfuse.counters "$MNT" | awk -v n="$1" '$1 == n { print $2 }'; }
# suid_write DIR: a direct write by nobody into a setuid file; prints the mode after.
suid_write() {
	touch "$1/s" && chmod 4777 "$1/s" &&
		setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c "
import mmap, os
fd = os.open('$1/s', os.O_WRONLY | os.O_DIRECT)
b = mmap.mmap(-1, 4096)
os.pwritev(fd, [b], 0)
os.close(fd)" && stat -c %a "$1/s"
}

mkimage "$KIMG" && mkimage "$FIMG" || { bad "mkfs"; lib_finish; }
chmod 755 "$WORK" # nobody's direct write (suid_write) must reach the mounts

# ---- the oracle: the kernel's XFS
if mount -o loop "$KIMG" "$KMNT"; then
	python3 "$HERE/dio_ops.py" "$KMNT" >"$WORK/kernel.out" 2>&1 || bad "dio_ops.py on the kernel's XFS"
	ksuid=$(suid_write "$KMNT")
	kmd5=$(md5sum <"$KMNT/f")
	umount "$KMNT"
else
	bad "kernel mount (oracle)"
fi

# ---- xfsfuse
if check_mount "$FIMG" allow_other; then
	r0=$(counter dio_reads) w0=$(counter dio_writes) c0=$(counter dio_unwritten_converted)
	z0=$(counter dio_zeroed_bytes) a0=$(counter dio_allocated_blocks)
	python3 "$HERE/dio_ops.py" "$MNT" >"$WORK/xfsfuse.out" 2>&1 || bad "dio_ops.py on xfsfuse"
	if ! diff -u "$WORK/kernel.out" "$WORK/xfsfuse.out"; then
		bad "dio_ops.py: xfsfuse differs from the kernel's XFS (diff above)"
	else
		ok
	fi
	check "dio_reads moved" test "$(counter dio_reads)" -gt "$r0"
	check "dio_writes moved" test "$(counter dio_writes)" -gt "$w0"
	check "dio_allocated_blocks moved" test "$(counter dio_allocated_blocks)" -gt "$a0"
	check "dio_unwritten_converted moved" test "$(counter dio_unwritten_converted)" -gt "$c0"
	check "dio_zeroed_bytes moved (sub-block writes)" test "$(counter dio_zeroed_bytes)" -gt "$z0"
	check_eq "the kernel's XFS drops setuid on a non-root direct write" 777 "${ksuid:-}"
	check_eq "setuid dropped by a non-root direct write" 777 "$(suid_write "$MNT")"
	out=$(python3 "$HERE/dio_mix.py" "$MNT/mix" "$(ci_or_full 20 100)" 2>&1)
	check_eq "direct, buffered and mmap writers at once" \
		"workers ok buffered ok direct ok" "$(echo "$out" | head -3 | tr '\n' ' ' | sed 's/ $//')"
	mixmd5=$(echo "$out" | sed -n 's/^md5 //p')
	check_eq "no direct write fell back to buffered" 0 "$(counter dio_fallbacks)"
	check_unmount
	repair_clean "$FIMG" && ok || bad "xfs_repair -n"
	if mount -o loop,ro "$FIMG" "$KMNT"; then
		check_eq "the kernel reads xfsfuse's file as its own" "${kmd5:-none}" "$(md5sum <"$KMNT/f")"
		check_eq "the kernel reads the mixed file" "$mixmd5" "$(head -c 196608 "$KMNT/mix" | md5sum | cut -c1-12)"
		umount "$KMNT"
	else
		bad "kernel mount of xfsfuse's image"
	fi
fi

# ---- -o direct_io=buffered: O_DIRECT opens stay on the buffered engine
# (exact, unaligned ranges: the race tool's mmap workload relies on it)
if check_mount "$FIMG" direct_io=buffered; then
	w0=$(counter dio_writes)
	check "unaligned O_DIRECT write accepted" xfs_io -f -d -c "pwrite -S 0x5a 3 1000" "$MNT/buffered" >/dev/null
	check_eq "it went through the buffered engine" "$w0" "$(counter dio_writes)"
	check_eq "its bytes" "$(head -c 1000 /dev/zero | tr '\0' Z | md5sum)" "$(tail -c +4 "$MNT/buffered" | md5sum)"
	check_unmount
	repair_clean "$FIMG" && ok || bad "xfs_repair -n (direct_io=buffered)"
fi
lib_finish
