#!/bin/bash
# fstests' fsx and fsstress against the mount, as users run them: a short
# fsx matrix and fsstress in cache=kernel, fsx (read/write only: shared mmap
# is refused with FOPEN_DIRECT_IO on libfuse 3.14) and fsstress in
# cache=none, each on a fresh image that must pass xfs_repair -n afterwards.
# The tools come from ../shared/fstests (build.sh compiles them; it installs
# xfslibs-dev and libaio-dev from Debian if missing).  Needs root, /dev/fuse.
#   usage: test_fstests.sh XFSFUSE [FSTESTS_DIR]
set -uo pipefail
XFSFUSE="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
# shared/ sits beside the checkout (CI lays a copy there); FSTESTS_DIR overrides.
FST="${2:-${FSTESTS_DIR:-}}"
if [ -z "$FST" ]; then
	for d in "$HERE/../../../shared/fstests" /work/shared/fstests; do
		[ -x "$d/build.sh" ] && { FST="$d"; break; }
	done
fi
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { local what="$1"; shift; if "$@"; then ok; else bad "$what"; fi; }

[ -x "$FST/build.sh" ] || { echo "FAIL: no fstests at $FST"; echo "0 passed, 1 failed"; exit 1; }
check "fstests build" "$FST/build.sh"
FSX=${FSX:-/opt/fstests/bin/fsx}
WORK="$(mktemp -d /tmp/xfsfuse-fstests-XXXXXX)"
MNT="$WORK/mnt"
mkdir -p "$MNT"
PID=
cleanup() {
	mountpoint -q "$MNT" && umount "$MNT"
	[ -n "$PID" ] && wait "$PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

session() { # OPTS BS
	local img="$WORK/img"
	rm -f "$img"; truncate -s 2G "$img"; mkfs.xfs -q -f -b size="$2" "$img"
	"$XFSFUSE" -f -o "$1" "$img" "$MNT" 2>>"$WORK/daemon.log" &
	PID=$!
	for _ in $(seq 100); do mountpoint -q "$MNT" && break; sleep 0.1; done
}
end_session() { # LABEL
	umount "$MNT"; wait "$PID"; local rc=$?; PID=
	check "$1: daemon exit $rc" test "$rc" = 0
	check "$1: xfs_repair -n" bash "$HERE/../oracle/repair-check.sh" "$WORK/img"
}

session "cache=kernel,writeback_interval=50,reclaim=aggressive,cache_size=32M" 4096
check "fsx matrix (smoke, default, nommap, align-1k, falloc-all) cache=kernel" \
	env FSX_ONLY="smoke default nommap align-1k falloc-all" "$FST/fsx-matrix.sh" "$MNT"
check "fsstress cache=kernel" "$FST/fsstress-run.sh" "$MNT" 4 3000
end_session "cache=kernel"

session "cache=none,folio_size=16k,writeback_interval=50" 1024
check "fsx -R -W cache=none" "$FSX" -q -C -I -J -B -0 -u -a -R -W -S 301 -N 40000 "$MNT/fsx.none"
check "fsx -R -W 1k-aligned cache=none" "$FSX" -q -C -I -J -B -0 -u -a -R -W -z -S 302 -N 30000 \
	-r 1024 -w 1024 -t 1024 "$MNT/fsx.none1k"
check "fsstress cache=none" "$FST/fsstress-run.sh" "$MNT" 4 3000
end_session "cache=none"
[ "$fail" = 0 ] || tail -20 "$WORK/daemon.log"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
