"""The observatory: the same selection as the search page, counted the same way,
mapped over every région and département, and downloadable chart by chart."""

import csv
import io
import json
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db.models import Sum
from django.http import QueryDict

from registry.counting.bitmaps import snapshot
from registry.counting.observatory import CHARTS, PHARE_FIGURES, Selection
from registry.models import CaseStatus
from registry.search.filters import CaseFilter, TermIndex
from registry.views.choropleth import outlines
from territories.models import Territory, TerritoryKind
from tests.factories import CaseFactory, OrganizationFactory, term, territory

pytestmark = pytest.mark.django_db

HIDDEN = [status for status in CaseStatus.values if status != CaseStatus.PUBLISHED]
NBSP = "\u00a0"
# CC d'Aire-sur-l'Adour: communes in the Landes (Nouvelle-Aquitaine) and the
# Gers (Occitanie).
STRADDLING_EPCI = "200030435"
STRADDLED_REGIONS = ["75", "76"]
MAP_BUDGET = 150_000
SELECTIONS = [
    "",
    "region=32",
    "departement=59",
    "commune=59350",
    "epci=200093201",
    f"epci={STRADDLING_EPCI}",
    "region=75",
    "region=76",
    "region=32&region=53",
    "theme=emploi_insertion",
    "theme=emploi_insertion&region=32",
    "practice=experimentations",
    "practice=copilotage&partnership=mecenat",
    "families=all",
    "actor=entreprise",
    "phase=experimentation&year_min=2015&year_max=2020",
    "pioneer=true",
    "ongoing=yes",
    "q=insertion",
    "region=04",
]


def family(code):
    return OrganizationFactory(actor_type=term("actor_type", code))


@pytest.fixture
def registry(contributor):
    """Published cases at every level of the geography, overseas and across a
    régions' border, with a variety of tags; and hidden cases in every other
    status, carrying the same places and tags."""
    tags = {
        "lille": [
            term("theme", "emploi_insertion"),
            term("theme", "education_jeunesse"),
            term("practice", "copilotage"),
            term("practice", "evaluation"),
            term("partnership_type", "mecenat"),
            term("coconstruction_form", "experimentation_collective"),
        ],
        "arras": [
            term("theme", "mobilite"),
            term("practice", "fablab"),
            term("partnership_type", "innovation_societale"),
        ],
        "rennes": [
            term("theme", "emploi_insertion"),
            term("practice", "copilotage"),
            term("partnership_type", "mecenat"),
        ],
    }
    cases = {
        "lille": CaseFactory(
            title="Insertion des jeunes à Lille",
            places=[territory("commune", "59350")],
            tags=tags["lille"],
            partners=[family("collectivite"), family("entreprise"), family("association")],
            phase=term("phase", "experimentation"),
            start_year=2018,
            is_pioneer=True,
        ),
        "arras": CaseFactory(
            title="Mobilité partagée en Artois",
            places=[territory("commune", "62041")],
            tags=tags["arras"],
            partners=[family("collectivite"), family("entreprise")],
            start_year=2021,
            end_year=2023,
        ),
        "rennes": CaseFactory(
            title="Emploi et insertion à Rennes",
            places=[territory("commune", "35238"), territory("departement", "35")],
            tags=tags["rennes"],
            partners=[family("association"), family("fondation")],
            start_year=2015,
        ),
        "adour": CaseFactory(
            title="Circuits courts de l'Adour",
            places=[territory("epci", STRADDLING_EPCI)],
            tags=[term("theme", "alimentation"), term("practice", "mise_en_relation")],
            start_year=None,
        ),
        "reunion": CaseFactory(
            title="Tiers-lieu à Saint-Denis de La Réunion",
            places=[territory("commune", "97411")],
            tags=[term("theme", "numerique_inclusif"), term("practice", "coworking")],
            start_year=2020,
        ),
        "hauts_de_france": CaseFactory(
            title="Réseau régional des entreprises inclusives",
            places=[territory("region", "32")],
            tags=[term("theme", "emploi_insertion"), term("practice", "incubation")],
            start_year=2018,
        ),
    }
    for status in HIDDEN:
        CaseFactory(
            title=f"Cachée ({status})",
            status=status,
            owner=contributor,
            places=[territory("commune", "59350"), territory("epci", STRADDLING_EPCI)],
            tags=tags["lille"],
            start_year=2018,
        )
    return cases


def selection(query):
    filterset = CaseFilter(QueryDict(query), term_index=TermIndex())
    filterset.is_valid()
    return Selection(filterset)


def search_total(client, query):
    response = client.get(f"/experiences/?{query}")
    assert response.status_code == 200
    return response.context["figures"]["total"]


def with_param(query, param, value):
    data = QueryDict(query, mutable=True)
    data.setlist(param, [value])
    return data.urlencode()


def without_territories(query):
    data = QueryDict(query, mutable=True)
    for param in ("region", "departement", "epci", "commune"):
        data.pop(param, None)
    return data.urlencode()


# ---- The same figures as the search page -------------------------------------


@pytest.mark.parametrize("query", SELECTIONS)
def test_the_total_is_the_search_page_total(client, registry, query):
    page = client.get(f"/observatoire/?{query}")
    assert page.status_code == 200
    assert page.context["figures"]["total"] == search_total(client, query)


