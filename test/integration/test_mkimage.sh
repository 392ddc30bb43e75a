#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_mkimage.sh PATH/TO/xfsfuse-mkimage
#
# xfsfuse-mkimage builds images through our backend; the kernel's XFS
# (loop-mounted read-only) and xfs_repair -n are the oracles for what the
# backend wrote.  For 1 KiB and 4 KiB blocks: build an image from a spec that
# uses every directive, repair-check it, verify it under the kernel, check
# that the same seed gives the same tree (and another seed does not), that the
# extents are really holes / unwritten, and that the tree equals the one plain
# syscalls make on a tmpfs.  Then the error paths: bad spec, existing image,
# mkfs failure, ENOSPC in the middle: never an image left behind.  Every
# oracle is also shown failing on a deliberately wrong input.
set -euo pipefail
# A mount namespace of its own, as lib.sh gives the other integration tests.
if [ -z "${XFSFUSE_OWN_NS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	XFSFUSE_OWN_NS=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
fi

mkimage=${1:?usage: $0 PATH/TO/xfsfuse-mkimage}
mkimage=$(realpath "$mkimage")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
oracle=$here/../oracle
treedump=(python3 "$oracle/treedump.py" --exclude lost+found)

work=$(mktemp -d /tmp/xfsfuse-mkimage-test.XXXXXX)
mnt=$work/mnt
tmpfs=$work/tmpfs
mkdir -p "$mnt" "$tmpfs"
passed=0
failed=0

cleanup() {
	for d in "$mnt" "$tmpfs"; do
		if mountpoint -q "$d"; then
			umount "$d" || umount -l "$d" || true
		fi
	done
	if [ -n "${XFSFUSE_KEEP_TEST_IMAGES:-}" ]; then
		echo "kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

ok() {
	passed=$((passed + 1))
	echo "ok   $1"
}
bad() {
	failed=$((failed + 1))
	echo "FAIL $1"
}
# expect_ok DESC CMD...: CMD must exit 0 (its output is shown only on failure)
expect_ok() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		bad "$desc"
		printf '%s\n' "$out" | head -40 | sed 's/^/     /'
	fi
}
# expect_rc RC DESC CMD...: CMD must exit with status RC
expect_rc() {
	local want=$1 desc=$2 out rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" = "$want" ]; then
		ok "$desc"
	else
		bad "$desc (exit $rc, expected $want)"
		printf '%s\n' "$out" | head -40 | sed 's/^/     /'
	fi
}
kmount() { mount -t xfs -o loop,ro "$1" "$mnt"; }
kumount() { umount "$mnt"; }
# no file in $work named like the image or a temp image
no_image_left() {
	! ls -a "$work" | grep -q -e "^$1\$" -e "^\.$1\.mkimage-"
}

# ---- the spec: every directive, and enough of each to change formats ----
spec=$work/all.spec
{
	cat <<'EOF'
# every directive of doc/mkimage.md
dir  a/b/c            mode=0755 uid=1000 gid=1000
file a/hello.txt      size=12345 mode=0644          # deterministic content
file a/sparse         size=100M holes=0:1M,10M:20M  # data only outside the holes
file a/prealloc       size=8M unwritten=1M:4M       # preallocated, reads as zeroes
file a/tailhole       size=3M holes=2M-3M           # size set without data
file a/beyond         size=64K unwritten=64K:1M     # preallocated past EOF
file a/zero           size=70000 content=zero mode=4755 uid=5 gid=6
file a/empty
file "a/with space"   size=3 mtime=1600000000.123456789
dir  a/sgid mode=2775 gid=50
file a/sgid/f         size=10 gid=0 mode=0640
symlink a/link  -> hello.txt
symlink a/longlink target-len=1000
fifo a/f ; sock a/s mode=0755 uid=3 ; chr a/cdev 1:3 ; blk a/bdev 7:0 mode=0600
xattr a/hello.txt user.k=hex:0102ff user.t=text:hello "user.sp=two words" user.e=
xattr a/b/c user.big=rand:5000 trusted.x=1
xattr a/hello.txt user.remote=rand:65536
xattr a/link trusted.l=hex:00
xattr a/cdev trusted.dev=dev security.s=sec
xattr . user.root=r
bigdir a/big count=20000 prefix=file-with-a-longish-name-
bigdir a/small count=40 prefix=s mode=0700 uid=7 gid=8
tree  a/deep depth=50
hardlink a/h2 => a/hello.txt
hardlink a/b/c/h3 => a/h2
hardlink a/fifo2 => a/f
EOF
	# 300 separate extents (a bmap btree with 1 KiB and 4 KiB blocks)
	holes=""
	for i in $(seq 0 299); do holes+="${holes:+,}$((i * 8 + 4))K:4K"; done
	echo "file a/fragmented size=2400K holes=$holes"
	# an attribute fork in leaf/node format
	for i in $(seq 1 150); do echo "xattr a/hello.txt user.many$i=rand:$((i * 7))"; done
} >"$spec"

build() { # build IMAGE SEED BLOCKSIZE
	"$mkimage" -q --seed "$2" --block-size "$3" "$work/$1" "$spec"
}
dump_image() { # dump_image IMAGE OUT [treedump options]
	local img=$1 out=$2
	shift 2
	kmount "$work/$img"
	"${treedump[@]}" "$@" "$mnt" >"$out" || { kumount; return 1; }
	kumount
}
# the extents really are holes and unwritten, not written zeroes
check_extents() {
	local img=$1 rc=0
	kmount "$work/$img"
	xfs_io -r -c "bmap -vp" "$mnt/a/sparse" >"$work/bmap.sparse"
	xfs_io -r -c "bmap -vp" "$mnt/a/prealloc" >"$work/bmap.prealloc"
	xfs_io -r -c "bmap -vp" "$mnt/a/beyond" >"$work/bmap.beyond"
	kumount
	[ "$(grep -c ' hole ' "$work/bmap.sparse")" = 2 ] || rc=1
	grep -q '^ *0: \[0\.\.2047\]: *hole' "$work/bmap.sparse" || rc=1
	# FLAGS 010000 = unwritten; 1M..5M is sectors 2048..10239
	grep -q '\[2048\.\.10239\]:.* 010000$' "$work/bmap.prealloc" || rc=1
	grep -q ' 010000$' "$work/bmap.beyond" || rc=1
	[ $rc = 0 ] || cat "$work"/bmap.* >&2
	return $rc
}

for bs in 1024 4096; do
	echo "--- block size $bs"
	expect_ok "bs=$bs: build image (seed 42)" build "a$bs.img" 42 "$bs"
	if [ ! -f "$work/a$bs.img" ]; then
		bad "bs=$bs: no image; skipping its checks"
		continue
	fi
	expect_ok "bs=$bs: xfs_repair -n is clean" "$oracle/repair-check.sh" "$work/a$bs.img"
	kmount "$work/a$bs.img"
	expect_ok "bs=$bs: kernel sees the spec'd tree (--verify)" "$mkimage" --verify "$mnt" "$spec" --seed 42
	expect_rc 1 "bs=$bs: --verify with another seed fails" "$mkimage" --verify "$mnt" "$spec" --seed 43
	kumount
	expect_ok "bs=$bs: holes and unwritten extents are real" check_extents "a$bs.img"

	dump_image "a$bs.img" "$work/a$bs.dump"
	expect_ok "bs=$bs: build again with the same seed" build "b$bs.img" 42 "$bs"
	dump_image "b$bs.img" "$work/b$bs.dump"
	expect_ok "bs=$bs: same seed, identical treedump (with times)" \
		cmp "$work/a$bs.dump" "$work/b$bs.dump"
	expect_ok "bs=$bs: compare-with-kernel.sh agrees" \
		"$oracle/compare-with-kernel.sh" "$work/b$bs.img" "$work/a$bs.dump" --exclude lost+found
	expect_ok "bs=$bs: build with seed 43" build "c$bs.img" 43 "$bs"
	dump_image "c$bs.img" "$work/c$bs.dump"
	expect_rc 1 "bs=$bs: another seed gives another treedump" \
		cmp -s "$work/a$bs.dump" "$work/c$bs.dump"
	rm -f "$work/b$bs.img" "$work/c$bs.img"
done

echo "--- cross checks"
if [ -f "$work/a1024.dump" ] && [ -f "$work/a4096.dump" ]; then
	expect_ok "1 KiB and 4 KiB images hold the same tree" \
		cmp "$work/a1024.dump" "$work/a4096.dump"
fi
# The same spec made with plain syscalls on a tmpfs (ctime cannot be set there).
mount -t tmpfs -o size=400M tmpfs "$tmpfs"
expect_ok "--populate a tmpfs" "$mkimage" --populate --seed 42 "$tmpfs" "$spec"
expect_ok "--verify the tmpfs tree" "$mkimage" --verify --seed 42 "$tmpfs" "$spec"
"${treedump[@]}" --no-ctime "$tmpfs" >"$work/tmpfs.dump"
if [ -f "$work/a4096.img" ]; then
	expect_ok "image (via backend) equals tmpfs (via syscalls)" \
		"$oracle/compare-with-kernel.sh" "$work/a4096.img" "$work/tmpfs.dump" \
		--exclude lost+found --no-ctime
fi

echo "--- the oracles fail when they should"
printf 'X' | dd of="$tmpfs/a/sparse" bs=1 seek=$((15 * 1048576)) conv=notrunc status=none
expect_rc 1 "--verify catches one changed byte" "$mkimage" --verify --seed 42 --no-times "$tmpfs" "$spec"
umount "$tmpfs"
mount -t tmpfs -o size=400M tmpfs "$tmpfs"
"$mkimage" --populate --seed 42 "$tmpfs" "$spec"
setfattr -x user.many77 "$tmpfs/a/hello.txt"
expect_rc 1 "--verify catches a missing xattr" "$mkimage" --verify --seed 42 --no-times "$tmpfs" "$spec"
setfattr -n user.many77 -v 0x00 "$tmpfs/a/hello.txt"
expect_rc 1 "--verify catches a wrong xattr value" "$mkimage" --verify --seed 42 --no-times "$tmpfs" "$spec"
"$mkimage" --populate --seed 42 "$tmpfs" "$spec" 2>/dev/null && bad "--populate twice must fail" || ok "--populate refuses an existing tree"
umount "$tmpfs"
mount -t tmpfs -o size=400M tmpfs "$tmpfs"
"$mkimage" --populate --seed 42 "$tmpfs" "$spec"
touch "$tmpfs/a/big/stray"
expect_rc 1 "--verify catches an unexpected entry" "$mkimage" --verify --seed 42 --no-times "$tmpfs" "$spec"
expect_ok "--allow-extra ignores it" "$mkimage" --verify --seed 42 --no-times --allow-extra "$tmpfs" "$spec"
rm "$tmpfs/a/big/stray"
chmod 0600 "$tmpfs/a/empty"
expect_rc 1 "--verify catches a mode" "$mkimage" --verify --seed 42 --no-times "$tmpfs" "$spec"
chmod 0644 "$tmpfs/a/empty"
ln -sfn hello.tx "$tmpfs/a/link"
expect_rc 1 "--verify catches a link target" "$mkimage" --verify --seed 42 --no-times --allow-extra "$tmpfs" "$spec"
umount "$tmpfs"
if [ -f "$work/a4096.img" ]; then
	sed 's/^a\/hello.txt \(.*\)nlink=3/a\/hello.txt \1nlink=2/' "$work/a4096.dump" >"$work/wrong.dump"
	expect_rc 1 "compare-with-kernel.sh catches a difference" \
		"$oracle/compare-with-kernel.sh" "$work/a4096.img" "$work/wrong.dump" --exclude lost+found
	expect_ok "no mount left behind" test -z "$(losetup -j "$work/a4096.img")"
	cp --sparse=always "$work/a4096.img" "$work/corrupt.img"
	xfs_db -x -c "sb 0" -c "write -d fdblocks 12345" "$work/corrupt.img" >/dev/null
	expect_rc 1 "repair-check.sh catches a wrong free-block count" \
		"$oracle/repair-check.sh" "$work/corrupt.img"
	rm -f "$work/corrupt.img"
fi

echo "--- error paths leave no image"
printf 'file a size=12\nfrob x\n' >"$work/bad.spec"
expect_rc 2 "bad spec: exit 2" "$mkimage" -q "$work/e.img" "$work/bad.spec"
expect_ok "bad spec: no image" no_image_left e.img
printf 'file a size=12\nfile a/b size=1\n' >"$work/bad2.spec"
expect_rc 2 "file used as a directory: exit 2" "$mkimage" -q "$work/e.img" "$work/bad2.spec"
expect_rc 1 "mkfs failure (10M): exit 1" "$mkimage" -q --size 10M "$work/e.img" "$spec"
expect_ok "mkfs failure: no image" no_image_left e.img
printf 'file a/big size=1G\n' >"$work/full.spec"
expect_rc 1 "ENOSPC while populating: exit 1" "$mkimage" -q "$work/e.img" "$work/full.spec"
expect_ok "ENOSPC: no image" no_image_left e.img
if [ -f "$work/a4096.img" ]; then
	before=$(stat -c '%s %Y %i' "$work/a4096.img")
	expect_rc 1 "existing image without --force: exit 1" build a4096.img 42 4096
	expect_ok "existing image untouched" test "$before" = "$(stat -c '%s %Y %i' "$work/a4096.img")"
fi
printf 'file x size=5 mode=0600\n' >"$work/small.spec"
if [ -f "$work/a4096.img" ]; then
	expect_ok "--force replaces an image" "$mkimage" -q --force --seed 7 "$work/a4096.img" "$work/small.spec"
	kmount "$work/a4096.img"
	expect_ok "--force: the new tree is there" "$mkimage" --verify --seed 7 "$mnt" "$work/small.spec"
	kumount
fi
# XFSFUSE_BIGDIR: 20,000 under the sanitizers (scripts/run-sanitizers.sh).
big=${XFSFUSE_BIGDIR:-100000}
printf 'bigdir big count=%s prefix=f\ntree deep depth=50\n' "$big" >"$work/big.spec"
"$mkimage" -q --block-size 1024 "$work/sig.img" "$work/big.spec" &
pid=$!
sleep 0.5
kill -TERM $pid 2>/dev/null || true
wait $pid 2>/dev/null && bad "SIGTERM: build finished before the signal (test inconclusive)" ||
	ok "SIGTERM: build stopped"
expect_ok "SIGTERM: no image and no temporary file" no_image_left sig.img

echo "--- a $big-entry directory, 1 KiB blocks"
expect_ok "build" "$mkimage" -q --block-size 1024 "$work/big.img" "$work/big.spec"
if [ -f "$work/big.img" ]; then
	expect_ok "xfs_repair -n is clean" "$oracle/repair-check.sh" "$work/big.img"
	kmount "$work/big.img"
	expect_ok "kernel sees all $big entries (--verify)" "$mkimage" --verify "$mnt" "$work/big.spec"
	kumount
	rm -f "$work/big.img"
fi

expect_ok "empty spec, 1 KiB blocks, other features" \
	"$mkimage" -q --block-size 1024 --features reflink=0,rmapbt=1 --ag-count 2 "$work/f.img"
expect_ok "empty image is clean" "$oracle/repair-check.sh" "$work/f.img"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
