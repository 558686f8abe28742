"""The case editor: drafts, partners, territories, nothing lost, concurrent edits,
and the permission matrix of its URLs."""

import pytest
from django.urls import reverse

from registry.models import Case, CaseRevision, CaseStatus, Organization
from tests.factories import CaseFactory, OrganizationFactory, UserFactory, term, territory

pytestmark = pytest.mark.django_db


def editor_data(**overrides):
    """The POST of a complete editor page: Lille, two partners, one theme."""
    town = OrganizationFactory(name="Ville de Lille", actor_type=term("actor_type", "commune"))
    charity = OrganizationFactory(
        name="Association Tremplin", actor_type=term("actor_type", "association")
    )
    # Claire (the `contributor` persona) created them: hers to put on a roster.
    claire = UserFactory(email="claire.contributrice@example.org")
    Organization.objects.filter(pk__in=[town.pk, charity.pk]).update(created_by=claire)
    role = term("partner_role", "partenaire")
    data = {
        "case-title": "Cité éducative de Fives",
        "case-summary": "La ville et une association accompagnent les jeunes du quartier.",
        "case-description": "Une <strong>alliance</strong> locale.<script>alert(1)</script>",
        "case-start_year": "2020",
        "case-end_year": "",
        "case-version": "",
        "places-territories": ["commune:59350"],
        "roster-TOTAL_FORMS": "2",
        "roster-INITIAL_FORMS": "0",
        "roster-0-organization": str(town.pk),
        "roster-0-role": str(role.pk),
        "roster-1-organization": str(charity.pk),
        "roster-1-role": str(role.pk),
        "tags-theme": [str(term("theme", "education_jeunesse").pk)],
        "tags-practice": [str(term("practice", "copilotage").pk)],
        "sources-sources": "Rapport d'activité | https://example.org/rapport.pdf",
        "action": "save",
    }
    data.update(overrides)
    return data


def test_a_visitor_is_sent_to_log_in_before_writing(client):
    response = client.get(reverse("case_create"))
    assert response.status_code == 302
    assert "next=/contribuer/nouvelle/" in response["Location"]


def test_a_contributor_saves_a_draft_with_its_partners_territory_and_tags(
    contributor_client, contributor
):
    response = contributor_client.post(reverse("case_create"), editor_data())
    case = Case.objects.get(title="Cité éducative de Fives")
    assert response.status_code == 302 and response["Location"] == reverse(
        "case_edit", args=[case.pk]
    )
    assert case.owner == contributor and case.status == CaseStatus.DRAFT
    assert [link.territory.code for link in case.case_territories.all()] == ["59350"]
    assert case.roster.count() == 2
    assert {t.code for t in case.terms.all()} == {"education_jeunesse", "copilotage"}
    assert case.sources.get().url == "https://example.org/rapport.pdf"
    assert "<strong>alliance</strong>" in case.description and "<script" not in case.description
    assert case.search_text and "fives" in case.search_text
    assert case.missing_for_submission() == []


