"""Merging organisations from a list: the likely duplicates, for staff only,
searchable by name; a preview of what moves; a confirmation (POST, CSRF) and
an audit entry; a clear message for a bad choice."""

from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from registry.models import Action, AuditLog, CasePartner, CaseStatus, Organization
from tests.factories import CaseFactory, OrganizationFactory, term, territory

pytestmark = pytest.mark.django_db

LIST = reverse("moderation_merge")
PREVIEW = reverse("moderation_merge_preview")


def pantin_pair():
    """The same town twice: once « Commune de », once « Ville de », same seat."""
    seat = territory("commune", "93055")
    commune = OrganizationFactory(
        name="Commune de Pantin", actor_type=term("actor_type", "commune"), seat=seat
    )
    ville = OrganizationFactory(
        name="Ville de Pantin", actor_type=term("actor_type", "commune"), seat=seat
    )
    return commune, ville


def listed(response):
    return [
        {row["pair"].survivor.name, row["pair"].duplicate.name} for row in response.context["pairs"]
    ]


@pytest.mark.parametrize("url", [LIST, PREVIEW])
def test_the_merge_pages_are_for_staff_only(client, contributor, moderator, url):
    assert client.get(url).status_code == 302  # log in first
    client.force_login(contributor)
    assert client.get(url).status_code == 403
    client.force_login(moderator)
    assert client.get(url).status_code == 200


def test_a_contributor_cannot_merge(contributor_client):
    commune, ville = pantin_pair()
    response = contributor_client.post(LIST, {"survivor": commune.slug, "duplicate": ville.slug})
    assert response.status_code == 403
    assert Organization.objects.filter(pk=ville.pk).exists()


def test_the_same_town_under_two_legal_forms_is_listed_with_a_merge_link(moderator_client):
    commune, ville = pantin_pair()
    CaseFactory(partners=[commune, OrganizationFactory()])
    response = moderator_client.get(LIST)
    assert {"Commune de Pantin", "Ville de Pantin"} in listed(response)
    page = response.content.decode()
    assert "Même nom hors forme juridique, même siège" in page
    assert f"{PREVIEW}?survivor={commune.slug}&amp;duplicate={ville.slug}" in page


def test_organisations_without_any_published_case_are_listed_too(moderator_client, contributor):
    draft_only = OrganizationFactory(name="Mairie de Roubaix", created_by=contributor)
    CaseFactory(owner=contributor, status=CaseStatus.DRAFT, partners=[draft_only])
    OrganizationFactory(name="Ville de Roubaix")  # on no case at all
    assert {"Mairie de Roubaix", "Ville de Roubaix"} in listed(moderator_client.get(LIST))


def test_identifiers_pair_organisations_whose_names_differ(moderator_client):
    OrganizationFactory(name="Industries du Nord", siren="552032534")
    OrganizationFactory(name="IDN Usine de Lens", siret="55203253400013")
    OrganizationFactory(name="Redon Agglomération", siren="243500741")
    OrganizationFactory(
        name="Communauté du pays redonnais", governed_territory=territory("epci", "243500741")
    )
    response = moderator_client.get(LIST)
    assert {"Industries du Nord", "IDN Usine de Lens"} in listed(response)
    assert {"Redon Agglomération", "Communauté du pays redonnais"} in listed(response)
    page = unescape(response.content.decode())
    assert "SIRET de l'une dans le SIREN de l'autre" in page
    assert "SIREN du territoire que l'autre administre" in page


def test_two_towns_of_the_same_name_with_different_seats_are_not_a_pair(moderator_client):
    OrganizationFactory(name="Commune de Saint-Denis", seat=territory("commune", "93066"))
    OrganizationFactory(name="Ville de Saint-Denis", seat=territory("commune", "97411"))
    assert listed(moderator_client.get(LIST)) == []


