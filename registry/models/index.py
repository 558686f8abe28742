"""Search documents of cases, and the lexicon of their words.

A case is found by its own texts and by the names around it: its partners, its
places and every territory they lie in (EPCI, département, région: the
territory closure), and the labels, French and English, of its tags (themes,
practices with their métier, types of partnership, forms, objectives, impact
axes, prisms, phase and scale). `refresh_search_documents` writes them into:

- `search_names`: those names, each once;
- `search_text`: every word folded (lower case, no accents), with a space
  before and after; the lexicon counts its words;
- on PostgreSQL, `search_vector`, the weighted French tsvector (title A,
  summary and names B, the long texts C);
- on SQLite, a row of the word index `registry_case_words` (an FTS5 table whose
  row id is the case's): the title's stems, every word's stem (French Snowball,
  as PostgreSQL's `registry_fr` stems, so that « garages » meets « garage »)
  and the distinct folded words (for word prefixes). A LIKE over the wide case
  rows took 0.3 s for 10 000 cases; the index answers in a millisecond.

It also keeps `SearchWord`, the lexicon behind « Vouliez-vous dire … ? »: how
many cases hold each folded word, updated by difference at every refresh.

It is called explicitly wherever a case's text, roster, tags or territories
change, when the geography changes (`load_territories`) and when staff relabel
a term; `manage.py rebuild_search_index` rebuilds everything.
"""

import threading
import time
from collections import Counter
from functools import lru_cache

import snowballstemmer
from django.apps import apps
from django.contrib.postgres.search import TrigramSimilarity
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Length

from registry.models.choices import PAIR_BASE
from registry.models.export import forget_exported_cases
from registry.models.search import SearchWord
from registry.models.vocabulary import Term
from territories.models import KIND_DEPTH, TerritoryLink, normalize


def case_models():
    """Case, CasePartner and CaseTerritory. The index sits below them (their
    workflow writes through it), so it names them through the app registry
    instead of importing the module that imports it."""
    return (
        apps.get_model("registry", "Case"),
        apps.get_model("registry", "CasePartner"),
        apps.get_model("registry", "CaseTerritory"),
    )


TEXT_FIELDS = ("title", "summary", "description", "context", "actions", "results", "lessons")
DOCUMENT_COLUMNS = ("search_names", "search_text")
# SQLite's word index (created by migration 0015): title, stems, words.
WORD_INDEX = "registry_case_words"

# The weighted French document of a case row, as an SQL expression over its
# columns and `names` (the names about to be written to `search_names`).
PG_VECTOR_TEMPLATE = """
    setweight(to_tsvector('registry_fr', coalesce(title, '')), 'A')
 || setweight(to_tsvector('registry_fr', coalesce(summary, '')), 'B')
 || setweight(to_tsvector('registry_fr', coalesce({names}, '')), 'B')
 || setweight(to_tsvector('registry_fr', concat_ws(' ', description, context, actions,
                                                   results, lessons)), 'C')
"""

BATCH = 2000

# Words too common to search for, folded; PostgreSQL's French configuration
# drops most of them too. A query made of them alone finds nothing.
COMMON_WORDS = (
    "a au aux avec ce ces cet cette d dans de des du elle en et est il ils j l la le les "
    "leur leurs lui m ma mais me mes n ne ni nos notre nous on ou par pas pour qu que qui "
    "s sa se ses son sont sur t ta te tes un une vos votre vous y and for in of on the to"
)
STOP_WORDS = frozenset(COMMON_WORDS.split())
# The lexicon keeps words a visitor could mistype: no numbers, nothing shorter.
LEXICON_MIN_LENGTH = 3
LEXICON_MAX_LENGTH = SearchWord._meta.get_field("word").max_length
# Words of the lexicon PostgreSQL's trigram index proposes for a correction.
CANDIDATES = 30


# Stemming -----------------------------------------------------------------------------

_stemmers = threading.local()


@lru_cache(maxsize=200_000)
def stem(word):
    """The French Snowball stem of a folded word (« garages » → « garag »), as
    PostgreSQL's `registry_fr` stems it after removing accents."""
    # A Snowball stemmer keeps state while it works: one per thread.
    stemmer = getattr(_stemmers, "french", None)
    if stemmer is None:
        stemmer = _stemmers.french = snowballstemmer.stemmer("french")
    return stemmer.stemWord(word)


