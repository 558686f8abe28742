"""OpenAPI pieces of the API: the case filters as parameters (with the codes
each one accepts, read from the database when the schema is generated), the
language parameter, and the error responses every operation documents."""

from django.db import DatabaseError
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from registry.models import Term
from registry.models.case import FIRST_YEAR, LAST_YEAR
from registry.search.filters import SORTS, CaseFilter, TerritoryFilter
from territories.models import TerritoryKind

LANGUAGES = ("fr", "en")

# The shape of each kind of territory code (INSEE COG; SIREN for EPCI).
CODE_PATTERNS = {
    TerritoryKind.REGION: r"\d{2}",
    TerritoryKind.DEPARTEMENT: r"\d{2}|2[AB]|97\d",
    TerritoryKind.EPCI: r"\d{9}",
    TerritoryKind.COMMUNE: r"\d{5}|2[AB]\d{3}",
}

ERROR = inline_serializer("Error", {"detail": serializers.CharField()})
VALIDATION_ERROR = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description=(
        "Invalid input: an object whose keys are the parameters or fields at fault, "
        "each with a list of messages (nested for lists and objects)."
    ),
)
ERROR_DESCRIPTIONS = {
    400: None,
    401: "Invalid, revoked or missing token (or inactive account).",
    403: "Authenticated, but not allowed to do this.",
    404: "Unknown or unpublished object, or page out of range.",
    409: "The case cannot be changed in its current state, or was changed meanwhile.",
    415: "The body must be JSON (Content-Type: application/json).",
    429: "Too many requests: see the Retry-After header.",
}


def responses(ok, *codes):
    """The documented responses: `ok` (a dict or a serializer for 200), plus the
    error codes given; 400 (a bad `lang`, a control character in the query string),
    401 and 429 (a bad token, a limit) are always possible."""
    documented = dict(ok) if isinstance(ok, dict) else {200: ok}
    for code in sorted({*codes, 400, 401, 429}):
        if code == 400:
            documented[400] = VALIDATION_ERROR
        else:
            documented[code] = OpenApiResponse(ERROR, description=ERROR_DESCRIPTIONS[code])
    return documented


def vocabulary_codes(vocabulary):
    """Every code of a vocabulary, or [] when the database cannot tell (empty,
    not migrated): the schema is then generated without the enum."""
    try:
        return list(
            Term.objects.filter(vocabulary__code=vocabulary)
            .order_by("code")
            .values_list("code", flat=True)
        )
    except DatabaseError:
        return []


def case_filter_parameters():
    """One parameter per filter of the search page, from `CaseFilter` itself."""
    parameters = []
    for name, spec in CaseFilter.base_filters.items():
        description = str(spec.label)
        if name == "q":
            parameters.append(
                OpenApiParameter(
                    "q",
                    {"type": "string", "maxLength": 200},
                    description=(
                        'Full text, websearch syntax: words, « "an exact phrase" », '
                        "-excluded. French stemming on PostgreSQL."
                    ),
                )
            )
        elif isinstance(spec, TerritoryFilter):
            pattern = CODE_PATTERNS[spec.kind]
            parameters.append(
                OpenApiParameter(
                    name,
                    {"type": "array", "items": {"type": "string", "pattern": f"^(?:{pattern})$"}},
                    explode=True,
                    style="form",
                    description=(
                        f"{description}: "
                        + ("SIREN" if spec.kind == TerritoryKind.EPCI else "INSEE code")
                        + "; repeat for several (any of them). Cases in a territory below "
                        "it count too."
                    ),
                )
            )
        elif hasattr(spec, "vocabulary"):
            codes = vocabulary_codes(spec.vocabulary)
            item = {"type": "string"}
            if codes:
                item["enum"] = codes
            parameters.append(
                OpenApiParameter(
                    name,
                    {"type": "array", "items": item},
                    explode=True,
                    style="form",
                    description=(
                        f"{description}: codes of the « {spec.vocabulary} » vocabulary; "
                        "repeat for several (any of them)."
                    ),
                )
            )
        elif name in ("year_min", "year_max"):
            parameters.append(
                OpenApiParameter(
                    name,
                    {"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR},
                    description=f"{description} (start year); year_min ≤ year_max.",
                )
            )
        elif name == "pioneer":
            parameters.append(OpenApiParameter(name, bool, description=description))
        elif name == "sort":
            parameters.append(
                OpenApiParameter(
                    name,
                    str,
                    enum=list(SORTS),
                    description="Order: relevance (with q; the default then), newest "
                    "(default), oldest, title.",
                )
            )
        else:
            choices = [value for value, _label in spec.extra.get("choices", [])]
            parameters.append(OpenApiParameter(name, str, enum=choices, description=description))
    return parameters


PAGE_PARAMETERS = [
    OpenApiParameter(
        "page",
        {"type": "integer", "minimum": 1},
        description="Page number; a page past the last one is a 404.",
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": 100},
        description="Results per page (default 25, at most 100).",
    ),
]


def fields_parameter(serializer_class):
    names = ", ".join(serializer_class().fields)
    return OpenApiParameter(
        "fields",
        str,
        description=f"Comma-separated fields to return (others are left out): {names}.",
    )


class ApiSchema(AutoSchema):
    """Every operation takes `lang`; the case list and exports take the case filters."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        parameters.append(
            OpenApiParameter(
                "lang",
                str,
                enum=list(LANGUAGES),
                description="Language of the labels and messages (else Accept-Language, "
                "else French).",
            )
        )
        if getattr(self.view, "with_case_filters", False):
            parameters.extend(case_filter_parameters())
        return parameters
