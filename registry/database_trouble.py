"""When the database is the part in trouble, the request answers 503, not 500.

Two troubles, one answer (the site's « try again » page, or the API's JSON, with
Retry-After), rendered without touching the database:

- a statement PostgreSQL cancelled for running too long: `DATABASE_STATEMENT_TIMEOUT_MS`
  (config/settings.py) bounds every statement of the processes that serve requests,
  so that no request holds a worker (SQLSTATE 57014, query_canceled);
- a database that does not answer: restarting, unreachable, out of connections, or
  a SQLite file locked for too long (`OperationalError`, `InterfaceError`). Django
  opens a new connection at the next request, so the site recovers by itself as soon
  as the database is back.

The middleware catches what views raise; `server_error`, the site's handler500,
catches the same errors raised elsewhere (a template rendered after the view, a
middleware reading the session).
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views.defaults import server_error as django_server_error

QUERY_CANCELED = "57014"
RETRY_AFTER_SECONDS = 10


def was_cancelled(exception):
    cause = exception.__cause__
    return isinstance(exception, OperationalError) and (
        getattr(cause, "sqlstate", None) == QUERY_CANCELED
    )


def is_database_trouble(exception):
    return isinstance(exception, OperationalError | InterfaceError)


def wants_json(request):
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return "api" in match.namespaces
    return request.path.startswith("/api/")


def unavailable(request, exception):
    """The 503 for `exception`, without the request's context (no session, no user:
    both would ask the database)."""
    slow = was_cancelled(exception)
    if wants_json(request):
        if slow:
            message = _("Le serveur met trop de temps à répondre : réessayez plus tard.")
        else:
            message = _("Le registre est momentanément indisponible : réessayez plus tard.")
        response = JsonResponse(
            {"detail": message}, status=503, json_dumps_params={"ensure_ascii": False}
        )
    else:
        html = loader.get_template("503.html").render({"slow": slow})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseTroubleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_trouble(exception):
            return None
        return unavailable(request, exception)


def server_error(request, template_name="500.html"):
    """handler500: Django calls it while handling the exception, which is still
    `sys.exc_info()`: database trouble gets its 503, anything else the 500 page."""
    exception = sys.exc_info()[1]
    if exception is not None and is_database_trouble(exception):
        return unavailable(request, exception)
    return django_server_error(request, template_name)
