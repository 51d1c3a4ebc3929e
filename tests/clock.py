"""The tests' calendar: moments built from the day the suite runs, never from a date written
in a test, so the suite passes on any day it is run — and a year ahead, where CI moves the
clock (`--clock-offset-days`, in the root conftest).

Tests that need a fixed moment take one of these and freeze the clock there with
`time_machine.travel(moment, tick=False)`; a moment that must be in the past or the future
is built as so many days before or after today.
"""

import datetime as dt
from zoneinfo import ZoneInfo

CHICAGO = "America/Chicago"


def today() -> dt.date:
    """The suite's today in UTC (the moved clock's, when CI moves it)."""
    return dt.datetime.now(dt.UTC).date()


def wall_clock(days: int, hour: int, minute: int = 0, time_zone: str = CHICAGO) -> dt.datetime:
    """`hour:minute` on the clock of `time_zone`, `days` days after today (before, when
    negative), as an aware datetime in UTC — the way a clinic books a session."""
    day = today() + dt.timedelta(days=days)
    local = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(time_zone))
    return local.astimezone(dt.UTC)


def spoken_day(moment: dt.datetime, time_zone: str = CHICAGO) -> str:
    """The day of `moment` in `time_zone` as an email or page says it: 'Tuesday, December 1,
    2026'."""
    local = moment.astimezone(ZoneInfo(time_zone))
    return f"{local:%A, %B} {local.day}, {local.year}"


def zone_abbreviation(moment: dt.datetime, time_zone: str = CHICAGO) -> str:
    """'CST' or 'CDT': which one depends on the day the suite runs."""
    return moment.astimezone(ZoneInfo(time_zone)).tzname()


def demo_moment(weekday: int, hour: int, minute: int = 0) -> dt.datetime:
    """The next `weekday` (0: Monday) at least a week from today, at `hour`:`minute` in
    Nashville (the demo clinic's zone): where the demo's tests load it, a moment relative to
    today, never a calendar date."""
    zone = ZoneInfo(CHICAGO)
    day = dt.datetime.now(zone).date() + dt.timedelta(days=7)
    day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)
