"""A synthetic clinic network at scale, for load tests and the bench: clinics, their staff,
outside therapists and many patients with years of care, inserted in bulk through the
project's models (`bulk_create` in batches, one transaction per chunk of patients), so the
database's constraints and triggers check every row as they check the clinic's own.

The rows follow the course of care as the services write it: an episode's state is the last
transition its sessions reached by now; a dosing session holds a room and a clinician
(never double-booked), its record carries the dose, the vital signs on the clinic's
schedule (`dosing.vitals.rules`, alert thresholds from the clinic's settings), the register's
draw, dose and witnessed waste, the discharge check, and a clinician's signature added
after its rows, as the signing service does; questionnaires are scored by
`measures.scoring`, and an answer that raises a safety alert has its alert.

Not demo data and never on a production path: it sets known passwords, so the command
refuses to run with DEBUG off unless told to. Everything random comes from one seed: the
same seed gives the same people, courses and times (relative to the moment it runs).
"""

import datetime as dt
import math
import queue
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import NamedTuple

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import DateField, DateTimeField, DecimalField, Model, UUIDField
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from faker import Faker

from kapcare.accounts import second_factor
from kapcare.accounts.models import Role, User
from kapcare.audit.models import AccessAction, AccessLogEntry, Channel
from kapcare.clinics.models import Clinic
from kapcare.consents import rules as consent_rules
from kapcare.consents.models import (
    DocumentKind,
    SharingAuthorization,
    Signature,
    SigningMethod,
    sha256_hex,
    treatment_kind_for,
)
from kapcare.consents.services import current_version, ensure_default_documents
from kapcare.demo.sign_ins import AUTHENTICATOR_KEY
from kapcare.demo.sign_ins import PASSWORD as DEFAULT_PASSWORD
from kapcare.dosing.discharge.services import ALL_CRITERIA_MET
from kapcare.dosing.models import (
    AdverseEvent,
    ControlledSubstanceEntry,
    DischargeAssessment,
    DosageForm,
    DosingRecord,
    Drug,
    EventKind,
    Intervention,
    Lighting,
    Observation,
    Severity,
    SubstanceEntryKind,
    VitalSource,
)
from kapcare.dosing.substances import lots
from kapcare.dosing.substances.lots import LABEL_NAMES
from kapcare.dosing.vitals import rules as vitals_rules
from kapcare.episodes import rules as course
from kapcare.episodes.models import (
    CareSession,
    DayOfChecklist,
    DoseRoute,
    Episode,
    EpisodeTransition,
    PregnancyTest,
)
from kapcare.measures import scoring
from kapcare.measures.models import (
    AlertKind,
    Assessment,
    AssessmentStatus,
    SafetyAlert,
    Source,
)
from kapcare.messaging.models import Message, Thread, ThreadKind, ThreadReadMark
from kapcare.notifications.models import Notification, NotificationKind
from kapcare.patients.models import BodyMeasurement, Patient, SexAtBirth
from kapcare.pricing.cost import ensure_default_price_list
from kapcare.scheduling.models import Appointment, AppointmentStatus, Room, WorkingHours
from kapcare.therapists.models import LicenceType, Modality, TherapistProfile

PATIENTS_PER_CHUNK = 1000
BATCH_SIZE = 2000
# Years of history behind the network: the oldest courses began this long ago.
HISTORY_DAYS = 3 * 365
LONG_HISTORY_DAYS = 6 * 365
# About one patient in 400 (at least one per clinic) has come back for years: several
# courses and monthly boosters, the long chart the pages must stay fast with.
LONG_HISTORY_EVERY = 400
# A room holds five dosing blocks a day, from 08:00 in the clinic's time zone, two hours
# apart (the clinic's check-in, infusion and recovery: 115 minutes by default).
FIRST_BLOCK_HOUR = 8
BLOCKS_PER_DAY = 5
BLOCK_SPACING_HOURS = 2
# Integration sessions a KAP patient has in follow-up, every two to four weeks: with the
# preparation, the doses and their integrations, about ten sessions a patient.
FOLLOW_UP_INTEGRATIONS = (2, 12)
# One room (and the clinician who works in it) for every this many patients.
PATIENTS_PER_ROOM = 150
THERAPISTS_PER_PATIENTS = 60
TIME_ZONES = [
    "America/Chicago",
    "America/New_York",
    "America/Denver",
    "America/Los_Angeles",
    "America/Phoenix",
]
# Where the episode is now, weighted as a clinic's caseload; the state each patient ends
# in is the last one their course reached by now.
TARGET_STATES = [
    (course.REFERRED, 5),
    (course.SCREENING, 5),
    (course.ELIGIBLE, 4),
    (course.INELIGIBLE, 3),
    (course.CONSENTED, 4),
    (course.PREPARING, 6),
    (course.IN_TREATMENT, 18),
    (course.FOLLOW_UP, 12),
    (course.COMPLETED, 30),
    (course.DISCONTINUED, 13),
]
MODELS = [
    (course.BLENDED, 40),
    (course.BRACKETED, 25),
    (course.IN_SESSION, 15),
    (course.STANDALONE, 20),
]
ROUTES_KAP = [(DoseRoute.SUBLINGUAL, 40), (DoseRoute.IM, 35), (DoseRoute.IV, 25)]
ROUTES_STANDALONE = [(DoseRoute.IV, 85), (DoseRoute.INTRANASAL, 15)]
# mg/kg per route, within the clinic's default maxima (the total caps apply too).
MG_PER_KG = {
    DoseRoute.IV: Decimal("0.5"),
    DoseRoute.IM: Decimal("0.75"),
    DoseRoute.SUBLINGUAL: Decimal("1.5"),
    DoseRoute.INTRANASAL: Decimal("0.5"),
}
# How long the dose takes to give: the IV infusion is the clinic's setting; the others are
# given at once (IM), held under the tongue (sublingual) or sprayed over a few minutes.
DOSE_MINUTES = {DoseRoute.IM: 5, DoseRoute.SUBLINGUAL: 15, DoseRoute.INTRANASAL: 10}
DIAGNOSES = [
    ("F33.2", "Major depressive disorder, recurrent severe without psychotic features"),
    ("F33.1", "Major depressive disorder, recurrent, moderate"),
    ("F32.2", "Major depressive disorder, single episode, severe"),
    ("F43.10", "Post-traumatic stress disorder, unspecified"),
    ("F41.1", "Generalized anxiety disorder"),
    ("F31.81", "Bipolar II disorder"),
]
GOALS = [
    "Lift the weight of the depression enough to return to work.",
    "Sleep through the night and stop the intrusive memories.",
    "Feel connected to my children again.",
    "Understand what keeps me stuck, with curiosity instead of shame.",
    "Reduce the anxiety that stops me leaving the house.",
]
MUSIC = ["Calm ambient playlist", "Clinic playlist A", "Piano and strings", "Nature sounds"]
INTENTIONS = [
    "To meet whatever comes with openness.",
    "To look at the grief I keep putting away.",
    "To rest, and to notice my body.",
    "To be kinder to myself.",
]
THREAD_SUBJECTS = [
    "Question about my next session",
    "Rescheduling",
    "Integration notes",
    "Medication change",
    "Escort for Thursday",
    "Preparation session summary",
]
MESSAGE_BODIES = [
    "Thank you, that works for me.",
    "Could we move the session to later in the week?",
    "I noticed I slept better after the last session.",
    "Please see the note from the last preparation session.",
    "Reminder: nothing to eat for four hours before the dose.",
    "My partner will drive me home.",
    "We discussed the themes that came up; the patient would like to continue.",
    "Thanks for the update. I will follow up at the next integration session.",
]
REASONS_DISCONTINUED = [
    "Moved out of state.",
    "Chose to stop after side effects (nausea).",
    "Insurance did not cover the course.",
    "Did not respond after four doses; referred back to the psychiatrist.",
]
REASON_INELIGIBLE = "Uncontrolled hypertension at screening; re-screen when treated."
REASON_BOOSTER = "Booster dose: symptoms returning."


@dataclass
class ClinicStaff:
    coordinator: User
    admin: User
    nurses: list[User]
    clinicians: list[User]
    therapists: list[User]
    patient_login: User | None = None

    @property
    def logins(self) -> dict[str, str]:
        """The known sign-ins per role (what the bench signs in with)."""
        logins = {
            "coordinator": self.coordinator.email,
            "clinician": self.clinicians[0].email,
            "nurse": self.nurses[0].email,
            "admin": self.admin.email,
            "therapist": self.therapists[0].email,
        }
        if self.patient_login is not None:
            logins["patient"] = self.patient_login.email
        return logins


