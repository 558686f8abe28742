"""The observatory: build your own analysis of any selection of published cases.

The selection is read by `CaseFilter`, as on the search page, from the same
query string: a link carries it from one to the other. Display options of the
observatory (`carte`, `mesure`, `seuil`) are not filters and never leave it.
"""

import csv
import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from registry.filters import TERM_FACETS, TERRITORY_FACETS, CaseFilter, TermIndex
from registry.observatory import (
    CHARTS,
    COMPARED_CHARTS,
    PHARE_FIGURES,
    PHARE_SOURCE,
    Row,
    Selection,
    comparison,
    coverage,
    geography,
)
from registry.views.discovery import (
    _error_messages,
    display_value,
    filter_chips,
    htmx_template,
    invalid_filters_response,
)
from territories.models import Territory, TerritoryKind

MAP_KINDS = {"region": TerritoryKind.REGION, "departement": TerritoryKind.DEPARTEMENT}
MEASURES = ("nombre", "habitants")
DISPLAY_PARAMS = ("carte", "mesure", "seuil", "page")
DASHBOARD_CHARTS = [
    "themes",
    "pratiques",
    "partenariats",
    "formes",
    "etapes",
    "annees",
    "familles",
    "combinaisons",
    "paires",
]
DEFAULT_THRESHOLD = 3
MAX_THRESHOLD = 1000
MAP_DIR = Path(__file__).resolve().parents[1] / "data"


# --- The map: a choropleth of an area chart -----------------------------------

PALETTE = ["#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"]  # ColorBrewer YlGnBu
CLASSES = len(PALETTE)


@cache
def outlines(kind):
    """The derived outlines (see registry/data/MAP-README.md)."""
    name = "regions" if kind == TerritoryKind.REGION else "departements"
    return json.loads((MAP_DIR / f"map-{name}.json").read_text(encoding="utf-8"))


def class_breaks(values, classes=CLASSES):
    """Upper bounds of up to `classes` classes of the positive values (quantiles),
    so that each colour holds about as many areas."""
    positive = sorted(v for v in values if v)
    bounds = []
    for k in range(1, classes + 1):
        bound = positive[math.ceil(k * len(positive) / classes) - 1] if positive else None
        if bound is not None and (not bounds or bound > bounds[-1]):
            bounds.append(bound)
    return bounds


@dataclass
class LegendClass:
    colour: str
    low: float
    high: float


@dataclass
class MapArea:
    code: str
    name: str
    d: str
    count: int
    rate: float | None
    colour: str | None  # None: no case, drawn hatched
    measure: str = "nombre"
    url: str = ""
    selected: bool = False

    @property
    def label(self):
        """Its name and value, read out for the link and shown as its tooltip."""
        values = {"name": self.name, "count": self.count}
        if self.measure != "habitants":
            return (
                ngettext(
                    "%(name)s : %(count)d expérience",
                    "%(name)s : %(count)d expériences",
                    self.count,
                )
                % values
            )
        if self.rate is None:
            return _("%(name)s : population inconnue") % values
        values["rate"] = number_format(self.rate, 1)
        return (
            ngettext(
                "%(name)s : %(rate)s pour 100 000 habitants (%(count)d expérience)",
                "%(name)s : %(rate)s pour 100 000 habitants (%(count)d expériences)",
                self.count,
            )
            % values
        )


@dataclass
class Choropleth:
    kind: str
    measure: str
    width: int
    height: int
    areas: list
    legend: list
    insets: list
    zoom: dict | None
    attribution: str
    zoom_areas: list = field(default_factory=list)

    @property
    def drawn(self):
        """The areas in drawing order: the selected ones last, their outline on top."""
        return sorted(self.areas, key=lambda area: area.selected)


