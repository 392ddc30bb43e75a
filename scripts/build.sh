#!/bin/bash
# Install what is missing, then configure, build and install xfsfuse.
# Used by both README commands (demo.sh and run-tests.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash scripts/install-deps.sh
if [ ! -f build/build.ninja ]; then
	meson setup build --prefix=/usr/local >/dev/null
fi
ninja -C build >/dev/null
meson install -C build --quiet >/dev/null
echo "build: $(build/src/xfsfuse --version 2>&1 | head -1)"
