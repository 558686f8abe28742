"""The observatory: figures of any selection of published cases.

A selection is a `CaseFilter`, the one the search page and the API use, so
the observatory counts exactly what the search page lists. Every figure is a
GROUP BY in the database over the selection (`selection_counts`); the number
of queries depends on the filters in use, never on the number of cases.
Figures over the whole registry are cached like the search page's facets
(`registry.models.index.whole_registry`: until the next write, a minute at most).

The charts are plain rows (code, label, count, share of the selection's cases)
so that the page, its tables and the CSV downloads show the same figures; the
map drawn from them is in `registry.views.observatory`.
"""

from dataclasses import dataclass

from django.core.cache import cache as django_cache
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from registry.counting.bitmaps import Selection as BitmapSelection
from registry.counting.engine import (
    SUMMARY,
    TERMS,
    ByColumn,
    Pairs,
    PlacedTerms,
    Places,
    count,
    ids_of,
    summary,
    territory_counts,
)
from registry.counting.selections import filtered
from registry.models import ALL_THREE_FAMILIES, Family
from registry.models.index import whole_registry
from registry.search.filters import TERRITORY_FACETS, CaseFilter
from territories.models import Territory, TerritoryKind

GEOGRAPHY_TTL = 3600
TOP_PAIRS = 15

# The context the registry's figures are read against: Le RAMEAU's barometers.
# Shown apart, with their source and date, never added to or mixed with the
# registry's own counts.
PHARE_SOURCE = _("Le RAMEAU, Observatoire des partenariats, programme PHARE")


# The three « devoir d'alliances » figures come with the PHARE-Institutions results
# (shared/PRODUCT.md); the study and year of each are not in our sources.
PHARE_WITH_INSTITUTIONS = _("Programme PHARE, publié avec PHARE-Institutions, 29 nov. 2016")


@dataclass(frozen=True)
class ContextFigure:
    percent: int
    statement: str
    source: str


PHARE_FIGURES = [
    ContextFigure(
        69,
        _("des citoyens appellent à un « devoir d'alliances »"),
        PHARE_WITH_INSTITUTIONS,
    ),
    ContextFigure(
        81,
        _("des dirigeants d'entreprise appellent à un « devoir d'alliances »"),
        PHARE_WITH_INSTITUTIONS,
    ),
    ContextFigure(
        86,
        _("des dirigeants associatifs appellent à un « devoir d'alliances »"),
        PHARE_WITH_INSTITUTIONS,
    ),
    ContextFigure(
        87,
        _("des maires voient dans les alliances une source d'innovation"),
        _("PHARE-Institutions, 29 nov. 2016"),
    ),
    ContextFigure(
        76,
        _("des maires estiment que leur territoire est entré dans le mouvement de co-construction"),
        _("PHARE-Institutions, 29 nov. 2016"),
    ),
    ContextFigure(
        46,
        _("des maires jugent que ce mouvement n'en est qu'à son émergence"),
        _("PHARE-Institutions, 29 nov. 2016"),
    ),
]


# --- Charts ------------------------------------------------------------------


@dataclass
class Row:
    code: str
    label: str
    count: int
    share: float | None = None  # percentage of the selection's cases
    level: int = 0
    population: int | None = None
    rate: float | None = None  # cases per 100 000 inhabitants
    bar: float = 0.0  # length of the bar, as a percentage of the longest


@dataclass
class Chart:
    name: str  # also the name of its CSV download
    title: str
    rows: list
    total: int
    note: str = ""
    with_population: bool = False

    def __post_init__(self):
        peak = max((row.count for row in self.rows), default=0)
        for row in self.rows:
            if row.share is None and self.total:
                row.share = round(100 * row.count / self.total, 1)
            row.bar = round(100 * row.count / peak, 1) if peak else 0.0

    @property
    def is_empty(self):
        return not any(row.count for row in self.rows)


def per_100k(count, population):
    return round(count * 100_000 / population, 1) if population else None


# --- Geography ----------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """A région or a département, with its population municipale."""

    pk: int
    kind: str
    code: str
    name: str
    population: int | None
    region_pk: int | None


def geography():
    """{kind: [Area]} for régions and départements, by code, with the population
    the geography loader gives them (the sum of their communes'). Kept an hour:
    the geography changes once a year."""

    def compute():
        areas = {TerritoryKind.REGION: [], TerritoryKind.DEPARTEMENT: []}
        territories = Territory.objects.filter(kind__in=list(areas)).order_by("code")
        for t in territories.only("pk", "kind", "code", "name", "population", "region_id"):
            areas[t.kind].append(Area(t.pk, t.kind, t.code, t.name, t.population, t.region_id))
        return areas

    return django_cache.get_or_set("observatory-geography", compute, GEOGRAPHY_TTL)


