"""PostgreSQL: the hot pages of each role read the tables that grow through indexes only.

The data set is the demo (every kind of record, two clinics) grown by a few hundred
patients in a third clinic with episodes, sessions, threads and access-log rows, then
`ANALYZE`d. Each page is requested as its user and the plan of every query it ran is read
with sequential scans switched off (`tests/plans.py`): a sequential scan that remains on a
growing table is one no index can serve, and its cost would grow with the clinic. A new hot
page adds one line to `PAGES`.
"""

import copy
import datetime as dt
import uuid
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role, User
from kapcare.audit.log import Actor, record_list_access
from kapcare.clinics.models import Clinic
from kapcare.consents.sharing_views import therapist_caseload
from kapcare.dosing.models import ControlledSubstanceEntry, Observation, SubstanceEntryKind
from kapcare.dosing.substances import lots
from kapcare.episodes.models import CareSession, SessionKind, SessionStatus
from kapcare.measures.models import Assessment, AssessmentStatus, Source
from kapcare.messaging.models import Message, Thread, ThreadKind
from kapcare.patients.models import BodyMeasurement, Patient
from kapcare.scheduling.models import Appointment
from kapcare.views import CASELOAD_PAGE
from tests.factories import PatientFactory, RoomFactory, UserFactory, authorize, open_episode
from tests.plans import plan_problems_of_page

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="query plans are PostgreSQL's"
)

COORDINATOR = "coordinator@demo.kapcare.org"
CLINICIAN = "clinician@demo.kapcare.org"
NURSE = "nurse@demo.kapcare.org"
ADMIN = "admin@demo.kapcare.org"
THERAPIST = "therapist@demo.kapcare.org"
PATIENT = "patient@demo.kapcare.org"
GROWN_PATIENTS = 1500
WITH_EPISODES = 200
UNANSWERED = 20
# The chart's patient has a long history: years of sessions, questionnaires, measurements
# and messages, and readings every few minutes through their dose.
LONG_HISTORY = 300
READINGS = 200
# The controlled-substance register of years of doses: lots received (most long expired)
# and the lines each dose adds; and an outside therapist with a large caseload.
REGISTER_LOTS = 300
REGISTER_LINES = 1500
CASELOAD = 160
# Other outside therapists, each with patients of their own, as a clinic network has: the
# planner then sees that one therapist's authorisations are part of the table, not all of
# it (with one therapist only, reading their whole caseload and reading the page's
# patients cost the planner the same, and it took either).
OTHER_THERAPISTS = 2
OTHER_CASELOAD = 60
# The register grown by lots used up long ago and one lot with more lines than a page shows.
OLD_LOTS = 40
LINES_PER_OLD_LOT = 6
BIG_LOT = "KET-PLAN-BIG"
BIG_LOT_LINES = 400


def _chart(data):
    return reverse("patients:chart", args=[data["patient"].external_id])


def _dosing_record(data):
    return reverse("dosing:record", args=[data["dosing_session"].external_id])


def _lot(data):
    return reverse("substances:lot", args=[BIG_LOT])


def _caseload_next_page(data):
    """The therapist's second page of patients: the caseload's older authorisations."""
    therapist = User.objects.get(email=THERAPIST)
    _, following = therapist_caseload(therapist, size=CASELOAD_PAGE)
    return f"/therapist/?cursor={following}"


def _thread(data):
    """The chart patient's long thread."""
    return reverse("messaging:thread", args=[data["thread"].external_id])


