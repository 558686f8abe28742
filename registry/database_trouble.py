"""A statement PostgreSQL cancelled for running too long answers 503, not 500.

`DATABASE_STATEMENT_TIMEOUT_MS` (config/settings.py) bounds every statement of
the processes that serve requests, so that no request holds a worker: the
database cancels the statement (SQLSTATE 57014, query_canceled) and the request
gets the site's « try again » page, or the API's JSON, with Retry-After. The page
reads nothing from the database, which is the part in trouble.
"""

from django.db import OperationalError
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

QUERY_CANCELED = "57014"
RETRY_AFTER_SECONDS = 10


def was_cancelled(exception):
    cause = exception.__cause__
    return isinstance(exception, OperationalError) and (
        getattr(cause, "sqlstate", None) == QUERY_CANCELED
    )


class StatementTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not was_cancelled(exception):
            return None
        match = request.resolver_match
        if match is not None and "api" in match.namespaces:
            message = _("Le serveur met trop de temps à répondre : réessayez plus tard.")
            response = JsonResponse(
                {"detail": message}, status=503, json_dumps_params={"ensure_ascii": False}
            )
        else:
            response = render(request, "503.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
