from django.core.management.base import BaseCommand

from registry.models.taxonomy import TAXONOMY_PATH, load_vocabularies


class Command(BaseCommand):
    help = "Load the référentiel vocabularies from registry/data/taxonomy.json (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(TAXONOMY_PATH), help="Taxonomy JSON file.")
        parser.add_argument(
            "--overwrite-labels",
            action="store_true",
            help="Replace labels and descriptions edited by staff with the file's.",
        )

    def handle(self, *args, **options):
        report = load_vocabularies(options["file"], overwrite_labels=options["overwrite_labels"])
        if options["verbosity"] >= 2:
            for line in report.created:
                self.stdout.write(f"  + {line}")
            for line in report.updated:
                self.stdout.write(f"  ~ {line}")
        if options["verbosity"] == 0:
            return
        if report.changed:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Vocabularies: {len(report.created)} created, {len(report.updated)} updated, "
                    f"{report.unchanged} unchanged."
                )
            )
        else:
            self.stdout.write(f"Vocabularies already up to date ({report.unchanged} entries).")
