"""The official geography (COG 2026) as loaded from the committed data file.

tests/conftest.py loads it once per test database; tests that reload it run
inside their own transaction, so whatever they change is rolled back.
"""

import gzip
import json
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db.models import Count, F, Sum

from territories.loader import load_territories, read_data
from territories.models import Territory, TerritoryLink

pytestmark = pytest.mark.django_db

ALL_TERRITORIES = 18 + 101 + 1255 + 34875
DREUX_AGGLO = "200040277"  # CA Agglo du Pays de Dreux: Eure-et-Loir (28) and Eure (27)


def get(kind, code):
    return Territory.objects.select_related("epci", "departement", "region").get(
        kind=kind, code=code
    )


def codes(queryset, kind):
    return set(queryset.filter(kind=kind).values_list("code", flat=True))


def write(data, path):
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(data, handle)
    return path


def test_exactly_the_official_counts_are_loaded():
    counts = dict(Territory.objects.values_list("kind").annotate(n=Count("pk")))
    assert counts == {"region": 18, "departement": 101, "epci": 1255, "commune": 34875}
    categories = dict(
        Territory.objects.filter(kind="epci").values_list("epci_category").annotate(n=Count("pk"))
    )
    assert categories == {"CC": 989, "CA": 230, "CU": 14, "METRO": 21, "MET69": 1}


def test_communes_of_the_overseas_collectivities_are_left_out():
    left_out = ("975", "977", "978", "984", "986", "987", "988", "989")
    communes = Territory.objects.filter(kind="commune")
    assert not any(communes.filter(code__startswith=prefix).exists() for prefix in left_out)
    assert not Territory.objects.filter(kind="departement", code__in=left_out).exists()


def test_only_the_five_drom_are_marked_overseas():
    overseas = Territory.objects.filter(is_overseas=True)
    assert codes(overseas, "region") == {"01", "02", "03", "04", "06"}
    assert codes(overseas, "departement") == {"971", "972", "973", "974", "976"}
    assert not overseas.filter(kind="commune").exclude(code__startswith="97").exists()
    assert Territory.objects.filter(kind="commune", code__startswith="97").count() == (
        overseas.filter(kind="commune").count()
    )


def test_lille_rolls_up_to_its_metropole_departement_and_region():
    lille = get("commune", "59350")
    assert lille.epci.name == "Métropole Européenne de Lille"
    assert lille.epci.epci_category == "METRO"
    assert (lille.departement.code, lille.region.code) == ("59", "32")
    assert lille.region.name == "Hauts-de-France"
    assert lille.population > 200_000 and "59000" in lille.postal_codes.split()
    assert lille.siren == "215903501"
    assert set(Territory.objects.containing(lille).values_list("kind", "code")) == {
        ("commune", "59350"),
        ("epci", "200093201"),
        ("departement", "59"),
        ("region", "32"),
    }


def test_corsica_and_the_overseas_regions_keep_their_codes():
    ajaccio = get("commune", "2A004")
    assert (ajaccio.departement.code, ajaccio.region.code) == ("2A", "94")
    assert ajaccio.region.name == "Corse"
    assert codes(Territory.objects.filter(region=get("region", "94")), "departement") == {
        "2A",
        "2B",
    }
    saint_denis = get("commune", "97411")
    assert (saint_denis.departement.code, saint_denis.region.code) == ("974", "04")
    assert saint_denis.is_overseas
    assert get("departement", "976").region.code == "06"


def test_paris_lyon_and_marseille_belong_to_metropoles():
    assert get("commune", "75056").epci.name == "Métropole du Grand Paris"
    assert get("commune", "69123").epci.epci_category == "MET69"
    assert get("commune", "13055").epci.name == "Métropole d'Aix-Marseille-Provence"


def test_four_island_communes_belong_to_no_epci():
    islands = Territory.objects.filter(kind="commune", epci__isnull=True)
    assert set(islands.values_list("code", "name")) == {
        ("22016", "Île-de-Bréhat"),
        ("29083", "Île-de-Sein"),
        ("29155", "Ouessant"),
        ("85113", "L'Île-d'Yeu"),
    }
    assert not TerritoryLink.objects.filter(descendant__in=islands, ancestor__kind="epci").exists()


