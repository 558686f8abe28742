from django import template
from django.http import QueryDict

from registry.forms import RICH_FIELDS
from registry.text import sanitize
from registry.views.querystrings import without_empty

register = template.Library()


@register.simple_tag(takes_context=True)
def without_filter(context, param, value=None):
    """The current query string without one filter value (or the whole
    parameter), back to the first page: the link of an active-filter chip."""
    query = without_empty(context["request"].GET)
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
    query = without_empty(context["request"].GET)
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


# Contributor text goes through these filters, never through |safe (see registry.text.sanitize).


@register.filter
def rich(text):
    """A case's long text as safe HTML: escaped paragraphs, or sanitised markup."""
    return sanitize.render_rich_text(text)


@register.filter
def paragraphs(text):
    """A plain text as escaped paragraphs and line breaks."""
    return sanitize.render_plain_text(text)


@register.filter
def case_text(value, field):
    """A case's field as its page prints it: long texts rich, the others plain."""
    if field in RICH_FIELDS:
        return sanitize.render_rich_text(value)
    return sanitize.render_plain_text(value)


@register.filter
def snippet(text):
    """The first words of a plain text, escaped, for a result card."""
    return sanitize.snippet(text)


@register.filter
def web_address(url):
    """The URL when a link may point to it (http or https), else an empty string."""
    return sanitize.web_address(url)
