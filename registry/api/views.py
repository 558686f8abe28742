"""The read API: published cases with the search page's filters, organisations,
territories, vocabularies, themes and exports.

Same rules as the site, from the same code: `CaseFilter` selects the cases,
`Case.objects.visible_to` decides who sees what (an unpublished case is a 404
for all but its owner and staff), `registry.opendata.exports` writes the downloads.
"""

import re

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Prefetch, Q
from django.http import QueryDict
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.metadata import SimpleMetadata
from rest_framework.response import Response

from registry.api import serializers as s
from registry.api.negotiation import Pagination
from registry.api.schema import (
    ANY_TERRITORY_CODE,
    LANGUAGES,
    PAGE_PARAMETERS,
    ApiSchema,
    fields_parameter,
    organization_filter_parameters,
    responses,
)
from registry.api.throttling import ExportThrottle
from registry.counting.engine import SMALL_SELECTION
from registry.counting.selections import filtered
from registry.models import (
    Action,
    Case,
    CasePartner,
    CaseStatus,
    CaseTerritory,
    Organization,
    Term,
    TransitionNotAllowed,
    Vocabulary,
)
from registry.models.access import case_for
from registry.notifications import notify_decision_on_commit
from registry.opendata import spreadsheet
from registry.opendata.downloads import export_response
from registry.search.filters import CaseFilter, OrganizationFilter, TermIndex
from registry.text.guard import forbidden_character_message, has_forbidden_characters
from territories.models import CODE_PATTERNS, Territory, TerritoryKind

SLUG = {"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$", "maxLength": 220}


def request_language(request):
    """`?lang=`, else Django's choice (Accept-Language, its first supported
    language, else French), and the error of an unknown `?lang=`.

    LocaleMiddleware cannot do it here: outside `i18n_patterns` it keeps the
    default language for every unprefixed URL."""
    asked = request.query_params.get("lang")
    if asked is None:
        return translation.get_language_from_request(request), None
    if asked in LANGUAGES:
        return asked, None
    return settings.LANGUAGE_CODE, _("Langue inconnue : choisissez fr ou en.")


def requested_fields(request, serializer_class):
    """The names in `?fields=`, checked against the serializer (None: every field,
    also when the parameter names none)."""
    value = request.query_params.get("fields")
    names = [name.strip() for name in (value or "").split(",") if name.strip()]
    if not names:
        return None
    known = list(serializer_class().fields)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValidationError(
            {
                "fields": [
                    _("Champs inconnus : %(unknown)s. Champs possibles : %(known)s.")
                    % {"unknown": ", ".join(unknown) or "—", "known": ", ".join(known)}
                ]
            }
        )
    return names


def form_errors(form):
    return {
        name: [e["message"] for e in errors] for name, errors in form.errors.get_json_data().items()
    }


# Long texts and search documents: a list shows none of them.
LIST_DEFERRED = (
    "description",
    "context",
    "actions",
    "results",
    "lessons",
    "contact_email",
    "search_names",
    "search_text",
    "search_vector",
)


def case_filterset(request, term_index=None):
    """The search page's FilterSet over the request's parameters, valid (else a 400)."""
    filterset = CaseFilter(request.query_params, term_index=term_index or TermIndex())
    if not filterset.is_valid():
        raise ValidationError(form_errors(filterset.form))
    return filterset


def ordered_ids(selection):
    """The ids of a selection, in its order, read in one go."""
    try:
        sql, params = selection.values_list("pk").query.sql_with_params()
    except EmptyResultSet:  # a selection that cannot hold any case (`qs.none()`)
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


