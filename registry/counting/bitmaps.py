"""The published registry as compressed bitmaps of case ids: counting that does
not grow with the selection.

For every key a count is made of (a term, a territory, an actor type, a phase,
a start year…), the ids of the published cases under it, as a roaring bitmap
(`pyroaring`). A selection is a bitmap too, and a count is the cardinality of an
intersection, computed without building it: a few microseconds per key over
containers of 65 536 ids, whether the selection holds 10 cases or 1 000 000.
The search page's facets, the observatory and the territory and référentiel
pages all count this way (`registry.counting.engine.count`), on PostgreSQL and
SQLite alike; the SQL tallies remain for selections the bitmaps do not hold (a
case that is not published, a column they do not key) and as the oracle the
tests compare with.

A `Snapshot` is built from the database in eight aggregate queries, each group's
ids carried as one string (`string_agg` / `group_concat`), and kept by each
process under the registry version (`registry.models.index`), which every write
to published content moves. A write that changed only some cases says which
(`bump_registry_version(case_ids)`, kept beside the version in the shared
cache): the next count of each process then reads those cases again, in the
same queries restricted to them, and merges them into a new snapshot that
shares every other bitmap with the previous one (15 to 25 ms at 100 000 cases
on PostgreSQL, where a build takes 1 to 3 s). A label changed moves the version
with no case (`bump_registry_version(relabelled=True)`): the bitmaps, which hold
no label, are kept. Any other write (the geography, the vocabularies reloaded),
or a version whose changes are forgotten, builds the snapshot afresh.

A built snapshot is shared: when the cache is every worker's (the Redis of
CACHE_URL), it is stored there under its version (3.9 MiB pickled at 100 000
cases), and a process that starts, or meets a version it cannot update to,
reads it instead of building its own (75 ms instead of 1 to 3 s). A snapshot
older than `MAX_AGE` seconds is built again in the background, the old one
counting meanwhile, so that a write path that forgot to
move the version cannot keep counts wrong for long, and no visitor waits for
the build.

Past one PostgreSQL server the same seam would move to a search engine's
aggregations (OpenSearch / Elasticsearch `terms` aggregations with a
`post_filter` for disjunctive facets, or Meilisearch's facet distribution):
`count()` below is the only function that would call it, with the selection
translated from the same `CaseFilter` parameters (`registry.counting.selections`).
"""

import dataclasses
import heapq
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from pyroaring import BitMap

from registry.models import (
    ALL_THREE_FAMILIES,
    Case,
    CasePartner,
    CaseStatus,
    CaseTerritory,
    Organization,
    Term,
)
from registry.models.index import cache_is_shared, registry_changes, registry_version
from territories.models import TerritoryLink

MAX_AGE = 600
EMPTY = BitMap()
# Part of the shared snapshot's key: a release that changes `Snapshot` reads
# none of an older one's.
FORMAT = 3

logger = logging.getLogger(__name__)


class Selection:
    """A selection of published cases as a bitmap: what `count()` and
    `engine.cases_of` accept in place of a queryset or a list of ids."""

    def __init__(self, bitmap):
        self.bitmap = bitmap

    def __len__(self):
        return len(self.bitmap)

    def __iter__(self):
        return iter(self.bitmap)

    def __repr__(self):
        return f"<Selection of {len(self.bitmap)} cases>"


class Published(Selection):
    """Every published case: for callers without a snapshot at hand
    (`engine.cases_of` reads it as `Case.objects.published()`)."""

    def __init__(self):
        pass

    @property
    def bitmap(self):
        return snapshot().published


PUBLISHED = Published()


def parse_ids(text):
    """The ids of a `string_agg` / `group_concat` of integers, as a bitmap."""
    if not text:
        return BitMap()
    return BitMap(orjson.loads(f"[{text}]"))


def union(bitmaps):
    bitmaps = list(bitmaps)
    if not bitmaps:
        return BitMap()
    return BitMap.union(*bitmaps)


