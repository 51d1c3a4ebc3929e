"""Long-term follow-up: when each questionnaire is due after an episode moves to
follow-up. Pure functions over plain values (no Django).

The schedule is the clinic's setting `follow_up_months` (default 1, 3, 6 and 12 months,
then yearly to 5 years; docs/clinical-reference.md#long-term-follow-up)."""

import calendar
import datetime as dt
from collections.abc import Sequence

# The questionnaires sent at each point (docs/clinical-reference.md#long-term-follow-up):
# depression (PHQ-9, Kroenke 2001) and anxiety (GAD-7, Spitzer 2006).
FOLLOW_UP_INSTRUMENTS = ("phq9", "gad7")


def parse_schedule(text: str) -> tuple[int, ...]:
    """ "1, 3, 6, 12" → (1, 3, 6, 12): whole months after the move to follow-up, each
    from 1 to 120, strictly increasing. Raises ValueError with the reason in words."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise ValueError("Give at least one number of months, e.g. 1, 3, 6, 12.")
    months = []
    for part in parts:
        if not part.isdigit():
            raise ValueError(f"“{part}” is not a whole number of months.")
        value = int(part)
        if not 1 <= value <= 120:
            raise ValueError(f"{value} months is outside 1–120.")
        if months and value <= months[-1]:
            raise ValueError("List the months in increasing order, each once.")
        months.append(value)
    return tuple(months)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month `months` later; the month's last day when it is shorter
    (31 January + 1 month = 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_point(started: dt.date, schedule: Sequence[int], today: dt.date) -> int | None:
    """The follow-up point (months after `started`) that is current on `today`: the latest
    one reached, or None before the first. Only the current point is sent: a point missed
    (the job did not run, the schedule changed) is not sent late once the next has come,
    so a patient never receives a burst of overdue questionnaires."""
    current = None
    for months in schedule:
        if add_months(started, months) <= today:
            current = months
        else:
            break
    return current
