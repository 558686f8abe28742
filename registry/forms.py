"""Forms of the case editor.

The editor is one page that works without JavaScript: picking a territory or a
partner is a search that re-displays the page with candidates to add, and every
value typed so far is carried along (nothing is lost on a validation error).
"""

import re

from django import forms
from django.core import validators
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from registry.models import Case, Organization, Term
from registry.models.case import FIRST_YEAR, LAST_YEAR
from registry.models.moderation import MESSAGE_MAX_LENGTH
from registry.models.vocabulary import TAG_HEADINGS, TAGS
from registry.models.workflow import EDIT_SUMMARY_MAX_LENGTH, pioneer_errors
from registry.search.duplicates import core_name
from registry.text import identifiers
from registry.text.guard import unix_line_endings
from registry.text.sanitize import clean_html
from territories.models import Territory, normalize

RICH_FIELDS = ("description", "context", "actions", "results", "lessons")
# Characters typed in each narrative field, as the write API allows (#14's MAX_TEXT).
MAX_NARRATIVE = 20_000
MAX_TERRITORIES = 10
MAX_PARTNERS = 30


def active_terms(vocabulary):
    return Term.objects.of(vocabulary).active().select_related("parent", "vocabulary")


class CaseForm(forms.ModelForm):
    """The case's own fields; `version` detects an edit made meanwhile by someone else."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    start_year = forms.IntegerField(
        label=_("Année de démarrage"), min_value=FIRST_YEAR, max_value=LAST_YEAR, required=False
    )
    end_year = forms.IntegerField(
        label=_("Année de fin"),
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        required=False,
        help_text=_("Laisser vide si l'expérience est en cours."),
    )

    class Meta:
        model = Case
        fields = [
            "title",
            "summary",
            "description",
            "context",
            "actions",
            "results",
            "lessons",
            "start_year",
            "end_year",
            "phase",
            "scale",
            "contact_email",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3, "maxlength": 600}),
            "description": forms.Textarea(attrs={"rows": 6}),
            "context": forms.Textarea(attrs={"rows": 5}),
            "actions": forms.Textarea(attrs={"rows": 5}),
            "results": forms.Textarea(attrs={"rows": 5}),
            "lessons": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phase"].queryset = active_terms("phase")
        self.fields["scale"].queryset = active_terms("scale")
        self.fields["phase"].empty_label = _("Non précisée")
        self.fields["scale"].empty_label = _("Non précisée")
        self.fields["title"].widget.attrs["maxlength"] = 200
        for name in RICH_FIELDS:
            field = self.fields[name]
            field.help_text = _(
                "Paragraphes séparés par une ligne vide ; gras, italique, listes et liens acceptés."
            )
            field.max_length = MAX_NARRATIVE
            field.validators.append(validators.MaxLengthValidator(MAX_NARRATIVE))
            field.widget.attrs["maxlength"] = MAX_NARRATIVE
        self.fields["contact_email"].help_text = _("Jamais affiché publiquement.")

    def clean(self):
        data = super().clean()
        start, end = data.get("start_year"), data.get("end_year")
        if start and end and end < start:
            self.add_error("end_year", _("L'année de fin précède l'année de démarrage."))
        for name in RICH_FIELDS:
            if data.get(name):
                data[name] = clean_html(data[name])
        return data


class TagsForm(forms.Form):
    """One group of checkboxes per vocabulary; practices grouped by métier."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for vocabulary in TAGS:
            terms = active_terms(vocabulary)
            if vocabulary == "practice":
                terms = terms.filter(parent__isnull=False)
            self.fields[vocabulary] = forms.ModelMultipleChoiceField(
                queryset=terms,
                label=TAG_HEADINGS[vocabulary],
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )

    def groups(self):
        """Practices grouped by métier, with each mission's description at hand."""
        field = self.fields["practice"]
        selected = {str(v) for v in (self["practice"].value() or [])}
        groups = {}
        for term in field.queryset.order_by("parent__position", "position"):
            group = groups.setdefault(term.parent_id, {"metier": term.parent, "missions": []})
            group["missions"].append({"term": term, "checked": str(term.pk) in selected})
        return list(groups.values())

    def terms(self):
        chosen = []
        for vocabulary in TAGS:
            chosen.extend(self.cleaned_data.get(vocabulary) or [])
        return chosen


