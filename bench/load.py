"""Load test: N connections for D seconds against a running site, a visitor's mix.

Usage (a gunicorn serving the site, see bench/README.md, "Load and restart"):
    .venv/bin/python bench/load.py [--base http://127.0.0.1:8103] [--connections 32]
        [--duration 60] [--urls FILE | --sample-pages 5] [--save-urls FILE]

Unlike the other scripts of this folder, it talks to a server over HTTP, as
visitors do: the figures include gunicorn, its workers and the network stack.
It needs no Django and no database access, only the site's address.

The URLs are real ones: published cases read once from the API
(`/api/v1/cases/`, `--sample-pages` random pages of 100), from which the script
draws case pages, territory pages, search pages with the facets and words of those
cases, and the API's list and detail; or the paths of a file (`--urls`, one a
line, as `--save-urls` writes them), so that two runs ask the same pages.

Each connection is a thread sending one request after another, as fast as the
site answers. On a loopback address each connection comes from its own source
address (127.0.0.2, 127.0.0.3…): 32 visitors, not one address that the API's
per-client limit (120 requests a minute) would answer 429. `--one-address` sends
everything from one.

The report gives, per kind of page, the requests, the rate, the 50th, 95th and
99th percentiles of the latency (request sent to body read), and the errors:
every answer of 400 or more (429 and 503 included) and every connection that
failed, by status. The goal is 0 errors.
"""

import argparse
import http.client
import ipaddress
import json
import os
import random
import re
import resource
import sys
import threading
import time
from collections import Counter, defaultdict
from urllib.parse import urlencode, urlsplit

USER_AGENT = "alliances-bench-load/1"

