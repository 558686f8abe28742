import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from registry.demo import clear_demo, has_demo_data, seed_demo
from registry.models import Term
from territories.models import Territory

# From this many cases, a load is bulk enough to refresh PostgreSQL's statistics.
BULK = 10_000


class Command(BaseCommand):
    help = "Invent realistic, plainly fictional demo cases (deterministic for a given seed)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=300, help="How many cases (300).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (1).")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when demo cases already exist."
        )
        parser.add_argument("--clear", action="store_true", help="Delete existing demo data first.")

    def handle(self, *args, cases, seed, if_empty, clear, verbosity, **options):
        def progress(message):
            if verbosity >= 1:
                self.stdout.write(message)

        if cases < 0:
            raise CommandError("--cases must be zero or more.")
        if not Territory.objects.exists() or not Term.objects.exists():
            raise CommandError(
                "Load the reference data first: load_vocabularies, load_territories."
            )
        if if_empty and has_demo_data():
            progress("Demo cases already present: nothing to do.")
            return
        started = time.monotonic()
        if clear:
            clear_demo(progress=progress)
        created = seed_demo(cases=cases, seed=seed, progress=progress)
        if connection.vendor == "postgresql" and len(created) >= BULK:
            # After a bulk load, the planner's statistics and the visibility map
            # (index-only scans) are what autovacuum would bring minutes later.
            progress("VACUUM ANALYZE…")
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        progress(
            self.style.SUCCESS(
                f"{len(created)} demo cases created in {time.monotonic() - started:.1f} s."
            )
        )
