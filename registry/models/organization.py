from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from registry.models.case import CasePartner, unique_slug
from registry.models.choices import Action, CaseStatus
from registry.models.index import refresh_case_index
from registry.models.workflow import is_moderator
from registry.text import identifiers
from territories.models import normalize, search_words


class OrganizationQuerySet(models.QuerySet):
    def with_related(self):
        return self.select_related("actor_type", "company_size", "seat", "seat__departement")

    def search(self, text):
        """By name (accent-insensitive) or by an identifier typed with or without spaces."""
        # No name is longer than its column: text beyond it cannot match.
        text = (text or "")[: self.model._meta.get_field("name").max_length]
        key = normalize(text)
        if not key:
            return self
        code = identifiers.compact(text)
        by_name = models.Q()
        for word in search_words(key):
            by_name &= models.Q(name_key__contains=word)
        by_code = models.Q(siren=code) | models.Q(siret=code) | models.Q(rna=code)
        return self.filter(by_name | by_code)

    def with_published_cases(self):
        """On the roster of at least one published case: public organisations."""
        return self.filter(self._on_roster(case__status=CaseStatus.PUBLISHED))

    def visible_to(self, user):
        """What `user` may find and see named: every organisation for staff; for a
        contributor, public ones and their own (created by them, or on the roster
        of one of their cases, whatever its state); public ones for everyone else.
        An organisation known only from someone else's drafts is never offered."""
        public = self._on_roster(case__status=CaseStatus.PUBLISHED)
        if user is None or not user.is_authenticated or not user.is_active:
            return self.filter(public)
        if is_moderator(user):
            return self
        return self.filter(
            public | models.Q(created_by=user) | self._on_roster(case__owner=user)
        )

    @transaction.atomic
    def merge(self, *, survivor, duplicate, by):
        """Move every roster entry and member of `duplicate` to `survivor`, then
        delete it; returns how many roster entries moved.

        An entry the survivor already has (same case, same role) keeps the longer
        contribution text, so nothing written is lost; the duplicate's fields are
        kept in the audit log. The cases whose roster changed are reindexed (their
        partners' names and family mix) in the same transaction."""
        if not is_moderator(by):
            raise PermissionDenied(_("Réservé à l'équipe de modération."))
        moved = 0
        touched = set()
        for entry in CasePartner.objects.filter(organization=duplicate).select_for_update():
            touched.add(entry.case_id)
            twin = CasePartner.objects.filter(
                case_id=entry.case_id, organization=survivor, role_id=entry.role_id
            ).first()
            if twin is None:
                entry.organization = survivor
                entry.save(update_fields=["organization"])
            else:
                if len(entry.contribution) > len(twin.contribution):
                    twin.contribution = entry.contribution
                    twin.save(update_fields=["contribution"])
                entry.delete()
            moved += 1
        duplicate.members.update(organization=survivor)
        record = {
            field: str(getattr(duplicate, field) or "")
            for field in ("name", "slug", "siren", "siret", "rna", "website", "description")
        }
        # Identifiers the survivor lacks move over; they are unique, so free them first.
        taken_over = {
            field: getattr(duplicate, field)
            for field in ("siren", "siret", "rna")
            if getattr(duplicate, field) and not getattr(survivor, field)
        }
        if taken_over:
            self.model.objects.filter(pk=duplicate.pk).update(**dict.fromkeys(taken_over))
        for field in ("website", "description", "seat_id", "governed_territory_id"):
            if getattr(duplicate, field) and not getattr(survivor, field):
                setattr(survivor, field, getattr(duplicate, field))
        for field, value in taken_over.items():
            setattr(survivor, field, value)
        survivor.save()
        survivor.audit_entries.create(
            actor=by, action=Action.MERGE, data={"merged": record, "roster_entries": moved}
        )
        duplicate.delete()
        refresh_case_index(sorted(touched))
        return moved

    @staticmethod
    def _on_roster(**case_lookups):
        return models.Q(
            models.Exists(
                CasePartner.objects.filter(organization=models.OuterRef("pk"), **case_lookups)
            )
        )


