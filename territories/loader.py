"""Load the official geography from `territories/data/cog-2026.json.gz`.

Idempotent: rows are matched on (kind, code) and only new or changed rows are
written; the closure table is then brought in line with the foreign keys, so a
second run writes nothing. Everything happens in one transaction.

Territories that are in the database but no longer in the file (a commune
merged into a commune nouvelle, a dissolved EPCI) are kept, since cases may
point to them; the loader counts them so that whoever loads a new vintage
knows they are there.
"""

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction

from territories.models import Territory, TerritoryKind, TerritoryLink, normalize

DATA_PATH = Path(__file__).resolve().parent / "data" / "cog-2026.json.gz"
# DROM: Guadeloupe, Martinique, Guyane, La Réunion, Mayotte.
OVERSEAS_REGIONS = {"01", "02", "03", "04", "06"}
BATCH_SIZE = 2000
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
BLANK = {
    "region_id": None,
    "departement_id": None,
    "epci_id": None,
    "epci_category": "",
    "population": None,
    "siren": "",
    "postal_codes": "",
}


@dataclass
class LoadReport:
    created: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)
    not_in_file: dict = field(default_factory=dict)
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


@transaction.atomic
def load_territories(path=DATA_PATH, progress=None):
    """Create or update every territory of the file and the closure table.

    `progress`, if given, is called with one line per level."""
    return Loader(progress).load(read_data(path))


class Loader:
    def __init__(self, progress=None):
        self.progress = progress or (lambda message: None)
        self.report = LoadReport()
        self.existing = {(t.kind, t.code): t for t in Territory.objects.order_by()}

    def load(self, data):
        region_of = {code: region for code, _name, region in data["departements"]}

        # The population municipale of a département, a région or an EPCI is the
        # sum of its communes' (the DGCL's own EPCI figures are of another vintage).
        population, overseas_epci = {}, set()
        for _code, _name, dep, inhabitants, _siren, _postal, epci in data["communes"]:
            for key in (("departement", dep), ("region", region_of[dep]), ("epci", epci)):
                if key[1]:
                    population[key] = population.get(key, 0) + (inhabitants or 0)
            if epci and region_of[dep] in OVERSEAS_REGIONS:
                overseas_epci.add(epci)

        regions = self.upsert(
            TerritoryKind.REGION,
            {
                code: {
                    **BLANK,
                    "name": name,
                    "population": population.get(("region", code)),
                    "is_overseas": code in OVERSEAS_REGIONS,
                }
                for code, name in data["regions"]
            },
        )
        departements = self.upsert(
            TerritoryKind.DEPARTEMENT,
            {
                code: {
                    **BLANK,
                    "name": name,
                    "region_id": regions[region],
                    "population": population.get(("departement", code)),
                    "is_overseas": region in OVERSEAS_REGIONS,
                }
                for code, name, region in data["departements"]
            },
        )
        epcis = self.upsert(
            TerritoryKind.EPCI,
            {
                siren: {
                    **BLANK,
                    "name": name,
                    "epci_category": category,
                    "population": population.get(("epci", siren)),
                    "siren": siren,
                    "is_overseas": siren in overseas_epci,
                }
                for siren, name, category in data["epci"]
            },
        )
        self.upsert(
            TerritoryKind.COMMUNE,
            {
                code: {
                    **BLANK,
                    "name": name,
                    "region_id": regions[region_of[dep]],
                    "departement_id": departements[dep],
                    "epci_id": epcis[epci] if epci else None,
                    "population": inhabitants,
                    "siren": siren or "",
                    "postal_codes": postal_codes,
                    "is_overseas": region_of[dep] in OVERSEAS_REGIONS,
                }
                for code, name, dep, inhabitants, siren, postal_codes, epci in data["communes"]
            },
        )
        self.link()
        return self.report

    def upsert(self, kind, rows):
        """`rows`: {code: {field: value}}. Creates the missing rows, updates the
        changed ones, and returns {code: pk} for the level."""
        new, changed = [], []
        for code, values in rows.items():
            values["name_key"] = normalize(values["name"])
            current = self.existing.get((kind, code))
            if current is None:
                new.append(Territory(kind=kind, code=code, **values))
            elif any(getattr(current, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(current, name, value)
                changed.append(current)
        Territory.objects.bulk_create(new, batch_size=BATCH_SIZE)
        Territory.objects.bulk_update(changed, FIELDS, batch_size=BATCH_SIZE)
        if any(territory.pk is None for territory in new):
            # Backends that cannot return ids from a bulk insert: read them back.
            ids = dict(Territory.objects.filter(kind=kind).values_list("code", "pk"))
            for territory in new:
                territory.pk = ids[territory.code]
        for territory in new:
            self.existing[(kind, territory.code)] = territory

        not_in_file = sum(1 for k, code in self.existing if k == kind and code not in rows)
        self.report.created[kind] = len(new)
        self.report.updated[kind] = len(changed)
        self.report.not_in_file[kind] = not_in_file
        counts = f"{len(new)} created, {len(changed)} updated"
        if not_in_file:
            counts += f", {not_in_file} not in the file kept"
        self.progress(f"{TerritoryKind(kind).label}: {len(rows)} ({counts})")
        return {code: self.existing[(kind, code)].pk for code in rows}

    def link(self):
        """Bring the closure table in line with the foreign keys: each territory
        with itself; a commune under its EPCI, département and région; an EPCI
        under the départements and régions of its communes; a département
        under its région.

        Done in SQL: the table has ~144 000 rows, and building them as model
        instances took most of the load time."""
        territory = connection.ops.quote_name(Territory._meta.db_table)
        link = connection.ops.quote_name(TerritoryLink._meta.db_table)
        closure = f"""
            SELECT id AS ancestor_id, id AS descendant_id FROM {territory}
            UNION SELECT region_id, id FROM {territory} WHERE region_id IS NOT NULL
            UNION SELECT departement_id, id FROM {territory} WHERE departement_id IS NOT NULL
            UNION SELECT epci_id, id FROM {territory} WHERE epci_id IS NOT NULL
            UNION SELECT departement_id, epci_id FROM {territory} WHERE epci_id IS NOT NULL
            UNION SELECT region_id, epci_id FROM {territory} WHERE epci_id IS NOT NULL
        """
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                DELETE FROM {link} WHERE id IN (
                    SELECT link.id FROM {link} link
                    LEFT JOIN ({closure}) wanted
                        ON wanted.ancestor_id = link.ancestor_id
                        AND wanted.descendant_id = link.descendant_id
                    WHERE wanted.ancestor_id IS NULL
                )
                """
            )
            self.report.links_removed = cursor.rowcount
            cursor.execute(
                f"""
                INSERT INTO {link} (ancestor_id, descendant_id)
                SELECT wanted.ancestor_id, wanted.descendant_id FROM ({closure}) wanted
                LEFT JOIN {link} link
                    ON link.ancestor_id = wanted.ancestor_id
                    AND link.descendant_id = wanted.descendant_id
                WHERE link.id IS NULL
                """
            )
            self.report.links_added = cursor.rowcount
        self.progress(
            f"Links: {TerritoryLink.objects.count()} "
            f"({self.report.links_added} added, {self.report.links_removed} removed)"
        )
