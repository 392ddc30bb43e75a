#!/bin/bash
# The test suite under sanitizers: ASan+UBSan (unit and integration tests)
# and TSan (unit tests, and the integration tests that drive the daemon's
# threads hardest, with the daemon built with TSan).  libxfs itself is not
# instrumented (it comes from xfsprogs' own build); ASan still sees its heap
# through the interposed allocator.
# Usage: scripts/run-sanitizers.sh [asan|tsan|all|build]   (default all;
# build only configures and builds both, as run-tests.sh does ahead of time)
# Run lengths are smaller than the plain build's (README, "What CI runs");
# XFSFUSE_FULL=1 gives the longer sanitizer runs.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# The tests run python3 hundreds of times: the system's, not a version
# manager's shim in front of it (pyenv's costs 100+ ms a call).
[ -x /usr/bin/python3 ] && export PATH="/usr/bin:$PATH"
what="${1:-all}"
rc=0
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allow_user_segv_handler=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=7:suppressions=$ROOT/test/tsan.supp"

# The libfuse scripts/build.sh uses (XFSFUSE_LIBFUSE_PREFIX, XFSFUSE_LIBFUSE=system).
LIBFUSE_OPTS=()
[ -n "${XFSFUSE_LIBFUSE_PREFIX:-}" ] && LIBFUSE_OPTS+=(-Dlibfuse_prefix="$XFSFUSE_LIBFUSE_PREFIX")
[ "${XFSFUSE_LIBFUSE:-}" = system ] && LIBFUSE_OPTS+=(-Dlibfuse=system)

setup() { # DIR ARGS...
	local dir=$1; shift
	[ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" "${LIBFUSE_OPTS[@]}" >/dev/null || return 1
	ninja -C "$dir" >/dev/null
}
setup_asan() { setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug; }
setup_tsan() { setup build-tsan -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debug; }

if [ "$what" = build ]; then
	setup_asan || rc=1
	setup_tsan || rc=1
	exit $rc
fi

# Run lengths (the plain build runs the CI-sized defaults of each test):
# the model tester on its four pairwise configurations with fewer ops,
# fewer fuzz rounds, kills and power cuts, shorter fsx runs, a smaller big
# directory.  XFSFUSE_FULL=1: all eight model configurations, the full fsx
# runs, and the longer counts.
if [ "${XFSFUSE_FULL:-0}" = 1 ]; then
	asan_len=(XFSFUSE_MODEL_OPS=500 XFSFUSE_FUZZ_ROUNDS=15 CRASH_ROUNDS=4 POWERCUT_CUTS=4)
	tsan_len=(XFSFUSE_MODEL_OPS=120 CRASH_ROUNDS=3 XFSFUSE_FSX_OPS=5000)
else
	asan_len=(XFSFUSE_MODEL_OPS=200 XFSFUSE_MODEL_CONFIGS=pairwise XFSFUSE_FUZZ_ROUNDS=6
		CRASH_ROUNDS=3 POWERCUT_CUTS=3 XFSFUSE_FSX_MATRIX_OPS=15000 XFSFUSE_FSX_OPS=10000
		XFSFUSE_WBC_FSX_OPS=6000)
	tsan_len=(XFSFUSE_MODEL_OPS=40 XFSFUSE_MODEL_CONFIGS=corners CRASH_ROUNDS=2 XFSFUSE_FSX_OPS=2000)
fi

if [ "$what" = all ] || [ "$what" = asan ]; then
	setup_asan || rc=1
	# The statistical race run (suite "stress") stays in the plain build: minutes
	# of timing-driven load say nothing more under ASan.
	env "${asan_len[@]}" XFSFUSE_BIGDIR=20000 \
		meson test -C build-asan --print-errorlogs \
		--suite unit --suite integration --no-suite stress || rc=1
fi
if [ "$what" = all ] || [ "$what" = tsan ]; then
	setup_tsan || rc=1
	meson test -C build-tsan --print-errorlogs --suite unit || rc=1
	# The daemon itself under TSan, where its threads race for real: FUSE
	# workers, flusher, completion worker, reclaim.  Shorter runs (TSan is
	# 5-15x slower); ENOSPC and the namespace-only tests stay with ASan.  Its
	# own log (testlog-daemon.json) so that the unit run's is kept for the
	# summary.
	# crash: checkpoints write and flush without the libxfs lock (doc/log.md).
	# idle_inodes: reclaim's shrinker releasing inodes while requests reload them.
	# fuse_basic and control (a minute each under TSan, one request at a
	# time mostly) run there with XFSFUSE_FULL=1 only.
	tsan_daemon=(corruption model fstests crash idle_inodes)
	[ "${XFSFUSE_FULL:-0}" = 1 ] && tsan_daemon+=(fuse_basic control)
	# fsmodel without its drop_caches op: this run is beside ASan's suite,
	# whose shutdown, atime and crash tests count checkpoints.
	env "${tsan_len[@]}" XFSFUSE_FSX_ONLY=smoke XFSFUSE_FSSTRESS_OPS=1000 XFSFUSE_MODEL_NO_DROP=1 \
		meson test -C build-tsan --print-errorlogs --logbase testlog-daemon \
		"${tsan_daemon[@]}" || rc=1
fi
exit $rc