class CasePages:
    """A case selection as Django's Paginator reads it: the ordered ids first, in
    one query that also gives the count when the selection is small, then the
    rows of the page asked for, with their related rows, by id. Counting and
    paging a filtered selection then evaluates its filters once, not twice."""

    def __init__(self, selection, term_index, *, size=None):
        """`size`: how many cases the selection holds, when the counting bitmaps
        know it. A large selection is then neither counted in SQL nor read
        `SMALL_SELECTION` ids ahead: only the page asked for is read (at
        1 000 000 cases, 0.35 s of a région and theme's first page)."""
        self.selection = selection
        self.terms = {term.pk: term for term in term_index.terms}
        self.size = size
        if size is not None and size > SMALL_SELECTION:
            self.ids, self.complete = [], False
        else:
            self.ids = ordered_ids(selection[: SMALL_SELECTION + 1])
            self.complete = len(self.ids) <= SMALL_SELECTION

    def count(self):
        if self.complete:
            return len(self.ids)
        return self.size if self.size is not None else self.selection.order_by().count()

    def __len__(self):
        return self.count()

    def __getitem__(self, window):
        if self.complete or (window.stop or 0) <= len(self.ids):
            ids = self.ids[window]
        else:
            ids = ordered_ids(self.selection[window])
        return self.cases(ids)

    def cases(self, ids):
        """The cases of a page with what a list shows. Their terms come from the
        request's term index, not from new rows per case."""
        found = (
            Case.objects.defer(*LIST_DEFERRED)
            .prefetch_related(
                Prefetch(
                    "case_territories",
                    queryset=CaseTerritory.objects.select_related(
                        "territory", "territory__departement"
                    ).order_by("id"),
                )
            )
            .in_bulk(ids)
        )
        tags = {pk: [] for pk in found}
        links = Case.terms.through.objects.filter(case_id__in=list(found)).order_by("term_id")
        for case_id, term_id in links.values_list("case_id", "term_id"):
            tags[case_id].append(self.terms[term_id])
        cases = []
        for pk in ids:
            if pk in found:
                case = found[pk]
                case.listed_terms = tags[pk]
                case.phase = self.terms.get(case.phase_id)
                case.scale = self.terms.get(case.scale_id)
                cases.append(case)
        return cases


def without_empty_values(query):
    """`query` (a QueryDict) without its empty values: `?theme=` is no filter, as
    the search page's form reads it (and as the schema says, `allowEmptyValue`)."""
    if all(value for _name, values in query.lists() for value in values):
        return query
    kept = QueryDict(mutable=True, encoding=query.encoding)
    for name, values in query.lists():
        for value in values:
            if value:
                kept.appendlist(name, value)
    kept._mutable = False
    return kept


def reject_forbidden_characters(query):
    """A parameter holding a control character (NUL: no PostgreSQL column takes it) is
    a 400 naming it: the API refuses what the site's pages strip (registry.text.guard)."""
    errors = {}
    for name, values in query.lists():
        for text in [name, *values]:
            if has_forbidden_characters(text):
                errors[name] = [forbidden_character_message(text)]
                break
    if errors:
        raise ValidationError(errors)


def path_key(value, message):
    """A slug or a code from the URL, or a 404 when it cannot be one."""
    if has_forbidden_characters(value) or len(value) > 255:
        raise NotFound(message)
    return value


def parse_pk(value):
    # ASCII digits only: "²" is a digit to str.isdigit, not to int().
    if not re.fullmatch(r"[0-9]{1,18}", value):
        raise NotFound(_("Aucune expérience ne porte l'identifiant « %(id)s ».") % {"id": value})
    return int(value)


def case_detail_queryset(queryset):
    return queryset.select_related("phase", "scale").prefetch_related(
        Prefetch(
            "case_territories",
            queryset=CaseTerritory.objects.select_related(
                "territory", "territory__departement"
            ).order_by("id"),
        ),
        Prefetch("terms", queryset=Term.objects.select_related("vocabulary", "parent")),
        Prefetch(
            "roster",
            queryset=CasePartner.objects.select_related(
                "organization", "organization__actor_type", "role"
            ),
        ),
        Prefetch("pioneer_criteria", queryset=Term.objects.select_related("vocabulary")),
        "sources",
    )


class EndpointMetadata(SimpleMetadata):
    """OPTIONS: the endpoint's name, description and media types, with its methods
    in the Allow header. Bodies are described by the OpenAPI schema: DRF's own
    description of them needs a `serializer_class`, which these views, writing
    through several serializers, do not declare (it asserted, a 500)."""

    def determine_actions(self, request, view):
        return {}


