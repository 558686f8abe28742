"""What a visitor types in the search box, as a query on the cases' search documents.

The text is read the way web search engines read it: words must all be found,
« "a phrase" » keeps its words together, a minus sign excludes, `or` offers a
choice. Every word is folded (no case, no accents) and found under any form of
its stem (French Snowball), French stop words are dropped, and the synonyms of
`registry/data/synonyms.json` (« EPCI » and « intercommunalité », « TZCLD » and
« Territoires zéro chômeur de longue durée »…) are looked for as well.
`full_text` turns it into a filter and a `rank`, on PostgreSQL (the French
tsvector) and on SQLite (the FTS5 word index of `registry.models.index`, where a word
also finds the words it starts).

Ranking puts first the cases whose title holds the query, more so when its words
come together, in the title above all: a title that starts with the query
outranks words scattered over a summary and a partner's name.
"""

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache, reduce
from operator import and_, or_
from pathlib import Path

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVectorExact,
    SearchVectorField,
)
from django.db import connection
from django.db.models import Case as Choose
from django.db.models import F, FloatField, Func, Q, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from registry.models.index import STOP_WORDS, WORD_INDEX, stem
from territories.models import normalize

CONFIG = "registry_fr"
SYNONYMS_PATH = Path(__file__).resolve().parents[1] / "data" / "synonyms.json"
# From this length a word also finds the words it starts (« parten » finds
# « partenariat »); shorter ones would find far too many (« ess », « essai »).
PREFIX_LENGTH = 4

# A token: an optional minus, then a quoted phrase (closed or not) or a bare word.
TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')

TITLE_HIT = 1.0  # the title holds every word of the query
TITLE_PHRASE = 1.0  # … and holds them together, in order
TITLE_START = 0.5  # … and starts with them
TEXT_PHRASE = 0.5  # the words come together somewhere in the document


@dataclass(frozen=True)
class Token:
    """One piece of the query as typed, and its folded words."""

    raw: str
    words: tuple
    quoted: bool = False
    negated: bool = False

    @property
    def is_or(self):
        return not self.quoted and self.raw.lower() == "or"


@dataclass(frozen=True)
class Words:
    """Words that must all be in a document; together and in order for a phrase."""

    words: tuple
    phrase: bool = False


@dataclass
class ParsedQuery:
    # Every group must be found: one of its alternatives (a typed word, its other
    # forms and synonyms).
    groups: list = field(default_factory=list)
    excluded: list = field(default_factory=list)
    # The folded words typed, in order, stop words kept, excluded ones not: the
    # phrase whose proximity the ranking rewards.
    typed: tuple = ()

    @property
    def is_empty(self):
        return not (self.groups or self.excluded)

    @property
    def phrase(self):
        """The typed words as one phrase, when at least two of them count."""
        significant = [word for word in self.typed if word not in STOP_WORDS]
        return " ".join(self.typed) if len(significant) >= 2 else ""


def tokenize(text):
    """The tokens of a query, in order."""
    tokens = []
    for match in TOKEN.finditer(text or ""):
        minus, quoted, bare = match.groups()
        if bare is None:
            words = tuple(normalize(quoted).split())
            tokens.append(Token(match.group(0), words, quoted=True, negated=bool(minus)))
            continue
        negated = bare.startswith("-") and len(bare) > 1
        words = tuple(normalize(bare[1:] if negated else bare).split())
        tokens.append(Token(bare, words, False, negated))
    return [token for token in tokens if token.words or token.is_or]


@lru_cache(maxsize=1)
def synonyms():
    """{folded form: the folded forms of its synonyms}, from `registry/data/synonyms.json`."""
    data = json.loads(SYNONYMS_PATH.read_text(encoding="utf-8"))
    found = {}
    for group in data["synonyms"]:
        forms = list(dict.fromkeys(normalize(term) for term in group["terms"]))
        for form in forms:
            others = found.setdefault(form, [])
            others += [other for other in forms if other != form and other not in others]
    return found


def longest_synonym():
    return max((len(form.split()) for form in synonyms()), default=1)


def as_words(form):
    words = tuple(form.split())
    return Words(words, phrase=len(words) > 1)


def word_forms(word):
    """A word and the plural or singular the French stemmer does not join
    (« lieux » and « lieu », « jeux » and « jeu »)."""
    if word.endswith("eux"):
        return (word, word[:-1])
    if word.endswith("eu"):
        return (word, word + "x")
    return (word,)


