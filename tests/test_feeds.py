"""Atom and RSS feeds of newly published cases, filtered like the search page."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.http import QueryDict
from django.utils import timezone

from registry.models import CaseStatus
from registry.opendata.feeds import FEED_ITEMS
from registry.search.filters import CaseFilter
from tests.factories import CaseFactory, term, territory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def atom_titles(client, query=""):
    response = client.get(f"/flux/atom/?{query}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    return [entry.find(f"{ATOM}title").text for entry in feed.findall(f"{ATOM}entry")]


@pytest.fixture
def cases():
    now = timezone.now()
    return [
        CaseFactory(
            title="Ancienne alliance lilloise",
            places=[territory("commune", "59350")],
            tags=[term("theme", "mobilite")],
            published_at=now - timedelta(days=3),
        ),
        CaseFactory(
            title="Récente alliance lyonnaise",
            places=[territory("commune", "69123")],
            tags=[term("theme", "mobilite")],
            published_at=now - timedelta(days=1),
        ),
        CaseFactory(
            title="Alliance bretonne pour l'éducation",
            places=[territory("region", "53")],
            tags=[term("theme", "education_jeunesse")],
            published_at=now - timedelta(days=2),
        ),
    ]


def test_the_atom_feed_lists_published_cases_newest_first(client, cases):
    CaseFactory(title="Brouillon", status=CaseStatus.DRAFT)
    assert atom_titles(client) == [
        "Récente alliance lyonnaise",
        "Alliance bretonne pour l'éducation",
        "Ancienne alliance lilloise",
    ]


@pytest.mark.parametrize("query", ["region=32", "theme=mobilite", "theme=mobilite&departement=69"])
def test_a_feed_is_filtered_like_the_search_page(client, cases, query):
    expected = set(CaseFilter(QueryDict(query)).qs.values_list("title", flat=True))
    assert set(atom_titles(client, query)) == expected
    assert atom_titles(client, query)


def test_the_feed_title_names_its_filters(client, cases):
    feed = ElementTree.fromstring(client.get("/flux/atom/?region=32").content)
    assert "Hauts-de-France" in feed.find(f"{ATOM}title").text
    link = feed.find(f"{ATOM}link[@rel='alternate']").get("href")
    assert link.endswith("/experiences/?region=32")


def test_the_rss_feed_is_valid_rss_with_categories(client, cases):
    response = client.get("/flux/rss/?theme=education_jeunesse")
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ElementTree.fromstring(response.content).find("channel")
    (item,) = channel.findall("item")
    assert item.find("title").text == "Alliance bretonne pour l'éducation"
    assert item.find("pubDate").text
    assert [c.text for c in item.findall("category")] == [
        term("theme", "education_jeunesse").label_fr
    ]


def test_an_english_feed_has_english_labels(client, cases):
    channel = ElementTree.fromstring(client.get("/en/flux/rss/?theme=mobilite").content)
    assert term("theme", "mobilite").label_en in channel.find("channel/title").text


def test_an_unknown_code_is_a_400_not_an_empty_feed(client):
    response = client.get("/flux/atom/?theme=nope")
    assert response.status_code == 400 and "nope" in response.content.decode()


def test_a_feed_holds_at_most_fifty_entries(client):
    for _ in range(FEED_ITEMS + 2):
        CaseFactory()
    assert len(atom_titles(client)) == FEED_ITEMS


def test_every_page_announces_the_atom_feed(client):
    page = client.get("/").content.decode()
    assert '<link rel="alternate" type="application/atom+xml"' in page
    assert 'href="/flux/atom/"' in page
