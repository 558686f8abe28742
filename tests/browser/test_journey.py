"""The whole journey of issue 13 in one Chromium run, as the people who live it
see it: a new contributor signs up with the e-mailed link and documents
« Plateforme de mobilité solidaire du Pays de Redon » with three partners (one
created with its seat, one found by search, one created after the warning that
a similar organisation exists); a failed save shows the error summary; the
draft survives a reload; a moderator takes the submission (« Je m'en occupe »)
and asks for changes; the contributor answers in the case's thread and
resubmits; the review shows only what changed since the version sent back; it
is published and found by search; a revision by its owner, with its edit
summary, is reviewed by its diff and published; two versions are compared and
an older one restored with a reason; the reminder e-mail's link confirms the
case without a password; a visitor's report is resolved with an outcome and a
note; a spam account is blocked; the two look-alike organisations are merged
from the list of likely duplicates, after its preview.

E-mails are read where the site's console backend prints them: the server's
log, and the output of `send_freshness_reminders`. Their links carry
SITE_URL's host, not the test server's: only their path is followed."""

import re
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Account, log_in

pytestmark = pytest.mark.browser

TITLE = "Plateforme de mobilité solidaire du Pays de Redon"
SUMMARY = (
    "Une plateforme réunit l'agglomération, une association et le département pour "
    "proposer des trajets solidaires aux habitants sans voiture du Pays de Redon."
)
RESULTS_FIRST = "Trente trajets par mois."
RESULTS_RESUBMITTED = "1 200 trajets solidaires la première année, 85 chauffeurs bénévoles."
LESSONS_REVISED = "Un numéro unique d'appel a doublé le nombre de trajets demandés."
EDIT_SUMMARY = "Ajout de ce que le numéro unique a appris."
REPLY = "Les chiffres arrivent : le bilan annuel est en cours de relecture."
CREATED = "Covoit'Redon"
LOOKALIKE = "Covoit Redon"
FOUND = "Département de l'Ille-et-Vilaine"

STAFF_INBOX = r"contact@alliances\.example|mona\.moderatrice@example\.org"
SPAM_TITLE = "Casino en ligne bonus 500 € à Redon"
SPAMMER = Account("bonus.casino@example.org", "un-spam-tres-insistant")
CREATE_SPAM = """
from accounts.models import User
from registry.models import Case
spammer = User.objects.create_user(username={email!r}, email={email!r}, password={password!r})
model = Case.objects.published().order_by("pk").first()
case = Case.objects.create_draft(owner=spammer, snapshot={{**model.snapshot(), "title": {title!r}}})
case.submit(by=spammer)
"""
PUSH_BACK_VERIFICATION = """
from datetime import timedelta
from django.utils import timezone
from registry.models import Case
year_ago = timezone.now() - timedelta(days=400)
Case.objects.filter(title={title!r}).update(last_verified_on=year_ago.date(), published_at=year_ago)
"""


