#!/bin/bash
# What the XFS log costs (doc/log.md): the same metadata and fsync workloads
# on two xfsfuse binaries, typically one built before the log and one after,
# each on a fresh image, reported as rates and as AFTER/BEFORE ratios from
# one run.  Needs root and /dev/fuse.
#   usage: bench/log-cost.sh BEFORE_XFSFUSE AFTER_XFSFUSE [FILES]  (FILES default 10000)
set -euo pipefail
BEFORE="$1"
AFTER="$2"
FILES="${3:-10000}"
WORK="$(mktemp -d /tmp/xfsfuse-logcost-XXXXXX)"
MNT="$WORK/mnt"
mkdir -p "$MNT"
trap 'mountpoint -q "$MNT" && umount "$MNT"; rm -rf "$WORK"' EXIT
tar -C /usr -cf "$WORK/include.tar" include

now() { date +%s.%N; }
rate() { python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2]))))" "$@"; }

run_one() { # XFSFUSE -> "create untar unlink fsync4k" (ops/s)
	local bin=$1 t0 t1 c u d f n
	rm -f "$WORK/img"
	truncate -s 4G "$WORK/img"
	mkfs.xfs -q -f "$WORK/img"
	"$bin" "$WORK/img" "$MNT"
	mkdir "$MNT/c"
	t0=$(now)
	(cd "$MNT/c" && seq "$FILES" | xargs touch)
	t1=$(now)
	c=$(rate "$FILES" "$t0" "$t1")
	n=$(tar -tf "$WORK/include.tar" | wc -l)
	t0=$(now)
	tar -C "$MNT" -xf "$WORK/include.tar"
	t1=$(now)
	u=$(rate "$n" "$t0" "$t1")
	t0=$(now)
	rm -rf "$MNT/c" "$MNT/include"
	t1=$(now)
	d=$(rate "$((FILES + n))" "$t0" "$t1")
	t0=$(now)
	python3 -c "
import os
fd = os.open('$MNT/f', os.O_CREAT | os.O_WRONLY)
for i in range(2000):
    os.pwrite(fd, b'x' * 4096, i * 4096)
    os.fsync(fd)
"
	t1=$(now)
	f=$(rate 2000 "$t0" "$t1")
	# Overwrites of written blocks: fdatasync needs no checkpoint (only
	# timestamps changed), a device flush.
	t0=$(now)
	python3 -c "
import os
fd = os.open('$MNT/f', os.O_WRONLY)
for i in range(2000):
    os.pwrite(fd, b'y' * 4096, (i % 256) * 4096)
    os.fdatasync(fd)
"
	t1=$(now)
	o=$(rate 2000 "$t0" "$t1")
	# Creates while another process fsyncs in a loop: checkpoints that hold
	# the filesystem lock across their flushes stall the creator.
	mkdir "$MNT/cc"
	python3 -c "
import os
fd = os.open('$MNT/g', os.O_CREAT | os.O_WRONLY)
i = 0
while not os.path.exists('$WORK/stop'):
    os.pwrite(fd, b'z' * 4096, i * 4096)
    os.fsync(fd)
    i += 1
" &
	local fpid=$!
	t0=$(now)
	(cd "$MNT/cc" && seq 3000 | xargs touch)
	t1=$(now)
	touch "$WORK/stop"
	wait "$fpid"
	rm -f "$WORK/stop"
	p=$(rate 3000 "$t0" "$t1")
	umount "$MNT"
	flock "$WORK/img" true
	echo "$c $u $d $f $o $p"
}

read -r bc bu bd bf bo bp < <(run_one "$BEFORE")
read -r ac au ad af ao ap < <(run_one "$AFTER")
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) / float(sys.argv[1])))" "$1" "$2"; }
printf '%-34s %10s %10s %8s\n' "workload ($(date -u +%F))" before after ratio
printf '%-34s %10s %10s %8s\n' "create $FILES empty files /s" "$bc" "$ac" "$(ratio "$bc" "$ac")"
printf '%-34s %10s %10s %8s\n' "untar /usr/include, entries/s" "$bu" "$au" "$(ratio "$bu" "$au")"
printf '%-34s %10s %10s %8s\n' "rm -rf of both, entries/s" "$bd" "$ad" "$(ratio "$bd" "$ad")"
printf '%-34s %10s %10s %8s\n' "4 KiB write + fsync, ops/s" "$bf" "$af" "$(ratio "$bf" "$af")"
printf '%-34s %10s %10s %8s\n' "4 KiB overwrite + fdatasync, ops/s" "$bo" "$ao" "$(ratio "$bo" "$ao")"
printf '%-34s %10s %10s %8s\n' "creates/s while another fsyncs" "$bp" "$ap" "$(ratio "$bp" "$ap")"