# (who, page[, search[, known gap]]): the address, or a function of the data set that
# returns it; the form data to POST to it, when the page is a search; why the page still
# reads too much, while it does (the test is then expected to fail, and says so when it
# starts to pass).
PAGES = [
    (COORDINATOR, "/desk/"),
    (COORDINATOR, "/patients/"),
    (COORDINATOR, "/patients/", {"query": "ellis"}),
    (COORDINATOR, "/messages/"),
    (COORDINATOR, "/schedule/day/"),
    (COORDINATOR, "/schedule/week/"),
    (COORDINATOR, _chart),
    (COORDINATOR, _thread),
    (CLINICIAN, "/clinical/"),
    (CLINICIAN, _dosing_record),
    (CLINICIAN, "/controlled-substances/"),
    (CLINICIAN, _lot),
    (CLINICIAN, "/controlled-substances/print/"),
    (CLINICIAN, "/safety-alerts/"),
    (CLINICIAN, "/clinical/outcomes/"),
    (ADMIN, "/clinic-admin/"),
    (ADMIN, "/access-log/"),
    (THERAPIST, "/therapist/"),
    (THERAPIST, _caseload_next_page),
    (THERAPIST, "/messages/"),
    (PATIENT, "/portal/"),
    (PATIENT, "/access-log/mine/"),
    (PATIENT, "/messages/"),
]


def _grow_the_demo_clinic() -> None:
    """The demo clinic grown by `GROWN_PATIENTS` patients, each with a message thread (the
    clinic answered most), a past appointment and their access-log rows, and an open episode
    for some of them: more rows than any page shows, so a page that reads the whole clinic
    reads more than `MAX_ROWS_READ`."""
    clinic = Clinic.objects.get(slug="music-city")
    coordinator = User.objects.get(email=COORDINATOR)
    clinician = User.objects.get(email=CLINICIAN)
    writer = UserFactory(clinic=clinic, role=Role.PATIENT)
    patients = Patient.objects.bulk_create(
        PatientFactory.build(clinic=clinic) for _ in range(GROWN_PATIENTS)
    )
    for patient in patients[:WITH_EPISODES]:
        open_episode(patient, clinician)
    # Every patient asked a question; the clinic answered all but the last few.
    threads = Thread.objects.bulk_create(
        Thread(
            clinic=clinic,
            patient=patient,
            kind=ThreadKind.PATIENT,
            subject="Question",
            created_by=writer,
            awaits_clinic=number >= GROWN_PATIENTS - UNANSWERED,
        )
        for number, patient in enumerate(patients)
    )
    asked = timezone.now() - dt.timedelta(days=1)
    Message.objects.bulk_create(
        Message(thread=thread, author=writer, body="A question", created_at=asked)
        for thread in threads
    )
    Message.objects.bulk_create(
        Message(thread=thread, author=coordinator, body="An answer")
        for thread in threads
        if not thread.awaits_clinic
    )
    room = RoomFactory(clinic=clinic)
    first = timezone.now() - dt.timedelta(days=90)
    Appointment.objects.bulk_create(
        Appointment(
            clinic=clinic,
            patient=patient,
            room=room,
            starts_at=first + dt.timedelta(hours=number),
            ends_at=first + dt.timedelta(hours=number, minutes=50),
            purpose="Integration session",
            booked_by=coordinator,
        )
        for number, patient in enumerate(patients)
    )
    record_list_access(Actor(user=coordinator, ip_address=None), patients * 3)
    _grow_the_register(clinic, clinician)


def _grow_the_register(clinic, clinician) -> None:
    """`OLD_LOTS` lots each received and then adjusted to nothing, and `BIG_LOT` received
    and drawn from `BIG_LOT_LINES` times: more lines than the register's pages show."""

    def line(lot_number, kind, amount):
        return ControlledSubstanceEntry(
            clinic=clinic,
            lot_number=lot_number,
            lot_expiry=timezone.localdate() + dt.timedelta(days=365),
            kind=kind,
            amount_mg=amount,
            recorded_by=clinician,
            witness=clinician if kind == SubstanceEntryKind.RECEIVED else None,
        )

    lines = []
    for number in range(OLD_LOTS):
        lot_number = f"KET-PLAN-{number:03}"
        lines.append(line(lot_number, SubstanceEntryKind.RECEIVED, LINES_PER_OLD_LOT - 1))
        lines += [
            line(lot_number, SubstanceEntryKind.ADJUSTED, -1) for _ in range(LINES_PER_OLD_LOT - 1)
        ]
    lines.append(line(BIG_LOT, SubstanceEntryKind.RECEIVED, 10 * BIG_LOT_LINES))
    lines += [line(BIG_LOT, SubstanceEntryKind.DRAWN, 10) for _ in range(BIG_LOT_LINES)]
    ControlledSubstanceEntry.objects.bulk_create(lines)


