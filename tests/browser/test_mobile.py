"""On a phone (390 × 844, an ordinary handset): no page is wider than the screen,
in French and in English, for a visitor, a contributor and a moderator; a
search shows its first result in the first screen with the filters behind a
« Filtres (n) » disclosure that works without JavaScript; the header is one row
whose menu opens from the keyboard; long option lists can be filtered as one
types, and nothing scrolls inside the page's own scroll but tables, each in a
focusable region that names itself."""

import json
import re
import unicodedata

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_audit, describe_violations
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LANGUAGES = ["", "/en"]

# One word a browser cannot break at a space: names like this come in by the
# API or from a registry export, and must not widen a phone's page.
LONG_NAME = "Groupementintercommunaldecooperationpourlinsertionparlactiviteeconomique"
LONG_ADDRESS = "https://www.exemple.org/observatoire/alliances/" + "x" * 60

CASES = """
import json
from accounts.models import User
from registry.models import Action, CaseStatus
from tests.factories import CaseFactory, OrganizationFactory, term, territory

owner = User.objects.get(email={email!r})
lille = territory("commune", "59350")


def partners():
    return [
        OrganizationFactory(name={long_name!r}),
        OrganizationFactory(actor_type=term("actor_type", "collectivite")),
        OrganizationFactory(actor_type=term("actor_type", "entreprise")),
    ]


def case(status, slug):
    made = CaseFactory(
        title="Alliance pour la mobilité des apprentis de la métropole lilloise",
        slug=slug,
        summary="Voir " + {long_address!r} + " pour le détail.",
        status=status,
        owner=owner,
        places=[lille],
        partners=partners(),
        tags=[term("theme", "mobilite")],
    )
    made.record_version(Action.SUBMIT, by=owner)
    return made


published = case(CaseStatus.PUBLISHED, "mobile-publiee")
draft = case(CaseStatus.DRAFT, "mobile-brouillon")
submitted = case(CaseStatus.SUBMITTED, "mobile-soumise")
organization = published.roster.get(organization__name={long_name!r}).organization
print(json.dumps({{
    "published": published.slug,
    "draft": draft.pk,
    "submitted": submitted.pk,
    "organization": organization.slug,
}}))
"""

# What spills out of the page: elements, or runs of text, whose right edge
# passes the viewport and that no scrolling ancestor contains.
OVERFLOWING = """(width) => {
  const contained = (element) => {
    for (let p = element.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (style.overflowX !== "visible" && p !== document.body
          && p !== document.documentElement) return true;
    }
    return false;
  };
  const describe = (element) => element.tagName.toLowerCase()
    + (element.id ? "#" + element.id : "")
    + [...element.classList].map((c) => "." + c).join("");
  const found = [];
  for (const element of document.body.querySelectorAll("*")) {
    if (element.getBoundingClientRect().right > width + 1 && !contained(element)) {
      found.push(describe(element));
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    if (range.getBoundingClientRect().right > width + 1 && !contained(node.parentElement)) {
      const text = node.textContent.trim().slice(0, 40);
      found.push("text in " + describe(node.parentElement) + ": " + text);
    }
  }
  return found.slice(0, 8);
}"""

# Lists and boxes that scroll inside the page's scroll (a table's own region
# excepted): a phone's thumb gets caught in them.
NESTED_SCROLLS = """() => [...document.querySelectorAll("main *")].filter((element) => {
  const style = getComputedStyle(element);
  return ["auto", "scroll"].includes(style.overflowY)
    && element.scrollHeight > element.clientHeight + 1
    && !["TEXTAREA", "SELECT"].includes(element.tagName)
    && !element.querySelector("table");
}).map((element) => element.tagName.toLowerCase() + "." + [...element.classList].join("."))"""

# Tables outside the observatory: each one either fits, or scrolls inside a
# region that the keyboard reaches and that says what it holds.
UNREACHABLE_TABLES = """() => [...document.querySelectorAll("main table")].filter((table) => {
  const region = table.closest('[role="region"]');
  const labelled = region && region.tabIndex === 0 && region.getAttribute("aria-labelledby")
    && document.getElementById(region.getAttribute("aria-labelledby").split(" ")[0]);
  const stacked = getComputedStyle(table).display !== "table";
  return !(labelled || stacked);
}).map((table) => (table.querySelector("caption, th") || table).textContent.trim().slice(0, 40))"""


@pytest.fixture(scope="module")
def cases(site):
    """A published, a draft and a submitted case of the contributor, each with
    a partner whose name is one long word."""
    script = CASES.format(
        email=site.contributor.email, long_name=LONG_NAME, long_address=LONG_ADDRESS
    )
    output = site.manage("shell", "-v", "0", "-c", script).stdout
    return json.loads(output.strip().splitlines()[-1])


