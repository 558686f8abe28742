"""Nothing unpublished is ever named to someone who may not see it.

Claire (`contributor`) has a submitted case with a telling title and a partner
that exists only in it. Olivier (`other_contributor`) goes through every
suggestion and warning a contributor meets — the editor's duplicate box, the
partner search and its autocomplete, the creation of an organisation on the
site and through the API, the API's organisation list, the directory and its
pages — and never reads Claire's title or partner. Claire finds her own
organisations before anything is published; staff find everything."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import ApiToken
from registry.models import Case, CaseStatus, Organization
from tests.factories import CaseFactory, OrganizationFactory, term, territory

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Atelier vélo solidaire de Redon - casino en ligne bonus 500 €"
SECRET_SLUG = "atelier-velo-solidaire-redon-casino"
SECRET_PARTNER = "Collectif Zéphyrin des Cycles Redonnais"
SECRET_PARTNER_SLUG = "collectif-zephyrin-des-cycles-redonnais"
SECRET_SIREN = "353000003"
REDON = ("commune", "35236")


def auth(user):
    _token, key = ApiToken.issue(user=user, name="script")
    return {"Authorization": f"Bearer {key}"}


def shows_no_secret(text):
    """Neither Claire's title (nor its telling part) nor her partner's name, nor the
    slugs that carry them. What Olivier typed himself may be echoed back."""
    secrets = (SECRET_TITLE, "casino en ligne", SECRET_PARTNER, SECRET_SLUG, SECRET_PARTNER_SLUG)
    return not any(secret in text for secret in secrets)


@pytest.fixture
def secret_partner():
    return OrganizationFactory(
        name=SECRET_PARTNER, siren=SECRET_SIREN, actor_type=term("actor_type", "association")
    )


@pytest.fixture
def secret_case(contributor, secret_partner):
    """Claire's submitted case: its title and its partner are hers and staff's alone."""
    return CaseFactory(
        owner=contributor,
        status=CaseStatus.SUBMITTED,
        title=SECRET_TITLE,
        slug=SECRET_SLUG,
        places=[territory(*REDON)],
        partners=[
            secret_partner,
            OrganizationFactory(
                name="Ville de Redon", actor_type=term("actor_type", "collectivite")
            ),
        ],
    )


@pytest.fixture
def published_twin():
    """Someone else's published case on the same subject: anyone may read its title."""
    return CaseFactory(
        title="Atelier vélo solidaire du Pays de Redon",
        slug="atelier-velo-pays-de-redon",
        places=[territory(*REDON)],
        partners=[
            OrganizationFactory(name="Cycles Solidaires du Pays de Redon"),
            OrganizationFactory(
                name="Redon Agglomération", actor_type=term("actor_type", "collectivite")
            ),
        ],
    )


def blank_editor(**values):
    """The POST of a new, empty editor page, with `values` typed in it."""
    return {
        "case-title": "",
        "case-summary": "",
        "case-version": "",
        "roster-TOTAL_FORMS": "0",
        "roster-INITIAL_FORMS": "0",
        **values,
    }


def find_partner(client, query):
    data = blank_editor(**{"find-partner_query": query, "action": "find_partner"})
    return client.post(reverse("case_create"), data).content.decode()


def suggested(client, query):
    response = client.get(reverse("suggest_organizations"), {"q": query})
    return [result["label"] for result in response.json()["results"]]


def new_organization(**values):
    return blank_editor(
        **{
            "neworg-actor_type": str(term("actor_type", "association").pk),
            "action": "create_partner",
            **{f"neworg-{name}": value for name, value in values.items()},
        }
    )


# ---- The duplicate box of the editor -------------------------------------------------


def test_the_duplicate_box_names_published_cases_and_ones_own_never_someone_elses_draft(
    client, other_contributor, moderator, secret_case, published_twin
):
    mine = CaseFactory(
        owner=other_contributor,
        status=CaseStatus.DRAFT,
        title="Atelier vélo solidaire de Redon",
        places=[territory(*REDON)],
    )
    earlier = CaseFactory(
        owner=other_contributor,
        status=CaseStatus.REJECTED,
        title="Atelier vélo solidaire de Redon (essai)",
        places=[territory(*REDON)],
    )
    client.force_login(other_contributor)
    page = client.get(reverse("case_edit", args=[mine.pk])).content.decode()
    assert "Des expériences proches existent déjà" in page
    assert published_twin.title in page and earlier.title in page
    assert shows_no_secret(page)
    # Staff see every candidate, in the editor as in the review.
    client.force_login(moderator)
    assert SECRET_TITLE in client.get(reverse("case_edit", args=[mine.pk])).content.decode()
    review = client.get(reverse("moderation_review", args=[mine.pk])).content.decode()
    assert SECRET_TITLE in review and published_twin.title in review


