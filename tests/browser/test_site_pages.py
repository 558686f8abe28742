"""The pages about the site, the contact form and the error pages, in Chromium:
they pass the accessibility audit in both languages, and a visitor's message
reaches the staff's moderation area."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_audit, describe_violations

pytestmark = pytest.mark.browser

SITE_PAGES = [
    "/a-propos/",
    "/mentions-legales/",
    "/donnees-personnelles/",
    "/accessibilite/",
    "/contact/",
    "/contact/?sujet=accessibility",
    "/plan-du-site/",
]


@pytest.mark.parametrize("language", ["", "/en"])
def test_every_site_page_and_the_404_pass_an_accessibility_audit(page, language):
    problems = []
    for path, status in [*((p, 200) for p in SITE_PAGES), ("/experiences/nexiste-pas/", 404)]:
        url = language + path
        response = page.goto(url)
        assert response.status == status, url
        violations = axe_audit(page)
        if violations:
            problems.append(f"{url}\n{describe_violations(violations)}")
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("language", ["", "/en"])
def test_the_contact_form_with_its_errors_passes_an_accessibility_audit(page, language):
    page.goto(language + "/contact/")
    page.locator("form.contact-form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_be_visible()
    violations = axe_audit(page)
    assert violations == [], describe_violations(violations)


def test_a_visitor_writes_from_the_footer_and_a_moderator_reads_it(page, site):
    page.goto("/")
    page.locator("footer").get_by_role("link", name="Contact").click()
    expect(page.locator("h1")).to_have_text("Écrire à l'équipe")
    page.get_by_label("Votre adresse e-mail").fill("visiteuse.navigateur@example.org")
    page.get_by_label("Sujet").select_option("question")
    page.get_by_label("Votre message").fill("Peut-on citer le registre dans un rapport public ?")
    page.get_by_role("button", name="Envoyer le message").click()
    expect(page.locator(".message-success")).to_contain_text("transmis à l'équipe")

    page.goto("/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(site.moderator.email)
    page.get_by_label("Mot de passe").fill(site.moderator.password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion/" not in url)
    page.goto("/moderation/")
    page.get_by_role("link", name="Lire et traiter les messages de contact").click()
    message = page.locator(".contact-messages li", has_text="visiteuse.navigateur@example.org")
    expect(message).to_contain_text("citer le registre dans un rapport public")
    violations = axe_audit(page)
    assert violations == [], describe_violations(violations)
    message.get_by_role("button", name=re.compile("Marquer comme traité")).click()
    expect(page.locator(".message-success")).to_contain_text("traité")
    expect(page.locator("main")).not_to_contain_text("visiteuse.navigateur")
