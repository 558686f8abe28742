"""Duplicates that help: names compared without their legal form (« Ville de »,
« Commune de », « Association », « SAS »…), identifiers first (SIREN, SIRET,
RNA, and the SIREN the territory table knows for a collectivité), candidates
shown with their type and seat, and never one the person may not see."""

import pytest
from django.urls import reverse

from registry.models import Organization
from registry.search.duplicates import core_name, new_organization_duplicates, similar_organizations
from territories.models import normalize
from tests.factories import CaseFactory, OrganizationFactory, term, territory
from tests.test_editor import editor_data

pytestmark = pytest.mark.django_db


def public(organization):
    """On the roster of a published case: anyone may be told its name."""
    CaseFactory(partners=[organization, OrganizationFactory()])
    return organization


def names(organizations):
    return [organization.name for organization in organizations]


@pytest.mark.parametrize(
    "name, core",
    [
        ("Ville de Pantin", "pantin"),
        ("Commune de Pantin", "pantin"),
        ("Mairie d'Aubervilliers", "aubervilliers"),
        ("Ville de La Rochelle", "la rochelle"),
        ("SAS Menuiseries Lefebvre", "menuiseries lefebvre"),
        ("Association Tremplin", "tremplin"),
        ("Fondation de France", "fondation de france"),
        ("Association", "association"),  # nothing but a legal form: kept whole
    ],
)
def test_a_name_is_compared_without_the_words_of_its_legal_form(name, core):
    assert core_name(normalize(name)) == core


def test_ville_de_pantin_finds_the_existing_commune_de_pantin(contributor):
    commune = public(
        OrganizationFactory(
            name="Commune de Pantin",
            actor_type=term("actor_type", "commune"),
            seat=territory("commune", "93055"),
        )
    )
    public(OrganizationFactory(name="Ville de Paris", actor_type=term("actor_type", "commune")))
    found = similar_organizations(seen_by=contributor, name="Ville de Pantin")
    assert found == [commune]


def test_a_company_is_found_by_its_legal_form_written_differently(contributor):
    company = public(
        OrganizationFactory(
            name="Menuiseries Lefebvre SARL", actor_type=term("actor_type", "entreprise")
        )
    )
    assert similar_organizations(seen_by=contributor, name="SAS Menuiseries Lefebvre") == [company]


def test_the_siren_of_an_epci_in_the_territory_table_finds_the_organisation_governing_it(
    contributor,
):
    redon = territory("epci", "243500741")
    agglo = public(
        OrganizationFactory(
            name="Redon Agglomération",
            actor_type=term("actor_type", "epci"),
            governed_territory=redon,
        )
    )
    found = similar_organizations(
        seen_by=contributor, name="Communauté d'agglomération du pays redonnais", siren="243500741"
    )
    assert found[0] == agglo


def test_a_siret_finds_the_company_of_its_first_nine_digits(contributor):
    company = public(
        OrganizationFactory(
            name="Industries du Nord",
            siren="552032534",
            actor_type=term("actor_type", "entreprise"),
        )
    )
    found = similar_organizations(seen_by=contributor, name="IDN", siret="55203253400013")
    assert found == [company]


def test_the_same_siret_is_never_created_twice(contributor):
    OrganizationFactory(name="Atelier Nord", siret="55203253400013")
    duplicates = new_organization_duplicates(
        seen_by=contributor, name="Autre nom", siret="55203253400013"
    )
    assert duplicates.identifier_taken
    assert duplicates.same_identifier == []  # not hers to see: told by its SIRET only
    assert [o.siret for o in duplicates.unseen_identifier] == ["55203253400013"]


def test_a_name_alike_only_in_its_legal_form_is_no_candidate(contributor):
    public(OrganizationFactory(name="Association Tremplin"))
    assert similar_organizations(seen_by=contributor, name="Association Horizon") == []


def test_an_organisation_known_only_from_someone_elses_draft_is_never_named(
    contributor, other_contributor
):
    secret = OrganizationFactory(name="Commune de Pantin", created_by=other_contributor)
    CaseFactory(owner=other_contributor, status="draft", partners=[secret, OrganizationFactory()])
    assert similar_organizations(seen_by=contributor, name="Ville de Pantin") == []
    assert names(similar_organizations(seen_by=other_contributor, name="Ville de Pantin")) == [
        "Commune de Pantin"
    ]


def test_the_editor_warns_of_the_commune_with_its_type_and_seat(contributor_client):
    public(
        OrganizationFactory(
            name="Commune de Pantin",
            actor_type=term("actor_type", "commune"),
            seat=territory("commune", "93055"),
        )
    )
    data = editor_data(
        **{
            "neworg-name": "Ville de Pantin",
            "neworg-actor_type": str(term("actor_type", "commune").pk),
            "action": "create_partner",
        }
    )
    page = contributor_client.post(reverse("case_create"), data).content.decode()
    assert "Des organisations proches existent déjà" in page
    warning = page[page.index("Des organisations proches") :]
    warning = warning[: warning.index("</div>")]
    assert "Commune de Pantin" in warning
    assert "Commune" in warning.split("Commune de Pantin", 1)[1]  # its type
    assert "Pantin (93)" in warning  # its seat, with its département
    assert not Organization.objects.filter(name="Ville de Pantin").exists()


def test_the_editor_names_the_territory_an_authority_governs_when_its_seat_is_unknown(
    contributor_client,
):
    public(
        OrganizationFactory(
            name="Redon Agglomération",
            actor_type=term("actor_type", "epci"),
            governed_territory=territory("epci", "243500741"),
        )
    )
    data = editor_data(
        **{
            "neworg-name": "Agglomération de Redon",
            "neworg-actor_type": str(term("actor_type", "epci").pk),
            "neworg-siren": "243500741",
            "action": "create_partner",
        }
    )
    page = contributor_client.post(reverse("case_create"), data).content.decode()
    assert "Redon Agglomération" in page and "CA Redon Agglomération" in page
