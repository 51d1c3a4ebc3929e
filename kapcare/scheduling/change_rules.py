"""Rescheduling, cancelling and no-shows as pure functions over plain values: which
cancellation reason fits, when a no-show may be recorded, whether a moved dose keeps the
minimum interval from the patient's other doses, and where a series' later sessions go.

The numbers are clinic settings (docs/clinical-reference.md#late-cancellation and
#minimum-interval-between-doses): `late_cancel_hours` (default 24) and
`minimum_dose_interval_hours` (default 48, gate 7). Intervals are elapsed time, as the
gates count them.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

PATIENT = "patient"
CLINIC = "clinic"
LATE_CANCEL = "late_cancel"
CANCEL_REASONS = (PATIENT, CLINIC, LATE_CANCEL)


def hours_in_words(hours: int) -> str:
    """48 → "48 hours"; 24 → "24 hours"; 1 → "1 hour"."""
    return f"{hours} hour{'' if hours == 1 else 's'}"


def is_late(starts_at: datetime, now: datetime, late_cancel_hours: int) -> bool:
    """A cancellation made less than `late_cancel_hours` before the start (or after it)."""
    return starts_at - now < timedelta(hours=late_cancel_hours)


def cancel_reason_problem(
    reason: str, starts_at: datetime, now: datetime, late_cancel_hours: int
) -> str | None:
    """Why `reason` does not fit a cancellation made at `now`, or None. The clinic
    cancelling is never late; the patient cancelling inside the window is a late
    cancellation, and outside it is not, so that what a fee policy reads is true."""
    if reason not in CANCEL_REASONS:
        return "Choose who cancelled: the patient, the clinic, or a late cancellation."
    late = is_late(starts_at, now, late_cancel_hours)
    window = hours_in_words(late_cancel_hours)
    if reason == LATE_CANCEL and not late:
        return (
            f"The session starts more than {window} from now: record it as cancelled by "
            "the patient, not as a late cancellation."
        )
    if reason == PATIENT and late:
        return (
            f"The session starts within {window}: a cancellation by the patient now is a "
            "late cancellation."
        )
    return None


def no_show_problem(starts_at: datetime, now: datetime) -> str | None:
    """A no-show is known only once the session should have begun."""
    if now < starts_at:
        return "A no-show can be recorded once the session's start time has passed."
    return None


def past_start_problem(starts_at: datetime, now: datetime) -> str | None:
    """A session is moved to a time still to come."""
    if starts_at <= now:
        return "Choose a time still to come."
    return None


def dose_interval_problem(
    moved: Iterable[datetime], others: Iterable[datetime], minimum_hours: int
) -> tuple[datetime, datetime] | None:
    """The first pair (a moved dose, the dose it comes too close to) less than
    `minimum_hours` apart, among the doses being moved and between them and the patient's
    other doses; None when every gap is at least the minimum."""
    minimum = timedelta(hours=minimum_hours)
    moved, others = sorted(moved), sorted(others)
    for index, start in enumerate(moved):
        for other in [*moved[index + 1 :], *others]:
            if abs(start - other) < minimum:
                return start, other
    return None


def moved_along(starts: Sequence[datetime], delta: timedelta) -> list[datetime]:
    """The later sessions of a series moved by as much as the one rescheduled."""
    return [start + delta for start in starts]


def move_order(delta: timedelta) -> bool:
    """Whether to move a series latest first: moving later, the latest goes first so that
    no session lands on a slot a sibling has not yet left; moving earlier, the earliest."""
    return delta > timedelta(0)
