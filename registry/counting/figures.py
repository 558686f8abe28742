"""The figures of the territory, référentiel and term pages.

Only published cases are counted. Each figure is one query whatever the number
of cases: the counting engine's tallies (`registry.counting.engine`) over the
ids of the page's selection, or a GROUP BY ranked in the database before the
few winners are fetched.
"""

from django.db.models import Count, Q, Sum

from registry.counting.bitmaps import EMPTY, PUBLISHED, Selection, enabled, snapshot, union
from registry.counting.engine import (
    ACTOR_FAMILIES,
    ACTOR_TYPES,
    PARTNER_ROLES,
    PIONEER_CRITERIA,
    TERMS,
    ByColumn,
    count,
    counts_in_territories,
    territory_counts,
)
from registry.models import Case, CaseStatus, CaseTerritory, Organization
from registry.models.vocabulary import REFERENTIEL_ORDER, TAGS
from territories.models import Territory, TerritoryKind

TOP_COMMUNES = 20
ORGANIZATIONS_SHOWN = 30


def published_ids():
    return PUBLISHED


def cases_located_in(territory):
    """The published cases located in `territory` or below, as a selection."""
    if not enabled():
        return Case.objects.published().located_in(territory).values("pk")
    return Selection(snapshot().places.get(territory.pk, EMPTY))


def cases_described_by(term, children):
    """The published cases a term describes, its `children` included, as a
    selection (what `registry.views.pages.cases_using` lists); None when the
    settings count in SQL."""
    if not enabled():
        return None
    held = snapshot()
    vocabulary = term.vocabulary.code
    if vocabulary in ("phase", "scale"):
        return Selection(held.columns[f"{vocabulary}_id"].get(term.pk, EMPTY))
    if vocabulary == "actor_type":
        return Selection(union(held.actor_types.get(t.pk, EMPTY) for t in [term, *children]))
    if vocabulary == "partner_role":
        return Selection(held.partner_roles.get(term.pk, EMPTY))
    if vocabulary == "pioneer_criterion":
        return Selection(held.criteria.get(term.pk, EMPTY) & held.pioneer)
    return Selection(union(held.tagged.get(t.pk, EMPTY) for t in [term, *children]))


# ---- Territories -------------------------------------------------------------


def case_counts_in(territories):
    """{territory id: published cases located there or below}."""
    return counts_in_territories(published_ids(), [t.pk for t in territories])


def key_figures(territory):
    """Population (stored for communes and EPCIs, the sum of the communes above
    that) and how many communes and EPCIs lie inside, in one query."""
    if territory.kind == TerritoryKind.COMMUNE:
        return {"population": territory.population}
    figures = Territory.objects.inside(territory, include_self=False).aggregate(
        communes=Count("pk", filter=Q(kind=TerritoryKind.COMMUNE)),
        epcis=Count("pk", filter=Q(kind=TerritoryKind.EPCI)),
        population=Sum("population", filter=Q(kind=TerritoryKind.COMMUNE)),
    )
    if territory.population:
        figures["population"] = territory.population
    if territory.kind == TerritoryKind.EPCI:
        figures["epcis"] = None
    return figures


def top_communes(territory):
    """The communes of a département or région where the most published cases
    are placed (ranked in the database, then the few winners fetched)."""
    if territory.kind not in (TerritoryKind.REGION, TerritoryKind.DEPARTEMENT):
        return []
    rows = list(
        CaseTerritory.objects.filter(
            case__status=CaseStatus.PUBLISHED,
            territory__kind=TerritoryKind.COMMUNE,
            territory__ancestor_links__ancestor=territory,
        )
        .values_list("territory_id")
        .annotate(n=Count("case_id"))
        .order_by("-n", "territory__name_key")[:TOP_COMMUNES]
    )
    if not rows:
        return []
    communes = Territory.objects.select_related("departement").in_bulk([pk for pk, _n in rows])
    for pk, n in rows:
        communes[pk].case_count = n
    return [communes[pk] for pk, _n in rows]


def organizations_in(territory):
    """Organisations seated there or below, with their number of published cases."""
    return list(
        Organization.objects.filter(
            seat__in=Territory.objects.inside(territory).values("pk"),
            roster_entries__case__status=CaseStatus.PUBLISHED,
        )
        .select_related("actor_type")
        .annotate(case_count=Count("roster_entries__case", distinct=True))
        .order_by("-case_count", "name_key")[:ORGANIZATIONS_SHOWN]
    )


def counted(terms, counts):
    """The terms used at least once, with a `case_count`, most used first."""
    for term in terms:
        term.case_count = counts.get(term.pk, 0)
    return sorted((t for t in terms if t.case_count), key=lambda t: -t.case_count)


def regions_of(case_ids, search_url):
    """Where the cases are: the régions with a count, most first, each linked to
    the search narrowed to it (or to its page when there is no such search)."""
    counts = territory_counts(case_ids, [TerritoryKind.REGION])
    regions = list(Territory.objects.regions().filter(pk__in=list(counts)) if counts else [])
    for region in regions:
        region.case_count = counts[region.pk]
        region.link = (
            f"{search_url}&region={region.code}" if search_url else region.get_absolute_url()
        )
    return sorted(regions, key=lambda r: (-r.case_count, r.name_key))


# ---- Référentiel -------------------------------------------------------------


def usage_tallies(vocabulary):
    """{name: tally} counting the cases that use each term of `vocabulary`, whatever
    the way it is attached to a case (tags, a column, the partners, the pioneer
    criteria). An actor type counts the cases with a partner of that type, a
    family (a top-level type) those with a partner of the family."""
    if vocabulary in TAGS:
        return {"terms": TERMS}
    if vocabulary in ("phase", "scale"):
        return {vocabulary: ByColumn(f"{vocabulary}_id")}
    if vocabulary == "actor_type":
        return {"actor_types": ACTOR_TYPES, "actor_families": ACTOR_FAMILIES}
    if vocabulary == "partner_role":
        return {"partner_roles": PARTNER_ROLES}
    if vocabulary == "pioneer_criterion":
        return {"pioneer_criteria": PIONEER_CRITERIA}
    return {}


def usage_of(vocabulary, counts):
    """{term id: cases} of `vocabulary`, from the results of its `usage_tallies`."""
    usage = {}
    for name in usage_tallies(vocabulary):
        usage.update(counts[name])
    usage.pop(None, None)
    return usage


def usage_counts(vocabulary, case_ids):
    """{term id: cases of `case_ids` using the term} (see `usage_tallies`).
    A parent counts each case once, however many of its children it uses."""
    tallies = usage_tallies(vocabulary)
    if not tallies:
        return {}
    return usage_of(vocabulary, count(case_ids, **tallies))


def referentiel_counts():
    """{vocabulary code: {term id: published cases}} for every list of the page,
    in two queries: the tags alone, so that PostgreSQL reads the facet keys from
    the covering index, then every other way of using a term, over one selection."""
    tallies = {}
    for code in REFERENTIEL_ORDER:
        tallies.update(usage_tallies(code))
    tags = tallies.pop("terms")
    counts = {**count(published_ids(), **tallies), **count(published_ids(), terms=tags)}
    return {code: usage_of(code, counts) for code in REFERENTIEL_ORDER}
