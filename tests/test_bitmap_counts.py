"""Counting from the registry's bitmaps (registry/counting/bitmaps.py) shows
exactly what counting in SQL showed: every page that counts is rendered both
ways and compared, and every tally is compared over selections of all sizes."""

import random
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from pyroaring import BitMap

from demo.generator import clear_demo, seed_demo
from registry.counting import bitmaps, engine
from registry.counting import selections as text_search
from registry.counting.bitmaps import MERGED, PUBLISHED, Selection, Snapshot, forget, snapshot
from registry.counting.engine import (
    ACTOR_FAMILIES,
    ACTOR_TYPES,
    PARTNER_ROLES,
    PIONEER_CRITERIA,
    SUMMARY,
    TERMS,
    ByColumn,
    Pairs,
    PlacedTerms,
    Places,
)
from registry.models import Case, CasePartner, CaseStatus, ModerationReason, Organization, Term
from registry.models.index import bump_registry_version, refresh_case_index
from territories.models import Territory, TerritoryKind
from tests.factories import CaseFactory, OrganizationFactory, term

pytestmark = pytest.mark.django_db


def quiet(message):
    pass


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """300 demo cases (seed 1), committed once for the module."""
    with django_db_blocker.unblock():
        seed_demo(cases=300, seed=1, progress=quiet)
        yield
        clear_demo(progress=quiet)


PAGES = [
    "/experiences/",
    "/experiences/?region=84",
    "/experiences/?departement=59&practice=copilotage",
    "/experiences/?q=mobilite",
    "/experiences/?q=insertion+jeunes&region=32",
    "/experiences/?theme=emploi_insertion&theme=mobilite&actor=entreprise&pioneer=true",
    "/experiences/?practice=dialogue&phase=essaimage&ongoing=no&year_min=2015",
    "/experiences/?families=all&scale=regional&year_max=2020&ongoing=yes",
    "/experiences/?region=00",
    "/experiences/?departement=35&epci=243500139",
    "/en/experiences/?region=53&prism=alliances_acteurs&sort=title",
    "/observatoire/",
    "/observatoire/?region=32",
    "/observatoire/?theme=emploi_insertion&carte=departement&mesure=habitants",
    "/observatoire/?departement=59",
    "/observatoire/couverture/",
    "/observatoire/comparer/?a-region=32&b-region=11",
    "/territoires/",
    "/territoires/region/53/",
    "/territoires/departement/59/",
    "/referentiel/",
    "/referentiel/practice/dialogue/",
    "/referentiel/theme/emploi_insertion/",
    "/referentiel/actor_type/collectivite/",
    "/referentiel/phase/essaimage/",
    "/referentiel/scale/local/",
    "/referentiel/pioneer_criterion/trois_familles/",
    "/referentiel/partner_role/porteur/",
    "/",
]

RANDOM = re.compile(r'(nonce|value|content)="[A-Za-z0-9+/=_-]{20,}"')


def rendered(client, url):
    cache.clear()
    response = client.get(url)
    assert response.status_code == 200, url
    return RANDOM.sub("", response.content.decode())


@pytest.mark.parametrize("url", PAGES)
def test_every_page_shows_the_counts_it_showed_when_counting_in_sql(client, seeded, url):
    with_bitmaps = rendered(client, url)
    with override_settings(COUNT_WITH_BITMAPS=False):
        in_sql = rendered(client, url)
    assert with_bitmaps == in_sql


def test_every_case_page_suggests_the_similar_cases_it_suggested_in_sql(client, seeded):
    cases = list(Case.objects.published().order_by("pk"))[::11]
    suggested = 0
    for case in cases:
        url = case.get_absolute_url()
        with_bitmaps = rendered(client, url)
        with override_settings(COUNT_WITH_BITMAPS=False):
            in_sql = rendered(client, url)
        assert with_bitmaps == in_sql, url
        suggested += 'id="similar-title"' in with_bitmaps
    assert suggested > len(cases) / 2


