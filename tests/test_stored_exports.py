"""The export rows kept in the database (registry/models/export.py): a second
export streams them without reading the cases' related rows again, byte for
byte what the first wrote, and every write that changes what an export shows
makes the rows it touches stale at once, in every format and language."""

import csv
import io
import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.models import ExportedCase, Organization, Vocabulary
from registry.models.index import refresh_cases_tagged
from registry.models.taxonomy import load_vocabularies
from territories.loader import read_data
from tests.factories import CaseFactory, OrganizationFactory, term, territory
from tests.test_admin import resubmitted
from tests.test_case_page_cache import LILLE, lille_case
from tests.test_territories import write

pytestmark = pytest.mark.django_db

STAMP = re.compile(rb'"generated_at":"[^"]*"')
# The tables an export reads when it builds a case's rows; never when it has them.
RELATED = ("registry_case_terms", "registry_casepartner", "registry_casesource")


@pytest.fixture
def case(contributor):
    return lille_case(contributor)


def export(client, fmt, query=""):
    """The export's bytes, its time stamp (JSON, GeoJSON) set to one value."""
    response = client.get(f"/api/v1/exports/cases.{fmt}{query}")
    assert response.status_code == 200
    return STAMP.sub(b'"generated_at":"-"', b"".join(response.streaming_content))


def rows(client, query=""):
    text = export(client, "csv", query).decode("utf-8-sig")
    return {row["slug"]: row for row in csv.DictReader(io.StringIO(text))}


def the_row(client, case):
    return rows(client)[case.slug]


def tables_read(client, fmt):
    with CaptureQueriesContext(connection) as captured:
        export(client, fmt)
    return {table for table in RELATED for q in captured if f'"{table}"' in q["sql"]}


@pytest.mark.parametrize("fmt", ["csv", "json", "geojson"])
def test_a_second_export_streams_the_kept_rows_and_is_byte_for_byte_the_first(
    visitor, case, fmt
):
    CaseFactory(title="Une autre alliance", places=[territory("departement", "69")])
    first = export(visitor, fmt)
    assert tables_read(visitor, fmt) == set()

    assert export(visitor, fmt) == first
    assert ExportedCase.objects.count() == 2


def test_a_json_record_carries_its_texts_and_the_geojson_its_point(visitor, case):
    export(visitor, "csv")  # the rows kept by another format's export
    record = json.loads(export(visitor, "json"))["cases"][0]
    feature = json.loads(export(visitor, "geojson"))["features"][0]

    assert record["texts"]["description"] == case.description
    assert feature["geometry"]["coordinates"] == feature["properties"]["point"]["coordinates"]
    assert "texts" not in feature["properties"]


def test_each_language_keeps_its_own_rows(visitor, case):
    assert the_row(visitor, case)["theme_labels"] == "Éducation et jeunesse"

    visitor.cookies["django_language"] = "en"
    assert the_row(visitor, case)["theme_labels"] == "Education and youth"
    del visitor.cookies["django_language"]
    assert the_row(visitor, case)["theme_labels"] == "Éducation et jeunesse"
    assert ExportedCase.objects.filter(case=case).count() == 2


def test_an_unpublished_case_never_leaves_through_its_kept_rows(moderator, visitor, case):
    assert case.slug in rows(visitor)

    case.archive(by=moderator, reason="Doublon")

    assert case.slug not in rows(visitor)


# --- Stale at once after every write that changes what an export shows --------


def test_a_published_revision_shows_in_the_next_export(contributor, moderator, visitor, case):
    the_row(visitor, case)
    snapshot = case.snapshot()
    snapshot["title"] = "La cité éducative de Lille, deuxième saison"
    revision = case.propose_revision(snapshot, by=contributor)
    assert the_row(visitor, case)["title"] == "La cité éducative de Lille"  # not published yet

    revision.submit(by=contributor)
    revision.publish(by=moderator)

    assert the_row(visitor, case)["title"] == "La cité éducative de Lille, deuxième saison"
    text = export(visitor, "json").decode()
    assert "deuxième saison" in text


def test_a_pioneer_featured_shows_in_the_next_export(moderator, visitor, case):
    assert the_row(visitor, case)["pioneer"] == "false"

    case.feature(by=moderator, criteria=[], reason="Un modèle pour la métropole.")

    assert the_row(visitor, case)["pioneer"] == "true"