def spaced(words):
    """Words with a space before and after each: `contains(" word ")` finds one whole."""
    return f" {' '.join(words)} " if words else ""


# Documents ----------------------------------------------------------------------------


def unique_names(names):
    """`names` without repeats (nor blanks), in order of first appearance."""
    return list(dict.fromkeys(name for name in names if name))


def tag_labels(terms):
    """The French and English labels of `terms`, with those of their parents (a
    mission's métier); `terms` have their `parent` loaded."""
    labels = []
    for term in terms:
        for labelled in (term, term.parent) if term.parent_id else (term,):
            labels += [labelled.label_fr, labelled.label_en]
    return labels


def document_names(*, partners, places, areas, terms):
    """Every name a case is found by, each once: its partners' names, its places'
    names, the territories they lie in (nearest first), its tags' labels."""
    terms = sorted(terms, key=lambda term: term.pk)
    return unique_names([*partners, *places, *areas, *tag_labels(terms)])


def document_columns(texts, names):
    """The search columns of a case from its `texts` (a mapping with every
    `TEXT_FIELDS`) and its `document_names`."""
    folded = normalize(" ".join([*(texts[f] or "" for f in TEXT_FIELDS), *names]))
    return {"search_names": " ".join(names), "search_text": spaced(folded.split())}


def uses_word_index():
    """PostgreSQL searches its tsvector; every other database the word index."""
    return connection.vendor != "postgresql"


def word_index_row(case_id, title, search_text):
    """A case's row of the word index: (id, title stems, stems, distinct words)."""
    words = search_text.split()
    distinct = set(words)
    stems = {word: stem(word) for word in distinct}
    return (
        case_id,
        " ".join(stem(word) for word in normalize(title).split()),
        " ".join([stems[word] for word in words]),
        " ".join(sorted(distinct)),
    )


def write_word_index(rows):
    """Replace the word index rows of the cases of `rows` (`word_index_row`s)."""
    if not uses_word_index() or not rows:
        return
    with connection.cursor() as cursor:
        cursor.executemany(f"DELETE FROM {WORD_INDEX} WHERE rowid = %s", [r[:1] for r in rows])
        cursor.executemany(
            f"INSERT INTO {WORD_INDEX} (rowid, title, stems, words) VALUES (%s, %s, %s, %s)",
            rows,
        )


def forget_word_index(case_ids):
    """Drop the word index rows of deleted cases (nothing else points to them)."""
    if not uses_word_index():
        return
    with connection.cursor() as cursor:
        cursor.executemany(f"DELETE FROM {WORD_INDEX} WHERE rowid = %s", [[pk] for pk in case_ids])


def enclosing_names(territory_ids):
    """{territory id: names of the territories it lies in, nearest first}, in one
    query on the closure table."""
    rows = (
        TerritoryLink.objects.filter(descendant_id__in=set(territory_ids))
        .exclude(ancestor_id=F("descendant_id"))
        .values_list("descendant_id", "ancestor__kind", "ancestor__name")
    )
    found = {pk: [] for pk in territory_ids}
    for descendant, _kind, name in sorted(rows, key=lambda row: (-KIND_DEPTH[row[1]], row[2])):
        found[descendant].append(name)
    return found


def terms_by_id():
    return {term.pk: term for term in Term.objects.select_related("parent")}


def names_by_case(cases, terms):
    """{case id: `document_names`} of loaded `cases` (with `phase_id`, `scale_id`),
    `terms` being `terms_by_id()`: three queries whatever the number of cases."""
    Case, CasePartner, CaseTerritory = case_models()
    case_ids = [case.pk for case in cases]
    partners = {pk: [] for pk in case_ids}
    for case_id, name in CasePartner.objects.filter(case_id__in=case_ids).values_list(
        "case_id", "organization__name"
    ):
        partners[case_id].append(name)
    places = {pk: [] for pk in case_ids}
    for case_id, territory_id, name in (
        CaseTerritory.objects.filter(case_id__in=case_ids)
        .order_by("id")
        .values_list("case_id", "territory_id", "territory__name")
    ):
        places[case_id].append((territory_id, name))
    areas = enclosing_names({pk for found in places.values() for pk, _name in found})
    tags = {pk: [] for pk in case_ids}
    for case_id, term_id in (
        Case.terms.through.objects.filter(case_id__in=case_ids)
        .order_by("term_id")
        .values_list("case_id", "term_id")
    ):
        tags[case_id].append(terms[term_id])
    return {
        case.pk: document_names(
            partners=partners[case.pk],
            places=[name for _pk, name in places[case.pk]],
            areas=[area for pk, _name in places[case.pk] for area in areas[pk]],
            terms=[
                *tags[case.pk],
                *(terms[pk] for pk in (case.phase_id, case.scale_id) if pk is not None),
            ],
        )
        for case in cases
    }


