"""Request limits of the API: per anonymous client, per account, and for writes
and exports. Rates live in `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`; the
export budget is the site's own, shared with its downloads.

A token counts for its account: every token of a contributor, and their
session, share one budget, so that creating more tokens buys no more requests.
The rates are read at each request (not when the module is imported) so that
tests and deployments can change them through settings.
"""

from django.conf import settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from accounts.ratelimit import EXPORTS

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ConfiguredRateThrottle(SimpleRateThrottle):
    def __init__(self):
        # SimpleRateThrottle reads its rates once, at import; read them now instead.
        self.THROTTLE_RATES = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
        super().__init__()


class AnonymousClientThrottle(ConfiguredRateThrottle):
    """Anonymous requests, per client address."""

    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AccountThrottle(ConfiguredRateThrottle):
    """Authenticated requests, per account (whatever token or session)."""

    scope = "account"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class WriteThrottle(ConfiguredRateThrottle):
    """Writes (create, edit, submit, withdraw), per account."""

    scope = "write"

    def get_cache_key(self, request, view):
        if request.method in SAFE_METHODS:
            return None
        ident = request.user.pk if request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ExportThrottle(BaseThrottle):
    """Full exports: the site's budget (`accounts.ratelimit.EXPORTS`), under
    the same key, so that downloads from the site and from the API add up."""

    def allow_request(self, request, view):
        return EXPORTS.allows(request)

    def wait(self):
        return EXPORTS.retry_after()
