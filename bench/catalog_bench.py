#!/usr/bin/env python3
"""Benchmark: the catalog query behind schema snapshots and drift.

Usage: bench/catalog_bench.py [--rounds R] [--tables N]

Starts a throwaway PostgreSQL (scripts/throwaway-pg.sh, fsync off) with two
databases: `tenant`, the fleet bench's tenant (20 tables of `id int PRIMARY
KEY, v text`), and `large` (N tables, default 1,000, each with a primary key,
an index and a comment, plus 100 functions and 10 views). For each, R rounds
(default 7); each round runs the query of adapters/catalog_query.h reading
from object id 0 (every catalog row, as before the floor existed) and from
kFirstUserOid, in alternated order, each in a fresh backend (as after a lane:
a backend that never read these catalogs) and once more in the same backend
(warm), under EXPLAIN (ANALYZE, SUMMARY, TIMING OFF). Prints the median
planning and execution times, and checks that both floors give the same rows.
"""
import argparse
import os
import re
import statistics
import sys
import tempfile

from fleet_bench import PG, ROOT, sh

# The query's rows: their number and a digest of every (key, definition).
DIGEST = ("SELECT count(*) || ' ' || md5(string_agg(k || '=' || v, E'\\n' ORDER BY k)) "
          "FROM ({}) AS q(k, v)")


def catalog_query():
    text = open(os.path.join(ROOT, "adapters", "catalog_query.h")).read()
    query = re.search(r'kCatalogQuery = R"SQL\((.*?)\)SQL"', text, re.S).group(1)
    first_user_oid = re.search(r'kFirstUserOid = "(\d+)"', text).group(1)
    return query, first_user_oid


def with_floor(query, floor):
    return query.replace("$1", "'lockstep'").replace("$2", "''").replace("$3", f"'{floor}'")


def psql(pg_dir, port, db, sql):
    return sh("psql", "-h", pg_dir, "-p", port, "-U", "postgres", "-d", db, "-X", "-Atq",
              "-v", "ON_ERROR_STOP=1", "-f", "-", input=sql)


def make_large(pg_dir, port, tables):
    sql = ["BEGIN;"]
    for i in range(tables):
        sql.append(f"CREATE TABLE t_{i} (id int PRIMARY KEY, v text, at timestamptz DEFAULT now());")
        sql.append(f"CREATE INDEX t_{i}_v ON t_{i} (v);")
        sql.append(f"COMMENT ON TABLE t_{i} IS 'table {i}';")
    for i in range(100):
        sql.append(f"CREATE FUNCTION f_{i}(a int) RETURNS int LANGUAGE sql AS $$SELECT a + {i}$$;")
    for i in range(10):
        sql.append(f"CREATE VIEW v_{i} AS SELECT id, v FROM t_{i};")
    sql.append("COMMIT;")
    psql(pg_dir, port, "large", "\n".join(sql))


def measure(pg_dir, port, db, query, floor):
    """(cold planning, cold execution, warm planning, warm execution) in ms."""
    explain = "EXPLAIN (ANALYZE, SUMMARY, TIMING OFF) " + with_floor(query, floor) + ";\n"
    out = psql(pg_dir, port, db, explain + explain)
    planning = [float(x) for x in re.findall(r"Planning Time: ([0-9.]+) ms", out)]
    execution = [float(x) for x in re.findall(r"Execution Time: ([0-9.]+) ms", out)]
    return planning[0], execution[0], planning[1], execution[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--tables", type=int, default=1000)
    args = ap.parse_args()
    query, first_user_oid = catalog_query()
    with tempfile.TemporaryDirectory(prefix="lockstep-catalog-bench-") as tmp:
        os.chmod(tmp, 0o755)
        pg_dir = os.path.join(tmp, "pg")
        port = sh(PG, "start", pg_dir, "tenant", "large").splitlines()[-1]
        try:
            psql(pg_dir, port, "tenant", "\n".join(
                f"CREATE TABLE t_{m} (id int PRIMARY KEY, v text);" for m in range(1, 21)))
            make_large(pg_dir, port, args.tables)
            psql(pg_dir, port, "postgres", "VACUUM ANALYZE; CHECKPOINT;")
            for db in ("tenant", "large"):
                psql(pg_dir, port, db, "VACUUM ANALYZE;")
                rows = {f: psql(pg_dir, port, db, DIGEST.format(with_floor(query, f)))
                        for f in ("0", first_user_oid)}
                if rows["0"] != rows[first_user_oid]:
                    sys.exit(f"{db}: the floors give different rows: {rows}")
                got = {f: [] for f in ("0", first_user_oid)}
                for r in range(args.rounds):
                    order = ("0", first_user_oid) if r % 2 == 0 else (first_user_oid, "0")
                    for f in order:
                        got[f].append(measure(pg_dir, port, db, query, f))
                print(f"{db} ({rows['0'].split()[0]} objects), median of {args.rounds}, ms:")
                print("  floor      cold plan  cold exec  cold total  warm plan  warm exec")
                for f in ("0", first_user_oid):
                    cp, ce, wp, we = (statistics.median(x[i] for x in got[f]) for i in range(4))
                    print(f"  {f:>6}  {cp:10.2f} {ce:10.2f} {cp + ce:11.2f} {wp:10.2f} {we:10.2f}")
        finally:
            sh(PG, "stop", pg_dir)


if __name__ == "__main__":
    main()
