"""Open data exports of a selection of cases: CSV, JSON and GeoJSON (the XLSX
workbook, built on the same records, is in `registry.opendata.spreadsheet`), and the
names of the files, which say the selection.

Shared by the API, the search page's download links and `dump_registry`. Every
writer streams: cases are read in batches of `BATCH_SIZE` (one query for the
batch's rows, then one per kind of related row: tags, territories, partners,
sources), turned into plain records and written out, so memory stays flat
whatever the size of the selection. Reference rows (terms, territories) are
cached for the whole export.

The columns of the CSV are described once, in `COLUMNS`: the data dictionary
page and the Table Schema are generated from that list.
"""

import codecs
import csv
import gc
import io
import json
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from functools import cache
from itertools import islice
from pathlib import Path
from typing import NamedTuple

import orjson
from django.conf import settings
from django.db import DatabaseError
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language, override, pgettext
from django.utils.translation import gettext_lazy as _

from registry.models import (
    CasePartner,
    CaseSource,
    CaseTerritory,
    ExportedCase,
    ExportGeneration,
    Organization,
)
from registry.models.case import Case, has_all_three_families
from registry.models.lookups import among, among_many
from registry.models.rows import postgresql_setting
from registry.models.vocabulary import TAG_PARAMETERS, TAGS
from registry.search.filters import TermFilter, TermIndex
from territories.models import Territory, TerritoryKind, TerritoryLink

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
SEPARATOR = " | "
LICENCE = "Licence Ouverte / Open Licence 2.0"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
GEOGRAPHY_ATTRIBUTION = (
    "INSEE, Code officiel géographique 2026 ; DGCL, liste des EPCI à fiscalité propre 2026, "
    "via @etalab/decoupage-administratif 6.0.0 (Licence Ouverte)"
)
POINTS_PATH = Path(__file__).resolve().parents[1] / "data" / "territory_points.json"

TEXT_FIELDS = ("description", "context", "actions", "results", "lessons")
CASE_VALUES = (
    "id",
    "slug",
    "title",
    "summary",
    "published_at",
    "updated_at",
    "start_year",
    "end_year",
    "is_pioneer",
    "phase_id",
    "scale_id",
    "family_mask",
)


@dataclass(frozen=True)
class Column:
    """One column of the CSV export, as the data dictionary describes it."""

    name: str
    title: str
    description: str
    type: str = "string"  # Table Schema type: string, integer, boolean, datetime
    vocabulary: str = ""  # codes allowed, when the column holds référentiel codes
    multiple: bool = False  # several values joined by SEPARATOR
    required: bool = False


