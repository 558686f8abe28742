"""The read API: published cases with the search page's filters, territories,
organisations, vocabularies; errors as clear 4xx; every persona."""

import json

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext, override_settings

from accounts.models import ApiToken
from registry.models import CaseStatus
from registry.search.filters import CaseFilter
from tests.factories import CaseFactory, OrganizationFactory, UserFactory, term, territory

pytestmark = pytest.mark.django_db


def auth(user):
    _token, key = ApiToken.issue(user=user, name="script")
    return {"Authorization": f"Token {key}"}


BAD_TOKEN = {"Authorization": "Token not-a-real-token"}


def api_ids(client, query="", **kwargs):
    response = client.get(f"/api/v1/cases/?page_size=100&{query}", **kwargs)
    assert response.status_code == 200, response.content
    return [case["id"] for case in response.json()["results"]]


@pytest.fixture
def lille_case():
    return CaseFactory(
        title="Cité éducative de Lille",
        places=[territory("commune", "59350")],
        tags=[term("theme", "education_jeunesse"), term("practice", "copilotage")],
        start_year=2018,
    )


@pytest.fixture
def lyon_case():
    return CaseFactory(
        title="Garage solidaire à Lyon",
        summary="Un garage solidaire pour les personnes en insertion professionnelle.",
        places=[territory("commune", "69123")],
        tags=[term("theme", "mobilite"), term("practice", "incubation")],
        start_year=2021,
        end_year=2023,
    )


@pytest.fixture
def draft(contributor):
    return CaseFactory(
        title="Brouillon de Claire",
        owner=contributor,
        status=CaseStatus.DRAFT,
        contact_email="claire@example.org",
        tags=[term("theme", "lien_social")],
    )


# ---- Case list -------------------------------------------------------------------------


def test_the_case_list_shows_published_cases_only_to_every_persona(
    client, lille_case, lyon_case, draft, contributor, other_contributor, moderator
):
    expected = {lille_case.pk, lyon_case.pk}
    assert set(api_ids(client)) == expected
    assert set(api_ids(client, headers=auth(contributor))) == expected
    assert set(api_ids(client, headers=auth(other_contributor))) == expected
    assert set(api_ids(client, headers=auth(moderator))) == expected


def read_endpoints(case, draft):
    """Every read endpoint, each with a text that only a draft would put in it."""
    partner = case.roster.first().organization
    return [
        "/api/v1/cases/",
        f"/api/v1/cases/{case.pk}/",
        f"/api/v1/cases/by-slug/{case.slug}/",
        "/api/v1/organizations/",
        f"/api/v1/organizations/{partner.slug}/",
        "/api/v1/territories/?kind=region",
        "/api/v1/territories/commune/59350/",
        "/api/v1/vocabularies/",
        "/api/v1/vocabularies/theme/",
        "/api/v1/themes/",
        "/api/v1/exports/cases.csv",
        "/api/v1/exports/cases.json",
        "/api/v1/exports/cases.geojson",
        "/api/v1/schema/",
    ]


@pytest.mark.parametrize("persona", [None, "contributor", "other_contributor", "moderator"])
def test_every_read_endpoint_answers_every_persona_with_published_content_only(
    request, client, lille_case, draft, persona
):
    headers = auth(request.getfixturevalue(persona)) if persona else {}
    for url in read_endpoints(lille_case, draft):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (persona, url, response.content[:200])
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert draft.title.encode() not in body, (persona, url)
    # The draft itself: its owner and staff only.
    expected = 200 if persona in ("contributor", "moderator") else 404
    assert client.get(f"/api/v1/cases/{draft.pk}/", headers=headers).status_code == expected


def test_a_bad_token_is_refused_on_every_endpoint(client, lille_case, draft):
    for url in [*read_endpoints(lille_case, draft), "/api/v1/me/", "/api/v1/me/cases/"]:
        response = client.get(url, headers=BAD_TOKEN)
        assert response.status_code == 401, url
        assert response.headers["WWW-Authenticate"].startswith("Token")