def test_the_list_is_searched_by_name(moderator_client):
    pantin_pair()
    OrganizationFactory(name="Mairie de Roubaix")
    OrganizationFactory(name="Ville de Roubaix")
    response = moderator_client.get(LIST, {"q": "roubaix"})
    assert listed(response) == [{"Mairie de Roubaix", "Ville de Roubaix"}]
    assert [o.name for o in response.context["found"]] == ["Mairie de Roubaix", "Ville de Roubaix"]
    assert "roubaix" in response.content.decode()


def test_the_preview_says_what_moves_and_changes_nothing(moderator_client, contributor):
    commune, ville = pantin_pair()
    ville.siren = "219300555"
    ville.save()
    CaseFactory(title="Jardins de Pantin", partners=[ville, OrganizationFactory()])
    CaseFactory(title="Fête du canal", status=CaseStatus.DRAFT, partners=[commune, ville])
    User.objects.filter(pk=contributor.pk).update(organization=ville)
    before = CasePartner.objects.count()
    response = moderator_client.get(PREVIEW, {"survivor": commune.slug, "duplicate": ville.slug})
    page = unescape(response.content.decode())
    assert response.status_code == 200
    assert "Jardins de Pantin" in page and "Fête du canal" in page
    assert "2 partenariats passent" in page
    assert "1 membre rattaché passe" in page
    assert "219300555" in page  # the SIREN the survivor takes over
    assert "Réuni à celui de l'organisation conservée" in page  # both on « Fête du canal »
    assert 'method="post"' in page and "csrfmiddlewaretoken" in page
    assert Organization.objects.filter(pk=ville.pk).exists()
    assert CasePartner.objects.count() == before


def test_confirming_merges_records_an_audit_entry_and_returns_to_the_list(moderator_client):
    commune, ville = pantin_pair()
    case = CaseFactory(partners=[ville, OrganizationFactory()])
    response = moderator_client.post(
        LIST, {"survivor": commune.slug, "duplicate": ville.slug}, follow=True
    )
    assert response.redirect_chain[-1][0] == LIST
    assert "«\u00a0Ville de Pantin\u00a0» fusionnée dans «\u00a0Commune de Pantin\u00a0»" in (
        unescape(response.content.decode())
    )
    assert not Organization.objects.filter(pk=ville.pk).exists()
    assert case.roster.filter(organization=commune).exists()
    entry = AuditLog.objects.get(action=Action.MERGE)
    assert entry.organization == commune and entry.data["merged"]["name"] == "Ville de Pantin"
    assert {"Commune de Pantin", "Ville de Pantin"} not in listed(response)


def test_a_merge_without_the_csrf_token_is_refused(moderator):
    commune, ville = pantin_pair()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(moderator)
    response = browser.post(LIST, {"survivor": commune.slug, "duplicate": ville.slug})
    assert response.status_code == 403
    assert Organization.objects.filter(pk=ville.pk).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_bad_choice_gets_a_clear_french_message(moderator_client, method):
    commune, _ville = pantin_pair()
    send = getattr(moderator_client, method)
    url = PREVIEW if method == "get" else LIST
    response = send(url, {"survivor": commune.slug, "duplicate": "deja-fusionnee"})
    page = unescape(response.content.decode())
    assert "Sélectionnez un choix valide" not in page
    assert "Aucune organisation n'a l'identifiant d'URL «\u00a0deja-fusionnee\u00a0»" in page
    assert Organization.objects.filter(pk=commune.pk).exists()


def test_the_list_reads_in_the_same_number_of_queries_however_many_pairs(
    moderator_client, django_assert_num_queries
):
    def add_pairs(first, last):
        for n in range(first, last):
            OrganizationFactory(name=f"Commune de Bourg n{n}")
            OrganizationFactory(name=f"Ville de Bourg n{n}")

    add_pairs(0, 2)
    # the session, the user, the narrow list, the organisations shown
    with django_assert_num_queries(4):
        assert len(moderator_client.get(LIST).context["pairs"]) == 2
    add_pairs(2, 12)
    with django_assert_num_queries(4):
        assert len(moderator_client.get(LIST).context["pairs"]) == 12
    # a search adds the organisations matching it and the table of those found
    with django_assert_num_queries(6):
        moderator_client.get(LIST, {"q": "bourg"})