COLUMNS = [
    Column(
        "id",
        _("Identifiant"),
        _("Numéro de l'expérience dans le registre."),
        "integer",
        required=True,
    ),
    Column(
        "slug", _("Identifiant d'URL"), _("Partie stable de l'adresse de la fiche."), required=True
    ),
    Column("url", _("Adresse"), _("Adresse de la fiche publique."), required=True),
    Column("title", _("Titre"), _("Titre de l'expérience."), required=True),
    Column("summary", _("Résumé"), _("Deux ou trois phrases : qui, quoi, où."), required=True),
    Column(
        "published_at",
        _("Publiée le"),
        _("Date de première publication (UTC, ISO 8601)."),
        "datetime",
    ),
    Column(
        "updated_at",
        _("Modifiée le"),
        _("Date de dernière modification (UTC, ISO 8601)."),
        "datetime",
    ),
    Column("start_year", _("Année de démarrage"), _("Année où l'alliance a démarré."), "integer"),
    Column("end_year", _("Année de fin"), _("Vide si l'expérience est en cours."), "integer"),
    Column("ongoing", _("En cours"), _("true si l'expérience n'a pas d'année de fin."), "boolean"),
    Column(
        "pioneer",
        _("Expérience pionnière"),
        _("true si l'équipe du registre la met en avant comme pionnière."),
        "boolean",
    ),
    Column("phase_code", _("Étape (code)"), _("Étape où en est l'alliance."), vocabulary="phase"),
    Column("phase_label", _("Étape"), _("Libellé de l'étape.")),
    Column(
        "scale_code",
        _("Échelle (code)"),
        _("Échelle territoriale de l'alliance."),
        vocabulary="scale",
    ),
    Column("scale_label", _("Échelle"), _("Libellé de l'échelle.")),
    Column(
        "territories",
        _("Territoires (codes)"),
        _(
            "Territoires de l'expérience, « niveau:code » : région, département et commune "
            "par leur code INSEE (COG 2026), intercommunalité par son SIREN."
        ),
        multiple=True,
    ),
    Column(
        "territory_names",
        _("Territoires"),
        _("Noms des territoires, dans le même ordre."),
        multiple=True,
    ),
    Column(
        "region_codes",
        _("Régions (codes INSEE)"),
        _("Régions où se trouvent les territoires de l'expérience."),
        multiple=True,
    ),
    Column("region_names", _("Régions"), _("Noms des régions, dans le même ordre."), multiple=True),
    Column(
        "departement_codes",
        _("Départements (codes INSEE)"),
        _("Départements où se trouvent les territoires de l'expérience."),
        multiple=True,
    ),
    Column(
        "departement_names",
        _("Départements"),
        _("Noms des départements, dans le même ordre."),
        multiple=True,
    ),
    Column(
        "theme_codes",
        _("Thèmes (codes)"),
        _("Thèmes de l'alliance."),
        vocabulary="theme",
        multiple=True,
    ),
    Column("theme_labels", _("Thèmes"), _("Libellés des thèmes."), multiple=True),
    Column(
        "practice_codes",
        _("Pratiques (codes)"),
        _("Pratiques de catalyse territoriale du référentiel (métiers et missions)."),
        vocabulary="practice",
        multiple=True,
    ),
    Column("practice_labels", _("Pratiques"), _("Libellés des pratiques."), multiple=True),
    Column(
        "partnership_codes",
        _("Types de partenariat (codes)"),
        _("Types de partenariat du référentiel."),
        vocabulary="partnership_type",
        multiple=True,
    ),
    Column(
        "partnership_labels", _("Types de partenariat"), _("Libellés des types."), multiple=True
    ),
    Column(
        "form_codes",
        _("Formes de co-construction (codes)"),
        _("Formes de co-construction du référentiel."),
        vocabulary="coconstruction_form",
        multiple=True,
    ),
    Column("form_labels", _("Formes de co-construction"), _("Libellés des formes."), multiple=True),
    Column(
        "objective_codes",
        _("Objectifs (codes)"),
        _("Objectifs des alliances."),
        vocabulary="objective",
        multiple=True,
    ),
    Column("objective_labels", _("Objectifs"), _("Libellés des objectifs."), multiple=True),
    Column(
        "impact_codes",
        _("Axes d'impact (codes)"),
        _("Axes d'impact des alliances."),
        vocabulary="impact_axis",
        multiple=True,
    ),
    Column("impact_labels", _("Axes d'impact"), _("Libellés des axes d'impact."), multiple=True),
    Column(
        "prism_codes",
        _("Prismes des enjeux (codes)"),
        _("Prismes des enjeux."),
        vocabulary="challenge_prism",
        multiple=True,
    ),
    Column("prism_labels", _("Prismes des enjeux"), _("Libellés des prismes."), multiple=True),
    Column(
        "partner_count",
        _("Nombre de partenaires"),
        _("Nombre d'organisations distinctes au tour de table."),
        "integer",
    ),
    Column(
        "partner_names", _("Partenaires"), _("Noms des organisations partenaires."), multiple=True
    ),
    Column(
        "partner_sirens",
        _("SIREN des partenaires"),
        _("SIREN de chaque partenaire (vide s'il n'en a pas), dans l'ordre des noms."),
        multiple=True,
    ),
    Column(
        "partner_rnas",
        _("RNA des partenaires"),
        _("Numéro RNA de chaque association partenaire (vide sinon), dans l'ordre des noms."),
        multiple=True,
    ),
    Column(
        "partner_actor_types",
        _("Types d'acteurs (codes)"),
        _("Type d'acteur de chaque partenaire, dans l'ordre des noms."),
        vocabulary="actor_type",
        multiple=True,
    ),
    Column(
        "partner_roles",
        _("Rôles (codes)"),
        _("Rôle de chaque partenaire dans l'alliance, dans l'ordre des noms."),
        vocabulary="partner_role",
        multiple=True,
    ),
    Column(
        "all_three_families",
        _("Trois familles d'acteurs"),
        _(
            "true si l'alliance réunit au moins une collectivité, une entreprise et une "
            "association."
        ),
        "boolean",
    ),
    Column(
        "longitude",
        _("Longitude"),
        _(
            "Point représentatif (WGS 84) du département du premier territoire, ou de sa "
            "région pour une expérience régionale : le registre ne situe pas plus "
            "finement."
        ),
        "number",
    ),
    Column("latitude", _("Latitude"), _("Voir longitude."), "number"),
    Column(
        "source_urls",
        _("Sources"),
        _("Adresses des sources et liens documentant l'expérience."),
        multiple=True,
    ),
]
COLUMN_NAMES = [column.name for column in COLUMNS]
MULTIPLE_NOTE = _("Plusieurs valeurs séparées par « %(separator)s ».")


