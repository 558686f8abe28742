"""The pages a French public-interest site carries — À propos, mentions légales,
données personnelles, accessibilité, contact, plan du site — linked from every
footer, and the error pages inside the site's layout."""

import html
from datetime import timedelta
from io import StringIO

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.core.management import call_command
from django.db import OperationalError
from django.template import loader
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone, translation

from config import urls as site_urls
from registry.models import ContactMessage, ContactStatus
from tests.factories import CaseFactory

NBSP = "\u00a0"

SITE_PAGES = ["about", "legal_notice", "privacy", "accessibility", "contact", "site_map"]
FRENCH_ADDRESSES = [
    "/a-propos/",
    "/mentions-legales/",
    "/donnees-personnelles/",
    "/accessibilite/",
    "/contact/",
    "/plan-du-site/",
]


def page_of(response):
    return response.content.decode()


def text_of(response):
    """The page with its entities decoded, to compare with what a reader sees."""
    return html.unescape(page_of(response))


def footer_of(page):
    return page[page.index('<footer class="site-footer">') :]


# --- Each page, in French and in English --------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, french, english",
    [
        (
            "about",
            [
                "Comment une expérience est vérifiée avant publication",
                "demander des modifications",
                "doublon d'une expérience existante",
                f"La «{NBSP}dernière vérification{NBSP}».",
                "Le 25 novembre 2016, Le RAMEAU",
                "des maires voient dans les alliances une source d'innovation",
                "PHARE-Institutions, 29 nov. 2016",
            ],
            [
                "How a case is checked before publication",
                "request changes",
                "duplicate of an existing case",
                "On 25 November 2016, Le RAMEAU",
                "PHARE-Institutions, 29 Nov. 2016",
            ],
        ),
        (
            "legal_notice",
            [
                "Directeur ou directrice de la publication",
                "Hébergeur",
                "Licence Ouverte / Open Licence 2.0",
                "AGPL-3.0-or-later",
                "IGN Admin Express 2018",
                "Code officiel géographique 2026",
            ],
            [
                "Director of publication",
                "Host",
                "Licence Ouverte / Open Licence 2.0",
                "AGPL-3.0-or-later",
                "IGN Admin Express 2018",
            ],
        ),
        (
            "privacy",
            [
                "<code>csrftoken</code>",
                "<code>sessionid</code>",
                "365 jours après sa réception",
                "empreinte SHA-256",
                "droit d'accès, de rectification",
                "CNIL, 3 place de Fontenoy",
            ],
            [
                "<code>csrftoken</code>",
                "365 days after it is received",
                "SHA-256 fingerprint",
                "right of access, rectification, erasure",
                "CNIL, 3 place de Fontenoy",
            ],
        ),
        (
            "accessibility",
            [
                "Déclaration d'accessibilité",
                "<strong>non conforme</strong> avec le RGAA",
                "version 4.1.2",
                "Aucun audit de conformité au RGAA n'a encore été réalisé",
                "Dérogations pour charge disproportionnée",
                "Cette déclaration a été établie le 1er décembre 2026.",
                "Libre réponse 71120, 75342 Paris CEDEX 07",
            ],
            [
                "Accessibility statement",
                "<strong>not compliant</strong> with the RGAA",
                "No RGAA compliance audit has been carried out yet",
                "This statement was drawn up on 1 December 2026.",
                "Libre réponse 71120, 75342 Paris CEDEX 07",
            ],
        ),
        (
            "contact",
            ["Écrire à l'équipe", "Votre adresse e-mail", "Mes données personnelles"],
            ["Write to the team", "Your e-mail address", "My personal data"],
        ),
        (
            "site_map",
            ["Plan du site", "Occitanie", "Emploi et insertion", "Comparer deux sélections"],
            ["Site map", "Occitanie", "Jobs and work integration", "Compare two selections"],
        ),
    ],
)
def test_each_site_page_speaks_french_and_english(client, name, french, english):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 200
    page = text_of(response)
    assert '<html lang="fr">' in page
    for text in french:
        assert text in page, text

    response = client.get("/en" + url)
    assert response.status_code == 200
    page = text_of(response)
    assert '<html lang="en">' in page
    for text in english:
        assert text in page, text


