"""The write API and the personal tokens behind it: a contributor writes and
submits their drafts with the site's own rules; nobody else sees or touches
them; only staff publish."""

import json

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from accounts.models import ApiToken
from registry.models import Action, Case, CaseStatus, Organization
from tests.factories import CaseFactory, OrganizationFactory, UserFactory, term, territory

pytestmark = pytest.mark.django_db


def auth(user):
    _token, key = ApiToken.issue(user=user, name="script")
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def partners(contributor):
    """Two organisations the contributor created: theirs to name by id or slug."""
    return [
        OrganizationFactory(
            name="Ville de Roubaix",
            actor_type=term("actor_type", "collectivite"),
            siren="215905126",
            created_by=contributor,
        ),
        OrganizationFactory(
            name="Association Roubaix Solidaire", rna="W595001234", created_by=contributor
        ),
    ]


def complete_draft(partners):
    return {
        "title": "Tiers-lieu numérique de Roubaix",
        "summary": "La ville et une association ouvrent un lieu d'inclusion numérique.",
        "description": "<p>Un lieu <strong>ouvert</strong> à tous.</p><script>alert(1)</script>",
        "start_year": 2022,
        "phase": "experimentation",
        "territories": [{"kind": "commune", "code": "59512"}],
        "roster": [
            {"organization": partners[0].pk, "role": "porteur", "contribution": "Les locaux"},
            {"organization": partners[1].slug, "role": "partenaire"},
        ],
        "tags": {"theme": ["numerique_inclusif"], "practice": ["copilotage"]},
        "sources": [{"title": "Article de presse", "url": "https://example.org/article"}],
    }


def post(client, url, data=None, **kwargs):
    return client.post(url, data or {}, content_type="application/json", **kwargs)


def patch(client, url, data, **kwargs):
    return client.patch(url, data, content_type="application/json", **kwargs)


# ---- Personal tokens, from the account --------------------------------------------------


def test_the_token_page_needs_an_account(client):
    response = client.get("/compte/jetons/")
    assert response.status_code == 302


def test_a_new_token_is_shown_once_and_stored_hashed(contributor_client, contributor):
    response = contributor_client.post("/compte/jetons/", {"name": "Mon tableur"})
    assert response.status_code == 200
    key = response.context["new_key"]
    assert key and key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=contributor)
    assert token.name == "Mon tableur" and token.prefix == key[:8]
    assert token.key_hash != key and key not in token.key_hash
    again = contributor_client.get("/compte/jetons/").content.decode()
    assert key not in again and token.prefix in again
    api = Client().get("/api/v1/me/", headers={"Authorization": f"Token {key}"})
    assert api.json()["email"] == contributor.email


def test_a_contributor_sees_and_revokes_only_their_own_tokens(
    client, contributor, other_contributor
):
    mine, key = ApiToken.issue(user=contributor, name="à moi")
    theirs, _key = ApiToken.issue(user=other_contributor, name="à Olivier")
    client.force_login(contributor)
    page = client.get("/compte/jetons/").content.decode()
    assert "à moi" in page and "à Olivier" not in page
    assert client.post(f"/compte/jetons/{theirs.pk}/revoquer/").status_code == 404
    assert client.get(f"/compte/jetons/{mine.pk}/revoquer/").status_code == 405
    assert client.post(f"/compte/jetons/{mine.pk}/revoquer/").status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None
    assert Client().get("/api/v1/me/", headers={"Authorization": f"Token {key}"}).status_code == 401


