"""The calendar's time grid: where each appointment (and free gap) sits on a day's column
of quarter hours. Pure arithmetic over the columns `schedule` builds, so the pages stay at
the same number of queries.

A day's grid runs from the earlier of 08:00 and the first thing shown to the later of
18:00 and the last, on whole hours, in the clinic's zone; a block outside it is clipped
to it. Rows are `ROW_MINUTES` long; CSS places an entry with `cal-at-<row>` and
`cal-span-<rows>` (kapcare/static/kapcare/calendar.css: no inline style, the CSP forbids
it), and the entry's text says its times, so the grid is for the eye only.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import ObjectDoesNotExist
from django.utils.timezone import localtime

from kapcare.words import clock

ROW_MINUTES = 15
ROWS_PER_HOUR = 60 // ROW_MINUTES
DAY_STARTS, DAY_ENDS = time(8), time(18)
MAX_ROWS = 24 * ROWS_PER_HOUR


@dataclass(frozen=True)
class Window:
    """The hours of a day the grid shows: from `first` to `last` o'clock (24: midnight)."""

    first: int
    last: int

    @property
    def rows(self) -> int:
        return (self.last - self.first) * ROWS_PER_HOUR

    def hours(self) -> list[tuple[str, int]]:
        """Each hour's label and the row it starts on (1-based)."""
        return [
            (clock(time(hour)), (hour - self.first) * ROWS_PER_HOUR + 1)
            for hour in range(self.first, self.last)
        ]


@dataclass
class Cell:
    """One block on the grid: an appointment, or a free gap when `appointment` is None.
    `row` is 1-based; `span` at least one row."""

    starts_at: datetime
    ends_at: datetime
    row: int
    span: int
    appointment: object | None = None
    session: object | None = None

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_free(self) -> bool:
        return self.appointment is None


@dataclass
class GridColumn:
    heading: str
    key: int
    is_active: bool = True
    hours: list = field(default_factory=list)
    time_off: list = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    days: list[list[Cell]] = field(default_factory=list)


def _minutes_into(day: date, moment: datetime) -> int:
    """Minutes from `day`'s midnight (in `moment`'s zone) to `moment`, within the day."""
    midnight = datetime.combine(day, time(0), tzinfo=moment.tzinfo)
    return min(max(int((moment - midnight).total_seconds() // 60), 0), 24 * 60)


def window_for(blocks: Iterable[tuple[datetime, date, datetime]]) -> Window:
    """The whole hours that hold every (start, day, end) block shown on `day`, and at
    least `DAY_STARTS`–`DAY_ENDS`."""
    first, last = DAY_STARTS.hour, DAY_ENDS.hour
    for start, day, end in blocks:
        first = min(first, _minutes_into(day, start) // 60)
        last = max(last, -(-_minutes_into(day, end) // 60))
    return Window(first, last)


def place(starts_at: datetime, ends_at: datetime, day: date, window: Window) -> tuple[int, int]:
    """(row, span) of [starts_at, ends_at) on `day`'s grid, clipped to the window: from
    the quarter hour it starts in to the one it ends in, at least one row."""
    offset = window.first * 60
    top = max(_minutes_into(day, starts_at) - offset, 0)
    bottom = min(_minutes_into(day, ends_at) - offset, window.rows * ROW_MINUTES)
    first = min(top // ROW_MINUTES, window.rows - 1)
    last = -(-bottom // ROW_MINUTES)
    return first + 1, max(last - first, 1)


def session_of(appointment):
    """The care session an appointment holds the slot for (read with the appointment), or
    None for a block booked on its own."""
    try:
        return appointment.care_session
    except ObjectDoesNotExist:
        return None


def _cell(start: datetime, end: datetime, day: date, window: Window, appointment=None) -> Cell:
    row, span = place(start, end, day, window)
    session = session_of(appointment) if appointment is not None else None
    return Cell(start, end, row, span, appointment, session)


def day_grid(columns: list, day: date, zone) -> tuple[list[GridColumn], Window]:
    """The day's columns (`schedule.day_schedule`) as cells on one window of hours."""
    window = window_for(
        (entry.starts_at, day, entry.ends_at)
        for c in columns
        for entry in c.entries
        if not entry.is_free
    )
    laid = []
    for column in columns:
        grid = GridColumn(
            column.heading, column.key, column.is_active, column.hours, column.time_off
        )
        grid.cells = [
            _cell(entry.starts_at, entry.ends_at, day, window, entry.appointment)
            for entry in column.entries
        ]
        laid.append(grid)
    return laid, window


def week_grid(columns: list, days: list[date], zone) -> tuple[list[GridColumn], Window]:
    """The week's columns (`schedule.week_schedule`): per column, a list of cells a day."""
    blocks = [
        (localtime(a.starts_at, zone), day, localtime(a.ends_at, zone))
        for column in columns
        for day, appointments in zip(days, column.days, strict=True)
        for a in appointments
    ]
    window = window_for(blocks)
    laid = []
    for column in columns:
        grid = GridColumn(
            column.heading, column.key, column.is_active, column.hours, column.time_off
        )
        grid.days = [
            [
                _cell(localtime(a.starts_at, zone), localtime(a.ends_at, zone), day, window, a)
                for a in appointments
            ]
            for day, appointments in zip(days, column.days, strict=True)
        ]
        laid.append(grid)
    return laid, window
