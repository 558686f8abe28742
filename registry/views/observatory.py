"""The observatory: build your own analysis of any selection of published cases.

The selection is read by `CaseFilter`, as on the search page, from the same
query string: a link carries it from one to the other. Display options of the
observatory (`carte`, `mesure`, `seuil`, the charts' orders `tri_<chart>`) are
not filters and never leave it. The map is drawn in `registry.views.choropleth`,
the charts ordered in `registry.views.chart_order`, the selections named in
`registry.views.selection_names`.
"""

import csv

from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from registry.counting.observatory import (
    CHARTS,
    COMPARED_CHARTS,
    PHARE_FIGURES,
    PHARE_SOURCE,
    Selection,
    comparison,
    coverage,
    geography,
)
from registry.models.vocabulary import TAG_PARAMETERS
from registry.search.filters import TERRITORY_FACETS, CaseFilter, TermIndex
from registry.views.chart_order import (
    FEWEST,
    FEWEST_FIRST,
    MOST,
    NATURAL,
    NATURAL_ORDERS,
    is_order_param,
    order_of,
    order_options,
    order_param,
    orders_in,
    shown_chart,
    sorted_rows,
)
from registry.views.choropleth import choropleth
from registry.views.discovery import (
    _error_messages,
    filter_chips,
    htmx_template,
    invalid_filters_response,
)
from registry.views.querystrings import address, redirect_without_empty, without_empty
from registry.views.selection_names import describe, selection_names
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


def selection_of(request, prefix=None, term_index=None):
    filterset = CaseFilter(request.GET, term_index=term_index or TermIndex(), prefix=prefix)
    filterset.is_valid()
    return Selection(filterset)


def filters_only(query):
    """`query` without the observatory's display options (map, threshold, orders)
    and blank values: the selection alone."""
    query = without_empty(query)
    for key in list(query):
        if key in DISPLAY_PARAMS or is_order_param(key):
            query.pop(key)
    return query


def map_options(request):
    kind = request.GET.get("carte")
    measure = request.GET.get("mesure")
    return (
        kind if kind in MAP_KINDS else "region",
        measure if measure in MEASURES else "nombre",
    )


def with_map_options(query, kind, measure):
    """`query` with the map's options, when they are not the defaults."""
    query = query.copy()
    for name, value, default in (("carte", kind, "region"), ("mesure", measure, "nombre")):
        query.pop(name, None)
        if value != default:
            query[name] = value
    return query


def area_link(request, param):
    """`link(code)`: the current address with the territory filters replaced by
    one area, display options kept."""
    base = without_empty(request.GET)
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
    for param, vocabulary in TAG_PARAMETERS.items():
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
        if value
    ]


# --- The dashboard -------------------------------------------------------------


def observatory(request):
    redirected = redirect_without_empty(request)
    if redirected:
        return redirected
    selection = selection_of(request)
    filterset = selection.filterset
    groups = filter_groups(filterset)
    kind, measure = map_options(request)
    query = filters_only(request.GET)
    charts = {
        name: shown_chart(request, CHARTS[name](selection), query) for name in DASHBOARD_CHARTS
    }
    area_chart = CHARTS["regions" if kind == "region" else "departements"](selection)
    areas = shown_chart(request, area_chart, query, anchor="obs-map-heading")
    selected = selected_area_pks(selection)
    selected_codes = {a.code for a in geography()[MAP_KINDS[kind]] if a.pk in selected}
    drawn = choropleth(
        area_chart, MAP_KINDS[kind], measure, area_link(request, kind), selected_codes
    )
    figures = selection.summary
    kept = filters_only(request.GET)
    for key, value in orders_in(without_empty(request.GET)):
        kept.appendlist(key, value)
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "errors": _error_messages(filterset),
        "chips": filter_chips(request, filterset) if filterset.form.is_valid() else [],
        "groups": groups,
        "hidden_territories": hidden_territories(request, groups),
        "hidden_options": [
            *with_map_options(QueryDict(), kind, measure).items(),
            *orders_in(without_empty(request.GET)),
        ],
        "figures": figures,
        "all_three_share": share(figures["all_three"], figures["total"]),
        "charts": charts,
        "area_chart": area_chart,
        "areas": areas,
        "area_rows": sorted_rows(drawn.areas, areas.order),
        "map": drawn,
        "kind": kind,
        "measure": measure,
        "map_links": {
            **{
                other: address(request.path, with_map_options(kept, other, measure))
                for other in MAP_KINDS
            },
            **{
                other: address(request.path, with_map_options(kept, kind, other))
                for other in MEASURES
            },
        },
        "map_svg_url": address(
            reverse("observatory_map"), with_map_options(query, kind, measure)
        ),
        "query": query.urlencode(),
        "search_url": address(reverse("case_list"), query),
        "compare_url": compare_link(selection, query),
        "coverage_url": address(reverse("observatory_coverage"), query),
        "phare_figures": PHARE_FIGURES,
        "phare_source": PHARE_SOURCE,
        "breadcrumbs": [(_("Observatoire"), None)],
    }
    return render(request, htmx_template(request, "observatory.html", "_obs_zone.html"), context)


