"""Partners named by name in the write API's roster (POST/PATCH /api/v1/me/cases/):
an identifier or an exact name is reused, a new organisation is created with the
case, similar ones are a 409 listing their type and seat; sources by URL alone;
an organisation posted with its SIRET and seat."""

import pytest

from accounts.models import ApiToken
from registry.models import Case, Organization
from tests.factories import CaseFactory, OrganizationFactory, term, territory

pytestmark = pytest.mark.django_db

CASES = "/api/v1/me/cases/"
ORGANIZATIONS = "/api/v1/me/organizations/"


def auth(user):
    _token, key = ApiToken.issue(user=user, name="script")
    return {"Authorization": f"Bearer {key}"}


def post(client, url, data, user):
    return client.post(url, data, content_type="application/json", headers=auth(user))


def public(organization):
    CaseFactory(partners=[organization, OrganizationFactory()])
    return organization


def draft(roster, **values):
    return {
        "title": "Plateforme de mobilité solidaire du Pays de Redon",
        "summary": "Une agglomération, une association et une entreprise.",
        "territories": [{"kind": "epci", "code": "243500741"}],
        "roster": roster,
        **values,
    }


def roster_of(case_id):
    return {
        entry.organization.name: entry.organization
        for entry in Case.objects.get(pk=case_id).roster.select_related("organization")
    }


def test_new_partners_are_created_with_the_case_with_their_seat(client, contributor):
    response = post(
        client,
        CASES,
        draft(
            [
                {
                    "name": "Redon Agglomération",
                    "actor_type": "epci",
                    "siren": "243500741",
                    "seat": "35236",
                    "role": "porteur",
                },
                {
                    "name": "Atelier vélo du Pays de Redon",
                    "actor_type": "association",
                    "seat": "redon 35600",
                    "role": "partenaire",
                },
            ]
        ),
        contributor,
    )
    assert response.status_code == 201, response.content
    partners = roster_of(response.json()["id"])
    epci = partners["Redon Agglomération"]
    assert epci.created_by == contributor and epci.siren == "243500741"
    assert epci.governed_territory == territory("epci", "243500741")
    assert epci.seat == territory("commune", "35236")
    assert partners["Atelier vélo du Pays de Redon"].seat.name == "Redon"
    # Theirs to find before publication.
    found = client.get(
        ORGANIZATIONS.replace("me/", ""), {"q": "Atelier vélo"}, headers=auth(contributor)
    )
    assert [o["name"] for o in found.json()["results"]] == ["Atelier vélo du Pays de Redon"]


def test_an_identifier_or_an_exact_name_reuses_the_organisation(
    client, contributor, other_contributor
):
    foundation = public(
        OrganizationFactory(name="Fondation de France", actor_type=term("actor_type", "fondation"))
    )
    # Known only from another account's draft: found by its SIREN, never by its name.
    hidden = OrganizationFactory(
        name="SAS Cycles Zéphyrin", actor_type=term("actor_type", "entreprise"), siren="732829320"
    )
    CaseFactory(owner=other_contributor, status="draft", partners=[hidden, OrganizationFactory()])
    town = public(
        OrganizationFactory(
            name="Commune de Redon",
            actor_type=term("actor_type", "commune"),
            governed_territory=territory("commune", "35236"),
        )
    )
    before = Organization.objects.count()
    response = post(
        client,
        CASES,
        draft(
            [
                {"name": "Fondation de France", "actor_type": "fondation", "role": "financeur"},
                {
                    "name": "Cycles Z.",
                    "actor_type": "entreprise",
                    "siret": "73282932000017",
                    "role": "partenaire",
                },
                # The territory table's SIREN of Redon: the commune that governs it.
                {
                    "name": "Mairie de Redon",
                    "actor_type": "commune",
                    "siren": "213502362",
                    "role": "porteur",
                },
            ]
        ),
        contributor,
    )
    assert response.status_code == 201, response.content
    assert Organization.objects.count() == before
    assert set(roster_of(response.json()["id"]).values()) == {foundation, hidden, town}


