"""Chromium opens every page that prints what contributors write, over published
cases carrying the XSS corpus (`tests/xss_payloads.txt`) in every text field,
points at every element and follows every `javascript:` link, and counts the
scripts that ran: none, in French and in English.

Every payload that could run calls `alert(n)`. A hook installed before any of
the page's own code replaces `alert`, `confirm` and `prompt` with a counter
that reports to the test at once (a payload that navigates away cannot hide
its call), and a real dialog, should one open, is counted too.
"""

import json

import pytest

from tests.browser.conftest import log_in
from tests.xss import COMMUNE, PAYLOADS, SUMMARY_WORD

pytestmark = pytest.mark.browser

COUNTING_HOOK = """
window.__xss = 0;
for (const name of ["alert", "confirm", "prompt"]) {
  window[name] = (...args) => {
    window.__xss += 1;
    if (window.__xssReport) window.__xssReport(name, String(args[0]), location.href);
  };
}
"""
# What a visitor may do on a page: point at things, follow a link. Pointing fires
# inline handlers; following a `javascript:` link runs it.
PROVOKE = """() => {
  for (const element of document.querySelectorAll("body *")) {
    for (const kind of ["pointerover", "mouseover"]) {
      element.dispatchEvent(new MouseEvent(kind, {bubbles: true}));
    }
  }
  for (const link of document.querySelectorAll("a[href]")) {
    if (link.protocol === "javascript:") link.click();
  }
}"""
LANGUAGES = ["", "/en"]


PUBLISH = """
import json
from tests.xss import publish_hostile_cases
cases = publish_hostile_cases()
print(json.dumps([[c.pk, c.roster.get(position=9).organization.slug] for c in cases]))
"""


@pytest.fixture(scope="module")
def hostile_site(site):
    """The hostile cases, published in the site's database: their ids and the
    slugs of their hostile partners."""
    output = site.manage("shell", "-v", "0", "-c", PUBLISH).stdout
    published = json.loads(output.strip().splitlines()[-1])
    assert len(published) == len(PAYLOADS)
    return {"ids": [pk for pk, _slug in published], "organizations": [s for _pk, s in published]}


@pytest.fixture
def counted_page(browser, site):
    """A page with every script execution of a payload recorded in `page.runs`.

    The site's Content-Security-Policy is bypassed here: it would stop most
    payloads by itself (tests/browser/test_content_security.py), and what is
    counted is whether the printing of user text alone lets one through."""
    context = browser.new_context(
        base_url=site.url, locale="fr-FR", viewport={"width": 1280, "height": 800}, bypass_csp=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.runs = []
    page.context.expose_function(
        "__xssReport", lambda name, value, url: page.runs.append((name, value, url))
    )
    page.context.add_init_script(COUNTING_HOOK)

    def count_dialog(dialog):
        page.runs.append(("dialog", dialog.message, page.url))
        dialog.dismiss()

    page.on("dialog", count_dialog)
    yield page
    context.close()


def open_all(page, urls):
    for url in urls:
        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, url
        # Handlers that fire once the page has settled (autofocus, toggle, a failed image).
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 30)))")
        page.evaluate(PROVOKE)
        assert page.evaluate("() => window.__xss") == 0, (url, page.runs)
    assert page.runs == []


def public_pages(prefix, organizations):
    slugs = [f"cas-hostile-{n:02d}" for n in range(1, len(PAYLOADS) + 1)]
    urls = [f"{prefix}/", f"{prefix}/experiences-pionnieres/"]
    for query in (SUMMARY_WORD, "alert script"):
        urls += [f"{prefix}/experiences/?q={query}&page={n}" for n in (1, 2, 3, 4)]
    urls += [f"{prefix}/territoires/commune/{COMMUNE}/?page={n}" for n in (1, 2, 3, 4)]
    urls += [f"{prefix}/experiences/{slug}/" for slug in slugs]
    urls += [f"{prefix}/organisations/{slug}/" for slug in organizations]
    return urls


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_no_payload_runs_on_the_public_pages(counted_page, hostile_site, prefix):
    open_all(counted_page, public_pages(prefix, hostile_site["organizations"]))


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_no_payload_runs_on_the_moderation_review_and_the_history(
    counted_page, site, hostile_site, prefix
):
    log_in(counted_page, site.moderator)
    urls = []
    for pk in hostile_site["ids"]:
        urls += [f"{prefix}/moderation/{pk}/", f"{prefix}/contribuer/{pk}/historique/"]
    open_all(counted_page, urls)


def test_the_counting_hook_sees_a_payload_that_runs(counted_page, site):
    """A payload that ran would be seen: the hook is in place, pointing fires
    handlers and links are followed."""
    counted_page.goto("/")
    counted_page.evaluate("() => alert('direct')")
    counted_page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML("beforeend",
             '<a href="javascript:alert(&quot;link&quot;)">x</a>'
             + '<b onmouseover="alert(&quot;hover&quot;)">y</b>')"""
    )
    counted_page.evaluate(PROVOKE)
    counted_page.wait_for_function("() => window.__xss === 3")
    assert sorted(value for _name, value, _url in counted_page.runs) == ["direct", "hover", "link"]
