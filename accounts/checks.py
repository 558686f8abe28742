"""System checks of what the accounts rely on."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@register(Tags.caches, deploy=True)
def shared_cache(app_configs=None, **kwargs):
    """Rate limits and cached counts are only as shared as the cache: in memory,
    each gunicorn worker keeps its own, and three workers allow three times the
    log-in attempts and show figures a minute stale."""
    if settings.CACHES["default"]["BACKEND"] not in PER_PROCESS_CACHES:
        return []
    return [
        Warning(
            "CACHE_URL is not set: rate limits and cached counts are per process.",
            hint="With several gunicorn workers or hosts, set CACHE_URL=redis://HOST:6379/0 "
            "(see .env.example).",
            id="accounts.W001",
        )
    ]
