"""A small cache-based rate limiter for sign-up, log-in, submissions and reports.

Counts hits per (scope, key) in fixed windows in Django's cache. With the
default local-memory cache the limits hold per process: production with several
workers needs a shared cache (Redis, Memcached or the database cache).
"""

import time
from functools import wraps

from django.core.cache import cache
from django.shortcuts import render


def client_ip(request):
    # Behind a proxy, configure it to set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR", "unknown")


def hit(scope, key, *, limit, period):
    """Count one attempt; True while `limit` attempts per `period` seconds are not exceeded."""
    window = int(time.time() // period)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    if cache.add(cache_key, 1, timeout=period + 1):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=period + 1)
        return True
    return count <= limit


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
