"""Median response times of the discovery pages on a large PostgreSQL database.

Usage (after `bench/seed.py`, which leaves 100 000 cases in `bench100k`):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench100k .venv/bin/python bench/discovery.py

Requests go through Django's test client in-process (no network, no server),
so the figures are the application's own time: views, queries, templates.
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

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from registry.models import Case  # noqa: E402

RUNS = int(os.environ.get("RUNS", 25))


def measure(client, url, runs=RUNS):
    client.get(url)  # warm-up: caches, connections
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(timings), max(timings), len(queries)


def main():
    print(
        f"database: {connection.settings_dict['NAME']} ({connection.vendor}), "
        f"{Case.objects.published().count():,} published cases"
    )
    case = Case.objects.published().order_by("-published_at").first()
    client = Client()
    urls = {
        "home": "/",
        "search, no filter": "/experiences/",
        "search, text + 2 facets": (
            "/experiences/?q=insertion+jeunes&region=32&theme=emploi_insertion"
        ),
        "search, text + 2 facets (2)": (
            "/experiences/?q=mobilite&departement=59&practice=copilotage"
        ),
        "search, 2 facets, by title": (
            "/experiences/?region=84&form=experimentation_collective&sort=title"
        ),
        "case page": case.get_absolute_url(),
        "territory page (région)": "/territoires/region/11/",
        "référentiel page": "/referentiel/practice/dialogue/",
    }
    print(f"{'page':<36} {'median':>8} {'max':>8} {'queries':>8}")
    for label, url in urls.items():
        median, worst, queries = measure(client, url)
        print(f"{label:<36} {median:7.1f}ms {worst:7.1f}ms {queries:8d}")


if __name__ == "__main__":
    main()
