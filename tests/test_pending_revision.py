"""A published case's pending changes are visible to its owner: the dashboard and
the owner's view of the case page say « Modifications en attente de relecture »
or « Modifications demandées » with staff's message, the editor shows that
message; a submitted revision is not edited (the editor and the API say
« withdraw first ») until its owner withdraws it, on the site or the API; a
trusted contributor's revision is published at once, still versioned, logged
and reportable, an untrusted one waits in the queue."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken
from registry.models import Action, AuditLog, Case, CaseRevision, RevisionStatus
from registry.models.workflow import TransitionNotAllowed
from registry.views.editor import Editor
from tests.conftest import own_client
from tests.factories import CaseFactory, term

pytestmark = pytest.mark.django_db


def published_case(owner):
    return CaseFactory(owner=owner, title="Atelier vélo de Redon", tags=[term("theme", "sante")])


def revised(case, owner, title="Atelier vélo solidaire de Redon"):
    data = case.snapshot()
    data["title"] = title
    return case.propose_revision(data, by=owner)


def editor_post(revision, **overrides):
    data = Editor.initial_data(revision.data, revision.lock_version)
    data = dict(data.lists())
    data.update(overrides)
    return data


def auth(user):
    _token, key = ApiToken.issue(user=user, name="script")
    return {"Authorization": f"Bearer {key}"}


def dashboard(client):
    return client.get(reverse("accounts:dashboard")).content.decode()


def test_the_owner_sees_a_submitted_revision_waiting_on_the_dashboard_and_case_page(
    contributor, contributor_client, other_client, visitor
):
    case = published_case(contributor)
    revised(case, contributor).submit(by=contributor)
    assert "Modifications en attente de relecture" in dashboard(contributor_client)
    page = contributor_client.get(case.get_absolute_url()).content.decode()
    assert "Modifications en attente de relecture" in page
    assert reverse("case_withdraw", args=[case.pk]) in page
    # The published case is what everyone else reads, with no word of the changes.
    for client in (other_client, visitor):
        page = client.get(case.get_absolute_url()).content.decode()
        assert "Modifications en attente" not in page and "Atelier vélo solidaire" not in page
    assert "Modifications en attente" not in dashboard(other_client)


def test_a_revision_sent_back_shows_staffs_message_with_the_way_to_the_editor(
    contributor, contributor_client, moderator
):
    case = published_case(contributor)
    revision = revised(case, contributor).submit(by=contributor)
    revision.request_changes(by=moderator, reason="unclear", message="Gardez le nom d'usage.")
    editor_url = reverse("case_edit", args=[case.pk])
    for page in (dashboard(contributor_client), contributor_client.get(case.get_absolute_url())):
        page = page if isinstance(page, str) else page.content.decode()
        assert "Modifications demandées" in page
        assert "Gardez le nom d&#x27;usage." in page
        assert f'href="{editor_url}"' in page
    editor = contributor_client.get(editor_url).content.decode()
    assert "Modifications demandées par la modération" in editor
    assert "Description à préciser" in editor and "Gardez le nom d&#x27;usage." in editor


def test_a_submitted_revision_is_not_edited_in_the_editor_until_withdrawn(
    contributor, contributor_client
):
    case = published_case(contributor)
    revision = revised(case, contributor).submit(by=contributor)
    url = reverse("case_edit", args=[case.pk])
    for response in (
        contributor_client.get(url),
        contributor_client.post(url, editor_post(revision, **{"case-title": "Encore un titre"})),
    ):
        assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    page = contributor_client.get(case.get_absolute_url()).content.decode()
    assert "retirez la soumission pour les modifier" in page
    revision.refresh_from_db()
    assert revision.data["title"] == "Atelier vélo solidaire de Redon"
    with pytest.raises(TransitionNotAllowed):
        case.propose_revision(revision.data, by=contributor)


def test_the_owner_withdraws_a_submitted_revision_and_edits_it_again(
    contributor, contributor_client, moderator_client
):
    case = published_case(contributor)
    revision = revised(case, contributor).submit(by=contributor)
    response = contributor_client.post(reverse("case_withdraw", args=[case.pk]))
    assert response["Location"] == reverse("case_edit", args=[case.pk])
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.DRAFT
    entry = AuditLog.objects.get(case=case, action=Action.WITHDRAW)
    assert entry.actor == contributor and entry.data == {"revision": revision.pk}
    assert contributor_client.get(reverse("case_edit", args=[case.pk])).status_code == 200
    queue = moderator_client.get(reverse("moderation_queue")).content.decode()
    assert "Aucune révision en attente." in queue
    assert Case.objects.get(pk=case.pk).title == "Atelier vélo de Redon"


def test_only_the_owner_withdraws_a_revision(contributor, other_contributor, visitor):
    case = published_case(contributor)
    revision = revised(case, contributor).submit(by=contributor)
    url = reverse("case_withdraw", args=[case.pk])
    response = visitor.post(url)
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    assert own_client(other_contributor).post(url).status_code == 403
    assert CaseRevision.objects.get(pk=revision.pk).status == RevisionStatus.SUBMITTED


def test_the_api_refuses_to_edit_a_submitted_revision_and_withdraws_it(contributor):
    case = published_case(contributor)
    revision = revised(case, contributor).submit(by=contributor)
    api, headers = Client(), auth(contributor)
    url = f"/api/v1/me/cases/{case.pk}/"
    response = api.patch(url, {"title": "Autre"}, content_type="application/json", headers=headers)
    assert response.status_code == 409
    assert "retirez la soumission pour les modifier" in response.json()["detail"]
    detail = api.get(url, headers=headers).json()
    assert detail["pending_revision"]["code"] == "submitted"

    response = api.post(url + "withdraw/", headers=headers)
    assert response.status_code == 200
    assert response.json()["pending_revision"]["code"] == "draft"
    assert CaseRevision.objects.get(pk=revision.pk).status == RevisionStatus.DRAFT
    # Submitted again through the API, with what changed.
    response = api.post(
        url + "submit/",
        {"edit_summary": "Le nom d'usage de l'atelier."},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.SUBMITTED
    assert revision.edit_summary == "Le nom d'usage de l'atelier."


def test_another_account_cannot_withdraw_through_the_api(contributor, other_contributor):
    case = published_case(contributor)
    revised(case, contributor).submit(by=contributor)
    response = Client().post(
        f"/api/v1/me/cases/{case.pk}/withdraw/", headers=auth(other_contributor)
    )
    assert response.status_code == 403
    assert case.open_revision().status == RevisionStatus.SUBMITTED


def test_a_trusted_contributors_revision_of_their_own_case_is_published_at_once(
    contributor, contributor_client, visitor
):
    contributor.is_trusted = True
    contributor.save()
    case = published_case(contributor)
    versions = case.versions.count()
    revision = revised(case, contributor)
    response = contributor_client.post(
        reverse("case_edit", args=[case.pk]), editor_post(revision, action="submit")
    )
    assert response.status_code == 302
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.PUBLISHED
    case.refresh_from_db()
    assert case.title == "Atelier vélo solidaire de Redon"
    assert case.versions.count() == versions + 1
    assert case.versions.first().action == Action.PUBLISH
    entry = case.audit_entries.filter(action=Action.PUBLISH).first()
    assert entry.actor == contributor and entry.data == {"revision": revision.pk}
    page = visitor.get(case.get_absolute_url()).content.decode()
    assert "Atelier vélo solidaire de Redon" in page
    assert reverse("case_report", args=[case.slug]) in page  # reportable like any
    messages = contributor_client.get(case.get_absolute_url()).content.decode()
    assert "Vos modifications sont publiées (contributeur de confiance)." in messages


def test_an_untrusted_contributors_revision_waits_in_the_queue(
    contributor, contributor_client, moderator_client
):
    case = published_case(contributor)
    revision = revised(case, contributor)
    contributor_client.post(
        reverse("case_edit", args=[case.pk]), editor_post(revision, action="submit")
    )
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.SUBMITTED
    assert Case.objects.get(pk=case.pk).title == "Atelier vélo de Redon"
    queue = moderator_client.get(reverse("moderation_queue")).content.decode()
    assert "1 révision d'expérience publiée" in queue


def test_changes_a_moderator_submits_on_a_trusted_contributors_case_are_still_reviewed(
    contributor, moderator
):
    contributor.is_trusted = True
    contributor.save()
    case = published_case(contributor)
    # Only the owner's own trust publishes without review.
    revision = revised(case, moderator)
    revision.submit(by=moderator)
    assert CaseRevision.objects.get(pk=revision.pk).status == RevisionStatus.SUBMITTED
