# What the benchmark needs from Debian, installed when missing, and
# libfuse's passthrough_hp and passthrough_ll built from Debian's fuse3 source
# package.  Sourced by bench/run-bench.sh.

# Where the fuse3 source and its build live: outside the repository, kept
# between runs (the build is reused while Debian's version stays the same).
BENCH_CACHE="${BENCH_CACHE:-/var/cache/xfsfuse-bench}"

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

APT_UPDATED=
apt_install() { # PKG...: install those that are missing
	local missing=() p
	for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing from Debian: ${missing[*]}"
	if [ -z "$APT_UPDATED" ]; then apt-get update -qq >/dev/null 2>&1 || true; APT_UPDATED=1; fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The same deb-src entry as scripts/install-deps.sh makes (same file, so the
# two never add it twice): the configured Debian "deb" sources mirrored as
# "deb-src".
has_deb_src() {
	grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null
}
add_deb_src() {
	local out=/etc/apt/sources.list.d/xfsfuse-deb-src.sources f
	[ -f "$out" ] && return 0
	: >"$out.tmp"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		grep -q 'debian' "$f" || continue
		awk 'BEGIN{RS="";ORS="\n\n"} /URIs:[^\n]*debian/ {sub(/Types: *deb/,"Types: deb-src"); print}' "$f" >>"$out.tmp"
	done
	if [ -f /etc/apt/sources.list ]; then
		grep -E '^deb .*debian' /etc/apt/sources.list | sed 's/^deb /deb-src /' >/etc/apt/sources.list.d/xfsfuse-deb-src.list || true
	fi
	if [ -s "$out.tmp" ]; then mv "$out.tmp" "$out"; else rm -f "$out.tmp"; fi
	APT_UPDATED=
}

# build_passthrough: sets PASSTHROUGH_HP, PASSTHROUGH_LL and FUSE3_VERSION, or
# returns 1 (with a message) when Debian's fuse3 source cannot be had or
# built: the passthrough systems are then skipped.  Builds only the two
# examples (and the libfuse they link with), nothing is installed.
build_passthrough() {
	apt_install dpkg-dev g++ meson ninja-build pkgconf || return 1
	has_deb_src || add_deb_src
	if [ -z "$APT_UPDATED" ]; then apt-get update -qq >/dev/null 2>&1 || true; APT_UPDATED=1; fi
	# The newest fuse3 source the configured suites offer (3.14 on Debian 12,
	# 3.17 on Debian 13): whatever it is, it is named in the results.
	local ver
	ver=$(apt-cache showsrc fuse3 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -V | tail -1)
	if [ -z "$ver" ]; then
		log "passthrough: no fuse3 source package known to apt (deb-src missing?): skipped"
		return 1
	fi
	local dir="$BENCH_CACHE/fuse3-$ver"
	local bld="$dir/build"
	# Bump when the way of building changes: older builds are then redone.
	local recipe="bench-recipe-2"
	if [ ! -x "$bld/example/passthrough_hp" ] || [ ! -x "$bld/example/passthrough_ll" ] ||
		[ "$(cat "$dir/recipe" 2>/dev/null)" != "$recipe" ]; then
		log "passthrough: building passthrough_hp and passthrough_ll from Debian's fuse3 $ver in $dir"
		rm -rf "$dir"
		mkdir -p "$dir/apt"
		if ! (cd "$dir/apt" && apt-get source -qq "fuse3=$ver" >"$dir/apt-source.log" 2>&1); then
			log "passthrough: apt-get source fuse3=$ver failed (see $dir/apt-source.log): skipped"
			return 1
		fi
		local src
		src=$(find "$dir/apt" -maxdepth 1 -type d -name 'fuse3-*' | head -1)
		[ -n "$src" ] || { log "passthrough: no source tree from apt-get source: skipped"; return 1; }
		mv "$src" "$dir/src"
		# Only the options this version has (they differ between 3.14 and 3.17).
		local o opts=()
		for o in utils=false tests=false examples=true useroot=false initscriptdir=; do
			grep -q "option('${o%%=*}'" "$dir/src/meson_options.txt" && opts+=("-D$o")
		done
		# 3.14's passthrough_hp.cc does not include fuse_config.h, so its
		# utimensat branch is compiled out and every SETATTR of times fails
		# with EOPNOTSUPP (tar: "Cannot utime"); later versions include it.
		grep -q 'config.h' "$dir/src/example/passthrough_hp.cc" || opts+=(-Dcpp_args=-DHAVE_UTIMENSAT)
		if ! meson setup "$bld" "$dir/src" "${opts[@]}" >"$dir/build.log" 2>&1 ||
			! ninja -C "$bld" example/passthrough_hp example/passthrough_ll >>"$dir/build.log" 2>&1; then
			log "passthrough: building fuse3 $ver failed (see $dir/build.log): skipped"
			return 1
		fi
		echo "$recipe" >"$dir/recipe"
	fi
	PASSTHROUGH_HP="$bld/example/passthrough_hp"
	PASSTHROUGH_LL="$bld/example/passthrough_ll"
	FUSE3_VERSION="$ver"
}
