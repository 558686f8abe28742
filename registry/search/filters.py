"""The one `FilterSet` of cases, shared by the search page, the observatory,
the feeds, the exports and the API: the same names, the same meaning.

Every value is validated: an unknown vocabulary code or a malformed year or
territory code is a form error (a message on the page, a 400 from the API), never
a 500. A territory code of the right shape that names no territory (a commune
merged since the link was made, `?region=00`) selects nothing, on the page and in
the API alike: the filter asked for cases there, and there are none.
"""

import re

import django_filters
from django import forms
from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.db import connection
from django.db.models import F, Func, Q, TextField, Value
from django.db.models.functions import Collate
from django.utils.translation import gettext_lazy as _

from registry.models import Case, CasePartner, Organization, Term
from registry.models.case import FIRST_YEAR, LAST_YEAR
from registry.search.query import full_text, parse_search
from registry.text.sanitize import LOOKS_LIKE_TAG, MARK_END, MARK_START, SENTINELS
from territories.models import CODE_PATTERNS, Territory, TerritoryKind

TERRITORY_FACETS = {
    "region": TerritoryKind.REGION,
    "departement": TerritoryKind.DEPARTEMENT,
    "epci": TerritoryKind.EPCI,
    "commune": TerritoryKind.COMMUNE,
}
SORTS = {
    "relevance": _("Pertinence"),
    "newest": _("Plus récentes"),
    "oldest": _("Plus anciennes"),
    "title": _("Titre (A → Z)"),
}
MAX_VALUES = 50


class TermIndex:
    """Every term, loaded in one query and shared by all the filters of a request."""

    def __init__(self):
        self.terms = list(Term.objects.select_related("vocabulary", "parent"))
        self.by_code = {(t.vocabulary.code, t.code): t for t in self.terms}

    def of(self, vocabulary_code):
        return [t for t in self.terms if t.vocabulary.code == vocabulary_code]

    def get(self, vocabulary_code, code):
        return self.by_code.get((vocabulary_code, code))


class Found(list):
    """The objects some codes name, in their order, and the codes of the right
    shape that name none (`missing`)."""

    def __init__(self, found=(), missing=()):
        super().__init__(found)
        self.missing = list(missing)


class CodeListField(forms.Field):
    """Several codes from a query string (`?theme=a&theme=b`), checked against a
    lookup. With a `pattern`, a code of that shape that the lookup does not know
    is `missing` (not an error); a code of another shape is one."""

    widget = forms.SelectMultiple

    def __init__(self, *, lookup, pattern=None, **kwargs):
        self.lookup = lookup
        self.pattern = pattern
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        codes = [str(code).strip() for code in value if str(code).strip()]
        if len(codes) > MAX_VALUES:
            raise forms.ValidationError(
                _("Trop de valeurs (%(max)d au plus)."), params={"max": MAX_VALUES}
            )
        if self.pattern is not None:
            malformed = [code for code in codes if not re.fullmatch(self.pattern, code)]
            if malformed:
                raise forms.ValidationError(
                    _("Code mal formé : %(codes)s."),
                    code="malformed_code",
                    params={"codes": ", ".join(malformed[:5])[:200]},
                )
        found = self.lookup(codes)
        unknown = [code for code in dict.fromkeys(codes) if code not in found]
        if unknown and self.pattern is None:
            raise forms.ValidationError(
                _("Code inconnu : %(codes)s."),
                code="unknown_code",
                params={"codes": ", ".join(unknown[:5])},
            )
        return Found([found[code] for code in dict.fromkeys(codes) if code in found], unknown)

    def widget_attrs(self, widget):
        return {}


class TermFilter(django_filters.Filter):
    field_class = CodeListField

    def __init__(self, *, vocabulary, **kwargs):
        self.vocabulary = vocabulary
        super().__init__(**kwargs)

    @property
    def field(self):
        if not hasattr(self, "_field"):
            index = self.parent.term_index
            self.extra["lookup"] = lambda codes: {
                code: index.get(self.vocabulary, code)
                for code in codes
                if index.get(self.vocabulary, code) is not None
            }
            self._field = super().field
        return self._field

    def filter(self, qs, value):
        if not value:
            return qs
        chosen = {term.pk for term in value}
        children = [t for t in self.parent.term_index.terms if t.parent_id in chosen]
        return qs.tagged([*value, *children])


class TerritoryFilter(django_filters.Filter):
    field_class = CodeListField

    def __init__(self, *, kind, **kwargs):
        self.kind = kind
        super().__init__(**kwargs)

    @property
    def field(self):
        if not hasattr(self, "_field"):
            kind = self.kind
            self.extra["pattern"] = CODE_PATTERNS[kind]
            self.extra["lookup"] = lambda codes: {
                t.code: t
                for t in Territory.objects.filter(kind=kind, code__in=codes).select_related(
                    "departement"
                )
            }
            self._field = super().field
        return self._field

    def filter(self, qs, value):
        if not value:
            return qs.none() if asks_missing(value) else qs
        return qs.located_in(value)


