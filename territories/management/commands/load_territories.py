"""`manage.py load_territories`: the official geography, from the committed data file."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from territories.loader import DATA_PATH, load_territories


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
        if report.links_added or report.links_removed:
            # The registry's cases keep every territory their places lie in.
            from registry.search import refresh_facet_keys

            refresh_facet_keys()
        if report.changed:
            # Their search documents name those territories too.
            from registry.models import CaseTerritory
            from registry.search import refresh_search_documents

            placed = CaseTerritory.objects.values_list("case_id", flat=True).distinct()
            refresh_search_documents(sorted(placed))
        if not verbose:
            return
        elapsed = time.monotonic() - started
        if report.changed:
            self.stdout.write(self.style.SUCCESS(f"Territories loaded in {elapsed:.1f} s."))
        else:
            self.stdout.write(f"Territories already up to date ({elapsed:.1f} s).")