def refresh_search_documents(case_ids):
    """Rebuild the search columns of the given cases, by batches, and move the
    lexicon's counts by the difference between their old and new words."""
    write_documents(case_ids, derived=())


def write_documents(case_ids, *, derived):
    """The search documents of the given cases, with the `derived` columns'
    assignments (SQL over the case row) in the same UPDATE: each row is written
    once per batch, whatever it gains. On PostgreSQL an UPDATE that is not HOT
    writes an entry in every index of the table (a dozen for cases), so a bulk
    load (the demo's 100 000 cases) pays for each extra pass over its rows."""
    Case = case_models()[0]
    case_ids = list(case_ids)
    if not case_ids:
        return
    terms = terms_by_id()
    for start in range(0, len(case_ids), BATCH):
        batch = case_ids[start : start + BATCH]
        with transaction.atomic():
            cases = list(
                Case.objects.filter(pk__in=batch).only(
                    "id", "phase", "scale", "search_text", *TEXT_FIELDS
                )
            )
            names = names_by_case(cases, terms)
            change = Counter()
            for case in cases:
                change.subtract(lexicon_words(case.search_text))
                columns = document_columns(
                    {f: getattr(case, f) for f in TEXT_FIELDS}, names[case.pk]
                )
                for column, value in columns.items():
                    setattr(case, column, value)
                change.update(lexicon_words(case.search_text))
            update_documents(cases, derived)
            if uses_word_index():
                write_word_index(
                    [word_index_row(case.pk, case.title, case.search_text) for case in cases]
                )
            update_lexicon(change)


# PostgreSQL: one statement for a whole batch, the tsvector computed from the new names.
PG_DOCUMENTS_SQL = f"""
UPDATE registry_case SET
    search_names = document.names,
    search_text = document.words,
    search_vector = {PG_VECTOR_TEMPLATE.format(names="document.names")}
    {{derived}}
FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS document(id, names, words)
WHERE registry_case.id = document.id
"""
DOCUMENTS_SQL = (
    "UPDATE registry_case SET search_names = %s, search_text = %s {derived} WHERE id = %s"
)


def update_documents(cases, derived):
    """Write the `DOCUMENT_COLUMNS` set on `cases`, and the `derived` assignments."""
    extra = "".join(f", {assignment}" for assignment in derived)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Without statistics on fresh link tables (a bulk load) the planner
            # costs the subqueries high enough to compile them: JIT then took
            # 1 to 2 s per batch, more than the UPDATE itself. Off for this
            # transaction only.
            cursor.execute("SELECT set_config('jit', 'off', true)")
            cursor.execute(
                PG_DOCUMENTS_SQL.format(derived=extra),
                [
                    [case.pk for case in cases],
                    [case.search_names for case in cases],
                    [case.search_text for case in cases],
                ],
            )
        else:
            cursor.executemany(
                DOCUMENTS_SQL.format(derived=extra),
                [(case.search_names, case.search_text, case.pk) for case in cases],
            )


def refresh_cases_tagged(terms):
    """After staff relabelled `terms`: the documents of the cases carrying them (or
    one of their children, whose documents name their parent), as phase or scale
    too. Returns how many cases were refreshed."""
    Case = case_models()[0]
    term_ids = {term.pk for term in terms}
    term_ids |= set(Term.objects.filter(parent_id__in=term_ids).values_list("pk", flat=True))
    tagged = set(
        Case.terms.through.objects.filter(term_id__in=term_ids).values_list("case_id", flat=True)
    )
    tagged |= set(
        Case.objects.filter(phase_id__in=term_ids).values_list("pk", flat=True)
    ) | set(Case.objects.filter(scale_id__in=term_ids).values_list("pk", flat=True))
    refresh_search_documents(sorted(tagged))
    # Every case page shows its tags' labels, its partners' roles and actor types.
    bump_registry_version(relabelled=True)
    return len(tagged)


# Lexicon ------------------------------------------------------------------------------


