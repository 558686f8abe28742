"""The project side by side with Datasette on the same export: the same filters
and facets, timed over HTTP in one run, the result counts compared.

Usage, on a site served the production way (gunicorn, see « Load and restart »
in bench/README.md) at PROJECT, and Datasette 0.65.5 in a virtualenv of its own
(not a dependency of the project):

    python3 -m venv /tmp/dsvenv && /tmp/dsvenv/bin/pip install datasette==0.65.5
    .venv/bin/python bench/datasette.py build --project http://127.0.0.1:8103
    /tmp/dsvenv/bin/datasette serve /tmp/registry.db --port 8104 \\
        --setting sql_time_limit_ms 120000 --setting facet_time_limit_ms 120000 \\
        --setting max_returned_rows 1000 --setting default_facet_size 30 &
    .venv/bin/python bench/datasette.py urls --project http://127.0.0.1:8103 \\
        --datasette http://127.0.0.1:8104
    .venv/bin/python bench/datasette.py run --project http://127.0.0.1:8103 \\
        --datasette http://127.0.0.1:8104 --runs 20

`build` downloads the project's CSV export of the whole registry
(`/api/v1/exports/cases.csv`) and writes it into a SQLite file (`--out`,
/tmp/registry.db): a table `cases` with the CSV's columns, the columns of
several codes as JSON arrays (what Datasette's `_facet_array` and
`__arraycontains` read), a métier's code added to the cases of its missions
(as the project's `practice` filter counts them, from registry/data/taxonomy.json),
and an FTS5 index over the texts of the export (title, summary, places,
partners, themes, practices), which Datasette's `_search` uses.

`urls` prints each query's two addresses; `run` requests them alternately,
`--runs` times each, and prints both medians, the ratio, and both result
counts (the project's from its API, Datasette's `filtered_table_rows_count`).
The text queries cannot count the same: the project searches every text of
a case with French stemming, the export holds only some of them; the counts
are printed side by side, marked when they differ.

Only the standard library: it runs with any Python 3.11. Requests to the
project come from successive loopback addresses (127.0.0.2, 127.0.0.3…), as in
`load.py`, so that the API's limit per client does not answer 429.
"""

import argparse
import csv
import http.client
import io
import itertools
import json
import sqlite3
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

TAXONOMY = Path(__file__).resolve().parent.parent / "registry" / "data" / "taxonomy.json"
SEPARATOR = " | "
# Columns of several values, stored as JSON arrays.
ARRAYS = [
    "territories",
    "region_codes",
    "departement_codes",
    "theme_codes",
    "practice_codes",
    "partnership_codes",
    "form_codes",
    "objective_codes",
    "impact_codes",
    "prism_codes",
    "partner_actor_types",
    "partner_roles",
]
INTEGERS = ["id", "start_year", "end_year", "partner_count"]
SEARCHED = [
    "title",
    "summary",
    "territory_names",
    "partner_names",
    "theme_labels",
    "practice_labels",
]
# The search page's facets, as Datasette computes them.
FACETS = (
    [("_facet", name) for name in ("phase_code", "scale_code", "pioneer", "ongoing")]
    + [("_facet", "all_three_families")]
    + [("_facet_array", name) for name in ARRAYS if name != "territories"]
)
THREE_FACETS = [("_facet_array", "theme_codes"), ("_facet", "phase_code"), ("_facet", "scale_code")]

