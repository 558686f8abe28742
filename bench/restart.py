"""Restart test: PostgreSQL restarted under writes; acknowledged writes lost counted.

Usage (a gunicorn serving the site on the database of DATABASE_URL, on a cluster
of its own: see bench/README.md, "Load and restart"):
    DATABASE_URL=postgres://postgres@127.0.0.1:5433/bench_restart \\
    .venv/bin/python bench/restart.py [--base http://127.0.0.1:8103] [--cluster bench]
        [--restarts 2] [--interval 20] [--writers 4] [--rate 12]
        [--restart-command "pg_ctlcluster 15 bench restart"]

What a contributor's script would do, through the real site: `--writers` threads
create drafts with the write API (`POST /api/v1/me/cases/`, a personal token),
each titled with this run's marker and a number, and keep every draft whose 201
arrived: an acknowledged write. A reader asks for the search page and `/sante/`
meanwhile. After `--settle` seconds the script restarts PostgreSQL (`--restarts`
times, `--interval` seconds apart, by `--restart-command`), lets the writers run
`--interval` seconds after the last restart (or `--settle`, if longer), then reads
the database: every acknowledged draft must be there (lost: the goal is 0).

Per restart it reports the statuses seen from the command's start to the next
restart (the expected answer while the database is down is a 503 with
Retry-After, never a 500), when the first failure came, and the recovery: the
seconds from the command's start to the first 2xx after the last failure.

The script itself reaches the database twice, through Django (DATABASE_URL): to
create the writers' accounts and tokens (fresh ones each run, several per writer,
since the API allows 300 writes an hour per account) and to count the drafts at
the end. They stay in the database, marked: `bench-restart-<marker>-<n>@bench.invalid`
and drafts titled « Banc de redémarrage <marker> … ».

The default command restarts the cluster `--cluster` of PostgreSQL 15 with
`pg_ctlcluster` (as root or postgres); the script refuses when that cluster's port
is not DATABASE_URL's, so that the database restarted is the one written to.
Never point it at a cluster that others are using.
"""

import argparse
import csv
import http.client
import json
import math
import os
import secrets
import shlex
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The script's own Django: development-safe settings, no statement timeout.
os.environ.setdefault("TESTING", "true")

import django  # noqa: E402

django.setup()

from django.db import connections  # noqa: E402
from load import Site, request, table  # noqa: E402

from accounts.models import ApiToken, User  # noqa: E402
from registry.models import Case  # noqa: E402

USER_AGENT = "alliances-bench-restart/1"
# The API's write limit is 300 an hour per account: a writer moves to its next
# account before reaching it.
WRITES_PER_ACCOUNT = 250


class Timeline:
    """Every answer: (started, ended, kind, status, retry_after), seconds since the start."""

    def __init__(self):
        self.lock = threading.Lock()
        self.events = []
        self.origin = time.monotonic()
        self.acknowledged = {}  # case id: title
        self.refused = {}  # title: status, of the writes without a 2xx

    def now(self):
        return time.monotonic() - self.origin

    def record(self, started, kind, status, headers):
        retry_after = headers.get("Retry-After") if headers is not None else None
        with self.lock:
            self.events.append((started, self.now(), kind, status, retry_after))

    def acknowledge(self, case_id, title):
        with self.lock:
            self.acknowledged[case_id] = title

    def refuse(self, title, status):
        with self.lock:
            self.refused[title] = status