def lexicon_words(search_text):
    """The distinct words of a `search_text` that the lexicon counts."""
    return {
        word
        for word in set((search_text or "").split()) - STOP_WORDS
        if LEXICON_MIN_LENGTH <= len(word) <= LEXICON_MAX_LENGTH and not word.isdigit()
    }


LEXICON_UPSERT = """
INSERT INTO registry_searchword (word, cases) VALUES (%s, %s)
ON CONFLICT (word) DO UPDATE SET cases = registry_searchword.cases + excluded.cases
"""
# PostgreSQL: the whole change in one statement (a batch of cases moves thousands of words).
PG_LEXICON_UPSERT = """
INSERT INTO registry_searchword (word, cases)
SELECT * FROM unnest(%s::varchar[], %s::integer[])
ON CONFLICT (word) DO UPDATE SET cases = registry_searchword.cases + excluded.cases
"""


def update_lexicon(change):
    """Add `change` ({word: cases gained, or lost when negative}) to the lexicon;
    words no case holds any more leave it."""
    rows = sorted((word, n) for word, n in change.items() if n)
    if not rows:
        return
    with connection.cursor() as cursor:
        # Sorted: two writers lock the words they share in the same order.
        if connection.vendor == "postgresql":
            words, counts = zip(*rows, strict=True)
            cursor.execute(PG_LEXICON_UPSERT, [list(words), list(counts)])
        else:
            cursor.executemany(LEXICON_UPSERT, rows)
        if any(n < 0 for _word, n in rows):
            cursor.execute("DELETE FROM registry_searchword WHERE cases <= 0")


def edit_distance(word, other, limit):
    """Optimal string alignment distance (insertions, deletions, substitutions
    and swaps of two neighbours count one each), or `limit + 1` past `limit`."""
    if abs(len(word) - len(other)) > limit:
        return limit + 1
    before, row = None, list(range(len(other) + 1))
    for i, letter in enumerate(word, 1):
        current = [i]
        for j, other_letter in enumerate(other, 1):
            cost = letter != other_letter
            value = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost)
            swapped = i > 1 and j > 1 and letter == other[j - 2] and word[i - 2] == other_letter
            if swapped:
                value = min(value, before[j - 2] + 1)
            current.append(value)
        if min(current) > limit:
            return limit + 1
        before, row = row, current
    return row[-1]


def correction_of(word):
    """The lexicon's word nearest to a folded `word` it does not hold (one typo
    for a short word, two for a long one), the most frequent among equals; or
    None. Candidates come from the trigram index on PostgreSQL, from the words of
    the same initial and a close length elsewhere: the choice is the same."""
    limit = 1 if len(word) <= 5 else 2
    words = SearchWord.objects.filter(cases__gt=0)
    if connection.vendor == "postgresql":
        candidates = (
            words.filter(word__trigram_similar=word)
            .annotate(similarity=TrigramSimilarity("word", word))
            .order_by("-similarity", "-cases")[:CANDIDATES]
        )
    else:
        candidates = words.annotate(length=Length("word")).filter(
            word__gte=word[0],
            word__lt=chr(ord(word[0]) + 1),
            length__gte=len(word) - limit,
            length__lte=len(word) + limit,
        )
    scored = [
        (edit_distance(word, candidate, limit), -cases, candidate)
        for candidate, cases in candidates.values_list("word", "cases")
        if candidate != word
    ]
    best = min((score for score in scored if score[0] <= limit), default=None)
    return best[2] if best else None


def count_words(search_texts):
    """{word: cases} over an iterable of `search_text` values."""
    counts = Counter()
    for text in search_texts:
        counts.update(lexicon_words(text))
    return counts


@transaction.atomic
def rebuild_lexicon():
    """Count every word of every case again (after a bulk change)."""
    Case = case_models()[0]
    texts = Case.objects.values_list("search_text", flat=True).iterator(chunk_size=BATCH)
    counts = count_words(texts)
    SearchWord.objects.all().delete()
    SearchWord.objects.bulk_create(
        [SearchWord(word=word, cases=n) for word, n in sorted(counts.items())], batch_size=BATCH
    )
    return len(counts)


def rebuild_search_index(*, progress=None):
    """Every case's search documents, then the lexicon counted afresh: what the
    index would hold had every case been written with today's code."""
    Case = case_models()[0]
    case_ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    if uses_word_index():
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {WORD_INDEX} WHERE rowid NOT IN (SELECT id FROM registry_case)"
            )
    for start in range(0, len(case_ids), BATCH):
        refresh_search_documents(case_ids[start : start + BATCH])
        if progress:
            progress(min(start + BATCH, len(case_ids)), len(case_ids))
    return len(case_ids), rebuild_lexicon()