@dataclass
class NetworkSummary:
    clinics: list[dict] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    # Time spent inserting each table's rows (the rest is making them in Python).
    insert_seconds: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def as_json(self, *, password: str) -> dict:
        return {
            "clinics": self.clinics,
            "counts": dict(sorted(self.counts.items())),
            "password": password,
            "authenticator_key_hex": AUTHENTICATOR_KEY,
            "seconds": round(self.seconds, 1),
            "insert_seconds": {
                label: round(seconds, 1) for label, seconds in sorted(self.insert_seconds.items())
            },
        }


Progress = Callable[[str, int], None]


def _no_progress(what: str, advance: int) -> None:
    return None


def generate_network(
    *,
    patients: int,
    clinics: int,
    seed: int,
    password: str = DEFAULT_PASSWORD,
    into_clinic: Clinic | None = None,
    progress: Progress = _no_progress,
) -> NetworkSummary:
    """Generate `patients` patients split over `clinics` new clinics, or all into
    `into_clinic`; return what was made and the staff sign-ins per clinic."""
    started = timezone.now()
    summary = NetworkSummary()
    rng = random.Random(seed)
    faker = Faker("en_US")
    faker.seed_instance(seed)
    if into_clinic is not None:
        ensure_default_price_list(into_clinic)
        ensure_default_documents(into_clinic)
        plan = [(into_clinic, patients)]
    else:
        share, extra = divmod(patients, clinics)
        counts = [share + (1 if i < extra else 0) for i in range(clinics)]
        plan = [(_new_clinic(rng, faker, seed, i), n) for i, n in enumerate(counts)]
    for clinic, count in plan:
        generator = ClinicGenerator(clinic, count, rng, faker, password, summary, progress)
        staff = generator.run()
        summary.clinics.append(
            {
                "slug": clinic.slug,
                "name": clinic.name,
                "time_zone": clinic.time_zone,
                "patients": count,
                "logins": staff.logins,
            }
        )
    if connection.vendor == "postgresql":
        # Fresh statistics, so the planner sees the tables at their new size.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    summary.seconds = (timezone.now() - started).total_seconds()
    return summary


def _new_clinic(rng: random.Random, faker: Faker, seed: int, index: int) -> Clinic:
    city = faker.city()
    slug = f"network-{seed}-{index + 1}"
    if Clinic.objects.filter(slug=slug).exists():
        raise NetworkExists(
            f"A clinic “{slug}” already exists: this seed was generated into this database. "
            "Use another --seed or a fresh database."
        )
    clinic = Clinic.objects.create(
        name=f"{city} Ketamine Clinic",
        slug=slug,
        time_zone=TIME_ZONES[index % len(TIME_ZONES)],
        phone=f"555-01{rng.randint(0, 99):02d}",
        email=f"hello@{slug}.network.kapcare.org",
        clinical_inbox=f"clinical@{slug}.network.kapcare.org",
    )
    ensure_default_price_list(clinic)
    ensure_default_documents(clinic)
    return clinic


class NetworkExists(Exception):
    """The clinics this seed makes are already in the database."""


@contextmanager
def given_times(*models) -> Iterator[None]:
    """Let `bulk_create` keep the times we give to `auto_now`/`auto_now_add` fields: the
    generated history happened over years, not at the moment it was inserted."""
    changed = []
    for model in models:
        for model_field in model._meta.concrete_fields:
            if getattr(model_field, "auto_now", False) or getattr(
                model_field, "auto_now_add", False
            ):
                changed.append((model_field, model_field.auto_now, model_field.auto_now_add))
                model_field.auto_now = model_field.auto_now_add = False
    try:
        yield
    finally:
        for model_field, auto_now, auto_now_add in changed:
            model_field.auto_now, model_field.auto_now_add = auto_now, auto_now_add


TIMED_MODELS = (
    Patient,
    BodyMeasurement,
    Episode,
    CareSession,
    DayOfChecklist,
    Appointment,
    DosingRecord,
    Observation,
    AdverseEvent,
    Intervention,
    ControlledSubstanceEntry,
    Assessment,
    SafetyAlert,
    AccessLogEntry,
)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


# The version (4) and variant bits of a random UUID, as `uuid.UUID(version=4)` sets them.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def _uuid_hex(rng: random.Random) -> str:
    """A version-4 UUID as 32 hex digits, for rows written by `write_rows` (both databases
    take this form), without building a `uuid.UUID` for each of millions of rows."""
    return f"{rng.getrandbits(128) & _UUID4_CLEAR | _UUID4_SET:032x}"


def _weighted(rng: random.Random, choices):
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


class DosingSlots:
    """The clinic's dosing blocks, handed out in time order within a day: room by room,
    block by block. Each room has its own clinician, so neither is ever double-booked;
    blocks already booked in these rooms (an earlier run) are skipped."""

    def __init__(self, clinic: Clinic, rooms: list[Room], clinicians: list[User]):
        self.zone = clinic.zone
        self.rooms = rooms
        self.clinicians = clinicians
        self.capacity = len(rooms) * BLOCKS_PER_DAY
        self.taken: dict[dt.date, set[int]] = defaultdict(set)
        self.next_free: dict[dt.date, int] = defaultdict(int)
        room_index = {room.pk: index for index, room in enumerate(rooms)}
        booked = Appointment.objects.filter(
            room__in=rooms, status=AppointmentStatus.BOOKED
        ).values_list("room_id", "starts_at")
        for room_id, starts_at in booked.iterator():
            local = starts_at.astimezone(self.zone)
            block = (local.hour - FIRST_BLOCK_HOUR) // BLOCK_SPACING_HOURS
            if 0 <= block < BLOCKS_PER_DAY:
                self.taken[local.date()].add(block * len(rooms) + room_index[room_id])

    def take(self, day: dt.date) -> tuple[dt.datetime, Room, User]:
        while True:
            index = self.next_free[day]
            while index in self.taken[day]:
                index += 1
            if index < self.capacity:
                break
            self.next_free[day] = index
            day += dt.timedelta(days=1)
        self.taken[day].add(index)
        self.next_free[day] = index + 1
        block, room_index = divmod(index, len(self.rooms))
        start = dt.datetime.combine(
            day, dt.time(FIRST_BLOCK_HOUR + block * BLOCK_SPACING_HOURS), tzinfo=self.zone
        )
        return start, self.rooms[room_index], self.clinicians[room_index]


@dataclass
class Chunk:
    """The rows of up to PATIENTS_PER_CHUNK patients, made in memory, inserted parents
    first."""

    users: list = field(default_factory=list)
    patients: list = field(default_factory=list)
    measurements: list = field(default_factory=list)
    episodes: list = field(default_factory=list)
    transitions: list = field(default_factory=list)
    appointments: list = field(default_factory=list)
    sessions: list = field(default_factory=list)
    checklists: list = field(default_factory=list)
    records: list = field(default_factory=list)
    observations: list = field(default_factory=list)
    events: list = field(default_factory=list)
    interventions: list = field(default_factory=list)
    discharges: list = field(default_factory=list)
    substance: list = field(default_factory=list)
    signings: list = field(default_factory=list)
    assessments: list = field(default_factory=list)
    alerts: list = field(default_factory=list)
    signatures: list = field(default_factory=list)
    authorizations: list = field(default_factory=list)
    threads: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    read_marks: list = field(default_factory=list)
    notifications: list = field(default_factory=list)
    access: list = field(default_factory=list)


class ChunkWriter:
    """Inserts each chunk in its own transaction: at once, or (`overlap`) on a second
    thread with its own connection, one chunk behind the thread that makes them. The
    chunks of patients share no rows, only the clinic and its staff, committed before."""

    def __init__(self, insert: Callable[[Chunk], None], overlap: bool):
        self.insert = insert
        self.overlap = overlap
        self.error: BaseException | None = None

    def __enter__(self) -> "ChunkWriter":
        if self.overlap:
            self.queue: queue.Queue = queue.Queue(maxsize=1)
            self.thread = threading.Thread(target=self._work, name="chunk-writer")
            self.thread.start()
        return self

    def put(self, chunk: Chunk) -> None:
        if not self.overlap:
            self._insert(chunk)
            return
        self._raise()
        self.queue.put(chunk)

    def _work(self) -> None:
        try:
            while (chunk := self.queue.get()) is not None:
                if self.error is not None:
                    continue
                try:
                    self._insert(chunk)
                except BaseException as error:
                    self.error = error
        finally:
            connection.close()

    def _insert(self, chunk: Chunk) -> None:
        with transaction.atomic():
            self.insert(chunk)
        # With DEBUG on, Django keeps the last 9,000 statements: bulk inserts are large.
        connection.queries_log.clear()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def __exit__(self, *exc_info) -> None:
        if self.overlap:
            self.queue.put(None)
            self.thread.join()
        if exc_info[0] is None:
            self._raise()


