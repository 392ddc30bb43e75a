# Shared helpers of the bash integration tests; sourced, never run:
#     HERE="$(cd "$(dirname "$0")" && pwd)"
#     . "$HERE/lib.sh"
#     lib_init NAME
# A script sets XFSFUSE before it calls fuse_mount, and ends with lib_finish.
# Globals it may read: WORK, MNT, DAEMON_LOG, DAEMON_PID, pass, fail.

LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The test runs again in a mount namespace of its own (same PID: exec), whose
# mounts (FUSE and kernel loop mounts) no other namespace sees: a namespace
# made meanwhile by anyone else (unshare -m, as test_fuse_basic does) would
# copy them and keep each kernel mount, its loop device and its image busy
# after our umount for as long as it lives.  XFSFUSE_OWN_NS=1 means done.
if [ -z "${XFSFUSE_OWN_NS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	XFSFUSE_OWN_NS=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
fi

# ci_or_full CI FULL: a run length (ops, rounds, seconds) -- the CI-sized
# default, or the full length when XFSFUSE_FULL=1 (README, "What CI runs").
# An explicit knob (XFSFUSE_MODEL_OPS=..., ...) overrides both.
ci_or_full() { if [ "${XFSFUSE_FULL:-0}" = 1 ]; then echo "$2"; else echo "$1"; fi; }
pass=0
fail=0
DAEMON_PID=
LIB_MOUNT_DIRS=()

# Counting instead of exiting at the first failure: one run reports every
# broken assertion, and lib_finish turns the count into the exit status.
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# check DESC CMD...: CMD must succeed (its output is left alone).
check() { local what="$1"; shift; if "$@"; then ok; else bad "$what"; fi; }
# check_eq DESC EXPECTED ACTUAL: the message shows both values.
check_eq() { if [ "$2" = "$3" ]; then ok; else bad "$1: expected '$2', got '$3'"; fi; }

# lib_init NAME: a private scratch dir (/tmp/xfsfuse-NAME-XXXXXX) holding the
# FUSE mount point, and a trap that leaves no mount, daemon or file behind
# whatever way the script ends.
lib_init() {
	WORK="$(mktemp -d "/tmp/xfsfuse-$1-XXXXXX")" || exit 1
	MNT="$WORK/mnt"
	DAEMON_LOG="$WORK/daemon.log"
	mkdir -p "$MNT"
	trap lib_cleanup EXIT
	# Meson's timeout sends SIGTERM: say where everything stands first.
	trap 'echo "terminated (timeout?)" >&2; bash "$LIB_DIR/diagnose.sh" "$MNT" "$DAEMON_PID" >&2; exit 1' TERM
}

# lib_mount_dir DIR: makes DIR (e.g. the kernel loop mount of an oracle
# check) and unmounts it at exit if a failed check left it mounted.
lib_mount_dir() {
	mkdir -p "$1"
	LIB_MOUNT_DIRS+=("$1")
}

# The FUSE mount goes first: the daemon exits only once it is unmounted, so
# the wait must come after it.
lib_cleanup() {
	local d
	mountpoint -q "$MNT" && umount "$MNT"
	for d in "${LIB_MOUNT_DIRS[@]}"; do
		mountpoint -q "$d" && umount "$d"
	done
	[ -n "$DAEMON_PID" ] && wait "$DAEMON_PID" 2>/dev/null
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}

# unlinked_buckets IMAGE: the AGI unlinked entries of every AG ("" if none).
unlinked_buckets() {
	local ags a
	ags=$(xfs_db -r -c 'sb 0' -c 'print agcount' "$1" | sed 's/.*= //')
	for a in $(seq 0 $((ags - 1))); do
		xfs_db -r -c "agi $a" -c 'print unlinked' "$1" | sed -n "s/^unlinked\[0-63\] = *//p" |
			sed "/^$/d; s/^/ag $a: /"
	done
}

# loop_released IMAGE: waits (10 s at most) until no loop device is backed
# by IMAGE.  After umount(8) of a kernel loop mount the loop device is freed
# when its last opener closes it, and a `mount -o loop` running elsewhere
# (another test, another user) holds every loop device open a moment while
# it scans them: until then xfsfuse refuses the image ("attached to a loop
# device") and a new loop mount of it may fail or find the old device.
loop_released() {
	local f i
	f="$(realpath "$1")" || return 0
	for i in $(seq 100); do
		grep -qsxF "$f" /sys/block/loop*/loop/backing_file || return 0
		sleep 0.1
	done
	echo "loop_released: $1 still backs a loop device after 10 s" >&2
	return 1
}

# fuse_mount IMAGE [OPTS]: the daemon runs with -f (no fork) as a background
# job of this shell, so that fuse_unmount can collect its exit status; its
# stderr goes to DAEMON_LOG, shown by lib_finish on failure.  Returns 0 once
# MNT is a mount point, non-zero after 10 s or as soon as the daemon died.
fuse_mount() {
	local opts=()
	[ -n "${2:-}" ] && opts=(-o "$2")
	loop_released "$1"
	"$XFSFUSE" -f "${opts[@]}" "$1" "$MNT" 2>>"$DAEMON_LOG" &
	DAEMON_PID=$!
	local _
	for _ in $(seq 100); do
		mountpoint -q "$MNT" && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# fuse_unmount: returns the daemon's exit status.  umount returns before the
# daemon has written the image back, so the image may be read (repair,
# kernel) only after the wait.  A failed umount counts as a failure and
# returns 1 without waiting (the daemon is still serving; the exit trap
# tries again).  Must run in this shell, not in $(...): wait needs the child.
fuse_unmount() {
	local i
	# A process of ours may still be closing a file: give it 10 s.
	for i in $(seq 10); do
		umount "$MNT" 2>/dev/null && break
		sleep 1
	done
	if mountpoint -q "$MNT"; then
		bad "umount $MNT"
		bash "$LIB_DIR/diagnose.sh" "$MNT" "$DAEMON_PID" >&2
		return 1
	fi
	wait "$DAEMON_PID"
	local rc=$?
	DAEMON_PID=
	return $rc
}

# check_mount IMAGE [OPTS]: fuse_mount as an assertion; still returns its
# status, so that a caller can skip what needs the mount.
check_mount() {
	if fuse_mount "$@"; then ok; else bad "mount $1${2:+ -o $2}"; return 1; fi
}

# check_unmount [LABEL]: the daemon must exit 0; a non-zero exit is how it
# reports a writeback it could not do or a shutdown, invisible otherwise.
check_unmount() {
	fuse_unmount
	check_eq "daemon exit status${1:+ ($1)}" 0 "$?"
}

# repair_clean IMAGE: the xfs_repair -n oracle (quiet unless it complains).
repair_clean() { bash "$LIB_DIR/../oracle/repair-check.sh" "$1"; }

# lib_finish: the summary line is for humans (meson reads the exit status);
# on failure the daemon's last words come first, they usually say why.
lib_finish() {
	if [ "$fail" != 0 ] && [ -s "${DAEMON_LOG:-}" ]; then
		echo "daemon log (last 20 lines):"
		tail -20 "$DAEMON_LOG"
		# A sanitizer build's report is long and says where: show it whole.
		if grep -q 'Sanitizer' "$DAEMON_LOG"; then
			echo "sanitizer report(s) in the daemon log:"
			sed -n '/^==================$/,/^SUMMARY/p; /ERROR: [A-Za-z]*Sanitizer/,/^SUMMARY/p' \
				"$DAEMON_LOG" | head -300
		fi
	fi
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ] && exit 0
	exit 1
}
