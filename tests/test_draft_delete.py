"""Deleting a draft, on the site (a confirmation page) and through the API
(DELETE /api/v1/me/cases/{id}/): its owner's, never published, nothing else."""

import pytest
from django.urls import reverse

from accounts.models import ApiToken
from registry.models import Case, CaseStatus, Organization
from tests.conftest import own_client
from tests.factories import CaseFactory, term

pytestmark = pytest.mark.django_db


def draft_of(user, **values):
    values = {"status": CaseStatus.DRAFT, "title": "Atelier vélo solidaire de Redon", **values}
    return CaseFactory(owner=user, **values)


def auth(user):
    _token, key = ApiToken.issue(user=user, name="script")
    return {"Authorization": f"Bearer {key}"}


def test_the_editor_of_a_draft_links_to_its_deletion(contributor, contributor_client):
    case = draft_of(contributor)
    page = contributor_client.get(reverse("case_edit", args=[case.pk])).content.decode()
    assert f'href="{reverse("case_delete", args=[case.pk])}"' in page
    assert "Supprimer le brouillon" in page


def test_the_owner_confirms_then_the_draft_is_gone(contributor, contributor_client):
    case = draft_of(contributor)
    partners = list(case.roster.values_list("organization_id", flat=True))
    url = reverse("case_delete", args=[case.pk])
    page = contributor_client.get(url).content.decode()
    assert "Supprimer le brouillon «\u00a0Atelier vélo solidaire de Redon\u00a0»\u00a0?" in page
    assert "csrfmiddlewaretoken" in page and "Supprimer définitivement" in page
    assert "2 partenaires" in page and "1 territoire" in page
    assert Case.objects.filter(pk=case.pk).exists()  # a GET deletes nothing
    response = contributor_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:dashboard")
    assert "Brouillon «\u00a0Atelier vélo solidaire de Redon\u00a0» supprimé." in (
        response.content.decode()
    )
    assert not Case.objects.filter(pk=case.pk).exists()
    assert Organization.objects.filter(pk__in=partners).count() == 2  # partners stay
    dashboard = contributor_client.get(reverse("accounts:dashboard")).content.decode()
    assert "Atelier vélo" not in dashboard


def test_a_case_sent_back_for_changes_and_never_published_can_be_deleted(
    contributor, contributor_client
):
    case = draft_of(contributor, status=CaseStatus.CHANGES_REQUESTED)
    contributor_client.post(reverse("case_delete", args=[case.pk]))
    assert not Case.objects.filter(pk=case.pk).exists()


def test_nobody_else_deletes_a_draft(contributor, other_contributor, moderator, visitor):
    case = draft_of(contributor)
    url = reverse("case_delete", args=[case.pk])
    response = visitor.post(url)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    for user in (other_contributor, moderator):
        client = own_client(user)
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert Case.objects.filter(pk=case.pk).exists()


@pytest.mark.parametrize("status", [CaseStatus.PUBLISHED, CaseStatus.SUBMITTED])
def test_a_published_or_submitted_case_is_not_deleted(contributor, contributor_client, status):
    case = CaseFactory(owner=contributor, status=status)
    url = reverse("case_delete", args=[case.pk])
    response = contributor_client.post(url, follow=True)
    assert "Seul un brouillon jamais publié peut être supprimé." in response.content.decode()
    assert Case.objects.filter(pk=case.pk).exists()
    edit_page = contributor_client.get(reverse("case_edit", args=[case.pk])).content.decode()
    assert url not in edit_page


def test_a_case_once_published_then_sent_back_is_not_deleted(contributor, contributor_client):
    case = CaseFactory(owner=contributor, status=CaseStatus.PUBLISHED)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CHANGES_REQUESTED)
    contributor_client.post(reverse("case_delete", args=[case.pk]))
    assert Case.objects.filter(pk=case.pk).exists()


def test_a_withdrawn_submission_can_be_deleted(contributor, contributor_client):
    case = draft_of(contributor, tags=[term("theme", "numerique_inclusif")])
    case.submit(by=contributor)
    case.withdraw(by=contributor)
    contributor_client.post(reverse("case_delete", args=[case.pk]))
    assert not Case.objects.filter(pk=case.pk).exists()


def test_a_deleted_draft_leaves_the_search_index(contributor, contributor_client, moderator):
    case = draft_of(contributor, title="Ressourcerie Kerbiquet de Redon")
    staff = own_client(moderator)
    contributor_client.post(reverse("case_delete", args=[case.pk]))
    page = staff.get(reverse("case_list"), {"q": "Kerbiquet"}).content.decode()
    assert "Ressourcerie Kerbiquet de Redon" not in page


# ---- The API ------------------------------------------------------------------------


def test_the_api_deletes_the_owners_draft_with_a_204(client, contributor):
    case = draft_of(contributor)
    url = reverse("api:own_case_detail", args=[case.pk])
    response = client.delete(url, headers=auth(contributor))
    assert response.status_code == 204 and response.content == b""
    assert not Case.objects.filter(pk=case.pk).exists()
    assert client.get(url, headers=auth(contributor)).status_code == 404


def test_the_api_answers_404_for_someone_elses_case_and_401_without_a_token(
    client, contributor, other_contributor, moderator
):
    case = draft_of(contributor)
    url = reverse("api:own_case_detail", args=[case.pk])
    assert client.delete(url).status_code == 401
    assert client.delete(url, headers=auth(other_contributor)).status_code == 404
    assert client.delete(url, headers=auth(moderator)).status_code == 404
    assert client.delete("/api/v1/me/cases/abc/", headers=auth(contributor)).status_code == 404
    assert Case.objects.filter(pk=case.pk).exists()


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (CaseStatus.PUBLISHED, "Seul un brouillon jamais publié peut être supprimé"),
        (CaseStatus.SUBMITTED, "retirez la soumission"),
        (CaseStatus.REJECTED, "Seul un brouillon jamais publié peut être supprimé"),
    ],
)
def test_the_api_refuses_to_delete_anything_but_a_draft_with_a_409(
    client, contributor, status, message
):
    case = CaseFactory(owner=contributor, status=status)
    response = client.delete(
        reverse("api:own_case_detail", args=[case.pk]), headers=auth(contributor)
    )
    assert response.status_code == 409
    assert message in response.json()["detail"]
    assert Case.objects.filter(pk=case.pk).exists()


def test_the_schema_documents_the_deletion(client):
    schema = client.get("/api/v1/schema/", headers={"Accept": "application/json"})
    operation = schema.json()["paths"]["/api/v1/me/cases/{id}/"]["delete"]
    assert operation["operationId"] == "me_cases_destroy"
    assert {"204", "404", "409"} <= set(operation["responses"])
