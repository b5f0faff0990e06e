#!/usr/bin/env python3
"""Benchmark: a fleet of tenant databases on one server.

Usage: bench/fleet_bench.py [LOCKSTEP_BINARY] [--tenants N] [--migrations M] [--runs R]
                            [--max-connections C] [--layout set|databases] [--fsync on|off]

Starts a throwaway PostgreSQL (scripts/throwaway-pg.sh; fsync off, or with
--fsync on PostgreSQL's stock durability), makes N
tenant databases (default 1,000) with M migrations each (default 20): with
--layout set (the default), one database set whose members come from a
tenants file and one service on it; with --layout databases, N `databases:`
entries and N services, as before database sets. Measures in the same run:
  1. the baseline: psql applying one database's M migrations alone (each in its
     own transaction, one session), for every database in turn: the slowest
     database alone and the total server time; best possible =
     max(slowest alone, total / cores); with the CPU time of the server and psql;
  2. the same floor run with lockstep's parallelism: psql on 8 databases at once
     (settings.jobs), on fresh databases: its wall time and CPU, once before the
     apply and once after everything else (a server that made and dropped more
     databases is slower; the apply is compared with the mean of the two);
  3. `lockstep apply` of the whole fleet on fresh databases, against both, while
     a sampler counts lockstep's connections in pg_stat_activity every 20 ms
     (never more than settings.max_connections) on one session of its own, with
     the peak RSS of the process, the CPU time of the server and lockstep, and
     the connections it opened (log_connections; a count no noise changes);
  4. a no-op `lockstep apply` over the fleet (median of R runs), against a
     no-op over one database of the same shape and two floors, all four taking
     turns: N connections + SELECT 1 to one database (pgbench -C), and
     connecting to each of the N databases and reading its history (libpq);
     --noop-only measures only this, after one untimed apply.
"""
import argparse
import concurrent.futures
import ctypes
import functools
import glob
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PG = os.path.join(ROOT, "scripts", "throwaway-pg.sh")
JOBS = 8  # settings.jobs of the fleet


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout.strip()


def pg_env(fsync):
    """The environment for `throwaway-pg.sh start`: fsync "on" keeps PostgreSQL's
    stock durability, "off" turns it off for speed."""
    return dict(os.environ, LOCKSTEP_PG_DURABLE="1" if fsync == "on" else "0")


def psql(pg_dir, port, db, sql, **kw):
    return sh("psql", "-h", pg_dir, "-p", port, "-U", "postgres", "-d", db, "-Atq", "-c", sql, **kw)


def run_lockstep(binary, config, *args):
    """Wall time and peak RSS (KiB) of one lockstep run."""
    with tempfile.TemporaryFile(mode="w+") as err:
        start = time.perf_counter()
        p = subprocess.Popen([binary, "-c", config, *args], stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        took = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            err.seek(0)
            sys.exit(f"lockstep {' '.join(args)} failed:\n{err.read()[-3000:]}")
    return took, usage.ru_maxrss


def write_platform(root, names, migrations, url_of, max_connections, layout):
    os.makedirs(root, exist_ok=True)
    sqls = [f"CREATE TABLE t_{m} (id int PRIMARY KEY, v text);\nINSERT INTO t_{m} VALUES (1, 'x');\n"
            for m in range(1, migrations + 1)]
    with open(os.path.join(root, "lockstep.yaml"), "w") as f:
        f.write("version: 1\nservices: [services/*/service.yaml]\ndatabases:\n")
        if layout == "set":  # databases tenant_<name>: members <name>
            f.write(f'  tenant:\n    url: "{url_of("tenant_{tenant}")}"\n'
                    "    tenants: { file: tenants.txt }\n")
        else:
            for db in names:
                f.write(f'  {db}: {{ url: "{url_of(db)}" }}\n')
        f.write(f"settings:\n  max_connections: {max_connections}\n  jobs: {JOBS}\n")
    if layout == "set":
        with open(os.path.join(root, "tenants.txt"), "w") as f:
            f.write("".join(db[len("tenant_"):] + "\n" for db in names))
        folder = os.path.join(root, "services", "app", "migrations")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(root, "services", "app", "service.yaml"), "w") as f:
            f.write("service: app\ndatabase: tenant\n")
        for m in range(1, migrations + 1):
            with open(os.path.join(folder, f"{m:03d}_t{m}.up.sql"), "w") as f:
                f.write(sqls[m - 1])
    for db in names if layout != "set" else []:
        folder = os.path.join(root, "services", db, "migrations")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(root, "services", db, "service.yaml"), "w") as f:
            f.write(f"service: {db.replace('_', '-')}\ndatabase: {db}\n")
        for m in range(1, migrations + 1):
            with open(os.path.join(folder, f"{m:03d}_t{m}.up.sql"), "w") as f:
                f.write(sqls[m - 1])
    with open(os.path.join(root, "psql.sql"), "w") as f:
        f.write("".join("BEGIN;\n" + sql + "COMMIT;\n" for sql in sqls))
    return os.path.join(root, "lockstep.yaml"), os.path.join(root, "psql.sql")


