"""Open data exports: CSV that spreadsheets open with the right accents, JSON,
valid GeoJSON, the search page's selection exactly, the data dictionary and
its Table Schema, and the nightly dump."""

import csv
import datetime
import io
import json
import re

import openpyxl
import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry.models import CasePartner, CaseSource, CaseStatus, Term
from registry.models.vocabulary import TAGS
from registry.opendata.exports import COLUMN_NAMES, COLUMNS, SEPARATOR, TEXT_FIELDS, Lookups
from registry.search.filters import CaseFilter
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
    page = client.get("/experiences/?theme=education_jeunesse&region=32").content.decode()
    assert "/experiences/export.csv?theme=education_jeunesse&amp;region=32" in page
    assert "/experiences/export.geojson?theme=education_jeunesse&amp;region=32" in page


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

    from registry.opendata import exports

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
    monkeypatch.setattr("registry.opendata.exports.BATCH_SIZE", 3)
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
    monkeypatch.setattr("registry.opendata.exports.BATCH_SIZE", 3)
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


@pytest.fixture
def varied_cases():
    """Eight published cases spread over three batches of three, each with its
    own mix of territories (commune, EPCI, département, région, several or none),
    tags of every vocabulary, partners with and without SIREN or RNA, roles,
    sources, texts, years, phase and scale; and a draft, never exported."""
    vocabularies = {
        code: list(Term.objects.filter(vocabulary__code=code).order_by("code")[:3])
        for code in [*TAGS, "phase", "scale", "partner_role"]
    }
    actor_types = [term("actor_type", code) for code in ("collectivite", "entreprise")]
    places = [
        [territory("commune", "59350")],
        [territory("epci", "200093201"), territory("commune", "69123")],
        [territory("region", "53")],
        [territory("departement", "2A"), territory("departement", "62")],
        [],
        [territory("commune", "69123"), territory("departement", "69"), territory("region", "84")],
        [territory("epci", "200093201")],
        [territory("region", "01"), territory("commune", "59350")],
    ]
    cases = []
    for n, case_places in enumerate(places):
        organizations = [
            OrganizationFactory(name=f"Entreprise n°{n}", actor_type=actor_types[1], siren=None),
            OrganizationFactory(name=f"Association « n°{n} »", rna=f"W59{n:07d}"),
            OrganizationFactory(name=f"Commune n°{n}", actor_type=actor_types[0]),
        ][: n % 4]
        tags = [t for terms in vocabularies.values() for t in terms[: n % 3 + 1]]
        case = CaseFactory(
            title=f'Alliance n°{n}, « guillemets » et "doubles", virgule',
            summary=f"Résumé {n} ; sur deux\nlignes" if n == 3 else f"Résumé {n}",
            places=case_places,
            partners=organizations,
            tags=[t for t in tags if t.vocabulary.code in TAGS],
            phase=vocabularies["phase"][n % 2] if n % 3 else None,
            scale=vocabularies["scale"][0] if n % 2 else None,
            start_year=2010 + n if n != 4 else None,
            end_year=2024 if n % 2 else None,
            is_pioneer=n == 2,
            description=f"<p>Description {n}</p>",
            lessons=f"<p>Leçons {n}</p>" if n % 2 else "",
        )
        if organizations:
            CasePartner.objects.filter(case=case).update(role=vocabularies["partner_role"][-1])
            CasePartner.objects.create(
                case=case,
                organization=organizations[0],
                role=vocabularies["partner_role"][0],
                position=9,
                contribution="Un second rôle",
            )
        for position in range(n % 3):
            CaseSource.objects.create(
                case=case, title=f"Source {position}", url="" if position else f"https://ex.fr/{n}"
            )
        cases.append(case)
    CaseFactory(title="Brouillon", status=CaseStatus.DRAFT)
    return cases


def areas_of(territories, kind):
    """{code: name} of the régions (or départements) the territories lie in, from
    the closure table."""
    return dict(
        Territory.objects.filter(kind=kind, descendant_links__descendant__in=territories)
        .distinct()
        .values_list("code", "name")
    )


