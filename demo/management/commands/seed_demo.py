import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from demo.generator import SeedMismatch, clear_demo, has_demo_data, seed_demo
from registry.models import Case, Term
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
        parser.add_argument(
            "--resume",
            action="store_true",
            help=(
                "Continue an interrupted run of the same --cases and --seed: the demo cases "
                "already written are drawn again, checked, and the run goes on."
            ),
        )

    def handle(self, *args, cases, seed, if_empty, clear, resume, verbosity, **options):
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
            if connection.vendor == "sqlite" and not has_statistics():
                analyze(progress)  # seeded by a version that did not analyse it
            return
        if resume and (clear or if_empty):
            raise CommandError("--resume goes with neither --clear nor --if-empty.")
        started = time.monotonic()
        if clear:
            clear_demo(progress=progress)
        try:
            created = seed_demo(cases=cases, seed=seed, progress=progress, resume=resume)
        except SeedMismatch as error:
            raise CommandError(str(error)) from None
        # A resumed run counts the whole run: it may have been cut off during the VACUUM.
        if connection.vendor == "postgresql" and (cases if resume else len(created)) >= BULK:
            # After a bulk load, the planner's statistics and the visibility map
            # (index-only scans) are what autovacuum would bring minutes later.
            progress("VACUUM ANALYZE…")
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        elif connection.vendor == "sqlite":
            analyze(progress)
        message = f"{len(created)} demo cases created in {time.monotonic() - started:.1f} s"
        if resume:
            message += f" ({Case.objects.filter(is_demo=True).count()} in all)"
        progress(self.style.SUCCESS(message + "."))


def has_statistics():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        return cursor.fetchone() is not None


def analyze(progress):
    """SQLite gathers no statistics by itself. Without them its planner takes a
    territory kind for a handful of rows: a territory page ranked its communes
    by reading the 35 000 of France (30 ms instead of 1 on 10 000 cases, where
    ANALYZE takes 0.3 s once). The counts do not depend on them (see
    `registry.models.index`)."""
    progress("ANALYZE…")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
