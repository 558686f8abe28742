"""Text coming in: the characters no field may hold, and the gate that keeps them out.

C0 control characters other than tab, line feed and carriage return have no place
in a title, a search or a code: PostgreSQL refuses NUL in any text, and XML (the
feeds, the sitemaps) cannot carry any of them. Lone UTF-16 surrogates, which only
JSON can spell (`"\\ud800"`), cannot even be encoded to UTF-8.

Nobody types one on purpose: a vertical tab comes with text pasted from a word
processor, a NUL from a broken or hostile client. So the site's forms and query
strings lose them at the door, silently (`ControlCharacterMiddleware`: a person
would not understand an error about a character they cannot see), and a URL
argument holding one names nothing (404). The API refuses them instead, with a 400
naming the parameter or field (`ApiView.initial` for query strings,
`registry.api.parsers` for JSON bodies): a program that sends one has a bug its
author wants to hear about, and the OpenAPI schema documents that 400.
"""

import re

from django.http import Http404, QueryDict
from django.utils.translation import gettext as _

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Word processors' line and page breaks stay line breaks rather than glue two words.
LINE_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})


def has_forbidden_characters(text):
    return FORBIDDEN.search(text) is not None


def without_forbidden_characters(text):
    if FORBIDDEN.search(text) is None:
        return text
    return FORBIDDEN.sub("", text.translate(LINE_BREAKS))


def unix_line_endings(value):
    """`value` (text, or a snapshot's lists and mappings of texts) with its line
    breaks as \\n: browsers send a textarea's as CRLF and the admin kept them, so
    that the same text typed twice looked changed in a review."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value
    if isinstance(value, dict):
        return {key: unix_line_endings(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [unix_line_endings(item) for item in value]
    return value


def forbidden_character_message(text):
    """The API's message for `text`, naming its first forbidden character."""
    character = FORBIDDEN.search(text).group()
    return _("Caractère non autorisé : %(code)s.") % {"code": f"U+{ord(character):04X}"}


def cleaned_query_dict(query):
    """`query` (a QueryDict) without forbidden characters in its names and values;
    `query` itself when it has none, which is nearly always."""
    if not any(
        has_forbidden_characters(name) or any(has_forbidden_characters(v) for v in values)
        for name, values in query.lists()
    ):
        return query
    cleaned = QueryDict(mutable=True, encoding=query.encoding)
    for name, values in query.lists():
        for value in values:
            cleaned.appendlist(
                without_forbidden_characters(name), without_forbidden_characters(value)
            )
    cleaned._mutable = False
    return cleaned


def is_api_request(request):
    """True for the API's URLs (namespace « api », config/urls.py)."""
    match = request.resolver_match
    return match is not None and "api" in match.namespaces


class ControlCharacterMiddleware:
    """The site's pages receive query strings and forms without forbidden characters;
    a URL argument holding one is a 404. The API answers for itself (a 400)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_api_request(request):
            return None
        arguments = [*view_args, *view_kwargs.values()]
        if any(isinstance(value, str) and has_forbidden_characters(value) for value in arguments):
            raise Http404
        request.GET = cleaned_query_dict(request.GET)
        if request.method == "POST":
            request.POST = cleaned_query_dict(request.POST)
        return None