@cache
def territory_points():
    """{(kind, code): [lon, lat]} for régions and départements."""
    data = json.loads(POINTS_PATH.read_text(encoding="utf-8"))
    points = {(TerritoryKind.REGION, c): p for c, p in data["regions"].items()}
    points.update({(TerritoryKind.DEPARTEMENT, c): p for c, p in data["departements"].items()})
    return points


def points_attribution():
    return json.loads(POINTS_PATH.read_text(encoding="utf-8"))["attribution"]


def term_ref(term):
    return {"code": term.code, "label": term.label} if term else None


class Lookups:
    """Reference rows needed by an export: terms once, territories as batches
    need them (a bounded cache, so that memory stays flat), each with the
    régions and départements it lies in."""

    TERRITORY_CACHE = 5000

    def __init__(self):
        terms = TermIndex().terms
        # Labels are read once, in the active language, not once per case.
        self.refs = {term.pk: term_ref(term) for term in terms}
        # The tags' terms: their parameter (theme, practice…) and code and label.
        self.tags = {
            term.pk: (TAGS[term.vocabulary.code], self.refs[term.pk])
            for term in terms
            if term.vocabulary.code in TAGS
        }
        self.areas = {
            pk: {"kind": kind, "code": code, "name": name}
            for pk, kind, code, name in Territory.objects.filter(
                kind__in=[TerritoryKind.REGION, TerritoryKind.DEPARTEMENT]
            ).values_list("pk", "kind", "code", "name")
        }
        self.territories = {}
        self.case_url = case_url_pattern()

    def place(self, pk):
        area = self.areas.get(pk)
        return {"code": area["code"], "name": area["name"]} if area else None

    def load_territories(self, ids):
        """Make sure every territory of `ids` (one batch's) is in the cache. When
        the cache would overflow, only the territories this batch does not use
        are dropped: the batch always finds all of its own."""
        wanted = set(ids)
        missing = [pk for pk in wanted if pk not in self.territories]
        if not missing:
            return
        if len(self.territories) + len(missing) > self.TERRITORY_CACHE:
            self.territories = {pk: t for pk, t in self.territories.items() if pk in wanted}
        rows = Territory.objects.filter(among_many("id", missing)).values_list(
            "pk", "kind", "code", "name", "region_id", "departement_id"
        )
        epcis = []
        for pk, kind, code, name, region_id, departement_id in rows:
            territory = {"kind": kind, "code": code, "name": name}
            if kind == TerritoryKind.REGION:
                regions, departements = [pk], []
            elif kind == TerritoryKind.DEPARTEMENT:
                regions, departements = [region_id], [pk]
            elif kind == TerritoryKind.COMMUNE:
                regions, departements = [region_id], [departement_id]
            else:  # an EPCI may straddle départements and régions: see the closure table
                regions, departements = [], []
                epcis.append(pk)
            territory["regions"] = [p for p in map(self.place, regions) if p]
            territory["departements"] = [p for p in map(self.place, departements) if p]
            self.territories[pk] = territory
        if epcis:
            above = TerritoryLink.objects.filter(
                among("descendant_id", epcis),
                among("ancestor_id", self.areas),
            ).values_list("descendant_id", "ancestor_id")
            for pk, area_id in sorted(above, key=lambda pair: self.areas[pair[1]]["code"]):
                key = (
                    "regions"
                    if self.areas[area_id]["kind"] == TerritoryKind.REGION
                    else ("departements")
                )
                self.territories[pk][key].append(self.place(area_id))
        # What every case of the territory shares, worked out once, not per case.
        for pk in missing:
            territory = self.territories[pk]
            territory["regions"] = unique_places([territory["regions"]])
            territory["departements"] = unique_places([territory["departements"]])
            territory["ref"] = {key: territory[key] for key in ("kind", "code", "name")}
            territory["point"] = representative_point(territory)


