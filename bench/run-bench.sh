#!/bin/bash
# Benchmarks (never timed assertions in tests): the same fio workloads on
#   xfsfuse (cache=kernel and cache=none) on an XFS image,
#   the kernel's XFS on the same kind of image through a loop device,
#   fuse2fs on an ext4 image,
# reported as MiB/s or IOPS and as ratios to the kernel, from one run.
# Installs fio and fuse2fs from Debian if missing.  Needs root and /dev/fuse.
#   usage: bench/run-bench.sh [SIZE_MB]     (default 1024)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SIZE_MB="${1:-1024}"
XFSFUSE="${XFSFUSE:-$ROOT/build/src/xfsfuse}"
for p in fio fuse2fs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null
done
WORK="$(mktemp -d /tmp/xfsfuse-bench-XXXXXX)"
MNT="$WORK/mnt"
mkdir -p "$MNT"
PID=
cleanup() {
	mountpoint -q "$MNT" && umount "$MNT"
	[ -n "$PID" ] && wait "$PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
fio_job() { # NAME RW BS SIZE_MB EXTRA...
	local name=$1 rw=$2 bs=$3 size=$4; shift 4
	fio --name="$name" --directory="$MNT" --filename=bench.dat --rw="$rw" --bs="$bs" \
		--size="${size}M" --ioengine=psync --numjobs=1 --output-format=json "$@" 2>/dev/null |
		python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]; w=j["write"]; r=j["read"]; d=w if w["io_bytes"] else r; print("%.1f %.0f" % (d["bw_bytes"]/1048576, d["iops"]))'
}
workloads() { # LABEL
	local sw sr rw
	sw=$(fio_job seqwrite write 1M "$SIZE_MB" --end_fsync=1)
	drop
	sr=$(fio_job seqread read 1M "$SIZE_MB")
	rw=$(fio_job randwrite randwrite 4k 256 --runtime=20 --time_based --fsync_on_close=1)
	echo "$1 ${sw%% *} ${sr%% *} ${rw##* }" >>"$WORK/results"
}

img() { truncate -s $((SIZE_MB * 3))M "$WORK/$1.img"; }

# kernel XFS on a loop device
img xfs && mkfs.xfs -q -f "$WORK/xfs.img"
mount -o loop "$WORK/xfs.img" "$MNT"; workloads kernel-xfs; umount "$MNT"
# xfsfuse
for cache in kernel none; do
	img xf && mkfs.xfs -q -f "$WORK/xf.img"
	"$XFSFUSE" -f -o cache=$cache "$WORK/xf.img" "$MNT" & PID=$!
	for _ in $(seq 100); do mountpoint -q "$MNT" && break; sleep 0.1; done
	workloads "xfsfuse-$cache"; umount "$MNT"; wait $PID; PID=
done
# fuse2fs on ext4
img e4 && mkfs.ext4 -q -F "$WORK/e4.img"
fuse2fs -o fakeroot "$WORK/e4.img" "$MNT" -f & PID=$!
for _ in $(seq 100); do mountpoint -q "$MNT" && break; sleep 0.1; done
workloads fuse2fs; umount "$MNT"; wait $PID || true; PID=

python3 - "$WORK/results" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
base = {k: float(v) for k, v in zip(("sw", "sr", "rw"), rows[0][1:])}
print(f"{'target':16} {'seq write MiB/s':>16} {'seq read MiB/s':>15} {'4k randwrite IOPS':>18}   ratios to kernel-xfs")
for r in rows:
    sw, sr, rw = map(float, r[1:])
    print(f"{r[0]:16} {sw:16.1f} {sr:15.1f} {rw:18.0f}   {sw/base['sw']:.2f} {sr/base['sr']:.2f} {rw/base['rw']:.2f}")
PY