def area_ids():
    return [area.pk for areas in geography().values() for area in areas]


# --- A selection and its counts ---------------------------------------------


class Selection:
    """The cases a `CaseFilter` selects, and their counts, each computed once
    and only when a chart asks for it."""

    def __init__(self, filterset: CaseFilter):
        self.filterset = filterset
        self.index = filterset.term_index
        self.queryset = filterset.qs.order_by()
        self.is_whole_registry = filterset.is_unfiltered()
        # What the counts read: the selection's bitmap, else its queryset.
        self.cases = filtered(filterset)
        if self.cases is None:
            self.cases = self.queryset

    def counted(self, name, compute):
        if self.is_whole_registry:
            return whole_registry(name, compute)
        return compute()

    @cached_property
    def counts(self):
        """Every count of the dashboard, from one query (see `selection_counts`).
        The counts by area come with them when the selection has no territory
        filter; otherwise the map counts another selection (see `outside`)."""
        missions = [t.pk for t in self.index.of("practice") if t.parent_id]
        themes = [t.pk for t in self.index.of("theme")]
        areas = area_ids() if self.outside is self else None
        return self.counted(
            "observatory",
            lambda: selection_counts(self.cases, pairs=(missions, themes), area_ids=areas),
        )

    @cached_property
    def area_counts(self):
        """The summary and the counts by area: what the map needs, without the rest."""
        if "counts" in self.__dict__ and "areas" in self.counts:
            return self.counts
        if self.is_whole_registry:
            # The search page's own whole-registry figures: the same values, cached once.
            kinds = [TerritoryKind.REGION, TerritoryKind.DEPARTEMENT]
            return {
                "summary": whole_registry("summary", lambda: summary(self.cases)),
                "areas": whole_registry(
                    "territories", lambda: territory_counts(self.ids, kinds)
                ),
            }
        return selection_counts(self.cases, area_ids=area_ids())

    @property
    def summary(self):
        return self.counts["summary"]

    @property
    def total(self):
        return self.counts["summary"]["total"]

    @cached_property
    def ids(self):
        if isinstance(self.cases, BitmapSelection):
            return self.cases
        return ids_of(self.queryset)

    @cached_property
    def outside(self):
        """The same selection without its territory filters: what the map counts,
        so that each area's figure is what clicking it would select."""
        if not self.selected_territories:
            return self
        data = self.filterset.data.copy()
        for param in TERRITORY_FACETS:
            data.pop(self.filterset.form.add_prefix(param), None)
        return Selection(
            CaseFilter(
                data,
                self.filterset.queryset,
                term_index=self.index,
                prefix=self.filterset.form.prefix,
            )
        )

    @property
    def areas(self):
        """{territory pk: cases} for every région and département, outside the
        selection's territory filters (the search page's territory facet counts)."""
        return self.outside.area_counts["areas"]

    @cached_property
    def selected_territories(self):
        if not self.filterset.form.is_valid():
            return []
        data = self.filterset.form.cleaned_data
        return [t for param in TERRITORY_FACETS for t in data.get(param) or []]


def selection_counts(queryset, *, pairs=None, area_ids=None):
    """The counts of the cases of `queryset`, in one query (`engine.count`): the
    summary, by phase, start year and partner families; with `pairs` (two lists
    of term ids), by term and by pair of terms; with `area_ids`, by région or
    département.

    Returns {"summary": {...}, "phase_id": {...}, "start_year": {...},
    "family_mask": {...}}, with "terms" ({term id: cases}) and "pairs"
    ([(first id, second id, cases)], most frequent first) when `pairs` is
    given, and "areas" ({territory id: cases}) when `area_ids` is.
    """
    tallies = {
        "summary": SUMMARY,
        "phase_id": ByColumn("phase_id"),
        "start_year": ByColumn("start_year"),
        "family_mask": ByColumn("family_mask"),
    }
    if pairs is not None:
        tallies.update(terms=TERMS, pairs=Pairs(*pairs))
    if area_ids is not None:
        tallies["areas"] = Places(area_ids)
    return count(queryset, **tallies)


def mission_region_counts(case_ids, mission_ids, region_ids):
    """{(région pk, mission pk): cases} — the white spots of the référentiel."""
    return count(case_ids, matrix=PlacedTerms(region_ids, mission_ids))["matrix"]


