from django.core.management.base import BaseCommand

from registry.models import ContactMessage
from registry.models.contact import CONTACT_RETENTION


class Command(BaseCommand):
    help = (
        "Delete contact messages older than the retention period said on « Données "
        f"personnelles » ({CONTACT_RETENTION.days} days), handled or not. Idempotent: run it daily."
    )

    def handle(self, *args, **options):
        deleted, _by_model = ContactMessage.objects.expired().delete()
        if options["verbosity"]:
            self.stdout.write(f"Contact messages deleted: {deleted}.")
