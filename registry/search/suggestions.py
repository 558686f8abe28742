"""What the search page offers around a query: the territories and référentiel
terms it names, as filters (« Filtrer sur la région Occitanie (450) »), and a
correction of the words no case holds (« Vouliez-vous dire : insertion ? »).

Both are built from the query as typed (`registry.search.query.tokenize`) and
checked against the cases: an offer gives the number of cases it leads to, and
a correction is only offered when the corrected search finds more. The number
of queries is bounded: one for the territories, one count per offer (at most
`MAX_TERRITORY_OFFERS + MAX_TERM_OFFERS`), and the lexicon only when a search
finds fewer than `FEW` cases.
"""

from dataclasses import dataclass

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from registry.models import SearchWord
from registry.models.index import STOP_WORDS, correction_of, stem
from registry.models.vocabulary import SEARCH_PARAMETERS
from registry.search.filters import TERRITORY_FACETS, CaseFilter
from registry.search.query import significant, tokenize
from territories.models import KIND_DEPTH, Territory, TerritoryKind, normalize

MAX_SPAN = 8  # words: « Provence-Alpes-Côte d'Azur » has five
MAX_TERRITORY_OFFERS = 2
MAX_TERM_OFFERS = 2
# Below this many results, look for mistyped words: only when nothing is found,
# so that a search that finds cases never pays for the lexicon.
FEW = 1
MAX_CORRECTED = 3  # words corrected in one query
# A typed word alone names a term whose label has at most this many words that
# count: « insertion » names « Emploi et insertion professionnelle », not every
# long label that mentions it.
SHORT_LABEL = 3


TERRITORY_OFFERS = {
    TerritoryKind.REGION: _("Filtrer sur la région %(name)s"),
    TerritoryKind.DEPARTEMENT: _("Filtrer sur le département %(name)s"),
    TerritoryKind.EPCI: _("Filtrer sur l'intercommunalité %(name)s"),
    TerritoryKind.COMMUNE: _("Filtrer sur la commune %(name)s"),
}
TERM_OFFERS = {
    "theme": _("Filtrer sur le thème %(name)s"),
    "practice": _("Filtrer sur la pratique %(name)s"),
    "partnership": _("Filtrer sur le type de partenariat %(name)s"),
    "form": _("Filtrer sur la forme de co-construction %(name)s"),
    "objective": _("Filtrer sur l'objectif %(name)s"),
    "impact": _("Filtrer sur l'axe d'impact %(name)s"),
    "prism": _("Filtrer sur le prisme %(name)s"),
    "phase": _("Filtrer sur l'étape %(name)s"),
    "scale": _("Filtrer sur l'échelle %(name)s"),
    "actor": _("Filtrer sur le type de partenaire %(name)s"),
}


@dataclass
class Offer:
    label: str
    count: int
    url: str


@dataclass
class Correction:
    text: str
    url: str


def query_string(data):
    """`?…` of a QueryDict without its empty values nor its page."""
    clean = QueryDict(mutable=True)
    for key, values in data.lists():
        kept = [value for value in values if value != ""]
        if key != "page" and kept:
            clean.setlist(key, kept)
    return "?" + clean.urlencode() if clean else "?"


@dataclass(frozen=True)
class Span:
    """Words of the query that name something: whole tokens, in a row."""

    start: int  # index of its first token
    end: int  # index after its last token
    key: str  # its folded words
    words: tuple


def spans(tokens):
    """Every run of whole plain tokens (at most `MAX_SPAN` words) holding a word
    that counts."""
    found = []
    for start in range(len(tokens)):
        words = ()
        for end in range(start, len(tokens)):
            token = tokens[end]
            if token.negated or token.is_or:
                break
            words += token.words
            if len(words) > MAX_SPAN:
                break
            if any(word not in STOP_WORDS and len(word) > 2 for word in words):
                found.append(Span(start, end + 1, " ".join(words), words))
    return found