def choropleth(chart, kind, measure, link, selected_codes=()):
    """The map of `chart` (an area chart): each area's path, value, colour and
    link (`link(code)`), with the legend's classes."""
    data = outlines(kind)
    rows = {row.code: row for row in chart.rows}
    values = {
        code: (row.rate if measure == "habitants" else row.count) for code, row in rows.items()
    }
    bounds = class_breaks(values.values())
    colours = spread(PALETTE, len(bounds))
    # Classes read « from … to … »: counts start at the next whole number, rates
    # at the bound of the class below.
    legend = []
    low = 0 if measure == "habitants" else 1
    for bound, colour in zip(bounds, colours, strict=True):
        legend.append(LegendClass(colour, low, bound))
        low = bound if measure == "habitants" else bound + 1

    def area(outline):
        code = outline["code"]
        row = rows.get(code) or Row(code, outline["name"], 0)
        value = values.get(code)
        colour = next(
            (c for b, c in zip(bounds, colours, strict=True) if value and value <= b), None
        )
        return MapArea(
            code,
            row.label,
            outline["d"],
            row.count,
            row.rate,
            colour,
            measure,
            url=link(code),
            selected=code in selected_codes,
        )

    zoom = data.get("zoom")
    return Choropleth(
        kind=kind,
        measure=measure,
        width=data["width"],
        height=data["height"],
        areas=[area(outline) for outline in data["areas"]],
        legend=legend,
        insets=data["insets"],
        zoom=zoom,
        attribution=data["attribution"],
        zoom_areas=[area(outline) for outline in zoom["areas"]] if zoom else [],
    )


def spread(palette, n):
    """`n` colours of `palette`, from its lightest to its darkest."""
    if n == 1:
        return palette[-1:]
    return [palette[round(i * (len(palette) - 1) / (n - 1))] for i in range(n)]


def selection_of(request, prefix=None, term_index=None):
    filterset = CaseFilter(request.GET, term_index=term_index or TermIndex(), prefix=prefix)
    filterset.is_valid()
    return Selection(filterset)


def filters_only(query):
    """`query` without the observatory's display options: the selection alone."""
    query = query.copy()
    for param in DISPLAY_PARAMS:
        query.pop(param, None)
    return query


def map_options(request):
    kind = request.GET.get("carte")
    measure = request.GET.get("mesure")
    return (
        kind if kind in MAP_KINDS else "region",
        measure if measure in MEASURES else "nombre",
    )


def area_link(request, param):
    """`link(code)`: the current address with the territory filters replaced by
    one area, display options kept."""
    base = request.GET.copy()
    for name in TERRITORY_FACETS:
        base.pop(name, None)

    def link(code):
        query = base.copy()
        query[param] = code
        return "?" + query.urlencode()

    return link


def selected_area_pks(selection):
    """Régions and départements at, above or below the territories selected:
    read from the territories themselves, but for an EPCI, which may straddle
    départements and régions."""
    geo = geography()
    pks, epcis = set(), []
    for chosen in selection.selected_territories:
        if chosen.kind == TerritoryKind.EPCI:
            epcis.append(chosen)
            continue
        pks.update(pk for pk in (chosen.region_id, chosen.departement_id) if pk)
        if chosen.kind in MAP_KINDS.values():
            pks.add(chosen.pk)
        if chosen.kind == TerritoryKind.REGION:
            pks.update(a.pk for a in geo[TerritoryKind.DEPARTEMENT] if a.region_pk == chosen.pk)
    if epcis:
        pks.update(
            Territory.objects.containing_any(epcis)
            .filter(kind__in=list(MAP_KINDS.values()))
            .values_list("pk", flat=True)
        )
    return pks


