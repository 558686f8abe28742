"""Duplicate candidates, shown to contributors and moderators, never blocking.

Candidates are drawn only from what the person looking may see
(`Case.objects.visible_to`, `Organization.objects.visible_to`): a contributor is
never told the title of someone else's draft nor the name of an organisation
known only from it. Staff see every candidate.

Organisations are compared by identifier first (SIREN, SIRET, RNA, and the
SIREN of the collectivité they govern, from the territory table), then by name
once the words of a legal form are removed (`registry/data/legal_forms.json`:
« Ville de Pantin » and « Commune de Pantin » are both « pantin »). On
PostgreSQL, trigram similarity (pg_trgm) on the folded names; on SQLite, the
same similarity computed in Python (`registry.text.trigrams`) for the
candidates sharing a significant word.

`likely_duplicate_pairs` lists, for staff, the pairs of organisations that may
be one and the same, for the merge page.
"""

import functools
import json
import re
from collections import defaultdict
from difflib import SequenceMatcher
from pathlib import Path
from typing import NamedTuple

from django.contrib.postgres.lookups import Unaccent
from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Count, F, Func, Q, Value
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from registry.models import Case, CasePartner, CaseTerritory, Organization
from registry.text.identifiers import compact
from registry.text.trigrams import trigram_similarity
from territories.models import normalize

STOP_WORDS = {
    "de",
    "du",
    "des",
    "la",
    "le",
    "les",
    "et",
    "en",
    "pour",
    "a",
    "au",
    "aux",
    "d",
    "l",
    "un",
    "une",
    "sur",
    "par",
    "avec",
    "dans",
}
THRESHOLD = 0.45
LEGAL_FORMS_PATH = Path(__file__).resolve().parents[1] / "data" / "legal_forms.json"


def significant_words(key):
    return [word for word in key.split() if len(word) > 2 and word not in STOP_WORDS]


@functools.cache
def legal_forms_pattern(boundary=r"\b"):
    """A regular expression matching the legal-form words of a folded name, the
    longest first; `boundary` is the word boundary of the dialect (`\\y` for
    PostgreSQL, whose `\\b` means backspace)."""
    forms = json.loads(LEGAL_FORMS_PATH.read_text(encoding="utf-8"))["forms"]
    folded = sorted({normalize(form) for form in forms}, key=len, reverse=True)
    words = "|".join(re.escape(form).replace(r"\ ", " ") for form in folded)
    return f"{boundary}(?:{words}){boundary}"


def core_name(key):
    """A folded name without its legal-form words: « commune de pantin » is
    « pantin ». A name that is nothing but such words is kept whole."""
    core = " ".join(re.sub(legal_forms_pattern(), " ", key).split())
    return core or key


def _core_name_sql(column):
    """`core_name` of `column` in PostgreSQL (one or two spaces left are
    harmless: trigrams ignore them)."""
    return Func(
        F(column),
        Value(legal_forms_pattern(r"\y")),
        Value(" "),
        Value("g"),
        function="regexp_replace",
    )


def _similar(queryset, key, limit, *, pg_expression, search_column, folded):
    """Objects whose folded name resembles `key`, best first.

    PostgreSQL: trigram similarity of `pg_expression`. SQLite: candidates
    sharing a significant word in `search_column`, scored with the same
    trigram similarity on `folded(obj)`."""
    if not key:
        return []
    if connection.vendor == "postgresql":
        return list(
            queryset.annotate(similarity=TrigramSimilarity(pg_expression, key))
            .filter(similarity__gte=THRESHOLD)
            .order_by("-similarity")[:limit]
        )
    words = significant_words(key)
    if not words:
        return []
    match = Q()
    for word in words:
        match |= Q(**{f"{search_column}__contains": word})
    scored = []
    for obj in queryset.filter(match)[:200]:
        obj.similarity = trigram_similarity(key, folded(obj))
        if obj.similarity >= THRESHOLD:
            scored.append(obj)
    return sorted(scored, key=lambda obj: -obj.similarity)[:limit]


