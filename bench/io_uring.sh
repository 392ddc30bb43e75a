#!/bin/bash
# FUSE-over-io_uring against the classic /dev/fuse loop (doc/options.md):
# fio 4 KiB random writes, psync, 1 job, RUNTIME s (default 10) over a 256 MiB
# file, on a fresh xfsfuse mount without and with -o io_uring, alternating
# ROUNDS times (default 2) so that a busy machine weighs on both alike.
# Prints IOPS per run and the median per mode.  Benchmark, never a test.
#   usage: bench/io_uring.sh [ROUNDS] [RUNTIME] [CACHE]   (CACHE: kernel|none)
# Needs root, /dev/fuse, an xfsfuse built with libfuse 3.18 (io_uring) and a
# kernel with /sys/module/fuse/parameters/enable_uring (turned on by -o io_uring).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS="${1:-2}"
RUNTIME="${2:-10}"
CACHE="${3:-kernel}"
XFSFUSE="${XFSFUSE:-$ROOT/build/src/xfsfuse}"
dpkg-query -W -f='${Status}' fio 2>/dev/null | grep -q "install ok installed" ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fio >/dev/null
WORK="$(mktemp -d /tmp/xfsfuse-uring-XXXXXX)"
MNT="$WORK/mnt"
mkdir -p "$MNT"
PID=
cleanup() {
	mountpoint -q "$MNT" && umount "$MNT"
	[ -n "$PID" ] && wait "$PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

run() { # MODE (classic|io_uring): prints IOPS
	local opts="cache=$CACHE" iops
	[ "$1" = io_uring ] && opts="$opts,io_uring"
	truncate -s 2G "$WORK/img" && mkfs.xfs -q -f "$WORK/img"
	"$XFSFUSE" -f -o "$opts" "$WORK/img" "$MNT" 2>>"$WORK/daemon.log" &
	PID=$!
	for _ in $(seq 100); do mountpoint -q "$MNT" && break; sleep 0.1; done
	if [ "$1" = io_uring ] && ! ps -T -p "$PID" -o comm= | grep -q '^fuse-ring'; then
		echo "io_uring asked for but no fuse-ring thread (see below); measuring anyway" >&2
		cat "$WORK/daemon.log" >&2
	fi
	iops=$(fio --name=randwrite --directory="$MNT" --filename=bench.dat --rw=randwrite --bs=4k \
		--size=256M --ioengine=psync --numjobs=1 --runtime="$RUNTIME" --time_based \
		--output-format=json 2>/dev/null |
		python3 -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["jobs"][0]["write"]["iops"])')
	umount "$MNT"
	wait "$PID" || true
	PID=
	rm -f "$WORK/img"
	echo "$iops"
}

echo "xfsfuse: $("$XFSFUSE" --version | sed -n 's/^FUSE library version /libfuse /p'), kernel $(uname -r)," \
	"cache=$CACHE, fio randwrite 4k psync 1 job ${RUNTIME}s, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
	for mode in classic io_uring; do
		iops=$(run "$mode")
		echo "round $r $mode $iops IOPS"
		echo "$mode $iops" >>"$WORK/results"
	done
done
python3 - "$WORK/results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    mode, iops = line.split()
    runs.setdefault(mode, []).append(float(iops))
c, u = statistics.median(runs["classic"]), statistics.median(runs["io_uring"])
print(f"median: /dev/fuse {c:.0f} IOPS, io_uring {u:.0f} IOPS, ratio {u / c:.2f}")
PY
