# --profile callgrind|perf: profiles of the daemon during each measured phase
# (doc/performance.md, "Profiles").  Sourced by bench/run-bench.sh.
#   callgrind  the daemon runs under valgrind --tool=callgrind with
#              instrumentation off; it is switched on for each measured phase
#              (callgrind_control -i on / off) and dumped after it, then
#              summarised with callgrind_annotate.  50-100 times slower: use
#              it with --quick and a few workloads.
#   perf       perf record --call-graph dwarf on the daemon's PID during each phase (with
#              -e cpu-clock when the machine has no hardware counters),
#              summarised with perf report --no-children and drawn as a
#              flame graph (lib/flamegraph.py, perf.TAG.svg).
# Profiles and their summaries go to $PROFILE_DIR (kept, printed at the end).
PROFILE="${PROFILE:-}"
PROFILE_PID=

# The command prefix of a profiled daemon
profile_wrap() {
	case "$PROFILE" in
	callgrind) echo "valgrind --tool=callgrind --instr-atstart=no --separate-threads=no --callgrind-out-file=$PROFILE_DIR/callgrind.out.%p" ;;
	*) echo "" ;;
	esac
}
# Mounts take longer under valgrind
profile_mount_timeout() { [ "$PROFILE" = callgrind ] && echo 1200 || echo 200; }

profile_start() { # PID
	[ -n "$PROFILE" ] && [ -n "${1:-}" ] || return 0
	case "$PROFILE" in
	callgrind)
		callgrind_control -z "$1" >/dev/null 2>&1
		callgrind_control -i on "$1" >/dev/null 2>&1 ;;
	perf)
		local ev=()
		perf stat -e instructions true 2>&1 | grep -q 'not supported' && ev=(-e cpu-clock)
		# DWARF unwinding: neither the daemon, nor libxfs, nor Debian's
		# glibc keeps frame pointers; 250 Hz keeps the stack copies small.
		perf record "${ev[@]}" -F 250 --call-graph dwarf,16384 -p "$1" \
			-o "$PROFILE_DIR/perf.$PROFILE_TAG.data" >/dev/null 2>&1 &
		PROFILE_PID=$!
		sleep 0.5 ;;
	esac
}
profile_stop() { # PID TAG
	[ -n "$PROFILE" ] && [ -n "${1:-}" ] || return 0
	case "$PROFILE" in
	callgrind)
		callgrind_control -i off "$1" >/dev/null 2>&1
		callgrind_control -d "$2" "$1" >/dev/null 2>&1
		# The dump is the newest callgrind.out.PID.N file
		local f
		f=$(ls -t "$PROFILE_DIR"/callgrind.out."$1".* 2>/dev/null | head -1)
		[ -n "$f" ] || return 0
		mv "$f" "$PROFILE_DIR/callgrind.$2.out"
		callgrind_annotate --inclusive=no "$PROFILE_DIR/callgrind.$2.out" 2>/dev/null |
			head -60 >"$PROFILE_DIR/callgrind.$2.self.txt"
		callgrind_annotate --inclusive=yes "$PROFILE_DIR/callgrind.$2.out" 2>/dev/null |
			head -80 >"$PROFILE_DIR/callgrind.$2.inclusive.txt" ;;
	perf)
		[ -n "$PROFILE_PID" ] && kill -INT "$PROFILE_PID" 2>/dev/null && wait "$PROFILE_PID" 2>/dev/null
		PROFILE_PID=
		perf report -i "$PROFILE_DIR/perf.$2.data" --no-children --stdio -g none --percent-limit 0.5 \
			2>/dev/null | head -80 >"$PROFILE_DIR/perf.$2.self.txt"
		perf report -i "$PROFILE_DIR/perf.$2.data" --children --stdio -g none --percent-limit 2 \
			2>/dev/null | head -80 >"$PROFILE_DIR/perf.$2.inclusive.txt"
		# lib/flamegraph.py: the same samples as an SVG flame graph
		perf script -i "$PROFILE_DIR/perf.$2.data" 2>/dev/null |
			"$PYTHON" "$BENCH/lib/flamegraph.py" "xfsfuse daemon, $2 (perf, cpu-clock)" \
				>"$PROFILE_DIR/perf.$2.svg" ;;
	esac
}