def test_89_epci_straddle_departements_and_26_straddle_regions():
    links = TerritoryLink.objects.filter(descendant__kind="epci").exclude(ancestor=F("descendant"))

    def straddling(kind):
        return (
            links.filter(ancestor__kind=kind)
            .values("descendant")
            .annotate(n=Count("ancestor"))
            .filter(n__gt=1)
            .count()
        )

    assert (straddling("departement"), straddling("region")) == (89, 26)


def test_an_epci_spanning_two_regions_is_found_from_both():
    dreux_agglo = get("epci", DREUX_AGGLO)
    centre, normandie = get("region", "24"), get("region", "28")
    assert Territory.objects.inside(centre).filter(pk=dreux_agglo.pk).exists()
    assert Territory.objects.inside(normandie).filter(pk=dreux_agglo.pk).exists()
    assert not Territory.objects.inside(get("region", "11")).filter(pk=dreux_agglo.pk).exists()
    assert [t.code for t in dreux_agglo.parents()] == ["27", "28"]


def test_everything_inside_a_region_is_one_query(django_assert_num_queries):
    hauts_de_france = get("region", "32")
    with django_assert_num_queries(1):
        inside = dict(
            Territory.objects.inside(hauts_de_france).values_list("kind").annotate(n=Count("pk"))
        )
    assert inside["region"] == 1 and inside["departement"] == 5
    communes = Territory.objects.filter(kind="commune", region=hauts_de_france)
    assert inside["commune"] == communes.count() == 3782


def test_populations_of_the_upper_levels_add_up_their_communes():
    communes = Territory.objects.filter(kind="commune")
    for territory, members in [
        (get("region", "32"), communes.filter(region__code="32")),
        (get("departement", "2A"), communes.filter(departement__code="2A")),
        (get("epci", "200093201"), communes.filter(epci__code="200093201")),
    ]:
        assert territory.population == members.aggregate(total=Sum("population"))["total"]
    assert get("region", "11").population > 12_000_000


def test_a_second_load_changes_nothing_and_says_so():
    links = TerritoryLink.objects.count()
    report = load_territories()
    assert not report.changed
    out = StringIO()
    call_command("load_territories", stdout=out)
    assert "Commune: 34875 (0 created, 0 updated)" in out.getvalue()
    assert "Territories already up to date" in out.getvalue()
    assert Territory.objects.count() == ALL_TERRITORIES
    assert TerritoryLink.objects.count() == links


def test_the_command_is_silent_at_verbosity_0():
    out = StringIO()
    call_command("load_territories", verbosity=0, stdout=out)
    assert out.getvalue() == ""


def test_a_reload_restores_an_official_name_and_membership():
    lille = get("commune", "59350")
    lille.name = "Lille-en-Flandre"
    lille.name_key = "lille en flandre"
    lille.epci = None
    lille.save()
    TerritoryLink.objects.filter(descendant=lille, ancestor__kind="epci").delete()

    report = load_territories()

    assert report.updated["commune"] == 1 and report.links_added == 1
    lille = get("commune", "59350")
    assert (lille.name, lille.name_key) == ("Lille", "lille")
    assert lille.epci.code == "200093201"
    assert Territory.objects.search("lille").first() == lille


