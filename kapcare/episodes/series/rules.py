"""Series planning as a pure function: propose an episode's induction series — its dosing
sessions, the preparation sessions before the first dose and an integration session after
each dose — from the clinic's settings, the clinicians' weeks and what is already booked.
No Django here: the page (`series/views.py`) reads the records and books what is chosen.

The numbers come from the clinic's settings (docs/clinical-reference.md#induction-series): an
induction series of `induction_doses` (default 6: six infusions over 12 days in Murrough
et al. 2013, Biol Psychiatry) within `induction_span_days` (default 21), at least
`minimum_dose_interval_hours` (default 48) between doses (gate 7), at least one
preparation session before the first dose (gate 3, Dore 2019), and an integration session
within `integration_window_hours` (default 72) after each dose (gate 4).

Decisions, each one a default the coordinator may change on the page before booking:

- Doses go at the earliest free moment: a candidate start every `STEP_MINUTES` inside one
  of the clinician's shifts, the whole dosing block (check-in, infusion, recovery) inside
  the shift, the clinician and a room free (rooms tried in the order given). The earliest
  placement of each dose leaves the most room for the next, so when it does not fit the
  series in the span, no placement from that first dose does.
- The first dose goes on the chosen day when the whole series fits from there; otherwise
  on the next day from which it does (looked for within `span_days`), with a note.
- Doses, preparation and integration are proposed on the clinic's `working_days` only
  (the clinic setting `Clinic.working_days`, passed by the page as a plain set of
  weekdays; `WORKING_DAYS`, Monday to Friday, when none is passed), whatever days a
  clinician's hours name: a clinic open Monday to Friday gets no Saturday dose and no
  Sunday integration; one open Tuesday to Saturday gets Saturday doses and none on Monday.
- A clinician with no working hours recorded at all is proposed only within
  `USUAL_HOURS` (08:00–17:00) of the working days. Booking would accept any time for them
  (`scheduling.rules`), but a proposal at 03:00 helps nobody.
- Preparation and integration are usually run by the outside therapist in their own
  practice, so they get a date and time only (no room, no clinician), on the working
  days, at the first dose's clock time. Preparation sessions take the working days just
  before the first dose (never on its day, never today or earlier); when there are not
  enough of them, the first dose moves later. Each integration session goes on the next
  working day after its dose at the dose's clock time, ending inside the window and before
  the next dose; failing that, right after the dose.
- The minimum interval is elapsed time: across a daylight-saving change, 48 hours after
  Saturday 09:00 is Monday 10:00, not 09:00. All arithmetic runs in UTC; clock times and
  weekdays are the clinic's.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kapcare.episodes.rules import DOSING, INTEGRATION, PREPARATION
from kapcare.words import clock

STEP_MINUTES = 15
# A clinician with no hours recorded is proposed within these hours of the working days.
USUAL_HOURS: tuple[tuple[time, time], ...] = ((time(8, 0), time(17, 0)),)
# The working days when the caller passes none: Monday to Friday, the default of the
# clinic setting `working_days` (docs/clinical-reference.md#induction-series).
WORKING_DAYS = frozenset(range(5))

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class ClinicianWeek:
    """A clinician who may give the doses: their weekly shifts (weekday, Monday = 0 → list
    of (start, end) clock times in the clinic's zone; an empty mapping means no hours
    recorded) and the intervals they are busy (booked appointments, time off)."""

    key: object
    hours: Mapping[int, Sequence[tuple[time, time]]]
    busy: Sequence[Interval] = ()


@dataclass(frozen=True)
class SeriesRequest:
    """What the planner needs, as plain values. `rooms` are tried in order, as are
    `clinicians`; `room_busy` maps a room's key to its booked intervals."""

    first_day: date
    not_before: datetime
    zone: ZoneInfo
    doses: int
    minimum_interval_hours: int
    span_days: int
    dosing_minutes: int
    therapy_minutes: int
    integration_window_hours: int
    preparation_sessions: int = 0
    integration_sessions: int = 0
    rooms: Sequence[object] = ()
    room_busy: Mapping[object, Sequence[Interval]] = field(default_factory=dict)
    clinicians: Sequence[ClinicianWeek] = ()
    earliest_time: time | None = None
    previous_dose_at: datetime | None = None
    working_days: frozenset[int] = WORKING_DAYS


