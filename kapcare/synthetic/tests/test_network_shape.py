"""The network `generate_network` makes is shaped like real clinics and valid by the app's
own rules: one network of 200 patients for the module."""

import datetime as dt
import json
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Max, Min
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role, User
from kapcare.audit.models import AccessLogEntry
from kapcare.clinics.models import Clinic
from kapcare.consents.models import SharingAuthorization, Signature
from kapcare.dosing.models import ControlledSubstanceEntry, DosingRecord, Observation
from kapcare.episodes import rules as course
from kapcare.episodes.models import CareSession, Episode, EpisodeTransition, SessionKind
from kapcare.measures.models import Assessment
from kapcare.messaging.models import Message, Thread
from kapcare.patients.models import Patient
from kapcare.scheduling.models import Appointment, AppointmentStatus
from kapcare.therapists.models import TherapistProfile
from tests.clock import wall_clock

PATIENTS = 200


def generate(**options) -> dict:
    """Run the command; return its summary (the last line printed)."""
    out = StringIO()
    call_command("generate_network", stdout=out, verbosity=0, **options)
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("SUMMARY ")
    return json.loads(last.removeprefix("SUMMARY "))


@pytest.fixture(scope="module")
def network(django_db_setup, django_db_blocker):
    """One network of 200 patients over 3 clinics for the module's tests, made once at a
    fixed moment (a weekday afternoon) and rolled back after them."""
    with django_db_blocker.unblock(), time_machine.travel(wall_clock(0, 14), tick=False):
        block = transaction.atomic()
        block.__enter__()
        try:
            from django.conf import settings

            settings.DEBUG, debug = True, settings.DEBUG
            try:
                yield generate(patients=PATIENTS, clinics=3, seed=1)
            finally:
                settings.DEBUG = debug
        finally:
            transaction.set_rollback(True)
            block.__exit__(None, None, None)


@pytest.fixture
def generated(network, db):
    return network


def test_counts_per_table_are_in_the_expected_ranges(generated):
    counts = generated["counts"]
    assert Patient.objects.count() == counts["patients.patient"] == PATIENTS
    assert Clinic.objects.count() == 3
    sessions = CareSession.objects.count()
    assert 5 * PATIENTS <= sessions <= 15 * PATIENTS
    records = DosingRecord.objects.count()
    assert records >= 2 * PATIENTS
    # Vital signs on the clinic's schedule: 6 vitals per reading, 7–20 readings a dose.
    assert 6 * 7 * records <= Observation.objects.count() <= 6 * 20 * records
    assert Assessment.objects.count() >= 2 * records
    assert AccessLogEntry.objects.count() >= PATIENTS + 3 * records
    assert Thread.objects.count() >= PATIENTS // 4
    assert Message.objects.count() >= 2 * Thread.objects.count()
    assert TherapistProfile.objects.count() >= 6
    assert SharingAuthorization.objects.count() >= PATIENTS // 3
    assert counts["dosing.observation"] == Observation.objects.count()


def test_every_episode_state_and_care_model_is_present(generated):
    states = set(Episode.objects.values_list("state", flat=True))
    models = set(Episode.objects.values_list("model", flat=True))

    assert states == set(course.STATES)
    assert models == set(course.MODELS)


def test_each_episode_state_is_the_last_move_of_its_history(generated):
    for episode in Episode.objects.annotate(moves=Count("transitions")):
        last = episode.transitions.order_by("-changed_at", "-id").first()
        assert last.to_state == episode.state, episode.pk
    for move in EpisodeTransition.objects.exclude(from_state="").select_related("episode"):
        assert move.to_state in course.next_states(move.from_state, move.episode.model)


def test_a_few_patients_have_long_histories(generated):
    longest = CareSession.objects.values("patient").annotate(n=Count("id")).order_by("-n").first()
    assert longest["n"] >= 30
    span = CareSession.objects.filter(patient=longest["patient"]).aggregate(
        first=Min("planned_start"), last=Max("planned_start")
    )
    assert span["last"] - span["first"] > dt.timedelta(days=3 * 365)


