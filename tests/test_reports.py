"""Visitors report published cases; staff hear of it, answer the reporter, and
block the accounts that spam."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken
from registry.models import Action, AuditLog, Case, CaseStatus, Report, ReportStatus
from tests.factories import CaseFactory, UserFactory, term

pytestmark = pytest.mark.django_db

PASSWORD = "mot-de-passe-solide-42"


def submitted_case(owner, **kwargs):
    return CaseFactory(
        owner=owner, status=CaseStatus.SUBMITTED, tags=[term("theme", "sante")], **kwargs
    )


def report_on(case, **kwargs):
    return Report.objects.create(case=case, reason="outdated", **kwargs)


# --- The form ---------------------------------------------------------------


def test_a_visitor_reports_a_published_case_and_it_reaches_the_queue(moderator_client):
    case = CaseFactory(title="Alliance à vérifier")
    response = Client().post(
        reverse("case_report", args=[case.slug]),
        {"reason": "outdated", "message": "Le projet s'est arrêté en 2024."},
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.case, report.reason, report.reporter) == (case, "outdated", None)
    assert AuditLog.objects.filter(case=case, action=Action.REPORT).exists()
    page = moderator_client.get(reverse("moderation_queue")).content.decode()
    assert "Alliance à vérifier" in page and "arrêté en 2024" in page
    moderator_client.post(
        reverse("report_resolve", args=[report.pk]), {"outcome": "fixed", "note": "Date corrigée."}
    )
    report.refresh_from_db()
    assert report.status == "resolved" and not Report.objects.open().exists()
    assert (report.outcome, report.resolution_note) == ("fixed", "Date corrigée.")


def test_the_form_opens_with_no_reason_chosen_and_asks_for_one(client):
    case = CaseFactory()
    page = client.get(reverse("case_report", args=[case.slug])).content.decode()
    assert "checked" not in page and "---------" not in page
    assert page.count('name="reason"') == 4  # the four reasons, no blank one
    response = client.post(reverse("case_report", args=[case.slug]), {"message": "Bof."})
    html = response.content.decode()
    assert response.status_code == 400 and not Report.objects.exists()
    assert "Choisissez le motif du signalement." in html
    assert 'href="#id_reason_0"' in html and 'aria-describedby="id_reason_error"' in html


def test_an_unpublished_case_cannot_be_reported(client, contributor):
    case = CaseFactory(status=CaseStatus.DRAFT, owner=contributor)
    assert client.get(reverse("case_report", args=[case.slug])).status_code == 404
    assert (
        client.post(reverse("case_report", args=[case.slug]), {"reason": "spam"}).status_code == 404
    )


def test_an_invalid_reason_is_a_form_error(client):
    case = CaseFactory()
    response = client.post(reverse("case_report", args=[case.slug]), {"reason": "ennui"})
    assert response.status_code == 400 and not Report.objects.exists()


def test_the_honeypot_and_the_rate_limit_stop_bots(client):
    case = CaseFactory()
    url = reverse("case_report", args=[case.slug])
    client.post(url, {"reason": "spam", "website_url": "http://bot.example"})
    assert not Report.objects.exists()
    for _ in range(4):
        client.post(url, {"reason": "spam"})
    assert client.post(url, {"reason": "spam"}).status_code == 429
    assert Report.objects.count() == 4


def test_moderators_are_emailed_each_new_report_and_may_reply_to_the_reporter(
    client, moderator, mailoutbox, django_capture_on_commit_callbacks
):
    case = CaseFactory(title="Atelier vélo de Redon")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("case_report", args=[case.slug]),
            {"reason": "wrong", "message": "Le porteur a changé.", "reporter_email": "l@ex.org"},
        )
    report = Report.objects.get()
    (email,) = mailoutbox
    assert email.to == [moderator.email] and email.reply_to == ["l@ex.org"]
    assert "Atelier vélo de Redon" in email.subject
    assert "Le porteur a changé." in email.body
    assert reverse("report_resolve", args=[report.pk]) in email.body


def test_without_moderators_the_contact_address_hears_of_reports(
    client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    Group.objects.filter(name="Modérateurs").delete()
    settings.CONTACT_EMAIL = "equipe@alliances.example"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("case_report", args=[CaseFactory().slug]), {"reason": "spam"})
    assert mailoutbox[0].to == ["equipe@alliances.example"] and not mailoutbox[0].reply_to
    assert "anonyme" in mailoutbox[0].body


# --- Staff read and resolve -------------------------------------------------


def test_staff_see_whom_to_answer_on_the_list_of_reports(moderator_client, contributor):
    case = CaseFactory(title="Alliance signalée")
    report_on(case, reporter_email="lea@example.org", message="Projet terminé.")
    report_on(case, reporter=contributor)
    report_on(case)
    html = moderator_client.get(reverse("moderation_reports")).content.decode()
    assert 'href="mailto:lea@example.org"' in html
    assert 'href="mailto:claire.contributrice@example.org"' in html  # the account's address
    assert "anonyme" in html and "Projet terminé." in html
    queue = moderator_client.get(reverse("moderation_queue")).content.decode()
    assert 'href="mailto:lea@example.org"' in queue and "anonyme" in queue


def test_resolving_asks_for_an_outcome(moderator_client):
    report = report_on(CaseFactory())
    url = reverse("report_resolve", args=[report.pk])
    page = moderator_client.get(url).content.decode()
    assert "Contenu corrigé" in page and "Signalement non fondé" in page and "checked" not in page
    response = moderator_client.post(url, {"note": "Vu."})
    assert response.status_code == 400
    assert "Choisissez la suite donnée au signalement." in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN


def test_the_reporter_is_emailed_the_outcome_only_when_staff_choose_to(
    moderator_client, moderator, mailoutbox, django_capture_on_commit_callbacks
):
    case = CaseFactory(title="Alliance corrigée")
    told = report_on(case, reporter_email="lea@example.org")
    silent = report_on(case, reporter_email="marc@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(
            reverse("report_resolve", args=[told.pk]),
            {"outcome": "fixed", "note": "Le porteur est corrigé.", "tell_reporter": "on"},
        )
        moderator_client.post(reverse("report_resolve", args=[silent.pk]), {"outcome": "unfounded"})
    (email,) = mailoutbox
    assert email.to == ["lea@example.org"]
    assert "Alliance corrigée" in email.body and "Le porteur est corrigé." in email.body
    assert "le contenu a été corrigé" in email.body and "corrected" in email.body
    entry = AuditLog.objects.get(action=Action.RESOLVE_REPORT, data__report=told.pk)
    assert entry.actor == moderator and entry.message == "Le porteur est corrigé."
    assert entry.data["outcome"] == "fixed" and entry.data["reporter_told"] is True
    handled = moderator_client.get(reverse("moderation_reports") + "?statut=traites")
    assert "Signalement non fondé" in handled.content.decode()


def test_an_anonymous_reporter_cannot_be_told(moderator_client, mailoutbox):
    report = report_on(CaseFactory())
    url = reverse("report_resolve", args=[report.pk])
    page = moderator_client.get(url).content.decode()
    assert 'name="tell_reporter"' not in page and "ne peut pas être prévenu" in page
    moderator_client.post(url, {"outcome": "other", "tell_reporter": "on"})
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED and not mailoutbox


def test_a_report_is_resolved_once(moderator_client, moderator):
    report = report_on(CaseFactory())
    assert report.resolve(by=moderator, outcome="fixed", note="") is True
    assert report.resolve(by=moderator, outcome="other", note="") is False
    response = moderator_client.post(
        reverse("report_resolve", args=[report.pk]), {"outcome": "unfounded"}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.outcome == "fixed"
    assert AuditLog.objects.filter(action=Action.RESOLVE_REPORT).count() == 1


def test_only_staff_resolve_reports(contributor_client):
    case = CaseFactory()
    report = Report.objects.create(case=case, reason="spam")
    url = reverse("report_resolve", args=[report.pk])
    assert contributor_client.post(url, {"outcome": "unfounded"}).status_code == 403
    assert contributor_client.get(url).status_code == 403
    assert contributor_client.get(reverse("moderation_reports")).status_code == 403
    assert Client().get(reverse("moderation_reports")).status_code == 302
    report.refresh_from_db()
    assert report.status == "open"


# --- Spam in bulk -----------------------------------------------------------


def test_bulk_spam_lists_what_it_will_refuse_before_refusing(moderator_client, contributor):
    spam = [submitted_case(contributor, title=f"Casino en ligne {n}") for n in range(2)]
    kept = submitted_case(contributor, title="Vraie alliance")
    response = moderator_client.get(reverse("moderation_bulk_spam"), {"case": [c.pk for c in spam]})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Casino en ligne 0" in html and "Casino en ligne 1" in html
    assert "Vraie alliance" not in html and "claire.contributrice@example.org" in html
    assert not Case.objects.filter(status=CaseStatus.REJECTED).exists()  # nothing done yet
    moderator_client.post(
        reverse("moderation_bulk_spam"), {"case": [c.pk for c in spam], "confirm": "1"}
    )
    statuses = dict(Case.objects.values_list("pk", "status"))
    assert [statuses[c.pk] for c in spam] == [CaseStatus.REJECTED] * 2
    assert statuses[kept.pk] == CaseStatus.SUBMITTED
    contributor.refresh_from_db()
    assert contributor.is_active  # not blocked unless asked


def test_bulk_spam_refuses_an_empty_selection(moderator_client, contributor):
    case = submitted_case(contributor)
    for method in (moderator_client.get, moderator_client.post):
        response = method(reverse("moderation_bulk_spam"), {}, follow=True)
        assert "Aucune soumission sélectionnée" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED


def test_bulk_spam_may_block_the_spammers_too(moderator_client, contributor, other_contributor):
    spam = submitted_case(contributor)
    honest = submitted_case(other_contributor)
    response = moderator_client.post(
        reverse("moderation_bulk_spam"), {"case": [spam.pk], "confirm": "1", "block": "1"}
    )
    assert response.status_code == 302
    contributor.refresh_from_db()
    other_contributor.refresh_from_db()
    assert not contributor.is_active and other_contributor.is_active
    assert Case.objects.get(pk=honest.pk).status == CaseStatus.SUBMITTED
    assert AuditLog.objects.filter(action=Action.BLOCK, case=spam).exists()


# --- Blocking an account ----------------------------------------------------


def test_blocking_an_account_asks_first_then_logs_it(moderator_client, moderator, contributor):
    draft = CaseFactory(owner=contributor, status=CaseStatus.DRAFT, title="Brouillon douteux")
    published = CaseFactory(owner=contributor)
    report = report_on(published)
    page = moderator_client.get(reverse("report_resolve", args=[report.pk])).content.decode()
    block_url = reverse("account_block", args=[contributor.pk])
    assert f"{block_url}?case={published.pk}" in page
    confirm = moderator_client.get(block_url, {"case": published.pk}).content.decode()
    assert "Brouillon douteux" in confirm and "claire.contributrice@example.org" in confirm
    contributor.refresh_from_db()
    assert contributor.is_active
    moderator_client.post(block_url, {"case": published.pk})
    contributor.refresh_from_db()
    assert not contributor.is_active
    entry = AuditLog.objects.get(action=Action.BLOCK)
    assert (entry.actor, entry.case, entry.data["account"]) == (
        moderator,
        published,
        contributor.pk,
    )
    assert Case.objects.get(pk=draft.pk).status == CaseStatus.DRAFT  # kept, for staff to see


def test_a_blocked_account_cannot_log_in_use_its_tokens_or_submit(moderator, contributor):
    contributor.set_password(PASSWORD)
    contributor.save()
    case = CaseFactory(owner=contributor, status=CaseStatus.DRAFT, tags=[term("theme", "sante")])
    _token, key = ApiToken.issue(user=contributor, name="script")
    session = Client()
    session.force_login(contributor)
    assert session.get(reverse("case_edit", args=[case.pk])).status_code == 200

    moderator_client = Client()
    moderator_client.force_login(moderator)
    moderator_client.post(reverse("account_block", args=[contributor.pk]))

    # The open session is over, and logging in again is refused.
    assert session.get(reverse("case_edit", args=[case.pk])).status_code == 302
    assert session.post(reverse("case_submit", args=[case.pk])).status_code == 302
    again = Client()
    response = again.post(
        reverse("accounts:login"), {"username": contributor.email, "password": PASSWORD}
    )
    assert response.status_code == 200 and "_auth_user_id" not in again.session
    api = Client().post(
        reverse("api:own_case_submit", args=[case.pk]),
        headers={"Authorization": f"Bearer {key}"},
    )
    assert api.status_code in (401, 403)
    assert not ApiToken.objects.active().filter(user=contributor).exists()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT


def test_a_blocked_accounts_unpublished_cases_are_seen_by_staff_alone(
    moderator_client, contributor, other_client
):
    pending = submitted_case(contributor, title="Soumission du compte bloqué")
    moderator_client.post(reverse("account_block", args=[contributor.pk]))
    assert Client().get(pending.get_absolute_url()).status_code == 404
    assert other_client.get(pending.get_absolute_url()).status_code == 404
    assert other_client.get(reverse("case_edit", args=[pending.pk])).status_code == 404
    review = moderator_client.get(reverse("moderation_review", args=[pending.pk]))
    assert review.status_code == 200 and "Soumission du compte bloqué" in review.content.decode()


def test_staff_accounts_are_not_blocked_here_and_contributors_block_no_one(
    moderator_client, contributor_client, contributor, other_contributor
):
    staff = UserFactory(email="autre.moderateur@example.org", is_staff=True)
    assert moderator_client.post(reverse("account_block", args=[staff.pk])).status_code == 404
    url = reverse("account_block", args=[other_contributor.pk])
    assert contributor_client.post(url).status_code == 403
    staff.refresh_from_db()
    other_contributor.refresh_from_db()
    assert staff.is_active and other_contributor.is_active
