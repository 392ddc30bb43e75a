#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run fstests (xfstests) against xfsfuse, or against the kernel's XFS as the
# baseline, on image files.
#
#   usage: test/xfstests/run.sh [--kernel] [--strict] [--list FILE | TESTS...]
#                               [--xfsfuse PATH]
#     TESTS     fstests names or options (generic/001, -g quick, -x ...);
#               default: the tests in test/xfstests/ci.list
#     --list    run the tests named in FILE (one a line, '#' comments)
#     --kernel  the kernel's XFS on loop devices instead of xfsfuse
#     --strict  a test that does not run fails the run too (the CI list:
#               every test in it is one that runs and passes on both)
#     --build-only  install what is missing and build fstests, run nothing
#               (run-tests.sh does it ahead of time, while other tests run)
#     --xfsfuse the binary under test (default: the newer of build/ and
#               build-dev/ src/xfsfuse)
#   environment: XFSTESTS_WORK (default /var/tmp/xfsfuse-xfstests),
#     FSTESTS_SRC (the fstests tree, default ../shared/xfstests beside the
#     checkout or /work/shared/xfstests), TEST_SIZE / SCRATCH_SIZE (sparse
#     image sizes, default 4G / 8G), XFSFUSE_OPTS (more -o options for every
#     xfsfuse mount, e.g. stale_remedy=rfc).
#
# Needs root, /dev/fuse and loop devices.  The fstests tree is copied and
# built outside the repository (it is GPL and not ours to keep), patched with
# fstests-xfsfuse.patch (see its header), and reused while unchanged.
# Prints fstests' summary, then "xfstests: N passed, M failed, K not run";
# exits non-zero if a test failed or the run could not be made.
set -u
set -o pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=${XFSTESTS_WORK:-/var/tmp/xfsfuse-xfstests}
SRC=$WORK/src
PATCH=$HERE/fstests-xfsfuse.patch
TEST_SIZE=${TEST_SIZE:-4G}
SCRATCH_SIZE=${SCRATCH_SIZE:-8G}

die() { echo "run.sh: $*" >&2; exit 2; }
log() { echo "run.sh: $*"; }

MODE=xfsfuse
STRICT=0
BUILD_ONLY=0
LIST=
XFSFUSE=${XFSFUSE:-}
TESTS=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) MODE=kernel ;;
	--strict) STRICT=1 ;;
	--build-only) BUILD_ONLY=1 ;;
	--list) [ $# -ge 2 ] || die "--list needs a file"; LIST=$2; shift ;;
	--xfsfuse) [ $# -ge 2 ] || die "--xfsfuse needs a path"; XFSFUSE=$2; shift ;;
	-h|--help) sed -n '2,/^set -u/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
	*) TESTS+=("$1") ;;
	esac
	shift
