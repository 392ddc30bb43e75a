#!/bin/bash
# The whole test suite: installs what is missing, builds, runs every Meson test
# (unit tests of the backend, FUSE integration tests with xfs_repair and
# kernel oracles).  Needs root and /dev/fuse (these machines have both).
# Ends with "N passed, M failed" computed from Meson's own test log.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash scripts/build.sh || { echo "0 passed, 1 failed"; exit 1; }
meson test -C build --print-errorlogs "$@"
rc=$?
python3 - "$ROOT/build/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
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
