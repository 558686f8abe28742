"""OpenAPI pieces of the API: the case filters as parameters (with the codes
each one accepts, read from the database when the schema is generated), the
language parameter, the error responses every operation documents, and the
rules every input follows, written once into the schema (`document_input_rules`)."""

from django.db import DatabaseError
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from registry.models import Term
from registry.models.case import FIRST_YEAR, LAST_YEAR
from registry.search.filters import SORTS, CaseFilter, TerritoryFilter
from territories.models import CODE_PATTERNS, TerritoryKind

LANGUAGES = ("fr", "en")

# Any kind's code, and a commune's SIREN (a territory's path takes either).
ANY_TERRITORY_CODE = "|".join([*CODE_PATTERNS.values(), r"\d{9}"])

# Text without the control characters `registry.text.guard` refuses (tab, line
# feed and carriage return are text); required text also holds something else
# than spaces, which DRF trims.
CONTROL = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F"
TEXT_PATTERN = f"^[^{CONTROL}]*$"
NON_BLANK_TEXT_PATTERN = rf"^[^\S{CONTROL}]*[^\s{CONTROL}][^{CONTROL}]*$"

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


def organization_filter_parameters():
    """The organisation directory's filters read from the database (their codes)."""
    codes = vocabulary_codes("actor_type")
    return [
        OpenApiParameter(
            "actor",
            {"type": "array", "items": {"type": "string", **({"enum": codes} if codes else {})}},
            explode=True,
            style="form",
            description="Actor type codes (a type also selects the types below it); repeat "
            "for several (any of them).",
        )
    ]


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
    names = list(serializer_class().fields)
    return OpenApiParameter(
        "fields",
        {"type": "array", "items": {"type": "string", "enum": names}},
        style="form",
        explode=False,
        description="Comma-separated fields to return (others are left out; none named: "
        "every field): " + ", ".join(names) + ".",
    )


def term_codes_schema(field):
    """The schema of a `TermCodeField`: a code of its vocabulary, listed when the
    database can tell."""
    schema = {"type": "string"}
    try:
        codes = field.codes()
    except DatabaseError:
        codes = []
    if codes:
        blank = [""] if field.allow_blank else []
        schema["enum"] = [*blank, *codes, *([None] if field.allow_null else [])]
    else:
        schema["maxLength"] = field.max_length
    if field.allow_null:
        schema["nullable"] = True
    if field.help_text:
        schema["description"] = str(field.help_text)
    return schema


def document_input_rules(result, generator, request, public):
    """drf-spectacular post-processing hook: the rules every input of the API
    follows, written into the schema once rather than on each field.

    - An empty query parameter is no parameter (`ApiView.initial` drops it):
      `allowEmptyValue`, and an empty item of a repeated one.
    - Free text, in parameters and bodies, holds no control character (the API
      refuses them with a 400, `registry.text.guard`); required text holds more
      than spaces.
    - A body names only the fields of its schema (`KnownFieldsMixin` refuses the
      others): `additionalProperties: false` on every request component.
    - What `fields` may leave out of a response is not required in it.
    """
    components = result.get("components", {}).get("schemas", {})
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if any(p["name"] == "fields" for p in operation.get("parameters", [])):
                for component in response_components(operation, components):
                    component.pop("required", None)
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
                    if schema.get("type") == "array":
                        empty_item_allowed(schema["items"])
                restrict_text(schema)
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") or name.startswith("Patched"):
            if component.get("type") == "object":
                component["additionalProperties"] = False
            restrict_text(component)
    return result


def response_components(operation, components):
    """The components a 200 response of `operation` is made of: its object, or
    the items of its page."""
    schema = operation.get("responses", {}).get("200", {}).get("content", {})
    schema = next(iter(schema.values()), {}).get("schema", {})
    found = []
    for _level in range(3):
        ref = schema.get("$ref", "")
        if ref:
            schema = components.get(ref.rsplit("/", 1)[-1], {})
            found.append(schema)
        results = schema.get("properties", {}).get("results", {})
        schema = results.get("items", {}) if results else {}
        if not schema:
            break
    return found[-1:]


def empty_item_allowed(item):
    """`item` (an array's items, maybe shared by several operations) admitting ""."""
    if "enum" in item and "" not in item["enum"]:
        item["enum"] = ["", *item["enum"]]
    elif "pattern" in item and not item["pattern"].endswith(")?$"):
        item["pattern"] = f"^(?:{item['pattern'].removeprefix('^').removesuffix('$')})?$"


def restrict_text(schema):
    """Add the text pattern to every free string of `schema`, nested ones included."""
    pending = [schema]
    while pending:
        node = pending.pop()
        if not isinstance(node, dict):
            continue
        if node.get("type") == "string" and not {"enum", "pattern", "format"} & set(node):
            blank = not node.get("minLength")
            node["pattern"] = TEXT_PATTERN if blank else NON_BLANK_TEXT_PATTERN
        for key in ("properties", "additionalProperties"):
            value = node.get(key)
            if isinstance(value, dict):
                pending.extend(value.values() if key == "properties" else [value])
        for key in ("items", "not"):
            if isinstance(node.get(key), dict):
                pending.append(node[key])
        for key in ("oneOf", "anyOf", "allOf"):
            pending.extend(node.get(key) or [])


class ApiSchema(AutoSchema):
    """Every operation takes `lang`; the case list and exports take the case filters;
    a vocabulary code of a body lists the codes it accepts."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if hasattr(field, "codes") and callable(field.codes):
            return term_codes_schema(field)
        return super()._map_serializer_field(field, direction, bypass_extensions)

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
        # Parameters whose codes come from the database, read when the schema is made.
        parameters.extend(getattr(self.view, "schema_parameters", list)())
        return parameters