def case_url_pattern():
    """The public address of a case, as a format string (reverse once, not per row)."""
    path = reverse("case_detail", kwargs={"slug": "slug-placeholder"})
    return settings.SITE_URL + path.replace("slug-placeholder", "{slug}")


def case_records(selection, *, texts=False, batch_size=None, progress=None):
    """One plain dict per case of `selection`, in the selection's order.

    `texts` adds the long texts (sanitised HTML) that the JSON exports carry;
    `progress`, if given, is called with the number of cases done after each batch."""
    batch_size = batch_size or BATCH_SIZE
    lookups = Lookups()
    fields = CASE_VALUES + (TEXT_FIELDS if texts else ())
    rows = selection.values_list(*fields).iterator(chunk_size=batch_size)
    done = 0
    while True:
        with collection_paused():
            batch = list(islice(rows, batch_size))
            records = list(records_of_batch(batch, lookups, texts=texts)) if batch else []
        if not batch:
            return
        yield from records
        done += len(batch)
        if progress is not None:
            progress(done)


@contextmanager
def collection_paused():
    """Python's cyclic garbage collector held off while a batch's records are
    built: the tens of thousands of dicts and lists of a batch, none of them in a
    cycle, otherwise set off collection after collection over every object of the
    process (a third of the export's time). Never across a `yield`: whatever runs
    while the export waits for its reader collects as usual. The switch is the
    process's: of two threads exporting at once, the first to have paused it
    turns it back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def records_of_batch(rows, lookups, *, texts):
    """The records of one batch of case rows (tuples of `CASE_VALUES`, then of
    `TEXT_FIELDS` when `texts`): one query per kind of related row for the batch."""
    ids = [row[0] for row in rows]
    tags = {pk: [] for pk in ids}
    for case_id, term_id in (
        Case.terms.through.objects.filter(among_many("case_id", ids))
        .order_by("case_id", "term_id")
        .values_list("case_id", "term_id")
    ):
        tags[case_id].append(term_id)
    places = {pk: [] for pk in ids}
    for case_id, territory_id in (
        CaseTerritory.objects.filter(among_many("case_id", ids))
        .order_by("case_id", "id")
        .values_list("case_id", "territory_id")
    ):
        places[case_id].append(territory_id)
    lookups.load_territories({t for found in places.values() for t in found})
    roster = {pk: [] for pk in ids}
    entries = list(
        CasePartner.objects.filter(among_many("case_id", ids))
        .order_by("case_id", "position", "id")
        .values_list("case_id", "organization_id", "role_id", "contribution")
    )
    # Organisations by primary key, apart: joined to the roster, PostgreSQL walked
    # the whole organisation index for every batch.
    organizations = {
        pk: {
            "id": pk,
            "slug": slug,
            "name": name,
            "siren": siren,
            "rna": rna,
            "actor_type": lookups.refs.get(actor_type_id),
        }
        for pk, slug, name, siren, rna, actor_type_id in Organization.objects.filter(
            among_many("id", {entry[1] for entry in entries})
        ).values_list("pk", "slug", "name", "siren", "rna", "actor_type_id")
    }
    refs = lookups.refs
    for case_id, organization_id, role_id, contribution in entries:
        roster[case_id].append(
            {
                "organization": organizations[organization_id],
                "role": refs.get(role_id),
                "contribution": contribution,
            }
        )
    sources = {pk: [] for pk in ids}
    for case_id, title, url in (
        CaseSource.objects.filter(among_many("case_id", ids))
        .order_by("case_id", "position", "id")
        .values_list("case_id", "title", "url")
    ):
        sources[case_id].append({"title": title, "url": url})

    case_url = lookups.case_url
    known, tag_of = lookups.territories, lookups.tags
    for row in rows:
        (pk, slug, title, summary, published_at, updated_at, start_year, end_year) = row[:8]
        # Every place is in the cache (`load_territories`): a missing one is a bug
        # to hear about, never a row silently written without its territories.
        territories = [known[t] for t in places[pk]]
        if len(territories) == 1:  # most cases: the territory's own lists, shared
            regions, departements = territories[0]["regions"], territories[0]["departements"]
        else:
            regions = unique_places(t["regions"] for t in territories)
            departements = unique_places(t["departements"] for t in territories)
        record_tags = {param: [] for param in TAG_PARAMETERS}
        for term_id in tags[pk]:
            if term_id in tag_of:
                param, ref = tag_of[term_id]
                record_tags[param].append(ref)
        record = {
            "id": pk,
            "slug": slug,
            "url": case_url.format(slug=slug),
            "title": title,
            "summary": summary,
            "published_at": iso(published_at),
            "updated_at": iso(updated_at),
            "start_year": start_year,
            "end_year": end_year,
            "ongoing": end_year is None,
            "pioneer": row[8],
            "phase": refs.get(row[9]),
            "scale": refs.get(row[10]),
            "territories": [t["ref"] for t in territories],
            "regions": regions,
            "departements": departements,
            "tags": record_tags,
            "partners": roster[pk],
            "all_three_families": has_all_three_families(row[11]),
            "sources": sources[pk],
            "point": territories[0]["point"] if territories else None,
        }
        if texts:
            record["texts"] = dict(zip(TEXT_FIELDS, row[len(CASE_VALUES) :], strict=True))
        yield record


def unique_places(groups):
    seen = {}
    for group in groups:
        for place in group:
            seen.setdefault(place["code"], place)
    return list(seen.values())


def iso(value):
    """UTC, to the second: the Table Schema's default datetime format
    (`YYYY-MM-DDTHH:MM:SSZ`; `isoformat` is several times faster than `strftime`)."""
    return value.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z" if value else None


# Several values in one cell: "a | b | c" (bound once: it runs 25 times a row).
joined = SEPARATOR.join


EMPTY_REF = {"code": "", "label": ""}


def csv_row(record):
    """The CSV cells of a record, in `COLUMNS` order (values are already text)."""
    partners = record["partners"]
    territories = record["territories"]
    organizations = [p["organization"] for p in partners]
    phase = record["phase"] or EMPTY_REF
    scale = record["scale"] or EMPTY_REF
    point = record["point"]
    row = [
        record["id"],
        record["slug"],
        record["url"],
        record["title"],
        record["summary"],
        record["published_at"] or "",
        record["updated_at"] or "",
        "" if record["start_year"] is None else record["start_year"],
        "" if record["end_year"] is None else record["end_year"],
        "true" if record["ongoing"] else "false",
        "true" if record["pioneer"] else "false",
        phase["code"],
        phase["label"],
        scale["code"],
        scale["label"],
        joined([f"{t['kind']}:{t['code']}" for t in territories]),
        joined([t["name"] for t in territories]),
        joined([r["code"] for r in record["regions"]]),
        joined([r["name"] for r in record["regions"]]),
        joined([d["code"] for d in record["departements"]]),
        joined([d["name"] for d in record["departements"]]),
    ]
    tags = record["tags"]
    for param in TAG_PARAMETERS:
        terms = tags[param]
        row.append(joined([t["code"] for t in terms]))
        row.append(joined([t["label"] for t in terms]))
    row += [
        len({o["id"] for o in organizations}),
        joined([o["name"] for o in organizations]),
        joined([o["siren"] or "" for o in organizations]),
        joined([o["rna"] or "" for o in organizations]),
        joined([(o["actor_type"] or EMPTY_REF)["code"] for o in organizations]),
        joined([(p["role"] or EMPTY_REF)["code"] for p in partners]),
        "true" if record["all_three_families"] else "false",
        point["coordinates"][0] if point else "",
        point["coordinates"][1] if point else "",
        joined([s["url"] for s in record["sources"] if s["url"]]),
    ]
    return row


def boolean(value):
    return "true" if value else "false"


def csv_chunks(selection, *, batch_size=None, progress=None):
    """The CSV document, UTF-8 with a byte-order mark (spreadsheets then read the
    accents right), one chunk of text per batch of cases."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(codecs.BOM_UTF8.decode("utf-8"))
    writer.writerow([str(column.name) for column in COLUMNS])
    yield buffer.getvalue()
    batches = stored_batches(selection, ("csv",), batch_size=batch_size, progress=progress)
    for rows, kept in batches:
        yield "".join([kept[pk].csv for pk in rows if pk in kept])


