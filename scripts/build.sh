#!/bin/bash
# Install what is missing, then configure, build and install xfsfuse.
# Used by both README commands (demo.sh and run-tests.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash scripts/install-deps.sh
# libfuse: where scripts/build-libfuse.sh put it (XFSFUSE_LIBFUSE_PREFIX, else
# deps/libfuse), or the system's with XFSFUSE_LIBFUSE=system.
libfuse_opts=()
[ -n "${XFSFUSE_LIBFUSE_PREFIX:-}" ] && libfuse_opts+=(-Dlibfuse_prefix="$XFSFUSE_LIBFUSE_PREFIX")
[ "${XFSFUSE_LIBFUSE:-}" = system ] && libfuse_opts+=(-Dlibfuse=system)
if [ ! -f build/build.ninja ]; then
	meson setup build --prefix=/usr/local "${libfuse_opts[@]}" >/dev/null
elif [ "${#libfuse_opts[@]}" -gt 0 ]; then
	meson configure build "${libfuse_opts[@]}" >/dev/null
fi
ninja -C build >/dev/null
meson install -C build --quiet >/dev/null
echo "build: $(build/src/xfsfuse --version 2>&1 | head -1)"
