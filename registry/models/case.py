"""Cases (« expériences »): one documented alliance or partnership."""

import logging
from calendar import monthrange

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from registry.models.choices import EDITABLE_STATUSES, Action, CaseStatus
from registry.models.index import (
    forget_word_index,
    lexicon_words,
    refresh_case_index,
    update_lexicon,
)
from registry.models.vocabulary import Term
from registry.models.workflow import (
    AssignmentWorkflow,
    CaseWorkflow,
    TransitionNotAllowed,
    check_may_write,
    is_moderator,
)
from registry.text.guard import unix_line_endings
from territories.models import Territory

logger = logging.getLogger(__name__)

FIRST_YEAR = 1950
LAST_YEAR = 2100

# The three families of actors whose alliance the registry documents, as bits
# of `Case.family_mask`; every other actor type counts as OTHER.
FAMILIES = ("collectivite", "entreprise", "association")


class Family(models.IntegerChoices):
    COLLECTIVITE = 1, _("Collectivité")
    ENTREPRISE = 2, _("Entreprise")
    ASSOCIATION = 4, _("Association")
    OTHER = 8, _("Autre acteur")


ALL_THREE_FAMILIES = Family.COLLECTIVITE | Family.ENTREPRISE | Family.ASSOCIATION


def has_all_three_families(mask):
    """Whether a `family_mask` has a collectivité, a company and an association at
    the table (other actors may sit there too)."""
    return mask & ALL_THREE_FAMILIES == ALL_THREE_FAMILIES


def unique_slug(model, text, max_length=100):
    """A slug of `text` no `model` row has yet (« -2 », « -3 »… when taken)."""
    base = slugify(text)[:max_length].strip("-") or "x"
    slug, suffix = base, 2
    while model.objects.filter(slug=slug).exists():
        slug = f"{base}-{suffix}"
        suffix += 1
    return slug


# A published case its owner has not confirmed for this long is stale: the dashboard
# asks its owner, `send_freshness_reminders` e-mails them, staff see it listed.
FRESHNESS_MONTHS = 12


def months_before(day, months):
    """The same day `months` earlier (the month's last day when it has fewer)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, monthrange(year, month + 1)[1]))


def stale_limit(today, months=FRESHNESS_MONTHS):
    """Cases verified before this day are stale (`Case.objects.unverified_since`)."""
    return months_before(today, months)


class FacetKeys(ArrayField):
    """Integer ids kept on a case for counting: `integer[]` on PostgreSQL. Other
    databases get the column but leave it NULL (nothing writes or reads it)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("base_field", models.IntegerField())
        super().__init__(**kwargs)

    def get_placeholder(self, value, compiler, connection):
        # ArrayField casts its parameter (`%s::integer[]`), which only PostgreSQL reads.
        if connection.vendor != "postgresql":
            return "%s"
        return super().get_placeholder(value, compiler, connection)


class CaseQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=CaseStatus.PUBLISHED)

    def visible_to(self, user):
        """What `user` may see: everything for staff, published cases and their
        own for a contributor, published cases for everyone else."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.published()
        if is_moderator(user):
            return self
        return self.filter(models.Q(status=CaseStatus.PUBLISHED) | models.Q(owner=user))

    def editable_by(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if is_moderator(user):
            return self
        return self.filter(owner=user)

    def pioneers(self):
        return self.filter(is_pioneer=True)

    def unverified_since(self, day):
        """Published cases nobody confirmed since `day`: the last verification, or
        for a case published before publication set it, the publication date."""
        return (
            self.published()
            .alias(verified=Coalesce("last_verified_on", TruncDate("published_at")))
            .filter(verified__lt=day)
        )

    def stale(self, today=None):
        """Published cases unconfirmed for FRESHNESS_MONTHS, as of `today`."""
        return self.unverified_since(stale_limit(today or timezone.localdate()))

    def pioneers_due(self, day):
        """Pioneers whose « à réexaminer le » date has come by `day`."""
        return self.pioneers().filter(pioneer_review_on__lte=day)

    @transaction.atomic
    def create_draft(self, *, owner, snapshot):
        """A new draft of `owner` holding `snapshot` (the shape of `Case.snapshot()`,
        with at least a title and a summary): logged, and found by the search at once."""
        case = self.model(
            owner=owner,
            status=CaseStatus.DRAFT,
            title=snapshot["title"],
            slug=unique_slug(self.model, snapshot["title"], max_length=200),
            summary=snapshot["summary"],
        )
        check_may_write(owner, case)
        case.save()
        case.apply_snapshot(snapshot)
        case.log(Action.CREATE, by=owner)
        return case

    def with_all_three_families(self):
        # The SQL form of `has_all_three_families`; the first test lets the
        # (status, family_mask) index skip the masks too small to hold all three.
        return self.alias(three=models.F("family_mask").bitand(ALL_THREE_FAMILIES)).filter(
            family_mask__gte=ALL_THREE_FAMILIES, three=ALL_THREE_FAMILIES
        )

    def located_in(self, territories):
        """Cases placed in any of `territories` (one or several) or anywhere below
        (a commune case is found from its EPCI, département and région)."""
        if isinstance(territories, models.Model):
            territories = [territories]
        return self.filter(
            pk__in=CaseTerritory.objects.filter(
                territory__ancestor_links__ancestor__in=territories
            ).values("case_id")
        )

    def tagged(self, terms):
        """Cases carrying any of `terms` exactly; callers add the children of a
        parent term (a métier's missions). Matching on term ids alone, without
        joining the terms, keeps PostgreSQL's row estimates right."""
        return self.filter(
            pk__in=Case.terms.through.objects.filter(
                term_id__in=[term.pk for term in terms]
            ).values("case_id")
        )

    def for_list(self):
        """What a list of cases shows, in a fixed number of queries."""
        return self.select_related("phase", "scale").prefetch_related(
            models.Prefetch(
                "case_territories",
                queryset=CaseTerritory.objects.select_related(
                    "territory", "territory__departement"
                ),
            ),
            models.Prefetch("terms", queryset=Term.objects.select_related("vocabulary", "parent")),
        )


SNAPSHOT_FIELDS = (
    "title",
    "summary",
    "description",
    "context",
    "actions",
    "results",
    "lessons",
    "start_year",
    "end_year",
    "contact_email",
)


class Case(AssignmentWorkflow, CaseWorkflow, models.Model):
    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("identifiant d'URL"), max_length=220, unique=True)
    summary = models.TextField(
        _("résumé"), max_length=600, help_text=_("Deux ou trois phrases : qui, quoi, où.")
    )
    description = models.TextField(_("description"), blank=True)
    context = models.TextField(_("contexte et besoins"), blank=True)
    actions = models.TextField(_("actions menées"), blank=True)
    results = models.TextField(_("résultats"), blank=True)
    lessons = models.TextField(_("enseignements"), blank=True)
    start_year = models.PositiveSmallIntegerField(
        _("année de démarrage"),
        null=True,
        blank=True,
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)],
    )
    end_year = models.PositiveSmallIntegerField(
        _("année de fin"),
        null=True,
        blank=True,
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)],
        help_text=_("Vide si l'expérience est en cours."),
    )
    phase = models.ForeignKey(
        Term,
        verbose_name=_("étape"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"vocabulary__code": "phase"},
    )
    scale = models.ForeignKey(
        Term,
        verbose_name=_("échelle"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"vocabulary__code": "scale"},
    )
    territories = models.ManyToManyField(
        "territories.Territory",
        verbose_name=_("territoires"),
        through="CaseTerritory",
        related_name="cases",
    )
    terms = models.ManyToManyField(
        Term,
        verbose_name=_("étiquettes du référentiel"),
        related_name="cases",
        blank=True,
        help_text=_(
            "Pratiques, thèmes, types de partenariat, formes de co-construction, "
            "objectifs, axes d'impact, prismes."
        ),
    )
    contact_email = models.EmailField(
        _("e-mail de contact"), blank=True, help_text=_("Jamais affiché publiquement.")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("propriétaire"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.DRAFT
    )
    edit_summary = models.CharField(
        _("résumé des modifications"),
        max_length=500,
        blank=True,
        help_text=_("Pour l'équipe de modération : envoyé avec la prochaine soumission."),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pris en charge par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("pris en charge le"), null=True, blank=True)

    is_pioneer = models.BooleanField(_("expérience pionnière"), default=False)
    pioneer_criteria = models.ManyToManyField(
        Term,
        verbose_name=_("critères de l'expérience pionnière"),
        related_name="pioneer_cases",
        blank=True,
        limit_choices_to={"vocabulary__code": "pioneer_criterion"},
    )
    pioneer_reason = models.TextField(_("pourquoi elle est pionnière"), blank=True)
    pioneer_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mise en avant par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    pioneer_at = models.DateTimeField(_("mise en avant le"), null=True, blank=True)
    pioneer_review_on = models.DateField(_("à réexaminer le"), null=True, blank=True)

    last_verified_on = models.DateField(_("vérifiée le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("soumise le"), null=True, blank=True)
    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("Incrémentée à chaque enregistrement.")
    )
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)
    family_mask = models.PositiveSmallIntegerField(
        _("familles de partenaires"),
        default=0,
        editable=False,
        help_text=_("Somme des familles présentes au tour de table (voir Family)."),
    )

    # Facet keys, on PostgreSQL only (NULL elsewhere), rebuilt with the search
    # documents by `registry.models.index.refresh_facet_keys`: the case's terms with
    # their parents, and every territory its places lie in (the territory
    # closure). The observatory counts a selection by unnesting them from the
    # covering index below, instead of joining the tags and the closure.
    facet_terms = FacetKeys(null=True, blank=True, editable=False)
    facet_places = FacetKeys(null=True, blank=True, editable=False)
    # And each (mission of the référentiel, theme) pair the case carries, as
    # mission id × PAIR_BASE + theme id: the observatory's pairs chart.
    facet_pairs = FacetKeys(null=True, blank=True, editable=False)

    # Search documents, rebuilt by `registry.models.index.refresh_search_documents`:
    # the names a case is found by (partners, territories and the labels of its
    # tags), then every word folded, then the weighted French tsvector
    # (PostgreSQL only; elsewhere the stems go to the word index, see
    # `registry.models.index`).
    search_names = models.TextField(editable=False, blank=True)
    search_text = models.TextField(editable=False, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("expérience")
        verbose_name_plural = _("expériences")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CaseStatus.values), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(end_year__isnull=True)
                | models.Q(start_year__isnull=True)
                | models.Q(end_year__gte=models.F("start_year")),
                name="case_end_after_start",
            ),
            models.CheckConstraint(
                condition=(
                    ~models.Q(status=CaseStatus.PUBLISHED) | models.Q(published_at__isnull=False)
                ),
                name="case_published_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="case_status_published"),
            models.Index(fields=["status", "start_year"], name="case_status_start"),
            models.Index(fields=["status", "end_year"], name="case_status_end"),
            models.Index(fields=["status", "title"], name="case_status_title"),
            models.Index(fields=["status", "phase"], name="case_status_phase"),
            models.Index(fields=["status", "scale"], name="case_status_scale"),
            models.Index(
                fields=["is_pioneer"], condition=models.Q(is_pioneer=True), name="case_pioneer"
            ),
            # The home's and the pioneers page's latest pioneers, read in order.
            models.Index(
                fields=["status", "-pioneer_at", "-id"],
                condition=models.Q(is_pioneer=True),
                name="case_pioneers_latest",
            ),
            models.Index(fields=["owner", "status"], name="case_owner_status"),
            # The queue's « pris en charge par » filter.
            models.Index(fields=["status", "assigned_to"], name="case_status_assignee"),
            models.Index(fields=["status", "family_mask"], name="case_status_families"),
            # On PostgreSQL, every column the counts read (a selection's ids, the
            # summary, phases, scales, years, families): counting reads this
            # narrow index, not the wide rows of the texts.
            models.Index(
                fields=["status", "id"],
                include=[
                    "phase",
                    "scale",
                    "start_year",
                    "end_year",
                    "is_pioneer",
                    "family_mask",
                    "published_at",
                    "facet_terms",
                    "facet_places",
                    "facet_pairs",
                ],
                name="case_published_facts",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("case_detail", kwargs={"slug": self.slug})

    def snapshot(self):
        """Everything a contributor edits, as plain data: compared field by field
        between versions, stored in revisions, restored by `apply_snapshot`."""
        data = {name: getattr(self, name) for name in SNAPSHOT_FIELDS}
        data["phase"] = self.phase.code if self.phase_id else None
        data["scale"] = self.scale.code if self.scale_id else None
        data["territories"] = sorted(
            [link.territory.kind, link.territory.code]
            for link in self.case_territories.select_related("territory")
        )
        data["terms"] = sorted(
            [t.vocabulary.code, t.code] for t in self.terms.select_related("vocabulary")
        )
        data["roster"] = [
            {
                "organization": entry.organization_id,
                "organization_name": entry.organization.name,
                "role": entry.role.code,
                "contribution": entry.contribution,
            }
            for entry in self.roster.select_related("organization", "role")
        ]
        data["sources"] = [
            {"title": source.title, "url": source.url} for source in self.sources.all()
        ]
        return data

    @transaction.atomic
    def apply_snapshot(self, data):
        """Write `data` (from `snapshot()`) onto this case and its related rows, and
        rebuild what derives from them (`refresh_case_index`: family mix, facet
        keys, search documents, registry version) in the same transaction: the
        one place content is written, so the index cannot be forgotten. The
        workflow methods (`replace_content`, `RevisionWorkflow.publish`,
        `restore_version`, `Case.objects.create_draft`) call it and log who."""
        data = unix_line_endings(data)
        for name in SNAPSHOT_FIELDS:
            if name in data:
                setattr(self, name, data[name])
        terms = {(t.vocabulary.code, t.code): t for t in Term.objects.select_related("vocabulary")}
        self.phase = terms.get(("phase", data.get("phase")))
        self.scale = terms.get(("scale", data.get("scale")))
        self.version += 1
        self.save()
        self.terms.set(
            [terms[tuple(pair)] for pair in data.get("terms", []) if tuple(pair) in terms]
        )
        self.case_territories.all().delete()
        for kind, code in data.get("territories", []):
            territory = Territory.objects.filter(kind=kind, code=code).first()
            if territory is not None:
                CaseTerritory.objects.create(case=self, territory=territory)
        self.roster.all().delete()
        organizations = CasePartner.organization.field.related_model.objects.in_bulk(
            [entry["organization"] for entry in data.get("roster", [])]
        )
        for position, entry in enumerate(data.get("roster", [])):
            organization = organizations.get(entry["organization"])
            role = terms.get(("partner_role", entry["role"]))
            if organization is not None and role is not None:
                CasePartner.objects.get_or_create(
                    case=self,
                    organization=organization,
                    role=role,
                    defaults={"contribution": entry.get("contribution", ""), "position": position},
                )
        self.sources.all().delete()
        for position, source in enumerate(data.get("sources", [])):
            CaseSource.objects.create(
                case=self, title=source["title"], url=source.get("url", ""), position=position
            )
        refresh_case_index([self.pk])

    def missing_for_submission(self):
        """What still keeps this case from being submitted, as sentences."""
        missing = []
        if not (self.title or "").strip():
            missing.append(_("un titre"))
        if not (self.summary or "").strip():
            missing.append(_("un résumé"))
        if not self.case_territories.exists():
            missing.append(_("au moins un territoire"))
        if self.roster.values("organization").distinct().count() < 2:
            missing.append(_("au moins deux partenaires distincts"))
        if not self.terms.filter(vocabulary__code="theme").exists():
            missing.append(_("au moins un thème"))
        return missing

    @property
    def is_ongoing(self):
        return self.end_year is None

    @property
    def is_published(self):
        return self.status == CaseStatus.PUBLISHED

    @property
    def is_submitted(self):
        return self.status == CaseStatus.SUBMITTED

    @property
    def awaits_changes(self):
        return self.status == CaseStatus.CHANGES_REQUESTED

    @property
    def opens_in_editor(self):
        """Whether the editor opens on it: a draft or a case sent back is edited, a
        published case receives a revision; the rest waits for staff."""
        return self.status in EDITABLE_STATUSES or self.status == CaseStatus.PUBLISHED

    @property
    def is_deletable(self):
        """Whether its owner may delete it: a draft never published, without a
        revision (what was public, or reviewed as a change of it, stays)."""
        return (
            self.status in EDITABLE_STATUSES
            and self.published_at is None
            and not self.revisions.exists()
        )

    @transaction.atomic
    def delete_draft(self, *, by):
        """Delete this draft for good, with its versions and links; the search
        index and the lexicon forget it. Its audit entries stay, detached (the
        journal has no deletion action: the server's log says who deleted it)."""
        if by is None or by.pk != self.owner_id or not self.is_deletable:
            raise TransitionNotAllowed(_("Seul un brouillon jamais publié peut être supprimé."))
        update_lexicon(dict.fromkeys(lexicon_words(self.search_text), -1))
        forget_word_index([self.pk])
        logger.info("Draft %s « %s » deleted by user %s", self.pk, self.title, by.pk)
        self.delete()

    def terms_of(self, vocabulary_code):
        """Terms of one vocabulary, from the prefetched `terms` when there."""
        return [t for t in self.terms.all() if t.vocabulary.code == vocabulary_code]

    @property
    def has_all_three_families(self):
        return has_all_three_families(self.family_mask)

    @property
    def themes(self):
        return self.terms_of("theme")

    @property
    def practices(self):
        return self.terms_of("practice")


class CaseTerritory(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_territories")
    territory = models.ForeignKey(
        "territories.Territory", on_delete=models.PROTECT, related_name="case_links"
    )

    class Meta:
        verbose_name = _("territoire de l'expérience")
        verbose_name_plural = _("territoires de l'expérience")
        constraints = [
            models.UniqueConstraint(fields=["case", "territory"], name="caseterritory_unique"),
        ]
        indexes = [models.Index(fields=["territory", "case"], name="caseterritory_territory")]

    def __str__(self):
        return str(self.territory)


class CasePartner(models.Model):
    """One line of a case's partner roster: an organisation in a role."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="roster")
    organization = models.ForeignKey(
        "registry.Organization",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="roster_entries",
    )
    role = models.ForeignKey(
        Term,
        verbose_name=_("rôle"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"vocabulary__code": "partner_role"},
    )
    contribution = models.CharField(
        _("apport"), max_length=300, blank=True, help_text=_("Ce que ce partenaire apporte.")
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("partenaire")
        verbose_name_plural = _("partenaires")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "organization", "role"], name="casepartner_unique_role"
            ),
        ]
        indexes = [models.Index(fields=["organization", "case"], name="casepartner_org")]

    def __str__(self):
        return f"{self.organization} ({self.role})"


class CaseSource(models.Model):
    """A source or a link documenting the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sources")
    title = models.CharField(_("intitulé"), max_length=300)
    url = models.URLField(_("adresse"), max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["position", "id"]

    def __str__(self):
        return self.title