def filter_groups(filterset):
    """Option lists of the observatory's selection panel (no counts: the charts
    are the counts)."""
    data = filterset.data
    index = filterset.term_index
    geo = geography()
    groups = []

    def group(param, options):
        chosen = set(data.getlist(param))
        groups.append(
            {
                "name": param,
                "label": CaseFilter.base_filters[param].label,
                "options": [
                    {"code": code, "label": label, "level": level, "selected": code in chosen}
                    for code, label, level in options
                ],
                "active": bool(chosen),
            }
        )

    group("region", [(a.code, a.name, 0) for a in sorted(geo["region"], key=lambda a: a.name)])
    group("departement", [(a.code, f"{a.code} — {a.name}", 0) for a in geo["departement"]])
    # Below the département, the levels open as one drills down: the EPCIs of the
    # départements chosen, then the communes of the EPCIs chosen.
    cleaned = filterset.form.cleaned_data if filterset.form.is_valid() else {}
    for param, above in (("epci", "departement"), ("commune", "epci")):
        chosen_above = cleaned.get(above) or []
        if chosen_above:
            inside = (
                Territory.objects.filter(
                    kind=TERRITORY_FACETS[param], ancestor_links__ancestor__in=chosen_above
                )
                .distinct()
                .order_by("name_key")
            )
            group(param, [(t.code, t.name, 0) for t in inside])
    for param, vocabulary in TERM_FACETS.items():
        terms = [t for t in index.of(vocabulary) if t.is_active]
        group(param, [(t.code, t.label, 1 if t.parent_id else 0) for t in terms])
    group("actor", [(t.code, t.label, 0) for t in index.of("actor_type") if not t.parent_id])
    group("phase", [(t.code, t.label, 0) for t in index.of("phase")])
    group("scale", [(t.code, t.label, 0) for t in index.of("scale")])
    return groups


def hidden_territories(request, groups):
    """EPCIs and communes chosen elsewhere (a link from the search page) whose
    list the panel does not show: kept as they are."""
    shown = {group["name"] for group in groups}
    return [
        (param, value)
        for param in ("epci", "commune")
        if param not in shown
        for value in request.GET.getlist(param)
    ]


def observatory(request):
    selection = selection_of(request)
    filterset = selection.filterset
    groups = filter_groups(filterset)
    kind, measure = map_options(request)
    charts = {name: CHARTS[name](selection) for name in DASHBOARD_CHARTS}
    area_chart = CHARTS["regions" if kind == "region" else "departements"](selection)
    selected = selected_area_pks(selection)
    selected_codes = {a.code for a in geography()[MAP_KINDS[kind]] if a.pk in selected}
    query = filters_only(request.GET)
    figures = selection.summary
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "errors": _error_messages(filterset),
        "chips": filter_chips(request, filterset) if filterset.form.is_valid() else [],
        "groups": groups,
        "hidden_territories": hidden_territories(request, groups),
        "figures": figures,
        "all_three_share": share(figures["all_three"], figures["total"]),
        "charts": charts,
        "area_chart": area_chart,
        "map": choropleth(
            area_chart, MAP_KINDS[kind], measure, area_link(request, kind), selected_codes
        ),
        "kind": kind,
        "measure": measure,
        "query": query.urlencode(),
        "search_url": f"{reverse('case_list')}?{query.urlencode()}",
        "compare_url": compare_link(selection, query),
        "coverage_url": f"{reverse('observatory_coverage')}?{query.urlencode()}",
        "phare_figures": PHARE_FIGURES,
        "phare_source": PHARE_SOURCE,
        "breadcrumbs": [(_("Observatoire"), None)],
    }
    return render(request, htmx_template(request, "observatory.html", "_obs_zone.html"), context)


def share(part, total):
    return round(100 * part / total) if total else 0


def compare_link(selection, query):
    """The comparison of this selection (A) with the same one in its région when
    one département is selected, else with the whole registry (B)."""
    compared = QueryDict(mutable=True)
    for key in query:
        compared.setlist(f"a-{key}", query.getlist(key))
    chosen = selection.selected_territories
    if len(chosen) == 1 and chosen[0].kind == TerritoryKind.DEPARTEMENT and chosen[0].region_id:
        region = next(a for a in geography()[TerritoryKind.REGION] if a.pk == chosen[0].region_id)
        for key in query:
            if key not in TERRITORY_FACETS:
                compared.setlist(f"b-{key}", query.getlist(key))
        compared["b-region"] = region.code
    return f"{reverse('observatory_compare')}?{compared.urlencode()}"


