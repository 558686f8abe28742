"""Write the whole published registry as open data files, e.g. every night:

    manage.py dump_registry /srv/opendata

Writes `alliances-territoriales.csv`, `.json`, `.geojson` and the Table Schema
`alliances-territoriales.schema.json` into the folder; `--formats` can add the
spreadsheet workbook `.xlsx` (e.g. `--formats csv,json,geojson,xlsx`). Each file is written
under a temporary name in the same folder and renamed when complete, so a
download in progress never sees half a file and a failed run leaves the
previous files in place.
"""

import json
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from registry.models import Case
from registry.opendata import exports, spreadsheet

BASENAME = exports.WHOLE_REGISTRY
FORMATS = (*exports.FORMATS, "xlsx")


class Command(BaseCommand):
    help = "Write CSV, JSON, GeoJSON (and XLSX) exports of every published case into a folder."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="Where to write the files (created if needed).")
        parser.add_argument(
            "--formats",
            default="csv,json,geojson",
            help="Comma-separated formats among csv, json, geojson, xlsx "
            "(default: csv,json,geojson).",
        )
        parser.add_argument(
            "--lang",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
            help="Language of the labels (default: French).",
        )

    def handle(self, *args, folder, formats, lang, **options):
        wanted = [fmt.strip() for fmt in formats.split(",") if fmt.strip()]
        unknown = [fmt for fmt in wanted if fmt not in FORMATS]
        if unknown or not wanted:
            raise CommandError(f"Unknown format: {', '.join(unknown) or '(none)'}.")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with translation.override(lang):
            selection = Case.objects.published().order_by("id")
            total = selection.count()
            for fmt in wanted:
                self.write(folder / f"{BASENAME}.{fmt}", fmt, selection, total, options)
            schema = json.dumps(exports.table_schema(), ensure_ascii=False, indent=1)
            write_atomically(folder / f"{BASENAME}.schema.json", [schema + "\n"])
        self.stdout.write(self.style.SUCCESS(f"{total} published cases written to {folder}."))

    def write(self, path, fmt, selection, total, options):
        started = time.monotonic()
        verbose = options.get("verbosity", 1) >= 1

        def progress(done):
            if verbose and (done == total or done % 10_000 < exports.BATCH_SIZE):
                self.stdout.write(f"  {path.name}: {done}/{total} cases")

        if fmt == "xlsx":
            with replaced_atomically(path) as file:
                spreadsheet.write_workbook(selection, file, progress=progress)
        else:
            chunks, _content_type = exports.FORMATS[fmt]
            write_atomically(path, chunks(selection, progress=progress))
        if verbose:
            elapsed = time.monotonic() - started
            size = path.stat().st_size / 1_000_000
            self.stdout.write(f"{path.name}: {total} cases, {size:.1f} MB in {elapsed:.1f} s")


def write_atomically(path, chunks):
    """Write `chunks` of text to a temporary file beside `path`, then rename it."""
    with replaced_atomically(path) as file:
        for chunk in chunks:
            file.write(chunk.encode("utf-8"))


@contextmanager
def replaced_atomically(path):
    """A binary file beside `path` that replaces it once the block succeeds (and is
    removed, leaving `path` as it was, if the block fails)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
