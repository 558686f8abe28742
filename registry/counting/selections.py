"""The selection of a `CaseFilter` as a bitmap (`registry.counting.bitmaps`),
worked out from its parameters without reading the cases.

Each parameter is the union of the bitmaps of its values (`?theme=a&theme=b`:
cases of either), parameters are intersected, as `CaseFilter` does in SQL. Only
the text search is read from the database (its ids, then a bitmap): the cost of
a selection follows the number of its parameters, never of its cases.
"""

import itertools
import threading
from array import array
from collections import OrderedDict

from django.db.models import F
from pyroaring import BitMap

from registry.counting.bitmaps import EMPTY, NotHeld, Selection, enabled, snapshot, union
from registry.models import Case
from registry.models.lookups import among_many
from registry.models.rows import postgresql_setting
from registry.models.vocabulary import TAG_PARAMETERS
from registry.search.filters import TERRITORY_FACETS
from registry.search.query import full_text, title_tier


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
        parts.append(text_matches(held, text))
    if not parts:
        return Selection(held.published)
    parts.sort(key=len)
    selection = parts[0] & held.published
    for part in parts[1:]:
        selection &= part
    return Selection(selection)


def count_of(filterset):
    """How many cases `filterset` selects: the cardinality of its selection, or
    in SQL when the bitmaps do not hold it."""
    selection = filtered(filterset)
    return len(selection) if selection is not None else filterset.qs.count()


# The published cases a text matches, kept by this process for the snapshot
# they were read under (a new registry version, a new snapshot): a page of
# results, its facets without one of their parameters and the offers of the
# search help all ask for the same text, and so do the next pages.
# At most TEXTS_KEPT entries holding TEXTS_KEPT_IDS ids in all (4 bytes each in
# an order, less in a bitmap): a few megabytes, whatever the registry's size; a
# text matching more (« -mobilité » matches nearly everything) is not kept.
TEXTS_KEPT = 32
TEXTS_KEPT_IDS = 1_000_000
_texts = OrderedDict()
_texts_lock = threading.Lock()


def kept(key, read):
    """What `read()` returns (ids: an array or a bitmap), kept under `key` among
    the last ones, within TEXTS_KEPT and TEXTS_KEPT_IDS."""
    with _texts_lock:
        value = _texts.get(key)
        if value is not None:
            _texts.move_to_end(key)
            return value
    value = read()
    if len(value) > TEXTS_KEPT_IDS:
        return value
    with _texts_lock:
        _texts[key] = value
        held = sum(len(ids) for ids in _texts.values())
        while len(_texts) > TEXTS_KEPT or held > TEXTS_KEPT_IDS:
            _, dropped = _texts.popitem(last=False)
            held -= len(dropped)
    return value


def forget_texts():
    """Drop the texts' matches and rankings this process keeps (benchmarks)."""
    with _texts_lock:
        _texts.clear()


def text_matches(held, text):
    """The bitmap of the published cases `text` matches (not to be modified)."""
    with _texts_lock:
        order = _texts.get(("order", held.version, held.built_at, text))
    if order is not None:
        return kept(("matches", held.version, held.built_at, text), lambda: BitMap(order))
    def read():
        matching = full_text(Case.objects.published(), text).order_by()
        with exact_bitmaps():
            return BitMap(matching.values_list("pk", flat=True))

    return kept(("matches", held.version, held.built_at, text), read)


def exact_bitmaps():
    """PostgreSQL finds a text's matches as a bitmap of the table's pages, exact
    while it fits in `work_mem` (4 MB by default): past it (« mobilité » at
    1 000 000 cases, 100 000 pages) it goes lossy, and every row of its pages
    has its search vector read again and tested (2.9 s instead of 1.1 s)."""
    return postgresql_setting("work_mem", TEXT_WORK_MEM)


TEXT_WORK_MEM = "64MB"


def relevance_order(held, text):
    """The ids of every published case `text` matches, the most relevant first
    (the order of `CaseFilter`'s relevance sort: rank, then the most recently
    published): what a case ranks depends on it and the text alone, so that
    the order of any selection of them is this one, restricted. A `Ranking`:
    read in two steps where the titles tell which cases come first."""
    return Ranking(held, text)


