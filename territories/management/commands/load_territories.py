"""`manage.py load_territories`: the official geography, from the committed data file."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from territories.loader import DATA_PATH, load_territories
from territories.signals import territories_loaded


class Command(BaseCommand):
    help = "Load the official geography (INSEE COG 2026) from territories/data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file",
            default=str(DATA_PATH),
            help="Data file written by territories/data/derive_cog.py (default: the COG 2026 one).",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such data file: {path}")
        started = time.monotonic()
        verbose = options["verbosity"] >= 1
        report = load_territories(
            path,
            progress=(lambda message: self.stdout.write("  " + message)) if verbose else None,
        )
        territories_loaded.send(sender=self.__class__, report=report)
        if not verbose:
            return
        elapsed = time.monotonic() - started
        if report.changed:
            self.stdout.write(self.style.SUCCESS(f"Territories loaded in {elapsed:.1f} s."))
        else:
            self.stdout.write(f"Territories already up to date ({elapsed:.1f} s).")
