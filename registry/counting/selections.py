"""The selection of a `CaseFilter` as a bitmap (`registry.counting.bitmaps`),
worked out from its parameters without reading the cases.

Each parameter is the union of the bitmaps of its values (`?theme=a&theme=b`:
cases of either), parameters are intersected, as `CaseFilter` does in SQL. Only
the text search is read from the database (its ids, then a bitmap): the cost of
a selection follows the number of its parameters, never of its cases.
"""

from pyroaring import BitMap

from registry.counting.bitmaps import EMPTY, NotHeld, Selection, enabled, snapshot, union
from registry.models import Case
from registry.models.vocabulary import TAG_PARAMETERS
from registry.search.filters import TERRITORY_FACETS
from registry.search.query import full_text


def filtered(filterset, without=()):
    """The `Selection` of `filterset` without its parameters `without`, or None
    when it cannot be worked out here (an invalid form, a base queryset other
    than the published cases): the caller then counts its queryset."""
    if not enabled() or not filterset.form.is_valid():
        return None
    if not over_published(filterset.queryset):
        return None
    data = {
        name: value
        for name, value in filterset.form.cleaned_data.items()
        if name not in without and name != "sort"
    }
    held = snapshot()
    parts = []
    for name, value in data.items():
        try:
            part = part_of(held, name, value)
        except NotHeld:
            return None
        if part is not None:
            parts.append(part)
    text = data.get("q")
    if text:
        ids = full_text(Case.objects.published(), text).order_by().values_list("pk", flat=True)
        parts.append(BitMap(ids))
    if not parts:
        return Selection(held.published)
    parts.sort(key=len)
    selection = parts[0] & held.published
    for part in parts[1:]:
        selection &= part
    return Selection(selection)


def over_published(queryset):
    """True when `queryset` is every published case, as `CaseFilter` starts from."""
    return str(queryset.order_by().query) == str(Case.objects.published().order_by().query)


def part_of(held, name, value):
    """The cases one parameter selects, or None when it selects every case."""
    if name in TERRITORY_FACETS:
        if not value:
            return EMPTY if getattr(value, "missing", None) else None
        return union(held.places.get(t.pk, EMPTY) for t in value)
    if name in TAG_PARAMETERS:
        # The term with its children (a métier's missions), as `TermFilter`.
        return union(held.terms.get(t.pk, EMPTY) for t in value) if value else None
    if name == "actor":
        if not value:
            return None
        return union(
            held.actor_types.get(t.pk, EMPTY) | held.actor_families.get(t.pk, EMPTY) for t in value
        )
    if name in ("phase", "scale"):
        if not value:
            return None
        column = held.columns[f"{name}_id"]
        return union(column.get(t.pk, EMPTY) for t in value)
    if name == "families":
        return held.all_three if value == "all" else None
    if name in ("year_min", "year_max"):
        if value is None:
            return None
        year = int(value)
        years = held.columns["start_year"]
        return union(
            cases
            for start, cases in years.items()
            if start is not None and (start >= year if name == "year_min" else start <= year)
        )
    if name == "pioneer":
        return held.pioneer if value else None
    if name == "ongoing":
        if value == "yes":
            return held.ongoing
        if value == "no":
            return held.published - held.ongoing
        return None
    if name == "q":
        return None  # read from the database by `filtered`
    raise NotHeld(name)  # a parameter of its own: the caller counts in SQL
