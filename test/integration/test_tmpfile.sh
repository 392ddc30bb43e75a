#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# O_TMPFILE (FUSE_TMPFILE: Linux 6.1+, libfuse 3.17+), against the kernel's
# XFS as the oracle: the same probe runs on a kernel loop mount and on
# xfsfuse and must print the same (nameless file with nlink 0, mode after the
# umask, linkat through /proc/self/fd naming it, O_EXCL forbidding that, a
# default ACL inherited, unnamed tmpfiles gone on close).  Then: after
# unmount no AGI unlinked bucket holds an inode, xfs_repair -n is clean, the
# kernel reads the linked files' bytes; and a tmpfile still open (fsynced)
# when the daemon is killed is freed by log recovery (xfsfuse --recover, and
# the kernel's own on a copy).
#
# usage: test_tmpfile.sh [path/to/xfsfuse]      (needs root and /dev/fuse)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
. "$HERE/crash_lib.sh"
XFSFUSE=$(realpath "${1:-build/src/xfsfuse}")

# Where this cannot work, say why and skip (exit 77): a kernel before 6.1, or
# a build told to use the system's libfuse (XFSFUSE_LIBFUSE=system; 3.14 has
# no tmpfile operation).  Any other xfsfuse must pass.
kver=$(uname -r | sed -E 's/^([0-9]+)\.([0-9]+).*/\1 \2/')
if [ "${kver% *}" -lt 6 ] || { [ "${kver% *}" -eq 6 ] && [ "${kver#* }" -lt 1 ]; }; then
	echo "SKIP: kernel $(uname -r) does not send FUSE_TMPFILE (Linux 6.1)"
	exit 77
fi
libfuse=$("$XFSFUSE" --version | sed -n 's/^FUSE library version //p')
if [ "${XFSFUSE_LIBFUSE:-}" = system ] && [ "$(printf '%s\n3.17\n' "$libfuse" | sort -V | head -1)" != 3.17 ]; then
	echo "SKIP: XFSFUSE_LIBFUSE=system: libfuse $libfuse has no tmpfile operation"
	exit 77
fi
lib_init tmpfile
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"
IMG="$WORK/img"
KIMG="$WORK/kimg"

cat >"$WORK/probe.py" <<'PY'
import ctypes, errno, os, sys

d = sys.argv[1]
os.umask(0o022)
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, AT_SYMLINK_FOLLOW = -100, 0x400


def link_fd(fd, dst):
    """linkat(AT_FDCWD, "/proc/self/fd/N", AT_FDCWD, dst, AT_SYMLINK_FOLLOW)"""
    src = f"/proc/self/fd/{fd}".encode()
    if libc.linkat(AT_FDCWD, src, AT_FDCWD, dst.encode(), AT_SYMLINK_FOLLOW) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def tmp(path, flags=os.O_RDWR, mode=0o664):
    return os.open(path, os.O_TMPFILE | flags, mode)


def err(e):
    return errno.errorcode.get(e.errno, str(e.errno))


fd = tmp(d)
os.write(fd, b"tmpdata" * 1000)
st = os.fstat(fd)
print(f"tmpfile: nlink={st.st_nlink} mode={oct(st.st_mode)} size={st.st_size}")
print(f"listed: {sorted(os.listdir(d))}")
link_fd(fd, os.path.join(d, "named"))
print(f"linked: nlink={os.fstat(fd).st_nlink}")
os.write(fd, b"after-link")
os.fsync(fd)
os.close(fd)
st = os.stat(os.path.join(d, "named"))
print(f"named: nlink={st.st_nlink} mode={oct(st.st_mode)} size={st.st_size}")

fd = tmp(d, os.O_RDWR | os.O_EXCL, 0o600)
try:
    link_fd(fd, os.path.join(d, "excl"))
    print("O_EXCL link: ok")
except OSError as e:
    print(f"O_EXCL link: {err(e)}")
os.close(fd)

# Unnamed, written, closed: gone.
for i in range(20):
    fd = tmp(d, os.O_WRONLY, 0o600)
    os.write(fd, b"x" * 100000)
    os.close(fd)
print(f"listed: {sorted(os.listdir(d))}")