# label, the project's path, its API path for the count (None: the same
# filters on /api/v1/cases/), Datasette's parameters, Datasette's format.
QUERIES = [
    ("no filter, all facets", "/experiences/", {}, FACETS, ""),
    (
        "département + practice + facets",
        "/experiences/?departement=59&practice=copilotage",
        {"departement_codes__arraycontains": "59", "practice_codes__arraycontains": "copilotage"},
        FACETS,
        "",
    ),
    (
        "région + facets",
        "/experiences/?region=84",
        {"region_codes__arraycontains": "84"},
        FACETS,
        "",
    ),
    ("« mobilité » + facets", "/experiences/?q=mobilit%C3%A9", {"_search": "mobilité"}, FACETS, ""),
    (
        "API JSON région + theme",
        "/api/v1/cases/?region=84&theme=emploi_insertion",
        {
            "region_codes__arraycontains": "84",
            "theme_codes__arraycontains": "emploi_insertion",
            "_size": "20",
        },
        [],
        ".json",
    ),
    (
        "CSV export région + theme",
        "/api/v1/exports/cases.csv?region=84&theme=emploi_insertion",
        {
            "region_codes__arraycontains": "84",
            "theme_codes__arraycontains": "emploi_insertion",
            "_stream": "on",
            "_size": "max",
        },
        [],
        ".csv",
    ),
    (
        "text « insertion jeunes » + région + facets",
        "/experiences/?q=insertion+jeunes&region=32",
        {"_search": "insertion jeunes", "region_codes__arraycontains": "32"},
        FACETS,
        "",
    ),
    (
        "the same, Datasette computing 3 facets",
        "/experiences/?q=insertion+jeunes&region=32",
        {"_search": "insertion jeunes", "region_codes__arraycontains": "32"},
        THREE_FACETS,
        "",
    ),
]


class Client:
    """Keep-alive HTTP/1.1 to one site; `rotate` sends each request from the
    next loopback address (a new connection each time)."""

    def __init__(self, base, *, rotate=False):
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.rotate = rotate
        self.addresses = (f"127.0.{n // 250}.{n % 250 + 2}" for n in itertools.count())
        self.connection = None

    def get(self, path):
        """(milliseconds until the whole body is read, status, body)."""
        if self.rotate or self.connection is None:
            source = (next(self.addresses), 0) if self.rotate else None
            self.connection = http.client.HTTPConnection(
                self.host, self.port, timeout=600, source_address=source
            )
        started = time.perf_counter()
        self.connection.request("GET", path, headers={"Accept-Language": "fr"})
        response = self.connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if self.rotate:
            self.connection.close()
        return elapsed, response.status, body


def datasette_path(params, facets, fmt, database="registry"):
    query = urllib.parse.urlencode([*params.items(), *facets])
    return f"/{database}/cases{fmt}" + (f"?{query}" if query else "")


def count_path(project_path):
    """The API list with the filters of a search page, for its count."""
    parsed = urllib.parse.urlsplit(project_path)
    return f"/api/v1/cases/?{parsed.query}" if parsed.query else "/api/v1/cases/"


