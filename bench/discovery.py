"""Response times of the visitor's path on a large database, PostgreSQL or SQLite.

Usage (after `bench/seed.py`, see bench/README.md):
    DATABASE_URL=sqlite:////tmp/bench10k.sqlite3 .venv/bin/python bench/discovery.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench100k .venv/bin/python bench/discovery.py

Every page a visitor meets: home, search (unfiltered, text, facets, région),
a case, territory pages, the référentiel, the observatory and the API list.
Requests go through Django's test client in-process (no network, no server),
so the figures are the application's own time: views, queries, templates.
For each page: the first request with the cache empty ("cold"), the median
and 95th percentile of the next ones, and the number of queries of one.
RUNS (25) and BUDGET (20 s of runs per page, at least MIN_RUNS = 3) bound the
runs; ONLY=<words> measures only the pages whose label contains them.
"""

import os

# First: it sets Django up on the database of DATABASE_URL.
from timing import Timing, describe_database, measure  # isort: skip

from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

from registry.models import Case

PAGES = {
    "home": "/",
    "search, no filter": "/experiences/",
    "search, text": "/experiences/?q=insertion",
    "search, text + 2 facets": "/experiences/?q=insertion+jeunes&region=32&theme=emploi_insertion",
    "search, text + 2 facets (2)": "/experiences/?q=mobilite&departement=59&practice=copilotage",
    "search, a région": "/experiences/?region=75",
    "search, 2 facets, by title": (
        "/experiences/?region=84&form=experimentation_collective&sort=title"
    ),
    "case page": None,  # the latest published case
    "territory page (région)": "/territoires/region/11/",
    "territory page (département)": "/territoires/departement/59/",
    "territories index": "/territoires/",
    "référentiel": "/referentiel/",
    "référentiel term page (métier)": "/referentiel/practice/dialogue/",
    "référentiel term page (theme)": "/referentiel/theme/emploi_insertion/",
    "observatory, no filter": "/observatoire/",
    "observatory, a région": "/observatoire/?region=11",
    "observatory coverage": "/observatoire/couverture/",
    "API list, no filter": "/api/v1/cases/",
    "API list, région + theme": "/api/v1/cases/?region=84&theme=emploi_insertion",
}


def main():
    print(f"database: {describe_database()}")
    case = Case.objects.published().order_by("-published_at", "-id").first()
    pages = {**PAGES, "case page": case.get_absolute_url()}
    only = os.environ.get("ONLY", "").lower()
    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/min")
    # The API's throttling would answer 429 to a benchmark.
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        client = Client()
        print(Timing.HEADER, flush=True)
        for label, url in pages.items():
            if only in label.lower():
                print(measure(client, label, url), flush=True)


if __name__ == "__main__":
    main()
