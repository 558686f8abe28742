"""What the read API returns: codes and labels side by side, labels in the
language of the request (`Term.label` follows the active language).

Lists use a compact representation; details add the texts, the roster and the
sources. Any serializer built with `fields=[…]` keeps only those fields (the
`?fields=` parameter; the view checks the names first)."""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from registry.forms import (
    MAX_PARTNERS,
    MAX_TERRITORIES,
    RICH_FIELDS,
    NewOrganizationForm,
    same_organization,
)
from registry.models import EDITABLE_STATUSES, CaseStatus, Organization, RevisionStatus, Term
from registry.models.case import FIRST_YEAR, LAST_YEAR, SNAPSHOT_FIELDS
from registry.models.vocabulary import SEARCH_PARAMETERS, TAG_PARAMETERS, TAGS
from registry.models.workflow import EDIT_SUMMARY_MAX_LENGTH
from registry.search.duplicates import core_name, new_organization_duplicates
from registry.text import identifiers
from registry.text.sanitize import clean_html
from territories.models import Territory, TerritoryKind, normalize

MAX_TEXT = 20_000


class FieldsMixin:
    """Keep only the fields named in `fields` (None: all of them)."""

    def __init__(self, *args, fields=None, **kwargs):
        super().__init__(*args, **kwargs)
        if fields is not None:
            for name in set(self.fields) - set(fields):
                self.fields.pop(name)


API_ROOT = "/api/v1/"


def absolute(context, path):
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


class TermRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable code of the term.")
    label = serializers.CharField(help_text="Label in the language of the response.")


class TerritoryRefSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TerritoryKind.choices)
    code = serializers.CharField(
        help_text="INSEE COG code (région, département, commune) or SIREN (EPCI)."
    )
    name = serializers.CharField()
    label = serializers.CharField(
        help_text="Name told apart from homonyms: « Sainte-Colombe (05) »."
    )
    url = serializers.SerializerMethodField(help_text="This territory in the API.")

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, territory):
        return absolute(
            self.context,
            reverse(
                "api:territory_detail", kwargs={"kind": territory.kind, "code": territory.code}
            ),
        )


def territory_ref(territory, context):
    """What `TerritoryRefSerializer` gives, without building a serializer."""
    path = f"{API_ROOT}territories/{territory.kind}/{territory.code}/"
    return {
        "kind": territory.kind,
        "code": territory.code,
        "name": territory.name,
        "label": territory.label,
        "url": absolute(context, path),
    }


class TagsSerializer(serializers.Serializer):
    """The case's référentiel tags, under the names of the search filters."""

    theme = TermRefSerializer(many=True)
    practice = TermRefSerializer(many=True)
    partnership = TermRefSerializer(many=True)
    form = TermRefSerializer(many=True)
    objective = TermRefSerializer(many=True)
    impact = TermRefSerializer(many=True)
    prism = TermRefSerializer(many=True)


def tags_of(case):
    """{filter parameter: [terms]}, from the terms a list attached to the case
    (`listed_terms`) or else from its prefetched terms."""
    tags = {param: [] for param in TAG_PARAMETERS}
    terms = getattr(case, "listed_terms", None)
    for term in case.terms.all() if terms is None else terms:
        param = TAGS.get(term.vocabulary.code)
        if param:
            tags[param].append(term)
    return tags


class CaseListSerializer(FieldsMixin, serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    title = serializers.CharField()
    summary = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="This case in the API.")
    web_url = serializers.SerializerMethodField(help_text="The case's public page.")
    published_at = serializers.DateTimeField(allow_null=True)
    start_year = serializers.IntegerField(allow_null=True)
    end_year = serializers.IntegerField(allow_null=True, help_text="Null while ongoing.")
    is_pioneer = serializers.BooleanField()
    phase = TermRefSerializer(allow_null=True)
    scale = TermRefSerializer(allow_null=True)
    territories = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, case):
        return absolute(self.context, reverse("api:case_detail", kwargs={"pk": case.pk}))

    @extend_schema_field(OpenApiTypes.URI)
    def get_web_url(self, case):
        return absolute(self.context, case.get_absolute_url())

    # Nested lists are built by hand: a serializer per case and per list cost
    # more than the rest of the request (the schema still names their shapes).
    @extend_schema_field(TerritoryRefSerializer(many=True))
    def get_territories(self, case):
        return [territory_ref(link.territory, self.context) for link in case.case_territories.all()]

    @extend_schema_field(TagsSerializer)
    def get_tags(self, case):
        return {param: [term_ref(t) for t in terms] for param, terms in tags_of(case).items()}


class OrganizationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    name = serializers.CharField()
    actor_type = TermRefSerializer()
    siren = serializers.CharField(allow_null=True)
    rna = serializers.CharField(allow_null=True)
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, organization):
        return absolute(
            self.context, reverse("api:organization_detail", kwargs={"slug": organization.slug})
        )


class PartnerSerializer(serializers.Serializer):
    organization = OrganizationRefSerializer()
    role = TermRefSerializer()
    contribution = serializers.CharField()


class SourceSerializer(serializers.Serializer):
    title = serializers.CharField()
    url = serializers.CharField(allow_blank=True)


class PioneerSerializer(serializers.Serializer):
    reason = serializers.CharField()
    criteria = TermRefSerializer(many=True)
    since = serializers.DateTimeField(allow_null=True)


class CaseDetailSerializer(CaseListSerializer):
    description = serializers.CharField(help_text="Sanitised HTML.")
    context = serializers.CharField(help_text="Context and needs, sanitised HTML.")
    actions = serializers.CharField(help_text="Sanitised HTML.")
    results = serializers.CharField(help_text="Sanitised HTML.")
    lessons = serializers.CharField(help_text="Sanitised HTML.")
    updated_at = serializers.DateTimeField()
    last_verified_on = serializers.DateField(allow_null=True)
    all_three_families = serializers.BooleanField(
        source="has_all_three_families",
        help_text="A collectivité, a company and an association are all partners.",
    )
    partners = PartnerSerializer(many=True, source="roster.all")
    sources = SourceSerializer(many=True, source="sources.all")
    pioneer = serializers.SerializerMethodField()

    @extend_schema_field(PioneerSerializer(allow_null=True))
    def get_pioneer(self, case):
        if not case.is_pioneer:
            return None
        return {
            "reason": case.pioneer_reason,
            "criteria": [term_ref(t) for t in case.pioneer_criteria.all()],
            "since": case.pioneer_at,
        }


def term_ref(term):
    return {"code": term.code, "label": term.label}


class RevisionStatusSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=RevisionStatus.values)
    label = serializers.CharField()


class StatusSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=CaseStatus.values
    )
    label = serializers.CharField()


class OwnCaseSerializer(CaseDetailSerializer):
    """A contributor's own case, in any state, with what they need to move it on."""

    status = serializers.SerializerMethodField()
    version = serializers.IntegerField(
        help_text="Send it back with an edit: a 409 says someone changed the case meanwhile."
    )
    contact_email = serializers.EmailField(allow_blank=True)
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    missing_for_submission = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    edit_summary = serializers.CharField(
        help_text="Your summary of the changes, sent with the next submission."
    )
    pending_revision = serializers.SerializerMethodField(
        help_text="A published case's changes not yet published (edited in the site's "
        "editor): their status, or null."
    )

    @extend_schema_field(StatusSerializer)
    def get_status(self, case):
        return {"code": case.status, "label": str(case.get_status_display())}

    @extend_schema_field(RevisionStatusSerializer(allow_null=True))
    def get_pending_revision(self, case):
        revision = case.open_revision() if case.status == CaseStatus.PUBLISHED else None
        if revision is None:
            return None
        return {"code": revision.status, "label": str(revision.get_status_display())}

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_missing_for_submission(self, case):
        if case.status not in EDITABLE_STATUSES:
            return []
        return [str(item) for item in case.missing_for_submission()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, case):
        return [str(action) for action in case.allowed_actions(self.context["request"].user)]


class OwnCaseListSerializer(CaseListSerializer):
    status = serializers.SerializerMethodField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(StatusSerializer)
    def get_status(self, case):
        return {"code": case.status, "label": str(case.get_status_display())}


# ---- Territories ------------------------------------------------------------------


