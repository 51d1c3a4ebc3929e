"""The Today board's data: the clinic's dosing sessions of the day by room and time, each
with its state (`today.rules`), and the records waiting for a signature.

A fixed number of queries whatever the day holds: the day's sessions with their patient,
room, clinician, dosing record and the time of the record's last reading (one query, read
through the sessions' (kind, planned start) index over one day); the values of those last
readings (one query, only when a patient is in the chair); the discharged records not yet
signed (one query, at most `TO_SIGN_SHOWN` + 1 rows). The gates of a session not yet started
are not read here: each is its own small request (`views.session_gates`), because the
gates read a dozen records per session.
"""

import hashlib
import operator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import reduce

from django.db.models import OuterRef, Q, Subquery

from kapcare.dosing.discharge import rules as discharge_rules
from kapcare.dosing.discharge.services import discharge_settings
from kapcare.dosing.models import DosingRecord, Observation
from kapcare.dosing.today import rules
from kapcare.dosing.vitals import rules as vitals_rules
from kapcare.episodes.models import CareSession, SessionKind, SessionStatus

# A clinic gives a few dozen doses a day at most; the board shows the first this many and
# says that there are more.
SESSIONS_SHOWN = 200
TO_SIGN_SHOWN = 20
NO_ROOM = "No room booked"


@dataclass(frozen=True)
class VitalValue:
    short_name: str
    value: int
    unit: str
    threshold: str  # "" unless the value crossed the clinic's alert threshold

    @property
    def is_alert(self) -> bool:
        return bool(self.threshold)

    @property
    def words(self) -> str:
        unit = "" if self.unit == "{score}" else f" {self.unit}"
        return f"{self.short_name} {self.value}{unit}"


@dataclass
class BoardEntry:
    session: CareSession
    record: DosingRecord | None
    state: str
    needs_signature: bool
    minutes_since_dose_start: int | None = None
    discharge_at: datetime | None = None
    minutes_to_discharge: int | None = None
    last_reading_at: datetime | None = None
    last_vitals: list[VitalValue] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return rules.STATE_LABELS[self.state]

    @property
    def shows_gates(self) -> bool:
        return self.state in rules.BEFORE_START

    @property
    def alerts(self) -> list[VitalValue]:
        return [value for value in self.last_vitals if value.is_alert]

    @property
    def since_dose_start_words(self) -> str:
        return rules.minutes_in_words(self.minutes_since_dose_start or 0)

    @property
    def to_discharge_words(self) -> str:
        return rules.minutes_in_words(self.minutes_to_discharge or 0)


@dataclass
class RoomColumn:
    name: str
    entries: list[BoardEntry]


@dataclass
class Board:
    day: object  # date
    rooms: list[RoomColumn]
    more_sessions: bool
    to_sign: list[DosingRecord]
    more_to_sign: bool

    @property
    def entries(self) -> list[BoardEntry]:
        return [entry for room in self.rooms for entry in room.entries]

    @property
    def fingerprint(self) -> str:
        """A digest of everything the board shows: the same while nothing on it changed."""
        shown = [
            (
                str(e.session.external_id),
                e.session.patient.display_name,
                e.session.planned_start,
                e.session.planned_end,
                e.session.appointment_id,
                e.state,
                e.needs_signature,
                e.minutes_since_dose_start,
                e.minutes_to_discharge,
                e.last_reading_at,
                [(v.short_name, v.value, v.threshold) for v in e.last_vitals],
            )
            for e in self.entries
        ]
        signing = [(str(r.external_id), r.discharged_at) for r in self.to_sign]
        digest = repr((self.day, shown, self.more_sessions, signing, self.more_to_sign))
        return hashlib.sha256(digest.encode()).hexdigest()[:16]

    @property
    def patients(self) -> list:
        shown = [e.session.patient for e in self.entries] + [r.patient for r in self.to_sign]
        return list({patient.pk: patient for patient in shown}.values())


