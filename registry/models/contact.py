"""Messages sent to the staff through the contact form."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Said on « Données personnelles »; `manage.py purge_contact_messages` enforces it.
CONTACT_RETENTION = timedelta(days=365)


class ContactSubject(models.TextChoices):
    QUESTION = "question", _("Une question sur le registre")
    CASE = "case", _("Une expérience publiée")
    ACCOUNT = "account", _("Mon compte de contributeur")
    PERSONAL_DATA = "personal_data", _("Mes données personnelles")
    ACCESSIBILITY = "accessibility", _("Un problème d'accessibilité")
    PARTNERSHIP = "partnership", _("Presse, partenariat, réutilisation des données")
    OTHER = "other", _("Autre sujet")


class ContactStatus(models.TextChoices):
    NEW = "new", _("Nouveau")
    HANDLED = "handled", _("Traité")


class ContactMessageQuerySet(models.QuerySet):
    def new(self):
        return self.filter(status=ContactStatus.NEW)

    def expired(self, *, now=None):
        """Messages older than the retention period, handled or not."""
        return self.filter(created_at__lt=(now or timezone.now()) - CONTACT_RETENTION)


class ContactMessage(models.Model):
    name = models.CharField(_("nom"), max_length=150, blank=True)
    email = models.EmailField(_("adresse e-mail"))
    subject = models.CharField(_("sujet"), max_length=20, choices=ContactSubject.choices)
    message = models.TextField(_("message"), max_length=5000)
    language = models.CharField(_("langue de la page"), max_length=8, blank=True)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte de l'expéditeur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("reçu le"), auto_now_add=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=ContactStatus.choices, default=ContactStatus.NEW
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("traité par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("traité le"), null=True, blank=True)

    objects = ContactMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message de contact")
        verbose_name_plural = _("messages de contact")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="contact_queue")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status=ContactStatus.NEW, handled_at__isnull=True)
                | models.Q(status=ContactStatus.HANDLED, handled_at__isnull=False),
                name="contact_handled_has_a_date",
            )
        ]

    def __str__(self):
        return f"{self.get_subject_display()} — {self.email}"

    @property
    def is_handled(self):
        return self.status == ContactStatus.HANDLED

    def mark_handled(self, *, by):
        """Staff answered or dealt with it; who and when are kept."""
        if self.status == ContactStatus.HANDLED:
            return self
        self.status = ContactStatus.HANDLED
        self.handled_by = by
        self.handled_at = timezone.now()
        self.save(update_fields=["status", "handled_by", "handled_at"])
        return self
