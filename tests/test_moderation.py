"""Moderation pages: the queue, decisions with reasons and e-mails, revisions of
published cases, pioneers, merging organisations, history and restore."""

import re

import pytest
from django.urls import reverse

from registry.models import (
    Action,
    AuditLog,
    Case,
    CasePartner,
    CaseRevision,
    CaseStatus,
    Organization,
)
from tests.factories import CaseFactory, OrganizationFactory, UserFactory, term

pytestmark = pytest.mark.django_db

STAFF_URLS = [
    ("moderation_queue", False),
    ("moderation_review", True),
    ("moderation_merge", False),
    ("moderation_reports", False),
    ("moderation_freshness", False),
]


def submitted_case(owner, **kwargs):
    return CaseFactory(
        owner=owner, status=CaseStatus.SUBMITTED, tags=[term("theme", "sante")], **kwargs
    )


@pytest.mark.parametrize("name, with_case", STAFF_URLS)
def test_moderation_pages_are_for_staff_only(client, contributor, moderator, name, with_case):
    case = submitted_case(contributor)
    url = reverse(name, args=[case.pk] if with_case else [])
    assert client.get(url).status_code == 302  # visitor: log in first
    client.force_login(contributor)
    assert client.get(url).status_code == 403
    client.force_login(moderator)
    assert client.get(url).status_code == 200


def test_the_queue_lists_submissions_oldest_first_with_their_age(moderator_client, contributor):
    first = submitted_case(contributor, title="Première soumise")
    second = submitted_case(contributor, title="Deuxième soumise")
    Case.objects.filter(pk=first.pk).update(submitted_at=second.created_at.replace(year=2025))
    Case.objects.filter(pk=second.pk).update(submitted_at=second.created_at)
    page = moderator_client.get(reverse("moderation_queue")).content.decode()
    assert page.index("Première soumise") < page.index("Deuxième soumise")


def test_a_new_case_shows_the_whole_record_and_can_be_published(
    moderator_client, contributor, mailoutbox, django_capture_on_commit_callbacks
):
    case = submitted_case(contributor, title="Jardins partagés de Roubaix")
    response = moderator_client.get(reverse("moderation_review", args=[case.pk]))
    assert response.context["is_new"]
    assert any(change["field"] == "title" for change in response.context["changes"])
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(
            reverse("moderation_review", args=[case.pk]), {"decision": "publish", "message": ""}
        )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.PUBLISHED and case.published_at
    assert len(mailoutbox) == 1 and contributor.email in mailoutbox[0].to
    assert "publiée" in mailoutbox[0].subject


def test_requesting_changes_needs_a_reason_and_a_message_and_emails_them(
    moderator_client, contributor, mailoutbox, django_capture_on_commit_callbacks
):
    case = submitted_case(contributor)
    url = reverse("moderation_review", args=[case.pk])
    response = moderator_client.post(url, {"decision": "request_changes"})
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED and not mailoutbox
    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(
            url,
            {
                "decision": "request_changes",
                "reason": "partners",
                "message": "Ajoutez l'entreprise.",
            },
        )
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CHANGES_REQUESTED
    assert "Ajoutez l'entreprise." in mailoutbox[0].body
    assert "Partenaires à compléter" in mailoutbox[0].body
    entry = AuditLog.objects.get(case=case, action=Action.REQUEST_CHANGES)
    assert entry.reason == "partners"


def test_a_decision_sent_back_opens_on_a_summary_linking_to_each_field(
    moderator_client, contributor
):
    """The errors of the decision form are listed at its top, focused, each a link
    to its field (the decision form sits in a side column, its fields far down)."""
    case = submitted_case(contributor)
    page = moderator_client.post(
        reverse("moderation_review", args=[case.pk]), {"decision": "request_changes"}
    ).content.decode()
    summary = re.search(
        r'<div class="errors" role="alert"[^>]*id="error-summary" autofocus>.*?</div>', page, re.S
    )
    assert summary, "no error summary"
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary.group(0))
    assert {target for target, _ in links} == {"id_reason", "id_message"}
    assert all(f'id="{target}"' in page for target, _ in links)
    assert any(text.startswith("Motif") for _, text in links)


def test_the_owner_sees_the_moderators_message_on_their_case(client, contributor, moderator):
    case = submitted_case(contributor)
    case.request_changes(by=moderator, reason="unclear", message="Précisez les résultats.")
    client.force_login(contributor)
    assert "Précisez les résultats." in client.get(case.get_absolute_url()).content.decode()
    client.force_login(UserFactory())
    assert client.get(case.get_absolute_url()).status_code == 404


def test_rejecting_is_recorded_and_emailed(
    moderator_client, contributor, mailoutbox, django_capture_on_commit_callbacks
):
    case = submitted_case(contributor)
    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(
            reverse("moderation_review", args=[case.pk]),
            {"decision": "reject", "reason": "off_topic"},
        )
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REJECTED
    assert "retenue" in mailoutbox[0].subject


def test_spam_is_rejected_in_bulk(moderator_client, contributor):
    spam = [submitted_case(contributor) for _ in range(3)]
    kept = submitted_case(contributor)
    moderator_client.post(reverse("moderation_bulk_spam"), {"case": [c.pk for c in spam]})
    statuses = dict(Case.objects.values_list("pk", "status"))
    assert all(statuses[c.pk] == CaseStatus.REJECTED for c in spam)
    assert statuses[kept.pk] == CaseStatus.SUBMITTED
    assert AuditLog.objects.filter(action=Action.REJECT, reason="spam").count() == 3


