from django import template
from django.http import QueryDict

register = template.Library()


@register.simple_tag(takes_context=True)
def without_filter(context, param, value=None):
    """The current query string without one filter value (or the whole
    parameter), back to the first page: the link of an active-filter chip."""
    query = context["request"].GET.copy()
    query.pop("page", None)
    if value is None:
        query.pop(param, None)
    else:
        values = [v for v in query.getlist(param) if v != str(value)]
        query.setlist(param, values)
    return "?" + query.urlencode() if query else "?"


@register.simple_tag(takes_context=True)
def with_filter(context, param, value):
    """A link narrowing the current selection by one more value."""
    query = context["request"].GET.copy()
    query.pop("page", None)
    values = query.getlist(param)
    if str(value) not in values:
        values.append(str(value))
    query.setlist(param, values)
    return "?" + query.urlencode()


@register.simple_tag
def search_url(**params):
    """A query string for the search page from keyword filters."""
    query = QueryDict(mutable=True)
    for key, value in params.items():
        if value not in (None, ""):
            query[key] = value
    return "?" + query.urlencode()


@register.filter
def code_of(value):
    return getattr(value, "code", value)


@register.filter
def label_of(value):
    return getattr(value, "label", value)


@register.filter
def rich(text):
    """A case's long text as safe HTML (see registry.sanitize)."""
    from registry.sanitize import render_rich_text

    return render_rich_text(text)