def test_a_new_file_updates_names_populations_and_memberships(tmp_path):
    """A new vintage: a commune grows, an EPCI is renamed, and the Eure members of
    the Dreux agglomeration join Évreux's, so it no longer reaches Normandie."""
    data = read_data()
    evreux_epci = next(c[6] for c in data["communes"] if c[0] == "27229")
    moved = 0
    for commune in data["communes"]:
        if commune[0] == "59350":
            commune[3] += 1000
        if commune[6] == DREUX_AGGLO and commune[2] == "27":
            commune[6] = evreux_epci
            moved += 1
    for epci in data["epci"]:
        if epci[0] == "200093201":
            epci[1] = "Métropole de Lille"
    lille_before = get("commune", "59350")

    report = load_territories(write(data, tmp_path / "cog-next.json.gz"))

    assert report.created == {"region": 0, "departement": 0, "epci": 0, "commune": 0}
    assert report.updated["commune"] == 1 + moved
    assert report.updated["region"] == 1 and report.updated["departement"] == 1
    lille = get("commune", "59350")
    assert lille.population == lille_before.population + 1000
    assert (lille.epci.name, lille.epci.name_key) == ("Métropole de Lille", "metropole de lille")
    dreux_agglo = get("epci", DREUX_AGGLO)
    assert codes(Territory.objects.containing(dreux_agglo), "region") == {"24"}
    assert not Territory.objects.inside(get("region", "28")).filter(pk=dreux_agglo.pk).exists()
    assert report.links_removed == moved + 2  # members' EPCI links, Eure and Normandie
    assert report.links_added == moved


def test_cases_follow_a_new_geography_in_the_counts(tmp_path, client):
    """An EPCI that leaves a région takes its cases out of that région's counts
    (the search page's facets, the observatory), once the new file is loaded."""
    from tests.factories import CaseFactory

    CaseFactory(title="Alliance de l'agglomération de Dreux", places=[get("epci", DREUX_AGGLO)])

    def normandie_count():
        facets = client.get("/experiences/").context["facets"]
        return next((o.count for o in facets["region"].options if o.code == "28"), 0)

    assert normandie_count() == 1
    data = read_data()
    evreux_epci = next(c[6] for c in data["communes"] if c[0] == "27229")
    for commune in data["communes"]:
        if commune[6] == DREUX_AGGLO and commune[2] == "27":
            commune[6] = evreux_epci
    call_command("load_territories", file=str(write(data, tmp_path / "next.json.gz")), verbosity=0)
    cache.clear()
    assert normandie_count() == 0
    assert client.get("/observatoire/regions.csv").content.decode().count("\n28,") == 1
    assert "\n28,Normandie,0," in client.get("/observatoire/regions.csv").content.decode()


def test_a_territory_missing_from_a_new_file_is_kept_with_its_links(tmp_path):
    data = read_data()
    data["communes"] = [c for c in data["communes"] if c[0] != "22016"]

    report = load_territories(write(data, tmp_path / "cog-next.json.gz"))

    assert report.not_in_file == {"region": 0, "departement": 0, "epci": 0, "commune": 1}
    assert report.links_added == report.links_removed == 0
    brehat = get("commune", "22016")
    assert Territory.objects.inside(get("region", "53")).filter(pk=brehat.pk).exists()


def test_a_name_typed_without_accents_or_hyphens_is_found():
    assert Territory.objects.search("saint etienne").first().code == "42218"
    assert Territory.objects.search("SAINT-ÉTIENNE").first().code == "42218"
    assert Territory.objects.search("ILE DE FRANCE").first().code == "11"
    assert not Territory.objects.search("   ").exists()


def test_homonyms_are_told_apart_by_their_departement():
    colombes = Territory.objects.search("sainte colombe").filter(
        kind="commune", name="Sainte-Colombe"
    )
    labels = [t.label for t in colombes]
    assert len(labels) == 12 and len(set(labels)) == 12
    assert "Sainte-Colombe (05)" in labels and "Sainte-Colombe (77)" in labels


def test_regions_sort_by_name_with_ile_de_france_among_the_i():
    names = list(Territory.objects.regions().order_by("name_key").values_list("name", flat=True))
    assert names == [
        "Auvergne-Rhône-Alpes",
        "Bourgogne-Franche-Comté",
        "Bretagne",
        "Centre-Val de Loire",
        "Corse",
        "Grand Est",
        "Guadeloupe",
        "Guyane",
        "Hauts-de-France",
        "Île-de-France",
        "La Réunion",
        "Martinique",
        "Mayotte",
        "Normandie",
        "Nouvelle-Aquitaine",
        "Occitanie",
        "Pays de la Loire",
        "Provence-Alpes-Côte d'Azur",
    ]