@dataclass
class Snapshot:
    """The bitmaps of the published registry at one registry version."""

    version: object = None
    built_at: float = 0.0
    published: BitMap = field(default_factory=BitMap)
    # {column: {value (None included): cases}}, for the columns of `COLUMNS`.
    columns: dict = field(default_factory=dict)
    pioneer: BitMap = field(default_factory=BitMap)
    ongoing: BitMap = field(default_factory=BitMap)
    all_three: BitMap = field(default_factory=BitMap)
    # {term id: cases carrying it}, and with its children (what the search finds).
    tagged: dict = field(default_factory=dict)
    terms: dict = field(default_factory=dict)
    # {territory id: cases located there or below}.
    places: dict = field(default_factory=dict)
    # {actor type id: cases with a partner of it}; its family; a partner's role.
    actor_types: dict = field(default_factory=dict)
    actor_families: dict = field(default_factory=dict)
    partner_roles: dict = field(default_factory=dict)
    # {criterion term id: cases meeting it} (pioneers or not: counts intersect).
    criteria: dict = field(default_factory=dict)
    # {territory id: cases placed in it}, the territories of `places` come from.
    placed: dict = field(default_factory=dict)
    # {kind: the ids of the territories of `places` of that kind}.
    by_kind: dict = field(default_factory=dict)
    # {vocabulary code: the ids of its terms}, of every term.
    by_vocabulary: dict = field(default_factory=dict)
    # {organisation id: the published cases it is a partner of}, and the
    # updates not applied to it yet: [(cases gone, {organisation: cases})],
    # applied when the organisations are counted (`organization_count`: the
    # home), not at every update, which it would cost a walk of every
    # organisation.
    partners: dict = field(default_factory=dict)
    pending: list = field(default_factory=list)

    @property
    def placed_territories(self):
        """How many territories hold a published case."""
        return len(self.placed)

    def is_young(self):
        """Younger than `MAX_AGE` seconds (`built_at` is the time of the
        build, in whichever process of the machines sharing the cache made it)."""
        return time.time() - self.built_at < MAX_AGE

    @classmethod
    def build(cls, version=None, *, only=None):
        """The snapshot of every published case, or of the published cases among
        the ids `only` (what `updated` merges)."""
        built = cls(version=version, built_at=time.time())
        reader = Reader(only)
        status = CaseStatus.PUBLISHED
        cases = f"FROM {table(Case)} c WHERE c.status = %s{reader.among('c.id')}"
        for column, bitmaps in reader.grouped_by_column(cases, status).items():
            built.columns[column] = bitmaps
        built.published = union(built.columns["phase_id"].values())
        built.pioneer = built.columns.pop("is_pioneer").get(1, BitMap())
        built.ongoing = built.columns.pop("ongoing").get(1, BitMap())
        built.all_three = union(
            cases
            for mask, cases in built.columns["family_mask"].items()
            if mask is not None and mask & ALL_THREE_FAMILIES == ALL_THREE_FAMILIES
        )
        # The link tables are read without the cases' table (at 1 000 000 cases
        # the tags took 5.2 s with the join, 2.1 without); what is not
        # published is then left out in memory.
        published = built.published
        built.tagged = reader.linked(Case.terms.through, "term_id", published)
        parents = {}
        for term, parent, vocabulary in Term.objects.values_list(
            "pk", "parent_id", "vocabulary__code"
        ):
            built.by_vocabulary.setdefault(vocabulary, []).append(term)
            if parent is not None:
                parents[term] = parent
        built.terms = dict(built.tagged)
        for child, parent in parents.items():
            if child in built.tagged:
                built.terms[parent] = built.terms.get(parent, BitMap()) | built.tagged[child]
        built.placed = reader.linked(CaseTerritory, "territory_id", published)
        built.places, built.by_kind = built.located(built.placed)
        built.read_partners(reader, parents)
        built.partners = reader.linked(CasePartner, "organization_id", published)
        built.criteria = reader.linked(Case.pioneer_criteria.through, "term_id", published)
        return built

    def located(self, by_place):
        """Each territory's cases as the union of the places below it (the
        closure, read for the territories that hold a case only), and those
        territories by kind."""
        below, by_kind = {}, {}
        links = TerritoryLink.objects.filter(descendant_id__in=list(by_place)).values_list(
            "ancestor_id", "descendant_id", "ancestor__kind"
        )
        for ancestor, descendant, kind in links.iterator(chunk_size=20000):
            cases = below.get(ancestor)
            if cases is None:
                below[ancestor] = cases = []
                by_kind.setdefault(kind, set()).add(ancestor)
            cases.append(by_place[descendant])
        return {territory: union(cases) for territory, cases in below.items()}, by_kind

    def organization_count(self):
        """How many organisations are partners of a published case, from
        `partners` with its pending updates applied (once; in SQL this took 0.2 s
        at 100 000 cases and 3 s at 1 000 000 after every update)."""
        if self.pending:
            partners = self.partners
            for gone, fresh in self.pending:
                partners = merge(partners, gone, fresh)
            self.partners, self.pending = partners, []  # the same for every thread
        return len(self.partners)

    def read_partners(self, reader, parents):
        rows = reader.rows(
            f"""SELECT o.actor_type_id, partner.role_id, {reader.agg("partner.case_id")}
                  FROM {table(CasePartner)} partner
                  JOIN {table(Organization)} o ON o.id = partner.organization_id
                  {reader.where("partner.case_id")}
                 GROUP BY o.actor_type_id, partner.role_id""",
            [],
        )
        types, roles = {}, {}
        for actor_type, role, ids in rows:
            cases = parse_ids(ids) & self.published
            if not cases:
                continue
            roles.setdefault(role, []).append(cases)
            if actor_type is not None:
                types.setdefault(actor_type, []).append(cases)
        self.actor_types = {key: union(cases) for key, cases in types.items()}
        self.partner_roles = {key: union(cases) for key, cases in roles.items()}
        families = {}
        for actor_type, cases in self.actor_types.items():
            families.setdefault(parents.get(actor_type, actor_type), []).append(cases)
        self.actor_families = {key: union(cases) for key, cases in families.items()}

    def updated(self, version, changed):
        """A new snapshot: this one with the cases of the ids `changed` read
        again (`build(only=…)`), every other bitmap shared with this one, which
        requests of other threads may be reading: none is modified."""
        if not changed:  # a label changed, no case
            return dataclasses.replace(self, version=version)
        fresh = Snapshot.build(version, only=changed)
        gone = BitMap(changed)
        merged = Snapshot(version=version, built_at=self.built_at)
        for name in ("published", "pioneer", "ongoing", "all_three"):
            setattr(merged, name, replaced(getattr(self, name), gone, getattr(fresh, name)))
        merged.columns = {
            column: merge(values, gone, fresh.columns[column])
            for column, values in self.columns.items()
        }
        for name in MERGED:
            setattr(merged, name, merge(getattr(self, name), gone, getattr(fresh, name)))
        # Territories left without a case stay listed: `keys_of` finds none there.
        merged.by_kind = {
            kind: self.by_kind.get(kind, set()) | fresh.by_kind.get(kind, set())
            for kind in self.by_kind.keys() | fresh.by_kind.keys()
        }
        merged.by_vocabulary = fresh.by_vocabulary  # every term, read again
        merged.partners = self.partners
        merged.pending = [*self.pending, (gone, fresh.partners)]
        return merged

    def keys_of(self, case_id, vocabularies, kinds):
        """What a published case is counted under: (its terms of `vocabularies`,
        [its territories of each of `kinds`]), read from the bitmaps (a few
        hundred lookups); None when the case is not published."""
        if case_id not in self.published:
            return None
        terms = [
            term
            for vocabulary in vocabularies
            for term in self.by_vocabulary.get(vocabulary, ())
            if case_id in self.tagged.get(term, EMPTY)
        ]
        areas = [
            sorted(
                territory
                for territory in self.by_kind.get(kind, ())
                if case_id in self.places.get(territory, EMPTY)
            )
            for kind in kinds
        ]
        return terms, areas


