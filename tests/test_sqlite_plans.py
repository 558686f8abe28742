"""On SQLite, the counts by territory go up the territory closure from the
selection's places, never down from the territories they count.

Walking down from every région and département (to every commune of France)
and probing the selection for each is the plan SQLite's planner chose by
itself: 32 s for the search page on 3 000 cases, where going up from the
cases' places takes 0.1 s. A timing would not fail on a test database of a
few cases; the plan of each query, read with EXPLAIN QUERY PLAN, does.

PostgreSQL counts from the cases' facet keys and has no such query.
"""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from tests.factories import CaseFactory, OrganizationFactory, term, territory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own planner"),
]

CLOSURE = "territories_territorylink"
# The selection's own subqueries (a région filter walks down from that one
# région to find its cases: that is the selection, not a count).
SELECTION_SUBTREES = ("LIST SUBQUERY", "MATERIALIZE selection", "SCALAR SUBQUERY")

SELECTION = 24
PAGES = [
    "/experiences/",
    "/experiences/?region=32",
    "/experiences/?departement=59&theme=sante",
    "/territoires/",
    "/territoires/region/32/",
    "/territoires/departement/59/",
    "/territoires/epci/200093201/",
    "/referentiel/practice/experimentations/",
    "/referentiel/actor_type/collectivite/",
    "/observatoire/",
    "/observatoire/?region=32",
    "/observatoire/couverture/",
    "/observatoire/comparer/?a-region=32&b-region=11",
]


@pytest.fixture
def cases():
    """Enough published cases for the planner to weigh a list of their ids as
    more than a handful (from about 20, SQLite's own plan walked down the closure)."""
    lille, roubaix, paris = (
        territory("commune", "59350"),
        territory("commune", "59512"),
        territory("commune", "75056"),
    )
    partners = [OrganizationFactory(seat=lille), OrganizationFactory(seat=paris)]
    for number in range(SELECTION):
        places = [[lille], [lille, roubaix], [paris]][number % 3]
        CaseFactory(
            title="Alliance de Paris" if places == [paris] else "Alliance du Nord",
            places=places,
            tags=[term("theme", "sante"), term("practice", "copilotage")],
            partners=partners,
        )


def plan(sql):
    """EXPLAIN QUERY PLAN of a captured query: [(depth, detail)], in order."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        rows = cursor.fetchall()
    depth = {0: -1}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append((depth[node], detail))
    return lines


def walks_down_the_closure(sql):
    """The lines of the plan, outside the selection's subqueries, that read the
    territory closure from an ancestor (`territorylink_down (ancestor_id=?)`)."""
    found, skipping_below = [], None
    for depth, detail in plan(sql):
        if skipping_below is not None and depth > skipping_below:
            continue
        skipping_below = depth if detail.startswith(SELECTION_SUBTREES) else None
        if skipping_below is None and "(ancestor_id=?" in detail:
            found.append(detail)
    return found


def counting_queries(client, url):
    """The queries of a page (cache empty) that count by territory, in SQL: what
    counts the selections the registry's bitmaps do not hold."""
    cache.clear()
    with override_settings(COUNT_WITH_BITMAPS=False), CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [
        query["sql"]
        for query in captured.captured_queries
        if CLOSURE in query["sql"] and "GROUP BY" in query["sql"]
    ]


@pytest.mark.parametrize("url", PAGES)
def test_counts_by_territory_start_from_the_selection(client, cases, url):
    queries = counting_queries(client, url)
    assert queries, f"{url} counts nothing by territory: is this test still looking?"
    for sql in queries:
        assert walks_down_the_closure(sql) == [], sql


def visible_text(client, url):
    html = client.get(url).content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def shows_count(text, name, count):
    """« Nord (59) (16) », « Nord (59) 16 expériences »: the name, then its count."""
    return re.search(rf"{re.escape(name)} \(?{count}\b", text) is not None


def test_the_pages_still_show_the_counts_by_territory(client, cases):
    """16 cases in Lille (8 of them also in Roubaix), 8 in Paris."""
    search = visible_text(client, "/experiences/")
    for name, count in [("Hauts-de-France", 16), ("Île-de-France", 8), ("Nord (59)", 16)]:
        assert shows_count(search, name, count), name
    region = visible_text(client, "/territoires/region/32/")
    for name, count in [("Nord (59)", 16), ("Lille (59)", 16), ("Roubaix (59)", 8)]:
        assert shows_count(region, name, count), name


@pytest.mark.parametrize("url", ["/", "/experiences-pionnieres/"])
def test_the_latest_pioneers_are_read_in_the_order_of_their_index(client, url):
    for _ in range(4):
        CaseFactory(is_pioneer=True)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    (listed,) = [
        q["sql"]
        for q in captured.captured_queries
        if '"is_pioneer"' in q["sql"] and '"pioneer_at" DESC' in q["sql"] and "LIMIT" in q["sql"]
    ]
    details = [detail for _depth, detail in plan(listed)]
    assert any("case_pioneers_latest" in detail for detail in details), details
    assert not any("TEMP B-TREE" in detail for detail in details), details
