import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccountManager(UserManager):
    """Accounts are made from an e-mail address; the username Django keeps is
    that address unless one is given (`createsuperuser --email X`)."""

    def create_user(self, username=None, email=None, password=None, **extra_fields):
        username = username or self.normalize_email(email)
        return super().create_user(username, email, password, **extra_fields)

    def create_superuser(self, username=None, email=None, password=None, **extra_fields):
        username = username or self.normalize_email(email)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A contributor or a member of staff.

    Contributors sign in with their e-mail address; `username` is kept for the
    admin and set to the address at sign-up.
    """

    email = models.EmailField(_("adresse e-mail"), unique=True)
    display_name = models.CharField(_("nom affiché"), max_length=150, blank=True)
    organization = models.ForeignKey(
        "registry.Organization",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("territoire"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_trusted = models.BooleanField(
        _("contributeur de confiance"),
        default=False,
        help_text=_("Ses expériences sont publiées sans relecture préalable (toujours tracé)."),
    )
    # Tells an account signed up and never confirmed from one staff deactivated:
    # only the first may be opened by the link e-mailed at sign-up.
    awaiting_confirmation = models.BooleanField(
        _("en attente de confirmation"),
        default=False,
        help_text=_(
            "Inscrit, adresse pas encore confirmée : le lien envoyé par e-mail peut encore "
            "activer le compte. Décochez la case pour bloquer cette inscription."
        ),
    )

    objects = AccountManager()

    # Log-ins and `createsuperuser` go by the address.
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self):
        return self.display_name or self.get_full_name() or self.email or self.username

    @property
    def is_moderator(self):
        """The one rule for moderating, everywhere: an active staff account."""
        return self.is_active and self.is_staff

    def confirm_email(self):
        """Open the account that signed up with this address. True the first
        time; False if it was already confirmed, or blocked by staff, even by
        a request at the same instant."""
        opened = User.objects.filter(
            pk=self.pk, awaiting_confirmation=True, is_active=False
        ).update(is_active=True, awaiting_confirmation=False)
        if opened:
            self.is_active, self.awaiting_confirmation = True, False
        return bool(opened)


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal key to the API, created and revoked by its owner.

    Only a SHA-256 hash of the key is stored, with its first characters for
    display: the key itself is shown once, at creation, and cannot be read back.
    """

    PREFIX_LENGTH = 8
    MAX_ACTIVE = 10

    user = models.ForeignKey(
        User, verbose_name=_("utilisateur"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        _("nom"), max_length=100, help_text=_("Pour vous y retrouver : l'outil qui s'en sert.")
    )
    prefix = models.CharField(_("début du jeton"), max_length=PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("dernier usage"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_active")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(key):
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user, name):
        """Create a token; returns (token, key). The key is never stored."""
        key = secrets.token_urlsafe(30)
        token = cls.objects.create(
            user=user, name=name, prefix=key[: cls.PREFIX_LENGTH], key_hash=cls.hash(key)
        )
        return token, key

    @classmethod
    def find(cls, key):
        """The active token of `key`, with its user, or None."""
        if not key:
            return None
        return (
            cls.objects.active().select_related("user").filter(key_hash=cls.hash(key)).first()
        )

    @property
    def is_active(self):
        return self.revoked_at is None

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
