#!/bin/bash
# Build a newer libfuse than Debian 12's 3.14 from Debian's own source package
# of a newer release, the way install-deps.sh builds libxfs from xfsprogs.
#
#   1. libfuse 3.18.x (Debian unstable/testing): FUSE-over-io_uring (needs
#      Debian 12's liburing-dev and libnuma-dev), DIRECT_IO_ALLOW_MMAP,
#      the tmpfile operation;
#   2. else 3.17.x (Debian 13 "trixie"): the same without io_uring;
#   3. else nothing: meson.build then links the system's libfuse3-dev (3.14)
#      and says so; the daemon works as before, without those features.
# Only those two series: a 3.19 would be a new API level nobody has tested.
# XFSFUSE_LIBFUSE_SERIES="3.17" (default "3.18 3.17") narrows the choice, to
# build and test the fallback on purpose.
#
# The newer suites' sources are looked up with an apt configuration of our own
# (sources list, lists and cache under the prefix): /etc/apt is not touched,
# so `apt-get source xfsprogs` and every binary install keep seeing Debian 12
# only.  The mirror is the one /etc/apt already uses for Debian.
#
# Installed, static only (libfuse3.a; see README "Dependencies"), into
#   ${XFSFUSE_LIBFUSE_PREFIX:-$ROOT/deps/libfuse}
# with the unpacked source and build tree in PREFIX/src.  meson.build looks
# there (same variable, or -Dlibfuse_prefix=).  Idempotent: an installed
# 3.17/3.18 is kept.  Exits 0 even when nothing could be built (the fallback
# is the system's libfuse); XFSFUSE_LIBFUSE=system skips the attempt.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="${XFSFUSE_LIBFUSE_PREFIX:-$ROOT/deps/libfuse}"
SRC="$PREFIX/src"
APTDIR="$SRC/apt"
PC="$PREFIX/lib/pkgconfig/fuse3.pc"

say() { echo "build-libfuse: $*"; }
fallback() {
	say "$*"
	say "falling back to the system's libfuse ($(pkg-config --modversion fuse3 2>/dev/null || echo none)):" \
		"no FUSE-over-io_uring, no mmap of O_DIRECT opens, no O_TMPFILE"
	exit 0
}

if [ "${XFSFUSE_LIBFUSE:-}" = system ]; then
	say "XFSFUSE_LIBFUSE=system: not building libfuse"
	exit 0
fi
for series in ${XFSFUSE_LIBFUSE_SERIES:-3.18 3.17}; do
	case "$series" in
	3.17 | 3.18) ;;
	*) fallback "XFSFUSE_LIBFUSE_SERIES: $series is not 3.18 or 3.17" ;;
	esac
done
if [ -f "$PC" ]; then
	have="$(sed -n 's/^Version: *//p' "$PC")"
	case "$have" in
	3.17.* | 3.18.*)
		if [[ " ${XFSFUSE_LIBFUSE_SERIES:-3.18 3.17} " == *" ${have%.*} "* ]]; then
			say "libfuse $have ready in $PREFIX"
			exit 0
		fi
		;;
	esac
fi

# The Debian mirror of the configured sources (deb822 or one-line format).
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	mirror="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f")"
	[ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
	mirror="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\/.*\/debian\/?$/) { print $i; exit } }' \
		/etc/apt/sources.list)"
fi
[ -n "$mirror" ] || fallback "no Debian mirror in /etc/apt/sources.list*"

mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/parts"
cat >"$APTDIR/sources.list" <<EOF
deb-src $mirror unstable main
deb-src $mirror testing main
deb-src $mirror trixie main
EOF
APT=(-o "Dir::Etc::SourceList=$APTDIR/sources.list" -o "Dir::Etc::SourceParts=$APTDIR/parts"
	-o "Dir::State::Lists=$APTDIR/lists" -o "Dir::Cache=$APTDIR/cache"
	-o "APT::Sandbox::User=root")

say "looking up fuse3 source packages in unstable, testing and trixie on $mirror"
apt-get "${APT[@]}" update -qq >"$APTDIR/update.log" 2>&1 ||
	say "apt-get update of the newer suites reported errors (see $APTDIR/update.log); using what it got"
versions="$(apt-cache "${APT[@]}" showsrc fuse3 2>/dev/null | sed -n 's/^Version: *//p' | sort -Vr -u)"
pick=""
for series in ${XFSFUSE_LIBFUSE_SERIES:-3.18 3.17}; do
	pick="$(echo "$versions" | grep -E "^${series//./\\.}\.[0-9]+-" | head -1 || true)"
	[ -n "$pick" ] && break
done
[ -n "$pick" ] || fallback "no fuse3 source package of series ${XFSFUSE_LIBFUSE_SERIES:-3.18 3.17} on $mirror (found: ${versions//$'\n'/ })"
upstream="${pick%-*}"
say "building libfuse $upstream (Debian source package fuse3 $pick)"

# Build-dependencies (all Debian 12 packages); io_uring needs the last two.
pkgs=(meson ninja-build pkg-config dpkg-dev liburing-dev libnuma-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
		say "could not install ${missing[*]}: building without what they give"
fi

tree="$SRC/fuse3-$upstream"
if [ ! -f "$tree/meson.build" ]; then
	rm -rf "$SRC/dl" "$tree"
	mkdir -p "$SRC/dl"
	(cd "$SRC/dl" && apt-get "${APT[@]}" source -qq "fuse3=$pick" >"$SRC/dl/source.log" 2>&1) ||
		fallback "apt-get source fuse3=$pick failed (see $SRC/dl/source.log)"
	mv "$SRC/dl/fuse3-$upstream" "$tree"
	rm -rf "$SRC/dl"
fi

# Static library only: no fusermount3 of ours (libfuse falls back to the
# setuid /usr/bin/fusermount3 of Debian's fuse3 package), no examples, tests,
# udev rules or init script.
opts=(--prefix="$PREFIX" --libdir=lib --buildtype=release -Ddefault_library=static
	-Dutils=false -Dexamples=false -Dtests=false -Duseroot=false -Dinitscriptdir=)
if grep -q "enable-io-uring" "$tree/meson_options.txt"; then
	opts+=(-Denable-io-uring=true)
fi
rm -rf "$SRC/build"
if ! meson setup "$SRC/build" "$tree" "${opts[@]}" >"$SRC/build.log" 2>&1 ||
	! ninja -C "$SRC/build" >>"$SRC/build.log" 2>&1 ||
	! meson install -C "$SRC/build" >>"$SRC/build.log" 2>&1; then
	rm -f "$PC"
	fallback "building libfuse $upstream failed (see $SRC/build.log)"
fi
uring=no
grep -q "^#define HAVE_URING" "$SRC/build/fuse_config.h" 2>/dev/null && uring=yes
say "libfuse $upstream installed in $PREFIX (static; FUSE-over-io_uring: $uring)"