class ApiView(GenericAPIView):
    """Base of every endpoint: the language of the request, paginated lists."""

    schema = ApiSchema()
    metadata_class = EndpointMetadata
    pagination_class = Pagination
    with_case_filters = False

    def initial(self, request, *args, **kwargs):
        request._request.GET = without_empty_values(request._request.GET)
        language, error = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        super().initial(request, *args, **kwargs)
        if error:
            raise ValidationError({"lang": [error]})
        reject_forbidden_characters(request.query_params)

    def paginated(self, queryset, serializer_class, **kwargs):
        page = self.paginate_queryset(queryset)
        serializer = serializer_class(
            page, many=True, context=self.get_serializer_context(), **kwargs
        )
        return self.get_paginated_response(serializer.data)


# ---- Cases ------------------------------------------------------------------------


class CaseList(ApiView):
    queryset = Case.objects.none()  # for the schema: the views build their own
    with_case_filters = True

    @extend_schema(
        operation_id="cases_list",
        summary="Published cases, with the search page's filters",
        description=(
            "Every filter of the search page (/experiences/), with the same names and "
            "meaning; several values of one filter mean any of them, different filters "
            "all of them. An unknown code or a malformed value is a 400."
        ),
        parameters=[*PAGE_PARAMETERS, fields_parameter(s.CaseListSerializer)],
        responses=responses(s.CaseListSerializer(many=True), 400, 404),
        tags=["cases"],
    )
    def get(self, request):
        fields = requested_fields(request, s.CaseListSerializer)
        filterset_index = TermIndex()
        filterset = case_filterset(request, filterset_index)
        counted = filtered(filterset)
        size = len(counted) if counted is not None else None
        pages = CasePages(filterset.qs, filterset_index, size=size)
        return self.paginated(pages, s.CaseListSerializer, fields=fields)


class CaseDetailBase(ApiView):
    pagination_class = None
    queryset = Case.objects.none()  # for the schema: the views build their own

    def respond(self, request, **lookup):
        queryset = case_detail_queryset(Case.objects.visible_to(request.user))
        fields = requested_fields(request, s.CaseDetailSerializer)
        case = queryset.filter(**lookup).first()
        if case is None:
            raise NotFound(_("Aucune expérience visible ne correspond."))
        serializer = s.CaseDetailSerializer(
            case, context=self.get_serializer_context(), fields=fields
        )
        return Response(serializer.data)


class CaseDetail(CaseDetailBase):
    @extend_schema(
        operation_id="cases_retrieve",
        summary="A case by id",
        description="Published cases for everyone; its owner and staff also see it unpublished.",
        parameters=[
            OpenApiParameter("id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH),
            fields_parameter(s.CaseDetailSerializer),
        ],
        responses=responses(s.CaseDetailSerializer, 400, 404),
        tags=["cases"],
    )
    def get(self, request, pk):
        return self.respond(request, pk=parse_pk(pk))


class CaseBySlug(CaseDetailBase):
    @extend_schema(
        operation_id="cases_retrieve_by_slug",
        summary="A case by its slug (the end of its page's address)",
        parameters=[
            OpenApiParameter("slug", SLUG, OpenApiParameter.PATH),
            fields_parameter(s.CaseDetailSerializer),
        ],
        responses=responses(s.CaseDetailSerializer, 400, 404),
        tags=["cases"],
    )
    def get(self, request, slug):
        return self.respond(
            request, slug=path_key(slug, _("Aucune expérience visible ne correspond."))
        )


class CasePublish(ApiView):
    pagination_class = None
    queryset = Case.objects.none()  # for the schema: the views build their own
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        operation_id="cases_publish",
        summary="Publish a submitted case (staff only)",
        request=None,
        parameters=[
            OpenApiParameter("id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH)
        ],
        responses=responses(s.CaseDetailSerializer, 400, 403, 404),
        tags=["moderation"],
    )
    def post(self, request, pk):
        case = case_for(request.user, parse_pk(pk))
        try:
            case.publish(by=request.user)
        except TransitionNotAllowed as error:
            raise ValidationError({"detail": error.messages}) from None
        notify_decision_on_commit(case, Action.PUBLISH)
        case = case_detail_queryset(Case.objects.all()).get(pk=case.pk)
        return Response(s.CaseDetailSerializer(case, context=self.get_serializer_context()).data)


class CaseExport(ApiView):
    pagination_class = None
    queryset = Case.objects.none()  # for the schema: the views build their own
    """A download of the selected published cases (same filters as the list)."""

    with_case_filters = True
    throttle_classes = [*ApiView.throttle_classes, ExportThrottle]
    format = "csv"

    def get(self, request):
        return export_response(case_filterset(request), self.format)


EXPORT_METADATA = {
    "licence": {"type": "string"},
    "licence_url": {"type": "string", "format": "uri"},
    "attribution": {"type": "object", "additionalProperties": {"type": "string"}},
    "language": {"type": "string", "enum": list(LANGUAGES)},
    "generated_at": {"type": "string", "format": "date-time"},
}
EXPORT_SCHEMAS = {
    "csv": {"type": "string"},
    "json": {
        "type": "object",
        "properties": {
            **EXPORT_METADATA,
            "cases": {
                "type": "array",
                "items": {"type": "object", "description": "A case, codes and labels."},
            },
        },
        "required": ["licence", "cases"],
    },
    "geojson": {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            **EXPORT_METADATA,
            "features": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string", "enum": ["Feature"]},
                        "id": {"type": "integer"},
                        "geometry": {
                            "type": "object",
                            "nullable": True,
                            "properties": {
                                "type": {"type": "string", "enum": ["Point"]},
                                "coordinates": {
                                    "type": "array",
                                    "items": {"type": "number"},
                                    "minItems": 2,
                                    "maxItems": 2,
                                },
                            },
                        },
                        "properties": {"type": "object"},
                    },
                    "required": ["type", "geometry", "properties"],
                },
            },
        },
        "required": ["type", "features"],
    },
    "xlsx": {"type": "string", "format": "binary"},
}


