#!/usr/bin/env bash
# A throwaway PgBouncer in one folder, in front of a throwaway PostgreSQL
# (scripts/throwaway-pg.sh): its own config, port, socket, log and pid file.
#   throwaway-pgbouncer.sh start DIR PG_DIR [MODE]  start it; prints its port
#                                                   MODE: transaction (default) or session
#   throwaway-pgbouncer.sh stop DIR
# Every database of the server is reachable through it as user postgres, with
# no password (auth_type = any). As root, PgBouncer runs as the postgres user
# (it refuses root).
set -euo pipefail
cmd=${1:?usage: throwaway-pgbouncer.sh start|stop DIR [PG_DIR [MODE]]}
dir=${2:?usage: throwaway-pgbouncer.sh start|stop DIR [PG_DIR [MODE]]}
as_owner=()
if [ "$(id -u)" -eq 0 ]; then as_owner=(runuser -u postgres --); fi

case "$cmd" in
  start)
    pg_dir=$(cd "${3:?the folder of the throwaway PostgreSQL}" && pwd -P)
    mode=${4:-transaction}
    # The server's folder goes into a quoted connection string (it may hold a
    # space); PgBouncer's parser has no escape for a quote inside one.
    case "$pg_dir" in *"'"*) echo "throwaway-pgbouncer: the server's folder may not hold a quote: $pg_dir" >&2; exit 2 ;; esac
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
    pg_port=$(cat "$pg_dir/port")
    for attempt in $(seq 1 20); do
      port=$(( 20000 + RANDOM % 20000 ))
      cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host='$pg_dir' port=$pg_port user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $dir
auth_type = any
pool_mode = $mode
default_pool_size = 4
max_client_conn = 500
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
      rm -f "$dir/pgbouncer.pid"
      if "${as_owner[@]}" pgbouncer -d "$dir/pgbouncer.ini" >>"$dir/start.log" 2>&1; then
        for _ in $(seq 1 100); do
          if psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atqc "SELECT 1" >/dev/null 2>&1; then
            echo "$port" >"$dir/port"
            echo "$port"
            exit 0
          fi
          sleep 0.05
        done
      fi
      grep -q "Address already in use" "$dir/pgbouncer.log" "$dir/start.log" 2>/dev/null ||
        { cat "$dir/start.log" "$dir/pgbouncer.log" >&2 2>/dev/null; exit 1; }
    done
    echo "throwaway-pgbouncer: no free port" >&2
    exit 1
    ;;
  stop)
    pid=$(cat "$dir/pgbouncer.pid" 2>/dev/null || true)
    if [ -n "$pid" ]; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
      done
    fi
    ;;
  *) echo "usage: throwaway-pgbouncer.sh start|stop DIR [PG_DIR [MODE]]" >&2; exit 2 ;;
esac
