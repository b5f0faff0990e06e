#!/usr/bin/env bash
# Installs every Debian 12 package lockstep needs to build, test and run its demo.
# Idempotent; runs apt-get as root, or through sudo otherwise.
# LOCKSTEP_DEPS=build installs only what building needs (the container image's
# build stage): no PostgreSQL server.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ccache git python3
  libboost-dev libpqxx-dev libspdlog-dev libyaml-cpp-dev nlohmann-json3-dev
  libcli11-dev libgtest-dev libgmock-dev libssl-dev
)
if [ "${LOCKSTEP_DEPS:-all}" != build ]; then
  # A server for the tests and the demo; curl, and Chromium with chromedriver
  # for the daemon's tests (the status page is driven as a person would);
  # clang-format for the test command's format check; podman (with runc) and
  # debootstrap to build and run the container image (scripts/image-test.sh);
  # PgBouncer for the tests through a transaction-pooling pooler.
  packages+=(postgresql-15 postgresql-client-15 curl chromium chromium-driver clang-format
             podman runc debootstrap pgbouncer procps)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
