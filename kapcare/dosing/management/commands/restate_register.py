"""`manage.py restate_register`: reconcile every lot of each clinic's controlled-substance
register again from its lines and keep the outcome (`substances.lots.restate`), after
lines were loaded in bulk outside the register's services."""

from django.core.management.base import BaseCommand

from kapcare.clinics.models import Clinic
from kapcare.dosing.substances import lots


class Command(BaseCommand):
    help = "Reconcile each lot of the controlled-substance register again and keep it."

    def add_arguments(self, parser):
        parser.add_argument("--clinic", help="Only the clinic with this slug.")

    def handle(self, *args, clinic=None, **options):
        clinics = Clinic.objects.order_by("pk")
        if clinic:
            clinics = clinics.filter(slug=clinic)
        for each in clinics:
            count = lots.restate_clinic(each)
            self.stdout.write(f"{each.slug}: {count} lot{'s' if count != 1 else ''} restated")