@pytest.mark.parametrize("query", ["", "region=32", "families=all"])
def test_each_term_of_a_chart_counts_what_the_search_page_lists_with_it(client, registry, query):
    observed = selection(query)
    for chart, param in [
        ("themes", "theme"),
        ("pratiques", "practice"),
        ("partenariats", "partnership"),
        ("formes", "form"),
    ]:
        for row in CHARTS[chart](observed).rows:
            narrowed = with_param(query, param, row.code)
            if query and param in QueryDict(query):
                continue  # a second value of the same filter widens, not narrows
            assert row.count == search_total(client, narrowed), (chart, row.code)


def test_phases_years_and_families_count_what_the_search_page_lists(client, registry):
    observed = selection("")
    phases = {row.code: row.count for row in CHARTS["etapes"](observed).rows}
    assert phases["experimentation"] == search_total(client, "phase=experimentation") == 1
    years = {row.code: row.count for row in CHARTS["annees"](observed).rows}
    assert years["2018"] == search_total(client, "year_min=2018&year_max=2018") == 2
    assert years["2016"] == 0  # the timeline keeps the years without a case
    assert years[""] == 1  # the case without a start year
    families = {row.code: row.count for row in CHARTS["familles"](observed).rows}
    assert families["trois_familles"] == search_total(client, "families=all") == 1
    assert families["entreprise"] == 2
    combinations = {row.code: row.count for row in CHARTS["combinaisons"](observed).rows}
    assert sum(combinations.values()) == observed.total
    assert combinations["collectivite+entreprise+association"] == 1
    assert combinations["collectivite+entreprise"] == 1


@pytest.mark.parametrize("query", ["", "theme=emploi_insertion", "region=32", "epci=200093201"])
def test_each_area_of_the_map_counts_what_clicking_it_selects(client, registry, query):
    observed = selection(query)
    outside = without_territories(query)
    for chart, param in [("regions", "region"), ("departements", "departement")]:
        for row in CHARTS[chart](observed).rows:
            if row.count or row.code in {"01", "75"}:
                assert row.count == search_total(client, with_param(outside, param, row.code))


def test_counts_roll_up_from_commune_to_region(registry):
    regions = {row.code: row.count for row in CHARTS["regions"](selection("")).rows}
    departements = {row.code: row.count for row in CHARTS["departements"](selection("")).rows}
    # Lille, Arras and the région-wide case; Rennes once though placed twice.
    assert regions["32"] == 3
    assert departements["59"] == 1 and departements["62"] == 1
    assert regions["53"] == 1 and departements["35"] == 1
    assert regions["04"] == 1 and departements["974"] == 1


def test_an_epci_straddling_two_regions_counts_in_both(client, registry):
    regions = {row.code: row.count for row in CHARTS["regions"](selection("")).rows}
    departements = {row.code: row.count for row in CHARTS["departements"](selection("")).rows}
    for code in STRADDLED_REGIONS:
        assert regions[code] == 1 == search_total(client, f"region={code}")
    assert departements["40"] == 1 and departements["32"] == 1
    assert selection(f"epci={STRADDLING_EPCI}").total == 1


def test_only_published_cases_are_counted(client, registry):
    observed = selection("")
    assert observed.total == len(registry)
    themes = {row.code: row.count for row in CHARTS["themes"](observed).rows}
    assert themes["emploi_insertion"] == 3
    assert themes["education_jeunesse"] == 1
    regions = {row.code: row.count for row in CHARTS["regions"](observed).rows}
    assert regions["32"] == 3
    pairs = {row.code: row.count for row in CHARTS["paires"](observed).rows}
    assert pairs["copilotage+emploi_insertion"] == 2
    page = client.get("/observatoire/").content.decode()
    assert "Cachée" not in page


def test_a_metier_counts_each_case_once(registry):
    practices = {row.code: row for row in CHARTS["pratiques"](selection("")).rows}
    # Lille carries two missions of the « expérimentations collectives » métier.
    assert practices["copilotage"].count == 2 and practices["evaluation"].count == 1
    assert practices["experimentations"].count == 2
    assert practices["experimentations"].level == 0 and practices["copilotage"].level == 1


def test_pairs_of_practices_and_themes_come_most_frequent_first(registry):
    rows = CHARTS["paires"](selection("")).rows
    assert rows[0].code == "copilotage+emploi_insertion" and rows[0].count == 2
    assert [row.count for row in rows] == sorted((row.count for row in rows), reverse=True)
    assert "Co-pilotage des expérimentations × Emploi et insertion professionnelle" in [
        row.label for row in rows
    ]


def test_shares_are_of_the_selections_cases(registry):
    observed = selection("region=32")
    assert observed.total == 3
    themes = {row.code: row for row in CHARTS["themes"](observed).rows}
    assert themes["emploi_insertion"].count == 2
    assert themes["emploi_insertion"].share == 66.7


# ---- Populations and rates ---------------------------------------------------


def test_rates_per_100000_inhabitants_come_from_the_communes_populations(registry):
    communes = Territory.objects.filter(kind=TerritoryKind.COMMUNE, region__code="32")
    population = communes.aggregate(n=Sum("population"))["n"]
    assert population > 5_000_000
    assert territory("region", "32").population == population
    regions = {row.code: row for row in CHARTS["regions"](selection("")).rows}
    assert regions["32"].population == population
    assert regions["32"].rate == round(3 * 100_000 / population, 1)
    reunion = Territory.objects.filter(kind=TerritoryKind.COMMUNE, departement__code="974")
    departements = {row.code: row for row in CHARTS["departements"](selection("")).rows}
    assert departements["974"].population == reunion.aggregate(n=Sum("population"))["n"]
    assert departements["974"].rate == round(100_000 / departements["974"].population, 1)
    assert departements["01"].rate == 0.0


