from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

import registry.checks  # noqa: F401  (registers the system checks; it needs no model)


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Registre")

    def ready(self):
        # Here and not at the top: models load only once the app registry is ready.

        from registry.models import index, lookups
        from territories.signals import territories_loaded

        lookups.register()
        territories_loaded.connect(index.refresh_after_territories, dispatch_uid="registry-index")