def test_todays_schedule_is_full_for_each_clinic(generated):
    for clinic in Clinic.objects.all():
        today = timezone.localdate(timezone.now(), clinic.zone)
        start = dt.datetime.combine(today, dt.time(0), tzinfo=clinic.zone)
        todays = Appointment.objects.filter(
            clinic=clinic,
            status=AppointmentStatus.BOOKED,
            starts_at__gte=start,
            starts_at__lt=start + dt.timedelta(days=1),
        )
        rooms = clinic.rooms.count()
        assert todays.count() == rooms * 5, clinic.slug
        for appointment in todays:
            assert appointment.starts_at.astimezone(clinic.zone).hour >= 8
            assert appointment.ends_at.astimezone(clinic.zone).hour < 19


def test_no_room_or_clinician_is_double_booked(generated):
    booked = list(
        Appointment.objects.filter(status=AppointmentStatus.BOOKED).values_list(
            "room_id", "clinician_id", "starts_at", "ends_at"
        )
    )
    for column in (0, 1):
        seen: dict = {}
        for row in sorted(booked, key=lambda r: (r[column], r[2])):
            previous_end = seen.get(row[column])
            assert previous_end is None or previous_end <= row[2]
            seen[row[column]] = row[3]


def test_signed_records_have_their_readings_and_register_lines(generated):
    record = DosingRecord.objects.filter(signed_at__isnull=False).order_by("id").first()

    assert record.observations.filter(taken_at__lt=record.dose_started_at).exists()
    assert record.observations.filter(taken_at__gt=record.dose_ended_at).exists()
    kinds = set(record.substance_entries.values_list("kind", flat=True))
    assert kinds == {"drawn", "given", "wasted"}
    assert record.signed_at > record.discharged_at
    lot = ControlledSubstanceEntry.objects.get(
        clinic_id=record.clinic_id, lot_number=record.lot_number, kind="received"
    )
    assert lot.recorded_at < record.dose_started_at


def test_treatment_consents_are_signed_for_their_episodes(generated):
    consented = Episode.objects.exclude(
        state__in=[course.REFERRED, course.SCREENING, course.ELIGIBLE, course.INELIGIBLE]
    )
    signed = set(
        Signature.objects.filter(episode__isnull=False).values_list("episode_id", flat=True)
    )
    assert set(consented.values_list("id", flat=True)) <= signed


def test_staff_sign_ins_are_printed_per_clinic(generated):
    for clinic in generated["clinics"]:
        roles = {
            role: User.objects.get(email=email).role for role, email in clinic["logins"].items()
        }
        assert roles == {
            "coordinator": Role.COORDINATOR,
            "clinician": Role.CLINICIAN,
            "nurse": Role.NURSE,
            "admin": Role.ADMIN,
            "therapist": Role.THERAPIST,
            "patient": Role.PATIENT,
        }
        coordinator = User.objects.get(email=clinic["logins"]["coordinator"])
        assert coordinator.check_password("kapcare-demo")
        assert coordinator.totpdevice_set.filter(confirmed=True).exists()


def test_a_generated_clinician_opens_a_generated_chart(generated, client):
    clinic = generated["clinics"][0]
    clinician = User.objects.get(email=clinic["logins"]["clinician"])
    patient = (
        Patient.objects.filter(clinic_id=clinician.clinic_id)
        .annotate(n=Count("care_sessions"))
        .order_by("-n")
        .first()
    )
    client.force_login(clinician)

    chart = client.get(reverse("patients:chart", args=[patient.external_id]))
    session = CareSession.objects.filter(
        patient=patient, kind=SessionKind.DOSING, dosing_record__signed_at__isnull=False
    ).first()
    record = client.get(reverse("dosing:record", args=[session.external_id]))

    assert chart.status_code == 200
    assert record.status_code == 200


def test_the_staff_homes_and_the_day_view_open(generated, client):
    logins = generated["clinics"][1]["logins"]
    for role, name in [
        ("coordinator", "coordinator_home"),
        ("clinician", "clinician_home"),
        ("clinician", "scheduling:day"),
        ("therapist", "therapist_home"),
    ]:
        client.force_login(User.objects.get(email=logins[role]))
        assert client.get(reverse(name)).status_code == 200, name