def test_token_forms_are_csrf_protected(contributor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(contributor)
    assert client.post("/compte/jetons/", {"name": "x"}).status_code == 403


def test_active_tokens_are_capped(contributor_client, contributor):
    for number in range(ApiToken.MAX_ACTIVE):
        ApiToken.issue(user=contributor, name=f"jeton {number}")
    response = contributor_client.post("/compte/jetons/", {"name": "un de trop"})
    assert response.status_code == 400
    assert contributor.api_tokens.count() == ApiToken.MAX_ACTIVE


def test_a_token_records_when_it_was_last_used(client, contributor):
    token, key = ApiToken.issue(user=contributor, name="x")
    client.get("/api/v1/me/", headers={"Authorization": f"Token {key}"})
    token.refresh_from_db()
    assert token.last_used_at is not None


# ---- The write flow, end to end --------------------------------------------------------


def test_token_draft_submit_and_visible_only_after_staff_publish(
    client, contributor, moderator, partners, django_capture_on_commit_callbacks
):
    headers = auth(contributor)
    created = post(client, "/api/v1/me/cases/", complete_draft(partners), headers=headers)
    assert created.status_code == 201, created.content
    case = created.json()
    assert case["status"]["code"] == "draft"
    assert created["Location"].endswith(f"/api/v1/me/cases/{case['id']}/")
    assert case["missing_for_submission"] == []
    assert (
        "<script>" not in case["description"] and "<strong>ouvert</strong>" in case["description"]
    )
    assert [p["role"]["code"] for p in case["partners"]] == ["porteur", "partenaire"]
    assert Case.objects.get(pk=case["id"]).audit_entries.filter(action=Action.CREATE).exists()

    public = f"/api/v1/cases/{case['id']}/"
    assert client.get(public).status_code == 404

    submitted = post(client, f"/api/v1/me/cases/{case['id']}/submit/", headers=headers)
    assert submitted.status_code == 200
    assert submitted.json()["status"]["code"] == "submitted"
    assert client.get(public).status_code == 404
    assert client.get("/api/v1/cases/?q=roubaix").json()["count"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        published = post(
            client, f"/api/v1/cases/{case['id']}/publish/", headers=auth(moderator)
        )
    assert published.status_code == 200
    # The owner hears of it as from the moderation page.
    assert [message.to for message in mail.outbox] == [[contributor.email]]
    assert client.get(public).status_code == 200
    assert client.get("/api/v1/cases/?q=roubaix").json()["count"] == 1
    assert client.get("/api/v1/cases/?commune=59512").json()["count"] == 1


def test_a_draft_needs_only_a_title_and_a_summary_but_submission_says_what_is_missing(
    client, contributor
):
    headers = auth(contributor)
    response = post(
        client, "/api/v1/me/cases/", {"title": "Idée", "summary": "À compléter."}, headers=headers
    )
    assert response.status_code == 201
    pk = response.json()["id"]
    assert len(response.json()["missing_for_submission"]) == 3
    refused = post(client, f"/api/v1/me/cases/{pk}/submit/", headers=headers)
    assert refused.status_code == 409
    assert "au moins un territoire" in refused.json()["missing"]
    assert Case.objects.get(pk=pk).status == CaseStatus.DRAFT


def test_an_edit_changes_only_what_is_sent(client, contributor, partners):
    headers = auth(contributor)
    pk = post(client, "/api/v1/me/cases/", complete_draft(partners), headers=headers).json()["id"]
    response = patch(
        client,
        f"/api/v1/me/cases/{pk}/",
        {"summary": "Un nouveau résumé.", "tags": {"theme": ["lien_social", "mobilite"]}},
        headers=headers,
    )
    assert response.status_code == 200, response.content
    case = response.json()
    assert case["summary"] == "Un nouveau résumé."
    assert case["title"] == "Tiers-lieu numérique de Roubaix"
    assert {t["code"] for t in case["tags"]["theme"]} == {"lien_social", "mobilite"}
    assert [t["code"] for t in case["tags"]["practice"]] == ["copilotage"]
    assert len(case["partners"]) == 2
    assert client.get("/api/v1/me/cases/", headers=headers).json()["results"][0]["summary"] == (
        "Un nouveau résumé."
    )


def test_an_edit_made_from_a_stale_version_is_a_409(client, contributor, partners):
    headers = auth(contributor)
    case = post(client, "/api/v1/me/cases/", complete_draft(partners), headers=headers).json()
    url = f"/api/v1/me/cases/{case['id']}/"
    first = patch(client, url, {"title": "Un", "version": case["version"]}, headers=headers)
    assert first.status_code == 200
    stale = patch(client, url, {"title": "Deux", "version": case["version"]}, headers=headers)
    assert stale.status_code == 409
    assert Case.objects.get(pk=case["id"]).title == "Un"


def test_published_and_submitted_cases_are_not_edited_through_the_api(client, contributor):
    headers = auth(contributor)
    published = CaseFactory(owner=contributor)
    response = patch(client, f"/api/v1/me/cases/{published.pk}/", {"title": "X"}, headers=headers)
    assert response.status_code == 409 and "révision" in response.json()["detail"]
    submitted = CaseFactory(owner=contributor, status=CaseStatus.SUBMITTED)
    response = patch(client, f"/api/v1/me/cases/{submitted.pk}/", {"title": "X"}, headers=headers)
    assert response.status_code == 409 and "retirez" in response.json()["detail"]


def test_a_submission_is_withdrawn_back_to_a_draft(client, contributor):
    headers = auth(contributor)
    case = CaseFactory(
        owner=contributor, status=CaseStatus.SUBMITTED, tags=[term("theme", "mobilite")]
    )
    response = post(client, f"/api/v1/me/cases/{case.pk}/withdraw/", headers=headers)
    assert response.status_code == 200 and response.json()["status"]["code"] == "draft"
    again = post(client, f"/api/v1/me/cases/{case.pk}/withdraw/", headers=headers)
    assert again.status_code == 409 and again.json()["detail"]


def test_a_trusted_contributors_submission_is_published_at_once(client, partners):
    trusted = UserFactory(email="confiance@example.org", is_trusted=True)
    Organization.objects.filter(pk__in=[p.pk for p in partners]).update(created_by=trusted)
    headers = auth(trusted)
    pk = post(client, "/api/v1/me/cases/", complete_draft(partners), headers=headers).json()["id"]
    response = post(client, f"/api/v1/me/cases/{pk}/submit/", headers=headers)
    assert response.json()["status"]["code"] == "published"


# ---- Validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"summary": "x" * 601}, "summary"),
        ({"start_year": 1900}, "start_year"),
        ({"start_year": 2020, "end_year": 2019}, "end_year"),
        ({"phase": "inconnue"}, "phase"),
        ({"contact_email": "pas-une-adresse"}, "contact_email"),
        ({"territories": [{"kind": "commune", "code": "00000"}]}, "territories"),
        ({"territories": [{"kind": "canton", "code": "59"}]}, "territories"),
        ({"territories": [{"kind": "region", "code": "32"}] * 11}, "territories"),
        ({"roster": [{"organization": 999999, "role": "porteur"}]}, "roster"),
        ({"roster": [{"organization": "552120223", "role": "porteur"}]}, "roster"),
        ({"roster": [{"organization": "W12", "role": "porteur"}]}, "roster"),
        ({"roster": [{"organization": True, "role": "porteur"}]}, "roster"),
        ({"tags": {"theme": ["nope"]}}, "tags"),
        ({"tags": {"practice": ["dialogue"]}}, "tags"),
        ({"sources": [{"title": "x", "url": "javascript:alert(1)"}]}, "sources"),
    ],
)
def test_bad_input_is_a_400_with_field_level_details(client, contributor, partners, change, field):
    data = {**complete_draft(partners), **change}
    response = post(client, "/api/v1/me/cases/", data, headers=auth(contributor))
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Case.objects.filter(owner=contributor).exists()


