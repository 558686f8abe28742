"""The editor keeps your place: no error before a save, an error summary that
links to every field after a failed one, ids that exist behind every
aria-describedby, a return to the section acted on, Enter that searches, a
completeness box that tells the truth, length limits, and the strong warning of
an exact duplicate title that never names another account's draft."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from registry.forms import MAX_NARRATIVE
from registry.models import Case, CaseStatus, Organization
from tests.factories import CaseFactory, OrganizationFactory, term, territory
from tests.test_editor import editor_data

pytestmark = pytest.mark.django_db

NEW = reverse("case_create")


class Elements(HTMLParser):
    """Every element's attributes, in page order."""

    def __init__(self, page):
        super().__init__()
        self.elements = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def ids(self):
        return {attrs["id"] for _tag, attrs in self.elements if attrs.get("id")}

    def with_attribute(self, name):
        return [(tag, attrs) for tag, attrs in self.elements if name in attrs]


def dangling_descriptions(page):
    """aria-describedby ids that name no element of the page."""
    elements = Elements(page)
    ids = elements.ids()
    return [
        (attrs.get("id") or attrs.get("name"), missing)
        for _tag, attrs in elements.with_attribute("aria-describedby")
        for missing in attrs["aria-describedby"].split()
        if missing not in ids
    ]


def autofocused(page):
    """The id (or name) of each element marked to take focus."""
    return [
        attrs.get("id") or attrs.get("name")
        for _tag, attrs in Elements(page).with_attribute("autofocus")
    ]


def post(client, data, url=NEW):
    response = client.post(url, data)
    return response, response.content.decode()


def test_a_new_page_shows_no_error(contributor_client):
    page = contributor_client.get(NEW).content.decode()
    assert "Ce champ est obligatoire" not in page
    assert 'aria-invalid="true"' not in page
    assert 'id="error-summary"' not in page


def test_a_search_or_an_addition_on_a_new_page_shows_no_error(contributor_client):
    empty = {"roster-TOTAL_FORMS": "0", "roster-INITIAL_FORMS": "0"}
    for action in ("find_territory", "add_territory:commune:59350", "find_partner"):
        data = {**empty, "places-territory_query": "lille", "find-partner_query": "ville"}
        response, page = post(contributor_client, {**data, "action": action})
        assert response.status_code == 200, action
        assert "Ce champ est obligatoire" not in page, action
        assert 'aria-invalid="true"' not in page, action
    assert not Case.objects.exists()


def test_the_new_organisation_panel_shows_no_error_until_create_is_pressed(contributor_client):
    data = editor_data(**{"find-partner_query": "Fondation Inconnue", "action": "find_partner"})
    _response, page = post(contributor_client, data)
    panel = page.split('class="new-organization"', 1)[1].split("</details>", 1)[0]
    assert "field-error" not in panel and 'aria-invalid="true"' not in panel


def test_a_failed_save_shows_a_summary_linking_to_each_field(contributor_client):
    data = editor_data(
        **{
            "case-title": "",
            "case-start_year": "2030",
            "case-end_year": "2020",
            "places-territories": ["commune:99999"],
            "roster-1-role": "999999",
            "sources-sources": "Rapport | pas une adresse https://",
        }
    )
    response, page = post(contributor_client, data)
    assert response.status_code == 400
    summary = page.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'role="alert"' in page.split('id="error-summary"', 1)[0].rsplit("<div", 1)[1]
    assert "Il y a 5 erreurs à corriger" in summary
    links = re.findall(r'href="#([^"]+)"', summary)
    assert links == [
        "id_case-title",
        "id_case-end_year",
        "id_places-territory_query",
        "id_roster-1-role",
        "id_sources-sources",
    ]
    ids = Elements(page).ids()
    assert all(link in ids for link in links)
    assert autofocused(page) == ["error-summary"]
    assert dangling_descriptions(page) == []
    title = next(a for t, a in Elements(page).elements if a.get("id") == "id_case-title")
    assert title["aria-invalid"] == "true"
    assert set(title["aria-describedby"].split()) >= {"id_case-title_error"}
    assert not Case.objects.exists()


def test_one_error_is_counted_in_the_singular(contributor_client):
    _response, page = post(contributor_client, editor_data(**{"case-title": ""}))
    assert "Il y a 1 erreur à corriger" in page


