#!/bin/bash
# The whole test suite: installs what is missing, builds, runs every Meson
# test (backend and engine unit tests, FUSE integration tests with
# xfs_repair and kernel oracles, the model-based tester, fstests' fsx and
# fsstress), then the same suite under ASan+UBSan, and the unit tests plus
# the daemon-driving integration tests under TSan (scripts/run-sanitizers.sh).
# Needs root and /dev/fuse (these machines have both).  Ends with
# "N passed, M failed" over all the runs, computed from Meson's own test logs.
#   XFSFUSE_NO_SANITIZERS=1 skips the sanitizer builds (for quick local runs).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# The tests run python3 hundreds of times: the system's, not a version
# manager's shim in front of it (pyenv's costs 100+ ms a call).
[ -x /usr/bin/python3 ] && export PATH="/usr/bin:$PATH"
bash scripts/build.sh || { echo "0 passed, 1 failed"; exit 1; }
rm -f build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
	build-tsan/meson-logs/testlog.json build-tsan/meson-logs/testlog-daemon.json
meson test -C build --print-errorlogs "$@"
rc=$?
if [ -z "${XFSFUSE_NO_SANITIZERS:-}" ]; then
	bash scripts/run-sanitizers.sh all || rc=1
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
