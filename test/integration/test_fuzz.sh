#!/bin/bash
# Fuzzed metadata through the FUSE mount: the daemon must never crash or
# hang on bad metadata, whatever the damage.  Two rounds in three damage one
# field of one inode with xfs_db's `fuzz -d` (the CRC is recomputed, so the
# corruption reaches libxfs's structure verifiers and our own code, not just
# the checksum check); the third flips bits in random metadata blocks of any
# kind (`blocktrash`, CRC left wrong).  Each round mounts the copy and
# works the whole tree: walk, stat,
# read, xattrs, readlink, append, truncate, create, remove, rename, sync.
# Asserted per round: the mount either comes up or is refused with a
# one-line reason, every operation returns (bounded by timeouts), umount
# works, and the daemon exits 0 or 1 (1 = it shut writes down after a
# failed transaction), never killed by a signal or an abort.
# test_corruption.sh checks the precise outcome of known damage; this one
# checks survival over many random ones.  Seeded: XFSFUSE_FUZZ_SEED,
# XFSFUSE_FUZZ_ROUNDS (default 12, 40 with XFSFUSE_FULL=1; a longer run
# repeats the shorter one's rounds first).  Needs root and /dev/fuse.
#   usage: test_fuzz.sh XFSFUSE
set -uo pipefail
XFSFUSE="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
lib_init fuzz
KM="$WORK/k"
lib_mount_dir "$KM"
SEED="${XFSFUSE_FUZZ_SEED:-1}"
ROUNDS="${XFSFUSE_FUZZ_ROUNDS:-$(ci_or_full 12 40)}"
RANDOM=$SEED

# The base tree, made by the kernel: shortform, block and node directories,
# extent and btree data forks, shortform and leaf xattrs, a remote symlink.
BASE="$WORK/base"
truncate -s 512M "$BASE" && mkfs.xfs -q -f -b size=1024 "$BASE"
mount -o loop "$BASE" "$KM"
mkdir -p "$KM/d/sub" "$KM/small"
for i in $(seq 300); do echo "f$i" >"$KM/d/e$i"; done
for i in 1 2 3; do echo "s$i" >"$KM/small/s$i"; done
for i in $(seq 20); do
	dd if=/dev/urandom of="$KM/d/sub/big$i" bs=4k count=$((i * 7)) seek="$i" status=none
	setfattr -n "user.a$i" -v "$(head -c 200 /dev/zero | tr '\0' x)" "$KM/d/sub/big$i"
done
# many small extents: a btree-format data fork
for i in $(seq 0 2 400); do
	dd if=/dev/urandom of="$KM/d/frag" bs=1k count=1 seek="$i" conv=notrunc status=none
done
ln -s "/very/long/$(head -c 900 /dev/zero | tr '\0' y)" "$KM/d/lnk"
for i in $(seq 30); do setfattr -n "user.many$i" -v "v$i" "$KM/d"; done
VICTIMS=""
for f in d d/sub small small/s1 d/e5 d/lnk d/frag d/sub/big3 d/sub/big20; do
	VICTIMS="$VICTIMS $(stat -c %i "$KM/$f")"
done
umount "$KM"
check "the data fork of d/frag is a btree" sh -c \
	"xfs_db -r -c 'inode $(echo $VICTIMS | cut -d' ' -f7)' -c 'print core.format' '$BASE' | grep -q btree"

FIELDS="core.mode core.format core.size core.nblocks core.nextents core.forkoff
core.aformat core.naextents core.nlinkv2 core.flags core.flags2 core.version
u3.bmx[0].startblock u3.bmx[0].blockcount u3.bmx[0].startoff u3.bmx[1].startoff
u3.bmbt.level u3.bmbt.numrecs u3.bmbt.ptrs[1] u3.bmbt.keys[1].startoff
u3.sfdir3.hdr.count u3.sfdir3.hdr.parent.i4 u3.sfdir3.list[0].namelen
u3.sfdir3.list[0].offset u3.sfdir3.list[0].inumber.i4 u3.symlink
a.bmx[0].startblock a.bmx[0].blockcount a.sfattr.hdr.count a.sfattr.hdr.totsize
a.sfattr.list[0].namelen a.sfattr.list[0].valuelen"
MODES="random zeroes ones firstbit middlebit lastbit add sub"

