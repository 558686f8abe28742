"""The editor keeps your place in Chromium: Enter searches, a territory or a
partner is added without reloading the page and focus stays in its section, a
failed save takes focus to the error summary, counters count."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def open_new_case(page, site):
    log_in(page, site.contributor)
    page.goto("/contribuer/nouvelle/")
    # A mark on the window: gone if the page is reloaded.
    page.evaluate("window.pageKept = true")


def focused_inside(page, selector):
    return page.evaluate("(selector) => !!document.activeElement.closest(selector)", selector)


def test_enter_in_the_partner_search_shows_candidates_without_saving(page, site):
    open_new_case(page, site)
    page.get_by_label("Titre").fill("Une alliance qui ne doit pas être enregistrée")
    search = page.get_by_label("Chercher une organisation")
    search.fill("Ville de")
    search.press("Enter")

    expect(page.locator("#partenaires .candidates li").first).to_be_visible()
    assert page.url.endswith("/contribuer/nouvelle/")
    assert page.evaluate("window.pageKept === true")
    expect(page.locator(".message-success")).to_have_count(0)
    expect(search).to_have_value("Ville de")
    expect(page.get_by_label("Titre")).to_have_value(
        "Une alliance qui ne doit pas être enregistrée"
    )
    assert page.evaluate("document.activeElement.id") == "partner-candidate-1"

    # Adding it: the new row's role takes focus, the page is still the same.
    page.keyboard.press("Enter")
    expect(page.locator("#partenaires tbody tr")).to_have_count(1)
    expect(page.locator("#id_roster-0-role")).to_be_focused()
    assert page.evaluate("window.pageKept === true")
    expect(page.locator("#editor-announce")).to_contain_text("Partenaire ajouté")


def test_adding_a_territory_keeps_focus_in_the_territories(page, site):
    open_new_case(page, site)
    search = page.get_by_label("Ajouter un territoire")
    search.fill("lille")
    page.locator("#territoires").get_by_role("button", name="Chercher").click()
    first = page.locator("#territoires .candidates").get_by_role("button", name="Ajouter").first
    expect(first).to_be_focused()
    first.click()

    expect(page.locator("#territoires .chosen")).to_contain_text("Lille (59)")
    assert page.evaluate("window.pageKept === true")
    assert focused_inside(page, "#territoires")
    top = page.evaluate("document.getElementById('territoires').getBoundingClientRect().top")
    assert top < page.viewport_size["height"]  # the section is in view, not the page's top
    expect(page.locator("#editor-announce")).to_contain_text("Territoire ajouté")


def test_a_failed_save_takes_focus_to_the_error_summary(page, site):
    open_new_case(page, site)
    page.get_by_role("button", name="Enregistrer le brouillon").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Il y a 2 erreurs à corriger")
    summary.get_by_role("link", name="Résumé").click()
    expect(page.get_by_label("Résumé")).to_be_focused()


def test_a_counter_counts_as_one_types(page, site):
    open_new_case(page, site)
    counter = page.locator('[data-counter-for="id_case-summary"] .counter-text')
    expect(counter).to_have_text("0 / 600 caractères")
    page.get_by_label("Résumé").fill("Un garage solidaire.")
    expect(counter).to_have_text("20 / 600 caractères")
    page.get_by_label("Résumé").fill("x" * 590)
    expect(page.locator('[data-counter-for="id_case-summary"] .counter-live')).to_have_text(
        "Caractères restants\u00a0: 10"
    )
