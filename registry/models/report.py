"""Reports from visitors about a published case (wrong, outdated, spam), and
what staff do with them: resolve one, block the account that spammed."""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models.choices import Action
from registry.models.moderation import AuditLog


class ReportReason(models.TextChoices):
    WRONG = "wrong", _("Informations erronées")
    OUTDATED = "outdated", _("Informations dépassées")
    SPAM = "spam", _("Spam ou publicité")
    OTHER = "other", _("Autre")


class ReportStatus(models.TextChoices):
    OPEN = "open", _("À traiter")
    RESOLVED = "resolved", _("Traité")


class ReportOutcome(models.TextChoices):
    FIXED = "fixed", _("Contenu corrigé")
    ARCHIVED = "archived", _("Expérience archivée")
    UNFOUNDED = "unfounded", _("Signalement non fondé")
    OTHER = "other", _("Autre suite")


class ReportQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=ReportStatus.OPEN)


class Report(models.Model):
    case = models.ForeignKey(
        "registry.Case",
        verbose_name=_("expérience"),
        on_delete=models.CASCADE,
        related_name="reports",
    )
    reason = models.CharField(_("motif"), max_length=10, choices=ReportReason.choices)
    message = models.TextField(_("précisions"), max_length=2000, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signalé par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reporter_email = models.EmailField(_("e-mail pour vous répondre"), blank=True)
    created_at = models.DateTimeField(_("date"), auto_now_add=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("traité par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    # Blank on reports resolved before outcomes existed, or in bulk from the admin.
    outcome = models.CharField(
        _("suite donnée"), max_length=10, choices=ReportOutcome.choices, blank=True
    )
    resolution_note = models.TextField(_("note de traitement"), max_length=2000, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("signalement")
        verbose_name_plural = _("signalements")
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="report_queue")]

    def __str__(self):
        return f"{self.case} — {self.get_reason_display()}"

    @property
    def contact_email(self):
        """Where to answer the reporter: the address they gave, else their account's."""
        if self.reporter_email:
            return self.reporter_email
        return self.reporter.email if self.reporter_id else ""

    @transaction.atomic
    def resolve(self, *, by, outcome, note="", reporter_told=False):
        """Close the report with what was done about it, logged on its case. False
        if it was already resolved (by someone else, even at the same instant)."""
        now = timezone.now()
        closed = Report.objects.filter(pk=self.pk, status=ReportStatus.OPEN).update(
            status=ReportStatus.RESOLVED,
            resolved_by=by,
            resolved_at=now,
            outcome=outcome,
            resolution_note=note,
        )
        if not closed:
            return False
        self.status, self.resolved_by, self.resolved_at = ReportStatus.RESOLVED, by, now
        self.outcome, self.resolution_note = outcome, note
        self.case.log(
            Action.RESOLVE_REPORT,
            by=by,
            message=note,
            data={"report": self.pk, "outcome": outcome, "reporter_told": reporter_told},
        )
        return True


@transaction.atomic
def block_account(account, *, by, case=None):
    """Deactivate a contributor's account: it can no longer log in, use its API
    tokens or submit anything, and its unpublished cases, visible only to their
    owner and staff, are now seen by staff alone. Logged (on `case`, the one that
    led staff to block it, if any). False if it was already blocked."""
    if account.is_staff:
        raise ValueError("Staff accounts are not blocked from the moderation pages.")
    blocked = type(account).objects.filter(pk=account.pk, is_active=True).update(is_active=False)
    if not blocked:
        return False
    account.is_active = False
    account.api_tokens.active().update(revoked_at=timezone.now())
    AuditLog.objects.create(
        actor=by,
        action=Action.BLOCK,
        case=case,
        data={"account": account.pk, "email": account.email},
    )
    return True
