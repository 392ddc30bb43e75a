#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# renameat2(RENAME_WHITEOUT), overlayfs's rename, against the kernel's XFS as
# the oracle: the same probe runs on a kernel loop mount and on xfsfuse and
# must print the same (the whiteout left at the old name: a character device
# 0:0, mode 0, one link, the caller's; the moved file's bytes; over an
# existing target, with NOREPLACE, a directory to another parent, the flag
# and error rules, an unprivileged caller).  Then: no inode left on an AGI
# unlinked list, xfs_repair -n clean, and the kernel reading the xfsfuse
# image gives the tree the kernel made itself.  Last, a whiteout rename
# fsynced before the daemon is killed survives log recovery (xfsfuse
# --recover and the kernel's own on a copy agree).
#
# usage: test_whiteout.sh [path/to/xfsfuse]      (needs root and /dev/fuse)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
. "$HERE/crash_lib.sh"
XFSFUSE=$(realpath "${1:-build/src/xfsfuse}")

# renameat2 is called by number (Python has no binding): x86_64 only.
if [ "$(uname -m)" != x86_64 ]; then
	echo "SKIP: the probe calls renameat2 as syscall 316 (x86_64)"
	exit 77
fi
lib_init whiteout
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"
IMG="$WORK/img"
KIMG="$WORK/kimg"

cat >"$WORK/probe.py" <<'PY'
import ctypes, errno, hashlib, os, stat, sys

libc = ctypes.CDLL(None, use_errno=True)
SYS_renameat2, AT_FDCWD = 316, -100
NOREPLACE, EXCHANGE, WHITEOUT = 1, 2, 4


def rename2(a, b, flags):
    """renameat2(AT_FDCWD, a, AT_FDCWD, b, flags): "ok" or the errno's name."""
    r = libc.syscall(ctypes.c_long(SYS_renameat2), ctypes.c_long(AT_FDCWD),
                     ctypes.c_char_p(a.encode()), ctypes.c_long(AT_FDCWD),
                     ctypes.c_char_p(b.encode()), ctypes.c_long(flags))
    return "ok" if r == 0 else errno.errorcode.get(ctypes.get_errno(), "?")


def describe(p):
    """Everything but inode numbers and times, which differ by design."""
    st = os.lstat(p)
    line = (f"{stat.filemode(st.st_mode)} {oct(st.st_mode)} nlink={st.st_nlink} "
            f"uid={st.st_uid} gid={st.st_gid} size={st.st_size}")
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        line += f" rdev={os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    if stat.S_ISREG(st.st_mode):
        with open(p, "rb") as f:
            line += " md5=" + hashlib.md5(f.read()).hexdigest()
    return line


class Dirent(ctypes.Structure):
    _fields_ = [("d_ino", ctypes.c_uint64), ("d_off", ctypes.c_int64),
                ("d_reclen", ctypes.c_ushort), ("d_type", ctypes.c_ubyte),
                ("d_name", ctypes.c_char * 256)]


libc.opendir.restype = ctypes.c_void_p
libc.readdir.restype = ctypes.POINTER(Dirent)
libc.readdir.argtypes = libc.closedir.argtypes = [ctypes.c_void_p]


def dtypes(d):
    """readdir's d_type of each name (Python does not show it)."""
    out, dirp = {}, libc.opendir(d.encode())
    while True:
        e = libc.readdir(dirp)
        if not e:
            break
        out[e.contents.d_name.decode()] = e.contents.d_type
    libc.closedir(dirp)
    return out


def tree(root):
    """The whole tree, sorted, readdir's d_type beside stat's type."""
    out = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        types = dtypes(d)
        for name in sorted(dirs + files):
            p = os.path.join(d, name)
            out.append(f"{os.path.relpath(p, root)} d_type={types[name]} {describe(p)}")
    return out


if sys.argv[1] == "--tree":
    print("\n".join(tree(sys.argv[2])))
    sys.exit(0)

d = sys.argv[1]
os.chdir(d)
os.umask(0o022)
os.mkdir("A")
os.mkdir("B")
with open("A/f", "wb") as f:
    f.write(b"whiteout-me" * 5000)
print("plain:", rename2("A/f", "B/g", WHITEOUT))
print("A/f:", describe("A/f"), "B/g:", describe("B/g"))
print("A:", describe("A"), sorted(os.listdir("A")))
# Over an existing target; then a whiteout renamed with a whiteout.
open("B/victim", "w").close()
print("over a file:", rename2("B/g", "B/victim", WHITEOUT))
print("B:", sorted(os.listdir("B")), "B/g:", describe("B/g"))
print("a whiteout moved:", rename2("A/f", "A/f2", WHITEOUT), describe("A/f"), describe("A/f2"))
# NOREPLACE | WHITEOUT: the name must be free.
print("noreplace, taken:", rename2("B/victim", "A/f", NOREPLACE | WHITEOUT))
print("noreplace, free:", rename2("B/victim", "A/moved", NOREPLACE | WHITEOUT))
# The flag rules (do_renameat2) and the errors of a plain rename.
print("exchange|whiteout:", rename2("A/moved", "B/g", EXCHANGE | WHITEOUT))
print("unknown flag:", rename2("A/moved", "B/new", WHITEOUT | 8))
print("no source:", rename2("A/none", "B/new", WHITEOUT))
print("file over dir:", rename2("A/moved", "B", WHITEOUT))
# A directory to another parent: "..", both parents' link counts.
os.makedirs("A/dir/sub")
open("A/dir/inner", "w").close()
print("dir:", rename2("A/dir", "B/dir", WHITEOUT), describe("A"), describe("B"),
      os.path.samestat(os.stat("B/dir/.."), os.stat("B")))
