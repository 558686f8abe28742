"""The search page: full text in French, facets with live counts, roll-up across
territory levels, validation, and only published cases, ever."""

import re

import pytest
from django.db import connection
from django.db.models import Count
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from registry.models import CaseStatus
from registry.search.filters import CaseFilter
from territories.models import Territory, TerritoryLink
from tests.factories import CaseFactory, OrganizationFactory, term, territory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="French stemming needs PostgreSQL"
)


def result_titles(client, query):
    response = client.get("/experiences/?" + query)
    assert response.status_code == 200
    return {case.title for case in response.context["page"].object_list}


def ids(query):
    return set(CaseFilter(QueryDict(query)).qs.values_list("pk", flat=True))


@pytest.fixture
def lille_case():
    return CaseFactory(
        title="Éducation et collectivités : la cité éducative de Lille",
        summary="Les collectivités, les entreprises et les associations pour la jeunesse.",
        places=[territory("commune", "59350")],
        tags=[term("theme", "education_jeunesse"), term("practice", "copilotage")],
    )


@pytest.fixture
def lyon_case():
    return CaseFactory(
        title="Mobilité solidaire à Lyon",
        summary="Un garage solidaire pour les personnes en insertion professionnelle.",
        places=[territory("commune", "69123")],
        tags=[term("theme", "mobilite"), term("practice", "incubation")],
    )


def test_words_typed_without_accents_find_accented_text(client, lille_case, lyon_case):
    assert result_titles(client, "q=education") == {lille_case.title}
    assert result_titles(client, "q=EDUCATION") == {lille_case.title}
    assert result_titles(client, "q=collectivite") == {lille_case.title}
    assert result_titles(client, "q=mobilite") == {lyon_case.title}


def test_partner_and_territory_names_are_searched(client, lille_case, lyon_case):
    partner = OrganizationFactory(name="Garage Solidaire du Rhône")
    lyon_case.roster.create(organization=partner, role=term("partner_role", "porteur"))
    from registry.models.index import refresh_case_index

    refresh_case_index([lyon_case.pk])
    assert result_titles(client, "q=rhone") == {lyon_case.title}
    assert result_titles(client, "q=lille") == {lille_case.title}


def test_a_minus_sign_excludes_a_word_and_quotes_keep_a_phrase(client, lille_case, lyon_case):
    assert result_titles(client, "q=solidaire+-garage") == set()
    assert result_titles(client, 'q="garage solidaire"') == {lyon_case.title}
    assert result_titles(client, 'q="solidaire garage"') == set()


@on_postgresql
def test_french_stemming_finds_other_forms_of_a_word(client, lyon_case):
    assert result_titles(client, "q=insertions") == {lyon_case.title}
    assert result_titles(client, "q=solidaires") == {lyon_case.title}


@on_postgresql
def test_matching_words_are_highlighted_in_the_results(client, lyon_case):
    response = client.get("/experiences/?q=garage")
    assert "<mark>garage</mark>" in response.content.decode()


@on_postgresql
def test_results_are_ranked_by_relevance(client):
    weak = CaseFactory(title="Un projet", summary="On y parle un peu de logement.")
    strong = CaseFactory(title="Logement d'abord", summary="Logement pour tous, logement digne.")
    response = client.get("/experiences/?q=logement")
    titles = [case.title for case in response.context["page"].object_list]
    assert titles == [strong.title, weak.title]


def test_a_commune_case_is_found_from_its_epci_departement_and_region(client, lille_case):
    assert ids("commune=59350") == {lille_case.pk}
    assert ids("epci=200093201") == {lille_case.pk}
    assert ids("departement=59") == {lille_case.pk}
    assert ids("region=32") == {lille_case.pk}
    assert ids("region=84") == set()
    assert ids("departement=62") == set()


def test_an_epci_case_is_found_from_every_region_it_covers(client):
    straddling = (
        TerritoryLink.objects.filter(descendant__kind="epci", ancestor__kind="region")
        .values("descendant")
        .annotate(n=Count("ancestor"))
        .filter(n__gte=2)
        .order_by("descendant")
        .values_list("descendant", flat=True)
        .first()
    )
    epci = Territory.objects.get(pk=straddling)
    regions = list(Territory.objects.containing(epci).filter(kind="region"))
    case = CaseFactory(places=[epci])
    for region in regions:
        assert ids(f"region={region.code}") == {case.pk}


