#!/usr/bin/env bash
# Configures and builds roachrun into build/ (or $ROACHRUN_BUILD_DIR). Extra arguments are
# passed to `cmake --build`, e.g. `--target roachrun_bundle`.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${ROACHRUN_BUILD_DIR:-build}
generator=()
if [ ! -f "$build_dir/CMakeCache.txt" ] && command -v ninja >/dev/null; then
  generator=(-G Ninja)
fi
cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
cmake --build "$build_dir" --parallel "$(nproc)" "$@" >&2