class TerritorySerializer(TerritoryRefSerializer):
    siren = serializers.CharField(allow_blank=True)
    population = serializers.IntegerField(allow_null=True)
    epci_category = serializers.SerializerMethodField()
    is_overseas = serializers.BooleanField()
    postal_codes = serializers.SerializerMethodField()

    @extend_schema_field(TermRefSerializer(allow_null=True))
    def get_epci_category(self, territory):
        if not territory.epci_category:
            return None
        return {"code": territory.epci_category, "label": territory.get_epci_category_display()}

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_postal_codes(self, territory):
        return territory.postal_codes.split()


class TerritoryDetailSerializer(TerritorySerializer):
    parents = serializers.SerializerMethodField(help_text="The territories directly above.")
    children = serializers.SerializerMethodField(help_text="The territories directly below.")
    published_cases = serializers.IntegerField(
        help_text="Published cases located in this territory or below."
    )
    cases_url = serializers.SerializerMethodField(help_text="Those cases in the API.")

    @extend_schema_field(TerritoryRefSerializer(many=True))
    def get_parents(self, territory):
        return TerritoryRefSerializer(territory.parents(), many=True, context=self.context).data

    @extend_schema_field(TerritoryRefSerializer(many=True))
    def get_children(self, territory):
        children = territory.children().select_related("departement").order_by("name_key")
        return TerritoryRefSerializer(children, many=True, context=self.context).data

    @extend_schema_field(OpenApiTypes.URI)
    def get_cases_url(self, territory):
        path = reverse("api:case_list") + f"?{territory.kind}={territory.code}"
        return absolute(self.context, path)


# ---- Organisations --------------------------------------------------------------------


class OrganizationSerializer(OrganizationRefSerializer):
    company_size = TermRefSerializer(allow_null=True)
    website = serializers.CharField(allow_blank=True)
    seat = TerritoryRefSerializer(allow_null=True)
    published_cases = serializers.IntegerField()


class CaseRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    title = serializers.CharField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, case):
        return absolute(self.context, reverse("api:case_detail", kwargs={"pk": case.pk}))


class OrganizationDetailSerializer(OrganizationSerializer):
    siret = serializers.CharField(allow_null=True)
    description = serializers.CharField(allow_blank=True)
    governed_territory = TerritoryRefSerializer(allow_null=True)
    cases = serializers.SerializerMethodField(
        help_text="Its published cases, newest first (at most 100)."
    )

    @extend_schema_field(CaseRefSerializer(many=True))
    def get_cases(self, organization):
        return CaseRefSerializer(
            self.context["published_cases"], many=True, context=self.context
        ).data


# ---- Vocabularies -------------------------------------------------------------------


class TermSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    parent = serializers.CharField(
        source="parent.code", allow_null=True, default=None, help_text="Code of the parent term."
    )
    basis = serializers.CharField(help_text="sourced (Le RAMEAU, official) or registry (own).")
    is_active = serializers.BooleanField(help_text="False: retired, kept on older cases.")


class VocabularySerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    basis = serializers.CharField()
    source = serializers.CharField(allow_blank=True)
    filter_parameter = serializers.SerializerMethodField(
        help_text="Parameter of the case list that filters on this vocabulary."
    )
    url = serializers.SerializerMethodField()
    terms = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_filter_parameter(self, vocabulary):
        return SEARCH_PARAMETERS.get(vocabulary.code)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, vocabulary):
        return absolute(
            self.context, reverse("api:vocabulary_detail", kwargs={"code": vocabulary.code})
        )

    @extend_schema_field(TermSerializer(many=True))
    def get_terms(self, vocabulary):
        terms = self.context["terms_by_vocabulary"].get(vocabulary.pk, [])
        return TermSerializer(terms, many=True).data




class ThemeSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    published_cases = serializers.IntegerField()
    cases_url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_cases_url(self, term):
        return absolute(self.context, reverse("api:case_list") + f"?theme={term.code}")


# ---- Writing a contributor's draft -----------------------------------------------------