# ---- Looking for a partner ------------------------------------------------------------


def test_the_partner_search_offers_published_and_own_organisations_only(
    client, contributor, other_contributor, moderator, secret_case, published_twin
):
    client.force_login(other_contributor)
    for query in ("Zéphyrin", "cycles", SECRET_SIREN, "353 000 003"):
        assert shows_no_secret(find_partner(client, query))
    assert "Cycles Solidaires du Pays de Redon" in find_partner(client, "cycles")
    client.force_login(contributor)
    assert SECRET_PARTNER in find_partner(client, "Zéphyrin")
    client.force_login(moderator)
    assert SECRET_PARTNER in find_partner(client, "353 000 003")


def test_the_partner_autocomplete_offers_published_and_own_organisations_only(
    client, contributor, other_contributor, moderator, secret_case, published_twin
):
    client.force_login(other_contributor)
    assert suggested(client, "Zéphyrin") == [] and suggested(client, SECRET_SIREN) == []
    assert suggested(client, "cycles") == ["Cycles Solidaires du Pays de Redon"]
    client.force_login(contributor)
    assert SECRET_PARTNER in suggested(client, "cycles")
    client.force_login(moderator)
    assert SECRET_PARTNER in suggested(client, SECRET_SIREN)


def test_an_organisation_a_contributor_creates_is_theirs_to_find_before_any_case(
    client, contributor, other_contributor
):
    client.force_login(contributor)
    page = client.post(reverse("case_create"), new_organization(name="Ressourcerie Kerbiquet"))
    created_message = "Organisation «\u00a0Ressourcerie Kerbiquet\u00a0» créée et ajoutée."
    assert created_message in page.content.decode()
    created = Organization.objects.get(name="Ressourcerie Kerbiquet")
    assert created.created_by == contributor
    assert suggested(client, "Kerbiquet") == ["Ressourcerie Kerbiquet"]
    assert "Ressourcerie Kerbiquet" in find_partner(client, "kerbiquet")
    client.force_login(other_contributor)
    assert suggested(client, "Kerbiquet") == []
    assert "Ressourcerie Kerbiquet" not in find_partner(client, "kerbiquet")


# ---- Creating an organisation on the site ----------------------------------------------


def test_creating_a_similar_organisation_proposes_published_ones_not_someone_elses_draft(
    other_client, secret_case, published_twin
):
    page = other_client.post(
        reverse("case_create"), new_organization(name="Collectif Zéphyrin des Cycles de Redon")
    ).content.decode()
    assert shows_no_secret(page)
    page = other_client.post(
        reverse("case_create"), new_organization(name="Cycles Solidaires de Redon")
    ).content.decode()
    assert "Des organisations proches existent déjà" in page
    assert "Cycles Solidaires du Pays de Redon" in page
    assert shows_no_secret(page)
    assert not Organization.objects.filter(name="Cycles Solidaires de Redon").exists()


def test_a_taken_identifier_is_refused_without_naming_the_organisation_that_has_it(
    client, other_contributor, secret_case, secret_partner
):
    client.force_login(other_contributor)
    data = new_organization(name="Vélo pour tous", siren="353 000 003", confirm_new="on")
    response = client.post(reverse("case_create"), data)
    page = response.content.decode()
    assert "Une organisation porte déjà cet identifiant" in page
    assert shows_no_secret(page)
    assert Organization.objects.filter(siren=SECRET_SIREN).count() == 1
    assert not Organization.objects.filter(name="Vélo pour tous").exists()
    # The one who knows the identifier may still put that organisation on the roster.
    assert f'value="add_partner:siren:{SECRET_SIREN}"' in page
    assert "SIREN 353000003" in page


# ---- Creating an organisation through the API ------------------------------------------

ORGANIZATIONS = "/api/v1/me/organizations/"


def post_json(client, url, data, **kwargs):
    return client.post(url, data, content_type="application/json", **kwargs)


