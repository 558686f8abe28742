"""What every benchmark of this folder shares: Django set up on the database of
`DATABASE_URL` (PostgreSQL or a SQLite file), and one way to time a page.

Imported by the scripts beside it (`python bench/<script>.py` puts this folder
on the path); not part of the application.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TESTING", "true")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from registry.models import Case  # noqa: E402

RUNS = int(os.environ.get("RUNS", 25))
# Seconds of timed runs per page at most (at least MIN_RUNS runs, whatever it
# costs): a page that takes a minute is reported from a few runs, not 25.
BUDGET = float(os.environ.get("BUDGET", 20))
MIN_RUNS = int(os.environ.get("MIN_RUNS", 3))


def describe_database():
    """« bench10k (sqlite), 10,008 published cases »."""
    name = Path(str(connection.settings_dict["NAME"])).name
    return f"{name} ({connection.vendor}), {Case.objects.published().count():,} published cases"


def p95(timings):
    """The 95th percentile (the worst run when there are fewer than 20)."""
    if len(timings) < 20:
        return max(timings)
    return statistics.quantiles(timings, n=20, method="inclusive")[-1]


class Timing:
    """The figures of one page: cold (cache empty, as after a write), then the
    median and 95th percentile of repeated requests, the CPU time this process
    spent (cold, and the median of the runs), and the number of queries.

    On SQLite the database works inside this process: its CPU time is the page's
    cost whatever else the machine runs, where wall times grow with the load."""

    HEADER = (
        f"{'page':<36} {'cold':>9} {'cold cpu':>9} {'median':>9} {'p95':>9} {'cpu':>9} "
        f"{'runs':>5} {'queries':>8}"
    )

    def __init__(self, label, cold, timings, queries):
        """`cold` and each of `timings`: (wall ms, CPU ms)."""
        self.label, self.queries, self.runs = label, queries, len(timings)
        self.cold, self.cold_cpu = cold
        wall, cpu = zip(*timings, strict=True)
        self.median, self.p95, self.cpu = statistics.median(wall), p95(wall), statistics.median(cpu)

    def __str__(self):
        return (
            f"{self.label:<36} {self.cold:7.1f}ms {self.cold_cpu:7.1f}ms {self.median:7.1f}ms "
            f"{self.p95:7.1f}ms {self.cpu:7.1f}ms {self.runs:5d} {self.queries:8d}"
        )


def timed_get(client, url):
    """(wall ms, CPU ms of this process) of one request."""
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return elapsed


def measure(client, label, url, runs=RUNS, budget=BUDGET):
    """Time `url` through Django's test client, in-process: the application's
    own time (views, queries, templates), no network, no server.

    The first request runs with the cache empty ("cold": what the first visitor
    after a write waits); the whole-registry counts it caches are then reused
    by the timed runs, as they are between visitors."""
    cache.clear()
    cold = timed_get(client, url)
    started = time.monotonic()
    with CaptureQueriesContext(connection) as captured:
        runs_done = [timed_get(client, url)]
    # Read now: the next request empties the connection's log of queries.
    queries = len(captured)
    while len(runs_done) < runs:
        if len(runs_done) >= MIN_RUNS and time.monotonic() - started > budget:
            break
        runs_done.append(timed_get(client, url))
    return Timing(label, cold, runs_done, queries)