class KnownFieldsMixin:
    """A body naming a field the serializer does not have is refused, not read as
    if the field were absent: a misspelt « partners » must not save a draft
    without its roster."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                message = _("Champs inconnus : %(unknown)s. Champs possibles : %(known)s.") % {
                    "unknown": ", ".join(unknown)[:300],
                    "known": ", ".join(self.fields),
                }
                raise serializers.ValidationError(
                    {api_settings.NON_FIELD_ERRORS_KEY: [message]}
                )
            wrong = json_type_errors(self.fields, data)
            # An entry of a list is whole even in a PATCH, which replaces the list
            # (DRF would skip its required fields under a partial root).
            if self.root is not self and getattr(self.root, "partial", False):
                for name, field in self.fields.items():
                    if field.required and name not in data:
                        wrong.setdefault(name, [str(field.error_messages["required"])])
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


# The JSON type each kind of field reads: DRF would also take 12 for a text and
# "yes" for a boolean, which the schema does not offer (and a typo then passes).
JSON_TYPES = (
    (serializers.BooleanField, (bool,), gettext_lazy("un booléen (true ou false)")),
    (serializers.IntegerField, (int,), gettext_lazy("un nombre entier")),
    (serializers.CharField, (str,), gettext_lazy("un texte")),
    (serializers.ListField, (list,), gettext_lazy("une liste")),
    (serializers.ListSerializer, (list,), gettext_lazy("une liste")),
    (serializers.Serializer, (dict,), gettext_lazy("un objet")),
)


def json_type_errors(fields, data):
    """{field: [message]} for the values of `data` whose JSON type is not their field's."""
    errors = {}
    for name, value in data.items():
        field = fields.get(name)
        if field is None or (value is None and field.allow_null):
            continue
        for kind, types, label in JSON_TYPES:
            if isinstance(field, kind):
                if isinstance(value, bool) and bool not in types or not isinstance(value, types):
                    errors[name] = [_("Type attendu : %(type)s.") % {"type": label}]
                break
    return errors


class TermCodeField(serializers.CharField):
    """A code of a vocabulary's active terms (`codes()`, which the OpenAPI schema
    lists: registry.api.schema). The serializer checks it against the same terms."""

    def __init__(self, vocabulary, **kwargs):
        self.vocabulary = vocabulary
        kwargs.setdefault("max_length", 60)
        super().__init__(**kwargs)

    def codes(self):
        return sorted(active_terms(self.vocabulary).values_list("code", flat=True))


class WebAddressField(serializers.CharField):
    """A web address, checked by the editor's form (which adds « https:// » to
    « example.org »). None is null or no field: not "" (schemathesis 4.32 takes the
    empty branch of drf-spectacular's `oneOf` for a blank URL as a bad address)."""

    def __init__(self, **kwargs):
        kwargs["allow_blank"] = False
        super().__init__(**kwargs)


class TerritoryInputSerializer(KnownFieldsMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=TerritoryKind.choices)
    code = serializers.CharField(
        max_length=9, help_text="INSEE COG code; SIREN for an EPCI (« epci »)."
    )


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1},
            {"type": "string", "minLength": 1, "maxLength": 120},
        ],
        "description": "The organisation's id, slug, SIREN, SIRET or RNA number.",
    }
)
class OrganizationKeyField(serializers.Field):
    """An organisation by id or slug (among those the client may see), or by
    SIREN or SIRET (checksum verified) or RNA number."""

    default_error_messages = {
        "unknown": gettext_lazy("Organisation inconnue : %(key)s."),
        "invalid": gettext_lazy("Un identifiant d'organisation est un nombre ou un texte."),
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        # By id or slug, only among the organisations the client may see: guessing
        # ids must not name another account's draft partner. By SIREN or RNA, any:
        # knowing an official identifier is knowing the organisation.
        visible = Organization.objects.visible_to(self.context["request"].user)
        if isinstance(data, int) or re.fullmatch(r"[0-9]{1,8}", data):
            organization = visible.filter(pk=int(data)).first()
        else:
            compacted = identifiers.compact(data)
            try:
                if re.fullmatch(r"\d{9}", compacted):
                    organization = Organization.objects.filter(
                        siren=identifiers.normalize_siren(compacted)
                    ).first()
                elif re.fullmatch(r"\d{14}", compacted):
                    siret = identifiers.normalize_siret(compacted)
                    organization = Organization.objects.filter(siret=siret).first()
                elif re.fullmatch(r"W\d{9}", compacted):
                    organization = Organization.objects.filter(
                        rna=identifiers.normalize_rna(compacted)
                    ).first()
                else:
                    organization = visible.filter(slug=data[:120]).first()
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.messages) from None
        if organization is None:
            raise serializers.ValidationError(
                self.error_messages["unknown"] % {"key": str(data)[:120]}
            )
        return organization

    def to_representation(self, value):
        return value.pk