# The snapshot's {key: cases} that `Snapshot.updated` merges.
MERGED = (
    "tagged",
    "terms",
    "places",
    "placed",
    "actor_types",
    "actor_families",
    "partner_roles",
    "criteria",
)


def replaced(cases, gone, fresh):
    """`cases` without `gone`, with `fresh`: the same object when nothing changes."""
    if cases.intersect(gone):
        cases = cases - gone
    return cases | fresh if fresh else cases


def merge(old, gone, fresh):
    """{key: cases} of `old` without the cases `gone`, with those of `fresh`
    (keys left without a case dropped, as a build leaves none)."""
    merged = {}
    for key, cases in old.items():
        cases = replaced(cases, gone, fresh.get(key, EMPTY))
        if cases:
            merged[key] = cases
    for key, cases in fresh.items():
        if key not in old:
            merged[key] = cases
    return merged


# The columns of a case the snapshot keys ({value: cases}), with how each is read.
COLUMNS = {
    "phase_id": "c.phase_id",
    "scale_id": "c.scale_id",
    "start_year": "c.start_year",
    "end_year": "c.end_year",
    "family_mask": "c.family_mask",
    "is_pioneer": "CASE WHEN c.is_pioneer THEN 1 ELSE 0 END",
    "ongoing": "CASE WHEN c.end_year IS NULL THEN 1 ELSE 0 END",
}


def table(model):
    return connection.ops.quote_name(model._meta.db_table)


