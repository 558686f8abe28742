"""« Je m'en occupe »: a moderator takes a submission (a case or a revision) from
the queue or the review page, « Libérer » releases it, a decision releases it
too; the queue shows who handles each one and filters by it (« moi »,
« personne », each moderator) in a fixed number of queries; staff only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.models import Action, AuditLog, Case, CaseRevision, CaseStatus
from tests.conftest import own_client
from tests.factories import CaseFactory, UserFactory, term

pytestmark = pytest.mark.django_db


def submitted_case(owner, title="Atelier vélo solidaire de Redon"):
    case = CaseFactory(
        owner=owner, status=CaseStatus.DRAFT, title=title, tags=[term("theme", "sante")]
    )
    case.submit(by=owner)
    return case


def submitted_revision(owner, title="Titre révisé"):
    case = CaseFactory(owner=owner, title=f"En ligne : {title}", tags=[term("theme", "sante")])
    data = case.snapshot()
    data["title"] = title
    return case.propose_revision(data, by=owner).submit(by=owner)


def take(client, case, **extra):
    return client.post(reverse("moderation_assign", args=[case.pk]), extra)


def queue(client, query=""):
    return client.get(reverse("moderation_queue") + query).content.decode()


def test_a_moderator_takes_a_submission_from_the_queue_and_it_says_so(
    contributor, moderator, moderator_client
):
    case = submitted_case(contributor)
    page = queue(moderator_client)
    assert "Prise en charge" in page and "Personne" in page
    assert f'form="assign-{case.pk}"' in page and "Je m'en occupe" in page
    response = take(moderator_client, case)
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation_queue") + "#new-title"
    case.refresh_from_db()
    assert case.assigned_to == moderator and case.assigned_at is not None
    entry = AuditLog.objects.get(case=case, action=Action.ASSIGN)
    assert entry.actor == moderator
    page = queue(moderator_client)
    assert "<strong>Vous</strong>" in page and "Libérer" in page


def test_releasing_a_submission_leaves_it_to_nobody(contributor, moderator, moderator_client):
    case = submitted_case(contributor)
    case.assign(by=moderator)
    take(moderator_client, case, liberer="1")
    case.refresh_from_db()
    assert case.assigned_to is None and case.assigned_at is None
    assert AuditLog.objects.get(case=case, action=Action.RELEASE).data == {"released": moderator.pk}


def test_a_revision_is_taken_from_the_review_page_and_the_page_comes_back(
    contributor, moderator, moderator_client
):
    revision = submitted_revision(contributor)
    review = reverse("moderation_review", args=[revision.case_id])
    assert (
        "Personne ne s'en occupe pour l'instant." in moderator_client.get(review).content.decode()
    )
    response = take(moderator_client, revision.case, retour="relecture")
    assert response["Location"] == review
    revision.refresh_from_db()
    assert revision.assigned_to == moderator
    assert AuditLog.objects.get(action=Action.ASSIGN).data == {"revision": revision.pk}
    page = moderator_client.get(review).content.decode()
    assert f"Prise en charge par {moderator}" in page


def test_a_decision_releases_the_submission(contributor, moderator, moderator_client):
    case = submitted_case(contributor)
    case.assign(by=moderator)
    moderator_client.post(
        reverse("moderation_review", args=[case.pk]),
        {"decision": "request_changes", "reason": "unclear", "message": "Précisez le titre."},
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.CHANGES_REQUESTED and case.assigned_to is None
    revision = submitted_revision(contributor)
    revision.assign(by=moderator)
    revision.publish(by=moderator)
    assert CaseRevision.objects.get(pk=revision.pk).assigned_to is None


def test_the_queue_filters_by_who_handles_each_submission(contributor, moderator, moderator_client):
    other = UserFactory(email="henri.relecteur@example.org", is_staff=True)
    mine = submitted_case(contributor, "Prise par moi")
    theirs = submitted_case(contributor, "Prise par Henri")
    submitted_case(contributor, "Prise par personne")
    revision = submitted_revision(contributor, "Révision prise par moi")
    mine.assign(by=moderator)
    theirs.assign(by=other)
    revision.assign(by=moderator)

    page = queue(moderator_client, "?par=moi")
    assert "Prise par moi" in page and revision.case.title in page
    assert "Prise par Henri" not in page and "Prise par personne" not in page
    page = queue(moderator_client, "?par=personne")
    assert "Prise par personne" in page
    assert "Prise par moi" not in page and "Prise par Henri" not in page
    page = queue(moderator_client, f"?par={other.pk}")
    assert "Prise par Henri" in page and "Prise par moi" not in page
    assert f'<option value="{other.pk}"' in page and "Tout afficher" in page
    # A contributor's id is no choice.
    page = queue(moderator_client, f"?par={contributor.pk}")
    assert "Prise par personne" in page and "Prise par Henri" in page


def test_only_staff_take_or_release_a_submission(contributor, other_contributor, visitor):
    case = submitted_case(contributor)
    response = take(visitor, case)
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    for person in (contributor, other_contributor):
        assert take(own_client(person), case).status_code == 403
        assert take(own_client(person), case, liberer="1").status_code == 403
    assert Case.objects.get(pk=case.pk).assigned_to is None


def test_taking_is_post_only_and_needs_something_awaiting_a_decision(contributor, moderator_client):
    case = submitted_case(contributor)
    assert moderator_client.get(reverse("moderation_assign", args=[case.pk])).status_code == 405
    published = CaseFactory(owner=contributor)
    response = take(moderator_client, published)
    assert response.status_code == 302
    page = moderator_client.get(response["Location"]).content.decode()
    assert "Rien n&#x27;attend de décision sur cette expérience." in page
    assert published.audit_entries.filter(action=Action.ASSIGN).count() == 0


# Session, account, moderators, counts, submissions, revisions, reports, contact messages.
QUEUE_QUERIES = 9


def test_the_queue_takes_a_fixed_number_of_queries_with_assignees(
    contributor, moderator, moderator_client
):
    for number in range(3):
        submitted_case(contributor, f"Soumise {number}").assign(by=moderator)
        submitted_revision(contributor, f"Révisée {number}").assign(by=moderator)
    with CaptureQueriesContext(connection) as queries:
        page = queue(moderator_client, "?par=moi")
    assert page.count("<strong>Vous</strong>") == 6
    assert len(queries) == QUEUE_QUERIES, [query["sql"] for query in queries]