def significant(words):
    return tuple(word for word in words if word not in STOP_WORDS and len(word) > 1)


def parse_query(text):
    """The `ParsedQuery` of a search text."""
    parsed = ParsedQuery()
    table, longest = synonyms(), longest_synonym()
    # Plain words waiting for their group: synonyms may span several of them.
    run = []
    pending_or = False

    def add(group):
        nonlocal pending_or
        if pending_or and parsed.groups:
            parsed.groups[-1] = (*parsed.groups[-1], *group)
        else:
            parsed.groups.append(tuple(group))
        pending_or = False

    def flush():
        start = 0
        while start < len(run):
            for size in range(min(longest, len(run) - start), 0, -1):
                form = " ".join(run[start : start + size])
                if form in table:
                    typed = significant(run[start : start + size])
                    alternatives = [Words(typed)] if typed else []
                    add([*alternatives, *(as_words(other) for other in table[form])])
                    start += size
                    break
            else:
                word = run[start]
                if word not in STOP_WORDS and len(word) > 1:
                    add([Words((form,)) for form in word_forms(word)])
                start += 1
        run.clear()

    for token in tokenize(text):
        if token.is_or:
            flush()
            pending_or = bool(parsed.groups)
            continue
        if token.negated:
            flush()
            words = token.words if token.quoted else significant(token.words)
            if words:
                parsed.excluded.append(Words(words, phrase=len(words) > 1))
            continue
        parsed.typed += token.words
        if token.quoted:
            flush()
            if not significant(token.words):
                continue
            form = " ".join(token.words)
            add([Words(token.words, phrase=True), *(as_words(o) for o in table.get(form, []))])
            continue
        if pending_or:
            # « a or b »: b joins a's group on its own, not through a synonym span.
            flush()
            for word in significant(token.words):
                add([Words((form,)) for form in word_forms(word)])
            continue
        run.extend(token.words)
    flush()
    return parsed


def parse_search(text):
    """(phrases, words, excluded words) of a query, folded: what to highlight."""
    phrases, words, excluded = [], [], []
    for token in tokenize(text):
        if token.is_or:
            continue
        if token.negated:
            excluded.extend(token.words)
        elif token.quoted:
            phrases.append(" ".join(token.words))
        else:
            words.extend(significant(token.words))
    return phrases, words, excluded


# Matching ---------------------------------------------------------------------------


def full_text(qs, text):
    """Cases matching `text`, with a `rank` annotation (higher first)."""
    parsed = parse_query(text)
    if parsed.is_empty:
        # Only stop words (« le », « a »): nothing to look for, nothing found. Not
        # `qs.none()`: the counting and paging queries compile the selection to
        # SQL, which `none()` cannot be (EmptyResultSet). The rank is cast so
        # that PostgreSQL may sort by it (a bare constant in ORDER BY is refused).
        return qs.filter(pk__isnull=True).annotate(rank=Cast(Value(0.0), FloatField()))
    if connection.vendor == "postgresql":
        return postgresql_full_text(qs, parsed)
    return word_index_full_text(qs, parsed)


def any_of(queries):
    return reduce(or_, queries)


def pg_words(alternative):
    search_type = "phrase" if alternative.phrase else "plain"
    return SearchQuery(" ".join(alternative.words), search_type=search_type, config=CONFIG)


def title_vector():
    """The lexemes of the title alone (weight A) with their positions."""
    return Func(
        F("search_vector"),
        template="ts_filter(%(expressions)s, '{a}')",
        output_field=SearchVectorField(),
    )


def folded_title():
    """The title as `normalize` folds it, in SQL."""
    lowered = Func(Func(F("title"), function="unaccent"), function="lower")
    return Func(
        lowered,
        Value("[^a-z0-9]+"),
        Value(" "),
        Value("g"),
        function="regexp_replace",
        output_field=TextField(),
    )


def bonus(condition, points):
    return Choose(
        When(condition, then=Value(points)), default=Value(0.0), output_field=FloatField()
    )