class Organization(models.Model):
    """A partner of an alliance: a collectivité, a company, an association…"""

    # What the cases it partners show of it and index (`record_staff_edit`).
    CASE_FIELDS = frozenset({"name", "actor_type"})

    name = models.CharField(_("nom"), max_length=255)
    name_key = models.CharField(max_length=255, editable=False, db_index=True)
    slug = models.SlugField(
        _("identifiant d'URL"),
        max_length=120,
        unique=True,
        blank=True,
        help_text=_("Tiré du nom à la création, puis stable."),
    )
    actor_type = models.ForeignKey(
        "registry.Term",
        verbose_name=_("type d'acteur"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"vocabulary__code": "actor_type"},
    )
    company_size = models.ForeignKey(
        "registry.Term",
        verbose_name=_("taille d'entreprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"vocabulary__code": "company_size"},
        help_text=_("Uniquement pour les entreprises."),
    )
    siren = models.CharField(
        _("SIREN"), max_length=9, null=True, blank=True, validators=[identifiers.validate_siren]
    )
    siret = models.CharField(
        _("SIRET du siège"),
        max_length=14,
        null=True,
        blank=True,
        validators=[identifiers.validate_siret],
    )
    rna = models.CharField(
        _("numéro RNA"),
        max_length=10,
        null=True,
        blank=True,
        validators=[identifiers.validate_rna],
        help_text=_("Associations : W suivi de 9 chiffres."),
    )
    seat = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("territoire du siège"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="seated_organizations",
    )
    governed_territory = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("territoire administré"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="authorities",
        help_text=_("Pour une collectivité : le territoire qu'elle administre."),
    )
    website = models.URLField(_("site web"), blank=True)
    description = models.TextField(_("présentation"), blank=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_organizations",
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["siren"],
                condition=models.Q(siren__isnull=False),
                name="organization_unique_siren",
                violation_error_message=_("Une organisation porte déjà ce SIREN."),
            ),
            models.UniqueConstraint(
                fields=["siret"],
                condition=models.Q(siret__isnull=False),
                name="organization_unique_siret",
                violation_error_message=_("Une organisation porte déjà ce SIRET."),
            ),
            models.UniqueConstraint(
                fields=["rna"],
                condition=models.Q(rna__isnull=False),
                name="organization_unique_rna",
                violation_error_message=_("Une organisation porte déjà ce numéro RNA."),
            ),
        ]
        indexes = [
            models.Index(fields=["actor_type", "name_key"], name="organization_type_name"),
            models.Index(fields=["seat"], name="organization_seat"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Derived columns of this row only: the search key and, once, the slug.
        self.name = " ".join(self.name.split())
        self.name_key = normalize(self.name)
        if not self.slug:
            self.slug = unique_slug(Organization, self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("organization_detail", kwargs={"slug": self.slug})

    @transaction.atomic
    def record_staff_edit(self, *, fields):
        """After staff changed this organisation's `fields` in the admin: when its
        name or actor type changed, the cases it partners are reindexed (their
        search documents name it, their family mix counts its type), which moves
        the registry version: their pages, kept under it, show its name and group
        it by its type. Nothing else of it shows on a case or in its index."""
        if not self.CASE_FIELDS & set(fields):
            return
        cases = self.roster_entries.values_list("case_id", flat=True).distinct()
        refresh_case_index(sorted(cases))

    def clean_fields(self, exclude=None):
        # Identifiers are typed with spaces or dots: compact them before the field
        # validators check them, and store blanks as NULL so uniqueness applies only
        # when present.
        for field in ("siren", "siret", "rna"):
            value = getattr(self, field)
            setattr(self, field, identifiers.compact(value) or None)
        super().clean_fields(exclude=exclude)

    def clean(self):
        if self.siren and self.siret and not self.siret.startswith(self.siren):
            raise ValidationError(
                {"siret": _("Les 9 premiers chiffres du SIRET doivent être le SIREN.")}
            )
        if self.company_size_id and self.actor_type_id and self.actor_type.code != "entreprise":
            raise ValidationError(
                {"company_size": _("La taille ne s'indique que pour une entreprise.")}
            )
        if (
            self.rna
            and self.actor_type_id
            and self.actor_type.code not in {"association", "fondation", "structure_ess"}
        ):
            raise ValidationError({"rna": _("Seules les associations ont un numéro RNA.")})