# How often each kind of page is asked for, roughly a visitor's path: many case
# pages, the search in its four forms, the home, territory pages, the API.
MIX = {
    "home": 8,
    "search": 6,
    "search, facets": 12,
    "search, text": 8,
    "search, text + facet": 6,
    "case page": 30,
    "territory page": 10,
    "API list": 12,
    "API detail": 8,
}
TERRITORY_KINDS = ("region", "departement", "epci", "commune")
WORD = re.compile(r"[^\W\d_]{5,}")


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(fraction * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def kind_of(path):
    """The kind of page of `path`, for a list of URLs given by file."""
    route, _, query = path.partition("?")
    has_text = "q=" in query
    has_facet = any(
        pair.split("=", 1)[0] not in ("q", "page", "sort", "lang", "") for pair in query.split("&")
    )
    if route == "/":
        return "home"
    if route.startswith("/api/v1/cases/"):
        return "API list" if route == "/api/v1/cases/" else "API detail"
    if route.startswith("/territoires/"):
        return "territory page"
    if route == "/experiences/":
        if has_text:
            return "search, text + facet" if has_facet else "search, text"
        return "search, facets" if has_facet else "search"
    if route.startswith("/experiences/"):
        return "case page"
    return "other"


class Site:
    """The server's address, and one HTTP connection per caller."""

    def __init__(self, base):
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https"):
            sys.exit(f"--base must be an http:// or https:// address, not {base!r}")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.host_header = parts.netloc

    def is_loopback(self):
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host == "localhost"

    def connect(self, source=None, timeout=60):
        connection_class = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        source_address = (source, 0) if source else None
        return connection_class(
            self.host, self.port, timeout=timeout, source_address=source_address
        )


def request(connection, site, path):
    """(status, seconds, headers, body); status is an exception's name when the
    connection failed. A closed or reset connection is opened again by the next call."""
    started = time.perf_counter()
    try:
        connection.request(
            "GET",
            path,
            headers={
                "Host": site.host_header,
                "User-Agent": USER_AGENT,
                "Accept-Language": "fr",
                "Accept": "text/html,application/json;q=0.9,*/*;q=0.8",
            },
        )
        response = connection.getresponse()
        body = response.read()
        return response.status, time.perf_counter() - started, response.headers, body
    except (OSError, http.client.HTTPException) as error:
        connection.close()
        return type(error).__name__, time.perf_counter() - started, None, b""


def sample_cases(site, pages, rng, source):
    """Published cases from `pages` random pages of the API's list."""
    connection = site.connect(source)
    status, _, _, body = request(connection, site, "/api/v1/cases/?page_size=100")
    if status != 200:
        sys.exit(f"GET /api/v1/cases/ answered {status}: is the site running at the address?")
    first = json.loads(body)
    last_page = max(1, -(-first["count"] // 100))
    cases = list(first["results"])
    for page in rng.sample(range(2, last_page + 1), min(pages - 1, last_page - 1)):
        status, _, _, body = request(connection, site, f"/api/v1/cases/?page_size=100&page={page}")
        if status == 200:
            cases.extend(json.loads(body)["results"])
    connection.close()
    if not cases:
        sys.exit("The site has no published case to ask for.")
    return cases


def draw_urls(cases, rng, per_kind=400):
    """{kind: [path, …]} drawn from the sampled cases."""
    words = sorted({w.lower() for case in cases for w in WORD.findall(case["title"])})

    def facets(case, count):
        choices = [(t["kind"], t["code"]) for t in case["territories"]]
        choices += [
            (param, term["code"]) for param, terms in case["tags"].items() for term in terms
        ]
        return rng.sample(choices, min(count, len(choices)))

    def search(**params):
        return "/experiences/?" + urlencode(params) if params else "/experiences/"

    urls = defaultdict(list)
    for _ in range(per_kind):
        case = rng.choice(cases)
        urls["home"].append("/")
        urls["search"].append(
            search(**({"page": rng.randint(2, 10)} if rng.random() < 0.3 else {}))
        )
        urls["search, facets"].append(search(**dict(facets(case, rng.choice((1, 2, 3))))))
        urls["search, text"].append(search(q=rng.choice(words)))
        urls["search, text + facet"].append(search(q=rng.choice(words), **dict(facets(case, 1))))
        urls["case page"].append(urlsplit(case["web_url"]).path)
        territory = rng.choice(case["territories"]) if case["territories"] else None
        if territory is not None and territory["kind"] in TERRITORY_KINDS:
            urls["territory page"].append(f"/territoires/{territory['kind']}/{territory['code']}/")
        api_filter = dict(facets(case, 1)) if rng.random() < 0.6 else {}
        urls["API list"].append(
            "/api/v1/cases/" + ("?" + urlencode(api_filter) if api_filter else "")
        )
        urls["API detail"].append(f"/api/v1/cases/{case['id']}/")
    return urls


def read_urls(path):
    urls = defaultdict(list)
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                target = urlsplit(line)
                path_and_query = target.path + (f"?{target.query}" if target.query else "")
                urls[kind_of(path_and_query)].append(path_and_query)
    if not urls:
        sys.exit(f"{path} lists no URL.")
    return urls


class Results:
    """Every answer, by kind: latencies of the successful ones, statuses of all."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)
        self.statuses = defaultdict(Counter)
        self.retry_after_missing = Counter()

    def record(self, kind, status, seconds, headers):
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[kind][status] += 1
            if status == 503 and headers is not None and "Retry-After" not in headers:
                self.retry_after_missing[kind] += 1


def is_error(status):
    return not isinstance(status, int) or status >= 400


def visitor(site, source, urls, kinds, weights, deadline, results, seed):
    rng = random.Random(seed)
    connection = site.connect(source)
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        path = rng.choice(urls[kind])
        status, seconds, headers, _ = request(connection, site, path)
        results.record(kind, status, seconds, headers)
    connection.close()


def table(header, rows):
    """A Markdown table, its columns aligned (numbers to the right)."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        aligned = [
            str(c).rjust(w) if i and not str(c).startswith("**") else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(aligned) + " |"

    separator = (
        "|"
        + "|".join("-" * (w + 1) + ":" if i else "-" * (w + 2) for i, w in enumerate(widths))
        + "|"
    )
    return "\n".join([line(header), separator, *map(line, rows)])


def report(results, duration):
    """Print the table; the number of errors."""
    rows, every_latency, every_status = [], [], Counter()
    kinds = [k for k in MIX if k in results.statuses] + sorted(
        k for k in results.statuses if k not in MIX
    )
    for kind in [*kinds, "all"]:
        if kind == "all":
            latencies, statuses = sorted(every_latency), every_status
        else:
            latencies, statuses = sorted(results.latencies[kind]), results.statuses[kind]
            every_latency.extend(latencies)
            every_status.update(statuses)
        count = sum(statuses.values())
        errors = ", ".join(
            f"{status} × {n}" for status, n in sorted(statuses.items(), key=str) if is_error(status)
        )
        rows.append(
            [
                f"**{kind}**" if kind == "all" else kind,
                count,
                f"{count / duration:.1f}",
                *(f"{percentile(latencies, q) * 1000:.0f}" for q in (0.50, 0.95, 0.99)),
                f"{latencies[-1] * 1000:.0f}" if latencies else "",
                errors or "0",
            ]
        )
    header = ["kind", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"]
    print(table(header, rows))
    print()
    print("statuses: " + ", ".join(f"{s} × {n}" for s, n in sorted(every_status.items(), key=str)))
    missing = sum(results.retry_after_missing.values())
    if missing:
        print(f"503 without Retry-After: {missing}")
    return sum(n for status, n in every_status.items() if is_error(status))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", default="http://127.0.0.1:8103", help="The site's address.")
    parser.add_argument(
        "--connections", type=int, default=32, help="Simultaneous connections (32)."
    )
    parser.add_argument("--duration", type=float, default=60, help="Seconds (60).")
    parser.add_argument("--urls", help="A file of URLs (paths) to ask for, one a line.")
    parser.add_argument(
        "--sample-pages", type=int, default=5, help="Pages of 100 cases read from the API."
    )
    parser.add_argument("--save-urls", help="Write the URLs drawn to this file, for --urls.")
    parser.add_argument("--seed", type=int, default=1, help="Seed of the random draws.")
    parser.add_argument(
        "--one-address", action="store_true", help="Every connection from the same address."
    )
    options = parser.parse_args()

    site = Site(options.base)
    rng = random.Random(options.seed)
    distinct = site.is_loopback() and site.host != "localhost" and not options.one_address
    # One source address per connection, and one more for reading the cases.
    first = ipaddress.ip_address("127.0.0.2")
    sources = [str(first + i) if distinct else None for i in range(options.connections + 1)]
    if options.urls:
        urls = read_urls(options.urls)
        described = f"{sum(map(len, urls.values()))} URLs from {options.urls}"
    else:
        cases = sample_cases(site, options.sample_pages, rng, sources[-1])
        urls = draw_urls(cases, rng)
        described = f"URLs drawn from {len(cases)} published cases"
    if options.save_urls:
        with open(options.save_urls, "w", encoding="utf-8") as out:
            out.writelines(f"{path}\n" for kind in MIX for path in urls.get(kind, ()))
    kinds = [kind for kind in MIX if urls.get(kind)] + [k for k in urls if k not in MIX]
    weights = [MIX.get(kind, 1) for kind in kinds]

    print(
        f"{options.base}: {options.connections} connections for {options.duration:.0f} s, "
        f"{described}, {'one address' if not distinct else 'one source address each'}; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    results = Results()
    started = time.monotonic()
    deadline = started + options.duration
    threads = [
        threading.Thread(
            target=visitor,
            args=(
                site,
                sources[i],
                urls,
                kinds,
                weights,
                deadline,
                results,
                options.seed * 1000 + i,
            ),
        )
        for i in range(options.connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"took {elapsed:.1f} s (the last requests end after the deadline); this client used "
        f"{usage.ru_utime + usage.ru_stime:.1f} s of CPU; load average {os.getloadavg()[0]:.1f}\n"
    )
    errors = report(results, elapsed)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
