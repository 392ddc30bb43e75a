#!/bin/bash
# The whole test suite: installs what is missing, builds, runs every Meson
# test (backend and engine unit tests, FUSE integration tests with
# xfs_repair and kernel oracles, the model-based tester, fstests' fsx and
# fsstress), then the same suite under ASan+UBSan, and the unit tests plus
# the daemon-driving integration tests under TSan (scripts/run-sanitizers.sh).
# Needs root and /dev/fuse (these machines have both).  Ends with
# "N passed, M failed" over all the runs, computed from Meson's own test logs.
#   XFSFUSE_NO_SANITIZERS=1 skips the sanitizer builds (for quick local runs).
#   XFSFUSE_FULL=1 runs the full-length versions of the long tests (README,
#   "What CI runs").
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# The tests run python3 hundreds of times: the system's, not a version
# manager's shim in front of it (pyenv's costs 100+ ms a call).
[ -x /usr/bin/python3 ] && export PATH="/usr/bin:$PATH"
# fstests for the suite's xfstests test, built from the start at full
# priority: that test is the longest path of the parallel part (minutes of
# compiling, then minutes of tests), and everything else waits for the build
# of xfsfuse anyway.  Only for the whole suite: a run of named tests rarely
# includes it, and that test builds it anyway.  Our packages come first, so
# that its apt-get and ours never meet.
if [ $# -eq 0 ]; then
	bash scripts/install-deps.sh --packages-only || { echo "0 passed, 1 failed"; exit 1; }
	mkdir -p build
	bash test/xfstests/run.sh --build-only >build/xfstests-build.log 2>&1 &
fi
bash scripts/build.sh || { echo "0 passed, 1 failed"; exit 1; }
rm -f build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
	build-tsan/meson-logs/testlog.json build-tsan/meson-logs/testlog-daemon.json
# The sanitizer builds compile meanwhile, at the lowest CPU priority: they
# take minutes on two cores, and the tests leave CPU idle much of the time
# (FUSE round trips, sleeps, xfs_repair's I/O) while barely feeling nice 19.
san_build=
if [ -z "${XFSFUSE_NO_SANITIZERS:-}" ]; then
	nice -n 19 bash scripts/run-sanitizers.sh build >build/sanitizer-build.log 2>&1 &
	san_build=$!
fi
# The tests Meson may run side by side (is_parallel) wait on FUSE round
# trips, mounts and xfs_repair more than on the CPU: three at a time.
MESON_TESTTHREADS=${MESON_TESTTHREADS:-3} meson test -C build --print-errorlogs "$@"
rc=$?
if [ -n "$san_build" ]; then
	# A failed build is built again (and reported) by the run itself.
	wait "$san_build" || { echo "sanitizer build failed:"; tail -30 build/sanitizer-build.log; }
	# ASan and TSan side by side, each with its own log, shown when both
	# are done (their progress lines would interleave).
	bash scripts/run-sanitizers.sh asan >build/asan-run.log 2>&1 &
	asan=$!
	bash scripts/run-sanitizers.sh tsan >build/tsan-run.log 2>&1 &
	tsan=$!
	wait "$asan" || rc=1
	wait "$tsan" || rc=1
	echo "=== ASan+UBSan (scripts/run-sanitizers.sh asan)"
	cat build/asan-run.log
	echo "=== TSan (scripts/run-sanitizers.sh tsan)"
	cat build/tsan-run.log
fi
python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
	build-tsan/meson-logs/testlog.json build-tsan/meson-logs/testlog-daemon.json <<'PY'
import json, os, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    if not os.path.exists(path):
        continue
    for line in open(path):
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $rc
