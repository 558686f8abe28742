"""Hostile or unlucky input never breaks the site nor holds a worker.

A contributor pasting 20 KB of words into a search box, a client sending a NUL,
a vertical tab, a body nested a thousand levels deep or a tampered form: each
gets an answer (the page with its message, a 400, a 404) at once, never a 500.
A statement PostgreSQL cancels for running too long answers 503.
"""

import itertools
import json
import os
import string
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, connections
from django.urls import reverse

from registry.models import Case, CaseStatus
from tests.factories import CaseFactory, OrganizationFactory
from tests.test_api_write import auth

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent
only_on_postgresql = pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""), reason="PostgreSQL only"
)


def words(size):
    """`size` characters of short distinct words, as a script would paste them."""
    letters = string.ascii_lowercase
    triples = ("".join(t) for t in itertools.product(letters, repeat=3))
    return " ".join(itertools.islice(triples, size // 4 + 1))[:size]


@pytest.fixture
def draft(contributor):
    return CaseFactory(
        owner=contributor,
        status=CaseStatus.DRAFT,
        title="Tiers-lieu de Fives",
        places=[],
        partners=[],
    )


def editor_post(draft, **fields):
    """The editor's POST for `draft`: its title and summary, an empty roster, and `fields`."""
    data = {
        "case-title": draft.title,
        "case-summary": draft.summary,
        "case-version": str(draft.version),
        "roster-TOTAL_FORMS": "0",
        "roster-INITIAL_FORMS": "0",
        "action": "save",
    }
    data.update(fields)
    return data


def edit_url(case):
    return reverse("case_edit", args=[case.pk])


# ---- Bounded work per request ------------------------------------------------------------
# Before: 20 KB of words in the territory search took 68 s on PostgreSQL (one filter per
# word), 200 KB in the partner search 19 to 34 s; a roster count of 99 999 999, 101 s.


@pytest.mark.parametrize("size", [20_000, 200_000])
def test_a_territory_search_of_a_page_of_words_answers_with_the_page(
    contributor_client, draft, size
):
    query = words(size)
    data = editor_post(draft, action="find_territory", **{"places-territory_query": query})

    response = contributor_client.post(edit_url(draft), data)

    page = response.content.decode()
    assert response.status_code == 200
    # What was searched is what the box holds: its first 100 characters.
    assert f"Aucun territoire ne correspond à «\u00a0{query[:100].strip()}\u00a0»" in page
    assert query[:101] not in page.split("Aucun territoire ne correspond")[1]
    assert "Tiers-lieu de Fives" in page


@pytest.mark.parametrize("size", [20_000, 200_000])
def test_a_partner_search_of_a_page_of_words_answers_with_the_page(
    contributor_client, draft, size
):
    query = words(size)
    data = editor_post(draft, action="find_partner", **{"find-partner_query": query})

    response = contributor_client.post(edit_url(draft), data)

    page = response.content.decode()
    assert response.status_code == 200
    # What was searched is what the box holds: its first 150 characters.
    assert f"Résultats pour «\u00a0{query[:150].strip()}\u00a0»" in page
    assert "Aucune organisation trouvée" in page


def test_a_partner_search_still_finds_a_name_among_many_words(contributor_client, draft):
    OrganizationFactory(name="Association Roubaix Solidaire")
    CaseFactory(partners=[OrganizationFactory(name="Ville de Roubaix")])
    data = editor_post(draft, action="find_partner", **{"find-partner_query": "Roubaix " * 5000})

    response = contributor_client.post(edit_url(draft), data)

    assert response.status_code == 200
    assert "Ville de Roubaix" in response.content.decode()


def test_a_search_longer_than_its_box_is_refused_before_it_is_run(client):
    """A guard (it held before): the search box's 200 characters, on the site and the API."""
    query = words(20_000)

    page = client.get("/experiences/", {"q": query})
    api = client.get("/api/v1/cases/", {"q": query})

    assert page.status_code == 200
    assert any("200 caractères" in error for error in page.context["errors"])
    assert api.status_code == 400 and "q" in api.json()


@pytest.mark.parametrize("count", ["abc", "²", "99999999"])
def test_a_tampered_roster_count_shows_the_editor_again_and_writes_nothing(
    contributor_client, draft, count
):
    data = editor_post(draft, **{"case-title": "Titre retapé", "roster-TOTAL_FORMS": count})

    response = contributor_client.post(edit_url(draft), data)

    page = response.content.decode()
    assert response.status_code == 400
    assert "Certains champs sont à corriger" in page
    assert 'value="Titre retapé"' in page
    draft.refresh_from_db()
    assert draft.title == "Tiers-lieu de Fives"


def test_a_tampered_roster_count_does_not_add_a_partner_over_the_rows(contributor_client, draft):
    partner = OrganizationFactory(name="Association Tremplin")
    data = editor_post(draft, action=f"add_partner:{partner.pk}", **{"roster-TOTAL_FORMS": "x"})

    response = contributor_client.post(edit_url(draft), data)

    assert response.status_code == 200
    assert "ManagementForm" in response.content.decode()
    assert not draft.roster.exists()


def test_a_partner_id_that_is_not_a_number_adds_nothing(contributor_client, draft):
    response = contributor_client.post(edit_url(draft), editor_post(draft, action="add_partner:²"))

    assert response.status_code == 200
    assert "Tiers-lieu de Fives" in response.content.decode()


# ---- Control characters, stripped by the site ------------------------------------------------


def test_control_characters_typed_in_the_editor_are_dropped_and_line_breaks_kept(
    contributor_client, draft
):
    data = editor_post(
        draft,
        **{
            "case-title": "Tiers-lieu\x00 de Lille\x1f",
            "case-summary": "Une ligne\x0bune autre\x0cet la fin\x07.",
        },
    )

    response = contributor_client.post(edit_url(draft), data)

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "Tiers-lieu de Lille"
    assert draft.summary == "Une ligne\nune autre\net la fin."


def test_a_territory_chosen_with_a_nul_character_is_placed(contributor_client, draft):
    data = editor_post(draft, **{"places-territories": ["commune:59512\x00"]})

    response = contributor_client.post(edit_url(draft), data)

    assert response.status_code == 302
    assert [link.territory.name for link in draft.case_territories.all()] == ["Roubaix"]


@pytest.mark.parametrize("field", ["find-partner_query", "places-territory_query"])
def test_a_nul_character_in_a_search_box_is_dropped(contributor_client, draft, field):
    action = "find_partner" if field.startswith("find") else "find_territory"
    data = editor_post(draft, action=action, **{field: "Rou\x00baix"})

    response = contributor_client.post(edit_url(draft), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "\x00" not in page
    assert "«\u00a0Roubaix\u00a0»" in page  # what was searched


def test_a_control_character_in_a_search_filter_is_dropped(client):
    nord = CaseFactory(title="Alliance du Nord")

    response = client.get("/experiences/?departement=5%009&q=Alliance%0B")

    assert response.status_code == 200
    assert response.context["errors"] == []
    assert [case.pk for case in response.context["page"].object_list] == [nord.pk]


@pytest.mark.parametrize(
    "url",
    [
        "/flux/atom/?theme=mobilite%00",
        "/flux/rss/?region=3%002",
        "/experiences/export.csv?region=%0032",
        "/observatoire/?region=32%00",
        "/organisations/?q=Roubaix%00",
        "/territoires/?q=Lille%1F",
    ],
)
def test_pages_and_downloads_read_their_query_string_without_control_characters(client, url):
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/territoires/commune/59350%00/", "/territoires/region%0B/32/"])
def test_an_address_holding_a_control_character_is_a_404(client, url):
    assert client.get(url).status_code == 404


# ---- Control characters and absurd bodies, refused by the API ------------------------------


def test_the_api_refuses_a_control_character_in_the_query_string_naming_it(client):
    response = client.get("/api/v1/cases/?q=Lille%0B&theme=mobilite")

    assert response.status_code == 400
    assert response.json() == {"q": ["Caractère non autorisé\u00a0: U+000B."]}


@pytest.mark.parametrize(
    "body, errors",
    [
        (
            {"title": "Tiers-lieu", "summary": "Une ligne\x0bune autre"},
            {"summary": ["Caractère non autorisé\u00a0: U+000B."]},
        ),
        (
            {
                "title": "Tiers-lieu",
                "summary": "Un lieu.",
                "roster": [{"organization": 1, "role": "porteur", "contribution": "Les\x1c"}],
            },
            {"roster": {"0": {"contribution": ["Caractère non autorisé\u00a0: U+001C."]}}},
        ),
        (
            {"title": "Tiers-lieu", "summary": "Un lieu.", "tags": {"\ud800": ["numerique"]}},
            {"tags": ["Caractère non autorisé\u00a0: U+D800."]},
        ),
        (["Tiers-lieu\x01"], {"non_field_errors": ["Caractère non autorisé\u00a0: U+0001."]}),
    ],
)
def test_the_api_refuses_a_control_character_in_a_body_naming_the_field(
    client, contributor, body, errors
):
    response = client.post(
        "/api/v1/me/cases/", json.dumps(body), content_type="application/json",
        headers=auth(contributor),
    )

    assert response.status_code == 400
    assert response.json() == errors
    assert not Case.objects.filter(owner=contributor).exists()


@pytest.mark.parametrize("url", ["/api/v1/me/cases/", "/api/v1/me/organizations/"])
@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000, '{"name":' * 1000 + "1" + "}" * 1000])
def test_a_body_nested_a_thousand_levels_deep_is_a_400(client, contributor, url, body):
    response = client.post(url, body, content_type="application/json", headers=auth(contributor))

    assert response.status_code == 400
    assert "imbriqué" in response.json()["detail"]


def test_brackets_inside_strings_do_not_count_as_nesting(client, contributor):
    body = {"title": "[" * 100, "summary": "{" * 100}

    response = client.post(
        "/api/v1/me/cases/", json.dumps(body), content_type="application/json",
        headers=auth(contributor),
    )

    assert response.status_code == 201, response.content


@pytest.mark.parametrize("url", ["/api/v1/cases/%C2%B2/", "/api/v1/me/cases/%C2%B2/"])
def test_a_case_id_of_unicode_digits_is_a_404(client, contributor, url):
    assert client.get(url, headers=auth(contributor)).status_code == 404


def test_a_roster_organisation_of_unicode_digits_is_a_400(client, contributor):
    body = {"title": "Tiers-lieu", "summary": "Un lieu.", "roster": [{"organization": "²"}]}

    response = client.post(
        "/api/v1/me/cases/", json.dumps(body), content_type="application/json",
        headers=auth(contributor),
    )

    assert response.status_code == 400
    assert "organization" in response.json()["roster"]["0"]


@pytest.mark.parametrize("action", ["submit", "withdraw"])
def test_options_on_a_transition_lists_the_allowed_methods(client, contributor, draft, action):
    response = client.options(f"/api/v1/me/cases/{draft.pk}/{action}/", headers=auth(contributor))

    assert response.status_code == 200
    assert response["Allow"] == "POST, OPTIONS"


@pytest.mark.parametrize("url", ["/api/v1/me/cases/", "/api/v1/me/organizations/"])
def test_options_on_a_collection_lists_the_allowed_methods(client, contributor, url):
    response = client.options(url, headers=auth(contributor))

    assert response.status_code == 200
    assert "POST" in response["Allow"]


# ---- The statement timeout (PostgreSQL) ------------------------------------------------------


@pytest.fixture
def locked_cases():
    """Someone else holds the cases' table: every read of it waits, and the site's
    statement timeout (which the tests otherwise run without) cancels it."""
    other = connections.create_connection("default")
    other.set_autocommit(False)
    with other.cursor() as cursor:
        cursor.execute("SET lock_timeout = '10s'")
        cursor.execute("LOCK TABLE registry_case IN ACCESS EXCLUSIVE MODE")
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 300")  # until the test's transaction ends
    yield
    other.rollback()
    other.close()


@only_on_postgresql
def test_a_page_whose_statement_is_cancelled_answers_503_to_try_again(client, locked_cases):
    response = client.get("/")

    assert response.status_code == 503
    assert response["Retry-After"]
    assert "Réessayez dans quelques instants" in response.content.decode()


@only_on_postgresql
def test_an_api_call_whose_statement_is_cancelled_answers_503_in_json(client, locked_cases):
    response = client.get("/api/v1/cases/")

    assert response.status_code == 503
    assert response["Retry-After"]
    assert "réessayez" in response.json()["detail"]


def database_options(*command, **env):
    """The OPTIONS of the PostgreSQL connection a process started as `command` gets."""
    code = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    process_env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_STATEMENT_TIMEOUT_MS"},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "TESTING": "false",
        # Only named: nothing connects to it.
        "DATABASE_URL": "postgres://alliances@127.0.0.1:5432/alliances",
        **env,
    }
    if command[0] == "manage.py":
        argv = [sys.executable, *command, "-c", code]
    else:
        argv = [sys.executable, "-c", f"import django; django.setup(); {code}"]
    result = subprocess.run(
        argv, cwd=BASE_DIR, env=process_env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_serving_processes_get_the_statement_timeout_and_commands_do_not():
    assert "statement_timeout=5000" in database_options("python")
    assert "statement_timeout" not in database_options("manage.py", "shell")
    assert "statement_timeout=800" in database_options(
        "python", DATABASE_STATEMENT_TIMEOUT_MS="800"
    )
    assert "statement_timeout" not in database_options("python", DATABASE_STATEMENT_TIMEOUT_MS="0")