# --- The charts of a selection -----------------------------------------------


def shown_terms(terms, counts):
    """Active terms, and retired ones still counted."""
    return [t for t in terms if t.is_active or counts.get(t.pk)]


def term_chart(selection, name, vocabulary, title, note=""):
    counts = selection.counts["terms"]
    rows = [
        Row(t.code, t.label, counts.get(t.pk, 0))
        for t in shown_terms(selection.index.of(vocabulary), counts)
    ]
    return Chart(name, title, rows, selection.total, note)


def themes_chart(selection):
    return term_chart(
        selection,
        "themes",
        "theme",
        _("Thèmes"),
        _("Une expérience peut porter plusieurs thèmes : les parts ne s'additionnent pas."),
    )


def practices_chart(selection):
    """The 4 métiers of the référentiel, each followed by its 4 missions."""
    counts = selection.counts["terms"]
    terms = shown_terms(selection.index.of("practice"), counts)
    rows = []
    for metier in (t for t in terms if not t.parent_id):
        rows.append(Row(metier.code, metier.label, counts.get(metier.pk, 0)))
        rows += [
            Row(t.code, t.label, counts.get(t.pk, 0), level=1)
            for t in terms
            if t.parent_id == metier.pk
        ]
    note = _(
        "Métiers de la catalyse territoriale et leurs missions (référentiel « co-construction "
        "territoriale », 2016) ; un métier compte chaque expérience une fois."
    )
    return Chart("pratiques", _("Pratiques du référentiel"), rows, selection.total, note)


def partnerships_chart(selection):
    return term_chart(selection, "partenariats", "partnership_type", _("Types de partenariat"))


def forms_chart(selection):
    return term_chart(selection, "formes", "coconstruction_form", _("Formes de co-construction"))


def phases_chart(selection):
    counts = selection.counts["phase_id"]
    rows = [
        Row(t.code, t.label, counts.get(t.pk, 0))
        for t in shown_terms(selection.index.of("phase"), counts)
    ]
    rows.append(Row("", str(_("Étape non renseignée")), counts.get(None, 0)))
    return Chart("etapes", _("Étapes"), rows, selection.total)


def years_chart(selection):
    """Cases by start year, every year between the first and the last shown."""
    counts = selection.counts["start_year"]
    years = [year for year in counts if year is not None]
    rows = [
        Row(str(year), str(year), counts.get(year, 0))
        for year in range(min(years, default=0), max(years, default=-1) + 1)
    ]
    if counts.get(None):
        rows.append(Row("", str(_("Année non renseignée")), counts[None]))
    return Chart("annees", _("Année de démarrage"), rows, selection.total)


FAMILY_CODES = {
    Family.COLLECTIVITE: "collectivite",
    Family.ENTREPRISE: "entreprise",
    Family.ASSOCIATION: "association",
    Family.OTHER: "autre",
}


def families_chart(selection):
    """Share of the cases that count each family among their partners, and of
    those that bring collectivité, entreprise and association together."""
    masks = selection.counts["family_mask"]
    rows = [
        Row(code, str(family.label), sum(n for mask, n in masks.items() if mask & family))
        for family, code in FAMILY_CODES.items()
    ]
    rows.append(
        Row(
            "trois_familles",
            str(_("Les trois familles réunies")),
            sum(n for mask, n in masks.items() if mask & ALL_THREE_FAMILIES == ALL_THREE_FAMILIES),
        )
    )
    note = _("Une expérience réunit souvent plusieurs familles : les parts ne s'additionnent pas.")
    return Chart("familles", _("Familles de partenaires"), rows, selection.total, note)


def combinations_chart(selection):
    """How the three families combine: each case in exactly one row."""
    masks = selection.counts["family_mask"]
    three = [Family.COLLECTIVITE, Family.ENTREPRISE, Family.ASSOCIATION]
    combinations = sorted(range(8), key=lambda m: (-bin(m).count("1"), -m))
    rows = []
    for combination in combinations:
        members = [family for family in three if combination & family]
        label = " + ".join(str(f.label) for f in members) or str(_("Aucune des trois familles"))
        code = "+".join(FAMILY_CODES[f] for f in members) or "aucune"
        count = sum(n for mask, n in masks.items() if mask & ALL_THREE_FAMILIES == combination)
        rows.append(Row(code, label, count))
    note = _("Chaque expérience compte une fois, dans la combinaison de ses partenaires.")
    return Chart("combinaisons", _("Combinaisons de familles"), rows, selection.total, note)


