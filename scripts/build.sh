#!/usr/bin/env bash
# Installs what lockstep needs (scripts/install-deps.sh) and builds it.
#   scripts/build.sh [BUILD_DIR] [extra cmake arguments...]
# BUILD_DIR defaults to build/. The binary is BUILD_DIR/lockstep.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-"$here/build"}
shift || true

"$here/scripts/install-deps.sh"
cmake -S "$here" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
# LOCKSTEP_TARGETS="a b": build only those targets (the TSan pass builds the
# binaries of the tests it runs).
targets=()
for t in ${LOCKSTEP_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
