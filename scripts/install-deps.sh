#!/bin/bash
# Install everything xfsfuse needs from Debian's packages, then fetch and build
# libxfs from the Debian source package of xfsprogs (6.1.0 on Debian 12), and
# libfuse 3.18 (else 3.17) from Debian's source package of a newer release
# (scripts/build-libfuse.sh; XFSFUSE_LIBFUSE_PREFIX says where, default
# deps/libfuse; without it, meson.build falls back to the system's 3.14).
# Idempotent: installed packages, a built libxfs and a built libfuse are reused.
#   --packages-only: the Debian packages only (run-tests.sh, before it starts
#   other installers beside the build).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
XFSPROGS_DIR="$ROOT/deps/xfsprogs-src"

PKGS=(build-essential pkg-config meson ninja-build libfuse3-dev fuse3
      liburcu-dev uuid-dev libblkid-dev libinih-dev libedit-dev libdevmapper-dev
      libicu-dev gettext xfsprogs dpkg-dev attr acl util-linux file gdb psmisc
      liburing-dev libnuma-dev)

have_all_pkgs() {
	local p
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || return 1
	done
}

has_deb_src() {
	grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null
}

# Mirror the configured Debian "deb" sources as "deb-src" in a file of our own.
add_deb_src() {
	local out=/etc/apt/sources.list.d/xfsfuse-deb-src.sources
	[ -f "$out" ] && return 0
	: >"$out.tmp"
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		grep -q 'debian' "$f" || continue
		awk 'BEGIN{RS="";ORS="\n\n"} /URIs:[^\n]*debian/ {sub(/Types: *deb/,"Types: deb-src"); print}' "$f" >>"$out.tmp"
	done
	if [ -f /etc/apt/sources.list ]; then
		grep -E '^deb .*debian' /etc/apt/sources.list | sed 's/^deb /deb-src /' >/etc/apt/sources.list.d/xfsfuse-deb-src.list || true
	fi
	if [ -s "$out.tmp" ]; then mv "$out.tmp" "$out"; else rm -f "$out.tmp"; fi
	APT_UPDATED=0
}

APT_UPDATED=1
if ! has_deb_src; then
	add_deb_src
fi
if ! have_all_pkgs || [ ! -d "$XFSPROGS_DIR" ]; then
	if [ "$APT_UPDATED" = 0 ] || ! have_all_pkgs || [ ! -d "$XFSPROGS_DIR" ]; then
		apt-get update -qq
	fi
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${PKGS[@]}" >/dev/null
fi
[ "${1:-}" = --packages-only ] && exit 0

# libxfs from the xfsprogs source package.
if [ ! -f "$XFSPROGS_DIR/libxfs/.libs/libxfs.a" ] || [ ! -f "$XFSPROGS_DIR/libxlog/.libs/libxlog.a" ]; then
	mkdir -p "$ROOT/deps"
	if [ ! -d "$XFSPROGS_DIR" ]; then
		tmp="$ROOT/deps/.apt-src"
		rm -rf "$tmp"; mkdir -p "$tmp"
		(cd "$tmp" && apt-get source -qq xfsprogs >/dev/null)
		src="$(find "$tmp" -maxdepth 1 -type d -name 'xfsprogs-*' | head -1)"
		mv "$src" "$XFSPROGS_DIR"
		rm -rf "$tmp"
	fi
	cd "$XFSPROGS_DIR"
	# configure defaults to DEBUG=-DDEBUG: libxfs ASSERTs are live (CONFIG_XFS_DEBUG-like).
	[ -f include/builddefs ] || ./configure --quiet --disable-scrub --disable-lib64 >/dev/null
	make -s headers >/dev/null
	make -s -j"$(nproc)" libfrog libxfs libxlog >/dev/null
fi
echo "install-deps: libxfs ready in $XFSPROGS_DIR"
bash "$ROOT/scripts/build-libfuse.sh"
