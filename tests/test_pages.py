"""Territory, référentiel and organisation pages, sitemap and robots.txt: only
published cases, roll-up across levels, fixed numbers of queries."""

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from registry.models import CaseStatus
from territories.models import Territory, TerritoryLink
from tests.factories import CaseFactory, OrganizationFactory, term, territory

pytestmark = pytest.mark.django_db
HIDDEN = [s for s in CaseStatus.values if s != CaseStatus.PUBLISHED]


@pytest.fixture
def lille_cases(contributor):
    published = CaseFactory(
        title="Alliance publiée de Lille",
        places=[territory("commune", "59350")],
        tags=[term("theme", "sante"), term("practice", "copilotage")],
    )
    hidden = [
        CaseFactory(
            title=f"Cachée {status}",
            status=status,
            owner=contributor,
            places=[territory("commune", "59350")],
            tags=[term("theme", "sante")],
        )
        for status in HIDDEN
    ]
    return published, hidden


def page_text(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/territoires/commune/59350/",
        "/territoires/epci/200093201/",
        "/territoires/departement/59/",
        "/territoires/region/32/",
    ],
)
def test_a_lille_case_rolls_up_to_every_level_above(client, lille_cases, url):
    page = page_text(client, url)
    assert "Alliance publiée de Lille" in page
    assert "Cachée" not in page


def test_a_case_is_not_shown_on_another_region(client, lille_cases):
    assert "Alliance publiée de Lille" not in page_text(client, "/territoires/region/84/")


def test_an_epci_case_appears_on_both_regions_it_straddles(client):
    epci_id = (
        TerritoryLink.objects.filter(descendant__kind="epci", ancestor__kind="region")
        .values("descendant")
        .annotate(n=Count("ancestor"))
        .filter(n__gte=2)
        .order_by("descendant")
        .values_list("descendant", flat=True)
        .first()
    )
    epci = Territory.objects.get(pk=epci_id)
    CaseFactory(title="Alliance à cheval", places=[epci])
    for region in Territory.objects.containing(epci).filter(kind="region"):
        assert "Alliance à cheval" in page_text(client, region.get_absolute_url())


def test_unknown_territories_terms_and_organisations_are_404(client):
    for url in [
        "/territoires/pays/1/",
        "/territoires/commune/00000/",
        "/referentiel/theme/inconnu/",
        "/referentiel/inconnu/sante/",
        "/organisations/inconnue/",
    ]:
        assert client.get(url).status_code == 404, url


def test_the_territory_index_counts_published_cases_and_finds_names_without_accents(
    client, lille_cases
):
    response = client.get("/territoires/?q=saint+etienne")
    assert "Saint-Étienne (42)" in response.content.decode()
    regions = {region.code: region.case_count for region, _deps in response.context["regions"]}
    assert regions["32"] == 1 and regions["84"] == 0


def test_a_metier_page_lists_cases_tagged_with_its_missions(client, lille_cases):
    page = page_text(client, "/referentiel/practice/experimentations/")
    assert "Alliance publiée de Lille" in page and "Cachée" not in page
    assert "Co-pilotage des expérimentations" in page


def test_the_referentiel_page_counts_only_published_cases_and_tells_sources(client, lille_cases):
    response = client.get("/referentiel/")
    page = response.content.decode()
    assert "Liste propre au registre." in page and "RAMEAU" in page
    sections = {s["vocabulary"].code: s for s in response.context["sections"]}
    sante = next(t for t in sections["theme"]["terms"] if t.code == "sante")
    assert sante.case_count == 1


def test_a_retired_term_is_marked_on_the_referentiel_page(client):
    mobilite = term("theme", "mobilite")
    CaseFactory(tags=[mobilite])
    mobilite.is_active = False
    mobilite.save()
    page = page_text(client, "/referentiel/")
    assert "retiré" in page


def test_the_directory_lists_only_organisations_with_a_published_case(client, contributor):
    shown = OrganizationFactory(name="Association Visible")
    hidden = OrganizationFactory(name="Association Invisible")
    CaseFactory(partners=[shown, OrganizationFactory()])
    CaseFactory(
        status=CaseStatus.DRAFT, owner=contributor, partners=[hidden, OrganizationFactory()]
    )
    page = page_text(client, "/organisations/")
    assert "Association Visible" in page and "Association Invisible" not in page


def test_the_directory_searches_names_without_accents_and_sirens_with_spaces(client):
    company = OrganizationFactory(
        name="Énergies Solidaires", siren="552032534", actor_type=term("actor_type", "entreprise")
    )
    CaseFactory(partners=[company, OrganizationFactory()])
    assert "Énergies Solidaires" in page_text(client, "/organisations/?q=energies+solidaires")
    assert "Énergies Solidaires" in page_text(client, "/organisations/?q=552+032+534")
    assert "Énergies Solidaires" in page_text(client, "/organisations/?actor=entreprise")
    assert "Énergies Solidaires" not in page_text(client, "/organisations/?actor=association")


def test_invalid_directory_filters_give_a_message(client):
    response = client.get("/organisations/?actor=zzz&departement=999")
    assert response.status_code == 200
    assert any("Code inconnu" in error for error in response.context["errors"])


def test_an_organisation_page_shows_only_published_alliances_and_partners(client, contributor):
    organization = OrganizationFactory(name="Ville de Roubaix")
    partner = OrganizationFactory(name="Association Partenaire")
    CaseFactory(title="Alliance publiée", partners=[organization, partner])
    CaseFactory(
        title="Alliance en brouillon",
        status=CaseStatus.DRAFT,
        owner=contributor,
        partners=[organization, OrganizationFactory(name="Partenaire secret")],
    )
    page = page_text(client, organization.get_absolute_url())
    assert "Alliance publiée" in page and "Association Partenaire" in page
    assert "Alliance en brouillon" not in page and "Partenaire secret" not in page


def test_the_sitemap_lists_published_cases_only(client, lille_cases):
    published, hidden = lille_cases
    page = page_text(client, "/sitemap-cases.xml")
    assert published.slug in page
    assert not any(case.slug in page for case in hidden)
    assert "/en/experiences/" in page
    assert "sitemap-territories.xml" in page_text(client, "/sitemap.xml")


def test_robots_txt_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "Sitemap: " in text and "/sitemap.xml" in text and "Disallow: /admin/" in text


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


@pytest.mark.parametrize(
    "url",
    [
        "/territoires/",
        "/territoires/region/32/",
        "/territoires/departement/59/",
        "/territoires/commune/59350/",
        "/referentiel/",
        "/referentiel/theme/sante/",
        "/organisations/",
        "/sitemap-cases.xml",
    ],
)
def test_pages_run_a_fixed_number_of_queries(client, url):
    def add_cases(count):
        for _ in range(count):
            CaseFactory(places=[territory("commune", "59350")], tags=[term("theme", "sante")])

    add_cases(2)
    few = count_queries(client, url)
    add_cases(5)
    assert count_queries(client, url) == few
