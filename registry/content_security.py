"""Content-Security-Policy on every response.

The site's pages carry no inline script (JSON-LD is data, which a policy does not
run): scripts come from the site itself only, so a payload that slipped past the
sanitiser would still not execute. Style attributes stay allowed — the bars of
the observatory set their width with one — but not `<style>` elements from
elsewhere. The interactive API documentation (Swagger UI, Redoc) injects its own
styles and starts a worker from a blob: its views set their wider policy with
`api_documentation_policy`, still with scripts from the site only.
"""

from functools import wraps

HEADER = "Content-Security-Policy"

SITE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

API_DOCUMENTATION_POLICY = {
    **SITE_POLICY,
    "style-src": "'self' 'unsafe-inline'",
    # Redoc's « API docs by Redocly » logo.
    "img-src": "'self' data: blob: https://cdn.redoc.ly",
    "worker-src": "'self' blob:",
}


def header_value(policy):
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Sets the site's policy on every response that does not carry its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.value = header_value(SITE_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault(HEADER, self.value)
        return response


def api_documentation_policy(view):
    value = header_value(API_DOCUMENTATION_POLICY)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.headers[HEADER] = value
        return response

    return wrapped