@dataclass(frozen=True)
class ProposedSession:
    """One session of the proposal. `dose_number` is the dose's place in the series, or
    for an integration session the dose it follows. Times are in the clinic's zone."""

    kind: str
    starts_at: datetime
    ends_at: datetime
    dose_number: int | None = None
    room: object | None = None
    clinician: object | None = None


@dataclass(frozen=True)
class SeriesPlan:
    """The proposal, in time order; or, when no series fits, `problem` says why and
    nothing is proposed. `notes` say where the proposal departs from what was asked."""

    sessions: tuple[ProposedSession, ...] = ()
    problem: str = ""
    notes: tuple[str, ...] = ()

    @property
    def is_possible(self) -> bool:
        return not self.problem

    @property
    def doses(self) -> list[ProposedSession]:
        return [s for s in self.sessions if s.kind == DOSING]


def plan_series(request: SeriesRequest) -> SeriesPlan:
    """Propose the series `request` asks for, or say why there is none. Deterministic:
    the same request gives the same plan."""
    problem = _impossible(request)
    if problem:
        return SeriesPlan(problem=problem)
    zone = request.zone
    earliest_day = _earliest_first_dose_day(request)
    start_day = max(request.first_day, earliest_day)
    notes: list[str] = []
    if start_day > request.first_day:
        notes.append(
            f"The first dose cannot be on {_day(request.first_day)}: "
            f"{_count(request.preparation_sessions, 'preparation session')} must come first, "
            f"on working days after today."
        )
    first_failure = ""
    for offset in range(request.span_days):
        day = start_day + timedelta(days=offset)
        doses, failure = _place_doses(request, day)
        if failure or not doses:
            first_failure = first_failure or failure
            continue
        first_day = doses[0].starts_at.astimezone(zone).date()
        if first_day != start_day:
            notes.append(
                f"The series starts on {_day(first_day)}: from {_day(start_day)} it does not fit."
            )
        preparation = _place_preparation(request, doses[0])
        integration, integration_notes = _place_integration(request, doses)
        sessions = sorted(
            [*preparation, *doses, *integration], key=lambda s: (_utc(s.starts_at), s.kind)
        )
        return SeriesPlan(tuple(sessions), notes=(*notes, *integration_notes))
    last_day = start_day + timedelta(days=request.span_days - 1)
    return SeriesPlan(
        problem=first_failure
        or f"No room and clinician are free for a dose between {_day(start_day)} and "
        f"{_day(last_day)}. Choose another first day, room or clinician."
    )


# --- Why no series can fit at all ------------------------------------------------------------


def minimum_series_days(doses: int, minimum_interval_hours: int) -> int:
    """The fewest calendar days that hold `doses` doses at least the interval apart: the
    first at midnight, each next one the interval later."""
    return (doses - 1) * minimum_interval_hours // 24 + 1


def _impossible(request: SeriesRequest) -> str:
    if request.doses < 1:
        return "There is no dose left to plan."
    if not request.rooms:
        return "The clinic has no room in use; an administrator adds rooms first."
    if not request.clinicians:
        return "The clinic has no clinician to give the doses."
    needed = minimum_series_days(request.doses, request.minimum_interval_hours)
    if needed > request.span_days:
        return (
            f"{_count(request.doses, 'dose')} at least "
            f"{_count(request.minimum_interval_hours, 'hour')} apart need at least "
            f"{_count(needed, 'day')}; the clinic's induction series spans "
            f"{_count(request.span_days, 'day')}. Plan fewer doses or change the clinic's "
            "settings."
        )
    return ""


# --- Doses -----------------------------------------------------------------------------------


@dataclass
class _Busy:
    """What is taken, per room and per clinician; the proposal adds its own doses."""

    rooms: dict[object, list[Interval]]
    clinicians: dict[object, list[Interval]]

    @classmethod
    def from_request(cls, request: SeriesRequest) -> "_Busy":
        return cls(
            rooms={room: list(request.room_busy.get(room, ())) for room in request.rooms},
            clinicians={c.key: list(c.busy) for c in request.clinicians},
        )

    def take(self, dose: ProposedSession) -> None:
        block = (dose.starts_at, dose.ends_at)
        self.rooms[dose.room].append(block)
        self.clinicians[dose.clinician].append(block)


