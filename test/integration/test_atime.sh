#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Access times with the mount's options (doc/options.md "Access times"):
# relatime (default), norelatime, strictatime, noatime, nodiratime, lazytime,
# ro, remount, the noatime inode flag (chattr +A), and mtime/ctime of mmap
# stores.  The kernel's XFS is the oracle twice over: atime_ops.sh runs
# each scenario on a loop mount and on xfsfuse with the same options and the
# outputs (which step moved which time) must be equal; then the times
# xfsfuse showed must be the ones the kernel reads from the image after
# unmount.  Last, xfsfuse's counters: relatime logs one atime update for
# many reads, lazytime none until sync, and /proc/mounts and xfsfuse.atime
# say what the mount does.
# Needs root, /dev/fuse, xfs_io, chattr (e2fsprogs).
#   usage: test_atime.sh XFSFUSE
set -uo pipefail
XFSFUSE="$(realpath "$1")"
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
lib_init atime
KMNT="$WORK/kmnt"
lib_mount_dir "$KMNT"
OPS="$HERE/atime_ops.sh"

truncate -s 512M "$WORK/k.img"
mkfs.xfs -q "$WORK/k.img"
cp "$WORK/k.img" "$WORK/f.img"

# How each side remounts (the remount scenario): mount(8) for the kernel,
# xfsfuse's own remount helper (what mount.fuse3 runs) for xfsfuse.
cat >"$WORK/kremount" <<EOF
#!/bin/sh
exec mount -o "remount,\$1" "$KMNT"
EOF
cat >"$WORK/fremount" <<EOF
#!/bin/sh
exec "$XFSFUSE" "$WORK/f.img" "$MNT" -o "remount,\$1"
EOF
chmod +x "$WORK/kremount" "$WORK/fremount"

# Every path a scenario touches, with its times (stat moves none of them;
# no readdir here: it would move directory atimes).
PATHS=()
for p in relatime norelatime lazytime strict noat nodir strictnodir remount; do
	PATHS+=("$p" "$p/f" "$p/d" "$p/l" "$p/na" "$p/m" "$p/d/x" "$p/d/y")
done
times_of() { (cd "$1" && for f in "${PATHS[@]}"; do [ -e "$f" ] || [ -L "$f" ] && stat -c '%n %x %y %z' "$f"; done); }

# scenario NAME KERNEL_OPTS XFSFUSE_OPTS
scenario() {
	local name=$1 kopts=$2 fopts=$3
	mount -o "loop${kopts:+,$kopts}" "$WORK/k.img" "$KMNT" || { bad "kernel mount -o $kopts"; return; }
	REMOUNT="$WORK/kremount" bash "$OPS" "$KMNT" "$name" >"$WORK/kernel.$name" 2>&1
	umount "$KMNT"
	check_mount "$WORK/f.img" "$fopts" || return
	REMOUNT="$WORK/fremount" bash "$OPS" "$MNT" "$name" >"$WORK/fuse.$name" 2>&1
	times_of "$MNT" >"$WORK/shown.$name"
	check_unmount "$name"
	if diff -u "$WORK/kernel.$name" "$WORK/fuse.$name" >"$WORK/diff.$name"; then ok; else
		bad "$name: the steps moved other times than on the kernel's XFS"
		cat "$WORK/diff.$name" >&2
	fi
	# What xfsfuse showed is what it wrote: the kernel reads the same.
	mount -o loop,ro "$WORK/f.img" "$KMNT"
	times_of "$KMNT" >"$WORK/stored.$name"
	umount "$KMNT"
	if diff -u "$WORK/shown.$name" "$WORK/stored.$name" >"$WORK/sdiff.$name"; then ok; else
		bad "$name: the kernel reads other times from the image than xfsfuse showed"
		cat "$WORK/sdiff.$name" >&2
	fi
}

scenario relatime "" ""
scenario norelatime norelatime norelatime
scenario lazytime lazytime lazytime
scenario strictatime strictatime strictatime
scenario noatime noatime noatime
scenario nodiratime nodiratime nodiratime
scenario strictatime,nodiratime strictatime,nodiratime strictatime,nodiratime
scenario ro ro,strictatime ro,strictatime
scenario remount "" ""

