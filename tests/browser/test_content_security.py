"""Every kind of page works under the site's Content-Security-Policy: Chromium
reports no violation (no blocked script, style, image or connection), the
interactive parts that need JavaScript still work, and an injected inline script
is refused."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

# Chromium calls the listener for every violation; an init script is not itself
# subject to the page's policy.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""

VISITOR_PAGES = [
    "/",
    "/experiences/",
    "/experiences/?q=insertion&sort=relevance",
    "/experiences-pionnieres/",
    "/territoires/",
    "/referentiel/",
    "/observatoire/",
    "/observatoire/couverture/",
    "/observatoire/comparer/?a-region=53&b-region=76",
    "/organisations/",
    "/donnees/",
    "/a-propos/",
    "/contact/",
    "/plan-du-site/",
    "/experiences/nexiste-pas/",
    "/compte/connexion/",
    "/admin/login/",
    "/api/v1/docs/",
    "/api/v1/docs/redoc/",
    "/en/",
    "/en/observatoire/",
]


def violations_on(page, url):
    page.goto(url, wait_until="networkidle")
    return page.evaluate("() => window.__violations")


@pytest.fixture
def watched_page(page):
    page.add_init_script(RECORD_VIOLATIONS)
    return page


def first_case_url(page):
    page.goto("/experiences/")
    return page.locator(".card article h3 a").first.get_attribute("href")


def test_no_page_a_visitor_opens_breaks_the_policy(watched_page):
    page = watched_page
    urls = [*VISITOR_PAGES, first_case_url(page)]
    found = {url: violations_on(page, url) for url in urls}
    assert {url: seen for url, seen in found.items() if seen} == {}


def test_no_page_of_a_contributor_or_a_moderator_breaks_the_policy(watched_page, site):
    page = watched_page
    log_in(page, site.contributor)
    contributor_pages = [
        "/compte/tableau-de-bord/",
        "/compte/profil/",
        "/compte/jetons/",
        "/contribuer/nouvelle/",
    ]
    found = {url: violations_on(page, url) for url in contributor_pages}
    page.context.clear_cookies()
    log_in(page, site.moderator)
    for url in ["/moderation/", "/moderation/messages/", "/admin/", "/admin/registry/case/"]:
        found[url] = violations_on(page, url)
    assert {url: seen for url, seen in found.items() if seen} == {}


def test_the_search_still_updates_in_place_under_the_policy(watched_page):
    page = watched_page
    page.goto("/experiences/")
    before = page.locator("#results-title").inner_text()
    page.locator("input[name=theme]").first.check()
    expect(page).to_have_url(re.compile(r"theme="))
    expect(page.locator("#results-title")).not_to_have_text(before)
    assert page.evaluate("() => window.__violations") == []


def test_the_api_documentation_draws_its_operations_under_the_policy(watched_page):
    page = watched_page
    page.goto("/api/v1/docs/")
    expect(page.locator(".opblock").first).to_be_visible(timeout=15_000)
    assert page.evaluate("() => window.__violations") == []


def test_an_inline_script_is_refused(watched_page):
    page = watched_page
    page.goto("/")
    page.evaluate(
        """() => {
          window.__ran = false;
          const script = document.createElement("script");
          script.textContent = "window.__ran = true";
          document.body.appendChild(script);
        }"""
    )
    assert page.evaluate("() => window.__ran") is False
    assert any(v.startswith("script-src") for v in page.evaluate("() => window.__violations"))
