"""Open data on the site: downloads of the current search selection, the data
dictionary of the exports and the Table Schema of the CSV."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.ratelimit import EXPORTS
from registry.models import Case, Vocabulary
from registry.opendata import exports, spreadsheet
from registry.opendata.downloads import export_response
from registry.search.filters import CaseFilter, TermIndex
from registry.views.discovery import invalid_filters_response


# One budget with the API's exports (registry.api.throttling.ExportThrottle).
@EXPORTS
def case_export(request, fmt):
    """The search page's selection (same query string) as CSV, JSON, GeoJSON or XLSX."""
    filterset = CaseFilter(request.GET, term_index=TermIndex())
    if not filterset.is_valid():
        return invalid_filters_response(filterset)
    return export_response(filterset, fmt)


def data_dictionary(request):
    index = TermIndex()
    vocabularies = {v.code: v for v in Vocabulary.objects.all()}
    columns = []
    for column in exports.COLUMNS:
        columns.append(
            {
                "column": column,
                "vocabulary": vocabularies.get(column.vocabulary),
                "terms": index.of(column.vocabulary) if column.vocabulary else [],
            }
        )
    context = {
        "columns": columns,
        "partner_columns": spreadsheet.PARTNER_COLUMNS,
        "separator": exports.SEPARATOR.strip(),
        "licence": exports.LICENCE,
        "licence_url": exports.LICENCE_URL,
        "geography_attribution": exports.GEOGRAPHY_ATTRIBUTION,
        "points_attribution": exports.points_attribution(),
        "published": Case.objects.published().count(),
        "breadcrumbs": [(_("Données ouvertes"), None)],
    }
    return render(request, "registry/data_dictionary.html", context)


def csv_table_schema(request):
    return JsonResponse(
        exports.table_schema(), json_dumps_params={"ensure_ascii": False, "indent": 1}
    )