def share(part, total):
    return round(100 * part / total, 1) if total else 0.0


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
    return address(reverse("observatory_compare"), compared)


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


# --- Downloads -------------------------------------------------------------------

CSV_COLUMNS = ["code", "label", "count", "share"]


def csv_download(filename):
    """An attached CSV file and its writer: comma-separated, UTF-8 with a
    byte-order mark so that spreadsheets read the accents."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    return response, csv.writer(response, lineterminator="\n")


def observatory_csv(request, chart):
    """The figures of one chart, for the selection of the query string, in the
    order it asks (`tri_<chart>`, as the page shows it).

    Comma-separated, UTF-8 with a byte-order mark so that spreadsheets read the
    accents; shares in percent of the selection's cases, with a point."""
    if chart not in CHARTS:
        raise Http404
    selection = selection_of(request)
    if not selection.filterset.form.is_valid():
        return invalid_filters_response(selection.filterset)
    figures = CHARTS[chart](selection)
    order = order_of(request.GET, chart, [NATURAL, MOST, FEWEST])
    response, writer = csv_download(f"observatoire-{figures.name}.csv")
    columns = CSV_COLUMNS + (["population", "per_100k"] if figures.with_population else [])
    writer.writerow(columns)
    for row in sorted_rows(figures.rows, order):
        line = [row.code, row.label, row.count, "" if row.share is None else f"{row.share:.1f}"]
        if figures.with_population:
            line += [row.population or "", "" if row.rate is None else f"{row.rate:.1f}"]
        writer.writerow(line)
    return response


# --- Coverage ----------------------------------------------------------------------

GRID = "grille"


def coverage_grid(request, selection, regions):
    """The missions × régions grid and its order: the régions by code, or the
    least documented first (`tri_grille=rares`, by their cases as in `regions`)."""
    grid = coverage(selection, DEFAULT_THRESHOLD)
    order = order_of(request.GET, GRID, [NATURAL, FEWEST])
    if order == FEWEST:
        counts = {row.code: row.count for row in regions.rows}
        grid["grid"] = sorted(grid["grid"], key=lambda line: counts.get(line["region"].code, 0))
    return grid, order


def observatory_coverage_csv(request):
    """The missions × régions grid of the coverage page: one row per région, one
    column per active mission of the référentiel (its code), cases in each cell."""
    selection = selection_of(request)
    if not selection.filterset.form.is_valid():
        return invalid_filters_response(selection.filterset)
    grid, _order = coverage_grid(request, selection, CHARTS["regions"](selection))
    response, writer = csv_download("couverture-missions-regions.csv")
    writer.writerow(["code", "label", *(term.code for term in grid["mission_terms"])])
    for line in grid["grid"]:
        writer.writerow([line["region"].code, line["region"].name, *line["cells"]])
    return response


