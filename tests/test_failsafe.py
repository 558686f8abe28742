"""When things go wrong around the site: a database that stops answering gets the
site's 503 with Retry-After (page or JSON), never a 500; `/sante/` tells a load
balancer what is in trouble; every response carries the Content-Security-Policy."""

import re

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection
from django.test import Client

from accounts.models import ApiToken
from registry.models import Case, Organization
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


class DatabaseDown:
    """Every statement fails as it does while PostgreSQL restarts (Django's own
    hook around the database driver; the site's code runs unchanged)."""

    def __call__(self, execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")


def database_down():
    return connection.execute_wrapper(DatabaseDown())


@pytest.fixture
def quiet_client(client):
    """A client that gets the site's answer to an error instead of the exception."""
    client.raise_request_exception = False
    return client


# The database stops answering --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/", "Service momentanément indisponible"),
        ("/experiences/?q=insertion", "Service momentanément indisponible"),
        ("/en/observatoire/", "Service temporarily unavailable"),
    ],
)
def test_a_page_answers_503_with_retry_after_while_the_database_is_down(quiet_client, url, words):
    CaseFactory()
    with database_down():
        response = quiet_client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    html = response.content.decode()
    assert words in html
    assert "Rien de ce qui a été enregistré n'est perdu" in html or "Nothing" in html
    assert '<footer' in html  # the site's own layout, not a bare error


def test_a_signed_in_contributor_gets_the_503_too(contributor_client):
    contributor_client.raise_request_exception = False
    with database_down():
        response = contributor_client.get("/compte/tableau-de-bord/")
    assert response.status_code == 503
    assert "Service momentanément indisponible" in response.content.decode()


def test_the_api_answers_503_in_json_while_the_database_is_down(quiet_client):
    with database_down():
        response = quiet_client.get("/api/v1/cases/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response["Content-Type"].startswith("application/json")
    assert "momentanément indisponible" in response.json()["detail"]


def test_the_site_answers_again_as_soon_as_the_database_does(quiet_client):
    CaseFactory(title="Atelier vélo solidaire de Redon")
    with database_down():
        assert quiet_client.get("/experiences/").status_code == 503
    response = quiet_client.get("/experiences/")
    assert response.status_code == 200
    assert "Atelier vélo solidaire de Redon" in response.content.decode()


class DownAfterTheWrite:
    """The database goes away once the write is committed, before its answer is
    read: the first SELECT after the write's transaction ends fails (seen under
    PostgreSQL restarts: a draft saved, its client told 503, a retry made a
    twin). The test runs in a transaction, so the write's own ends with the
    release of its savepoint."""

    def __init__(self):
        self.written = self.committed = False

    def __call__(self, execute, sql, params, many, context):
        statement = sql.lstrip().upper()
        if statement.startswith("INSERT"):
            self.written = True
        elif self.written and statement.startswith("RELEASE SAVEPOINT"):
            self.committed = True
        elif self.committed and statement.startswith("SELECT"):
            raise OperationalError("terminating connection due to administrator command")
        return execute(sql, params, many, context)


@pytest.mark.parametrize(
    ("url", "body", "model"),
    [
        ("/api/v1/me/cases/", {"title": "Garage solidaire", "summary": "Un garage."}, Case),
        (
            "/api/v1/me/organizations/",
            {"name": "Ressourcerie de Kerbiquet", "actor_type": "association"},
            Organization,
        ),
    ],
)
def test_an_api_write_is_answered_as_it_ended_when_the_database_goes_away(
    contributor, url, body, model
):
    """A 503 means « nothing written » and a 201 « written »: never a saved draft
    or organisation answered 503, which a client would send again as a twin."""
    _token, key = ApiToken.issue(user=contributor, name="script")
    client = Client(raise_request_exception=False)
    before = model.objects.count()
    with connection.execute_wrapper(DownAfterTheWrite()):
        response = client.post(
            url, body, content_type="application/json", headers={"Authorization": f"Token {key}"}
        )
    saved = model.objects.count() - before
    assert (response.status_code, saved) in {(201, 1), (503, 0)}, response.content


# Health ---------------------------------------------------------------------------------


def test_health_says_ok_when_the_database_and_the_cache_answer(client):
    response = client.get("/sante/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_health_names_the_database_when_it_is_down(client):
    with database_down():
        response = client.get("/sante/")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response.json() == {"status": "unavailable", "database": "unavailable", "cache": "ok"}


def test_health_leaves_the_cache_as_it_found_it_for_the_site(client):
    cache.set("registry-version", 41)
    client.get("/sante/")
    assert cache.get("registry-version") == 41


def test_health_refuses_a_post(client):
    assert client.post("/sante/").status_code == 405


# Content-Security-Policy ----------------------------------------------------------------


def policy_of(response):
    header = response["Content-Security-Policy"]
    return dict(
        (part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in header.split(";")) if part
    )


@pytest.mark.parametrize(
    "url", ["/", "/en/experiences/", "/experiences/nexiste-pas/", "/api/v1/cases/", "/sante/"]
)
def test_every_response_allows_scripts_from_the_site_only(client, url):
    policy = policy_of(client.get(url))
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy["style-src"]


def test_no_page_carries_an_inline_script_the_policy_would_block(client):
    case = CaseFactory()
    for url in ["/", "/experiences/", case.get_absolute_url(), "/observatoire/", "/a-propos/"]:
        html = client.get(url).content.decode()
        for attributes in re.findall(r"<script\b([^>]*)>", html):
            assert "src=" in attributes or 'type="application/ld+json"' in attributes, url
        assert not re.search(r"\son[a-z]+=", html), url


def test_the_api_documentation_gets_styles_inline_but_still_scripts_from_the_site(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    policy = policy_of(response)
    assert policy["script-src"] == "'self'"
    assert "'unsafe-inline'" in policy["style-src"]
    html = response.content.decode()
    assert not re.search(r"<script>(?!\s*</script>)", html)  # its start-up script is a file