def metadata():
    return {
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "attribution": {
            "registry": settings.SITE_URL,
            "geography": GEOGRAPHY_ATTRIBUTION,
        },
        "language": (get_language() or settings.LANGUAGE_CODE)[:2],
        "generated_at": iso(timezone.now()),
    }


def dumps(value):
    """Compact JSON text, non-ASCII characters as they are: byte for byte what
    `json.dumps(value, ensure_ascii=False, separators=(",", ":"))` writes for the
    values of the exports (text, integers, booleans, coordinates), by orjson,
    several times faster (the standard encoder took half of a JSON export)."""
    return orjson.dumps(value).decode("utf-8")


def json_chunks(selection, *, batch_size=None, progress=None):
    """`{"licence": …, "cases": [ … ]}`, streamed one batch at a time: each
    case's stored record, with its long texts (read with the selection) last."""
    head = dumps(metadata())[:-1]
    yield head + ',"cases":['
    yield from comma_joined(
        [f'{kept[pk].record[:-1]},"texts":{kept[pk].texts}}}' for pk in rows if pk in kept]
        for rows, kept in stored_batches(
            selection, ("record", "texts"), batch_size=batch_size, progress=progress
        )
    )
    yield "]}\n"


def geojson_chunks(selection, *, batch_size=None, progress=None):
    """A GeoJSON FeatureCollection: each case at the representative point of its
    first territory (see `representative_point`; the registry has no finer
    geometry, and `properties.point.of` says which territory the point stands
    for). A case without any territory has a null geometry, as GeoJSON allows."""
    head = dumps({"type": "FeatureCollection", **metadata()})[:-1]
    yield head + ',"features":['
    yield from comma_joined(
        [
            f'{{"type":"Feature","id":{pk},"geometry":{kept[pk].geometry},'
            f'"properties":{kept[pk].record}}}'
            for pk in rows
            if pk in kept
        ]
        for rows, kept in stored_batches(
            selection, ("record", "geometry"), batch_size=batch_size, progress=progress
        )
    )
    yield "]}\n"


