#!/usr/bin/env python3
"""Benchmark: what lockstep's bookkeeping costs the server per migration.

Usage: bench/record_bench.py [LOCKSTEP_BINARY] [--migrations N] [--rounds R]

A lane sends its migrations in batches, one simple-query message holding, per
migration: BEGIN, the gate (a batch can be cut before a migration starts), the
start mark (for the migration's execution_ms), SET LOCAL synchronous_commit,
its statements, the history and events rows (one CTE) and COMMIT. This script
sends N trivial migrations (BEGIN; INSERT INTO t_1 VALUES (n); COMMIT) in one
message, bare and with each part of that bookkeeping added, on a throwaway
PostgreSQL (fsync off), a fresh database each time whose lockstep tables were
made by `lockstep apply` itself. It reports the backend's CPU time (utime +
stime from /proc/<pid>/stat, which the machine's other load moves less than
wall time) per migration above the bare message's, median of R rounds, the
variants taking turns. The SQL below is what adapters/postgres.cc's MessageOf
and adapters/history_sql.cc's RecordSql write (run id, checksum and user
fixed).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

from apply_bench import write_platform
from fleet_bench import PG, ROOT, libpq, pg_env, sh

GATE = ("SELECT CASE WHEN pg_try_advisory_lock(1819239275, 515390675) THEN "
        "pg_advisory_unlock(1819239275, 515390675) ELSE 1 / (0 * pg_backend_pid()) > 0 END")
MARK = "SELECT set_config('lockstep.started', extract(epoch FROM clock_timestamp())::text, true)"
SYNC = "SET LOCAL synchronous_commit = off"
STARTED = "to_timestamp(current_setting('lockstep.started')::float8)"
CHECKSUM = "a54ca70a0add751ed176885fb6083949e14ad55d1ce32962c88eb2af2851e6ac"
UPSERT = (" ON CONFLICT (service, version) DO UPDATE SET name = EXCLUDED.name, checksum = "
          "EXCLUDED.checksum, status = EXCLUDED.status, finished_at = EXCLUDED.finished_at, "
          "execution_ms = EXCLUDED.execution_ms, run_id = EXCLUDED.run_id")


def history(version, timed=True):
    started, ms = (STARTED, f"(extract(epoch FROM clock_timestamp() - {STARTED}) * 1000)::bigint") \
        if timed else ("now()", "1")
    return ("INSERT INTO lockstep.history (service, version, name, checksum, status, started_at, "
            "finished_at, execution_ms, applied_by, run_id, lockstep_version) VALUES ('app', "
            f"'{version}', 't', '{CHECKSUM}', 'applied', {started}, clock_timestamp(), {ms}, "
            "'root@vm', 'a6e20da78d86', '0.1.0')")


def events(version):
    return ("INSERT INTO lockstep.events (action, service, version, name, status, run_id, actor) "
            f"VALUES ('apply', 'app', '{version}', 't', 'applied', 'a6e20da78d86', 'root@vm')")


def record(version):
    """RecordSql: the history row (an upsert) and the events row, one CTE."""
    return (f"WITH h AS ({history(version)}{UPSERT} RETURNING 1) INSERT INTO lockstep.events "
            "(action, service, version, name, status, run_id, actor) SELECT 'apply', 'app', "
            f"'{version}', 't', 'applied', 'a6e20da78d86', 'root@vm' FROM h")


# Each variant: the statements a migration's transaction holds besides its own.
VARIANTS = {
    "bare": lambda v: [],
    "+ gate": lambda v: [GATE],
    "+ start mark": lambda v: [MARK],
    "+ SET LOCAL synchronous_commit": lambda v: [SYNC],
    "+ history row (plain INSERT, no timing)": lambda v: [history(v, timed=False)],
    "+ history row (upsert, no timing)": lambda v: [history(v, timed=False) + UPSERT],
    "+ events row": lambda v: [events(v)],
    "+ start mark and history row (plain INSERT, timed by the mark)":
        lambda v: [MARK, history(v)],
    "+ start mark and record without the upsert (the CTE)":
        lambda v: [MARK, record(v).replace(UPSERT, "")],
    "+ start mark and record (the CTE)": lambda v: [MARK, record(v)],
    "lockstep today (all of the above)": lambda v: [GATE, MARK, SYNC, record(v)],
    "gate, mark and setting in one SELECT; history and events rows apart, no upsert":
        lambda v: [GATE.replace(" END", " END, set_config('lockstep.started', extract(epoch "
                                "FROM clock_timestamp())::text, true), set_config("
                                "'synchronous_commit', 'off', true)"),
                   history(v), events(v)],
}


def message(variant, n):
    parts = []
    for m in range(1, n + 1):
        version = f"{m:05d}"
        parts.append(";\n".join(["BEGIN"] + VARIANTS[variant](version) +
                                [f"INSERT INTO t_1 VALUES ({m + 1})", "COMMIT"]))
    return ";\n".join(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=os.path.join(ROOT, "build", "lockstep"))
    ap.add_argument("--migrations", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()

    pq = libpq()

    with tempfile.TemporaryDirectory(prefix="lockstep-record-") as tmp:
        os.chmod(tmp, 0o755)  # the server runs as postgres when we are root
        pgdir = os.path.join(tmp, "pg")
        subprocess.run([PG, "start", pgdir], check=True, capture_output=True, env=pg_env("off"))
        try:
            admin = sh(PG, "url", pgdir, "postgres")
            # lockstep makes its own tables: a platform of one migration
            # (service and database `main`, CREATE TABLE t_1).
            root = os.path.join(tmp, "platform")
            write_platform(root, ["main"], 1)
            messages = {v: message(v, args.migrations).encode() for v in VARIANTS}
            cpu = {v: [] for v in VARIANTS}
            order = list(VARIANTS)
            for r in range(args.rounds):
                for variant in order if r % 2 == 0 else reversed(order):
                    sh("psql", admin, "-Xqc", "DROP DATABASE IF EXISTS main WITH (FORCE)")
                    sh("psql", admin, "-Xqc", "CREATE DATABASE main")
                    url = sh(PG, "url", pgdir, "main")
                    subprocess.run([args.binary, "-c", os.path.join(root, "lockstep.yaml"),
                                    "apply"], check=True, capture_output=True,
                                   env=dict(os.environ, MAIN_URL=url))
                    sh("psql", admin, "-Xqc", "CHECKPOINT")
                    conn = pq.PQconnectdb(url.encode())
                    pid = pq.PQbackendPID(conn)

                    def backend_cpu():
                        with open(f"/proc/{pid}/stat") as f:
                            fields = f.read().rsplit(")", 1)[1].split()
                        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

                    pq.PQclear(pq.PQexec(conn, b"SELECT 1"))
                    before = backend_cpu()
                    res = pq.PQexec(conn, messages[variant])
                    if pq.PQresultStatus(res) not in (1, 2):  # PGRES_COMMAND_OK, TUPLES_OK
                        sys.exit(f"{variant}: {pq.PQerrorMessage(conn).decode()}")
                    cpu[variant].append(backend_cpu() - before)
                    pq.PQclear(res)
                    pq.PQfinish(conn)
        finally:
            subprocess.run([PG, "stop", pgdir], capture_output=True)

    bare = statistics.median(cpu["bare"])
    print(f"{args.migrations} migrations in one message, backend CPU, median of {args.rounds}:")
    for variant in VARIANTS:
        med = statistics.median(cpu[variant])
        extra = (med - bare) / args.migrations * 1e6
        print(f"  {variant:<80} {med:6.3f} s  {extra:+6.0f} us per migration")


if __name__ == "__main__":
    main()