@pytest.mark.django_db
def test_the_site_pages_have_french_addresses_and_english_ones_under_en(client):
    with translation.override("fr"):
        assert [reverse(name) for name in SITE_PAGES] == FRENCH_ADDRESSES
    with translation.override("en"):
        assert [reverse(name) for name in SITE_PAGES] == ["/en" + a for a in FRENCH_ADDRESSES]
    for address in FRENCH_ADDRESSES:
        assert client.get("/en" + address).status_code == 200


@pytest.mark.django_db
def test_the_legal_notice_prints_the_publisher_and_host_from_the_settings(client, settings):
    settings.PUBLISHER_NAME = "Association Territoires Alliés"
    settings.PUBLISHER_ADDRESS = "12 rue des Partenaires, 59000 Lille"
    settings.PUBLISHER_PHONE = "03 20 00 00 00"
    settings.PUBLISHER_IDENTIFIER = "W595012345"
    settings.PUBLICATION_DIRECTOR = "Camille Martin"
    settings.HOST_NAME = "Hébergeur Coopératif SCIC"
    settings.HOST_ADDRESS = "1 quai du Serveur, 69000 Lyon"
    settings.HOST_PHONE = "04 72 00 00 00"
    settings.CONTACT_EMAIL = "contact@territoires-allies.example"

    page = page_of(client.get(reverse("legal_notice")))

    for value in [
        "Association Territoires Alliés",
        "12 rue des Partenaires, 59000 Lille",
        "03 20 00 00 00",
        "W595012345",
        "Camille Martin",
        "Hébergeur Coopératif SCIC",
        "1 quai du Serveur, 69000 Lyon",
        "04 72 00 00 00",
        'href="mailto:contact@territoires-allies.example"',
    ]:
        assert value in page, value
    assert "à renseigner" not in page
    about = page_of(client.get(reverse("about")))
    assert "Le registre est publié par Association Territoires Alliés." in about
    assert "Direction de la publication\u00a0: Camille Martin." in about


@pytest.mark.django_db
def test_unset_legal_details_say_they_are_to_be_provided(client, settings):
    for name in ["PUBLISHER_NAME", "PUBLISHER_ADDRESS", "PUBLICATION_DIRECTOR", "HOST_NAME"]:
        setattr(settings, name, "")

    french = page_of(client.get(reverse("legal_notice")))
    english = page_of(client.get("/en" + reverse("legal_notice")))

    assert french.count('<span class="to-fill">à renseigner</span>') >= 4
    assert english.count('<span class="to-fill">to be provided</span>') >= 4
    assert "Publisher of the registry: to be provided." in footer_of(english)


def test_production_without_the_legal_details_warns_at_start_up(settings):
    settings.DEBUG = False
    settings.TESTING = False
    settings.PUBLISHER_NAME = ""
    settings.HOST_NAME = ""
    output = StringIO()

    call_command("check", stdout=output, stderr=output)

    assert "registry.W001" in output.getvalue()
    assert "PUBLISHER_NAME" in output.getvalue() and "HOST_NAME" in output.getvalue()


# --- The footer of every page ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["", "/en"])
def test_every_page_footer_links_to_the_site_pages(client, moderator, language, settings):
    settings.PUBLISHER_NAME = "Association Territoires Alliés"
    case = CaseFactory()
    addresses = [
        "/",
        "/experiences/",
        case.get_absolute_url(),
        "/territoires/",
        "/referentiel/",
        "/observatoire/",
        "/donnees/",
        "/compte/connexion/",
        "/experiences/nexiste-pas/",
        *FRENCH_ADDRESSES,
    ]
    for address in addresses:
        page = page_of(client.get(language + address))
        footer = footer_of(page)
        for page in FRENCH_ADDRESSES:
            assert f'href="{language}{page}"' in footer, (address, page)
        assert "Association Territoires Alliés" in footer
    client.force_login(moderator)
    footer = footer_of(page_of(client.get(language + "/moderation/")))
    assert f'href="{language}/contact/"' in footer


@pytest.mark.django_db
def test_the_footer_says_du_rameau_and_states_the_accessibility_status(client):
    french = footer_of(page_of(client.get("/")))
    english = footer_of(page_of(client.get("/en/")))

    assert f"«{NBSP}co-construction territoriale{NBSP}» du RAMEAU (2016)" in french
    assert "de Le RAMEAU" not in french
    assert f"Accessibilité{NBSP}: non conforme" in french
    assert "Le RAMEAU's référentiel" in english
    assert "Accessibility: not compliant" in english


