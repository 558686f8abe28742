"""The search documents stay true to the cases whatever writes them: the editor
and the admin (through `refresh_case_index`), the demo writer, the geography
loader, a relabelled term, `rebuild_search_index` and migration 0015."""

import importlib
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from demo.generator import clear_demo, seed_demo
from registry.models import Case, SearchWord, Term
from registry.models.index import WORD_INDEX, count_words, refresh_case_index, uses_word_index
from territories.models import Territory
from tests.factories import CaseFactory, term, territory

pytestmark = pytest.mark.django_db


def quiet(message):
    pass


def found(client, query, language=""):
    response = client.get(f"{language}/experiences/", {"q": query})
    assert response.status_code == 200
    return {case.title for case in response.context["page"].object_list}


def lexicon():
    return dict(SearchWord.objects.values_list("word", "cases"))


def word_index():
    if not uses_word_index():
        return []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid, title, stems, words FROM {WORD_INDEX} ORDER BY rowid")
        return cursor.fetchall()


def documents():
    columns = ["search_names", "search_text"]
    if connection.vendor == "postgresql":
        columns.append("search_vector")
    return list(Case.objects.order_by("pk").values_list("pk", *columns)), word_index()


def test_the_lexicon_counts_the_cases_of_each_word_as_they_change():
    first = CaseFactory(summary="Un xylophone au conservatoire.")
    CaseFactory(summary="Deux xylophones et un xylophone.")
    assert lexicon()["xylophone"] == 2 and lexicon()["xylophones"] == 1
    first.refresh_from_db()  # as the editor reads it
    first.summary = "Une harpe au conservatoire."
    first.save()
    refresh_case_index([first.pk])
    words = lexicon()
    assert words["xylophone"] == 1 and words["harpe"] == 1
    assert words == dict(count_words(Case.objects.values_list("search_text", flat=True)))


def test_a_relabelled_term_is_searched_by_its_new_label(moderator_client, client):
    case = CaseFactory(title="Médiation de nuit", tags=[term("theme", "securite")])
    theme = Term.objects.of("theme").get(code="securite")
    response = moderator_client.post(
        reverse("admin:registry_term_change", args=[theme.pk]),
        {
            "label_fr": "Tranquillité publique",
            "label_en": "Public peace",
            "description_fr": theme.description_fr,
            "description_en": theme.description_en,
            "basis": theme.basis,
            "is_active": "on",
            "position": theme.position,
        },
        follow=True,
    )
    assert "1 expérience réindexée sous le nouveau libellé." in response.content.decode()
    assert found(client, "tranquillité") == {case.title}
    assert found(client, "peace", language="/en") == {case.title}
    assert found(client, "prévention") == set()


def test_the_geography_loader_brings_the_documents_up_to_date(client):
    case = CaseFactory(title="Médiation de nuit", places=[territory("commune", "31555")])
    region = Territory.objects.get(kind="region", code="76")
    region.name = "Languedoc-Roussillon-Midi-Pyrénées"
    region.save()
    refresh_case_index([case.pk])
    assert found(client, "Occitanie") == set()
    call_command("load_territories", verbosity=0)
    assert found(client, "Occitanie") == {case.title}
    assert found(client, "Roussillon") == set()


def test_rebuilding_the_index_changes_nothing_it_built_and_tells_its_progress():
    CaseFactory(summary="Un tiers-lieu.", places=[territory("commune", "59350")])
    CaseFactory(tags=[term("theme", "mobilite"), term("practice", "copilotage")])
    before, words = documents(), lexicon()
    out = StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert "2/2 cases…" in out.getvalue() and "2 cases indexed" in out.getvalue()
    assert documents() == before and lexicon() == words
    call_command("rebuild_search_index", verbosity=0)
    assert documents() == before and lexicon() == words


def test_the_demo_writer_builds_the_documents_the_index_would_build():
    seed_demo(cases=40, seed=5, progress=quiet)
    before, words = documents(), lexicon()
    assert words and all(text for _pk, _names, text, *_rest in before[0])
    call_command("rebuild_search_index", verbosity=0)
    assert documents() == before and lexicon() == words
    clear_demo(progress=quiet)
    assert lexicon() == {} and word_index() == []


def test_the_migration_builds_what_the_index_builds():
    """Migration 0015 rebuilds existing documents with a frozen copy of the code:
    today, it must agree with `registry.models.index`."""
    CaseFactory(summary="Une cité éducative.", places=[territory("commune", "31555")])
    CaseFactory(tags=[term("theme", "securite"), term("practice", "copilotage")])
    before, words = documents(), lexicon()
    migration = importlib.import_module("registry.migrations.0013_search_lexicon")
    if uses_word_index():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {WORD_INDEX}")
    Case.objects.update(search_names="", search_text="")
    # The data step reads only the editor's connection.
    migration.rebuild(apps, SimpleNamespace(connection=connection))
    assert documents() == before and lexicon() == words
