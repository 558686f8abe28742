"""Live facet counts for a selection of cases.

Counts are computed in the database with one GROUP BY per kind of facet, over
the ids of the current selection, so the number of queries depends on which
filters are in use, never on the number of cases. A facet the visitor is
filtering on is counted without its own filter (disjunctive faceting), so the
other options of that facet keep showing what choosing them would add.
"""

from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from registry.models import (
    ALL_THREE_FAMILIES,
    Case,
    CasePartner,
    CaseTerritory,
    Organization,
    Term,
)
from registry.models.index import whole_registry
from registry.models.lookups import among
from registry.models.vocabulary import TAG_PARAMETERS
from registry.search.filters import TERRITORY_FACETS, CaseFilter
from territories.models import Territory, TerritoryKind, TerritoryLink


@dataclass
class Option:
    code: str
    label: str
    count: int
    selected: bool = False
    level: int = 0
    description: str = ""


@dataclass
class Facet:
    name: str
    label: str
    options: list = field(default_factory=list)

    @property
    def selected(self):
        return [option for option in self.options if option.selected]

    @property
    def is_active(self):
        return any(option.selected for option in self.options)


SMALL_SELECTION = 5000


def ids_of(qs):
    """The selection's ids for a counting query.

    A small selection (a text search, several facets) is read first and passed
    as a list: the planner then knows it is small and counts from it. Without
    that, PostgreSQL misjudged text-search selections as one row and scanned
    every territory link (2.5 s instead of 10 ms on 100 000 cases). A large
    selection stays a subquery."""
    ids = list(qs.order_by().values_list("pk", flat=True)[: SMALL_SELECTION + 1])
    if len(ids) <= SMALL_SELECTION:
        return ids
    return qs.order_by().values("pk")


def cases_of(case_ids):
    """The cases of `ids_of`: a list of ids, or the selection's own subquery."""
    if isinstance(case_ids, list):
        return Case.objects.filter(among("id", case_ids))
    return case_ids


# On SQLite, the counting queries are written in SQL, the selection first and
# CROSS JOINs, which SQLite never reorders. Its planner, choosing alone, started
# from the territories and probed the selection for each (32 s for the search
# page on 3 000 cases instead of 0.1 s); with statistics (ANALYZE) it starts the
# count by partner of a list of 5 000 ids from every organisation (730 ms, not 4).


def table(model):
    return connection.ops.quote_name(model._meta.db_table)


def fetch_rows(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_counts(sql, params):
    """{key: n} from the rows (key, n) of a counting query."""
    return dict(fetch_rows(sql, params))


def selection_sql(case_ids):
    """(sql, params) of the ids of the cases of `ids_of`, as one column `case_id`,
    for a raw counting query."""
    try:
        query = cases_of(case_ids).order_by().values(case_id=F("pk")).query
        return query.sql_with_params()
    except EmptyResultSet:  # no case, as an empty list of ids compiles
        return "SELECT NULL AS case_id WHERE 0 = 1", ()


def in_selection(column, case_ids):
    """`column` among the cases of `ids_of`: a list of ids or a subquery."""
    if isinstance(case_ids, list):
        return among(column, case_ids)
    return Q(**{f"{column}__in": case_ids})


def key_counts(case_ids, column, keys=None):
    """On PostgreSQL, {key: cases} from a facet-key array of the cases
    (`Case.facet_terms`, `facet_places`), read from the covering index: no
    join with the tags or the territory closure. Only `keys`, when given."""
    sql, params = cases_of(case_ids).order_by().values(column).query.sql_with_params()
    params, wanted = list(params), ""
    if keys is not None:
        params.append(list(keys))
        wanted = "WHERE key = ANY(%s)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT key, COUNT(*) FROM (SELECT unnest({column}) AS key FROM ({sql}) cases) keys "
            f"{wanted} GROUP BY key",
            params,
        )
        return dict(cursor.fetchall())


def term_counts(case_ids, vocabularies=None):
    """{term_id: cases}, parents counted once per case whatever the number of children
    (on PostgreSQL exactly the cases the search finds with the parent: those
    carrying it or any of its children; elsewhere the largest of the two counts).

    `vocabularies` is accepted for clarity at call sites, but the query counts
    every term: filtering by vocabulary in SQL costs two joins on the largest
    table (about four times slower on 100 000 cases), callers just pick what
    they show."""
    if connection.vendor == "postgresql":
        return key_counts(case_ids, "facet_terms")
    selection, params = selection_sql(case_ids)
    tags, terms = table(Case.terms.through), table(Term)
    counts = fetch_counts(
        f"""SELECT tag.term_id, COUNT(*)
              FROM ({selection}) selection
             CROSS JOIN {tags} tag
             WHERE tag.case_id = selection.case_id
             GROUP BY 1""",
        params,
    )
    rolled_up = fetch_counts(
        f"""SELECT parent_id, COUNT(*) FROM (
                SELECT DISTINCT tag.case_id, term.parent_id
                  FROM ({selection}) selection
                 CROSS JOIN {tags} tag
                 CROSS JOIN {terms} term
                 WHERE tag.case_id = selection.case_id
                   AND term.id = tag.term_id AND term.parent_id IS NOT NULL
            ) tagged
            GROUP BY 1""",
        params,
    )
    for parent_id, n in rolled_up.items():
        counts[parent_id] = max(counts.get(parent_id, 0), n)
    return counts


