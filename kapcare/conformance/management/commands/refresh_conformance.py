from django.core.management.base import BaseCommand

from kapcare.conformance.services import refresh_conformance


class Command(BaseCommand):
    help = "Re-evaluate the ASKP3 conformance of every dosed episode that may have changed."

    def handle(self, *args, **options):
        count = refresh_conformance()
        self.stdout.write(f"{count} episode{'s' if count != 1 else ''} evaluated.")
