"""Live facet counts for a selection of cases: the search page's filters.

Counts are made by the counting engine (`registry.counting.engine`) from the
registry's bitmaps, over the selection worked out from the filters
(`registry.counting.selections`): no query but the text search's, whatever the
number of cases. A facet the visitor is filtering on is
counted without its own filter (disjunctive faceting), so the other options of
that facet keep showing what choosing them would add.
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.counting.engine import (
    actor_counts,
    column_counts,
    ids_of,
    summary,
    term_counts,
    territory_counts,
)
from registry.counting.selections import filtered
from registry.models.index import whole_registry
from registry.models.vocabulary import TAG_PARAMETERS
from registry.search.filters import TERRITORY_FACETS, CaseFilter
from territories.models import Territory, TerritoryKind


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
        """The selection without the filters `params`, worked out once: its bitmap
        (`selections.filtered`), else `ids_of` its queryset."""
        if params not in self.ids:
            selection = filtered(self.filterset, without=params)
            if selection is None:
                selection = ids_of(self.without(*params) if params else self.selection)
            self.ids[params] = selection
        return self.ids[params]

    def summary(self):
        """The total and the yes/no facets of the selection."""
        return self.counted("summary", lambda: summary(self.ids_without()))

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
                facet_counts = term_counts(self.ids_without(param))
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
                        self.ids_without(*params), column
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