def pairs_chart(selection):
    terms = {t.pk: t for t in selection.index.terms}
    rows = [
        Row(
            f"{terms[mission].code}+{terms[theme].code}",
            f"{terms[mission].label} × {terms[theme].label}",
            n,
        )
        for mission, theme, n in selection.counts["pairs"][:TOP_PAIRS]
    ]
    note = _(
        "Les %(n)d associations d'une mission du référentiel et d'un thème les plus fréquentes."
    ) % {"n": TOP_PAIRS}
    return Chart("paires", _("Pratiques et thèmes associés"), rows, selection.total, note)


def area_chart(selection, kind):
    counts = selection.areas
    rows = []
    for area in geography()[kind]:
        count = counts.get(area.pk, 0)
        rows.append(
            Row(
                area.code,
                area.name,
                count,
                population=area.population,
                rate=per_100k(count, area.population),
            )
        )
    # Shares of the cases the map counts: the selection outside its territory filters.
    total = selection.outside.area_counts["summary"]["total"]
    title = _("Régions") if kind == TerritoryKind.REGION else _("Départements")
    note = _(
        "Hors filtre territorial : chaque zone compte les expériences de la sélection qui s'y "
        "trouvent, ce qu'un clic sur elle sélectionne. Une expérience présente dans plusieurs "
        "zones compte dans chacune. Population municipale (INSEE), somme des communes."
    )
    name = "regions" if kind == TerritoryKind.REGION else "departements"
    return Chart(name, title, rows, total, note, with_population=True)


def regions_chart(selection):
    return area_chart(selection, TerritoryKind.REGION)


def departements_chart(selection):
    return area_chart(selection, TerritoryKind.DEPARTEMENT)


CHARTS = {
    "themes": themes_chart,
    "pratiques": practices_chart,
    "partenariats": partnerships_chart,
    "formes": forms_chart,
    "etapes": phases_chart,
    "annees": years_chart,
    "familles": families_chart,
    "combinaisons": combinations_chart,
    "paires": pairs_chart,
    "regions": regions_chart,
    "departements": departements_chart,
}


# --- Coverage and comparison ---------------------------------------------------


def coverage(selection, threshold):
    """Where the registry has few or no cases: missions of the référentiel, and
    for each région the missions documented there."""
    missions_chart = practices_chart(selection)
    missions = [row for row in missions_chart.rows if row.level == 1]
    regions = area_chart(selection, TerritoryKind.REGION)
    departements = area_chart(selection, TerritoryKind.DEPARTEMENT)
    mission_terms = [t for t in selection.index.of("practice") if t.parent_id and t.is_active]
    region_areas = geography()[TerritoryKind.REGION]
    matrix = mission_region_counts(
        selection.outside.ids,
        [t.pk for t in mission_terms],
        [a.pk for a in region_areas],
    )
    grid = [
        {
            "region": area,
            "cells": [matrix.get((area.pk, term.pk), 0) for term in mission_terms],
        }
        for area in region_areas
    ]
    return {
        "threshold": threshold,
        "missions": sorted(missions, key=lambda row: row.count),
        "regions": sorted(regions.rows, key=lambda row: (row.count, row.label)),
        "departements": sorted(departements.rows, key=lambda row: (row.count, row.code)),
        "mission_terms": mission_terms,
        "grid": grid,
        "total": selection.total,
    }


COMPARED_CHARTS = ["themes", "pratiques", "partenariats", "formes", "etapes", "familles"]


@dataclass
class ComparedRow:
    code: str
    label: str
    level: int
    a: Row
    b: Row

    @property
    def gap(self):
        """Difference of the shares, in percentage points (B − A)."""
        if self.a.share is None or self.b.share is None:
            return None
        return round(self.b.share - self.a.share, 1)


def empty(row):
    return Row(row.code, row.label, 0, share=0.0)


def comparison(selection_a, selection_b, charts=COMPARED_CHARTS):
    """Each compared chart for both selections, row by row."""
    sections = []
    for name in charts:
        chart_a, chart_b = CHARTS[name](selection_a), CHARTS[name](selection_b)
        rows_b = {row.code: row for row in chart_b.rows}
        rows = [
            ComparedRow(row.code, row.label, row.level, row, rows_b.get(row.code) or empty(row))
            for row in chart_a.rows
        ]
        sections.append({"name": name, "title": chart_a.title, "rows": rows})
    return sections
