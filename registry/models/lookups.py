"""Lookups the registry's queries use, registered when the app is ready."""

from django.db import connection
from django.db.models import Field, ForeignObject, Lookup, Q


class AnyOf(Lookup):
    """`column = ANY(%s)`: one array parameter where `__in` sends one per value,
    which for thousands of ids costs more to build than the query takes to run."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


class AnyId(Lookup):
    """`column = ANY('{1,2,3}'::bigint[])` for thousands of integer ids (a batch of
    an export), given as the text "1,2,3": one parameter that `str.join` builds,
    where the driver dumps a list id by id and Django walks it to resolve each.
    On SQLite, the same ids as a JSON array read by `json_each`."""

    lookup_name = "any_id"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        if connection.vendor == "sqlite":
            return "%s", [f"[{value}]"]
        return "%s", [f"{{{value}}}"]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs}::bigint[])", [*lhs_params, *rhs_params]

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IN (SELECT value FROM json_each({rhs}))", [*lhs_params, *rhs_params]


def register():
    """Called by `RegistryConfig.ready`."""
    for lookup in (AnyOf, AnyId):
        Field.register_lookup(lookup)
        ForeignObject.register_lookup(lookup)


def among(column, ids):
    """`column IN ids` as a filter: one array parameter on PostgreSQL."""
    lookup = "any_of" if connection.vendor == "postgresql" else "in"
    return Q(**{f"{column}__{lookup}": list(ids)})


def among_many(column, ids):
    """`column IN ids` for thousands of integer ids, as one parameter on SQLite
    too (`among` binds one per id there, and Django checks each)."""
    return Q(**{f"{column}__any_id": ",".join(map(str, map(int, ids)))})
