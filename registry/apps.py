from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

import registry.checks  # noqa: F401  (registers the system checks; it needs no model)


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Registre")
