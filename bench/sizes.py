"""The pages of issue 15's tables at several registry sizes, side by side: median,
95th percentile, the share of the time spent in SQL, and the queries of one.

Usage (after `bench/seed.py` at each size, see bench/README.md):
    .venv/bin/python bench/sizes.py sqlite:////tmp/bench10k.sqlite3 \\
        postgres://postgres@127.0.0.1:5432/bench100k postgres://postgres@127.0.0.1:5432/bench1m

Each database is measured by a process of its own (Django is set up on one
database per process), in the order given, then one table prints every size.
Requests go through Django's test client in-process, as in `discovery.py`.

What the lines mean:
- a search page, the home, the API, the export: the counting bitmaps held (as
  between two writes), the cached whole-registry counts dropped before every
  run (« counts dropped »: the issue's « cache cleared ») or kept;
- « a text new to the process »: as « counts dropped », and the ids and the
  ranking of the texts this process keeps forgotten (the first search of a
  text after a write);
- « after a publication »: the registry version moved for one case, as a
  publication moves it (the bitmaps are updated for that case, the counts
  dropped; nothing is written);
- « after a label changed »: the registry version moved as a label edited in
  the admin moves it (`relabelled=True`: the bitmaps kept, the counts dropped);
- « after another write »: the whole cache emptied and the process's bitmaps
  forgotten, as after a write that changes more than cases (the geography
  reloaded) or in the first process that starts;
- « a worker that starts »: with CACHE_URL set (a Redis), the process's
  bitmaps forgotten but those another worker shared kept, the counts dropped
  (without CACHE_URL, the same as « after another write »);
- « case page, miss »: the latest published case with its kept page dropped;
  « hit »: served from the cache; « after a publication elsewhere »: the
  registry version moved for the first case (not one of the page's), the kept
  page checked and served, the bitmaps updated for that case in the request.
The SQL share is the time inside the database driver's `execute` over the
page's wall time (rows fetched later by a streaming cursor are not in it).
RUNS (15) and BUDGET (15 s of runs per page, at least 3 runs) bound the runs;
ONLY (e.g. `ONLY="API JSON"`) keeps the pages whose label holds it.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = int(os.environ.get("RUNS", 15))
ONLY = os.environ.get("ONLY", "")
BUDGET = float(os.environ.get("BUDGET", 15))

# label: (url, how each run starts)
PAGES = {
    "?region=84 (all facets)": ("/experiences/?region=84", "counts dropped"),
    "?departement=59&practice=copilotage": (
        "/experiences/?departement=59&practice=copilotage",
        "counts dropped",
    ),
    "?q=mobilite": ("/experiences/?q=mobilite", "counts dropped"),
    "?q=mobilite, a text new to the process": ("/experiences/?q=mobilite", "text new"),
    "?q=insertion jeunes&region=32": (
        "/experiences/?q=insertion+jeunes&region=32",
        "counts dropped",
    ),
    "unfiltered, counts dropped": ("/experiences/", "counts dropped"),
    "unfiltered, counts kept": ("/experiences/", "kept"),
    "unfiltered, after a publication": ("/experiences/", "after a publication"),
    "unfiltered, after a label changed": ("/experiences/", "after a relabel"),
    "unfiltered, after another write": ("/experiences/", "after a write"),
    "unfiltered, a worker that starts (shared bitmaps)": ("/experiences/", "worker starts"),
    "home, counts dropped": ("/", "counts dropped"),
    "home, counts kept": ("/", "kept"),
    "home, after a publication": ("/", "after a publication"),
    "case page, miss": ("CASE", "page dropped"),
    "case page, hit": ("CASE", "kept"),
    "case page, after a publication elsewhere": ("CASE", "published elsewhere"),
    "API JSON région + theme": ("/api/v1/cases/?region=84&theme=emploi_insertion", "kept"),
    "CSV export région + theme": (
        "/api/v1/exports/cases.csv?region=84&theme=emploi_insertion",
        "kept",
    ),
}
PAGES = {label: page for label, page in PAGES.items() if ONLY in label}


def measure_here():
    """In the child process: time every page on the database of DATABASE_URL and
    print one JSON line per page."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from django.conf import settings  # noqa: PLC0415
    from django.core.cache import cache  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415
    from django.test.utils import override_settings  # noqa: PLC0415
    from django.utils import translation  # noqa: PLC0415
    from timing import describe_database  # noqa: PLC0415  (sets Django up)

    from registry.counting import bitmaps, selections  # noqa: PLC0415
    from registry.models import Case  # noqa: PLC0415
    from registry.models.index import (  # noqa: PLC0415
        REGISTRY_VERSION_KEY,
        bump_registry_version,
        registry_version,
    )
    from registry.views.case_cache import case_page_key  # noqa: PLC0415

    sql = {"seconds": 0.0, "queries": 0}

    def timed_sql(execute, query, params, many, context):
        started = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            sql["seconds"] += time.perf_counter() - started
            sql["queries"] += 1

    case = Case.objects.published().order_by("-published_at", "-id").first()
    elsewhere = Case.objects.published().order_by("id").values_list("id", flat=True).first()

    def prepare(how, url):
        if how == "counts dropped":
            version = registry_version()
            cache.clear()
            cache.set(REGISTRY_VERSION_KEY, version, None)  # the bitmaps stay held
        elif how == "after a publication":
            bump_registry_version([case.pk])
        elif how == "after a relabel":
            bump_registry_version(relabelled=True)
        elif how == "after a write":
            cache.clear()
            bitmaps.forget()
        elif how == "worker starts":
            held = bitmaps.snapshot()
            cache.clear()
            cache.set(REGISTRY_VERSION_KEY, held.version, None)
            bitmaps.share(held)  # as the worker that built them did
            bitmaps._held = None  # this process has just started  # noqa: SLF001
        elif how == "text new":
            version = registry_version()
            cache.clear()
            cache.set(REGISTRY_VERSION_KEY, version, None)
            selections.forget_texts()
        elif how == "published elsewhere":
            # A case none of the page's: the kept page is checked, not rebuilt;
            # the bitmaps, updated for that case, are paid by this request.
            bump_registry_version([elsewhere])
        elif how == "page dropped":
            with translation.override("fr"):
                cache.delete(case_page_key(case.slug))

    def one(client, url, how):
        prepare(how, url)
        sql.update(seconds=0.0, queries=0)
        started = time.perf_counter()
        with connection.execute_wrapper(timed_sql):
            response = client.get(url)
            # A streamed export is written while it is read.
            body = b"".join(response.streaming_content) if response.streaming else b""
        wall = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code)
        del body
        return wall * 1000, sql["seconds"] * 1000, sql["queries"]

    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/min")
    throttles = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    print(json.dumps({"database": describe_database()}), flush=True)
    with override_settings(REST_FRAMEWORK=throttles):
        client = Client()
        for label, (url, how) in PAGES.items():
            if url == "CASE":
                url = case.get_absolute_url()
            one(client, url, "kept")  # compiled, connected, bitmaps built
            runs, started = [], time.monotonic()
            while len(runs) < RUNS and (len(runs) < 3 or time.monotonic() - started < BUDGET):
                runs.append(one(client, url, how))
            wall, in_sql, queries = zip(*runs, strict=True)
            print(
                json.dumps(
                    {
                        "page": label,
                        "median": statistics.median(wall),
                        "p95": p95(wall),
                        "sql": sum(in_sql) / sum(wall),
                        "queries": max(queries),
                        "runs": len(runs),
                    }
                ),
                flush=True,
            )


