#!/usr/bin/env python3
"""Benchmark: lockstep apply against psql, in the same run, on the same server.

Usage: bench/apply_bench.py [LOCKSTEP_BINARY] [--runs N] [--fsync on|off|both] [--via pgbouncer]

Starts a throwaway PostgreSQL (scripts/throwaway-pg.sh) with PostgreSQL's stock
durability (fsync and synchronous_commit on) and, with --fsync both (the
default), a second one with them off, and measures on each, on fresh databases,
the median of N runs (default 3):
  1. 1,000 trivial migrations into one database: `lockstep apply` against the
     floor, psql running the same statements in one session with one
     transaction per migration; and the WAL flushes each made (the delta of
     pg_stat_wal.wal_sync over the run);
  2. 8 databases x 200 migrations: lockstep's wall time against the best
     possible here, max(slowest database alone, sum of all / cores), each
     database's time measured with psql the same way, and against 8 lockstep
     processes started together, one per database (--service), the two
     taking turns going first;
  3. a no-op run over the 1,000 applied migrations of (1), against psql
     connecting and reading the history table, and a no-op run of the example
     platform (everything applied: the Kubernetes init-container case).
With fsync off a flush costs nothing, so the ratio there is what fewer round
trips gain; the difference to the fsync-on ratio is what fewer flushes gain.
With --via pgbouncer, psql and lockstep connect through a throwaway PgBouncer
in session mode over TCP (scripts/throwaway-pgbouncer.sh): a hop in front of
the server, as on many platforms, where a round trip costs more.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from fleet_bench import PG, ROOT, pg_env, sh

BOUNCER = os.path.join(ROOT, "scripts", "throwaway-pgbouncer.sh")


def timed(cmd, env=None):
    start = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr}")
    return took


def timed_together(cmds, env):
    """Starts every command at once; the wall time until the last ends."""
    start = time.perf_counter()
    procs = [subprocess.Popen(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True) for c in cmds]
    for c, p in zip(cmds, procs):
        err = p.communicate()[1]
        if p.returncode != 0:
            sys.exit(f"{' '.join(c)} failed:\n{err}")
    return time.perf_counter() - start


def wal_syncs(url):
    """The server's WAL flushes so far. Backends report theirs when they end;
    the WAL writer (which flushes asynchronous commits, every 200 ms at most)
    within a moment, so wait for it."""
    time.sleep(0.6)
    return int(sh("psql", url, "-XAtc", "SELECT wal_sync FROM pg_stat_wal"))


def write_platform(root, databases, migrations):
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "lockstep.yaml"), "w") as f:
        f.write("version: 1\nservices: [services/*/service.yaml]\ndatabases:\n")
        for db in databases:
            f.write(f'  {db}: {{ url: "${{{db.upper()}_URL}}" }}\n')
    scripts = {}
    for db in databases:
        folder = os.path.join(root, "services", db, "migrations")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(root, "services", db, "service.yaml"), "w") as f:
            f.write(f"service: {db}\ndatabase: {db}\n")
        lines = []
        for m in range(1, migrations + 1):
            sql = f"CREATE TABLE t_{m} (id int PRIMARY KEY, v text);\nINSERT INTO t_{m} VALUES (1, 'x');\n"
            with open(os.path.join(folder, f"{m:04d}_t{m}.up.sql"), "w") as f:
                f.write(sql)
            lines.append("BEGIN;\n" + sql + "COMMIT;\n")
        scripts[db] = "".join(lines)
    return scripts


def measure(binary, runs, tmp, fsync, via):
    cores = os.cpu_count()
    pgdir = os.path.join(tmp, f"pg-fsync-{fsync}")
    os.makedirs(pgdir)
    subprocess.run([PG, "start", pgdir], check=True, capture_output=True, env=pg_env(fsync))
    label = f"fsync {fsync}" + (f", via {via}" if via else "")
    bouncer = os.path.join(tmp, f"bouncer-{fsync}")
    try:
        admin = sh(PG, "url", pgdir, "postgres")
        port = sh(BOUNCER, "start", bouncer, pgdir, "session") if via else None

        def url_of(db):
            if port:
                return f"postgresql://postgres@127.0.0.1:{port}/{db}"
            return sh(PG, "url", pgdir, db)

        def fresh(db):
            if port:
                # The bouncer keeps its server connections: empty the
                # database instead of dropping it.
                if not sh("psql", admin, "-XAtc", f"SELECT 1 FROM pg_database WHERE datname = '{db}'"):
                    sh("psql", admin, "-Xqc", f'CREATE DATABASE "{db}"')
                sh("psql", sh(PG, "url", pgdir, db), "-Xqc",
                   "DROP SCHEMA IF EXISTS lockstep CASCADE; DROP SCHEMA public CASCADE; "
                   "CREATE SCHEMA public")
            else:
                sh("psql", admin, "-Xqc", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                sh("psql", admin, "-Xqc", f'CREATE DATABASE "{db}"')
            # Whatever the last measurement left to write goes now, not
            # during the next one (with fsync on, a checkpoint's flushes
            # would land on whichever tool runs second).
            sh("psql", admin, "-Xqc", "CHECKPOINT")
            return url_of(db)

        def compare(databases, migrations, separate=False):
            root = os.path.join(tmp, f"p{len(databases)}x{migrations}")
            scripts = write_platform(root, databases, migrations)
            config = os.path.join(root, "lockstep.yaml")
            lock, floor_total, floor_max, apart = [], [], [], []
            syncs_floor, syncs_lock = [], []
            for run in range(runs):
                per_db = []
                for db in databases:
                    url = fresh(db)
                    path = os.path.join(root, f"{db}.sql")
                    with open(path, "w") as f:
                        f.write(scripts[db])
                    before = wal_syncs(admin)
                    per_db.append(timed(["psql", url, "-Xq", "-v", "ON_ERROR_STOP=1", "-f", path]))
                    syncs_floor.append(wal_syncs(admin) - before)
                floor_total.append(sum(per_db))
                floor_max.append(max(per_db))
                env = dict(os.environ)
                env["LOCKSTEP_JOBS"] = str(len(databases))

                def afresh():
                    for db in databases:
                        env[f"{db.upper()}_URL"] = fresh(db)

                def one_process():
                    afresh()
                    before = wal_syncs(admin)
                    lock.append(timed([binary, "-c", config, "apply"], env))
                    syncs_lock.append(wal_syncs(admin) - before)

                def processes():
                    afresh()
                    apart.append(timed_together(
                        [[binary, "-c", config, "apply", "--service", db] for db in databases], env))

                # One process and the separate ones take turns going first:
                # a server that made and dropped more tables is slower.
                order = [one_process] + ([processes] if separate else [])
                for measurement in order if run % 2 == 0 else reversed(order):
                    measurement()
            med = statistics.median
            wins = sum(one < many for one, many in zip(lock, apart))
            return (med(lock), med(floor_total), med(floor_max), med(apart) if apart else 0,
                    med(syncs_lock), med(syncs_floor) * len(databases), wins)

        l1, f1, _, _, s_lock, s_floor, _ = compare(["one"], 1000)
        print(f"[{label}] 1 database x 1000 migrations: lockstep {l1:.3f} s, psql floor {f1:.3f} s, "
              f"ratio {l1 / f1:.2f}; WAL flushes lockstep {s_lock:.0f}, floor {s_floor:.0f}",
              flush=True)
        # The database lockstep just applied 1,000 migrations to: a no-op run
        # against connecting and reading the history alone (psql).
        env = dict(os.environ)
        env["ONE_URL"] = url_of("one")
        config = os.path.join(tmp, "p1x1000", "lockstep.yaml")
        noop = [timed([binary, "-c", config, "apply"], env) for _ in range(max(5, runs))]
        read = [timed(["psql", env["ONE_URL"], "-XAtqc", "SELECT * FROM lockstep.history"])
                for _ in range(max(5, runs))]
        print(f"[{label}] no-op apply over 1000 applied migrations: "
              f"{statistics.median(noop) * 1000:.0f} ms median; psql connecting and reading the "
              f"history {statistics.median(read) * 1000:.0f} ms, ratio "
              f"{statistics.median(noop) / statistics.median(read):.2f}", flush=True)
        dbs = [f"db{i}" for i in range(8)]
        l8, total, slowest, apart, s_lock, s_floor, wins = compare(dbs, 200, separate=True)
        best = max(slowest, total / cores)
        print(f"[{label}] 8 databases x 200 migrations: lockstep {l8:.3f} s, best possible "
              f"{best:.3f} s (slowest alone {slowest:.3f} s, sum {total:.3f} s / {cores} cores), "
              f"ratio {l8 / best:.2f}; 8 lockstep processes at once {apart:.3f} s "
              f"(ratio {apart / best:.2f}; one process faster in {wins} of {runs} runs); "
              f"WAL flushes lockstep {s_lock:.0f}, floor {s_floor:.0f}",
              flush=True)

        env = dict(os.environ)
        for db in ("identity", "platform", "billing", "chat"):
            env[f"{db.upper()}_DATABASE_URL"] = fresh(db)
        example = os.path.join(ROOT, "examples", "lyss", "lockstep.yaml")
        timed([binary, "-c", example, "apply"], env)
        noop = [timed([binary, "-c", example, "apply"], env) for _ in range(max(5, runs))]
        print(f"[{label}] no-op apply of the example platform (28 migrations, 4 databases): "
              f"{statistics.median(noop) * 1000:.0f} ms median", flush=True)
    finally:
        if via:
            subprocess.run([BOUNCER, "stop", bouncer], capture_output=True)
        subprocess.run([PG, "stop", pgdir], capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=os.path.join(ROOT, "build", "lockstep"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--fsync", choices=["on", "off", "both"], default="both")
    ap.add_argument("--via", choices=["pgbouncer"], default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)  # the server runs as postgres when we are root
        for fsync in (["on", "off"] if args.fsync == "both" else [args.fsync]):
            measure(args.binary, args.runs, tmp, fsync, args.via)


if __name__ == "__main__":
    main()
