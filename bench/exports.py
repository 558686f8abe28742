"""Open data exports on a large database: speed and memory of CSV, JSON and GeoJSON.

Usage (on a database seeded by `bench/seed.py`, see bench/README.md):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench100k .venv/bin/python bench/exports.py
    DATABASE_URL=sqlite:////tmp/bench10k.sqlite3 .venv/bin/python bench/exports.py
    .venv/bin/python bench/exports.py --save /tmp/exports-after   # keep the files written

For each format, of the whole registry and of one région (`?region=84`), through
the API's export endpoint and Django's test client (in-process: no network, no
server), the body streamed to a file as a client would save it: cases, seconds,
cases per second, MiB written, queries, and the process's peak resident memory
(`ru_maxrss`) before and after the export. Each export runs in a process of its
own, so that the peak is this export's, not the largest seen so far.

`--save DIR` keeps the files (`csv-whole.csv`, `json-region.json`, …): two runs,
before and after a change of the export code, compare byte for byte once the
`generated_at` stamp of the JSON and GeoJSON heads is set aside (`--compare A B`).
Throttling is lifted for the run (it would answer 429 to a benchmark).
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

# First: it sets Django up on the database of DATABASE_URL.
from timing import describe_database  # isort: skip

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import override_settings

FORMATS = ("csv", "json", "geojson")
SELECTIONS = {"whole": "", "region": "region=84"}
# One per case in every format: a CSV row per line (demo summaries hold no line
# break), and the JSON and GeoJSON records' flag (partners carry none).
MARKERS = {"csv": b"\n", "json": b'"all_three_families":', "geojson": b'"all_three_families":'}
STAMP = re.compile(rb'"generated_at":"[^"]*"')


def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(fmt, selection, save):
    """Run one export in this process and print its figures as JSON."""
    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/min")
    query = SELECTIONS[selection]
    url = f"/api/v1/exports/cases.{fmt}" + (f"?{query}" if query else "")
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # DEBUG off, as in production: with it, Django keeps the text of every query
    # (the rows an export stores are megabytes of it).
    with override_settings(
        DEBUG=False,
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates},
    ):
        client = Client()
        # Warm-up: URL resolution, templates, the vocabulary, on a tiny selection.
        assert client.get("/api/v1/exports/cases.csv?q=zzzzzz").status_code == 200
        before = rss_mib()
        target = Path(save) / f"{fmt}-{selection}.{fmt}" if save else Path(os.devnull)
        started, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(count), open(target, "wb") as file:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            size = found = 0
            marker = MARKERS[fmt]
            for chunk in response.streaming_content:
                file.write(chunk)
                size += len(chunk)
                found += chunk.count(marker)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    cases = found - 1 if fmt == "csv" else found
    print(
        json.dumps(
            {
                "database": describe_database(),
                "cases": cases,
                "seconds": seconds,
                "cpu": cpu,
                "mib": size / 2**20,
                "queries": len(queries),
                "rss_before": before,
                "rss_peak": rss_mib(),
            }
        )
    )


def compare(first, second):
    """Byte-for-byte comparison of two --save folders, `generated_at` set aside."""
    differ = 0
    for path in sorted(Path(first).iterdir()):
        other = Path(second) / path.name
        a, b = (STAMP.sub(b"", p.read_bytes(), count=1) for p in (path, other))
        same = a == b
        differ += not same
        print(f"{path.name:<22} {'identical' if same else 'DIFFERENT'} ({len(a):,} bytes)")
    return differ


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--save", help="Keep the exported files in this folder.")
    parser.add_argument("--compare", nargs=2, metavar=("A", "B"), help="Compare two --save runs.")
    parser.add_argument("--one", nargs=2, metavar=("FORMAT", "SELECTION"), help=argparse.SUPPRESS)
    parser.add_argument("--formats", default=",".join(FORMATS))
    options = parser.parse_args()
    if options.compare:
        sys.exit(1 if compare(*options.compare) else 0)
    if options.one:
        one(*options.one, options.save)
        return
    if options.save:
        Path(options.save).mkdir(parents=True, exist_ok=True)
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    header = (
        f"{'export':<20} {'cases':>8} {'seconds':>8} {'cases/s':>8} {'CPU s':>6} "
        f"{'cases/CPU s':>11} {'MiB':>6} "
        f"{'queries':>8} {'RSS before':>11} {'RSS peak':>9}"
    )
    database = None
    for fmt in options.formats.split(","):
        for selection in SELECTIONS:
            command = [sys.executable, __file__, "--one", fmt, selection]
            if options.save:
                command += ["--save", options.save]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            figures = json.loads(output.strip().splitlines()[-1])
            if database is None:
                database = figures["database"]
                print(f"database: {database}")
                print(header)
            rate = figures["cases"] / figures["seconds"]
            cpu_rate = figures["cases"] / figures["cpu"]
            print(
                f"{fmt + ', ' + selection:<20} {figures['cases']:>8,} {figures['seconds']:>8.2f} "
                f"{rate:>8,.0f} {figures['cpu']:>6.2f} {cpu_rate:>11,.0f} {figures['mib']:>6.0f} "
                f"{figures['queries']:>8} "
                f"{figures['rss_before']:>8.0f} MiB {figures['rss_peak']:>5.0f} MiB",
                flush=True,
            )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