def test_a_misspelt_field_is_refused_not_ignored(client, contributor, partners):
    data = complete_draft(partners)
    data["partners"] = data.pop("roster")
    response = post(client, "/api/v1/me/cases/", data, headers=auth(contributor))
    assert response.status_code == 400
    assert "Champs inconnus\u00a0: partners." in response.json()["non_field_errors"][0]
    data = complete_draft(partners)
    data["roster"][0]["organisation"] = data["roster"][0].pop("organization")
    response = post(client, "/api/v1/me/cases/?lang=en", data, headers=auth(contributor))
    assert response.status_code == 400
    assert "Unknown fields: organisation." in str(response.json()["roster"])
    assert not Case.objects.filter(owner=contributor).exists()


def test_a_partner_twice_in_the_same_role_is_refused(client, contributor, partners):
    data = complete_draft(partners)
    data["roster"].append({"organization": partners[0].siren, "role": "porteur"})
    response = post(client, "/api/v1/me/cases/", data, headers=auth(contributor))
    assert response.status_code == 400 and "roster" in response.json()


def test_partners_are_named_by_id_slug_siren_or_rna(client, contributor, partners):
    data = complete_draft(partners)
    data["roster"] = [
        {"organization": "215 905 126", "role": "porteur"},
        {"organization": "W595001234", "role": "financeur"},
    ]
    response = post(client, "/api/v1/me/cases/", data, headers=auth(contributor))
    assert response.status_code == 201, response.content
    assert [p["organization"]["id"] for p in response.json()["partners"]] == [
        partners[0].pk,
        partners[1].pk,
    ]