def observatory_map(request):
    """The map alone, as an SVG file (same selection and options as the page)."""
    selection = selection_of(request)
    if not selection.filterset.form.is_valid():
        return invalid_filters_response(selection.filterset)
    kind, measure = map_options(request)
    area_chart = CHARTS["regions" if kind == "region" else "departements"](selection)
    observatory_url = reverse("observatory")
    link = area_link(request, kind)
    context = {
        "map": choropleth(
            area_chart,
            MAP_KINDS[kind],
            measure,
            lambda code: request.build_absolute_uri(observatory_url + link(code)),
        ),
        "standalone": True,
        "figures": selection.summary,
    }
    return render(request, "registry/_obs_map_svg.html", context, content_type="image/svg+xml")


CSV_COLUMNS = ["code", "label", "count", "share"]


def csv_download(filename):
    """An attached CSV file and its writer: comma-separated, UTF-8 with a
    byte-order mark so that spreadsheets read the accents."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    return response, csv.writer(response, lineterminator="\n")


def observatory_csv(request, chart):
    """The figures of one chart, for the selection of the query string.

    Comma-separated, UTF-8 with a byte-order mark so that spreadsheets read the
    accents; shares in percent of the selection's cases, with a point."""
    if chart not in CHARTS:
        raise Http404
    selection = selection_of(request)
    if not selection.filterset.form.is_valid():
        return invalid_filters_response(selection.filterset)
    figures = CHARTS[chart](selection)
    response, writer = csv_download(f"observatoire-{figures.name}.csv")
    columns = CSV_COLUMNS + (["population", "per_100k"] if figures.with_population else [])
    writer.writerow(columns)
    for row in figures.rows:
        line = [row.code, row.label, row.count, "" if row.share is None else f"{row.share:.1f}"]
        if figures.with_population:
            line += [row.population or "", "" if row.rate is None else f"{row.rate:.1f}"]
        writer.writerow(line)
    return response


def observatory_coverage_csv(request):
    """The missions × régions grid of the coverage page: one row per région, one
    column per active mission of the référentiel (its code), cases in each cell."""
    selection = selection_of(request)
    if not selection.filterset.form.is_valid():
        return invalid_filters_response(selection.filterset)
    grid = coverage(selection, DEFAULT_THRESHOLD)
    response, writer = csv_download("couverture-missions-regions.csv")
    writer.writerow(["code", "label", *(term.code for term in grid["mission_terms"])])
    for line in grid["grid"]:
        writer.writerow([line["region"].code, line["region"].name, *line["cells"]])
    return response


def observatory_coverage(request):
    selection = selection_of(request)
    try:
        threshold = int(request.GET.get("seuil", DEFAULT_THRESHOLD))
    except ValueError:
        threshold = DEFAULT_THRESHOLD
    threshold = min(max(threshold, 1), MAX_THRESHOLD)
    query = filters_only(request.GET)
    area_chart = CHARTS["departements"](selection)
    context = {
        "filterset": selection.filterset,
        "errors": _error_messages(selection.filterset),
        "chips": describe(selection.filterset),
        "coverage": coverage(selection, threshold),
        "map": choropleth(
            area_chart,
            TerritoryKind.DEPARTEMENT,
            "nombre",
            lambda code: f"{reverse('observatory')}{area_link(request, 'departement')(code)}",
        ),
        "query": query.urlencode(),
        "observatory_url": f"{reverse('observatory')}?{query.urlencode()}",
        "search_url": f"{reverse('case_list')}?{query.urlencode()}",
        "breadcrumbs": [
            (_("Observatoire"), reverse("observatory")),
            (_("Couverture"), None),
        ],
    }
    return render(request, "registry/observatory_coverage.html", context)


