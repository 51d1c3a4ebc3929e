"""The dates kapcare accepts wherever one is typed or sent: a session, a schedule day, a
series' first day, time off.

Python's dates run from year 1 to year 9999, so a typo such as 9999-12-31 or 0001-01-01
passes a date field and then overflows later: when a session's length is added to it, when
a day's end is computed, or when a time with an offset is turned into UTC for the database.
A clinic plans and records within this century; these bounds sit far inside Python's, so
every later step is safe, and a date outside them gets a message at its field instead.
"""

import datetime as dt

from django.core.exceptions import ValidationError

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
OUT_OF_RANGE = f"Enter a date between {EARLIEST.year} and {LATEST.year}."


def is_clinic_date(value: dt.date | dt.datetime) -> bool:
    """Whether `value` (a date, or a datetime by its own calendar day) is within the bounds."""
    day = value.date() if isinstance(value, dt.datetime) else value
    return EARLIEST <= day <= LATEST


def validate_clinic_date(value: dt.date | dt.datetime) -> None:
    """Django validator for the date and datetime fields of forms."""
    if not is_clinic_date(value):
        raise ValidationError(OUT_OF_RANGE, code="out_of_range")