def day_bounds(clinic, now: datetime) -> tuple[datetime, datetime]:
    """The clinic's calendar day around `now`, as aware datetimes (a 23- or 25-hour day
    when the clocks change)."""
    zone = clinic.zone
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def _sessions_of_the_day(clinic, start: datetime, end: datetime) -> list[CareSession]:
    last_reading = (
        Observation.objects.filter(record_id=OuterRef("dosing_record__id"))
        .order_by("-taken_at")
        .values("taken_at")[:1]
    )
    return list(
        CareSession.objects.filter(
            kind=SessionKind.DOSING,
            planned_start__gte=start,
            planned_start__lt=end,
            patient__clinic_id=clinic.pk,
        )
        .exclude(status__in=[SessionStatus.CANCELLED, SessionStatus.MISSED])
        .select_related("patient", "appointment__room", "appointment__clinician", "dosing_record")
        .annotate(last_reading_at=Subquery(last_reading))
        .order_by("planned_start", "id")[: SESSIONS_SHOWN + 1]
    )


def _last_vitals(wanted: list[tuple[int, datetime]]) -> dict[int, list[VitalValue]]:
    """The values of each record's last reading, in one query."""
    if not wanted:
        return {}
    condition = reduce(operator.or_, (Q(record_id=r, taken_at=t) for r, t in wanted))
    values: dict[int, list[VitalValue]] = {}
    rows = Observation.objects.filter(condition).order_by("record_id", "id")
    for record_id, vital, value, unit, threshold in rows.values_list(
        "record_id", "vital", "value", "unit", "alert_threshold"
    ):
        known = vitals_rules.VITALS.get(vital)
        name = known.short_name if known else vital
        values.setdefault(record_id, []).append(VitalValue(name, value, unit, threshold))
    return values


def _entry(session: CareSession, clinic, now: datetime) -> BoardEntry:
    record = getattr(session, "dosing_record", None)
    facts = rules.SessionFacts(
        status=session.status,
        checked_in_at=session.checked_in_at,
        dose_started_at=record.dose_started_at if record else None,
        dose_ended_at=record.dose_ended_at if record else None,
        discharged_at=record.discharged_at if record else None,
        signed_at=record.signed_at if record else None,
    )
    entry = BoardEntry(
        session=session,
        record=record,
        state=rules.board_state(facts, now),
        needs_signature=rules.needs_signature(facts),
        last_reading_at=session.last_reading_at,
    )
    if entry.state == rules.UNDER_WAY:
        entry.minutes_since_dose_start = rules.whole_minutes(record.dose_started_at, now)
    if entry.state == rules.IN_RECOVERY:
        settings = discharge_settings(clinic, record.drug)
        entry.discharge_at = discharge_rules.earliest_discharge_at(record.dose_ended_at, settings)
        entry.minutes_to_discharge = rules.whole_minutes(now, entry.discharge_at)
    return entry


def today_board(clinic, now: datetime) -> Board:
    """The board of `clinic` at `now`."""
    start, end = day_bounds(clinic, now)
    sessions = _sessions_of_the_day(clinic, start, end)
    entries = [_entry(session, clinic, now) for session in sessions[:SESSIONS_SHOWN]]
    in_the_chair = [e for e in entries if e.state in rules.IN_THE_CHAIR and e.last_reading_at]
    vitals = _last_vitals([(e.record.pk, e.last_reading_at) for e in in_the_chair])
    rooms: dict[str, RoomColumn] = {}
    for entry in entries:
        entry.last_vitals = vitals.get(entry.record.pk, []) if entry.record else []
        appointment = entry.session.appointment
        name = appointment.room.name if appointment and appointment.room_id else NO_ROOM
        rooms.setdefault(name, RoomColumn(name, [])).entries.append(entry)
    to_sign = list(
        DosingRecord.objects.filter(
            clinic_id=clinic.pk, signed_at__isnull=True, discharged_at__isnull=False
        )
        .select_related("patient", "session")
        .order_by("discharged_at", "id")[: TO_SIGN_SHOWN + 1]
    )
    return Board(
        day=start.date(),
        rooms=sorted(rooms.values(), key=lambda room: (room.name == NO_ROOM, room.name)),
        more_sessions=len(sessions) > SESSIONS_SHOWN,
        to_sign=to_sign[:TO_SIGN_SHOWN],
        more_to_sign=len(to_sign) > TO_SIGN_SHOWN,
    )
