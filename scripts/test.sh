#!/usr/bin/env bash
# Installs, builds and runs every test: a warning-free (-Werror) build, then
# the same tests again under AddressSanitizer and UBSan. Integration tests
# start their own throwaway PostgreSQL (scripts/throwaway-pg.sh) and never skip.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

"$here/scripts/build.sh" "$here/build" -DLOCKSTEP_WERROR=ON
(cd "$here/build" && ctest --output-on-failure -j "$(nproc)")

if [ "${LOCKSTEP_SKIP_SANITIZERS:-0}" != 1 ]; then
  "$here/scripts/build.sh" "$here/build-asan" -DLOCKSTEP_WERROR=ON -DLOCKSTEP_SANITIZE=ON
  (cd "$here/build-asan" && ASAN_OPTIONS=detect_leaks=1 \
     LSAN_OPTIONS="suppressions=$here/tests/lsan.supp" \
     UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
     ctest --output-on-failure -j "$(nproc)")
fi
