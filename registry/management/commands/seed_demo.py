import time

from django.core.management.base import BaseCommand, CommandError

from registry.demo import clear_demo, seed_demo
from registry.models import Case, Term
from territories.models import Territory


class Command(BaseCommand):
    help = "Create realistic, plainly fictional demo cases (deterministic for a given seed)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=300, help="How many cases to create.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed.")
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
        if if_empty and Case.objects.filter(is_demo=True).exists():
            progress("Demo cases already present: nothing to do.")
            return
        if clear:
            clear_demo(progress)
        started = time.monotonic()
        created = seed_demo(cases=cases, seed=seed, progress=progress)
        progress(
            self.style.SUCCESS(
                f"{len(created)} demo cases created in {time.monotonic() - started:.1f} s."
            )
        )