def expected_row(case):
    """The CSV row of a case, read from the database column by column."""
    case.refresh_from_db()
    territories = [link.territory for link in case.case_territories.order_by("id")]
    roster = list(case.roster.order_by("position", "id").select_related("organization", "role"))
    organizations = [entry.organization for entry in roster]
    row = {
        "id": str(case.pk),
        "slug": case.slug,
        "url": settings.SITE_URL + case.get_absolute_url(),
        "title": case.title,
        "summary": case.summary,
        "published_at": f"{case.published_at.astimezone(datetime.UTC):%Y-%m-%dT%H:%M:%SZ}",
        "updated_at": f"{case.updated_at.astimezone(datetime.UTC):%Y-%m-%dT%H:%M:%SZ}",
        "start_year": "" if case.start_year is None else str(case.start_year),
        "end_year": "" if case.end_year is None else str(case.end_year),
        "ongoing": "true" if case.end_year is None else "false",
        "pioneer": "true" if case.is_pioneer else "false",
        "phase_code": case.phase.code if case.phase else "",
        "phase_label": case.phase.label if case.phase else "",
        "scale_code": case.scale.code if case.scale else "",
        "scale_label": case.scale.label if case.scale else "",
        "territories": SEPARATOR.join(f"{t.kind}:{t.code}" for t in territories),
        "territory_names": SEPARATOR.join(t.name for t in territories),
        "partner_count": str(len({o.pk for o in organizations})),
        "partner_names": SEPARATOR.join(o.name for o in organizations),
        "partner_sirens": SEPARATOR.join(o.siren or "" for o in organizations),
        "partner_rnas": SEPARATOR.join(o.rna or "" for o in organizations),
        "partner_actor_types": SEPARATOR.join(
            o.actor_type.code if o.actor_type else "" for o in organizations
        ),
        "partner_roles": SEPARATOR.join(e.role.code if e.role else "" for e in roster),
        "all_three_families": "true" if case.has_all_three_families else "false",
        "source_urls": SEPARATOR.join(
            s.url for s in case.sources.order_by("position", "id") if s.url
        ),
    }
    for vocabulary, param in TAGS.items():
        terms = list(case.terms.filter(vocabulary__code=vocabulary).order_by("id"))
        row[f"{param}_codes"] = SEPARATOR.join(t.code for t in terms)
        row[f"{param}_labels"] = SEPARATOR.join(t.label for t in terms)
    return row


def test_every_exported_row_equals_the_database_field_by_field_across_batches(
    client, varied_cases, monkeypatch
):
    """Each column of each CSV row, each record of the JSON and each feature of
    the GeoJSON, compared with what the database holds, when the selection spans
    three batches (of three cases) and the territory cache overflows."""
    monkeypatch.setattr("registry.opendata.exports.BATCH_SIZE", 3)
    monkeypatch.setattr(Lookups, "TERRITORY_CACHE", 4)
    rows = csv_rows(client.get("/api/v1/exports/cases.csv?sort=title"))
    records = json.loads(body(client.get("/api/v1/exports/cases.json?sort=title")))["cases"]
    geojson = json.loads(body(client.get("/api/v1/exports/cases.geojson?sort=title")))
    cases = sorted(varied_cases, key=lambda case: case.title)
    assert [int(row["id"]) for row in rows] == [case.pk for case in cases]
    assert [record["id"] for record in records] == [case.pk for case in cases]
    assert [feature["id"] for feature in geojson["features"]] == [case.pk for case in cases]
    for case, row, record, feature in zip(cases, rows, records, geojson["features"], strict=True):
        expected = expected_row(case)
        for name, value in expected.items():
            assert row[name] == value, (case.title, name)
        territories = [link.territory for link in case.case_territories.order_by("id")]
        for kind, codes, names in [
            (TerritoryKind.REGION, "region_codes", "region_names"),
            (TerritoryKind.DEPARTEMENT, "departement_codes", "departement_names"),
        ]:
            found = dict(zip(row[codes].split(SEPARATOR), row[names].split(SEPARATOR), strict=True))
            assert {c: n for c, n in found.items() if c} == areas_of(territories, kind)
        if territories:
            assert float(row["longitude"]) == feature["geometry"]["coordinates"][0]
            assert float(row["latitude"]) == feature["geometry"]["coordinates"][1]
        else:
            assert row["longitude"] == row["latitude"] == "" and feature["geometry"] is None

        assert record["territories"] == [
            {"kind": t.kind, "code": t.code, "name": t.name} for t in territories
        ]
        for key, codes in [("regions", "region_codes"), ("departements", "departement_codes")]:
            assert [p["code"] for p in record[key]] == [c for c in row[codes].split(SEPARATOR) if c]
        for param in TAGS.values():
            assert [t["code"] for t in record["tags"][param]] == (
                expected[f"{param}_codes"].split(SEPARATOR) if expected[f"{param}_codes"] else []
            )
        assert [
            (p["organization"]["name"], p["role"]["code"], p["contribution"])
            for p in record["partners"]
        ] == [
            (e.organization.name, e.role.code, e.contribution)
            for e in case.roster.order_by("position", "id")
        ]
        assert record["sources"] == [
            {"title": s.title, "url": s.url} for s in case.sources.order_by("position", "id")
        ]
        assert record["texts"] == {name: getattr(case, name) for name in TEXT_FIELDS}
        assert record["pioneer"] is case.is_pioneer and record["end_year"] == case.end_year
        properties = dict(feature["properties"])
        assert properties == {k: v for k, v in record.items() if k != "texts"}