def test_the_map_can_show_rates(client, registry):
    page = client.get("/observatoire/?carte=region&mesure=habitants").content.decode()
    rate = CHARTS["regions"](selection("")).rows
    hauts_de_france = next(row for row in rate if row.code == "32")
    shown = f"{hauts_de_france.rate}".replace(".", ",")
    assert f"Hauts-de-France{NBSP}: {shown} pour 100 000 habitants (3 expériences)" in page


# ---- The map ----------------------------------------------------------------


def map_svg(page):
    return re.search(r'<svg class="obs-map-svg".*?</svg>', page, re.S).group()


@pytest.mark.parametrize(
    "kind, param, count", [("region", "region", 18), ("departement", "departement", 101)]
)
def test_the_map_carries_every_area_with_its_code(client, registry, kind, param, count):
    svg = map_svg(client.get(f"/observatoire/?carte={kind}").content.decode())
    main = svg.split('<g class="obs-zoom"')[0]
    codes = re.findall(rf'<a href="\?[^"]*\b{param}=(\w+)[^"]*" aria-label="', main)
    expected = set(Territory.objects.filter(kind=kind).values_list("code", flat=True))
    assert len(codes) == count == len(expected)
    assert set(codes) == expected
    assert main.count("<path ") == count
    assert main.count("<title>") == count  # and the map's own <title id=…>
    assert len(svg.encode()) < MAP_BUDGET


def test_the_derived_outlines_cover_the_geography():
    for kind, count in [(TerritoryKind.REGION, 18), (TerritoryKind.DEPARTEMENT, 101)]:
        data = outlines(kind)
        codes = {area["code"] for area in data["areas"]}
        assert len(codes) == count
        assert codes == set(Territory.objects.filter(kind=kind).values_list("code", flat=True))
        assert "IGN Admin Express 2018" in data["attribution"]
    insets = {inset["departement"] for inset in outlines(TerritoryKind.DEPARTEMENT)["insets"]}
    assert insets == {"971", "972", "973", "974", "976"}


def test_each_area_has_a_name_a_value_and_a_link_narrowing_the_selection(client, registry):
    page = client.get("/observatoire/?theme=emploi_insertion&region=53").content.decode()
    svg = map_svg(page)
    assert f'aria-label="Hauts-de-France{NBSP}: 2 expériences"' in svg
    assert f"<title>Hauts-de-France{NBSP}: 2 expériences</title>" in svg
    assert f'aria-label="Corse{NBSP}: 0 expériences"' in svg
    # A click replaces the territory filter and keeps the others.
    assert 'href="?theme=emploi_insertion&amp;region=32"' in svg
    # The area selected is marked, on the map and in the table beside it.
    assert re.search(r'class="is-selected" aria-current="true"><path[^>]*><title>Bretagne', svg)
    table = page.split('id="obs-area-caption"')[1]
    assert "53 — Bretagne" in table and "32 — Hauts-de-France" in table


def test_areas_without_a_case_are_hatched_and_the_legend_says_so(client, registry):
    svg = map_svg(client.get("/observatoire/").content.decode())
    assert f'fill="url(#obs-hatch)"><title>Corse{NBSP}: 0 expériences</title>' in svg
    page = client.get("/observatoire/").content.decode()
    assert "Aucune expérience" in page.split('class="obs-legend"')[1]


def test_the_map_downloads_as_a_standalone_svg(client, registry):
    response = client.get("/observatoire/carte.svg?carte=departement&theme=emploi_insertion")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = response.content.decode()
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert "IGN Admin Express 2018" in svg
    assert re.search(r'href="http://testserver/observatoire/\?[^"]*departement=59[^"]*"', svg)
    assert "theme=emploi_insertion" in svg
    assert len(response.content) < MAP_BUDGET


@pytest.mark.skipif(
    not (Path(__file__).resolve().parents[2] / "shared" / "data" / "geo").is_dir(),
    reason="the shared outlines are not here",
)
def test_the_committed_outlines_are_derived_from_the_shared_ones():
    script = Path(__file__).resolve().parents[1] / "registry" / "data" / "derive_map.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


# ---- CSV downloads -----------------------------------------------------------


