"""Load the official geography from `territories/data/cog-2026.json.gz`.

Idempotent: rows are matched on (kind, code); only new or changed rows are
written, links missing from the closure table are added and stale ones
removed, so a second run writes nothing. Everything happens in one transaction.
"""

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from territories.models import Territory, TerritoryKind, TerritoryLink, normalize

DATA_PATH = Path(__file__).resolve().parent / "data" / "cog-2026.json.gz"
OVERSEAS_REGIONS = {"01", "02", "03", "04", "06"}
BATCH = 2000
FIELDS = [
    "name",
    "name_key",
    "region_id",
    "departement_id",
    "epci_id",
    "epci_category",
    "population",
    "siren",
    "postal_codes",
    "is_overseas",
]


@dataclass
class LoadReport:
    created: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)
    links_added: int = 0
    links_removed: int = 0

    @property
    def changed(self):
        return bool(
            any(self.created.values())
            or any(self.updated.values())
            or self.links_added
            or self.links_removed
        )


def read_data(path=DATA_PATH):
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


class Loader:
    def __init__(self, progress=None):
        self.progress = progress or (lambda message: None)
        self.report = LoadReport()
        self.existing = {(t.kind, t.code): t for t in Territory.objects.all()}

    def ids(self, kind):
        return {code: t.pk for (k, code), t in self.existing.items() if k == kind}

    def upsert(self, kind, rows):
        """`rows`: {code: {field: value}}. Creates the missing, updates the changed."""
        new, changed = [], []
        for code, values in rows.items():
            values["name_key"] = normalize(values["name"])
            current = self.existing.get((kind, code))
            if current is None:
                new.append(Territory(kind=kind, code=code, **values))
                continue
            differs = [name for name, value in values.items() if getattr(current, name) != value]
            if differs:
                for name, value in values.items():
                    setattr(current, name, value)
                changed.append(current)
        Territory.objects.bulk_create(new, batch_size=BATCH)
        if changed:
            Territory.objects.bulk_update(changed, FIELDS, batch_size=BATCH)
        if new:
            # bulk_create does not return ids on every backend: read them back at once.
            ids = dict(Territory.objects.filter(kind=kind).values_list("code", "pk"))
            for territory in new:
                territory.pk = ids[territory.code]
                self.existing[(kind, territory.code)] = territory
        self.report.created[kind] = len(new)
        self.report.updated[kind] = len(changed)
        self.progress(
            f"{TerritoryKind(kind).label}: {len(rows)} ({len(new)} created, {len(changed)} updated)"
        )

    def load(self, data):
        regions = {
            code: {
                "name": name,
                "region_id": None,
                "departement_id": None,
                "epci_id": None,
                "epci_category": "",
                "population": None,
                "siren": "",
                "postal_codes": "",
                "is_overseas": code in OVERSEAS_REGIONS,
            }
            for code, name in data["regions"]
        }
        self.upsert(TerritoryKind.REGION, regions)
        region_ids = self.ids(TerritoryKind.REGION)
        departements = {
            code: {
                "name": name,
                "region_id": region_ids[region],
                "departement_id": None,
                "epci_id": None,
                "epci_category": "",
                "population": None,
                "siren": "",
                "postal_codes": "",
                "is_overseas": region in OVERSEAS_REGIONS,
            }
            for code, name, region in data["departements"]
        }
        self.upsert(TerritoryKind.DEPARTEMENT, departements)
        departement_ids = self.ids(TerritoryKind.DEPARTEMENT)
        region_of_departement = {code: region for code, _name, region in data["departements"]}

        populations, overseas_epci = {}, set()
        for _code, _n, dep, population, _s, _p, epci in data["communes"]:
            if epci:
                populations[epci] = populations.get(epci, 0) + (population or 0)
                if region_of_departement[dep] in OVERSEAS_REGIONS:
                    overseas_epci.add(epci)
        epcis = {
            siren: {
                "name": name,
                "region_id": None,
                "departement_id": None,
                "epci_id": None,
                "epci_category": category,
                "population": populations.get(siren),
                "siren": siren,
                "postal_codes": "",
                "is_overseas": siren in overseas_epci,
            }
            for siren, name, category in data["epci"]
        }
        self.upsert(TerritoryKind.EPCI, epcis)
        epci_ids = self.ids(TerritoryKind.EPCI)

        communes = {}
        for code, name, dep, population, siren, postal_codes, epci in data["communes"]:
            region = region_of_departement[dep]
            communes[code] = {
                "name": name,
                "region_id": region_ids[region],
                "departement_id": departement_ids[dep],
                "epci_id": epci_ids[epci] if epci else None,
                "epci_category": "",
                "population": population,
                "siren": siren or "",
                "postal_codes": postal_codes,
                "is_overseas": region in OVERSEAS_REGIONS,
            }
        self.upsert(TerritoryKind.COMMUNE, communes)
        self.link(data, region_of_departement)
        return self.report

    def link(self, data, region_of_departement):
        """The closure table: every territory with itself and everything above it."""
        regions = self.ids(TerritoryKind.REGION)
        departements = self.ids(TerritoryKind.DEPARTEMENT)
        epcis = self.ids(TerritoryKind.EPCI)
        communes = self.ids(TerritoryKind.COMMUNE)
        wanted = {(t.pk, t.pk) for t in self.existing.values()}
        for code, region in region_of_departement.items():
            wanted.add((regions[region], departements[code]))
        for code, _n, dep, _p, _s, _c, epci in data["communes"]:
            commune = communes[code]
            region = regions[region_of_departement[dep]]
            wanted.add((departements[dep], commune))
            wanted.add((region, commune))
            if epci:
                wanted.add((epcis[epci], commune))
                wanted.add((departements[dep], epcis[epci]))
                wanted.add((region, epcis[epci]))
        present = set(TerritoryLink.objects.values_list("ancestor_id", "descendant_id"))
        missing = wanted - present
        stale = present - wanted
        TerritoryLink.objects.bulk_create(
            [TerritoryLink(ancestor_id=a, descendant_id=d) for a, d in missing], batch_size=5000
        )
        if stale:
            stale_ids = list(
                TerritoryLink.objects.filter(ancestor_id__in={a for a, _d in stale}).values_list(
                    "pk", "ancestor_id", "descendant_id"
                )
            )
            TerritoryLink.objects.filter(
                pk__in=[pk for pk, a, d in stale_ids if (a, d) in stale]
            ).delete()
        self.report.links_added = len(missing)
        self.report.links_removed = len(stale)
        self.progress(f"Links: {len(wanted)} ({len(missing)} added, {len(stale)} removed)")


@transaction.atomic
def load_territories(path=DATA_PATH, progress=None):
    return Loader(progress).load(read_data(path))