def p95(timings):
    if len(timings) < 20:
        return max(timings)
    return statistics.quantiles(timings, n=20, method="inclusive")[-1]


def main(urls):
    results = []
    for url in urls:
        env = {**os.environ, "DATABASE_URL": url}
        child = subprocess.run(
            [sys.executable, __file__, "--here"], env=env, capture_output=True, text=True
        )
        if child.returncode:
            sys.exit(f"{url}:\n{child.stderr}")
        lines = [json.loads(line) for line in child.stdout.splitlines() if line.startswith("{")]
        print(f"{lines[0]['database']}", flush=True)
        results.append({line["page"]: line for line in lines[1:]})
    width = max(len(label) for label in PAGES)
    print()
    print(
        f"{'page':<{width}} "
        + " | ".join(f"{'median':>8} {'p95':>8} {'SQL':>4} {'q':>3}" for _ in results)
    )
    for label in PAGES:
        cells = []
        for result in results:
            row = result[label]
            cells.append(
                f"{row['median']:6.1f}ms {row['p95']:6.1f}ms {row['sql']:4.0%} {row['queries']:3d}"
            )
        print(f"{label:<{width}} " + " | ".join(cells))


if __name__ == "__main__":
    if sys.argv[1:] == ["--here"]:
        measure_here()
    elif len(sys.argv) > 1:
        main(sys.argv[1:])
    else:
        sys.exit(__doc__)
