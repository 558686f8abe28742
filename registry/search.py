"""Search documents of cases.

A case's words live in its own columns and in related rows (partner names,
territory names). `refresh_search_documents` gathers them into three columns:
`search_names`, `search_text` (every word folded: lower case, no accents, for
SQLite and trigram similarity) and, on PostgreSQL, `search_vector`, the weighted
French tsvector (title A, summary and names B, the rest C).

It is called explicitly wherever a case's text, roster or territories change.
"""

from django.db import connection, transaction

from registry.models import PAIR_BASE, Case, CasePartner, CaseTerritory
from territories.models import normalize

TEXT_FIELDS = ("title", "summary", "description", "context", "actions", "results", "lessons")

# The weighted French document of a case row, as an SQL expression over its columns.
PG_VECTOR_EXPRESSION = """
    setweight(to_tsvector('registry_fr', coalesce(title, '')), 'A')
 || setweight(to_tsvector('registry_fr', coalesce(summary, '')), 'B')
 || setweight(to_tsvector('registry_fr', coalesce(search_names, '')), 'B')
 || setweight(to_tsvector('registry_fr', concat_ws(' ', description, context, actions,
                                                   results, lessons)), 'C')
"""
PG_VECTOR_SQL = (
    f"UPDATE registry_case SET search_vector = {PG_VECTOR_EXPRESSION} WHERE id = ANY(%s)"
)

BATCH = 2000


def names_by_case(case_ids):
    """Each case's partner names (roster order) then territory names, each once."""
    names = {case_id: [] for case_id in case_ids}
    partners = CasePartner.objects.filter(case_id__in=case_ids).values_list(
        "case_id", "organization__name"
    )
    territories = (
        CaseTerritory.objects.filter(case_id__in=case_ids)
        .order_by("id")
        .values_list("case_id", "territory__name")
    )
    for case_id, name in [*partners, *territories]:
        names[case_id].append(name)
    return {case_id: unique_names(found) for case_id, found in names.items()}


def unique_names(names):
    """`names` without repeats, in order of first appearance."""
    return list(dict.fromkeys(names))


def fold_search_text(texts, names):
    """The folded `search_text` of a case from its texts (in `TEXT_FIELDS` order)
    and the names around it; shared with the bulk writer of demo data."""
    return normalize(" ".join([*(text or "" for text in texts), *names]))


def build_search_text(case, names):
    return fold_search_text((getattr(case, f) for f in TEXT_FIELDS), names)


def refresh_search_documents(case_ids):
    """Rebuild the search columns of the given cases, by batches."""
    case_ids = list(case_ids)
    for start in range(0, len(case_ids), BATCH):
        batch = case_ids[start : start + BATCH]
        with transaction.atomic():
            names = names_by_case(batch)
            cases = list(Case.objects.filter(pk__in=batch).only("id", *TEXT_FIELDS))
            for case in cases:
                case.search_names = " ".join(names[case.pk])
                case.search_text = build_search_text(case, names[case.pk])
            Case.objects.bulk_update(cases, ["search_names", "search_text"])
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(PG_VECTOR_SQL, [batch])


FAMILY_MASK_SQL = """
UPDATE registry_case SET family_mask = COALESCE((
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
), 0)
WHERE id IN ({placeholders})
"""


def refresh_family_masks(case_ids):
    """Recompute which families of actors sit at each case's table (one UPDATE per batch).

    A commune or an EPCI counts as a collectivité through its parent actor type."""
    case_ids = list(case_ids)
    for start in range(0, len(case_ids), BATCH):
        batch = case_ids[start : start + BATCH]
        sql = FAMILY_MASK_SQL.format(placeholders=", ".join(["%s"] * len(batch)))
        with connection.cursor() as cursor:
            cursor.execute(sql, batch)


FACET_KEYS_SQL = f"""
UPDATE registry_case SET
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
    search documents."""
    from registry.facets import bump_registry_version

    refresh_family_masks(case_ids)
    refresh_facet_keys(case_ids)
    refresh_search_documents(case_ids)
    bump_registry_version()
