from django.core.management.base import BaseCommand, CommandError

from kapcare.clinics.models import Clinic
from kapcare.outcomes import summary


class Command(BaseCommand):
    help = (
        "Rewrite the kept outcome summaries the dashboards read: after a clinic changes "
        "its outcome settings, or to fill the table the first time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", help="the clinic's slug (default: every clinic)")

    def handle(self, *args, **options):
        clinic = None
        if options["clinic"]:
            clinic = Clinic.objects.filter(slug=options["clinic"]).first()
            if clinic is None:
                raise CommandError(f"No clinic with the slug {options['clinic']!r}.")
        kept = summary.rebuild(clinic)
        self.stdout.write(f"{kept} episode outcome summaries written.")