def test_a_revoked_token_is_refused(client, contributor):
    token, key = ApiToken.issue(user=contributor, name="old")
    assert client.get("/api/v1/me/", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    token.revoke()
    assert client.get("/api/v1/me/", headers={"Authorization": f"Bearer {key}"}).status_code == 401


PARITY_QUERIES = [
    "",
    "theme=education_jeunesse",
    "theme=mobilite&theme=education_jeunesse",
    "region=32",
    "departement=69&practice=incubation",
    "commune=59350",
    "epci=200093201",
    "q=garage",
    "q=solidaire&ongoing=no",
    "year_min=2019&year_max=2022",
    "sort=title",
    "sort=oldest&practice=dialogue",
    "families=all",
    "actor=collectivite",
    "pioneer=true",
]


@pytest.mark.parametrize("query", PARITY_QUERIES)
def test_the_api_and_the_search_page_select_the_same_cases(client, lille_case, lyon_case, query):
    CaseFactory(title="Une autre expérience", places=[territory("departement", "69")])
    expected = list(CaseFilter(QueryDict(query)).qs.values_list("pk", flat=True))
    assert api_ids(client, query) == expected
    page = client.get(f"/experiences/?{query}")
    api = client.get(f"/api/v1/cases/?{query}").json()
    assert page.context["figures"]["total"] == api["count"] == len(expected)


@pytest.mark.parametrize(
    "query, field",
    [
        ("theme=nope", "theme"),
        ("region=9Z", "region"),
        ("departement=ZZ", "departement"),
        ("commune=59350&commune=5935", "commune"),
        ("year_min=abc", "year_min"),
        ("year_min=1800", "year_min"),
        ("pioneer=-1", "pioneer"),
        ("page_size=101", "page_size"),
        ("sort=random", "sort"),
        ("ongoing=maybe", "ongoing"),
        ("families=two", "families"),
        ("fields=title,secret", "fields"),
        ("lang=de", "lang"),
    ],
)
def test_invalid_filter_values_are_a_400_naming_the_parameter(client, lille_case, query, field):
    response = client.get(f"/api/v1/cases/?{query}")
    assert response.status_code == 400
    assert field in response.json()
    assert all(isinstance(message, str) for message in response.json()[field])


def test_lists_are_paginated_with_a_count_and_links(client):
    for _ in range(3):
        CaseFactory()
    first = client.get("/api/v1/cases/?page_size=2").json()
    assert first["count"] == 3 and len(first["results"]) == 2
    assert first["previous"] is None and "page=2" in first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_a_page_past_the_end_is_a_clear_404(client, lille_case):
    response = client.get("/api/v1/cases/?page=5")
    assert response.status_code == 404
    assert "5" in response.json()["detail"]
    assert client.get("/api/v1/cases/?page=abc").status_code == 404


@pytest.mark.parametrize(
    "url", ["/api/v1/cases/", "/api/v1/territories/", "/api/v1/organizations/"]
)
@pytest.mark.parametrize("size", ["0", "101", "1000", "ten", "-1"])
def test_a_page_size_outside_one_to_a_hundred_is_a_400_naming_it_on_every_list(
    client, lille_case, url, size
):
    response = client.get(f"{url}?page_size={size}")
    assert response.status_code == 400
    assert response.json() == {"page_size": ["Nombre de résultats par page\u00a0: de 1 à 100."]}


def test_a_page_size_outside_one_to_a_hundred_is_a_400_on_your_own_cases_too(client, contributor):
    client.force_login(contributor)
    assert client.get("/api/v1/me/cases/?page_size=101").status_code == 400


@pytest.mark.parametrize(
    "query",
    ["region=00", "departement=00", "epci=000000000", "commune=00000", "region=00&commune=00000"],
)
def test_a_well_formed_code_of_no_territory_selects_no_case(client, lille_case, query):
    for url in ["/api/v1/cases/", "/api/v1/exports/cases.json"]:
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200, url
    assert client.get(f"/api/v1/cases/?{query}").json()["count"] == 0
    export = client.get(f"/api/v1/exports/cases.json?{query}")
    assert json.loads(b"".join(export.streaming_content))["cases"] == []
    assert client.get("/api/v1/organizations/?departement=00").json()["count"] == 0


def test_a_known_territory_beside_an_unknown_one_still_selects_its_cases(client, lille_case):
    response = client.get("/api/v1/cases/?commune=59350&commune=00000")
    assert [case["id"] for case in response.json()["results"]] == [lille_case.pk]


def test_a_period_ending_before_it_starts_selects_no_case(client, lille_case):
    response = client.get("/api/v1/cases/?year_min=2020&year_max=2010")
    assert response.status_code == 200 and response.json()["count"] == 0


def test_empty_parameters_are_no_parameters(client, lille_case):
    response = client.get("/api/v1/cases/?partnership=&partnership=&fields=&lang=&page_size=")
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert "summary" in response.json()["results"][0]
    detail = client.get(f"/api/v1/cases/{lille_case.pk}/?fields=")
    assert detail.status_code == 200 and "description" in detail.json()


def test_a_code_of_the_shape_of_no_territory_of_that_kind_is_a_404_of_another_shape_a_400(client):
    assert client.get("/api/v1/territories/commune/00/").status_code == 404
    assert client.get("/api/v1/territories/region/00/").status_code == 404
    response = client.get("/api/v1/territories/commune/abc/")
    assert response.status_code == 400 and "code" in response.json()


def test_fields_keeps_the_list_light(client, lille_case):
    response = client.get("/api/v1/cases/?fields=id,title")
    assert response.json()["results"] == [{"id": lille_case.pk, "title": lille_case.title}]


def test_responses_carry_codes_and_labels_in_the_language_asked(client, lille_case):
    french = client.get("/api/v1/cases/").json()["results"][0]
    assert french["tags"]["theme"] == [
        {"code": "education_jeunesse", "label": term("theme", "education_jeunesse").label_fr}
    ]
    assert french["territories"][0]["code"] == "59350"
    english = client.get("/api/v1/cases/?lang=en").json()["results"][0]
    assert english["tags"]["theme"][0]["label"] == term("theme", "education_jeunesse").label_en
    header = client.get("/api/v1/cases/", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert (
        header.json()["results"][0]["tags"]["theme"][0]["label"]
        == english["tags"]["theme"][0]["label"]
    )
    assert header.headers["Content-Language"] == "en"


def test_messages_follow_the_language_too(client):
    assert "Unknown code" in str(client.get("/api/v1/cases/?theme=x&lang=en").json()["theme"])
    assert "Code inconnu" in str(client.get("/api/v1/cases/?theme=x").json()["theme"])


def test_the_case_list_runs_a_fixed_number_of_queries(client):
    for _ in range(3):
        CaseFactory(tags=[term("theme", "mobilite")])
    # The counting bitmaps (the selection's size) are built once per registry version.
    client.get("/api/v1/cases/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/cases/?theme=mobilite&region=32").status_code == 200
        assert client.get("/api/v1/cases/").status_code == 200
    for _ in range(7):
        CaseFactory(tags=[term("theme", "mobilite")], places=[territory("region", "32")])
    client.get("/api/v1/cases/")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/cases/?theme=mobilite&region=32").status_code == 200
        assert client.get("/api/v1/cases/").status_code == 200
    assert len(few) == len(many) <= 14


# ---- Case detail ---------------------------------------------------------------------


def test_a_published_case_is_found_by_id_and_by_slug(client, lille_case):
    by_id = client.get(f"/api/v1/cases/{lille_case.pk}/").json()
    by_slug = client.get(f"/api/v1/cases/by-slug/{lille_case.slug}/").json()
    assert by_id == by_slug
    assert by_id["title"] == lille_case.title
    assert [p["organization"]["name"] for p in by_id["partners"]] == [
        entry.organization.name for entry in lille_case.roster.all()
    ]
    assert "contact_email" not in by_id


def test_an_unpublished_case_is_a_404_but_for_its_owner_and_staff(
    client, draft, contributor, other_contributor, moderator
):
    url = f"/api/v1/cases/{draft.pk}/"
    assert client.get(url).status_code == 404
    assert client.get(url, headers=auth(other_contributor)).status_code == 404
    assert client.get(url, headers=auth(contributor)).status_code == 200
    assert client.get(url, headers=auth(moderator)).status_code == 200
    assert client.get(url, headers=BAD_TOKEN).status_code == 401
    assert client.get(f"/api/v1/cases/by-slug/{draft.slug}/").status_code == 404


@pytest.mark.parametrize("pk", ["0", "999999", "abc", "-1", "1.5"])
def test_unknown_case_ids_are_a_404(client, pk):
    response = client.get(f"/api/v1/cases/{pk}/")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"


def test_staff_publish_a_submitted_case_and_nobody_else_can(client, draft, contributor, moderator):
    draft.submit(by=contributor)
    url = f"/api/v1/cases/{draft.pk}/publish/"
    assert client.post(url).status_code == 401
    assert client.post(url, headers=auth(contributor)).status_code == 403
    response = client.post(url, headers=auth(moderator))
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == CaseStatus.PUBLISHED
    again = client.post(url, headers=auth(moderator))
    assert again.status_code == 400 and again.json()["detail"]


# ---- Territories ---------------------------------------------------------------------


def test_a_territory_is_found_by_insee_code_with_parents_and_children(client, lille_case):
    lille = client.get("/api/v1/territories/commune/59350/").json()
    assert lille["name"] == "Lille" and lille["siren"]
    assert {(p["kind"], p["code"]) for p in lille["parents"]} == {
        ("epci", "200093201"),
        ("departement", "59"),
    }
    assert lille["published_cases"] == 1
    nord = client.get("/api/v1/territories/departement/59/").json()
    assert ("epci", "200093201") in {(c["kind"], c["code"]) for c in nord["children"]}
    assert nord["parents"][0]["code"] == "32"


def test_a_commune_is_found_by_its_siren_and_an_epci_by_its_own(client):
    siren = territory("commune", "59350").siren
    assert client.get(f"/api/v1/territories/commune/{siren}/").json()["code"] == "59350"
    epci = client.get("/api/v1/territories/epci/200093201/").json()
    assert epci["epci_category"]["code"] == "METRO"
    assert any(child["code"] == "59350" for child in epci["children"])


def test_malformed_and_unknown_territory_codes_are_clear_4xx(client):
    assert client.get("/api/v1/territories/commune/5935/").status_code == 400
    assert client.get("/api/v1/territories/region/ABC/").status_code == 400
    assert client.get("/api/v1/territories/commune/00000/").status_code == 404
    assert client.get("/api/v1/territories/canton/59/").status_code == 404


def test_territories_are_searched_by_name_and_filtered_by_kind(client):
    results = client.get("/api/v1/territories/?q=lille&kind=commune").json()["results"]
    assert results[0]["code"] == "59350"
    assert client.get("/api/v1/territories/?kind=canton").status_code == 400
    assert client.get("/api/v1/territories/?siren=12").status_code == 400


# ---- Organisations --------------------------------------------------------------------


def test_organisations_of_drafts_stay_unknown_to_visitors(client, draft, lille_case, contributor):
    hidden = draft.roster.first().organization
    shown = lille_case.roster.first().organization
    slugs = [
        o["slug"] for o in client.get("/api/v1/organizations/?page_size=100").json()["results"]
    ]
    assert shown.slug in slugs and hidden.slug not in slugs
    assert client.get(f"/api/v1/organizations/{hidden.slug}/").status_code == 404
    assert (
        client.get(f"/api/v1/organizations/{hidden.slug}/", headers=auth(contributor)).status_code
        == 200
    )
    detail = client.get(f"/api/v1/organizations/{shown.slug}/").json()
    assert detail["published_cases"] == 1 and detail["cases"][0]["id"] == lille_case.pk


def test_organisations_are_filtered_like_the_directory(client, lille_case):
    company = OrganizationFactory(
        name="Entreprise Durable", actor_type=term("actor_type", "entreprise")
    )
    CaseFactory(partners=[company, OrganizationFactory()])
    names = [
        o["name"] for o in client.get("/api/v1/organizations/?actor=entreprise").json()["results"]
    ]
    assert names == ["Entreprise Durable"]
    assert client.get("/api/v1/organizations/?actor=martian").status_code == 400


# ---- Vocabularies and themes -------------------------------------------------------------


def test_vocabularies_list_every_term_with_codes_and_labels(client):
    vocabularies = {v["code"]: v for v in client.get("/api/v1/vocabularies/").json()}
    assert vocabularies["theme"]["filter_parameter"] == "theme"
    assert vocabularies["partnership_type"]["filter_parameter"] == "partnership"
    practices = client.get("/api/v1/vocabularies/practice/?lang=en").json()["terms"]
    mission = next(t for t in practices if t["code"] == "copilotage")
    assert mission["parent"] and mission["label"] == term("practice", "copilotage").label_en
    assert client.get("/api/v1/vocabularies/nope/").status_code == 404


def test_themes_count_published_cases(client, lille_case, draft):
    themes = {t["code"]: t for t in client.get("/api/v1/themes/").json()}
    assert themes["education_jeunesse"]["published_cases"] == 1
    assert themes["education_jeunesse"]["cases_url"].endswith("?theme=education_jeunesse")


# ---- Throttling ------------------------------------------------------------------------


def limited(**rates):
    from django.conf import settings

    return override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                **rates,
            },
        }
    )


