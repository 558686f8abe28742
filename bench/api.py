"""API and export figures on a large database, PostgreSQL or SQLite.

Usage (on a database seeded with about 100 000 published cases, e.g. by
`bench/seed.py --cases 109000`, which publishes 92 % of them; see bench/README.md):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench100k .venv/bin/python bench/api.py
    DATABASE_URL=sqlite:////tmp/bench10k.sqlite3 .venv/bin/python bench/api.py

Measures, in-process through Django's test client (no network, no server):
- the median and 95th percentile of the case list endpoint, 25 per page,
  with filters;
- the full CSV export of every published case: cases per second and the peak
  of Python memory while streaming (tracemalloc), which must stay flat;
- the number of queries of each.
Throttling is lifted for the run (it would answer 429 to a benchmark).
"""

import os
import statistics
import time
import tracemalloc

# First: it sets Django up on the database of DATABASE_URL.
from timing import describe_database, p95  # isort: skip

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

RUNS = int(os.environ.get("RUNS", 30))
LIST_URLS = {
    "cases, région + theme": "/api/v1/cases/?region=84&theme=emploi_insertion",
    "cases, département + practice": "/api/v1/cases/?departement=59&practice=copilotage",
    "cases, theme + years, by title": (
        "/api/v1/cases/?theme=mobilite&year_min=2015&year_max=2022&sort=title"
    ),
    "cases, text + région": "/api/v1/cases/?q=insertion&region=32",
    "cases, no filter": "/api/v1/cases/",
    "cases, no filter, page 200": "/api/v1/cases/?page=200",
}


def measure(client, url, runs=RUNS):
    client.get(url)  # warm-up: caches, connections, plans
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(timings), p95(timings), len(queries)


def stream(client, url):
    """Read a streamed export: (cases, bytes). A CSV row per line (demo summaries
    hold no line break), a GeoJSON feature per `"type":"Feature"`."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    marker = b'"type":"Feature"' if url.split("?")[0].endswith(".geojson") else b"\n"
    size = found = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        found += chunk.count(marker)
    return (found if marker != b"\n" else found - 1), size


def export(client, url):
    """Stream an export to nowhere, twice: timed, then with tracemalloc watching.

    Returns (cases, seconds, peak MiB of Python allocations, MiB written, queries)."""
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        lines, size = stream(client, url)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    stream(client, url)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return lines, elapsed, peak / 2**20, size / 2**20, len(queries)


def main():
    print(f"database: {describe_database()}")
    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/min")
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        client = Client()
        print(f"{'endpoint':<34} {'median':>8} {'p95':>8} {'queries':>8}")
        for label, url in LIST_URLS.items():
            median, worst, queries = measure(client, url)
            print(f"{label:<34} {median:7.1f}ms {worst:7.1f}ms {queries:8d}", flush=True)

        for label, url in {
            "CSV export, whole registry": "/api/v1/exports/cases.csv",
            "CSV export, one région": "/api/v1/exports/cases.csv?region=84",
            "GeoJSON export, whole registry": "/api/v1/exports/cases.geojson",
        }.items():
            rows, seconds, peak, size, queries = export(client, url)
            print(
                f"{label:<34} {rows:,} cases in {seconds:.1f} s = {rows / seconds:,.0f} cases/s, "
                f"{size:.0f} MiB, peak Python memory {peak:.1f} MiB, {queries} queries"
            )


if __name__ == "__main__":
    main()