def similar_organizations(*, seen_by, name="", siren="", siret="", rna="", exclude=None, limit=5):
    """Organisations `seen_by` may see that may be the one being created: same
    identifier first (its own, its SIREN within a SIRET, or the SIREN of the
    territory it governs), then similar names without their legal forms."""
    found = []
    base = Organization.objects.visible_to(seen_by).select_related(
        "actor_type", "seat", "seat__departement", "governed_territory"
    )
    if exclude is not None:
        base = base.exclude(pk=exclude.pk)
    codes = related_identifier_lookup(siren=siren, siret=siret, rna=rna)
    if codes:
        found += list(base.filter(codes).order_by("name_key")[:limit])
    key = core_name(normalize(name))
    by_name = _similar(
        base,
        key,
        limit,
        pg_expression=_core_name_sql("name_key"),
        search_column="name_key",
        folded=lambda o: core_name(o.name_key),
    )
    for organization in by_name:
        if organization not in found:
            found.append(organization)
    return found[:limit]


def identifier_lookup(*, siren="", siret="", rna=""):
    """The organisations holding one of these identifiers: never two of them."""
    codes = Q()
    if siren:
        codes |= Q(siren=compact(siren))
    if siret:
        codes |= Q(siret=compact(siret))
    if rna:
        codes |= Q(rna=compact(rna))
    return codes


def related_identifier_lookup(*, siren="", siret="", rna=""):
    """The organisations these identifiers point to: the same ones, the company
    a SIRET belongs to (its first nine digits), another establishment of the
    same SIREN, and the collectivité governing the territory of that SIREN (an
    EPCI, a département: the territory table knows their SIREN)."""
    siren, siret = compact(siren or ""), compact(siret or "")
    codes = identifier_lookup(siren=siren, siret=siret, rna=rna)
    for company in {siren, siret[:9]} - {""}:
        codes |= (
            Q(siren=company) | Q(siret__startswith=company) | Q(governed_territory__siren=company)
        )
    return codes


class NewOrganizationDuplicates(NamedTuple):
    """What an organisation about to be created may duplicate."""

    same_identifier: list  # same SIREN or RNA, visible: never created twice, use it instead
    unseen_identifier: list  # same SIREN or RNA, not the person's to see: never named
    candidates: list  # every similar one they may see, same identifier first

    @property
    def identifier_taken(self):
        return bool(self.same_identifier or self.unseen_identifier)

    def block(self, *, confirmed):
        """True when the organisation must not be created yet: an identifier is
        taken, or similar ones exist and the contributor has not confirmed."""
        return self.identifier_taken or (bool(self.candidates) and not confirmed)


def new_organization_duplicates(*, seen_by, name, siren=None, rna=None, siret=None):
    """The duplicates of a new organisation, from its cleaned `name`, `siren` and
    `rna` (as `NewOrganizationForm` gives them), as `seen_by` may know them: the
    site's editor and the API decide from the same answer.

    An identifier is never created twice, whoever holds it; but an organisation
    `seen_by` may not see is only told by that identifier, never by its name."""
    candidates = similar_organizations(
        seen_by=seen_by, name=name or "", siren=siren or "", siret=siret or "", rna=rna or ""
    )
    same_identifier = [
        candidate
        for candidate in candidates
        if (siren and candidate.siren == siren)
        or (siret and candidate.siret == siret)
        or (rna and candidate.rna == rna)
    ]
    codes = identifier_lookup(siren=siren or "", siret=siret or "", rna=rna or "")
    unseen_identifier = []
    if codes:
        seen = {organization.pk for organization in same_identifier}
        unseen_identifier = list(
            Organization.objects.filter(codes)
            .exclude(pk__in=seen)
            .only("pk", "siren", "siret", "rna")
        )
    return NewOrganizationDuplicates(same_identifier, unseen_identifier, candidates)