def _give_a_long_history(dosing_session: CareSession) -> Thread:
    """`LONG_HISTORY` integration sessions done, questionnaires completed, body
    measurements and messages for the patient of `dosing_session`, one every few days back
    from the dose, and `READINGS` vital-sign readings on the record of a dose under way.
    Returns the patient's long message thread."""
    patient, episode = dosing_session.patient, dosing_session.episode
    clinician = User.objects.get(email=CLINICIAN)
    days_ago = [dosing_session.planned_start - dt.timedelta(days=3 * n) for n in range(1, 300)]
    days_ago = [days_ago[n % len(days_ago)] for n in range(LONG_HISTORY)]
    CareSession.objects.bulk_create(
        CareSession(
            episode=episode,
            patient=patient,
            kind=SessionKind.INTEGRATION,
            status=SessionStatus.DONE,
            planned_start=day,
            planned_end=day + dt.timedelta(minutes=50),
            therapist_confirmation="Email",
            status_changed_by=clinician,
            created_by=clinician,
        )
        for day in days_ago
    )
    Assessment.objects.bulk_create(
        Assessment(
            patient=patient,
            instrument="phq9",
            status=AssessmentStatus.COMPLETED,
            answers=[1] * 9,
            total=9,
            band="mild",
            source=Source.PORTAL,
            completed_at=day,
        )
        for day in days_ago
    )
    BodyMeasurement.objects.bulk_create(
        BodyMeasurement(
            patient=patient, measured_on=day.date(), weight_kg=70, recorded_by=clinician
        )
        for day in days_ago
    )
    thread = Thread.objects.create(
        clinic=patient.clinic,
        patient=patient,
        kind=ThreadKind.PATIENT,
        subject="Between sessions",
        created_by=clinician,
    )
    Message.objects.bulk_create(
        Message(thread=thread, author=clinician, body="How are you?", created_at=day)
        for day in days_ago
    )
    # A dose under way (its record not signed yet, so it takes readings).
    reading = Observation.objects.filter(record__signed_at__isnull=True).first()
    Observation.objects.bulk_create(
        Observation(
            record_id=reading.record_id,
            patient_id=reading.patient_id,
            reading_id=uuid.uuid4(),
            vital=reading.vital,
            loinc_code=reading.loinc_code,
            value=reading.value,
            unit=reading.unit,
            taken_at=reading.taken_at + dt.timedelta(minutes=n),
            source=reading.source,
            entered_by_id=reading.entered_by_id,
        )
        for n in range(READINGS)
    )
    return thread


