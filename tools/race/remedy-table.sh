#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The three stale remedies side by side (doc/race.md, "Three remedies"):
# every race of the deterministic harness, the statistical workloads of
# xfsfuse-race and fstests' generic/344 and generic/346, each in
# stale_remedy=none, merged and rfc, measured in one run and printed as one
# Markdown table.
#
#   usage: tools/race/remedy-table.sh [--seconds N] [--build DIR] [--no-xfstests] [--write-doc]
#     --seconds N    length of each xfsfuse-race run (default 20)
#     --build DIR    the Meson build directory (default: build, else build-dev)
#     --no-xfstests  leave out generic/344 and generic/346
#     --write-doc    also put the table into doc/race.md between its markers
#
# Needs root and /dev/fuse (and loop devices for fstests and the kernel
# oracle).  Exits non-zero if a run could not be made; what the remedies do
# to the data is the table's business, not the exit status's.
set -u
set -o pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SECONDS_EACH=20
BUILD=
XFSTESTS=1
WRITE_DOC=0
MODES="none merged rfc"

die() { echo "remedy-table: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) SECONDS_EACH=$2; shift ;;
	--build) BUILD=$2; shift ;;
	--no-xfstests) XFSTESTS=0 ;;
	--write-doc) WRITE_DOC=1 ;;
	-h|--help) sed -n '2,/^set -u/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
	*) die "unknown argument $1" ;;
	esac
	shift
done
if [ -z "$BUILD" ]; then
	for b in build build-dev; do
		[ -x "$REPO/$b/test/test_race" ] && BUILD=$REPO/$b && break
	done
fi
[ -n "$BUILD" ] && [ -x "$BUILD/test/test_race" ] || die "no built test/test_race (meson setup build && ninja -C build)"
RACE=$BUILD/tools/xfsfuse-race
[ -x "$RACE" ] || die "no $RACE"
OUT=$(mktemp -d /tmp/remedy-table.XXXXXX)
ROWS=$OUT/rows

# One table row: workload | mode | corrupt blocks | lost stores | stale maps caught | delalloc kept / left | repair
row() { printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$@" >>"$ROWS"; }

# ---- the deterministic harness: every race, every mode, three geometries
echo "remedy-table: race harness ($BUILD/test/test_race)" >&2
"$BUILD/test/test_race" >"$OUT/harness.log" 2>&1
harness_rc=$?
grep -q "checks, 0 failed" "$OUT/harness.log" && harness_repair=clean || harness_repair="CHECKS FAILED"
# race: <scenario> bs=.. folio=.. <mode> stale_iomaps=N kernel=.. <result>
harness_row() { # SCENARIO LABEL MODE
	local lines corrupt lost stale kept geoms
	lines=$(awk -v s="$1" -v m="$3" '$1 == "race:" && $2 == s && $5 == m' "$OUT/harness.log")
	geoms=$(grep -c . <<<"$lines")
	[ "$geoms" -gt 0 ] || return 0
	corrupt=$(grep -c "CORRUPTED" <<<"$lines")
	lost=$(grep -c "STORE LOST" <<<"$lines")
	stale=$(grep -o "stale_iomaps=[0-9]*" <<<"$lines" | awk -F= '{s += $2} END {print s + 0}')
	kept=$( (grep -o "kept[= ][0-9]*" <<<"$lines" || true) | grep -o "[0-9]*" | awk '{s += $1} END {print s + 0}')
	case "$lines" in
	*"delalloc until inode teardown"*) kept="$kept (delalloc until teardown)" ;;
	*"unwritten extents for good"*) kept="$kept (unwritten for good)" ;;
	esac
	row "$2" "$3" "$corrupt/$geoms" "$lost/$geoms" "$stale" "$kept" "$harness_repair"
}
for s in "1-unwritten:race 1, unwritten → written" "2-delalloc:race 2, delalloc → written" \
	 "3-short-mmap:race 3, short write vs mmap store" "4-wb-map:race 4, writeback map" \
	 "5-stale-clean:race 5, stale cleanup vs mmap store" \
	 "6a-remap-fails:race 6a, remap fails (nothing written)" \
	 "6b-remap-fails:race 6b, remap fails (one folio written)"; do
	for m in $MODES validate+legacy wb-check=defeated; do
		harness_row "${s%%:*}" "${s#*:}" "$m"
	done