def test_the_api_409s_do_not_name_someone_elses_draft_partner(
    client, other_contributor, secret_case, published_twin
):
    headers = auth(other_contributor)
    similar = post_json(
        client,
        ORGANIZATIONS,
        {"name": "Collectif Zéphyrin des Cycles de Redon", "actor_type": "association"},
        headers=headers,
    )
    assert shows_no_secret(similar.content.decode())
    taken = post_json(
        client,
        ORGANIZATIONS,
        {"name": "Vélo pour tous", "actor_type": "association", "siren": SECRET_SIREN,
         "confirm_new": True},
        headers=headers,
    )
    assert taken.status_code == 409, taken.content
    body = taken.json()
    assert body["code"] == "same_identifier" and "identifiant" in body["detail"]
    assert "organization" not in body and body["candidates"] == []
    assert shows_no_secret(taken.content.decode())
    assert Organization.objects.filter(siren=SECRET_SIREN).count() == 1
    # A published organisation with the identifier is named, to be used instead.
    public = OrganizationFactory(name="Vélo Utile", siren="552032534")
    CaseFactory(partners=[public, OrganizationFactory()])
    named = post_json(
        client,
        ORGANIZATIONS,
        {"name": "Velo utile", "actor_type": "association", "siren": "552 032 534"},
        headers=headers,
    )
    assert named.status_code == 409
    assert named.json()["organization"]["name"] == "Vélo Utile"


def test_the_api_organisation_list_adds_ones_own_organisations_and_nobody_elses(
    client, contributor, other_contributor, secret_case, published_twin
):
    created = post_json(
        client,
        ORGANIZATIONS,
        {"name": "Ressourcerie Kerbiquet", "actor_type": "association"},
        headers=auth(contributor),
    )
    assert created.status_code == 201

    def names(query, **kwargs):
        response = client.get("/api/v1/organizations/", {"q": query}, **kwargs)
        return [o["name"] for o in response.json()["results"]]

    assert names("Kerbiquet", headers=auth(contributor)) == ["Ressourcerie Kerbiquet"]
    assert SECRET_PARTNER in names("Zéphyrin", headers=auth(contributor))
    assert names("Kerbiquet", headers=auth(other_contributor)) == []
    assert names("Zéphyrin", headers=auth(other_contributor)) == []
    assert names("cycles", headers=auth(other_contributor)) == [
        "Cycles Solidaires du Pays de Redon"
    ]
    assert names("Kerbiquet") == [] and names("Zéphyrin") == []


# ---- Everything a second contributor can look at ----------------------------------------


def test_a_second_contributor_crawling_every_suggestion_never_reads_the_first_ones_drafts(
    client, contributor, other_contributor, secret_case, secret_partner, published_twin
):
    mine = CaseFactory(
        owner=other_contributor,
        status=CaseStatus.DRAFT,
        title="Atelier vélo solidaire de Redon",
        places=[territory(*REDON)],
    )
    headers = auth(other_contributor)
    client.force_login(other_contributor)
    pages = {
        "editor": client.get(reverse("case_edit", args=[mine.pk])),
        "new case": client.get(reverse("case_create")),
        "directory": client.get(reverse("organization_list"), {"q": "Zéphyrin"}),
        "directory, all": client.get(reverse("organization_list")),
        "search": client.get(reverse("case_list"), {"q": "casino"}),
        "api list": client.get("/api/v1/organizations/", {"q": "Zéphyrin"}, headers=headers),
        "api cases": client.get("/api/v1/cases/", {"q": "vélo"}, headers=headers),
    }
    for query in ("Zéphyrin", "zephyrin", "Cycles Redonnais", SECRET_SIREN, "casino"):
        pages[f"autocomplete {query}"] = client.get(reverse("suggest_organizations"), {"q": query})
        pages[f"search {query}"] = client.post(
            reverse("case_edit", args=[mine.pk]),
            blank_editor(**{"find-partner_query": query, "action": "find_partner"}),
        )
    for name in ("Collectif Zéphyrin des Cycles de Redon", "Zéphyrin des Cycles Redonnais"):
        pages[f"create {name}"] = client.post(reverse("case_create"), new_organization(name=name))
        pages[f"api create {name}"] = post_json(
            client, ORGANIZATIONS, {"name": name, "actor_type": "association"}, headers=headers
        )
    pages["create same SIREN"] = client.post(
        reverse("case_create"), new_organization(name="Autre", siren=SECRET_SIREN)
    )
    pages["api create same SIREN"] = post_json(
        client,
        ORGANIZATIONS,
        {"name": "Autre", "actor_type": "association", "siren": SECRET_SIREN},
        headers=headers,
    )
    leaking = [
        where for where, response in pages.items() if not shows_no_secret(response.content.decode())
    ]
    assert leaking == [], leaking
    # Addresses guessed from the slugs: not found, the page echoing only the address typed.
    for address, sent in (
        (reverse("organization_detail", args=[SECRET_PARTNER_SLUG]), {}),
        (reverse("case_detail", args=[SECRET_SLUG]), {}),
        (f"/api/v1/organizations/{SECRET_PARTNER_SLUG}/", headers),
    ):
        response = client.get(address, headers=sent)
        assert response.status_code == 404
        assert SECRET_PARTNER not in response.content.decode()
        assert SECRET_TITLE not in response.content.decode()