def similar_cases(case, *, seen_by, limit=5):
    """Existing cases resembling `case` that `seen_by` may see: similar title,
    same territory, shared partners. For a contributor, published cases and
    their own; for staff, every case."""
    base = Case.objects.visible_to(seen_by).exclude(pk=case.pk)
    key = normalize(case.title)
    by_title = {c.pk: c for c in _similar_title(base, key, limit * 2)}
    territory_ids = list(case.case_territories.values_list("territory_id", flat=True))
    partner_ids = list(case.roster.values_list("organization_id", flat=True))
    shared = Case.objects.none()
    if territory_ids and partner_ids:
        shared = base.filter(
            pk__in=CaseTerritory.objects.filter(territory_id__in=territory_ids).values("case_id")
        ).filter(
            pk__in=CasePartner.objects.filter(organization_id__in=partner_ids).values("case_id")
        )[:limit]
    candidates = list(by_title.values())
    for other in shared:
        if other.pk not in by_title:
            other.similarity = 0
            candidates.append(other)
    return candidates[:limit]


SAME_TITLE_SCANNED = 1000


def same_title_cases(title, territories, *, seen_by, exclude_pk=None, limit=3):
    """Cases `seen_by` may see (the rule of `similar_cases`: published ones and
    their own; staff: all) whose title is `title` once folded (accents, case,
    punctuation), on one of `territories`: the strong warning of an editor,
    before a case is even saved. Titles are compared folded in Python, over
    the cases of those territories only (a few of them)."""
    key = normalize(title)
    if not key or not territories:
        return []
    cases = (
        Case.objects.visible_to(seen_by)
        .filter(pk__in=CaseTerritory.objects.filter(territory__in=territories).values("case_id"))
        .exclude(pk=exclude_pk or 0)
        .only("id", "title", "slug", "status")
        .order_by("-id")[:SAME_TITLE_SCANNED]
    )
    return [case for case in cases if normalize(case.title) == key][:limit]


def _similar_title(queryset, key, limit):
    """Title similarity, on the folded title."""
    pg_expression = None
    if connection.vendor == "postgresql":
        pg_expression = Lower(Unaccent("title"))
    return _similar(
        queryset.only("id", "title", "slug", "status"),
        key,
        limit,
        pg_expression=pg_expression,
        search_column="search_text",
        folded=lambda case: normalize(case.title),
    )


class PairReason(NamedTuple):
    strength: int  # the strongest reason of a pair ranks it
    label: str


SAME_COMPANY = PairReason(4, _("SIRET de l'une dans le SIREN de l'autre"))
TERRITORY_SIREN = PairReason(4, _("SIREN du territoire que l'autre administre"))
SAME_TERRITORY = PairReason(4, _("Administrent le même territoire"))
SAME_NAME_SAME_SEAT = PairReason(3, _("Même nom hors forme juridique, même siège"))
SAME_NAME = PairReason(2, _("Même nom hors forme juridique"))
SIMILAR_NAME_SAME_SEAT = PairReason(1, _("Nom proche, même type et même siège"))

PAIRS_SHOWN = 50
SIMILAR_NAME_RATIO = 0.8
# A group larger than this (a name or a word shared by many organisations of
# one seat) says little about any two of them, and would cost its square.
GROUP_LIMIT = 30


class DuplicatePair(NamedTuple):
    survivor: Organization  # proposed to keep: on more cases, or the older
    duplicate: Organization
    reasons: list

    @property
    def strength(self):
        return max(reason.strength for reason in self.reasons)


