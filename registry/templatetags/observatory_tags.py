"""How the observatory prints its figures: one rule for percentages and gaps.

Shares and gaps carry one decimal, in the active language's form (« 12,5 % »
with a non-breaking space in French, "12.5%" in English); a gap is signed with
a true minus sign (U+2212) or a plus sign, so that « −3,3 » never reads as a
hyphen. The CSV downloads keep machine figures (a point, a hyphen-minus): a
spreadsheet reads « −3,3 » as text.
"""

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()

MINUS = "\u2212"


@register.filter
def percent(value, decimals=1):
    """A share of cases, in percent: « 12,5 % » ; « — » when there is none."""
    if value is None or value == "":
        return "—"
    # Translators: a percentage; French puts a non-breaking space before the sign.
    return _("%(number)s %%") % {"number": number_format(value, int(decimals))}


@register.filter
def points(value):
    """A gap between two shares, in percentage points, always signed but zero:
    « +3,3 », « −3,3 », « 0,0 »."""
    if value is None or value == "":
        return "—"
    number = number_format(abs(value), 1)
    if round(value, 1) > 0:
        return f"+{number}"
    if round(value, 1) < 0:
        return f"{MINUS}{number}"
    return number
