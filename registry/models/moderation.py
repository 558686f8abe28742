"""Moderation: the audit log of every transition and staff action, and the
versions of a case kept at each submission and publication."""

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from registry.models.choices import (
    OPEN_REVISION_STATUSES,
    Action,
    ModerationReason,
    RevisionStatus,
)
from registry.models.workflow import THREAD_DECISIONS, AssignmentWorkflow, RevisionWorkflow


class AuditLog(models.Model):
    """Who did what, when, to which case or organisation (never edited)."""

    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    case = models.ForeignKey(
        "registry.Case",
        verbose_name=_("expérience"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    organization = models.ForeignKey(
        "registry.Organization",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    from_status = models.CharField(_("statut avant"), max_length=20, blank=True)
    to_status = models.CharField(_("statut après"), max_length=20, blank=True)
    reason = models.CharField(
        _("motif"), max_length=20, choices=ModerationReason.choices, blank=True
    )
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(_("détails"), default=dict, blank=True)

    class Meta:
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal des actions")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["case", "-created_at"], name="auditlog_case"),
            models.Index(fields=["actor", "-created_at"], name="auditlog_actor"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()}"


class CaseVersion(models.Model):
    """A full copy of a case's content, kept at each submission and publication.

    `data` is `Case.snapshot()`: every editable field and related list (roster,
    territories, tags, sources) by codes and ids, so a version can be compared
    field by field and restored."""

    case = models.ForeignKey("registry.Case", on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("numéro"))
    created_at = models.DateTimeField(_("date"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("occasion"), max_length=20, choices=Action.choices)
    status = models.CharField(_("statut de l'expérience"), max_length=20)
    data = models.JSONField(_("contenu"))
    summary = models.CharField(
        _("résumé des modifications"),
        max_length=500,
        blank=True,
        help_text=_("Ce que le contributeur dit avoir changé, avec sa soumission."),
    )

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="caseversion_unique_number"),
        ]

    def __str__(self):
        return f"{self.case_id} v{self.number}"


class CaseRevision(AssignmentWorkflow, RevisionWorkflow, models.Model):
    """Proposed changes to a published case. The published case stays online
    unchanged until staff publish the revision, which then applies `data`."""

    case = models.ForeignKey("registry.Case", on_delete=models.CASCADE, related_name="revisions")
    status = models.CharField(
        _("statut"), max_length=20, choices=RevisionStatus.choices, default=RevisionStatus.DRAFT
    )
    data = models.JSONField(_("contenu proposé"))
    base_version = models.PositiveIntegerField(
        _("version de départ"), help_text=_("Version de l'expérience au début de la révision.")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="case_revisions",
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    submitted_at = models.DateTimeField(_("soumise le"), null=True, blank=True)
    lock_version = models.PositiveIntegerField(default=1)
    edit_summary = models.CharField(
        _("résumé des modifications"),
        max_length=500,
        blank=True,
        help_text=_("Pour l'équipe de modération : ce que la révision change et pourquoi."),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prise en charge par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("prise en charge le"), null=True, blank=True)

    class Meta:
        verbose_name = _("révision")
        verbose_name_plural = _("révisions")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status__in=OPEN_REVISION_STATUSES),
                name="caserevision_one_open_per_case",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="caserevision_queue"),
            # The queue's « prise en charge par » filter.
            models.Index(fields=["status", "assigned_to"], name="caserevision_assignee"),
        ]

    def __str__(self):
        return f"{self.case} ({self.get_status_display()})"

    @property
    def is_submitted(self):
        return self.status == RevisionStatus.SUBMITTED

    @property
    def awaits_changes(self):
        return self.status == RevisionStatus.CHANGES_REQUESTED


MESSAGE_MAX_LENGTH = 5000


class CaseMessage(models.Model):
    """A message between a case's owner and the moderators, in the case's thread
    (`Case.thread()`, beside the decisions staff explained). Written by
    `Case.post_message`."""

    case = models.ForeignKey("registry.Case", on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("message"), max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        verbose_name = _("message sur une expérience")
        verbose_name_plural = _("messages sur les expériences")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="casemessage_case")]

    def __str__(self):
        return f"{self.case_id} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def from_staff(self):
        return self.author_id != self.case.owner_id


def with_last_words(cases):
    """`cases` annotated with when their owner last wrote in the thread
    (`last_owner_word`) and when staff last did (`last_staff_word`: a message,
    or a decision they explained), for « Nouveau message » on the dashboard."""
    messages = CaseMessage.objects.filter(case=OuterRef("pk")).order_by("-created_at")
    decisions = (
        AuditLog.objects.filter(case=OuterRef("pk"), action__in=THREAD_DECISIONS)
        .exclude(message="")
        .exclude(actor=OuterRef("owner"))
        .order_by("-created_at")
    )
    return cases.annotate(
        last_owner_word=Subquery(
            messages.filter(author=OuterRef("owner")).values("created_at")[:1]
        ),
        last_staff_message=Subquery(
            messages.exclude(author=OuterRef("owner")).values("created_at")[:1]
        ),
        last_staff_decision=Subquery(decisions.values("created_at")[:1]),
    )


def has_new_message(case):
    """Whether the last word of the thread of `case` (annotated by
    `with_last_words`) is the moderators'."""
    staff = [at for at in (case.last_staff_message, case.last_staff_decision) if at]
    if not staff:
        return False
    return case.last_owner_word is None or max(staff) > case.last_owner_word