def parse_territory_token(token):
    kind, _, code = (token or "").partition(":")
    return kind, code


class PlacesField(forms.Field):
    """Territories as `kind:code` tokens carried in hidden inputs."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        tokens = [value] if isinstance(value, str) else list(value)
        if len(tokens) > MAX_TERRITORIES:
            raise ValidationError(
                _("%(max)d territoires au plus."), params={"max": MAX_TERRITORIES}
            )
        territories = []
        for token in dict.fromkeys(tokens):
            kind, code = parse_territory_token(token)
            territory = (
                Territory.objects.filter(kind=kind, code=code).select_related("departement").first()
            )
            if territory is None:
                raise ValidationError(_("Territoire inconnu : %(token)s."), params={"token": token})
            territories.append(territory)
        return territories


class SearchBoxField(forms.CharField):
    """A search box of the editor: text beyond `max_length` (which the browser does not
    send) is cut, never searched, and never an error that would keep a draft from
    being saved."""

    def to_python(self, value):
        return super().to_python(value)[: self.max_length].strip()


class PlacesForm(forms.Form):
    territories = PlacesField(label=_("Territoires"), required=False)
    territory_query = SearchBoxField(
        label=_("Ajouter un territoire"),
        required=False,
        max_length=100,
        help_text=_(
            "Commune, intercommunalité, département ou région, avec ou sans accents, "
            "ou un code postal."
        ),
    )

    def query(self):
        """The territory searched for, as the search box keeps it."""
        return self.fields["territory_query"].to_python(self["territory_query"].data)


IDENTIFIER_KEY = re.compile(r"(siren|rna):([0-9A-Z]{9,10})")


def organization_by_identifier(key):
    """The organisation named by a public identifier key (« siren:… », « rna:… »)."""
    match = IDENTIFIER_KEY.fullmatch(str(key or ""))
    if match is None:
        return None
    kind, code = match.groups()
    return Organization.objects.filter(**{kind: code}).first()


class PartnerChoiceField(forms.ModelChoiceField):
    """An organisation a person may put on a roster: by id among those they may
    see (`Organization.objects.visible_to`), or by its public identifier key
    (« siren:… », « rna:… »), whoever created it. Knowing an official identifier
    is knowing the organisation; guessing ids must not name anyone's draft partner."""

    def to_python(self, value):
        if IDENTIFIER_KEY.fullmatch(str(value or "")):
            organization = organization_by_identifier(value)
            if organization is None:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
            return organization
        return super().to_python(value)


