"""A visitor finds alliances: from the home page to a case, a practice, in both
languages, and every public page passes an accessibility audit."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_audit, describe_violations

pytestmark = pytest.mark.browser


def test_a_visitor_searches_from_the_home_page_and_narrows_by_region(page, site):
    page.goto("/")
    expect(page).to_have_title(re.compile("Accueil"))
    page.get_by_label("Rechercher une expérience").fill("insertion")
    page.get_by_role("button", name="Rechercher", exact=True).click()

    expect(page).to_have_url(re.compile(r"/experiences/\?q=insertion"))
    heading = page.locator("#results-title")
    expect(heading).to_contain_text("expérience")
    total = int(re.search(r"\d+", heading.inner_text()).group())

    # With JavaScript, ticking a région narrows the results without a full reload.
    region = page.locator(".facet").first.locator("input[type=checkbox]").first
    region_id = region.get_attribute("id")
    region.check()
    expect(page).to_have_url(re.compile(r"region="))
    expect(page.locator(f"#{region_id}")).to_be_checked()
    narrowed = int(re.search(r"\d+", page.locator("#results-title").inner_text()).group())
    assert narrowed <= total
    expect(page.locator(".active-filters")).to_contain_text("Région")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/experiences/\?q=insertion$"))


def test_a_visitor_opens_a_case_and_follows_a_practice(page):
    # A case tagged with a practice of the « dialogue territorial » métier.
    page.goto("/experiences/?practice=dialogue")
    first = page.locator(".cards .card h3 a").first
    title = first.inner_text()
    first.click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.get_by_role("heading", name="Les partenaires")).to_be_visible()

    practice = page.locator("a.tag-practice").first
    label = practice.inner_text().split("›")[-1].strip()
    practice.click()
    expect(page.locator("h1")).to_contain_text(label)
    expect(page.locator("main")).to_contain_text(title[:30])


def test_a_visitor_switches_to_english_and_stays_on_the_same_page(page):
    page.goto("/experiences/?theme=emploi_insertion")
    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(re.compile(r"/en/experiences/\?theme=emploi_insertion"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Find a case")
    expect(page.locator(".active-filters")).to_contain_text("Jobs and work integration")
    page.get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_the_search_page_works_without_javascript(browser, site):
    context = browser.new_context(base_url=site.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/experiences/")
    page.locator(".facet input[name=theme]").first.check()
    page.get_by_role("button", name="Appliquer les filtres").click()
    expect(page).to_have_url(re.compile(r"theme="))
    expect(page.locator(".active-filters")).to_contain_text("Thème")
    context.close()


def test_a_bad_filter_value_gives_a_message_not_an_error(page):
    response = page.goto("/experiences/?theme=nimporte&year_min=deux")
    assert response.status == 200
    expect(page.get_by_role("alert")).to_contain_text("Code inconnu")


PUBLIC_PAGES = [
    "/",
    "/experiences/",
    "/experiences/?q=zzzzzz",
    "/experiences/?region=32&theme=emploi_insertion&sort=title",
    "/experiences-pionnieres/",
    "/territoires/",
    "/territoires/region/32/",
    "/territoires/departement/59/",
    "/territoires/epci/200093201/",
    "/territoires/commune/59350/",
    "/referentiel/",
    "/referentiel/practice/dialogue/",
    "/referentiel/theme/emploi_insertion/",
    "/organisations/",
    "/donnees/",
    "/compte/connexion/",
    "/compte/inscription/",
    "/compte/mot-de-passe/oublie/",
]


def first_link(page, selector):
    return page.locator(selector).first.get_attribute("href")


@pytest.mark.parametrize("language", ["", "/en"])
def test_every_public_page_passes_an_accessibility_audit(page, language):
    page.goto(language + "/experiences/")
    case_url = first_link(page, ".cards .card h3 a")
    page.goto(case_url)
    organization_url = first_link(page, ".roster a")
    problems = []
    for path in [
        *PUBLIC_PAGES,
        case_url.removeprefix(language),
        case_url.removeprefix(language) + "signaler/",
        organization_url.removeprefix(language),
    ]:
        url = language + path
        response = page.goto(url)
        assert response.status == 200, url
        violations = axe_audit(page)
        if violations:
            problems.append(f"{url}\n{describe_violations(violations)}")
    assert not problems, "\n\n".join(problems)
