"""The case page on a large database: built afresh (a miss) and served from the
cache (a hit), for a sample of cases.

Usage (after `bench/seed.py`, see bench/README.md):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench100k .venv/bin/python bench/case_page.py

SAMPLE (40) published cases drawn at random (seed 1, the same ones at every
run on the same database), in French: each is requested with its kept page
dropped (a miss: what the first visitor of a case waits after the case, one
of its similar cases or a label changed), then again (a hit).
The counting bitmaps the similar cases are ranked from stay held during the
misses: each process rebuilds them once after a write, for every page that
counts; the last line (« after a write », the whole cache emptied, as a new
registry version does) includes that rebuild. Prints the median and 95th
percentile of each kind, wall and CPU time of this process, and the queries
of the fastest and slowest request of each kind; then the same for the latest
published case (the one `discovery.py` times), RUNS times each. Requests go
through Django's test client in-process, as in `discovery.py`. Only reads:
the database is left as it was.
"""

import os
import random
import statistics

# First: it sets Django up on the database of DATABASE_URL.
from timing import describe_database, p95, timed_get  # isort: skip

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from registry.models import Case
from registry.views.case_cache import case_page_key

SAMPLE = int(os.environ.get("SAMPLE", 40))
RUNS = int(os.environ.get("RUNS", 25))


def forget_page(url):
    """Drop the page kept for the case of `url`, in French."""
    slug = url.rstrip("/").rsplit("/", 1)[-1]
    with translation.override("fr"):
        cache.delete(case_page_key(slug))


def timed(client, url, *, miss, write=False):
    """(wall ms, CPU ms, queries) of one request: for a miss, its page dropped
    first; after a write, the whole cache emptied (a new registry version)."""
    if write:
        cache.clear()
    elif miss:
        forget_page(url)
    with CaptureQueriesContext(connection) as captured:
        wall, cpu = timed_get(client, url)
    return wall, cpu, len(captured)


def line(label, timings):
    wall, cpu, queries = zip(*timings, strict=True)
    return (
        f"{label:<28} {statistics.median(wall):7.1f}ms {p95(wall):7.1f}ms "
        f"{statistics.median(cpu):7.1f}ms {len(wall):5d} {min(queries):4d}-{max(queries):<4d}"
    )


def main():
    print(f"database: {describe_database()}")
    ids = list(Case.objects.published().order_by("id").values_list("id", flat=True))
    sample = Case.objects.filter(pk__in=random.Random(1).sample(ids, min(SAMPLE, len(ids))))
    urls = [case.get_absolute_url() for case in sample.order_by("id")]
    latest = Case.objects.published().order_by("-published_at", "-id").first()
    client = Client()
    timed(client, urls[0], miss=True)  # templates compiled, connection open
    print(f"{'':<28} {'median':>9} {'p95':>9} {'cpu':>9} {'runs':>5} queries", flush=True)
    misses, hits = [], []
    for url in urls:
        misses.append(timed(client, url, miss=True))
        hits.append(timed(client, url, miss=False))
    print(line(f"{len(urls)} cases, miss", misses))
    print(line(f"{len(urls)} cases, hit", hits), flush=True)
    url = latest.get_absolute_url()
    print(line("latest case, miss", [timed(client, url, miss=True) for _ in range(RUNS)]))
    timed(client, url, miss=False)
    print(line("latest case, hit", [timed(client, url, miss=False) for _ in range(RUNS)]))
    after_write = [timed(client, url, miss=True, write=True) for _ in range(3)]
    print(line("latest case, after a write", after_write))


if __name__ == "__main__":
    main()