def territory_counts(case_ids, kinds, within=None):
    """{territory_id: cases located there or below}, for the territories of `kinds`
    (inside the territories `within`, when given).

    The territories counted are named by id, not by a join on their kind, so that
    PostgreSQL estimates the rows right and counts from the selection."""
    # Unordered: sorting by name let SQLite read all 36 000 territories in order.
    candidates = Territory.objects.filter(kind__in=kinds).order_by()
    if within:
        candidates = candidates.filter(ancestor_links__ancestor__in=within)
    return counts_in_territories(case_ids, list(candidates.values_list("pk", flat=True)))


def counts_in_territories(case_ids, territory_ids):
    """{territory_id: cases of `case_ids` located there or below}, for the
    territories named by id."""
    if not territory_ids:
        return {}
    if connection.vendor == "postgresql":
        return key_counts(case_ids, "facet_places", territory_ids)
    selection, params = selection_sql(case_ids)
    located, located_params = located_sql(selection, territory_ids)
    return fetch_counts(
        f"SELECT ancestor_id, COUNT(*) FROM ({located}) located GROUP BY ancestor_id",
        [*params, *located_params],
    )


def located_sql(selection, territory_ids):
    """(sql, params) of the pairs (case_id, ancestor_id), each once, of the cases
    whose ids the SQL `selection` selects (its parameters go before these) and
    of the territories of `territory_ids` they lie in: how SQLite counts by
    territory (PostgreSQL reads the facet keys).

    The walk goes up the closure from the selection's places. Walking down from
    each territory counted, SQLite's own plan, reads every commune of France for
    the régions and départements of the search page. The unary `+` keeps the
    planner from seeking each counted territory in the closure's index, one seek
    per territory and place, where reading a place's few ancestors is cheaper."""
    sql = f"""
        SELECT DISTINCT place.case_id, link.ancestor_id
          FROM {table(CaseTerritory)} place
         CROSS JOIN {table(TerritoryLink)} link
         WHERE place.case_id IN ({selection})
           AND link.descendant_id = place.territory_id
           AND +link.ancestor_id IN ({", ".join(["%s"] * len(territory_ids)) or "NULL"})"""
    return sql, list(territory_ids)


def actor_counts(case_ids):
    """{actor family (a top-level actor type): cases with a partner of it}."""
    if connection.vendor == "sqlite":
        selection, params = selection_sql(case_ids)
        return fetch_counts(
            f"""SELECT COALESCE(actor.parent_id, organization.actor_type_id),
                       COUNT(DISTINCT partner.case_id)
                  FROM ({selection}) selection
                 CROSS JOIN {table(CasePartner)} partner
                 CROSS JOIN {table(Organization)} organization
                 CROSS JOIN {table(Term)} actor
                 WHERE partner.case_id = selection.case_id
                   AND organization.id = partner.organization_id
                   AND actor.id = organization.actor_type_id
                 GROUP BY 1""",
            params,
        )
    rows = (
        CasePartner.objects.filter(in_selection("case_id", case_ids))
        .annotate(
            family=Coalesce("organization__actor_type__parent_id", "organization__actor_type_id")
        )
        .values_list("family")
        .annotate(n=Count("case_id", distinct=True))
        .values_list("family", "n")
    )
    return dict(rows)


def column_counts(qs, column):
    return dict(qs.order_by().values_list(column).annotate(n=Count("pk")).values_list(column, "n"))


def summary(qs):
    """Total and the yes/no facets of a selection, in one query."""
    return (
        qs.order_by()
        .alias(three=F("family_mask").bitand(ALL_THREE_FAMILIES))
        .aggregate(
            total=Count("pk"),
            pioneers=Count("pk", filter=Q(is_pioneer=True)),
            ongoing=Count("pk", filter=Q(end_year__isnull=True)),
            ended=Count("pk", filter=Q(end_year__isnull=False)),
            all_three=Count("pk", filter=Q(three=ALL_THREE_FAMILIES)),
        )
    )