@pytest.mark.django_db
def test_the_static_sitemap_lists_the_site_pages_in_both_languages(client):
    xml = client.get("/sitemap-pages.xml").content.decode()
    for address in FRENCH_ADDRESSES:
        assert f"{address}</loc>" in xml
        assert f"/en{address}</loc>" in xml


# --- The contact form ----------------------------------------------------------

MESSAGE = {
    "name": "Jeanne Dupont",
    "email": "jeanne.dupont@example.org",
    "subject": "question",
    "message": "Comment proposer l'alliance de notre communauté de communes ?",
}


@pytest.mark.django_db
def test_a_visitor_writes_to_the_staff_who_get_an_email(
    client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.CONTACT_EMAIL = "equipe@registre.example"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("contact"), MESSAGE)

    assert response.status_code == 302
    stored = ContactMessage.objects.get()
    assert (stored.email, stored.subject, stored.status) == (
        "jeanne.dupont@example.org",
        "question",
        ContactStatus.NEW,
    )
    assert stored.language == "fr" and stored.sender is None
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["equipe@registre.example"]
    assert email.reply_to == ["jeanne.dupont@example.org"]
    assert "Une question sur le registre" in email.subject
    assert "notre communauté de communes" in email.body
    assert "/moderation/messages/" in email.body
    thanks = text_of(client.get(response["Location"]))
    assert "votre message est transmis à l'équipe" in thanks


@pytest.mark.django_db
def test_a_signed_in_contributor_finds_their_address_filled_in(contributor_client, contributor):
    page = page_of(contributor_client.get(reverse("contact") + "?sujet=accessibility"))

    assert f'value="{contributor.email}"' in page
    assert '<option value="accessibility" selected>' in page


@pytest.mark.django_db
def test_the_contact_form_tells_what_is_wrong_in_the_visitors_language(client):
    french = client.post(reverse("contact"), {"email": "pas-une-adresse", "message": ""})
    english = client.post("/en" + reverse("contact"), {"email": "not-an-address"})

    assert french.status_code == 400 and english.status_code == 400
    assert "Saisissez une adresse e-mail valide." in page_of(french)
    assert "Ce champ est obligatoire." in page_of(french)
    assert "Enter a valid email address." in page_of(english)
    assert "This field is required." in page_of(english)
    assert not ContactMessage.objects.exists()


@pytest.mark.django_db
def test_the_honeypot_keeps_bots_out_of_the_staff_inbox(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("contact"), {**MESSAGE, "website_url": "http://spam.example"})

    assert response.status_code == 302
    assert not ContactMessage.objects.exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_the_contact_form_is_rate_limited(client):
    for _ in range(5):
        assert client.post(reverse("contact"), MESSAGE).status_code == 302

    response = client.post(reverse("contact"), MESSAGE)

    assert response.status_code == 429
    assert ContactMessage.objects.count() == 5


@pytest.mark.django_db
def test_old_contact_messages_are_deleted_as_the_privacy_page_says(db):
    old = ContactMessage.objects.create(**MESSAGE)
    ContactMessage.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=366)
    )
    recent = ContactMessage.objects.create(**MESSAGE)

    call_command("purge_contact_messages", stdout=StringIO())

    assert list(ContactMessage.objects.all()) == [recent]


# --- Contact messages in the moderation area --------------------------------------


@pytest.mark.django_db
def test_staff_read_contact_messages_and_mark_them_handled(moderator_client, moderator):
    message = ContactMessage.objects.create(
        **{**MESSAGE, "message": "Bonjour <script>alert(1)</script> l'équipe"}
    )

    queue = page_of(moderator_client.get(reverse("moderation_queue")))
    assert "1 message de contact à traiter" in queue
    listing = page_of(moderator_client.get(reverse("moderation_contact_messages")))
    assert "jeanne.dupont@example.org" in listing
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing
    assert "<script>alert(1)" not in listing

    response = moderator_client.post(reverse("contact_message_handle", args=[message.pk]))

    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == ContactStatus.HANDLED and message.handled_by == moderator
    listing = page_of(moderator_client.get(reverse("moderation_contact_messages")))
    assert "Aucun message en attente." in listing
    handled_url = reverse("moderation_contact_messages") + "?statut=traites"
    handled = page_of(moderator_client.get(handled_url))
    assert "jeanne.dupont@example.org" in handled and "Traité par" in handled