def recreate(pg_dir, port, names):
    for db in names:
        psql(pg_dir, port, "postgres", f'DROP DATABASE IF EXISTS "{db}"')
        psql(pg_dir, port, "postgres", f'CREATE DATABASE "{db}"')


class Sampler:
    """Counts lockstep's connections (application_name lockstep/...) every 20 ms,
    on one psql session of its own: a new connection per sample would load the
    server (about 50 connections a second) during the apply and not the floor."""

    def __init__(self, pg_dir, port):
        self.cmd = ["psql", "-h", pg_dir, "-p", port, "-U", "postgres", "-d", "postgres", "-Atq"]
        self.query = "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'lockstep/%';\n"
        self.peak = 0
        self.samples = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop)

    def loop(self):
        with subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, bufsize=1) as p:
            while not self.stop.is_set():
                p.stdin.write(self.query)
                out = p.stdout.readline().strip()
                if out.isdigit():
                    self.peak = max(self.peak, int(out))
                    self.samples += 1
                time.sleep(0.02)
            p.stdin.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def server_cpu(pg_dir):
    """CPU seconds the server has used: the postmaster's own and its reaped
    children's (backends that ended), and its live children's."""
    tick = os.sysconf("SC_CLK_TCK")
    with open(os.path.join(pg_dir, "data", "postmaster.pid")) as f:
        postmaster = int(f.readline())

    def fields(pid):
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()  # from the state on

    total = sum(int(x) for x in fields(postmaster)[11:15])  # utime stime cutime cstime
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            f = fields(entry)
            if int(f[1]) == postmaster:  # ppid
                total += int(f[11]) + int(f[12])
        except (OSError, IndexError):
            pass
    return total / tick


@functools.lru_cache(maxsize=None)
def libpq():
    """libpq through ctypes (libpq5 comes with libpqxx), with the signatures the
    benches call; ctypes lets go of the GIL during each call."""
    pq = ctypes.CDLL("libpq.so.5")
    pq.PQconnectdb.restype = ctypes.c_void_p
    pq.PQconnectdb.argtypes = [ctypes.c_char_p]
    pq.PQexec.restype = ctypes.c_void_p
    pq.PQexec.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    pq.PQerrorMessage.restype = ctypes.c_char_p
    for f in (pq.PQstatus, pq.PQresultStatus, pq.PQntuples, pq.PQclear, pq.PQfinish,
              pq.PQbackendPID, pq.PQerrorMessage):
        f.argtypes = [ctypes.c_void_p]
    return pq