def _place_doses(request: SeriesRequest, first_day: date) -> tuple[list[ProposedSession], str]:
    """The series with its first dose on `first_day`, each dose as early as it may go;
    or, when it does not fit, why."""
    busy = _Busy.from_request(request)
    interval = timedelta(hours=request.minimum_interval_hours)
    earliest = _utc(request.not_before)
    if request.previous_dose_at is not None:
        earliest = max(earliest, _utc(request.previous_dose_at) + interval)
    first = _earliest_slot(request, busy, earliest, first_day, first_day, number=1)
    if first is None:
        return [], ""
    doses = [first]
    busy.take(first)
    last_day = first_day + timedelta(days=request.span_days - 1)
    while len(doses) < request.doses:
        after = _utc(doses[-1].starts_at) + interval
        after_day = after.astimezone(request.zone).date()
        dose = _earliest_slot(request, busy, after, after_day, last_day, number=len(doses) + 1)
        if dose is None:
            return doses, (
                f"Only {len(doses)} of {_count(request.doses, 'dose')} fit within the "
                f"{_count(request.span_days, 'day')} from {_day(first_day)}: no room and "
                f"clinician are free for dose {len(doses) + 1} from {_moment(after, request.zone)} "
                f"to the end of {_day(last_day)}. Choose another first day, room or "
                "clinician, or plan fewer doses."
            )
        doses.append(dose)
        busy.take(dose)
    return doses, ""


def _earliest_slot(
    request: SeriesRequest, busy: _Busy, after: datetime, from_day: date, to_day: date, number: int
) -> ProposedSession | None:
    """The earliest dosing block starting at or after `after` on a day from `from_day` to
    `to_day` (clinic dates), inside a clinician's shift, with that clinician and a room
    free; clinicians and rooms in the order given."""
    block = timedelta(minutes=request.dosing_minutes)
    day = from_day
    while day <= to_day:
        for starts_at, shift_end, clinician in _candidates(request, day):
            if starts_at < after:
                continue
            ends_at = starts_at + block
            if ends_at > shift_end or _overlaps(busy.clinicians[clinician], starts_at, ends_at):
                continue
            room = next(
                (r for r in request.rooms if not _overlaps(busy.rooms[r], starts_at, ends_at)),
                None,
            )
            if room is not None:
                return ProposedSession(
                    DOSING,
                    starts_at.astimezone(request.zone),
                    ends_at.astimezone(request.zone),
                    dose_number=number,
                    room=room,
                    clinician=clinician,
                )
        day += timedelta(days=1)
    return None


def _candidates(request: SeriesRequest, day: date) -> list[tuple[datetime, datetime, object]]:
    """(start, end of its shift, clinician) for every candidate start on `day`, in UTC,
    in time order and then the clinicians' order."""
    found = []
    if day.weekday() not in request.working_days:
        return found
    for order, clinician in enumerate(request.clinicians):
        shifts = clinician.hours.get(day.weekday(), ()) if clinician.hours else USUAL_HOURS
        for shift_start, shift_end in _merged(shifts):
            end = _local(day, shift_end, request.zone)
            clock = datetime.combine(day, shift_start)
            while clock.time() < shift_end and clock.date() == day:
                start = _local(day, clock.time(), request.zone)
                if start is not None and end is not None and _may_start_at(request, clock.time()):
                    found.append((start, end, order, clinician.key))
                clock += timedelta(minutes=STEP_MINUTES)
    found.sort(key=lambda c: (c[0], c[2]))
    return [(start, end, key) for start, end, _, key in found]


def _may_start_at(request: SeriesRequest, clock: time) -> bool:
    return request.earliest_time is None or clock >= request.earliest_time


def _merged(shifts: Sequence[tuple[time, time]]) -> list[tuple[time, time]]:
    """The day's shifts in time order, touching or overlapping ones joined."""
    merged: list[tuple[time, time]] = []
    for start, end in sorted(shifts):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlaps(intervals: Sequence[Interval], starts_at: datetime, ends_at: datetime) -> bool:
    """Half-open intervals, as appointments: one may start when another ends."""
    return any(start < ends_at and starts_at < end for start, end in intervals)


