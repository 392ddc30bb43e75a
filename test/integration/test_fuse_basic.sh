#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# FUSE integration test of xfsfuse: mount fresh mkfs.xfs images through the
# daemon, exercise the namespace, data, attribute and xattr requests, the
# option and refusal paths, mount(8) through mount.fuse3, signals, and check
# every image with xfs_repair -n and against the kernel's XFS (read-only loop
# mount, as an oracle only).
#
# usage: test_fuse_basic.sh [path/to/xfsfuse]      (needs root and /dev/fuse)
# Prints "N passed, M failed" and exits non-zero if anything failed.
set -euo pipefail
# A mount namespace of its own, as lib.sh gives the other integration tests.
if [ -z "${XFSFUSE_OWN_NS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	XFSFUSE_OWN_NS=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
fi

XFSFUSE=$(realpath "${1:-build/src/xfsfuse}")
AIO_DIO_RACE=$(realpath "${2:-$(dirname "$XFSFUSE")/../test/aio_dio_race}")
TMP=$(mktemp -d /tmp/xfsfuse-basic.XXXXXX)
MNT=$TMP/mnt
KMNT=$TMP/kmnt
IMG=$TMP/img
mkdir -p "$MNT" "$KMNT"
PASS=0
FAIL=0
DAEMON_PID=
DONE=

cleanup() {
	local rc=$?
	set +e
	if [ -z "$DONE" ]; then
		echo "aborted (status $rc) after the checks above" >&2
		echo "$PASS passed, $((FAIL + 1)) failed"
	fi
	mountpoint -q "$MNT" && umount "$MNT"
	mountpoint -q "$KMNT" && umount "$KMNT"
	[ -n "$DAEMON_PID" ] && wait "$DAEMON_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

pass() { PASS=$((PASS + 1)); }
fail() { FAIL=$((FAIL + 1)); echo "FAIL: $*" >&2; }

# check DESC CMD...: the command must succeed.
check() {
	local desc=$1
	shift
	local rc=0
	"$@" >"$TMP/cmd.out" 2>&1 || rc=$?
	mv -f "$TMP/cmd.out" "$TMP/out" # the next check may grep the output
	if [ "$rc" -eq 0 ]; then pass; else fail "$desc"; sed 's/^/    /' "$TMP/out" >&2; fi
}

# check_fails DESC CMD...: the command must fail.
check_fails() {
	local desc=$1
	shift
	local rc=0
	"$@" >"$TMP/cmd.out" 2>&1 || rc=$?
	mv -f "$TMP/cmd.out" "$TMP/out"
	if [ "$rc" -ne 0 ]; then pass; else fail "$desc (unexpectedly succeeded)"; fi
}

# check_out DESC REGEX: the output of the last check/check_fails matches.
check_out() {
	if grep -q -e "$2" "$TMP/out"; then pass; else fail "$1"; sed 's/^/    /' "$TMP/out" >&2; fi
}

# check_eq DESC EXPECTED ACTUAL
check_eq() {
	if [ "$2" == "$3" ]; then pass; else fail "$1: expected '$2', got '$3'"; fi
}

mkimage() {
	rm -f "$1"
	truncate -s 512M "$1"
	mkfs.xfs -q "$1"
}

# Wait until $MNT is a FUSE mount of ours (the daemon runs in the foreground).
wait_mounted() {
	local i
	for i in $(seq 100); do
		grep -q " $MNT fuse.xfsfuse " /proc/mounts && return 0
		if [ -n "$DAEMON_PID" ] && ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
	return 1
}

# fuse_mount IMAGE [options...]: daemon in the foreground, in the background.
fuse_mount() {
	local img=$1
	shift
	"$XFSFUSE" -f "$img" "$MNT" "$@" 2>>"$TMP/daemon.log" &
	DAEMON_PID=$!
	if wait_mounted; then pass; else fail "mount $img $*"; cat "$TMP/daemon.log" >&2; exit 1; fi
}

# fuse_umount: unmount, and the daemon must exit 0 once it wrote the image back.
fuse_umount() {
	local rc=0 i
	# A process of ours may still be closing a file: give it 10 s, then say
	# who holds the mount and detach it, rather than wait forever.
	for i in $(seq 10); do
		umount "$MNT" 2>/dev/null && break
		sleep 1
	done
	if mountpoint -q "$MNT"; then
		fail "umount $MNT"
		bash "$(dirname "$0")/diagnose.sh" "$MNT" "$DAEMON_PID" >&2
		umount -l "$MNT"
	fi
	wait "$DAEMON_PID" || rc=$?
	DAEMON_PID=
	check_eq "daemon exit status after umount" 0 "$rc"
}

repair_clean() {
	check "xfs_repair -n $1 is clean" xfs_repair -n "$1"
}

# A listing of the tree to compare xfsfuse with the kernel: names, types,
# modes, owners, sizes, link counts, link targets, mtimes, file checksums.
manifest() {
	(cd "$1" && find . -printf '%p %y %m %U %G %s %n %l %T@\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r md5sum)
}

# ------------------------------------------------------------------ options
check "--help exits 0" "$XFSFUSE" --help
check_out "--help prints the usage" "usage: .* IMAGE MOUNTPOINT"
check "--version exits 0" "$XFSFUSE" --version
check_out "--version names xfsfuse" "^xfsfuse version"
check_out "--version names xfsprogs 6.1.0" "xfsprogs 6.1.0"
check_out "--version names libfuse" "FUSE library version 3\."

mkimage "$IMG"
ROOTINO=$(xfs_db -r -c 'sb 0' -c 'p rootino' "$IMG" | awk '{print $3}')
mount -o loop,ro "$IMG" "$KMNT"
STATFS_KERNEL=$(stat -f -c '%b %f %a %c %d' "$KMNT")
umount "$KMNT"
check_fails "unknown option refused" "$XFSFUSE" "$IMG" "$MNT" -o no_such_option
check_fails "bad cache= refused" "$XFSFUSE" "$IMG" "$MNT" -o cache=sometimes
check_out "bad cache= says why" "^xfsfuse: .*cache="
check_fails "bad direct_io= refused" "$XFSFUSE" "$IMG" "$MNT" -o direct_io=sometimes
check_out "bad direct_io= says why" "^xfsfuse: .*direct_io="
check_fails "writeback_cache with cache=none refused" "$XFSFUSE" "$IMG" "$MNT" -o writeback_cache,cache=none
check_out "writeback_cache with cache=none says why" "^xfsfuse: -o writeback_cache needs cache=kernel"
# Values that make no sense: each refused with its one-line reason.
for o in cache_size=-1 cache_size=99999999999999999g max_write=0 max_write=4 \
	writeback_interval=0 dirty_ratio=0 dirty_background=30,dirty_ratio=20 log_interval=-5 \
	attr_timeout=-1 attr_timeout=99999999 entry_timeout=soon inode_cache=many inode_cache=-3; do
	check_fails "-o $o refused" "$XFSFUSE" "$IMG" "$MNT" -o "$o"
	check_out "-o $o: reason line" "^xfsfuse: -o "
done
check_fails "nothing mounted after bad options" mountpoint -q "$MNT"
# The kernel has the image on a writable loop device: even -o ro is refused
# (the kernel may write under us); a read-only loop device may share it.
mount -o loop "$IMG" "$KMNT"
check_fails "-o ro refused while the kernel has it read-write" "$XFSFUSE" -o ro "$IMG" "$MNT"
check_out "kernel read-write: reason line" "writable loop device"
umount "$KMNT"
check_fails "missing mountpoint refused" "$XFSFUSE" "$IMG"
check_fails "extra argument refused" "$XFSFUSE" "$IMG" "$MNT" extra

# ------------------------------------------------------------------ refusals
head -c 64M /dev/urandom >"$TMP/random.img"
RSUM=$(md5sum <"$TMP/random.img")
check_fails "random bytes refused" "$XFSFUSE" "$TMP/random.img" "$MNT"
check_out "random bytes: reason line" "^xfsfuse: .*random.img: "
mkimage "$TMP/trunc.img"
truncate -s 100M "$TMP/trunc.img"
check_fails "truncated image refused" "$XFSFUSE" "$TMP/trunc.img" "$MNT"
check_out "truncated image: reason line" "^xfsfuse: .*trunc.img: "
check_fails "missing image refused" "$XFSFUSE" "$TMP/nonexistent.img" "$MNT"
check_out "missing image: reason line" "^xfsfuse: .*nonexistent.img"
check_fails "nothing mounted after refusals" mountpoint -q "$MNT"
check_eq "the refused image was not written" "$RSUM" "$(md5sum <"$TMP/random.img")"

# ------------------------------------------------------------------ daemon mode
# Without -f the parent returns only once mounted; the image's flock is held
# until the daemon has written everything back.
check "daemonized mount" "$XFSFUSE" "$IMG" "$MNT"
check "daemonized: mounted when the command returns" mountpoint -q "$MNT"
check "mount table: source and type" grep -q "^$IMG $MNT fuse.xfsfuse rw," /proc/mounts
check "mount table: default_permissions" grep -q "^$IMG $MNT .*default_permissions" /proc/mounts
check "umount" umount "$MNT"
check "daemon released the image" flock -w 30 "$IMG" true
repair_clean "$IMG"

# ------------------------------------------------------------------ umount; mount
# As scripts do it: umount returns before the daemon has written back and let
# go of the image; a new mount waits for it (bounded, saying so), while a
# mount that is still live is refused at once, naming its mount point.
head -c 32M /dev/urandom >"$TMP/again.src"
mkdir -p "$TMP/mnt2"
check "mount for the remount loop" "$XFSFUSE" "$IMG" "$MNT"
check_fails "a second mount of a mounted image is refused" timeout 30 "$XFSFUSE" "$IMG" "$TMP/mnt2"
check_out "... naming the mount point" "already mounted at $MNT"
for i in 1 2 3 4; do
	cp "$TMP/again.src" "$MNT/again$i"
	check "umount ($i)" umount "$MNT"
	check "mount at once after umount ($i)" "$XFSFUSE" "$IMG" "$MNT"
	check "... the file is whole ($i)" cmp "$TMP/again.src" "$MNT/again$i"
done
rm -f "$MNT"/again* # the statfs comparison below expects the fresh image's counts
check "umount" umount "$MNT"
check "daemon released the image" flock -w 60 "$IMG" true
repair_clean "$IMG"

# ------------------------------------------------------------------ namespace and data
fuse_mount "$IMG"
check_eq "root st_ino is the XFS root inode" "$ROOTINO" "$(stat -c %i "$MNT")"
check_eq "root mode" "755 directory" "$(stat -c '%a %F' "$MNT")"
check "df works" df "$MNT"
check_eq "statfs block size" 4096 "$(stat -f -c %S "$MNT")"
check_eq "statfs name length" 255 "$(stat -f -c %l "$MNT")"
# A read-write mount keeps the kernel's reserve pool (xfs_default_resblks:
# 5 %, at most 8192 blocks) out of free space, as a read-write kernel mount
# does; the kernel's reference here is read-only, which keeps none.
RESBLKS=$(xfs_db -r -c 'sb 0' -c 'p dblocks' "$IMG" | awk '{r = int($3 / 20); print (r < 8192 ? r : 8192)}')
check_eq "statfs equals the kernel's, minus the reserve pool" \
	"$(echo "$STATFS_KERNEL" | awk -v r="$RESBLKS" '{print $1, $2 - r, $3 - r, $4, $5}')" \
	"$(stat -f -c '%b %f %a %c %d' "$MNT")"

umask 022
check "mkdir" mkdir "$MNT/dir"
check_eq "mkdir under umask 022" 755 "$(stat -c %a "$MNT/dir")"
check "mkdir -m 0777" mkdir -m 0777 "$MNT/dir777"
check_eq "mkdir -m 0777 is exact" 777 "$(stat -c %a "$MNT/dir777")"
check "mkdir(0777) syscall" python3 -c "import os; os.mkdir('$MNT/dirsys', 0o777)"
check_eq "mkdir(0777) gets the umask" 755 "$(stat -c %a "$MNT/dirsys")"
check "touch" touch "$MNT/dir/empty"
check_eq "new file mode" "644 regular empty file" "$(stat -c '%a %F' "$MNT/dir/empty")"
check_eq "directory nlink" 5 "$(stat -c %h "$MNT")"
check "write" sh -c "echo hello world > '$MNT/dir/hello'"
check_eq "read" "hello world" "$(cat "$MNT/dir/hello")"
check_eq "ls" "empty hello" "$(ls "$MNT/dir" | tr '\n' ' ' | sed 's/ $//')"
head -c 5M /dev/urandom >"$TMP/rand5m"
check "write 5 MiB" cp "$TMP/rand5m" "$MNT/dir/rand5m"
check "read 5 MiB back" cmp "$TMP/rand5m" "$MNT/dir/rand5m"
check "O_DIRECT write" dd if="$TMP/rand5m" of="$MNT/dir/direct" bs=1M oflag=direct status=none
check "O_DIRECT read" cmp "$TMP/rand5m" "$MNT/dir/direct"
# The kernel caches the file for buffered opens (keep_cache).  An AIO
# O_DIRECT write that a buffered reader races (generic/451) must not leave
# that cache stale: the reader fills it during the write's injected delay,
# with old data and the new mtime, so only the daemon's invalidation after
# the write can drop it.
head -c 8192 /dev/urandom >"$TMP/patch8k"
setfattr -n xfsfuse.inject_write_delay_ms -v 900 "$MNT"
check "AIO O_DIRECT write raced by a buffered reader" "$AIO_DIO_RACE" "$MNT/dir/direct" "$TMP/patch8k" 1048576 900
setfattr -n xfsfuse.inject_write_delay_ms -v 0 "$MNT"
cp "$TMP/rand5m" "$TMP/direct.expect"
dd if="$TMP/patch8k" of="$TMP/direct.expect" bs=8192 seek=128 conv=notrunc status=none
check "... a buffered read then sees the write (kernel cache invalidated)" cmp "$TMP/direct.expect" "$MNT/dir/direct"
check "overwrite in the middle" dd if=/dev/zero of="$MNT/dir/rand5m" bs=1000 seek=1234 count=7 conv=notrunc status=none
cp "$TMP/rand5m" "$TMP/rand5m.expect"
dd if=/dev/zero of="$TMP/rand5m.expect" bs=1000 seek=1234 count=7 conv=notrunc status=none
check "overwrite reads back" cmp "$TMP/rand5m.expect" "$MNT/dir/rand5m"
check "append" sh -c "echo more >> '$MNT/dir/hello'"
check_eq "append reads back" "hello world more" "$(cat "$MNT/dir/hello" | tr '\n' ' ' | sed 's/ $//')"
check "sparse write" dd if=/dev/urandom of="$MNT/dir/sparse" bs=4096 seek=1000 count=1 status=none
check_eq "sparse size" 4100096 "$(stat -c %s "$MNT/dir/sparse")"
check "hole reads as zeroes" cmp -n 4096000 "$MNT/dir/sparse" /dev/zero
check "shared mmap store (writepage)" python3 -c "
import mmap, os
fd = os.open('$MNT/dir/mapped', os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(fd, 3 * 4096)
m = mmap.mmap(fd, 3 * 4096)
m[5000:5005] = b'HELLO'
m.flush(); m.close(); os.close(fd)"
check "fsync" python3 -c "import os; fd=os.open('$MNT/dir/hello', os.O_RDWR); os.fsync(fd); os.fdatasync(fd); os.close(fd)"
check "sync -f (syncfs)" sync -f "$MNT"

# attributes
check "chmod" chmod 0640 "$MNT/dir/hello"
check_eq "chmod result" 640 "$(stat -c %a "$MNT/dir/hello")"
check "chmod setuid" chmod 4755 "$MNT/dir/empty"
check "chown" chown 1234:5678 "$MNT/dir/empty"
check_eq "chown result (and setuid cleared)" "1234 5678 755" "$(stat -c '%u %g %a' "$MNT/dir/empty")"
check "truncate up" truncate -s 100000 "$MNT/dir/empty"
check_eq "truncate up size" 100000 "$(stat -c %s "$MNT/dir/empty")"
check "truncate down" truncate -s 3 "$MNT/dir/hello"
check_eq "truncate down reads" "hel" "$(cat "$MNT/dir/hello")"
check "O_TRUNC open" sh -c "echo fresh > '$MNT/dir/rand5m.trunc' && cp '$TMP/rand5m' '$MNT/dir/rand5m.trunc' && echo x > '$MNT/dir/rand5m.trunc'"
check_eq "O_TRUNC size" 2 "$(stat -c %s "$MNT/dir/rand5m.trunc")"
check "touch -d" touch -d "2001-02-03 04:05:06.123456789" "$MNT/dir/hello"
check_eq "mtime set" "2001-02-03 04:05:06.123456789" "$(stat -c %y "$MNT/dir/hello" | cut -c1-29)"
check_eq "atime set" "2001-02-03 04:05:06.123456789" "$(stat -c %x "$MNT/dir/hello" | cut -c1-29)"
check "touch -m (mtime now, atime omitted)" touch -m "$MNT/dir/hello"
check_eq "atime kept with UTIME_OMIT" "2001-02-03 04:05:06.123456789" "$(stat -c %x "$MNT/dir/hello" | cut -c1-29)"
check "mtime is now" test "$(stat -c %Y "$MNT/dir/hello")" -ge $(($(date +%s) - 60))

# links, special files, rename, remove
check "symlink" ln -s hello "$MNT/dir/link"
check_eq "readlink" hello "$(readlink "$MNT/dir/link")"
LONGT=$(printf 'x%.0s' $(seq 1000))
check "long symlink" ln -s "$LONGT" "$MNT/dir/longlink"
check_eq "long readlink" "$LONGT" "$(readlink "$MNT/dir/longlink")"
check "hard link" ln "$MNT/dir/hello" "$MNT/hardlink"
check_eq "hard link count" 2 "$(stat -c %h "$MNT/dir/hello")"
check_eq "hard link same inode" "$(stat -c %i "$MNT/dir/hello")" "$(stat -c %i "$MNT/hardlink")"
check "mkfifo" mkfifo "$MNT/dir/fifo"
check_eq "fifo type" "fifo" "$(stat -c %F "$MNT/dir/fifo")"
check "mknod char" mknod "$MNT/dir/null" c 1 3
check_eq "char device numbers" "character special file 1 3" "$(stat -c '%F %t %T' "$MNT/dir/null")"
check "rename" mv "$MNT/dir/rand5m.trunc" "$MNT/renamed"
check_fails "rename source gone" test -e "$MNT/dir/rand5m.trunc"
check_eq "renamed content" x "$(cat "$MNT/renamed")"
check "rename over a file" mv -f "$MNT/renamed" "$MNT/hardlink"
check_eq "rename over: target replaced" x "$(cat "$MNT/hardlink")"
check_eq "rename over: old target unlinked" 1 "$(stat -c %h "$MNT/dir/hello")"
# renameat2 flags through ctypes (coreutils has no --exchange here)
renameat2() {
	python3 -c "
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
rc = libc.renameat2(-100, sys.argv[1].encode(), -100, sys.argv[2].encode(), int(sys.argv[3]))
err = ctypes.get_errno() if rc else 0
print(os.strerror(err) if err else 'ok')" "$@"
}
echo A >"$MNT/ra"
echo B >"$MNT/rb"
check_eq "RENAME_NOREPLACE onto a name" "File exists" "$(renameat2 "$MNT/ra" "$MNT/rb" 1)"
check_eq "RENAME_EXCHANGE" "ok A B" "$(renameat2 "$MNT/ra" "$MNT/rb" 2) $(cat "$MNT/rb") $(cat "$MNT/ra")"
# RENAME_WHITEOUT (overlayfs): the source name becomes a 0:0 character
# device (test_whiteout.sh compares it all with the kernel's XFS).
check_eq "RENAME_WHITEOUT" "ok B" "$(renameat2 "$MNT/ra" "$MNT/rc" 4) $(cat "$MNT/rc")"
check_eq "the whiteout left at the source" "character special file 0:0" \
	"$(stat -c '%F %t:%T' "$MNT/ra")"
check_eq "RENAME_WHITEOUT|RENAME_EXCHANGE refused" "Invalid argument" "$(renameat2 "$MNT/rc" "$MNT/rb" 6)"
check_eq "RENAME_NOREPLACE to a new name" "ok" "$(renameat2 "$MNT/rc" "$MNT/rd" 1)"
rm "$MNT/ra" "$MNT/rb" "$MNT/rd"
check "rename a directory" mv "$MNT/dirsys" "$MNT/dir/sub"
check_eq "moved directory's .." "$(stat -c %i "$MNT/dir")" "$(stat -c %i "$MNT/dir/sub/..")"
check "rmdir" rmdir "$MNT/dir777"
check_fails "rmdir of a non-empty directory" rmdir "$MNT/dir"
# The kernel sends FORGET for an unlinked inode asynchronously (the forget
# queue), and the daemon frees the inode when it handles it: poll the used
# inode count for the expected value instead of sampling it once.
inodes_used() { stat -f -c '%c %d' "$MNT" | awk '{print $1 - $2}'; }
inodes_used_settles_at() {
	local want=$1 i
	for i in $(seq 100); do
		[ "$(inodes_used)" == "$want" ] && break
		sleep 0.1
	done
	inodes_used
}
INODES_USED=$(inodes_used)
check "unlink" rm "$MNT/dir/direct"
check_fails "unlinked name gone" test -e "$MNT/dir/direct"
check_eq "unlink frees the inode" $((INODES_USED - 1)) "$(inodes_used_settles_at $((INODES_USED - 1)))"
touch "$MNT/tmpfile"
check_eq "create uses an inode" "$INODES_USED" "$(inodes_used)"
rm "$MNT/tmpfile"
check_eq "unlink frees the inode (forget reached the backend)" $((INODES_USED - 1)) \
	"$(inodes_used_settles_at $((INODES_USED - 1)))"
exec 7<"$MNT/dir/sparse"
rm "$MNT/dir/sparse"
check_eq "unlinked open file still readable" 4100096 "$(wc -c <&7)"
exec 7<&-

# xattrs
check "setxattr" setfattr -n user.colour -v blue "$MNT/dir/hello"
check_eq "getxattr" blue "$(getfattr --absolute-names --only-values -n user.colour "$MNT/dir/hello")"
check "setxattr trusted" setfattr -n trusted.t -v 0x00ff00 "$MNT/dir/hello"
check_eq "listxattr" "trusted.t user.colour" \
	"$(getfattr --absolute-names -m - -d "$MNT/dir/hello" | sed -n 's/=.*//p' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
check "removexattr" setfattr -x trusted.t "$MNT/dir/hello"
check_fails "removed xattr gone" getfattr --absolute-names -n trusted.t "$MNT/dir/hello"
check "large xattr" setfattr -n user.big -v "0x$(head -c 30000 /dev/urandom | od -An -tx1 -v | tr -d ' \n')" "$MNT/dir"
check_eq "large xattr size" 30000 "$(getfattr --absolute-names --only-values -n user.big "$MNT/dir" | wc -c)"

# fallocate
check "fallocate" fallocate -l 1M "$MNT/dir/falloc"
check_eq "fallocate size" 1048576 "$(stat -c %s "$MNT/dir/falloc")"
check "fallocate blocks" test "$(stat -c %b "$MNT/dir/falloc")" -ge 2048
check "fallocate --keep-size" fallocate -n -o 1M -l 1M "$MNT/dir/falloc"
check_eq "keep-size size" 1048576 "$(stat -c %s "$MNT/dir/falloc")"
check_eq "fallocated range reads as zeroes" 1048576 "$(tr -d '\0' <"$MNT/dir/falloc" | wc -c | awk '{print 1048576 - $1}')"
printf 'ABCDEFGH%.0s' $(seq 1024) >"$MNT/dir/punch"
check "punch hole" fallocate -p -o 1000 -l 5000 "$MNT/dir/punch"
check_eq "punched bytes read as zeroes" 5000 "$(dd if="$MNT/dir/punch" bs=1 skip=1000 count=5000 status=none | tr -d '\0' | wc -c | awk '{print 5000 - $1}')"
check_eq "bytes around the hole kept" "ABCDEFGH" "$(dd if="$MNT/dir/punch" bs=1 skip=6000 count=8 status=none)"
check_eq "punch keeps the size" 8192 "$(stat -c %s "$MNT/dir/punch")"
check "zero range" fallocate -z -o 100 -l 200 "$MNT/dir/punch"
check_eq "zeroed bytes" 200 "$(dd if="$MNT/dir/punch" bs=1 skip=100 count=200 status=none | tr -d '\0' | wc -c | awk '{print 200 - $1}')"
check_fails "collapse range is not supported yet" fallocate -c -o 0 -l 4096 "$MNT/dir/punch"

# a big directory, readdir and readdirplus (auto mode here, plus below)
mkdir "$MNT/big"
for i in $(seq 1 2000); do : >"$MNT/big/entry_$i"; done
check_eq "big directory entries" 2000 "$(ls "$MNT/big" | wc -l)"
echo 3 >/proc/sys/vm/drop_caches
check_eq "big directory after dropping caches" 2000 "$(ls -l "$MNT/big" | grep -c entry_)"
check "sizes of a few" test "$(stat -c %s "$MNT/big/entry_1999")" -eq 0

# concurrency: writers and readers at once
PIDS=()
for j in 1 2 3 4; do
	(for i in $(seq 1 50); do echo "$j $i" >"$MNT/big/par_${j}_$i"; cat "$MNT/big/par_${j}_$i" >/dev/null; done) &
	PIDS+=($!)
done
ls -lR "$MNT" >/dev/null &
PIDS+=($!)
PRC=0
for p in "${PIDS[@]}"; do wait "$p" || PRC=$?; done
check_eq "parallel workers succeeded" 0 "$PRC"
check_eq "parallel creates" 200 "$(ls "$MNT/big" | grep -c '^par_')"

MANIFEST_FUSE=$(manifest "$MNT")
fuse_umount
repair_clean "$IMG"

# the kernel sees the same tree
check "kernel mount (oracle, read-only)" mount -o loop,ro "$IMG" "$KMNT"
MANIFEST_KERNEL=$(manifest "$KMNT")
if [ "$MANIFEST_FUSE" == "$MANIFEST_KERNEL" ]; then pass; else
	fail "tree differs between xfsfuse and the kernel"
	diff <(echo "$MANIFEST_FUSE") <(echo "$MANIFEST_KERNEL") | head -20 >&2
fi
check_eq "kernel sees the xattr" blue "$(getfattr --absolute-names --only-values -n user.colour "$KMNT/dir/hello")"
umount "$KMNT"

# remount: everything is still there, readdirplus forced on and off
fuse_mount "$IMG" -o readdirplus=yes
check_eq "remount: big directory (readdirplus)" 2200 "$(ls -l "$MNT/big" | grep -c -e entry_ -e par_)"
check_eq "remount: tree unchanged" "$MANIFEST_FUSE" "$(manifest "$MNT")"
fuse_umount
fuse_mount "$IMG" -o readdirplus=no,cache=none
check_eq "remount: big directory (readdir)" 2200 "$(ls "$MNT/big" | wc -l)"
check "cache=none: write" cp "$TMP/rand5m" "$MNT/dir/nocache"
check "cache=none: read" cmp "$TMP/rand5m" "$MNT/dir/nocache"
check_eq "mmap store survived the remount" HELLO "$(dd if="$MNT/dir/mapped" bs=1 skip=5000 count=5 status=none)"
# FOPEN_DIRECT_IO files may be mapped shared where xfsfuse can ask for
# FUSE_DIRECT_IO_ALLOW_MMAP (libfuse >= 3.16, Linux >= 6.6; test_dio_mmap.sh
# tests it through): with Debian 12's libfuse 3.14 the kernel refuses (ENODEV).
LIBFUSE_VER=$("$XFSFUSE" --version | sed -n 's/^FUSE library version //p')
if [ "$(printf '%s\n3.16\n' "$LIBFUSE_VER" | sort -V | head -1)" = 3.16 ]; then
	check "cache=none: shared mmap store (libfuse $LIBFUSE_VER)" python3 -c "
import mmap, os
m = mmap.mmap(os.open('$MNT/dir/mapped', os.O_RDWR), 4096)
m[100:105] = b'WORLD'
m.flush(); m.close()"
	check_eq "cache=none: ... reads back" WORLD "$(dd if="$MNT/dir/mapped" bs=1 skip=100 count=5 status=none)"
else
	check_fails "cache=none: shared mmap refused (libfuse $LIBFUSE_VER)" python3 -c "
import mmap, os
mmap.mmap(os.open('$MNT/dir/mapped', os.O_RDWR), 4096)"
fi
fuse_umount
repair_clean "$IMG"

# ------------------------------------------------------------------ kernel caches
# Attributes and names are cached for a day (doc/options.md "Kernel
# caches"): what the daemon changes behind the kernel's back it must
# invalidate.  Last close trims the speculative preallocation past EOF: a
# stat of the open file counted it, the kernel must not keep that count.
fuse_mount "$IMG"
TRIM=$(python3 -c "
import os, time
p = '$MNT/prealloc'
with open(p, 'wb') as f:
    for _ in range(64):
        f.write(b'x' * 65536)
    f.flush()
    before = os.stat(p).st_blocks
time.sleep(0.3)  # RELEASE is asynchronous
print(before, os.stat(p).st_blocks)")
check "open file counts preallocation past EOF ($TRIM)" test "${TRIM% *}" -gt 8192
check_eq "last close: the kernel sees the trimmed st_blocks" 8192 "${TRIM#* }"
check_eq "a new name is found at once (negative entries dropped by create)" ok \
	"$(stat "$MNT/later" 2>/dev/null || { : >"$MNT/later" && stat -c ok "$MNT/later"; })"
fuse_umount
fuse_mount "$IMG" -o attr_timeout=0,entry_timeout=0
check_eq "attr_timeout=0 mounts and serves" 8192 "$(stat -c %b "$MNT/prealloc")"
fuse_umount
repair_clean "$IMG"

# ------------------------------------------------------------------ read-only
SUM=$(md5sum <"$IMG")
fuse_mount "$IMG" -o ro
check "ro: mount table says ro" grep -q "^$IMG $MNT fuse.xfsfuse ro," /proc/mounts
check_eq "ro: reads" "hel" "$(cat "$MNT/dir/hello")"
if touch "$MNT/newfile" 2>"$TMP/out"; then fail "ro: touch succeeded"; else pass; fi
check_out "ro: EROFS" "Read-only file system"
if mkdir "$MNT/newdir" 2>"$TMP/out"; then fail "ro: mkdir succeeded"; else pass; fi
check_out "ro: mkdir EROFS" "Read-only file system"
if sh -c "echo x >> '$MNT/dir/hello'" 2>"$TMP/out"; then fail "ro: append succeeded"; else pass; fi
check_out "ro: write EROFS" "Read-only file system"
fuse_umount
check_eq "ro: image unchanged" "$SUM" "$(md5sum <"$IMG")"

# ------------------------------------------------------------------ signals
fuse_mount "$IMG"
echo data >"$MNT/by-sigterm"
kill -TERM "$DAEMON_PID"
RC=0
wait "$DAEMON_PID" || RC=$?
DAEMON_PID=
check_eq "SIGTERM: daemon exits 0" 0 "$RC"
check_fails "SIGTERM: unmounted" mountpoint -q "$MNT"
repair_clean "$IMG"
fuse_mount "$IMG"
check_eq "SIGTERM: data kept" data "$(cat "$MNT/by-sigterm")"
check "fusermount3 -u" fusermount3 -u "$MNT"
RC=0
wait "$DAEMON_PID" || RC=$?
DAEMON_PID=
check_eq "fusermount3 -u: daemon exits 0" 0 "$RC"
repair_clean "$IMG"

# ------------------------------------------------------------------ mount(8)
# mount(8) runs mount.fuse3, which runs `xfsfuse IMAGE MNT -o opts` through
# /bin/sh with no PATH (so the default /usr/local/sbin:/usr/local/bin:...).
# A private mount namespace puts this build first without touching the system.
mkdir -p "$TMP/sbin"
ln -s "$XFSFUSE" "$TMP/sbin/xfsfuse"
# The new namespace copies every mount, FUSE mounts of other tests too, and
# the root here is private: a copy keeps such a connection alive after its
# owner unmounts it, and that daemon would never exit (it hung test_race
# once while another namespace lived).  So the namespace drops its copies.
cat >"$TMP/ns-setup.sh" <<'EOF'
awk '$3 ~ /^fuse/ {print $2}' /proc/self/mounts | while read -r m; do umount -l "$m"; done
EOF
echo "mount --bind '$TMP/sbin' /usr/local/sbin" >>"$TMP/ns-setup.sh"
cat >"$TMP/mount-test.sh" <<EOF
set -e
. "$TMP/ns-setup.sh"
mount -t fuse.xfsfuse "$IMG" "$MNT" -o ro
grep -q "^$IMG $MNT fuse.xfsfuse ro," /proc/mounts
test "\$(cat "$MNT/by-sigterm")" = data
umount "$MNT"
flock -w 30 "$IMG" true
echo "$IMG $MNT fuse.xfsfuse rw,noatime,nofail,noauto 0 0" > "$TMP/fstab"
mount --fstab "$TMP/fstab" "$MNT"
grep -q "^$IMG $MNT fuse.xfsfuse rw,noatime" /proc/mounts
echo fstab > "$MNT/by-fstab"
umount "$MNT"
flock -w 30 "$IMG" true
if mount -t fuse.xfsfuse "$TMP/random.img" "$MNT" 2>"$TMP/mount-refused"; then exit 1; fi
grep -q "^xfsfuse: " "$TMP/mount-refused"
EOF
check "mount -t fuse.xfsfuse, fstab line, refusal through mount(8)" \
	unshare -m --propagation private bash "$TMP/mount-test.sh"
repair_clean "$IMG"

# ------------------------------------------------------------------ remount
# mount -o remount,ro|rw (fstests generic/306): mount.fuse3 runs xfsfuse with
# "remount"; xfsfuse asks the daemon to write back and checkpoint, then
# remounts through the kernel (src/remount.c).  Writes then fail with EROFS,
# the mount's other flags stay, rw comes back, and a daemon started
# read-only goes read-write (test_remount.sh has the details).
cat >"$TMP/remount-test.sh" <<EOF
set -e
. "$TMP/ns-setup.sh"
mount -t fuse.xfsfuse "$IMG" "$MNT" -o nosuid
echo before > "$MNT/remounted"
mount -o remount,ro "$MNT"
grep -q "^$IMG $MNT fuse.xfsfuse ro,nosuid," /proc/mounts
if echo no > "$MNT/remount-no" 2>/dev/null; then exit 1; fi
test "\$(getfattr --only-values -n xfsfuse.sync "$MNT")" -ge 1
test "\$(cat "$MNT/remounted")" = before
mount -o remount,rw "$MNT"
grep -q "^$IMG $MNT fuse.xfsfuse rw,nosuid," /proc/mounts
echo after >> "$MNT/remounted"
umount "$MNT"
flock -w 30 "$IMG" true
mount -t fuse.xfsfuse "$IMG" "$MNT" -o ro
test "\$(getfattr --only-values -n xfsfuse.mode "$MNT")" = ro
mount -o remount,rw "$MNT"
test "\$(getfattr --only-values -n xfsfuse.mode "$MNT")" = rw
echo from-ro >> "$MNT/remounted"
umount "$MNT"
flock -w 30 "$IMG" true
EOF
check "mount -o remount,ro and back, through mount(8)" \
	unshare -m --propagation private bash "$TMP/remount-test.sh"
# Read-only means quiesced: a kill right after remount,ro loses nothing.
fuse_mount "$IMG" -o log_interval=0
echo durable >"$MNT/remount-kill"
check "remount,ro (as mount.fuse3 runs it)" "$XFSFUSE" "$IMG" "$MNT" -o remount,ro
kill -KILL "$DAEMON_PID"
{ wait "$DAEMON_PID"; } 2>/dev/null || true
DAEMON_PID=
umount "$MNT" 2>/dev/null || umount -l "$MNT"
check "remount,ro then kill: recover" "$XFSFUSE" --recover "$IMG"
mount -o loop,ro "$IMG" "$KMNT"
check_eq "remount,ro then kill: the kernel reads the file" durable "$(cat "$KMNT/remount-kill" 2>&1)"
check_eq "... and the earlier one" "before after from-ro" "$(cat "$KMNT/remounted" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
umount "$KMNT"
repair_clean "$IMG"

# ------------------------------------------------------------------ unclean image
# SIGKILL leaves a dirty log (doc/log.md): a read-only mount of an image it
# cannot write is refused with the command to run; one it can write replays
# the log first, as the kernel's XFS does, and so does a read-write mount;
# the image is clean after it.
kill_and_detach() {
	kill -KILL "$DAEMON_PID"
	{ wait "$DAEMON_PID"; } 2>/dev/null || true
	DAEMON_PID=
	umount "$MNT" 2>/dev/null || umount -l "$MNT"
}
fuse_mount "$IMG"
kill_and_detach
RODIR=$TMP/rodir
mkdir -p "$RODIR" && mount --bind "$(dirname "$IMG")" "$RODIR" && mount -o remount,bind,ro "$RODIR"
check_fails "killed daemon: read-only mount of a read-only image refused" \
	"$XFSFUSE" -o ro "$RODIR/$(basename "$IMG")" "$MNT"
umount "$RODIR"
check_out "killed daemon: reason names the recovery" "xfsfuse --recover"
check_fails "killed daemon: nothing mounted" mountpoint -q "$MNT"
fuse_mount "$IMG" -o ro
check "killed daemon: read-only mount replays the log" mountpoint -q "$MNT"
fuse_umount
repair_clean "$IMG"
fuse_mount "$IMG"
kill_and_detach
fuse_mount "$IMG"
check "killed daemon: read-write mount replays the log" mountpoint -q "$MNT"
fuse_umount
repair_clean "$IMG"

# ------------------------------------------------------------------ corruption
# An inode that fails verification: EIO for it (EUCLEAN never reaches
# applications), its siblings still listed and readable, one log line.
CIMG=$TMP/corrupt.img
mkimage "$CIMG"
fuse_mount "$CIMG"
mkdir "$MNT/d"
for i in $(seq 200); do echo "$i" >"$MNT/d/f$i"; done
BADINO=$(stat -c %i "$MNT/d/f200")
fuse_umount
check "corrupt one inode with xfs_db" xfs_db -x -c "inode $BADINO" -c "write -d core.magic 0" "$CIMG"
: >"$TMP/daemon.log"
fuse_mount "$CIMG"
if stat "$MNT/d/f200" 2>"$TMP/out"; then fail "corrupt inode: stat succeeded"; else pass; fi
check_out "corrupt inode: EIO" "Input/output error"
check_eq "corrupt inode: siblings listed (readdirplus)" 200 "$(ls -l "$MNT/d" 2>/dev/null | grep -c ' f[0-9]')"
check_eq "corrupt inode: siblings readable" 17 "$(cat "$MNT/d/f17")"
fuse_umount
check_eq "corrupt inode: logged once" 1 "$(grep -c "inode $BADINO: metadata corruption" "$TMP/daemon.log")"
check_fails "corrupt inode: xfs_repair -n reports it" xfs_repair -n "$CIMG"

# ------------------------------------------------------------------ setuid on write
# A write by a user without CAP_FSETID drops setuid, and setgid when group
# execute is set or the writer is not in the file's group (file_remove_privs;
# setattr_should_drop_sgid since Linux 6.2).  The kernel does it for cached
# writes; direct-I/O writes (cache=none, O_DIRECT) and fallocate reach the
# daemon without it (generic/683-685: fallocate, punch, zero range).
PIMG=$TMP/privs.img
mkimage "$PIMG"
chmod 755 "$TMP" # the unprivileged writer must reach the mount point
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
for mode in cache=none cache=kernel; do
	fuse_mount "$PIMG" -o "$mode,allow_other"
	for f in suid sgid sgid_noexec sgid_mygroup fa_sgid punch_sgid zero_sgid fa_mygroup; do
		: >"$MNT/$f"
	done
	chmod 06777 "$MNT/suid"
	chmod 02777 "$MNT/sgid"
	chmod 02767 "$MNT/sgid_noexec"
	chgrp 65534 "$MNT/sgid_mygroup" "$MNT/fa_mygroup"
	chmod 02766 "$MNT/sgid_mygroup" "$MNT/fa_mygroup" "$MNT/fa_sgid" "$MNT/punch_sgid" "$MNT/zero_sgid"
	for f in suid sgid sgid_noexec sgid_mygroup; do
		as_nobody dd if=/dev/zero of="$MNT/$f" bs=4096 count=1 oflag=direct conv=notrunc status=none ||
			fail "$mode: unprivileged write to $f"
	done
	check_eq "$mode: unprivileged write drops setuid and setgid" 777 "$(stat -c %a "$MNT/suid")"
	check_eq "$mode: setgid with group execute dropped" 777 "$(stat -c %a "$MNT/sgid")"
	check_eq "$mode: setgid without group execute, writer not in the group: dropped" 767 \
		"$(stat -c %a "$MNT/sgid_noexec")"
	check_eq "$mode: setgid without group execute, writer in the group: kept" 2766 \
		"$(stat -c %a "$MNT/sgid_mygroup")"
	as_nobody fallocate -o 0 -l 8192 "$MNT/fa_sgid" || fail "$mode: unprivileged fallocate"
	as_nobody fallocate -p -o 0 -l 4096 "$MNT/punch_sgid" || fail "$mode: unprivileged punch"
	as_nobody fallocate -z -o 0 -l 4096 "$MNT/zero_sgid" || fail "$mode: unprivileged zero range"
	as_nobody fallocate -o 0 -l 8192 "$MNT/fa_mygroup" || fail "$mode: fallocate in the group"
	check_eq "$mode: fallocate drops setgid (generic/683)" 766 "$(stat -c %a "$MNT/fa_sgid")"
	check_eq "$mode: punch hole drops setgid (generic/684)" 766 "$(stat -c %a "$MNT/punch_sgid")"
	check_eq "$mode: zero range drops setgid (generic/685)" 766 "$(stat -c %a "$MNT/zero_sgid")"
	check_eq "$mode: fallocate by a group member keeps setgid" 2766 "$(stat -c %a "$MNT/fa_mygroup")"
	chmod 06777 "$MNT/suid"
	dd if=/dev/zero of="$MNT/suid" bs=4096 count=1 oflag=direct conv=notrunc status=none
	check_eq "$mode: root's write keeps them" 6777 "$(stat -c %a "$MNT/suid")"
	fuse_umount
done
repair_clean "$PIMG"

# ------------------------------------------------------------------ the largest file
# s_maxbytes is 2^63 - 1, as on the kernel's XFS: truncates and writes in the
# last 4 KiB below it succeed (they met EIO and short writes), past it EINVAL.
fuse_mount "$PIMG"
for s in 9223372036854775807 9223372036854771712 9223372036854774000; do
	check "truncate to $s" truncate -s "$s" "$MNT/big$s"
	check_eq "size $s" "$s" "$(stat -c %s "$MNT/big$s")"
done
check_eq "writes in the last 4 KiB below the maximum, as the kernel" "50 50 EINVAL xxxxx" "$(python3 -c "
import os, errno
fd = os.open('$MNT/maxw', os.O_CREAT | os.O_RDWR, 0o644)
out = []
for off in ((1 << 63) - 4097, (1 << 63) - 101, (1 << 63) - 2):
    try:
        out.append(str(os.pwrite(fd, b'x' * 50, off)))
    except OSError as e:
        out.append(errno.errorcode[e.errno])
out.append(os.pread(fd, 5, (1 << 63) - 101).decode())
print(' '.join(out))
")"
fuse_umount
repair_clean "$PIMG"

# ------------------------------------------------------------------ on-disk limits
# Name, symlink, xattr name and value limits: the same probes on xfsfuse and
# on the kernel's XFS give the same answers.
LIMG=$TMP/limits.img
mkimage "$LIMG"
cp --sparse=always "$LIMG" "$LIMG.k"
mount -o loop "$LIMG.k" "$KMNT"
LIMITS_KERNEL=$(python3 "$(dirname "$0")/limits.py" "$KMNT")
umount "$KMNT"
fuse_mount "$LIMG"
check_eq "on-disk limits as the kernel's" "$LIMITS_KERNEL" "$(python3 "$(dirname "$0")/limits.py" "$MNT")"
fuse_umount
repair_clean "$LIMG"

DONE=1
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
