"""The contributor's summary of their changes (« Résumé de vos modifications »,
500 characters with a counter): kept with the save, sent with the submission,
shown to the moderator on the review page and in the history; the same through
the write API. The review flags the organisations the contributor created that
are on no published case yet, and shows each partner's SIREN, SIRET, RNA and
seat."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken
from registry.models import Action, CaseStatus
from registry.views.editor import Editor
from tests.factories import CaseFactory, OrganizationFactory, term, territory

pytestmark = pytest.mark.django_db

SUMMARY = "Ajout de la commune de Redon comme partenaire et correction du titre."


def draft_case(owner, **kwargs):
    return CaseFactory(
        owner=owner, status=CaseStatus.DRAFT, tags=[term("theme", "emploi_insertion")], **kwargs
    )


def editor_post(case, action="save", **overrides):
    data = Editor.initial_data(case.snapshot(), case.version)
    data = dict(data.lists())
    # As the page posts it: the summary kept with the last save, pre-filled.
    data.update({"action": action, "summary-edit_summary": case.edit_summary, **overrides})
    return data


def auth(user):
    _token, key = ApiToken.issue(user=user, name="script")
    return {"Authorization": f"Bearer {key}"}


def test_the_editor_asks_for_an_optional_summary_with_a_counter(contributor, contributor_client):
    case = draft_case(contributor)
    page = contributor_client.get(reverse("case_edit", args=[case.pk])).content.decode()
    assert "Résumé de vos modifications" in page
    assert 'name="summary-edit_summary"' in page and 'maxlength="500"' in page
    assert 'data-counter-for="id_summary-edit_summary"' in page
    assert 'aria-describedby="id_summary-edit_summary_helptext"' in page
    # Not on a brand-new case: nothing has changed yet.
    assert (
        "Résumé de vos modifications"
        not in contributor_client.get(reverse("case_create")).content.decode()
    )


def test_the_summary_is_kept_with_the_save_and_sent_with_the_submission(
    contributor, contributor_client, moderator_client
):
    case = draft_case(contributor)
    url = reverse("case_edit", args=[case.pk])
    contributor_client.post(url, editor_post(case, **{"summary-edit_summary": SUMMARY}))
    case.refresh_from_db()
    assert case.edit_summary == SUMMARY
    assert SUMMARY in contributor_client.get(url).content.decode()  # still there to submit

    contributor_client.post(url, editor_post(case, action="submit"))
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.edit_summary == ""
    entry = case.audit_entries.filter(action=Action.SUBMIT).first()
    assert entry.message == SUMMARY
    assert case.versions.first().summary == SUMMARY

    review = moderator_client.get(reverse("moderation_review", args=[case.pk])).content.decode()
    assert "Résumé des modifications par le contributeur" in review and SUMMARY in review
    history = contributor_client.get(reverse("case_history", args=[case.pk])).content.decode()
    assert "Résumé des modifications" in history and SUMMARY in history


def test_a_revisions_summary_goes_with_it_to_the_review_and_the_history(
    contributor, contributor_client, moderator, moderator_client
):
    case = CaseFactory(owner=contributor, tags=[term("theme", "sante")])
    url = reverse("case_edit", args=[case.pk])
    contributor_client.post(
        url,
        editor_post(
            case,
            action="submit",
            **{"case-title": "Nouveau titre", "summary-edit_summary": SUMMARY},
        ),
    )
    revision = case.open_revision()
    assert revision.edit_summary == SUMMARY and revision.is_submitted
    assert case.audit_entries.filter(action=Action.SUBMIT).first().message == SUMMARY
    review = moderator_client.get(reverse("moderation_review", args=[case.pk])).content.decode()
    assert SUMMARY in review
    revision.publish(by=moderator)
    assert case.versions.first().summary == SUMMARY
    assert SUMMARY in moderator_client.get(reverse("case_history", args=[case.pk])).content.decode()


def test_a_summary_over_500_characters_is_refused_with_the_error_summary(
    contributor, contributor_client
):
    case = draft_case(contributor)
    response = contributor_client.post(
        reverse("case_edit", args=[case.pk]),
        editor_post(case, **{"summary-edit_summary": "x" * 501}),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#id_summary-edit_summary"' in page
    assert "Résumé de vos modifications" in page
    case.refresh_from_db()
    assert case.edit_summary == "" and case.version == 1


def test_the_write_api_keeps_a_summary_with_an_edit_and_a_submission(
    contributor, other_contributor, moderator_client
):
    case = draft_case(contributor)
    api, headers = Client(), auth(contributor)
    url = f"/api/v1/me/cases/{case.pk}/"
    response = api.patch(
        url, {"edit_summary": SUMMARY}, content_type="application/json", headers=headers
    )
    assert response.status_code == 200 and response.json()["edit_summary"] == SUMMARY
    too_long = api.patch(
        url, {"edit_summary": "x" * 501}, content_type="application/json", headers=headers
    )
    assert too_long.status_code == 400 and "edit_summary" in too_long.json()
    response = api.post(url + "submit/", headers=headers)
    assert response.status_code == 200
    assert case.audit_entries.filter(action=Action.SUBMIT).first().message == SUMMARY
    assert (
        SUMMARY
        in moderator_client.get(reverse("moderation_review", args=[case.pk])).content.decode()
    )
    # A submission's own summary, and a body naming an unknown field is refused.
    other = draft_case(other_contributor)
    other_api = auth(other_contributor)
    refused = api.post(
        f"/api/v1/me/cases/{other.pk}/submit/",
        {"resume": "?"},
        content_type="application/json",
        headers=other_api,
    )
    assert refused.status_code == 400
    done = api.post(
        f"/api/v1/me/cases/{other.pk}/submit/",
        {"edit_summary": "Première version."},
        content_type="application/json",
        headers=other_api,
    )
    assert done.status_code == 200
    assert other.audit_entries.filter(action=Action.SUBMIT).first().message == "Première version."


def test_the_review_flags_new_organisations_and_shows_identifiers_and_seat(
    contributor, moderator_client
):
    redon = territory("commune", "35236")
    created = OrganizationFactory(
        name="Atelier Vélo Redonnais",
        created_by=contributor,
        rna="W353001234",
        siret="12345678900017",
        seat=redon,
    )
    known = OrganizationFactory(
        name="Redon Agglomération",
        actor_type=term("actor_type", "collectivite"),
        siren="243500741",
        created_by=contributor,
    )
    CaseFactory(partners=[known, OrganizationFactory()])  # on a published case: not new
    case = draft_case(contributor, partners=[created, known])
    case.submit(by=contributor)
    response = moderator_client.get(reverse("moderation_review", args=[case.pk]))
    page = response.content.decode()
    assert response.context["new_organizations"] == {created.pk}
    assert page.count("Nouvelle organisation") == 2  # in the diff and in the partners' table
    rows = {row["organization"].pk: row for row in response.context["partners"]}
    assert rows[created.pk]["is_new"] and not rows[known.pk]["is_new"]
    assert "RNA W353001234" in page and "SIRET 12345678900017" in page
    assert "SIREN 243500741" in page
    assert "Redon (35)" in page


def test_a_contributors_organisation_already_published_elsewhere_is_not_new(
    contributor, moderator_client
):
    mine = OrganizationFactory(name="Ressourcerie du Pays de Redon", created_by=contributor)
    CaseFactory(owner=contributor, partners=[mine, OrganizationFactory()])
    case = draft_case(contributor, partners=[mine, OrganizationFactory()])
    case.submit(by=contributor)
    page = moderator_client.get(reverse("moderation_review", args=[case.pk])).content.decode()
    assert "Nouvelle organisation" not in page
