"""The counting engine: how many cases of a selection fall under each key.

Every count of the site is a `Tally` written here once, in both dialects: a
GROUP BY over a relation `selection`, one row per case of the selection with
the columns of `Case` the tally reads. `count()` runs any tallies of one
selection in one query, joined with UNION ALL; when several of them read the
selection, it is evaluated once, as a common table expression (the same
figures from separate queries took three to four times as long on 100 000
cases: each one evaluated the selection again). The search page's facets,
the territory, référentiel and term pages and the observatory all count
through it.

On PostgreSQL the terms, pairs and territories are counted from the cases'
facet keys (`Case.facet_terms`, `facet_places`, `facet_pairs`), read from the
covering index with the selection, without joining the tags or the territory
closure: three times faster again on large selections. On SQLite the tallies
are written with the selection first and CROSS JOINs, which SQLite never
reorders. Its planner, choosing alone, started from the territories and
probed the selection for each (32 s for the search page on 3 000 cases
instead of 0.1 s); with statistics (ANALYZE) it started the count by partner
of a list of 5 000 ids from every organisation (730 ms, not 4).
"""

from django.core.exceptions import EmptyResultSet
from django.db import connection

from registry.counting import bitmaps
from registry.counting.bitmaps import NotHeld, Published, Selection, cardinalities
from registry.models import (
    ALL_THREE_FAMILIES,
    PAIR_BASE,
    Case,
    CasePartner,
    CaseTerritory,
    Organization,
    Term,
)
from registry.models.lookups import among
from territories.models import Territory, TerritoryLink

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


def cases_of(cases):
    """The cases of `ids_of` (a list of ids, or the selection's own subquery), of
    a `bitmaps.Selection` or of any queryset of cases."""
    if isinstance(cases, Published):
        return Case.objects.published()
    if isinstance(cases, Selection):
        cases = list(cases)
    if isinstance(cases, list):
        return Case.objects.filter(among("id", cases))
    return cases


def table(model):
    return connection.ops.quote_name(model._meta.db_table)


# ---- The query ---------------------------------------------------------------

# Where a tally names the selection, and where its parameters go.
SELECTION = "__selection__"
KIND = "__kind__"
# The second key of the tallies that have one key: typed, for PostgreSQL to
# match the branches of a UNION ALL (a bare NULL is text to it).
NO_KEY = "CAST(NULL AS INTEGER)"


class Query:
    """The SQL of one counting query being written: its parameters in order,
    the selection's included where a tally names it (`cases()`)."""

    def __init__(self):
        self.keys = connection.vendor == "postgresql"
        self.params = []
        self.sources = 0
        self.tagged = False

    def cases(self):
        """The relation `selection`, in a FROM clause."""
        self.sources += 1
        self.params.append(SELECTION)
        return SELECTION

    def tags(self):
        """The relation `tags` (case_id, term_id): the tags of the selection's
        cases, read once for all the tallies that count them (SQLite)."""
        self.tagged = True
        return "tags"

    def values(self, values):
        """Placeholders for `values`, in an IN (...) list."""
        self.params.extend(values)
        return ", ".join(["%s"] * len(values)) or "NULL"

    def array(self, values):
        """One array parameter (PostgreSQL), for `= ANY(...)`."""
        self.params.append(list(values))
        return "%s"


def selection_sql(cases, columns):
    """(sql, params) of the `columns` of the cases."""
    try:
        return cases_of(cases).order_by().values(*columns).query.sql_with_params()
    except EmptyResultSet:  # no case, as an empty list of ids compiles
        return f"SELECT {', '.join(columns)} FROM {table(Case)} WHERE 0 = 1", ()


def count(cases, **tallies):
    """{name: result} of each tally over `cases` (see `cases_of`): from the
    registry's bitmaps when they hold the selection (`bitmaps.count`), else in
    one query."""
    counted = bitmaps.count(cases, tallies)
    if counted is not None:
        return counted
    return count_in_sql(cases, **tallies)


