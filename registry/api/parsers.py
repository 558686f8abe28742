"""The API's JSON bodies, checked before a serializer sees them.

Python's `json` module recurses once per nesting level: a body of a thousand
nested brackets ends in a `RecursionError` (a 500) before anything else runs.
No body of this API nests more than a few levels (a roster entry in a list in an
object), so a body nested deeper than `MAX_DEPTH` is refused with a 400, from an
iterative count of its brackets made before it is decoded. Then every string of
the decoded body, names included, is checked against `registry.text.guard`: a
forbidden character is a 400 naming the field where it is, in the shape DRF gives
its own field errors (`{"roster": {"0": {"contribution": [...]}}}`).
"""

import io
import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings

from registry.text.guard import forbidden_character_message, has_forbidden_characters

MAX_DEPTH = 32
# A JSON string, whose brackets are text, not structure. Bytes: JSON is UTF-8, where
# no byte of a multi-byte character is an ASCII quote, backslash or bracket.
JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
BRACKETS = re.compile(rb"[\[\]{}]")


def nesting_depth(body):
    """How deep the arrays and objects of the JSON `body` (bytes) nest, counted
    without recursion."""
    depth = deepest = 0
    for bracket in BRACKETS.findall(JSON_STRING.sub(b'""', body)):
        if bracket in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def forbidden_text_errors(data):
    """Field errors for the strings of `data` that hold a forbidden character, nested
    as the fields are; {} when there is none. A name holding one is reported on the
    object that holds it (the error cannot be keyed by a name it could not print)."""
    errors = {}
    pending = [((), data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if has_forbidden_characters(value):
                errors[path] = forbidden_character_message(value)
        elif isinstance(value, dict):
            bad_name = next((name for name in value if has_forbidden_characters(name)), None)
            if bad_name is None:
                pending.extend(((*path, name), item) for name, item in value.items())
            else:
                errors[path] = forbidden_character_message(bad_name)
        elif isinstance(value, list):
            pending.extend(((*path, str(index)), item) for index, item in enumerate(value))
    if errors and (not isinstance(data, dict) or () in errors):
        return {api_settings.NON_FIELD_ERRORS_KEY: [next(iter(errors.values()))]}
    nested = {}
    for (*parents, name), message in sorted(errors.items()):
        level = nested
        for parent in parents:
            level = level.setdefault(parent, {})
        level[name] = [message]
    return nested


class CheckedJSONParser(JSONParser):
    """DRF's JSON parser, behind a nesting limit and the forbidden-character check."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read()
        if nesting_depth(body) > MAX_DEPTH:
            raise ParseError(
                _("Corps JSON trop imbriqué : %(max)d niveaux au plus.") % {"max": MAX_DEPTH}
            )
        data = super().parse(io.BytesIO(body), media_type, parser_context)
        errors = forbidden_text_errors(data)
        if errors:
            raise ValidationError(errors)
        return data
