#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The access-time workload of test_atime.sh: one scenario per set of mount
# options, run on the kernel's XFS (the oracle) and on xfsfuse mounted with
# the same options; the outputs must be equal.
#   usage: atime_ops.sh MOUNTPOINT SCENARIO
# Each step prints "LABEL: a=Y|N m=Y|N c=Y|N": whether the step moved the
# atime, mtime and ctime of one path (stat, which moves nothing).  Paths are
# relative to the mount point.  Reads that must reach xfsfuse whatever the
# kernel caches use O_DIRECT (xfs_io -d); plain reads (cat) go through the
# kernel's page cache, and xfsfuse sees them only when an open drops it
# (doc/options.md "Access times").
# REMOUNT (for the remount scenario): a command taking the options, e.g.
# "ro", that remounts this mount point.
set -u
cd "$1" || exit 1
scenario=$2

times() { stat -c '%x|%y|%z' "$1"; }

# step LABEL PATH CMD...: run CMD and say which times of PATH it moved.
step() {
	local label=$1 path=$2 before after a m c
	shift 2
	before=$(times "$path")
	sleep 0.15 # past a tick of the coarse clock: "moved" is unambiguous
	"$@" >/dev/null 2>&1
	after=$(times "$path")
	IFS='|' read -r -a b <<<"$before"
	IFS='|' read -r -a n <<<"$after"
	a=N m=N c=N
	[ "${b[0]}" != "${n[0]}" ] && a=Y
	[ "${b[1]}" != "${n[1]}" ] && m=Y
	[ "${b[2]}" != "${n[2]}" ] && c=Y
	echo "$label: a=$a m=$m c=$c"
}

dread() { xfs_io -d -c 'pread -q 0 4096' "$1"; }

# A file, a directory with an entry, a symlink, a file with the noatime flag,
# and a file for mmap stores, all changed since they were created.
setup() {
	mkdir "$1" "$1/d"
	echo one >"$1/f"
	ln -s f "$1/l"
	echo x >"$1/d/x"
	echo na >"$1/na"
	chattr +A "$1/na"
	xfs_io -f -c 'pwrite -q 0 4096' -c fsync "$1/m"
}

case $scenario in
relatime | norelatime | lazytime)
	p=$scenario
	setup "$p"
	step "read after create" "$p/f" cat "$p/f"
	step "second read" "$p/f" cat "$p/f"
	step "direct read" "$p/f" dread "$p/f"
	step "append" "$p/f" sh -c "echo two >>$p/f"
	step "direct read after write" "$p/f" dread "$p/f"
	step "read after direct read" "$p/f" cat "$p/f"
	step "chmod" "$p/f" chmod 600 "$p/f"
	step "read after chmod" "$p/f" cat "$p/f"
	step "readdir after create" "$p/d" ls -f "$p/d"
	step "second readdir" "$p/d" ls -f "$p/d"
	step "create in dir" "$p/d" touch "$p/d/y"
	step "readdir after change" "$p/d" ls -f "$p/d"
	step "readlink" "$p/l" readlink "$p/l"
	step "second readlink" "$p/l" readlink "$p/l"
	step "read of noatime file" "$p/na" cat "$p/na"
	step "direct read of noatime file" "$p/na" dread "$p/na"
	step "mmap store" "$p/m" xfs_io -c 'mmap 0 4096' -c 'mwrite 0 4096' "$p/m"
	step "mmap read after store" "$p/m" xfs_io -c 'mmap 0 4096' -c 'mread 0 4096' "$p/m"
	;;
strictatime)
	p=strict
	setup $p
	step "read after create" $p/f cat $p/f
	step "second read" $p/f cat $p/f
	step "third read" $p/f cat $p/f
	step "direct read" $p/f dread $p/f
	step "second direct read" $p/f dread $p/f
	step "readdir" $p/d ls -f $p/d
	step "second readdir" $p/d ls -f $p/d
	step "readlink" $p/l readlink $p/l
	step "second readlink" $p/l readlink $p/l
	step "read of noatime file" $p/na cat $p/na
	step "direct read of noatime file" $p/na dread $p/na
	;;
noatime)
	p=noat
	setup $p
	step "read after create" $p/f cat $p/f
	step "direct read" $p/f dread $p/f
	step "append" $p/f sh -c "echo two >>$p/f"
	step "direct read after write" $p/f dread $p/f
	step "readdir" $p/d ls -f $p/d
	step "readlink" $p/l readlink $p/l
	step "mmap store" $p/m xfs_io -c 'mmap 0 4096' -c 'mwrite 0 4096' $p/m
	;;
nodiratime)
	p=nodir
	setup $p
	step "read after create" $p/f cat $p/f
	step "readdir after create" $p/d ls -f $p/d
	step "create in dir" $p/d touch $p/d/y
	step "readdir after change" $p/d ls -f $p/d
	step "readlink" $p/l readlink $p/l
	;;
strictatime,nodiratime)
	p=strictnodir
	setup $p
	step "read after create" $p/f cat $p/f
	step "second read" $p/f cat $p/f
	step "readdir" $p/d ls -f $p/d
	step "second readdir" $p/d ls -f $p/d
	;;
ro)
	# the relatime scenario's files, all changed and not read since
	for p in relatime strict; do
		step "$p: read" $p/f cat $p/f
		step "$p: direct read" $p/f dread $p/f
		step "$p: readdir" $p/d ls -f $p/d
		step "$p: readlink" $p/l readlink $p/l
	done
	;;
remount)
	p=remount
	setup $p
	step "remount,ro" $p/f $REMOUNT ro
	step "read while read-only" $p/f cat $p/f
	step "direct read while read-only" $p/f dread $p/f
	step "readdir while read-only" $p/d ls -f $p/d
	step "remount,rw" $p/f $REMOUNT rw
	step "read after remount,rw" $p/f cat $p/f
	step "remount,strictatime" $p/f $REMOUNT strictatime
	step "second read, strictatime" $p/f cat $p/f
	step "remount,noatime" $p/f $REMOUNT noatime
	step "append, noatime" $p/f sh -c "echo two >>$p/f"
	step "read, noatime" $p/f cat $p/f
	;;
*)
	echo "atime_ops.sh: unknown scenario $scenario" >&2
	exit 2
	;;
esac