def test_anonymous_clients_are_throttled_per_address(client):
    with limited(anon="2/min"):
        assert client.get("/api/v1/themes/").status_code == 200
        assert client.get("/api/v1/themes/").status_code == 200
        response = client.get("/api/v1/themes/")
        assert response.status_code == 429 and "Retry-After" in response.headers
        other = client.get("/api/v1/themes/", REMOTE_ADDR="10.0.0.2")
        assert other.status_code == 200
        spoofed = client.get("/api/v1/themes/", HTTP_X_FORWARDED_FOR="10.9.9.9")
        assert spoofed.status_code == 429


def test_a_token_is_throttled_per_account_not_per_address(client, contributor, other_contributor):
    first, second = auth(contributor), auth(contributor)
    with limited(account="2/min", anon="1/min"):
        assert client.get("/api/v1/themes/", headers=first).status_code == 200
        assert client.get("/api/v1/themes/", headers=second).status_code == 200
        assert client.get("/api/v1/themes/", headers=first).status_code == 429
        assert client.get("/api/v1/themes/", headers=auth(other_contributor)).status_code == 200


def test_the_me_endpoint_names_the_token(client, contributor):
    response = client.get("/api/v1/me/", headers=auth(contributor))
    assert response.json()["email"] == contributor.email
    assert response.json()["token"]["name"] == "script"
    assert client.get("/api/v1/me/").status_code == 401


