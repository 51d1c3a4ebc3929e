"""When a patient may be checked in for a session at the clinic, as a pure function.

A patient is checked in on the day the session is booked for, once, while the session is
still planned (not started, done, missed or cancelled) and holds a booked slot at the
clinic; a session held in the therapist's own practice has no slot and no check-in."""

from datetime import date, datetime

from kapcare.episodes import rules as episode_rules


def check_in_problem(
    *,
    status: str,
    holds_booked_slot: bool,
    booked_day: date,
    today: date,
    checked_in_at: datetime | None,
) -> str:
    """Why the session cannot be checked in now, in words; "" when it can."""
    if checked_in_at is not None:
        return "The patient is already checked in for this session."
    if status != episode_rules.PLANNED:
        label = episode_rules.SESSION_STATUSES.get(status, status).lower()
        return f"The session is {label}: only a booked session is checked in."
    if not holds_booked_slot:
        return "The session has no booked time at the clinic to check in for."
    if booked_day != today:
        return (
            f"The session is booked for {booked_day:%A %B} {booked_day.day}: "
            "a patient is checked in on the day."
        )
    return ""