def _grow_the_register_and_a_caseload() -> None:
    """`REGISTER_LOTS` lots received over the years (a copy of a demo lot each) and
    `REGISTER_LINES` lines drawn from them; `CASELOAD` grown patients authorising the demo
    therapist, and `OTHER_CASELOAD` more each authorising one of `OTHER_THERAPISTS` others
    (through the service, as the patients sign it)."""
    received = ControlledSubstanceEntry.objects.filter(
        clinic__slug="music-city", kind=SubstanceEntryKind.RECEIVED
    ).first()
    line = (
        ControlledSubstanceEntry.objects.filter(clinic__slug="music-city")
        .exclude(kind__in=[SubstanceEntryKind.RECEIVED, SubstanceEntryKind.WASTED])
        .first()
    )
    expiry = timezone.localdate() - dt.timedelta(days=REGISTER_LOTS * 5)
    lots = []
    for number in range(REGISTER_LOTS):
        lot = copy.copy(received)
        lot.pk, lot.external_id = None, uuid.uuid4()
        lot.lot_number = f"GROWN-{number:04}"
        lot.lot_expiry = expiry + dt.timedelta(days=5 * number)
        lots.append(lot)
    ControlledSubstanceEntry.objects.bulk_create(lots)
    lines = []
    for number in range(REGISTER_LINES):
        drawn = copy.copy(line)
        drawn.pk, drawn.external_id = None, uuid.uuid4()
        drawn.lot_number = lots[number % REGISTER_LOTS].lot_number
        lines.append(drawn)
    ControlledSubstanceEntry.objects.bulk_create(lines)
    therapist = User.objects.get(email=THERAPIST)
    clinician = User.objects.get(email=CLINICIAN)
    grown = list(
        Patient.objects.filter(clinic__slug="music-city").order_by("-id")[
            : CASELOAD + OTHER_THERAPISTS * OTHER_CASELOAD
        ]
    )
    for patient in grown[:CASELOAD]:
        authorize(patient, therapist, scopes=("measures", "schedule"), by=clinician)
    for number in range(OTHER_THERAPISTS):
        other = UserFactory(role=Role.THERAPIST, clinic=None)
        start = CASELOAD + number * OTHER_CASELOAD
        for patient in grown[start : start + OTHER_CASELOAD]:
            authorize(patient, other, scopes=("measures",), by=clinician)


def _a_working_morning() -> dt.datetime:
    """10:40 in Nashville on the last weekday before today."""
    zone = ZoneInfo("America/Chicago")
    day = timezone.now().astimezone(zone).date() - dt.timedelta(days=1)
    while day.weekday() > 4:
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10, 40), tzinfo=zone)


@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker):
    """Built once for the module in a transaction rolled back at its end; each test runs
    in a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        # Loaded on a working day's morning, so that a dose is under way (the demo clinic
        # is closed at weekends): the last one before today.
        with override_settings(DEBUG=True), time_machine.travel(_a_working_morning()):
            call_command("demo", stdout=StringIO())
        _grow_the_demo_clinic()
        long_thread = _give_a_long_history(_first_dose())
        _grow_the_register_and_a_caseload()
        # The register's lines were loaded in bulk, outside its services.
        lots.restate_clinic(Clinic.objects.get(slug="music-city"))
        with connection.cursor() as cursor:
            # What autovacuum does after a bulk load, inside the transaction: new entries of
            # a GIN index wait in its pending list, which the planner prices as a scan.
            cursor.execute(
                "SELECT gin_clean_pending_list(indexrelid::regclass) FROM pg_index "
                "JOIN pg_class ON pg_class.oid = indexrelid JOIN pg_am ON pg_am.oid = relam "
                "WHERE amname = 'gin'"
            )
            cursor.execute("ANALYZE")
        dosing_session = _first_dose()
        yield {
            "patient": dosing_session.patient,
            "dosing_session": dosing_session,
            "thread": long_thread,
        }
        transaction.set_rollback(True)


def _first_dose() -> CareSession:
    return (
        CareSession.objects.filter(kind=SessionKind.DOSING, dosing_record__isnull=False)
        .order_by("planned_start")
        .first()
    )


def _case(page: tuple):
    who, address, search, gap = (*page, None, None)[:4]
    name = f"{who.split('@')[0]}:{getattr(address, '__name__', address)}"
    marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
    return pytest.param(page[:3], id=name + (":search" if search else ""), marks=marks)


@pytest.mark.parametrize("page", [_case(page) for page in PAGES])
def test_page_reads_growing_tables_through_indexes_and_only_what_it_shows(db, client, data, page):
    who, address, search = (*page, None)[:3]
    client.force_login(User.objects.get(email=who))
    url = address(data) if callable(address) else address
    if search:
        problems = plan_problems_of_page(client, url, method="post", data=search)
    else:
        problems = plan_problems_of_page(client, url)
    assert not problems, "\n".join(problems)