def export_view(fmt, media_type, description):
    class Export(CaseExport):
        format = fmt

        @extend_schema(
            operation_id=f"exports_cases_{fmt}",
            summary=f"Export of the selected cases as {fmt.upper()}",
            description=description,
            responses=responses(
                {(200, media_type): OpenApiResponse(EXPORT_SCHEMAS[fmt], description=description)},
                400,
            ),
            tags=["exports"],
        )
        def get(self, request):
            return super().get(request)

    Export.__name__ = f"CaseExport{fmt.capitalize()}"
    return Export


CaseExportCsv = export_view(
    "csv",
    "text/csv",
    "CSV, UTF-8 with a byte-order mark, one row per case; multi-valued cells joined "
    "by « | ». Columns: see /donnees/ and its Table Schema /donnees/schema-csv.json.",
)
CaseExportJson = export_view(
    "json",
    "application/json",
    'JSON: {"licence", "attribution", "generated_at", "cases": [...]}, codes and labels.',
)
CaseExportGeojson = export_view(
    "geojson",
    "application/geo+json",
    "GeoJSON FeatureCollection; each case at the representative point of its first "
    "territory's département (or région).",
)
CaseExportXlsx = export_view(
    "xlsx",
    spreadsheet.CONTENT_TYPE,
    "XLSX workbook for spreadsheets: a sheet of cases (the CSV's columns under their "
    "titles in the request's language) and a sheet of partners (one row per roster entry). "
    "Codes (INSEE, SIREN, RNA) are text cells, years and counts numbers, dates dates.",
)


# ---- Territories --------------------------------------------------------------------


class TerritoryList(ApiView):
    queryset = Territory.objects.none()  # for the schema: the views build their own

    @extend_schema(
        operation_id="territories_list",
        summary="Territories of the official geography (COG 2026)",
        parameters=[
            OpenApiParameter("kind", str, enum=list(TerritoryKind.values)),
            OpenApiParameter(
                "q",
                {"type": "string", "maxLength": 100},
                description="Name, accent- and case-insensitive.",
            ),
            OpenApiParameter("code", {"type": "string", "maxLength": 9}, description="Exact code."),
            OpenApiParameter(
                "siren",
                {"type": "string", "pattern": r"^\d{9}$"},
                description="SIREN of a commune or an EPCI.",
            ),
            *PAGE_PARAMETERS,
        ],
        responses=responses(s.TerritorySerializer(many=True), 400, 404),
        tags=["territories"],
    )
    def get(self, request):
        params = request.query_params
        errors = {}
        kind = params.get("kind")
        if kind is not None and kind not in TerritoryKind.values:
            errors["kind"] = [_("Niveau inconnu : %(kinds)s.") % {"kinds": kind}]
        siren = params.get("siren")
        if siren is not None and not (siren.isdigit() and len(siren) == 9):
            errors["siren"] = [_("Un SIREN compte exactement 9 chiffres.")]
        if len(params.get("q", "")) > 100 or len(params.get("code", "")) > 9:
            errors["q" if len(params.get("q", "")) > 100 else "code"] = [_("Trop long.")]
        if errors:
            raise ValidationError(errors)
        territories = Territory.objects.select_related("departement")
        if params.get("q", "").strip():
            territories = territories.search(params["q"])
        else:
            territories = territories.order_by("kind", "code")
        if kind:
            territories = territories.filter(kind=kind)
        if params.get("code"):
            territories = territories.filter(code=params["code"])
        if siren:
            territories = territories.filter(siren=siren)
        return self.paginated(territories, s.TerritorySerializer)