def observatory_coverage(request):
    redirected = redirect_without_empty(request)
    if redirected:
        return redirected
    selection = selection_of(request)
    try:
        threshold = int(request.GET.get("seuil", DEFAULT_THRESHOLD))
    except ValueError:
        threshold = DEFAULT_THRESHOLD
    threshold = min(max(threshold, 1), MAX_THRESHOLD)
    query = filters_only(request.GET)
    area_chart = CHARTS["departements"](selection)

    def least_first(chart, anchor):
        """A table of the page: least documented first, unless asked otherwise."""
        choices = [(FEWEST, FEWEST_FIRST), (NATURAL, NATURAL_ORDERS[chart.name])]
        return shown_chart(request, chart, query, choices=choices, default=FEWEST, anchor=anchor)

    regions = least_first(CHARTS["regions"](selection), "cov-regions")
    grid, grid_order = coverage_grid(request, selection, regions.chart)
    grid_query = query.copy()
    if grid_order != NATURAL:
        grid_query[order_param(GRID)] = grid_order
    context = {
        "filterset": selection.filterset,
        "errors": _error_messages(selection.filterset),
        "chips": describe(selection.filterset),
        "coverage": coverage(selection, threshold),
        "missions": least_first(CHARTS["pratiques"](selection), "cov-missions"),
        "regions": regions,
        "departements": least_first(area_chart, "cov-departements"),
        "grid": grid,
        "grid_orders": order_options(
            request,
            GRID,
            [(NATURAL, NATURAL_ORDERS["regions"]), (FEWEST, FEWEST_FIRST)],
            grid_order,
            anchor="cov-grid",
        ),
        "grid_csv_url": address(reverse("observatory_coverage_csv"), grid_query),
        "map": choropleth(
            area_chart,
            TerritoryKind.DEPARTEMENT,
            "nombre",
            lambda code: f"{reverse('observatory')}{area_link(request, 'departement')(code)}",
        ),
        "query": query.urlencode(),
        "observatory_url": address(reverse("observatory"), query),
        "search_url": address(reverse("case_list"), query),
        "breadcrumbs": [
            (_("Observatoire"), reverse("observatory")),
            (_("Couverture"), None),
        ],
    }
    return render(request, "registry/observatory_coverage.html", context)


# --- Comparison --------------------------------------------------------------------

COMPARE_FIELDS = ["region", "departement", "theme", "practice", "partnership", "form", "actor"]


def compare_side(selection, groups, name):
    """The form of one side: a list for each common filter, hidden fields
    keeping every other parameter of the query string."""
    filterset = selection.filterset
    prefix = filterset.form.prefix
    fields, hidden = [], []
    by_name = {group["name"]: group for group in groups}
    for field_name in COMPARE_FIELDS:
        values = [v for v in filterset.data.getlist(f"{prefix}-{field_name}") if v]
        if len(values) > 1:
            hidden += [(f"{prefix}-{field_name}", value) for value in values]
            continue
        group = by_name[field_name]
        fields.append(
            {
                "name": f"{prefix}-{field_name}",
                "id": f"id_{prefix}_{field_name}",
                "label": group["label"],
                "options": [
                    {**option, "selected": option["code"] in values} for option in group["options"]
                ],
            }
        )
    for key in filterset.data:
        field_name = key.removeprefix(f"{prefix}-")
        if key.startswith(f"{prefix}-") and field_name not in COMPARE_FIELDS:
            hidden += [(key, value) for value in filterset.data.getlist(key) if value]
    selected = unprefixed(filterset.data, prefix)
    return {
        "prefix": prefix,
        "name": name,
        "selection": selection,
        "description": describe(filterset),
        "errors": _error_messages(filterset),
        "fields": fields,
        "hidden": hidden,
        "search_url": address(reverse("case_list"), selected),
        "observatory_url": address(reverse("observatory"), selected),
    }


def unprefixed(data, prefix):
    """One side's filters under their own names, blank values left out."""
    query = QueryDict(mutable=True)
    for key in data:
        values = [value for value in data.getlist(key) if value]
        if key.startswith(f"{prefix}-") and values:
            query.setlist(key.removeprefix(f"{prefix}-"), values)
    return query