done
if [ -n "$LIST" ] || [ ${#TESTS[@]} -eq 0 ]; then
	[ -n "$LIST" ] || LIST=$HERE/ci.list
	[ -r "$LIST" ] || die "cannot read $LIST"
	# one test a line; anything after '#' is a comment
	mapfile -t -O ${#TESTS[@]} TESTS < <(sed 's/#.*//' "$LIST" | tr -s '[:blank:]' '\n' | grep -v '^$')
	[ ${#TESTS[@]} -gt 0 ] || die "no tests in $LIST"
fi
[ "$(id -u)" = 0 ] || die "needs root (mount, losetup)"
mkdir -p "$WORK" || die "cannot make $WORK"

# fstests sources: shared/ beside the checkout (CI lays a copy there).
if [ -z "${FSTESTS_SRC:-}" ]; then
	for d in "$REPO/../shared/xfstests" /work/shared/xfstests; do
		[ -x "$d/check" ] && { FSTESTS_SRC=$(cd "$d" && pwd); break; }
	done
fi
[ -x "${FSTESTS_SRC:-}/check" ] || die "no fstests tree: fstests is not part of this repository (GPL); put its source at ../shared/xfstests beside the checkout or set FSTESTS_SRC"

if [ "$MODE" = xfsfuse ] && [ "$BUILD_ONLY" = 0 ]; then
	if [ -z "$XFSFUSE" ]; then
		for f in "$REPO/build/src/xfsfuse" "$REPO/build-dev/src/xfsfuse"; do
			[ -x "$f" ] || continue
			if [ -z "$XFSFUSE" ] || [ "$f" -nt "$XFSFUSE" ]; then XFSFUSE=$f; fi
		done
	fi
	[ -x "$XFSFUSE" ] || die "no xfsfuse binary (build it, or --xfsfuse PATH)"
	XFSFUSE=$(readlink -f "$XFSFUSE")
	[ -c /dev/fuse ] || die "no /dev/fuse"
fi

# ------------------------------------------------------------------ packages
# Build: autoconf/automake/libtool (fstests runs them), the headers configure
# requires (xfslibs-dev, uuid-dev, libacl1-dev, libattr1-dev) and those it
# uses when present (libaio-dev, liburing-dev: aio/io_uring tests;
# libgdbm-dev: dbtest; libcap-dev: capability tests).  Run: xfsprogs (mkfs,
# xfs_io, xfs_repair), fuse3 (mount.fuse3), attr/acl (getfattr, setfacl),
# psmisc (killall, fuser), bc, gawk (tests use asort and other gawk-only
# functions; mawk fails them).
PKGS="autoconf automake libtool make gcc pkg-config xfslibs-dev uuid-dev
	libacl1-dev libattr1-dev libaio-dev liburing-dev libgdbm-dev libcap-dev
	xfsprogs fuse3 attr acl psmisc bc gawk"
missing=()
# One installer and one builder at a time: run-tests.sh builds ahead of the
# suite's own run, which then waits here and finds the build done.
exec 9>"$WORK/build.lock" || die "cannot open $WORK/build.lock"
flock 9 || die "cannot lock $WORK/build.lock"
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# An old or missing package list makes the first try fail: update, retry.
	apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1 ||
		{ apt-get update -q >>"$WORK/apt.log" 2>&1 &&
			apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}" >>"$WORK/apt.log" 2>&1; } ||
		die "apt-get install failed, see $WORK/apt.log"
fi

# ------------------------------------------------------------------ build
# The build is kept while the fstests tree is unchanged (same names, sizes,
# mtimes); the patch only touches shell code, so it is laid anew every run
# onto the pristine copies of the files it changes.
stamp=$(cd "$FSTESTS_SRC" && find . -type f -printf '%P %s %T@\n' | LC_ALL=C sort | sha256sum | cut -d' ' -f1)
if [ "$(cat "$WORK/build.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -x "$SRC/ltp/fsstress" ]; then
	log "building fstests in $SRC (a few minutes; log: $WORK/build.log)"
	rm -rf "$SRC" "$WORK/build.stamp"
	cp -a "$FSTESTS_SRC" "$SRC" || die "cannot copy $FSTESTS_SRC"
	chmod -R u+w "$SRC" # shared/ is laid without write bits
	make -C "$SRC" -j2 >"$WORK/build.log" 2>&1 || die "fstests build failed, see $WORK/build.log"
	echo "$stamp" >"$WORK/build.stamp"
fi
exec 9>&-
[ "$BUILD_ONLY" = 1 ] && { log "fstests built in $SRC"; exit 0; }
# Patch pristine copies aside and replace a file only when it differs, so
# that a run of the other mode going on at the same time never reads a
# half-written common/rc.
PD=$WORK/patched.$MODE
{ rm -rf "$PD" && mkdir -p "$PD"; } || die "cannot make $PD"
mapfile -t PATCHED < <(sed -n 's#^+++ b/\([^[:space:]]*\).*#\1#p' "$PATCH")
for f in "${PATCHED[@]}"; do
	{ mkdir -p "$PD/$(dirname "$f")" && cp "$FSTESTS_SRC/$f" "$PD/$f" &&
		chmod u+w "$PD/$f"; } || die "cannot copy $f"
done
patch -d "$PD" -p1 --forward --no-backup-if-mismatch --quiet <"$PATCH" ||
	die "$PATCH does not apply"
for f in "${PATCHED[@]}"; do
	cmp -s "$PD/$f" "$SRC/$f" && continue
	{ cp "$PD/$f" "$SRC/$f.new" && mv "$SRC/$f.new" "$SRC/$f"; } || die "cannot install $f"
done

# ------------------------------------------------------------------ users
# fstests runs its permission tests as these users (its README asks for them);
# without them those tests are "not run".  Each needs a home that exists:
# fstests runs them with "su - USER", which otherwise prints "su: warning:
# cannot change directory to ..." into the test's output and fails it
# (generic/128, 683, 684 and the other setuid/setgid tests).  Users made by
# an older run.sh had the home /nonexistent: they get /home/USER.
getent group fsgqa >/dev/null || groupadd fsgqa
getent passwd fsgqa >/dev/null || useradd -g fsgqa -m -d /home/fsgqa -s /bin/bash fsgqa
getent passwd fsgqa2 >/dev/null || useradd -m -d /home/fsgqa2 -s /bin/bash fsgqa2
getent passwd 123456-fsgqa >/dev/null || useradd -m -d /home/123456-fsgqa -s /bin/bash 123456-fsgqa
for u in fsgqa fsgqa2 123456-fsgqa; do
	h=$(getent passwd "$u" | cut -d: -f6)
	[ -n "$h" ] && [ -d "$h" ] && continue
	if [ "$h" != "/home/$u" ]; then
		usermod -d "/home/$u" "$u" || die "cannot give $u a home"
	fi
	{ mkdir -p "/home/$u" && chown "$u:" "/home/$u"; } || die "cannot make /home/$u"
done

# ------------------------------------------------------------------ images
RUN=$WORK/$MODE
RESULTS=$WORK/results/$MODE-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN/test" "$RUN/scratch" "$RUN/sbin" "$RESULTS"
TEST_IMG=$RUN/test.img
SCRATCH_IMG=$RUN/scratch.img
LOOPS=()
# shellcheck disable=SC2317  # run by the trap
cleanup() {
	local l
	for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null; done
}
trap cleanup EXIT

for img in "$TEST_IMG" "$SCRATCH_IMG"; do
	# A daemon left from an interrupted run may still hold the image.
	flock -w 60 "$img" true 2>/dev/null || [ ! -e "$img" ] || die "$img is in use"
	rm -f "$img"
done
truncate -s "$TEST_SIZE" "$TEST_IMG" || die "cannot make $TEST_IMG"
truncate -s "$SCRATCH_SIZE" "$SCRATCH_IMG" || die "cannot make $SCRATCH_IMG"
mkfs.xfs -q -f "$TEST_IMG" || die "mkfs.xfs $TEST_IMG failed"
mkfs.xfs -q -f "$SCRATCH_IMG" || die "mkfs.xfs $SCRATCH_IMG failed"

if [ "$MODE" = kernel ]; then
	TEST_DEV=$(losetup -f --show "$TEST_IMG") || die "losetup failed"
	LOOPS+=("$TEST_DEV")
	SCRATCH_DEV=$(losetup -f --show "$SCRATCH_IMG") || die "losetup failed"
	LOOPS+=("$SCRATCH_DEV")
	FSCONF="export FSTYP=xfs"
else
	TEST_DEV=$TEST_IMG
	SCRATCH_DEV=$SCRATCH_IMG
	# allow_other: fstests runs some tests as the fsgqa users.
	opts=allow_other${XFSFUSE_OPTS:+,$XFSFUSE_OPTS}
	FSCONF="export FSTYP=fuse
export FUSE_SUBTYP=.xfsfuse
export MOUNT_OPTIONS='-o $opts'
export TEST_FS_MOUNT_OPTS='-o $opts'"
fi
# One config file a mode (fstests reads $HOST_OPTIONS), so that an xfsfuse
# run and a kernel run can go on at the same time.
export HOST_OPTIONS=$SRC/local.config.$MODE
cat >"$HOST_OPTIONS" <<EOF
# generated by $HERE/run.sh ($MODE); rewritten every run
$FSCONF
export TEST_DEV=$TEST_DEV
export TEST_DIR=$RUN/test
export SCRATCH_DEV=$SCRATCH_DEV
export SCRATCH_MNT=$RUN/scratch
export RESULT_BASE=$RESULTS
EOF

# ------------------------------------------------------------------ run
# mount -t fuse.xfsfuse runs mount.fuse3, which runs "xfsfuse IMAGE MNT -o
# ..." through /bin/sh with the default PATH, /usr/local/sbin first.  In a
# private mount namespace a bind mount puts the binary under test there
# without touching the system; mounts left behind die with the namespace.
ln -sfn "$XFSFUSE" "$RUN/sbin/xfsfuse"
cat >"$RUN/check.sh" <<'EOF'
# $1 mode, $2 sbin dir, $3 fstests dir, then the tests
mode=$1 sbin=$2 src=$3
shift 3
# The new namespace copies every mount, other users' FUSE mounts too, and the
# root here is private: a copy keeps such a connection alive after its owner
# unmounts it, and that daemon would not exit for as long as this run lasts.
# So drop the copies first (as test/integration/test_fuse_basic.sh does).
awk '$3 ~ /^fuse/ {print $2}' /proc/self/mounts | while read -r m; do umount -l "$m"; done
if [ "$mode" = xfsfuse ]; then
	mount --bind "$sbin" /usr/local/sbin || exit 2
fi
cd "$src" || exit 2
./check "$@"
rc=$?
# Unmount what the last test left and let the daemons write back and exit.
. "$HOST_OPTIONS"
for m in "$TEST_DIR" "$SCRATCH_MNT"; do
	mountpoint -q "$m" && umount "$m"
done
if [ "$mode" = xfsfuse ]; then
	flock -w 60 "$TEST_DEV" true
	flock -w 60 "$SCRATCH_DEV" true
fi
exit $rc
EOF

log "$MODE: ${TESTS[*]}"
[ "$MODE" = xfsfuse ] && log "xfsfuse: $XFSFUSE"
log "results: $RESULTS"
start=$(date +%s)
unshare -m --propagation private bash "$RUN/check.sh" "$MODE" "$RUN/sbin" "$SRC" "${TESTS[@]}" 2>&1 |
	tee "$RESULTS/check.out"
rc=${PIPESTATUS[0]}
secs=$(($(date +%s) - start))

# fstests' own summary names the tests: "Ran:" (failures included, and in
# current fstests the not-run ones too), "Not run:", "Failures:".  An
# interrupted check prints none: then count its per-test lines ("generic/001
# 5s", "[not run] ...", "- output mismatch", "[failed, ...]"), leaving out
# the test it was in.
names() { sed -n "s/^$1: //p" "$RESULTS/check.out" | tail -1 | tr -s ' ' '\n' | grep -v '^$' | sort -u; }
count() { names "$1" | wc -l; }
ran=$(comm -23 <(names Ran) <(names "Not run") | wc -l)
notrun=$(count "Not run")
failed=$(count Failures)
if ! grep -q -e '^Ran: ' -e '^Not run: ' "$RESULTS/check.out"; then
	lines=$(grep -E '^[a-z0-9]+/[0-9]+ ' "$RESULTS/check.out")
	notrun=$(grep -c '\[not run\]' <<<"$lines")
	failed=$(grep -c -e 'output mismatch' -e '\[failed' <<<"$lines")
	ran=$(($(grep -c -E ' [0-9]+s( \.\.\. +[0-9]+s)?$' <<<"$lines") + failed))
	log "check was interrupted: counted from its per-test lines"
fi
log "results in $RESULTS (${secs}s, check exited $rc)"
echo "xfstests: $((ran - failed)) passed, $failed failed, $notrun not run"
if [ "$failed" -gt 0 ] || [ "$rc" -ne 0 ] || [ $((ran + notrun)) -eq 0 ]; then
	exit 1
fi
if [ "$STRICT" = 1 ] && [ "$notrun" -gt 0 ]; then
	echo "run.sh: --strict: $notrun test(s) did not run (see \"Not run\" above)" >&2
	exit 1
fi
exit 0
