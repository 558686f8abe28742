"""Cache-based limits for sign-up, log-in, submissions, reports and exports.

Counts live in Django's default cache. With `CACHE_URL` (Redis) every worker and
host shares them; without it each process counts alone, which `check --deploy`
warns about (`accounts.checks`).

A `Limit` decorates a view of the site; the API applies the same object through
a DRF throttle (`registry.api.throttling`), so that a budget shared by the site
and the API, such as `EXPORTS`, is counted once, under one key.
"""

import hashlib
import math
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render


def client_ip(request):
    # Behind a proxy, configure it to set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR", "unknown")


def count(cache_key, *, timeout):
    """Add one to the counter at `cache_key` (created for `timeout` seconds); the new count."""
    if cache.add(cache_key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=timeout)
        return 1


def hit(scope, key, *, limit, period):
    """Count one attempt; True while `limit` attempts per `period` seconds are not exceeded."""
    window = int(time.time() // period)
    return count(f"ratelimit:{scope}:{key}:{window}", timeout=period + 1) <= limit


def too_many(request, *, retry_after=None):
    response = render(request, "429.html", status=429)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


class Limit:
    """At most `limit` requests per `period` seconds from one source, counted
    for the requests whose method is in `methods`; past it, a 429.

    The source is `key`: "ip" (the client's address) or "user" (the account
    when logged in, whatever its session or token, else the address). Counts
    run in fixed windows of `period` seconds."""

    def __init__(self, scope, *, limit, period, key="ip", methods=("POST",)):
        self.scope = scope
        self.limit = limit
        self.period = period
        self.key = key
        self.methods = methods

    def rate(self):
        """(requests, seconds), read at each request."""
        return self.limit, self.period

    def source(self, request):
        if self.key == "user" and request.user.is_authenticated:
            return f"user-{request.user.pk}"
        return client_ip(request)

    def allows(self, request):
        """Count `request` against its source's budget; False once it is spent."""
        if request.method not in self.methods:
            return True
        limit, period = self.rate()
        return hit(self.scope, self.source(request), limit=limit, period=period)

    def retry_after(self):
        """Whole seconds until the current window ends and the budget is whole again."""
        _limit, period = self.rate()
        return max(1, math.ceil(period - time.time() % period))

    def __call__(self, view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not self.allows(request):
                return too_many(request, retry_after=self.retry_after())
            return view(request, *args, **kwargs)

        return wrapper


def ratelimit(scope, *, limit, period, key="ip", methods=("POST",)):
    """A view decorator: refuse with a 429 page past `limit` requests per `period` seconds.

    `key` is "ip" or "user" (the account when logged in, else the address)."""
    return Limit(scope, limit=limit, period=period, key=key, methods=methods)


PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfiguredLimit(Limit):
    """A limit whose rate is the API's setting `DEFAULT_THROTTLE_RATES[scope]`
    ("60/hour"), read at each request so that deployments and tests can change it."""

    def __init__(self, scope, **kwargs):
        super().__init__(scope, limit=None, period=None, **kwargs)

    def rate(self):
        rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]
        requests, unit = rate.split("/")
        return int(requests), PERIODS[unit[0]]


# Full exports are heavy: the site's downloads and the API's count against one
# budget per visitor, their account when logged in (session or token), else
# their address.
EXPORTS = ConfiguredLimit("export", key="user", methods=("GET", "HEAD"))


class LoginDelay:
    """Failed log-ins to one address from one source, and how long that source
    must now wait before its next attempt on that address is checked.

    The first `FREE_FAILURES` cost nothing; each one after doubles the wait
    (1 s, 2 s, 4 s… up to `MAX_WAIT`). Keyed by address *and* source, so that
    someone guessing a password from one place does not lock the owner out
    from another; a source trying many addresses is held by the log-in view's
    cap per source. Attempts refused while waiting are not counted: only
    the guesser's own wait grows. A success forgets the failures; so does a
    quiet day.
    """

    FREE_FAILURES = 5
    MAX_WAIT = 15 * 60
    MEMORY = 24 * 3600

    def __init__(self, email, source):
        address = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        self.failures_key = f"login-failures:{address}:{source}"
        self.until_key = f"login-wait:{address}:{source}"

    def wait(self):
        """Whole seconds before the next attempt may be checked; 0 if now."""
        until = cache.get(self.until_key)
        if until is None:
            return 0
        return max(0, math.ceil(until - time.time()))

    def failed(self):
        failures = count(self.failures_key, timeout=self.MEMORY)
        cache.touch(self.failures_key, self.MEMORY)
        if failures >= self.FREE_FAILURES:
            wait = min(2 ** min(failures - self.FREE_FAILURES, 20), self.MAX_WAIT)
            cache.set(self.until_key, time.time() + wait, timeout=wait + 1)

    def succeeded(self):
        cache.delete_many([self.failures_key, self.until_key])
