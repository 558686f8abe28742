"""Median time of the whole observatory dashboard on a large database, PostgreSQL or SQLite.

Usage (after `bench/seed.py`, see bench/README.md):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench100k .venv/bin/python bench/observatory.py
    DATABASE_URL=sqlite:////tmp/bench10k.sqlite3 .venv/bin/python bench/observatory.py

For each selection, three figures:
- "figures": every aggregate of the dashboard (summary, all charts, both map
  levels with populations), computed by `registry.counting.observatory` directly;
- "page": the whole page through Django's test client (views, queries and
  templates, the map included), in-process, no network: median and 95th
  percentile;
- the number of queries of the page.
Whole-registry figures are cached like the search page's facets (a minute,
until the next write); "cold" is the first request, cache empty. The size of
the map as served (the SVG element inside the page) closes the report.
"""

import os
import re
import statistics
import time

# First: it sets Django up on the database of DATABASE_URL.
from timing import describe_database, p95  # isort: skip

from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registry.counting.observatory import CHARTS, Selection
from registry.search.filters import CaseFilter, TermIndex

RUNS = int(os.environ.get("RUNS", 20))
SELECTIONS = {
    "no filter": "",
    "a région (Hauts-de-France)": "region=32",
    "a région (Île-de-France)": "region=11",
    "a theme + a région": "theme=emploi_insertion&region=84",
    "a département": "departement=59",
    "a métier of the référentiel": "practice=experimentations",
    "a mission of the référentiel": "practice=copilotage",
    "text + theme": "q=insertion&theme=emploi_insertion",
}


def all_figures(query):
    """Every figure the dashboard shows, for both map levels."""
    filterset = CaseFilter(QueryDict(query), term_index=TermIndex())
    filterset.is_valid()
    selection = Selection(filterset)
    return [builder(selection) for builder in CHARTS.values()]


def median_ms(function, runs=RUNS):
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), p95(timings)


def main():
    print(f"database: {describe_database()}, {RUNS} runs each")
    client = Client()
    print(
        f"{'selection':<30} {'figures':>9} {'page':>9} {'page p95':>9} {'cold page':>10} "
        f"{'queries':>8}"
    )
    for label, query in SELECTIONS.items():
        url = f"/observatoire/?{query}"
        cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        cold = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        figures, _ = median_ms(lambda q=query: all_figures(q))
        page, worst = median_ms(lambda u=url: client.get(u))
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        print(
            f"{label:<30} {figures:7.1f}ms {page:7.1f}ms {worst:7.1f}ms {cold:8.1f}ms "
            f"{len(queries):8d}",
            flush=True,
        )
    for kind in ("region", "departement"):
        page = client.get(f"/observatoire/?carte={kind}").content.decode()
        svg = re.search(r"<svg[^>]*obs-map-svg.*?</svg>", page, re.S).group()
        standalone = client.get(f"/observatoire/carte.svg?carte={kind}").content
        print(
            f"map by {kind}: {len(svg.encode()) / 1000:.1f} kB in the page, "
            f"{len(standalone) / 1000:.1f} kB as carte.svg"
        )


if __name__ == "__main__":
    main()
