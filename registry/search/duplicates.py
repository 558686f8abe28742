"""Duplicate candidates, shown to contributors and moderators, never blocking.

Candidates are drawn only from what the person looking may see
(`Case.objects.visible_to`, `Organization.objects.visible_to`): a contributor is
never told the title of someone else's draft nor the name of an organisation
known only from it. Staff see every candidate.

On PostgreSQL, trigram similarity (pg_trgm) on the folded names; on SQLite, a
simpler measure: candidates sharing a significant word, scored with difflib.
"""

from difflib import SequenceMatcher
from typing import NamedTuple

from django.contrib.postgres.lookups import Unaccent
from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Q
from django.db.models.functions import Lower

from registry.models import Case, CasePartner, CaseTerritory, Organization
from registry.text.identifiers import compact
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


def significant_words(key):
    return [word for word in key.split() if len(word) > 2 and word not in STOP_WORDS]


def _similar(queryset, key, limit, *, pg_expression, search_column, folded):
    """Objects whose folded name resembles `key`, best first.

    PostgreSQL: trigram similarity of `pg_expression`. SQLite: candidates
    sharing a significant word in `search_column`, scored with difflib on
    `folded(obj)`."""
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
        obj.similarity = SequenceMatcher(None, key, folded(obj)).ratio()
        if obj.similarity >= THRESHOLD:
            scored.append(obj)
    return sorted(scored, key=lambda obj: -obj.similarity)[:limit]


def similar_organizations(*, seen_by, name="", siren="", rna="", exclude=None, limit=5):
    """Organisations `seen_by` may see that may be the one being created: same
    identifier first."""
    found = []
    base = Organization.objects.visible_to(seen_by).select_related("actor_type", "seat")
    if exclude is not None:
        base = base.exclude(pk=exclude.pk)
    codes = identifier_lookup(siren=siren, rna=rna)
    if codes:
        found += list(base.filter(codes))
    by_name = _similar(
        base,
        normalize(name),
        limit,
        pg_expression="name_key",
        search_column="name_key",
        folded=lambda o: o.name_key,
    )
    for organization in by_name:
        if organization not in found:
            found.append(organization)
    return found[:limit]


def identifier_lookup(*, siren="", rna=""):
    codes = Q()
    if siren:
        codes |= Q(siren=compact(siren))
    if rna:
        codes |= Q(rna=compact(rna))
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


def new_organization_duplicates(*, seen_by, name, siren=None, rna=None):
    """The duplicates of a new organisation, from its cleaned `name`, `siren` and
    `rna` (as `NewOrganizationForm` gives them), as `seen_by` may know them: the
    site's editor and the API decide from the same answer.

    An identifier is never created twice, whoever holds it; but an organisation
    `seen_by` may not see is only told by that identifier, never by its name."""
    candidates = similar_organizations(
        seen_by=seen_by, name=name or "", siren=siren or "", rna=rna or ""
    )
    same_identifier = [
        candidate
        for candidate in candidates
        if (siren and candidate.siren == siren) or (rna and candidate.rna == rna)
    ]
    codes = identifier_lookup(siren=siren or "", rna=rna or "")
    unseen_identifier = []
    if codes:
        seen = {organization.pk for organization in same_identifier}
        unseen_identifier = list(
            Organization.objects.filter(codes).exclude(pk__in=seen).only("pk", "siren", "rna")
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