NEW_ORGANIZATION_FIELDS = ("name", "actor_type", "siren", "siret", "rna", "seat")
IDENTIFIERS = {
    "siren": identifiers.normalize_siren,
    "siret": identifiers.normalize_siret,
    "rna": identifiers.normalize_rna,
}


def new_organization_form(values, *, user=None):
    """`NewOrganizationForm` bound to JSON values, its vocabulary fields reading
    codes (an unknown code is an error of that field)."""
    data = {name: value for name, value in values.items() if value is not None}
    form = NewOrganizationForm(data, submitted=True)
    for name in ("actor_type", "company_size"):
        field = form.fields[name]
        field.to_field_name = "code"
        field.error_messages["invalid_choice"] = _("Code inconnu : %(value)s.")
    return form


def form_error_dict(form):
    errors = {
        name: [error["message"] for error in field_errors]
        for name, field_errors in form.errors.get_json_data().items()
    }
    if "__all__" in errors:
        errors[api_settings.NON_FIELD_ERRORS_KEY] = errors.pop("__all__")
    return errors


def organization_by_identifiers(*, siren=None, siret=None, rna=None):
    """The organisation these identifiers name, whoever created it (knowing an
    official identifier is knowing the organisation): its own SIRET, SIREN or RNA,
    the company of a SIRET, or the collectivité governing the territory whose
    SIREN it is (the territory table knows those of communes and EPCI)."""
    lookups = []
    if siret:
        lookups += [Q(siret=siret), Q(siren=siret[:9])]
    if siren:
        lookups += [Q(siren=siren), Q(governed_territory__siren=siren)]
    if rna:
        lookups.append(Q(rna=rna))
    for lookup in lookups:
        organization = Organization.objects.filter(lookup).order_by("pk").first()
        if organization is not None:
            return organization
    return None


class RosterInputSerializer(KnownFieldsMixin, serializers.Serializer):
    """A partner named by its key (`organization`), or by `name` and `actor_type`
    (with its identifiers and seat when known): the one these name is found, or
    a new one is created with the case."""

    organization = OrganizationKeyField(required=False)
    name = serializers.CharField(
        required=False,
        max_length=255,
        help_text="Instead of organization: the partner's name (with actor_type). An "
        "organisation with one of its identifiers, or the same name (legal form aside, "
        "« Ville de », « SAS »…) and type, is used; else it is created with the case, "
        "unless similar ones exist (409, see confirm_new).",
    )
    actor_type = TermCodeField(
        "actor_type", required=False, help_text="With name: a code of the actor_type vocabulary."
    )
    siren = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=25, help_text="With name."
    )
    siret = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=25, help_text="With name."
    )
    rna = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=25, help_text="With name."
    )
    seat = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=120,
        help_text="With name: the commune of its seat, by INSEE code (« 35236 » or "
        "« commune:35236 ») or postal code when it names one commune (« 35600 » names three).",
    )
    confirm_new = serializers.BooleanField(
        required=False,
        default=False,
        help_text="With name: true once you have checked that the similar organisations of a "
        "409 are other ones.",
    )
    role = TermCodeField("partner_role", help_text="A code of the partner_role vocabulary.")
    contribution = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )

    def validate(self, entry):
        named = {field: entry.get(field) for field in NEW_ORGANIZATION_FIELDS if field in entry}
        if "organization" in entry:
            if named:
                raise serializers.ValidationError(
                    {
                        api_settings.NON_FIELD_ERRORS_KEY: [
                            _("Indiquez soit organization, soit name et actor_type, pas les deux.")
                        ]
                    }
                )
            return entry
        if not named.get("name") or not named.get("actor_type"):
            missing = [field for field in ("name", "actor_type") if not named.get(field)]
            raise serializers.ValidationError(
                {
                    field: [_("Nécessaire pour nommer l'organisation (ou indiquez organization).")]
                    for field in missing
                }
            )
        user = self.context["request"].user
        codes, errors = {}, {}
        for field, normalized in IDENTIFIERS.items():
            value = (named.get(field) or "").strip()
            try:
                codes[field] = normalized(value) if value else None
            except DjangoValidationError as error:
                errors[field] = error.messages
        if errors:
            raise serializers.ValidationError(errors)
        found = organization_by_identifiers(**codes)
        if found is not None:
            entry["organization"] = found
            return entry
        form = new_organization_form(named)
        if not form.is_valid():
            raise serializers.ValidationError(form_error_dict(form))
        cleaned = form.cleaned_data
        twin = same_organization(
            seen_by=user,
            name=cleaned["name"],
            actor_type=cleaned["actor_type"],
            seat=cleaned.get("seat"),
        )
        if twin is not None and not any(
            cleaned.get(field) and getattr(twin, field) not in {None, cleaned[field]}
            for field in ("siren", "siret", "rna")
        ):
            entry["organization"] = twin
            return entry
        organization = form.save(commit=False)
        organization.created_by = user
        entry["organization"] = organization
        if not entry.get("confirm_new"):
            entry["similar"] = new_organization_duplicates(
                seen_by=user,
                name=cleaned["name"],
                siren=cleaned.get("siren"),
                siret=cleaned.get("siret"),
                rna=cleaned.get("rna"),
            ).candidates
        return entry