class RosterEntryForm(forms.Form):
    organization = PartnerChoiceField(
        queryset=Organization.objects.none(), widget=forms.HiddenInput
    )
    role = forms.ModelChoiceField(queryset=Term.objects.none(), label=_("Rôle"), empty_label=None)
    contribution = forms.CharField(label=_("Apport"), required=False, max_length=300)
    remove = forms.BooleanField(label=_("Retirer"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.visible_to(user)
        self.fields["role"].queryset = active_terms("partner_role")


class BaseRosterFormSet(forms.BaseFormSet):
    def kept(self):
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("remove")
        ]

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for entry in self.kept():
            key = (entry["organization"].pk, entry["role"].pk)
            if key in seen:
                raise ValidationError(_("Un même partenaire figure deux fois avec le même rôle."))
            seen.add(key)
        if len(seen) > MAX_PARTNERS:
            raise ValidationError(_("%(max)d partenaires au plus."), params={"max": MAX_PARTNERS})


RosterFormSet = forms.formset_factory(
    RosterEntryForm,
    formset=BaseRosterFormSet,
    extra=0,
    max_num=MAX_PARTNERS,
    validate_max=True,
    # The rows built from a posted count, whatever it says: a few more than the
    # limit, so that a roster one row too long is shown whole with its error.
    absolute_max=2 * MAX_PARTNERS,
)


class PartnerSearchForm(forms.Form):
    partner_query = SearchBoxField(
        label=_("Chercher une organisation"),
        required=False,
        max_length=150,
        help_text=_("Nom, SIREN, SIRET ou numéro RNA."),
    )

    def query(self):
        """The organisation searched for, as the search box keeps it."""
        return self.fields["partner_query"].to_python(self["partner_query"].data)


COMMUNE_TOKEN = re.compile(r"commune:([0-9AB]{5})")
COMMUNE_LABEL = re.compile(r"(?P<name>.+?)\s*\((?P<departement>[0-9AB]{2,3})\)")
COMMUNE_CODE = re.compile(r"[0-9]{5}|2[AB][0-9]{3}")
COMMUNE_CHOICES_SHOWN = 8


def find_communes(text):
    """The communes `text` may name: « commune:35236 » (a suggestion's value), a
    label « Redon (35) », an INSEE code or a postal code, a name. Exact matches
    first: one commune when the text names it without doubt."""
    text = " ".join((text or "").split())[:120]
    communes = Territory.objects.filter(kind="commune").select_related("departement")
    token = COMMUNE_TOKEN.fullmatch(text)
    if token:
        return list(communes.filter(code=token.group(1)))
    label = COMMUNE_LABEL.fullmatch(text)
    if label:
        found = list(
            communes.filter(
                name_key=normalize(label.group("name")),
                departement__code=label.group("departement").upper(),
            )
        )
        if found:
            return found
        text = label.group("name")
    found = list(communes.search(text)[:50])
    if COMMUNE_CODE.fullmatch(text.upper()):
        by_code = communes.filter(code=text.upper()).first()
        if by_code is not None and by_code not in found:
            found.insert(0, by_code)
        return found
    exact = [commune for commune in found if commune.name_key == normalize(text)]
    return exact or found


class CommuneField(forms.CharField):
    """A commune typed by name, postal code or INSEE code (the suggestions of the
    editor fill it with a label such as « Redon (35) »): cleaned to a Territory,
    or an error naming the communes to choose from."""

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        found = find_communes(text)
        if len(found) == 1:
            return found[0]
        if not found:
            raise ValidationError(
                _("Aucune commune ne correspond à « %(text)s »."), params={"text": text[:120]}
            )
        raise ValidationError(
            _("Plusieurs communes correspondent. Précisez : %(choices)s."),
            params={
                "choices": ", ".join(
                    commune.label for commune in found[:COMMUNE_CHOICES_SHOWN]
                )
                + (" …" if len(found) > COMMUNE_CHOICES_SHOWN else "")
            },
            code="ambiguous",
        )


def is_collectivity(actor_type):
    return actor_type is not None and "collectivite" in {
        actor_type.code,
        actor_type.parent.code if actor_type.parent_id else "",
    }


def governed_territory(*, actor_type, name, siren, seat):
    """The territory a new collectivité administers: the one whose SIREN it has
    (the territory table knows the SIREN of communes and EPCI), or its seat when
    it is a commune, or a collectivité named after its seat (« Ville de Redon »)."""
    if not is_collectivity(actor_type):
        return None
    if siren:
        territory = Territory.objects.filter(siren=siren).first()
        if territory is not None:
            return territory
    if seat is not None and (
        actor_type.code == "commune" or core_name(normalize(name)) == seat.name_key
    ):
        return seat
    return None


def same_organization(*, seen_by, name, actor_type, seat=None):
    """An organisation `seen_by` may see with the same name once its legal form
    is removed (« Ville de Pantin », « Commune de Pantin ») and the same type,
    not seated elsewhere: the one to reuse instead of creating its twin."""
    core = core_name(normalize(name))
    words = sorted(core.split(), key=len, reverse=True)
    if not words or actor_type is None:
        return None
    candidates = (
        Organization.objects.visible_to(seen_by)
        .filter(actor_type=actor_type, name_key__contains=words[0])
        .select_related("seat")
        .order_by("pk")[:200]
    )
    twins = [
        organization
        for organization in candidates
        if core_name(organization.name_key) == core
        and (seat is None or organization.seat_id in {None, seat.pk})
    ]
    if seat is not None:
        twins.sort(key=lambda organization: organization.seat_id != seat.pk)
    return twins[0] if twins else None


class NewOrganizationForm(forms.ModelForm):
    """An organisation created from the editor (or the API), with its identifiers
    checked, its seat resolved to a commune and, for a collectivité, the
    territory it administers.

    On the editor's page the form is bound on every round-trip, to keep what was
    typed; it is checked, and shows errors, only once its own button is pressed
    (`submitted`)."""

    SUBMIT_ACTION = "create_partner"
    SEARCH_KEY = "find-partner_query"  # the partner search of the editor (PartnerSearchForm)

    # Wider than the stored values: typed with spaces, compacted in clean_*.
    siren = forms.CharField(label=_("SIREN"), max_length=20, required=False)
    siret = forms.CharField(label=_("SIRET du siège"), max_length=25, required=False)
    rna = forms.CharField(label=_("Numéro RNA"), max_length=20, required=False)
    seat = CommuneField(label=_("Commune du siège"), max_length=120, required=False)
    website = forms.URLField(label=_("Site web"), required=False, assume_scheme="https")
    confirm_new = forms.BooleanField(
        label=_("Je confirme qu'il s'agit d'une autre organisation que celles proposées."),
        required=False,
    )

    class Meta:
        model = Organization
        fields = ["name", "actor_type", "company_size", "siren", "siret", "rna", "seat", "website"]

    def __init__(self, *args, submitted=None, **kwargs):
        super().__init__(*args, **kwargs)
        if submitted is None:
            submitted = self.data.get("action") == self.SUBMIT_ACTION
        self.submitted = self.is_bound and submitted
        self.fields["actor_type"].queryset = active_terms("actor_type")
        self.fields["company_size"].queryset = active_terms("company_size")
        self.fields["actor_type"].empty_label = _("Choisissez un type")
        self.fields["company_size"].empty_label = _("Non précisée")
        self.fields["name"].label = _("Nom de la nouvelle organisation")
        self.fields["name"].widget.attrs["data-prefill-from"] = f"id_{self.SEARCH_KEY}"
        self.fields["siren"].help_text = _("9 chiffres, espaces acceptés.")
        self.fields["siret"].help_text = _(
            "14 chiffres : le SIREN suivi des 5 chiffres de l'établissement."
        )
        self.fields["seat"].help_text = _("Nom ou code postal de la commune.")
        self.fields["seat"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        for name, field in self.fields.items():
            field.required = name in {"name", "actor_type"}
        name_key = self.add_prefix("name")
        if self.is_bound and not self.submitted and not (self.data.get(name_key) or "").strip():
            # The panel opens on the name searched for and not found.
            query = " ".join(str(self.data.get(self.SEARCH_KEY) or "").split())
            if query and not identifiers.compact(query).isdigit():
                self.data = self.data.copy()
                self.data[name_key] = query[: Organization._meta.get_field("name").max_length]

    def full_clean(self):
        if not self.submitted:  # kept, not checked: no error before « Créer et ajouter »
            self._errors = forms.utils.ErrorDict()
            self.cleaned_data = {}
            return
        super().full_clean()

    def is_valid(self):
        return self.submitted and super().is_valid()

    def clean_siren(self):
        value = self.cleaned_data.get("siren")
        return identifiers.normalize_siren(value) if value and value.strip() else None

    def clean_siret(self):
        value = self.cleaned_data.get("siret")
        return identifiers.normalize_siret(value) if value and value.strip() else None

    def clean_rna(self):
        value = self.cleaned_data.get("rna")
        return identifiers.normalize_rna(value) if value and value.strip() else None

    def clean(self):
        data = super().clean()
        siren, siret = data.get("siren"), data.get("siret")
        if siret and siren and not siret.startswith(siren):
            self.add_error("siret", _("Les 9 premiers chiffres du SIRET doivent être le SIREN."))
        elif siret and not siren and "siren" not in self.errors:
            try:
                data["siren"] = identifiers.normalize_siren(siret[:9])
            except ValidationError:
                self.add_error(
                    "siret", _("Les 9 premiers chiffres de ce SIRET ne sont pas un SIREN.")
                )
        return data

    def _post_clean(self):
        super()._post_clean()
        data = self.cleaned_data
        if not self.errors and data.get("actor_type") is not None:
            self.instance.governed_territory = governed_territory(
                actor_type=data["actor_type"],
                name=data.get("name") or "",
                siren=data.get("siren"),
                seat=data.get("seat"),
            )


SOURCE_LINE_HELP = _("Une source par ligne : « Intitulé | https://adresse » ou une adresse seule.")


class SourcesForm(forms.Form):
    sources = forms.CharField(
        label=_("Sources et liens"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=SOURCE_LINE_HELP,
        max_length=5000,
    )

    def clean_sources(self):
        sources = []
        url_field = forms.URLField(max_length=500, assume_scheme="https")
        for number, line in enumerate(self.cleaned_data["sources"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            title, _sep, url = line.rpartition("|") if "|" in line else ("", "", line)
            title, url = title.strip(), url.strip()
            if url and not url.lower().startswith(("http://", "https://")) and not title:
                title, url = url, ""
            if url:
                try:
                    url = url_field.clean(url)
                except ValidationError:
                    raise ValidationError(
                        _("Ligne %(number)d : adresse web invalide."), params={"number": number}
                    ) from None
            sources.append({"title": (title or url)[:300], "url": url})
        return sources[:20]


def sources_as_text(sources):
    lines = []
    for source in sources:
        if source.get("url") and source["title"] != source["url"]:
            lines.append(f"{source['title']} | {source['url']}")
        else:
            lines.append(source.get("url") or source["title"])
    return "\n".join(lines)


class PioneerForm(forms.Form):
    """What featuring a case takes: the criteria it meets and why (the pioneer
    rule, `pioneer_errors`). With `case` (the moderation page) its status is
    checked too; the admin's action, for several cases, leaves that to the
    workflow, case by case."""

    criteria = forms.ModelMultipleChoiceField(
        label=_("Critères remplis"),
        queryset=Term.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Cochez au moins un critère.")},
    )
    reason = forms.CharField(
        label=_("Pourquoi elle est pionnière"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,  # the pioneer rule says it is needed, with its own words
    )
    review_on = forms.DateField(
        label=_("À réexaminer le"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["criteria"].queryset = (
            Term.objects.of("pioneer_criterion").active().select_related("vocabulary", "parent")
        )

    def clean(self):
        data = super().clean()
        data["reason"] = unix_line_endings(data.get("reason") or "")
        status = self.case.status if self.case is not None else None
        errors = pioneer_errors(status=status, reason=data["reason"])
        if "pioneer_reason" in errors:
            self.add_error("reason", errors.pop("pioneer_reason"))
        if NON_FIELD_ERRORS in errors:
            self.add_error(None, errors[NON_FIELD_ERRORS])
        return data


class EditSummaryForm(forms.Form):
    """What the contributor says they changed, for the moderators: kept with the
    save, sent with the submission, shown in the review and the history."""

    edit_summary = forms.CharField(
        label=_("Résumé de vos modifications"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=EDIT_SUMMARY_MAX_LENGTH,
        required=False,
        help_text=_(
            "Facultatif. Dites en quelques mots ce qui a changé et pourquoi : l'équipe de "
            "modération le lira avec votre soumission."
        ),
    )


class MessageForm(forms.Form):
    """A message in a case's thread, between its owner and the moderators."""

    body = forms.CharField(
        label=_("Votre message"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MESSAGE_MAX_LENGTH,
        error_messages={"required": _("Écrivez votre message.")},
    )

    def clean_body(self):
        return unix_line_endings(self.cleaned_data["body"]).strip()
