"""Territory, référentiel and organisation pages, sitemap and robots.txt: only
published cases, roll-up across levels, fixed numbers of queries."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from registry.counting.bitmaps import snapshot
from registry.models import CaseStatus
from territories.models import Territory, TerritoryLink
from tests.factories import CaseFactory, OrganizationFactory, term, territory

pytestmark = pytest.mark.django_db
HIDDEN = [s for s in CaseStatus.values if s != CaseStatus.PUBLISHED]
LILLE = ("commune", "59350")


@pytest.fixture
def lille_cases(contributor):
    """One published case in Lille, and one in every other status, same place and tags."""
    published = CaseFactory(
        title="Alliance publiée de Lille",
        places=[territory(*LILLE)],
        tags=[term("theme", "sante"), term("practice", "copilotage")],
    )
    hidden = [
        CaseFactory(
            title=f"Cachée {status}",
            status=status,
            owner=contributor,
            places=[territory(*LILLE)],
            tags=[term("theme", "sante"), term("practice", "copilotage")],
        )
        for status in HIDDEN
    ]
    return published, hidden


@pytest.fixture
def draft_only_organization(contributor):
    """An organisation named only in a contributor's draft."""
    organization = OrganizationFactory(name="Association Seulement En Brouillon")
    CaseFactory(
        title="Alliance en brouillon",
        status=CaseStatus.DRAFT,
        owner=contributor,
        partners=[organization, OrganizationFactory()],
    )
    return organization