def test_facets_combine_and_values_within_a_facet_add_up(client, lille_case, lyon_case):
    assert ids("theme=mobilite&region=84") == {lyon_case.pk}
    assert ids("theme=mobilite&region=32") == set()
    assert ids("theme=mobilite&theme=education_jeunesse") == {lille_case.pk, lyon_case.pk}


def test_a_metier_finds_the_cases_tagged_with_its_missions(lille_case, lyon_case):
    assert ids("practice=experimentations") == {lille_case.pk}
    assert ids("practice=accompagnements") == {lyon_case.pk}


def test_the_three_families_filter(client):
    partners = [
        OrganizationFactory(actor_type=term("actor_type", "commune")),
        OrganizationFactory(actor_type=term("actor_type", "entreprise")),
        OrganizationFactory(actor_type=term("actor_type", "association")),
    ]
    three = CaseFactory(partners=partners)
    two = CaseFactory(partners=partners[:2])
    assert ids("families=all") == {three.pk}
    assert ids("actor=entreprise") == {three.pk, two.pk}
    assert ids("actor=collectivite") == {three.pk, two.pk}


def test_years_pioneer_and_ongoing_filters():
    old = CaseFactory(start_year=2010, end_year=2014)
    recent = CaseFactory(start_year=2021, end_year=None, is_pioneer=True)
    assert ids("year_min=2015") == {recent.pk}
    assert ids("year_max=2015") == {old.pk}
    assert ids("ongoing=yes") == {recent.pk}
    assert ids("ongoing=no") == {old.pk}
    assert ids("pioneer=true") == {recent.pk}


def test_facet_counts_match_the_results_they_lead_to(client, lille_case, lyon_case):
    CaseFactory(places=[territory("commune", "59350")], tags=[term("theme", "mobilite")])
    response = client.get("/experiences/?region=32")
    facets = response.context["facets"]
    for option in facets["theme"].options:
        if option.count:
            assert option.count == len(ids(f"region=32&theme={option.code}")), option.code
    region_counts = {o.code: o.count for o in facets["region"].options}
    assert region_counts["32"] == 2 and region_counts["84"] == 1


def test_sorting_by_title_and_date(client):
    CaseFactory(title="Zèbres solidaires")
    CaseFactory(title="Abeilles du quartier")
    CaseFactory(title="Égalité des chances")
    response = client.get("/experiences/?sort=title")
    titles = [case.title for case in response.context["page"].object_list]
    if connection.vendor == "postgresql":
        assert titles == ["Abeilles du quartier", "Égalité des chances", "Zèbres solidaires"]
    else:
        assert titles[0] == "Abeilles du quartier"
    newest = client.get("/experiences/?sort=newest").context["page"].object_list
    oldest = client.get("/experiences/?sort=oldest").context["page"].object_list
    assert list(newest) == list(reversed(list(oldest)))


@pytest.mark.parametrize(
    "query, message",
    [
        ("theme=inconnu", "Code inconnu\u00a0: inconnu"),
        ("region=9Z", "Code mal formé\u00a0: 9Z"),
        ("year_min=deux-mille", "nombre"),
        ("year_min=2020&year_max=2010", "précède"),
        ("sort=hasard", "hasard"),
        ("ongoing=peut-etre", "peut-etre"),
    ],
)
def test_invalid_filter_values_give_a_message_never_an_error(client, lille_case, query, message):
    response = client.get("/experiences/?" + query)
    assert response.status_code == 200
    assert any(message in error for error in response.context["errors"]), response.context["errors"]


def test_a_valid_filter_still_applies_beside_an_invalid_one(client, lille_case, lyon_case):
    assert result_titles(client, "theme=mobilite&region=9Z") == {lyon_case.title}