# ---- The XLSX workbook, for people who open the data in a spreadsheet ----------------


def workbook(response):
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return openpyxl.load_workbook(io.BytesIO(body(response)))


def sheet_rows(sheet):
    """The rows of a sheet as dicts keyed by the header row's titles."""
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    return [dict(zip(header, row, strict=True)) for row in rows]


def download_name(response):
    assert response.status_code == 200, response.content
    match = re.fullmatch(r'attachment; filename="([^"]+)"', response["Content-Disposition"])
    return match.group(1)


TODAY = "{:%Y-%m-%d}"


def test_the_xlsx_has_a_sheet_of_cases_under_french_titles_and_a_sheet_of_partners(
    client, lille_case
):
    book = workbook(client.get("/experiences/export.xlsx"))
    assert book.sheetnames == ["Expériences", "Partenaires"]
    cases, partners = book.worksheets
    titles = [cell.value for cell in cases[1]]
    assert titles[:5] == ["Identifiant", "Identifiant d'URL", "Adresse", "Titre", "Résumé"]
    assert "Régions (codes INSEE)" in titles and "SIREN des partenaires" in titles
    assert len(titles) == len(COLUMNS)
    assert [cell.value for cell in partners[1]] == [
        "Identifiant de l'expérience",
        "Titre de l'expérience",
        "Organisation",
        "SIREN",
        "RNA",
        "Type d'acteur (code)",
        "Type d'acteur",
        "Rôle (code)",
        "Rôle",
        "Contribution",
    ]
    for sheet in book.worksheets:  # the titles stay in view, and every column filters
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref.startswith("A1:")
        assert sheet.column_dimensions["A"].width > 5
    (row,) = sheet_rows(cases)
    assert row["Titre"] == "Cité éducative de Lille : l'école et ses partenaires"
    assert row["Territoires"] == "Lille | Pas-de-Calais"


def test_the_xlsx_keeps_codes_as_text_and_years_counts_and_dates_as_such(client):
    guadeloupe = CaseFactory(
        title="Alliance en Guadeloupe",
        places=[territory("region", "01")],
        partners=[
            OrganizationFactory(name="Entreprise du zéro", siren="001234566"),
            OrganizationFactory(name="Association Corse", rna="W2A1234567"),
        ],
        start_year=2018,
    )
    CaseFactory(title="Alliance en Corse-du-Sud", places=[territory("departement", "2A")])
    cases, partners = workbook(client.get("/experiences/export.xlsx?sort=title")).worksheets
    corse, guadeloupe_row = sheet_rows(cases)
    assert guadeloupe_row["Régions (codes INSEE)"] == "01"  # not 1
    assert guadeloupe_row["Territoires (codes)"] == "region:01"
    assert corse["Départements (codes INSEE)"] == "2A"
    assert corse["Régions (codes INSEE)"] == "94"
    assert guadeloupe_row["SIREN des partenaires"] == "001234566 | "
    assert guadeloupe_row["Identifiant"] == guadeloupe.pk
    assert guadeloupe_row["Année de démarrage"] == 2018
    assert guadeloupe_row["Nombre de partenaires"] == 2
    assert guadeloupe_row["En cours"] is True and guadeloupe_row["Expérience pionnière"] is False
    assert isinstance(guadeloupe_row["Publiée le"], datetime.datetime)
    assert guadeloupe_row["Publiée le"].date() == guadeloupe.published_at.date()
    sirens = {row["Organisation"]: row["SIREN"] for row in sheet_rows(partners)}
    assert sirens["Entreprise du zéro"] == "001234566"
    assert sirens["Association Corse"] is None


def test_text_in_the_xlsx_is_never_a_formula(client):
    CaseFactory(title='=HYPERLINK("http://example.com","clic")', summary="+1+1")
    cases, _partners = workbook(client.get("/experiences/export.xlsx")).worksheets
    title, summary = cases["D2"], cases["E2"]
    assert title.value == '=HYPERLINK("http://example.com","clic")' and title.data_type == "s"
    assert summary.value == "+1+1" and summary.data_type == "s"


