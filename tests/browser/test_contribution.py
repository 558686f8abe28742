"""The whole contribution flow in Chromium: sign up, confirm, write a case with two
partners, submit; a moderator asks for changes; the contributor fixes and
resubmits; the moderator publishes; a visitor finds the case by search."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_audit, describe_violations

pytestmark = pytest.mark.browser

TITLE = "Garage solidaire des Flandres pour la mobilité des apprentis"


def confirmation_link(site, email, timeout=10):
    """The link of the confirmation e-mail, read from the server's console output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = site.log_path.read_text(errors="replace")
        if email in log:
            links = re.findall(r"https?://\S+/compte/confirmer/\S+/", log.split(email, 1)[1])
            if links:
                return links[0]
        time.sleep(0.2)
    raise AssertionError("No confirmation e-mail in the server log")


def log_in(page, email, password):
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def log_out(page):
    page.get_by_role("button", name="Se déconnecter").click()


def test_a_case_goes_from_sign_up_to_publication(page, site, browser):
    email = f"lea.{int(time.time())}@example.org"
    password = "une-alliance-pour-les-flandres"

    # Sign up and confirm.
    page.goto("/")
    page.get_by_role("link", name="Créer un compte").click()
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Nom affiché").fill("Léa Contributrice")
    page.get_by_label(re.compile(r"^Mot de passe")).fill(password)
    page.get_by_label("Confirmation du mot de passe").fill(password)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("h1")).to_have_text("Vérifiez votre messagerie")
    page.goto(confirmation_link(site, email))
    expect(page.locator("h1")).to_have_text("Mes expériences")

    # Write the case: the short path, with two partners and a theme.
    page.get_by_role("link", name="Documenter une nouvelle expérience").click()
    page.get_by_label("Titre").fill(TITLE)
    page.get_by_label("Résumé").fill("Un garage associatif répare les voitures des apprentis.")
    page.get_by_label("Ajouter un territoire").fill("lille")
    page.locator("#territoires").get_by_role("button", name="Chercher").click()
    page.locator("#territoires .candidates").get_by_role("button", name="Ajouter").first.click()
    expect(page.locator("#territoires .chosen")).to_contain_text("Lille (59)")
    expect(page.get_by_label("Titre")).to_have_value(TITLE)
    for query in ("Ville de", "Association"):
        page.get_by_label("Chercher une organisation").fill(query)
        page.locator("#partenaires").get_by_role("button", name="Chercher").click()
        page.locator("#partenaires .candidates").get_by_role("button", name="Ajouter").first.click()
    expect(page.locator("#partenaires tbody tr")).to_have_count(2)
    page.get_by_label("Mobilité").check()
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator(".message-success")).to_contain_text("Brouillon enregistré")
    violations = axe_audit(page)
    assert violations == [], describe_violations(violations)
    page.get_by_role("button", name="Enregistrer et soumettre").click()
    expect(page.locator(".message-success")).to_contain_text("soumise")
    case_url = page.url
    log_out(page)

    # A visitor cannot see it yet.
    page.goto(case_url)
    expect(page.locator("h1")).not_to_have_text(TITLE)

    # The moderator asks for changes.
    log_in(page, site.moderator.email, site.moderator.password)
    page.get_by_role("link", name="Modération").click()
    page.get_by_role("link", name=TITLE).click()
    expect(page.locator(".diff")).to_contain_text(TITLE)
    page.get_by_label("Demander des modifications").check()
    page.get_by_label("Motif").select_option("unclear")
    page.get_by_label("Message au contributeur").fill("Précisez les résultats obtenus.")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.locator(".message-success")).to_contain_text("Décision enregistrée")
    log_out(page)

    # The contributor reads the message, fixes and resubmits.
    log_in(page, email, password)
    expect(page.locator("main")).to_contain_text("Précisez les résultats obtenus.")
    page.get_by_role("link", name=re.compile("^Modifier")).first.click()
    page.get_by_label("Résultats").fill("42 apprentis ont gardé leur contrat grâce au garage.")
    page.get_by_role("button", name="Enregistrer et soumettre").click()
    expect(page.locator(".message-success")).to_contain_text("soumise")
    log_out(page)

    # The moderator sees what changed and publishes.
    log_in(page, site.moderator.email, site.moderator.password)
    page.goto("/moderation/")
    page.get_by_role("link", name=TITLE).click()
    expect(page.locator(".diff")).to_contain_text("42 apprentis")
    page.get_by_label("Publier").check()
    page.get_by_role("button", name="Enregistrer la décision").click()
    log_out(page)

    # A visitor finds it by search, without accents.
    page.goto("/experiences/?q=garage+solidaire+flandres")
    page.get_by_role("link", name=TITLE).click()
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("main")).to_contain_text("42 apprentis")