class SearchHelp:
    """The offers and the correction of a `CaseFilter`'s query, for the request's
    other parameters `data` (a QueryDict)."""

    def __init__(self, filterset, data, *, total, count=None):
        """`count`: how many cases a `CaseFilter` selects (the counting engine's
        `count_of`); by default, counted in SQL."""
        self.filterset = filterset
        self.data = data
        self.total = total
        self.count_selected = count or (lambda filterset: filterset.qs.count())
        self.tokens = tokenize(filterset.text)

    def with_query(self, text, param=None, code=None):
        data = self.data.copy()
        data.pop("page", None)
        if text:
            data["q"] = text
        else:
            data.pop("q", None)
        if param:
            data.appendlist(param, code)
        return data

    def remaining_text(self, span):
        """The query without the words of `span` (which become a filter)."""
        kept = [t for i, t in enumerate(self.tokens) if not span.start <= i < span.end]
        if all(token.is_or for token in kept):
            return ""
        return " ".join(token.raw for token in kept)

    def count(self, data):
        return self.count_selected(CaseFilter(data, term_index=self.filterset.term_index))

    def offer(self, template, name, span, param, code):
        data = self.with_query(self.remaining_text(span), param, code)
        count = self.count(data)
        if not count:
            return None
        return Offer(str(template) % {"name": name}, count, query_string(data))

    def chosen(self, param):
        value = self.filterset.form.cleaned_data.get(param) or []
        return {getattr(item, "pk", item) for item in value}

    def offers(self):
        """The filters the query names, most specific first."""
        found = spans(self.tokens)
        if not found:
            return []
        return [*self.territory_offers(found), *self.term_offers(found)]

    def territory_offers(self, found):
        by_key = {}
        named = Territory.objects.filter(name_key__in={span.key for span in found}).only(
            "id", "kind", "code", "name", "name_key", "population", "departement_id"
        )
        for territory in named:
            by_key.setdefault(territory.name_key, []).append(territory)
        candidates = [
            (span, territory)
            for span in found
            for territory in by_key.get(span.key, [])
            if territory.pk not in self.chosen(self.param_of(territory.kind))
        ]
        candidates.sort(
            key=lambda c: (-len(c[0].words), KIND_DEPTH[c[1].kind], -(c[1].population or 0))
        )
        offers = []
        for span, territory in candidates:
            name = territory.label if territory.kind == TerritoryKind.COMMUNE else territory.name
            param = self.param_of(territory.kind)
            offer = self.offer(TERRITORY_OFFERS[territory.kind], name, span, param, territory.code)
            if offer:
                offers.append(offer)
            if len(offers) == MAX_TERRITORY_OFFERS:
                break
        return offers

    @staticmethod
    def param_of(kind):
        return next(param for param, k in TERRITORY_FACETS.items() if k == kind)

    def term_offers(self, found):
        """Terms whose label the query holds whole, or, for a short label, one of
        whose words (of four letters at least) a single typed word shares the
        stem of (« sécurité »: « Sécurité et prévention »)."""
        single = {span.key: span for span in found if len(span.words) == 1 and len(span.key) > 3}
        candidates = []
        for position, term in enumerate(self.filterset.term_index.terms):
            param = SEARCH_PARAMETERS.get(term.vocabulary.code)
            if param is None or not term.is_active or term.pk in self.chosen(param):
                continue
            labels = {normalize(term.label_fr), normalize(term.label_en)} - {""}
            exact = [span for span in found if span.key in labels]
            if exact:
                candidates.append((0, -len(exact[0].words), position, exact[0], param, term))
                continue
            stems = {
                stem(word)
                for label in labels
                if len(significant(label.split())) <= SHORT_LABEL
                for word in label.split()
                if len(word) > 3
            }
            for key, span in single.items():
                if key not in STOP_WORDS and stem(key) in stems:
                    candidates.append((1, -1, position, span, param, term))
                    break
        candidates.sort(key=lambda c: c[:3])
        offers = []
        for *_order, span, param, term in candidates:
            offer = self.offer(TERM_OFFERS[param], term.label, span, param, term.code)
            if offer:
                offers.append(offer)
            if len(offers) == MAX_TERM_OFFERS:
                break
        return offers

    def correction(self):
        """« Vouliez-vous dire … ? »: the query with the words the lexicon does
        not hold replaced by the nearest it does, when that finds more cases."""
        if self.total >= FEW:
            return None
        plain = [t for t in self.tokens if not (t.quoted or t.negated or t.is_or)]
        words = {
            word
            for token in plain
            for word in token.words
            if len(word) > 2 and not word.isdigit() and word not in STOP_WORDS
        }
        if not words:
            return None
        known = set(SearchWord.objects.filter(word__in=words).values_list("word", flat=True))
        unknown = sorted(words - known)[:MAX_CORRECTED]
        replacements = {}
        for word in unknown:
            better = correction_of(word)
            if better:
                replacements[word] = better
        if not replacements:
            return None
        corrected = " ".join(
            " ".join(replacements.get(word, word) for word in token.words)
            if token in plain and any(word in replacements for word in token.words)
            else token.raw
            for token in self.tokens
        )
        data = self.with_query(corrected)
        if self.count(data) <= self.total:
            return None
        return Correction(corrected, query_string(data))