os.mkdir("A/full")
open("A/full/x", "w").close()
print("dir over non-empty dir:", rename2("B/dir", "A/full", WHITEOUT))
# An unprivileged caller (no CAP_MKNOD): the whiteout is its own.
os.mkdir("pub", 0o777)
os.chmod("pub", 0o777)
pid = os.fork()
if pid == 0:
    os.setgid(65534)
    os.setuid(65534)
    open("pub/mine", "w").close()
    print("unprivileged:", rename2("pub/mine", "pub/moved", WHITEOUT), describe("pub/mine"),
          flush=True)
    os._exit(0)
os.waitpid(pid, 0)
print("\n".join(tree(".")))
PY

# The kernel's answers first, then its view of the tree it left.
truncate -s 512M "$KIMG" && mkfs.xfs -q "$KIMG" || exit 1
mount -o loop "$KIMG" "$KMNT" || exit 1
python3 "$WORK/probe.py" "$KMNT" >"$WORK/kernel.out" 2>&1
umount "$KMNT"
loop_released "$KIMG"
mount -o loop,ro "$KIMG" "$KMNT" || exit 1
python3 "$WORK/probe.py" --tree "$KMNT" >"$WORK/kernel.tree" 2>&1
umount "$KMNT"
loop_released "$KIMG"
check "the kernel's XFS makes whiteouts" grep -q '^plain: ok' "$WORK/kernel.out"

truncate -s 512M "$IMG" && mkfs.xfs -q "$IMG" || exit 1
# allow_other: the unprivileged caller is not the mounter.
check_mount "$IMG" allow_other || lib_finish
python3 "$WORK/probe.py" "$MNT" >"$WORK/fuse.out" 2>&1
if cmp -s "$WORK/kernel.out" "$WORK/fuse.out"; then
	ok
else
	bad "probe: xfsfuse differs from the kernel's XFS (< kernel, > xfsfuse)"
	diff "$WORK/kernel.out" "$WORK/fuse.out" | sed 's/^/    /' >&2
fi
sed 's/^/    /' "$WORK/fuse.out"
check_eq "the whiteout, as stat and readdir see it" \
	"c--------- 0o20000 nlink=1 uid=0 gid=0 size=0 rdev=0:0" \
	"$(sed -n 's/^A\/f d_type=2 //p' "$WORK/fuse.out")" # DT_CHR
check_unmount
check_eq "no inode left on an AGI unlinked list" "" "$(unlinked_buckets "$IMG")"
repair_clean "$IMG" && ok || bad "xfs_repair -n"
loop_released "$IMG"
if mount -o loop,ro "$IMG" "$KMNT"; then
	python3 "$WORK/probe.py" --tree "$KMNT" >"$WORK/fuse.tree" 2>&1
	umount "$KMNT"
	loop_released "$IMG"
	if cmp -s "$WORK/kernel.tree" "$WORK/fuse.tree"; then
		ok
	else
		bad "kernel: the xfsfuse image's tree differs (< kernel's own, > xfsfuse's)"
		diff "$WORK/kernel.tree" "$WORK/fuse.tree" | sed 's/^/    /' >&2
	fi
else
	bad "kernel mount (oracle)"
fi

# A whiteout rename, the moved file and both directories fsynced, then the
# daemon dies: the log holds the rename; recovery gives the whiteout.
check_mount "$IMG" || lib_finish
python3 - "$MNT" "$WORK/done" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
d = sys.argv[1]
os.mkdir(f"{d}/C")
with open(f"{d}/C/src", "wb") as f:
    f.write(b"crash" * 20000)
    f.flush()
    os.fsync(f.fileno())
r = libc.syscall(ctypes.c_long(316), ctypes.c_long(-100), ctypes.c_char_p(f"{d}/C/src".encode()),
                 ctypes.c_long(-100), ctypes.c_char_p(f"{d}/B/crashed".encode()), ctypes.c_long(4))
for p in (f"{d}/C", f"{d}/B", f"{d}/B/crashed"):
    fd = os.open(p, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
open(sys.argv[2], "w").write(f"{r}\n")
PY
check_eq "crash: the whiteout rename" 0 "$(cat "$WORK/done" 2>/dev/null)"
kill_daemon
recover_and_compare crash "$IMG"
check_eq "crash: recovery left no AGI unlinked entry" "" "$(unlinked_buckets "$IMG")"
check "crash: the whiteout after recovery" grep -qx 'C/src 20000 1' "$WORK/tree.xfsfuse"
check "crash: the moved file after recovery" grep -q '^B/crashed 100644 1 100000 ' "$WORK/tree.xfsfuse"
lib_finish
