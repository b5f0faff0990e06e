#!/usr/bin/env bash
# The main job: install, build, start a throwaway PostgreSQL (build/demo-pg:
# its own data directory, socket and port), and apply the example platform
# (examples/lyss: nine services of the Lyss AI platform over four databases).
# Running it again reuses that server and applies nothing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The binary only: the test command builds the tests.
LOCKSTEP_TARGETS=lockstep "$here/scripts/build.sh"
lockstep="$here/build/lockstep"
platform="$here/examples/lyss/lockstep.yaml"
pg="$here/build/demo-pg"

# As root, the server runs as the postgres user, which cannot enter a checkout
# under a private folder such as /root. Then the server lives in a folder of
# its own under /tmp, and build/demo-pg points at it.
if [ -L "$pg" ] && [ ! -e "$pg" ]; then rm "$pg"; fi  # its folder was cleaned away
if [ "$(id -u)" -eq 0 ] && [ ! -e "$pg" ] && ! runuser -u postgres -- test -x "$here/build"; then
  outside="${TMPDIR:-/tmp}/lockstep-demo-pg-$(printf '%s' "$here" | sha256sum | cut -c1-12)"
  mkdir -p "$outside"
  ln -s "$outside" "$pg"
  echo "demo: the postgres user cannot enter $here; the throwaway server lives in $outside" >&2
fi

# Bold commands on a terminal; plain text when piped (NO_COLOR honoured).
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
else
  step() { printf '\n$ %s\n' "$*"; }
fi

port=$("$here/scripts/throwaway-pg.sh" start "$pg" identity platform billing chat)
env_file="$here/build/demo.env"
: >"$env_file"
for db in identity platform billing chat; do
  var="$(echo "$db" | tr a-z A-Z)_DATABASE_URL"
  url=$("$here/scripts/throwaway-pg.sh" url "$pg" "$db")
  export "$var=$url"
  echo "export $var='$url'" >>"$env_file"
done

step lockstep -c examples/lyss/lockstep.yaml validate
"$lockstep" -c "$platform" validate
step lockstep -c examples/lyss/lockstep.yaml plan
"$lockstep" -c "$platform" plan
step lockstep -c examples/lyss/lockstep.yaml apply
"$lockstep" -c "$platform" apply
step lockstep -c examples/lyss/lockstep.yaml status
"$lockstep" -c "$platform" status
"$lockstep" -c "$platform" graph --format dot >"$here/build/lyss.dot"

cat <<MSG

The platform is applied to a throwaway PostgreSQL on port $port (socket in build/demo-pg).
  connect:  psql "\$IDENTITY_DATABASE_URL"   after   . build/demo.env
            (databases: identity, platform, billing, chat; lockstep's tables are in schema lockstep)
  re-run:   ./scripts/demo.sh       (applies nothing: everything is applied)
  history:  . build/demo.env && build/lockstep -c examples/lyss/lockstep.yaml history
  graph:    build/lyss.dot          (dot -Tsvg build/lyss.dot > lyss.svg)
  stop:     scripts/throwaway-pg.sh stop build/demo-pg   (rm -rf build/demo-pg to start afresh)
MSG
