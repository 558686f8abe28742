"""Plain rows written in bulk, without model instances; PostgreSQL settings
for the queries that read many rows."""

from contextlib import contextmanager

from django.db import DatabaseError, connection


def insert_rows(model, columns, rows):
    """Insert plain tuples into `model`'s table: COPY on PostgreSQL, executemany
    elsewhere. Link rows need no model instances, and building a million of them
    would dominate the time of a large seed; `COPY` also spares the driver the
    quoting of megabytes of text (the exports' stored rows)."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The driver's own errors, as Django's (`copy` is the driver's).
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


@contextmanager
def postgresql_setting(name, value):
    """PostgreSQL's setting `name` at `value` for the queries of the block (for
    the session, then reset: outside a transaction `SET LOCAL` would last one
    statement); nothing elsewhere."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET {name} = %s", [value])
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"RESET {name}")
        except DatabaseError:  # the connection is gone, and the setting with it
            pass
