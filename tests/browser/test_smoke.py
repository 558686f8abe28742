"""The browser harness itself: the site serves, Chromium drives it, axe audits it."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_audit, describe_violations

pytestmark = pytest.mark.browser


def test_the_admin_sign_in_page_opens_in_french(page):
    page.goto("/admin/login/")

    expect(page).to_have_title(re.compile(r"^Connexion"))
    expect(page.get_by_label("Adresse e-mail")).to_be_visible()


def test_a_moderator_signs_in_to_the_admin(page, site):
    page.goto("/admin/login/")
    page.get_by_label("Adresse e-mail").fill(site.moderator.email)
    page.get_by_label("Mot de passe").fill(site.moderator.password)
    page.get_by_role("button", name="Connexion").click()

    expect(page).to_have_url(f"{site.url}/admin/")
    expect(page.locator("#user-tools")).to_contain_text("Bienvenue")


def test_a_wrong_password_keeps_the_visitor_on_the_sign_in_page(page, site):
    page.goto("/admin/login/")
    page.get_by_label("Adresse e-mail").fill(site.moderator.email)
    page.get_by_label("Mot de passe").fill("not-the-password")
    page.get_by_role("button", name="Connexion").click()

    expect(page).to_have_url(re.compile(r"/admin/login/"))
    expect(page.locator(".errornote")).to_be_visible()


def test_the_admin_sign_in_page_passes_an_accessibility_audit(page):
    page.goto("/admin/login/")

    violations = axe_audit(page)

    assert violations == [], describe_violations(violations)
