"""French administrative geography (INSEE COG 2026).

Four levels: région, département, EPCI à fiscalité propre, commune. Codes are
unique within a level only (région 01 is Guadeloupe, département 01 is Ain), so
a territory is identified by its kind and its code.

Roll-up is held by a closure table, `TerritoryLink`: one row per (ancestor,
descendant) pair, including each territory with itself. An EPCI that straddles
two régions has a link to both, so "every territory inside X" is one join
whatever the level of X.
"""

import re
import unicodedata

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

COMBINING_MARKS = re.compile(r"[\u0300-\u036f]")
NOT_ALPHANUMERIC = re.compile(r"[\W_]+")


# A name search filters on this many distinct words at most (each one is a filter:
# a pasted page of words made thousands). Further words would only narrow what
# these find, and the whole text still ranks an exact name first.
SEARCH_WORDS = 8

# A postal code typed whole (5 digits) or its beginning (2 to 4 digits).
POSTAL_PREFIX = re.compile(r"[0-9]{2,5}")


def search_words(key, limit=SEARCH_WORDS):
    """The first `limit` distinct words of a normalized `key`."""
    return list(dict.fromkeys(key.split()))[:limit]


def normalize(text):
    """Lower-case, accent-free, punctuation-free form used to find and sort names.

    "Saint-Étienne" and "saint etienne" give the same key; "Île-de-France"
    sorts among the I. Regular expressions keep it fast on long texts (it
    folds whole case descriptions for search).
    """
    text = (text or "").replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae")
    stripped = COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text))
    return NOT_ALPHANUMERIC.sub(" ", stripped.lower()).strip()


class TerritoryKind(models.TextChoices):
    REGION = "region", _("Région")
    DEPARTEMENT = "departement", _("Département")
    EPCI = "epci", _("Intercommunalité (EPCI)")
    COMMUNE = "commune", _("Commune")


# The shape of each kind's codes (INSEE COG; SIREN for an EPCI): a code of this
# shape may still name no territory, one of another shape never does.
CODE_PATTERNS = {
    TerritoryKind.REGION: r"\d{2}",
    TerritoryKind.DEPARTEMENT: r"\d{2}|2[AB]|97\d",
    TerritoryKind.EPCI: r"\d{9}",
    TerritoryKind.COMMUNE: r"\d{5}|2[AB]\d{3}",
}


# The level in a phrase, after a name: « CA Dinan Agglomération — intercommunalité ».
KIND_NOUNS = {
    TerritoryKind.REGION: _("région"),
    TerritoryKind.DEPARTEMENT: _("département"),
    TerritoryKind.EPCI: _("intercommunalité"),
    TerritoryKind.COMMUNE: _("commune"),
}

KIND_DEPTH = {
    TerritoryKind.REGION: 0,
    TerritoryKind.DEPARTEMENT: 1,
    TerritoryKind.EPCI: 2,
    TerritoryKind.COMMUNE: 3,
}


class EpciCategory(models.TextChoices):
    CC = "CC", _("Communauté de communes")
    CA = "CA", _("Communauté d'agglomération")
    CU = "CU", _("Communauté urbaine")
    METRO = "METRO", _("Métropole")
    MET69 = "MET69", _("Métropole de Lyon")


class TerritoryQuerySet(models.QuerySet):
    def of_kind(self, kind):
        return self.filter(kind=kind)

    def regions(self):
        return self.filter(kind=TerritoryKind.REGION)

    def departements(self):
        return self.filter(kind=TerritoryKind.DEPARTEMENT)

    def inside(self, territory, include_self=True):
        """Every territory at or below `territory`, in one query."""
        qs = self.filter(ancestor_links__ancestor=territory)
        if not include_self:
            qs = qs.exclude(pk=territory.pk)
        return qs

    def containing(self, territory, include_self=True):
        """Every territory at or above `territory`."""
        qs = self.filter(descendant_links__descendant=territory)
        if not include_self:
            qs = qs.exclude(pk=territory.pk)
        return qs

    def containing_any(self, territories):
        """Every territory at or above any of `territories`."""
        return self.filter(descendant_links__descendant__in=territories).distinct()

    def search(self, text):
        """Accent-, case- and hyphen-insensitive lookup by name or postal code.

        Every word typed starts a word of the name; a number of 2 to 5 digits
        is a postal code, or its beginning (« 35600 » finds Redon, « 356 » the
        communes of 356xx), and a département's code (« 35 »). Words and a code
        together narrow each other (« redon 35600 »). Exact names first, then
        names starting with the text, then the most populated."""
        # No name is longer than its column: text beyond it cannot match.
        key = normalize((text or "")[: self.model._meta.get_field("name").max_length])
        if not key:
            return self.none()
        words = search_words(key)
        codes = [word for word in words if POSTAL_PREFIX.fullmatch(word)]
        names = [word for word in words if word not in codes]
        qs = self
        for word in names:
            qs = qs.filter(
                models.Q(name_key__startswith=word) | models.Q(name_key__contains=" " + word)
            )
        for code in codes[:1]:
            by_postal_code = models.Q(postal_codes__startswith=code) | models.Q(
                postal_codes__contains=" " + code
            )
            if not names and len(code) <= 3:
                by_postal_code |= models.Q(kind=TerritoryKind.DEPARTEMENT, code=code)
            qs = qs.filter(by_postal_code)
        name_key = " ".join(names)
        closeness = models.Case(
            models.When(kind=TerritoryKind.DEPARTEMENT, code=key, then=models.Value(0)),
            models.When(name_key=name_key, then=models.Value(0)),
            models.When(name_key__startswith=name_key, then=models.Value(1)),
            default=models.Value(2),
        )
        return qs.order_by(closeness, models.F("population").desc(nulls_last=True), "name_key")

    def by_population(self):
        return self.order_by(models.F("population").desc(nulls_last=True), "name_key")