def history_floor(pg_dir, port, names, parallel):
    """Seconds to connect to each of `names` and read its lockstep.history, on
    `parallel` connections at a time: what any tool that checks every database
    must do, with no process start, manifest or plan. libpq through ctypes
    (libpq()), so that the floor pays no psql process per database."""
    pq = libpq()
    query = b"SELECT * FROM lockstep.history ORDER BY started_at, service, version"

    def read(db):
        conn = pq.PQconnectdb(f"host={pg_dir} port={port} user=postgres dbname={db}".encode())
        try:
            if pq.PQstatus(conn) != 0:  # CONNECTION_OK
                sys.exit(f"history floor: cannot connect to {db}")
            result = pq.PQexec(conn, query)
            ok = pq.PQresultStatus(result) == 2 and pq.PQntuples(result) > 0  # PGRES_TUPLES_OK
            pq.PQclear(result)
            if not ok:
                sys.exit(f"history floor: no history read in {db}")
        finally:
            pq.PQfinish(conn)

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(parallel) as workers:
        list(workers.map(read, names))
    return time.perf_counter() - start


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=os.path.join(ROOT, "build", "lockstep"))
    ap.add_argument("--tenants", type=int, default=1000)
    ap.add_argument("--migrations", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-connections", type=int, default=32)
    ap.add_argument("--layout", choices=["set", "databases"], default="set")
    ap.add_argument("--fsync", choices=["on", "off"], default="off",
                    help="on: PostgreSQL's stock durability (fsync, synchronous_commit)")
    ap.add_argument("--noop-only", action="store_true",
                    help="apply the fleet once, untimed, and measure only the no-op against "
                         "its floors")
    args = ap.parse_args()
    cores = os.cpu_count() or 1

    with tempfile.TemporaryDirectory(prefix="lockstep-fleet-") as tmp:
        os.chmod(tmp, 0o755)
        pg_dir = os.path.join(tmp, "pg")
        port = sh(PG, "start", pg_dir, env=pg_env(args.fsync)).splitlines()[-1]
        try:
            names = [f"tenant_{i:04d}" for i in range(args.tenants)]

            def url_of(db):
                return f"postgresql:///{db}?host={pg_dir}&port={port}&user=postgres"

            config, script = write_platform(os.path.join(tmp, "fleet"), names, args.migrations,
                                            url_of, args.max_connections, args.layout)
            one_config, _ = write_platform(os.path.join(tmp, "one"), names[:1], args.migrations,
                                           url_of, args.max_connections, args.layout)

            def noop_comparison():
                """A no-op apply over the fleet (already applied) and over one
                database, against two floors, the four taking turns in each
                of `runs` rounds: N connections + SELECT 1 on one database
                (pgbench -C, 8 at a time), and connecting to each of the N
                databases and reading its history (libpq, as many at a time
                as lockstep's reads: max_connections). Lines of the table."""
                pgbench = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"))[-1]
                with open(os.path.join(tmp, "select1.sql"), "w") as f:
                    f.write("SELECT 1;\n")
                run_lockstep(args.binary, one_config, "apply")  # names[0] is applied already
                noop, connect, history, noop_one = [], [], [], []
                for _ in range(args.runs):
                    noop.append(run_lockstep(args.binary, config, "apply")[0])
                    start = time.perf_counter()
                    sh(pgbench, "-h", pg_dir, "-p", port, "-U", "postgres", "-n", "-C", "-c", "8",
                       "-j", str(cores), "-t", str(max(1, args.tenants // 8)), "-f",
                       os.path.join(tmp, "select1.sql"), names[0])
                    connect.append(time.perf_counter() - start)
                    history.append(history_floor(pg_dir, port, names, args.max_connections))
                    noop_one.append(run_lockstep(args.binary, one_config, "apply")[0])
                noop, connect, history, noop_one = (statistics.median(x) for x in
                                                    (noop, connect, history, noop_one))
                return [
                    f"| no-op apply over {args.tenants} | {noop:.3f} s | no-op over 1: "
                    f"{noop_one:.3f} s | {noop / noop_one:.1f}x | < 2 s and < 10x |",
                    f"| {args.tenants} connections + SELECT 1 (pgbench -C, one database) | "
                    f"{connect:.3f} s | no-op over {args.tenants} | "
                    f"{noop / connect:.2f}x of it | |",
                    f"| connect to each of the {args.tenants} and read its history (libpq, "
                    f"{args.max_connections} at a time) | {history:.3f} s | no-op over "
                    f"{args.tenants} | {noop / history:.2f}x of it | <= 2 |",
                ]

            if args.noop_only:  # apply once, untimed, and compare no-ops only
                recreate(pg_dir, port, names)
                run_lockstep(args.binary, config, "apply")
                print("\n".join(noop_comparison()))
                return

            print(f"{args.tenants} databases x {args.migrations} migrations ({args.layout}), "
                  f"fsync {args.fsync}, {cores} cores", file=sys.stderr)
            recreate(pg_dir, port, names)
            cpu = (server_cpu(pg_dir), children_cpu())
            alone = []
            def run_script(db):  # psql, one transaction per migration
                sh("psql", "-h", pg_dir, "-p", port, "-U", "postgres", "-d", db, "-q",
                   "-v", "ON_ERROR_STOP=1", "-f", script)

            for db in names:
                start = time.perf_counter()
                run_script(db)
                alone.append(time.perf_counter() - start)
            best = max(max(alone), sum(alone) / cores)
            floor_cpu = (server_cpu(pg_dir) - cpu[0], children_cpu() - cpu[1])

            # The floor run with lockstep's parallelism (issue 15): psql on
            # `jobs` databases at once, as many as lockstep's lanes at work.
            # Once before the apply and once after it: a server that made
            # and dropped more databases is slower (bench/README.md).
            def floor_run():
                recreate(pg_dir, port, names)
                cpu = (server_cpu(pg_dir), children_cpu())
                start = time.perf_counter()
                with concurrent.futures.ThreadPoolExecutor(JOBS) as workers:
                    list(workers.map(run_script, names))
                took = time.perf_counter() - start
                return took, (server_cpu(pg_dir) - cpu[0], children_cpu() - cpu[1])

            parallel, parallel_cpu = floor_run()

            recreate(pg_dir, port, names)
            log = os.path.join(pg_dir, "server.log")
            psql(pg_dir, port, "postgres", "ALTER SYSTEM SET log_connections = on")
            psql(pg_dir, port, "postgres", "SELECT pg_reload_conf()")
            time.sleep(0.5)
            mark = os.path.getsize(log)
            cpu = (server_cpu(pg_dir), children_cpu())
            with Sampler(pg_dir, port) as sampler:
                took, rss = run_lockstep(args.binary, config, "apply")
            apply_cpu = (server_cpu(pg_dir) - cpu[0], children_cpu() - cpu[1])
            with open(log, errors="replace") as f:
                f.seek(mark)
                # The sampler's one session logs as database=postgres.
                connections = sum(1 for line in f if "connection authorized:" in line
                                  and "database=postgres" not in line)
            psql(pg_dir, port, "postgres", "ALTER SYSTEM RESET log_connections")
            psql(pg_dir, port, "postgres", "SELECT pg_reload_conf()")
            applied = sum(int(psql(pg_dir, port, db, "SELECT count(*) FROM lockstep.history"))
                          for db in names[:5])

            noop_lines = noop_comparison()

            parallel_after, parallel_cpu_after = floor_run()
            mean = (parallel + parallel_after) / 2

            print(f"| apply, {args.tenants} x {args.migrations} | {took:.2f} s | best possible "
                  f"{best:.2f} s (slowest alone {max(alone):.3f} s, total {sum(alone):.1f} s / "
                  f"{cores}) | {took / best:.2f} | <= 1.3 |")
            print(f"| apply, {args.tenants} x {args.migrations} | {took:.2f} s | the floor run "
                  f"{JOBS} databases at once (psql), before and after the apply: {parallel:.2f} s, "
                  f"{parallel_after:.2f} s (mean {mean:.2f} s) | {took / mean:.2f} | <= 0.95 |")
            for when, cpu in (("before", parallel_cpu), ("after", parallel_cpu_after)):
                print(f"| CPU of the floor run {JOBS} at once, {when} (server + psql) | "
                      f"{sum(cpu):.1f} s ({cpu[0]:.1f} + {cpu[1]:.1f}) | CPU of the apply "
                      f"{sum(apply_cpu):.1f} s | {sum(apply_cpu) / sum(cpu):.2f} | |")
            print(f"| CPU of the apply (server + lockstep) | {sum(apply_cpu):.1f} s "
                  f"({apply_cpu[0]:.1f} + {apply_cpu[1]:.1f}) | CPU of the floor (server + psql) "
                  f"{sum(floor_cpu):.1f} s ({floor_cpu[0]:.1f} + {floor_cpu[1]:.1f}) | "
                  f"{sum(apply_cpu) / sum(floor_cpu):.2f} | |")
            print(f"| connections the apply opened (server log) | {connections} | "
                  f"{args.tenants} databases | {connections / args.tenants:.2f} per database | |")
            print(f"| peak connections (sampled {sampler.samples}x) | {sampler.peak} | "
                  f"max_connections {args.max_connections} | | <= {args.max_connections} |")
            print(f"| peak RSS of the apply | {rss / 1024:.1f} MiB | | | < 64 MB |")
            print("\n".join(noop_lines))
            if applied != 5 * args.migrations:
                sys.exit(f"expected {5 * args.migrations} history rows in 5 databases, got {applied}")
        finally:
            sh(PG, "stop", pg_dir)


if __name__ == "__main__":
    main()
