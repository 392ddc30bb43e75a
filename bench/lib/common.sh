# Helpers shared by bench/run-bench.sh, the system files (sys-*.sh) and the
# workload files (bench/workloads/*.sh).  Sourced, not run.

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Empty the kernel's page, dentry and inode caches (ours and the host's copy
# of every image file): what "cold" means in this suite.
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

# wait_mounted DIR [PID [TENTHS]]: until DIR is a mount point (default 20 s),
# or PID died.
wait_mounted() {
	local dir=$1 pid=${2:-} i
	for i in $(seq "${3:-200}"); do
		mountpoint -q "$dir" && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
	return 1
}

# umount_wait DIR [PID]: unmount DIR and wait for the daemon PID to exit
# (FUSE daemons write back after the unmount returns).
umount_wait() {
	local dir=$1 pid=${2:-} i
	if mountpoint -q "$dir"; then
		umount "$dir" 2>/dev/null || { sleep 1; umount "$dir" 2>/dev/null; } || umount -l "$dir"
	fi
	if [ -n "$pid" ]; then
		for i in $(seq 1200); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		# A daemon still there 120 s after its unmount is stuck (seen once:
		# passthrough_hp 3.14 after EMFILE errors): end it, say so.
		if kill -0 "$pid" 2>/dev/null; then
			log "daemon $pid still running 120 s after unmount: SIGTERM"
			kill -TERM "$pid" 2>/dev/null; sleep 2
			kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null || true
	fi
}

# The daemon's CPU time in clock ticks (utime + stime of all its threads).
proc_cpu_ticks() {
	[ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || { echo 0; return; }
	# Field 2 (comm) may hold spaces: cut after the last ')'.
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
# proc_kib PID FIELD: VmHWM or VmRSS in KiB
proc_kib() {
	[ -n "${1:-}" ] && [ -r "/proc/$1/status" ] || { echo 0; return; }
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}
# Reset the peak RSS (VmHWM) to the current RSS (Linux >= 4.0).
proc_reset_hwm() {
	[ -n "${1:-}" ] && [ -w "/proc/$1/clear_refs" ] && echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true
}

now() { date +%s.%N; }

# phase_result VALUE UNIT OPS BYTES SECONDS: what a measured phase reports
# (to "$PHASE_OUT", read by run-bench.sh).
phase_result() { echo "$1 $2 $3 $4 $5" >"$PHASE_OUT"; }

# run_fio NAME ARGS...: one fio run in $MNT, JSON output; reports the
# summed read or write rate of all jobs as a phase result (UNIT: MiB/s or
# IOPS, by $FIO_UNIT).
run_fio() {
	local name=$1; shift
	local out="$RUN_DIR/fio-$name.json"
	fio --name="$name" --directory="$MNT" --ioengine=psync --output-format=json \
		--output="$out" "$@" >/dev/null 2>"$RUN_DIR/fio-$name.err" ||
		{ cat "$RUN_DIR/fio-$name.err" >&2; return 1; }
	"$PYTHON" "$BENCH/workloads/fsops.py" fio-result "$out" "${FIO_UNIT:-MiB/s}" >"$PHASE_OUT"
}
