#!/usr/bin/env bash
# The main job: install, build, and run lockstep on the example platform
# (examples/lyss: nine services of the Lyss AI platform over four databases).
# Checks the whole migration DAG, prints the plan in waves per database, and
# draws the graph. Touches no database.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/build.sh"
lockstep="$here/build/lockstep"
platform="$here/examples/lyss/lockstep.yaml"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step lockstep -c examples/lyss/lockstep.yaml validate
"$lockstep" -c "$platform" validate
step lockstep -c examples/lyss/lockstep.yaml plan --offline
"$lockstep" -c "$platform" plan --offline
step lockstep -c examples/lyss/lockstep.yaml plan --offline --target billing-service:001
"$lockstep" -c "$platform" plan --offline --target billing-service:001
step lockstep -c examples/lyss/lockstep.yaml graph --format mermaid
"$lockstep" -c "$platform" graph --format mermaid
"$lockstep" -c "$platform" graph --format dot > "$here/build/lyss.dot"
printf '\nThe graph in Graphviz form is in build/lyss.dot (dot -Tsvg build/lyss.dot > lyss.svg).\n'