class Reader:
    """Aggregate queries whose every group carries its ids as one string, over
    every case or over the ids `only`."""

    def __init__(self, only=None):
        self.only = None if only is None else sorted(only)

    def condition(self, column):
        """`column` among the ids of `only` (integers), or None for every case."""
        if self.only is None:
            return None
        return f"{column} IN ({', '.join(str(int(pk)) for pk in self.only) or 'NULL'})"

    def among(self, column):
        """`condition` added to a query's others."""
        condition = self.condition(column)
        return "" if condition is None else f" AND {condition}"

    def where(self, column):
        """`condition` as a query's only one."""
        condition = self.condition(column)
        return "" if condition is None else f"WHERE {condition}"

    def linked(self, model, key, published):
        """{key: published cases}, from the link table of `model` (its `case_id`
        and `key` columns) grouped by `key`, keys left without a published case
        dropped."""
        grouped = self.grouped(
            f"""SELECT link.{key}, {self.agg("link.case_id")} FROM {table(model)} link
                 {self.where("link.case_id")} GROUP BY link.{key}""",
            [],
        )
        found = {}
        for value, cases in grouped.items():
            cases &= published
            if cases:
                found[value] = cases
        return found

    def agg(self, column):
        if connection.vendor == "postgresql":
            return f"string_agg(CAST({column} AS TEXT), ',')"
        return f"group_concat({column})"

    def rows(self, sql, params):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def grouped(self, sql, params):
        return {key: parse_ids(ids) for key, ids in self.rows(sql, params)}

    def grouped_by_column(self, published, status):
        """{column: {value: cases}} for every column of `COLUMNS`, in one query:
        on PostgreSQL one read of the cases grouped by each column in turn
        (`GROUPING SETS`: 1.1 s at 1 000 000 cases, where a union of one
        grouping per column read them seven times in 2.3 s)."""
        names = list(COLUMNS)
        found = {column: {} for column in COLUMNS}
        if connection.vendor == "postgresql":
            keys = [f"k{n}" for n in range(len(names))]
            columns = ", ".join(
                f"CAST({expression} AS INTEGER) AS {key}"
                for key, expression in zip(keys, COLUMNS.values(), strict=True)
            )
            sql = f"""SELECT GROUPING({", ".join(keys)}), {", ".join(keys)}, {self.agg("c.id")}
                        FROM (SELECT c.id, {columns} {published}) c
                       GROUP BY GROUPING SETS ({", ".join(f"({key})" for key in keys)})"""
            last = len(names) - 1
            for mask, *values in self.rows(sql, [status]):
                # The set's column is the one bit of GROUPING() left at 0 (the
                # first column is its highest bit).
                n = next(n for n in range(len(names)) if not mask >> (last - n) & 1)
                found[names[n]][values[n]] = parse_ids(values[-1])
            return found
        branches = [
            f"""SELECT {n}, CAST({expression} AS INTEGER), {self.agg("c.id")}
                  {published} GROUP BY {expression}"""
            for n, expression in enumerate(COLUMNS.values())
        ]
        for n, value, ids in self.rows(" UNION ALL ".join(branches), [status] * len(branches)):
            found[names[n]][value] = parse_ids(ids)
        return found


# ---- The snapshot of this process ----------------------------------------------------

_held = None
_lock = threading.Lock()
_rebuilding = None  # the thread building a snapshot past its age, while it runs


def snapshot():
    """The snapshot of the current registry version: the one this process holds,
    updated for the cases changed since, or read from the shared cache, or built.
    One held past its age is returned, and built again in the background."""
    global _held
    version = registry_version()
    held = _held
    if held is not None and held.version == version:
        if not held.is_young():
            rebuild_in_background(held)
        return held
    with _lock:
        held = _held
        if held is None or held.version != version:
            held = next_snapshot(held, version)
            _held = held
    return held


def next_snapshot(held, version):
    """The snapshot of `version`, from `held` (of an older version, or None).
    Updated, it keeps its age: past `MAX_AGE`, the next count builds it again
    in the background."""
    if held is not None:
        changed = registry_changes(held.version, version, counted=True)
        if changed is not None:
            return held.updated(version, changed)
    shared = read_shared(version)
    if shared is not None:
        return shared
    built = Snapshot.build(version)
    share(built)
    return built


def shared_key(version):
    return f"counting-bitmaps:{FORMAT}:{version}"


def read_shared(version):
    """The snapshot of `version` another process built, when the cache is shared
    and holds one still young."""
    if not cache_is_shared():
        return None
    try:
        shared = cache.get(shared_key(version))
    except Exception:  # unreadable (a release ago, cut short): build instead
        logger.warning("The shared counting bitmaps could not be read.", exc_info=True)
        return None
    return shared if isinstance(shared, Snapshot) and shared.is_young() else None