def test_a_body_that_is_not_json_is_refused(client, contributor):
    response = client.post(
        "/api/v1/me/cases/", "title=x", content_type="text/plain", headers=auth(contributor)
    )
    assert response.status_code == 415
    response = client.post(
        "/api/v1/me/cases/", "{not json", content_type="application/json", headers=auth(contributor)
    )
    assert response.status_code == 400


# ---- Personas ---------------------------------------------------------------------------


def test_every_write_endpoint_asks_for_an_account(client, contributor):
    case = CaseFactory(owner=contributor, status=CaseStatus.DRAFT)
    for method, url in [
        ("get", "/api/v1/me/cases/"),
        ("post", "/api/v1/me/cases/"),
        ("get", f"/api/v1/me/cases/{case.pk}/"),
        ("patch", f"/api/v1/me/cases/{case.pk}/"),
        ("post", f"/api/v1/me/cases/{case.pk}/submit/"),
        ("post", f"/api/v1/me/cases/{case.pk}/withdraw/"),
        ("post", "/api/v1/me/organizations/"),
    ]:
        call = getattr(client, method)
        assert call(url, {}, content_type="application/json").status_code == 401
        bad = call(url, {}, content_type="application/json", headers={"Authorization": "Token x"})
        assert bad.status_code == 401


def test_another_contributors_draft_is_a_404_for_every_write_endpoint(
    client, contributor, other_contributor
):
    case = CaseFactory(owner=contributor, status=CaseStatus.DRAFT)
    headers = auth(other_contributor)
    url = f"/api/v1/me/cases/{case.pk}/"
    assert client.get(url, headers=headers).status_code == 404
    assert patch(client, url, {"title": "X"}, headers=headers).status_code == 404
    assert post(client, f"{url}submit/", headers=headers).status_code == 404
    assert post(client, f"{url}withdraw/", headers=headers).status_code == 404
    assert client.get("/api/v1/me/cases/", headers=headers).json()["count"] == 0
    case.refresh_from_db()
    assert case.title != "X" and case.status == CaseStatus.DRAFT


def test_another_contributors_published_case_is_a_403_to_change(
    client, contributor, other_contributor
):
    """They may see it (it is public), not change it: the site's editor says the same."""
    case = CaseFactory(owner=contributor, status=CaseStatus.PUBLISHED, title="Titre publié")
    headers = auth(other_contributor)
    url = f"/api/v1/me/cases/{case.pk}/"
    assert client.get(url, headers=headers).status_code == 403
    answer = patch(client, url, {"title": "X"}, headers=headers)
    assert answer.status_code == 403
    assert "Seuls son auteur" in answer.json()["detail"]
    assert post(client, f"{url}submit/", headers=headers).status_code == 403
    client.force_login(other_contributor)
    assert client.get(f"/contribuer/{case.pk}/").status_code == 403
    case.refresh_from_db()
    assert case.title == "Titre publié"


def test_staff_edit_a_contributors_draft_through_the_api_as_in_the_editor(
    client, contributor, moderator
):
    case = CaseFactory(owner=contributor, status=CaseStatus.DRAFT, title="Avant")
    headers = auth(moderator)
    url = f"/api/v1/me/cases/{case.pk}/"
    assert client.get(url, headers=headers).json()["title"] == "Avant"
    assert patch(client, url, {"title": "Relu par l'équipe"}, headers=headers).status_code == 200
    client.force_login(moderator)
    assert client.get(f"/contribuer/{case.pk}/").status_code == 200
    # « Your cases » stays the staff member's own list.
    assert client.get("/api/v1/me/cases/", headers=headers).json()["count"] == 0
    case.refresh_from_db()
    assert case.title == "Relu par l'équipe" and case.owner == contributor


