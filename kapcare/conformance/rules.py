"""ASKP3 conformance: how the gates' answers for each dose of an episode add up to one
status per element, and where a monitoring series has gaps. Pure functions (no Django).

The elements follow the American Society of Ketamine Physicians, Psychotherapists and
Practitioners' standards for ketamine-assisted psychotherapy (screening, provider training,
informed consent, preparation, monitoring, integration, outcome measurement;
docs/clinical-reference.md#askp3-conformance). Each element is judged by the same rule the
dosing gates use (`episodes.gates`, the registered extra gates), never a second copy."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kapcare.dosing.vitals.rules import VitalSchedule, next_reading_due

MET = "met"
WAIVED = "waived"
NOT_MET = "not_met"
NOT_APPLICABLE = "not_applicable"
STATUS_WORDS = {
    MET: "Met",
    WAIVED: "Met under a waiver",
    NOT_MET: "Not met",
    NOT_APPLICABLE: "Not applicable",
}


@dataclass(frozen=True)
class Check:
    """One dose's answer for one element: passed, or waived (with the reason), or not;
    `detail` in words, `url` where it is fixed."""

    dose: str
    passed: bool
    detail: str
    url: str = ""
    waiver_reason: str = ""


@dataclass(frozen=True)
class ElementStatus:
    element: str
    status: str
    detail: str
    url: str = ""


def combine(element: str, checks: Sequence[Check], *, none_detail: str) -> ElementStatus:
    """An element is met when every dose passed, met under a waiver when every failure
    was waived (naming the reasons), else not met (naming the doses that fail and linking
    the first fix); not applicable without a dose to judge."""
    if not checks:
        return ElementStatus(element, NOT_APPLICABLE, none_detail)
    failing = [check for check in checks if not check.passed and not check.waiver_reason]
    if failing:
        first = failing[0]
        doses = ", ".join(check.dose for check in failing)
        return ElementStatus(element, NOT_MET, f"{doses}: {first.detail}", first.url)
    waived = [check for check in checks if check.waiver_reason]
    if waived:
        reasons = "; ".join(f"{check.dose}: {check.waiver_reason}" for check in waived)
        return ElementStatus(element, WAIVED, f"Waived — {reasons}", waived[0].url)
    return ElementStatus(element, MET, checks[-1].detail, "")


def monitoring_gaps(
    taken: Sequence[datetime],
    *,
    dose_started_at: datetime | None,
    dose_ended_at: datetime | None,
    discharged_at: datetime | None,
    schedule: VitalSchedule,
) -> list[tuple[datetime, datetime]]:
    """The stretches during and after a dose where a reading fell due and none was taken
    (due time, the time the next reading came, or discharge): the dosing page's own
    schedule (`next_reading_due`) replayed over the readings."""
    if dose_started_at is None:
        return []
    end = discharged_at or dose_ended_at
    if end is None:
        return []
    moments = [*sorted(t for t in taken if dose_started_at <= t <= end), end]
    gaps = []
    last = max((t for t in taken if t <= dose_started_at), default=None)
    for moment in moments:
        due = next_reading_due(
            now=moment,
            last_taken_at=last,
            dose_started_at=dose_started_at,
            dose_ended_at=dose_ended_at,
            discharged_at=None,
            schedule=schedule,
        )
        if due is not None and due.is_overdue:
            gaps.append((due.due_at, moment))
        last = moment
    return gaps
