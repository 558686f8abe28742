"""Creating a partner from the editor's « Créer une nouvelle organisation » panel:
its name taken from the search, no error before « Créer et ajouter », a SIRET
beside the SIREN, the commune of its seat found by name or postal code, and a
collectivité told which territory it governs."""

import re

import pytest
from django.urls import reverse

from accounts.models import ApiToken
from registry.models import Organization
from tests.conftest import own_client
from tests.factories import CaseFactory, OrganizationFactory, term, territory

pytestmark = pytest.mark.django_db


def blank_editor(**values):
    return {
        "case-title": "",
        "case-summary": "",
        "case-version": "",
        "roster-TOTAL_FORMS": "0",
        "roster-INITIAL_FORMS": "0",
        **values,
    }


def actor_type_pk(code):
    return str(term("actor_type", code).pk)


def create(client, **values):
    data = blank_editor(
        **{
            "action": "create_partner",
            "neworg-actor_type": str(
                term("actor_type", values.pop("actor_type", "association")).pk
            ),
            **{f"neworg-{name}": value for name, value in values.items()},
        }
    )
    return client.post(reverse("case_create"), data)


def panel(page):
    """The new-organisation panel of an editor page."""
    match = re.search(r'<details class="new-organization".*?</details>', page, re.S)
    assert match, "no new-organisation panel"
    return match.group(0)


def test_the_panel_opens_on_the_name_searched_for_and_not_found(contributor_client):
    page = contributor_client.post(
        reverse("case_create"),
        blank_editor(**{"find-partner_query": "Ressourcerie Kerbiquet", "action": "find_partner"}),
    ).content.decode()
    assert "Aucune organisation trouvée" in page
    box = panel(page)
    assert box.startswith('<details class="new-organization" id="nouvelle-organisation" open>')
    assert 'value="Ressourcerie Kerbiquet"' in box
    assert 'data-prefill-from="id_find-partner_query"' in box  # the same with JavaScript
    assert "Commune du siège" in box and "SIRET du siège" in box


def test_the_panel_shows_no_error_before_its_own_button(contributor_client):
    for action in ("find_partner", "save", "find_territory"):
        page = contributor_client.post(
            reverse("case_create"),
            blank_editor(**{"action": action, "neworg-siren": "123", "neworg-seat": "Nulle-part"}),
        ).content.decode()
        box = panel(page)
        assert "field-error" not in box and "aria-invalid" not in box, action
        assert 'value="123"' in box  # what was typed is kept


def test_errors_show_after_creer_et_ajouter(contributor_client):
    response = create(contributor_client, name="", siret="732 829 320 00018", seat="Nulle-part")
    assert response.status_code == 400
    box = panel(response.content.decode())
    assert " open>" in box.split("\n")[0]
    assert "Ce champ est obligatoire" in box
    assert "clé de contrôle incorrecte" in box
    assert "Aucune commune ne correspond à «\u00a0Nulle-part\u00a0»" in box
    assert Organization.objects.count() == 0


def test_a_siret_gives_its_siren_and_a_seat_is_found_by_its_label(contributor, contributor_client):
    response = create(
        contributor_client,
        name="Cycles Solidaires du Pays de Redon",
        siret="732 829 320 00017",
        seat="Redon (35)",
    )
    assert response.status_code == 200
    assert "créée et ajoutée" in response.content.decode()
    created = Organization.objects.get()
    assert (created.siren, created.siret) == ("732829320", "73282932000017")
    assert created.seat == territory("commune", "35236")
    assert created.created_by == contributor and created.governed_territory is None
    # On the roster at once, and the panel closed and empty again.
    page = response.content.decode()
    assert f'name="roster-0-organization" value="{created.pk}"' in page
    assert 'value="Cycles Solidaires du Pays de Redon"' not in panel(page)


def test_a_siret_must_start_with_the_siren(contributor_client):
    response = create(
        contributor_client, name="Atelier", siren="552 100 554", siret="73282932000017"
    )
    assert response.status_code == 400
    assert "Les 9 premiers chiffres du SIRET doivent être le SIREN." in response.content.decode()


def test_a_postal_code_of_several_communes_asks_which_one(contributor_client):
    response = create(contributor_client, name="Atelier vélo", seat="35600")
    assert response.status_code == 400
    box = panel(response.content.decode())
    assert "Précisez\u00a0:" in box
    for name in ("Redon (35)", "Bains-sur-Oust (35)", "Sainte-Marie (35)"):
        assert name in box
    response = create(contributor_client, name="Atelier vélo", seat="redon 35600")
    assert Organization.objects.get().seat.name == "Redon"