def roster_key(entry):
    """What tells two roster entries' organisations apart, created or not."""
    organization = entry["organization"]
    if organization.pk is not None:
        return organization.pk
    return (core_name(normalize(organization.name)), organization.actor_type_id)


class SourceInputSerializer(KnownFieldsMixin, serializers.Serializer):
    title = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional with a url: the address's host by default.",
    )
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, source):
        if not source.get("title", "").strip():
            host = urlsplit(source.get("url") or "").hostname or ""
            if not host:
                raise serializers.ValidationError(
                    {"title": [_("Indiquez un intitulé, une adresse web, ou les deux.")]}
                )
            source["title"] = host.removeprefix("www.")
        return source


class TagsInputSerializer(KnownFieldsMixin, serializers.Serializer):
    """Codes per vocabulary, under the names of the search filters. On an edit, a
    vocabulary sent replaces that vocabulary's tags; the others are kept."""

    theme = serializers.ListField(
        child=TermCodeField("theme"), max_length=20, required=False
    )
    practice = serializers.ListField(
        child=TermCodeField("practice"),
        max_length=20,
        required=False,
        help_text="Missions of the référentiel (not the métiers, which follow from them).",
    )
    partnership = serializers.ListField(
        child=TermCodeField("partnership_type"), max_length=20, required=False
    )
    form = serializers.ListField(
        child=TermCodeField("coconstruction_form"), max_length=20, required=False
    )
    objective = serializers.ListField(
        child=TermCodeField("objective"), max_length=20, required=False
    )
    impact = serializers.ListField(
        child=TermCodeField("impact_axis"), max_length=20, required=False
    )
    prism = serializers.ListField(
        child=TermCodeField("challenge_prism"), max_length=20, required=False
    )

    def validate(self, data):
        errors, terms = {}, {}
        for param, codes in data.items():
            vocabulary = TAG_PARAMETERS[param]
            offered = {t.code: t for t in active_terms(vocabulary)}
            unknown = [code for code in codes if code not in offered]
            if unknown:
                errors[param] = [_("Code inconnu : %(codes)s.") % {"codes": ", ".join(unknown)}]
            terms[param] = [offered[code] for code in dict.fromkeys(codes) if code in offered]
        if errors:
            raise serializers.ValidationError(errors)
        return terms


def active_terms(vocabulary):
    terms = Term.objects.of(vocabulary).active().select_related("vocabulary")
    if vocabulary == "practice":
        terms = terms.filter(parent__isnull=False)
    return terms