def public_pages(cases):
    return [
        ("/", 200),
        ("/experiences/", 200),
        ("/experiences/?region=32&departement=59", 200),
        (f"/experiences/{cases['published']}/", 200),
        ("/experiences-pionnieres/", 200),
        ("/territoires/", 200),
        ("/territoires/region/32/", 200),
        ("/territoires/departement/59/", 200),
        ("/territoires/epci/200093201/", 200),
        ("/territoires/commune/59350/", 200),
        ("/referentiel/", 200),
        ("/referentiel/practice/dialogue/", 200),
        ("/organisations/", 200),
        (f"/organisations/{cases['organization']}/", 200),
        ("/observatoire/", 200),
        ("/observatoire/couverture/", 200),
        ("/observatoire/comparer/?a-region=32&b-region=11", 200),
        ("/donnees/", 200),
        ("/a-propos/", 200),
        ("/mentions-legales/", 200),
        ("/donnees-personnelles/", 200),
        ("/accessibilite/", 200),
        ("/contact/", 200),
        ("/plan-du-site/", 200),
        ("/compte/connexion/", 200),
        ("/compte/inscription/", 200),
        ("/experiences/nexiste-pas/", 404),
    ]


def contributor_pages(cases):
    return [
        ("/compte/tableau-de-bord/", 200),
        (f"/contribuer/{cases['draft']}/", 200),
        ("/contribuer/nouvelle/", 200),
        ("/compte/jetons/", 200),
    ]


def staff_pages(cases):
    return [
        ("/moderation/", 200),
        (f"/moderation/{cases['submitted']}/", 200),
        (f"/contribuer/{cases['submitted']}/historique/", 200),
    ]