done

# ---- the statistical workloads on a real mount
for w in unwritten delalloc mmap; do
	for m in $MODES; do
		echo "remedy-table: xfsfuse-race --mode=$m --workload=$w --seconds $SECONDS_EACH" >&2
		last=$("$RACE" --mode="$m" --workload="$w" --seconds "$SECONDS_EACH" -q 2>"$OUT/race-$w-$m.err" | tail -1)
		echo "$last" >"$OUT/race-$w-$m.log"
		case "$last" in race:*) ;; *) die "xfsfuse-race $m $w: no result (see $OUT)" ;; esac
		v() { grep -o "$1=[a-z0-9]*" <<<"$last" | cut -d= -f2; }
		corrupt=$(v corrupt_blocks) lost=-
		[ "$w" = mmap ] && lost=$corrupt && corrupt=-
		kept=-
		[ "$m" = rfc ] && kept="$(v stale_kept_blocks) kept, $(v kept_reclaimed_blocks) left to teardown"
		row "xfsfuse-race $w, ${SECONDS_EACH} s" "$m" "$corrupt" "$lost" "$(v stale_iomaps)" "$kept" "$(v repair)"
	done
done

# ---- fstests: the tests that exposed the punch race
if [ "$XFSTESTS" = 1 ]; then
	for t in generic/344 generic/346; do
		for m in $MODES; do
			echo "remedy-table: fstests $t, stale_remedy=$m" >&2
			XFSFUSE_OPTS=stale_remedy=$m "$REPO/test/xfstests/run.sh" --xfsfuse "$BUILD/src/xfsfuse" "$t" \
				>"$OUT/fstests-${t/\//-}-$m.log" 2>&1
			last=$(grep "^xfstests:" "$OUT/fstests-${t/\//-}-$m.log" | tail -1)
			case "$last" in
			*"1 passed"*) verdict=passed ;;
			*"1 failed"*) verdict=FAILED ;;
			*"not run"*) verdict="not run" ;;
			*) die "fstests $t $m: no result (see $OUT)" ;;
			esac
			row "fstests $t" "$m" "$verdict" "-" "-" "-" "clean (checked after the test)"
		done
	done
fi

{
	echo "Measured $(date -u +%Y-%m-%d) on $(nproc) CPUs by \`tools/race/remedy-table.sh --seconds $SECONDS_EACH\` (commit $(git -C "$REPO" rev-parse --short HEAD))."
	echo
	echo "| workload | mode | corrupt blocks | lost mmap stores | stale maps caught | RFC's kept delalloc (blocks) | repair |"
	echo "|---|---|---|---|---|---|---|"
	cat "$ROWS"
} >"$OUT/table.md"
cat "$OUT/table.md"

if [ "$WRITE_DOC" = 1 ]; then
	doc=$REPO/doc/race.md
	grep -q '<!-- remedy-table:begin -->' "$doc" || die "no <!-- remedy-table:begin --> marker in $doc"
	awk -v table="$OUT/table.md" '
		/<!-- remedy-table:begin -->/ { print; while ((getline l < table) > 0) print l; skip = 1; next }
		/<!-- remedy-table:end -->/ { skip = 0 }
		!skip' "$doc" >"$OUT/race.md" && cp "$OUT/race.md" "$doc"
	echo "remedy-table: doc/race.md updated" >&2
fi
echo "remedy-table: logs in $OUT (harness exit $harness_rc)" >&2
exit 0