def test_a_contributor_reads_their_own_cases_in_any_state(client, contributor, other_contributor):
    for status in (
        CaseStatus.DRAFT,
        CaseStatus.SUBMITTED,
        CaseStatus.REJECTED,
        CaseStatus.PUBLISHED,
    ):
        CaseFactory(owner=contributor, status=status)
    CaseFactory(owner=other_contributor)
    headers = auth(contributor)
    listed = client.get("/api/v1/me/cases/", headers=headers).json()
    assert listed["count"] == 4
    rejected = client.get("/api/v1/me/cases/?status=rejected", headers=headers).json()
    assert [c["status"]["code"] for c in rejected["results"]] == ["rejected"]
    assert client.get("/api/v1/me/cases/?status=lost", headers=headers).status_code == 400


def test_no_contributor_can_publish(client, contributor):
    case = CaseFactory(owner=contributor, status=CaseStatus.SUBMITTED)
    response = post(client, f"/api/v1/cases/{case.pk}/publish/", headers=auth(contributor))
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def test_session_writes_need_the_csrf_token(contributor, partners):
    client = Client(enforce_csrf_checks=True)
    client.force_login(contributor)
    response = post(client, "/api/v1/me/cases/", complete_draft(partners))
    assert response.status_code == 403
    assert not Case.objects.filter(owner=contributor).exists()


def test_writes_are_throttled_per_account(client, contributor):
    from django.conf import settings

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "write": "2/hour"}
    headers = auth(contributor)
    draft = {"title": "Idée", "summary": "Courte."}
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        assert post(client, "/api/v1/me/cases/", draft, headers=headers).status_code == 201
        assert post(client, "/api/v1/me/cases/", draft, headers=headers).status_code == 201
        assert post(client, "/api/v1/me/cases/", draft, headers=headers).status_code == 429
        assert client.get("/api/v1/me/cases/", headers=headers).status_code == 200


def test_the_own_case_list_runs_a_fixed_number_of_queries(client, contributor):
    headers = auth(contributor)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/me/cases/", headers=headers).status_code == 200
        return len(queries)

    for _ in range(3):
        CaseFactory(owner=contributor, status=CaseStatus.DRAFT)
    count()  # the token's first use is recorded once
    few = count()
    for _ in range(7):
        CaseFactory(owner=contributor, tags=[term("theme", "mobilite")])
    assert count() == few


def test_drafts_are_placed_in_real_territories_only(client, contributor):
    data = {
        "title": "Idée",
        "summary": "Courte.",
        "territories": [
            {"kind": "epci", "code": "200093201"},
            {"kind": "departement", "code": "2A"},
        ],
    }
    response = post(client, "/api/v1/me/cases/", data, headers=auth(contributor))
    assert response.status_code == 201
    assert [t["code"] for t in response.json()["territories"]] == ["200093201", "2A"]
    assert territory("departement", "2A").cases.count() == 1


# ---- Creating a partner organisation ----------------------------------------------------

ORGANIZATIONS = "/api/v1/me/organizations/"


def test_creating_an_organisation_needs_an_account_and_a_valid_token(client):
    data = {"name": "Fondation Horizon", "actor_type": "fondation"}
    assert post(client, ORGANIZATIONS, data).status_code == 401
    bad = post(client, ORGANIZATIONS, data, headers={"Authorization": "Token nope"})
    assert bad.status_code == 401
    assert not Organization.objects.filter(name="Fondation Horizon").exists()


