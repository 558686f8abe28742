"""System checks of the registry's own settings."""

from django.conf import settings
from django.core.checks import Warning, register

# What the LCEN (loi n° 2004-575, art. 6) asks a site to say about who publishes it and
# who hosts it; PUBLISHER_IDENTIFIER is optional (not every publisher has a SIREN or RNA).
LEGAL_NOTICE_SETTINGS = [
    "PUBLISHER_NAME",
    "PUBLISHER_ADDRESS",
    "PUBLISHER_PHONE",
    "PUBLICATION_DIRECTOR",
    "HOST_NAME",
    "HOST_ADDRESS",
    "HOST_PHONE",
    "CONTACT_EMAIL",
]


@register()
def legal_notice_settings(app_configs=None, **kwargs):
    """Production without the publisher's details still starts (the pages say
    « à renseigner »), but warns, and `check --deploy --fail-level WARNING` fails."""
    if settings.DEBUG or settings.TESTING:
        return []
    missing = [name for name in LEGAL_NOTICE_SETTINGS if not getattr(settings, name, "")]
    if not missing:
        return []
    return [
        Warning(
            "The legal notice is incomplete: " + ", ".join(missing) + " not set.",
            hint="Set them in the environment (see .env.example); « Mentions légales » "
            "shows « à renseigner » meanwhile.",
            id="registry.W001",
        )
    ]
