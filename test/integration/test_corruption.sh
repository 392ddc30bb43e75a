#!/bin/bash
# Bad metadata through the FUSE mount: a corrupt inode and a corrupt
# directory block make the operations that touch them fail with EIO, the rest
# of the tree keeps working, the daemon does not crash, and nothing is written
# over the corrupt structures (xfs_repair -n reports exactly the damage we
# made, and the corrupt blocks are byte-identical after unmount).
# Needs root and /dev/fuse.   usage: test_corruption.sh XFSFUSE_BINARY
set -uo pipefail
XFSFUSE="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
fails_eio() { local out; out=$("$@" 2>&1) && return 1; [[ "$out" == *"Input/output error"* ]]; }

lib_init corrupt
KM="$WORK/k"
lib_mount_dir "$KM"
IMG="$WORK/img"
truncate -s 512M "$IMG" && mkfs.xfs -q -f "$IMG"

# A tree made by the kernel (the oracle), then damaged with xfs_db.
mount -o loop "$IMG" "$KM"
mkdir "$KM/good" "$KM/blockdir"
echo fine >"$KM/good/file"
for i in $(seq 200); do touch "$KM/blockdir/entry-$i"; done
# The victim must not share an inode cluster with anything the test uses:
# a bad dinode fails the verifier of its whole cluster buffer (as in the kernel).
mkdir "$KM/far"
for i in $(seq 100); do touch "$KM/far/filler-$i"; done
echo victim >"$KM/far/victim"
VICTIM=$(stat -c %i "$KM/far/victim")
BLOCKDIR=$(stat -c %i "$KM/blockdir")
umount "$KM"
check "blockdir has an extents fork" sh -c "xfs_db -r -c 'inode $BLOCKDIR' -c 'print core.format' '$IMG' | grep -q 'extents'"
xfs_db -x -c "inode $VICTIM" -c "write -d core.magic 0" "$IMG" >/dev/null
DADDR=$(xfs_db -r -c "inode $BLOCKDIR" -c "bmap" "$IMG" | sed -n 's/.*startblock \([0-9]*\).*/\1/p' | head -1)
xfs_db -x -c "inode $BLOCKDIR" -c "dblock 0" -c "write -d dhdr.hdr.magic 0" "$IMG" >/dev/null 2>&1
BS=$(xfs_db -r -c 'sb 0' -c 'print blocksize' "$IMG" | awk '{print $3}')
BYTE=$(xfs_db -r -c "convert fsblock $DADDR byte" "$IMG" | sed 's/ .*//')
blockdir_sum() { dd if="$IMG" bs="$BS" skip="$((BYTE / BS))" count=1 status=none | md5sum; }
before_dir=$(blockdir_sum)
# xfs_repair's threads may interleave two messages on one line: one message
# a line, whatever the order.
damage() { xfs_repair -n "$IMG" 2>&1 | tr ',' '\n' | sed 's/^ *//' | grep -E 'bad|would' | sort -u; }
damage >"$WORK/repair-before"

check "mounts despite damaged inodes" fuse_mount "$IMG"
check "good file still reads" test "$(cat "$MNT/good/file")" = fine
check "corrupt inode: stat gives EIO" fails_eio stat "$MNT/far/victim"
check "corrupt inode: EIO again (not cached as good)" fails_eio stat "$MNT/far/victim"
check "corrupt dir block: ls gives EIO" fails_eio ls "$MNT/blockdir"
check "corrupt dir block: still EIO" fails_eio ls "$MNT/blockdir"
check "rest of the tree is writable" sh -c "echo more >'$MNT/good/new' && test \"\$(cat '$MNT/good/new')\" = more"
python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)" "$MNT/good/new"
# Created but not fsync'd: with the log (doc/log.md) a shutdown keeps what the
# last checkpoint holds, as the kernel loses its CIL: this name may be lost.
echo later >"$MNT/good/unsynced"
# Creating in the corrupt directory fails inside a dirty transaction (the
# leaf hash said "not there", the data block then failed verification): the
# mount shuts down writes, as the kernel would, instead of writing anything.
check "corrupt dir block: create gives EIO" fails_eio touch "$MNT/blockdir/new"
check "after shutdown: writes refused" fails_eio mkdir "$MNT/good/after"
# Like the kernel after a shutdown, stat and reads now fail with EIO (what
# the FUSE kernel still caches excepted, doc/log.md "Shutdown on request");
# the daemon still answers, and its controls too.
check "after shutdown: stat gives EIO" fails_eio stat "$MNT/good/new"
check "after shutdown: xfsfuse.shutdown reads 1" test "$(getfattr --absolute-names --only-values -n xfsfuse.shutdown "$MNT")" = 1
check "daemon alive" kill -0 "$DAEMON_PID"
fuse_unmount; rc=$?
check "daemon reports the shutdown at exit ($rc)" test "$rc" != 0
after_dir=$(blockdir_sum)
check "corrupt dir block not rewritten" test "$before_dir" = "$after_dir"
check "shut-down image keeps the in-progress mark" sh -c "xfs_db -r -c 'sb 0' -c 'print inprogress' '$IMG' | grep -q '= 1'"
# The log holds the last checkpoint before the shutdown: recovery replays it
# and clears the mark (doc/log.md).
check "xfsfuse --recover after the shutdown" "$XFSFUSE" --recover "$IMG"
check "recovery cleared the mark" sh -c "xfs_db -r -c 'sb 0' -c 'print inprogress' '$IMG' | grep -q '= 0'"
damage >"$WORK/repair-after"
check "repair sees the damage we made and nothing else" diff "$WORK/repair-before" "$WORK/repair-after"
check "fsynced file survived the shutdown" sh -c "mount -o loop,ro '$IMG' '$KM' && test \"\$(cat '$KM/good/new')\" = more; rc=\$?; umount '$KM'; exit \$rc"
# Shared (reflinked) blocks made by the kernel: a write to one sharer goes
# through copy-on-write (doc/reflink.md) and the other keeps its bytes.
truncate -s 512M "$WORK/rl" && mkfs.xfs -q -f "$WORK/rl"
mount -o loop "$WORK/rl" "$KM" && echo original >"$KM/a" && cp --reflink=always "$KM/a" "$KM/b" && umount "$KM"
check_mount "$WORK/rl"
check "write to a reflinked file succeeds" sh -c "printf x | dd of='$MNT/b' bs=1 seek=2 conv=notrunc status=none && sync '$MNT/b'"
check "the writer sees its byte" test "$(cat "$MNT/b")" = orxginal
check "its sharer is untouched" test "$(cat "$MNT/a")" = original
fuse_unmount
check "reflink image clean" sh -c "xfs_repair -n '$WORK/rl' >/dev/null 2>&1"
check "the kernel reads both sharers as xfsfuse left them" sh -c "mount -o loop,ro '$WORK/rl' '$KM' && test \"\$(cat '$KM/a')\" = original && test \"\$(cat '$KM/b')\" = orxginal; rc=\$?; umount '$KM'; exit \$rc"
lib_finish
