#!/usr/bin/env python3
"""Writes a synthetic lockstep platform: S services x M migrations.

Usage: gen_platform.py OUT_DIR SERVICES MIGRATIONS [--seed N] [--databases D]
                       [--requires-rate R]

Each migration is a small real SQL file (a table, an index, a comment, with
its own BEGIN/COMMIT in a third of them) plus a down file. About R of the
migrations (default 0.05) require one random migration of an earlier service,
so the graph is a DAG with many cross-service edges; services are spread over
D databases (default 10).
"""
import argparse
import os
import random
import shutil


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("services", type=int)
    ap.add_argument("migrations", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--databases", type=int, default=10)
    ap.add_argument("--requires-rate", type=float, default=0.05)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    dbs = [f"db{d:02d}" for d in range(min(args.databases, args.services))]
    with open(os.path.join(args.out, "lockstep.yaml"), "w") as f:
        f.write("version: 1\nservices:\n  - services/*/service.yaml\ndatabases:\n")
        for db in dbs:
            f.write(f'  {db}: {{ url: "postgresql:///{db}" }}\n')
    width = len(str(args.migrations))
    for s in range(args.services):
        name = f"svc-{s:04d}"
        folder = os.path.join(args.out, "services", name, "migrations")
        os.makedirs(folder)
        with open(os.path.join(args.out, "services", name, "service.yaml"), "w") as f:
            f.write(f"service: {name}\ndatabase: {dbs[s % len(dbs)]}\nmigrations: migrations\n")
        for m in range(1, args.migrations + 1):
            version = str(m).zfill(width)
            table = f"t_{s}_{m}"
            header = ""
            if s > 0 and rng.random() < args.requires_rate:
                other = rng.randrange(s)
                header = f"-- lockstep:requires svc-{other:04d}:{rng.randint(1, args.migrations)}\n"
            body = (f"CREATE TABLE {table} (\n    id bigint PRIMARY KEY,\n"
                    f"    note text NOT NULL DEFAULT 'a; b',\n    created_at timestamptz DEFAULT now()\n);\n"
                    f"CREATE INDEX {table}_created ON {table} (created_at);\n"
                    f"COMMENT ON TABLE {table} IS 'synthetic table {m} of {name}';\n")
            if m % 3 == 0:
                body = "BEGIN;\n" + body + "COMMIT;\n"
            with open(os.path.join(folder, f"{version}_create_{table}.up.sql"), "w") as f:
                f.write(header + body)
            with open(os.path.join(folder, f"{version}_create_{table}.down.sql"), "w") as f:
                f.write(f"DROP TABLE {table};\n")


if __name__ == "__main__":
    main()