def test_every_aria_describedby_names_an_element_of_the_page(contributor_client):
    pages = [contributor_client.get(NEW).content.decode()]
    pages.append(post(contributor_client, editor_data(**{"case-summary": ""}))[1])
    failed_creation = editor_data(
        **{
            "neworg-name": "",
            "neworg-siren": "123",
            "neworg-seat": "Nulle-Part-sur-Rien",
            "action": "create_partner",
        }
    )
    pages.append(post(contributor_client, failed_creation)[1])
    for page in pages:
        assert dangling_descriptions(page) == []
    assert 'aria-invalid="true"' in pages[2]
    assert autofocused(pages[2]) == ["id_neworg-name"]  # the first field to correct


def test_adding_a_partner_returns_to_the_partners_with_its_role_to_choose(contributor_client):
    company = OrganizationFactory(name="Industries du Nord", siren="552032534")
    CaseFactory(partners=[company, OrganizationFactory()])
    _response, page = post(contributor_client, editor_data(action=f"add_partner:{company.pk}"))
    assert autofocused(page) == ["id_roster-2-role"]
    assert f'value="add_partner:{company.pk}"' not in page  # added: no longer a candidate
    assert 'formaction="/contribuer/nouvelle/#partenaires"' in page
    assert "Partenaire ajouté\u00a0: Industries du Nord." in page


def test_a_partner_search_focuses_the_first_candidate_or_the_box_when_none(contributor_client):
    CaseFactory(partners=[OrganizationFactory(name="Industries du Nord"), OrganizationFactory()])
    data = editor_data(**{"find-partner_query": "industries", "action": "find_partner"})
    _response, page = post(contributor_client, data)
    assert autofocused(page) == ["partner-candidate-1"]
    assert re.search(
        r'<button[^>]*formaction="/contribuer/nouvelle/#partenaires"[^>]*id="partner-candidate-1"',
        page,
    )
    data["find-partner_query"] = "zzzqqq"
    _response, page = post(contributor_client, data)
    assert autofocused(page) == ["id_find-partner_query"]


def test_adding_a_territory_returns_to_the_territories(contributor_client):
    data = editor_data(**{"places-territory_query": "roubaix", "action": "find_territory"})
    _response, page = post(contributor_client, data)
    assert autofocused(page) == ["territory-candidate-1"]
    assert 'formaction="/contribuer/nouvelle/#territoires"' in page
    _response, page = post(contributor_client, editor_data(action="add_territory:commune:59512"))
    assert autofocused(page) == ["id_places-territory_query"]
    assert "Roubaix (59)" in page and "Territoire ajouté\u00a0: Roubaix (59)." in page


def test_enter_without_javascript_searches_what_a_search_box_holds(contributor_client):
    data = editor_data(**{"find-partner_query": "Tremplin", "action": "default"})
    response, page = post(contributor_client, data)
    assert response.status_code == 200
    assert not Case.objects.exists()
    assert "Résultats pour «\u00a0Tremplin\u00a0»" in page
    assert 'value="Tremplin"' in page  # the query is kept, not cleared
    data = editor_data(**{"places-territory_query": "roubaix", "action": "default"})
    _response, page = post(contributor_client, data)
    assert "Roubaix" in page and not Case.objects.exists()


def test_enter_without_javascript_saves_when_the_search_boxes_are_empty(contributor_client):
    response, _page = post(contributor_client, editor_data(action="default"))
    assert response.status_code == 302
    assert Case.objects.filter(title="Cité éducative de Fives").exists()


def test_completeness_counts_what_is_typed_and_never_says_ready_without_a_title(
    contributor_client, contributor
):
    complete = {"case-results": "Cent jeunes suivis.", "case-lessons": "Se voir souvent."}
    contributor_client.post(NEW, editor_data(**complete))
    case = Case.objects.get(owner=contributor)
    url = reverse("case_edit", args=[case.pk])
    page = contributor_client.get(url).content.decode()
    assert "100\u00a0%" in page and "La fiche peut être soumise." in page
    data = editor_data(**complete, **{"case-title": "", "case-version": str(case.version)})
    _response, page = post(contributor_client, data, url)
    box = page.split('class="aside-box completeness"', 1)[1].split("</section>", 1)[0]
    assert "100\u00a0%" not in box and "La fiche peut être soumise." not in box
    assert "un titre" in box


