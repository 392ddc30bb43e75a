#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The inode-flag workload of test_inode_flags.sh, run once on the kernel's
# XFS (the oracle) and once on xfsfuse; the two outputs must be equal.
# usage: inode_flags_ops.sh MOUNTPOINT      (prints one line per operation)
# Every path is relative to the mount point, so outputs compare as text.
set -u
cd "$1" || exit 1
# FSX: the fsxattr.py helper, where the unprivileged user can read it, and
# the interpreter to run it with (a pyenv shim costs seconds per call).
FSX="${FSXATTR_PY:-python3} ${FSXATTR:-$(dirname "$(readlink -f "$0")")/fsxattr.py}"

# try LABEL CMD...: "LABEL: ok" or "LABEL: <strerror>" (the tail of the
# command's last message; the file names in it are the same on both sides).
try() {
	local label=$1 out
	shift
	if out=$("$@" 2>&1 >/dev/null); then
		echo "$label: ok"
	else
		echo "$label: ${out##*: }"
	fi
}

# ------------------------------------------------------------ the flags
echo data >f_i
echo data >f_a
echo data >plain
mkdir d_i d_a
echo x >d_i/x
echo y >d_a/y
try "chattr +i f_i" chattr +i f_i
try "chattr +a f_a" chattr +a f_a
try "chattr +i d_i" chattr +i d_i
try "chattr +a d_a" chattr +a d_a
lsattr -d f_i f_a d_i d_a

# ------------------------------------------------------------ immutable file
try "append to f_i" sh -c 'echo x >>f_i'
try "overwrite f_i" sh -c 'echo x >f_i'
try "open f_i O_WRONLY" dd if=/dev/zero of=f_i bs=1 count=1 conv=notrunc status=none
try "truncate f_i" truncate -s 0 f_i
try "fallocate f_i" fallocate -l 8192 f_i
try "rm f_i" rm -f f_i
try "mv f_i" mv f_i f_i.moved
try "mv onto f_i" mv plain f_i
try "ln f_i" ln f_i f_i.link
try "setfattr f_i" setfattr -n user.a -v 1 f_i
try "setfacl f_i" setfacl -m u:nobody:r f_i
try "chmod f_i" chmod 600 f_i
try "chown f_i" chown 1:1 f_i
try "touch f_i" touch f_i
try "touch -d f_i" touch -d @1 f_i
try "read f_i" cat f_i

# ------------------------------------------------------------ append-only file
try "append to f_a" sh -c 'echo more >>f_a'
try "overwrite f_a" sh -c 'echo x >f_a'
try "open f_a O_WRONLY" dd if=/dev/zero of=f_a bs=1 count=1 conv=notrunc status=none
try "truncate f_a" truncate -s 0 f_a
try "fallocate f_a" fallocate -l 8192 f_a
try "punch f_a" fallocate -p -o 0 -l 4096 f_a
try "setfacl f_a" setfacl -m u:nobody:r f_a
try "rm f_a" rm -f f_a
try "mv f_a" mv f_a f_a.moved
try "ln f_a" ln f_a f_a.link
try "setfattr f_a" setfattr -n user.a -v 1 f_a
try "chmod f_a" chmod 600 f_a
try "touch f_a" touch f_a
try "touch -d f_a" touch -d @1 f_a
try "read f_a" cat f_a

# ------------------------------------------------------------ directories
try "create in d_i" touch d_i/new
try "mkdir in d_i" mkdir d_i/sub
try "symlink in d_i" ln -s x d_i/s
try "rm in d_i" rm -f d_i/x
try "mv in d_i" mv d_i/x d_i/x2
try "mv out of d_i" mv d_i/x x
try "mv into d_i" mv plain d_i/plain
try "write file in d_i" sh -c 'echo more >>d_i/x'
try "rmdir d_i" rmdir d_i
try "setfattr d_i" setfattr -n user.a -v 1 d_i
try "create in d_a" touch d_a/new
try "mkdir in d_a" mkdir d_a/sub
try "rm in d_a" rm -f d_a/y
try "rmdir in d_a" rmdir d_a/sub
try "mv in d_a" mv d_a/y d_a/y2
try "mv into d_a" mv plain d_a/plain
try "mv onto in d_a" mv d_a/new d_a/y
try "rm -r d_a" rm -rf d_a
ls d_i d_a

# ------------------------------------------------------------ clearing
try "chattr -i f_i d_i" chattr -i f_i d_i
try "chattr -a f_a d_a" chattr -a f_a d_a
try "rm -r after clearing" rm -rf f_i f_a d_i d_a
ls

# ------------------------------------------------------------ other flags
echo data >g
mkdir gd
try "chattr +sAdx g" chattr +S +A +d +x g
try "chattr +c g" chattr +c g
try "chattr +P gd" chattr +P gd
try "chattr +e g" chattr +e g
lsattr -d g gd
try "xfs_io chattr +f" xfs_io -c 'chattr +f' g
try "xfs_io chattr +n gd" xfs_io -c 'chattr +n' gd
mkdir rd
try "xfs_io chattr +t rd" xfs_io -c 'chattr +t' rd
try "xfs_io chattr +r g" xfs_io -c 'chattr +r' g
try "xfs_io chattr +E g" xfs_io -c 'chattr +E' g
try "xfs_io chattr +i" xfs_io -c 'chattr +i' -c 'chattr -i' g
# X (has an attr fork) is left out: with an LSM the kernel gives every new
# inode an empty attr fork, xfsfuse (no LSM) does not.
xfs_io -c lsattr g gd rd | sed 's/^\(.\{16\}\)X/\1-/'
try "xfs_io chproj" xfs_io -c 'chproj 42' g
xfs_io -c lsproj g
try "chattr -SAdx g" chattr -S -A -d -x g

# ------------------------------------------------------------ extent size hints
touch e
$FSX set e extsize=65536
$FSX set e extsize=3000
$FSX set e extsize=0
$FSX set e +e extsize=1048576
$FSX set e +e extsize=134217728
$FSX set g extsize=65536
$FSX set g +e extsize=65536
$FSX set gd +E extsize=32768
$FSX set gd +e extsize=32768
$FSX set e cowextsize=65536
$FSX set e +C cowextsize=65536
$FSX set e +C cowextsize=3000
$FSX set gd projid=7 +P
$FSX set gd +x +C cowextsize=131072
$FSX set g projid=4294967295
$FSX get e g gd

# ------------------------------------------------------------ inheritance
mkdir ih
$FSX set ih +sAdfnP +E extsize=65536 projid=9
mkdir ih/sub
echo data >ih/file
ln -s file ih/sym
mkfifo ih/fifo
$FSX get ih/sub ih/file
lsattr -d ih/sub ih/file
# (the fifo's project id: test_inode_flags.sh reads it through the kernel;
# the FUSE kernel sends no ioctls for special files)
xfs_io -c lsproj ih/sub ih/file

# ------------------------------------------------------------ privileges
# The daemon approximates capabilities by uid: only root has them.
echo data >own
chown 65534:65534 own
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
try "nobody chattr +d root's file" as_nobody chattr +d g
try "nobody chattr +d own file" as_nobody chattr +d own
try "nobody chattr +i own file" as_nobody chattr +i own
try "nobody chattr +a own file" as_nobody chattr +a own
try "nobody projid own file" as_nobody $FSX set own projid=5
try "nobody extsize own file" as_nobody $FSX set own +e extsize=65536
chmod 6755 own
try "root chattr +A keeps setuid" chattr +A own
stat -c '%a %U' own
try "nobody fsxattr clears setuid" as_nobody $FSX set own -A
stat -c '%a %U' own
lsattr own
