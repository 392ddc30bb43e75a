#!/bin/bash
# Idle inodes give their libxfs copy back (doc/backend.md "Idle inodes"):
# with -o inode_cache=N, a tree the kernel holds keeps at most about N
# libxfs copies loaded; every later request on a released inode reads it
# again and sees exactly what it left (contents, modes, owners, xattrs,
# sizes, links); a released regular file gives back its vfs_inode too;
# changes made through released inodes reach the image,
# which passes xfs_repair -n and reads the same on the kernel's XFS.
# Needs root, /dev/fuse, python3, getfattr, mkfs.xfs, xfs_repair.
#   usage: test_idle_inodes.sh XFSFUSE
set -uo pipefail
XFSFUSE="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
lib_init idle_inodes
IMG="$WORK/img"
NFILES=3000
KEEP=64

counter() {
	getfattr --only-values -n xfsfuse.counters "$MNT" 2>/dev/null |
		awk -v n="$1" '$1 == n { print $2 }'
}

# tree.py make|check|mutate|checkmut ROOT N: the tree, and what it must read.
TREE='
import os, sys
op, root, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def path(i):
    return os.path.join(root, "d%d" % (i % 7), "f%05d" % i)
def content(i, mutated=False):
    base = ("file %d\n" % i).encode() * (1 + i % 13)
    return base + (b"appended %d\n" % i if mutated and i % 5 == 0 else b"")
bad = 0
def fail(msg):
    global bad
    bad += 1
    if bad <= 10:
        print(msg)
if op == "make":
    for d in range(7):
        os.makedirs(os.path.join(root, "d%d" % d), exist_ok=True)
    for i in range(n):
        with open(path(i), "wb") as f:
            f.write(content(i))
        os.chmod(path(i), 0o600 + (i % 64))
        if i % 3 == 0:
            os.setxattr(path(i), "user.idx", str(i).encode())
elif op == "check" or op == "checkmut":
    mut = op == "checkmut"
    for i in range(n):
        p = path(i)
        if mut and i % 11 == 0:
            if os.path.exists(p):
                fail("%s: unlinked, still there" % p)
            continue
        if mut and i % 17 == 0:
            p = p + ".renamed"
        try:
            st = os.stat(p)
            data = open(p, "rb").read()
        except OSError as e:
            fail("%s: %s" % (p, e))
            continue
        want = content(i, mut)
        if data != want:
            fail("%s: %d bytes, want %d" % (p, len(data), len(want)))
        mode = (0o600 + (i % 64)) ^ (0o004 if mut and i % 2 == 0 else 0)
        if st.st_mode & 0o7777 != mode:
            fail("%s: mode %o, want %o" % (p, st.st_mode & 0o7777, mode))
        if mut and i % 19 == 0 and (st.st_uid, st.st_gid) != (1000 + i % 5, 2000):
            fail("%s: owner %d:%d" % (p, st.st_uid, st.st_gid))
        if mut and i % 23 == 0 and st.st_nlink != 2:
            fail("%s: nlink %d, want 2" % (p, st.st_nlink))
        if i % 3 == 0:
            try:
                v = os.getxattr(p, "user.idx")
            except OSError as e:
                v = repr(e).encode()
            if v != str(i).encode():
                fail("%s: user.idx %r" % (p, v))
        if mut and i % 7 == 0:
            try:
                v = os.getxattr(p, "user.mut")
            except OSError as e:
                v = repr(e).encode()
            if v != b"m%d" % i:
                fail("%s: user.mut %r" % (p, v))
elif op == "mutate":
    for i in range(n):
        p = path(i)
        if i % 5 == 0:
            with open(p, "ab") as f:
                f.write(b"appended %d\n" % i)
        if i % 2 == 0:
            os.chmod(p, (0o600 + (i % 64)) ^ 0o004)
        if i % 7 == 0:
            os.setxattr(p, "user.mut", b"m%d" % i)
        if i % 19 == 0:
            os.chown(p, 1000 + i % 5, 2000)
        if i % 23 == 0:
            os.link(p, p + ".link")
        if i % 11 == 0:
            os.unlink(p)
            if i % 23 == 0:
                os.unlink(p + ".link")
        elif i % 17 == 0:
            os.rename(p, p + ".renamed")
            if i % 23 == 0:
                os.rename(p + ".link", p + ".renamed.link")
