from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

import accounts.checks  # noqa: F401  (registers the system checks; it needs no model)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Comptes")