class SeatFilter(TerritoryFilter):
    """Organisations whose seat is in one of the territories."""

    def filter(self, qs, value):
        if not value:
            return qs.none() if asks_missing(value) else qs
        return qs.filter(
            seat__in=Territory.objects.filter(ancestor_links__ancestor__in=value).values("pk")
        )


def asks_missing(value):
    """True when a territory filter names only territories that do not exist."""
    return not value and bool(getattr(value, "missing", None))


class StrictCheckbox(forms.CheckboxInput):
    """A checkbox that hands an unreadable value on, for the field to refuse
    (Django's reads any text but « false » and « 0 » as checked: « -1 » too)."""

    VALUES = {"true": True, "on": True, "1": True, "false": False, "0": False, "": None}

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if value is None:
            return None
        return self.VALUES.get(str(value).lower(), value)


class StrictBooleanField(forms.NullBooleanField):
    widget = StrictCheckbox

    def to_python(self, value):
        if value in (True, False, None):
            return value
        raise forms.ValidationError(
            _("Valeur inconnue : %(value)s (true ou false)."),
            code="invalid",
            params={"value": str(value)[:50]},
        )

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


def french_title():
    """Title sorted the French way on PostgreSQL (ICU: « Égalité » among the E)."""
    if connection.vendor == "postgresql":
        return Collate("title", "fr-x-icu")
    return F("title")


def headline(qs, text):
    """On PostgreSQL, `summary_headline`: the summary with the words the French
    search matched for `text` between sentinels; never HTML (it is printed by
    `registry.text.sanitize.render_headline`, which escapes it first)."""
    if connection.vendor != "postgresql" or not text:
        return qs
    query = SearchQuery(text, search_type="websearch", config="registry_fr")
    # The summary as `sanitize.plain_words` reads it: no sentinel of its own, no tags.
    without_sentinels = Func(
        F("summary"), Value(SENTINELS), Value(""), function="translate", output_field=TextField()
    )
    source = Func(
        without_sentinels,
        Value(LOOKS_LIKE_TAG.pattern),
        Value(" "),
        Value("g"),
        function="regexp_replace",
        output_field=TextField(),
    )
    return qs.annotate(
        summary_headline=SearchHeadline(
            source,
            query,
            config="registry_fr",
            start_sel=MARK_START,
            stop_sel=MARK_END,
            # The whole summary: the extract is chosen in Python, as on SQLite.
            highlight_all=True,
        )
    )


