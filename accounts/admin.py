from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from territories.admin import TerritoryLabelsMixin

# Only a superuser hands out staff rights: a moderator may look after
# contributors, not promote anyone, themselves included.
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


class UserAddForm(AdminUserCreationForm):
    """An account from an e-mail address and a password; the username, kept
    for Django's sake, is the address, as at sign-up."""

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email",)
        field_classes = {}

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"])
        taken = User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email))
        if taken.exists():
            raise ValidationError(_("Un compte utilise déjà cette adresse e-mail."), code="unique")
        return email

    def _post_clean(self):
        # Before the model's validation and the password checks, which compare
        # the password with the username.
        if self.cleaned_data.get("email"):
            self.instance.username = self.cleaned_data["email"]
        super()._post_clean()


@admin.register(User)
class UserAdmin(TerritoryLabelsMixin, DjangoUserAdmin):
    add_form = UserAddForm
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Profil"),
            {
                "fields": (
                    "display_name",
                    "first_name",
                    "last_name",
                    "organization",
                    "territory",
                )
            },
        ),
        (_("Confiance"), {"fields": ("is_trusted",)}),
        (_("Droits"), {"fields": ("is_active", "awaiting_confirmation", *PRIVILEGE_FIELDS)}),
        (_("Compte"), {"fields": ("username", "last_login", "date_joined")}),
    )
    list_display = (
        "email",
        "display_name",
        "organization",
        "is_trusted",
        "is_staff",
        "is_active",
        "date_joined",
    )
    list_filter = (
        "is_trusted",
        "is_staff",
        "is_superuser",
        "is_active",
        "awaiting_confirmation",
        "groups",
    )
    list_select_related = ("organization",)
    search_fields = ("email", "display_name", "username", "first_name", "last_name")
    ordering = ("email",)
    autocomplete_fields = ("organization", "territory")

    def get_readonly_fields(self, request, obj=None):
        readonly = ("username", "last_login", "date_joined")
        if not request.user.is_superuser:
            readonly += PRIVILEGE_FIELDS
        return readonly

    def has_change_permission(self, request, obj=None):
        """Staff accounts are changed by a superuser or by their owner: whoever
        may change an account may also reset its password."""
        if (
            obj is not None
            and (obj.is_staff or obj.is_superuser)
            and obj.pk != request.user.pk
            and not request.user.is_superuser
        ):
            return False
        return super().has_change_permission(request, obj)
