#!/usr/bin/env bash
# A throwaway PostgreSQL in one folder: data, socket and log, on its own port,
# nothing in system paths.
#   throwaway-pg.sh start DIR [DB...]  start (or reuse) it; creates the DBs; prints the port
#   throwaway-pg.sh stop DIR           stop it (only the postmaster of DIR)
#   throwaway-pg.sh kill DIR           stop it as a crash would (-m immediate):
#                                      the next start runs crash recovery
#   throwaway-pg.sh url DIR DB         a connection URL for DB
# As root, initdb and pg_ctl run as the postgres user (initdb refuses root).
# Durability is off for speed (fsync, synchronous_commit, full-page writes);
# LOCKSTEP_PG_DURABLE=1 at start keeps PostgreSQL's defaults (crash tests).
set -euo pipefail
cmd=${1:?usage: throwaway-pg.sh start|stop|url DIR [DB...]}
dir=${2:?usage: throwaway-pg.sh start|stop|url DIR [DB...]}
shift 2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "throwaway-pg: no PostgreSQL server found; run scripts/install-deps.sh" >&2; exit 1; }

as_owner=()
if [ "$(id -u)" -eq 0 ]; then as_owner=(runuser -u postgres --); fi

# $1 quoted for /bin/sh: pg_ctl runs the server through it, -o's words and all.
shell_quoted() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# $1 percent-encoded for a URL's query (a folder may hold a space).
url_encoded() {
  local LC_ALL=C s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case "$c" in
      [A-Za-z0-9/._~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

running() { [ -f "$dir/data/postmaster.pid" ] && "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; }

case "$cmd" in
  start)
    mkdir -p "$dir"
    # The physical path: as root the server runs as postgres, which may not
    # be able to walk through a symlink's folder (/root is 0700).
    dir=$(cd "$dir" && pwd -P)
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
    if ! running; then
      if [ ! -f "$dir/data/PG_VERSION" ]; then
        "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -A trust -E UTF8 --no-sync -U postgres \
          >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
        # apply --atomic prepares transactions. In the file, not on the
        # command line, so that a test can ALTER SYSTEM it back to 0.
        echo "max_prepared_transactions = 20" >>"$dir/data/postgresql.conf"
      fi
      durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
      if [ "${LOCKSTEP_PG_DURABLE:-0}" = 1 ]; then durability="-c fsync=on -c synchronous_commit=on"; fi
      started=0
      for attempt in $(seq 1 20); do
        port=$(( 20000 + RANDOM % 20000 ))
        # A restart keeps its port, so that clients' URLs stay right.
        if [ "$attempt" = 1 ] && [ -s "$dir/port" ]; then port=$(cat "$dir/port"); fi
        if "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
             -o "-p $port -k $(shell_quoted "$dir") -c listen_addresses=127.0.0.1 $durability -c max_connections=200" \
             start >/dev/null 2>&1; then
          echo "$port" >"$dir/port"
          started=1
          break
        fi
        grep -q "could not bind\|already in use" "$dir/server.log" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
      done
      [ "$started" = 1 ] || { echo "throwaway-pg: no free port" >&2; exit 1; }
    fi
    port=$(cat "$dir/port")
    for db in "$@"; do
      psql -h "$dir" -p "$port" -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
        psql -h "$dir" -p "$port" -U postgres -d postgres -qc "CREATE DATABASE \"$db\"" >/dev/null
    done
    echo "$port"
    ;;
  stop)
    if running; then "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; fi
    ;;
  kill)
    if running; then "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null; fi
    ;;
  url)
    dir=$(cd "$dir" && pwd -P)
    echo "postgresql:///${1:?database}?host=$(url_encoded "$dir")&port=$(cat "$dir/port")&user=postgres"
    ;;
  *) echo "usage: throwaway-pg.sh start|stop|kill|url DIR [DB...]" >&2; exit 2 ;;
esac
