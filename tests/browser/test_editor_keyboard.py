"""The editor with the keyboard alone (Tab, Shift+Tab, Enter, Space; no mouse),
and an axe audit (WCAG 2.1 AA) of every state of the editor and of every
moderation page.

After each round-trip focus must land where issue 13 says: in the section acted
on (the territory search), on the new element (the first candidate, the new
partner's role), or on the error summary after a failed save."""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_audit, describe_violations
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

TITLE = "Covoiturage solidaire au clavier dans la métropole lilloise"
SUMMARY = "Des habitants proposent leurs trajets quotidiens aux salariés sans voiture."
MOST_TABS = 400  # the editor's many checkboxes included


def focused(page):
    return page.evaluate("() => document.activeElement && document.activeElement.id")


def tab_to(page, selector, *, key="Tab"):
    """Press Tab (or Shift+Tab) until the focused element matches `selector`;
    return how many presses it took."""
    for presses in range(1, MOST_TABS + 1):
        page.keyboard.press(key)
        if page.evaluate("(s) => !!document.activeElement?.matches(s)", selector):
            return presses
    raise AssertionError(f"{selector} never got focus with {key}; last: {focused(page)}")


def test_the_editor_works_with_the_keyboard_alone(page, site):
    log_in(page, site.contributor)
    page.goto("/contribuer/nouvelle/")
    page.evaluate("window.pageKept = true")  # gone if the page reloads

    # Title and summary; Shift+Tab goes back.
    tab_to(page, "#id_case-title")
    page.keyboard.type(TITLE)
    tab_to(page, "#id_case-summary")
    page.keyboard.type(SUMMARY)
    tab_to(page, "#id_case-title", key="Shift+Tab")
    expect(page.locator("#id_case-title")).to_have_value(TITLE)

    # A territory: Enter searches, the first candidate takes focus, Enter adds it
    # and focus stays in the section.
    tab_to(page, "#id_places-territory_query")
    page.keyboard.type("lille")
    page.keyboard.press("Enter")
    expect(page.locator("#territory-candidate-1")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#territoires .chosen li")).to_have_count(1)
    expect(page.locator("#territoires .chosen")).to_contain_text("Lille")
    expect(page.locator("#id_places-territory_query")).to_be_focused()  # ready for another
    expect(page.locator("#editor-announce")).to_contain_text("Territoire ajouté")

    # Two partners: Enter in the search searches (nothing saved, the query kept),
    # Enter on the first candidate adds it, and focus goes to the new row's role.
    for row, query in enumerate(["Ville de", "Association"]):
        tab_to(page, "#id_find-partner_query")
        page.keyboard.type(query)
        page.keyboard.press("Enter")
        expect(page.locator("#partner-candidate-1")).to_be_focused()
        expect(page.locator("#id_find-partner_query")).to_have_value(query)
        assert page.url.endswith("/contribuer/nouvelle/")
        expect(page.locator(".message-success")).to_have_count(0)
        page.keyboard.press("Enter")
        expect(page.locator("#partenaires tbody tr")).to_have_count(row + 1)
        expect(page.locator(f"#id_roster-{row}-role")).to_be_focused()
        expect(page.locator("#editor-announce")).to_contain_text("Partenaire ajouté")
    assert page.evaluate("window.pageKept === true")  # updated in place
    expect(page.locator("#id_case-title")).to_have_value(TITLE)

    # A theme, checked with Space.
    theme = page.get_by_label("Mobilité", exact=True)
    tab_to(page, f"#{theme.get_attribute('id')}")
    page.keyboard.press("Space")
    expect(theme).to_be_checked()

    # Save with Enter on the button.
    tab_to(page, "button[value=save]")
    page.keyboard.press("Enter")
    expect(page.locator(".message-success")).to_contain_text("Brouillon enregistré")
    assert re.search(r"/contribuer/\d+/$", page.url), page.url
    expect(page.locator(".completeness")).to_contain_text("La fiche peut être soumise")

    # A failed save (the title emptied, Enter in it): the error summary takes
    # focus; its link, followed with Enter, takes focus to the field.
    tab_to(page, "#id_case-title")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Backspace")
    page.keyboard.press("Enter")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Il y a 1 erreur à corriger")
    tab_to(page, "#error-summary a")
    page.keyboard.press("Enter")
    expect(page.locator("#id_case-title")).to_be_focused()
    page.keyboard.type(TITLE)
    page.keyboard.press("Enter")  # no search box holds anything: Enter saves
    expect(page.locator(".message-success")).to_contain_text("Brouillon enregistré")
    expect(page.locator("#id_case-title")).to_have_value(TITLE)


IDS = """
import json
from accounts.models import User
from registry.models import Action, Case, Organization, Report
published = Case.objects.published().order_by("pk").first()
if not published.versions.exists():  # the demo writes none; a restore page needs one
    published.record_version(Action.PUBLISH, by=None)
submitted = Case.objects.filter(status="submitted").order_by("pk").first()
owner = submitted.owner
report = Report.objects.create(
    case=published, reason="wrong", message="Le partenaire a changé de nom.",
    reporter_email="lecteur@example.org",
)
print(json.dumps({
    "published": published.pk,
    "version": published.versions.order_by("number").first().number,
    "submitted": submitted.pk,
    "owner": owner.pk,
    "report": report.pk,
    "organizations": list(Organization.objects.order_by("pk").values_list("slug", flat=True)[:2]),
}))
"""


@pytest.fixture(scope="module")
def ids(site):
    """Pages to audit from the demo data: a published case with a version, a
    submission and its owner, an open report."""
    return json.loads(site.manage("shell", "-c", IDS).stdout.strip().splitlines()[-1])


def audit(page, path, failures):
    response = page.goto(path)
    assert response.ok, f"{path} answered {response.status}"
    violations = axe_audit(page)
    if violations:
        failures.append(f"{path}\n{describe_violations(violations)}")


def test_every_state_of_the_editor_passes_an_axe_audit(page, site, ids):
    failures = []
    log_in(page, site.contributor)
    audit(page, "/contribuer/nouvelle/", failures)  # new
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator("#error-summary")).to_be_focused()
    failures += [f"with errors\n{describe_violations(v)}" for v in [axe_audit(page)] if v]
    page.get_by_label("Chercher une organisation").fill("Ville de")
    page.get_by_label("Chercher une organisation").press("Enter")
    page.locator("#partner-candidate-1").press("Enter")
    expect(page.locator("#partenaires tbody tr")).to_have_count(1)
    failures += [f"with a partner\n{describe_violations(v)}" for v in [axe_audit(page)] if v]
    page.locator("#nouvelle-organisation summary").click()
    page.get_by_role("button", name="Créer et ajouter").click()
    expect(page.locator("#nouvelle-organisation .field-error").first).to_be_visible()
    failures += [
        f"new organisation with errors\n{describe_violations(v)}" for v in [axe_audit(page)] if v
    ]
    page.get_by_role("button", name="Se déconnecter").click()
    log_in(page, site.moderator)
    audit(page, f"/contribuer/{ids['published']}/", failures)  # a published case's revision
    expect(page.locator(".preview-banner")).to_contain_text("Cette expérience est publiée")
    assert not failures, "\n\n".join(failures)