def test_a_contributor_creates_a_partner_then_puts_it_in_a_draft_and_submits_it(
    client, contributor, partners
):
    headers = auth(contributor)
    created = post(
        client,
        ORGANIZATIONS,
        {
            "name": "  Fondation   Horizon ",
            "actor_type": "fondation",
            "siren": "443 061 841",
            "website": "horizon.example.org",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.content
    organization = created.json()
    assert organization["name"] == "Fondation Horizon"
    assert organization["siren"] == "443061841" and organization["rna"] is None
    assert organization["actor_type"]["code"] == "fondation"
    assert organization["website"] == "https://horizon.example.org"
    assert organization["published_cases"] == 0 and organization["cases"] == []
    assert created["Location"].endswith(f"/api/v1/organizations/{organization['slug']}/")

    data = complete_draft(partners)
    data["roster"] = [
        {"organization": partners[0].pk, "role": "porteur"},
        {"organization": organization["id"], "role": "financeur"},
    ]
    draft = post(client, "/api/v1/me/cases/", data, headers=headers)
    assert draft.status_code == 201, draft.content
    assert organization["id"] in [p["organization"]["id"] for p in draft.json()["partners"]]
    submitted = post(client, f"/api/v1/me/cases/{draft.json()['id']}/submit/", headers=headers)
    assert submitted.status_code == 200
    assert submitted.json()["status"]["code"] == "submitted"
    assert client.get(created["Location"], headers=headers).status_code == 200


def test_an_invalid_siren_is_a_400_naming_the_field_in_the_language_asked(client, contributor):
    before = Organization.objects.count()
    data = {"name": "Fondation Horizon", "actor_type": "fondation", "siren": "123 456 789"}
    french = post(client, ORGANIZATIONS, data, headers=auth(contributor))
    assert french.status_code == 400
    assert french.json()["siren"] == ["Ce SIREN n'est pas valide (clé de contrôle incorrecte)."]
    english = post(client, f"{ORGANIZATIONS}?lang=en", data, headers=auth(contributor))
    assert english.status_code == 400
    assert english.json()["siren"] == ["This SIREN is not valid (wrong check digit)."]
    assert Organization.objects.count() == before


def test_an_identifier_already_used_is_a_409_naming_that_organisation(
    client, contributor, partners
):
    CaseFactory(partners=partners)  # public organisations: the 409 may name them
    before = Organization.objects.count()
    headers = auth(contributor)
    for data in (
        {"name": "Mairie de Roubaix", "actor_type": "collectivite", "siren": "215 905 126"},
        {
            "name": "Tout autre nom",
            "actor_type": "association",
            "rna": "w595001234",
            "confirm_new": True,
        },
    ):
        response = post(client, ORGANIZATIONS, data, headers=headers)
        assert response.status_code == 409, response.content
        body = response.json()
        assert body["code"] == "same_identifier" and body["detail"]
        existing = partners[0] if "siren" in data else partners[1]
        assert body["organization"] == {
            "id": existing.pk,
            "slug": existing.slug,
            "name": existing.name,
            "actor_type": {"code": existing.actor_type.code, "label": existing.actor_type.label},
            "seat": None,
            "siren": existing.siren,
            "siret": existing.siret,
            "rna": existing.rna,
        }
    assert Organization.objects.count() == before


def test_a_similar_name_is_a_409_with_candidates_until_confirmed(client, contributor):
    existing = OrganizationFactory(name="Association Tremplin Jeunes Lille")
    CaseFactory(partners=[existing, OrganizationFactory()])
    before = Organization.objects.count()
    headers = auth(contributor)
    data = {"name": "Association Tremplin Jeunes de Lille", "actor_type": "association"}
    response = post(client, ORGANIZATIONS, data, headers=headers)
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "similar_organizations" and "organization" not in body
    assert {"id": existing.pk, "slug": existing.slug, "name": existing.name} in [
        {key: c[key] for key in ("id", "slug", "name")} for c in body["candidates"]
    ]
    assert Organization.objects.count() == before
    confirmed = post(client, ORGANIZATIONS, {**data, "confirm_new": True}, headers=headers)
    assert confirmed.status_code == 201, confirmed.content
    assert Organization.objects.count() == before + 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"actor_type": "association"}, "name"),
        ({"name": "  ", "actor_type": "association"}, "name"),
        ({"name": "x" * 256, "actor_type": "association"}, "name"),
        ({"name": "Nouvelle"}, "actor_type"),
        ({"name": "Nouvelle", "actor_type": "inconnu"}, "actor_type"),
        ({"name": "Nouvelle", "actor_type": "1"}, "actor_type"),
        ({"name": "Nouvelle", "actor_type": {"code": "association"}}, "actor_type"),
        ({"name": ["Nouvelle"], "actor_type": "association"}, "name"),
        ({"name": "Nouvelle", "actor_type": "association", "company_size": "pme"}, "company_size"),
        ({"name": "Nouvelle", "actor_type": "entreprise", "company_size": "xxl"}, "company_size"),
        ({"name": "Nouvelle", "actor_type": "entreprise", "rna": "W595009999"}, "rna"),
        ({"name": "Nouvelle", "actor_type": "association", "rna": "W12"}, "rna"),
        ({"name": "Nouvelle", "actor_type": "entreprise", "siren": "55212022"}, "siren"),
        ({"name": "Nouvelle", "actor_type": "entreprise", "siren": ["552120222"]}, "siren"),
        (
            {"name": "Nouvelle", "actor_type": "association", "website": "pas une adresse"},
            "website",
        ),
        ({"name": "Nou\x00velle", "actor_type": "association"}, "name"),
        ({"name": "Nouvelle", "actor_type": "asso\x00ciation"}, "actor_type"),
        (
            {"name": "Nouvelle", "actor_type": "association", "confirm_new": "peut-être"},
            "confirm_new",
        ),
        (["Nouvelle", "association"], "non_field_errors"),
        ("Nouvelle", "non_field_errors"),
        (42, "non_field_errors"),
        (None, "non_field_errors"),
    ],
)
def test_bad_organisation_input_is_a_400_with_field_level_details(client, contributor, body, field):
    before = Organization.objects.count()
    response = client.post(
        ORGANIZATIONS,
        json.dumps(body),
        content_type="application/json",
        headers=auth(contributor),
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Organization.objects.count() == before


def test_an_organisation_created_meanwhile_by_someone_else_is_a_409_not_a_500(
    client, contributor, monkeypatch
):
    """A race: the checks pass, then the database refuses the same SIREN."""
    from registry.api import contributions

    OrganizationFactory(name="Entreprise Siren", siren="552120222")
    real = contributions.new_organization_duplicates
    calls = []

    def late(**identifiers):
        calls.append(identifiers)
        if len(calls) > 1:
            return real(**identifiers)
        return real(**{**identifiers, "name": "", "siren": None})  # sees nothing in the way

    monkeypatch.setattr(contributions, "new_organization_duplicates", late)
    monkeypatch.setattr(Organization, "validate_constraints", lambda self, exclude=None: None)
    data = {"name": "Autre", "actor_type": "entreprise", "siren": "552120222"}
    response = post(client, ORGANIZATIONS, data, headers=auth(contributor))
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "same_identifier"
    assert Organization.objects.filter(siren="552120222").count() == 1


def test_creating_an_organisation_by_session_needs_the_csrf_token(contributor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(contributor)
    data = {"name": "Fondation Horizon", "actor_type": "fondation"}
    assert post(client, ORGANIZATIONS, data).status_code == 403
    assert not Organization.objects.filter(name="Fondation Horizon").exists()


def test_creating_organisations_counts_against_the_write_limit(client, contributor):
    from django.conf import settings

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "write": "1/hour"}
    headers = auth(contributor)
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        first = {"name": "Fondation Horizon", "actor_type": "fondation"}
        assert post(client, ORGANIZATIONS, first, headers=headers).status_code == 201
        second = {"name": "Garage Solidaire du Nord", "actor_type": "association"}
        assert post(client, ORGANIZATIONS, second, headers=headers).status_code == 429
    assert not Organization.objects.filter(name="Garage Solidaire du Nord").exists()


def test_line_breaks_are_kept_as_line_feeds_whatever_the_client_sends(client, contributor):
    """A browser's textarea sends CRLF, an old Mac CR: stored alike, a later review
    of the same text shows no change."""
    case = CaseFactory(owner=contributor, status=CaseStatus.DRAFT)
    answer = patch(
        client,
        f"/api/v1/me/cases/{case.pk}/",
        {"description": "Ligne un\r\nLigne deux\rLigne trois", "lessons": "Sans retour"},
        headers=auth(contributor),
    )
    assert answer.status_code == 200
    case.refresh_from_db()
    assert case.description == "Ligne un\nLigne deux\nLigne trois"
    assert case.lessons == "Sans retour"