def mail_in_log(site, address, pattern, *, after=0, timeout=10):
    """The first match of `pattern` in an e-mail to `address` (a regular
    expression) printed in the server's log after its character `after`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = site.log_path.read_text(errors="replace")[after:]
        # The console backend ends each message with a line of 79 dashes.
        for message in log.split("-" * 79):
            if re.search(rf"^To: .*({address})", message, re.MULTILINE):
                found = re.search(pattern, message)
                if found:
                    return found
        time.sleep(0.2)
    raise AssertionError(f"No e-mail to {address} matching {pattern!r} in the server log")


def log_size(site):
    return len(site.log_path.read_text(errors="replace"))


def path_of(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def log_out(page):
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()


def announce(page):
    return page.locator("#editor-announce")


def sign_up(page, site, account):
    page.goto("/")
    page.get_by_role("link", name="Créer un compte").click()
    page.get_by_label("Adresse e-mail").fill(account.email)
    page.get_by_label("Nom affiché").fill("Gaëlle Redonnaise")
    page.get_by_label(re.compile(r"^Mot de passe")).fill(account.password)
    page.get_by_label("Confirmation du mot de passe").fill(account.password)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("h1")).to_have_text("Vérifiez votre messagerie")
    link = mail_in_log(site, re.escape(account.email), r"https?://\S+/compte/confirmer/\S+/")
    page.goto(path_of(link.group(0)))
    expect(page.locator("h1")).to_have_text("Mes expériences")


def write_the_case(page):
    """The editor from a blank page to a complete draft, its three partners
    included; what the contributor sees at each step."""
    page.get_by_role("link", name="Documenter une nouvelle expérience").click()
    expect(page.locator("h1")).to_have_text("Documenter une nouvelle expérience")
    # No error before anything was tried.
    expect(page.locator(".field-error")).to_have_count(0)
    expect(page.locator("[aria-invalid=true]")).to_have_count(0)

    # A save without a title: the summary takes focus and leads to the field.
    page.locator("#id_case-summary").fill(SUMMARY)
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Il y a 1 erreur à corriger")
    expect(page.locator(".completeness")).to_contain_text("un titre")
    expect(page.locator("#id_case-summary")).to_have_value(SUMMARY)  # nothing lost
    summary.get_by_role("link", name=re.compile("^Titre")).click()
    title = page.locator("#id_case-title")
    expect(title).to_be_focused()
    title.fill(TITLE)

    # The territory, found by its postal code.
    page.get_by_label("Ajouter un territoire").fill("35600")
    page.get_by_label("Ajouter un territoire").press("Enter")
    first = page.locator("#territory-candidate-1")
    expect(first).to_be_focused()
    territories = page.locator("#territoires .candidates li")
    expect(territories.filter(has_text="Redon (35)").first).to_be_visible()
    territories.filter(has_text="Redon (35)").first.get_by_role("button", name="Ajouter").click()
    expect(page.locator("#territoires .chosen")).to_contain_text("Redon")
    expect(announce(page)).to_contain_text("Territoire ajouté")

    search = page.get_by_label("Chercher une organisation")
    new_panel = page.locator("#nouvelle-organisation")
    roster = page.locator("#partenaires tbody tr")

    # 1. Not found: the panel opens with the name searched for, the seat asked.
    search.fill(CREATED)
    search.press("Enter")
    expect(page.locator("#partenaires .candidates")).to_contain_text("Aucune organisation trouvée")
    expect(new_panel).to_have_attribute("open", "")
    expect(page.get_by_label("Nom de la nouvelle organisation")).to_have_value(CREATED)
    expect(new_panel.locator(".field-error")).to_have_count(0)  # no error before « Créer »
    page.get_by_label("Type d'acteur").select_option(label="Association")
    page.get_by_label("Commune du siège").fill("Redon")
    page.get_by_role("button", name="Créer et ajouter").click()
    expect(roster).to_have_count(1)
    expect(roster.first).to_contain_text(CREATED)
    expect(page.locator("#id_roster-0-role")).to_be_focused()

    # 2. Found by search.
    search.fill("Ille-et-Vilaine")
    search.press("Enter")
    candidate = page.locator("#partenaires .candidates li").filter(has_text=FOUND)
    expect(candidate).to_be_visible()
    candidate.get_by_role("button", name="Ajouter").click()
    expect(roster).to_have_count(2)
    expect(roster.nth(1)).to_contain_text(FOUND)
    page.locator("#id_roster-1-role").select_option(label="Financeur / mécène")

    # 3. A look-alike of the first: warned, then confirmed as another one.
    # The contributor's own new organisation is found before publication.
    search.fill(LOOKALIKE)
    search.press("Enter")
    expect(page.locator("#partenaires .candidates")).to_contain_text(CREATED)
    expect(new_panel).not_to_have_attribute("open", "")
    new_panel.locator("summary").click()
    page.get_by_label("Nom de la nouvelle organisation").fill(LOOKALIKE)
    page.get_by_label("Type d'acteur").select_option(label="Structure de l'ESS")
    page.get_by_label("Commune du siège").fill("Redon")
    page.get_by_role("button", name="Créer et ajouter").click()
    candidates = page.locator("#partenaires .candidates")
    expect(candidates).to_contain_text("Des organisations proches existent déjà")
    expect(candidates).to_contain_text(CREATED)
    expect(candidates).to_contain_text("Redon")  # the candidate's seat
    expect(roster).to_have_count(2)  # not created yet
    confirm = page.get_by_label("Je confirme qu'il s'agit d'une autre organisation")
    expect(confirm).to_be_visible()
    confirm.check()
    page.get_by_role("button", name="Créer et ajouter").click()
    expect(roster).to_have_count(3)
    expect(roster.nth(2)).to_contain_text(LOOKALIKE)
    page.locator("#id_roster-2-role").select_option(label="Partenaire opérationnel")

    page.get_by_label("Mobilité", exact=True).check()
    page.get_by_label("Résultats").fill(RESULTS_FIRST)
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator(".message-success")).to_contain_text("Brouillon enregistré")
    expect(page.locator(".completeness")).to_contain_text("La fiche peut être soumise")

    # The draft is kept: a reload shows what was written.
    page.reload()
    expect(page.locator("#id_case-title")).to_have_value(TITLE)
    expect(page.locator("#id_case-summary")).to_have_value(SUMMARY)
    expect(page.locator("#territoires .chosen")).to_contain_text("Redon")
    expect(roster).to_have_count(3)


def decide(page, decision, *, reason=None, message=None):
    page.get_by_label(decision, exact=True).check()
    if reason:
        page.get_by_label("Motif").select_option(reason)
    if message:
        page.get_by_label("Message au contributeur").fill(message)
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.locator(".message-success")).to_contain_text("Décision enregistrée")


def review(page, title=TITLE):
    page.goto("/moderation/")
    page.get_by_role("link", name=title, exact=True).first.click()
    expect(page.locator("h1")).to_contain_text(title)


def test_the_whole_journey_of_a_contributor_and_the_moderators(page, site):
    contributor = Account(f"gaelle.{int(time.time())}@example.org", "redon-en-covoiturage")
    moderator = site.moderator

    # Sign-up, the case written, its errors, its draft, submitted.
    sign_up(page, site, contributor)
    write_the_case(page)
    case_path = urlsplit(page.url).path
    page.get_by_role("button", name="Enregistrer et soumettre").click()
    expect(page.locator(".message-success")).to_contain_text("soumise")
    log_out(page)

    # The moderator asks for changes with a message.
    log_in(page, moderator)
    review(page)
    expect(page.locator("#changes-title")).to_have_text("Nouvelle expérience : fiche complète")
    # The two organisations the contributor created are flagged, with their seat.
    partners = page.locator(".review-partners tbody tr")
    expect(partners).to_have_count(3)
    expect(partners.filter(has=page.locator(".badge-new"))).to_have_count(2)
    expect(partners.filter(has_text=CREATED)).to_contain_text("Redon (35)")
    # « Je m'en occupe »: the submission is this moderator's now.
    page.get_by_role("button", name="Je m'en occupe").click()
    expect(page.locator(".assignment")).to_contain_text("Prise en charge par")
    expect(page.get_by_role("button", name="Je m'en occupe")).to_have_count(0)
    decide(
        page,
        "Demander des modifications",
        reason="unclear",
        message="Chiffrez les résultats : combien de trajets ?",
    )
    log_out(page)

    # The contributor reads it, fixes the results and resubmits.
    log_in(page, contributor)
    expect(page.locator("main")).to_contain_text("Chiffrez les résultats")
    page.goto(case_path)
    thread = page.locator("#fil")
    expect(thread).to_contain_text("Chiffrez les résultats")
    # The contributor answers in the case's thread before changing anything.
    thread.get_by_label("Votre message").fill(REPLY)
    thread.get_by_role("button", name="Envoyer à l'équipe de modération").click()
    expect(page.locator(".message-success")).to_contain_text("Message envoyé")
    expect(page.locator("#fil .thread-list li")).to_have_count(2)
    expect(page.locator("#fil")).to_contain_text(REPLY)
    page.get_by_label("Résultats").fill(RESULTS_RESUBMITTED)
    page.get_by_role("button", name="Enregistrer et soumettre").click()
    expect(page.locator(".message-success")).to_contain_text("soumise")
    log_out(page)

    # The review shows only what changed since the version sent back; publish.
    log_in(page, moderator)
    review(page)
    expect(page.locator("#changes-title")).to_have_text(
        "Modifications depuis la version renvoyée au contributeur"
    )
    expect(page.locator("main")).to_contain_text("Soumise à nouveau")
    expect(page.locator("#fil")).to_contain_text(REPLY)  # the reply, read by the moderator
    diff = page.locator(".diff")
    expect(diff.locator("dt")).to_have_text(["Résultats"])
    expect(diff).to_contain_text("1 200 trajets")
    decide(page, "Publier")
    log_out(page)

    # A visitor finds it by search.
    page.goto("/experiences/?q=mobilite+solidaire+redon")
    page.get_by_role("link", name=TITLE).first.click()
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("main")).to_contain_text("1 200 trajets")
    public_path = urlsplit(page.url).path

    # The owner proposes a revision; the published case stays as it was.
    log_in(page, contributor)
    page.goto(public_path)
    page.get_by_role("link", name="Proposer une mise à jour").click()
    expect(page.locator(".preview-banner")).to_contain_text("Cette expérience est publiée")
    page.get_by_label("Enseignements").fill(LESSONS_REVISED)
    page.get_by_label("Résumé de vos modifications").fill(EDIT_SUMMARY)
    page.get_by_role("button", name="Enregistrer et envoyer à la modération").click()
    expect(page.locator(".message-success")).to_be_visible()
    page.goto(public_path)
    expect(page.locator("main")).not_to_contain_text(LESSONS_REVISED)
    log_out(page)

    # The moderator reviews the revision by its diff and publishes it.
    log_in(page, moderator)
    review(page)
    expect(page.locator("#changes-title")).to_have_text(
        "Modifications proposées par rapport à la version publiée"
    )
    expect(page.locator(".diff dt")).to_have_text(["Enseignements"])
    expect(page.locator(".edit-summary")).to_contain_text(EDIT_SUMMARY)
    expect(page.locator(".diff")).to_contain_text(LESSONS_REVISED)
    decide(page, "Publier")
    page.goto(public_path)
    expect(page.locator("main")).to_contain_text(LESSONS_REVISED)

    # Restore the version published before the revision: a reason, a confirmation.
    page.get_by_role("link", name="Historique").first.click()
    expect(page.locator("h1")).to_have_text(f"Historique de « {TITLE} »")
    # Any two versions compared: the first two submissions differ by their results.
    page.get_by_label("Comparer la version").select_option("1")
    page.get_by_label("avec la version").select_option("2")
    page.get_by_role("button", name="Comparer", exact=True).click()
    comparison = page.locator("section", has=page.locator("#compare-title"))
    expect(comparison.locator("h3")).to_have_text("De la version 1 à la version 2")
    expect(comparison.locator(".diff dt")).to_have_text(["Résultats"])
    published = page.locator("section.aside-box").filter(
        has=page.get_by_role("heading", name=re.compile(r"^Version \d+ — publication"))
    )
    expect(published).to_have_count(2)  # the first publication, then the revision's
    older = published.nth(1)
    older.get_by_role("link", name=re.compile("^Restaurer la version")).click()
    expect(page.locator("h1")).to_contain_text("Restaurer la version")
    expect(page.locator("#changes-title")).to_have_text("Ce que la restauration change")
    expect(page.locator(".diff")).to_contain_text("Enseignements")
    restore = page.get_by_role("button", name=re.compile("^Restaurer la version"))
    restore.click()  # no reason: refused, nothing restored
    expect(page.locator(".field-error")).to_contain_text("Dites pourquoi")
    page.get_by_label("Pourquoi restaurer cette version").fill(
        "Le numéro unique n'existe plus : retour au texte précédent."
    )
    before_restore = log_size(site)
    page.get_by_role("button", name=re.compile("^Restaurer la version")).click()
    expect(page.locator(".message-success")).to_contain_text("restaurée")
    expect(page.locator("main")).to_contain_text("Le numéro unique n'existe plus")  # the log
    mail_in_log(
        site, re.escape(contributor.email), "numéro unique n'existe plus", after=before_restore
    )
    page.goto(public_path)
    expect(page.locator("main")).not_to_contain_text(LESSONS_REVISED)
    expect(page.locator("main")).to_contain_text("1 200 trajets")
    log_out(page)

    # A year without confirmation: the reminder's link confirms it, no password asked.
    site.manage("shell", "-c", PUSH_BACK_VERIFICATION.format(title=TITLE))
    output = site.manage("send_freshness_reminders").stdout
    mails = [mail for mail in output.split("-" * 79) if f"To: {contributor.email}" in mail]
    assert len(mails) == 1, output[-3000:]
    assert re.search(rf"«\s{re.escape(TITLE)}\s»", mails[0]), mails[0]
    link = re.search(r"Toujours exacte, sans mot de passe\s:\s(\S+)", mails[0]).group(1)
    page.goto(path_of(link))
    expect(page.locator("h1")).to_have_text("Votre expérience est-elle toujours exacte\u00a0?")
    expect(page.locator("main")).to_contain_text(TITLE)
    page.get_by_role("button", name="Toujours exacte").click()
    expect(page.locator("h1")).to_have_text("Merci\u00a0!")
    expect(page.locator("[role=status]")).to_contain_text("confirmée comme toujours exacte")
    # Sent once: a second run has nothing to remind.
    again = site.manage("send_freshness_reminders").stdout
    assert contributor.email not in again

    # A visitor reports it; the moderator resolves the report with an outcome and a note.
    page.goto(public_path)
    page.get_by_role("link", name="Signaler une erreur ou un contenu indésirable").click()
    expect(page.get_by_role("radio", checked=True)).to_have_count(0)  # no choice made for you
    page.get_by_label("Informations dépassées").check()
    page.get_by_label("Précisions").fill("Le site web de l'association a changé d'adresse.")
    page.get_by_label("E-mail pour vous répondre").fill("lecteur.attentif@example.org")
    before_report = log_size(site)
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.locator(".message-success")).to_contain_text("votre signalement est transmis")
    # Staff hear of it: the « Modérateurs » group, else the contact address.
    mail_in_log(site, STAFF_INBOX, r"Motif\s:\sInformations dépassées", after=before_report)

    log_in(page, moderator)
    page.goto("/moderation/signalements/")
    report = page.locator(".contact-messages li").filter(has_text=TITLE)
    expect(report).to_contain_text("lecteur.attentif@example.org")
    report.get_by_role("link", name=re.compile("^Traiter")).click()
    page.get_by_role("button", name="Marquer comme traité").click()  # no outcome: refused
    expect(page.locator(".errors")).to_contain_text("Choisissez la suite donnée")
    page.get_by_label("Contenu corrigé").check()
    page.get_by_label("Note").fill("Adresse du site web corrigée avec le contributeur.")
    page.get_by_label("Prévenir le déclarant par e-mail").check()
    before_resolve = log_size(site)
    page.get_by_role("button", name="Marquer comme traité").click()
    mail_in_log(
        site,
        r"lecteur\.attentif@example\.org",
        "Adresse du site web corrigée",
        after=before_resolve,
    )
    page.goto("/moderation/signalements/?statut=traites")
    resolved = page.locator(".contact-messages li").filter(has_text=TITLE)
    expect(resolved).to_contain_text("Suite donnée\u00a0: Contenu corrigé")
    expect(resolved).to_contain_text("Adresse du site web corrigée")

    # A spam submission: refused after confirmation, its account blocked.
    site.manage(
        "shell",
        "-c",
        CREATE_SPAM.format(email=SPAMMER.email, password=SPAMMER.password, title=SPAM_TITLE),
    )
    page.goto("/moderation/")
    page.get_by_label(f"Sélectionner « {SPAM_TITLE} »").check()
    page.get_by_role("button", name="Refuser la sélection comme spam").click()
    expect(page.locator("h1")).to_have_text("Refuser 1 soumission comme spam")
    expect(page.locator("main")).to_contain_text(SPAMMER.email)
    page.get_by_label("Bloquer aussi le compte de leur auteur").check()
    page.get_by_role("button", name="Refuser comme spam").click()
    expect(page.locator(".message-success")).to_be_visible()
    expect(page.get_by_role("link", name=SPAM_TITLE)).to_have_count(0)
    log_out(page)
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(SPAMMER.email)
    page.get_by_label("Mot de passe").fill(SPAMMER.password)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    expect(page.locator(".errors, .message-error").first).to_be_visible()
    assert "/connexion/" in page.url

    # The two look-alike organisations, merged from the list of likely duplicates.
    log_in(page, moderator)
    page.goto("/moderation/")
    page.get_by_role("link", name="Fusionner des organisations").click()
    page.get_by_label("Chercher une organisation").fill("Covoit")
    page.get_by_label("Chercher une organisation").press("Enter")
    pair = page.locator(".merge-pairs > li").filter(has_text=CREATED).filter(has_text=LOOKALIKE)
    expect(pair).to_have_count(1)
    pair.get_by_role("link", name=re.compile("^Fusionner")).click()
    expect(page.locator("h1")).to_have_text("Aperçu de la fusion")
    expect(page.locator("main")).to_contain_text("disparaîtra")
    expect(page.locator("#moves-caption")).to_have_text("Partenariats du doublon")
    expect(page.locator("main table")).to_contain_text(TITLE)
    page.locator("main form[method=post]").get_by_role("button").click()
    expect(page.locator(".message-success")).to_be_visible()
    page.goto(public_path)
    partners = page.locator("main").get_by_role("link", name=re.compile("^Covoit"))
    expect(partners).to_have_count(1)
