"""manage.py export_research_dataset PATH.zip [--clinic SLUG]: the de-identified research
dataset (kapcare/research/export.py), of every clinic or of one."""

from django.core.management.base import BaseCommand, CommandError

from kapcare.audit.log import Actor
from kapcare.audit.models import Channel
from kapcare.clinics.models import Clinic
from kapcare.research.export import write_dataset


class Command(BaseCommand):
    help = "Write the de-identified research dataset (HIPAA Safe Harbor) to a zip file."

    def add_arguments(self, parser):
        parser.add_argument("path", help="Where to write the zip, e.g. dataset.zip")
        parser.add_argument("--clinic", help="Only this clinic (its slug).")

    def handle(self, *args, path, clinic=None, **options):
        chosen = None
        if clinic:
            chosen = Clinic.objects.filter(slug=clinic).first()
            if chosen is None:
                raise CommandError(f"No clinic has the slug “{clinic}”.")
        actor = Actor(user=None, ip_address=None, channel=Channel.SYSTEM)
        counts = write_dataset(path, actor=actor, clinic=chosen)
        summary = ", ".join(f"{name} {count}" for name, count in counts.items())
        self.stdout.write(f"Wrote {path}: {summary}.")
