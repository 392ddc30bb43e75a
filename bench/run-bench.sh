#!/bin/bash
# The benchmark suite (doc/performance.md): in one run, for each system,
# a fresh preallocated image, mount, every workload (fio with JSON output,
# Python for metadata), unmount, xfs_repair -n (e2fsck -fn for ext4); then
# one table of medians and ratios (xfsfuse / each other system), the daemon's
# CPU time per GiB (or per operation) and peak RSS, the issue 10 targets met
# or missed, and a dated results file with its JSON and PNG chart.
#
#   usage: bench/run-bench.sh [--quick] [--only W[,W...]] [--systems S[,S...]]
#                             [--reps N] [--out DIR] [--xfsfuse PATH] [--keep] [--list]
#                             [--profile callgrind|perf]
#
#   --quick     one run of each workload, smaller sizes (a few minutes)
#   --only      workloads to run (default: all; --list shows them)
#   --systems   systems to compare (default: xfsfuse,xfsfuse-none,xfsfuse-uring,
#               xfsfuse-wbc,kernel,fuse2fs,passthrough_hp,passthrough_ll;
#               also xfsfuse-64k, xfsfuse-kdirty)
#   --reps N    runs of every workload per system, medians reported
#               (default 3; 1 with --quick)
#   --out DIR   where YYYY-MM-DD-HHMM.{md,json,png} go (default bench/results)
#   --xfsfuse   the binary (default build/src/xfsfuse, else xfsfuse on PATH)
#   --keep      keep the scratch directory (images, fio JSON, daemon logs)
#   --profile   profile the xfsfuse daemons during each measured phase
#               (lib/profile.sh; the numbers of such a run are not speeds)
#
# Installs what is missing from Debian (fio, fuse2fs, python3-matplotlib; for
# the passthrough systems, Debian's fuse3 source and what builds its
# examples, kept in /var/cache/xfsfuse-bench).  Needs root and /dev/fuse.
# Scratch space: $BENCH_WORK (default /var/tmp), about 2 x 8 GiB at a time.
set -uo pipefail
BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
FSOPS="$BENCH/workloads/fsops.py"
# Debian's Python (python3-matplotlib is its module), not a python3 that PATH
# may find first (pyenv and the like).
PYTHON="${BENCH_PYTHON:-/usr/bin/python3}"
[ -x "$PYTHON" ] || PYTHON=python3
. "$BENCH/lib/common.sh"
. "$BENCH/lib/deps.sh"
. "$BENCH/lib/seed.sh"
. "$BENCH/lib/profile.sh"
for f in "$BENCH"/lib/sys-*.sh "$BENCH"/workloads/*.sh; do . "$f"; done

ALL_WORKLOADS="seqwrite seqread randwrite randread fsync meta readdir untar scale extents"
ALL_SYSTEMS="xfsfuse xfsfuse-none xfsfuse-uring xfsfuse-wbc xfsfuse-64k xfsfuse-kdirty kernel fuse2fs passthrough_hp passthrough_ll"
DEFAULT_SYSTEMS="xfsfuse,xfsfuse-none,xfsfuse-uring,xfsfuse-wbc,kernel,fuse2fs,passthrough_hp,passthrough_ll"

QUICK=0 ONLY="" SYSTEMS="$DEFAULT_SYSTEMS" REPS="" OUT="$BENCH/results" KEEP=0
XFSFUSE="${XFSFUSE:-}"
usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--only) ONLY="$2"; shift ;;
	--only=*) ONLY="${1#*=}" ;;
	--systems) SYSTEMS="$2"; shift ;;
	--systems=*) SYSTEMS="${1#*=}" ;;
	--reps) REPS="$2"; shift ;;
	--reps=*) REPS="${1#*=}" ;;
	--out) OUT="$2"; shift ;;
	--out=*) OUT="${1#*=}" ;;
	--xfsfuse) XFSFUSE="$2"; shift ;;
	--xfsfuse=*) XFSFUSE="${1#*=}" ;;
	--keep) KEEP=1 ;;
	--profile) PROFILE="$2"; shift ;;
	--profile=*) PROFILE="${1#*=}" ;;
	--list)
		echo "workloads: $ALL_WORKLOADS"
		echo "systems:   $ALL_SYSTEMS"
		exit 0 ;;
	-h | --help) usage 0 ;;
	*) echo "run-bench.sh: unknown argument $1" >&2; usage 2 ;;
	esac
	shift
done

[ "$(id -u)" = 0 ] || die "needs root (loop devices, mounts, drop_caches)"
[ -c /dev/fuse ] || die "needs /dev/fuse"
if [ -z "$XFSFUSE" ]; then
	if [ -x "$ROOT/build/src/xfsfuse" ]; then XFSFUSE="$ROOT/build/src/xfsfuse"
	else XFSFUSE="$(command -v xfsfuse || true)"; fi
fi
XFSFUSE="$(readlink -f "$XFSFUSE" 2>/dev/null || echo "$XFSFUSE")"

# Sizes: full run, or --quick.  Each may be overridden from the environment
# (BENCH_SEQ_MB=... and so on).
if [ "$QUICK" = 1 ]; then
	d_img=4G d_seq=256 d_rand=64 d_rt=3 d_meta=2000 d_rdir=20000 d_scale=100000 d_ext=10000
	d_untar=/usr/include/linux d_reps=1 d_cap=15
else
	d_img=8G d_seq=1024 d_rand=256 d_rt=5 d_meta=10000 d_rdir=100000 d_scale=1000000 d_ext=100000
	d_untar=/usr/include d_reps=3 d_cap=30
fi
IMG_SIZE="${BENCH_IMG_SIZE:-$d_img}"
SEQ_MB="${BENCH_SEQ_MB:-$d_seq}"
RAND_MB="${BENCH_RAND_MB:-$d_rand}"
RUNTIME="${BENCH_RUNTIME:-$d_rt}"
META_N="${BENCH_META_N:-$d_meta}"
READDIR_N="${BENCH_READDIR_N:-$d_rdir}"
SCALE_N="${BENCH_SCALE_N:-$d_scale}"
EXTENTS="${BENCH_EXTENTS:-$d_ext}"
UNTAR_SRC="${BENCH_UNTAR_SRC:-$d_untar}"
CAP_S="${BENCH_CAP_S:-$d_cap}"
REPS="${REPS:-$d_reps}"

WORKLOADS=$(echo "${ONLY:-$ALL_WORKLOADS}" | tr ',' ' ')
for w in $WORKLOADS; do
	case " $ALL_WORKLOADS " in *" $w "*) ;; *) die "unknown workload $w (--list)" ;; esac
done
SYSTEM_LIST=$(echo "$SYSTEMS" | tr ',' ' ')
family() {
	case "$1" in
	xfsfuse*) echo xfsfuse ;;
	kernel) echo kernel ;;
	fuse2fs) echo fuse2fs ;;
	passthrough_hp | passthrough_ll) echo passthrough ;;
	*) return 1 ;;
	esac
}
for s in $SYSTEM_LIST; do family "$s" >/dev/null || die "unknown system $s (--list)"; done
case "$PROFILE" in
"" | perf) ;;
callgrind) apt_install valgrind || die "valgrind could not be installed" ;;
*) die "--profile callgrind or perf" ;;
esac
[ "$PROFILE" = perf ] && { command -v perf >/dev/null || apt_install linux-perf || die "no perf"; }

# What to install: only what the selection uses.
need_pkgs=(python3 xfsprogs e2fsprogs util-linux tar python3-matplotlib)
uses_fio=0
for w in $WORKLOADS; do
	case "$w" in seqwrite | seqread | randwrite | randread | fsync | extents) uses_fio=1 ;; esac
done
[ "$uses_fio" = 1 ] && need_pkgs+=(fio)
case " $SYSTEM_LIST " in *" fuse2fs "*) need_pkgs+=(fuse2fs) ;; esac
apt_install "${need_pkgs[@]}" || log "warning: some packages could not be installed"
FUSE3_VERSION=""
case " $SYSTEM_LIST " in *" passthrough_"*) build_passthrough || true ;; esac

BENCH_WORK="${BENCH_WORK:-/var/tmp}"
RUN_DIR="$(mktemp -d "$BENCH_WORK/xfsfuse-bench-XXXXXX")" || die "no scratch directory in $BENCH_WORK"
MNT="$RUN_DIR/mnt"
mkdir -p "$MNT"
DAEMON_PID=
if [ -n "$PROFILE" ]; then
	PROFILE_DIR="$OUT/profile-$(date +%Y-%m-%d-%H%M)"
	mkdir -p "$PROFILE_DIR"
fi
cleanup() {
	mountpoint -q "$MNT" && { umount "$MNT" 2>/dev/null || umount -l "$MNT"; }
	[ -n "$DAEMON_PID" ] && { wait "$DAEMON_PID" 2>/dev/null || true; }
	local d
	for d in "$RUN_DIR/under" "$RUN_DIR/seedmnt"; do
		mountpoint -q "$d" 2>/dev/null && umount "$d"
	done
	if [ "$KEEP" = 1 ]; then log "scratch kept in $RUN_DIR"; else rm -rf "$RUN_DIR"; fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

START=$(date +%s)
STAMP=$(date +%Y-%m-%d-%H%M)
RAW="$RUN_DIR/raw.jsonl"
CHECKS="$RUN_DIR/checks.jsonl"
: >"$RAW"; : >"$CHECKS"
LOAD_START=$(cat /proc/loadavg)
log "run in $RUN_DIR: systems [$SYSTEM_LIST], workloads [$WORKLOADS], $REPS rep(s)$([ "$QUICK" = 1 ] && echo ', quick'); load $LOAD_START"

# The archive untar extracts, made once on the host.
case " $WORKLOADS " in
*" untar "*)
	UNTAR_TAR="$RUN_DIR/untar.tar"
	tar -C "$(dirname "$UNTAR_SRC")" -cf "$UNTAR_TAR" "$(basename "$UNTAR_SRC")" || die "tar of $UNTAR_SRC"
	UNTAR_ENTRIES=$(tar -tf "$UNTAR_TAR" | wc -l)
	UNTAR_BYTES=$(tar -tvf "$UNTAR_TAR" | awk '{ s += $3 } END { print s + 0 }')
	;;
esac

# Base images, one per filesystem type the systems use.
NEEDS=""
for w in $WORKLOADS; do
	declare -F "wl_${w}_needs" >/dev/null && NEEDS="$NEEDS $(wl_"${w}"_needs)"
done
FS_TYPES=""
for s in $SYSTEM_LIST; do
	fs=$("$(family "$s")_fs")
	case " $FS_TYPES " in *" $fs "*) ;; *) FS_TYPES="$FS_TYPES $fs" ;; esac
done
for fs in $FS_TYPES; do
	t0=$(date +%s)
	make_base "$fs" "$NEEDS" || die "could not make the $fs base image"
	log "base $fs image ready in $(($(date +%s) - t0)) s ${NEEDS:+(seeded:$NEEDS)} $(cat "$RUN_DIR/seed-$fs.txt")"
done

# json_str S: S as a JSON string
json_str() { "$PYTHON" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

record() { # SYSTEM REP WORKLOAD PHASE COLD RESULT-LINE|"" CPU_TICKS HWM RSS LOAD ERROR
	local v u ops bytes secs
	read -r v u ops bytes secs <<<"${6:-}"
	printf '{"system":"%s","rep":%d,"workload":"%s","phase":"%s","cold":%s,"value":%s,"unit":"%s","ops":%s,"bytes":%s,"seconds":%s,"cpu_ticks":%s,"hwm_kib":%s,"rss_kib":%s,"load1":%s,"error":%s}\n' \
		"$1" "$2" "$3" "$4" "$5" "${v:-null}" "${u:-}" "${ops:-null}" "${bytes:-null}" "${secs:-null}" \
		"${7:-null}" "${8:-null}" "${9:-null}" "${10:-null}" "$(json_str "${11:-}")" >>"$RAW"
}

# The system now running: FAM, SYS, IMG.
remount() {
	"${FAM}_umount" "$SYS" "$IMG" || return 1
	drop_caches
	"${FAM}_mount" "$SYS" "$IMG"
}

# run_workload WL REP: setup (unmeasured), each phase measured, cleanup.
# Returns 2 when the system is lost (a remount failed).
run_workload() {
	local wl=$1 rep=$2 p phase cold pid c0 c1 load err
	REP=$rep
	PHASE_OUT="$RUN_DIR/phase.out"
	if declare -F "wl_${wl}_setup" >/dev/null && ! (cd "$MNT" && "wl_${wl}_setup") >>"$RUN_DIR/$SYS.log" 2>&1; then
		for p in $(wl_"${wl}"_phases); do record "$SYS" "$rep" "$wl" "${p%%:*}" false "" "" "" "" "" "setup failed"; done
		log "$SYS $wl: setup failed (see $SYS.log)"
		return 1
	fi
	for p in $(wl_"${wl}"_phases); do
		phase=${p%%:*}
		cold=false
		if [ "$p" != "$phase" ]; then
			cold=true
			remount || { record "$SYS" "$rep" "$wl" "$phase" true "" "" "" "" "" "remount failed"; return 2; }
		fi
		pid=$DAEMON_PID
		load=$(cut -d' ' -f1 /proc/loadavg)
		rm -f "$PHASE_OUT"
		c0=$(proc_cpu_ticks "$pid")
		proc_reset_hwm "$pid"
		err=""
		case "$SYS" in xfsfuse*) PROFILE_TAG="$SYS.$wl.$phase.$rep"; profile_start "$pid" ;; esac
		(cd "$MNT" && "wl_${wl}_${phase}") >>"$RUN_DIR/$SYS.log" 2>&1 || err="failed (see $SYS.log)"
		c1=$(proc_cpu_ticks "$pid")
		case "$SYS" in xfsfuse*) profile_stop "$pid" "$SYS.$wl.$phase.$rep" ;; esac
		if [ -z "$err" ] && [ ! -s "$PHASE_OUT" ]; then err="no result"; fi
		if [ -n "$pid" ]; then
			record "$SYS" "$rep" "$wl" "$phase" "$cold" "$([ -z "$err" ] && cat "$PHASE_OUT")" \
				"$((c1 - c0))" "$(proc_kib "$pid" VmHWM)" "$(proc_kib "$pid" VmRSS)" "$load" "$err"
		else
			record "$SYS" "$rep" "$wl" "$phase" "$cold" "$([ -z "$err" ] && cat "$PHASE_OUT")" \
				"" "" "" "$load" "$err"
		fi
		if [ -n "$err" ]; then
			log "$SYS $wl.$phase: $err"
		else
			log "$SYS rep $rep $wl.$phase: $(cut -d' ' -f1,2 "$PHASE_OUT")$([ -n "$pid" ] && echo ", peak RSS $(($(proc_kib "$pid" VmHWM) / 1024)) MiB")"
		fi
	done
	if declare -F "wl_${wl}_cleanup" >/dev/null; then
		(cd "$MNT" && "wl_${wl}_cleanup") >>"$RUN_DIR/$SYS.log" 2>&1 || true
	fi
	return 0
}

declare -A SYS_DESC SYS_VERSION
for SYS in $SYSTEM_LIST; do
	FAM=$(family "$SYS")
	SYS_DESC[$SYS]=$("${FAM}_desc" "$SYS")
	if ! "${FAM}_available" "$SYS"; then
		SYS_VERSION[$SYS]="unavailable"
		echo "{\"system\":\"$SYS\",\"fs\":\"\",\"result\":\"skipped\",\"output\":\"not available\"}" >>"$CHECKS"
		continue
	fi
	SYS_VERSION[$SYS]=$("${FAM}_version" "$SYS")
	fs=$("${FAM}_fs")
	IMG="$RUN_DIR/$SYS.img"
	t0=$(date +%s)
	fresh_image "$fs" "$IMG" || die "could not copy the $fs base image"
	drop_caches
	if ! "${FAM}_mount" "$SYS" "$IMG"; then
		log "$SYS: mount failed (see $RUN_DIR/$SYS.log)"
		tail -5 "$RUN_DIR/$SYS.log" >&2 2>/dev/null
		echo "{\"system\":\"$SYS\",\"fs\":\"$fs\",\"result\":\"mount failed\",\"output\":\"\"}" >>"$CHECKS"
		"${FAM}_umount" "$SYS" "$IMG" >/dev/null 2>&1
		rm -f "$IMG"
		continue
	fi
	log "$SYS: mounted (${SYS_DESC[$SYS]})"
	lost=0
	for rep in $(seq "$REPS"); do
		for wl in $WORKLOADS; do
			run_workload "$wl" "$rep"
			[ $? = 2 ] && { lost=1; break 2; }
		done
	done
	"${FAM}_umount" "$SYS" "$IMG" || log "$SYS: unmount failed"
	if [ "$lost" = 1 ]; then
		log "$SYS: lost its mount; remaining workloads skipped"
	fi
	if "${FAM}_check" "$SYS" "$IMG" >"$RUN_DIR/check-$SYS.txt" 2>&1; then res=ok; else res="FAILED (rc $?)"; fi
	log "$SYS: $([ "$fs" = ext4 ] && echo 'e2fsck -fn' || echo 'xfs_repair -n'): $res ($(($(date +%s) - t0)) s for this system)"
	"$PYTHON" -c 'import json,sys; print(json.dumps({"system": sys.argv[1], "fs": sys.argv[2], "result": sys.argv[3], "output": open(sys.argv[4], errors="replace").read()[-2000:]}))' \
		"$SYS" "$fs" "$res" "$RUN_DIR/check-$SYS.txt" >>"$CHECKS"
	rm -f "$IMG"
done
END=$(date +%s)

# meta.json: what report.py needs besides the raw records.
sys_json=$(for s in $SYSTEM_LIST; do printf '%s\t%s\t%s\n' "$s" "${SYS_DESC[$s]:-}" "${SYS_VERSION[$s]:-}"; done)
seed_txt=$(for fs in $FS_TYPES; do [ -s "$RUN_DIR/seed-$fs.txt" ] && echo "$fs: $(cat "$RUN_DIR/seed-$fs.txt")"; done)
"$PYTHON" - "$RUN_DIR/meta.json" <<PY
import json, os, platform, subprocess, sys
def sh(c):
    try:
        return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""
systems = []
for line in """$sys_json""".splitlines():
    if line.strip():
        n, d, v = (line.split("\t") + ["", ""])[:3]
        systems.append({"name": n, "desc": d, "version": v})
meta = {
    "stamp": "$STAMP",
    "quick": $QUICK == 1,
    "reps": int("$REPS"),
    "workloads": "$WORKLOADS".split(),
    "systems": systems,
    "sizes": {"image": "$IMG_SIZE", "seq_mb": int("$SEQ_MB"), "rand_mb": int("$RAND_MB"),
              "runtime_s": int("$RUNTIME"), "cap_s": int("$CAP_S"), "meta_n": int("$META_N"),
              "readdir_n": int("$READDIR_N"), "scale_n": int("$SCALE_N"),
              "extents": int("$EXTENTS"), "untar_src": "$UNTAR_SRC",
              "untar_entries": int("${UNTAR_ENTRIES:-0}"), "untar_bytes": int("${UNTAR_BYTES:-0}")},
    "seed_extents": """$seed_txt""".strip().splitlines(),
    "start": $START, "end": $END, "seconds": $END - $START,
    "load_start": "$LOAD_START", "load_end": open("/proc/loadavg").read().strip(),
    "host": {"kernel": platform.release(), "cpus": os.cpu_count(),
             "cpu": sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"),
             "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
             "debian": sh("cat /etc/debian_version"), "fio": sh("fio --version"),
             "work_fs": sh("df -T $RUN_DIR | awk 'NR==2 {print \$2}'")},
    "xfsfuse": {"binary": "$XFSFUSE", "git": sh("git -C $(dirname "$XFSFUSE") describe --always --dirty 2>/dev/null")},
    "fuse3_source": "$FUSE3_VERSION",
    "clk_tck": os.sysconf("SC_CLK_TCK"),
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
PY
log "all systems done in $((END - START)) s; load now $(cat /proc/loadavg)"
mkdir -p "$OUT"
"$PYTHON" "$BENCH/report.py" "$RUN_DIR" "$OUT/$STAMP"
rc=$?
if [ -n "$PROFILE" ]; then log "profiles: $PROFILE_DIR"; fi
exit $rc