class FacetCounter:
    """Builds every facet of a `CaseFilter` whose form is valid."""

    def __init__(self, filterset: CaseFilter):
        self.filterset = filterset
        self.index = filterset.term_index
        self.data = filterset.form.cleaned_data
        self.selection = filterset.qs
        self.ids = {}

    def without(self, *params):
        data = self.filterset.data.copy()
        for param in params:
            data.pop(param, None)
        return CaseFilter(data, self.filterset.queryset, term_index=self.index).qs

    def ids_without(self, *params):
        """`ids_of` the selection without the filters `params`, read once."""
        if params not in self.ids:
            qs = self.without(*params) if params else self.selection
            self.ids[params] = ids_of(qs)
        return self.ids[params]

    def cases_without(self, *params):
        """The selection without `params`, as cases: by id when it is small, so
        that its filters (a text search above all) are not evaluated again."""
        return cases_of(self.ids_without(*params))

    def summary(self):
        """The total and the yes/no facets of the selection."""
        return self.counted("summary", lambda: summary(self.cases_without()))

    def selected_codes(self, param):
        return {getattr(value, "code", value) for value in self.data.get(param) or []}

    def counted(self, name, compute):
        """`compute()`, cached when the selection is the whole registry."""
        if self.filterset.is_unfiltered():
            return whole_registry(name, compute)
        return compute()

    def compute(self):
        facets = {}
        counts = self.counted("terms", lambda: term_counts(self.ids_without()))
        for param, vocabulary in TAG_PARAMETERS.items():
            facet_counts = counts
            if self.data.get(param):
                facet_counts = term_counts(self.ids_without(param), [vocabulary])
            facets[param] = self.term_facet(param, vocabulary, facet_counts)
        actor_params = ("actor",) if self.data.get("actor") else ()
        facets["actor"] = self.term_facet(
            "actor",
            "actor_type",
            self.counted("actors", lambda: actor_counts(self.ids_without(*actor_params))),
            top_level_only=True,
        )
        for param, column in (("phase", "phase_id"), ("scale", "scale_id")):
            params = (param,) if self.data.get(param) else ()
            facets[param] = self.term_facet(
                param,
                column.removesuffix("_id"),
                self.counted(
                    column,
                    lambda params=params, column=column: column_counts(
                        self.cases_without(*params), column
                    ),
                ),
            )
        facets.update(self.territory_facets())
        return facets

    def term_facet(self, param, vocabulary, counts, top_level_only=False):
        selected = self.selected_codes(param)
        terms = self.index.of(vocabulary)
        facet = Facet(param, CaseFilter.base_filters[param].label)
        for term in terms:
            if top_level_only and term.parent_id:
                continue
            count = counts.get(term.pk, 0)
            if not (count or term.code in selected or term.is_active):
                continue
            facet.options.append(
                Option(
                    term.code,
                    term.label,
                    count,
                    selected=term.code in selected,
                    level=1 if term.parent_id else 0,
                    description=term.description,
                )
            )
        return facet

    def territory_facets(self):
        territory_params = tuple(p for p in TERRITORY_FACETS if self.data.get(p))
        regions = self.data.get("region") or []
        departements = self.data.get("departement") or []
        epcis = self.data.get("epci") or []
        counts = self.counted(
            "territories",
            lambda: territory_counts(
                self.ids_without(*territory_params),
                [TerritoryKind.REGION, TerritoryKind.DEPARTEMENT],
            ),
        )
        if departements or epcis:
            counts.update(
                territory_counts(
                    self.ids_without(*territory_params),
                    [TerritoryKind.EPCI, TerritoryKind.COMMUNE],
                    within=[*departements, *epcis],
                )
            )
        shown = Territory.objects.filter(
            Q(pk__in=[pk for pk, n in counts.items() if n])
            | Q(pk__in=[t.pk for p in TERRITORY_FACETS for t in self.data.get(p) or []])
        ).only("id", "kind", "code", "name", "name_key", "region_id", "departement_id")
        by_kind = {kind: [] for kind in TERRITORY_FACETS.values()}
        for territory in shown:
            by_kind[territory.kind].append(territory)

        def build(param, territories, limit=None):
            selected = self.selected_codes(param)
            options = [
                Option(t.code, t.label, counts.get(t.pk, 0), selected=t.code in selected)
                for t in territories
            ]
            if limit:
                options.sort(key=lambda o: (not o.selected, -o.count))
                options = sorted(options[:limit], key=lambda o: o.label)
            return Facet(param, CaseFilter.base_filters[param].label, options)

        region_ids = {t.pk for t in regions}
        departement_list = [
            t
            for t in by_kind[TerritoryKind.DEPARTEMENT]
            if not region_ids or t.region_id in region_ids
        ]
        facets = {
            "region": build("region", sorted(by_kind[TerritoryKind.REGION], key=name_order)),
            "departement": build("departement", sorted(departement_list, key=code_order)),
        }
        if departements or epcis:
            facets["epci"] = build("epci", by_kind[TerritoryKind.EPCI], limit=40)
            facets["commune"] = build("commune", by_kind[TerritoryKind.COMMUNE], limit=40)
        return facets


def name_order(territory):
    return territory.name_key


def code_order(territory):
    return territory.code


YES_NO_LABELS = {
    "pioneer": _("Expériences pionnières"),
    "ongoing": _("En cours"),
    "ended": _("Terminées"),
    "all_three": _("Réunissent les trois familles"),
}
