#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# killpriv_ops.sh DIR [list]: what a write, truncate, chown or copy does to setuid,
# setgid and the file capability (security.capability), by root and by
# nobody (no CAP_FSETID, not in group 0, in group 65534).  Prints one line a
# file, "name mode owner cap|-", the same on every filesystem that drops
# privileges as the kernel's VFS does (test_killpriv.sh compares it).
# Runs as root; DIR must be reachable by nobody.  "list" prints the lines
# of a DIR made before (the same image, mounted again) and changes nothing.
set -u
D=$1
list() {
	cd "$D" || exit 1
	for f in $(ls | sort); do
		[ "$f" = copy.src ] && continue
		cap=$(getfattr --only-values -n security.capability "$f" 2>/dev/null | base64 -w0)
		echo "$f $(stat -c '%a %u:%g %s' "$f") ${cap:--}"
	done
}
[ "${2:-}" = list ] && { list; exit 0; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# by_nobody FUNC FILE: this script's FUNC on FILE, as nobody
by_nobody() { as_nobody bash -c "$(declare -f "$1"); $1 '$2'"; }
# A valid VFS_CAP_REVISION_2 blob: cap_net_raw, effective.
CAP=0sAQAAAgAgAAAAAAAAAAAAAAAAAAA=

# mk NAME MODE [GROUP [CAPS]]: a 64 KiB file of root's.
mk() {
	head -c 65536 /dev/zero >"$D/$1"
	chgrp "${3:-0}" "$D/$1"
	chmod "$2" "$D/$1"
	[ -n "${4:-}" ] && setfattr -n security.capability -v "$CAP" "$D/$1"
	return 0
}
bwrite() { dd if=/dev/zero of="$1" bs=4096 count=1 seek=3 conv=notrunc status=none; }
dwrite() { dd if=/dev/zero of="$1" bs=4096 count=1 seek=3 conv=notrunc oflag=direct status=none; }

# untouched: the capability is there to be dropped
mk keep.caps 0755 0 caps
mk keep.suid 06777

for how in bwrite dwrite; do
	mk "$how.root.suid" 06777
	$how "$D/$how.root.suid"
	mk "$how.nobody.suid" 06777
	by_nobody $how "$D/$how.nobody.suid"
	mk "$how.nobody.sgid_gx" 02777
	by_nobody $how "$D/$how.nobody.sgid_gx"
	mk "$how.nobody.sgid_notingroup" 02766
	by_nobody $how "$D/$how.nobody.sgid_notingroup"
	mk "$how.nobody.sgid_ingroup" 02766 65534
	by_nobody $how "$D/$how.nobody.sgid_ingroup"
	mk "$how.root.caps" 0755 0 caps
	$how "$D/$how.root.caps"
	# many writes after the first: still nothing to drop, nothing dropped
	mk "$how.nobody.many" 02766 65534
	for i in 1 2 3 4 5 6 7 8; do by_nobody $how "$D/$how.nobody.many"; done
done

# truncate(2) and open(O_TRUNC)
mk trunc.root.suid 06777
truncate -s 100 "$D/trunc.root.suid"
mk trunc.nobody.suid 06777
as_nobody truncate -s 100 "$D/trunc.nobody.suid"
mk trunc.nobody.sgid_notingroup 02766
as_nobody truncate -s 8192 "$D/trunc.nobody.sgid_notingroup"
mk trunc.nobody.sgid_ingroup 02766 65534
as_nobody truncate -s 8192 "$D/trunc.nobody.sgid_ingroup"
mk trunc.nobody.samesize 06777
as_nobody truncate -s 65536 "$D/trunc.nobody.samesize"
mk otrunc.nobody.suid 06777
as_nobody bash -c ": >'$D/otrunc.nobody.suid'"
mk trunc.root.caps 0755 0 caps
truncate -s 100 "$D/trunc.root.caps"

# chown(2): setuid goes whoever calls; setgid with group execute, or when
# the caller is neither in the (old) group nor root
mk chown.root.suid 06777
chown 1:1 "$D/chown.root.suid"
mk chown.root.sgid_nogx 02766
chown 1:1 "$D/chown.root.sgid_nogx"
mk chown.root.gidonly 06755
chgrp 1 "$D/chown.root.gidonly"
mk chown.root.caps 0755 0 caps
chown 1 "$D/chown.root.caps"
mk chown.owner.suid 06766 65534
chown 65534 "$D/chown.owner.suid"
chmod 06766 "$D/chown.owner.suid"
as_nobody chgrp 65534 "$D/chown.owner.suid"
mkdir "$D/chown.root.dir"
chmod 06777 "$D/chown.root.dir"
chown 1:1 "$D/chown.root.dir"
mk chmod.root.suid 0777
chmod 06777 "$D/chmod.root.suid"

# copy_file_range and fallocate into a setuid file by nobody
mk copy.nobody.suid 06777
head -c 8192 /dev/urandom >"$D/copy.src"
chmod 644 "$D/copy.src"
as_nobody /usr/bin/python3 -c "
import os
s = os.open('$D/copy.src', os.O_RDONLY); d = os.open('$D/copy.nobody.suid', os.O_WRONLY)
os.copy_file_range(s, d, 8192, 0, 0)"
mk falloc.nobody.suid 06777
as_nobody fallocate -o 0 -l 131072 "$D/falloc.nobody.suid"

list
