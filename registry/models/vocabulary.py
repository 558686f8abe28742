"""The référentiel vocabularies: every list a case or an organisation is tagged with.

Loaded from `registry/data/taxonomy.json` (see `load_vocabularies`). Codes are
stable identifiers: staff may edit labels and descriptions, or retire a term,
never change a code. A retired term stays on the cases that use it but is no
longer offered for new tagging.
"""

from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# The vocabularies a case is tagged with, each with its parameter on the search page,
# in the API and in the exports (`?partnership=`, `"tags": {"partnership": […]}`), in
# the order of the exports' columns and of a case page's sections.
TAGS = {
    "theme": "theme",
    "practice": "practice",
    "partnership_type": "partnership",
    "coconstruction_form": "form",
    "objective": "objective",
    "impact_axis": "impact",
    "challenge_prism": "prism",
}
# How a list of a case's tags is headed (the editor's fieldsets), in the order of TAGS.
TAG_HEADINGS = {
    "theme": _("Thèmes"),
    "practice": _("Pratiques du référentiel"),
    "partnership_type": _("Types de partenariat"),
    "coconstruction_form": _("Formes de co-construction"),
    "objective": _("Objectifs"),
    "impact_axis": _("Axes d'impact"),
    "challenge_prism": _("Prismes des enjeux"),
}
# Parameter -> vocabulary code, the same map read the other way.
TAG_PARAMETERS = {parameter: vocabulary for vocabulary, parameter in TAGS.items()}
# Vocabularies that qualify a case without being its tags (a field of the case, or of
# its partners), with their search parameter all the same.
QUALIFIERS = {"phase": "phase", "scale": "scale", "actor_type": "actor"}
SEARCH_PARAMETERS = {**TAGS, **QUALIFIERS}

# The vocabularies of the référentiel page, in reading order; each has term pages.
# (company_size describes organisations, not alliances: it has no page.)
REFERENTIEL_ORDER = [
    "practice",
    "coconstruction_form",
    "partnership_type",
    "objective",
    "impact_axis",
    "challenge_prism",
    "theme",
    "actor_type",
    "partner_role",
    "phase",
    "scale",
    "pioneer_criterion",
]


class Basis(models.TextChoices):
    SOURCED = "sourced", _("Publié (Le RAMEAU, nomenclature officielle)")
    REGISTRY = "registry", _("Propre au registre")


def localized(obj, field):
    """`obj.<field>_en` when English is active and filled, else the French reference."""
    if (get_language() or "fr").startswith("en"):
        value = getattr(obj, f"{field}_en", "")
        if value:
            return value
    return getattr(obj, f"{field}_fr")


class Vocabulary(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    label_fr = models.CharField(_("libellé (français)"), max_length=200)
    label_en = models.CharField(_("libellé (anglais)"), max_length=200, blank=True)
    basis = models.CharField(_("fondement"), max_length=10, choices=Basis.choices)
    # Where a published list comes from, and what to know about it: the English
    # wording is the shared reference's, the French one the registry's own
    # (registry/data/README.md). Both follow the file at each load.
    source_fr = models.TextField(_("source (français)"), blank=True)
    source_en = models.TextField(_("source (anglais)"), blank=True)
    note_fr = models.TextField(_("note (français)"), blank=True)
    note_en = models.TextField(_("note (anglais)"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("vocabulaire")
        verbose_name_plural = _("vocabulaires")
        ordering = ["position", "code"]

    def __str__(self):
        return self.label

    @property
    def label(self):
        return localized(self, "label")

    @property
    def source(self):
        return localized(self, "source")

    @property
    def note(self):
        return localized(self, "note")


class TermQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def of(self, vocabulary_code):
        return self.filter(vocabulary__code=vocabulary_code)

    def leaves(self):
        return self.filter(children__isnull=True)


class Term(models.Model):
    vocabulary = models.ForeignKey(
        Vocabulary, verbose_name=_("vocabulaire"), on_delete=models.PROTECT, related_name="terms"
    )
    code = models.SlugField(_("code"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    label_fr = models.CharField(_("libellé (français)"), max_length=200)
    label_en = models.CharField(_("libellé (anglais)"), max_length=200, blank=True)
    description_fr = models.TextField(_("description (français)"), blank=True)
    description_en = models.TextField(_("description (anglais)"), blank=True)
    basis = models.CharField(_("fondement"), max_length=10, choices=Basis.choices)
    is_active = models.BooleanField(
        _("en usage"),
        default=True,
        help_text=_("Décocher pour retirer le terme : il reste sur les expériences existantes."),
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = TermQuerySet.as_manager()

    class Meta:
        verbose_name = _("terme")
        verbose_name_plural = _("termes")
        ordering = ["vocabulary__position", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["vocabulary", "code"], name="term_unique_code"),
        ]

    def __str__(self):
        return self.label

    def get_absolute_url(self):
        return reverse(
            "term_detail", kwargs={"vocabulary": self.vocabulary.code, "code": self.code}
        )

    @property
    def label(self):
        return localized(self, "label")

    @property
    def description(self):
        return localized(self, "description")

    @property
    def vocabulary_code(self):
        return self.vocabulary.code
