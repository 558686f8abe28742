"""Time `seed_demo --cases 100000 --seed 1` on a fresh database.

Usage: .venv/bin/python bench/seed.py [--cases 100000] [--database bench100k] [--sqlite]
(the benchmarks use `--cases 109000` on PostgreSQL and
`--cases 10900 --database bench10k --sqlite` on SQLite: 92 % are published).

Creates (or recreates) the database on the server of --server (default
postgres://postgres@127.0.0.1:5432), migrates, loads the reference data, then
times the seed and a second `seed_demo --if-empty` (what `make run` does on every
start). With --sqlite the same runs on a fresh SQLite file instead, named after
--database in the temporary directory (/tmp/bench10k.sqlite3). The database
is kept for the other benchmarks (bench/discovery.py).

Each step runs in its own process, as a user would run it. The seed's wall time
depends on having both cores free, so the script also prints the machine's load
and the CPU time the seed used: its Python process, and (on Linux, same machine)
the PostgreSQL backends serving the benchmark database.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, env):
    started = time.monotonic()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
    return time.monotonic() - started


class BackendClock:
    """CPU seconds used by the PostgreSQL backends of one database, read from /proc
    while they live (a backend's last fraction of a second may be missed)."""

    def __init__(self, database):
        self.marker = f" {database} ".encode()
        self.seen = {}
        self.running = True
        self.thread = threading.Thread(target=self.poll, daemon=True)

    def poll(self):
        ticks = os.sysconf("SC_CLK_TCK")
        while self.running:
            for entry in Path("/proc").iterdir():
                try:
                    if entry.name.isdigit() and self.marker in (entry / "cmdline").read_bytes():
                        fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                        self.seen[entry.name] = (int(fields[11]) + int(fields[12])) / ticks
                except OSError:
                    continue
            time.sleep(0.2)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()

    @property
    def seconds(self):
        return sum(self.seen.values())


def fresh_database(options):
    if options.sqlite:
        path = Path(tempfile.gettempdir()) / f"{options.database}.sqlite3"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
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
    return f"{options.server}/{options.database}"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="bench100k")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite", action="store_true", help="Time SQLite instead.")
    options = parser.parse_args()
    env = {**os.environ, "TESTING": "true", "DATABASE_URL": fresh_database(options)}
    seed = ["seed_demo", "--cases", str(options.cases), "--seed", str(options.seed), "-v0"]
    timings = {
        "migrate": manage("migrate", "-v0", env=env),
        "load_vocabularies": manage("load_vocabularies", "-v0", env=env),
        "load_territories": manage("load_territories", "-v0", env=env),
    }
    load_before = os.getloadavg()[0]
    python_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with BackendClock(options.database) as backends:
        timings["seed_demo"] = manage(*seed, env=env)
    python_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_after = os.getloadavg()[0]
    timings["seed_demo --if-empty"] = manage(*seed, "--if-empty", env=env)
    python_cpu = (python_after.ru_utime + python_after.ru_stime) - (
        python_before.ru_utime + python_before.ru_stime
    )
    print(f"database: {env['DATABASE_URL']}, {os.cpu_count()} CPUs")
    for step, seconds in timings.items():
        print(f"{step:>22}: {seconds:6.1f} s")
    print(f"{options.cases / timings['seed_demo']:,.0f} cases per second")
    print(f"seed CPU time: Python {python_cpu:.1f} s", end="")
    if not options.sqlite:
        print(f", PostgreSQL backends {backends.seconds:.1f} s", end="")
    print(f"; load average {load_before:.1f} before the seed, {load_after:.1f} after")


if __name__ == "__main__":
    main()
