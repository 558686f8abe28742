"""Open data exports: CSV that spreadsheets open with the right accents, JSON,
valid GeoJSON, the search page's selection exactly, the data dictionary and
its Table Schema, and the nightly dump."""

import csv
import io
import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from registry.exports import COLUMN_NAMES, COLUMNS, SEPARATOR, Lookups
from registry.filters import CaseFilter
from registry.models import CaseStatus
from territories.models import Territory, TerritoryKind
from tests.factories import CaseFactory, OrganizationFactory, term, territory

pytestmark = pytest.mark.django_db


def body(response):
    assert response.status_code == 200, response.content
    assert response.streaming
    return b"".join(response.streaming_content)


def csv_rows(response):
    raw = body(response)
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.fixture
def lille_case():
    company = OrganizationFactory(
        name="Société Générale d'Électricité du Nord",
        actor_type=term("actor_type", "entreprise"),
        siren="552120222",
    )
    association = OrganizationFactory(name="Association Jeunesse & Avenir", rna="W595012345")
    return CaseFactory(
        title="Cité éducative de Lille : l'école et ses partenaires",
        places=[territory("commune", "59350"), territory("departement", "62")],
        partners=[company, association],
        tags=[
            term("theme", "education_jeunesse"),
            term("theme", "emploi_insertion"),
            term("practice", "copilotage"),
        ],
        start_year=2018,
    )


@pytest.fixture
def lyon_case():
    return CaseFactory(
        title="Garage solidaire à Lyon",
        places=[territory("commune", "69123")],
        tags=[term("theme", "mobilite")],
        start_year=2021,
        end_year=2023,
    )


def test_the_csv_opens_with_its_accents_in_a_spreadsheet(client, lille_case):
    raw = body(client.get("/experiences/export.csv"))
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark spreadsheets look for
    text = raw.decode("utf-8-sig")
    assert "Cité éducative de Lille : l'école et ses partenaires" in text
    assert "Société Générale d'Électricité du Nord" in text
    header = next(csv.reader(io.StringIO(text)))
    assert header == COLUMN_NAMES


def test_the_csv_has_one_row_per_case_with_codes_labels_and_joined_values(client, lille_case):
    (row,) = csv_rows(client.get("/experiences/export.csv"))
    assert row["id"] == str(lille_case.pk)
    assert row["territories"] == "commune:59350 | departement:62"
    assert row["territory_names"] == "Lille | Pas-de-Calais"
    assert row["region_codes"] == "32" and row["region_names"] == "Hauts-de-France"
    assert row["departement_codes"] == "59 | 62"
    assert set(row["theme_codes"].split(SEPARATOR)) == {"education_jeunesse", "emploi_insertion"}
    assert term("theme", "education_jeunesse").label_fr in row["theme_labels"]
    assert row["practice_codes"] == "copilotage"
    assert row["partner_sirens"] == "552120222 | "
    assert row["partner_rnas"] == " | W595012345"
    assert row["partner_actor_types"] == "entreprise | association"
    assert row["partner_count"] == "2"
    assert row["ongoing"] == "true" and row["start_year"] == "2018" and row["end_year"] == ""
    assert row["url"].endswith(f"/experiences/{lille_case.slug}/")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["published_at"])


@pytest.mark.parametrize(
    "query",
    ["", "theme=mobilite", "region=32", "q=garage", "sort=title", "year_max=2019", "ongoing=no"],
)
def test_an_export_holds_exactly_the_search_pages_selection(client, lille_case, lyon_case, query):
    CaseFactory(title="Brouillon", status=CaseStatus.DRAFT, places=[territory("region", "32")])
    expected = [str(pk) for pk in CaseFilter(QueryDict(query)).qs.values_list("pk", flat=True)]
    page = client.get(f"/experiences/?{query}")
    assert page.context["figures"]["total"] == len(expected)
    assert [r["id"] for r in csv_rows(client.get(f"/experiences/export.csv?{query}"))] == expected
    api = body(client.get(f"/api/v1/exports/cases.json?{query}"))
    assert [str(case["id"]) for case in json.loads(api)["cases"]] == expected


def test_the_search_page_offers_the_export_of_its_selection(client, lille_case):
    page = client.get("/experiences/?theme=mobilite&region=32").content.decode()
    assert "/experiences/export.csv?theme=mobilite&amp;region=32" in page
    assert "/experiences/export.geojson?theme=mobilite&amp;region=32" in page


def test_invalid_filters_refuse_the_export(client):
    response = client.get("/experiences/export.csv?theme=nope")
    assert response.status_code == 400 and "nope" in response.content.decode()
    response = client.get("/api/v1/exports/cases.csv?region=999")
    assert response.status_code == 400 and "region" in response.json()


