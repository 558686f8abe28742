"""Grow a seeded PostgreSQL database to a million cases by copying its cases.

Usage: .venv/bin/python bench/replicate.py [--source bench100k] [--database bench1m] [--times 10]

`seed_demo` writes every case as a contributor's would be written: its search
document analysed by PostgreSQL's French dictionary, its facet keys, its index
entries. On this 2-CPU machine that is 135 cases a second at best (2 h 15 min
for a million, most of it in the server). For the benchmarks' million this
script starts from a seeded database instead: it creates --database as a copy
of --source (`CREATE DATABASE … TEMPLATE`, unless it exists), then adds
--times - 1 copies of every case of the source, ids shifted by `STRIDE` times
the copy's number and slugs suffixed with it, each with its tags, territories,
partners (the same organisations), pioneer criteria and sources, and its
search document and facet keys as the seed computed them (no text is analysed
again). Moderation history, revisions and reports are not copied.

One copy per transaction, printed with its time and the time left: a run
stopped midway goes on from the copies already there (re-run the same
command). Ends with ANALYZE, as the benchmarks expect.

What the copies change for the benchmarks: every count is --times the
source's and every distribution (themes by région, years, families) the same;
a text matches --times as many cases; the similar cases of a case page are
found among --times as many candidates.
"""

import argparse
import subprocess
import time

import psycopg

STRIDE = 10_000_000
# Tables copied with their case, and the column holding the case's id.
LINKED = (
    "registry_case_terms",
    "registry_caseterritory",
    "registry_casepartner",
    "registry_casesource",
    "registry_case_pioneer_criteria",
)


def columns(cursor, table):
    cursor.execute(
        "SELECT column_name, is_identity FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return [(name, identity == "YES") for name, identity in cursor.fetchall()]


def copy_sql(cursor, table, shift):
    """INSERT … SELECT of the source's rows of `table`, the case id shifted."""
    names, chosen = [], []
    for name, identity in columns(cursor, table):
        if table == "registry_case" and name == "id":
            names.append(name)
            chosen.append(f"id + {shift}")
        elif identity or name == "id":
            continue  # a link row gets an id of its own
        elif name == "case_id":
            names.append(name)
            chosen.append(f"case_id + {shift}")
        elif table == "registry_case" and name == "slug":
            names.append(name)
            chosen.append(f"slug || '-{shift // STRIDE}'")
        else:
            names.append(name)
            chosen.append(name)
    key = "id" if table == "registry_case" else "case_id"
    return (
        f"INSERT INTO {table} ({', '.join(names)}) "
        f"SELECT {', '.join(chosen)} FROM {table} WHERE {key} < {STRIDE}"
    )


def ensure_database(server, source, database):
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database]
        ).fetchone()
        if not exists:
            print(f"creating {database} from {source}…", flush=True)
            started = time.monotonic()
            connection.execute(f'CREATE DATABASE "{database}" TEMPLATE "{source}"')
            print(f"  {time.monotonic() - started:.0f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="bench100k")
    parser.add_argument("--database", default="bench1m")
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    options = parser.parse_args()
    with psycopg.connect(f"{options.server}/{options.source}") as connection:
        (highest,) = connection.execute("SELECT max(id) FROM registry_case").fetchone()
    if highest >= STRIDE:
        raise SystemExit(f"the source's ids reach {highest:,}: raise STRIDE")
    ensure_database(options.server, options.source, options.database)
    with psycopg.connect(f"{options.server}/{options.database}") as connection:
        cursor = connection.cursor()
        (source_cases,) = cursor.execute(
            "SELECT count(*) FROM registry_case WHERE id < %s", [STRIDE]
        ).fetchone()
        print(f"{source_cases:,} cases in the source, {options.times - 1} copies to make")
        started, made = time.monotonic(), 0
        for number in range(1, options.times):
            shift = number * STRIDE
            there = cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM registry_case WHERE id > %s AND id < %s)",
                [shift, shift + STRIDE],
            ).fetchone()[0]
            if there:
                print(f"copy {number}: already there")
                continue
            copy_started = time.monotonic()
            with connection.transaction():
                for table in ("registry_case", *LINKED):
                    cursor.execute(copy_sql(cursor, table, shift))
            made += 1
            elapsed = time.monotonic() - started
            left = (options.times - 1 - number) * elapsed / made
            print(
                f"copy {number}/{options.times - 1}: {time.monotonic() - copy_started:.0f} s, "
                f"about {left / 60:.0f} min left",
                flush=True,
            )
        connection.commit()
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('registry_case', 'id'), max(id)) "
            "FROM registry_case"
        )
        connection.commit()
    print("ANALYZE…", flush=True)
    subprocess.run(
        ["psql", f"{options.server}/{options.database}", "-qc", "VACUUM ANALYZE"], check=True
    )
    with psycopg.connect(f"{options.server}/{options.database}") as connection:
        (total,) = connection.execute(
            "SELECT count(*) FROM registry_case WHERE status = 'published'"
        ).fetchone()
    print(f"{total:,} published cases in {options.database}")


if __name__ == "__main__":
    main()