def test_a_well_formed_code_of_no_territory_selects_nothing_and_its_chip_removes_it(
    client, lille_case
):
    response = client.get("/experiences/?region=00&pioneer=")
    assert response.status_code == 200
    assert response.context["figures"]["total"] == 0
    chips = response.context["chips"]
    assert [chip["label"] for chip in chips] == ["Région\u00a0: 00 (code inconnu)"]
    assert chips[0]["url"] == "?pioneer="


def test_unpublished_cases_never_appear_in_results_counts_or_home_figures(
    client, lille_case, contributor
):
    for status in set(CaseStatus.values) - {CaseStatus.PUBLISHED}:
        CaseFactory(
            title=f"Cachée {status}",
            status=status,
            owner=contributor,
            places=[territory("commune", "59350")],
            tags=[term("theme", "education_jeunesse")],
        )
    client.force_login(contributor)
    response = client.get("/experiences/?q=cachee")
    assert response.context["figures"]["total"] == 0
    response = client.get("/experiences/?region=32")
    assert response.context["figures"]["total"] == 1
    theme = {o.code: o.count for o in response.context["facets"]["theme"].options}
    assert theme["education_jeunesse"] == 1
    home = client.get("/")
    assert home.context["figures"]["total"] == 1
    assert "Cachée" not in home.content.decode()


def test_an_unpublished_case_page_is_a_404_for_visitors_and_other_contributors(
    client, contributor, other_contributor, moderator
):
    draft = CaseFactory(status=CaseStatus.DRAFT, owner=contributor)
    url = draft.get_absolute_url()
    assert client.get(url).status_code == 404
    client.force_login(other_contributor)
    assert client.get(url).status_code == 404
    client.force_login(contributor)
    assert client.get(url).status_code == 200
    client.force_login(moderator)
    response = client.get(url)
    assert response.status_code == 200 and "noindex" in response.content.decode()


def test_similar_cases_are_published_and_share_tags(client, lille_case):
    twin = CaseFactory(
        places=[territory("commune", "59009")], tags=[term("theme", "education_jeunesse")]
    )
    hidden = CaseFactory(
        status=CaseStatus.DRAFT,
        places=[territory("commune", "59350")],
        tags=[term("theme", "education_jeunesse")],
    )
    response = client.get(lille_case.get_absolute_url())
    similar = response.context["similar"]
    assert twin in similar and hidden not in similar


def test_the_case_page_shows_the_roster_by_family_and_json_ld(client, lille_case):
    response = client.get(lille_case.get_absolute_url())
    page = response.content.decode()
    assert "application/ld+json" in page
    assert "Collectivité territoriale" in page and "Association" in page
    families = re.findall(r"<h3>([^<]+)</h3>", page)
    assert families[:2] == ["Collectivité territoriale", "Association"]


def test_the_contact_email_is_never_shown(client):
    case = CaseFactory(contact_email="secret.contact@example.org")
    assert "secret.contact" not in client.get(case.get_absolute_url()).content.decode()
    assert "secret.contact" not in client.get("/experiences/").content.decode()


def test_htmx_requests_get_only_the_search_zone(client, lille_case):
    response = client.get("/experiences/?theme=education_jeunesse", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and 'id="search-form"' in html


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


@pytest.mark.parametrize(
    "url",
    [
        "/experiences/",
        "/experiences/?q=alliance&theme=sante&region=32",
        "/experiences/?departement=59&practice=copilotage&sort=title",
        "/",
        "/experiences-pionnieres/",
    ],
)
def test_list_pages_run_a_fixed_number_of_queries(client, url):
    tags = [term("theme", "sante"), term("practice", "copilotage")]
    for _ in range(2):
        CaseFactory(tags=tags, is_pioneer=True)
    few = count_queries(client, url)
    for _ in range(6):
        CaseFactory(tags=tags, is_pioneer=True, places=[territory("commune", "59009")])
    assert count_queries(client, url) == few


def test_the_case_page_runs_a_fixed_number_of_queries(client, lille_case):
    few = count_queries(client, lille_case.get_absolute_url())
    for _ in range(5):
        CaseFactory(tags=[term("theme", "education_jeunesse")])
    assert count_queries(client, lille_case.get_absolute_url()) <= few + 2