def test_invalid_input_keeps_every_value_typed_and_writes_nothing(contributor_client):
    data = editor_data(**{"case-start_year": "2030", "case-end_year": "2020", "case-title": ""})
    response = contributor_client.post(reverse("case_create"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "La ville et une association accompagnent les jeunes du quartier." in page
    assert "précède" in page and "Ville de Lille" in page and "Association Tremplin" in page
    assert not Case.objects.exists()


def test_searching_a_territory_without_accents_offers_homonyms_by_departement(contributor_client):
    data = editor_data(**{"places-territory_query": "sainte colombe", "action": "find_territory"})
    response = contributor_client.post(reverse("case_create"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Sainte-Colombe (05)" in page and "Sainte-Colombe (77)" in page
    assert "Cité éducative de Fives" in page  # nothing lost while searching
    assert not Case.objects.exists()


def test_adding_and_removing_a_territory_keeps_the_rest(contributor_client):
    data = editor_data(action="add_territory:departement:59")
    page = contributor_client.post(reverse("case_create"), data).content.decode()
    assert 'value="departement:59"' in page and 'value="commune:59350"' in page
    data = editor_data(**{"places-territories": ["commune:59350", "departement:59"]})
    data["action"] = "remove_territory:commune:59350"
    page = contributor_client.post(reverse("case_create"), data).content.decode()
    assert 'value="commune:59350"' not in page and 'value="departement:59"' in page


def test_a_partner_is_found_by_siren_typed_with_spaces_and_added(contributor_client):
    company = OrganizationFactory(
        name="Industries du Nord", siren="552032534", actor_type=term("actor_type", "entreprise")
    )
    CaseFactory(partners=[company, OrganizationFactory()])  # public: anyone may find it
    data = editor_data(**{"find-partner_query": "552 032 534", "action": "find_partner"})
    page = contributor_client.post(reverse("case_create"), data).content.decode()
    assert "Industries du Nord" in page
    data = editor_data(action=f"add_partner:{company.pk}")
    page = contributor_client.post(reverse("case_create"), data).content.decode()
    assert 'name="roster-2-organization"' in page and f'value="{company.pk}"' in page


def test_a_new_organisation_with_an_invalid_siren_is_refused_with_a_message(contributor_client):
    data = editor_data(
        **{
            "neworg-name": "Fondation Horizon",
            "neworg-actor_type": str(term("actor_type", "fondation").pk),
            "neworg-siren": "123 456 789",
            "action": "create_partner",
        }
    )
    response = contributor_client.post(reverse("case_create"), data)
    assert response.status_code == 400
    assert "SIREN" in response.content.decode()
    assert not Organization.objects.filter(name="Fondation Horizon").exists()


def test_a_similar_organisation_is_proposed_before_creating_a_new_one(contributor_client):
    CaseFactory(partners=[OrganizationFactory(name="Association Tremplin Jeunes Lille")])
    data = editor_data(
        **{
            "neworg-name": "Association Tremplin Jeunes de Lille",
            "neworg-actor_type": str(term("actor_type", "association").pk),
            "action": "create_partner",
        }
    )
    page = contributor_client.post(reverse("case_create"), data).content.decode()
    assert "Des organisations proches existent déjà" in page
    assert not Organization.objects.filter(name="Association Tremplin Jeunes de Lille").exists()
    data["neworg-confirm_new"] = "on"
    page = contributor_client.post(reverse("case_create"), data).content.decode()
    created = Organization.objects.get(name="Association Tremplin Jeunes de Lille")
    assert f'value="{created.pk}"' in page


def test_the_same_identifier_is_never_created_twice(contributor_client):
    OrganizationFactory(name="Tremplin", rna="W595000001")
    data = editor_data(
        **{
            "neworg-name": "Autre nom",
            "neworg-actor_type": str(term("actor_type", "association").pk),
            "neworg-rna": "W 595 000 001",
            "neworg-confirm_new": "on",
            "action": "create_partner",
        }
    )
    page = contributor_client.post(reverse("case_create"), data).content.decode()
    assert "porte déjà" in page
    assert Organization.objects.filter(rna="W595000001").count() == 1


def test_a_roster_with_one_partner_saves_as_draft_but_cannot_be_submitted(contributor_client):
    data = editor_data(**{"roster-TOTAL_FORMS": "1", "action": "submit"})
    contributor_client.post(reverse("case_create"), data)
    case = Case.objects.get()
    assert case.status == CaseStatus.DRAFT
    response = contributor_client.post(reverse("case_submit", args=[case.pk]), follow=True)
    assert "deux partenaires" in response.content.decode()
    assert Case.objects.get().status == CaseStatus.DRAFT


def test_saving_and_submitting_sends_the_case_to_review(contributor_client):
    contributor_client.post(reverse("case_create"), editor_data())
    case = Case.objects.get()
    response = contributor_client.post(
        reverse("case_edit", args=[case.pk]),
        editor_data(**{"case-version": str(case.version), "action": "submit"}),
    )
    assert response.status_code == 302
    assert Case.objects.get().status == CaseStatus.SUBMITTED


def test_an_edit_made_meanwhile_by_someone_else_is_detected_and_nothing_is_lost(
    contributor_client, contributor
):
    case = CaseFactory(owner=contributor, status=CaseStatus.DRAFT)
    stale_version = case.version
    case.title = "Titre changé dans un autre onglet"
    case.version += 1
    case.save()
    data = editor_data(**{"case-version": str(stale_version), "case-title": "Mon titre à moi"})
    response = contributor_client.post(reverse("case_edit", args=[case.pk]), data)
    assert response.status_code == 409
    assert "Mon titre à moi" in response.content.decode()
    assert Case.objects.get(pk=case.pk).title == "Titre changé dans un autre onglet"
    data["case-version"] = str(case.version)
    assert contributor_client.post(reverse("case_edit", args=[case.pk]), data).status_code == 302
    assert Case.objects.get(pk=case.pk).title == "Mon titre à moi"


def test_editing_a_published_case_creates_a_revision_and_leaves_it_online_unchanged(
    contributor_client, contributor
):
    case = CaseFactory(owner=contributor, title="Version publiée", tags=[term("theme", "sante")])
    data = editor_data(**{"case-title": "Version proposée", "case-version": ""})
    assert contributor_client.post(reverse("case_edit", args=[case.pk]), data).status_code == 302
    case.refresh_from_db()
    assert case.title == "Version publiée" and case.status == CaseStatus.PUBLISHED
    revision = CaseRevision.objects.get(case=case)
    assert revision.data["title"] == "Version proposée"
    contributor_client.post(reverse("case_submit", args=[case.pk]))
    revision.refresh_from_db()
    assert revision.status == "submitted"
    assert (
        contributor_client.get(case.get_absolute_url()).context["case"].title == "Version publiée"
    )


@pytest.mark.parametrize("status", [CaseStatus.DRAFT, CaseStatus.SUBMITTED, CaseStatus.REJECTED])
def test_another_contributor_gets_a_404_on_an_unpublished_case(other_client, contributor, status):
    case = CaseFactory(owner=contributor, status=status)
    for name in ("case_edit", "case_history"):
        assert other_client.get(reverse(name, args=[case.pk])).status_code == 404
    for name in ("case_submit", "case_withdraw"):
        assert other_client.post(reverse(name, args=[case.pk])).status_code == 404


def test_another_contributor_gets_a_403_on_a_published_case(other_client, contributor):
    case = CaseFactory(owner=contributor)
    assert other_client.get(reverse("case_edit", args=[case.pk])).status_code == 403
    assert other_client.post(reverse("case_edit", args=[case.pk]), editor_data()).status_code == 403
    assert case.revisions.count() == 0


def test_a_moderator_may_edit_anyones_draft(moderator_client, contributor):
    case = CaseFactory(owner=contributor, status=CaseStatus.DRAFT)
    assert moderator_client.get(reverse("case_edit", args=[case.pk])).status_code == 200


def test_a_submitted_case_can_be_withdrawn_by_its_owner(contributor_client, contributor):
    case = CaseFactory(owner=contributor, status=CaseStatus.SUBMITTED)
    assert contributor_client.get(reverse("case_withdraw", args=[case.pk])).status_code == 405
    contributor_client.post(reverse("case_withdraw", args=[case.pk]))
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT


def test_duplicate_cases_are_shown_without_blocking(contributor_client, contributor):
    CaseFactory(title="Cité éducative de Fives à Lille", places=[territory("commune", "59350")])
    contributor_client.post(reverse("case_create"), editor_data())
    case = Case.objects.get(owner=contributor)
    page = contributor_client.get(reverse("case_edit", args=[case.pk])).content.decode()
    assert "Des expériences proches existent déjà" in page
    assert "Cité éducative de Fives à Lille" in page


def test_the_editor_forms_are_protected_by_csrf(contributor):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(contributor)
    assert client.post(reverse("case_create"), editor_data()).status_code == 403
    assert not Case.objects.exists()


def test_territory_suggestions_are_accent_insensitive_and_tell_homonyms_apart(
    contributor_client,
):
    response = contributor_client.get(reverse("suggest_territories"), {"q": "sainte colombe"})
    labels = [r["label"] for r in response.json()["results"]]
    assert "Sainte-Colombe (05)" in labels and "Sainte-Colombe (77)" in labels
    values = [r["value"] for r in response.json()["results"]]
    assert all(":" in value for value in values)


def test_organisation_suggestions_find_a_siren_typed_with_spaces(contributor_client):
    company = OrganizationFactory(name="Industries du Nord", siren="552032534")
    CaseFactory(partners=[company, OrganizationFactory()])
    response = contributor_client.get(reverse("suggest_organizations"), {"q": "552 032 534"})
    assert response.json()["results"][0]["value"] == str(company.pk)


def test_suggestions_need_an_account(client):
    assert client.get(reverse("suggest_territories"), {"q": "lille"}).status_code == 302


def test_submissions_are_rate_limited_per_account(contributor_client, contributor):
    from django.core.cache import cache

    cache.clear()
    case = CaseFactory(owner=contributor, status=CaseStatus.DRAFT)
    for _ in range(20):
        contributor_client.post(reverse("case_submit", args=[case.pk]))
    response = contributor_client.post(reverse("case_submit", args=[case.pk]))
    assert response.status_code == 429
    cache.clear()
