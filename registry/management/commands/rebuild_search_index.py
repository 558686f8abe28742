"""`manage.py rebuild_search_index`: every case's search documents and the lexicon, afresh."""

import time

from django.core.management.base import BaseCommand

from registry.models.index import bump_registry_version, rebuild_search_index


class Command(BaseCommand):
    help = (
        "Rebuild the search documents of every case (names, territories, labels, stems, "
        "French vector) and recount the lexicon of suggestions. Idempotent."
    )

    def handle(self, *args, verbosity, **options):
        started = time.monotonic()

        def progress(done, total):
            if verbosity >= 1:
                self.stdout.write(f"{done:,}/{total:,} cases…".replace(",", " "))

        cases, words = rebuild_search_index(progress=progress)
        bump_registry_version()
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{cases} cases indexed, {words} words in the lexicon, "
                    f"in {time.monotonic() - started:.1f} s."
                )
            )