def highlight_words(text):
    """The folded words of a query that a result's snippet marks on SQLite (on
    PostgreSQL the headline marks what the French search matched: none here)."""
    if connection.vendor == "postgresql" or not text:
        return []
    phrases, words, _excluded = parse_search(text)
    return list(dict.fromkeys([*words, *(w for phrase in phrases for w in phrase.split())]))


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Recherche"), method="filter_text", max_length=200, strip=True
    )
    region = TerritoryFilter(kind=TerritoryKind.REGION, label=_("Région"))
    departement = TerritoryFilter(kind=TerritoryKind.DEPARTEMENT, label=_("Département"))
    epci = TerritoryFilter(kind=TerritoryKind.EPCI, label=_("Intercommunalité"))
    commune = TerritoryFilter(kind=TerritoryKind.COMMUNE, label=_("Commune"))
    theme = TermFilter(vocabulary="theme", label=_("Thème"))
    practice = TermFilter(vocabulary="practice", label=_("Pratique du référentiel"))
    partnership = TermFilter(vocabulary="partnership_type", label=_("Type de partenariat"))
    form = TermFilter(vocabulary="coconstruction_form", label=_("Forme de co-construction"))
    objective = TermFilter(vocabulary="objective", label=_("Objectif"))
    impact = TermFilter(vocabulary="impact_axis", label=_("Axe d'impact"))
    prism = TermFilter(vocabulary="challenge_prism", label=_("Prisme des enjeux"))
    actor = TermFilter(
        vocabulary="actor_type", label=_("Type de partenaire"), method="filter_actor"
    )
    families = django_filters.ChoiceFilter(
        label=_("Familles d'acteurs"),
        choices=[("all", _("Réunit collectivité, entreprise et association"))],
        method="filter_families",
    )
    phase = TermFilter(vocabulary="phase", label=_("Étape"), method="filter_phase")
    scale = TermFilter(vocabulary="scale", label=_("Échelle"), method="filter_scale")
    year_min = django_filters.NumberFilter(
        field_name="start_year",
        lookup_expr="gte",
        label=_("Démarrée à partir de"),
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
    )
    year_max = django_filters.NumberFilter(
        field_name="start_year",
        lookup_expr="lte",
        label=_("Démarrée au plus tard en"),
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
    )
    pioneer = StrictBooleanFilter(
        label=_("Expériences pionnières seulement"), method="filter_pioneer"
    )
    ongoing = django_filters.ChoiceFilter(
        label=_("En cours ou terminée"),
        choices=[("yes", _("En cours")), ("no", _("Terminée"))],
        method="filter_ongoing",
    )
    sort = django_filters.ChoiceFilter(
        label=_("Trier par"),
        choices=list(SORTS.items()),
        method="filter_sort",
        empty_label=None,
    )

    class Meta:
        model = Case
        fields = []

    def __init__(self, data=None, queryset=None, *, term_index=None, **kwargs):
        self.term_index = term_index or TermIndex()
        if queryset is None:
            queryset = Case.objects.published()
        super().__init__(data, queryset, **kwargs)

    @property
    def notices(self):
        """What the page says of valid filters that select nothing by construction: a
        period ending before it starts (no case starts in it; the API answers an
        empty list, as its schema, which cannot compare two parameters, allows)."""
        if not self.form.is_valid():
            return []
        year_min, year_max = (
            self.form.cleaned_data.get("year_min"),
            self.form.cleaned_data.get("year_max"),
        )
        if year_min is not None and year_max is not None and year_min > year_max:
            return [_("L'année de fin de la période précède son année de début.")]
        return []

    @property
    def text(self):
        return (self.form.cleaned_data.get("q") or "") if self.form.is_valid() else ""

    @property
    def sort_order(self):
        if not self.form.is_valid():
            return "newest"
        sort = self.form.cleaned_data.get("sort") or ("relevance" if self.text else "newest")
        if sort == "relevance" and not self.text:
            return "newest"
        return sort

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return self.order(queryset)

    def order(self, qs):
        sort = self.sort_order
        # Every published case has its publication date (a database constraint): no
        # NULLS LAST, which would keep PostgreSQL from reading the (status,
        # -published_at) index instead of sorting every case.
        if sort == "relevance":
            return qs.order_by(F("rank").desc(), "-published_at", "-id")
        if sort == "oldest":
            return qs.order_by("published_at", "id")
        if sort == "title":
            return qs.order_by(french_title(), "id")
        return qs.order_by("-published_at", "-id")

    def filter_text(self, qs, name, value):
        if not value:
            return qs
        return full_text(qs, value)

    def filter_actor(self, qs, name, value):
        if not value:
            return qs
        partners = CasePartner.objects.filter(
            Q(organization__actor_type__in=value) | Q(organization__actor_type__parent__in=value)
        )
        return qs.filter(pk__in=partners.values("case_id"))

    def filter_families(self, qs, name, value):
        return qs.with_all_three_families() if value == "all" else qs

    def filter_phase(self, qs, name, value):
        return qs.filter(phase__in=value) if value else qs

    def filter_scale(self, qs, name, value):
        return qs.filter(scale__in=value) if value else qs

    def filter_pioneer(self, qs, name, value):
        return qs.filter(is_pioneer=True) if value else qs

    def filter_ongoing(self, qs, name, value):
        if value == "yes":
            return qs.filter(end_year__isnull=True)
        if value == "no":
            return qs.filter(end_year__isnull=False)
        return qs

    def filter_sort(self, qs, name, value):
        return qs  # applied last, in `order`

    def is_unfiltered(self):
        """True when the selection is every published case (sorting and paging aside)."""
        return (
            self.form.is_valid()
            and self.queryset.query.where == Case.objects.published().query.where
            and not self.active_filters()
        )

    def active_filters(self):
        """(parameter, value object) pairs of the valid filters in use."""
        if not self.form.is_valid():
            return []
        active = []
        for name, value in self.form.cleaned_data.items():
            if name == "sort" or (value in (None, "", [], False) and not asks_missing(value)):
                continue
            active.append((name, value))
        return active


class OrganizationFilter(django_filters.FilterSet):
    """The organisation directory: by name or identifier, actor type, territory."""

    q = django_filters.CharFilter(
        label=_("Nom, SIREN ou RNA"), method="filter_text", max_length=150, strip=True
    )
    actor = TermFilter(vocabulary="actor_type", label=_("Type d'acteur"), method="filter_actor")
    region = SeatFilter(kind=TerritoryKind.REGION, label=_("Région"))
    departement = SeatFilter(kind=TerritoryKind.DEPARTEMENT, label=_("Département"))

    class Meta:
        model = Organization
        fields = []

    def __init__(self, data=None, queryset=None, *, term_index=None, **kwargs):
        self.term_index = term_index or TermIndex()
        super().__init__(data, queryset, **kwargs)

    def filter_text(self, qs, name, value):
        return qs.search(value) if value else qs

    def filter_actor(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(Q(actor_type__in=value) | Q(actor_type__parent__in=value))