# A default ACL of the directory is inherited (xfs_generic_create).
sub = os.path.join(d, "acl")
os.mkdir(sub)
os.system(f"setfacl -d -m u:nobody:rw,g::r,o::-,m::rw '{sub}'")
fd = tmp(sub, os.O_RDWR, 0o666)
link_fd(fd, os.path.join(sub, "inherited"))
os.close(fd)
acl = os.popen(f"getfacl -cp '{sub}/inherited'").read().split()
print(f"inherited: mode={oct(os.stat(os.path.join(sub, 'inherited')).st_mode)} acl={acl}")

# Not in a regular file, nor without write access to the directory.
try:
    tmp(os.path.join(d, "named"))
    print("tmpfile in a file: ok")
except OSError as e:
    print(f"tmpfile in a file: {err(e)}")
ro = os.path.join(d, "ro")
os.mkdir(ro, 0o555)
pid = os.fork()
if pid == 0:
    os.setgid(65534)
    os.setuid(65534)
    try:
        tmp(ro)
        print("tmpfile, no write access: ok", flush=True)
    except OSError as e:
        print(f"tmpfile, no write access: {err(e)}", flush=True)
    os._exit(0)
os.waitpid(pid, 0)
PY

# The kernel's answers first.
truncate -s 512M "$KIMG" && mkfs.xfs -q "$KIMG" || exit 1
mount -o loop "$KIMG" "$KMNT" || exit 1
python3 "$WORK/probe.py" "$KMNT" >"$WORK/kernel.out" 2>&1
umount "$KMNT"

truncate -s 512M "$IMG" && mkfs.xfs -q "$IMG" || exit 1
check_mount "$IMG" || lib_finish
python3 "$WORK/probe.py" "$MNT" >"$WORK/fuse.out" 2>&1
if cmp -s "$WORK/kernel.out" "$WORK/fuse.out"; then
	ok
else
	bad "probe: xfsfuse differs from the kernel's XFS (< kernel, > xfsfuse)"
	diff "$WORK/kernel.out" "$WORK/fuse.out" | sed 's/^/    /' >&2
fi
sed 's/^/    /' "$WORK/fuse.out"
check_eq "named: contents" "$( (printf 'tmpdata%.0s' $(seq 1000); printf after-link) | md5sum)" \
	"$(md5sum <"$MNT/named")"
check_unmount
check_eq "no inode left on an AGI unlinked list" "" "$(unlinked_buckets "$IMG")"
repair_clean "$IMG" && ok || bad "xfs_repair -n"
if mount -o loop,ro "$IMG" "$KMNT"; then
	check "kernel: named reads the same" cmp -s "$KMNT/named" <( (printf 'tmpdata%.0s' $(seq 1000); printf after-link))
	check_eq "kernel: the inherited ACL" "$(grep '^inherited' "$WORK/kernel.out" | sed 's/.*acl=//')" \
		"$(python3 -c "import os,sys; print(os.popen(\"getfacl -cp '$KMNT/acl/inherited'\").read().split())")"
	umount "$KMNT"
else
	bad "kernel mount (oracle)"
fi

# A tmpfile open, written and fsynced when the daemon dies: on the unlinked
# list in the log; recovery frees it.
check_mount "$IMG" || lib_finish
python3 - "$MNT" "$WORK/held" <<'PY' &
import os, sys, time
fd = os.open(sys.argv[1], os.O_TMPFILE | os.O_RDWR, 0o600)
os.write(fd, b"held" * 300000)
os.fsync(fd)
open(sys.argv[2], "w").close()
time.sleep(60)
PY
HOLDER=$!
for _ in $(seq 100); do [ -e "$WORK/held" ] && break; sleep 0.1; done
check "a tmpfile is held open" test -e "$WORK/held"
kill_daemon
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
# A copy mounted read-write replays the log and says what it freed (-d: not quiet).
cp --sparse=always "$IMG" "$WORK/copy.img"
"$XFSFUSE" -f -d "$WORK/copy.img" "$MNT" >"$WORK/copy.log" 2>&1 &
copy_pid=$!
for _ in $(seq 100); do mountpoint -q "$MNT" && break; sleep 0.1; done
umount "$MNT"
wait "$copy_pid"
check "crash: the mount after it frees the tmpfile" \
	grep -q "freed 1 unlinked inodes after recovery" "$WORK/copy.log"
rm -f "$WORK/copy.img"
recover_and_compare crash "$IMG"
check_eq "crash: recovery freed it (no AGI unlinked entry)" "" "$(unlinked_buckets "$IMG")"
lib_finish
