"""The order of an observatory chart's rows, chosen by the visitor.

Each chart reads its own parameter, `tri_<chart>` (`tri_themes=nombre`), so that
a link, a permalink and the chart's CSV download keep the order it is shown
in; without it, a chart keeps its natural order (the référentiel's, the
years', the codes'). The order is a display option, never a filter: it does
not follow the selection to the search page.
"""

from dataclasses import dataclass, replace

from django.urls import reverse
from django.utils.translation import gettext_lazy

from registry.views.querystrings import address, without_empty

NATURAL = "ordre"
MOST = "nombre"  # most frequent first
FEWEST = "rares"  # least frequent first
PREFIX = "tri_"


def order_param(chart):
    return f"{PREFIX}{chart}"


def is_order_param(key):
    return key.startswith(PREFIX)


def order_of(query, chart, choices, default=NATURAL):
    """The order asked for `chart` in `query`, if it is one of `choices`."""
    value = query.get(order_param(chart))
    return value if value in choices else default


def sorted_rows(rows, order, value=lambda row: row.count):
    """`rows` in `order`: as they come (NATURAL), most frequent first (MOST) or
    least frequent first (FEWEST), by `value(row)`.

    A chart with two levels (the métiers and their missions) ranks its detailed
    rows alone, so that « the most used practices » read from the top. Rows
    without a code (« Étape non renseignée ») stay last, rows without a value
    after the others; ties keep their natural order."""
    if order == NATURAL:
        return list(rows)
    if any(getattr(row, "level", 0) for row in rows):
        rows = [replace(row, level=0) for row in rows if row.level]
    sign = -1 if order == MOST else 1

    def key(row):
        figure = value(row)
        return (not row.code, figure is None, sign * (figure or 0))

    return sorted(rows, key=key)


@dataclass
class OrderOption:
    label: str
    url: str
    current: bool


def order_options(request, chart, choices, current, default=NATURAL, anchor=""):
    """The links switching `chart` between its orders (`choices`: [(value,
    label)]), on the same page and with everything else kept; an order that is
    the page's default leaves the address."""
    options = []
    for value, label in choices:
        query = without_empty(request.GET)
        if value == default:
            query.pop(order_param(chart), None)
        else:
            query[order_param(chart)] = value
        url = address(request.path, query) + (f"#{anchor}" if anchor else "")
        options.append(OrderOption(label, url, value == current))
    return options


def orders_in(query):
    """The (parameter, value) pairs of the orders in `query`: what a form of the
    page keeps in hidden fields."""
    return [(key, value) for key in query if is_order_param(key) for value in query.getlist(key)]


# --- A chart as a page shows it ----------------------------------------------------

# A chart's natural order, offered beside « most frequent first ». The pairs of
# practices and themes are not there: they are the most frequent ones, ranked.
NATURAL_ORDERS = {
    "themes": gettext_lazy("Ordre du référentiel"),
    "pratiques": gettext_lazy("Ordre du référentiel"),
    "partenariats": gettext_lazy("Ordre du référentiel"),
    "formes": gettext_lazy("Ordre du référentiel"),
    "etapes": gettext_lazy("Ordre du référentiel"),
    "annees": gettext_lazy("Ordre chronologique"),
    "familles": gettext_lazy("Ordre des familles"),
    "combinaisons": gettext_lazy("Ordre des familles"),
    "regions": gettext_lazy("Ordre des codes"),
    "departements": gettext_lazy("Ordre des codes"),
}
MOST_FIRST = gettext_lazy("Du plus fréquent au moins fréquent")
FEWEST_FIRST = gettext_lazy("Du moins d'expériences au plus d'expériences")


@dataclass
class ShownChart:
    """A chart as a page shows it: its rows in the order asked (the chart keeps
    its natural order, which a timeline draws), the links to its other orders,
    and its download in the same order."""

    chart: object
    rows: list
    order: str
    orders: list
    csv_url: str


def chart_csv_url(name, query, order):
    query = query.copy()
    if order != NATURAL:
        query[order_param(name)] = order
    return address(reverse("observatory_csv", args=[name]), query)


def shown_chart(request, chart, query, *, choices=None, default=NATURAL, anchor=None):
    """`chart` in the order the address asks among `choices` ([(order, label)];
    by default its natural order and most frequent first)."""
    if choices is None:
        choices = (
            [(NATURAL, NATURAL_ORDERS[chart.name]), (MOST, MOST_FIRST)]
            if chart.name in NATURAL_ORDERS
            else []
        )
    order = order_of(request.GET, chart.name, [value for value, label in choices], default)
    anchor = anchor or f"chart-{chart.name}"
    return ShownChart(
        chart,
        sorted_rows(chart.rows, order),
        order,
        order_options(request, chart.name, choices, order, default, anchor) if choices else [],
        chart_csv_url(chart.name, query, order),
    )
