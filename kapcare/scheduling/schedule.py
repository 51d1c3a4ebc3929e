"""What the coordinator's day and week views show: the clinic's booked appointments laid out
per room or per clinician, with the free gaps between them and each clinician's hours.

A fixed number of queries whatever the number of rooms, clinicians and appointments: the
rooms or clinicians, the appointments of the period (with their room, clinician and
patient), and for clinicians their working hours and time off.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from kapcare.accounts.models import Role, User
from kapcare.scheduling import rules
from kapcare.scheduling.models import Appointment, AppointmentStatus, Room, TimeOff, WorkingHours

BY_ROOM, BY_CLINICIAN = "room", "clinician"


@dataclass
class Entry:
    """One line of a day's column: an appointment, or a free gap when `appointment` is
    None. Times are in the clinic's zone."""

    starts_at: datetime
    ends_at: datetime
    appointment: Appointment | None = None

    @property
    def is_free(self) -> bool:
        return self.appointment is None

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


@dataclass
class Column:
    """A room's or a clinician's day (`entries`), or week (`days`: one list per day)."""

    key: int
    heading: str
    is_active: bool = True
    hours: list[tuple[time, time]] = field(default_factory=list)
    time_off: list[TimeOff] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    days: list[list[Appointment]] = field(default_factory=list)


def day_bounds(day: date, zone) -> tuple[datetime, datetime]:
    """The clinic's day as an aware [midnight, next midnight)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def booked_between(clinic, starts_at: datetime, ends_at: datetime) -> list[Appointment]:
    return list(
        Appointment.objects.overlapping(starts_at, ends_at)
        .filter(clinic_id=clinic.pk, status=AppointmentStatus.BOOKED)
        .select_related("room", "clinician", "patient", "care_session")
        .order_by("starts_at", "id")
    )


def _columns(clinic, by: str, appointments: list[Appointment]) -> list[Column]:
    """One column per room (or clinician) in use, and per one no longer in use that still
    holds an appointment of the period."""
    holder = "room" if by == BY_ROOM else "clinician"
    held = {getattr(a, f"{holder}_id"): getattr(a, holder) for a in appointments}
    held.pop(None, None)
    if by == BY_ROOM:
        listed = list(Room.objects.filter(clinic_id=clinic.pk, is_active=True))
    else:
        listed = list(User.objects.filter(clinic_id=clinic.pk, role=Role.CLINICIAN, is_active=True))
    holders = {h.pk: h for h in listed} | held
    ordered = sorted(holders.values(), key=lambda h: _heading(h, by).lower())
    return [
        Column(
            key=h.pk,
            heading=_heading(h, by),
            is_active=h.is_active,
        )
        for h in ordered
    ]


def _heading(holder, by: str) -> str:
    return holder.name if by == BY_ROOM else holder.display_name


def _add_clinician_availability(columns: list[Column], zone, starts_at, ends_at, weekday=None):
    ids = [c.key for c in columns]
    hours: dict[int, list[rules.Shift]] = defaultdict(list)
    for clinician_id, day, starts, ends in WorkingHours.objects.filter(
        clinician_id__in=ids
    ).values_list("clinician_id", "weekday", "starts", "ends"):
        hours[clinician_id].append(rules.Shift(day, starts, ends))
    away: dict[int, list[TimeOff]] = defaultdict(list)
    for time_off in TimeOff.objects.filter(
        clinician_id__in=ids, starts_at__lt=ends_at, ends_at__gt=starts_at
    ):
        away[time_off.clinician_id].append(time_off)
    for column in columns:
        if weekday is not None:
            column.hours = rules.shifts_on(weekday, hours[column.key])
        column.time_off = away[column.key]


def day_schedule(clinic, day: date, by: str) -> tuple[list[Column], list[Appointment]]:
    """The day per room (or clinician): appointments in time order with the free gaps
    between them; a clinician's gaps are counted within their working hours when known."""
    zone = clinic.zone
    starts_at, ends_at = day_bounds(day, zone)
    appointments = booked_between(clinic, starts_at, ends_at)
    columns = _columns(clinic, by, appointments)
    if by == BY_CLINICIAN:
        _add_clinician_availability(columns, zone, starts_at, ends_at, weekday=day.weekday())
    holder_id = "room_id" if by == BY_ROOM else "clinician_id"
    held: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in appointments:
        held[getattr(appointment, holder_id)].append(appointment)
    for column in columns:
        column.entries = _entries(held[column.key], column.hours, day, zone)
    return columns, appointments


def _entries(appointments: list[Appointment], hours, day: date, zone) -> list[Entry]:
    busy = [
        (timezone.localtime(a.starts_at, zone), timezone.localtime(a.ends_at, zone))
        for a in appointments
    ]
    entries = [
        Entry(start, end, appointment)
        for (start, end), appointment in zip(busy, appointments, strict=True)
    ]
    if hours:
        windows = [
            (datetime.combine(day, s, tzinfo=zone), datetime.combine(day, e, tzinfo=zone))
            for s, e in hours
        ]
    else:
        windows = [None]
    for window in windows:
        entries.extend(Entry(start, end) for start, end in rules.free_gaps(busy, window))
    return sorted(entries, key=lambda e: (e.starts_at, e.is_free))


def week_schedule(clinic, days: list[date], by: str) -> tuple[list[Column], list[Appointment]]:
    """The week per room (or clinician): for each day, the appointments that touch it."""
    zone = clinic.zone
    starts_at, _ = day_bounds(days[0], zone)
    _, ends_at = day_bounds(days[-1], zone)
    appointments = booked_between(clinic, starts_at, ends_at)
    columns = _columns(clinic, by, appointments)
    if by == BY_CLINICIAN:
        _add_clinician_availability(columns, zone, starts_at, ends_at)
    by_column = {column.key: column for column in columns}
    for column in columns:
        column.days = [[] for _ in days]
    holder_id = "room_id" if by == BY_ROOM else "clinician_id"
    for appointment in appointments:
        column = by_column.get(getattr(appointment, holder_id))
        if column is None:
            continue
        first = timezone.localtime(appointment.starts_at, zone).date()
        # An appointment that ends at midnight does not touch the next day.
        last = timezone.localtime(appointment.ends_at - timedelta(microseconds=1), zone).date()
        for index, day in enumerate(days):
            if first <= day <= last:
                column.days[index].append(appointment)
    return columns, appointments


def patients_shown(appointments: list[Appointment]) -> list:
    """Each patient named on the page, once (for the access log)."""
    patients = {a.patient_id: a.patient for a in appointments if a.patient_id is not None}
    return list(patients.values())