class Territory(models.Model):
    kind = models.CharField(_("niveau"), max_length=12, choices=TerritoryKind.choices)
    code = models.CharField(
        _("code"), max_length=9, help_text=_("Code INSEE (COG) ou SIREN pour les EPCI.")
    )
    name = models.CharField(_("nom"), max_length=200)
    name_key = models.CharField(
        _("nom normalisé"),
        max_length=200,
        editable=False,
        db_index=True,
        help_text=_("Sans accents ni tirets, pour la recherche et le tri."),
    )
    region = models.ForeignKey(
        "self",
        verbose_name=_("région"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Région d'une commune ou d'un département."),
    )
    departement = models.ForeignKey(
        "self",
        verbose_name=_("département"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Département d'une commune."),
    )
    epci = models.ForeignKey(
        "self",
        verbose_name=_("EPCI"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="member_communes",
        help_text=_("Intercommunalité d'une commune (quatre communes insulaires n'en ont pas)."),
    )
    epci_category = models.CharField(
        _("catégorie d'EPCI"), max_length=5, choices=EpciCategory.choices, blank=True
    )
    population = models.PositiveIntegerField(_("population municipale"), null=True, blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    postal_codes = models.CharField(
        _("codes postaux"), max_length=300, blank=True, help_text=_("Séparés par des espaces.")
    )
    is_overseas = models.BooleanField(_("outre-mer"), default=False)

    objects = TerritoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("territoire")
        verbose_name_plural = _("territoires")
        ordering = ["name_key", "code"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="territory_unique_kind_code"),
            models.CheckConstraint(
                condition=models.Q(kind__in=TerritoryKind.values), name="territory_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="epci") | models.Q(epci_category=""),
                name="territory_category_only_for_epci",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "name_key"], name="territory_kind_name"),
            models.Index(fields=["siren"], name="territory_siren"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("territory_detail", kwargs={"kind": self.kind, "code": self.code})

    @property
    def label(self):
        """The one way a territory is named: told apart from its homonyms by its
        département's code, « Sainte-Colombe (05) », « Côtes-d'Armor (22) »;
        an EPCI or a région by its name alone. Templates never append a code."""
        if self.kind == TerritoryKind.COMMUNE and self.departement_id:
            return f"{self.name} ({self.departement_code})"
        if self.kind == TerritoryKind.DEPARTEMENT:
            return f"{self.name} ({self.code})"
        return self.name

    @property
    def label_with_kind(self):
        """The label and its level, where levels mix (a case's territories):
        « CA Dinan Agglomération — intercommunalité », « Dinan (22) — commune »,
        one pair of parentheses at most."""
        return f"{self.label} — {KIND_NOUNS[self.kind]}"

    @property
    def departement_code(self):
        # Commune codes start with their département's: 2 characters, 3 overseas.
        return self.code[:3] if self.code.startswith("97") else self.code[:2]

    @property
    def depth(self):
        return KIND_DEPTH[self.kind]

    def parents(self):
        """The territories directly above, as a user browses up."""
        if self.kind == TerritoryKind.COMMUNE:
            return [t for t in (self.epci, self.departement) if t is not None]
        if self.kind == TerritoryKind.DEPARTEMENT:
            return [self.region] if self.region_id else []
        if self.kind == TerritoryKind.EPCI:
            return list(
                Territory.objects.containing(self, include_self=False)
                .filter(kind=TerritoryKind.DEPARTEMENT)
                .order_by("code")
            )
        return []

    def children(self):
        """The territories directly below: départements of a région, EPCI of a
        département, communes of an EPCI or of a département."""
        if self.kind == TerritoryKind.REGION:
            return Territory.objects.filter(kind=TerritoryKind.DEPARTEMENT, region=self)
        if self.kind == TerritoryKind.DEPARTEMENT:
            return Territory.objects.inside(self, include_self=False).filter(
                kind=TerritoryKind.EPCI
            )
        if self.kind == TerritoryKind.EPCI:
            return Territory.objects.filter(kind=TerritoryKind.COMMUNE, epci=self)
        return Territory.objects.none()


class TerritoryLink(models.Model):
    """Closure table: `descendant` lies at or below `ancestor`."""

    ancestor = models.ForeignKey(
        Territory, on_delete=models.CASCADE, related_name="descendant_links"
    )
    descendant = models.ForeignKey(
        Territory, on_delete=models.CASCADE, related_name="ancestor_links"
    )

    class Meta:
        verbose_name = _("lien territorial")
        verbose_name_plural = _("liens territoriaux")
        constraints = [
            models.UniqueConstraint(
                fields=["descendant", "ancestor"], name="territorylink_unique_pair"
            ),
        ]
        indexes = [models.Index(fields=["ancestor", "descendant"], name="territorylink_down")]

    def __str__(self):
        return f"{self.descendant_id} ⊂ {self.ancestor_id}"
