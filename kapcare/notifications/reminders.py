"""Which sessions are due an appointment reminder, and the keys that make each reminder
happen once. Pure: plain values in, plain values out.

Source: docs/clinical-reference.md#appointment-reminders and the clinic's
`appointment_reminder_hours` (default 24: common practice, and the escort and fasting
arrangements need the day before). A reminder is queued by the first run of the minute
job once the session is within that many hours, and never after it has started.
"""

import datetime as dt

from kapcare.episodes.rules import PLANNED


def is_due_a_reminder(
    *,
    planned_start: dt.datetime,
    status: str,
    started_at: dt.datetime | None,
    now: dt.datetime,
    reminder_hours: int,
) -> bool:
    """A planned session, not started, that starts after `now` and no more than
    `reminder_hours` after it (exactly `reminder_hours` ahead is due)."""
    if status != PLANNED or started_at is not None:
        return False
    return now < planned_start <= now + dt.timedelta(hours=reminder_hours)


def reminder_key(session_id: object, planned_start: dt.datetime) -> str:
    """The patient's reminder of one session at one time: a session moved to another time
    gets a new key, so a new reminder."""
    return f"reminder:{session_id}:{planned_start.astimezone(dt.UTC).isoformat()}"


def therapist_reminder_key(session_id: object, planned_start: dt.datetime, therapist_id) -> str:
    return f"{reminder_key(session_id, planned_start)}:therapist:{therapist_id}"


def integration_overdue_key(dose_session_id: object, recipient: str) -> str:
    """One flag per dose per recipient, however many runs see it overdue."""
    return f"integration-overdue:{dose_session_id}:{recipient.lower()}"