class TerritoryDetail(ApiView):
    pagination_class = None
    queryset = Territory.objects.none()  # for the schema: the views build their own

    @extend_schema(
        operation_id="territories_retrieve",
        summary="A territory, with its parents and children",
        description=(
            "By kind and code: the INSEE COG code of a région, a département or a commune "
            "(a commune also by its SIREN), the SIREN of an EPCI."
        ),
        parameters=[
            OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=list(TerritoryKind.values)),
            OpenApiParameter(
                "code",
                {"type": "string", "pattern": f"^(?:{ANY_TERRITORY_CODE})$"},
                OpenApiParameter.PATH,
                description="A code of this shape that names no territory of this kind is a "
                "404; a code of another shape, a 400.",
            ),
        ],
        responses=responses(s.TerritoryDetailSerializer, 400, 404),
        tags=["territories"],
    )
    def get(self, request, kind, code):
        if kind not in TerritoryKind.values:
            raise NotFound(_("Niveau inconnu : %(kinds)s.") % {"kinds": kind})
        if not re.fullmatch(ANY_TERRITORY_CODE, code):
            raise ValidationError({"code": [_("Code mal formé : %(code)s.") % {"code": code[:20]}]})
        by_siren = kind == TerritoryKind.COMMUNE and re.fullmatch(r"\d{9}", code)
        if not by_siren and not re.fullmatch(CODE_PATTERNS[kind], code):
            raise NotFound(_("Aucun territoire de ce niveau ne porte ce code."))
        territories = Territory.objects.select_related("region", "departement", "epci")
        lookup = {"siren": code} if by_siren else {"code": code}
        territory = territories.filter(kind=kind, **lookup).first()
        if territory is None:
            raise NotFound(_("Aucun territoire de ce niveau ne porte ce code."))
        territory.published_cases = Case.objects.published().located_in(territory).count()
        return Response(
            s.TerritoryDetailSerializer(territory, context=self.get_serializer_context()).data
        )


# ---- Organisations ----------------------------------------------------------------


class OrganizationList(ApiView):
    queryset = Organization.objects.none()  # for the schema: the views build their own
    schema_parameters = staticmethod(organization_filter_parameters)

    @extend_schema(
        operation_id="organizations_list",
        summary="Organisations taking part in published cases",
        description=(
            "The filters of the organisation directory (/organisations/). Authenticated, "
            "the list adds the organisations you may see before publication: yours "
            "(created by you, or in one of your cases) and, for staff, every one."
        ),
        parameters=[
            OpenApiParameter(
                "q", {"type": "string", "maxLength": 150}, description="Name, SIREN or RNA."
            ),
            OpenApiParameter(
                "region",
                {"type": "array", "items": {"type": "string", "pattern": r"^\d{2}$"}},
                explode=True,
                description="Seat in these régions.",
            ),
            OpenApiParameter(
                "departement",
                {
                    "type": "array",
                    "items": {"type": "string", "pattern": r"^(?:\d{2}|2[AB]|97\d)$"},
                },
                explode=True,
                description="Seat in these départements.",
            ),
            *PAGE_PARAMETERS,
        ],
        responses=responses(s.OrganizationSerializer(many=True), 400, 404),
        tags=["organizations"],
    )
    def get(self, request):
        filterset = OrganizationFilter(
            request.query_params,
            queryset=Organization.objects.visible_to(request.user),
            term_index=TermIndex(),
        )
        if not filterset.is_valid():
            raise ValidationError(form_errors(filterset.form))
        organizations = (
            filterset.qs.select_related("actor_type", "company_size", "seat", "seat__departement")
            .annotate(
                published_cases=Count(
                    "roster_entries__case",
                    filter=Q(roster_entries__case__status=CaseStatus.PUBLISHED),
                    distinct=True,
                )
            )
            .order_by("name_key", "pk")
        )
        return self.paginated(organizations, s.OrganizationSerializer)