# Other derived columns ----------------------------------------------------------------

# Which families of actors sit at the case's table, over the case row.
FAMILY_MASK_EXPRESSION = """COALESCE((
    SELECT SUM(DISTINCT CASE COALESCE(parent.code, actor.code)
        WHEN 'collectivite' THEN 1
        WHEN 'entreprise' THEN 2
        WHEN 'association' THEN 4
        ELSE 8 END)
    FROM registry_casepartner roster
    JOIN registry_organization org ON org.id = roster.organization_id
    JOIN registry_term actor ON actor.id = org.actor_type_id
    LEFT JOIN registry_term parent ON parent.id = actor.parent_id
    WHERE roster.case_id = registry_case.id
), 0)"""
FAMILY_MASK = f"family_mask = {FAMILY_MASK_EXPRESSION}"
FAMILY_MASK_SQL = f"UPDATE registry_case SET {FAMILY_MASK} WHERE id IN ({{placeholders}})"


def refresh_family_masks(case_ids):
    """Recompute which families of actors sit at each case's table (one UPDATE per batch).

    A commune or an EPCI counts as a collectivité through its parent actor type."""
    case_ids = list(case_ids)
    for start in range(0, len(case_ids), BATCH):
        batch = case_ids[start : start + BATCH]
        sql = FAMILY_MASK_SQL.format(placeholders=", ".join(["%s"] * len(batch)))
        with connection.cursor() as cursor:
            cursor.execute(sql, batch)


# The facet keys, over the case row (PostgreSQL's arrays).
FACET_KEYS = f"""
    facet_terms = ARRAY(
        SELECT tag.term_id FROM registry_case_terms tag WHERE tag.case_id = registry_case.id
        UNION
        SELECT term.parent_id FROM registry_case_terms tag
          JOIN registry_term term ON term.id = tag.term_id
         WHERE tag.case_id = registry_case.id AND term.parent_id IS NOT NULL
        ORDER BY 1
    ),
    facet_places = ARRAY(
        SELECT DISTINCT link.ancestor_id FROM registry_caseterritory place
          JOIN territories_territorylink link ON link.descendant_id = place.territory_id
         WHERE place.case_id = registry_case.id
        ORDER BY 1
    ),
    facet_pairs = ARRAY(
        SELECT mission.term_id * {PAIR_BASE} + theme.term_id
          FROM registry_case_terms mission
          JOIN registry_term mission_term ON mission_term.id = mission.term_id
          JOIN registry_vocabulary practices ON practices.id = mission_term.vocabulary_id
          JOIN registry_case_terms theme ON theme.case_id = mission.case_id
          JOIN registry_term theme_term ON theme_term.id = theme.term_id
          JOIN registry_vocabulary themes ON themes.id = theme_term.vocabulary_id
         WHERE mission.case_id = registry_case.id
           AND practices.code = 'practice' AND mission_term.parent_id IS NOT NULL
           AND themes.code = 'theme'
        ORDER BY 1
    )
"""
FACET_KEYS_SQL = f"UPDATE registry_case SET {FACET_KEYS}"


