#!/bin/bash
# Keeps the benchmark suite (bench/run-bench.sh, doc/performance.md) working:
# one --quick run of one cheap workload (meta: create, stat twice, unlink)
# on xfsfuse and the kernel's XFS, into a scratch results directory.  Asserts
# that it ran, that its table has a number in every cell of both systems,
# that the JSON has no failed phase and that xfs_repair -n passed on both
# images.  Asserts no speed.  Needs root, /dev/fuse, and Debian's packages
# (the script installs python3-matplotlib if missing).
#   usage: test_bench_quick.sh XFSFUSE
set -uo pipefail
XFSFUSE="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$(mktemp -d /tmp/xfsfuse-bench-test-XXXXXX)"
trap 'rm -rf "$OUT"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

"$ROOT/bench/run-bench.sh" --quick --only meta --systems xfsfuse,kernel \
	--xfsfuse "$XFSFUSE" --out "$OUT" >"$OUT/stdout" 2>"$OUT/stderr"
rc=$?
[ "$rc" = 0 ] || bad "run-bench.sh exited $rc"
md=$(ls "$OUT"/*.md 2>/dev/null | head -1)
json="${md%.md}.json"
if [ -z "$md" ] || [ ! -s "$json" ]; then
	bad "no results file in $OUT"
else
	# The table: header "| workload | unit | xfsfuse | kernel | xfsfuse ÷ kernel |",
	# then the four meta rows, each with two numbers and a ratio.
	/usr/bin/python3 - "$md" "$json" <<'PY' || fail=1
import json, re, sys
md, js = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
errs = []
lines = md.splitlines()
try:
    h = next(i for i, l in enumerate(lines) if l.startswith("| workload | unit |"))
except StopIteration:
    sys.exit("FAIL: no results table in " + sys.argv[1])
head = [c.strip() for c in lines[h].strip("|").split("|")]
if head[2:4] != ["xfsfuse", "kernel"]:
    errs.append(f"table columns {head}")
rows = []
for l in lines[h + 2:]:
    if not l.startswith("|"):
        break
    rows.append([c.strip() for c in l.strip("|").split("|")])
want = ["create", "stat", "stat", "unlink"]
if [r[0].split()[0] for r in rows] != want:
    errs.append(f"rows {[r[0] for r in rows]}, want {want}")
num = re.compile(r"^[0-9][0-9,]*(\.[0-9]+)?~?$")
ratio = re.compile(r"^[0-9]+(\.[0-9]+)?×$")
for r in rows:
    if not (num.match(r[2]) and num.match(r[3]) and ratio.match(r[4])):
        errs.append(f"row not numeric: {r}")
for rec in js["records"]:
    if rec["error"] or rec["value"] is None or not rec["value"] > 0:
        errs.append(f"failed phase: {rec}")
checks = {c["system"]: c["result"] for c in js["checks"]}
if checks != {"xfsfuse": "ok", "kernel": "ok"}:
    errs.append(f"image checks: {checks}")
if "| xfsfuse | xfs_repair -n | ok |" not in md or "| kernel | xfs_repair -n | ok |" not in md:
    errs.append("xfs_repair -n not reported ok in the results file")
for e in errs:
    print("FAIL:", e, file=sys.stderr)
sys.exit(1 if errs else 0)
PY
fi
if [ "$fail" != 0 ]; then
	echo "--- stderr of run-bench.sh" >&2
	tail -40 "$OUT/stderr" >&2
	echo "--- stdout" >&2
	tail -60 "$OUT/stdout" >&2
	exit 1
fi
echo "bench quick run: table and xfs_repair ok"
