#!/usr/bin/env python3
"""Benchmark: `lockstep validate` and `lockstep plan --offline` on synthetic
platforms from 1,000 to 100,000 migrations.

Usage: bench/validate_plan.py [LOCKSTEP_BINARY] [--runs N]

For each size it generates the platform (bench/out/, not timed), runs each
command once to warm the page cache, then N times (default 5), and reports the
median wall time and the peak resident memory (ru_maxrss of the child).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = [(10, 100), (100, 100), (100, 300), (100, 600), (100, 1000)]


def measure(cmd):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{err}")
    return wall, usage.ru_maxrss / 1024.0  # MiB


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=os.path.join(HERE, "..", "build", "lockstep"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    commands = (["validate"], ["plan", "--offline"], ["plan", "--offline", "--json"])
    print(f"{'migrations':>10} {'files':>7}  {'validate s':>10} {'MiB':>6}  {'plan s':>7} {'MiB':>6}"
          f"  {'plan --json s':>13} {'MiB':>6}")
    for services, migrations in SIZES:
        out = os.path.join(HERE, "out", f"{services}x{migrations}")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_platform.py"), out,
                        str(services), str(migrations)], check=True)
        config = os.path.join(out, "lockstep.yaml")
        row = []
        for command in commands:
            cmd = [args.binary, "-c", config] + command
            measure(cmd)  # warm the page cache
            results = [measure(cmd) for _ in range(args.runs)]
            row.append((statistics.median(r[0] for r in results), max(r[1] for r in results)))
        total = services * migrations
        print(f"{total:>10} {2 * total:>7}  {row[0][0]:>10.3f} {row[0][1]:>6.1f}  "
              f"{row[1][0]:>7.3f} {row[1][1]:>6.1f}  {row[2][0]:>13.3f} {row[2][1]:>6.1f}",
              flush=True)


if __name__ == "__main__":
    main()