class CaseWriteSerializer(KnownFieldsMixin, serializers.Serializer):
    """A draft as a contributor writes it: the same checks as the site's editor."""

    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=600)
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    context = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    actions = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    results = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    lessons = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    start_year = serializers.IntegerField(
        required=False, allow_null=True, min_value=FIRST_YEAR, max_value=LAST_YEAR
    )
    end_year = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        help_text="Null while ongoing; not before start_year.",
    )
    phase = TermCodeField(
        "phase", required=False, allow_null=True, help_text="A code of the phase vocabulary."
    )
    scale = TermCodeField(
        "scale", required=False, allow_null=True, help_text="A code of the scale vocabulary."
    )
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    territories = TerritoryInputSerializer(
        many=True, required=False, max_length=MAX_TERRITORIES, help_text="Replaces the list."
    )
    roster = RosterInputSerializer(
        many=True, required=False, max_length=MAX_PARTNERS, help_text="Replaces the list."
    )
    tags = TagsInputSerializer(required=False)
    sources = SourceInputSerializer(
        many=True, required=False, max_length=20, help_text="Replaces the list."
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version you edited (from a GET): a 409 says someone saved meanwhile.",
    )
    edit_summary = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=EDIT_SUMMARY_MAX_LENGTH,
        help_text="For the moderators: what you changed and why, kept with the draft and "
        "sent with its next submission.",
    )

    def validate_phase(self, code):
        return self.term_code("phase", code)

    def validate_scale(self, code):
        return self.term_code("scale", code)

    def term_code(self, vocabulary, code):
        if code and not active_terms(vocabulary).filter(code=code).exists():
            raise serializers.ValidationError(_("Code inconnu : %(codes)s.") % {"codes": code})
        return code or None

    def validate_territories(self, places):
        found, unknown = [], []
        for place in places:
            territory = Territory.objects.filter(kind=place["kind"], code=place["code"]).first()
            if territory is None:
                unknown.append(f"{place['kind']}:{place['code']}")
            elif territory not in found:
                found.append(territory)
        if unknown:
            raise serializers.ValidationError(
                _("Territoire inconnu : %(token)s.") % {"token": ", ".join(unknown)}
            )
        return found

    def validate_roster(self, entries):
        roles = {t.code: t for t in active_terms("partner_role")}
        seen, errors, created = set(), [], {}
        for entry in entries:
            if entry["role"] not in roles:
                errors.append(_("Rôle inconnu : %(codes)s.") % {"codes": entry["role"]})
                continue
            # One organisation created once, whatever the number of its roles.
            organization_key = roster_key(entry)
            if entry["organization"].pk is None:
                entry["organization"] = created.setdefault(organization_key, entry["organization"])
            key = (organization_key, entry["role"])
            if key in seen:
                errors.append(_("Un même partenaire figure deux fois avec le même rôle."))
            seen.add(key)
        if errors:
            raise serializers.ValidationError(errors)
        return entries

    def roster_conflicts(self):
        """The entries naming a new organisation that resembles existing ones
        (among those the client may see) and not confirmed: a 409 lists them."""
        return [
            {"index": index, "name": entry["organization"].name, "candidates": entry["similar"]}
            for index, entry in enumerate(self.validated_data.get("roster") or [])
            if entry.get("similar")
        ]

    def create_organizations(self):
        """Create the roster's new organisations (call within the transaction that
        writes the case: nothing is left half-written)."""
        for entry in self.validated_data.get("roster") or []:
            organization = entry["organization"]
            if organization.pk is None:
                organization.full_clean()
                organization.save()

    def validate(self, data):
        current = self.instance
        start = data.get("start_year", current.start_year if current else None)
        end = data.get("end_year", current.end_year if current else None)
        if start and end and end < start:
            raise serializers.ValidationError(
                {"end_year": [_("L'année de fin précède l'année de démarrage.")]}
            )
        for name in RICH_FIELDS:
            if data.get(name):
                data[name] = clean_html(data[name])
        return data

    def snapshot(self, base):
        """`base` (a `Case.snapshot()`, or {} for a new case) with the validated
        changes, ready for `Case.apply_snapshot`."""
        data = dict(base)
        values = self.validated_data
        for name in SNAPSHOT_FIELDS:
            if name in values:
                data[name] = values[name] if values[name] is not None else None
        for name in ("description", "context", "actions", "results", "lessons", "contact_email"):
            data[name] = data.get(name) or ""
        for name in ("phase", "scale"):
            if name in values:
                data[name] = values[name]
        if "territories" in values:
            data["territories"] = [[t.kind, t.code] for t in values["territories"]]
        if "roster" in values:
            data["roster"] = [
                {
                    "organization": entry["organization"].pk,
                    "organization_name": entry["organization"].name,
                    "role": entry["role"],
                    "contribution": entry.get("contribution", ""),
                }
                for entry in values["roster"]
            ]
        if "sources" in values:
            data["sources"] = [
                {"title": s["title"], "url": s.get("url", "")} for s in values["sources"]
            ]
        if "tags" in values:
            replaced = {TAG_PARAMETERS[param] for param in values["tags"]}
            kept = [pair for pair in data.get("terms", []) if pair[0] not in replaced]
            chosen = [
                [term.vocabulary.code, term.code]
                for terms in values["tags"].values()
                for term in terms
            ]
            data["terms"] = sorted(kept + chosen)
        return data


