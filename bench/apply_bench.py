#!/usr/bin/env python3
"""Benchmark: lockstep apply against psql, in the same run, on the same server.

Usage: bench/apply_bench.py [LOCKSTEP_BINARY] [--runs N]

Starts a throwaway PostgreSQL (scripts/throwaway-pg.sh, fsync off) and measures,
each on fresh databases, the median of N runs (default 3):
  1. 1,000 trivial migrations into one database: `lockstep apply` against the
     floor, psql running the same statements in one session with one
     transaction per migration;
  2. 8 databases x 200 migrations: lockstep's wall time against the best
     possible here, max(slowest database alone, sum of all / cores), each
     database's time measured with psql the same way;
  3. a no-op run of the example platform (everything applied: the Kubernetes
     init-container case).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PG = os.path.join(ROOT, "scripts", "throwaway-pg.sh")


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout.strip()


def timed(cmd, env=None):
    start = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr}")
    return took


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=os.path.join(ROOT, "build", "lockstep"))
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    cores = os.cpu_count()
    with tempfile.TemporaryDirectory() as tmp:
        pgdir = os.path.join(tmp, "pg")
        os.chmod(tmp, 0o755)  # the server runs as postgres when we are root
        sh(PG, "start", pgdir)
        try:
            def fresh(db):
                sh(PG, "start", pgdir)  # prints the port; server already up
                url = sh(PG, "url", pgdir, "postgres")
                sh("psql", url, "-Xqc", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                sh("psql", url, "-Xqc", f'CREATE DATABASE "{db}"')
                return sh(PG, "url", pgdir, db)

            def compare(databases, migrations):
                root = os.path.join(tmp, f"p{len(databases)}x{migrations}")
                scripts = write_platform(root, databases, migrations)
                lock, floor_total, floor_max = [], [], []
                for _ in range(args.runs):
                    per_db = []
                    for db in databases:
                        url = fresh(db)
                        path = os.path.join(root, f"{db}.sql")
                        with open(path, "w") as f:
                            f.write(scripts[db])
                        per_db.append(timed(["psql", url, "-Xq", "-v", "ON_ERROR_STOP=1", "-f", path]))
                    floor_total.append(sum(per_db))
                    floor_max.append(max(per_db))
                    env = dict(os.environ)
                    for db in databases:
                        env[f"{db.upper()}_URL"] = fresh(db)
                    env["LOCKSTEP_JOBS"] = str(len(databases))
                    lock.append(timed([args.binary, "-c", os.path.join(root, "lockstep.yaml"), "apply"], env))
                return (statistics.median(lock), statistics.median(floor_total),
                        statistics.median(floor_max))

            l1, f1, _ = compare(["one"], 1000)
            print(f"1 database x 1000 migrations: lockstep {l1:.3f} s, psql floor {f1:.3f} s, "
                  f"ratio {l1 / f1:.2f}", flush=True)
            dbs = [f"db{i}" for i in range(8)]
            l8, total, slowest = compare(dbs, 200)
            best = max(slowest, total / cores)
            print(f"8 databases x 200 migrations: lockstep {l8:.3f} s, best possible {best:.3f} s "
                  f"(slowest alone {slowest:.3f} s, sum {total:.3f} s / {cores} cores), "
                  f"ratio {l8 / best:.2f}", flush=True)

            env = dict(os.environ)
            for db in ("identity", "platform", "billing", "chat"):
                env[f"{db.upper()}_DATABASE_URL"] = fresh(db)
            example = os.path.join(ROOT, "examples", "lyss", "lockstep.yaml")
            timed([args.binary, "-c", example, "apply"], env)
            noop = [timed([args.binary, "-c", example, "apply"], env) for _ in range(max(5, args.runs))]
            print(f"no-op apply of the example platform (28 migrations, 4 databases): "
                  f"{statistics.median(noop) * 1000:.0f} ms median", flush=True)
        finally:
            subprocess.run([PG, "stop", pgdir], capture_output=True)


if __name__ == "__main__":
    main()
