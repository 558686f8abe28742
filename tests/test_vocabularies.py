import json

import pytest
from django.utils import translation

from registry.models import Basis, Term, Vocabulary
from registry.models.taxonomy import TAXONOMY_PATH, load_vocabularies, read_taxonomy
from tests.factories import CaseFactory, term

pytestmark = pytest.mark.django_db


def count_items(items):
    return sum(1 + count_items(item.get("children", [])) for item in items)


def test_every_list_and_item_of_the_taxonomy_is_loaded():
    data = read_taxonomy()
    assert Vocabulary.objects.count() == len(data["lists"])
    for spec in data["lists"]:
        assert Term.objects.filter(vocabulary__code=spec["code"]).count() == count_items(
            spec["items"]
        ), spec["code"]


def test_the_referentiel_has_four_metiers_of_four_missions_each():
    metiers = Term.objects.of("practice").filter(parent__isnull=True)
    assert metiers.count() == 4
    for metier in metiers:
        assert metier.children.count() == 4
    assert term("practice", "fablab").parent == term("practice", "gestion_lieu")


def test_mecenat_forms_and_collectivite_kinds_are_children_of_their_parent():
    assert term("partnership_type", "mecenat_competences").parent.code == "mecenat"
    assert term("actor_type", "epci").parent.code == "collectivite"


def test_labels_and_descriptions_follow_the_active_language():
    forme = term("coconstruction_form", "experimentation_collective")
    with translation.override("fr"):
        assert forme.label == "Expérimentation collective"
        assert forme.description.startswith("Plusieurs acteurs")
    with translation.override("en"):
        assert forme.label == "Collective experiment"
        assert forme.description.startswith("Several actors")
        assert Vocabulary.objects.get(code="theme").label == "Theme"


def test_the_basis_says_which_lists_are_the_registrys_own():
    assert Vocabulary.objects.get(code="practice").basis == Basis.SOURCED
    assert Vocabulary.objects.get(code="partner_role").basis == Basis.REGISTRY
    assert term("theme", "logement").basis == Basis.REGISTRY
    assert term("theme", "sante").basis == Basis.SOURCED
    assert "RAMEAU" in Vocabulary.objects.get(code="practice").source or "catalyseurs" in (
        Vocabulary.objects.get(code="practice").source
    )


def test_loading_twice_changes_nothing():
    report = load_vocabularies()
    assert not report.changed
    assert report.unchanged == Vocabulary.objects.count() + Term.objects.count()


def test_labels_edited_by_staff_survive_a_reload_unless_asked():
    sante = term("theme", "sante")
    sante.label_fr = "Santé et bien-être"
    sante.save()
    load_vocabularies()
    assert term("theme", "sante").label_fr == "Santé et bien-être"
    load_vocabularies(overwrite_labels=True)
    assert term("theme", "sante").label_fr == "Santé"


def test_a_new_item_in_the_file_is_added_and_codes_are_kept(tmp_path):
    data = json.loads(TAXONOMY_PATH.read_text(encoding="utf-8"))
    theme = next(spec for spec in data["lists"] if spec["code"] == "theme")
    theme["items"].append({"code": "tourisme", "fr": "Tourisme", "en": "Tourism"})
    path = tmp_path / "taxonomy.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    sante_pk = term("theme", "sante").pk
    report = load_vocabularies(path)
    assert report.created == ["term tourisme"]
    assert term("theme", "tourisme").label_en == "Tourism"
    assert term("theme", "sante").pk == sante_pk


def test_a_retired_term_is_no_longer_offered_but_stays_on_its_cases():
    mobilite = term("theme", "mobilite")
    case = CaseFactory(tags=[mobilite])
    mobilite.is_active = False
    mobilite.save()
    assert mobilite not in Term.objects.of("theme").active()
    assert mobilite in case.terms.all()
    load_vocabularies()
    assert not term("theme", "mobilite").is_active