# Only the fields each victim has (a shortform dir has no bmx, ...): the
# pairs "INODE:FIELD" that xfs_db can print on the base image.
PAIRS=""
for ino in $VICTIMS; do
	for field in $FIELDS; do
		xfs_db -r -c "inode $ino" -c "print $field" "$BASE" 2>&1 |
			grep -q -e 'not found' -e 'parsing error' -e 'bad' ||
			PAIRS="$PAIRS $ino:$field"
	done
done
check "at least 60 fuzzable fields among the victims ($(echo $PAIRS | wc -w))" \
	test "$(echo $PAIRS | wc -w)" -ge 60

pick() { # WORDS...: one of them, from the seeded generator
	shift $((RANDOM % $#))
	echo "$1"
}

# Everything a user might do; each command bounded, failures expected.
work_tree() {
	local t=20 f
	timeout $t find "$MNT" -xdev -exec stat {} + >/dev/null 2>&1
	timeout $t ls -laR "$MNT" >/dev/null 2>&1
	for f in $(timeout $t find "$MNT" -xdev -type f 2>/dev/null | head -40); do
		timeout $t cat "$f" >/dev/null 2>&1
		timeout $t getfattr -d "$f" >/dev/null 2>&1
		timeout $t sh -c "echo more >>'$f'" 2>/dev/null
		timeout $t truncate -s 1000 "$f" 2>/dev/null
	done
	timeout $t getfattr -d "$MNT/d" >/dev/null 2>&1
	timeout $t setfattr -n user.new -v 1 "$MNT/d" 2>/dev/null
	timeout $t readlink "$MNT/d/lnk" >/dev/null 2>&1
	timeout $t mkdir -p "$MNT/d/new" "$MNT/small/new" 2>/dev/null
	timeout $t touch "$MNT/d/new/x" "$MNT/d/sub/y" "$MNT/small/z" 2>/dev/null
	timeout $t rm -rf "$MNT/d/sub/big5" "$MNT/d/e7" "$MNT/small/s2" 2>/dev/null
	timeout $t mv "$MNT/d/e9" "$MNT/d/sub/" 2>/dev/null
	timeout $t mv "$MNT/small/s3" "$MNT/d/" 2>/dev/null
	timeout $t sync -f "$MNT" 2>/dev/null
}

for r in $(seq "$ROUNDS"); do
	cp --sparse=always "$BASE" "$WORK/img"
	if [ $((r % 3)) = 0 ]; then
		# Any metadata block (AG headers, btrees, directory and attr
		# blocks, ...): a few bits flipped, CRC left wrong.
		bt_seed=$RANDOM
		what="round $r (seed $SEED): blocktrash -s $bt_seed"
		xfs_db -x -c blockget -c "blocktrash -s $bt_seed -n 3 -3 -x 1 -y 32" "$WORK/img" >"$WORK/db.out" 2>&1
	else
		pair=$(pick $PAIRS)
		ino=${pair%%:*}
		field=${pair#*:}
		mode=$(pick $MODES)
		what="round $r (seed $SEED): inode $ino fuzz $field $mode"
		xfs_db -x -c "inode $ino" -c "fuzz -d $field $mode" "$WORK/img" >"$WORK/db.out" 2>&1
	fi
	[ -n "${FUZZ_DEBUG:-}" ] && { echo "$what"; cat "$WORK/db.out"; }
	: >"$DAEMON_LOG"
	if fuse_mount "$WORK/img"; then
		work_tree
		if fuse_unmount; then rc=0; else rc=$?; fi
		check "$what: umount, daemon exit 0/1 [rc=$rc]" test "$rc" -le 1
	else
		if kill -0 "$DAEMON_PID" 2>/dev/null; then
			bad "$what: mount neither came up nor was refused in 10 s"
			kill -9 "$DAEMON_PID"
		fi
		wait "$DAEMON_PID"
		rc=$?
		DAEMON_PID=
		check "$what: mount refused with exit 1 [rc=$rc]" test "$rc" = 1
		check "$what: ... and says why in one line" \
			test "$(grep -c '^xfsfuse: ' "$DAEMON_LOG")" -ge 1
	fi
	if [ "$rc" -gt 1 ]; then
		sed 's/^/    /' "$WORK/db.out" >&2
		tail -20 "$DAEMON_LOG" | sed 's/^/    /' >&2
	fi
	# A sanitizer build reports through the exit status too (checked above).
	check "$what: no sanitizer report" sh -c "! grep -q 'Sanitizer' '$DAEMON_LOG'"
done
lib_finish
