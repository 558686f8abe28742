"""Forms of the case editor.

The editor is one page that works without JavaScript: picking a territory or a
partner is a search that re-displays the page with candidates to add, and every
value typed so far is carried along (nothing is lost on a validation error).
"""

import re

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from registry.models import Case, Organization, Term
from registry.models.case import FIRST_YEAR, LAST_YEAR
from registry.models.vocabulary import TAG_HEADINGS, TAGS
from registry.models.workflow import pioneer_errors
from registry.text import identifiers
from registry.text.guard import unix_line_endings
from registry.text.sanitize import clean_html
from territories.models import Territory

RICH_FIELDS = ("description", "context", "actions", "results", "lessons")
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
        self.fields["title"].widget.attrs["maxlength"] = 200
        for name in RICH_FIELDS:
            self.fields[name].help_text = _(
                "Paragraphes séparés par une ligne vide ; gras, italique, listes et liens acceptés."
            )
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
        help_text=_("Commune, intercommunalité, département ou région, avec ou sans accents."),
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
        help_text=_("Nom, SIREN ou numéro RNA."),
    )

    def query(self):
        """The organisation searched for, as the search box keeps it."""
        return self.fields["partner_query"].to_python(self["partner_query"].data)


class NewOrganizationForm(forms.ModelForm):
    """An organisation created from the editor, with its identifiers checked."""

    # Wider than the stored values: typed with spaces, compacted in clean_*.
    siren = forms.CharField(label=_("SIREN"), max_length=20, required=False)
    rna = forms.CharField(label=_("Numéro RNA"), max_length=20, required=False)
    website = forms.URLField(label=_("Site web"), required=False, assume_scheme="https")
    confirm_new = forms.BooleanField(
        label=_("Je confirme qu'il s'agit d'une autre organisation que celles proposées."),
        required=False,
    )

    class Meta:
        model = Organization
        fields = ["name", "actor_type", "company_size", "siren", "rna", "website"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor_type"].queryset = active_terms("actor_type")
        self.fields["company_size"].queryset = active_terms("company_size")
        self.fields["name"].label = _("Nom de la nouvelle organisation")
        self.fields["siren"].help_text = _("9 chiffres, espaces acceptés.")
        for name, field in self.fields.items():
            field.required = name in {"name", "actor_type"}

    def clean_siren(self):
        value = self.cleaned_data.get("siren")
        return identifiers.normalize_siren(value) if value and value.strip() else None

    def clean_rna(self):
        value = self.cleaned_data.get("rna")
        return identifiers.normalize_rna(value) if value and value.strip() else None


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