@pytest.mark.django_db
def test_contact_messages_are_for_staff_only(client, contributor_client):
    message = ContactMessage.objects.create(**MESSAGE)
    listing = reverse("moderation_contact_messages")
    handle = reverse("contact_message_handle", args=[message.pk])

    assert contributor_client.get(listing).status_code == 403
    assert contributor_client.post(handle).status_code == 403
    response = client.get(listing)
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    assert client.post(handle).status_code == 302
    message.refresh_from_db()
    assert message.status == ContactStatus.NEW


@pytest.mark.django_db
def test_moderators_find_contact_messages_in_the_admin(moderator_client, moderator):
    message = ContactMessage.objects.create(**MESSAGE)

    listing = moderator_client.get("/admin/registry/contactmessage/")
    assert listing.status_code == 200
    assert "jeanne.dupont@example.org" in page_of(listing)

    moderator_client.post(
        "/admin/registry/contactmessage/",
        {"action": "mark_handled", "_selected_action": [message.pk]},
    )
    message.refresh_from_db()
    assert message.status == ContactStatus.HANDLED and message.handled_by == moderator


# --- Error pages in the site's layout ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address, language, title, search",
    [
        ("/experiences/nexiste-pas/", "fr", "Cette page n'existe pas", "Rechercher une expérience"),
        ("/en/experiences/nexiste-pas/", "en", "This page does not exist", "Find a case"),
        ("/nulle-part/", "fr", "Cette page n'existe pas", "Rechercher une expérience"),
    ],
)
def test_a_missing_page_answers_404_in_the_language_asked_inside_the_layout(
    client, address, language, title, search
):
    response = client.get(address)

    assert response.status_code == 404
    page = page_of(response)
    assert f'<html lang="{language}">' in page
    assert title in page
    assert 'class="site-header"' in page and 'class="site-footer"' in page
    assert 'role="search"' in page and 'name="q"' in page and search in page
    assert "Not Found" not in page


@pytest.mark.django_db
def test_a_contributor_refused_a_staff_page_sees_a_403_page_of_the_site(contributor_client):
    response = contributor_client.get("/en/moderation/")

    assert response.status_code == 403
    page = page_of(response)
    assert "This page is not open to you" in page and 'class="site-footer"' in page


def server_error_view(request):
    raise RuntimeError("a defect of the site")


def database_down_view(request):
    raise OperationalError("could not connect to server: Connection refused")


# The site's own URLs, plus a page with a defect and one that fails as a view does
# when the database is down.
urlpatterns = [
    *i18n_patterns(
        path("panne/", server_error_view),
        path("base-indisponible/", database_down_view),
        prefix_default_language=False,
    ),
    *site_urls.urlpatterns,
]
handler500 = site_urls.handler500


@pytest.mark.parametrize(
    "address, language, status, title",
    [
        ("/panne/", "fr", 500, "Le registre a rencontré une erreur"),
        ("/en/panne/", "en", 500, "The registry ran into an error"),
        ("/base-indisponible/", "fr", 503, "Service momentanément indisponible"),
        ("/en/base-indisponible/", "en", 503, "Service temporarily unavailable"),
    ],
)
def test_the_error_pages_show_the_layout_while_the_database_is_down(
    settings, address, language, status, title
):
    # No `db` fixture: any query would raise, and the error page itself would fail.
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)

    response = client.get(address)

    assert response.status_code == status
    page = page_of(response)
    assert f'<html lang="{language}">' in page
    assert title in page
    assert 'class="site-header"' in page
    # A search is offered beside a defect, not while the database cannot answer one.
    assert ('role="search"' in page) == (status == 500)
    footer = footer_of(page)
    prefix = "/en" if language == "en" else ""
    for page in FRENCH_ADDRESSES:
        assert f'href="{prefix}{page}"' in footer


@pytest.mark.django_db
@pytest.mark.parametrize("template_name", ["500.html", "400.html", "403_csrf.html"])
def test_the_pages_rendered_without_a_request_run_no_query(
    django_assert_num_queries, template_name
):
    template = loader.get_template(template_name)
    with translation.override("fr"), django_assert_num_queries(0):
        page = template.render()
    assert 'class="site-footer"' in page and "Alliances territoriales" in page


@pytest.mark.django_db
def test_a_form_sent_without_its_csrf_token_gets_a_page_of_the_site(contributor):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("contact"), MESSAGE)

    assert response.status_code == 403
    assert "Le formulaire a expiré" in page_of(response)
    assert not ContactMessage.objects.exists()
