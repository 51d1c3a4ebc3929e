"""Is a clinician available for a block of time? Pure functions over plain values.

Working hours are weekly clock times in the clinic's time zone (Monday = 0, as
`datetime.weekday()`); several shifts on one day make a split shift, and shifts that touch
(08:00–12:00 and 12:00–16:00) count as one. Time off is a list of absolute intervals.
Every interval is half-open, [start, end), as appointments are: a block may end exactly
when a shift ends or when time off begins.

A clinician with no working hours recorded at all is treated as available at any time:
a clinic may not have entered its clinicians' hours, and refusing every booking until it
does would stop the clinic working. Time off is checked either way.

The callers pass datetimes already in the clinic's time zone, so that the clock times
and weekdays compared here are the clinic's.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from kapcare.words import clock

WEEKDAY_PLURALS = (
    "Mondays",
    "Tuesdays",
    "Wednesdays",
    "Thursdays",
    "Fridays",
    "Saturdays",
    "Sundays",
)


@dataclass(frozen=True)
class Shift:
    """The clinician works on `weekday` from `starts` to `ends` (clinic clock time)."""

    weekday: int
    starts: time
    ends: time


@dataclass(frozen=True)
class Absence:
    """The clinician is away from `starts_at` to `ends_at`."""

    starts_at: datetime
    ends_at: datetime
    reason: str = ""


def shifts_on(weekday: int, shifts: Iterable[Shift]) -> list[tuple[time, time]]:
    """The day's shifts in time order, touching or overlapping ones merged."""
    merged: list[tuple[time, time]] = []
    for shift in sorted((s for s in shifts if s.weekday == weekday), key=lambda s: s.starts):
        if merged and shift.starts <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], shift.ends))
        else:
            merged.append((shift.starts, shift.ends))
    return merged


def is_within_working_hours(starts_at: datetime, ends_at: datetime, shifts: list[Shift]) -> bool:
    """Does [starts_at, ends_at) fall inside one (merged) shift of its day? Always true
    when no working hours are recorded at all; never for a block that crosses midnight,
    since no shift does."""
    if not shifts:
        return True
    if ends_at.date() != starts_at.date():
        return False
    return any(
        starts <= starts_at.time() and ends_at.time() <= ends
        for starts, ends in shifts_on(starts_at.weekday(), shifts)
    )


def working_hours_problem(
    name: str, starts_at: datetime, ends_at: datetime, shifts: list[Shift]
) -> str | None:
    """Why the block is outside `name`'s working hours, in a sentence naming the day's
    hours and the time that falls outside them; None when inside."""
    if is_within_working_hours(starts_at, ends_at, shifts):
        return None
    weekday = starts_at.weekday()
    day = WEEKDAY_PLURALS[weekday]
    today = shifts_on(weekday, shifts)
    if not today:
        return f"{name} does not work on {day}."
    hours = " and ".join(f"{clock(s)}–{clock(e)}" for s, e in today)
    first_start = today[0][0]
    if starts_at.time() < first_start:
        return f"{name} works {day} {hours}; this starts at {clock(starts_at)}."
    if ends_at.date() != starts_at.date():
        return f"{name} works {day} {hours}; this runs past midnight."
    containing_start = [(s, e) for s, e in today if s <= starts_at.time() < e]
    if containing_start:
        return f"{name} works {day} {hours}; this ends at {clock(ends_at)}."
    return f"{name} works {day} {hours}; this starts at {clock(starts_at)}."


def overlapping_absence(
    starts_at: datetime, ends_at: datetime, absences: Iterable[Absence]
) -> Absence | None:
    """The first absence that overlaps [starts_at, ends_at), or None."""
    overlapping = [a for a in absences if a.starts_at < ends_at and starts_at < a.ends_at]
    return min(overlapping, key=lambda a: a.starts_at) if overlapping else None


def time_off_problem(
    name: str, starts_at: datetime, ends_at: datetime, absences: Iterable[Absence]
) -> str | None:
    """Why the block falls in `name`'s time off, in a sentence; None when it does not.
    The absence's times are shown as given (the caller passes clinic time)."""
    absence = overlapping_absence(starts_at, ends_at, absences)
    if absence is None:
        return None
    reason = f" ({absence.reason})" if absence.reason else ""
    return f"{name} is away {_moment(absence.starts_at)} – {_moment(absence.ends_at)}{reason}."


def _moment(moment: datetime) -> str:
    return f"{moment:%a %b} {moment.day}, {clock(moment)}"


def free_gaps(
    busy: Iterable[tuple[datetime, datetime]], window: tuple[datetime, datetime] | None = None
) -> list[tuple[datetime, datetime]]:
    """The free stretches between busy blocks, inside `window` (by default from the first
    block's start to the last block's end), in time order."""
    blocks = sorted(busy)
    if window is None:
        if not blocks:
            return []
        window = (blocks[0][0], max(end for _, end in blocks))
    start, end = window
    gaps, cursor = [], start
    for block_start, block_end in blocks:
        if block_end <= cursor or block_start >= end:
            continue
        if block_start > cursor:
            gaps.append((cursor, block_start))
        cursor = max(cursor, block_end)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def week_of(day: date) -> list[date]:
    """The seven days, Monday to Sunday, of the week that holds `day`."""
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=n) for n in range(7)]