print("%d wrong" % bad)
sys.exit(1 if bad else 0)
'
tree() { python3 -c "$TREE" "$@"; }
# pin ROOT N: O_PATH descriptors on the whole tree, held until killed.
# They keep the kernel's dentries in use (no OPEN reaches us: the inodes
# stay idle), so that a drop_caches by a test running beside this one
# cannot make the kernel forget them (FORGET frees an inode outright).
PIN='
import os, resource, signal, sys
root, n = sys.argv[1], int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
fds = [os.open(os.path.join(root, "d%d" % (i % 7), "f%05d" % i), os.O_PATH) for i in range(n)]
signal.alarm(600)  # never outlive a test that died without unpin
print("pinned", flush=True)
signal.pause()
'
PIN_PID=
pin() {
	python3 -c "$PIN" "$@" >"$WORK/pin.out" &
	PIN_PID=$!
	for _ in $(seq 100); do grep -q pinned "$WORK/pin.out" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
unpin() { [ -n "$PIN_PID" ] && kill "$PIN_PID" && wait "$PIN_PID" 2>/dev/null; PIN_PID=; }

truncate -s 512M "$IMG"
mkfs.xfs -q -f "$IMG"

# ---- a tree the kernel holds: at most about KEEP libxfs copies stay loaded.
# The kernel keeps every name and inode (long timeouts, no memory pressure):
# what reaches the daemon is what it cannot answer itself (open, xattrs,
# changes), each on an inode that is, by then, mostly released.
check_mount "$IMG" "inode_cache=$KEEP" || lib_finish
check "make $NFILES files" tree make "$MNT" "$NFILES"
check "pin the tree (O_PATH)" pin "$MNT" "$NFILES"
# dirty_expire (3 s): written back, clean, then released by reclaim's
# shrinker (once a second); a sanitizer build may take longer.
for _ in $(seq 60); do
	[ "$(counter inodes_loaded)" -le $((KEEP + 16)) ] && break
	sleep 0.5
done
loaded=$(counter inodes_loaded)
released=$(counter inodes_released)
check "inodes_loaded ($loaded) at most inode_cache + a few busy ones" test "$loaded" -le $((KEEP + 16))
check "inodes_released ($released) >= files - inode_cache" test "$released" -ge $((NFILES - KEEP))
vfs_released=$(counter inodes_vfs_released)
check "inodes_vfs_released ($vfs_released) >= files - inode_cache: the engine's vfs_inode went too" \
	test "$vfs_released" -ge $((NFILES - KEEP))
cached=$(counter cache_charged_bytes)
echo "charged: $cached bytes for $NFILES files, $KEEP loaded"
check "charged memory ($cached bytes) under 250 bytes per idle file" \
	test "$cached" -lt $((NFILES * 250 + KEEP * 1200))

# ---- every request on a released inode loads it again and sees the same
reloaded0=$(counter inodes_reloaded)
check "released inodes read back (stat, data, xattrs)" tree check "$MNT" "$NFILES"
reloaded=$(counter inodes_reloaded)
check "inodes_reloaded moved by >= files - inode_cache ($reloaded0 -> $reloaded)" \
	test "$reloaded" -ge $((reloaded0 + NFILES - KEEP))

# ---- changes through released inodes: append, chmod, chown, xattr, link, unlink, rename
check "mutate through released inodes" tree mutate "$MNT" "$NFILES"
check "mutations read back on the mount" tree checkmut "$MNT" "$NFILES"
unpin
check_unmount "inode_cache=$KEEP"
check "xfs_repair -n" repair_clean "$IMG"

# ---- the kernel's XFS reads the same
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"
if mount -o ro,loop "$IMG" "$KMNT"; then
	check "the kernel's XFS reads the mutated tree" tree checkmut "$KMNT" "$NFILES"
	umount "$KMNT"
else
	bad "kernel mount of the image"
fi

# ---- inode_cache=0: every idle inode goes at once; the tree still reads the same
check_mount "$IMG" "inode_cache=0,attr_timeout=0" || lib_finish
check "inode_cache=0: the tree reads back" tree checkmut "$MNT" "$NFILES"
loaded=$(counter inodes_loaded)
check "inode_cache=0: inodes_loaded ($loaded) only the busy ones" test "$loaded" -le 16
check_unmount "inode_cache=0"
check "xfs_repair -n after inode_cache=0" repair_clean "$IMG"
lib_finish
