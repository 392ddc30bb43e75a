#!/bin/bash
# The main job: install what is missing, build and install xfsfuse, make a
# default image with xfsfuse-mkimage, mount it read-write through FUSE, show
# operations working, unmount, and check the image with xfs_repair -n and the
# kernel's XFS (read-only loop mount, as an oracle).  Ends with the showcase:
# xfsfuse-race with validation off (corruption found) and on (none).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash scripts/build.sh

WORK="${XFSFUSE_DEMO_DIR:-/tmp/xfsfuse-demo}"
IMG="$WORK/demo.img"
MNT="$WORK/mnt"
mkdir -p "$WORK" "$MNT"
mountpoint -q "$MNT" && umount "$MNT"
rm -f "$IMG"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "make a 512 MiB XFS v5 image (sparse) with xfsfuse-mkimage"
run xfsfuse-mkimage --size 512M "$IMG"

step "mount it read-write through FUSE"
xfsfuse -f "$IMG" "$MNT" &
PID=$!
for _ in $(seq 100); do mountpoint -q "$MNT" && break; sleep 0.1; done
run df -h "$MNT"

step "namespace, data, xattrs"
run mkdir -p "$MNT/projects/xfs"
run sh -c "echo 'hello from xfsfuse' > '$MNT/projects/xfs/hello.txt'"
run cp /etc/services "$MNT/projects/services"
run ln -s xfs/hello.txt "$MNT/projects/link"
run setfattr -n user.comment -v "written through libxfs" "$MNT/projects/xfs/hello.txt"
run mv "$MNT/projects/services" "$MNT/projects/xfs/services"
run ls -lR "$MNT/projects"
run getfattr -d "$MNT/projects/xfs/hello.txt"
run stat -c '%n: %s bytes, inode %i, mode %a' "$MNT/projects/xfs/services"
echo "(the kernel refuses the image while xfsfuse has it:)"
mount -o loop,ro "$IMG" /mnt 2>&1 | sed 's/^/  /' || true

step "unmount (xfsfuse writes everything back and clears the in-progress mark)"
run umount "$MNT"
wait "$PID"

step "oracle 1: xfs_repair -n"
run xfs_repair -n "$IMG" >/dev/null 2>&1 && echo "xfs_repair -n: clean"

step "oracle 2: the kernel's XFS reads the same files"
KMNT="$WORK/kmnt"
mkdir -p "$KMNT"
mount -o loop,ro "$IMG" "$KMNT"
cmp /etc/services "$KMNT/projects/xfs/services" && echo "kernel: services identical"
cat "$KMNT/projects/xfs/hello.txt"
getfattr -d "$KMNT/projects/xfs/hello.txt" 2>/dev/null | grep user.comment
umount "$KMNT"

step "showcase: the 2022 stale-iomap corruption (doc/race.md), off then on"
echo "Racing adjacent writers over unwritten extents, 1 KiB blocks, 4 KiB folios,"
echo "aggressive reclaim, 1 ms writeback, small injected delays; every byte checked,"
echo "again after a remount, then xfs_repair -n.  Each run: ${SHOWCASE_SECONDS:=20} s."
race_line() {
	printf '$ xfsfuse-race %s\n' "$*"
	RACE_LAST=$(xfsfuse-race "$@" -q | tail -n 1) || true
	echo "$RACE_LAST"
}
field() { sed -n "s/.* $1=\([0-9a-z]*\).*/\1/p" <<<"$2"; }
race_line --validate=off --seconds "$SHOWCASE_SECONDS"
OFF=$RACE_LAST
race_line --validate=on --seconds "$SHOWCASE_SECONDS"
ON=$RACE_LAST
echo
echo "validation off (before Linux 6.2): corruption found: $(field corrupt_blocks "$OFF") blocks" \
	"(repair: $(field repair "$OFF"))"
echo "validation on  (Linux 6.2 fix):    corruption found: $(field corrupt_blocks "$ON") blocks;" \
	"stale mappings caught and redone: $(field stale_iomaps "$ON") (repair: $(field repair "$ON"))"
echo
echo "demo: done (image kept at $IMG)"