def title_tier(qs, text):
    """On PostgreSQL, (the cases of `qs` whose title holds `text`, annotated
    with their `rank` as `full_text`; the rank from which they rank above
    every case whose title misses it), or None on SQLite or for a text that
    only excludes.

    A case whose title misses the text ranks below TITLE_HIT (its cover density,
    normalised, stays below 1), plus TEXT_PHRASE for a phrase (the title's
    bonuses need the title to hold the words); one whose title holds it, at
    least TITLE_HIT. The cases ranking at least that sum are then the first of
    the order of relevance, all of them, found from the index of the titles'
    lexemes (migration 0022) without reading the other matches' vectors."""
    if connection.vendor != "postgresql":
        return None
    parsed = parse_query(text)
    if parsed.is_empty or not parsed.groups:
        return None
    above = TITLE_HIT + (TEXT_PHRASE if parsed.phrase else 0.0)
    in_title = SearchVectorExact(title_vector(), pg_query(parsed))
    return postgresql_full_text(qs.filter(in_title), parsed), above


def pg_query(parsed):
    """The tsquery of a parsed text with at least one group of words."""
    query = reduce(and_, (any_of(pg_words(alt) for alt in group) for group in parsed.groups))
    for alternative in parsed.excluded:
        query &= ~pg_words(alternative)
    return query


def postgresql_full_text(qs, parsed):
    if not parsed.groups:
        for alternative in parsed.excluded:
            qs = qs.exclude(search_vector=pg_words(alternative))
        return qs.annotate(rank=Value(0.0))
    query = pg_query(parsed)
    qs = qs.filter(search_vector=query)
    # ts_rank_cd grows with the number of matches; normalised (r / (r + 1)) it
    # stays below 1, so that the bonuses below decide first.
    rank = SearchRank(F("search_vector"), query, cover_density=True, normalization=Value(32))
    rank = rank + bonus(SearchVectorExact(title_vector(), query), TITLE_HIT)
    if parsed.phrase:
        phrase = SearchQuery(parsed.phrase, search_type="phrase", config=CONFIG)
        qs = qs.alias(title_key=folded_title())
        rank = (
            rank
            + bonus(SearchVectorExact(title_vector(), phrase), TITLE_PHRASE)
            + bonus(Q(title_key__startswith=parsed.phrase), TITLE_START)
            + bonus(SearchVectorExact(F("search_vector"), phrase), TEXT_PHRASE)
        )
    return qs.annotate(rank=rank)


def quoted(text):
    """A string of the FTS5 query language (folded words hold no quote; to be sure)."""
    return '"' + text.replace('"', '""') + '"'


def stems_of(words):
    return " ".join(stem(word) for word in words)


def fts_word(word):
    """A word of the query in a document: a word of the same stem, or (long
    enough) the start of a word."""
    same_stem = f"stems : {quoted(stem(word))}"
    if len(word) < PREFIX_LENGTH:
        return same_stem
    return f"({same_stem} OR words : {quoted(word)} *)"


def fts_alternative(alternative, column=None):
    """FTS5 expression of `Words`: in the stems, word by word also by prefix; or
    by stem only in `column` (the title)."""
    if alternative.phrase:
        return f"{column or 'stems'} : {quoted(stems_of(alternative.words))}"
    if column:
        return " AND ".join(f"{column} : {quoted(stem(word))}" for word in alternative.words)
    return " AND ".join(fts_word(word) for word in alternative.words)


def fts_groups(groups, column=None):
    return " AND ".join(
        "(" + " OR ".join(f"({fts_alternative(alt, column)})" for alt in group) + ")"
        for group in groups
    )


def in_word_index(expression):
    """The cases whose row of the word index matches an FTS5 `expression`."""
    return Q(
        pk__in=RawSQL(f"SELECT rowid FROM {WORD_INDEX} WHERE {WORD_INDEX} MATCH %s", [expression])
    )


def word_index_full_text(qs, parsed):
    """Elsewhere than PostgreSQL: the word index (SQLite FTS5) of stems and words."""
    if parsed.groups:
        qs = qs.filter(in_word_index(fts_groups(parsed.groups)))
    for alternative in parsed.excluded:
        qs = qs.exclude(in_word_index(fts_alternative(alternative)))
    if not parsed.groups:
        return qs.annotate(rank=Value(0.0))
    rank = bonus(in_word_index(fts_groups(parsed.groups, column="title")), TITLE_HIT)
    if parsed.phrase:
        phrase = quoted(stems_of(parsed.phrase.split()))
        rank = (
            rank
            + bonus(in_word_index(f"title : {phrase}"), TITLE_PHRASE)
            + bonus(in_word_index(f"title : ^ {phrase}"), TITLE_START)
            + bonus(in_word_index(f"stems : {phrase}"), TEXT_PHRASE)
        )
    return qs.annotate(rank=rank)
