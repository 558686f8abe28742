"""The search box knows the site's own words: the territories a case lies in, the
labels of its tags (French and English), French plurals, typos, synonyms; and
it ranks a title that says the query above words scattered elsewhere."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.models import CaseStatus
from tests.factories import CaseFactory, OrganizationFactory, term, territory

pytestmark = pytest.mark.django_db

on_sqlite = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="word prefixes are the SQLite word index's"
)
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's ranking of the French vector"
)


def page(client, query, language=""):
    response = client.get(f"{language}/experiences/?{query}")
    assert response.status_code == 200
    return response.content.decode()


def titles(html):
    return [unescape(t) for t in re.findall(r'<h3><a href="[^"]+">([^<]+)</a></h3>', html)]


def text_of(html):
    """The text a reader sees, spaces collapsed (non-breaking ones kept)."""
    inline = re.sub(r"</?(?:a|span|strong|em|mark)\b[^>]*>", "", html)
    text = unescape(re.sub(r"<[^>]+>", " ", inline))
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def found(client, query, language=""):
    return set(titles(page_of(client, {"q": query}, language)))


def page_of(client, params, language=""):
    response = client.get(f"{language}/experiences/", params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def toulouse_case():
    """A case in a commune of Occitanie whose texts never name the région, the
    département or the métropole, tagged « Sécurité et prévention »."""
    return CaseFactory(
        title="Médiation de nuit aux Minimes",
        summary="Des médiateurs parcourent le quartier chaque soir.",
        places=[territory("commune", "31555")],
        tags=[term("theme", "securite"), term("practice", "copilotage")],
    )


@pytest.fixture
def lille_case():
    return CaseFactory(
        title="Jardin partagé de Fives",
        summary="Des habitants cultivent une friche.",
        places=[territory("commune", "59350")],
        tags=[term("theme", "environnement")],
    )


# Places -------------------------------------------------------------------------------


def test_a_region_name_finds_the_cases_of_every_commune_of_the_region(
    client, toulouse_case, lille_case
):
    by_filter = set(titles(page_of(client, {"region": "76"})))
    assert by_filter == {toulouse_case.title}
    assert found(client, "Occitanie") >= by_filter
    assert found(client, "occitanie") == {toulouse_case.title}
    assert found(client, "Haute-Garonne") == {toulouse_case.title}
    assert found(client, "Toulouse Métropole") == {toulouse_case.title}
    assert found(client, "Hauts-de-France") == {lille_case.title}


def test_a_typed_region_is_offered_as_a_filter_with_its_count(client, toulouse_case, lille_case):
    CaseFactory(title="Autre cas toulousain", places=[territory("commune", "31555")])
    html = page_of(client, {"q": "Occitanie"})
    assert "Filtrer sur la région Occitanie\u00a02" in text_of(html)
    link = re.search(r'<a href="([^"]+)">Filtrer sur la région Occitanie', html).group(1)
    assert unescape(link) == "?region=76"
    assert len(titles(page(client, "region=76"))) == 2


def test_the_other_words_of_the_query_stay_in_the_offered_filter(client, toulouse_case):
    html = page_of(client, {"q": "médiation Occitanie"})
    link = re.search(r'<a href="([^"]+)">Filtrer sur la région Occitanie', html).group(1)
    assert unescape(link) == "?q=m%C3%A9diation&region=76"


def test_a_theme_label_is_offered_as_a_filter(client, toulouse_case):
    html = page_of(client, {"q": "sécurité"})
    assert "Filtrer sur le thème Sécurité et prévention\u00a01" in text_of(html)
    assert 'href="?theme=securite"' in html


# Vocabularies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["sécurité", "securite", "SÉCURITÉ", "Sécurité et prévention", '"sécurité et prévention"'],
)
def test_a_theme_label_finds_the_cases_of_the_theme(client, toulouse_case, lille_case, query):
    assert found(client, query) == {toulouse_case.title}


def test_a_practice_is_found_by_its_label_and_its_metier(client, toulouse_case):
    assert found(client, "co-pilotage") == {toulouse_case.title}
    assert found(client, "expérimentations collectives") == {toulouse_case.title}


def test_the_english_labels_are_searched_on_the_english_page(client, toulouse_case, lille_case):
    assert found(client, "safety", language="/en") == {toulouse_case.title}
    assert found(client, "ecological transition", language="/en") == {lille_case.title}


# Typos --------------------------------------------------------------------------------


@pytest.fixture
def insertion_case():
    return CaseFactory(
        title="Chantier école",
        summary="Un chantier d'insertion avec des partenariats locaux contre l'illectronisme.",
    )


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("insertoin", "insertion"),
        ("partenaraits", "partenariats"),
        ("ilectronisme", "illectronisme"),
    ],
)
def test_a_mistyped_word_gets_a_correction_that_finds_cases(client, insertion_case, typed, meant):
    html = page_of(client, {"q": typed})
    assert titles(html) == []
    assert f"Vouliez-vous dire\u00a0: {meant}\u00a0?" in text_of(html)
    link = re.search(r'Vouliez-vous dire\u00a0: <a href="([^"]+)">', html).group(1)
    assert unescape(link) == f"?q={meant}"
    assert titles(page(client, unescape(link)[1:])) == [insertion_case.title]


def test_a_correction_keeps_the_other_words_and_filters(client, insertion_case):
    html = page_of(client, {"q": "chantier insertoin", "year_min": "", "year_max": "2030"})
    link = re.search(r'Vouliez-vous dire\u00a0: <a href="([^"]+)">', html).group(1)
    assert unescape(link) == "?q=chantier+insertion&year_max=2030"


def test_no_correction_is_offered_from_words_only_unpublished_cases_hold(client, contributor):
    CaseFactory(status=CaseStatus.DRAFT, owner=contributor, summary="Le xylophone du quartier.")
    html = page_of(client, {"q": "xylophonne"})
    assert "Vouliez-vous dire" not in html and "xylophone" not in html


def test_nothing_near_means_no_correction(client, insertion_case):
    assert "Vouliez-vous dire" not in page_of(client, {"q": "zqwxv"})


# The empty state ----------------------------------------------------------------------


def test_the_empty_state_names_the_query_offers_the_correction_and_the_filters_to_relax(
    client,
):
    CaseFactory(summary="Un garage d'insertion.", tags=[term("theme", "mobilite")])
    html = page_of(client, {"q": "insertoin", "theme": "mobilite"})
    text = text_of(html)
    assert "Aucune expérience ne correspond à la recherche «\u00a0insertoin\u00a0»." in text
    assert "Vouliez-vous dire\u00a0: insertion\u00a0?" in text
    empty = text_of(re.search(r'<div class="empty-state">(.*?)</div>\s*</section>', html, re.S)[1])
    assert "Essayez de retirer un filtre\u00a0: Thème\u00a0: Mobilité" in empty
    assert "Recherche : insertoin" not in empty
    assert "sans la recherche «\u00a0insertoin\u00a0»" in empty


def test_the_exports_of_nothing_are_not_offered(client, insertion_case):
    empty = page_of(client, {"q": "insertoin"})
    for export in ("/export.csv", "/export.json", "/export.geojson", "Exporter cette sélection"):
        assert export not in empty
    assert "Exporter cette sélection" in page_of(client, {"q": "insertion"})


# French words -------------------------------------------------------------------------


def test_singular_and_plural_meet(client):
    garage = CaseFactory(title="Mobilité à Rodez", summary="Un garage solidaire répare.")
    cite = CaseFactory(title="Réussite à Nîmes", summary="La cité éducative fédère les écoles.")
    lieu = CaseFactory(title="Fabrique à Figeac", summary="Un tiers-lieu ouvre ses portes.")
    assert found(client, "garages solidaires") == {garage.title}
    assert found(client, "cités éducatives") == {cite.title}
    assert found(client, "tiers-lieux") == {lieu.title}
    assert found(client, "tiers-lieu") == {lieu.title}


def test_a_word_is_never_found_inside_another(client):
    network = CaseFactory(title="Adhésion au RTES", summary="La ville rejoint le réseau.")
    CaseFactory(title="Journées portes ouvertes", summary="Des cartes et des fêtes.")
    assert found(client, "RTES") == {network.title}
    assert found(client, "a") == set()
    assert found(client, "art") == set()


@pytest.mark.parametrize(
    "url",
    [
        "/experiences/?q=a",
        "/en/experiences/?q=le+la",
        "/observatoire/?q=a",
        "/observatoire/couverture/?q=a",
        "/observatoire/comparer/?a-q=a&b-q=le",
        "/api/v1/cases/?q=a",
        "/api/v1/exports/cases.csv?q=a",
        "/experiences/export.xlsx?q=a",
    ],
)
def test_a_query_of_stop_words_finds_nothing_and_breaks_no_page(client, url):
    """« a » or « le la » leave nothing to look for: an empty selection, not a 500
    (the counting queries once compiled `none()` to SQL and failed)."""
    CaseFactory(title="Adhésion au RTES", summary="La ville rejoint le réseau.")
    response = client.get(url)
    assert response.status_code == 200
    if url.startswith("/api/v1/cases/"):
        assert response.json()["count"] == 0


@on_sqlite
def test_the_start_of_a_word_finds_the_word(client, insertion_case):
    assert found(client, "parten") == {insertion_case.title}
    assert found(client, "illectro") == {insertion_case.title}


# Synonyms -----------------------------------------------------------------------------


def test_an_abbreviation_finds_its_full_name_and_back(client):
    tzcld = CaseFactory(
        title="Entreprise à but d'emploi",
        summary="Le territoire est habilité Territoires zéro chômeur de longue durée.",
    )
    epci = CaseFactory(title="Plan vélo", summary="L'EPCI finance les pistes cyclables.")
    ess = CaseFactory(title="Pôle de Lorient", summary="Un PTCE réunit les acteurs de l'ESS.")
    assert found(client, "TZCLD") == {tzcld.title}
    assert found(client, "intercommunalité") == {epci.title}
    assert found(client, "économie sociale et solidaire") == {ess.title}
    assert found(client, '"pôle territorial de coopération économique"') == {ess.title}


# Ranking ------------------------------------------------------------------------------


def test_a_title_that_starts_with_the_query_comes_before_scattered_words(client):
    """The issue's shape: two words that start a title, among cases of the same
    région where they are scattered over the summary, a partner's name and the
    description (PostgreSQL's cover density alone ranked those first)."""
    brittany = territory("commune", "35238")
    for number in range(8):
        CaseFactory(
            title=f"Réseau d'entraide n°{number}",
            summary=(
                "Garage et atelier solidaire. Un garage associatif et solidaire. "
                "Le garage du quartier, solidaire."
            ),
            description="Le garage est solidaire. Un garage ouvert et solidaire.",
            places=[brittany],
            partners=[OrganizationFactory(name=f"Garage Martin et Cie n°{number}")],
        )
    titled = CaseFactory(
        title="Garage solidaire du pays de Rennes",
        summary="Des réparations à prix coûtant.",
        places=[brittany],
    )
    ranked = titles(page_of(client, {"q": "garage solidaire", "region": "53"}))
    assert len(ranked) == 9
    assert ranked[0] == titled.title


def test_a_title_holding_every_word_outranks_a_summary_holding_them(client):
    CaseFactory(
        title="Un projet",
        summary="Le logement d'abord : un logement digne, un logement durable, un logement à soi.",
    )
    titled = CaseFactory(title="Accès au logement", summary="Une alliance locale.")
    assert titles(page_of(client, {"q": "logement"}))[0] == titled.title


# The API ------------------------------------------------------------------------------


def test_the_api_finds_what_the_page_finds(client, toulouse_case, lille_case):
    for query in ("Occitanie", "sécurité", "safety", "co-pilotage"):
        response = client.get("/api/v1/cases/", {"q": query})
        assert response.status_code == 200
        api = {case["title"] for case in response.json()["results"]}
        assert api == found(client, query) == {toulouse_case.title}, query


# Query counts -------------------------------------------------------------------------


def count_queries(client, params):
    with CaptureQueriesContext(connection) as context:
        page_of(client, params)
    return len(context)


@pytest.mark.parametrize(
    "params",
    [{"q": "Occitanie"}, {"q": "insertoin"}, {"q": "insertoin", "theme": "mobilite"}],
)
def test_search_help_runs_a_fixed_number_of_queries(client, insertion_case, params):
    for _ in range(2):
        CaseFactory(places=[territory("commune", "31555")])
    few = count_queries(client, params)
    for _ in range(6):
        CaseFactory(places=[territory("commune", "31555")], summary="Une insertion.")
    CaseFactory(places=[territory("commune", "31555")], tags=[term("theme", "mobilite")])
    assert count_queries(client, params) == few
