"""Loading the référentiel vocabularies from `registry/data/taxonomy.json`."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from registry.models import Term, Vocabulary
from registry.models.index import bump_registry_version

TAXONOMY_PATH = Path(__file__).resolve().parents[1] / "data" / "taxonomy.json"


@dataclass
class LoadReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self):
        return bool(self.created or self.updated)


def read_taxonomy(path=TAXONOMY_PATH):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


@transaction.atomic
def load_vocabularies(path=TAXONOMY_PATH, overwrite_labels=False):
    """Create or update every list and item. Codes are the keys; a second run
    changes nothing. Labels edited by staff are kept unless `overwrite_labels`.
    Items removed from the file are not deleted (cases may use them)."""
    data = read_taxonomy(path)
    # The shared reference words its sources and notes in English; the French
    # wording is the registry's (`sources_fr`, `note_fr`).
    sources_en = data.get("sources", {})
    sources_fr = data.get("sources_fr", {})
    report = LoadReport()
    for position, spec in enumerate(data["lists"]):
        source = spec.get("source", "")
        vocabulary_values = {
            "label_fr": spec["label"]["fr"],
            "label_en": spec["label"].get("en", ""),
            "basis": spec["basis"],
            "source_fr": sources_fr.get(source, ""),
            "source_en": sources_en.get(source, ""),
            "note_fr": spec.get("note_fr", ""),
            "note_en": spec.get("note", ""),
            "position": position,
        }
        vocabulary = _upsert(
            Vocabulary, {"code": spec["code"]}, vocabulary_values, report, overwrite_labels
        )
        counter = iter(range(10_000))
        for item in spec["items"]:
            _load_item(vocabulary, item, None, spec["basis"], counter, report, overwrite_labels)
    if report.updated:
        # Labels and their order show on the pages kept under the registry version.
        bump_registry_version()
    return report


def _load_item(vocabulary, item, parent, basis, counter, report, overwrite_labels):
    values = {
        "parent": parent,
        "label_fr": item["fr"],
        "label_en": item.get("en", ""),
        "description_fr": item.get("fr_desc", ""),
        "description_en": item.get("en_desc", ""),
        "basis": item.get("basis", basis),
        "position": next(counter),
    }
    term = _upsert(
        Term, {"vocabulary": vocabulary, "code": item["code"]}, values, report, overwrite_labels
    )
    for child in item.get("children", []):
        _load_item(vocabulary, child, term, values["basis"], counter, report, overwrite_labels)


EDITABLE = {"label_fr", "label_en", "description_fr", "description_en"}


def _upsert(model, keys, values, report, overwrite_labels):
    obj = model.objects.filter(**keys).first()
    if obj is None:
        obj = model.objects.create(**keys, **values)
        report.created.append(f"{model._meta.model_name} {keys.get('code')}")
        return obj
    changed = []
    for name, value in values.items():
        if name in EDITABLE and not overwrite_labels:
            continue
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    if changed:
        obj.save(update_fields=changed)
        report.updated.append(f"{model._meta.model_name} {keys.get('code')}: {', '.join(changed)}")
    else:
        report.unchanged += 1
    return obj
