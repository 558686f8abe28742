"""Freshness: publication sets the verification date, a reminder e-mail carries a
link that confirms a case without a password, staff see what is stale."""

import html
import re
import time
from datetime import date, timedelta
from unittest import mock

import pytest
from django.core import signing
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registry.models import Action, AuditLog, Case, CaseStatus
from registry.models.case import months_before
from registry.notifications import freshness_token
from tests.factories import CaseFactory, UserFactory, term

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/verification/[^/\s]+/")
LONG_AGO = date.today() - timedelta(days=400)


def stale_case(owner, **kwargs):
    return CaseFactory(owner=owner, last_verified_on=LONG_AGO, **kwargs)


def remind(*args, **options):
    """Run the command as cron does, each of its transactions committed (so its
    e-mails are queued, and sent by the immediate task backend)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("send_freshness_reminders", *args, **{"verbosity": 0, **options})


def text(response):
    return html.unescape(response.content.decode())


def mail_to(mailoutbox, address):
    return [message for message in mailoutbox if address in message.to]


def test_publishing_a_submission_dates_its_verification_today(moderator, contributor):
    case = CaseFactory(
        owner=contributor, status=CaseStatus.SUBMITTED, tags=[term("theme", "sante")]
    )
    case.publish(by=moderator)
    case.refresh_from_db()
    assert case.last_verified_on == timezone.localdate()


def test_the_owners_dashboard_does_not_ask_to_verify_a_case_just_published(
    moderator, contributor, contributor_client
):
    case = CaseFactory(
        owner=contributor, status=CaseStatus.SUBMITTED, tags=[term("theme", "sante")]
    )
    case.publish(by=moderator)
    page = contributor_client.get(reverse("accounts:dashboard")).content.decode()
    assert "jamais vérifiée" not in page and "Toujours exacte" not in page


def test_publishing_a_revision_dates_its_verification_today(moderator, contributor):
    case = stale_case(contributor)
    snapshot = case.snapshot()
    snapshot["results"] = "Quarante jeunes embauchés en 2025."
    revision = case.propose_revision(snapshot, by=contributor)
    revision.submit(by=contributor)
    revision.publish(by=moderator)
    case.refresh_from_db()
    assert case.last_verified_on == timezone.localdate()
    assert case.results == "Quarante jeunes embauchés en 2025."


def test_twelve_months_before_the_last_day_of_a_month():
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)
    assert months_before(date(2025, 1, 15), 12) == date(2024, 1, 15)
    assert months_before(date(2025, 3, 31), 1) == date(2025, 2, 28)


# The command ------------------------------------------------------------------------


def test_each_owner_gets_one_email_naming_each_stale_case_with_its_links(
    contributor, other_contributor, mailoutbox
):
    first = stale_case(contributor, title="Épicerie solidaire de Wattrelos")
    second = stale_case(contributor, title="Garage solidaire de Tourcoing")
    other = stale_case(other_contributor, title="Recyclerie du Pays de Redon")
    CaseFactory(
        owner=contributor,
        title="Confirmée le mois dernier",
        last_verified_on=date.today() - timedelta(days=30),
    )
    CaseFactory(
        owner=contributor,
        title="Brouillon ancien",
        status=CaseStatus.DRAFT,
        last_verified_on=LONG_AGO,
    )
    remind()
    mine = mail_to(mailoutbox, contributor.email)
    assert len(mine) == 1
    body = mine[0].body
    assert first.title in body and second.title in body
    assert "Confirmée le mois dernier" not in body and "Brouillon ancien" not in body
    assert len(LINK.findall(body)) == 2
    assert reverse("case_edit", args=[first.pk]) in body
    assert "toujours exacte" in mine[0].subject.lower() or "exactes" in mine[0].subject
    theirs = mail_to(mailoutbox, other_contributor.email)
    assert len(theirs) == 1 and other.title in theirs[0].body
    assert AuditLog.objects.filter(action=Action.REMIND, case__isnull=False).count() == 3


def test_running_the_command_again_sends_nothing_new(contributor, moderator, mailoutbox):
    stale_case(contributor)
    remind()
    sent = len(mailoutbox)
    assert sent == 2  # the owner, the staff summary
    remind()
    assert len(mailoutbox) == sent


def test_a_case_is_reminded_again_a_month_later_if_still_unconfirmed(contributor, mailoutbox):
    case = stale_case(contributor)
    remind()
    AuditLog.objects.filter(action=Action.REMIND).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    remind()
    assert len(mail_to(mailoutbox, contributor.email)) == 2
    assert AuditLog.objects.filter(case=case, action=Action.REMIND).count() == 2


def test_a_dry_run_says_who_would_be_reminded_and_sends_nothing(contributor, mailoutbox, capsys):
    stale_case(contributor)
    remind("--dry-run", verbosity=1)
    out = capsys.readouterr().out
    assert "[dry run]" in out and contributor.email in out
    assert mailoutbox == []
    assert not AuditLog.objects.filter(action=Action.REMIND).exists()
    remind()
    assert len(mail_to(mailoutbox, contributor.email)) == 1


def test_the_command_reports_its_progress(contributor, other_contributor, capsys):
    stale_case(contributor)
    stale_case(other_contributor)
    remind(verbosity=1)
    out = capsys.readouterr().out
    assert "[1/2]" in out and "[2/2]" in out and "Reminders queued: 2" in out


def test_an_inactive_or_unreachable_owner_is_not_emailed_but_staff_hear_of_it(
    moderator, mailoutbox
):
    gone = UserFactory(email="parti@example.org", is_active=False)
    case = stale_case(gone, title="Fiche d'un compte fermé")
    remind()
    assert mail_to(mailoutbox, gone.email) == []
    summary = mail_to(mailoutbox, moderator.email)
    assert len(summary) == 1 and case.title in summary[0].body


def test_staff_are_told_of_stale_cases_and_of_pioneers_due_for_review(
    contributor, moderator, mailoutbox
):
    stale_case(contributor, title="Régie de quartier de Roubaix")
    pioneer = CaseFactory(title="Pionnière à revoir", last_verified_on=date.today())
    pioneer.feature(
        by=moderator, criteria=[], reason="Exemplaire.", review_on=date.today() - timedelta(days=1)
    )
    CaseFactory(
        title="Pionnière pas encore due",
        is_pioneer=True,
        pioneer_review_on=date.today() + timedelta(days=60),
    )
    remind()
    summary = mail_to(mailoutbox, moderator.email)
    assert len(summary) == 1
    body = summary[0].body
    assert "Régie de quartier de Roubaix" in body and "Pionnière à revoir" in body
    assert "Pionnière pas encore due" not in body
    assert reverse("moderation_freshness") in body


def test_without_moderators_the_summary_goes_to_the_contact_address(
    contributor, mailoutbox, settings
):
    settings.CONTACT_EMAIL = "equipe@registre.example"
    stale_case(contributor)
    remind()
    assert len(mail_to(mailoutbox, "equipe@registre.example")) == 1


def test_nothing_stale_sends_nothing(contributor, moderator, mailoutbox):
    CaseFactory(owner=contributor, last_verified_on=date.today())
    remind()
    assert mailoutbox == []


# The link ---------------------------------------------------------------------------


def emailed_link(mailoutbox, owner):
    remind()
    (message,) = mail_to(mailoutbox, owner.email)
    (link,) = LINK.findall(message.body)
    return link[link.index("/verification/") :]


def test_a_visitor_without_an_account_confirms_the_case_once_from_the_link(
    visitor, contributor, mailoutbox
):
    case = stale_case(contributor, title="Atelier vélo de Redon")
    link = emailed_link(mailoutbox, contributor)
    page = visitor.get(link)
    assert page.status_code == 200
    assert "Atelier vélo de Redon" in text(page)
    assert "Toujours exacte" in text(page)
    response = visitor.post(link)
    assert response.status_code == 200 and "Merci" in text(response)
    case.refresh_from_db()
    assert case.last_verified_on == timezone.localdate()
    entry = AuditLog.objects.get(case=case, action=Action.VERIFY)
    assert entry.actor is None and entry.data == {"via": "reminder_link"}
    again = visitor.post(link)
    assert again.status_code == 200 and "Déjà confirmée" in text(again)
    assert AuditLog.objects.filter(case=case, action=Action.VERIFY).count() == 1


def test_opening_the_link_changes_nothing(visitor, contributor):
    case = stale_case(contributor)
    visitor.get(reverse("freshness_confirm", args=[freshness_token(case)]))
    case.refresh_from_db()
    assert case.last_verified_on == LONG_AGO
    assert not AuditLog.objects.filter(case=case, action=Action.VERIFY).exists()


def test_the_owner_logged_in_is_named_in_the_log(contributor_client, contributor):
    case = stale_case(contributor)
    contributor_client.post(reverse("freshness_confirm", args=[freshness_token(case)]))
    assert AuditLog.objects.get(case=case, action=Action.VERIFY).actor == contributor


def test_the_page_offers_the_editor_behind_the_log_in(visitor, contributor):
    case = stale_case(contributor)
    page = visitor.get(reverse("freshness_confirm", args=[freshness_token(case)]))
    edit = reverse("case_edit", args=[case.pk])
    assert edit in text(page)
    assert "/compte/connexion/" in visitor.get(edit)["Location"]


def test_a_tampered_link_is_refused_with_a_french_message(visitor, contributor):
    case = stale_case(contributor)
    token = freshness_token(case)
    # Another case's payload under this case's signature.
    payload = signing.b64_encode(
        f'{{"case":{case.pk + 1},"version":1,"verified":null}}'.encode()
    ).decode()
    forged = payload + token[token.index(":") :]
    for bad in (token[:-3] + "abc", forged, "n-importe-quoi"):
        for method in (visitor.get, visitor.post):
            response = method(reverse("freshness_confirm", args=[bad]))
            assert response.status_code == 400
            assert "Ce lien n'est pas valide" in text(response)
    case.refresh_from_db()
    assert case.last_verified_on == LONG_AGO


def test_a_token_signed_for_another_purpose_is_refused(visitor, contributor):
    case = stale_case(contributor)
    other = signing.TimestampSigner(salt="accounts.confirm").sign_object(
        {"case": case.pk, "version": case.version, "verified": LONG_AGO.isoformat()}
    )
    assert visitor.post(reverse("freshness_confirm", args=[other])).status_code == 400


def test_an_expired_link_is_refused_with_a_french_message(visitor, contributor):
    case = stale_case(contributor)
    url = reverse("freshness_confirm", args=[freshness_token(case)])
    later = time.time() + 31 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = visitor.post(url)
    assert response.status_code == 400
    assert "Ce lien a expiré" in text(response)
    case.refresh_from_db()
    assert case.last_verified_on == LONG_AGO


def test_a_link_to_a_case_edited_since_asks_to_read_it_again(visitor, contributor):
    case = stale_case(contributor)
    url = reverse("freshness_confirm", args=[freshness_token(case)])
    Case.objects.filter(pk=case.pk).update(version=case.version + 1)
    response = visitor.post(url)
    assert response.status_code == 409
    assert "modifiée depuis l'envoi de ce lien" in text(response)


def test_a_link_to_a_case_no_longer_published_confirms_nothing(visitor, contributor, moderator):
    case = stale_case(contributor)
    url = reverse("freshness_confirm", args=[freshness_token(case)])
    case.archive(by=moderator)
    response = visitor.post(url)
    assert response.status_code == 404
    assert "n'est plus publiée" in text(response)
    assert not AuditLog.objects.filter(case=case, action=Action.VERIFY).exists()


def test_the_link_page_is_kept_out_of_search_engines(visitor, contributor):
    case = stale_case(contributor)
    page = visitor.get(reverse("freshness_confirm", args=[freshness_token(case)]))
    assert '<meta name="robots" content="noindex">' in text(page)


# The staff page ---------------------------------------------------------------------


def test_the_freshness_page_is_for_staff_only(visitor, contributor_client, moderator_client):
    url = reverse("moderation_freshness")
    response = visitor.get(url)
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    assert contributor_client.get(url).status_code == 403
    assert moderator_client.get(url).status_code == 200


def test_the_queue_links_to_the_freshness_page(moderator_client):
    page = moderator_client.get(reverse("moderation_queue")).content.decode()
    assert reverse("moderation_freshness") in page


def test_staff_see_stale_cases_oldest_first_and_pioneers_due(
    moderator_client, moderator, contributor
):
    older = CaseFactory(
        owner=contributor,
        title="La plus ancienne",
        last_verified_on=date.today() - timedelta(days=900),
    )
    stale_case(contributor, title="Un peu moins ancienne")
    never = CaseFactory(owner=contributor, title="Publiée il y a deux ans, jamais vérifiée")
    Case.objects.filter(pk=never.pk).update(published_at=timezone.now() - timedelta(days=730))
    CaseFactory(owner=contributor, title="Vérifiée hier", last_verified_on=date.today())
    due = CaseFactory(
        title="Pionnière due",
        is_pioneer=True,
        pioneer_by=moderator,
        pioneer_review_on=date.today(),
        last_verified_on=date.today(),
    )
    CaseFactory(
        title="Pionnière plus tard",
        is_pioneer=True,
        pioneer_review_on=date.today() + timedelta(days=1),
    )
    response = moderator_client.get(reverse("moderation_freshness"))
    assert response.context["stale_count"] == 3 and response.context["pioneer_count"] == 1
    page = text(response)
    assert page.index("La plus ancienne") < page.index("Publiée il y a deux ans")
    assert page.index("Publiée il y a deux ans") < page.index("Un peu moins ancienne")
    assert "jamais (publiée le" in page
    assert "Vérifiée hier" not in page and "Pionnière plus tard" not in page
    assert reverse("moderation_feature", args=[due.pk]) in page
    assert older.get_absolute_url() in page


def test_the_freshness_page_shows_when_a_case_was_last_reminded(moderator_client, contributor):
    stale_case(contributor)
    remind()
    page = moderator_client.get(reverse("moderation_freshness")).content.decode()
    assert timezone.localdate().strftime("%d/%m/%Y") in page


def test_the_freshness_page_runs_a_fixed_number_of_queries(
    moderator_client, moderator, django_assert_num_queries
):
    def add_some():
        for _ in range(3):
            stale_case(UserFactory())
            CaseFactory(is_pioneer=True, pioneer_by=moderator, pioneer_review_on=date.today())

    add_some()
    url = reverse("moderation_freshness")
    with CaptureQueriesContext(connection) as first:
        moderator_client.get(url)
    add_some()
    with django_assert_num_queries(len(first)):
        response = moderator_client.get(url)
    assert response.context["stale_count"] == 6
    assert len(first) <= 8


def test_the_dashboard_asks_what_the_reminders_ask(contributor, contributor_client):
    """One freshness rule: a case never verified counts from its publication, on the
    owner's dashboard as in the reminders and the staff's list."""
    recent = CaseFactory(
        owner=contributor,
        title="Publiée le mois dernier",
        last_verified_on=None,
        published_at=timezone.now() - timedelta(days=30),
    )
    old = CaseFactory(
        owner=contributor,
        title="Publiée il y a deux ans",
        last_verified_on=None,
        published_at=timezone.now() - timedelta(days=730),
    )
    page = text(contributor_client.get(reverse("accounts:dashboard")))
    stale_box = page.split("À vérifier")[1].split("</section>")[0]
    assert old.title in stale_box and recent.title not in stale_box
    assert list(Case.objects.stale()) == [old]