def test_english_exports_carry_english_labels(client, lille_case):
    (row,) = csv_rows(client.get("/en/experiences/export.csv"))
    assert term("theme", "education_jeunesse").label_en in row["theme_labels"]
    (row,) = csv_rows(client.get("/api/v1/exports/cases.csv?lang=en"))
    assert term("theme", "education_jeunesse").label_en in row["theme_labels"]


def test_the_json_export_carries_the_licence_and_the_texts(client, lille_case):
    data = json.loads(body(client.get("/experiences/export.json")))
    assert data["licence"] == "Licence Ouverte / Open Licence 2.0"
    assert "INSEE" in data["attribution"]["geography"]
    (case,) = data["cases"]
    assert case["title"] == lille_case.title
    assert set(case["texts"]) == {"description", "context", "actions", "results", "lessons"}
    assert case["partners"][0]["organization"]["siren"] == "552120222"
    assert {"code": "copilotage", "label": term("practice", "copilotage").label_fr} in case["tags"][
        "practice"
    ]


def test_the_geojson_is_valid_and_places_cases_in_their_departement(client, lille_case, lyon_case):
    data = json.loads(body(client.get("/experiences/export.geojson?sort=title")))
    assert data["type"] == "FeatureCollection"
    assert [f["properties"]["id"] for f in data["features"]] == [lille_case.pk, lyon_case.pk]
    for feature in data["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        longitude, latitude = feature["geometry"]["coordinates"]
        assert -180 <= longitude <= 180 and -90 <= latitude <= 90
        assert isinstance(feature["properties"], dict)
    lille, lyon = data["features"]
    assert lille["properties"]["point"]["of"] == {"kind": "departement", "code": "59"}
    longitude, latitude = lille["geometry"]["coordinates"]
    assert 2.0 < longitude < 4.3 and 49.9 < latitude < 51.1  # the Nord
    assert lyon["properties"]["point"]["of"] == {"kind": "departement", "code": "69"}


def test_a_regional_case_sits_at_its_regions_point_and_an_epci_at_its_departement(client):
    CaseFactory(title="A", places=[territory("region", "53")])
    CaseFactory(title="B", places=[territory("epci", "200093201")])
    features = json.loads(body(client.get("/experiences/export.geojson?sort=title")))["features"]
    assert features[0]["properties"]["point"]["of"] == {"kind": "region", "code": "53"}
    assert features[1]["properties"]["point"]["of"] == {"kind": "departement", "code": "59"}


def test_exports_never_hold_unpublished_cases(client, contributor, lille_case):
    CaseFactory(title="Brouillon secret", owner=contributor, status=CaseStatus.DRAFT)
    client.force_login(contributor)
    for url in ["/experiences/export.csv", "/api/v1/exports/cases.json"]:
        assert "Brouillon secret" not in body(client.get(url)).decode()


def test_exports_read_related_rows_by_batch_not_by_case(client):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            body(client.get("/experiences/export.csv"))
            body(client.get("/api/v1/exports/cases.geojson"))
        return len(captured)

    for _ in range(3):
        CaseFactory(tags=[term("theme", "mobilite")])
    few = queries()
    for _ in range(7):
        CaseFactory(tags=[term("theme", "mobilite")], places=[territory("commune", "69123")])
    assert queries() <= few + 2  # territories newly seen are read once, in one query


def test_the_table_schema_describes_every_column_and_the_rows_obey_it(
    client, lille_case, lyon_case
):
    schema = client.get("/donnees/schema-csv.json").json()
    assert [field["name"] for field in schema["fields"]] == COLUMN_NAMES
    rows = csv_rows(client.get("/experiences/export.csv"))
    for field in schema["fields"]:
        constraints = field.get("constraints", {})
        for row in rows:
            value = row[field["name"]]
            if constraints.get("required"):
                assert value
            if not value:
                continue
            if field["type"] == "integer":
                int(value)
            elif field["type"] == "number":
                float(value)
            elif field["type"] == "boolean":
                assert value in ("true", "false")
            if "enum" in constraints:
                assert value in constraints["enum"]
            if "pattern" in constraints:
                assert re.fullmatch(constraints["pattern"], value), (field["name"], value)


def test_the_data_dictionary_lists_every_column_with_its_codes_and_the_licence(client):
    page = client.get("/donnees/").content.decode()
    for column in COLUMNS:
        assert f'id="col-{column.name}"' in page
    assert "<code>education_jeunesse</code>" in page
    assert "Licence Ouverte / Open Licence 2.0" in page
    assert "INSEE, Code officiel géographique 2026" in page
    assert 'href="/api/v1/docs/"' in page and 'href="/donnees/schema-csv.json"' in page
    assert 'href="/donnees/"' in client.get("/").content.decode()  # footer link


def test_the_dump_writes_every_published_case_atomically(tmp_path, lille_case, lyon_case):
    CaseFactory(title="Brouillon", status=CaseStatus.DRAFT)
    call_command("dump_registry", str(tmp_path), verbosity=0)
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == [
        "alliances-territoriales.csv",
        "alliances-territoriales.geojson",
        "alliances-territoriales.json",
        "alliances-territoriales.schema.json",
    ]
    with open(tmp_path / "alliances-territoriales.csv", encoding="utf-8-sig", newline="") as file:
        ids = {int(row["id"]) for row in csv.DictReader(file)}
    assert ids == {lille_case.pk, lyon_case.pk}
    geojson = json.loads((tmp_path / "alliances-territoriales.geojson").read_text())
    assert len(geojson["features"]) == 2


def test_a_failed_dump_leaves_the_previous_file_in_place(tmp_path, lille_case, monkeypatch):
    call_command("dump_registry", str(tmp_path), formats="csv", verbosity=0)
    before = (tmp_path / "alliances-territoriales.csv").read_bytes()

    def broken(selection, **kwargs):
        yield "id\n"
        raise RuntimeError("disk full")

    from registry import exports

    monkeypatch.setitem(exports.FORMATS, "csv", (broken, "text/csv"))
    with pytest.raises(RuntimeError):
        call_command("dump_registry", str(tmp_path), formats="csv", verbosity=0)
    assert (tmp_path / "alliances-territoriales.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "alliances-territoriales.csv",
        "alliances-territoriales.schema.json",
    ]


@pytest.fixture
def cases_across_many_communes():
    """Twenty published cases, each in two communes of its own and in a
    département, some of them sharing a commune with the next one."""
    communes = list(
        Territory.objects.filter(kind=TerritoryKind.COMMUNE, departement__code="35").order_by(
            "code"
        )[:30]
    )
    cases = []
    for n in range(20):
        places = [communes[n], communes[n + 1], territory("departement", "56")]
        cases.append(CaseFactory(places=places, partners=[], index=True))
    return cases


def expected_places(case):
    """What the database says of a case's places: its territories and the
    régions and départements they lie in."""
    links = list(case.case_territories.order_by("id").select_related("territory"))
    territories = [link.territory for link in links]
    areas = Territory.objects.filter(
        kind__in=[TerritoryKind.REGION, TerritoryKind.DEPARTEMENT],
        descendant_links__descendant__in=territories,
    ).distinct()
    return {
        "territories": SEPARATOR.join(f"{t.kind}:{t.code}" for t in territories),
        "region_codes": sorted(a.code for a in areas if a.kind == TerritoryKind.REGION),
        "departement_codes": sorted(a.code for a in areas if a.kind == TerritoryKind.DEPARTEMENT),
    }


def test_every_exported_row_keeps_its_places_when_the_territory_cache_overflows(
    client, cases_across_many_communes, monkeypatch
):
    """The export keeps a bounded cache of territories; a batch that overflows it
    must still find every one of its own territories (they once vanished, and the
    rows were written with no territory, région, département nor coordinates)."""
    monkeypatch.setattr(Lookups, "TERRITORY_CACHE", 5)
    monkeypatch.setattr("registry.exports.BATCH_SIZE", 3)
    rows = csv_rows(client.get("/api/v1/exports/cases.csv"))
    assert len(rows) == len(cases_across_many_communes)
    by_id = {int(row["id"]): row for row in rows}
    for case in cases_across_many_communes:
        row, expected = by_id[case.pk], expected_places(case)
        assert row["territories"] == expected["territories"]
        assert sorted(row["region_codes"].split(SEPARATOR)) == expected["region_codes"]
        assert sorted(row["departement_codes"].split(SEPARATOR)) == expected["departement_codes"]
        assert row["longitude"] and row["latitude"]


def test_the_dump_keeps_every_rows_places_when_the_territory_cache_overflows(
    tmp_path, cases_across_many_communes, monkeypatch
):
    monkeypatch.setattr(Lookups, "TERRITORY_CACHE", 5)
    monkeypatch.setattr("registry.exports.BATCH_SIZE", 3)
    call_command("dump_registry", str(tmp_path), verbosity=0)
    text = (tmp_path / "alliances-territoriales.csv").read_text(encoding="utf-8-sig")
    rows = {int(row["id"]): row for row in csv.DictReader(io.StringIO(text))}
    features = json.loads((tmp_path / "alliances-territoriales.geojson").read_text())["features"]
    for case in cases_across_many_communes:
        assert rows[case.pk]["territories"] == expected_places(case)["territories"]
    assert all(feature["geometry"] is not None for feature in features)
    assert all(feature["properties"]["territories"] for feature in features)
    cases = json.loads((tmp_path / "alliances-territoriales.json").read_text())["cases"]
    assert len(cases) == len(features) == len(rows) == len(cases_across_many_communes)
    assert all(record["territories"] and record["regions"] for record in cases)