def selections():
    """Selections of every size: none, one case, a few, a random half, all."""
    ids = list(Case.objects.published().order_by("pk").values_list("pk", flat=True))
    chosen = random.Random(7)
    return {
        "none": [],
        "one": ids[:1],
        "a few": chosen.sample(ids, 12),
        "half": chosen.sample(ids, len(ids) // 2),
        "all": ids,
    }


def tallies():
    missions = list(
        Term.objects.filter(vocabulary__code="practice", parent__isnull=False).values_list(
            "pk", flat=True
        )
    )
    themes = list(Term.objects.filter(vocabulary__code="theme").values_list("pk", flat=True))
    areas = list(
        Territory.objects.filter(
            kind__in=[TerritoryKind.REGION, TerritoryKind.DEPARTEMENT, TerritoryKind.COMMUNE]
        ).values_list("pk", flat=True)
    )
    regions = list(Territory.objects.regions().values_list("pk", flat=True))
    return {
        "summary": SUMMARY,
        "terms": TERMS,
        "phase": ByColumn("phase_id"),
        "scale": ByColumn("scale_id"),
        "start_year": ByColumn("start_year"),
        "family_mask": ByColumn("family_mask"),
        "pairs": Pairs(missions, themes),
        "places": Places(areas),
        "matrix": PlacedTerms(regions, missions),
        "families": ACTOR_FAMILIES,
        "actor_types": ACTOR_TYPES,
        "roles": PARTNER_ROLES,
        "criteria": PIONEER_CRITERIA,
    }


@pytest.mark.parametrize("size", ["none", "one", "a few", "half", "all"])
def test_every_tally_counts_the_same_from_bitmaps_and_in_sql(seeded, size):
    ids = selections()[size]
    for name, tally in tallies().items():
        in_sql = engine.count_in_sql(ids, **{name: tally})[name]
        assert engine.count(ids, **{name: tally})[name] == in_sql, name
        assert (
            engine.count(Selection(snapshot().published & BitMap(ids)), **{name: tally})[name]
            == in_sql
        ), name


def test_the_whole_registry_counts_the_same(seeded):
    published = Case.objects.published().values("pk")
    for name, tally in tallies().items():
        assert (
            engine.count(PUBLISHED, **{name: tally})[name]
            == engine.count_in_sql(published, **{name: tally})[name]
        ), name


def test_a_selection_with_a_case_that_is_not_published_is_counted_in_sql(seeded):
    draft = Case.objects.filter(is_demo=True).exclude(status=CaseStatus.PUBLISHED).first()
    published = list(Case.objects.published().values_list("pk", flat=True)[:5])
    assert draft is not None
    counted = engine.count([*published, draft.pk], summary=SUMMARY)["summary"]
    assert counted["total"] == 6


def test_a_publication_and_an_archive_are_counted_at_once(client, seeded, moderator):
    """The bitmaps follow the registry version, which publishing and archiving move."""
    case = Case.objects.filter(status=CaseStatus.SUBMITTED, is_demo=True).first()
    assert case is not None
    before = snapshot().published
    total = len(before)
    case.publish(by=moderator)
    assert len(snapshot().published) == total + 1
    assert case.pk in snapshot().published
    case.refresh_from_db()
    case.archive(by=moderator, reason="test")
    assert len(snapshot().published) == total
    assert case.pk not in snapshot().published


def test_the_bitmaps_are_built_in_a_fixed_number_of_queries(seeded, django_assert_num_queries):
    """Eight, whatever the number of cases: the columns, the tags, the terms'
    parents, the places and the closure above them, the partners by actor type
    and role, then by organisation, the pioneer criteria."""
    with django_assert_num_queries(8):
        forget()
        snapshot()
    CaseFactory.create_batch(3)
    with django_assert_num_queries(8):
        forget()
        snapshot()


def test_a_count_reads_nothing_once_the_bitmaps_are_built(
    client, seeded, django_assert_num_queries
):
    """The search page with filters on every facet: the queries of the page, the
    text search's ids, and none for the counts."""
    url = "/experiences/?region=84&theme=emploi_insertion&actor=entreprise&phase=essaimage"
    client.get(url)
    snapshot()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    grouped = [q["sql"] for q in captured.captured_queries if "GROUP BY" in q["sql"]]
    assert grouped == []


def test_the_home_figures_read_nothing_once_the_bitmaps_are_built(client, seeded):
    """Its figures (cases, organisations, territories, the three families) from
    the bitmaps, with the cache of whole-registry counts emptied: what remains
    are the pioneers, the latest cases and the lists of themes and régions."""
    cache.clear()
    snapshot()
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/").content.decode()
    counted = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counted == []  # the organisations too, from the bitmaps
    assert len(captured) == 8
    published = Case.objects.published()
    partners = Organization.objects.filter(roster_entries__case__in=published).distinct()
    assert f">{published.count()}<" in page.replace("\u202f", "").replace("\xa0", "")
    assert str(partners.count()) in page


def home_organizations(client):
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/").content.decode()
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    found = re.search(r"<strong>([\d\u202f\xa0]+)</strong> organisations? partenaires?", page)
    return int(re.sub(r"\D", "", found.group(1)))


def test_the_home_counts_a_new_partner_at_once_from_the_bitmaps(client, seeded, moderator):
    """A publication bringing an organisation no published case had, then its
    archive: the home's count follows each, without a count in SQL."""
    def in_sql():
        published = Case.objects.published()
        return Organization.objects.filter(roster_entries__case__in=published).distinct().count()

    client.get("/")
    before = home_organizations(client)
    assert before == in_sql()
    case = Case.objects.filter(status=CaseStatus.SUBMITTED, is_demo=True).first()
    newcomer = OrganizationFactory(name="La Ressourcerie du Val")
    role = term("partner_role", "partenaire")
    CasePartner.objects.create(case=case, organization=newcomer, role=role)
    case.publish(by=moderator)

    assert home_organizations(client) == in_sql() > before
    case.refresh_from_db()
    case.archive(by=moderator, reason=ModerationReason.DUPLICATE)
    assert home_organizations(client) == before == in_sql()


TEXT_SEARCHES = [
    "/experiences/?q=insertion",
    "/experiences/?q=insertion&page=2",
    "/experiences/?q=insertion&page=4",
    "/experiences/?q=jeunes+mobilite&theme=emploi_insertion",
    "/experiences/?q=alliance&region=32&page=2",
    "/experiences/?q=insertion&sort=newest",
    "/en/experiences/?q=solidaire&actor=entreprise",
    "/experiences/?q=zzzzqqq",
    "/experiences/?q=-mobilite&page=2",  # only excluding: every other case, rank 0
]


@pytest.mark.parametrize("url", TEXT_SEARCHES)
def test_a_text_search_lists_its_results_in_the_order_it_listed_them_in_sql(
    client, seeded, url
):
    with_bitmaps = rendered(client, url)
    with override_settings(COUNT_WITH_BITMAPS=False):
        in_sql = rendered(client, url)
    assert with_bitmaps == in_sql


def ranking_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "registry_case"' in q["sql"] and ("ORDER BY" in q["sql"] or " IN (" in q["sql"])
    ]


