#!/bin/bash
# fsx with its op count capped: test_fstests.sh runs fstests' fsx-matrix.sh
# (../shared/fstests, whose variants fix -N) with FSX pointing here.  Each
# variant's seed (-S) is fixed, so a capped run is exactly the first
# FSX_MAX_OPS operations of the full one, with the same checks.
#   usage: FSX_REAL=/path/to/fsx [FSX_MAX_OPS=N] fsx-capped.sh FSX-ARGS...
args=()
prev=
for a in "$@"; do
	if [ "$prev" = -N ] && [ -n "${FSX_MAX_OPS:-}" ] && [ "$a" -gt "$FSX_MAX_OPS" ]; then
		a=$FSX_MAX_OPS
	fi
	args+=("$a")
	prev=$a
done
exec "${FSX_REAL:?}" "${args[@]}"
