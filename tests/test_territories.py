"""The official geography (COG 2026) as loaded from the committed data file."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F

from territories.loader import load_territories
from territories.models import Territory, TerritoryLink

pytestmark = pytest.mark.django_db


def get(kind, code):
    return Territory.objects.select_related("epci", "departement", "region").get(
        kind=kind, code=code
    )


def test_exactly_the_official_counts_are_loaded():
    counts = dict(Territory.objects.values_list("kind").annotate(n=Count("pk")))
    assert counts == {"region": 18, "departement": 101, "epci": 1255, "commune": 34875}
    categories = dict(
        Territory.objects.filter(kind="epci").values_list("epci_category").annotate(n=Count("pk"))
    )
    assert categories == {"CC": 989, "CA": 230, "CU": 14, "METRO": 21, "MET69": 1}


def test_lille_rolls_up_to_its_metropole_departement_and_region():
    lille = get("commune", "59350")
    assert lille.epci.name == "Métropole Européenne de Lille"
    assert lille.epci.epci_category == "METRO"
    assert (lille.departement.code, lille.region.code) == ("59", "32")
    assert lille.region.name == "Hauts-de-France"
    assert lille.population > 200_000 and "59000" in lille.postal_codes.split()
    assert lille.siren == "215903501"
    above = set(Territory.objects.containing(lille).values_list("kind", "code"))
    assert above == {
        ("commune", "59350"),
        ("epci", "200093201"),
        ("departement", "59"),
        ("region", "32"),
    }


def test_corsica_and_the_overseas_regions_keep_their_codes():
    ajaccio = get("commune", "2A004")
    assert (ajaccio.departement.code, ajaccio.region.code) == ("2A", "94")
    saint_denis = get("commune", "97411")
    assert (saint_denis.departement.code, saint_denis.region.code) == ("974", "04")
    assert saint_denis.is_overseas
    assert get("departement", "976").region.code == "06"
    assert not get("departement", "59").is_overseas


def test_paris_lyon_and_marseille_belong_to_metropoles():
    assert get("commune", "75056").epci.epci_category == "METRO"
    assert get("commune", "69123").epci.epci_category == "MET69"
    assert get("commune", "13055").epci.epci_category == "METRO"


def test_four_island_communes_belong_to_no_epci():
    islands = set(
        Territory.objects.filter(kind="commune", epci__isnull=True).values_list("name", flat=True)
    )
    assert islands == {"Île-de-Bréhat", "Île-de-Sein", "Ouessant", "L'Île-d'Yeu"}


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
    epci = (
        Territory.objects.filter(kind="epci", ancestor_links__ancestor__kind="region")
        .annotate(n=Count("ancestor_links"))
        .filter(n__gt=1)
        .first()
    )
    regions = Territory.objects.containing(epci).filter(kind="region")
    assert regions.count() == 2
    for region in regions:
        assert Territory.objects.inside(region).filter(pk=epci.pk).exists()


def test_everything_inside_a_region_is_one_query(django_assert_num_queries):
    hauts_de_france = get("region", "32")
    with django_assert_num_queries(1):
        inside = dict(
            Territory.objects.inside(hauts_de_france).values_list("kind").annotate(n=Count("pk"))
        )
    assert inside["departement"] == 5 and inside["region"] == 1
    assert inside["commune"] > 3700


def test_a_second_load_changes_nothing_and_says_so(capsys):
    report = load_territories()
    assert not report.changed
    call_command("load_territories")
    assert "already up to date" in capsys.readouterr().out
    assert Territory.objects.count() == 18 + 101 + 1255 + 34875


def test_a_reload_restores_an_official_name_and_membership():
    lille = get("commune", "59350")
    lille.name = "Lille-en-Flandre"
    lille.epci = None
    lille.save()
    TerritoryLink.objects.filter(descendant=lille, ancestor__kind="epci").delete()
    report = load_territories()
    assert report.updated["commune"] == 1 and report.links_added == 1
    lille = get("commune", "59350")
    assert lille.name == "Lille" and lille.epci.code == "200093201"


def test_a_name_typed_without_accents_or_hyphens_is_found():
    assert Territory.objects.search("saint etienne").first().code == "42218"
    assert Territory.objects.search("ILE DE FRANCE").first().code == "11"
    assert not Territory.objects.search("   ").exists()


def test_homonyms_are_told_apart_by_their_departement():
    colombes = Territory.objects.search("sainte colombe").filter(
        kind="commune", name="Sainte-Colombe"
    )
    labels = [t.label for t in colombes]
    assert len(labels) == 12 and len(set(labels)) == 12
    assert "Sainte-Colombe (05)" in labels and "Sainte-Colombe (77)" in labels


def test_names_sort_the_french_way():
    names = list(Territory.objects.regions().values_list("name", flat=True))
    assert names.index("Île-de-France") == names.index("Hauts-de-France") + 1
    assert names[-1] == "Provence-Alpes-Côte d'Azur"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ICU collation on PostgreSQL")
def test_postgresql_collation_also_puts_ile_de_france_among_the_i():
    from django.db.models.functions import Collate

    names = list(
        Territory.objects.regions()
        .order_by(Collate("name", "fr-x-icu"))
        .values_list("name", flat=True)
    )
    assert names.index("Île-de-France") < names.index("La Réunion")
