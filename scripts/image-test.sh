#!/usr/bin/env bash
# Builds the container image (deploy/Dockerfile) with podman and runs it as a
# user would: against a throwaway PostgreSQL, as its non-root user.
#
# No registry is reachable, so the base image is made here: a Debian 12 root
# file system from debootstrap (Debian's archive), imported as debian:12 and
# debian:12-slim. podman's storage, the base and the server live in one
# temporary folder, removed afterwards. Needs root.
#
# Podman on this kind of machine (cgroups v1 in hybrid mode, no right to raise
# RLIMIT_NOFILE): crun refuses both, so runc is the runtime, no default
# ulimits are set, and containers use the host's network (no CNI bridge).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d /tmp/lockstep-image-XXXXXX)
chmod 755 "$work"
image=localhost/lockstep:test

export CONTAINERS_CONF="$work/containers.conf"
cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
pm() { podman --root "$work/storage" --runroot "$work/run" "$@"; }

cleanup() {
  "$here/scripts/throwaway-pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
  pm rmi -a -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "image-test: FAILED: $*" >&2
  exit 1
}

step() { echo "image-test: $*" >&2; }

step "base image: debootstrap bookworm"
mirror=http://deb.debian.org/debian
debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap"; }
tar -C "$work/rootfs" -c . | pm import - docker.io/library/debian:12 >/dev/null 2>&1
pm tag docker.io/library/debian:12 docker.io/library/debian:12-slim
rm -rf "$work/rootfs"

step "podman build -f deploy/Dockerfile"
start=$(date +%s)
pm build --pull=never --network host -f "$here/deploy/Dockerfile" -t "$image" "$here" \
  >"$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; fail "podman build"; }
step "built in $(($(date +%s) - start)) s"
if grep -q "install-deps: installing .*postgresql" "$work/build.log"; then
  fail "the build stage installed the test packages (PostgreSQL, Chromium): LOCKSTEP_DEPS=build is lost"
fi

step "the image runs as its non-root user"
user=$(pm image inspect "$image" --format '{{.Config.User}}')
[ "$user" = "10001:10001" ] || fail "image user is '$user', not 10001:10001"
uid=$(pm run --rm --network host --entrypoint id "$image" -u)
[ "$uid" = 10001 ] || fail "the container runs as uid $uid"
if pm run --rm --network host --entrypoint sh "$image" -c 'touch /platform/x' 2>/dev/null; then
  fail "the non-root user can write into /platform"
fi

step "the entrypoint against a throwaway PostgreSQL"
"$here/scripts/throwaway-pg.sh" start "$work/pg" identity platform billing chat >/dev/null
port=$(cat "$work/pg/port")
env_args=()
for db in identity platform billing chat; do
  env_args+=(-e "${db^^}_DATABASE_URL=postgresql://postgres@127.0.0.1:$port/$db")
done
run() { pm run --rm --network host "${env_args[@]}" "$image" "$@"; }

run validate >"$work/validate.out" 2>&1 || { cat "$work/validate.out" >&2; fail "validate"; }
run apply >"$work/apply.out" 2>&1 || { tail -20 "$work/apply.out" >&2; fail "apply"; }
grep -q '"message":"lockstep: applied 28, already applied 0' "$work/apply.out" ||
  { tail -5 "$work/apply.out" >&2; fail "apply did not apply the 28 migrations (JSON logs expected)"; }
run apply >"$work/again.out" 2>&1 || fail "a second apply"
grep -q 'applied 0, already applied 28' "$work/again.out" || fail "the second apply was not a no-op"
run >"$work/status.out" 2>&1 || { cat "$work/status.out" >&2; fail "the default command (status)"; }
run status --check >/dev/null 2>&1 || fail "status --check after apply"
rows=$(psql -h "$work/pg" -p "$port" -U postgres -d identity -Atqc \
  "SELECT count(*) FROM lockstep.history WHERE status = 'applied'")
[ "$rows" -gt 0 ] || fail "no history rows in identity"

# A configuration error is exit 2, which the Job's podFailurePolicy fails at once.
set +e
pm run --rm --network host "$image" apply >/dev/null 2>&1
code=$?
set -e
[ "$code" = 2 ] || fail "without database URLs the exit code is $code, not 2"

size=$(pm image inspect "$image" --format '{{.Size}}')
step "ok: image $((size / 1000000)) MB, runs as 10001, applies the example platform"
