#!/bin/bash
# The test suite under sanitizers: ASan+UBSan (unit and integration tests)
# and TSan (unit tests, and the integration tests that drive the daemon's
# threads hardest, with the daemon built with TSan).  libxfs itself is not
# instrumented (it comes from xfsprogs' own build); ASan still sees its heap
# through the interposed allocator.
# Usage: scripts/run-sanitizers.sh [asan|tsan|all]   (default all)
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

setup() { # DIR ARGS...
	local dir=$1; shift
	[ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null || return 1
	ninja -C "$dir" >/dev/null
}

if [ "$what" = all ] || [ "$what" = asan ]; then
	setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug || rc=1
	# The statistical race run (suite "stress") stays in the plain build: minutes
	# of timing-driven load say nothing more under ASan.  Smaller model runs.
	XFSFUSE_BIGDIR=20000 XFSFUSE_MODEL_OPS=500 XFSFUSE_FUZZ_ROUNDS=15 CRASH_ROUNDS=4 POWERCUT_CUTS=4 \
		meson test -C build-asan --print-errorlogs \
		--suite unit --suite integration --no-suite stress || rc=1
fi
if [ "$what" = all ] || [ "$what" = tsan ]; then
	setup build-tsan -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debug || rc=1
	meson test -C build-tsan --print-errorlogs --suite unit || rc=1
	# The daemon itself under TSan, where its threads race for real: FUSE
	# workers, flusher, completion worker, reclaim.  Shorter runs (TSan is
	# 5-15x slower); ENOSPC and the namespace-only tests stay with ASan.  Its
	# own log (testlog-daemon.json) so that the unit run's is kept for the
	# summary.
	# crash: checkpoints write and flush without the libxfs lock (doc/log.md).
	XFSFUSE_MODEL_OPS=120 XFSFUSE_FSX_ONLY=smoke XFSFUSE_FSSTRESS_OPS=1000 XFSFUSE_FSX_OPS=5000 \
		CRASH_ROUNDS=3 meson test -C build-tsan --print-errorlogs --logbase testlog-daemon \
		fuse_basic corruption control model fstests crash || rc=1
fi
exit $rc