def test_bulk_spam_is_refused_to_contributors(contributor_client, contributor):
    case = submitted_case(contributor)
    response = contributor_client.post(reverse("moderation_bulk_spam"), {"case": [case.pk]})
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED


def test_a_revision_is_reviewed_field_by_field_and_published_over_the_case(
    moderator_client, contributor, moderator
):
    case = CaseFactory(owner=contributor, title="Titre publié", tags=[term("theme", "sante")])
    data = case.snapshot()
    data["title"] = "Titre révisé"
    CaseRevision.objects.create(
        case=case, data=data, base_version=case.version, author=contributor, status="submitted"
    )
    response = moderator_client.get(reverse("moderation_review", args=[case.pk]))
    changes = {c["field"]: c for c in response.context["changes"]}
    assert set(changes) == {"title"}
    assert changes["title"]["before"] == "Titre publié"
    moderator_client.post(reverse("moderation_review", args=[case.pk]), {"decision": "publish"})
    case.refresh_from_db()
    assert case.title == "Titre révisé" and case.status == CaseStatus.PUBLISHED
    assert CaseRevision.objects.get(case=case).status == "published"
    assert "revise" in case.search_text


def test_a_moderator_features_a_pioneer_with_criteria_and_review_date(moderator_client, moderator):
    case = CaseFactory()
    url = reverse("moderation_feature", args=[case.pk])
    response = moderator_client.post(url, {"reason": "Exemplaire"})
    assert response.status_code == 200 and not Case.objects.get(pk=case.pk).is_pioneer
    criteria = [
        term("pioneer_criterion", "trois_familles").pk,
        term("pioneer_criterion", "duree").pk,
    ]
    moderator_client.post(
        url, {"criteria": criteria, "reason": "Exemplaire", "review_on": "2027-06-30"}
    )
    case.refresh_from_db()
    assert case.is_pioneer and case.pioneer_by == moderator
    assert str(case.pioneer_review_on) == "2027-06-30"
    assert case.pioneer_criteria.count() == 2
    page = moderator_client.get(case.get_absolute_url()).content.decode()
    assert "Inscrite dans la durée" in page


def test_merging_organisations_moves_every_roster_entry_and_keeps_a_record(moderator_client):
    survivor = OrganizationFactory(name="Ville de Roubaix")
    duplicate = OrganizationFactory(name="Mairie de Roubaix", siren="215905126")
    first = CaseFactory(partners=[duplicate, OrganizationFactory()])
    both = CaseFactory(partners=[survivor, duplicate])
    before = CasePartner.objects.count()
    response = moderator_client.post(
        reverse("moderation_merge"), {"survivor": survivor.slug, "duplicate": duplicate.slug}
    )
    assert response.status_code == 302
    assert not Organization.objects.filter(pk=duplicate.pk).exists()
    assert first.roster.filter(organization=survivor).exists()
    assert both.roster.filter(organization=survivor).count() == 1
    assert CasePartner.objects.count() == before - 1  # the same partner twice became one
    survivor.refresh_from_db()
    assert survivor.siren == "215905126"
    log = AuditLog.objects.get(action=Action.MERGE)
    assert log.data["merged"]["name"] == "Mairie de Roubaix"


def test_merging_an_organisation_into_itself_is_refused(moderator_client):
    organization = OrganizationFactory()
    response = moderator_client.post(
        reverse("moderation_merge"), {"survivor": organization.slug, "duplicate": organization.slug}
    )
    assert response.status_code == 200 and Organization.objects.filter(pk=organization.pk).exists()


def test_history_shows_versions_with_differences_to_the_owner_and_staff(
    client, contributor, other_contributor, moderator
):
    case = CaseFactory(owner=contributor, status=CaseStatus.DRAFT, tags=[term("theme", "sante")])
    case.submit(by=contributor)
    case.publish(by=moderator)
    url = reverse("case_history", args=[case.pk])
    client.force_login(contributor)
    response = client.get(url)
    assert response.status_code == 200 and len(response.context["rows"]) == 2
    client.force_login(other_contributor)
    assert client.get(url).status_code == 403  # published: visible, not theirs
    client.force_login(moderator)
    assert client.get(url).status_code == 200


def test_staff_restore_an_earlier_version_as_a_new_version(
    moderator_client, contributor, moderator
):
    case = CaseFactory(
        owner=contributor,
        status=CaseStatus.DRAFT,
        title="Titre d'origine",
        tags=[term("theme", "sante")],
    )
    case.submit(by=contributor)
    case.publish(by=moderator)
    Case.objects.filter(pk=case.pk).update(title="Titre abîmé")
    response = moderator_client.post(
        reverse("case_restore", args=[case.pk, 1]), {"reason": "Retour à la version relue."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.title == "Titre d'origine"
    assert case.versions.order_by("-number").first().action == Action.RESTORE


def test_contributors_cannot_restore_versions(contributor_client, contributor, moderator):
    case = CaseFactory(owner=contributor, status=CaseStatus.DRAFT, tags=[term("theme", "sante")])
    case.submit(by=contributor)
    assert contributor_client.post(reverse("case_restore", args=[case.pk, 1])).status_code == 403


def test_the_pioneer_page_is_for_staff_only(client, contributor, moderator):
    case = CaseFactory(owner=contributor)
    url = reverse("moderation_feature", args=[case.pk])
    assert client.get(url).status_code == 302
    client.force_login(contributor)
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "x"}).status_code == 403
    client.force_login(moderator)
    assert client.get(url).status_code == 200
    draft = CaseFactory(owner=contributor, status=CaseStatus.DRAFT)
    assert client.get(reverse("moderation_feature", args=[draft.pk])).status_code == 404
