"""Cache-based limits for sign-up, log-in, submissions and reports.

Counts live in Django's default cache. With `CACHE_URL` (Redis) every worker and
host shares them; without it each process counts alone, which `check --deploy`
warns about (`accounts.checks`).
"""

import hashlib
import math
import time
from functools import wraps

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


def too_many(request):
    return render(request, "429.html", status=429)


def ratelimit(scope, *, limit, period, key="ip", methods=("POST",)):
    """Refuse with a 429 page past `limit` requests per `period` seconds.

    `key` is "ip" or "user" (the account when logged in, else the address)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods:
                who = client_ip(request)
                if key == "user" and request.user.is_authenticated:
                    who = f"user-{request.user.pk}"
                if not hit(scope, who, limit=limit, period=period):
                    return too_many(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


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