def test_the_partner_sheet_has_one_row_per_roster_entry(client, lille_case, lyon_case):
    company = lille_case.roster.get(position=0).organization
    CasePartner.objects.create(
        case=lille_case,
        organization=company,
        role=term("partner_role", "financeur"),
        position=5,
        contribution="Mécénat de compétences",
    )
    _cases, partners = workbook(client.get("/experiences/export.xlsx?sort=title")).worksheets
    rows = sheet_rows(partners)
    assert len(rows) == CasePartner.objects.count() == 5
    lille_rows = [row for row in rows if row["Identifiant de l'expérience"] == lille_case.pk]
    assert [row["Organisation"] for row in lille_rows] == [
        "Société Générale d'Électricité du Nord",
        "Association Jeunesse & Avenir",
        "Société Générale d'Électricité du Nord",
    ]
    first, second, funder = lille_rows
    assert first["Titre de l'expérience"] == lille_case.title
    assert first["SIREN"] == "552120222" and first["RNA"] is None
    assert second["RNA"] == "W595012345"
    assert first["Type d'acteur (code)"] == "entreprise"
    assert first["Type d'acteur"] == term("actor_type", "entreprise").label_fr
    assert funder["Rôle (code)"] == "financeur"
    assert funder["Rôle"] == term("partner_role", "financeur").label_fr
    assert funder["Contribution"] == "Mécénat de compétences"


@pytest.mark.parametrize(
    "query", ["", "theme=mobilite", "region=32", "q=garage", "sort=title", "ongoing=no"]
)
def test_the_xlsx_holds_the_same_selection_as_the_csv(client, lille_case, lyon_case, query):
    CaseFactory(title="Brouillon", status=CaseStatus.DRAFT, places=[territory("region", "32")])
    expected = [int(r["id"]) for r in csv_rows(client.get(f"/experiences/export.csv?{query}"))]
    for url in ["/experiences/export.xlsx", "/api/v1/exports/cases.xlsx"]:
        cases, _partners = workbook(client.get(f"{url}?{query}")).worksheets
        assert [row["Identifiant"] for row in sheet_rows(cases)] == expected


def test_the_english_xlsx_has_english_titles(client, lille_case):
    for url in ["/en/experiences/export.xlsx", "/api/v1/exports/cases.xlsx?lang=en"]:
        book = workbook(client.get(url))
        assert book.sheetnames == ["Cases", "Partners"]
        (row,) = sheet_rows(book.worksheets[0])
        assert row["Title"] == lille_case.title
        assert term("theme", "education_jeunesse").label_en in row["Themes"]
        partner = sheet_rows(book.worksheets[1])[0]
        assert partner["Actor type"] == term("actor_type", "entreprise").label_en


def test_invalid_filters_refuse_the_xlsx(client):
    response = client.get("/experiences/export.xlsx?theme=nope")
    assert response.status_code == 400 and "nope" in response.content.decode()
    response = client.get("/api/v1/exports/cases.xlsx?region=999")
    assert response.status_code == 400 and "region" in response.json()


def test_the_xlsx_never_holds_unpublished_cases(client, contributor, lille_case):
    CaseFactory(
        title="Brouillon secret",
        owner=contributor,
        status=CaseStatus.DRAFT,
        partners=[OrganizationFactory(name="Partenaire du brouillon")],
    )
    client.force_login(contributor)
    for url in ["/experiences/export.xlsx", "/api/v1/exports/cases.xlsx"]:
        cases, partners = workbook(client.get(url)).worksheets
        assert [row["Titre"] for row in sheet_rows(cases)] == [lille_case.title]
        organizations = {row["Organisation"] for row in sheet_rows(partners)}
        assert "Partenaire du brouillon" not in organizations


def test_the_dump_can_write_the_workbook(tmp_path, lille_case, lyon_case):
    CaseFactory(title="Brouillon", status=CaseStatus.DRAFT)
    call_command("dump_registry", str(tmp_path), formats="csv,xlsx", verbosity=0)
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "alliances-territoriales.csv",
        "alliances-territoriales.schema.json",
        "alliances-territoriales.xlsx",
    ]
    book = openpyxl.load_workbook(tmp_path / "alliances-territoriales.xlsx")
    ids = {row["Identifiant"] for row in sheet_rows(book.worksheets[0])}
    assert ids == {lille_case.pk, lyon_case.pk}
    call_command("dump_registry", str(tmp_path), formats="xlsx", lang="en", verbosity=0)
    book = openpyxl.load_workbook(tmp_path / "alliances-territoriales.xlsx")
    assert book.sheetnames == ["Cases", "Partners"]


