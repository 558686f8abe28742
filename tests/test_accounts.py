"""Accounts: sign-up with e-mail confirmation, log in by e-mail, rate limits,
honeypot, password reset, profile and the contributor's dashboard."""

import re
import time
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import User
from registry.models import Action, AuditLog, CaseStatus
from tests.factories import CaseFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "une-phrase-de-passe-solide"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def sign_up(client, **overrides):
    data = {
        "email": "Nadia.Nouvelle@Example.org",
        "display_name": "Nadia Nouvelle",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return client.post(reverse("accounts:signup"), data)


def link_in(mail):
    return re.search(r"https?://[^\s]+/compte/confirmer/[^\s]+/", mail.body).group()


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


def test_the_honeypot_pretends_success_and_creates_nothing(client, mailoutbox):
    response = sign_up(client, website_url="http://spam.example")
    assert response.status_code == 302
    assert not User.objects.exists() and not mailoutbox


def test_an_address_already_used_in_another_case_is_refused(client):
    UserFactory(email="nadia.nouvelle@example.org")
    response = sign_up(client)
    assert response.status_code == 400
    assert "Un compte existe déjà" in response.content.decode()
    assert User.objects.count() == 1


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


def test_log_in_attempts_are_rate_limited_per_address(client):
    UserFactory(email="claire@example.org", password=PASSWORD)
    for _ in range(10):
        client.post(reverse("accounts:login"), {"username": "claire@example.org", "password": "x"})
    response = client.post(
        reverse("accounts:login"), {"username": "claire@example.org", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()


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
    client.post(reverse("accounts:password_reset"), {"email": "claire@example.org"})
    assert len(mailoutbox) == 1 and "/compte/mot-de-passe/nouveau/" in mailoutbox[0].body
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