# --- Preparation and integration ---------------------------------------------------------------


def _earliest_first_dose_day(request: SeriesRequest) -> date:
    """The first day on which a dose leaves room for the preparation sessions before it:
    the day after the last of as many working days after today."""
    day = request.not_before.astimezone(request.zone).date()
    for _ in range(request.preparation_sessions):
        day += timedelta(days=1)
        while day.weekday() not in request.working_days:
            day += timedelta(days=1)
    return day + timedelta(days=1) if request.preparation_sessions else day


def _place_preparation(request: SeriesRequest, first: ProposedSession) -> list[ProposedSession]:
    """Preparation sessions on the working days just before the first dose, at its clock
    time."""
    length = timedelta(minutes=request.therapy_minutes)
    clock = first.starts_at.astimezone(request.zone).time()
    day = first.starts_at.astimezone(request.zone).date()
    sessions = []
    while len(sessions) < request.preparation_sessions:
        day -= timedelta(days=1)
        if day.weekday() not in request.working_days:
            continue
        starts_at = _local(day, clock, request.zone) or _local(day, time(12, 0), request.zone)
        sessions.append(
            ProposedSession(
                PREPARATION, starts_at.astimezone(request.zone), _in(starts_at + length, request)
            )
        )
    return sessions[::-1]


def _place_integration(
    request: SeriesRequest, doses: list[ProposedSession]
) -> tuple[list[ProposedSession], list[str]]:
    """One integration session after each of the first `integration_sessions` doses,
    inside the window and before the next dose; a note for each dose with no room."""
    window = timedelta(hours=request.integration_window_hours)
    sessions, notes = [], []
    for index, dose in enumerate(doses[: request.integration_sessions]):
        deadline = _utc(dose.ends_at) + window
        if index + 1 < len(doses):
            deadline = min(deadline, _utc(doses[index + 1].starts_at))
        starts_at = _integration_start(request, dose, deadline)
        if starts_at is None:
            notes.append(
                f"No integration session fits between the end of dose {dose.dose_number} "
                f"({_moment(dose.ends_at, request.zone)}) and "
                f"{_moment(deadline, request.zone)}; plan it by hand."
            )
            continue
        sessions.append(
            ProposedSession(
                INTEGRATION,
                starts_at.astimezone(request.zone),
                _in(starts_at + timedelta(minutes=request.therapy_minutes), request),
                dose_number=dose.dose_number,
            )
        )
    return sessions, notes


def _integration_start(
    request: SeriesRequest, dose: ProposedSession, deadline: datetime
) -> datetime | None:
    length = timedelta(minutes=request.therapy_minutes)
    dose_end = _utc(dose.ends_at)
    local = dose.starts_at.astimezone(request.zone)
    following = []
    day = local.date() + timedelta(days=1)
    while day <= deadline.astimezone(request.zone).date():
        starts_at = _local(day, local.time(), request.zone)
        is_working_day = day.weekday() in request.working_days
        if is_working_day and starts_at is not None and dose_end <= starts_at <= deadline - length:
            following.append(starts_at)
        day += timedelta(days=1)
    if following:
        return min(following)
    right_after = _round_up(dose_end)
    return right_after if right_after + length <= deadline else None


# --- Time ------------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _in(moment: datetime, request: SeriesRequest) -> datetime:
    return moment.astimezone(request.zone)


def _local(day: date, clock: time, zone: ZoneInfo) -> datetime | None:
    """The moment (in UTC) the clinic's clock shows `clock` on `day`; None for a clock time
    that does not exist that day (skipped when daylight-saving time begins)."""
    moment = datetime.combine(day, clock, tzinfo=zone)
    back = moment.astimezone(UTC).astimezone(zone)
    if (back.date(), back.time()) != (day, clock):
        return None
    return moment.astimezone(UTC)


def _round_up(moment: datetime) -> datetime:
    step = STEP_MINUTES * 60
    seconds = int(moment.timestamp())
    return datetime.fromtimestamp(-(-seconds // step) * step, tz=UTC)


def _day(day: date) -> str:
    return f"{day:%a %b} {day.day}"


def _moment(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a %b} {local.day}, {clock(local)}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