def share(built):
    """Store `built` for the other processes (shared cache only), for the rest
    of its `MAX_AGE`."""
    if cache_is_shared():
        remaining = max(1, int(MAX_AGE - (time.time() - built.built_at)))
        try:
            cache.set(shared_key(built.version), built, remaining)
        except Exception:  # a full or unreachable cache: each process builds its own
            logger.warning("The counting bitmaps could not be shared.", exc_info=True)


def rebuild_in_background(held):
    """Build the snapshot of `held`'s version again in a thread of its own, one at
    a time; it replaces `held` unless the version moved meanwhile."""
    global _rebuilding
    with _lock:
        if _rebuilding is not None and _rebuilding.is_alive():
            return
        _rebuilding = threading.Thread(
            target=rebuild, args=(held,), name="counting-bitmaps", daemon=True
        )
        _rebuilding.start()


def rebuild(held):
    global _held
    try:
        built = Snapshot.build(held.version)
        with _lock:
            if _held is held:
                _held = built
        share(built)
    except Exception:  # the next request past the age tries again
        logger.exception("The counting bitmaps could not be built again.")
    finally:
        connection.close()  # the thread's own


def wait_for_rebuild():
    """Until the background build, if any, is done (tests, benchmarks)."""
    thread = _rebuilding
    if thread is not None:
        thread.join()


def forget():
    """Drop this process's snapshot, and the one it shared (tests that write
    behind the version's back)."""
    global _held
    wait_for_rebuild()
    if _held is not None and cache_is_shared():
        cache.delete(shared_key(_held.version))
    _held = None


# ---- Counting ------------------------------------------------------------------------


class NotHeld(Exception):
    """The snapshot cannot count this selection or tally: count in SQL."""


def selection_bitmap(cases, held):
    """The bitmap of `cases` (a `Selection`, or a list of ids), or None when the
    cases are a queryset (counted in SQL) or include a case that is not published."""
    if isinstance(cases, Published):
        return held.published
    if isinstance(cases, Selection):
        return cases.bitmap
    if isinstance(cases, list | tuple | set | frozenset):
        bitmap = BitMap(cases)
        return bitmap if bitmap.issubset(held.published) else None
    return None


def enabled():
    """False when the settings count in SQL (`COUNT_WITH_BITMAPS`)."""
    return settings.COUNT_WITH_BITMAPS


def count(cases, tallies):
    """{name: result} of each tally over `cases`, from the snapshot; None when it
    cannot answer (see `selection_bitmap` and the tallies' `from_bitmaps`)."""
    if not enabled() or not isinstance(cases, Selection | list | tuple | set | frozenset):
        return None
    held = snapshot()
    bitmap = selection_bitmap(cases, held)
    if bitmap is None:
        return None
    try:
        return {name: tally.from_bitmaps(held, bitmap) for name, tally in tallies.items()}
    except NotHeld:
        return None


def cardinalities(selection, bitmaps, keys=None):
    """{key: cases of `selection` under it}, for the keys with at least one (all
    of `bitmaps`, or those of `keys`)."""
    pairs = bitmaps.items() if keys is None else ((key, bitmaps.get(key, EMPTY)) for key in keys)
    found = {}
    for key, cases in pairs:
        n = selection.intersection_cardinality(cases)
        if n:
            found[key] = n
    return found


# ---- Ranking -------------------------------------------------------------------------


def most_sharing(terms, territories, *, exclude=(), limit):
    """The ids of the `limit` published cases located in any of `territories`
    (ids, places below them included) tagged with the most of `terms` (ids), ties
    to the most recent (the highest id), `exclude` left out: the case page's
    similar cases, from the snapshot, without reading the area's cases. None
    when the settings count in SQL."""
    if not enabled():
        return None
    held = snapshot()
    area = union(held.places.get(territory, EMPTY) for territory in territories) - BitMap(exclude)
    shared = Counter()
    for term in terms:
        shared.update(held.tagged.get(term, EMPTY) & area)
    return heapq.nsmallest(limit, shared, key=lambda case: (-shared[case], -case))


def most_sharing_around(case_id, terms, areas, *, limit, rank=None):
    """`rank(terms, area, exclude=…, limit=…)` (`most_sharing`, by default) over
    each list of territories of `areas` in turn (a case's départements, then its
    régions) until `limit` cases are found, `case_id` left out; None when the
    settings count in SQL and no `rank` is given."""
    if rank is None:
        if not enabled():
            return None
        rank = most_sharing
    found = []
    for area in areas:
        if area:
            found += rank(terms, area, exclude=[case_id, *found], limit=limit - len(found))
            if len(found) >= limit:
                break
    return found