def test_the_search_page_offers_the_xlsx_of_its_selection(client, lille_case):
    page = client.get("/experiences/?theme=education_jeunesse&region=32").content.decode()
    assert "/experiences/export.xlsx?theme=education_jeunesse&amp;region=32" in page
    page = client.get("/en/experiences/?theme=education_jeunesse").content.decode()
    assert "/en/experiences/export.xlsx?theme=education_jeunesse" in page


def test_the_data_page_offers_the_xlsx_and_describes_its_partner_sheet(client):
    page = client.get("/donnees/").content.decode()
    assert 'href="/experiences/export.xlsx"' in page
    assert 'id="col-partners-siren"' in page and "Identifiant de l&#x27;expérience" in page
    page = client.get("/en/donnees/").content.decode()
    assert 'href="/en/experiences/export.xlsx"' in page and "Case title" in page


def test_the_api_documents_the_xlsx_export(client):
    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    operation = schema["paths"]["/api/v1/exports/cases.xlsx"]["get"]
    content = operation["responses"]["200"]["content"]
    assert list(content) == ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]
    assert {"region", "theme", "q", "lang"} <= {p["name"] for p in operation["parameters"]}
    assert "400" in operation["responses"]


# ---- File names that say the selection -------------------------------------------------


def test_a_download_is_named_after_its_region_and_theme(client, lille_case):
    today = TODAY.format(timezone.localdate())
    query = "region=76&theme=emploi_insertion"
    for url in [
        f"/experiences/export.xlsx?{query}",
        f"/experiences/export.csv?{query}",
        f"/api/v1/exports/cases.xlsx?{query}",
    ]:
        name = download_name(client.get(url))
        stem = name.rsplit(".", 1)[0]
        assert stem == f"alliances-occitanie-emploi-insertion-professionnelle-{today}"
    assert download_name(client.get(f"/experiences/export.geojson?{query}")).endswith(".geojson")


def test_the_csv_keeps_its_data_gouv_form_under_its_new_name(client, lille_case):
    response = client.get("/experiences/export.csv?region=32")
    assert download_name(response).startswith("alliances-hauts-de-france-")
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert next(csv.reader(io.StringIO(raw.decode("utf-8-sig")))) == COLUMN_NAMES


def test_a_text_query_names_the_download(client, lyon_case):
    today = TODAY.format(timezone.localdate())
    name = download_name(client.get("/experiences/export.xlsx?q=Garage+solidaire"))
    assert name == f"alliances-garage-solidaire-{today}.xlsx"
    long_query = "cœur de ville " + " ".join(["revitalisation"] * 12)
    name = download_name(client.get(f"/experiences/export.csv?q={long_query}"))
    assert name.startswith("alliances-coeur-de-ville-revitalisation-")
    assert name.endswith(f"-etc-{today}.csv") and len(name.rsplit(".", 1)[0]) <= 80


def test_the_whole_registry_keeps_its_name(client, lille_case):
    today = TODAY.format(timezone.localdate())
    for url in ["/experiences/export.xlsx", "/experiences/export.csv?sort=title"]:
        assert download_name(client.get(url)).startswith(f"alliances-territoriales-{today}.")


def test_a_long_selection_keeps_three_parts_and_says_etc(client, lille_case):
    today = TODAY.format(timezone.localdate())
    query = "region=84&region=93&departement=2A&theme=mobilite&pioneer=on"
    name = download_name(client.get(f"/experiences/export.xlsx?{query}"))
    assert name == f"alliances-auvergne-rhone-alpes-provence-alpes-cote-d-azur-etc-{today}.xlsx"
    assert len(name.rsplit(".", 1)[0]) <= 80


def test_english_downloads_are_named_in_english(client, lille_case):
    today = TODAY.format(timezone.localdate())
    query = "region=76&theme=emploi_insertion&year_min=2015"
    name = download_name(client.get(f"/en/experiences/export.xlsx?{query}"))
    assert name == f"alliances-occitanie-jobs-work-integration-since-2015-{today}.xlsx"
    name = download_name(client.get(f"/api/v1/exports/cases.csv?{query}&lang=en"))
    assert name == f"alliances-occitanie-jobs-work-integration-since-2015-{today}.csv"
