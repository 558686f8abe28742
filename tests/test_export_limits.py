"""One export budget per visitor: the site's downloads and the API's exports
count against the same limit, refused with a 429 in the visitor's language."""

import time

import pytest
from django.conf import settings
from django.test.utils import override_settings

from accounts.models import ApiToken

pytestmark = pytest.mark.django_db

SITE = "/experiences/export.csv"
API = "/api/v1/exports/cases.csv"
ELSEWHERE = "10.0.0.2"


@pytest.fixture(autouse=True)
def two_exports_an_hour():
    """Counts run in fixed windows of an hour: start well inside one."""
    remaining = 3600 - time.time() % 3600
    if remaining < 30:
        time.sleep(remaining)
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "export": "2/hour"}
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        yield


def token_of(user):
    _token, key = ApiToken.issue(user=user, name="script")
    return {"Authorization": f"Token {key}"}


def test_a_visitor_who_spent_the_budget_on_the_site_is_refused_by_the_api(client):
    assert client.get(SITE).status_code == 200
    assert client.get(SITE).status_code == 200

    refused = client.get(API)
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Requête ralentie.")
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    english = client.get(f"{API}?lang=en")
    assert english.status_code == 429
    assert english.json()["detail"].startswith("Request was throttled.")

    assert client.get(API, REMOTE_ADDR=ELSEWHERE).status_code == 200


def test_a_visitor_who_spent_the_budget_on_the_api_is_refused_by_the_site(client):
    assert client.get(API).status_code == 200
    assert client.get(API).status_code == 200

    refused = client.get(SITE)
    assert refused.status_code == 429
    assert "Trop de tentatives" in refused.content.decode()
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    english = client.get(f"/en{SITE}")
    assert english.status_code == 429
    assert "Too many attempts" in english.content.decode()

    assert client.get(SITE, REMOTE_ADDR=ELSEWHERE).status_code == 200


def test_an_account_has_one_budget_on_the_site_and_through_its_tokens(client, contributor):
    client.force_login(contributor)
    assert client.get(SITE).status_code == 200
    client.logout()
    headers = token_of(contributor)
    assert client.get(API, headers=headers, REMOTE_ADDR=ELSEWHERE).status_code == 200

    assert client.get(API, headers=token_of(contributor)).status_code == 429
    client.force_login(contributor)
    assert client.get(SITE, REMOTE_ADDR="10.0.0.3").status_code == 429
    client.logout()
    # The address the account used keeps its own budget for anonymous visitors.
    assert client.get(SITE).status_code == 200