@pytest.fixture
def phone(browser, site):
    """A page the size of a phone, with JavaScript."""
    context = browser.new_context(
        base_url=site.url, locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_without_javascript(browser, site):
    context = browser.new_context(
        base_url=site.url, locale="fr-FR", viewport=PHONE, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def layout_problems(page, paths, language):
    problems = []
    for path, status in paths:
        url = language + path
        response = page.goto(url)
        assert response.status == status, url
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            spilling = page.evaluate(OVERFLOWING, PHONE["width"])
            problems.append(f"{url} is {width} px wide: {', '.join(spilling)}")
        nested = page.evaluate(NESTED_SCROLLS)
        if nested:
            problems.append(f"{url} scrolls inside the page: {', '.join(nested)}")
        if "/observatoire/" not in path:
            tables = page.evaluate(UNREACHABLE_TABLES)
            if tables:
                problems.append(f"{url} has tables the keyboard cannot scroll: {tables}")
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_public_page_is_wider_than_a_phone(phone, cases, language):
    problems = layout_problems(phone, public_pages(cases), language)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_of_a_contributor_is_wider_than_a_phone(phone, site, cases, language):
    log_in(phone, site.contributor)
    problems = layout_problems(phone, contributor_pages(cases), language)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_of_a_moderator_is_wider_than_a_phone(phone, site, cases, language):
    log_in(phone, site.moderator)
    problems = layout_problems(phone, staff_pages(cases), language)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_first_result_of_a_search_is_in_the_first_screen(phone, language):
    phone.goto(f"{language}/experiences/?theme=mobilite")
    expect(phone.get_by_role("searchbox")).to_be_in_viewport()
    first = phone.locator(".cards .card").first
    expect(first).to_be_visible()
    assert first.bounding_box()["y"] < PHONE["height"]
    # The filters wait behind their disclosure, which counts the active ones.
    disclosure = phone.locator("details.filters > summary")
    expect(disclosure).to_have_text(re.compile(r"^\s*(Filtres|Filters)\s*\(1\)\s*$"))
    expect(phone.locator(".facet").first).to_be_hidden()
    disclosure.click()
    expect(phone.locator(".facet").first).to_be_visible()


def test_the_filters_disclosure_opens_and_filters_without_javascript(phone_without_javascript):
    page = phone_without_javascript
    page.goto("/experiences/")
    total = int(re.search(r"\d+", page.locator("#results-title").inner_text()).group())
    expect(page.locator("details.filters > summary")).to_have_text(re.compile(r"Filtres\s*$"))
    assert page.locator(".cards .card").first.bounding_box()["y"] < PHONE["height"]
    page.locator("details.filters > summary").click()
    facet(page, "Région").get_by_label(re.compile("^Hauts-de-France")).check()
    page.get_by_role("button", name="Appliquer les filtres").click()
    expect(page).to_have_url(re.compile(r"region=32"))
    expect(page.locator(".active-filters")).to_contain_text("Hauts-de-France")
    expect(page.locator("details.filters > summary")).to_have_text(re.compile(r"Filtres \(1\)"))
    narrowed = int(re.search(r"\d+", page.locator("#results-title").inner_text()).group())
    assert narrowed < total


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_header_is_one_row_and_its_menu_opens_from_the_keyboard(phone, site, language):
    phone.goto(f"{language}/")
    header = phone.locator(".site-header")
    assert header.bounding_box()["height"] <= 70
    navigation = phone.locator(".site-nav")
    expect(navigation).to_be_hidden()
    menu = phone.locator(".site-menu > summary")
    for _tab in range(5):
        phone.keyboard.press("Tab")
        if menu.evaluate("(element) => element === document.activeElement"):
            break
    expect(menu).to_be_focused()
    expect(menu).to_have_accessible_name(re.compile("Menu"))
    phone.keyboard.press("Enter")
    expect(navigation).to_be_visible()
    # On a phone the languages and the account links live in the menu too.
    menu_box = phone.locator(".site-menu")
    other_language = "English" if not language else "Français"
    expect(menu_box.get_by_role("link", name=other_language)).to_be_visible()
    expect(menu_box.get_by_role("link", name=re.compile("Se connecter|Log in"))).to_be_visible()
    phone.keyboard.press("Tab")
    expect(navigation.get_by_role("link").first).to_be_focused()
    violations = axe_audit(phone)
    assert violations == [], describe_violations(violations)


def test_the_header_menu_works_without_javascript(phone_without_javascript):
    page = phone_without_javascript
    page.goto("/")
    expect(page.locator(".site-nav")).to_be_hidden()
    page.locator(".site-menu > summary").click()
    page.locator(".site-nav").get_by_role("link", name="Territoires").click()
    expect(page.locator("h1")).to_contain_text("Territoires")


def test_on_a_desktop_the_navigation_and_the_filters_show_without_a_click(page):
    page.goto("/experiences/")
    expect(page.locator(".site-menu > summary")).to_be_hidden()
    expect(page.locator(".site-nav").get_by_role("link", name="Territoires")).to_be_visible()
    expect(page.locator("details.filters > summary")).to_be_hidden()
    expect(page.locator(".facet").first).to_be_visible()
    assert page.locator(".site-header").bounding_box()["height"] <= 90


def facet(page, label):
    """The facet whose summary starts with `label`."""
    return page.locator(".facet").filter(
        has=page.locator("summary", has_text=re.compile("^" + re.escape(label)))
    )


def plain(text):
    return unicodedata.normalize("NFD", text).encode("ascii", "ignore").decode().lower()


def test_a_long_list_of_options_filters_as_one_types(phone):
    phone.goto("/experiences/")
    phone.locator("details.filters > summary").click()
    departements = facet(phone, "Département")
    departements.locator("summary").click()
    options = departements.locator(".facet-options li")
    total = options.count()
    assert total > 12
    box = departements.get_by_role("searchbox")
    expect(box).to_be_visible()
    expect(box).to_have_accessible_name(re.compile("Département"))
    names = options.locator("label").evaluate_all(
        "labels => labels.map((label) => label.firstChild.textContent.trim())"
    )
    accented = next(name for name in names if plain(name) != name.lower())
    box.fill(plain(accented).upper())  # neither accents nor case matter
    expect(options.filter(has_text=accented)).to_be_visible()
    shown = departements.locator(".facet-options li:visible")
    assert 1 <= shown.count() < total
    assert all(plain(accented) in plain(text) for text in shown.all_inner_texts())
    box.fill("")
    expect(shown).to_have_count(total)
    # A short list keeps no box.
    expect(facet(phone, "Forme de co-construction").get_by_role("searchbox")).to_have_count(0)


def test_the_typed_filter_survives_a_ticked_option(phone):
    """Ticking an option reloads the results (htmx): the disclosure stays
    open and the list stays filtered by what was typed."""
    phone.goto("/experiences/")
    phone.locator("details.filters > summary").click()
    regions = facet(phone, "Région")
    box = regions.get_by_role("searchbox")
    box.fill("bretagne")
    regions.get_by_label(re.compile("^Bretagne")).check()
    expect(phone).to_have_url(re.compile(r"region=53"))
    expect(phone.locator("details.filters > summary")).to_have_text(re.compile(r"\(1\)"))
    expect(phone.locator("details.filters")).to_have_attribute("open", "")
    expect(facet(phone, "Région").get_by_role("searchbox")).to_have_value("bretagne")
    expect(facet(phone, "Région").locator(".facet-options li:visible")).to_have_count(1)
