#!/bin/bash
# Namespace, attributes and xattrs through the FUSE mount, then two oracles:
# xfs_repair -n finds nothing, and the kernel's XFS (loop, read-only) sees the
# same tree: names, types, modes, owners, sizes, link targets, xattrs,
# timestamps and bytes.  Runs on 1 KiB and 4 KiB block images, with a deep
# tree and a 25,000-entry directory (XFSFUSE_BIGDIR; 100,000 with
# XFSFUSE_FULL=1): node format either way, its hash btree a root node over
# about 75 leaf blocks (300 for 100,000).  Needs root and /dev/fuse.
#   usage: test_tree_oracle.sh XFSFUSE_BINARY
set -uo pipefail
XFSFUSE="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
ORACLE="$HERE/../oracle"
. "$HERE/lib.sh"
BIG=${XFSFUSE_BIGDIR:-$(ci_or_full 25000 100000)}
lib_init oracle

populate() { # DIR
	local d="$1"
	mkdir -p "$d/a/b/c" && chmod 0750 "$d/a/b" && chown 1000:2000 "$d/a/b/c"
	printf 'hello world\n' >"$d/a/hello.txt"
	head -c 3000000 /dev/urandom >"$d/a/random.bin"
	dd if=/dev/urandom of="$d/a/sparse" bs=4096 count=3 seek=1000 status=none
	truncate -s 10M "$d/a/sized"
	ln -s hello.txt "$d/a/link"
	ln -s "$(printf 'x%.0s' $(seq 900))" "$d/a/longlink"
	ln "$d/a/hello.txt" "$d/a/b/hardlink"
	mkfifo "$d/a/fifo"
	mknod "$d/a/chr" c 1 3
	mknod "$d/a/blk" b 7 0
	python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$d/a/sock"
	setfattr -n user.small -v 0x0102 "$d/a/hello.txt"
	setfattr -n trusted.t -v trusted-value "$d/a/hello.txt"
	setfattr -n security.s -v sec "$d/a/hello.txt"
	python3 - "$d/a/b" <<'PY'
import os, sys
p = sys.argv[1]
for i in range(60):
    os.setxattr(p, f"user.attr{i:03}", bytes([i]) * (i * 7))
os.setxattr(p, "user.remote", os.urandom(65536))
PY
	# rename variants
	touch "$d/a/r1" "$d/a/r2" && mv "$d/a/r1" "$d/a/b/r1moved"
	python3 - "$d/a" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
d = sys.argv[1]
AT = -100
open(f"{d}/x1", "w").write("one"); os.mkdir(f"{d}/x2")
r = libc.renameat2(AT, f"{d}/x1".encode(), AT, f"{d}/x2".encode(), 2)  # EXCHANGE
assert r == 0, os.strerror(ctypes.get_errno())
r = libc.renameat2(AT, f"{d}/r2".encode(), AT, f"{d}/x1".encode(), 1)  # NOREPLACE
assert r == -1 and ctypes.get_errno() == 17
PY
	touch "$d/a/gone" && rm "$d/a/gone" && mkdir "$d/a/gonedir" && rmdir "$d/a/gonedir"
	# deep tree
	local p="$d/deep"
	for i in $(seq 60); do p="$p/d$i"; done
	mkdir -p "$p" && echo bottom >"$p/leaf"
	touch -d '2001-02-03 04:05:06.123456789' "$d/a/hello.txt"
	touch -h -d '2099-12-31 23:59:59.5' "$d/a/link"
}

bigdir() { # DIR
	python3 - "$1/big" "$BIG" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.mkdir(d)
for i in range(n):
    os.close(os.open(f"{d}/file-with-a-longish-name-{i:07}", os.O_CREAT | os.O_WRONLY, 0o644))
names = os.listdir(d)
assert len(names) == n, (len(names), n)
for i in range(0, n, 3):
    os.unlink(f"{d}/file-with-a-longish-name-{i:07}")
PY
}

run_one() { # BLOCKSIZE
	local bs="$1" img="$WORK/img-$1"
	truncate -s 1G "$img" && mkfs.xfs -q -f -b size="$bs" "$img" || { bad "mkfs $bs"; return; }
	check_mount "$img" || return
	check "populate ($bs)" populate "$MNT"
	check "bigdir of $BIG entries ($bs)" bigdir "$MNT"
	check "statfs sees used space ($bs)" test "$(stat -f -c %a "$MNT")" -lt "$(stat -f -c %b "$MNT")"
	python3 "$ORACLE/treedump.py" --inodes "$MNT" >"$WORK/fuse-$bs.dump" || bad "treedump fuse"
	check "bigdir listing survives ($bs)" test "$(ls "$MNT/big" | wc -l)" = $((BIG - (BIG + 2) / 3))
	check_unmount "$bs"
	check "xfs_repair -n clean ($bs)" repair_clean "$img"
	check "kernel sees the same tree ($bs)" bash "$ORACLE/compare-with-kernel.sh" "$img" "$WORK/fuse-$bs.dump" --inodes
	# And back again: remount with xfsfuse, the tree is unchanged.
	check_mount "$img" || return
	python3 "$ORACLE/treedump.py" --inodes "$MNT" >"$WORK/fuse2-$bs.dump"
	check "remount shows the same tree ($bs)" diff -u "$WORK/fuse-$bs.dump" "$WORK/fuse2-$bs.dump"
	check_unmount "$bs"
}

run_one 1024
run_one 4096
lib_finish
