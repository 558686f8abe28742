"""French first, with a complete English translation."""

import os
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

PO = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_every_french_string_has_an_english_translation():
    catalog = polib.pofile(str(PO))
    missing = [
        entry.msgid
        for entry in catalog
        if not entry.obsolete and (not entry.translated() or "fuzzy" in entry.flags)
    ]
    assert missing == []


@pytest.mark.skipif(
    shutil.which("xgettext") is None and os.environ.get("CI") != "true",
    reason="makemessages needs GNU gettext",
)
def test_the_catalogue_holds_every_string_of_the_code(monkeypatch):
    """makemessages finds no string to add to the catalogue (it updates the
    catalogue in place: the original is put back afterwards)."""
    original = PO.read_bytes()
    monkeypatch.chdir(PO.parents[3])
    try:
        call_command("makemessages", locale=["en"], no_location=True, verbosity=0)
        catalog = polib.pofile(str(PO))
    finally:
        PO.write_bytes(original)
    missing = [e.msgid for e in catalog if not e.obsolete and not e.translated()]
    assert missing == []


def test_the_compiled_catalogue_is_up_to_date():
    mo = PO.with_suffix(".mo")
    compiled = {entry.msgid: entry.msgstr for entry in polib.mofile(str(mo))}
    for entry in polib.pofile(str(PO)):
        if not entry.msgid_plural:
            assert compiled.get(entry.msgid) == entry.msgstr, entry.msgid


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url, french, english",
    [
        ("/", "Dernières expériences publiées", "Latest published cases"),
        ("/experiences/", "Rechercher une expérience", "Find a case"),
        ("/referentiel/", "Liste propre au registre.", "Registry's own list."),
        ("/territoires/", "Trouver un territoire", "Find a territory"),
        ("/compte/inscription/", "Créer mon compte", "Create my account"),
    ],
)
def test_pages_are_french_by_default_and_english_under_en(client, url, french, english):
    page = client.get(url).content.decode()
    assert french in page and '<html lang="fr">' in page
    page = client.get("/en" + url).content.decode()
    assert english in page and french not in page and '<html lang="en">' in page


@pytest.mark.django_db
def test_vocabulary_labels_follow_the_language(client):
    page = client.get("/en/experiences/").content.decode()
    assert "Jobs and work integration" in page
    assert "Emploi et insertion professionnelle" in client.get("/experiences/").content.decode()