def write(connection, site, token, body):
    """POST a draft; (status, headers, parsed body or None)."""
    try:
        connection.request(
            "POST",
            "/api/v1/me/cases/",
            body=json.dumps(body).encode(),
            headers={
                "Host": site.host_header,
                "User-Agent": USER_AGENT,
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        response = connection.getresponse()
        payload = response.read()
    except (OSError, http.client.HTTPException) as error:
        connection.close()
        return type(error).__name__, None, None
    try:
        return response.status, response.headers, json.loads(payload)
    except ValueError:
        return response.status, response.headers, None


def writer(site, tokens, marker, number, pause, stop, timeline):
    connection = site.connect(timeout=30)
    sequence = 0
    while not stop.is_set():
        token = tokens[min(sequence // WRITES_PER_ACCOUNT, len(tokens) - 1)]
        sequence += 1
        title = f"Banc de redémarrage {marker} écrivain {number} n° {sequence}"
        body = {"title": title, "summary": "Brouillon écrit par bench/restart.py."}
        started = timeline.now()
        status, headers, payload = write(connection, site, token, body)
        timeline.record(started, "write", status, headers)
        if isinstance(status, int) and 200 <= status < 300 and payload and "id" in payload:
            timeline.acknowledge(payload["id"], title)
        else:
            timeline.refuse(title, status)
        stop.wait(pause)


def reader(site, stop, timeline):
    """The search page and the health check, five times a second."""
    connection = site.connect(timeout=30)
    paths = {"page": "/experiences/", "health": "/sante/"}
    turn = 0
    while not stop.is_set():
        kind = ("page", "health")[turn % 2]
        turn += 1
        started = timeline.now()
        status, _seconds, headers, _body = request(connection, site, paths[kind])
        timeline.record(started, kind, status, headers)
        stop.wait(0.2)


def cluster_port(version, cluster):
    """The port of a PostgreSQL cluster, from `pg_lsclusters`, or None."""
    try:
        listing = subprocess.run(
            ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0] == version and fields[1] == cluster:
            return int(fields[2])
    return None


def create_writers(marker, count):
    """`count` contributor accounts with a token each; the tokens."""
    tokens = []
    for n in range(count):
        user = User.objects.create_user(
            email=f"bench-restart-{marker}-{n}@bench.invalid",
            password=None,
            display_name=f"Banc de redémarrage {n}",
        )
        tokens.append(ApiToken.issue(user=user, name="bench/restart.py")[1])
    connections.close_all()  # the database is about to restart under this connection
    return tokens


def is_success(status):
    return isinstance(status, int) and 200 <= status < 300


def is_server_error(status):
    """A 500 and its kin: what a database outage must not answer (503 is expected)."""
    return isinstance(status, int) and status >= 500 and status != 503


def restart_summary(events, start, end, command_seconds):
    """The row of one restart: what was answered from `start` to `end`."""
    # By the time the answer came: a request sent just before a restart and
    # failing because of it belongs to that restart.
    window = [e for e in events if start <= e[1] < end]
    failures = [e for e in window if not is_success(e[3])]
    statuses = Counter(e[3] for e in window)
    missing_retry_after = sum(1 for e in window if e[3] == 503 and e[4] is None)
    if failures:
        last_failure = max(e[0] for e in failures)
        later = [e[1] for e in window if is_success(e[3]) and e[0] > last_failure]
        recovered = f"{min(later) - start:.1f}" if later else "never"
        first_failure = f"{min(e[1] for e in failures) - start:.1f}"
    else:
        recovered, first_failure = "no failure", ""
    return [
        f"{command_seconds:.1f}",
        first_failure,
        recovered,
        ", ".join(f"{s} × {n}" for s, n in sorted(statuses.items(), key=str)),
        missing_retry_after,
    ]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", default="http://127.0.0.1:8103", help="The site's address.")
    parser.add_argument("--cluster", default="bench", help="The PostgreSQL 15 cluster restarted.")
    parser.add_argument(
        "--restart-command", help="Instead of `pg_ctlcluster 15 <cluster> restart`."
    )
    parser.add_argument("--restarts", type=int, default=2)
    parser.add_argument("--interval", type=float, default=20, help="Seconds between restarts.")
    parser.add_argument(
        "--settle", type=float, default=10, help="Seconds of writes before and after."
    )
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--timeline", help="Write every answer to this CSV file.")
    parser.add_argument(
        "--rate", type=float, default=12, help="Writes per second at most, all writers."
    )
    options = parser.parse_args()

    database = connections["default"].settings_dict
    if database["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("DATABASE_URL must name the PostgreSQL database the site writes to.")
    if options.restart_command:
        command = shlex.split(options.restart_command)
    else:
        command = ["pg_ctlcluster", "15", options.cluster, "restart"]
        port = cluster_port("15", options.cluster)
        if port is None:
            sys.exit(f"No PostgreSQL 15 cluster named {options.cluster!r} (pg_lsclusters).")
        if port != int(database["PORT"] or 5432):
            sys.exit(
                f"The cluster {options.cluster!r} listens on {port}, DATABASE_URL on "
                f"{database['PORT'] or 5432}: the restart would miss the database written to."
            )

    site = Site(options.base)
    marker = secrets.token_hex(3)
    duration = options.settle + options.restarts * options.interval + options.settle
    per_writer = options.rate / options.writers * duration
    accounts = math.ceil(per_writer / WRITES_PER_ACCOUNT) + 1
    tokens = create_writers(marker, options.writers * accounts)
    print(
        f"{options.base}, database {database['NAME']} on port {database['PORT'] or 5432}: "
        f"{options.writers} writers (at most {options.rate:g} writes/s, marker {marker}), "
        f"{options.restarts} restarts {options.interval:g} s apart by `{shlex.join(command)}`; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )

    timeline, stop = Timeline(), threading.Event()
    threads = [
        threading.Thread(
            target=writer,
            args=(
                site,
                tokens[n * accounts : (n + 1) * accounts],
                marker,
                n,
                options.writers / options.rate,
                stop,
                timeline,
            ),
        )
        for n in range(options.writers)
    ]
    threads.append(threading.Thread(target=reader, args=(site, stop, timeline)))
    for thread in threads:
        thread.start()

    restarts = []  # (start, command seconds)
    time.sleep(options.settle)
    for number in range(options.restarts):
        start = timeline.now()
        finished = subprocess.run(command, capture_output=True, text=True)
        seconds = timeline.now() - start
        if finished.returncode != 0:
            print(f"restart {number + 1} failed: {finished.stderr.strip()}", file=sys.stderr)
        restarts.append((start, seconds))
        time.sleep(max(0.0, start + options.interval - timeline.now()))
    time.sleep(max(0.0, options.settle - options.interval))
    stop.set()
    for thread in threads:
        thread.join()

    events = sorted(timeline.events)
    if options.timeline:
        with open(options.timeline, "w", newline="", encoding="utf-8") as out:
            sheet = csv.writer(out)
            sheet.writerow(["sent s", "answered s", "kind", "status", "retry-after"])
            sheet.writerows(
                [f"{sent:.3f}", f"{answered:.3f}", kind, status, retry_after or ""]
                for sent, answered, kind, status, retry_after in events
            )
            sheet.writerows(
                [f"{start:.3f}", f"{start + seconds:.3f}", "restart command", "", ""]
                for start, seconds in restarts
            )
    ends = [start for start, _ in restarts[1:]] + [math.inf]
    rows = [
        [number + 1, *restart_summary(events, start, end, seconds)]
        for number, ((start, seconds), end) in enumerate(zip(restarts, ends, strict=True))
    ]
    header = ["restart", "command s", "first failure s", "recovered s", "statuses", "503 w/o RA"]
    print()
    print(table(header, rows))

    committed = dict(
        Case.objects.filter(title__startswith=f"Banc de redémarrage {marker} ").values_list(
            "pk", "title"
        )
    )
    acknowledged = timeline.acknowledged
    lost = {pk for pk, title in acknowledged.items() if committed.get(pk) != title}
    unacknowledged = set(committed) - set(acknowledged)
    writes = Counter(e[3] for e in events if e[2] == "write")
    reads = Counter(e[3] for e in events if e[2] != "write")
    print()
    print("writes: " + ", ".join(f"{s} × {n}" for s, n in sorted(writes.items(), key=str)))
    print("reads: " + ", ".join(f"{s} × {n}" for s, n in sorted(reads.items(), key=str)))
    print(
        f"acknowledged writes: {len(acknowledged)}, in the database: "
        f"{len(acknowledged) - len(lost)}, lost: {len(lost)}; committed without a 2xx "
        f"received: {len(unacknowledged)}"
    )
    if lost:
        print("lost: " + ", ".join(map(str, sorted(lost))))
    if unacknowledged:
        answers = Counter(timeline.refused.get(committed[pk], "no answer") for pk in unacknowledged)
        print(
            "answers of the writes committed without a 2xx: "
            + ", ".join(f"{s} × {n}" for s, n in sorted(answers.items(), key=str))
        )
    server_errors = sum(n for s, n in (writes + reads).items() if is_server_error(s))
    failed = lost or server_errors or any(row[3] == "never" or row[5] for row in rows)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