# ---- The sitemap ------------------------------------------------------------------------


def test_an_archived_case_leaves_the_sitemap_at_once(client, moderator):
    case = CaseFactory(title="Repair café de Saint-Nazaire", slug="repair-cafe-saint-nazaire")
    first = client.get("/sitemap-cases.xml").content.decode()
    assert "/experiences/repair-cafe-saint-nazaire/" in first
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/sitemap-cases.xml")
    assert "repair-cafe-saint-nazaire" in again.content.decode()
    assert len(queries) == 0  # nothing changed: the cached copy answers
    case.archive(by=moderator, message="Alliance terminée.")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ARCHIVED
    assert "repair-cafe-saint-nazaire" not in client.get("/sitemap-cases.xml").content.decode()


def test_browsers_and_proxies_keep_a_sitemap_a_few_minutes_at_most(client):
    CaseFactory()
    for url in ("/sitemap.xml", "/sitemap-cases.xml"):
        cache_control = client.get(url)["Cache-Control"]
        max_age = int(cache_control.split("max-age=")[1].split(",")[0])
        assert 0 < max_age <= 300, cache_control


# ---- Naming an organisation by a guessed id -------------------------------------------


def test_adding_a_guessed_organisation_id_in_the_editor_names_nobody(
    client, other_contributor, secret_case, secret_partner
):
    client.force_login(other_contributor)
    data = blank_editor(action=f"add_partner:{secret_partner.pk}")
    page = client.post(reverse("case_create"), data).content.decode()
    assert shows_no_secret(page)
    assert 'name="roster-0-organization"' not in page


def test_a_posted_roster_row_with_a_guessed_id_is_refused_and_names_nobody(
    client, other_contributor, secret_case, secret_partner
):
    client.force_login(other_contributor)
    data = blank_editor(
        **{
            "case-title": "Mon atelier vélo",
            "case-summary": "Un atelier de réparation de vélos.",
            "roster-TOTAL_FORMS": "1",
            "roster-0-organization": str(secret_partner.pk),
            "roster-0-role": str(term("partner_role", "partenaire").pk),
            "action": "save",
        }
    )
    response = client.post(reverse("case_create"), data)
    assert response.status_code == 400
    assert shows_no_secret(response.content.decode())
    assert not Case.objects.filter(owner=other_contributor).exists()


def test_an_organisation_is_added_by_its_public_identifier_whoever_created_it(
    client, other_contributor, secret_case, secret_partner
):
    """Knowing its SIREN is knowing the organisation: the row names it, and the
    draft saves with it."""
    client.force_login(other_contributor)
    page = client.post(
        reverse("case_create"), blank_editor(action=f"add_partner:siren:{SECRET_SIREN}")
    ).content.decode()
    assert f'value="siren:{SECRET_SIREN}"' in page
    data = blank_editor(
        **{
            "case-title": "Mon atelier vélo",
            "case-summary": "Un atelier de réparation de vélos.",
            "roster-TOTAL_FORMS": "1",
            "roster-0-organization": f"siren:{SECRET_SIREN}",
            "roster-0-role": str(term("partner_role", "partenaire").pk),
            "action": "save",
        }
    )
    assert client.post(reverse("case_create"), data).status_code == 302
    case = Case.objects.get(owner=other_contributor)
    assert list(case.roster.values_list("organization", flat=True)) == [secret_partner.pk]


@pytest.mark.parametrize("key", ["pk", "slug"])
def test_the_write_api_refuses_a_guessed_organisation_id_or_slug(
    client, other_contributor, secret_case, secret_partner, key
):
    value = secret_partner.pk if key == "pk" else secret_partner.slug
    response = client.post(
        "/api/v1/me/cases/",
        {
            "title": "Mon atelier vélo",
            "summary": "Un atelier de réparation de vélos.",
            "roster": [{"organization": value, "role": "partenaire"}],
        },
        content_type="application/json",
        headers=auth(other_contributor),
    )
    assert response.status_code == 400
    assert "roster" in response.json()
    assert SECRET_PARTNER not in response.content.decode()  # the slug typed may be echoed


def test_the_write_api_takes_an_organisation_by_its_siren_whoever_created_it(
    client, other_contributor, secret_case, secret_partner
):
    response = client.post(
        "/api/v1/me/cases/",
        {
            "title": "Mon atelier vélo",
            "summary": "Un atelier de réparation de vélos.",
            "roster": [{"organization": SECRET_SIREN, "role": "partenaire"}],
        },
        content_type="application/json",
        headers=auth(other_contributor),
    )
    assert response.status_code == 201, response.content