def page_text(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# ---- Every page, every persona ---------------------------------------------


PERSONAS = ["visitor", "contributor_client", "other_client", "moderator_client"]

# What the header's account menu offers each persona, in order.
ACCOUNT_MENU = {
    "visitor": ["Se connecter", "Créer un compte"],
    "contributor_client": ["Mes expériences", "Profil", "Se déconnecter"],
    "other_client": ["Mes expériences", "Profil", "Se déconnecter"],
    "moderator_client": ["Mes expériences", "Profil", "Modération", "Se déconnecter"],
}


def text_of(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def account_menu(page):
    """The items of the header's account menu, as text."""
    menu = re.search(r'<ul class="account-menu"[^>]*>(.*?)</ul>', page, re.S)
    assert menu, "the page has no account menu"
    return [text_of(item) for item in re.findall(r"<li>(.*?)</li>", menu.group(1), re.S)]


def case_actions(page):
    """The links and buttons of a case page's action bar ([] when there is none)."""
    bar = re.search(r'<div class="owner-actions[^"]*">(.*?)</div>', page, re.S)
    if bar is None:
        return []
    return [
        text_of(label)
        for label in re.findall(r"<(?:a|button)\b[^>]*>(.*?)</(?:a|button)>", bar.group(1), re.S)
    ]


# Public pages: the same cases for everyone, whoever owns or moderates the
# hidden ones; only the account menu differs.
PUBLIC_PAGES = {
    # url: whether the published Lille case is named there
    "/territoires/": False,
    "/territoires/?q=lille": False,
    "/territoires/region/32/": True,
    "/territoires/departement/59/": True,
    "/territoires/epci/200093201/": True,
    "/territoires/commune/59350/": True,
    "/referentiel/": False,
    "/referentiel/practice/experimentations/": True,
    "/referentiel/theme/sante/": True,
    "/referentiel/actor_type/collectivite/": True,
    "/referentiel/partner_role/porteur/": False,
    "/referentiel/phase/emergence/": False,
    "/referentiel/pioneer_criterion/duree/": False,
    "/organisations/": False,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_public_page_shows_each_persona_their_menu_and_only_published_cases(
    request, persona, lille_cases
):
    client = request.getfixturevalue(persona)
    published, hidden = lille_cases
    organization = OrganizationFactory(name="Ville de Lille")
    CaseFactory(
        title="Alliance de la Ville de Lille", partners=[organization, OrganizationFactory()]
    )
    pages = {**PUBLIC_PAGES, organization.get_absolute_url(): False}
    for url, names_lille_case in pages.items():
        page = page_text(client, url)
        assert account_menu(page) == ACCOUNT_MENU[persona], url
        assert ('href="/moderation/"' in page) == (persona == "moderator_client"), url
        assert ("Alliance publiée de Lille" in page) == names_lille_case, url
        for case in hidden:
            assert case.title not in page, url
            assert case.get_absolute_url() not in page, url
    assert "Alliance de la Ville de Lille" in page_text(client, organization.get_absolute_url())

    assert "/sitemap-cases.xml" in page_text(client, "/sitemap.xml")
    sitemap = page_text(client, "/sitemap-cases.xml")
    assert published.get_absolute_url() in sitemap
    assert not any(case.get_absolute_url() in sitemap for case in hidden)
    assert "Sitemap:" in page_text(client, "/robots.txt")


@pytest.fixture
def claire_cases(contributor):
    """The contributor's cases: a draft, a submission and a published case."""
    theme = [term("theme", "sante")]
    return {
        "draft": CaseFactory(
            title="Brouillon de Claire", status=CaseStatus.DRAFT, owner=contributor, tags=theme
        ),
        "submitted": CaseFactory(
            title="Soumise par Claire", status=CaseStatus.SUBMITTED, owner=contributor, tags=theme
        ),
        "published": CaseFactory(title="Publiée par Claire", owner=contributor, tags=theme),
    }


@pytest.mark.parametrize(
    "persona, titles",
    [
        ("contributor_client", ["Brouillon de Claire", "Soumise par Claire", "Publiée par Claire"]),
        ("other_client", []),
        ("moderator_client", []),
    ],
)
def test_the_dashboard_lists_ones_own_cases_and_no_one_elses(
    request, persona, titles, claire_cases
):
    page = page_text(request.getfixturevalue(persona), "/compte/tableau-de-bord/")
    assert account_menu(page) == ACCOUNT_MENU[persona]
    for case in claire_cases.values():
        assert (case.title in page) == (case.title in titles), case.title
    assert ("Vous n'avez encore documenté aucune expérience." in page) == (not titles)


def test_a_visitor_is_sent_to_log_in_for_the_dashboard_and_the_queue(visitor):
    for url in ["/compte/tableau-de-bord/", "/moderation/"]:
        response = visitor.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/compte/connexion/?next="), url


@pytest.mark.parametrize(
    "persona, status",
    [("contributor_client", 403), ("other_client", 403), ("moderator_client", 200)],
)
def test_only_the_moderator_gets_the_queue_with_the_submission(
    request, persona, status, claire_cases
):
    response = request.getfixturevalue(persona).get("/moderation/")
    assert response.status_code == status
    assert ("Soumise par Claire" in response.content.decode()) == (status == 200)
    assert "Brouillon de Claire" not in response.content.decode()


# What each persona finds on each of the contributor's case pages: None for a
# 404, else the case page's action bar, in order.
CASE_PAGE = {
    "draft": {
        "visitor": None,
        "contributor_client": ["Modifier", "Historique"],
        "other_client": None,
        "moderator_client": ["Modifier", "Historique", "Modérer"],
    },
    "submitted": {
        "visitor": None,
        "contributor_client": ["Retirer la soumission", "Historique"],
        "other_client": None,
        "moderator_client": ["Historique", "Modérer"],
    },
    "published": {
        "visitor": [],
        "contributor_client": ["Proposer une mise à jour", "Historique"],
        "other_client": [],
        "moderator_client": ["Proposer une mise à jour", "Historique", "Modérer", "Mise en avant"],
    },
}


@pytest.mark.parametrize("which", list(CASE_PAGE))
@pytest.mark.parametrize("persona", PERSONAS)
def test_a_case_page_shows_each_persona_what_they_may_do(request, persona, which, claire_cases):
    case = claire_cases[which]
    expected = CASE_PAGE[which][persona]
    response = request.getfixturevalue(persona).get(case.get_absolute_url())
    if expected is None:
        assert response.status_code == 404
        assert case.title not in response.content.decode()
        return
    assert response.status_code == 200
    page = response.content.decode()
    assert f"<h1>{case.title}</h1>" in page
    assert account_menu(page) == ACCOUNT_MENU[persona]
    assert case_actions(page) == expected
    may_edit = "Modifier" in expected or "Proposer une mise à jour" in expected
    assert (f'href="/contribuer/{case.pk}/"' in page) == may_edit
    assert (f'href="/moderation/{case.pk}/"' in page) == (persona == "moderator_client")


def test_two_personas_in_one_test_are_two_sessions(visitor, contributor_client, moderator_client):
    """Each persona has a client of their own: taking several keeps each one logged in as itself."""
    assert account_menu(page_text(visitor, "/referentiel/")) == ACCOUNT_MENU["visitor"]
    assert (
        account_menu(page_text(contributor_client, "/referentiel/"))
        == (ACCOUNT_MENU["contributor_client"])
    )
    assert (
        account_menu(page_text(moderator_client, "/referentiel/"))
        == (ACCOUNT_MENU["moderator_client"])
    )


def test_unknown_territories_terms_and_organisations_are_404(client):
    for url in [
        "/territoires/pays/1/",
        "/territoires/commune/00000/",
        "/territoires/region/59350/",
        "/referentiel/theme/inconnu/",
        "/referentiel/inconnu/sante/",
        "/referentiel/company_size/pme/",
        "/organisations/inconnue/",
    ]:
        assert client.get(url).status_code == 404, url


# ---- Territories -------------------------------------------------------------


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
    response = client.get(url)
    page = response.content.decode()
    assert "Alliance publiée de Lille" in page
    assert "Cachée" not in page
    assert response.context["total"] == 1
    assert [t.code for t in response.context["themes"]] == ["sante"]
    assert response.context["themes"][0].case_count == 1


def test_a_case_is_not_shown_on_another_region(client, lille_cases):
    response = client.get("/territoires/region/84/")
    assert "Alliance publiée de Lille" not in response.content.decode()
    assert response.context["total"] == 0


def straddling_epci():
    """An EPCI whose communes lie in two régions (found in the real geography)."""
    epci_id = (
        TerritoryLink.objects.filter(descendant__kind="epci", ancestor__kind="region")
        .values("descendant")
        .annotate(n=Count("ancestor"))
        .filter(n__gte=2)
        .order_by("descendant")
        .values_list("descendant", flat=True)
        .first()
    )
    return Territory.objects.get(pk=epci_id)


def test_an_epci_case_appears_on_both_regions_it_straddles(client):
    epci = straddling_epci()
    CaseFactory(title="Alliance à cheval", places=[epci])
    regions = Territory.objects.containing(epci).filter(kind="region")
    assert regions.count() == 2
    for region in regions:
        assert "Alliance à cheval" in page_text(client, region.get_absolute_url())


def test_a_straddling_epci_links_to_all_its_departements(client):
    epci = straddling_epci()
    response = client.get(epci.get_absolute_url())
    above = dict(response.context["above"])
    departements = Territory.objects.containing(epci).filter(kind="departement")
    assert {t.pk for t in above["Départements"]} == {d.pk for d in departements}
    # The trail names no single région or département for it.
    assert [label for label, _url in response.context["breadcrumbs"]] == [
        "Territoires",
        epci.label,
    ]


def test_breadcrumbs_and_links_go_up_every_level(client):
    response = client.get("/territoires/commune/59350/")
    assert [label for label, _url in response.context["breadcrumbs"]] == [
        "Territoires",
        "Hauts-de-France",
        "Nord (59)",
        "Métropole Européenne de Lille",
        "Lille (59)",
    ]
    page = response.content.decode()
    for url in ["/territoires/epci/200093201/", "/territoires/departement/59/"]:
        assert f'href="{url}"' in page
    trail = client.get("/territoires/epci/200093201/").context["breadcrumbs"]
    assert [label for label, _url in trail] == [
        "Territoires",
        "Hauts-de-France",
        "Nord (59)",
        "Métropole Européenne de Lille",
    ]


def test_each_level_lists_the_level_below_with_counts(client, lille_cases):
    region = client.get("/territoires/region/32/").context
    departements = {t.code: t.case_count for t in region["children"]["shown"]}
    assert departements["59"] == 1 and departements["62"] == 0 and len(departements) == 5
    departement = client.get("/territoires/departement/59/").context
    epcis = {t.code: t.case_count for t in departement["children"]["shown"]}
    assert epcis["200093201"] == 1
    assert [(c.code, c.case_count) for c in departement["top_communes"]] == [("59350", 1)]
    epci = client.get("/territoires/epci/200093201/").context
    assert epci["children"]["shown"][0].code == "59350"
    assert epci["children"]["total"] == epci["figures"]["communes"]
    assert client.get("/territoires/commune/59350/").context["children"] is None


def test_key_figures_sum_the_communes_of_a_departement(client):
    figures = client.get("/territoires/departement/59/").context["figures"]
    communes = Territory.objects.filter(kind="commune", departement__code="59")
    assert figures["communes"] == communes.count()
    assert figures["population"] == sum(c.population or 0 for c in communes)
    assert figures["epcis"] > 10


def test_a_territory_page_lists_organisations_seated_there_with_published_cases(
    client, contributor
):
    lille = territory(*LILLE)
    seated = OrganizationFactory(name="Maison des Associations Lilloise", seat=lille)
    hidden = OrganizationFactory(name="Collectif Lillois Discret", seat=lille)
    elsewhere = OrganizationFactory(
        name="Association Lyonnaise", seat=territory("commune", "69123")
    )
    CaseFactory(partners=[seated, elsewhere])
    CaseFactory(status=CaseStatus.DRAFT, owner=contributor, partners=[hidden, seated])
    response = client.get("/territoires/region/32/")
    assert [o.name for o in response.context["organizations"]] == [seated.name]
    assert response.context["organizations"][0].case_count == 1


def test_the_territory_index_counts_only_published_cases(client, lille_cases):
    response = client.get("/territoires/")
    regions = {r.code: r.case_count for r, _deps in response.context["mainland"]}
    assert regions["32"] == 1 and regions["84"] == 0
    overseas = {r.code for r, _deps in response.context["overseas"]}
    assert overseas == {"01", "02", "03", "04", "06"}
    assert len(regions) + len(overseas) == 18


def test_the_territory_search_finds_names_without_accents_grouped_by_level(client):
    response = client.get("/territoires/?q=saint+etienne")
    page = response.content.decode()
    assert "Saint-Étienne (42)" in page and "Saint-Étienne Métropole" in page
    kinds = [label for label, _found in response.context["found"]]
    assert kinds == ["Intercommunalité (EPCI)", "Commune"]
    communes = dict(response.context["found"])["Commune"]
    assert communes[0].label == "Saint-Étienne (42)"
    populations = [c.population or 0 for c in communes]
    assert populations == sorted(populations, reverse=True)
    assert sum(len(found) for _label, found in response.context["found"]) <= 30


def test_homonyms_are_told_apart_by_their_departement(client):
    page = page_text(client, "/territoires/?q=sainte+colombe")
    assert "Sainte-Colombe (05)" in page and "Sainte-Colombe (25)" in page


def test_an_empty_territory_search_says_so(client):
    assert "Aucun territoire ne correspond." in page_text(client, "/territoires/?q=zzzzzz")


# ---- Référentiel -------------------------------------------------------------


def test_the_referentiel_page_counts_only_published_cases(client, lille_cases):
    sections = {s["vocabulary"].code: s for s in client.get("/referentiel/").context["sections"]}
    themes = {t.code: t.case_count for t in sections["theme"]["terms"]}
    assert themes["sante"] == 1
    metiers = {t.code: t for t in sections["practice"]["terms"]}
    assert metiers["experimentations"].case_count == 1
    missions = {t.code: t.case_count for t in metiers["experimentations"].kids}
    assert missions == {
        "besoins_partages": 0,
        "mobilisation_solutions": 0,
        "copilotage": 1,
        "evaluation": 0,
    }


def test_the_referentiel_counts_partners_roles_and_phases(client):
    commune = OrganizationFactory(actor_type=term("actor_type", "commune"))
    CaseFactory(partners=[commune, OrganizationFactory()], phase=term("phase", "emergence"))
    sections = {s["vocabulary"].code: s for s in client.get("/referentiel/").context["sections"]}
    actors = {t.code: t for t in sections["actor_type"]["terms"]}
    assert actors["collectivite"].case_count == 1
    assert {t.code: t.case_count for t in actors["collectivite"].kids}["commune"] == 1
    assert actors["association"].case_count == 1 and actors["entreprise"].case_count == 0
    roles = {t.code: t.case_count for t in sections["partner_role"]["terms"]}
    assert roles["partenaire"] == 1 and roles["porteur"] == 0
    phases = {t.code: t.case_count for t in sections["phase"]["terms"]}
    assert phases["emergence"] == 1


def test_the_referentiel_tells_where_each_list_comes_from(client):
    response = client.get("/referentiel/")
    page = response.content.decode()
    assert "Le RAMEAU" in page
    codes = [s["vocabulary"].code for s in response.context["sections"]]
    assert codes[:7] == [
        "practice",
        "coconstruction_form",
        "partnership_type",
        "objective",
        "impact_axis",
        "challenge_prism",
        "theme",
    ]
    assert "company_size" not in codes
    # The registry's own lists and additions are never passed off as Le RAMEAU's.
    phase = page[page.index('id="h-phase"') :]
    assert phase.index("Liste propre au registre.") < phase.index("</section>")
    logement = page[page.index("Logement et habitat") :]
    assert logement.index("ajout du registre") < logement.index("</li>")
    partnership = page[page.index('id="h-partnership_type"') :]
    assert partnership.index("Source\u00a0:") < partnership.index("</section>")
    assert "Mécénat de compétences" in partnership[: partnership.index("</section>")]


def test_a_retired_term_is_shown_only_with_cases_and_marked(client):
    mobilite, logement = term("theme", "mobilite"), term("theme", "logement")
    CaseFactory(tags=[mobilite])
    for retired in (mobilite, logement):
        retired.is_active = False
        retired.save()
    sections = {s["vocabulary"].code: s for s in client.get("/referentiel/").context["sections"]}
    themes = {t.code: t for t in sections["theme"]["terms"]}
    assert "mobilite" in themes and "logement" not in themes
    page = page_text(client, "/referentiel/")
    mobility = page[page.index(mobilite.get_absolute_url()) :]
    assert mobility.index("retiré") < mobility.index("</li>")


def test_a_metier_page_lists_cases_tagged_with_its_missions(client, lille_cases):
    response = client.get("/referentiel/practice/experimentations/")
    page = response.content.decode()
    assert "Alliance publiée de Lille" in page and "Cachée" not in page
    assert "Co-pilotage des expérimentations" in page
    assert response.context["total"] == 1
    missions = {t.code: t.case_count for t in response.context["children"]}
    assert missions["copilotage"] == 1 and missions["evaluation"] == 0
    assert [(r.code, r.case_count) for r in response.context["regions"]] == [("32", 1)]
    assert 'href="/experiences/?practice=experimentations"' in page


def test_a_mission_page_links_to_its_metier(client, lille_cases):
    response = client.get("/referentiel/practice/copilotage/")
    assert response.context["total"] == 1
    assert 'href="/referentiel/practice/experimentations/"' in response.content.decode()


def test_a_theme_page_is_the_page_of_the_theme(client, lille_cases):
    response = client.get("/referentiel/theme/sante/")
    page = response.content.decode()
    assert "<h1>Santé</h1>" in page and "Alliance publiée de Lille" in page
    assert "Cachée" not in page and response.context["total"] == 1
    assert 'href="/experiences/?theme=sante&amp;region=32"' in page


@pytest.mark.parametrize(
    "vocabulary, code, parameter",
    [
        ("partnership_type", "mecenat", "partnership"),
        ("coconstruction_form", "dialogue_territorial", "form"),
        ("objective", "reduire_fragilites", "objective"),
        ("impact_axis", "confiance", "impact"),
        ("challenge_prism", "coherence_territoriale", "prism"),
        ("phase", "emergence", "phase"),
        ("scale", "local", "scale"),
        ("actor_type", "entreprise", "actor"),
    ],
)
def test_a_term_page_links_to_the_search_with_the_right_parameter(
    client, vocabulary, code, parameter
):
    chosen = term(vocabulary, code)
    if vocabulary in ("phase", "scale"):
        CaseFactory(**{vocabulary: chosen})
    elif vocabulary == "actor_type":
        CaseFactory(partners=[OrganizationFactory(actor_type=chosen)])
    else:
        CaseFactory(tags=[chosen])
    response = client.get(f"/referentiel/{vocabulary}/{code}/")
    assert response.context["total"] == 1
    assert f'href="/experiences/?{parameter}={code}"' in response.content.decode()


def test_an_actor_family_page_lists_cases_of_its_types(client, contributor):
    CaseFactory(
        title="Avec une commune",
        partners=[OrganizationFactory(actor_type=term("actor_type", "commune"))],
    )
    CaseFactory(
        title="Brouillon communal",
        status=CaseStatus.DRAFT,
        owner=contributor,
        partners=[OrganizationFactory(actor_type=term("actor_type", "commune"))],
    )
    CaseFactory(
        title="Sans collectivité",
        partners=[OrganizationFactory(actor_type=term("actor_type", "entreprise"))],
    )
    page = page_text(client, "/referentiel/actor_type/collectivite/")
    assert "Avec une commune" in page
    assert "Brouillon communal" not in page and "Sans collectivité" not in page


def test_a_role_page_lists_cases_where_a_partner_holds_it(client):
    CaseFactory(title="Alliance sans porteur")
    page = page_text(client, "/referentiel/partner_role/porteur/")
    assert "Alliance sans porteur" not in page
    assert "Alliance sans porteur" in page_text(client, "/referentiel/partner_role/partenaire/")


# ---- Organisations -----------------------------------------------------------


def test_the_directory_lists_only_organisations_with_a_published_case(
    client, draft_only_organization
):
    shown = OrganizationFactory(name="Association Visible")
    CaseFactory(partners=[shown, OrganizationFactory()])
    page = page_text(client, "/organisations/")
    assert "Association Visible" in page and draft_only_organization.name not in page


def test_the_directory_counts_only_published_cases(client, contributor):
    organization = OrganizationFactory(name="Association Comptée")
    CaseFactory(partners=[organization])
    for status in HIDDEN:
        CaseFactory(status=status, owner=contributor, partners=[organization])
    response = client.get("/organisations/?q=comptee")
    assert [(o.name, o.case_count) for o in response.context["page"]] == [(organization.name, 1)]


def test_the_directory_searches_names_without_accents_and_sirens_with_spaces(client):
    company = OrganizationFactory(
        name="Énergies Solidaires", siren="552032534", actor_type=term("actor_type", "entreprise")
    )
    CaseFactory(partners=[company, OrganizationFactory()])
    assert "Énergies Solidaires" in page_text(client, "/organisations/?q=energies+solidaires")
    assert "Énergies Solidaires" in page_text(client, "/organisations/?q=552+032+534")
    assert "Énergies Solidaires" in page_text(client, "/organisations/?actor=entreprise")
    assert "Énergies Solidaires" not in page_text(client, "/organisations/?actor=association")


def test_the_directory_filters_by_actor_family_and_seat(client):
    town = OrganizationFactory(
        name="Ville Partenaire", actor_type=term("actor_type", "commune"), seat=territory(*LILLE)
    )
    lyon = OrganizationFactory(name="Association de Lyon", seat=territory("commune", "69123"))
    CaseFactory(partners=[town, lyon])
    assert "Ville Partenaire" in page_text(client, "/organisations/?actor=collectivite")
    assert "Association de Lyon" not in page_text(client, "/organisations/?actor=collectivite")
    by_region = page_text(client, "/organisations/?region=32")
    assert "Ville Partenaire" in by_region and "Association de Lyon" not in by_region
    by_departement = page_text(client, "/organisations/?departement=69")
    assert "Association de Lyon" in by_departement and "Ville Partenaire" not in by_departement


def test_invalid_directory_filters_give_a_message_and_keep_the_valid_ones(client):
    lyon = OrganizationFactory(name="Association de Lyon", seat=territory("commune", "69123"))
    CaseFactory(partners=[lyon, OrganizationFactory(name="Association de Lille")])
    response = client.get("/organisations/?actor=zzz&departement=999&region=84&page=abc")
    assert response.status_code == 200
    errors = response.context["errors"]
    # An unknown vocabulary code, and a département code of no département's shape.
    assert sorted(errors) == [
        "Département : Code mal formé : 999.",
        "Type d'acteur : Code inconnu : zzz.",
    ]
    page = response.content.decode()
    assert "Association de Lyon" in page and "Association de Lille" not in page


def test_an_organisation_page_shows_only_published_alliances_and_partners(client, contributor):
    organization = OrganizationFactory(name="Ville de Roubaix", website="https://roubaix.example")
    partner = OrganizationFactory(name="Association Partenaire")
    CaseFactory(title="Alliance publiée", partners=[organization, partner])
    CaseFactory(title="Autre alliance publiée", partners=[organization, partner])
    CaseFactory(
        title="Alliance en brouillon",
        status=CaseStatus.DRAFT,
        owner=contributor,
        partners=[organization, OrganizationFactory(name="Partenaire secret")],
    )
    response = client.get(organization.get_absolute_url())
    page = response.content.decode()
    assert "Alliance publiée" in page and "Association Partenaire" in page
    assert "Alliance en brouillon" not in page and "Partenaire secret" not in page
    assert [(p.name, p.shared) for p in response.context["partners"]] == [(partner.name, 2)]
    assert response.context["total"] == 2
    assert 'href="https://roubaix.example" rel="nofollow noopener"' in page


def test_an_organisation_named_only_in_a_draft_is_hidden_from_visitors(
    client, contributor, other_contributor, moderator, draft_only_organization
):
    url = draft_only_organization.get_absolute_url()
    assert client.get(url).status_code == 404
    client.force_login(other_contributor)
    assert client.get(url).status_code == 404
    # Its owner and staff reach the page (the draft's roster links to it), which
    # still shows published alliances only.
    for user in (contributor, moderator):
        client.force_login(user)
        page = page_text(client, url)
        assert "Alliance en brouillon" not in page
        assert "Aucune alliance publiée pour l'instant." in page


# ---- Sitemap and robots.txt ----------------------------------------------------


def test_the_sitemap_lists_published_cases_only(client, lille_cases):
    published, hidden = lille_cases
    page = page_text(client, "/sitemap-cases.xml")
    assert published.slug in page
    assert not any(case.slug in page for case in hidden)
    assert f"/en/experiences/{published.slug}/" in page and 'hreflang="en"' in page
    index = page_text(client, "/sitemap.xml")
    for section in ["pages", "cases", "territories", "referentiel", "organizations"]:
        assert f"sitemap-{section}.xml" in index


def test_the_sitemap_lists_territories_with_published_cases(client, contributor):
    CaseFactory(places=[territory(*LILLE)])
    CaseFactory(status=CaseStatus.DRAFT, owner=contributor, places=[territory("commune", "69123")])
    page = page_text(client, "/sitemap-territories.xml")
    for url in [
        "/territoires/region/84/",
        "/territoires/departement/69/",
        "/territoires/commune/59350/",
        "/territoires/epci/200093201/",
    ]:
        assert url in page
    assert "/territoires/commune/69123/" not in page
    assert "/territoires/commune/59009/" not in page


def test_the_sitemap_lists_organisations_with_published_cases_and_public_terms(
    client, draft_only_organization
):
    shown = OrganizationFactory(name="Association Publiée")
    CaseFactory(partners=[shown])
    page = page_text(client, "/sitemap-organizations.xml")
    assert shown.get_absolute_url() in page
    assert draft_only_organization.get_absolute_url() not in page
    terms = page_text(client, "/sitemap-referentiel.xml")
    assert "/referentiel/theme/sante/" in terms and "/referentiel/company_size/" not in terms
    pages = page_text(client, "/sitemap-pages.xml")
    assert "/territoires/" in pages and "/referentiel/" in pages and "/organisations/" in pages


def test_robots_txt_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "User-agent: *" in text and "Disallow: /admin/" in text
    assert any(
        line.startswith("Sitemap: http") and line.endswith("/sitemap.xml")
        for line in text.splitlines()
    )


# ---- Queries -----------------------------------------------------------------


def count_queries(client, url):
    cache.clear()  # whole-registry counts and sitemaps are cached: measure the work
    # ...of the page: the counts' bitmaps are built once per registry version and
    # process, in their own pinned number of queries (tests/test_bitmap_counts.py).
    snapshot()
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200, url
    return len(context)


@pytest.mark.parametrize(
    "url",
    [
        "/territoires/",
        "/territoires/?q=lille",
        "/territoires/region/32/",
        "/territoires/departement/59/",
        "/territoires/epci/200093201/",
        "/territoires/commune/59350/",
        "/referentiel/",
        "/referentiel/theme/sante/",
        "/referentiel/practice/experimentations/",
        "/referentiel/actor_type/collectivite/",
        "/referentiel/partner_role/partenaire/",
        "/referentiel/phase/emergence/",
        "/organisations/",
        "/organisations/?q=association&actor=collectivite&region=32",
        "/organisations/?actor=zzz",
        "ORGANIZATION",
        "/sitemap.xml",
        "/sitemap-cases.xml",
        "/sitemap-territories.xml",
        "/sitemap-organizations.xml",
    ],
)
def test_pages_run_a_fixed_number_of_queries(client, url):
    lille = territory(*LILLE)
    organization = OrganizationFactory(actor_type=term("actor_type", "commune"), seat=lille)
    if url == "ORGANIZATION":
        url = organization.get_absolute_url()

    def add_cases(count):
        for _ in range(count):
            CaseFactory(
                places=[lille, territory("commune", "59512")],
                tags=[term("theme", "sante"), term("practice", "copilotage")],
                phase=term("phase", "emergence"),
                partners=[organization, OrganizationFactory(seat=lille)],
            )

    add_cases(2)
    few = count_queries(client, url)
    add_cases(5)
    assert count_queries(client, url) == few


def test_the_query_counts_of_the_pages_stay_small(client):
    """Measured: 3, 14, 10, 9 and 4 queries; a little room, then a look at why."""
    CaseFactory(places=[territory(*LILLE)], tags=[term("theme", "sante")])
    budget = {
        "/territoires/": 4,
        "/territoires/region/32/": 16,
        "/referentiel/": 12,
        "/referentiel/theme/sante/": 11,
        "/organisations/": 5,
    }
    for url, most in budget.items():
        assert count_queries(client, url) <= most, url