def refresh_facet_keys(case_ids=None):
    """On PostgreSQL, rebuild the facet keys (`Case.facet_terms`, `facet_places`,
    `facet_pairs`) of the given cases (of every case with None: after the
    geography changed)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if case_ids is None:
            cursor.execute(FACET_KEYS_SQL)
            return
        case_ids = list(case_ids)
        for start in range(0, len(case_ids), BATCH):
            batch = case_ids[start : start + BATCH]
            cursor.execute(FACET_KEYS_SQL + " WHERE id = ANY(%s)", [batch])


def refresh_case_index(case_ids):
    """Everything derived from a case's related rows: family mix, facet keys and
    search documents, written together (one UPDATE per batch of cases)."""
    case_ids = list(case_ids)  # read twice: written, then named to the bitmaps
    derived = [FAMILY_MASK]
    if connection.vendor == "postgresql":
        derived.append(FACET_KEYS)
    write_documents(case_ids, derived=derived)
    bump_registry_version(case_ids)


REGISTRY_VERSION_KEY = "registry-version"
WHOLE_REGISTRY_TTL = 60


def new_registry_version():
    # The time in milliseconds, not 1: a version made again after the key was
    # lost (evicted, Redis restarted) does not meet counts cached under an older one.
    return time.time_ns() // 1_000_000


# A version moved for a few cases says which (`registry_changes`), for
# `REGISTRY_CHANGES_TTL` seconds: the counting bitmaps of a process that held
# the previous versions are then updated for those cases instead of rebuilt.
REGISTRY_CHANGES_MOST = 500
REGISTRY_CHANGES_TTL = 15 * 60


def bump_registry_version(case_ids=None, *, relabelled=False):
    """Call after any write that changes what is published: cached whole-registry
    counts are then recomputed on the next request, in every process that shares
    the cache (all of them with CACHE_URL). Called inside a transaction, the
    version moves again when it commits: a request that counted the registry
    before the commit cannot keep its figures under the new version.

    `case_ids`: the cases the write changed, when it changed nothing else (no
    label, no territory, no vocabulary). `relabelled`: the write changed only
    what things are called (a list's or a term's label): every kept page and
    export row is made again, but no case moved under another key, and the
    counting bitmaps are kept as they are."""
    case_ids = None if case_ids is None else sorted(set(case_ids))
    forget_exported_cases(None if relabelled else case_ids)
    changes = RELABELLED if relabelled else case_ids
    move_registry_version(changes)
    transaction.on_commit(lambda: move_registry_version(changes))


# What a version moved by a label changed records instead of case ids.
RELABELLED = "relabelled"


def move_registry_version(changes=None):
    try:
        version = cache.incr(REGISTRY_VERSION_KEY)
    except ValueError:  # no version yet (Redis and local memory alike)
        cache.set(REGISTRY_VERSION_KEY, new_registry_version(), timeout=None)
        return
    if changes == RELABELLED or (changes is not None and len(changes) <= REGISTRY_CHANGES_MOST):
        cache.set(f"registry-changes:{version}", changes, REGISTRY_CHANGES_TTL)


def registry_changes(since, until, *, counted=False):
    """The ids of the cases changed from version `since` (excluded) to `until`
    (included), or None when a version between them changed more than cases,
    or too many of them, or is forgotten: everything may have changed.
    `counted`: what counts (a label changed is then no change), not what shows."""
    if not (isinstance(since, int) and isinstance(until, int)) or not 0 < until - since <= 50:
        return None
    keys = [f"registry-changes:{version}" for version in range(since + 1, until + 1)]
    found = list(cache.get_many(keys).values())
    if len(found) != len(keys) or (RELABELLED in found and not counted):
        return None
    changed = set().union(*(ids for ids in found if ids != RELABELLED))
    return changed if len(changed) <= REGISTRY_CHANGES_MOST else None


def cache_is_shared():
    """Whether every worker reads the same cache (the Redis of CACHE_URL), not
    each process its own memory."""
    return isinstance(caches["default"], RedisCache)


def registry_version():
    """The current registry version (started when the cache has none): what is
    kept under it is dropped by the next `bump_registry_version`."""
    return cache.get_or_set(REGISTRY_VERSION_KEY, new_registry_version, timeout=None)


def whole_registry(name, compute):
    """Counts over every published case are the same for every visitor: keep them
    a minute at most, and drop them as soon as a case is written.
    Selections with any filter are always computed afresh."""
    version = registry_version()
    return cache.get_or_set(f"whole-registry:{version}:{name}", compute, WHOLE_REGISTRY_TTL)


def refresh_after_territories(sender, report, **kwargs):
    """Receiver of `territories.signals.territories_loaded`: the cases keep every
    territory their places lie in, and their search documents name them."""
    if report.links_added or report.links_removed:
        if connection.vendor == "postgresql":
            # The facet keys read the closure territory by territory. Until
            # autovacuum analyses a freshly loaded closure, the planner expects
            # thousands of links per territory and reads all 140 000 for each
            # case: 30 s for 2 000 cases instead of 0.1 s.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {TerritoryLink._meta.db_table}")
        refresh_facet_keys()
    if report.changed:
        _, _, CaseTerritory = case_models()
        placed = CaseTerritory.objects.values_list("case_id", flat=True).distinct()
        refresh_search_documents(sorted(placed))
        # Case pages name their territories (a renamed commune, a new EPCI).
        bump_registry_version()