class ClinicGenerator:
    def __init__(self, clinic, count, rng, faker, password, summary, progress: Progress):
        self.clinic = clinic
        self.count = count
        self.rng = rng
        self.faker = faker
        self.password = password
        self.counts = summary.counts
        self.insert_seconds = summary.insert_seconds
        self.progress = progress
        self.now = timezone.now()
        self.today = timezone.localdate(self.now, clinic.zone)
        self.thresholds = vitals_rules.VitalThresholds.from_settings(clinic)
        self.drawn_per_lot: dict[str, Decimal] = defaultdict(Decimal)
        self.chunk = Chunk()
        self.password_hash = make_password(password)

    # --- Staff, rooms, therapists -------------------------------------------------------

    def run(self) -> ClinicStaff:
        with transaction.atomic():
            self.staff = self._staff()
            self.rooms = self._rooms()
            self.slots = DosingSlots(self.clinic, self.rooms, self.staff.clinicians)
            self.treatment_versions = {
                model: current_version(self.clinic, treatment_kind_for(model))
                for model, _ in MODELS
            }
            self.sharing_version = current_version(self.clinic, DocumentKind.SHARING)
        long_every = min(LONG_HISTORY_EVERY, max(self.count, 1))
        # On PostgreSQL, outside a caller's transaction, a second connection inserts one
        # chunk while the next is made, so the database's work and Python's overlap.
        overlap = connection.vendor == "postgresql" and not connection.in_atomic_block
        made = 0
        with given_times(*TIMED_MODELS), ChunkWriter(self.insert_chunk, overlap) as writer:
            while made < self.count:
                size = min(PATIENTS_PER_CHUNK, self.count - made)
                for index in range(made, made + size):
                    self._patient(
                        first=index == 0 and self.staff.patient_login is None,
                        long_history=index % long_every == long_every // 2,
                    )
                chunk, self.chunk = self.chunk, Chunk()
                writer.put(chunk)
                made += size
                self.progress("patients", size)
        with transaction.atomic(), given_times(ControlledSubstanceEntry):
            self._receive_lots()
            # Lines loaded in bulk: each lot's reconciliation kept, as a write keeps it.
            lots.restate_clinic(self.clinic)
        return self.staff

    def _user(self, email, full_name, role, *, credentials="", with_password=True, clinic=True):
        existing = User.objects.filter(email=email).first()
        if existing is not None:
            return existing
        user = User.objects.create(
            email=email,
            # Hashed once for every sign-in: hashing is slow on purpose.
            password=self.password_hash if with_password else make_password(None),
            full_name=full_name,
            role=role,
            clinic=self.clinic if clinic else None,
            credentials=credentials,
        )
        if with_password and second_factor.is_required(user):
            TOTPDevice.objects.create(
                user=user,
                name=second_factor.AUTHENTICATOR_NAME,
                key=AUTHENTICATOR_KEY,
                confirmed=True,
            )
        self.counts["accounts.user"] += 1
        return user

    def _staff(self) -> ClinicStaff:
        domain = f"{self.clinic.slug}.network.kapcare.org"
        name = self.faker.name
        rooms = max(1, math.ceil(self.count / PATIENTS_PER_ROOM))
        clinicians = [
            self._user(
                f"clinician@{domain}" if i == 0 else f"clinician-{i + 1}@{domain}",
                name(),
                Role.CLINICIAN,
                credentials=self.rng.choice(["CRNA", "MD", "NP"]),
            )
            for i in range(rooms)
        ]
        nurses = [
            self._user(
                f"nurse@{domain}" if i == 0 else f"nurse-{i + 1}@{domain}",
                name(),
                Role.NURSE,
                credentials="RN",
            )
            for i in range(max(1, rooms // 3))
        ]
        therapists = [
            self._user(
                f"therapist@{domain}" if i == 0 else f"therapist-{i + 1}@{domain}",
                name(),
                Role.THERAPIST,
                credentials=self.rng.choice(["LMFT", "LCSW", "PsyD", "LPC"]),
                # Only the first signs in; the others have not accepted an invitation.
                with_password=i == 0,
                clinic=False,
            )
            for i in range(max(2, math.ceil(self.count / THERAPISTS_PER_PATIENTS)))
        ]
        staff = ClinicStaff(
            coordinator=self._user(f"coordinator@{domain}", name(), Role.COORDINATOR),
            admin=self._user(f"admin@{domain}", name(), Role.ADMIN),
            nurses=nurses,
            clinicians=clinicians,
            therapists=therapists,
            patient_login=User.objects.filter(email=f"patient@{domain}").first(),
        )
        self._working_hours(clinicians + nurses)
        self._directory(staff)
        return staff

    def _working_hours(self, people: list[User]) -> None:
        have = set(
            WorkingHours.objects.filter(clinician__in=people).values_list("clinician_id", flat=True)
        )
        rows = [
            WorkingHours(clinician=person, weekday=day, starts=dt.time(7, 30), ends=dt.time(18, 30))
            for person in people
            if person.pk not in have
            for day in range(7)
        ]
        WorkingHours.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        self.counts["scheduling.workinghours"] += len(rows)

    def _directory(self, staff: ClinicStaff) -> None:
        listed = set(
            TherapistProfile.objects.filter(clinic=self.clinic).values_list("user_id", flat=True)
        )
        rows = []
        for index, therapist in enumerate(staff.therapists):
            if therapist.pk in listed:
                continue
            verified_at = self.now - dt.timedelta(days=self.rng.randint(30, 900))
            rows.append(
                TherapistProfile(
                    user=therapist,
                    clinic=self.clinic,
                    practice_name=f"{therapist.full_name.split()[-1]} Counseling",
                    phone=f"555-01{self.rng.randint(0, 99):02d}",
                    city=self.faker.city(),
                    state="TN",
                    licence_type=self.rng.choice(
                        [LicenceType.LMFT, LicenceType.LCSW, LicenceType.PSYCHOLOGIST]
                    ),
                    licence_state="TN",
                    licence_number=f"{self.rng.randint(1000, 99999)}",
                    licence_expires_on=self.today + dt.timedelta(days=self.rng.randint(90, 700)),
                    licence_verified_at=verified_at,
                    licence_verified_by=staff.coordinator,
                    training_programme="Polaris Insight Center KAP training",
                    training_completed_on=verified_at.date() - dt.timedelta(days=60),
                    training_verified_at=verified_at,
                    training_verified_by=staff.coordinator,
                    modalities=self.rng.sample(list(Modality.values), 2),
                    fee_per_session=Decimal(self.rng.choice([150, 175, 200])),
                    invitation_accepted_at=verified_at if index == 0 else None,
                    created_at=verified_at - dt.timedelta(days=2),
                    created_by=staff.coordinator,
                )
            )
        TherapistProfile.objects.bulk_create(rows)
        self.counts["therapists.therapistprofile"] += len(rows)

    def _rooms(self) -> list[Room]:
        rooms = []
        for index in range(len(self.staff.clinicians)):
            room, created = Room.objects.get_or_create(
                clinic=self.clinic, name=f"Network suite {index + 1}"
            )
            self.counts["scheduling.room"] += created
            rooms.append(room)
        return rooms

    # --- One patient ----------------------------------------------------------------------

    def _patient(self, *, first: bool, long_history: bool) -> None:
        rng, faker, chunk = self.rng, self.faker, self.chunk
        sex = _weighted(rng, [(SexAtBirth.FEMALE, 60), (SexAtBirth.MALE, 38), ("UNK", 2)])
        given = faker.first_name_female() if sex == SexAtBirth.FEMALE else faker.first_name_male()
        family = faker.last_name()
        days_ago = (
            rng.randint(LONG_HISTORY_DAYS - 365, LONG_HISTORY_DAYS)
            if long_history
            else rng.randint(0, HISTORY_DAYS)
        )
        registered = self._moment(self.today - dt.timedelta(days=days_ago), 9, 17)
        patient = Patient(
            external_id=_uuid(rng),
            clinic=self.clinic,
            given_name=given,
            family_name=family,
            birth_date=self.today - dt.timedelta(days=rng.randint(19 * 365, 78 * 365)),
            sex_at_birth=sex,
            pronouns=rng.choice(["", "", "she/her" if sex == SexAtBirth.FEMALE else "he/him"]),
            email=f"{given}.{family}.{rng.randint(1, 99999)}@example.com".lower(),
            phone=f"{rng.randint(201, 989)}-555-01{rng.randint(0, 99):02d}",
            address_line=faker.street_address(),
            city=faker.city(),
            state=faker.state_abbr(),
            postal_code=faker.postcode(),
            emergency_contact_name=f"{faker.first_name()} {family}",
            emergency_contact_relationship=rng.choice(["Spouse", "Partner", "Sister", "Friend"]),
            emergency_contact_phone=f"{rng.randint(201, 989)}-555-01{rng.randint(0, 99):02d}",
            created_at=registered,
            created_by=self.staff.coordinator,
            updated_at=registered,
        )
        chunk.patients.append(patient)
        if first:
            # The patient the bench signs in as: a portal account with the known password.
            login = User(
                email=f"patient@{self.clinic.slug}.network.kapcare.org",
                full_name=f"{given} {family}",
                role=Role.PATIENT,
                clinic=self.clinic,
                password=self.password_hash,
            )
            chunk.users.append(login)
            patient.user = login
            self.staff.patient_login = login
        elif rng.random() < 0.3:
            portal = User(
                email=f"patient-{patient.external_id.hex[:16]}@network.kapcare.org",
                full_name=f"{given} {family}",
                role=Role.PATIENT,
                clinic=self.clinic,
                password=make_password(None),
            )
            chunk.users.append(portal)
            patient.user = portal
        self._access(patient, self.staff.coordinator, AccessAction.CREATE, patient, registered)
        self._weigh(patient, registered.date(), height=True)

        start = registered + dt.timedelta(days=rng.randint(0, 3))
        if long_history:
            while start.date() < self.today - dt.timedelta(days=400):
                start = self._episode(patient, start, course.COMPLETED, boosters=True)
                if self.chunk.episodes[-1].state != course.COMPLETED:
                    return  # still under way: one open episode at a time
                start += dt.timedelta(days=rng.randint(60, 200))
            target = rng.choice([course.FOLLOW_UP, course.IN_TREATMENT])
        elif first:
            target = course.IN_TREATMENT
            start = self._moment(self.today - dt.timedelta(days=30), 9, 12)
        else:
            target = _weighted(rng, TARGET_STATES)
            start = self._moment(self.today - dt.timedelta(days=self._days_back(target)), 9, 17)
            if start < registered:
                patient.created_at = patient.updated_at = start - dt.timedelta(days=1)
        self._episode(patient, start, target, boosters=long_history, first=first)

    def _days_back(self, target: str) -> int:
        """How long ago an episode now in `target` began, roughly."""
        low, high = {
            course.REFERRED: (0, 10),
            course.SCREENING: (4, 20),
            course.ELIGIBLE: (14, 30),
            course.INELIGIBLE: (14, HISTORY_DAYS),
            course.CONSENTED: (24, 32),
            course.PREPARING: (28, 40),
            course.IN_TREATMENT: (36, 55),
            course.FOLLOW_UP: (70, 100),
            course.COMPLETED: (140, HISTORY_DAYS),
            course.DISCONTINUED: (30, HISTORY_DAYS),
        }[target]
        return self.rng.randint(low, high)

    def _moment(self, day: dt.date, first_hour: int, last_hour: int) -> dt.datetime:
        """A time on `day` in the clinic's time zone between the two hours."""
        minute = self.rng.randint(first_hour * 60, last_hour * 60)
        return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=self.clinic.zone)

    def _weigh(self, patient: Patient, day: dt.date, *, height: bool = False) -> None:
        state = getattr(patient, "_synthetic_body", None)
        if state is None:
            mean = 163 if patient.sex_at_birth == SexAtBirth.FEMALE else 176
            height_m = self.rng.gauss(mean, 7) / 100
            state = [height_m, self.rng.uniform(19.5, 34.0) * height_m * height_m, day]
            patient._synthetic_body = state
        height_m, weight, _ = state
        weight = max(40.0, weight + self.rng.uniform(-1.5, 1.0))
        state[1], state[2] = weight, day
        self.chunk.measurements.append(
            BodyMeasurement(
                patient=patient,
                measured_on=day,
                weight_kg=Decimal(f"{weight:.1f}"),
                height_cm=Decimal(f"{height_m * 100:.1f}") if height else None,
                recorded_by=self.staff.nurses[0],
                recorded_at=self._moment(day, 8, 18),
            )
        )

    def _weight_on(self, patient: Patient, day: dt.date) -> Decimal:
        """The weight for a dose on `day`: weighed again when the last is 30 days old
        (the clinic's default for gate 8)."""
        if (day - patient._synthetic_body[2]).days >= self.clinic.weight_recent_days - 2:
            self._weigh(patient, day)
        return Decimal(f"{patient._synthetic_body[1]:.1f}")

    # --- One episode ---------------------------------------------------------------------

    def _episode(self, patient, start, target, *, boosters=False, first=False) -> dt.datetime:
        """An episode of care that began at `start` and is walked towards `target` (its
        sessions placed in the clinic's calendar); its state is the last move reached by
        now. Returns when it ended (or now)."""
        rng = self.rng
        start = min(start, self.now - dt.timedelta(hours=1))
        model = course.BLENDED if first else _weighted(rng, MODELS)
        is_kap = course.is_kap(model)
        diagnosis = rng.choice(DIAGNOSES)
        trauma = diagnosis[0].startswith("F43") or rng.random() < 0.2
        if first:
            therapist = self.staff.therapists[0]
        elif is_kap:
            # The known therapist carries a large caseload; the others share the rest.
            therapist = (
                self.staff.therapists[0]
                if rng.random() < 0.15
                else rng.choice(self.staff.therapists)
            )
        else:
            therapist = None
        clinician = rng.choice(self.staff.clinicians)
        episode = Episode(
            external_id=_uuid(rng),
            clinic=self.clinic,
            patient=patient,
            model=model,
            state=course.REFERRED,
            state_changed_at=start,
            diagnosis_code=diagnosis[0],
            diagnosis_text=diagnosis[1],
            treating_clinician=clinician,
            therapist=therapist,
            has_trauma_history=trauma,
            goals=rng.choice(GOALS),
            dose_route=_weighted(rng, ROUTES_KAP if is_kap else ROUTES_STANDALONE),
            planned_doses=self.clinic.induction_doses,
            planned_preparation_sessions=(
                self.clinic.preparation_sessions_with_trauma
                if trauma
                else self.clinic.preparation_sessions_required
            )
            if is_kap
            else 0,
            planned_integration_sessions=self.clinic.induction_doses if is_kap else 0,
            therapist_fee=Decimal("175.00") if is_kap else None,
            created_at=start,
            created_by=self.staff.coordinator,
            updated_at=start,
        )
        self.chunk.episodes.append(episode)
        walk = EpisodeWalk(self, episode, clinician)
        walk.move(course.REFERRED, start)
        if target == course.REFERRED:
            return walk.finish()
        at = walk.move(course.SCREENING, start + dt.timedelta(days=rng.randint(1, 4)))
        if at > self.now:
            return walk.finish()
        self._questionnaires(patient, at, staff=clinician)
        at += dt.timedelta(days=rng.randint(5, 10))
        if target == course.SCREENING or at > self.now:
            return walk.finish()
        if target == course.INELIGIBLE:
            walk.move(course.INELIGIBLE, at, REASON_INELIGIBLE)
            return walk.finish()
        at = walk.move(course.ELIGIBLE, at)
        consented = at + dt.timedelta(days=rng.randint(3, 7))
        if target == course.ELIGIBLE or consented > self.now:
            return walk.finish()
        at = walk.move(course.CONSENTED, consented)
        self._consent(patient, episode, at, therapist)
        if target == course.CONSENTED:
            walk.plan_next(at, is_kap)
            return walk.finish()
        stop_after = rng.randint(0, 4) if target == course.DISCONTINUED else None
        at = walk.course(at, target, stop_after=stop_after, boosters=boosters)
        return walk.finish()

    def _consent(self, patient, episode, at, therapist) -> None:
        """The treatment consent signed for the episode, and for a KAP episode the sharing
        authorisation with its therapist."""
        version = self.treatment_versions[episode.model]
        kind = treatment_kind_for(episode.model)
        signature = self._signature(patient, version, kind, at, episode=episode)
        signature.care_model = episode.model
        if therapist is None:
            return
        signed = at + dt.timedelta(minutes=20)
        sharing = self._signature(patient, self.sharing_version, DocumentKind.SHARING, signed)
        expires_on = timezone.localdate(signed, self.clinic.zone) + dt.timedelta(
            days=30 * self.clinic.sharing_authorization_months
        )
        self.chunk.authorizations.append(
            SharingAuthorization(
                patient=patient,
                clinic=self.clinic,
                therapist=therapist,
                therapist_name=therapist.full_name,
                therapist_email=therapist.email,
                share_schedule=True,
                share_session_summaries=True,
                share_measures=True,
                share_safety_alerts=True,
                purpose="Coordinating preparation and integration with the dosing sessions.",
                expires_on=expires_on,
                expires_at=dt.datetime.combine(
                    expires_on + dt.timedelta(days=1), dt.time(0), tzinfo=self.clinic.zone
                ),
                signature=sharing,
                created_at=signed,
                created_by=self.staff.coordinator,
            )
        )

    def _signature(self, patient, version, kind, at, *, episode=None) -> Signature:
        values = {
            "clinic_name": self.clinic.name,
            "clinic_phone": self.clinic.phone or "the clinic",
            "patient_name": f"{patient.given_name} {patient.family_name}",
            "patient_birth_date": f"{patient.birth_date:%B} {patient.birth_date.day}, "
            f"{patient.birth_date.year}",
            "care_model": consent_rules.care_model_words(episode.model if episode else None),
            "course_cost_estimate": "6 dosing sessions at $475.00: $2,850.00 in all.",
        }
        text = consent_rules.fill_placeholders(version.body_markdown, values)
        in_portal = patient.user is not None
        signature = Signature(
            patient=patient,
            version=version,
            kind=kind,
            episode=episode,
            signed_text=text,
            text_sha256=sha256_hex(text),
            typed_name=f"{patient.given_name} {patient.family_name}",
            agreed=True,
            signed_at=at,
            method=SigningMethod.PORTAL if in_portal else SigningMethod.CLINIC_TABLET,
            signed_by=patient.user if in_portal else self.staff.coordinator,
            witnessed_by=None if in_portal else self.staff.coordinator,
        )
        self.chunk.signatures.append(signature)
        return signature

    def _questionnaires(self, patient, at: dt.datetime, *, staff: User, progress=0.0) -> None:
        """PHQ-9 and GAD-7, scored as the measures service scores them; symptoms ease
        as the course goes on (`progress` from 0 to 1)."""
        baseline = getattr(patient, "_synthetic_baseline", None)
        if baseline is None:
            baseline = (self.rng.randint(12, 24), self.rng.randint(8, 19))
            patient._synthetic_baseline = baseline
        ease = 1 - 0.55 * progress * self.rng.uniform(0.5, 1.2)
        for instrument, items, base in (("phq9", 9, baseline[0]), ("gad7", 7, baseline[1])):
            answers = [0] * items
            scored_items = 8 if instrument == "phq9" else items
            points = max(0, min(scored_items * 3, round(base * ease)))
            while points:
                item = self.rng.randrange(scored_items)
                if answers[item] < 3:
                    answers[item] += 1
                    points -= 1
            if instrument == "phq9" and self.rng.random() < 0.015:
                answers[8] = 1
            result = scoring.score(instrument, answers)
            in_portal = patient.user is not None
            completed = at - dt.timedelta(minutes=self.rng.randint(20, 600))
            assessment = Assessment(
                patient=patient,
                instrument=instrument,
                status=AssessmentStatus.COMPLETED,
                answers=answers,
                total=result.total,
                band=result.band,
                flags=list(result.flags),
                details={**result.details, "missing_items": list(result.missing_items)},
                source=Source.PORTAL if in_portal else Source.STAFF,
                entered_by=patient.user if in_portal else staff,
                started_at=completed - dt.timedelta(minutes=4),
                completed_at=completed,
            )
            self.chunk.assessments.append(assessment)
            if scoring.SUICIDAL_IDEATION in result.flags:
                reviewed = completed + dt.timedelta(hours=3)
                is_reviewed = reviewed < self.now - dt.timedelta(days=1)
                self.chunk.alerts.append(
                    SafetyAlert(
                        clinic=self.clinic,
                        patient=patient,
                        assessment=assessment,
                        kind=AlertKind.SUICIDAL_IDEATION,
                        raised_at=completed,
                        reviewed_at=reviewed if is_reviewed else None,
                        reviewed_by=staff if is_reviewed else None,
                        review_note="Called the patient; passive thoughts, no plan. Safety "
                        "plan reviewed."
                        if is_reviewed
                        else "",
                    )
                )

    def _access(self, patient, user: User, action: str, obj, at: dt.datetime, path="") -> None:
        octets = (self.clinic.pk % 250, self.rng.randint(0, 255), self.rng.randint(1, 254))
        ip_address = "10.{}.{}.{}".format(*octets)
        # ACCESS_COLUMNS
        self.chunk.access.append(
            (
                at,
                user.pk,
                user.full_name,
                user.email,
                user.role,
                self.clinic.pk,
                patient,
                obj._meta.model_name,
                str(obj.external_id),
                action,
                Channel.WEB,
                ip_address,
                path,
            )
        )

    def _thread(self, patient, episode, at: dt.datetime) -> None:
        """A message thread about the patient: with the patient (when they use the
        portal) or with the episode's therapist; some messages not yet read by staff."""
        rng = self.rng
        if episode.therapist is not None and (patient.user is None or rng.random() < 0.5):
            kind, other = ThreadKind.THERAPIST, episode.therapist
        elif patient.user is not None:
            kind, other = ThreadKind.PATIENT, patient.user
        else:
            return
        staff = self.staff.coordinator
        thread = Thread(
            clinic=self.clinic,
            patient=patient,
            kind=kind,
            therapist=other if kind == ThreadKind.THERAPIST else None,
            subject=rng.choice(THREAD_SUBJECTS),
            created_at=at,
            created_by=other,
            last_message_at=at,
        )
        moment = at
        for index in range(rng.randint(2, 5)):
            author = other if index % 2 == 0 else staff
            moment = min(moment + dt.timedelta(hours=rng.randint(1, 30)), self.now)
            # MESSAGE_COLUMNS
            self.chunk.messages.append(
                (_uuid_hex(rng), thread, author, rng.choice(MESSAGE_BODIES), moment)
            )
        thread.last_message_at = moment
        # As `messaging.services.post_message` keeps it: the last word was the outsider's.
        thread.awaits_clinic = author.pk == other.pk
        self.chunk.threads.append(thread)
        # Staff have read most threads to the end; a few recent ones wait.
        if moment < self.now - dt.timedelta(days=3) or rng.random() < 0.5:
            for reader in (staff, episode.treating_clinician):
                # READ_MARK_COLUMNS
                self.chunk.read_marks.append((thread, reader, moment))

    # --- Insertion ----------------------------------------------------------------------

    def insert_chunk(self, chunk: Chunk) -> None:

        def create(model, rows):
            if rows:
                started = time.monotonic()
                model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
                self._count(model, len(rows), started)

        def insert_rows(model, columns, rows):
            started = time.monotonic()
            write_rows(model, columns, rows)
            self._count(model, len(rows), started)

        # Parents first: bulk_create gives each its id, and a child's foreign key is
        # taken from its (now saved) parent when the child is inserted.
        create(User, chunk.users)
        create(Patient, chunk.patients)
        create(BodyMeasurement, chunk.measurements)
        create(Episode, chunk.episodes)
        create(EpisodeTransition, chunk.transitions)
        create(Appointment, chunk.appointments)
        create(CareSession, chunk.sessions)
        create(DayOfChecklist, chunk.checklists)
        create(DosingRecord, chunk.records)
        insert_rows(Observation, OBSERVATION_COLUMNS, chunk.observations)
        create(AdverseEvent, chunk.events)
        create(Intervention, chunk.interventions)
        create(DischargeAssessment, chunk.discharges)
        insert_rows(ControlledSubstanceEntry, SUBSTANCE_COLUMNS, chunk.substance)
        # Signed last, as `sign_record` does: nothing is added under a signed record.
        signed_by_time = defaultdict(list)
        for record, signed_at, signer in chunk.signings:
            signed_by_time[(signed_at, signer.pk)].append(record.pk)
        for (signed_at, signer_id), ids in signed_by_time.items():
            DosingRecord.objects.filter(pk__in=ids).update(
                signed_at=signed_at, signed_by_id=signer_id
            )
        create(Assessment, chunk.assessments)
        create(SafetyAlert, chunk.alerts)
        create(Signature, chunk.signatures)
        create(SharingAuthorization, chunk.authorizations)
        create(Thread, chunk.threads)
        insert_rows(Message, MESSAGE_COLUMNS, chunk.messages)
        insert_rows(ThreadReadMark, READ_MARK_COLUMNS, chunk.read_marks)
        create(Notification, chunk.notifications)
        insert_rows(AccessLogEntry, ACCESS_COLUMNS, chunk.access)

    def _count(self, model, rows: int, started: float) -> None:
        label = model._meta.label_lower
        self.counts[label] += rows
        self.insert_seconds[label] += time.monotonic() - started

    def _receive_lots(self) -> None:
        """Each month's lot received into the register on the first of the month, in
        500 mg vials enough for every draw made from it, counted with a nurse."""
        rows = []
        for lot_number, drawn in sorted(self.drawn_per_lot.items()):
            month = dt.date(2000 + int(lot_number[4:6]), int(lot_number[6:8]), 1)
            vials = int((drawn / 500).to_integral_value(rounding=ROUND_CEILING)) + 1
            rows.append(
                ControlledSubstanceEntry(
                    clinic=self.clinic,
                    lot_number=lot_number,
                    lot_expiry=month + dt.timedelta(days=365),
                    kind=SubstanceEntryKind.RECEIVED,
                    amount_mg=Decimal(vials * 500),
                    witness=self.staff.nurses[0],
                    note=f"{vials} vials of 500 mg/10 mL.",
                    recorded_by=self.staff.clinicians[0],
                    recorded_at=dt.datetime.combine(month, dt.time(7, 30), tzinfo=self.clinic.zone),
                    **dict(zip(SUBSTANCE_COLUMNS[-len(KETAMINE_LOT) :], KETAMINE_LOT, strict=True)),
                )
            )
        ControlledSubstanceEntry.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        self.counts["dosing.controlledsubstanceentry"] += len(rows)

    def lot_for(self, day: dt.date) -> str:
        return f"KET-{day:%y%m}-{self.clinic.pk}"


# The leaf tables that grow by millions (nothing points at their rows) are written as
# plain rows in these columns; the tuples are built in this order.
OBSERVATION_COLUMNS = (
    "external_id", "record_id", "patient_id", "reading_id", "vital", "loinc_code", "value",
    "unit", "taken_at", "alert_threshold", "source", "entered_by_id", "entered_at",
)  # fmt: skip
ACCESS_COLUMNS = (
    "occurred_at", "actor_id", "actor_name", "actor_email", "actor_role", "clinic_id",
    "patient_id", "object_type", "object_id", "action", "channel", "ip_address", "path",
)  # fmt: skip
SUBSTANCE_COLUMNS = (
    "external_id", "clinic_id", "lot_number", "lot_expiry", "kind", "amount_mg", "record_id",
    "patient_id", "witness_id", "note", "recorded_by_id", "recorded_at",
    "drug", "drug_name", "strength", "dosage_form", "ndc",
)  # fmt: skip
# Every generated lot: ketamine hydrochloride in 500 mg/10 mL vials (as the DEA's records
# name a lot: drug, label name, strength, dosage form, NDC unknown).
KETAMINE_LOT = (
    Drug.KETAMINE,
    LABEL_NAMES[Drug.KETAMINE],
    "50 mg/mL",
    DosageForm.INJECTABLE_SOLUTION,
    "",
)
MESSAGE_COLUMNS = ("external_id", "thread_id", "author_id", "body", "created_at")
READ_MARK_COLUMNS = ("thread_id", "user_id", "last_read_at")


def write_rows(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert `rows` (values for `columns`, the model's field attnames; a saved parent
    instance stands for its id) into `model`'s table: COPY on PostgreSQL, one prepared
    INSERT run over every row on SQLite. The database checks each row as it checks any
    insert (NOT NULL, CHECK, foreign keys, the append-only and signed-record triggers);
    only Django's per-row Python work is skipped, which `bulk_create` spends on every
    field of every row and which decides the time at millions of rows. Values are
    converted for SQLite the way the model's fields convert them."""
    if not rows:
        return
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[column] for column in columns]
    parents = [i for i, f in enumerate(fields) if f.is_relation]

    def _ids(row: tuple) -> list:
        values = list(row)
        for i in parents:
            if isinstance(values[i], Model):
                values[i] = values[i].pk
        return values

    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(_ids(row))
            return
        converters = [_sqlite_converter(model_field) for model_field in fields]
        values = [
            [convert(value) for convert, value in zip(converters, _ids(row), strict=True)]
            for row in rows
        ]
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)


