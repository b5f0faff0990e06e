#!/usr/bin/env python3
"""Benchmark: the daemon at rest, and a drift check of 50 databases.

Usage: bench/daemon_bench.py [LOCKSTEP_BINARY] [--idle-seconds N]

1. Idle daemon: the example platform applied to a throwaway PostgreSQL, then
   `lockstep serve` (default 30 s refresh, no schedule) left alone for N seconds
   (default 60); reports peak RSS (VmHWM) and the CPU time it used (utime +
   stime from /proc) over that minute.
2. Drift check: 50 databases, each with 10 migrations (tables, indexes, a
   view, a function, an enum), applied; `lockstep drift` timed (median of 3).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from fleet_bench import PG, ROOT, sh


def proc_stats(pid):
    with open(f"/proc/{pid}/status") as f:
        hwm = next(int(l.split()[1]) for l in f if l.startswith("VmHWM"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return hwm / 1024.0, (int(fields[11]) + int(fields[12])) / ticks


def write_platform(root, dbs, migrations):
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "lockstep.yaml"), "w") as f:
        f.write("version: 1\nservices: [services/*/service.yaml]\ndatabases:\n")
        for db in dbs:
            f.write(f'  {db}: {{ url: "${{{db.upper()}_URL}}" }}\n')
    for db in dbs:
        folder = os.path.join(root, "services", db, "migrations")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(root, "services", db, "service.yaml"), "w") as f:
            f.write(f"service: {db}\ndatabase: {db}\n")
        for m in range(1, migrations + 1):
            sql = (f"CREATE TABLE t{m} (id bigserial PRIMARY KEY, name text NOT NULL, "
                   f"created_at timestamptz DEFAULT now(), CHECK (length(name) < 100));\n"
                   f"CREATE INDEX t{m}_name ON t{m} (name);\n"
                   f"CREATE VIEW v{m} AS SELECT id, name FROM t{m};\n")
            if m == 1:
                sql += ("CREATE TYPE mood AS ENUM ('ok', 'sad');\n"
                        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                        "NEW.created_at := now(); RETURN NEW; END $$;\n")
            with open(os.path.join(folder, f"{m:03d}_m{m}.up.sql"), "w") as f:
                f.write(sql)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=os.path.join(ROOT, "build", "lockstep"))
    ap.add_argument("--idle-seconds", type=int, default=60)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        pgdir = os.path.join(tmp, "pg")
        example_dbs = ["identity", "platform", "billing", "chat"]
        drift_dbs = [f"d{i:02d}" for i in range(50)]
        sh(PG, "start", pgdir, *example_dbs, *drift_dbs)
        try:
            env = dict(os.environ)
            for db in example_dbs:
                env[f"{db.upper()}_DATABASE_URL"] = sh(PG, "url", pgdir, db)
            example = os.path.join(ROOT, "examples", "lyss", "lockstep.yaml")
            subprocess.run([args.binary, "-c", example, "apply"], env=env, check=True, capture_output=True)
            daemon = subprocess.Popen([args.binary, "-c", example, "serve", "--listen", "127.0.0.1:0"],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            daemon.stdout.readline()  # "listening on ..."
            time.sleep(2)  # first refresh done
            _, cpu0 = proc_stats(daemon.pid)
            time.sleep(args.idle_seconds)
            rss, cpu1 = proc_stats(daemon.pid)
            daemon.terminate()
            daemon.wait(30)
            print(f"idle daemon over {args.idle_seconds} s: peak RSS {rss:.1f} MiB, CPU "
                  f"{cpu1 - cpu0:.2f} s ({100 * (cpu1 - cpu0) / args.idle_seconds:.2f}% of one core)",
                  flush=True)

            root = os.path.join(tmp, "fleet")
            write_platform(root, drift_dbs, 10)
            for db in drift_dbs:
                env[f"{db.upper()}_URL"] = sh(PG, "url", pgdir, db)
            config = os.path.join(root, "lockstep.yaml")
            subprocess.run([args.binary, "-c", config, "apply"], env=env, check=True, capture_output=True)
            times = []
            for _ in range(3):
                start = time.perf_counter()
                p = subprocess.run([args.binary, "-c", config, "drift"], env=env, capture_output=True, text=True)
                times.append(time.perf_counter() - start)
                if p.returncode != 0:
                    sys.exit("drift failed:\n" + p.stdout + p.stderr)
            print(f"drift check of {len(drift_dbs)} databases (10 migrations each): "
                  f"{statistics.median(times):.3f} s median", flush=True)
        finally:
            subprocess.run([PG, "stop", pgdir], capture_output=True)


if __name__ == "__main__":
    main()
