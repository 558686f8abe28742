"""How staff are made: the first superuser with `createsuperuser`, moderators with
`make_moderator`, from a terminal or a script with no standard input; and what
the token page tells each of them."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from tests import factories
from tests.conftest import own_client

pytestmark = pytest.mark.django_db

MODERATORS = "Modérateurs"
PASSWORD = "un-mot-de-passe-solide-57"


def make_moderator(*args):
    out = StringIO()
    call_command("make_moderator", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def no_terminal(monkeypatch):
    """Standard input as under CI: not a terminal, nothing to read."""
    monkeypatch.setattr("sys.stdin", StringIO())


def test_an_existing_account_becomes_a_moderator_who_works_in_the_admin(contributor):
    make_moderator("Claire.Contributrice@example.org")

    contributor.refresh_from_db()
    assert contributor.is_staff is True and contributor.is_superuser is False
    assert contributor.groups.filter(name=MODERATORS).exists()
    client = own_client(contributor)
    assert client.get(reverse("admin:registry_case_changelist")).status_code == 200
    assert client.get(reverse("admin:registry_report_changelist")).status_code == 200
    assert client.get(reverse("moderation_queue")).status_code == 200


def test_the_command_is_idempotent(contributor):
    make_moderator(contributor.email)

    again = make_moderator(contributor.email)

    assert "already a moderator" in again
    assert Group.objects.filter(name=MODERATORS).count() == 1
    assert contributor.groups.filter(name=MODERATORS).count() == 1


def test_the_group_is_created_with_its_permissions_when_missing(contributor):
    Group.objects.filter(name=MODERATORS).delete()

    make_moderator(contributor.email)

    group = Group.objects.get(name=MODERATORS)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"change_case", "view_report", "change_report", "view_territory"} <= codenames
    assert not {"delete_case", "delete_organization", "change_territory"} & codenames
    assert own_client(contributor).get(reverse("admin:registry_case_add")).status_code == 200


def test_an_unknown_address_is_refused_without_create(no_terminal):
    with pytest.raises(CommandError, match="--create"):
        make_moderator("personne@example.org")

    assert not User.objects.filter(email="personne@example.org").exists()


def test_create_takes_the_password_from_the_environment_under_ci(monkeypatch, no_terminal):
    monkeypatch.setenv("MODERATOR_PASSWORD", PASSWORD)

    make_moderator("Mona.Nouvelle@Example.org", "--create", "--password-from-env",
                   "MODERATOR_PASSWORD")

    user = User.objects.get(email__iexact="mona.nouvelle@example.org")
    assert user.is_staff and user.is_active and user.groups.filter(name=MODERATORS).exists()
    assert user.username == user.email
    client = own_client()
    assert client.login(username="mona.nouvelle@example.org", password=PASSWORD)
    assert client.get(reverse("admin:registry_case_changelist")).status_code == 200


def test_create_without_a_terminal_or_a_password_leaves_one_to_set(no_terminal):
    out = make_moderator("paul.nouveau@example.org", "--create")

    user = User.objects.get(email="paul.nouveau@example.org")
    assert user.is_staff and not user.has_usable_password()
    assert "Mot de passe oublié" in out


def test_an_empty_or_weak_password_is_refused_and_no_account_made(monkeypatch, no_terminal):
    monkeypatch.setenv("EMPTY", "")
    monkeypatch.setenv("WEAK", "1234")

    for variable in ("EMPTY", "WEAK"):
        with pytest.raises(CommandError):
            make_moderator("faible@example.org", "--create", "--password-from-env", variable)

    assert not User.objects.filter(email="faible@example.org").exists()


def test_create_on_an_existing_account_keeps_its_password(contributor, no_terminal):
    contributor.set_password(PASSWORD)
    contributor.save()

    make_moderator(contributor.email, "--create")

    contributor.refresh_from_db()
    assert contributor.is_staff and contributor.check_password(PASSWORD)
    assert User.objects.filter(email__iexact=contributor.email).count() == 1


def test_the_first_superuser_is_made_from_an_address_alone(monkeypatch, no_terminal):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    call_command("createsuperuser", "--noinput", "--email", "admin@example.org",
                 stdout=StringIO())

    user = User.objects.get(email="admin@example.org")
    assert user.is_superuser and user.is_staff
    assert user.username == "admin@example.org"
    client = own_client()
    assert client.login(username="admin@example.org", password=PASSWORD)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200


def test_the_token_page_tells_a_contributor_a_token_cannot_publish(contributor_client):
    page = contributor_client.get(reverse("tokens:list")).content.decode()

    assert "ne permet pas de publier" in page
    assert "/publish/" not in page


def test_the_token_page_tells_staff_their_tokens_moderate(moderator_client):
    page = moderator_client.get(reverse("tokens:list")).content.decode()

    assert "ne permet pas de publier" not in page
    assert "publient les expériences soumises" in page
    assert "POST /api/v1/cases/{id}/publish/" in page


def test_a_staff_token_publishes_and_a_contributors_does_not(contributor, moderator):
    case = factories.CaseFactory(
        owner=contributor, status="submitted", tags=[factories.term("theme", "sante")]
    )
    url = reverse("api:case_publish", args=[case.pk])
    _token, contributor_key = contributor.api_tokens.model.issue(user=contributor, name="x")
    _token, moderator_key = moderator.api_tokens.model.issue(user=moderator, name="y")

    refused = own_client().post(url, HTTP_AUTHORIZATION=f"Token {contributor_key}")
    published = own_client().post(url, HTTP_AUTHORIZATION=f"Token {moderator_key}")

    assert refused.status_code == 403
    assert published.status_code == 200
    case.refresh_from_db()
    assert case.status == "published"
