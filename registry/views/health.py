"""`/sante/`: what a load balancer or a monitor asks before sending visitors.

200 when the database answers a query and the cache keeps a value, 503 with
Retry-After naming the part in trouble otherwise. Never cached, never logged in,
no language prefix.
"""

import time

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from registry.database_trouble import RETRY_AFTER_SECONDS

CACHE_PROBE_KEY = "health-probe"


def database_answers():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def cache_answers():
    probe = str(time.monotonic_ns())
    try:
        cache.set(CACHE_PROBE_KEY, probe, timeout=10)
        return cache.get(CACHE_PROBE_KEY) == probe
    except Exception:  # a cache backend raises its own client's errors (redis, …)
        return False


@never_cache
@require_safe
def health(request):
    checks = {
        "database": "ok" if database_answers() else "unavailable",
        "cache": "ok" if cache_answers() else "unavailable",
    }
    healthy = all(state == "ok" for state in checks.values())
    response = JsonResponse({"status": "ok" if healthy else "unavailable", **checks})
    if not healthy:
        response.status_code = 503
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