def test_only_the_written_case_is_built_again(moderator, visitor, case):
    other = CaseFactory(title="Une autre alliance", places=[territory("departement", "69")])
    export(visitor, "csv")
    kept = dict(ExportedCase.objects.values_list("case_id", "stamp"))

    case.feature(by=moderator, criteria=[], reason="Un modèle pour la métropole.")
    export(visitor, "csv")

    now = dict(ExportedCase.objects.values_list("case_id", "stamp"))
    assert now[other.pk] == kept[other.pk] and now[case.pk] > kept[case.pk]


def test_a_partner_renamed_in_the_admin_shows_in_the_next_export(
    moderator_client, visitor, case
):
    assert "Ville de Lille" in the_row(visitor, case)["partner_names"]
    partner = Organization.objects.get(name="Ville de Lille")
    url = reverse("admin:registry_organization_change", args=[partner.pk])

    form = moderator_client.get(url)
    moderator_client.post(url, resubmitted(form, "organization_form", name="Mairie de Lille"))

    assert the_row(visitor, case)["partner_names"] == "Mairie de Lille | Les Petits Débrouillards"


def test_a_partner_merged_into_another_shows_the_survivor(moderator, visitor, case):
    export(visitor, "geojson")
    duplicate = Organization.objects.get(name="Les Petits Débrouillards")
    survivor = OrganizationFactory(name="Association Les Petits Débrouillards Hauts-de-France")

    Organization.objects.merge(survivor=survivor, duplicate=duplicate, by=moderator)

    feature = json.loads(export(visitor, "geojson"))["features"][0]
    names = [p["organization"]["name"] for p in feature["properties"]["partners"]]
    assert names == ["Ville de Lille", "Association Les Petits Débrouillards Hauts-de-France"]


def test_a_term_relabelled_in_the_admin_shows_in_every_kept_row(moderator_client, visitor, case):
    assert the_row(visitor, case)["practice_labels"] == "Co-pilotage des expérimentations"
    practice = term("practice", "copilotage")
    url = reverse("admin:registry_term_change", args=[practice.pk])

    form = moderator_client.get(url)
    moderator_client.post(url, resubmitted(form, "term_form", label_fr="Copilotage partagé"))

    assert the_row(visitor, case)["practice_labels"] == "Copilotage partagé"


def test_labels_reloaded_from_the_referentiel_file_show_in_the_next_export(visitor, case):
    practice = term("practice", "copilotage")
    practice.label_fr = "Copilotage de terrain"
    practice.save()  # a label staff edited earlier, the reference file says otherwise
    refresh_cases_tagged([practice])
    assert the_row(visitor, case)["practice_labels"] == "Copilotage de terrain"

    load_vocabularies(overwrite_labels=True)

    assert the_row(visitor, case)["practice_labels"] == "Co-pilotage des expérimentations"


def test_a_territory_renamed_by_a_new_geography_shows_in_the_next_export(
    tmp_path, visitor, case
):
    assert the_row(visitor, case)["territory_names"] == "Lille"
    data = read_data()
    for commune in data["communes"]:
        if commune[0] == LILLE:
            commune[1] = "Lille-en-Flandre"

    call_command("load_territories", file=str(write(data, tmp_path / "next.json.gz")), verbosity=0)

    assert the_row(visitor, case)["territory_names"] == "Lille-en-Flandre"


def test_kept_rows_lost_cost_time_not_data(visitor, case):
    first = export(visitor, "json")
    ExportedCase.objects.all().delete()

    assert export(visitor, "json") == first
    assert ExportedCase.objects.count() == 1


def test_the_vocabulary_admin_relabels_without_losing_rows(moderator_client, visitor, case):
    themes = Vocabulary.objects.get(code="theme")
    export(visitor, "csv")
    url = reverse("admin:registry_vocabulary_change", args=[themes.pk])

    form = moderator_client.get(url)
    moderator_client.post(url, resubmitted(form, "vocabulary_form", label_fr="Thèmes"))

    # A list's own label is not in the exports: the rows are built again all the same.
    assert the_row(visitor, case)["theme_codes"] == "education_jeunesse"
