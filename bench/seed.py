"""Time `seed_demo --cases 100000` on a fresh PostgreSQL database.

Usage: .venv/bin/python bench/seed.py [--cases 100000] [--database bench100k]
Creates (or recreates) the database on the server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432), migrates, loads the reference data, then
times the seed. The database is kept for the other benchmarks.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, env):
    started = time.monotonic()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="bench100k")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    options = parser.parse_args()
    subprocess.run(
        [
            "psql",
            f"{options.server}/postgres",
            "-qc",
            f"DROP DATABASE IF EXISTS {options.database}",
            "-c",
            f"CREATE DATABASE {options.database}",
        ],
        check=True,
    )
    env = {**os.environ, "TESTING": "true", "DATABASE_URL": f"{options.server}/{options.database}"}
    timings = {
        "migrate": manage("migrate", "-v0", env=env),
        "load_vocabularies": manage("load_vocabularies", "-v0", env=env),
        "load_territories": manage("load_territories", "-v0", env=env),
        "seed_demo": manage(
            "seed_demo", "--cases", str(options.cases), "--seed", str(options.seed), "-v0", env=env
        ),
    }
    # Fresh statistics, as autovacuum would gather them a little later: without
    # them PostgreSQL plans the facet counts of bench/discovery.py badly.
    started = time.monotonic()
    subprocess.run(
        ["psql", f"{options.server}/{options.database}", "-qc", "ANALYZE"], check=True
    )
    timings["analyze"] = time.monotonic() - started
    for step, seconds in timings.items():
        print(f"{step:>18}: {seconds:6.1f} s")
    print(f"{options.cases / timings['seed_demo']:,.0f} cases per second")


if __name__ == "__main__":
    main()