def comma_joined(batches):
    """The JSON texts of every batch, comma-separated, one chunk per batch."""
    first = True
    for items in batches:
        if items:
            yield ("" if first else ",") + ",".join(items)
            first = False


def stored_batches(selection, parts=None, *, batch_size=None, progress=None):
    """`selection` batch by batch, as `(ids, kept)`: `ids` in the selection's
    order, `kept` their rows as the exports write them (`ExportedCase`, in the
    active language), by case id: the `parts` of `Kept` the export writes (all
    of them by default), the others read from the database left empty (a JSON
    export reads no CSV line: half the text).

    The rows kept in the database serve while they match the case's stamp and
    the generation (`registry.models.export`); the others are built from the
    case and its related rows (`records_of_batch`), stored for the next export,
    and served. A case deleted meanwhile is left out."""
    batch_size = batch_size or BATCH_SIZE
    parts = tuple(parts or STORED)
    language = get_language() or settings.LANGUAGE_CODE
    generation = ExportGeneration.current()
    builder = RowBuilder(language, generation)
    done = 0
    with planned_for_every_row():
        rows = selection.values_list("id", "export_stamp__stamp").iterator(chunk_size=batch_size)
        while batch := list(islice(rows, batch_size)):
            stamps = {pk: stamp or 0 for pk, stamp in batch}
            kept = {
                pk: Kept(**dict(zip(parts, stored, strict=True)))
                for pk, stamp, *stored in ExportedCase.objects.filter(
                    among_many("case_id", stamps), language=language, generation=generation
                ).values_list("case_id", "stamp", *parts)
                if stamp == stamps[pk]
            }
            missing = [pk for pk in stamps if pk not in kept]
            if missing:
                kept.update(builder.build(missing))
            yield list(stamps), kept
            done += len(batch)
            if progress is not None:
                progress(done)


STORED = ("csv", "record", "texts", "geometry")


class Kept(NamedTuple):
    """A case's stored export rows, as `stored_batches` hands them out."""

    csv: str = ""
    record: str = ""
    texts: str = ""
    geometry: str = ""


def planned_for_every_row():
    """PostgreSQL plans a cursor for its first tenth of rows
    (`cursor_tuple_fraction`): for a région, an index walk in date order that
    tests every case (1.1 s at 100 000 cases) instead of finding the région's
    cases and sorting them (0.13 s). An export reads every row: plan for all."""
    return postgresql_setting("cursor_tuple_fraction", "1.0")


