#!/bin/bash
# fstests' fsx and fsstress against the mount, as users run them: a short
# fsx matrix and fsstress in cache=kernel, fsx (read/write only: shared mmap
# is refused with FOPEN_DIRECT_IO on libfuse 3.14) and fsstress in
# cache=none, each on a fresh image that must pass xfs_repair -n afterwards.
# The cache=kernel session also gives every idle inode's libxfs copy back at
# once (inode_cache=0): each request on it reads it again.
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
. "$HERE/lib.sh"
lib_init fstests

[ -x "$FST/build.sh" ] || { bad "no fstests at $FST"; lib_finish; }
check "fstests build" "$FST/build.sh"
FSX=${FSX:-/opt/fstests/bin/fsx}
# Smaller runs for the sanitizer builds (scripts/run-sanitizers.sh): the
# fsx-matrix variants, fsstress ops per process, and fsx ops in cache=none.
# CI-sized by default (README, "What CI runs"): each matrix variant runs its
# first 40000 ops (the matrix has up to 120000: XFSFUSE_FSX_MATRIX_OPS, or
# XFSFUSE_FULL=1 for all), and cache=none 20000 (40000 with XFSFUSE_FULL=1).
VARIANTS="${XFSFUSE_FSX_ONLY:-smoke default nommap align-1k falloc-all}"
STRESS_OPS="${XFSFUSE_FSSTRESS_OPS:-3000}"
NONE_OPS="${XFSFUSE_FSX_OPS:-$(ci_or_full 20000 40000)}"
MATRIX_OPS="${XFSFUSE_FSX_MATRIX_OPS:-$(ci_or_full 40000 "")}"

# A failed mount ends the test: the tools would otherwise fill $WORK itself.
session() { # OPTS BS
	local img="$WORK/img"
	rm -f "$img"; truncate -s 2G "$img"; mkfs.xfs -q -f -b size="$2" "$img"
	check_mount "$img" "$1" || lib_finish
}
end_session() { # LABEL
	check_unmount "$1"
	check "$1: xfs_repair -n" repair_clean "$WORK/img"
}

session "cache=kernel,writeback_interval=50,reclaim=aggressive,cache_size=32M,inode_cache=0" 4096
check "fsx matrix ($VARIANTS${MATRIX_OPS:+, at most $MATRIX_OPS ops each}) cache=kernel" \
	env FSX_ONLY="$VARIANTS" FSX="$HERE/fsx-capped.sh" FSX_REAL="$FSX" FSX_MAX_OPS="$MATRIX_OPS" \
	"$FST/fsx-matrix.sh" "$MNT"
check "fsstress cache=kernel" "$FST/fsstress-run.sh" "$MNT" 4 "$STRESS_OPS"
end_session "cache=kernel"

session "cache=none,folio_size=16k,writeback_interval=50" 1024
check "fsx -R -W cache=none" "$FSX" -q -C -I -J -B -0 -u -a -R -W -S 301 -N "$NONE_OPS" "$MNT/fsx.none"
check "fsx -R -W 1k-aligned cache=none" "$FSX" -q -C -I -J -B -0 -u -a -R -W -z -S 302 -N $((NONE_OPS * 3 / 4)) \
	-r 1024 -w 1024 -t 1024 "$MNT/fsx.none1k"
check "fsstress cache=none" "$FST/fsstress-run.sh" "$MNT" 4 "$STRESS_OPS"
end_session "cache=none"
lib_finish