COMPARE_FIELDS = ["region", "departement", "theme", "practice", "partnership", "form", "actor"]


def describe(filterset):
    """The selection's filters as sentences (« Région : Bretagne »)."""
    lines = []
    for name, value in filterset.active_filters():
        label = filterset.form.fields[name].label
        for item in value if isinstance(value, list) else [value]:
            text = getattr(item, "label", None) or display_value(filterset.form.fields[name], item)
            lines.append(_("%(filter)s : %(value)s") % {"filter": label, "value": text})
    return lines


def compare_side(selection, groups):
    """The form of one side: a list for each common filter, hidden fields
    keeping every other parameter of the query string."""
    filterset = selection.filterset
    prefix = filterset.form.prefix
    fields, hidden = [], []
    by_name = {group["name"]: group for group in groups}
    for name in COMPARE_FIELDS:
        values = filterset.data.getlist(f"{prefix}-{name}")
        if len(values) > 1:
            hidden += [(f"{prefix}-{name}", value) for value in values]
            continue
        group = by_name[name]
        fields.append(
            {
                "name": f"{prefix}-{name}",
                "id": f"id_{prefix}_{name}",
                "label": group["label"],
                "options": [
                    {**option, "selected": option["code"] in values} for option in group["options"]
                ],
            }
        )
    for key in filterset.data:
        name = key.removeprefix(f"{prefix}-")
        if key.startswith(f"{prefix}-") and name not in COMPARE_FIELDS:
            hidden += [(key, value) for value in filterset.data.getlist(key)]
    return {
        "prefix": prefix,
        "selection": selection,
        "description": describe(filterset),
        "errors": _error_messages(filterset),
        "fields": fields,
        "hidden": hidden,
        "search_url": f"{reverse('case_list')}?{unprefixed(filterset.data, prefix).urlencode()}",
        "observatory_url": f"{reverse('observatory')}?"
        f"{unprefixed(filterset.data, prefix).urlencode()}",
    }


def unprefixed(data, prefix):
    query = QueryDict(mutable=True)
    for key in data:
        if key.startswith(f"{prefix}-"):
            query.setlist(key.removeprefix(f"{prefix}-"), data.getlist(key))
    return query


def compared_selections(request):
    index = TermIndex()
    return (
        index,
        selection_of(request, prefix="a", term_index=index),
        selection_of(request, prefix="b", term_index=index),
    )


COMPARE_CSV_COLUMNS = ["code", "label", "count_a", "share_a", "count_b", "share_b", "gap"]


def observatory_compare_csv(request, chart):
    """One section of the comparison, both selections side by side: counts,
    shares of each selection's cases (percent) and their gap (points, B − A)."""
    if chart not in COMPARED_CHARTS:
        raise Http404
    _index, side_a, side_b = compared_selections(request)
    for side in (side_a, side_b):
        if not side.filterset.form.is_valid():
            return invalid_filters_response(side.filterset)
    section = next(s for s in comparison(side_a, side_b, [chart]))
    response, writer = csv_download(f"comparaison-{chart}.csv")
    writer.writerow(COMPARE_CSV_COLUMNS)

    def percent(value):
        return "" if value is None else f"{value:.1f}"

    for row in section["rows"]:
        writer.writerow(
            [
                row.code,
                row.label,
                row.a.count,
                percent(row.a.share),
                row.b.count,
                percent(row.b.share),
                percent(row.gap),
            ]
        )
    return response


def observatory_compare(request):
    index, side_a, side_b = compared_selections(request)
    groups = filter_groups(CaseFilter(QueryDict(), term_index=index))
    context = {
        "sides": [compare_side(side_a, groups), compare_side(side_b, groups)],
        "sections": comparison(side_a, side_b),
        "query": request.GET.urlencode(),
        "breadcrumbs": [
            (_("Observatoire"), reverse("observatory")),
            (_("Comparer"), None),
        ],
    }
    return render(request, "registry/observatory_compare.html", context)