def test_a_commune_named_after_its_seat_governs_it(contributor_client):
    create(contributor_client, name="Ville de Redon", actor_type="commune", seat="Redon")
    town = Organization.objects.get()
    assert town.seat == town.governed_territory == territory("commune", "35236")


def test_an_epci_is_recognised_by_the_siren_of_the_territory_table(contributor_client):
    create(
        contributor_client,
        name="Redon Agglomération",
        actor_type="epci",
        siren="243500741",
        seat="Redon (35)",
    )
    epci = Organization.objects.get()
    assert epci.governed_territory == territory("epci", "243500741")


def test_an_association_governs_nothing(contributor_client):
    create(contributor_client, name="Redon", actor_type="association", seat="Redon (35)")
    assert Organization.objects.get().governed_territory is None


def test_a_confirmed_exact_twin_is_added_not_created_again(contributor_client):
    pantin = OrganizationFactory(
        name="Commune de Pantin",
        actor_type=term("actor_type", "commune"),
        seat=territory("commune", "93055"),
    )
    CaseFactory(partners=[pantin, OrganizationFactory()])
    before = Organization.objects.count()
    page = create(contributor_client, name="Ville de Pantin", actor_type="commune").content.decode()
    assert "Des organisations proches existent déjà" in page and "Commune de Pantin" in page
    response = create(
        contributor_client, name="Ville de Pantin", actor_type="commune", confirm_new="on"
    )
    page = response.content.decode()
    assert "«\u00a0Commune de Pantin\u00a0» existe déjà\u00a0: elle est ajoutée" in page
    assert f'name="roster-0-organization" value="{pantin.pk}"' in page
    assert Organization.objects.count() == before


def test_a_visitor_cannot_create_an_organisation(visitor):
    response = create(visitor, name="Atelier")
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert Organization.objects.count() == 0


def test_the_seat_suggestions_are_communes_found_by_postal_code(contributor_client, visitor):
    url = reverse("suggest_territories")
    results = contributor_client.get(url, {"q": "35600", "kind": "commune"}).json()["results"]
    assert [r["label"] for r in results] == [
        "Redon (35)",
        "Bains-sur-Oust (35)",
        "Sainte-Marie (35)",
    ]
    results = contributor_client.get(url, {"q": "Redon", "kind": "commune"}).json()["results"]
    assert results and all(r["value"].startswith("commune:") for r in results)
    anywhere = contributor_client.get(url, {"q": "Redon"}).json()["results"]
    assert "epci:243500741" in [r["value"] for r in anywhere]
    assert visitor.get(url, {"q": "Redon"}).status_code == 302


def test_the_editor_finds_a_territory_by_postal_code(contributor_client):
    page = contributor_client.post(
        reverse("case_create"),
        blank_editor(**{"places-territory_query": "35600", "action": "find_territory"}),
    ).content.decode()
    assert "Redon (35) — commune" in page and "Sainte-Marie (35) — commune" in page


def test_an_organisation_created_in_the_editor_is_found_by_its_creator_only(
    client, contributor, other_contributor, moderator
):
    create(own_client(contributor), name="Ressourcerie Kerbiquet", seat="Redon (35)")

    def names(user):
        headers = {}
        if user is not None:
            _token, key = ApiToken.issue(user=user, name="script")
            headers = {"Authorization": f"Bearer {key}"}
        response = client.get("/api/v1/organizations/", {"q": "kerbiquet"}, headers=headers)
        assert response.status_code == 200
        return [o["name"] for o in response.json()["results"]]

    assert names(contributor) == ["Ressourcerie Kerbiquet"]
    assert names(moderator) == ["Ressourcerie Kerbiquet"]
    assert names(other_contributor) == [] and names(None) == []
    results = (
        own_client(contributor).get("/api/v1/organizations/", {"q": "kerbiquet"}).json()["results"]
    )
    assert results[0]["seat"]["code"] == "35236"


def test_the_editor_says_what_its_boxes_take_and_what_its_empty_choices_mean(contributor_client):
    """The search boxes name every identifier they find (postal code, SIRET) and no
    list opens on a row of dashes."""
    page = contributor_client.get(reverse("case_create")).content.decode()
    assert "ou un code postal." in page
    assert "Nom, SIREN, SIRET ou numéro RNA." in page
    assert "---------" not in page
    assert ">Non précisée</option>" in page
    assert ">Choisissez un type</option>" in panel(page)

    english = contributor_client.get("/en" + reverse("case_create")).content.decode()
    assert "with or without accents, or a postal code." in english
    assert ">Not specified</option>" in english
    assert ">Choose a type</option>" in panel(english)