class OrganizationDetail(ApiView):
    pagination_class = None
    queryset = Organization.objects.none()  # for the schema: the views build their own

    @extend_schema(
        operation_id="organizations_retrieve",
        summary="An organisation, with its published cases",
        parameters=[OpenApiParameter("slug", SLUG, OpenApiParameter.PATH)],
        responses=responses(s.OrganizationDetailSerializer, 404),
        tags=["organizations"],
    )
    def get(self, request, slug):
        organization = (
            Organization.objects.select_related(
                "actor_type",
                "company_size",
                "seat",
                "seat__departement",
                "governed_territory",
                "governed_territory__departement",
            )
            .filter(slug=path_key(slug, _("Aucune organisation visible ne porte cet identifiant.")))
            .first()
        )
        visible = Organization.objects.visible_to(request.user)
        if organization is None or not visible.filter(pk=organization.pk).exists():
            raise NotFound(_("Aucune organisation visible ne porte cet identifiant."))
        cases = Case.objects.published().filter(roster__organization=organization).distinct()
        organization.published_cases = cases.count()
        context = self.get_serializer_context()
        context["published_cases"] = cases.order_by("-published_at", "-id").only(
            "id", "slug", "title"
        )[:100]
        return Response(s.OrganizationDetailSerializer(organization, context=context).data)


# ---- Vocabularies and themes ----------------------------------------------------------


def terms_by_vocabulary():
    grouped = {}
    for term in Term.objects.select_related("parent").order_by("position", "code"):
        grouped.setdefault(term.vocabulary_id, []).append(term)
    return grouped


class VocabularyList(ApiView):
    pagination_class = None
    queryset = Vocabulary.objects.none()  # for the schema: the views build their own

    @extend_schema(
        operation_id="vocabularies_list",
        summary="The référentiel vocabularies, with their terms",
        responses=responses(s.VocabularySerializer(many=True)),
        tags=["référentiel"],
    )
    def get(self, request):
        context = {**self.get_serializer_context(), "terms_by_vocabulary": terms_by_vocabulary()}
        vocabularies = Vocabulary.objects.all()
        return Response(s.VocabularySerializer(vocabularies, many=True, context=context).data)


class VocabularyDetail(ApiView):
    pagination_class = None
    queryset = Vocabulary.objects.none()  # for the schema: the views build their own

    @extend_schema(
        operation_id="vocabularies_retrieve",
        summary="One vocabulary and its terms",
        parameters=[OpenApiParameter("code", SLUG, OpenApiParameter.PATH)],
        responses=responses(s.VocabularySerializer, 404),
        tags=["référentiel"],
    )
    def get(self, request, code):
        vocabulary = Vocabulary.objects.filter(code=path_key(code, "")).first()
        if vocabulary is None:
            raise NotFound(_("Vocabulaire inconnu : %(code)s.") % {"code": code})
        context = {**self.get_serializer_context(), "terms_by_vocabulary": terms_by_vocabulary()}
        return Response(s.VocabularySerializer(vocabulary, context=context).data)


class ThemeList(ApiView):
    pagination_class = None
    queryset = Term.objects.none()  # for the schema: the views build their own

    @extend_schema(
        operation_id="themes_list",
        summary="Themes, with their number of published cases",
        responses=responses(s.ThemeSerializer(many=True)),
        tags=["référentiel"],
    )
    def get(self, request):
        counts = dict(
            Case.terms.through.objects.filter(
                case__status=CaseStatus.PUBLISHED, term__vocabulary__code="theme"
            )
            .values_list("term_id")
            .annotate(n=Count("case_id"))
            .values_list("term_id", "n")
        )
        themes = list(Term.objects.of("theme").order_by("position", "code"))
        for theme in themes:
            theme.published_cases = counts.get(theme.pk, 0)
        return Response(
            s.ThemeSerializer(themes, many=True, context=self.get_serializer_context()).data
        )
