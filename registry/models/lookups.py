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


def register():
    """Called by `RegistryConfig.ready`."""
    Field.register_lookup(AnyOf)
    ForeignObject.register_lookup(AnyOf)


def among(column, ids):
    """`column IN ids` as a filter: one array parameter on PostgreSQL."""
    lookup = "any_of" if connection.vendor == "postgresql" else "in"
    return Q(**{f"{column}__{lookup}": list(ids)})