class Ranking:
    """The order of relevance of a text's matches, iterated. On PostgreSQL the
    cases whose title ranks them above every other (`title_tier`, a few
    thousand of 100 000 cases at most, found from the index of the titles) are
    ranked first; the order of every match (reading all of their vectors: the
    cost of a new text at 100 000 cases) is read only when a page goes past
    them. Both kept for the snapshot."""

    def __init__(self, held, text):
        self.key = (held.version, held.built_at, text)
        self.text = text
        with _texts_lock:
            self.first = _texts.get(("order", *self.key))
        self.whole = self.first is not None
        if not self.whole:
            tier = title_tier(Case.objects.published(), text)
            if tier is None:  # SQLite, or a text that only excludes: all at once
                self.first, self.whole = self.every(), True
            else:
                self.first = kept(("first", *self.key), lambda: ids_in_order(*tier))

    def __iter__(self):
        yield from self.first
        if not self.whole:
            yield from itertools.islice(self.every(), len(self.first), None)

    def every(self):
        return kept(
            ("order", *self.key),
            lambda: ids_in_order(full_text(Case.objects.published(), self.text)),
        )


def ids_in_order(matching, above=None):
    """The ids of `matching` (annotated with their `rank`) by relevance, those
    ranking at least `above` only when given."""
    # The rank selected beside the id: ordered by it alone, a constant rank (a
    # text that only excludes words) would be written ORDER BY 0.0, which
    # PostgreSQL refuses.
    ordered = matching.order_by(F("rank").desc(), "-published_at", "-id").values_list("pk", "rank")
    if above is not None:
        ordered = itertools.takewhile(lambda row: row[1] >= above, ordered)
    with exact_bitmaps():
        return array("I", (pk for pk, _rank in ordered))


class RankedResults:
    """The cases of a text search's selection by relevance, as a `Paginator`
    slices them: the order of every case the text matches is read once for
    the snapshot (`relevance_order`: the ranking of all of them, the page's
    main cost at 100 000 cases), then a page is the next of its cases that
    are in the selection, fetched by id from `queryset` (the filter's, with its
    annotations), in that order."""

    def __init__(self, queryset, order, selection):
        self.queryset, self.order, self.selection = queryset, order, selection

    def __len__(self):
        return len(self.selection)

    def count(self):
        return len(self.selection)

    def __getitem__(self, part):
        if not isinstance(part, slice):
            raise TypeError("RankedResults is sliced by pages")
        bitmap = self.selection.bitmap
        ids = list(
            itertools.islice((pk for pk in self.order if pk in bitmap), part.start, part.stop)
        )
        found = self.queryset.filter(pk__in=ids).order_by().in_bulk()
        return [found[pk] for pk in ids if pk in found]


def ranked_results(filterset, queryset, selection_of):
    """`RankedResults` of `filterset` (its `queryset` of results), or None when
    its results are not sorted by relevance or the bitmaps do not hold its
    selection: then the database sorts them. `selection_of()`: the selection,
    as the page's counts work it out (`FacetCounter.ids_without`), asked once
    the text is ranked so that its matches are taken from the ranking."""
    if not enabled() or filterset.sort_order != "relevance":
        return None
    order = relevance_order(snapshot(), filterset.text)
    selection = selection_of()
    if not isinstance(selection, Selection):
        return None
    return RankedResults(queryset, order, selection)


# A selection of at most this many cases is listed from its ids (the bitmaps'
# selection), not from its filters: PostgreSQL then reads the rows of the page
# by primary key instead of working out the filters' subqueries over the whole
# registry (a département and a practice at 1 000 000 cases: 92 -> 22 ms). A
# larger one is listed by its filters, along the date index.
LISTED_BY_IDS = 50_000


def listed_by_ids(filterset, queryset, selection):
    """`queryset` (the search page's results, in their order) as the published
    cases among the ids of `selection`, or None: a text to headline or rank, a
    selection the bitmaps do not hold (`FacetCounter.ids_without` gave ids or a
    queryset), or one too large."""
    if filterset.text or not isinstance(selection, Selection):
        return None
    if len(selection) > LISTED_BY_IDS:
        return None
    return (
        Case.objects.published()
        .filter(among_many("id", selection.bitmap))
        .for_list()
        .order_by(*queryset.query.order_by)
    )


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
