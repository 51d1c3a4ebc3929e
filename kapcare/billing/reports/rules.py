"""Whether an estimate is late, as pure functions over dates (no Django): the deadlines
are `billing.rules.estimate_due`'s (45 CFR 149.610(b);
docs/billing-reference.md#when-an-estimate-is-due) and lateness is counted in the same
business days (`billing.rules.business_days_between`)."""

import datetime as dt
from dataclasses import dataclass

from kapcare.billing import rules

OVERDUE, DUE_TODAY, ISSUED_LATE = "Overdue", "Due today", "Issued late"
# The order the report lists them in: what can still be put right first.
ORDER = {OVERDUE: 0, DUE_TODAY: 1, ISSUED_LATE: 2}


@dataclass(frozen=True)
class Lateness:
    status: str
    business_days_late: int


def lateness(due_on: dt.date | None, issued_on: dt.date | None, today: dt.date) -> Lateness | None:
    """What the report says of an estimate due on `due_on`, issued on `issued_on` (None:
    not issued yet), on `today`; None when there is nothing to report (no deadline, issued
    in time, or not due yet)."""
    if due_on is None:
        return None
    if issued_on is not None:
        if issued_on > due_on:
            return Lateness(ISSUED_LATE, rules.business_days_between(due_on, issued_on))
        return None
    if due_on > today:
        return None
    if due_on == today:
        return Lateness(DUE_TODAY, 0)
    return Lateness(OVERDUE, rules.business_days_between(due_on, today))


def unissued_due(booked_on: dt.date, services_on: list[dt.date]) -> rules.EstimateDue:
    """When the estimate of sessions booked on `booked_on` and not covered by any estimate
    was due: from the first of them still ahead on the day of booking."""
    ahead = [day for day in services_on if day >= booked_on]
    return rules.estimate_due(booked_on, min(ahead, default=None))