def build(options):
    parents = {}
    for vocabulary in json.loads(TAXONOMY.read_text())["lists"]:
        if vocabulary["code"] != "practice":
            continue
        for item in vocabulary["items"]:
            for child in item.get("children", []):
                parents[child["code"]] = item["code"]
    print("downloading the CSV export…", flush=True)
    elapsed, status, body = Client(options.project, rotate=True).get("/api/v1/exports/cases.csv")
    if status != 200:
        sys.exit(f"the export answered {status}")
    print(f"…{len(body) / 1e6:.1f} MB in {elapsed / 1000:.1f} s", flush=True)
    rows = csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
    out = Path(options.out)
    out.unlink(missing_ok=True)
    database = sqlite3.connect(out)
    columns = rows.fieldnames
    types = {name: "INTEGER" if name in INTEGERS else "TEXT" for name in columns}
    database.execute(
        "CREATE TABLE cases ("
        + ", ".join(
            f"[{name}] {types[name]}" + (" PRIMARY KEY" if name == "id" else "") for name in columns
        )
        + ")"
    )
    insert = (
        f"INSERT INTO cases ({', '.join(f'[{n}]' for n in columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )

    def values(row):
        for name in columns:
            value = row[name]
            if name in ARRAYS:
                codes = value.split(SEPARATOR) if value else []
                if name == "practice_codes":
                    codes += sorted({parents[c] for c in codes if c in parents} - set(codes))
                yield json.dumps(codes, ensure_ascii=False)
            elif name in INTEGERS:
                yield int(value) if value else None
            else:
                yield value

    count = 0
    for batch in iter(lambda: list(itertools.islice(rows, 5000)), []):
        database.executemany(insert, (tuple(values(row)) for row in batch))
        count += len(batch)
        print(f"{count:,} rows…".replace(",", " "), flush=True)
    searched = ", ".join(f"[{name}]" for name in SEARCHED)
    database.executescript(
        f"""
        CREATE VIRTUAL TABLE cases_fts USING fts5({searched}, content="cases", content_rowid="id",
                                                  tokenize='unicode61 remove_diacritics 2');
        INSERT INTO cases_fts (rowid, {searched}) SELECT id, {searched} FROM cases;
        CREATE INDEX cases_phase ON cases (phase_code);
        CREATE INDEX cases_scale ON cases (scale_code);
        ANALYZE;
        """
    )
    database.commit()
    database.close()
    cases = f"{count:,}".replace(",", " ")
    print(f"{out}: {cases} cases, FTS5 over {', '.join(SEARCHED)}")


def case_pair(options):
    """The latest published case: the project's page and Datasette's row page."""
    _, status, body = Client(options.project, rotate=True).get("/api/v1/cases/?page_size=1")
    assert status == 200, status
    case = json.loads(body)["results"][0]
    path = urllib.parse.urlsplit(case["web_url"]).path
    return ("one case page", path, None, case["id"])


def urls(options):
    database = Path(options.out).stem
    for label, path, params, facets, fmt in QUERIES:
        print(f"{label}\n  {options.project}{path}")
        print(f"  {options.datasette}{datasette_path(params, facets, fmt, database)}")
    label, path, _, pk = case_pair(options)
    print(f"{label}\n  {options.project}{path}\n  {options.datasette}/{database}/cases/{pk}")


def ds_count(client, params, database):
    """Datasette's count of the rows its filters (and search) select."""
    kept = {k: v for k, v in params.items() if not k.startswith("_") or k == "_search"}
    path = datasette_path({**kept, "_size": "1"}, [], ".json", database)
    _, status, body = client.get(path)
    assert status == 200, (status, path)
    return json.loads(body)["filtered_table_rows_count"]


def run(options):
    database = Path(options.out).stem
    project, datasette = Client(options.project, rotate=True), Client(options.datasette)
    pairs = []
    for label, path, params, facets, fmt in QUERIES:
        pairs.append((label, path, datasette_path(params, facets, fmt, database), path, params))
    label, path, _, pk = case_pair(options)
    pairs.append((label, path, f"/{database}/cases/{pk}", None, None))
    print(f"{'query':<44} {'project':>10} {'Datasette':>10} {'ahead':>7}  counts", flush=True)
    for label, ours, theirs, counted, params in pairs:
        if options.only and options.only.lower() not in label.lower():
            continue
        for client, path in ((project, ours), (datasette, theirs)):
            _, status, _ = client.get(path)  # warmed
            assert status == 200, (status, path)
        times = {"project": [], "datasette": []}
        for _ in range(options.runs):
            for name, client, path in (
                ("project", project, ours),
                ("datasette", datasette, theirs),
            ):
                elapsed, status, _ = client.get(path)
                assert status == 200, (status, path)
                times[name].append(elapsed)
        mine, other = statistics.median(times["project"]), statistics.median(times["datasette"])
        counts = ""
        if counted is not None:
            _, status, body = project.get(count_path(counted))
            assert status == 200, status
            our_count = json.loads(body)["count"]
            their_count = ds_count(datasette, params, database)
            mark = "=" if our_count == their_count else "≠"
            counts = f"{our_count} {mark} {their_count}"
        print(
            f"{label:<44} {mine:8.0f}ms {other:8.0f}ms {other / mine:6.1f}×  {counts}", flush=True
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["build", "urls", "run"])
    parser.add_argument("--project", default="http://127.0.0.1:8103")
    parser.add_argument("--datasette", default="http://127.0.0.1:8104")
    parser.add_argument("--out", default="/tmp/registry.db")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--only", default="", help="only the queries whose label holds it")
    options = parser.parse_args()
    {"build": build, "urls": urls, "run": run}[options.command](options)


if __name__ == "__main__":
    main()
