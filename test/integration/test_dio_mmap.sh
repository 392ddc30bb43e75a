#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mmap of a file opened O_DIRECT (and of any file under -o cache=none): the
# open is FOPEN_DIRECT_IO, and the kernel refuses MAP_SHARED of such a file
# with ENODEV unless the daemon asked for FUSE_DIRECT_IO_ALLOW_MMAP at INIT
# (Linux >= 6.6, libfuse >= 3.16: xfsfuse built with scripts/build-libfuse.sh).
# fsx does exactly this (fstests generic/091, generic/263).
#
# Each round: open O_DIRECT, mmap MAP_SHARED, store, msync, unmap; read the
# bytes back through a buffered fd while mounted, then after unmount through
# the kernel's XFS (read-only loop mount), and xfs_repair -n.  A second file
# grows through O_DIRECT writes while mapped (the mapping sees them) and is
# stored into past its first page.
#
# usage: test_dio_mmap.sh [path/to/xfsfuse]      (needs root and /dev/fuse)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
XFSFUSE=$(realpath "${1:-build/src/xfsfuse}")
# Where this cannot work, say why and skip (exit 77): a kernel before 6.6, or a
# build that was told to use the system's libfuse (XFSFUSE_LIBFUSE=system;
# Debian 12's 3.14 cannot ask for the capability).  Any other xfsfuse must pass.
kver=$(uname -r | sed -E 's/^([0-9]+)\.([0-9]+).*/\1 \2/')
if [ "${kver% *}" -lt 6 ] || { [ "${kver% *}" -eq 6 ] && [ "${kver#* }" -lt 6 ]; }; then
	echo "SKIP: kernel $(uname -r) has no FUSE_DIRECT_IO_ALLOW_MMAP (Linux 6.6)"
	exit 77
fi
libfuse=$("$XFSFUSE" --version | sed -n 's/^FUSE library version //p')
if [ "${XFSFUSE_LIBFUSE:-}" = system ] && [ "$(printf '%s\n3.16\n' "$libfuse" | sort -V | head -1)" != 3.16 ]; then
	echo "SKIP: XFSFUSE_LIBFUSE=system: libfuse $libfuse cannot ask for FUSE_DIRECT_IO_ALLOW_MMAP"
	exit 77
fi
lib_init dio-mmap
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"
IMG="$WORK/img"

# The probe: python's mmap is mmap(2) MAP_SHARED, flush() is msync(MS_SYNC).
# prints "ok" or the errno name of the step that failed.
cat >"$WORK/dio_mmap.py" <<'PY'
import errno, mmap, os, sys

path, size, pattern, at = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), int(sys.argv[4])
step = "open"
try:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_DIRECT, 0o644)
    step = "ftruncate"
    if os.fstat(fd).st_size < size:
        os.ftruncate(fd, size)
    step = "mmap"
    m = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    step = "store"
    m[at:at + len(pattern)] = pattern
    step = "msync"
    m.flush()
    step = "munmap"
    m.close()
    os.close(fd)
except OSError as e:
    print(f"{step}: {errno.errorcode.get(e.errno, e.errno)}")
    sys.exit(1)
print("ok")
PY
# read_at PATH OFFSET LEN: the bytes through a buffered fd.
read_at() { dd if="$1" bs=1 skip="$2" count="$3" status=none 2>/dev/null; }

mkimage() { rm -f "$1"; truncate -s 512M "$1" && mkfs.xfs -q "$1"; }

run_round() { # LABEL [MOUNT_OPTS]
	local label=$1 opts=${2:-} out
	mkimage "$IMG" || { bad "$label: mkfs"; return; }
	check_mount "$IMG" "$opts" || return
	out=$(python3 "$WORK/dio_mmap.py" "$MNT/a" 65536 "stored-through-mmap-$label" 12288 2>&1)
	check_eq "$label: O_DIRECT open, mmap MAP_SHARED, store, msync" ok "$out"
	check_eq "$label: buffered read sees the store" "stored-through-mmap-$label" \
		"$(read_at "$MNT/a" 12288 $((20 + ${#label})))"
	check_eq "$label: size" 65536 "$(stat -c %s "$MNT/a")"
	# An O_DIRECT write of a new page, then a store into it through a new mapping.
	dd if=/dev/zero of="$MNT/b" bs=4096 count=2 oflag=direct status=none ||
		bad "$label: O_DIRECT write of b"
	out=$(python3 "$WORK/dio_mmap.py" "$MNT/b" 8192 "second-page" 4100 2>&1)
	check_eq "$label: mmap store into an O_DIRECT-written page" ok "$out"
	check_eq "$label: O_DIRECT read sees it" "second-page" \
		"$(dd if="$MNT/b" bs=4096 skip=1 count=1 iflag=direct status=none | dd bs=1 skip=4 count=11 status=none)"
	check_unmount "$label"
	repair_clean "$IMG" && ok || bad "$label: xfs_repair -n"
	if mount -o loop,ro "$IMG" "$KMNT"; then
		check_eq "$label: the kernel's XFS reads the store" "stored-through-mmap-$label" \
			"$(read_at "$KMNT/a" 12288 $((20 + ${#label})))"
		check_eq "$label: the kernel's XFS reads the zeroes around it" \
			"$(head -c 12288 /dev/zero | md5sum)" "$(head -c 12288 "$KMNT/a" | md5sum)"
		check_eq "$label: the kernel's XFS reads the second page" "second-page" \
			"$(read_at "$KMNT/b" 4100 11)"
		umount "$KMNT"
	else
		bad "$label: kernel mount (oracle)"
	fi
}

run_round odirect
run_round cachenone cache=none
lib_finish
