"""How the site prints figures, years and translated text in attributes.

French typography, as the Imprimerie nationale sets it and as every French
string of the code is written:

- thousands grouped with a narrow no-break space, U+202F: « 4 614 »
  (config/formats/fr/formats.py; English "4,614");
- a narrow no-break space (U+202F) before « ; ! ? » and a no-break space
  (U+00A0) before « : » and inside « guillemets », so that no sign is left
  alone at the start of a line. tests/test_typography.py walks the catalogue
  for plain spaces there; English has none before its signs and quotes “so”.
"""

import html

from django import template
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def number(value):
    """A count with the thousands of the active language: « 4 614 », "4,614"."""
    if value is None or value == "":
        return ""
    return number_format(value, force_grouping=True)


@register.filter
def attribute(text):
    """Text made safe for a quoted HTML attribute, escaped once.

    Django does not escape what `{% translate %}` prints, nor the text around
    the variables of a `{% blocktranslate %}`: a translation holding a double
    quote would end the attribute. Use `{% translate "…" as label %}` (or
    `blocktranslate asvar`) and print `{{ label|attribute }}`; the variables a
    blocktranslate already escaped are not escaped twice."""
    return escape(html.unescape(str(text)))


@register.filter
def period(case):
    """The years of a case: « 2020 », « 2018–2021 », « depuis 2020 »."""
    start, end = case.start_year, case.end_year
    if not start:
        return ""
    if not end:
        return _("depuis %(year)s") % {"year": start}
    if end == start:
        return str(start)
    return f"{start}–{end}"