def compared_selections(request):
    index = TermIndex()
    return (
        index,
        selection_of(request, prefix="a", term_index=index),
        selection_of(request, prefix="b", term_index=index),
    )


# The orders of a compared chart: the référentiel's, most frequent first in A
# or in B, or the widest gap first.
BY_A, BY_B, BY_GAP = "a", "b", "ecart"
COMPARED_VALUES = {
    BY_A: lambda row: row.a.count,
    BY_B: lambda row: row.b.count,
    BY_GAP: lambda row: None if row.gap is None else abs(row.gap),
}


def compared_sections(request, side_a, side_b, names, charts=COMPARED_CHARTS):
    """The compared charts in the order each one asks, their bars on one scale
    for both selections, the links to their other orders and their downloads."""
    name_a, name_b = names
    choices = [
        (BY_A, _("Du plus fréquent au moins fréquent (%(name)s)") % {"name": name_a}),
        (BY_B, _("Du plus fréquent au moins fréquent (%(name)s)") % {"name": name_b}),
        (BY_GAP, _("Du plus grand écart au plus petit")),
    ]
    query = without_empty(request.GET)
    for key in list(query):
        if is_order_param(key):
            query.pop(key)
    sections = comparison(side_a, side_b, charts)
    for section in sections:
        name = section["name"]
        section_choices = [(NATURAL, NATURAL_ORDERS[name]), *choices]
        order = order_of(request.GET, name, [value for value, label in section_choices])
        if order != NATURAL:
            section["rows"] = sorted_rows(section["rows"], MOST, COMPARED_VALUES[order])
        # One scale for both selections: the longest bar is the largest share.
        peak = max(
            (row.share or 0 for line in section["rows"] for row in (line.a, line.b)), default=0
        )
        for line in section["rows"]:
            for row in (line.a, line.b):
                row.bar = round(100 * (row.share or 0) / peak, 1) if peak else 0.0
        section["order"] = order
        section["orders"] = order_options(
            request, name, section_choices, order, anchor=f"cmp-{name}"
        )
        csv_query = query.copy()
        if order != NATURAL:
            csv_query[order_param(name)] = order
        section["csv_url"] = address(reverse("observatory_compare_csv", args=[name]), csv_query)
    return sections


def observatory_compare_csv(request, chart):
    """One section of the comparison, both selections side by side, in the order
    the page shows it: counts, shares of each selection's cases (percent) and
    their gap (points, B − A), under headers that name the selections."""
    if chart not in COMPARED_CHARTS:
        raise Http404
    _index, side_a, side_b = compared_selections(request)
    for side in (side_a, side_b):
        if not side.filterset.form.is_valid():
            return invalid_filters_response(side.filterset)
    name_a, name_b = selection_names(side_a, side_b)
    section = compared_sections(request, side_a, side_b, (name_a, name_b), [chart])[0]
    filename = "-".join(["comparaison", chart, slugify(name_a)[:40], slugify(name_b)[:40]])
    response, writer = csv_download(f"{filename}.csv")
    writer.writerow(
        [
            _("code"),
            _("libellé"),
            _("%(name)s : nombre") % {"name": name_a},
            _("%(name)s : part en %%") % {"name": name_a},
            _("%(name)s : nombre") % {"name": name_b},
            _("%(name)s : part en %%") % {"name": name_b},
            _("écart en points : %(b)s − %(a)s") % {"a": name_a, "b": name_b},
        ]
    )

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
    redirected = redirect_without_empty(request)
    if redirected:
        return redirected
    index, side_a, side_b = compared_selections(request)
    groups = filter_groups(CaseFilter(QueryDict(), term_index=index))
    names = selection_names(side_a, side_b)
    context = {
        "names": names,
        "sides": [compare_side(side_a, groups, names[0]), compare_side(side_b, groups, names[1])],
        "sections": compared_sections(request, side_a, side_b, names),
        "hidden_options": orders_in(without_empty(request.GET)),
        "breadcrumbs": [
            (_("Observatoire"), reverse("observatory")),
            (_("Comparer"), None),
        ],
    }
    return render(request, "registry/observatory_compare.html", context)