def likely_duplicate_pairs(*, query="", limit=PAIRS_SHOWN):
    """Pairs of organisations that may be one and the same, strongest first,
    for staff (every organisation, published or not): a SIRET within another's
    SIREN, the SIREN of the territory the other governs, the same governed
    territory, the same name without its legal form (seats not different), a
    close name with the same seat and type (« Handi'Cap Saint-Martin-Boulogne »
    is not the commune of Saint-Martin-Boulogne). With `query`, only pairs of which one
    organisation matches it (`Organization.objects.search`: name or identifier).

    Two queries, three with `query`: the comparison runs on one narrow list of
    every organisation, and only the organisations shown are then read whole."""
    rows = list(
        Organization.objects.values_list(
            "pk",
            "name_key",
            "seat_id",
            "siren",
            "siret",
            "governed_territory__siren",
            "governed_territory_id",
            "actor_type_id",
        ).order_by()
    )
    reasons = defaultdict(set)

    def pair(first, second, reason):
        if first != second:
            reasons[(min(first, second), max(first, second))].add(reason)

    by_siren = {row[3]: row[0] for row in rows if row[3]}
    by_core = defaultdict(list)
    by_territory = defaultdict(list)
    by_seat = defaultdict(list)
    for pk, name_key, seat_id, _siren, siret, territory_siren, territory_id, kind in rows:
        if siret and siret[:9] in by_siren:
            pair(pk, by_siren[siret[:9]], SAME_COMPANY)
        if territory_siren and territory_siren in by_siren:
            pair(pk, by_siren[territory_siren], TERRITORY_SIREN)
        if territory_id:
            by_territory[territory_id].append(pk)
        core = core_name(name_key)
        by_core[core].append((pk, seat_id))
        if seat_id:
            by_seat[(seat_id, kind)].append((pk, core))
    for members in by_territory.values():
        for index, first in enumerate(members[:GROUP_LIMIT]):
            for second in members[index + 1 : GROUP_LIMIT]:
                pair(first, second, SAME_TERRITORY)
    for members in by_core.values():
        for index, (first, first_seat) in enumerate(members[:GROUP_LIMIT]):
            for second, second_seat in members[index + 1 : GROUP_LIMIT]:
                if first_seat and first_seat == second_seat:
                    pair(first, second, SAME_NAME_SAME_SEAT)
                elif not first_seat or not second_seat:
                    pair(first, second, SAME_NAME)
    for members in by_seat.values():  # of one seat and one type
        _close_names_of_one_seat(members, pair)

    if query:
        found = set(
            Organization.objects.search(query).order_by().values_list("pk", flat=True)[:1000]
        )
        reasons = {key: value for key, value in reasons.items() if found.intersection(key)}
    ranked = sorted(reasons.items(), key=lambda item: (-max(r.strength for r in item[1]), item[0]))[
        :limit
    ]
    shown = {pk for key, _reasons in ranked for pk in key}
    organizations = (
        Organization.objects.with_related()
        .annotate(
            case_count=Count("roster_entries__case", distinct=True),
            member_count=Count("members", distinct=True),
        )
        .in_bulk(shown)
    )
    pairs = []
    for (first, second), pair_reasons in ranked:
        survivor, duplicate = sorted(
            (organizations[first], organizations[second]),
            key=lambda organization: (-organization.case_count, organization.pk),
        )
        pairs.append(
            DuplicatePair(survivor, duplicate, sorted(pair_reasons, key=lambda r: -r.strength))
        )
    return pairs


def _close_names_of_one_seat(members, pair):
    """Pairs of one seat whose names, without legal forms, are close: compared
    only when they share a significant word."""
    by_word = defaultdict(list)
    for pk, core in members:
        for word in set(significant_words(core)):
            by_word[word].append((pk, core))
    for sharing in by_word.values():
        if len(sharing) > GROUP_LIMIT:
            continue
        for index, (first, first_core) in enumerate(sharing):
            for second, second_core in sharing[index + 1 :]:
                if first_core == second_core:
                    continue  # already paired as the same name
                if SequenceMatcher(None, first_core, second_core).ratio() >= SIMILAR_NAME_RATIO:
                    pair(first, second, SIMILAR_NAME_SAME_SEAT)
