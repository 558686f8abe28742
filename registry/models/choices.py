"""Choices of the moderation workflow, shared by the models, forms and views."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    CREATE = "create", _("création")
    EDIT = "edit", _("modification")
    SUBMIT = "submit", _("soumission")
    WITHDRAW = "withdraw", _("retrait de la soumission")
    PUBLISH = "publish", _("publication")
    REQUEST_CHANGES = "request_changes", _("demande de modifications")
    REJECT = "reject", _("refus")
    ARCHIVE = "archive", _("archivage")
    UNARCHIVE = "unarchive", _("republication")
    FEATURE = "feature", _("mise en avant comme pionnière")
    UNFEATURE = "unfeature", _("fin de la mise en avant")
    RESTORE = "restore", _("restauration d'une version")
    VERIFY = "verify", _("confirmation d'exactitude")
    REMIND = "remind", _("rappel de vérification")
    MERGE = "merge", _("fusion d'organisations")
    REPORT = "report", _("signalement")
    RESOLVE_REPORT = "resolve_report", _("traitement d'un signalement")
    BLOCK = "block", _("blocage d'un compte")
    MESSAGE = "message", _("message")
    ASSIGN = "assign", _("prise en charge")
    RELEASE = "release", _("fin de la prise en charge")


class ModerationReason(models.TextChoices):
    INCOMPLETE = "incomplete", _("Fiche incomplète")
    UNCLEAR = "unclear", _("Description à préciser")
    PARTNERS = "partners", _("Partenaires à compléter ou corriger")
    TAGS = "tags", _("Étiquettes du référentiel à revoir")
    DUPLICATE = "duplicate", _("Doublon d'une expérience existante")
    OFF_TOPIC = "off_topic", _("Hors du champ du registre")
    INACCURATE = "inaccurate", _("Informations inexactes")
    SPAM = "spam", _("Spam ou publicité")
    OTHER = "other", _("Autre motif")


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Soumise")
    CHANGES_REQUESTED = "changes_requested", _("Modifications demandées")
    PUBLISHED = "published", _("Publiée")
    REJECTED = "rejected", _("Refusée")
    ARCHIVED = "archived", _("Archivée")


# What its owner may still change; other statuses go through a revision or a withdrawal.
EDITABLE_STATUSES = frozenset({CaseStatus.DRAFT, CaseStatus.CHANGES_REQUESTED})


class RevisionStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Soumise")
    CHANGES_REQUESTED = "changes_requested", _("Modifications demandées")
    PUBLISHED = "published", _("Publiée")
    REJECTED = "rejected", _("Refusée")
    WITHDRAWN = "withdrawn", _("Abandonnée")


OPEN_REVISION_STATUSES = [
    RevisionStatus.DRAFT,
    RevisionStatus.SUBMITTED,
    RevisionStatus.CHANGES_REQUESTED,
]


# Term ids stay far below it: (mission, theme) pairs are encoded in one integer.
PAIR_BASE = 100_000
