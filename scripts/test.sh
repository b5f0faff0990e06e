#!/usr/bin/env bash
# Installs, builds and runs every test: a format check, a warning-free
# (-Werror) build and its tests, the container image built and run with
# podman (scripts/image-test.sh), then the same tests again under
# AddressSanitizer and UBSan, then the tests of code that runs threads
# (executor, lock, commands, daemon, deploys) under ThreadSanitizer. Integration tests start their own throwaway
# PostgreSQL (scripts/throwaway-pg.sh) and never skip.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

"$here/scripts/install-deps.sh"
"$here/scripts/format.sh" --check
"$here/scripts/build.sh" "$here/build" -DLOCKSTEP_WERROR=ON
(cd "$here/build" && ctest --output-on-failure -j "$(nproc)")
# The container image, built from deploy/Dockerfile and run (needs root).
if [ "$(id -u)" -eq 0 ]; then "$here/scripts/image-test.sh"; else sudo "$here/scripts/image-test.sh"; fi

if [ "${LOCKSTEP_SKIP_SANITIZERS:-0}" != 1 ]; then
  "$here/scripts/build.sh" "$here/build-asan" -DLOCKSTEP_WERROR=ON -DLOCKSTEP_SANITIZE=ON
  (cd "$here/build-asan" && ASAN_OPTIONS=detect_leaks=1 \
     LSAN_OPTIONS="suppressions=$here/tests/lsan.supp" \
     UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
     ctest --output-on-failure -j "$(nproc)")

  LOCKSTEP_TARGETS="lockstep engine_test cli_test integration_test" \
    "$here/scripts/build.sh" "$here/build-tsan" -DLOCKSTEP_WERROR=ON -DLOCKSTEP_TSAN=ON
  (cd "$here/build-tsan" && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
     ctest --output-on-failure -j "$(nproc)" \
       -R 'ExecutorTest|PerLaneLockTest|LockTest|BackoffTest|CommandsTest|ServeTest|DeployTest|ApplyTest|PoolerTest|LeaderTest|TenantsTest|SetsTest')
fi