def test_a_text_is_ranked_once_then_its_next_pages_and_facets_only_fetch_their_rows(
    client, seeded
):
    snapshot()
    first = ranking_queries(client, "/experiences/?q=insertion")
    # The cases whose title holds it (PostgreSQL; too few for a page here), then
    # every match ranked, then the page's rows.
    assert len(first) == (3 if connection.vendor == "postgresql" else 2)
    for url in ("/experiences/?q=insertion&page=2", "/experiences/?q=insertion&region=32"):
        (rows,) = ranking_queries(client, url)
        assert "IN (" in rows or "= ANY" in rows  # the page's cases by id, nothing else


def test_a_first_page_of_titles_holding_the_text_ranks_no_other_match(client):
    """The first page of « zéphyrine » comes from the cases whose title holds it
    (on PostgreSQL, from the index of the titles: the other matches' vectors
    are not read); the next page, which reaches the cases that only mention it,
    ranks every match. Both in the order SQL gives."""
    for n in range(25):
        CaseFactory(title=f"Le jardin zéphyrine n°{n}")
    for n in range(10):
        CaseFactory(title=f"L'atelier n°{n}", summary="Le jardin zéphyrine au pied des immeubles.")
    snapshot()
    url = "/experiences/?q=zephyrine"

    ranked = [q for q in ranking_queries(client, url) if "ORDER BY" in q]
    if connection.vendor == "postgresql":
        assert len(ranked) == 1 and "ts_filter" in ranked[0].split("WHERE", 1)[1]
    page = rendered(client, url)
    assert page.count("Le jardin zéphyrine n°") == 20 and "L&#x27;atelier n°" not in page
    then = rendered(client, url + "&page=2")
    assert then.count("Le jardin zéphyrine n°") == 5 and then.count("L&#x27;atelier n°") == 10
    with override_settings(COUNT_WITH_BITMAPS=False):
        assert rendered(client, url) == page
        assert rendered(client, url + "&page=2") == then


def test_a_case_published_is_found_by_a_text_searched_before(client, seeded, moderator):
    case = Case.objects.filter(status=CaseStatus.SUBMITTED, is_demo=True).first()
    word = case.title.split()[-1]
    url = f"/experiences/?q={word}"
    before = client.get(url).content.decode()
    assert case.title not in before  # not published yet, the text's matches kept
    case.publish(by=moderator)

    after = client.get(url).content.decode()
    assert case.title.replace("'", "&#x27;") in after


def same_snapshot(one, other):
    """Every bitmap of two snapshots, compared (their versions and ages aside)."""
    assert one.published == other.published
    assert one.columns == other.columns
    for name in ("pioneer", "ongoing", "all_three", "placed_territories"):
        assert getattr(one, name) == getattr(other, name), name
    assert one.organization_count() == other.organization_count()
    for name in MERGED:
        assert getattr(one, name) == getattr(other, name), name