def test_every_moderation_page_passes_an_axe_audit(page, site, ids):
    log_in(page, site.moderator)
    failures = []
    pages = [
        "/moderation/",
        f"/moderation/{ids['submitted']}/",
        f"/moderation/{ids['published']}/",
        f"/contribuer/{ids['published']}/historique/",
        f"/contribuer/{ids['published']}/historique/{ids['version']}/restaurer/",
        "/moderation/signalements/",
        "/moderation/signalements/?statut=traites",
        f"/moderation/signalements/{ids['report']}/traite/",
        f"/moderation/spam/?case={ids['submitted']}",
        f"/moderation/comptes/{ids['owner']}/bloquer/",
        "/moderation/fusion/",
        "/moderation/fusion/?q=Garage",
        "/moderation/fraicheur/",
        "/moderation/messages/",
        f"/moderation/{ids['published']}/pionniere/",
    ]
    for path in pages:
        audit(page, path, failures)

    survivor, duplicate = ids["organizations"]
    audit(page, f"/moderation/fusion/apercu/?survivor={survivor}&duplicate={duplicate}", failures)
    expect(page.locator("h1")).to_have_text("Aperçu de la fusion")
    expect(page.locator("main form[method=post] button")).to_be_visible()

    # Forms sent back with their errors.
    page.goto(f"/contribuer/{ids['published']}/historique/{ids['version']}/restaurer/")
    page.get_by_role("button", name=re.compile("^Restaurer la version")).click()
    expect(page.locator(".field-error")).to_be_visible()
    failures += [f"restore, no reason\n{describe_violations(v)}" for v in [axe_audit(page)] if v]
    page.goto(f"/moderation/signalements/{ids['report']}/traite/")
    page.get_by_role("button", name="Marquer comme traité").click()
    expect(page.locator(".errors")).to_be_visible()
    failures += [f"resolve, no outcome\n{describe_violations(v)}" for v in [axe_audit(page)] if v]
    page.goto(f"/moderation/{ids['submitted']}/")
    page.get_by_label("Demander des modifications").check()
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.locator("aside .field-error").first).to_be_visible()
    failures += [f"review, no reason\n{describe_violations(v)}" for v in [axe_audit(page)] if v]
    assert not failures, "\n\n".join(failures)