# ---- Creating a partner organisation ----------------------------------------------------


class OrganizationWriteSerializer(KnownFieldsMixin, serializers.Serializer):
    """A new partner organisation, checked by the rules of the site's editor."""

    # Only the JSON types are checked here: every rule is the editor's own form's.

    name = serializers.CharField(max_length=255)
    actor_type = TermCodeField("actor_type", help_text="A code of the actor_type vocabulary.")
    company_size = TermCodeField(
        "company_size",
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="A code of the company_size vocabulary; companies only.",
    )
    siren = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="9 digits, spaces accepted; the checksum is verified.",
    )
    siret = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="14 digits, spaces accepted, beginning with the SIREN (derived from it when "
        "siren is not sent); the checksum is verified.",
    )
    rna = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="W followed by 9 digits; associations only.",
    )
    seat = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="The commune of its seat: INSEE code (« 35236 », « commune:35236 »), or "
        "postal code when it names one commune. A collectivité named after its seat, or "
        "holding a territory's SIREN, governs that territory.",
    )
    website = WebAddressField(
        required=False, allow_blank=True, allow_null=True, help_text="A web address."
    )
    confirm_new = serializers.BooleanField(
        required=False,
        default=False,
        help_text="True once you have checked that the similar organisations of a 409 are "
        "other ones (an organisation with the same SIREN or RNA is never created twice).",
    )

    def form(self):
        """`NewOrganizationForm` bound to the values sent, its vocabulary fields
        reading codes (an unknown code is an error of that field)."""
        return new_organization_form(self.validated_data)


class OrganizationCandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    name = serializers.CharField()
    actor_type = TermRefSerializer()
    seat = TerritoryRefSerializer(allow_null=True, help_text="The commune of its seat.")
    siren = serializers.CharField(allow_null=True)
    siret = serializers.CharField(allow_null=True)
    rna = serializers.CharField(allow_null=True)


class RosterConflictSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The entry's position in roster, from 0.")
    name = serializers.CharField()
    candidates = OrganizationCandidateSerializer(many=True)


class CaseConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.ChoiceField(
        choices=["similar_organizations", "conflict"],
        required=False,
        help_text="similar_organizations: roster entries by name resemble existing "
        "organisations; put one of them in the entry (organization), or send the entry "
        "again with confirm_new. conflict: the case's state or version.",
    )
    roster = RosterConflictSerializer(many=True, required=False)


class OrganizationConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.ChoiceField(
        choices=["same_identifier", "similar_organizations"],
        help_text="same_identifier: use that organisation; similar_organizations: use one "
        "of them, or send again with confirm_new.",
    )
    organization = OrganizationCandidateSerializer(
        required=False,
        help_text="same_identifier only: the organisation that has this SIREN or RNA.",
    )
    candidates = OrganizationCandidateSerializer(
        many=True, help_text="The organisations in the way, the most likely first."
    )


class TokenRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="First characters of the token.")


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    display_name = serializers.CharField()
    is_staff = serializers.BooleanField()
    token = TokenRefSerializer(allow_null=True, help_text="Null when authenticated by session.")


class SubmitSerializer(KnownFieldsMixin, serializers.Serializer):
    """The optional body of a submission."""

    edit_summary = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=EDIT_SUMMARY_MAX_LENGTH,
        help_text="For the moderators: what you changed and why (else the summary kept "
        "with the last edit).",
    )