def read_csv(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.parametrize("name", list(CHARTS))
def test_each_chart_downloads_as_csv_with_the_same_figures(client, registry, name):
    query = "theme=emploi_insertion" if name != "themes" else "region=32"
    response = client.get(f"/observatoire/{name}.csv?{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="observatoire-{name}.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    chart = CHARTS[name](selection(query))
    assert [(r["code"], r["label"], int(r["count"])) for r in rows] == [
        (row.code, row.label, row.count) for row in chart.rows
    ]
    assert [r["share"] for r in rows] == [
        "" if row.share is None else f"{row.share:.1f}" for row in chart.rows
    ]
    if chart.with_population:
        assert [r["per_100k"] for r in rows] == [f"{row.rate:.1f}" for row in chart.rows]


def test_the_page_links_every_chart_to_its_csv_with_the_same_selection(client, registry):
    page = client.get("/observatoire/?region=32&carte=departement").content.decode()
    for name in ["themes", "pratiques", "partenariats", "formes", "etapes", "annees", "paires"]:
        assert f'href="/observatoire/{name}.csv?region=32"' in page
    assert 'href="/observatoire/departements.csv?region=32"' in page


def test_an_unknown_chart_is_not_found(client):
    assert client.get("/observatoire/inconnu.csv").status_code == 404


# ---- Queries -------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, queries",
    [
        ("", 2),
        ("theme=emploi_insertion", 2),
        ("region=32&theme=emploi_insertion&carte=departement&mesure=habitants", 3),
        ("commune=59350&commune=35238&practice=copilotage", 3),
        ("region=32", 4),
        (f"epci={STRADDLING_EPCI}", 6),
        ("departement=59", 5),
    ],
)
def test_the_dashboard_takes_a_fixed_number_of_queries(
    client, registry, django_assert_num_queries, query, queries
):
    """From an empty cache, the registry's bitmaps built (their own queries,
    pinned in tests/test_bitmap_counts.py): the vocabularies, the régions and
    départements, the territories named in the filters; no query for the counts,
    made from the bitmaps; with an EPCI, one for the départements and régions it
    lies in; with a département or an EPCI, one for the list of the level below
    it."""
    cache.clear()
    snapshot()
    with django_assert_num_queries(queries):
        assert client.get(f"/observatoire/?{query}").status_code == 200
    CaseFactory.create_batch(
        5,
        places=[territory("commune", "59350")],
        tags=[term("theme", "emploi_insertion"), term("practice", "copilotage")],
    )
    cache.clear()
    snapshot()
    with django_assert_num_queries(queries):
        assert client.get(f"/observatoire/?{query}").status_code == 200


def test_whole_registry_figures_are_cached_until_the_next_write(
    client, registry, django_assert_num_queries
):
    client.get("/observatoire/")
    with django_assert_num_queries(1):  # the vocabularies
        client.get("/observatoire/")
    CaseFactory(tags=[term("theme", "mobilite")])
    assert client.get("/observatoire/").context["figures"]["total"] == len(registry) + 1


# ---- The page ------------------------------------------------------------------


def test_the_page_shows_the_selection_its_charts_and_the_way_back_to_the_cases(client, registry):
    response = client.get("/observatoire/?region=32&theme=emploi_insertion&carte=departement")
    page = response.content.decode().replace(NBSP, " ")
    assert "2 expériences publiées dans la sélection" in page
    assert "Région : Hauts-de-France" in page and "Thème : Emploi et insertion" in page
    assert 'href="/experiences/?region=32&amp;theme=emploi_insertion"' in page
    for title in [
        "Thèmes",
        "Pratiques du référentiel",
        "Types de partenariat",
        "Formes de co-construction",
        "Étapes",
        "Année de démarrage",
        "Familles de partenaires",
        "Combinaisons de familles",
        "Pratiques et thèmes associés",
    ]:
        assert f">{title}</h3>" in page


def test_the_selection_drills_down_to_the_epcis_and_communes_of_what_is_chosen(client, registry):
    page = client.get("/observatoire/?departement=59").content.decode()
    assert 'name="epci" value="200093201"' in page  # Métropole Européenne de Lille
    assert 'name="commune"' not in page
    page = client.get("/observatoire/?departement=59&epci=200093201").content.decode()
    assert 'name="epci" value="200093201" id="o-epci-200093201" checked' in page
    assert 'name="commune" value="59350"' in page  # Lille
    assert 'type="hidden" name="epci"' not in page
    # An EPCI chosen on the search page, without its département, is kept as it is.
    page = client.get("/observatoire/?epci=200093201").content.decode()
    assert '<input type="hidden" name="epci" value="200093201">' in page
    assert "1 expérience publiée dans la sélection" in page


def test_the_search_page_opens_its_selection_in_the_observatory(client, registry):
    page = client.get("/experiences/?region=32&theme=emploi_insertion").content.decode()
    assert 'href="/observatoire/?region=32&amp;theme=emploi_insertion"' in page
    assert "Ouvrir dans l&#x27;observatoire" in page or "Ouvrir dans l'observatoire" in page


def test_the_navigation_leads_to_the_observatory(client):
    page = client.get("/").content.decode()
    assert '<a href="/observatoire/">Observatoire</a>' in page


def test_the_phare_figures_are_context_cited_apart_from_the_registry_figures(client, registry):
    page = client.get("/observatoire/").content.decode()
    context = page.split('<aside class="obs-context"')[1].split("</aside>")[0]
    for figure in PHARE_FIGURES:
        assert f"<strong>{figure.percent}\u00a0%</strong>" in context
        assert str(figure.source) in context
    assert "PHARE-Institutions, 29 nov. 2016" in context
    assert "Le RAMEAU, Observatoire des partenariats, programme PHARE" in context
    assert "ne sont jamais additionnés" in context
    # The registry's own figures are elsewhere.
    assert "expériences publiées dans la sélection" not in context


@pytest.mark.parametrize(
    "query, message",
    [
        ("theme=nimporte", "Code inconnu"),
        ("year_min=deux", "Saisissez un nombre"),
        ("region=9Z", "Code mal formé"),
    ],
)
def test_an_invalid_filter_gives_a_message_not_an_error(client, registry, query, message):
    for url in [
        f"/observatoire/?{query}",
        f"/observatoire/couverture/?{query}",
        f"/observatoire/comparer/?a-{query.replace('&', '&a-')}",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert message in response.content.decode(), url
    # A download never holds other figures than those asked: it names the bad filter.
    for url in [f"/observatoire/themes.csv?{query}", f"/observatoire/carte.svg?{query}"]:
        response = client.get(url)
        assert response.status_code == 400, url
        assert message in response.content.decode(), url


def test_display_options_of_the_map_fall_back_to_their_defaults(client, registry):
    response = client.get("/observatoire/?carte=canton&mesure=km2")
    assert response.status_code == 200
    assert response.context["map"].kind == TerritoryKind.REGION
    assert response.context["map"].measure == "nombre"


def test_htmx_gets_the_dashboard_alone(client, registry):
    response = client.get("/observatoire/?region=32", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<form id="obs-form"')
    assert "<html" not in page


def test_the_observatory_speaks_english(client, registry):
    page = client.get("/en/observatoire/?region=32").content.decode()
    assert '<html lang="en">' in page
    assert "Alliance observatory" in page
    assert "Context: what the PHARE barometers say" in page
    assert "Hauts-de-France: 3 cases" in page
    assert "Observatoire des alliances" not in page


# ---- Coverage ------------------------------------------------------------------


def test_coverage_shows_the_white_spots_of_the_referentiel_and_of_the_territory(client, registry):
    response = client.get("/observatoire/couverture/?seuil=2")
    assert response.status_code == 200
    coverage = response.context["coverage"]
    missions = {row.code: row.count for row in coverage["missions"]}
    assert len(missions) == 16
    assert missions["copilotage"] == 2 and missions["formation"] == 0
    assert coverage["missions"][0].count == 0  # the least documented first
    regions = {row.code: row.count for row in coverage["regions"]}
    assert regions["94"] == 0 and regions["32"] == 3
    assert len(coverage["departements"]) == 101
    page = response.content.decode()
    assert "zone blanche" in page and "peu documentée" in page
    grid = {line["region"].code: line["cells"] for line in coverage["grid"]}
    copilotage = [t.code for t in coverage["mission_terms"]].index("copilotage")
    assert grid["32"][copilotage] == 1 and grid["53"][copilotage] == 1
    assert grid["11"][copilotage] == 0


def test_the_missions_by_region_grid_downloads_as_csv(client, registry):
    page = client.get("/observatoire/couverture/?theme=emploi_insertion").content.decode()
    assert 'href="/observatoire/couverture/missions-regions.csv?theme=emploi_insertion"' in page
    response = client.get("/observatoire/couverture/missions-regions.csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    assert header[:2] == ["code", "label"] and len(header) == 2 + 16
    hauts_de_france = next(line.split(",") for line in lines if line.startswith("32,"))
    assert hauts_de_france[header.index("copilotage")] == "1"
    assert len(lines) == 1 + 18
    assert client.get("/observatoire/couverture/missions-regions.csv?region=9Z").status_code == 400


def test_coverage_follows_the_selection(client, registry):
    coverage = client.get("/observatoire/couverture/?theme=mobilite").context["coverage"]
    regions = {row.code: row.count for row in coverage["regions"]}
    assert regions["32"] == 1 and regions["53"] == 0
    assert coverage["total"] == 1


# ---- Comparison ----------------------------------------------------------------


def test_a_departement_compares_with_its_region_in_shares(client, registry):
    response = client.get("/observatoire/comparer/?a-departement=59&b-region=32")
    assert response.status_code == 200
    sides = response.context["sides"]
    assert [side["selection"].total for side in sides] == [1, 3]
    themes = next(s for s in response.context["sections"] if s["name"] == "themes")
    row = next(r for r in themes["rows"] if r.code == "emploi_insertion")
    assert (row.a.count, row.a.share, row.b.count, row.b.share) == (1, 100.0, 2, 66.7)
    assert row.gap == -33.3
    page = response.content.decode().replace(NBSP, " ")
    assert "Département : Nord (59)" in page and "Région : Hauts-de-France" in page


def test_each_section_of_a_comparison_downloads_as_csv(client, registry):
    page = client.get("/observatoire/comparer/?a-departement=59&b-region=32").content.decode()
    assert 'href="/observatoire/comparer/themes.csv?a-departement=59&amp;b-region=32"' in page
    response = client.get("/observatoire/comparer/themes.csv?a-departement=59&b-region=32")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "code,libellé,Nord (59)\u00a0: nombre,Nord (59)\u00a0: part en %,"
        "Hauts-de-France\u00a0: nombre,Hauts-de-France\u00a0: part en %,"
        "écart en points\u00a0: Hauts-de-France \u2212 Nord (59)"
    )
    assert "emploi_insertion,Emploi et insertion professionnelle,1,100.0,2,66.7,-33.3" in lines
    assert client.get("/observatoire/comparer/inconnu.csv").status_code == 404
    response = client.get("/observatoire/comparer/themes.csv?b-region=9Z")
    assert response.status_code == 400 and "Code mal formé" in response.content.decode()


def test_two_regions_compare_side_by_side_and_keep_other_filters(client, registry):
    response = client.get("/observatoire/comparer/?a-region=32&b-region=53&b-year_min=2010")
    sides = response.context["sides"]
    assert [side["selection"].total for side in sides] == [3, 1]
    assert ("b-year_min", "2010") in sides[1]["hidden"]
    assert sides[1]["search_url"] == "/experiences/?region=53&year_min=2010"


def test_the_observatory_offers_to_compare_a_departement_with_its_region(client, registry):
    page = client.get("/observatoire/?departement=59&theme=emploi_insertion").content.decode()
    assert (
        'href="/observatoire/comparer/?a-departement=59&amp;a-theme=emploi_insertion'
        '&amp;b-theme=emploi_insertion&amp;b-region=32"'
    ) in page


def test_an_empty_comparison_compares_the_whole_registry_with_itself(client, registry):
    response = client.get("/observatoire/comparer/")
    assert response.status_code == 200
    assert [side["selection"].total for side in response.context["sides"]] == [6, 6]


# ---- Outlines file --------------------------------------------------------------


def test_the_outline_files_are_compact_json_with_their_attribution():
    folder = Path(__file__).resolve().parents[1] / "registry" / "data"
    for name in ["map-regions.json", "map-departements.json"]:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        assert data["attribution"].startswith("Contours : IGN Admin Express 2018")
        assert all(re.fullmatch(r"(M-?\d+ -?\d+l[-\d ]+z)+", a["d"]) for a in data["areas"])
    assert "Licence Ouverte" in (folder / "MAP-README.md").read_text(encoding="utf-8")


# ---- A comparison people can read (issue 11, point 8) ---------------------------

MINUS = "\u2212"
EMPTY_PARAM = re.compile(r"[?&](?:amp;)?[\w-]+=(?=&|#|$)")


def section_of(page, heading_id):
    """The HTML of the section a heading id labels."""
    return page.split(f'aria-labelledby="{heading_id}"', 1)[1].split("</section>", 1)[0]


def row_labels(html):
    return [
        unescape(label) for label in re.findall(r'<th scope="row">(?:<a [^>]*>)?([^<]+)<', html)
    ]


def hrefs(page):
    """The addresses of the page's links."""
    return [unescape(href) for href in re.findall(r'<a [^>]*href="([^"]*)"', page)]


def csv_lines(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_comparison_names_its_columns_after_each_selection(client, registry):
    page = client.get("/observatoire/comparer/?a-region=53&b-region=76").content.decode()
    assert "<title>Bretagne et Occitanie · Comparer deux sélections" in page
    themes = section_of(page, "cmp-themes")
    assert '<th scope="colgroup" colspan="2" class="obs-side-a">Bretagne</th>' in themes
    assert '<th scope="colgroup" colspan="2" class="obs-side-b">Occitanie</th>' in themes
    assert "A : part" not in page and "B : nombre" not in page
    # Each bar says whose share it draws.
    assert f'role="img" aria-label="Bretagne{NBSP}: 100,0{NBSP}%"' in themes
    assert f'role="img" aria-label="Occitanie{NBSP}: 0,0{NBSP}%"' in themes
    assert f"Expériences{NBSP}: Bretagne" in page


def test_the_comparison_names_its_columns_in_english_too(client, registry):
    page = client.get("/en/observatoire/comparer/?a-region=53&b-region=76").content.decode()
    assert "<title>Bretagne and Occitanie · Compare two selections" in page
    themes = section_of(page, "cmp-themes")
    assert 'class="obs-side-a">Bretagne</th>' in themes
    assert 'role="img" aria-label="Bretagne: 100.0%"' in themes
    assert "Gap: share in Occitanie minus share in Bretagne, in percentage points" in page


def test_a_selection_is_named_after_its_filters_or_the_whole_registry(client, registry):
    page = client.get("/observatoire/comparer/?a-region=53&a-theme=emploi_insertion").content
    themes = section_of(page.decode(), "cmp-themes")
    assert 'class="obs-side-a">Bretagne · Emploi et insertion professionnelle</th>' in themes
    assert 'class="obs-side-b">Tout le registre</th>' in themes
    # Two selections that would read the same are told apart.
    page = client.get("/observatoire/comparer/?a-region=53&b-region=53").content.decode()
    assert 'class="obs-side-a">Sélection A (Bretagne)</th>' in page
    assert 'class="obs-side-b">Sélection B (Bretagne)</th>' in page


def test_the_comparison_csv_names_its_columns_after_each_selection(client, registry):
    lines = csv_lines(client.get("/observatoire/comparer/themes.csv?a-region=53&b-region=76"))
    assert lines[0] == [
        "code",
        "libellé",
        f"Bretagne{NBSP}: nombre",
        f"Bretagne{NBSP}: part en %",
        f"Occitanie{NBSP}: nombre",
        f"Occitanie{NBSP}: part en %",
        f"écart en points{NBSP}: Occitanie {MINUS} Bretagne",
    ]
    response = client.get("/en/observatoire/comparer/themes.csv?a-region=53&b-region=76")
    assert 'filename="comparaison-themes-bretagne-occitanie.csv"' in (
        response["Content-Disposition"]
    )
    assert csv_lines(response)[0] == [
        "code",
        "label",
        "Bretagne: count",
        "Bretagne: share in %",
        "Occitanie: count",
        "Occitanie: share in %",
        f"gap in points: Occitanie {MINUS} Bretagne",
    ]


def test_the_comparison_has_a_legend_and_explains_the_gap_in_words(client, registry):
    page = client.get("/observatoire/comparer/?a-region=53&b-region=76").content.decode()
    legend = page.split('aria-label="Légende des barres"', 1)[1].split("</ul>", 1)[0]
    assert f"Bretagne{NBSP}: barre du haut, pleine" in legend
    assert f"Occitanie{NBSP}: barre du bas, hachurée" in legend
    assert 'class="obs-swatch obs-swatch-a"' in legend
    assert 'class="obs-swatch obs-swatch-b"' in legend
    words = re.sub(r"[ \n]+", " ", page)
    assert (
        f"Écart{NBSP}: part dans Occitanie moins part dans Bretagne, en points de pourcentage"
        in words
    )


def test_gaps_carry_true_minus_and_plus_signs_and_one_decimal(client, registry):
    page = client.get("/observatoire/comparer/?a-departement=59&b-region=32").content.decode()
    themes = section_of(page, "cmp-themes")
    employment = themes.split("Emploi et insertion professionnelle</th>", 1)[1].split("</tr>")[0]
    assert f"<td class=\"num\">100,0{NBSP}%</td>" in employment
    assert f"<td class=\"num\">66,7{NBSP}%</td>" in employment
    assert f'<td class="num">{MINUS}33,3</td>' in employment
    mobility = themes.split("Mobilité</th>", 1)[1].split("</tr>")[0]
    assert '<td class="num">+33,3</td>' in mobility
    assert not re.search(r'<td class="num">-\d', page)
    english = client.get("/en/observatoire/comparer/?a-departement=59&b-region=32").content.decode()
    assert f'<td class="num">{MINUS}33.3</td>' in english
    assert '<td class="num">100.0%</td>' in english


def test_the_dashboard_prints_shares_with_one_decimal(client, registry):
    page = client.get("/observatoire/").content.decode()
    themes = section_of(page, "chart-themes")
    employment = themes.split("Emploi et insertion professionnelle</th>", 1)[1].split("</tr>")[0]
    assert f"50,0{NBSP}%" in employment  # 3 of the 6 cases
    assert f"<dd>16,7{NBSP}%</dd>" in page  # one case of six brings the three families together
    assert "50.0%" in client.get("/en/observatoire/").content.decode()


# ---- Every chart sorted by count ----------------------------------------------------


def test_a_dashboard_chart_sorts_by_count_on_the_page_and_in_its_csv(client, registry):
    natural = row_labels(section_of(client.get("/observatoire/").content.decode(), "chart-themes"))
    page = client.get("/observatoire/?region=32&tri_themes=nombre").content.decode()
    themes = section_of(page, "chart-themes")
    ranked = row_labels(themes)
    assert ranked != natural and sorted(ranked) == sorted(natural)
    assert ranked[0] == "Emploi et insertion professionnelle"
    assert '<span aria-current="true">Du plus fréquent au moins fréquent</span>' in themes
    assert 'href="/observatoire/?region=32#chart-themes">Ordre du référentiel</a>' in themes
    assert 'href="/observatoire/themes.csv?region=32&amp;tri_themes=nombre"' in themes
    # The other charts keep their order, and the selection's forms keep the order asked.
    assert '<input type="hidden" name="tri_themes" value="nombre">' in page
    rows = read_csv(client.get("/observatoire/themes.csv?region=32&tri_themes=nombre"))
    assert [r["label"] for r in rows] == ranked
    counts = [int(r["count"]) for r in rows]
    assert counts == sorted(counts, reverse=True)
    # The search page does not receive a display option.
    assert 'href="/experiences/?region=32"' in page


def test_practices_sorted_by_count_rank_the_missions(client, registry):
    page = client.get("/observatoire/?tri_pratiques=nombre").content.decode()
    ranked = row_labels(section_of(page, "chart-pratiques"))
    assert len(ranked) == 16 and ranked[0] == "Co-pilotage des expérimentations"
    rows = read_csv(client.get("/observatoire/pratiques.csv?tri_pratiques=nombre"))
    assert [r["label"] for r in rows] == ranked


def test_the_map_table_sorts_by_count(client, registry):
    page = client.get("/observatoire/?tri_regions=nombre").content.decode()
    table = page.split('id="obs-area-caption"', 1)[1].split("</table>", 1)[0]
    assert row_labels(table)[0] == "32 — Hauts-de-France"
    assert 'href="/observatoire/regions.csv?tri_regions=nombre"' in page


def test_a_compared_chart_sorts_by_either_selection_or_by_the_gap(client, registry):
    base = "a-departement=59&b-region=32"
    natural = row_labels(
        section_of(client.get(f"/observatoire/comparer/?{base}").content.decode(), "cmp-themes")
    )
    page = client.get(f"/observatoire/comparer/?{base}&tri_themes=ecart").content.decode()
    themes = section_of(page, "cmp-themes")
    ranked = row_labels(themes)
    # Éducation et jeunesse: all of Nord's cases, a third of Hauts-de-France's.
    assert ranked != natural and ranked[0] == "Éducation et jeunesse"
    assert '<span aria-current="true">Du plus grand écart au plus petit</span>' in themes
    assert "Du plus fréquent au moins fréquent (Nord (59))" in themes
    assert "Du plus fréquent au moins fréquent (Hauts-de-France)" in themes
    assert '<input type="hidden" name="tri_themes" value="ecart">' in page
    assert f"/observatoire/comparer/themes.csv?{base}&tri_themes=ecart" in hrefs(themes)
    lines = csv_lines(client.get(f"/observatoire/comparer/themes.csv?{base}&tri_themes=ecart"))
    assert [line[1] for line in lines[1:]] == ranked
    gaps = [abs(float(line[6])) for line in lines[1:]]
    assert gaps == sorted(gaps, reverse=True)
    by_b = client.get(f"/observatoire/comparer/themes.csv?{base}&tri_themes=b")
    counts_b = [int(line[4]) for line in csv_lines(by_b)[1:]]
    assert counts_b == sorted(counts_b, reverse=True) and counts_b[0] == 2


def test_the_coverage_grid_sorts_by_count_on_the_page_and_in_its_csv(client, registry):
    page = client.get("/observatoire/couverture/").content.decode()
    natural = row_labels(section_of(page, "cov-grid"))
    assert natural[0] == "Guadeloupe"  # by code
    page = client.get("/observatoire/couverture/?tri_grille=rares").content.decode()
    grid = section_of(page, "cov-grid")
    ranked = row_labels(grid)
    assert ranked != natural and ranked[-1] == "Hauts-de-France"
    assert 'href="/observatoire/couverture/missions-regions.csv?tri_grille=rares"' in grid
    lines = csv_lines(client.get("/observatoire/couverture/missions-regions.csv?tri_grille=rares"))
    assert [line[1] for line in lines[1:]] == ranked


def test_coverage_lists_the_least_documented_first_or_in_the_referentiel_order(client, registry):
    page = client.get("/observatoire/couverture/").content.decode()
    missions = section_of(page, "cov-missions")
    assert len(row_labels(missions)) == 16
    assert 'href="/observatoire/pratiques.csv?tri_pratiques=rares"' in missions
    rows = read_csv(client.get("/observatoire/pratiques.csv?tri_pratiques=rares"))
    assert [r["label"] for r in rows] == row_labels(missions)
    page = client.get("/observatoire/couverture/?tri_pratiques=ordre").content.decode()
    missions = section_of(page, "cov-missions")
    assert row_labels(missions)[0] == "Dialogue territorial" and len(row_labels(missions)) == 20
    assert 'href="/observatoire/pratiques.csv"' in missions


# ---- Words for visitors, addresses with what is set ---------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/observatoire/",
        "/observatoire/couverture/",
        "/observatoire/comparer/?a-region=53&b-region=76",
        "/experiences/",
    ],
)
def test_public_pages_carry_no_developer_note(client, registry, url):
    page = client.get(url).content.decode()
    assert "préfixe" not in page
    assert "<code>" not in page
    assert "a-year_min" not in page


def test_the_comparison_tells_visitors_how_to_use_it(client, registry):
    page = client.get("/observatoire/comparer/").content.decode()
    assert "Choisissez les filtres de chaque sélection, puis comparez." in page


@pytest.mark.parametrize(
    "url, clean",
    [
        ("/observatoire/?q=&region=32&year_min=&ongoing=", "/observatoire/?region=32"),
        ("/observatoire/?q=&year_max=", "/observatoire/"),
        ("/observatoire/couverture/?theme=&seuil=2", "/observatoire/couverture/?seuil=2"),
        (
            "/observatoire/comparer/?a-region=53&a-theme=&b-region=76&b-departement=",
            "/observatoire/comparer/?a-region=53&b-region=76",
        ),
    ],
)
def test_an_address_with_blank_parameters_redirects_to_the_same_without_them(
    client, registry, url, clean
):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == clean
    assert client.get(clean).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/observatoire/?q=&region=32&theme=emploi_insertion&year_min=&ongoing=",
        "/observatoire/?departement=59&year_max=&tri_themes=nombre",
        "/observatoire/?theme=emploi_insertion&q=&tri_grille=rares&carte=departement",
    ],
)
def test_links_built_by_the_server_carry_no_blank_parameter(client, registry, url):
    """Even from an address with blanks: an htmx request is answered in place."""
    page = client.get(url, headers={"HX-Request": "true"}).content.decode()
    links = hrefs(page)
    assert any("region=" in link or "departement=" in link for link in links)
    assert [link for link in links if EMPTY_PARAM.search(link)] == []
    assert not re.search(r'<input type="hidden" name="[^"]+" value="">', page)


def test_the_map_options_stay_out_of_addresses_when_they_are_the_defaults(client, registry):
    page = client.get("/observatoire/?region=32").content.decode()
    assert 'name="carte"' not in page and 'name="mesure"' not in page
    assert 'href="/observatoire/?region=32&amp;carte=departement"' in page
    page = client.get("/observatoire/?region=32&carte=departement").content.decode()
    assert '<input type="hidden" name="carte" value="departement">' in page
    assert 'href="/observatoire/?region=32">Par région</a>' in page


def test_the_comparison_links_carry_only_each_sides_filters(client, registry):
    page = client.get(
        "/observatoire/?departement=59&q=&theme=emploi_insertion", headers={"HX-Request": "true"}
    ).content.decode()
    compare = next(link for link in hrefs(page) if link.startswith("/observatoire/comparer/"))
    assert compare == (
        "/observatoire/comparer/?a-departement=59&a-theme=emploi_insertion"
        "&b-theme=emploi_insertion&b-region=32"
    )
    page = client.get(compare).content.decode()
    assert 'href="/observatoire/?departement=59&amp;theme=emploi_insertion"' in page
    assert 'href="/experiences/?theme=emploi_insertion&amp;region=32"' in page