def test_the_same_name_without_its_legal_form_and_type_is_reused(client, contributor):
    pantin = public(
        OrganizationFactory(name="Commune de Pantin", actor_type=term("actor_type", "commune"))
    )
    response = post(
        client,
        CASES,
        draft([{"name": "Ville de Pantin", "actor_type": "commune", "role": "porteur"}]),
        contributor,
    )
    assert response.status_code == 201
    assert list(roster_of(response.json()["id"]).values()) == [pantin]


def test_similar_organisations_are_a_409_with_type_and_seat_until_confirmed(
    client, contributor, other_contributor
):
    public(
        OrganizationFactory(
            name="Association Tremplin Jeunes Lille",
            seat=territory("commune", "59350"),
        )
    )
    secret = OrganizationFactory(name="Tremplin Jeunes Lille Secret")
    CaseFactory(owner=other_contributor, status="draft", partners=[secret, OrganizationFactory()])
    before = (Organization.objects.count(), Case.objects.count())
    body = draft(
        [
            {"name": "Ville de Lille", "actor_type": "commune", "role": "porteur"},
            {"name": "Tremplin Jeunes de Lille", "actor_type": "association", "role": "partenaire"},
        ]
    )
    response = post(client, CASES, body, contributor)
    assert response.status_code == 409, response.content
    conflict = response.json()
    assert conflict["code"] == "similar_organizations"
    [entry] = conflict["roster"]
    assert entry["index"] == 1 and entry["name"] == "Tremplin Jeunes de Lille"
    [found] = entry["candidates"]
    assert found["name"] == "Association Tremplin Jeunes Lille"
    assert found["actor_type"] == {"code": "association", "label": "Association"}
    assert found["seat"]["label"] == "Lille (59)"
    assert "Secret" not in response.content.decode()
    assert (Organization.objects.count(), Case.objects.count()) == before  # nothing written

    body["roster"][1]["confirm_new"] = True
    response = post(client, CASES, body, contributor)
    assert response.status_code == 201
    assert Organization.objects.count() == before[0] + 2


def test_a_bad_entry_is_a_400_naming_its_field_and_nothing_is_written(client, contributor):
    mine = OrganizationFactory(created_by=contributor)
    before = Organization.objects.count()
    response = post(
        client,
        CASES,
        draft(
            [
                {"name": "Ville de Redon", "actor_type": "commune", "role": "porteur"},
                {"name": "Atelier", "actor_type": "association", "role": "partenaire"},
                {"name": "Garage", "actor_type": "garage", "role": "partenaire"},
                {"actor_type": "association", "role": "partenaire"},
                {
                    "name": "Ferme",
                    "actor_type": "entreprise",
                    "seat": "35600",
                    "role": "partenaire",
                },
                {
                    "name": "Coop",
                    "actor_type": "entreprise",
                    "siren": "123456789",
                    "role": "partenaire",
                },
                {"organization": mine.pk, "name": "Double", "role": "partenaire"},
            ]
        ),
        contributor,
    )
    assert response.status_code == 400
    errors = response.json()["roster"]  # by position, the entries at fault only
    assert set(errors) == {"2", "3", "4", "5", "6"}
    assert errors["2"] == {"actor_type": ["Code inconnu\u00a0: garage."]}
    assert "name" in errors["3"]
    assert "Précisez" in errors["4"]["seat"][0] and "Redon (35)" in errors["4"]["seat"][0]
    assert "clé de contrôle" in errors["5"]["siren"][0]
    assert "pas les deux" in errors["6"]["non_field_errors"][0]
    assert Organization.objects.count() == before and Case.objects.count() == 0


def test_a_partner_created_with_the_case_is_rolled_back_with_it(client, contributor):
    # The roster is fine, the territory is not: no organisation is left behind.
    response = post(
        client,
        CASES,
        draft(
            [{"name": "Ressourcerie Kerbiquet", "actor_type": "association", "role": "porteur"}],
            territories=[{"kind": "commune", "code": "99999"}],
        ),
        contributor,
    )
    assert response.status_code == 400
    assert not Organization.objects.filter(name="Ressourcerie Kerbiquet").exists()


