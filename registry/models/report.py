"""Reports from visitors about a published case (wrong, outdated, spam)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportReason(models.TextChoices):
    WRONG = "wrong", _("Informations erronées")
    OUTDATED = "outdated", _("Informations dépassées")
    SPAM = "spam", _("Spam ou publicité")
    OTHER = "other", _("Autre")


class ReportStatus(models.TextChoices):
    OPEN = "open", _("À traiter")
    RESOLVED = "resolved", _("Traité")


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

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("signalement")
        verbose_name_plural = _("signalements")
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="report_queue")]

    def __str__(self):
        return f"{self.case} — {self.get_reason_display()}"
