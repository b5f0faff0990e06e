#!/usr/bin/env bash
# Installs, builds and runs every test: a format check; every test (unit and
# integration) on a warning-free (-Werror) build with AddressSanitizer and
# UBSan; the tests of code that runs threads (executor, lock, commands,
# daemon, deploys) again under ThreadSanitizer; and the container image built
# from deploy/Dockerfile (a plain Release build) and run with podman
# (scripts/image-test.sh). Integration tests start their own throwaway
# PostgreSQL (scripts/throwaway-pg.sh) and never skip.
#
# The sanitized build is the tested one: a separate plain build would run the
# same tests with fewer checks and cost CI a quarter of its time. Set
# LOCKSTEP_SKIP_SANITIZERS=1 for a quick run on a plain build instead.
# Paths in the sanitizers' options are quoted: their parser splits at spaces,
# and a checkout may be anywhere.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
phase() { echo "== test.sh: $* ($(date -u +%H:%M:%S))"; }

phase "dependencies"
"$here/scripts/install-deps.sh"
"$here/scripts/format.sh" --check

if [ "${LOCKSTEP_SKIP_SANITIZERS:-0}" = 1 ]; then
  phase "plain build and every test"
  "$here/scripts/build.sh" "$here/build" -DLOCKSTEP_WERROR=ON
  (cd "$here/build" && ctest --output-on-failure -j "$(nproc)")
else
  phase "AddressSanitizer + UBSan build and every test"
  "$here/scripts/build.sh" "$here/build-asan" -DLOCKSTEP_WERROR=ON -DLOCKSTEP_SANITIZE=ON
  (cd "$here/build-asan" && ASAN_OPTIONS=detect_leaks=1 \
     LSAN_OPTIONS="suppressions='$here/tests/lsan.supp'" \
     UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
     ctest --output-on-failure -j "$(nproc)")

  phase "ThreadSanitizer build and the tests of threaded code"
  # DurabilityTest is left to the ASan pass: it tests what a crash of the
  # server leaves (two minutes under a sanitizer); the executor's threads
  # behind it are covered here by ExecutorTest and the apply tests.
  LOCKSTEP_TARGETS="lockstep engine_test cli_test integration_test" \
    "$here/scripts/build.sh" "$here/build-tsan" -DLOCKSTEP_WERROR=ON -DLOCKSTEP_TSAN=ON
  (cd "$here/build-tsan" &&
     TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions='$here/tests/tsan.supp'" \
     ctest --output-on-failure -j "$(nproc)" \
       -R 'ExecutorTest|PerLaneLockTest|LockTest|BackoffTest|CommandsTest|ServeTest|DeployTest|ApplyTest|PoolerTest|LeaderTest|TenantsTest|SetsTest|OneMessageTest|BatchTest|DriftCorrectionTest')
fi

phase "container image"
# The container image, built from deploy/Dockerfile and run (needs root).
if [ "$(id -u)" -eq 0 ]; then "$here/scripts/image-test.sh"; else sudo "$here/scripts/image-test.sh"; fi
phase "done"