def test_a_new_page_shows_its_completeness_from_what_is_typed(contributor_client):
    page = contributor_client.get(NEW).content.decode()
    assert "Complétude de la fiche" in page and 'value="0"' in page
    _response, page = post(contributor_client, editor_data(action="find_territory"))
    box = page.split('class="aside-box completeness"', 1)[1].split("</section>", 1)[0]
    assert "il manque" not in box and "enregistrez le brouillon, puis soumettez-le" in box


def test_a_narrative_longer_than_its_limit_is_refused(contributor_client):
    data = editor_data(**{"case-results": "x" * (MAX_NARRATIVE + 1)})
    response, page = post(contributor_client, data)
    assert response.status_code == 400
    assert 'href="#id_case-results"' in page
    assert not Case.objects.exists()
    assert f'maxlength="{MAX_NARRATIVE}"' in page
    response, _page = post(contributor_client, editor_data(**{"case-results": "x" * MAX_NARRATIVE}))
    assert response.status_code == 302


def test_line_breaks_count_once_against_a_limit(contributor_client):
    summary = ("a" * 98 + "\r\n") * 6  # 600 characters as a browser counts them
    response, _page = post(contributor_client, editor_data(**{"case-summary": summary}))
    assert response.status_code == 302


def test_every_text_has_a_counter(contributor_client):
    page = contributor_client.get(NEW).content.decode()
    for field in ("title", "summary", "description", "context", "actions", "results", "lessons"):
        assert f'data-counter-for="id_case-{field}"' in page
    assert 'data-counter-for="id_sources-sources"' in page
    assert "600 caractères au plus" in page


def test_an_exact_published_title_in_the_same_territory_is_a_strong_warning(contributor_client):
    other = CaseFactory(title="Cité Éducative de Fives", places=[territory("commune", "59350")])
    _response, page = post(contributor_client, editor_data(action="find_territory"))
    box = page.split('class="aside-box same-title"', 1)[1].split("</section>", 1)[0]
    assert 'role="alert"' in page.split('class="aside-box same-title"', 1)[1][:40]
    assert other.get_absolute_url() in box
    # Saving is not blocked; the editor of the draft shows the warning again.
    post(contributor_client, editor_data())
    case = Case.objects.get(title="Cité éducative de Fives")
    page = contributor_client.get(reverse("case_edit", args=[case.pk])).content.decode()
    assert 'class="aside-box same-title"' in page and other.get_absolute_url() in page


def test_the_same_title_elsewhere_is_no_strong_warning(contributor_client):
    CaseFactory(title="Cité éducative de Fives", places=[territory("commune", "59512")])
    _response, page = post(contributor_client, editor_data(action="find_territory"))
    assert "same-title" not in page


def test_the_strong_warning_never_names_another_accounts_draft(
    contributor_client, other_contributor, moderator_client
):
    hidden = CaseFactory(
        title="Cité éducative de Fives",
        owner=other_contributor,
        status=CaseStatus.SUBMITTED,
        places=[territory("commune", "59350")],
    )
    for action in ("find_territory", "save"):
        _response, page = post(contributor_client, editor_data(action=action))
        if action == "save":
            case = Case.objects.get(owner__email="claire.contributrice@example.org")
            page = contributor_client.get(reverse("case_edit", args=[case.pk])).content.decode()
        assert "same-title" not in page
        assert hidden.get_absolute_url() not in page
    # Staff see every case, and are told.
    _response, page = post(moderator_client, editor_data(action="find_territory"))
    assert "same-title" in page and hidden.get_absolute_url() in page


def test_the_editor_page_asks_for_a_warning_before_leaving_what_was_typed(contributor_client):
    page = contributor_client.get(NEW).content.decode()
    assert "data-unsaved" not in page
    _response, page = post(contributor_client, editor_data(action="find_territory"))
    assert "data-unsaved" in page


def test_a_roster_row_error_is_described_by_an_existing_id(contributor_client):
    organization = Organization.objects.create(
        name="Association cachée", actor_type=term("actor_type", "association")
    )
    data = editor_data(**{"roster-1-organization": str(organization.pk)})
    response, page = post(contributor_client, data)
    assert response.status_code == 400
    assert 'href="#id_roster-1-role"' in page
    assert dangling_descriptions(page) == []