class RowBuilder:
    """Builds and stores the export rows of cases that have none, or a stale one."""

    def __init__(self, language, generation):
        self.language, self.generation = language, generation
        self.lookups = None  # read at the first case to build
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)

    def build(self, ids):
        self.lookups = self.lookups or Lookups()
        with collection_paused():
            found = {
                row[0]: row
                for row in Case.objects.filter(among_many("id", ids)).values_list(
                    *CASE_VALUES, *TEXT_FIELDS, "export_stamp__stamp"
                )
            }
            rows = [found[pk] for pk in ids if pk in found]
            records = records_of_batch([row[:-1] for row in rows], self.lookups, texts=True)
            made = {}
            for row, record in zip(rows, records, strict=True):
                texts = record.pop("texts")
                made[row[0]] = Kept(
                    csv=self.csv_line(record),
                    record=dumps(record),
                    texts=dumps(texts),
                    geometry=dumps(geometry(record)),
                )
        self.store(
            (pk, self.language, found[pk][-1] or 0, self.generation, *kept)
            for pk, kept in made.items()
        )
        return made

    def csv_line(self, record):
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(csv_row(record))
        return self.buffer.getvalue()

    def store(self, made):
        """Keep the rows for the next exports: a cache, so a failed write (a
        database locked by another writer, say) costs the next export time,
        never this one its data."""
        try:
            ExportedCase.keep(made)
        except DatabaseError:
            logger.warning("Export rows not stored", exc_info=True)


def geometry(record):
    point = record["point"]
    return {"type": "Point", "coordinates": point["coordinates"]} if point else None


def representative_point(territory):
    """The point standing for a territory: its own for a région or a département,
    its (first) département's for an EPCI or a commune."""
    points = territory_points()
    if territory["kind"] in (TerritoryKind.REGION, TerritoryKind.DEPARTEMENT):
        keys = [(territory["kind"], territory["code"])]
    else:
        keys = [(TerritoryKind.DEPARTEMENT, d["code"]) for d in territory["departements"]]
    keys += [(TerritoryKind.REGION, r["code"]) for r in territory["regions"]]
    for kind, code in keys:
        if (kind, code) in points:
            return {"coordinates": points[(kind, code)], "of": {"kind": kind, "code": code}}
    return None


FORMATS = {
    "csv": (csv_chunks, "text/csv; charset=utf-8"),
    "json": (json_chunks, "application/json"),
    "geojson": (geojson_chunks, "application/geo+json"),
}


WHOLE_REGISTRY = "alliances-territoriales"
NAME_PREFIX = "alliances"
NAME_MORE = "etc"
NAME_PARTS = 3
# The name without its extension ("alliances-…-etc-2026-12-01"), short enough for
# a download bar or a file explorer to show it whole.
NAME_LENGTH = 80
# Letters that Unicode decomposition does not turn into ASCII ("cœur", not "cur").
LIGATURES = str.maketrans({"œ": "oe", "Œ": "Oe", "æ": "ae", "Æ": "Ae", "ß": "ss"})
# Small words left out of a term's label ("Emploi et insertion professionnelle":
# emploi-insertion-professionnelle); place names keep theirs (Seine-et-Marne).
SMALL_WORDS = {
    *("a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les"),
    *("par", "pour", "sur", "un", "une", "and", "for", "in", "of", "on", "the", "to"),
}
TERRITORY_FILTERS = ("region", "departement", "epci", "commune")


def export_filename(fmt, now=None):
    """The name of a download of the whole registry."""
    now = now or timezone.localdate()
    return f"{WHOLE_REGISTRY}-{now:%Y-%m-%d}.{fmt}"


