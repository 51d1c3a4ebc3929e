import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from kapcare.clinics.models import Clinic
from kapcare.synthetic.network import DEFAULT_PASSWORD, NetworkExists, generate_network


class Command(BaseCommand):
    help = (
        "Generate a synthetic clinic network for load tests: clinics, staff with known "
        "sign-ins, therapists and patients with years of care, in bulk. Sets known "
        "passwords, so it runs only with DEBUG on (or --force on a database you will throw "
        "away). The last line printed is the summary as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=2000)
        parser.add_argument("--clinics", type=int, default=3)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--into-clinic",
            metavar="SLUG",
            help="Add the patients to this existing clinic (e.g. the demo's music-city) "
            "instead of making new clinics.",
        )
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"Password of the staff, therapist and patient sign-ins (default: the "
            f"demo's, {DEFAULT_PASSWORD}).",
        )
        parser.add_argument(
            "--summary-json", metavar="PATH", help="Also write the summary to this file."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run with DEBUG off (a load-test database, never a clinic's).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "generate_network sets known passwords, so it only runs with DEBUG on, or "
                "with --force on a load-test database: never on a clinic's."
            )
        patients, clinics = options["patients"], options["clinics"]
        if patients < 1 or clinics < 1:
            raise CommandError("--patients and --clinics must be at least 1.")
        into_clinic = None
        if options["into_clinic"]:
            into_clinic = Clinic.objects.filter(slug=options["into_clinic"]).first()
            if into_clinic is None:
                raise CommandError(f"No clinic has the slug “{options['into_clinic']}”.")
        progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=None if options["verbosity"] > 0 else False,
            disable=options["verbosity"] == 0,
        )
        task = progress.add_task("patients", total=patients)
        try:
            with progress:
                summary = generate_network(
                    patients=patients,
                    clinics=clinics,
                    seed=options["seed"],
                    password=options["password"],
                    into_clinic=into_clinic,
                    progress=lambda what, advance: progress.advance(task, advance),
                )
        except NetworkExists as error:
            raise CommandError(str(error)) from error
        except IntegrityError as error:
            raise CommandError(
                f"{error}\nIf this seed was generated into this database before, "
                "use another --seed."
            ) from error
        report = summary.as_json(password=options["password"])
        for clinic in summary.clinics:
            self.stdout.write(f"{clinic['name']} ({clinic['slug']}): {clinic['patients']} patients")
            for role, email in clinic["logins"].items():
                self.stdout.write(f"  {role:<12} {email}")
        counts = summary.counts
        self.stdout.write(
            f"Made {counts['patients.patient']} patients, {counts['episodes.caresession']} "
            f"sessions, {counts['dosing.observation']} vital-sign observations in "
            f"{summary.seconds:.0f} s. Password for every sign-in: {options['password']}; staff "
            "and therapists use the demo's authenticator key (manage.py demo prints it)."
        )
        line = json.dumps(report, sort_keys=True)
        if options["summary_json"]:
            Path(options["summary_json"]).write_text(line + "\n")
        self.stdout.write("SUMMARY " + line)