def test_session_authentication_serves_the_sites_own_scripts(client, contributor):
    client.force_login(contributor)
    response = client.get("/api/v1/me/")
    assert response.status_code == 200 and response.json()["token"] is None


def test_an_inactive_account_token_is_refused(client):
    user = UserFactory(email="parti@example.org", is_active=False)
    assert client.get("/api/v1/me/", headers=auth(user)).status_code == 401


@pytest.mark.parametrize("bitmaps", [True, False])
def test_a_large_selection_is_paged_in_date_order_and_counted_right(
    client, monkeypatch, settings, bitmaps
):
    # "Large": more cases than the list reads ahead (5 000, lowered here to 2).
    monkeypatch.setattr("registry.api.views.SMALL_SELECTION", 2)
    settings.COUNT_WITH_BITMAPS = bitmaps
    listed = [CaseFactory(tags=[term("theme", "mobilite")]) for _ in range(5)]
    CaseFactory(tags=[term("theme", "culture_sport")])
    newest_first = sorted(listed, key=lambda case: (case.published_at, case.pk), reverse=True)
    client.get("/api/v1/cases/")

    with CaptureQueriesContext(connection) as captured:
        page = client.get("/api/v1/cases/?theme=mobilite&page_size=2&page=2").json()

    assert page["count"] == 5
    assert [r["slug"] for r in page["results"]] == [c.slug for c in newest_first[2:4]]
    counted_in_sql = any("COUNT(" in query["sql"] for query in captured)
    assert counted_in_sql is not bitmaps
    last = client.get("/api/v1/cases/?theme=mobilite&page_size=2&page=3").json()
    assert [r["slug"] for r in last["results"]] == [newest_first[4].slug]
    assert client.get("/api/v1/cases/?theme=mobilite&page_size=2&page=4").status_code == 404