# Sanity: the outputs show what the options do, not just equal failures.
want() { check "$1: $2" grep -qx "$2" "$WORK/fuse.$1"; }
want relatime "read after create: a=Y m=N c=N"
want relatime "second read: a=N m=N c=N"
want relatime "direct read after write: a=Y m=N c=N"
want relatime "readdir after create: a=Y m=N c=N"
want relatime "second readdir: a=N m=N c=N"
want relatime "readlink: a=Y m=N c=N"
want relatime "read of noatime file: a=N m=N c=N"
want relatime "mmap store: a=Y m=Y c=Y"
want norelatime "second read: a=N m=N c=N"
want lazytime "read after create: a=Y m=N c=N"
want strictatime "third read: a=Y m=N c=N"
want strictatime "second direct read: a=Y m=N c=N"
want strictatime "second readdir: a=Y m=N c=N"
want strictatime "second readlink: a=Y m=N c=N"
want strictatime "direct read of noatime file: a=N m=N c=N"
want noatime "direct read after write: a=N m=N c=N"
want noatime "mmap store: a=N m=Y c=Y"
want nodiratime "read after create: a=Y m=N c=N"
want nodiratime "readdir after change: a=N m=N c=N"
want strictatime,nodiratime "second read: a=Y m=N c=N"
want strictatime,nodiratime "second readdir: a=N m=N c=N"
want ro "strict: direct read: a=N m=N c=N"
want remount "read while read-only: a=N m=N c=N"
want remount "read after remount,rw: a=Y m=N c=N"
want remount "second read, strictatime: a=Y m=N c=N"
want remount "read, noatime: a=N m=N c=N"

# ------------------------------------------------------------ counters, knob, /proc/mounts
counter() { getfattr --absolute-names --only-values -n xfsfuse.counters "$MNT" | awk -v n="$1" '$1 == n { print $2 }'; }
knob() { getfattr --absolute-names --only-values -n xfsfuse.atime "$MNT"; }
mnt_opts() { awk -v m="$MNT" '$5 == m { print $6 }' /proc/self/mountinfo; }
if check_mount "$WORK/f.img" log_interval=0; then
	check_eq "xfsfuse.atime by default" "rw,relatime" "$(knob)"
	echo data >"$MNT/c"
	setfattr -n xfsfuse.counters -v 0 "$MNT"
	for _ in $(seq 50); do xfs_io -d -c 'pread -q 0 4096' "$MNT/c"; done
	check_eq "relatime: 50 reads after a write log one atime update" 1 "$(counter atime_updates)"
	check_unmount "counters, relatime"
fi
if check_mount "$WORK/f.img" lazytime,log_interval=0; then
	check_eq "xfsfuse.atime, lazytime" "rw,relatime,lazytime" "$(knob)"
	# Exact counts: under CPU load something of the append still in flight
	# after the sync (seen in CI and with two CPU hogs, also before this
	# test ran in parallel; not yet explained) can log 16 KiB between the
	# sync and the read.  The property holds if one of three attempts, each
	# with its own append, shows it; a broken lazytime fails all three.
	for attempt in 1 2 3; do
		echo data >>"$MNT/c"
		setfattr -n xfsfuse.sync -v 1 "$MNT"
		setfattr -n xfsfuse.counters -v 0 "$MNT"
		xfs_io -d -c 'pread -q 0 4096' "$MNT/c"
		got="$(counter atime_lazy_updates) $(counter atime_updates) $(counter log_dirty_bytes)"
		[ "$got" = "1 0 0" ] && break
	done
	check_eq "lazytime: the read moved atime in memory and logged nothing (attempt $attempt)" \
		"1 0 0" "$got"
	setfattr -n xfsfuse.sync -v 1 "$MNT"
	check_eq "lazytime: sync logs it" 1 "$(counter lazytime_flushes)"
	check_unmount "counters, lazytime"
fi
if check_mount "$WORK/f.img" strictatime,noatime,nodiratime; then
	check_eq "strictatime wins over noatime (the kernel's rule)" "rw,nodiratime,strictatime" "$(knob)"
	check_eq "/proc/mounts: relatime (libfuse cannot pass the rest)" "rw,nosuid,nodev,relatime" "$(mnt_opts)"
	check_unmount "strictatime,noatime"
fi
if check_mount "$WORK/f.img" noatime; then
	check_eq "/proc/mounts: noatime" "rw,nosuid,nodev,noatime" "$(mnt_opts)"
	"$XFSFUSE" "$WORK/f.img" "$MNT" -o remount,nodiratime,strictatime
	check_eq "remount: xfsfuse.atime" "rw,nodiratime,strictatime" "$(knob)"
	check_eq "remount: /proc/mounts" "rw,nosuid,nodev,nodiratime" "$(mnt_opts)"
	check_unmount "remount"
fi
check "xfs_repair -n (xfsfuse)" repair_clean "$WORK/f.img"
check "xfs_repair -n (kernel)" repair_clean "$WORK/k.img"
lib_finish