def _sqlite_converter(model_field) -> Callable:
    if isinstance(model_field, DateTimeField):
        # As Django stores an aware datetime on SQLite: naive UTC, ISO 8601 with a space.
        return lambda value: (
            None if value is None else value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
        )
    if isinstance(model_field, DateField):
        return lambda value: connection.ops.adapt_datefield_value(value)
    if isinstance(model_field, UUIDField):
        return lambda value: value if isinstance(value, str | None) else value.hex
    if isinstance(model_field, DecimalField):
        digits, places = model_field.max_digits, model_field.decimal_places
        return lambda value: connection.ops.adapt_decimalfield_value(value, digits, places)
    return lambda value: value


class DoseTimes(NamedTuple):
    """The times of one dose, from its start to the signing of its record."""

    dose_start: dt.datetime
    minutes: int
    dose_end: dt.datetime
    discharge_at: dt.datetime
    signed_at: dt.datetime


class EpisodeWalk:
    """Walks one episode through its course, placing each session in time; the episode
    ends in the state of the last move reached by now."""

    def __init__(self, generator: ClinicGenerator, episode: Episode, clinician: User):
        self.g = generator
        self.rng = generator.rng
        self.episode = episode
        self.clinician = clinician
        self.patient = episode.patient
        self.last_move: dt.datetime = episode.state_changed_at
        self.doses_given = 0
        self.planned_ahead = 0
        self.last_dose_day: dt.date | None = None

    @property
    def now(self) -> dt.datetime:
        return self.g.now

    def move(self, to_state: str, at: dt.datetime, reason: str = "") -> dt.datetime:
        """Record the move if it has happened by now."""
        at = max(at, self.last_move + dt.timedelta(minutes=1))
        if at > self.now:
            return at
        episode = self.episode
        if to_state != course.REFERRED and to_state not in course.next_states(
            episode.state, episode.model
        ):
            raise ValueError(f"{episode.state} → {to_state} is not a move of the course")
        if not reason and (episode.state, to_state) in course.BACKWARD:
            reason = REASON_BOOSTER
        self.g.chunk.transitions.append(
            EpisodeTransition(
                episode=episode,
                from_state="" if to_state == course.REFERRED else episode.state,
                to_state=to_state,
                reason=reason,
                changed_by=self.clinician,
                changed_at=at,
            )
        )
        episode.state, episode.state_changed_at = to_state, at
        episode.updated_at = at
        self.last_move = at
        return at

    def finish(self) -> dt.datetime:
        return min(self.last_move, self.now)

    def plan_next(self, at: dt.datetime, is_kap: bool) -> None:
        """The first session booked ahead for a consented episode."""
        if is_kap:
            self.therapy(course.PREPARATION, max(at, self.now) + dt.timedelta(days=5))
        else:
            self.dose(max(at, self.now).date() + dt.timedelta(days=4), count=False)

    def course(self, at, target, *, stop_after, boosters) -> dt.datetime:
        rng, episode = self.rng, self.episode
        is_kap = course.is_kap(episode.model)
        if is_kap:
            at = self.move(course.PREPARING, at + dt.timedelta(days=1))
            for _ in range(episode.planned_preparation_sessions):
                at = self.therapy(course.PREPARATION, at + dt.timedelta(days=rng.randint(3, 7)))
            if target == course.PREPARING:
                if at < self.now:
                    ahead = self.now + dt.timedelta(days=rng.randint(1, 6))
                    self.therapy(course.PREPARATION, ahead)
                return at
        if target == course.DISCONTINUED and stop_after == 0:
            return self.discontinue(at + dt.timedelta(days=rng.randint(3, 10)))
        day = at.date() + dt.timedelta(days=rng.randint(2, 6))
        given_days: list[dt.date] = []
        if target == course.IN_TREATMENT:
            # The doses so far, counted back from a few days ago (not before the course
            # could start), then the next one from today on: today's list fills first.
            given_days = [self.g.today - dt.timedelta(days=rng.randint(2, 4))]
            for _ in range(rng.randint(1, episode.planned_doses - 1) - 1):
                given_days.insert(0, given_days[0] - dt.timedelta(days=rng.randint(2, 4)))
            given_days = [given for given in given_days if given >= day]
        for number in range(episode.planned_doses):
            if target == course.IN_TREATMENT:
                day = given_days[number] if number < len(given_days) else self.g.today
            started = self.dose(day)
            if started is None:
                return self.last_move
            if number == 0:
                self.move(course.IN_TREATMENT, started)
            if is_kap:
                self.therapy(course.INTEGRATION, started + dt.timedelta(days=1))
            if stop_after is not None and number + 1 >= stop_after:
                return self.discontinue(started + dt.timedelta(days=rng.randint(4, 12)))
            day = started.date() + dt.timedelta(
                days=rng.randint(2, 4)
                if self.g.clinic.minimum_dose_interval_hours <= 48
                else math.ceil(self.g.clinic.minimum_dose_interval_hours / 24)
            )
        if target == course.IN_TREATMENT:
            return self.last_move
        at = self.move(course.FOLLOW_UP, started + dt.timedelta(days=3))
        if is_kap:
            # Integration goes on in follow-up, every few weeks, for up to most of a year.
            for _ in range(rng.randint(FOLLOW_UP_INTEGRATIONS[0], FOLLOW_UP_INTEGRATIONS[1])):
                at = self.therapy(course.INTEGRATION, at + dt.timedelta(days=rng.randint(14, 30)))
        if boosters:
            # A course to complete ends its boosters a season before today, so none is
            # still booked ahead when it completes.
            until = self.g.today - dt.timedelta(days=120 if target == course.COMPLETED else 0)
            at = self.boosters(at, until)
        if target == course.COMPLETED and episode.state == course.FOLLOW_UP:
            at = self.move(course.COMPLETED, at + dt.timedelta(days=rng.randint(30, 90)))
        return at

    def boosters(self, at: dt.datetime, until: dt.date) -> dt.datetime:
        """Monthly booster doses from follow-up, for a year or two (a long history), none
        from `until` on."""
        for _ in range(self.rng.randint(10, 24)):
            day = at.date() + dt.timedelta(days=self.rng.randint(25, 35))
            if day >= until:
                break
            self.move(course.IN_TREATMENT, self._block_start(day), REASON_BOOSTER)
            started = self.dose(day)
            if started is None:
                break
            at = self.move(course.FOLLOW_UP, started + dt.timedelta(days=1))
        return at

    def _block_start(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(7, 0), tzinfo=self.g.clinic.zone)

    def discontinue(self, at: dt.datetime) -> dt.datetime:
        if at < self.now:
            self.therapy_cancelled(at - dt.timedelta(days=1))
        return self.move(course.DISCONTINUED, at, self.rng.choice(REASONS_DISCONTINUED))

    # --- Sessions -------------------------------------------------------------------------

    def _session(self, kind, start, end, **fields) -> CareSession:
        session = CareSession(
            external_id=_uuid(self.rng),
            episode=self.episode,
            patient=self.patient,
            kind=kind,
            planned_start=start,
            planned_end=end,
            created_at=min(start - dt.timedelta(days=self.rng.randint(2, 9)), self.now),
            created_by=self.g.staff.coordinator,
            **fields,
        )
        self.g.chunk.sessions.append(session)
        return session

    def therapy(self, kind: str, at: dt.datetime) -> dt.datetime:
        """A preparation or integration session in the therapist's own practice, recorded
        by the therapist who ran it (so it counts for the gates)."""
        if self.planned_ahead >= 2:
            return at
        therapist = self.episode.therapist
        day = timezone.localdate(at, self.g.clinic.zone)
        start = dt.datetime.combine(
            day, dt.time(self.rng.choice([9, 11, 14, 16])), tzinfo=self.g.clinic.zone
        )
        minutes = self.g.clinic.therapy_session_minutes
        end = start + dt.timedelta(minutes=minutes)
        if end > self.now:
            self.planned_ahead += 1
            self._session(kind, start, end, run_by=therapist)
            return end
        held = self.rng.random() > 0.04
        self._session(
            kind,
            start,
            end,
            run_by=therapist,
            status=course.DONE if held else course.MISSED,
            status_changed_at=end + dt.timedelta(minutes=10),
            status_changed_by=therapist,
            status_note="" if held else "Did not attend; rebooked.",
            modality=self.rng.choice(list(Modality.values)) if held else "",
            duration_minutes=minutes if held else None,
        )
        if held and self.rng.random() < 0.35:
            self.g._thread(self.patient, self.episode, end + dt.timedelta(hours=2))
        return end

    def therapy_cancelled(self, at: dt.datetime) -> None:
        if self.episode.therapist is None:
            return
        start = self.g._moment(timezone.localdate(at, self.g.clinic.zone), 9, 16)
        self._session(
            course.INTEGRATION,
            start,
            start + dt.timedelta(minutes=self.g.clinic.therapy_session_minutes),
            run_by=self.episode.therapist,
            status=course.CANCELLED,
            status_changed_at=start - dt.timedelta(days=1),
            status_changed_by=self.g.staff.coordinator,
            status_note="Cancelled: the patient is stopping the course.",
        )

    def dose(self, day: dt.date, *, count: bool = True) -> dt.datetime | None:
        """A dosing session in the next free block from `day`, with its appointment and,
        once it has begun, its record. Returns when the dose started, or None when the
        session lies ahead (booked, not given)."""
        g, rng, clinic = self.g, self.rng, self.g.clinic
        if self.last_dose_day is not None:
            day = max(day, self.last_dose_day + dt.timedelta(days=2))
        while True:
            start, room, clinician = g.slots.take(day)
            self.last_dose_day = start.date()
            block = clinic.checkin_minutes + clinic.infusion_minutes + clinic.recovery_minutes
            end = start + dt.timedelta(minutes=block)
            appointment = Appointment(
                clinic=clinic,
                patient=self.patient,
                room=room,
                clinician=clinician,
                starts_at=start,
                ends_at=end,
                purpose="Dosing session",
                booked_by=g.staff.coordinator,
                booked_at=min(start - dt.timedelta(days=rng.randint(2, 14)), self.now),
            )
            g.chunk.appointments.append(appointment)
            dose_start = start + dt.timedelta(minutes=clinic.checkin_minutes)
            if dose_start > self.now:
                self.planned_ahead += 1
                self._session(course.DOSING, start, end, appointment=appointment, run_by=clinician)
                return None
            if rng.random() < 0.03 and end < self.now:
                appointment.status = AppointmentStatus.CANCELLED
                appointment.cancelled_by = g.staff.coordinator
                appointment.cancelled_at = start - dt.timedelta(hours=3)
                self._session(
                    course.DOSING,
                    start,
                    end,
                    appointment=appointment,
                    run_by=clinician,
                    status=course.CANCELLED,
                    status_changed_at=start - dt.timedelta(hours=3),
                    status_changed_by=g.staff.coordinator,
                    status_note="Unwell (a cold); rebooked.",
                )
                day = start.date() + dt.timedelta(days=2)
                continue
            self._given(start, end, dose_start, appointment, clinician)
            return dose_start

    def _given(self, start, end, dose_start, appointment, clinician) -> None:
        g, rng = self.g, self.rng
        episode, patient = self.episode, self.patient
        nurse = rng.choice(g.staff.nurses)
        progress = min(1.0, self.doses_given / max(1, episode.planned_doses))
        g._questionnaires(patient, start, staff=nurse, progress=progress)
        weight = g._weight_on(patient, start.date())
        times = self._dose_times(dose_start)
        is_done = times.discharge_at <= self.now
        session = self._session(
            course.DOSING,
            start,
            end,
            appointment=appointment,
            run_by=clinician,
            status=course.DONE if is_done else course.IN_PROGRESS,
            started_at=dose_start,
            started_by=clinician,
            status_changed_at=times.discharge_at if is_done else dose_start,
            status_changed_by=clinician,
        )
        baseline = self._baseline_vitals()
        self._day_of_checklist(session, nurse, baseline, start)
        record = self._dosing_record(session, nurse, clinician, weight, start.date(), times)
        hypertensive = rng.random() < 0.02
        self._vitals(
            record,
            nurse,
            baseline,
            dose_start,
            times.dose_end,
            times.discharge_at,
            hypertensive,
        )
        if is_done:
            self._discharged(record, nurse, clinician, times)
            if end > self.now - dt.timedelta(days=30):
                self._reminder_sent(session, start, appointment)
        g._access(patient, clinician, AccessAction.VIEW, patient, start)
        g._access(patient, clinician, AccessAction.CREATE, session, dose_start)
        g._access(patient, nurse, AccessAction.VIEW, episode, dose_start + dt.timedelta(minutes=2))
        self.doses_given += 1

    def _dose_times(self, dose_start) -> DoseTimes:
        """When the dose ends (the route's length, the clinic's for an infusion), when the
        patient is discharged after the clinic's observation, and when the record is signed."""
        clinic, rng, route = self.g.clinic, self.rng, self.episode.dose_route
        minutes = clinic.infusion_minutes if route == DoseRoute.IV else DOSE_MINUTES[route]
        dose_end = dose_start + dt.timedelta(minutes=minutes)
        discharge_at = dose_end + dt.timedelta(
            minutes=clinic.discharge_observation_minutes + rng.randint(0, 20)
        )
        signed_at = discharge_at + dt.timedelta(minutes=rng.randint(10, 90))
        return DoseTimes(dose_start, minutes, dose_end, discharge_at, signed_at)

    def _baseline_vitals(self) -> tuple[int, int, int, int, int]:
        """Heart rate, systolic, diastolic, SpO2 and breaths a minute before the dose."""
        rng = self.rng
        return (
            rng.randint(62, 88),
            rng.randint(112, 138),
            rng.randint(70, 86),
            rng.randint(96, 99),
            rng.randint(12, 16),
        )

    def _day_of_checklist(self, session, nurse, baseline, start) -> None:
        """The nurse's day-of checklist, all confirmed, with the baseline blood pressure."""
        patient = self.patient
        pressure_taken = start + dt.timedelta(minutes=5)
        self.g.chunk.checklists.append(
            DayOfChecklist(
                session=session,
                patient=patient,
                fasting_confirmed=True,
                escort_confirmed=True,
                pregnancy_test=PregnancyTest.NOT_APPLICABLE
                if patient.sex_at_birth == SexAtBirth.MALE
                else PregnancyTest.NEGATIVE,
                medication_changes_reviewed=True,
                blood_pressure_systolic=baseline[1],
                blood_pressure_diastolic=baseline[2],
                blood_pressure_taken_at=pressure_taken,
                recorded_by=nurse,
                updated_at=pressure_taken,
            )
        )

    def _dosing_record(self, session, nurse, clinician, weight, day, times) -> DosingRecord:
        """The dosing record: the weight-based dose within the clinic's cap, the lot of the
        day, the setting, and the discharge once it has happened."""
        g, rng, clinic = self.g, self.rng, self.g.clinic
        episode, patient = self.episode, self.patient
        route = episode.dose_route
        cap = getattr(clinic, f"max_total_mg_{route}")
        dose_mg = min((MG_PER_KG[route] * weight).quantize(Decimal("0.01")), Decimal(cap))
        dose_start, dose_end, discharge_at = times.dose_start, times.dose_end, times.discharge_at
        is_done = discharge_at <= self.now
        lot_number = g.lot_for(day)
        record = DosingRecord(
            session=session,
            patient=patient,
            clinic=clinic,
            route=route,
            prescribed_mg_per_kg=MG_PER_KG[route],
            weight_kg=weight,
            weight_measured_on=patient._synthetic_body[2],
            dose_mg=dose_mg,
            prescribed_by=clinician,
            prescribed_at=dose_start - dt.timedelta(minutes=8),
            confirmed_by=nurse,
            confirmed_at=dose_start - dt.timedelta(minutes=5),
            infusion_minutes=times.minutes if route == DoseRoute.IV else None,
            lot_number=lot_number,
            lot_expiry=day.replace(day=1) + dt.timedelta(days=365),
            music=rng.choice(MUSIC),
            eye_shades=True,
            lighting=rng.choice(list(Lighting.values)),
            therapist_present=episode.model == course.IN_SESSION,
            present_therapist=episode.therapist if episode.model == course.IN_SESSION else None,
            intention=rng.choice(INTENTIONS),
            dose_started_at=dose_start,
            dose_ended_at=dose_end if dose_end <= self.now else None,
            discharged_at=discharge_at if is_done else None,
            discharged_by=clinician if is_done else None,
            created_at=dose_start - dt.timedelta(minutes=10),
            updated_at=min(discharge_at, self.now),
        )
        g.chunk.records.append(record)
        return record

    def _discharged(self, record, nurse, clinician, times) -> None:
        """A finished dose: the ketamine accounted for, the discharge assessment with every
        criterion met, and the clinician's signature once its time has come."""
        chunk = self.g.chunk
        self._ketamine(record, nurse, times.dose_end)
        chunk.discharges.append(
            DischargeAssessment(
                record=record,
                assessed_at=times.discharge_at - dt.timedelta(minutes=3),
                **asdict(ALL_CRITERIA_MET),
                assessed_by=nurse,
            )
        )
        if times.signed_at <= self.now:
            chunk.signings.append((record, times.signed_at, clinician))

    def _reminder_sent(self, session, start, appointment) -> None:
        """The appointment reminder the patient was sent the day before."""
        clinic, patient = self.g.clinic, self.patient
        reminded_at = start - dt.timedelta(hours=clinic.appointment_reminder_hours)
        self.g.chunk.notifications.append(
            Notification(
                key=f"synthetic-reminder-{session.external_id}",
                kind=NotificationKind.APPOINTMENT_REMINDER,
                to_email=patient.email,
                subject=f"Your appointment at {clinic.name}",
                body="A reminder of your appointment tomorrow.",
                due_at=reminded_at,
                created_at=appointment.booked_at,
                sent_at=reminded_at,
                attempts=1,
                patient=patient,
            )
        )

    def _vitals(self, record, nurse, baseline, dose_start, dose_end, discharge_at, hypertensive):
        """Readings before the dose, every 10 minutes while it is given and every 15 after,
        to the discharge (the clinic's schedule); blood pressure rises through the dose
        and settles, sedation deepens and lifts."""
        clinic, rng, chunk = self.g.clinic, self.rng, self.g.chunk
        times = [dose_start - dt.timedelta(minutes=5)]
        moment = dose_start + dt.timedelta(minutes=clinic.vitals_every_minutes_during)
        while moment < dose_end:
            times.append(moment)
            moment += dt.timedelta(minutes=clinic.vitals_every_minutes_during)
        times.append(dose_end)
        moment = dose_end + dt.timedelta(minutes=clinic.vitals_every_minutes_after)
        while moment <= discharge_at:
            times.append(moment)
            moment += dt.timedelta(minutes=clinic.vitals_every_minutes_after)
        heart, systolic, diastolic, spo2, breaths = baseline
        peak = (dose_end - dose_start).total_seconds() or 1.0
        for taken_at in times:
            if taken_at > self.now:
                break
            elapsed = (taken_at - dose_start).total_seconds()
            rise = max(0.0, 1 - abs(elapsed - peak) / (peak + 3600)) if elapsed > 0 else 0.0
            values = {
                vitals_rules.HEART_RATE: heart + round(8 * rise) + rng.randint(-3, 3),
                vitals_rules.SYSTOLIC: systolic + round(16 * rise) + rng.randint(-4, 4),
                vitals_rules.DIASTOLIC: diastolic + round(10 * rise) + rng.randint(-3, 3),
                vitals_rules.SPO2: min(100, spo2 - (1 if rise > 0.5 else 0) + rng.randint(-1, 1)),
                vitals_rules.RESPIRATORY_RATE: breaths + rng.randint(-2, 1),
                vitals_rules.SEDATION: 5 - round(2 * rise) if elapsed > 0 else 5,
            }
            if hypertensive and rise > 0.8:
                values[vitals_rules.SYSTOLIC] = rng.randint(181, 190)
                values[vitals_rules.DIASTOLIC] = rng.randint(100, 112)
            crossed = {
                alert.vital: alert.threshold
                for alert in vitals_rules.alerts_for(values, self.g.thresholds)
            }
            reading_id = _uuid_hex(rng)
            source = VitalSource.DEVICE if rng.random() < 0.5 else VitalSource.MANUAL
            entered_at = min(taken_at + dt.timedelta(seconds=rng.randint(5, 120)), self.now)
            for key, value in values.items():
                vital = vitals_rules.VITALS[key]
                # OBSERVATION_COLUMNS
                chunk.observations.append(
                    (
                        _uuid_hex(rng),
                        record,
                        self.patient,
                        reading_id,
                        key,
                        vital.loinc_code,
                        value,
                        vital.unit,
                        taken_at,
                        crossed.get(key, ""),
                        source,
                        nurse.pk,
                        entered_at,
                    )
                )
            if hypertensive and rise > 0.8 and crossed:
                event = AdverseEvent(
                    record=record,
                    patient=self.patient,
                    kind=EventKind.HYPERTENSION,
                    severity=Severity.MODERATE,
                    onset_at=taken_at,
                    description="Blood pressure above the alert level; no headache.",
                    recorded_by=nurse,
                    recorded_at=taken_at + dt.timedelta(minutes=1),
                )
                chunk.events.append(event)
                chunk.interventions.append(
                    Intervention(
                        event=event,
                        record=record,
                        drug="Labetalol",
                        dose="10 mg IV",
                        given_at=taken_at + dt.timedelta(minutes=2),
                        recorded_by=nurse,
                        recorded_at=taken_at + dt.timedelta(minutes=3),
                    )
                )
                hypertensive = False

    def _ketamine(self, record, nurse, dose_end) -> None:
        """Drawn in whole milligrams from the month's lot, the dose given, the rest wasted
        before a witness (`dosing.substances.services.record_session_use`)."""
        drawn = record.dose_mg.to_integral_value(rounding=ROUND_CEILING) + 2
        self.g.drawn_per_lot[record.lot_number] += drawn
        at = dose_end + dt.timedelta(minutes=5)
        clinic_id, lot, expiry = self.g.clinic.pk, record.lot_number, record.lot_expiry
        by = record.prescribed_by.pk
        # SUBSTANCE_COLUMNS
        self.g.chunk.substance.extend(
            [
                (_uuid_hex(self.rng), clinic_id, lot, expiry, SubstanceEntryKind.DRAWN, drawn,
                 record, self.patient, None, "", by, at, *KETAMINE_LOT),
                (_uuid_hex(self.rng), clinic_id, lot, expiry, SubstanceEntryKind.GIVEN,
                 record.dose_mg, record, self.patient, None, "", by, at, *KETAMINE_LOT),
                (_uuid_hex(self.rng), clinic_id, lot, expiry, SubstanceEntryKind.WASTED,
                 drawn - record.dose_mg, record, self.patient, nurse.pk, "", by, at,
                 *KETAMINE_LOT),
            ]
        )  # fmt: skip
