"""`manage.py bench_fhir`: the server time of `Patient/{id}/$everything` for a patient with
a given number of resources (500 by default), on the database at hand (the demo, or a
generated network).

The patient is the one whose dosing session is under way (its record still open), else
`--patient`. When the record holds fewer resources than asked, vital-sign readings are
added to that open dosing record — as a monitor would send them over a long session —
inside a transaction that is rolled back when the bench ends, with the API token it
issues: the database is left as it was. Each request goes through Django's whole stack
in-process (middleware, token check, policy, access log, JSON), so what is timed is the
server's work without the network. The figures: the median and slowest of `--repeat`
requests for the whole record in one page (`_count` = its size), and for its first page
of 50; the median CPU time of this process (which, on a machine whose cores are busy
with other work, is closer to what the request costs than the wall clock; the database's
own time is in the wall clock only, on PostgreSQL); the queries each page ran.
"""

import datetime as dt
import statistics
import time
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kapcare.accounts.models import ApiToken, Role, User
from kapcare.dosing.models import DosingRecord, Observation, VitalSource
from kapcare.dosing.vitals.rules import VITALS
from kapcare.fhir.resources import PATIENT_SOURCES
from kapcare.patients.models import Patient

BUDGET_MS = 300
FIRST_PAGE = 50


def served_host() -> str:
    """A host name this server answers to (the first of ALLOWED_HOSTS that names one)."""
    for host in settings.ALLOWED_HOSTS:
        if host not in {"*", ""}:
            return host.lstrip(".")
    return "127.0.0.1"


class Command(BaseCommand):
    help = "Time Patient/$everything for a patient with N resources (rolled back after)."

    def add_arguments(self, parser):
        parser.add_argument("--resources", type=int, default=500)
        parser.add_argument("--repeat", type=int, default=20)
        parser.add_argument("--patient", help="a patient's id (the API's and FHIR's)")
        parser.add_argument("--budget-ms", type=float, default=BUDGET_MS)

    def handle(self, *args, **options):
        with transaction.atomic():
            try:
                self.bench(options)
            finally:
                transaction.set_rollback(True)

    def bench(self, options):
        record = self.open_record(options["patient"])
        patient = record.patient
        clinician = (
            User.objects.filter(clinic_id=patient.clinic_id, role=Role.CLINICIAN, is_active=True)
            .order_by("pk")
            .first()
        )
        if clinician is None:
            raise CommandError("The patient's clinic has no active clinician to read as.")
        size = self.grow(record, clinician, options["resources"])
        _, token = ApiToken.issue(clinician, "bench_fhir (rolled back)")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST=served_host())
        url = f"/fhir/r4/Patient/{patient.external_id}/$everything"
        whole = self.measure(client, f"{url}?_count={max(size, 1)}", options["repeat"])
        first = self.measure(client, f"{url}?_count={FIRST_PAGE}", options["repeat"])
        self.report("whole record, one page", size, whole, options["budget_ms"])
        self.report(f"first page of {FIRST_PAGE}", min(size, FIRST_PAGE), first, None)

    def open_record(self, patient_id: str | None) -> DosingRecord:
        records = DosingRecord.objects.filter(signed_at__isnull=True).select_related(
            "patient", "session"
        )
        if patient_id:
            try:
                records = records.filter(patient__external_id=uuid.UUID(patient_id))
            except ValueError as error:
                raise CommandError(f"{patient_id} is not a patient id.") from error
        record = records.order_by("-session__planned_start").first()
        if record is None:
            raise CommandError(
                "No open dosing record to add readings to: load the demo (make demo), whose "
                "session under way has one, or name a patient who has one with --patient."
            )
        return record

    def grow(self, record: DosingRecord, clinician, wanted: int) -> int:
        size = self.resources_of(record.patient, clinician)
        vitals = [vital for vital in VITALS.values() if vital.loinc_code]
        start = record.dose_started_at or record.session.planned_start
        readings = []
        for index in range(max(0, wanted - size)):
            vital = vitals[index % len(vitals)]
            readings.append(
                Observation(
                    record=record,
                    patient=record.patient,
                    reading_id=uuid.uuid4(),
                    vital=vital.key,
                    loinc_code=vital.loinc_code,
                    value=(vital.plausible_min + vital.plausible_max) // 2,
                    unit=vital.unit,
                    taken_at=start + dt.timedelta(seconds=30 * (index // len(vitals))),
                    source=VitalSource.DEVICE,
                    entered_by=clinician,
                )
            )
        Observation.objects.bulk_create(readings)
        return self.resources_of(record.patient, clinician)

    @staticmethod
    def resources_of(patient: Patient, reader) -> int:
        return sum(source.rows(reader, patient=patient).count() for source in PATIENT_SOURCES)

    def measure(self, client: Client, url: str, repeat: int) -> dict:
        client.get(url)  # warm: imports, caches, the token's last-used stamp
        times, cpu = [], []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            if response.status_code != 200:
                raise CommandError(
                    f"{url} answered {response.status_code}: {response.content[:300]!r}"
                )
        return {
            "median": statistics.median(times),
            "cpu": statistics.median(cpu),
            "slowest": max(times),
            "queries": len(queries),
            "entries": len(response.json().get("entry", [])),
        }

    def report(self, label: str, size: int, figures: dict, budget: float | None) -> None:
        line = (
            f"$everything, {label}: {figures['entries']} of {size} resources, "
            f"median {figures['median']:.1f} ms (CPU {figures['cpu']:.1f} ms), "
            f"slowest {figures['slowest']:.1f} ms, "
            f"{figures['queries']} queries"
        )
        if budget is not None:
            verdict = "within" if figures["median"] < budget else "OVER"
            line += f" — {verdict} the {budget:.0f} ms budget"
        self.stdout.write(line)
