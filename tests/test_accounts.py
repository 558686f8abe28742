"""Accounts: sign-up with e-mail confirmation, log in by e-mail, rate limits,
honeypot, password reset, profile and the contributor's dashboard."""

import html
import re
import time
from datetime import date, timedelta

import pytest
from django.test import TestCase
from django.urls import reverse

from accounts.models import User
from registry.models import Action, AuditLog, CaseStatus
from tests.factories import CaseFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "une-phrase-de-passe-solide"
ATTACKER = "203.0.113.66"
ELSEWHERE = "198.51.100.20"


def committed():
    """Run what a request leaves for after its commit, as production does at the end
    of the request: here, queue and (immediate task backend) send its e-mails."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def sign_up(client, *, follow=False, **overrides):
    data = {
        "email": "Nadia.Nouvelle@Example.org",
        "display_name": "Nadia Nouvelle",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    with committed():
        return client.post(reverse("accounts:signup"), data, follow=follow)


def link_in(mail):
    return re.search(r"https?://[^\s]+/compte/confirmer/[^\s]+/", mail.body).group()


def log_in(client, email, password, *, source="127.0.0.1"):
    return client.post(
        reverse("accounts:login"), {"username": email, "password": password}, REMOTE_ADDR=source
    )


def log_out(client):
    client.post(reverse("accounts:logout"))


def is_logged_in(client):
    return client.get(reverse("accounts:dashboard")).status_code == 200


def text_of(response):
    return html.unescape(response.content.decode())


def without_csrf_token(response):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


class Clock:
    """The time the rate limits read, moved forward by the test."""

    def __init__(self):
        self.offset = 0

    def advance(self, seconds):
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    real_time = time.time
    monkeypatch.setattr("time.time", lambda: real_time() + clock.offset)
    return clock


def test_sign_up_sends_a_confirmation_link_that_activates_and_logs_in(client, mailoutbox):
    response = sign_up(client)
    assert response.status_code == 302
    user = User.objects.get(email__iexact="nadia.nouvelle@example.org")
    assert not user.is_active
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["Nadia.Nouvelle@Example.org"]
    response = client.get(link_in(mailoutbox[0]))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:dashboard")
    user.refresh_from_db()
    assert user.is_active
    assert client.get(reverse("accounts:dashboard")).status_code == 200


def test_a_tampered_link_is_refused_with_a_way_to_resend(client, mailoutbox):
    sign_up(client)
    link = link_in(mailoutbox[0])
    response = client.get(link[:-3] + "xx/", follow=True)
    assert "pas valide" in response.content.decode()
    assert not User.objects.get().is_active


def test_an_expired_link_is_refused(client, mailoutbox, monkeypatch):
    real_time = time.time
    monkeypatch.setattr("django.core.signing.time.time", lambda: real_time() - 4 * 24 * 3600)
    sign_up(client)
    monkeypatch.setattr("django.core.signing.time.time", real_time)
    response = client.get(link_in(mailoutbox[0]), follow=True)
    assert "expiré" in response.content.decode()
    assert not User.objects.get().is_active


def test_the_confirmation_link_works_only_once(client, mailoutbox):
    sign_up(client)
    link = link_in(mailoutbox[0])
    client.get(link)
    log_out(client)

    response = client.get(link, follow=True)
    assert "Ce lien a déjà servi ou n'est plus valide" in text_of(response)
    assert not is_logged_in(client)


def test_the_confirmation_link_is_void_after_a_password_change(client, mailoutbox):
    sign_up(client)
    link = link_in(mailoutbox[0])
    client.get(link)
    client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "un-tout-nouveau-secret",
            "new_password2": "un-tout-nouveau-secret",
        },
    )
    log_out(client)

    client.get(link)
    assert not is_logged_in(client)
    assert log_in(client, "nadia.nouvelle@example.org", "un-tout-nouveau-secret").status_code == 302


def test_an_unused_link_is_void_once_the_password_changed(client, mailoutbox):
    sign_up(client)
    user = User.objects.get()
    user.set_password("choisi-par-l-equipe")
    user.save()

    client.get(link_in(mailoutbox[0]))
    assert not is_logged_in(client)
    user.refresh_from_db()
    assert not user.is_active


def test_the_confirmation_link_does_not_reopen_an_account_staff_deactivated(client, mailoutbox):
    sign_up(client)
    link = link_in(mailoutbox[0])
    client.get(link)
    log_out(client)
    User.objects.update(is_active=False)  # as staff do in the admin

    response = client.get(link, follow=True)
    assert "Ce lien a déjà servi ou n'est plus valide" in text_of(response)
    assert not is_logged_in(client)
    assert not User.objects.get().is_active


def test_a_sign_up_staff_blocked_cannot_be_confirmed(client, mailoutbox):
    sign_up(client)
    User.objects.update(awaiting_confirmation=False)  # unticked in the admin

    client.get(link_in(mailoutbox[0]))
    assert not is_logged_in(client)
    assert not User.objects.get().is_active


def test_a_deactivated_account_gets_no_new_confirmation_link(client, mailoutbox):
    UserFactory(email="ancien@example.org", is_active=False)  # never logged in

    with committed():
        response = client.post(
            reverse("accounts:resend"), {"email": "ancien@example.org"}, follow=True
        )
    assert "Si un compte attend sa confirmation" in response.content.decode()
    assert mailoutbox == []


def test_an_account_waiting_for_confirmation_gets_a_new_link(client, mailoutbox):
    sign_up(client)
    with committed():
        client.post(reverse("accounts:resend"), {"email": "nadia.nouvelle@example.org"})
    assert len(mailoutbox) == 2
    client.get(link_in(mailoutbox[1]))
    assert is_logged_in(client)


def test_the_honeypot_pretends_success_and_creates_nothing(client, mailoutbox):
    response = sign_up(client, website_url="http://spam.example")
    assert response.status_code == 302
    assert not User.objects.exists() and not mailoutbox


def test_sign_up_answers_the_same_whether_or_not_the_address_has_an_account(
    client, mailoutbox
):
    UserFactory(email="nadia.nouvelle@example.org", display_name="Nadia")
    taken = sign_up(client, email="Nadia.Nouvelle@Example.org")
    new = sign_up(client, email="nouvelle.venue@example.org")

    assert taken.status_code == new.status_code == 302
    assert taken["Location"] == new["Location"]
    taken, new = client.get(taken["Location"]), client.get(new["Location"])
    assert taken.status_code == new.status_code == 200
    assert without_csrf_token(taken) == without_csrf_token(new)
    assert "Un compte existe déjà" not in without_csrf_token(taken)
    assert User.objects.filter(email__iexact="nadia.nouvelle@example.org").count() == 1


def test_signing_up_with_a_taken_address_tells_its_owner_instead(client, mailoutbox):
    owner = UserFactory(email="nadia.nouvelle@example.org", password=PASSWORD)
    other_password = "un-autre-secret-bien-long"
    sign_up(client, email="NADIA.nouvelle@example.org", password1=other_password,
            password2=other_password)

    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["nadia.nouvelle@example.org"]
    mail = mailoutbox[0].body
    assert "Quelqu'un a voulu créer un compte avec votre adresse" in mail
    assert "/compte/connexion/" in mail and "/compte/mot-de-passe/oublie/" in mail
    assert "/compte/confirmer/" not in mail
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD) and owner.is_active


def test_a_second_sign_up_before_confirming_points_to_a_new_link(client, mailoutbox):
    sign_up(client)
    sign_up(client)

    assert len(mailoutbox) == 2 and User.objects.count() == 1
    assert "/compte/confirmer-a-nouveau/" in mailoutbox[1].body
    assert "/compte/confirmer/" not in mailoutbox[1].body


def test_mismatched_or_weak_passwords_keep_the_other_values(client):
    response = sign_up(client, password2="autre-chose-encore")
    page = response.content.decode()
    assert response.status_code == 400 and "ne correspondent pas" in page
    assert "Nadia Nouvelle" in page and PASSWORD not in page
    response = sign_up(client, password1="12345678", password2="12345678")
    assert response.status_code == 400 and not User.objects.exists()


def test_log_in_by_email_in_any_case(client):
    UserFactory(email="claire@example.org", password=PASSWORD)
    response = client.post(
        reverse("accounts:login"), {"username": "CLAIRE@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:dashboard")).status_code == 200


def test_a_wrong_password_says_so_without_telling_which_part(client):
    UserFactory(email="claire@example.org", password=PASSWORD)
    response = client.post(
        reverse("accounts:login"), {"username": "claire@example.org", "password": "non"}
    )
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect" in response.content.decode()


def test_failed_log_ins_from_one_source_make_it_wait_longer_and_longer(client, clock):
    UserFactory(email="claire@example.org", password=PASSWORD)
    for _ in range(5):
        assert log_in(client, "claire@example.org", "x", source=ATTACKER).status_code == 200
    for wait in ["1\u00a0seconde", "2\u00a0secondes", "4\u00a0secondes", "8\u00a0secondes"]:
        # Even the right password waits: the answer tells nothing about it.
        response = log_in(client, "claire@example.org", PASSWORD, source=ATTACKER)
        assert response.status_code == 429
        assert f"Trop de tentatives\u00a0: réessayez dans {wait}." in response.content.decode()
        clock.advance(int(wait.split("\u00a0")[0]))
        assert log_in(client, "claire@example.org", "x", source=ATTACKER).status_code == 200
    response = log_in(client, "claire@example.org", PASSWORD, source=ATTACKER)
    assert response.status_code == 429 and response["Retry-After"] == "16"
    assert 'value="claire@example.org"' in response.content.decode()


def test_the_delay_is_said_in_minutes_past_a_minute_and_in_english_under_en(client, clock):
    for _ in range(11):
        clock.advance(60)  # longer than any wait so far: every attempt is checked
        log_in(client, "claire@example.org", "x", source=ATTACKER)
    response = log_in(client, "claire@example.org", "x", source=ATTACKER)
    assert "Trop de tentatives\u00a0: réessayez dans 2\u00a0minutes." in response.content.decode()
    response = client.post(
        "/en" + reverse("accounts:login"),
        {"username": "claire@example.org", "password": "x"},
        REMOTE_ADDR=ATTACKER,
    )
    assert "Too many attempts: try again in 2 minutes." in response.content.decode()


def test_the_owner_logs_in_from_elsewhere_after_someone_elses_failures(client):
    UserFactory(email="claire@example.org", password=PASSWORD)
    for _ in range(30):
        log_in(client, "claire@example.org", "devine", source=ATTACKER)
    assert log_in(client, "claire@example.org", PASSWORD, source=ATTACKER).status_code == 429

    assert log_in(client, "claire@example.org", PASSWORD, source=ELSEWHERE).status_code == 302
    assert is_logged_in(client)


def test_a_successful_log_in_forgets_the_earlier_failures(client):
    UserFactory(email="claire@example.org", password=PASSWORD)
    for _ in range(4):
        log_in(client, "claire@example.org", "oups")
    assert log_in(client, "claire@example.org", PASSWORD).status_code == 302
    log_out(client)
    for _ in range(4):
        log_in(client, "claire@example.org", "oups")
    assert log_in(client, "claire@example.org", PASSWORD).status_code == 302


def test_one_source_trying_many_addresses_is_capped(client):
    for number in range(30):
        log_in(client, f"personne{number}@example.org", "x", source=ATTACKER)
    response = log_in(client, "encore.une@example.org", "x", source=ATTACKER)
    assert response.status_code == 429 and "Trop de tentatives" in response.content.decode()
    assert log_in(client, "encore.une@example.org", "x", source=ELSEWHERE).status_code == 200


def test_sign_up_is_rate_limited_per_address(client):
    for number in range(5):
        sign_up(client, email=f"robot{number}@example.org")
    assert sign_up(client, email="robot9@example.org").status_code == 429
    assert User.objects.count() == 5


def test_log_out_is_post_only(contributor_client):
    assert contributor_client.get(reverse("accounts:logout")).status_code == 405
    assert contributor_client.post(reverse("accounts:logout")).status_code == 302
    assert contributor_client.get(reverse("accounts:dashboard")).status_code == 302


def test_password_reset_sends_a_link(client, mailoutbox):
    UserFactory(email="claire@example.org")
    with committed():
        client.post(reverse("accounts:password_reset"), {"email": "claire@example.org"})
    assert len(mailoutbox) == 1 and "/compte/mot-de-passe/nouveau/" in mailoutbox[0].body
    with committed():
        client.post(reverse("accounts:password_reset"), {"email": "personne@example.org"})
    assert len(mailoutbox) == 1


def test_the_profile_links_an_organisation_and_a_territory(contributor_client, contributor):
    organization = OrganizationFactory(name="Association Tremplin Fives")
    response = contributor_client.post(
        reverse("accounts:profile"),
        {
            "display_name": "Claire C.",
            "organization_name": "tremplin fives",
            "territory_name": "Sainte-Colombe (77)",
        },
    )
    assert response.status_code == 302
    contributor.refresh_from_db()
    assert contributor.organization == organization
    assert contributor.territory.code == "77403" or contributor.territory.departement_code == "77"


def test_an_ambiguous_territory_lists_the_homonyms(contributor_client):
    response = contributor_client.post(
        reverse("accounts:profile"), {"display_name": "C", "territory_name": "Sainte-Colombe"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Plusieurs territoires correspondent" in page and "Sainte-Colombe (" in page


def test_the_dashboard_needs_an_account(client):
    response = client.get(reverse("accounts:dashboard"))
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]


def test_the_dashboard_shows_only_my_cases_by_status(contributor_client, contributor, moderator):
    mine = CaseFactory(owner=contributor, status=CaseStatus.DRAFT, title="Mon brouillon")
    CaseFactory(title="Celle d'un autre")
    submitted = CaseFactory(owner=contributor, status=CaseStatus.SUBMITTED)
    submitted.request_changes(by=moderator, reason="unclear", message="Précisez le contexte.")
    page = contributor_client.get(reverse("accounts:dashboard")).content.decode()
    assert mine.title in page and "Celle d'un autre" not in page
    assert "Précisez le contexte." in page


def test_a_year_old_case_can_be_confirmed_accurate_in_one_click(contributor_client, contributor):
    case = CaseFactory(owner=contributor, last_verified_on=date.today() - timedelta(days=400))
    page = contributor_client.get(reverse("accounts:dashboard")).content.decode()
    assert "Toujours exacte" in page
    contributor_client.post(reverse("accounts:confirm_accurate", args=[case.pk]))
    case.refresh_from_db()
    assert case.last_verified_on == date.today()
    assert AuditLog.objects.filter(case=case, action=Action.VERIFY, actor=contributor).exists()


def test_another_contributor_cannot_confirm_my_case(other_client, contributor):
    case = CaseFactory(owner=contributor, last_verified_on=None)
    response = other_client.post(reverse("accounts:confirm_accurate", args=[case.pk]))
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.last_verified_on is None


def test_the_dashboard_runs_a_fixed_number_of_queries(
    contributor_client, contributor, django_assert_max_num_queries
):
    for _ in range(2):
        CaseFactory(owner=contributor)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        contributor_client.get(reverse("accounts:dashboard"))
    for _ in range(6):
        CaseFactory(owner=contributor)
    with django_assert_max_num_queries(len(few)):
        contributor_client.get(reverse("accounts:dashboard"))