def selection_filename(filterset, fmt, now=None):
    """The name of a download that says its selection, in the active language:
    `alliances-occitanie-emploi-insertion-professionnelle-2026-12-01.xlsx` for a
    région and a theme.

    Places first, then référentiel terms, the text query and the other filters;
    at most `NAME_PARTS` of them and `NAME_LENGTH` characters, « -etc » when some
    are left out; the whole registry's name when no filter is active."""
    now = now or timezone.localdate()
    places, terms, others = selection_labels(filterset)
    parts = [
        *(name_part(label) for label in places),
        *(name_part(label, short=True) for label in terms),
        *(name_part(label) for label in others),
    ]
    parts = [part for part in parts if part]
    if not parts:
        return export_filename(fmt, now)
    date = f"-{now:%Y-%m-%d}"
    budget = NAME_LENGTH - len(date)
    kept, more = parts[:NAME_PARTS], len(parts) > NAME_PARTS

    def stem():
        return "-".join([NAME_PREFIX, *kept, *([NAME_MORE] if more else [])])

    while len(stem()) > budget and len(kept) > 1:
        kept.pop()
        more = True
    if len(stem()) > budget:  # one long part (a text query): cut it after a word
        more = True
        kept = [cut_at_word(kept[0], budget - len(stem()) + len(kept[0]))]
    return f"{stem()}{date}.{fmt}"


def name_part(label, *, short=False):
    slug = slugify(str(label).translate(LIGATURES).replace("'", " ").replace("’", " "))
    words = [word for word in slug.split("-") if word not in SMALL_WORDS] if short else []
    return "-".join(words) or slug


def cut_at_word(slug, room):
    if len(slug) <= room:
        return slug
    head = slug[: room + 1]
    return head.rsplit("-", 1)[0] if "-" in head else slug[:room]


def selection_labels(filterset):
    """The active filters of `filterset` in words, as three lists: territory
    names, term labels, and the text query with the other filters."""
    active = dict(filterset.active_filters())
    places = [t.name for name in TERRITORY_FILTERS for t in active.pop(name, [])]
    terms = [
        term.label
        for name, value in active.items()
        if isinstance(filterset.filters[name], TermFilter)
        for term in value
    ]
    others = [active["q"]] if active.get("q") else []
    year_min, year_max = active.get("year_min"), active.get("year_max")
    if year_min is not None and year_max is not None:
        others.append(f"{int(year_min)}-{int(year_max)}")
    elif year_min is not None:
        others.append(pgettext("nom de fichier", "depuis %(year)s") % {"year": int(year_min)})
    elif year_max is not None:
        others.append(pgettext("nom de fichier", "jusqu'en %(year)s") % {"year": int(year_max)})
    if active.get("pioneer"):
        others.append(pgettext("nom de fichier", "pionnières"))
    if active.get("ongoing"):
        others.append(dict(filterset.form.fields["ongoing"].choices).get(active["ongoing"], ""))
    if active.get("families"):
        others.append(pgettext("nom de fichier", "trois familles"))
    return places, terms, others


def streaming_export(selection, fmt, filename=None):
    """A download of `selection` in `fmt` (csv, json, geojson), streamed, named
    `filename` (by default the whole registry's name)."""
    chunks, content_type = FORMATS[fmt]
    # The body is written after the view returns: keep the request's language for the labels.
    language = get_language()

    def body():
        with override(language):
            for chunk in chunks(selection):
                yield chunk.encode("utf-8")

    response = StreamingHttpResponse(body(), content_type=content_type)
    filename = filename or export_filename(fmt)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def table_schema():
    """Frictionless Table Schema of the CSV export, in the active language."""
    index = TermIndex()
    fields = []
    for column in COLUMNS:
        field = {
            "name": column.name,
            "title": str(column.title),
            "description": str(column.description),
            "type": column.type,
        }
        if column.type == "boolean":
            field["trueValues"], field["falseValues"] = ["true"], ["false"]
        constraints = {}
        if column.required:
            constraints["required"] = True
        if column.name == "id":
            constraints["unique"] = True
        if column.vocabulary:
            codes = [term.code for term in index.of(column.vocabulary)]
            if column.multiple:
                one = "(?:" + "|".join(codes) + ")"
                constraints["pattern"] = f"{one}(?: \\| {one})*"
            else:
                constraints["enum"] = codes
        if constraints:
            field["constraints"] = constraints
        if column.multiple:
            field["description"] += " " + str(MULTIPLE_NOTE) % {"separator": SEPARATOR.strip()}
        fields.append(field)
    return {
        "$schema": "https://specs.frictionlessdata.io/schemas/table-schema.json",
        "name": "alliances-territoriales",
        "title": str(_("Expériences du registre des alliances territoriales")),
        "licenses": [{"name": "etalab-2.0", "title": LICENCE, "path": LICENCE_URL}],
        "fields": fields,
        "primaryKey": ["id"],
        "missingValues": [""],
    }