def count_in_sql(cases, **tallies):
    """{name: result} of each tally over `cases` (see `cases_of`), in one query."""
    query = Query()
    branches, owners = [], []
    for name, tally in tallies.items():
        for sql in tally.branches(query):
            branches.append(sql.replace(KIND, str(len(owners)), 1))
            owners.append(name)
    columns = list(dict.fromkeys(c for t in tallies.values() for c in t.columns(query.keys)))
    selection, selection_params = selection_sql(cases, columns)
    sql = " UNION ALL ".join(branches)
    if query.sources == 1 and not query.tagged:
        sql = sql.replace(SELECTION, f"({selection}) selection")
        params = []
        for param in query.params:
            params.extend(selection_params if param is SELECTION else [param])
    else:
        tags = ""
        if query.tagged:
            tags = f""",
            tags (case_id, term_id) AS (
                SELECT tag.case_id, tag.term_id
                  FROM selection
                 CROSS JOIN {table(Case.terms.through)} tag
                 WHERE tag.case_id = selection.id
            )"""
        sql = f"""WITH selection ({", ".join(columns)}) AS ({selection}){tags}
            {sql.replace(SELECTION, "selection")}"""
        params = [*selection_params, *(p for p in query.params if p is not SELECTION)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = {name: [] for name in tallies}
    by_branch = [[] for _owner in owners]
    for kind, key, other, n in rows:
        by_branch[int(kind)].append((key, other, n))
    for owner, branch_rows in zip(owners, by_branch, strict=True):
        found[owner].append(branch_rows)
    return {name: tally.result(found[name]) for name, tally in tallies.items()}


# ---- The tallies -----------------------------------------------------------------


class Tally:
    """One count: the columns of `Case` it reads, its branches (SELECT kind, key,
    other, COUNT(*) over the selection) and its result from their rows."""

    def columns(self, keys):
        return ("id",)

    def branches(self, query):
        raise NotImplementedError

    def from_bitmaps(self, held, selection):
        """The result, from a `bitmaps.Snapshot` and the selection's bitmap."""
        raise NotHeld

    def result(self, branches):
        """{key: cases}, from the rows of a single branch."""
        (rows,) = branches
        return {key: n for key, _other, n in rows}


class Summary(Tally):
    """The total and the yes/no facets: pioneers, ongoing, ended, the three families."""

    def columns(self, keys):
        return ("is_pioneer", "end_year", "family_mask")

    def branches(self, query):
        three = ALL_THREE_FAMILIES
        return [
            f"""SELECT {KIND}, CASE WHEN is_pioneer THEN 1 ELSE 0 END
                       + CASE WHEN end_year IS NULL THEN 2 ELSE 0 END
                       + CASE WHEN family_mask & {three} = {three} THEN 4 ELSE 0 END,
                       {NO_KEY}, COUNT(*)
                  FROM {query.cases()} GROUP BY 2"""
        ]

    def from_bitmaps(self, held, selection):
        total = len(selection)
        ongoing = selection.intersection_cardinality(held.ongoing)
        return {
            "total": total,
            "pioneers": selection.intersection_cardinality(held.pioneer),
            "ongoing": ongoing,
            "ended": total - ongoing,
            "all_three": selection.intersection_cardinality(held.all_three),
        }

    def result(self, branches):
        flags = super().result(branches)
        return {
            "total": sum(flags.values()),
            "pioneers": sum(n for flag, n in flags.items() if flag & 1),
            "ongoing": sum(n for flag, n in flags.items() if flag & 2),
            "ended": sum(n for flag, n in flags.items() if not flag & 2),
            "all_three": sum(n for flag, n in flags.items() if flag & 4),
        }


class ByColumn(Tally):
    """{value of a column of the case (None included): cases}."""

    def __init__(self, column):
        self.column = column

    def columns(self, keys):
        return (self.column,)

    def branches(self, query):
        return [f"SELECT {KIND}, {self.column}, {NO_KEY}, COUNT(*) FROM {query.cases()} GROUP BY 2"]

    def from_bitmaps(self, held, selection):
        if self.column not in held.columns:
            raise NotHeld
        return cardinalities(selection, held.columns[self.column])


class Terms(Tally):
    """{term id: cases}, parents counted once per case whatever the number of
    children (on PostgreSQL exactly the cases the search finds with the parent:
    those carrying it or any of its children; elsewhere the largest of the two
    counts). Every term is counted: filtering by vocabulary in SQL costs two
    joins on the largest table (about four times slower on 100 000 cases),
    callers just pick what they show."""

    def columns(self, keys):
        return ("facet_terms",) if keys else ("id",)

    def branches(self, query):
        if query.keys:
            return [
                f"""SELECT {KIND}, key, {NO_KEY}, COUNT(*)
                      FROM (SELECT unnest(facet_terms) AS key FROM {query.cases()}) keys
                     GROUP BY key"""
            ]
        return [
            f"SELECT {KIND}, term_id, {NO_KEY}, COUNT(*) FROM {query.tags()} GROUP BY 2",
            f"""SELECT {KIND}, parent_id, {NO_KEY}, COUNT(*) FROM (
                    SELECT DISTINCT tags.case_id, term.parent_id
                      FROM {query.tags()} tags JOIN {table(Term)} term ON term.id = tags.term_id
                     WHERE term.parent_id IS NOT NULL
                ) tagged GROUP BY 2""",
        ]

    def from_bitmaps(self, held, selection):
        return cardinalities(selection, held.terms)

    def result(self, branches):
        counts = super().result(branches[:1])
        for rolled_up in branches[1:]:
            for parent_id, _other, n in rolled_up:
                counts[parent_id] = max(counts.get(parent_id, 0), n)
        return counts


class Pairs(Tally):
    """[(first term id, second term id, cases)], most frequent first, for the
    pairs of a term of `first` and one of `second` that cases carry together.
    On PostgreSQL the pairs are the cases' own (`Case.facet_pairs`): missions
    and themes, what they were built from."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def columns(self, keys):
        return ("facet_pairs",) if keys else ("id",)

    def branches(self, query):
        if query.keys:
            return [
                f"""SELECT {KIND}, pair / {PAIR_BASE}, mod(pair, {PAIR_BASE}), COUNT(*)
                      FROM (SELECT unnest(facet_pairs) AS pair FROM {query.cases()}) keys
                     GROUP BY pair"""
            ]
        return [
            f"""SELECT {KIND}, pair_a.term_id, pair_b.term_id, COUNT(*)
                  FROM {query.tags()} pair_a JOIN tags pair_b ON pair_b.case_id = pair_a.case_id
                 WHERE pair_a.term_id IN ({query.values(self.first)})
                   AND pair_b.term_id IN ({query.values(self.second)})
                 GROUP BY 2, 3"""
        ]

    def from_bitmaps(self, held, selection):
        rows = []
        for first in self.first:
            cases = held.tagged.get(first)
            if cases is None:
                continue
            among = selection & cases
            for second, n in cardinalities(among, held.tagged, self.second).items():
                rows.append((first, second, n))
        return self.result([rows])

    def result(self, branches):
        (rows,) = branches
        return sorted(rows, key=lambda pair: (-pair[2], pair[0], pair[1]))


def located_sql(query, territory_ids):
    """The pairs (case_id, ancestor_id), each once, of the cases of the selection
    and of the territories of `territory_ids` they lie in: how SQLite counts by
    territory (PostgreSQL reads the facet keys).

    The walk goes up the closure from the selection's places. Walking down from
    each territory counted, SQLite's own plan, reads every commune of France for
    the régions and départements of the search page. The unary `+` keeps the
    planner from seeking each counted territory in the closure's index, one seek
    per territory and place, where reading a place's few ancestors is cheaper."""
    return f"""
        SELECT DISTINCT place.case_id, link.ancestor_id
          FROM {table(CaseTerritory)} place
         CROSS JOIN {table(TerritoryLink)} link
         WHERE place.case_id IN (SELECT id FROM {query.cases()})
           AND link.descendant_id = place.territory_id
           AND +link.ancestor_id IN ({query.values(territory_ids)})"""


class Places(Tally):
    """{territory id: cases located there or below}, for the territories named by id."""

    def __init__(self, territory_ids):
        self.territory_ids = list(territory_ids)

    def columns(self, keys):
        return ("facet_places",) if keys else ("id",)

    def branches(self, query):
        if query.keys:
            return [
                f"""SELECT {KIND}, key, {NO_KEY}, COUNT(*)
                      FROM (SELECT unnest(facet_places) AS key FROM {query.cases()}) keys
                     WHERE key = ANY({query.array(self.territory_ids)}) GROUP BY key"""
            ]
        return [
            f"""SELECT {KIND}, ancestor_id, {NO_KEY}, COUNT(*)
                  FROM ({located_sql(query, self.territory_ids)}) located GROUP BY 2"""
        ]

    def from_bitmaps(self, held, selection):
        return cardinalities(selection, held.places, self.territory_ids)


class PlacedTerms(Tally):
    """{(territory id, term id): cases}, for the territories and terms named by id
    (the référentiel's white spots: missions by région)."""

    def __init__(self, territory_ids, term_ids):
        self.territory_ids, self.term_ids = list(territory_ids), list(term_ids)

    def columns(self, keys):
        return ("facet_places", "facet_terms") if keys else ("id",)

    def branches(self, query):
        if query.keys:
            return [
                f"""SELECT {KIND}, place, term, COUNT(*)
                      FROM (SELECT unnest(facet_places) AS place, facet_terms
                              FROM {query.cases()}) places
                     CROSS JOIN LATERAL unnest(facet_terms) AS term
                     WHERE place = ANY({query.array(self.territory_ids)})
                       AND term = ANY({query.array(self.term_ids)})
                     GROUP BY 2, 3"""
            ]
        # From the selection's places, as every count by territory (`located_sql`).
        return [
            f"""SELECT {KIND}, located.ancestor_id, tag.term_id, COUNT(*)
                  FROM ({located_sql(query, self.territory_ids)}) located
                 CROSS JOIN {table(Case.terms.through)} tag
                 WHERE tag.case_id = located.case_id
                   AND +tag.term_id IN ({query.values(self.term_ids)})
                 GROUP BY 2, 3"""
        ]

    def from_bitmaps(self, held, selection):
        found = {}
        for place in self.territory_ids:
            cases = held.places.get(place)
            if cases is None:
                continue
            among = selection & cases
            for term, n in cardinalities(among, held.terms, self.term_ids).items():
                found[place, term] = n
        return found

    def result(self, branches):
        (rows,) = branches
        return {(place, term): n for place, term, n in rows}


class Partners(Tally):
    """{key: cases with a partner of it}: `key` is a column of the roster line
    (`partner.role_id`) or, with `actors`, of its organisation
    (`organization.actor_type_id`) or of the organisation's actor type
    (`COALESCE(actor.parent_id, actor.id)`, its family)."""

    def __init__(self, key, actors=True, held=None):
        self.key, self.actors = key, actors
        # The snapshot's bitmaps of the same key (`bitmaps.Snapshot`).
        self.held = held

    def from_bitmaps(self, held, selection):
        if self.held is None:
            raise NotHeld
        return cardinalities(selection, getattr(held, self.held))

    def branches(self, query):
        actors = f"""
                 CROSS JOIN {table(Organization)} organization
                 CROSS JOIN {table(Term)} actor"""
        joined = """
                   AND organization.id = partner.organization_id
                   AND actor.id = organization.actor_type_id"""
        if query.keys:
            # PostgreSQL, free to order the joins, counts faster from a semi-join.
            return [
                f"""SELECT {KIND}, {self.key}, {NO_KEY}, COUNT(DISTINCT partner.case_id)
                      FROM {table(CasePartner)} partner{actors if self.actors else ""}
                     WHERE partner.case_id IN (SELECT id FROM {query.cases()})
                           {joined if self.actors else ""}
                     GROUP BY 2"""
            ]
        return [
            f"""SELECT {KIND}, {self.key}, {NO_KEY}, COUNT(DISTINCT partner.case_id)
                  FROM {query.cases()}
                 CROSS JOIN {table(CasePartner)} partner{actors if self.actors else ""}
                 WHERE partner.case_id = selection.id{joined if self.actors else ""}
                 GROUP BY 2"""
        ]


ACTOR_FAMILIES = Partners("COALESCE(actor.parent_id, actor.id)", held="actor_families")
ACTOR_TYPES = Partners("organization.actor_type_id", held="actor_types")
PARTNER_ROLES = Partners("partner.role_id", actors=False, held="partner_roles")


class PioneerCriteria(Tally):
    """{criterion term id: pioneer cases meeting it}."""

    def columns(self, keys):
        return ("id", "is_pioneer")

    def branches(self, query):
        return [
            f"""SELECT {KIND}, criterion.term_id, {NO_KEY}, COUNT(*)
                  FROM {query.cases()}
                 CROSS JOIN {table(Case.pioneer_criteria.through)} criterion
                 WHERE criterion.case_id = selection.id AND selection.is_pioneer
                 GROUP BY 2"""
        ]

    def from_bitmaps(self, held, selection):
        return cardinalities(selection & held.pioneer, held.criteria)


SUMMARY = Summary()
TERMS = Terms()
PIONEER_CRITERIA = PioneerCriteria()


# ---- Counts by name ----------------------------------------------------------------


def summary(cases):
    """Total and the yes/no facets of a selection, in one query."""
    return count(cases, summary=SUMMARY)["summary"]


def term_counts(cases):
    """{term id: cases} (see `Terms`)."""
    return count(cases, terms=TERMS)["terms"]


def column_counts(cases, column):
    """{value of `column` (None included): cases}."""
    return count(cases, counts=ByColumn(column))["counts"]


def actor_counts(cases):
    """{actor family (a top-level actor type): cases with a partner of it}."""
    return count(cases, families=ACTOR_FAMILIES)["families"]


def territory_counts(cases, kinds, within=None):
    """{territory_id: cases located there or below}, for the territories of `kinds`
    (inside the territories `within`, when given).

    The territories counted are named by id, not by a join on their kind, so that
    PostgreSQL estimates the rows right and counts from the selection."""
    # Unordered: sorting by name let SQLite read all 36 000 territories in order.
    candidates = Territory.objects.filter(kind__in=kinds).order_by()
    if within:
        candidates = candidates.filter(ancestor_links__ancestor__in=within)
    return counts_in_territories(cases, list(candidates.values_list("pk", flat=True)))


def counts_in_territories(cases, territory_ids):
    """{territory_id: cases located there or below}, for the territories named by id."""
    if not territory_ids:
        return {}
    return count(cases, places=Places(territory_ids))["places"]