def test_a_patch_names_partners_by_name_too(client, contributor):
    case_id = post(client, CASES, draft([]), contributor).json()["id"]
    response = client.patch(
        f"{CASES}{case_id}/",
        {
            "roster": [
                {"name": "Ressourcerie Kerbiquet", "actor_type": "association", "role": "porteur"},
                {
                    "name": "Ressourcerie Kerbiquet",
                    "actor_type": "association",
                    "role": "financeur",
                },
            ]
        },
        content_type="application/json",
        headers=auth(contributor),
    )
    assert response.status_code == 200, response.content
    assert Organization.objects.filter(name="Ressourcerie Kerbiquet").count() == 1
    assert len(response.json()["partners"]) == 2


def test_a_source_needs_only_its_url(client, contributor):
    response = post(
        client,
        CASES,
        draft([], sources=[{"url": "https://www.redon-agglomeration.bzh/mobilite"}, {"title": ""}]),
        contributor,
    )
    assert response.status_code == 400
    assert list(response.json()["sources"]) == ["1"]
    response = post(
        client,
        CASES,
        draft([], sources=[{"url": "https://www.redon-agglomeration.bzh/mobilite"}]),
        contributor,
    )
    assert response.status_code == 201
    assert response.json()["sources"] == [
        {"title": "redon-agglomeration.bzh", "url": "https://www.redon-agglomeration.bzh/mobilite"}
    ]


def test_an_organisation_is_posted_with_its_siret_and_seat(client, contributor, visitor):
    data = {
        "name": "Cycles Solidaires du Pays de Redon",
        "actor_type": "entreprise",
        "siret": "732 829 320 00017",
        "seat": "commune:35236",
    }
    assert visitor.post(ORGANIZATIONS, data, content_type="application/json").status_code == 401
    response = post(client, ORGANIZATIONS, data, contributor)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["siren"], body["siret"]) == ("732829320", "73282932000017")
    assert body["seat"]["code"] == "35236"
    # Posted again (or under another legal form): the same one, not a twin.
    again = post(
        client,
        ORGANIZATIONS,
        {
            **data,
            "siret": "",
            "name": "SAS Cycles Solidaires du Pays de Redon",
            "confirm_new": True,
        },
        contributor,
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Organization.objects.count() == 1


def test_a_name_sharing_only_a_common_word_with_others_is_not_called_similar(client, contributor):
    """« Pays » alone does not make « Réseau Entraide Pays de Belvès » or « Guérin
    Paysage » look like the « Ressourcerie du Pays de Redon » being created: the
    same trigram measure as PostgreSQL's on both databases."""
    for name in ("Réseau Entraide Pays de Belvès", "Guérin Paysage", "Région Pays de la Loire"):
        public(OrganizationFactory(name=name))
    roster = [
        {"name": "Ressourcerie du Pays de Redon", "actor_type": "association", "role": "porteur"},
        {"name": "Redon Agglomération", "actor_type": "epci", "role": "partenaire"},
    ]
    response = post(client, CASES, draft(roster), contributor)
    assert response.status_code == 201, response.content
    assert "Ressourcerie du Pays de Redon" in roster_of(response.json()["id"])


def test_a_name_close_to_a_known_one_is_still_a_409_naming_it(client, contributor):
    public(OrganizationFactory(name="Ressourcerie Pays de Redon"))
    roster = [
        {
            "name": "La Ressourcerie du Pays de Redon",
            "actor_type": "association",
            "role": "porteur",
        },
        {"name": "Redon Agglomération", "actor_type": "epci", "role": "partenaire"},
    ]
    response = post(client, CASES, draft(roster), contributor)
    assert response.status_code == 409, response.content
    names = [c["name"] for c in response.json()["roster"][0]["candidates"]]
    assert names == ["Ressourcerie Pays de Redon"]