def test_after_a_few_writes_the_bitmaps_are_updated_for_their_cases_as_built_afresh(
    seeded, moderator, django_assert_max_num_queries
):
    before = snapshot()
    submitted = list(Case.objects.filter(status=CaseStatus.SUBMITTED, is_demo=True)[:2])
    published = list(Case.objects.published().filter(is_demo=True).order_by("pk")[:3])
    submitted[0].publish(by=moderator)
    published[0].archive(by=moderator, reason=ModerationReason.DUPLICATE)
    criterion = Term.objects.filter(vocabulary__code="pioneer_criterion").first()
    published[1].feature(by=moderator, criteria=[criterion], reason="Un modèle.")
    published[2].terms.add(Term.objects.get(vocabulary__code="theme", code="sante"))
    published[2].case_territories.all().delete()
    refresh_case_index([published[2].pk])

    with django_assert_max_num_queries(8):
        updated = snapshot()

    assert updated is not before and updated.built_at == before.built_at  # not rebuilt
    assert submitted[0].pk in updated.published and published[0].pk not in updated.published
    assert published[1].pk in updated.pioneer and published[1].pk not in before.pioneer
    assert submitted[0].pk not in before.published  # the snapshot held is left as it was
    same_snapshot(updated, Snapshot.build())


def test_a_write_that_changes_more_than_cases_builds_the_bitmaps_again(seeded):
    before = snapshot()
    bump_registry_version()  # a label, a territory, a vocabulary
    after = snapshot()
    assert after.built_at > before.built_at
    same_snapshot(after, before)


def test_bitmaps_past_their_age_count_at_once_and_are_built_again_behind(
    client, seeded, django_assert_num_queries
):
    """Past `MAX_AGE` the snapshot held still counts, and a thread builds the next
    (what catches up a write that forgot the version): no visitor waits for it."""
    held = snapshot()
    held.built_at -= bitmaps.MAX_AGE + 1
    with django_assert_num_queries(0):
        assert snapshot() is held
    bitmaps.wait_for_rebuild()

    rebuilt = snapshot()
    assert rebuilt is not held and rebuilt.version == held.version and rebuilt.is_young()
    same_snapshot(rebuilt, Snapshot.build())
    with django_assert_num_queries(0):
        assert snapshot() is rebuilt  # one build, not one per request


def test_the_texts_kept_stay_within_their_budget_and_list_the_same_results(
    client, seeded, monkeypatch
):
    monkeypatch.setattr(text_search, "TEXTS_KEPT_IDS", 40)
    text_search.forget_texts()
    for url in ("/experiences/?q=-zzzzqqq", "/experiences/?q=insertion", "/experiences/?q=jeunes"):
        assert client.get(url).status_code == 200
        assert sum(len(ids) for ids in text_search._texts.values()) <= 40
    url = "/experiences/?q=-zzzzqqq&page=3"  # every published case: never kept
    with_bitmaps = rendered(client, url)
    with override_settings(COUNT_WITH_BITMAPS=False):
        assert rendered(client, url) == with_bitmaps


@pytest.mark.parametrize(
    "url",
    [
        "/experiences/?region=32&practice=copilotage",
        "/experiences/?region=84&sort=title",
        "/experiences/?region=84&sort=oldest&page=2",
    ],
)
def test_a_filtered_page_lists_its_cases_by_id_not_by_its_filters(client, seeded, url):
    listed_by_id_as_by_its_filters(client, url, rendered_once)


def listed_by_id_as_by_its_filters(client, url, read):
    """`read(client, url)` reads the cases of `url` by id (no query of theirs
    walks the territories' closure) and gives what it gives counting in SQL."""
    assert client.get(url).status_code == 200  # the bitmaps of this version built
    with CaptureQueriesContext(connection) as captured:
        with_bitmaps = read(client, url)
    listing = [q["sql"] for q in captured if 'FROM "registry_case"' in q["sql"]]
    assert listing and not any("territorylink" in sql for sql in listing)
    with override_settings(COUNT_WITH_BITMAPS=False):
        assert read(client, url) == with_bitmaps


def rendered_once(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return RANDOM.sub("", response.content.decode())


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/exports/cases.csv?region=84&theme=emploi_insertion",
        "/api/v1/exports/cases.json?region=32&practice=copilotage",
        "/api/v1/exports/cases.geojson?departement=59",
        "/experiences/export.csv?region=84&sort=title",
    ],
)
def test_an_export_reads_its_selection_by_id_and_writes_what_its_filters_select(
    client, seeded, url
):
    listed_by_id_as_by_its_filters(client, url, downloaded)  # the rows stored first


def downloaded(client, url):
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    return re.sub(r'"generated_at":"[^"]*"', "", body)
