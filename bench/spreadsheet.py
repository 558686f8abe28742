"""Memory and time of the XLSX export, which must stay flat whatever the selection.

Usage (on a database seeded with about 10 000 cases, e.g.
`manage.py seed_demo --cases 10000 --seed 7`):
    DATABASE_URL=sqlite:////tmp/big.sqlite3 .venv/bin/python bench/spreadsheet.py

For one région, then the whole registry, through the API in-process (Django's
test client, no server): the time to build the workbook and read the response
(chunks counted, not kept), the process's peak resident memory after it
(ru_maxrss, a high-water mark: flat means the whole registry's is no higher than
the région's), and the peak of Python allocations during a second run
(tracemalloc). The workbooks are then read back to count their rows.
Throttling is lifted for the run.
"""

import io
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TESTING", "true")

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from registry.models import Case  # noqa: E402

# Below, about, and well above one batch of `exports.BATCH_SIZE` cases: memory
# should grow up to one batch's records, then stay flat.
URLS = {
    "XLSX, one région": "/api/v1/exports/cases.xlsx?region=84",
    "XLSX, started by 2012": "/api/v1/exports/cases.xlsx?year_max=2012",
    "XLSX, started by 2018": "/api/v1/exports/cases.xlsx?year_max=2018",
    "XLSX, whole registry": "/api/v1/exports/cases.xlsx",
    "CSV, whole registry": "/api/v1/exports/cases.csv",
}


def download(client, url, keep=False):
    """Read a download; keep its bytes only when asked (to check them afterwards)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if keep:
        return b"".join(response.streaming_content)
    return sum(len(chunk) for chunk in response.streaming_content)


def rows(content):
    """(cases, partner rows) of a workbook, read back to check it is whole."""
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    cases, partners = book.worksheets
    return cases.max_row - 1, partners.max_row - 1


def main():
    published = Case.objects.published().count()
    print(
        f"database: {connection.settings_dict['NAME']} ({connection.vendor}), "
        f"{published:,} published cases"
    )
    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/min")
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        client = Client()
        download(client, URLS["XLSX, one région"])  # warm-up: term index, plans
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS after the warm-up: {rss_before:.0f} MiB")
        files = {}
        for label, url in URLS.items():
            started = time.perf_counter()
            size = download(client, url)
            seconds = time.perf_counter() - started
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            tracemalloc.start()
            download(client, url)
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"{label:<22} {size / 2**20:.1f} MiB in {seconds:.1f} s; peak RSS {rss:.0f} MiB, "
                f"peak Python allocations {peak / 2**20:.1f} MiB"
            )
            files[label] = url
        for label, url in files.items():  # read back last: openpyxl's memory is not ours
            if not label.startswith("XLSX"):
                continue
            cases, partners = rows(download(client, url, keep=True))
            print(f"{label:<22} holds {cases:,} cases and {partners:,} partner rows")


if __name__ == "__main__":
    main()
