"""Addresses that carry only what is set.

A GET form sends every field, the blank ones too (`q=&year_min=&ongoing=`):
the filters read a blank value as no filter, but the address a visitor copies
and the links built from it would carry them all. With JavaScript the forms
drop them before sending (static/js/site.js); without it, a page answers such
an address with a redirect to the same one without them.
"""

from django.http import QueryDict
from django.shortcuts import redirect


def without_empty(query):
    """A mutable copy of `query` without its blank values."""
    kept = QueryDict(mutable=True)
    for key in query:
        values = [value for value in query.getlist(key) if value != ""]
        if values:
            kept.setlist(key, values)
    return kept


def address(path, query):
    """`path` with `query`, and no lone « ? » when the query is empty."""
    encoded = query.urlencode()
    return f"{path}?{encoded}" if encoded else path


def redirect_without_empty(request):
    """A redirect to the same page without the blank parameters of its address,
    or None when it has none.

    An htmx request is answered in place (the page's script has cleaned its
    parameters already, and a redirect would not change the address htmx
    pushes), but read without its blanks, so that no link built from it
    carries them."""
    if not any("" in request.GET.getlist(key) for key in request.GET):
        return None
    if request.htmx:
        request.GET = without_empty(request.GET)
        return None
    return redirect(address(request.path, without_empty(request.GET)))
