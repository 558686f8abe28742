"""A review that shows what changed since staff last looked: a resubmission is
compared with what was sent back (the published version one click away),
differences name territories, tags and roles instead of printing codes,
partners' changes are shown under their name and long texts word by word; the
queue tells resubmissions apart and keeps their age; a restore asks why and
tells the contributor; any two versions are compared on the history page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registry.models import Action, AuditLog, Case, CaseStatus
from tests.factories import CaseFactory, OrganizationFactory, term

pytestmark = pytest.mark.django_db


def draft_case(owner, **kwargs):
    return CaseFactory(
        owner=owner, status=CaseStatus.DRAFT, tags=[term("theme", "emploi_insertion")], **kwargs
    )


def sent_back(case, moderator, message="Précisez le titre."):
    case.request_changes(by=moderator, reason="unclear", message=message)


def resubmitted_case(contributor, moderator, **changes):
    """A case submitted, sent back for changes, edited (`changes`) and submitted again."""
    case = draft_case(contributor, title="Atelier vélo de Redon")
    case.submit(by=contributor)
    sent_back(case, moderator)
    data = case.snapshot()
    data.update(changes)
    case = case.replace_content(data, by=contributor)
    case.submit(by=contributor)
    return case


def review_of(client, case, query=""):
    response = client.get(reverse("moderation_review", args=[case.pk]) + query)
    assert response.status_code == 200
    return response


def test_a_resubmitted_case_shows_only_what_changed_since_it_was_sent_back(
    moderator_client, contributor, moderator
):
    case = resubmitted_case(contributor, moderator, title="Atelier vélo solidaire de Redon")
    response = review_of(moderator_client, case)
    changes = {change["field"]: change for change in response.context["changes"]}
    assert set(changes) == {"title"}
    assert changes["title"]["before"] == "Atelier vélo de Redon"
    page = response.content.decode()
    assert "Modifications depuis la version renvoyée au contributeur" in page
    assert "Nouvelle expérience" not in page
    assert "Soumise à nouveau" in page
    # The whole record is one click away (never published: nothing else to compare with).
    assert "?contre=publiee" in page
    whole = review_of(moderator_client, case, "?contre=publiee")
    assert whole.context["is_new"]
    assert {"title", "summary", "territories", "roster"} <= {
        change["field"] for change in whole.context["changes"]
    }


def test_a_first_submission_is_still_shown_whole(moderator_client, contributor):
    case = draft_case(contributor)
    case.submit(by=contributor)
    response = review_of(moderator_client, case)
    assert response.context["is_new"] and not response.context["resubmitted"]
    assert "Nouvelle expérience" in response.content.decode()


def test_a_resubmitted_revision_is_compared_with_what_was_sent_back_then_with_the_published(
    moderator_client, contributor, moderator
):
    case = CaseFactory(owner=contributor, title="Titre publié", tags=[term("theme", "sante")])
    data = case.snapshot()
    data["title"] = "Titre révisé"
    revision = case.propose_revision(data, by=contributor)
    revision.submit(by=contributor)
    revision.request_changes(by=moderator, reason="unclear", message="Et le résumé ?")
    data["summary"] = "Un résumé complété après la demande de l'équipe."
    revision = case.propose_revision(data, by=contributor)
    revision.submit(by=contributor)

    since_sent_back = review_of(moderator_client, case).context["changes"]
    assert [change["field"] for change in since_sent_back] == ["summary"]
    against_published = review_of(moderator_client, case, "?contre=publiee")
    assert {change["field"] for change in against_published.context["changes"]} == {
        "title",
        "summary",
    }
    assert "Comparer avec la version publiée" in review_of(moderator_client, case).content.decode()


def test_differences_name_territories_tags_phases_and_roles_instead_of_codes(
    moderator_client, contributor, moderator
):
    carrier, partner = OrganizationFactory(name="Redon Agglomération"), OrganizationFactory()
    case = draft_case(contributor, partners=[carrier, partner])
    case.submit(by=contributor)
    sent_back(case, moderator)
    data = case.snapshot()
    data["territories"] = [["commune", "59512"]]
    data["terms"] = [*data["terms"], ["practice", "evaluation"]]
    data["phase"] = "preuve_concept"
    data["roster"][0]["role"] = "porteur"
    case = case.replace_content(data, by=contributor)
    case.submit(by=contributor)

    page = review_of(moderator_client, case).content.decode()
    assert "Roubaix (59) — commune" in page and "Lille (59) — commune" in page
    assert "59512" not in page
    assert "Pratique du référentiel\u00a0: Évaluation des expérimentations" in page
    assert "Preuve de concept" in page
    assert "preuve_concept" not in page and "practice" not in page
    assert "Redon Agglomération" in page
    assert "Partenaire opérationnel → Porteur / pilote" in page
    assert "(porteur)" not in page


def test_a_changed_contribution_shows_under_partners_with_the_partner_named(
    moderator_client, contributor, moderator
):
    garage = OrganizationFactory(name="Garage solidaire du Pays de Redon")
    case = draft_case(contributor, partners=[garage, OrganizationFactory()])
    case.roster.filter(organization=garage).update(contribution="Répare les vélos.")
    case.submit(by=contributor)
    sent_back(case, moderator)
    data = case.snapshot()
    data["roster"][0]["contribution"] = "Répare et prête les vélos."
    case = case.replace_content(data, by=contributor)
    case.submit(by=contributor)

    response = review_of(moderator_client, case)
    (change,) = response.context["changes"]
    assert change["field"] == "roster"
    (partner,) = change["partners"]
    assert partner["name"] == "Garage solidaire du Pays de Redon"
    assert partner["state"] == "changed"
    page = response.content.decode()
    assert "Garage solidaire du Pays de Redon" in page
    assert '<ins><span class="visually-hidden">[ajouté\u00a0: </span> et prête' in page


def test_long_texts_are_compared_word_by_word_over_escaped_text(
    moderator_client, contributor, moderator
):
    case = draft_case(
        contributor,
        description="Les <b>jeunes</b> & les aînés réparent.\n\nDeuxième paragraphe.\n\nFin.",
    )
    case.submit(by=contributor)
    sent_back(case, moderator)
    data = case.snapshot()
    data["description"] = (
        "Les jeunes & les aînés réparent ensemble <script>alert(1)</script>."
        "\n\nDeuxième paragraphe.\n\nFin."
    )
    case = case.replace_content(data, by=contributor)
    case.submit(by=contributor)

    page = review_of(moderator_client, case).content.decode()
    words = page.split('class="diff-words"', 1)[1].split("</div>", 1)[0]
    assert "<ins>" in words and "ensemble" in words.split("<ins>", 1)[1]
    assert "les aînés réparent" in words  # unchanged words stay plain
    assert "&amp;" in words
    assert "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0]
    assert "(2 paragraphes inchangés)" in words


def test_the_queue_marks_resubmissions_and_keeps_their_first_age(
    moderator_client, contributor, moderator
):
    again = resubmitted_case(contributor, moderator, title="Revenue après modifications")
    first = AuditLog.objects.filter(case=again, action=Action.SUBMIT).earliest("created_at")
    AuditLog.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=10))
    fresh = draft_case(contributor, title="Toute nouvelle soumission")
    fresh.submit(by=contributor)

    page = moderator_client.get(reverse("moderation_queue")).content.decode()
    row = page.split("Revenue après modifications", 1)[1].split("</tr>", 1)[0]
    assert "Soumise à nouveau" in row
    assert "1\u00a0semaine" in row  # ten days, not « 0 minute »
    assert page.index("Revenue après modifications") < page.index("Toute nouvelle soumission")
    assert (
        "Soumise à nouveau"
        not in page.split("Toute nouvelle soumission", 1)[1].split("</tr>", 1)[0]
    )


def test_the_queue_filters_by_status_and_by_age(moderator_client, contributor, moderator):
    again = resubmitted_case(contributor, moderator, title="Revenue après modifications")
    AuditLog.objects.filter(case=again, action=Action.SUBMIT).update(
        created_at=timezone.now() - timedelta(days=10)
    )
    fresh = draft_case(contributor, title="Toute nouvelle soumission")
    fresh.submit(by=contributor)
    url = reverse("moderation_queue")

    resubmitted = moderator_client.get(url + "?etat=renvoyees").content.decode()
    assert "Revenue après modifications" in resubmitted
    assert "Toute nouvelle soumission" not in resubmitted
    new = moderator_client.get(url + "?etat=nouvelles").content.decode()
    assert "Toute nouvelle soumission" in new and "Revenue après modifications" not in new
    week_old = moderator_client.get(url + "?attente=7").content.decode()
    assert "Revenue après modifications" in week_old
    assert "Toute nouvelle soumission" not in week_old
    assert moderator_client.get(url + "?attente=abc").status_code == 200


def test_the_queue_counts_statuses_by_their_label(moderator_client, contributor, moderator):
    case = draft_case(contributor)
    case.submit(by=contributor)
    sent_back(case, moderator)
    page = moderator_client.get(reverse("moderation_queue")).content.decode()
    assert "Modifications demandées\u00a0: 1" in page
    assert "changes_requested" not in page


def test_the_queue_asks_the_same_number_of_queries_for_one_or_many_submissions(
    moderator_client, contributor, moderator
):
    url = reverse("moderation_queue")
    resubmitted_case(contributor, moderator, title="Première")
    with CaptureQueriesContext(connection) as one:
        moderator_client.get(url)
    for number in range(4):
        resubmitted_case(contributor, moderator, title=f"Suivante {number}")
        published = CaseFactory(owner=contributor, tags=[term("theme", "sante")])
        data = published.snapshot()
        data["title"] = f"Révisée {number}"
        published.propose_revision(data, by=contributor).submit(by=contributor)
    with CaptureQueriesContext(connection) as many:
        page = moderator_client.get(url).content.decode()
    assert "Suivante 3" in page and "Révisée" not in page.split("Révisions en attente")[0]
    assert len(many) == len(one)


def published_with_history(contributor, moderator):
    case = draft_case(contributor, title="Titre d'origine")
    case.submit(by=contributor)
    case.publish(by=moderator)  # versions 1 (submitted) and 2 (published)
    Case.objects.filter(pk=case.pk).update(title="Titre abîmé")
    return case


def test_restoring_a_version_asks_why_and_shows_what_it_changes(
    moderator_client, contributor, moderator
):
    case = published_with_history(contributor, moderator)
    url = reverse("case_restore", args=[case.pk, 1])
    page = moderator_client.get(url).content.decode()
    assert "Ce que la restauration change" in page
    assert "Titre abîmé" in page and "Titre d&#x27;origine" in page
    assert 'name="reason"' in page

    response = moderator_client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert "Dites pourquoi vous restaurez cette version." in response.content.decode()
    assert Case.objects.get(pk=case.pk).title == "Titre abîmé"


def test_a_restore_with_a_reason_is_logged_and_emailed_to_the_contributor(
    moderator_client, contributor, moderator, mailoutbox, django_capture_on_commit_callbacks
):
    case = published_with_history(contributor, moderator)
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(
            reverse("case_restore", args=[case.pk, 1]),
            {"reason": "Le titre avait été remplacé par erreur."},
        )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.title == "Titre d'origine"
    entry = AuditLog.objects.get(case=case, action=Action.RESTORE)
    assert entry.message == "Le titre avait été remplacé par erreur."
    (email,) = mailoutbox
    assert email.to == [contributor.email]
    assert "Le titre avait été remplacé par erreur." in email.body
    assert "version 1" in email.body
    history = moderator_client.get(reverse("case_history", args=[case.pk])).content.decode()
    assert "Le titre avait été remplacé par erreur." in history


def test_the_restore_page_is_for_staff_only(client, contributor, other_contributor, moderator):
    case = published_with_history(contributor, moderator)
    url = reverse("case_restore", args=[case.pk, 1])
    assert client.get(url).status_code == 302  # visitor: log in first
    for person in (contributor, other_contributor):
        client.force_login(person)
        assert client.get(url).status_code == 403
        assert client.post(url, {"reason": "Je préfère l'ancienne."}).status_code == 403
    assert Case.objects.get(pk=case.pk).title == "Titre abîmé"


def test_any_two_versions_are_compared_on_the_history_page(
    client, contributor, other_contributor, moderator
):
    case = draft_case(contributor, title="Version une")
    case.submit(by=contributor)  # 1
    case.publish(by=moderator)  # 2
    data = case.snapshot()
    data["title"] = "Version trois"
    data["summary"] = "Un autre résumé."
    revision = case.propose_revision(data, by=contributor)
    revision.submit(by=contributor)
    revision.publish(by=moderator)  # 3
    url = reverse("case_history", args=[case.pk])
    client.force_login(contributor)

    response = client.get(url + "?de=1&a=3")
    comparison = response.context["comparison"]
    assert {change["field"] for change in comparison["changes"]} == {"title", "summary"}
    assert "De la version 1 à la version 3" in response.content.decode()
    assert client.get(url + "?de=1&a=9").context["comparison"] is None
    client.force_login(other_contributor)
    assert client.get(url + "?de=1&a=3").status_code == 403
