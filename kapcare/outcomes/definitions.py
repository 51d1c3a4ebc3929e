"""What the outcome figures count: baseline, end of induction, response, remission,
relapse, the time origin and censoring. Pure (no Django, no database): the dashboards, the
API and the trajectories read the facts and ask these functions.

Every definition's source is in docs/clinical-reference.md#outcome-definitions; the
numbers a clinic may change are in `OutcomeSettings`, filled from the clinic's settings.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# NQF 1884 and CMS159 count only patients whose index PHQ-9 is above 9 (moderate or worse,
# Kroenke et al. 2001).
PHQ9_BASELINE_ABOVE = 9
# GAD-7: the same rule as the PHQ-9's, with the same bands (Spitzer et al. 2006: 10 is the
# cut-point for generalised anxiety, below 5 minimal).
GAD7_BASELINE_ABOVE = 9
GAD7_RESPONSE_FALL_PERCENT = 50
GAD7_REMISSION_BELOW = 5
# PCL-5: a fall of 10 points is clinically meaningful, 5 reliable (National Center for
# PTSD, "Using the PTSD Checklist for DSM-5", after Weathers et al. 2013).
PCL5_MEANINGFUL_FALL = 10
PCL5_RELIABLE_FALL = 5
# Relapse: a PHQ-9 back at 10 or above, moderate depression (Kroenke et al. 2001).
RELAPSE_PHQ9_AT_LEAST = 10


@dataclass(frozen=True)
class Score:
    """One completed questionnaire's total and when it was completed."""

    when: datetime
    total: int


@dataclass(frozen=True)
class OutcomeSettings:
    """The clinic's numbers (kapcare/clinics/models.py, `Clinic`)."""

    baseline_window_days: int = 30
    end_of_induction_window_days: int = 28
    induction_doses: int = 6
    response_fall_percent: int = 50
    remission_phq9_below: int = 5


def baseline(scores: Sequence[Score], first_dose_at: datetime, window_days: int) -> Score | None:
    """The last score on or before the first dose and no more than `window_days` before
    it (the index score of NQF 1884; the window is the clinic's). None without one."""
    earliest = first_dose_at - timedelta(days=window_days)
    before = [score for score in scores if earliest <= score.when <= first_dose_at]
    return max(before, key=lambda score: score.when) if before else None


def end_of_induction(
    dose_times: Sequence[datetime], induction_doses: int, *, has_left_treatment: bool
) -> datetime | None:
    """When the induction series ended: its `induction_doses`-th dose (the clinic's series,
    docs/clinical-reference.md#induction-series) or, for a course that left treatment with
    fewer, its last dose. None while the series is still under way or no dose was given."""
    ordered = sorted(dose_times)
    if len(ordered) >= induction_doses:
        return ordered[induction_doses - 1]
    if has_left_treatment and ordered:
        return ordered[-1]
    return None


def outcome_score(
    scores: Sequence[Score], induction_ended_at: datetime, window_days: int
) -> Score | None:
    """The score that judges the induction: the first one completed after its last dose
    and within `window_days` of it. None when none was taken in time."""
    latest = induction_ended_at + timedelta(days=window_days)
    after = [score for score in scores if induction_ended_at < score.when <= latest]
    return min(after, key=lambda score: score.when) if after else None


def has_measurable_baseline(baseline_total: int, *, above: int = PHQ9_BASELINE_ABOVE) -> bool:
    """Response and remission are counted only from a baseline above 9 (NQF 1884, CMS159)."""
    return baseline_total > above


def is_response(baseline_total: int, current_total: int, *, fall_percent: int = 50) -> bool:
    """A fall of at least `fall_percent` (50 %) from a baseline above 9: NQF 1884,
    Depression Response – Progress Towards Remission (the GAD-7 by the same rule)."""
    if not has_measurable_baseline(baseline_total):
        return False
    return 100 * (baseline_total - current_total) >= fall_percent * baseline_total


def is_remission(baseline_total: int, current_total: int, *, below: int = 5) -> bool:
    """A score below `below` (5) after a baseline above 9: CMS159, Depression Remission
    (the GAD-7 by the same rule)."""
    return has_measurable_baseline(baseline_total) and current_total < below


def pcl5_change(baseline_total: int, current_total: int) -> str:
    """ "meaningful" (a fall of 10 points or more), "reliable" (5 to 9) or "none": the
    National Center for PTSD's reading of a change of the PCL-5 total."""
    fall = baseline_total - current_total
    if fall >= PCL5_MEANINGFUL_FALL:
        return "meaningful"
    if fall >= PCL5_RELIABLE_FALL:
        return "reliable"
    return "none"


def relapse_at(scores_after_response: Sequence[Score]) -> datetime | None:
    """When a responder relapsed: the first follow-up PHQ-9 of 10 or more.

    Counted on the PHQ-9 alone, not on booster doses: a booster may be planned as
    maintenance rather than given for returning symptoms, and kapcare does not record
    why a dose is given; the PHQ-9 is asked in the same way in every model, so the curves
    of the models compare like with like."""
    for score in sorted(scores_after_response, key=lambda score: score.when):
        if score.total >= RELAPSE_PHQ9_AT_LEAST:
            return score.when
    return None


@dataclass(frozen=True)
class Durability:
    """One responder's time to relapse (or to the last contact, censored), in days from
    the end of induction (the time origin)."""

    days: float
    relapsed: bool


def durability(
    induction_ended_at: datetime,
    response_score: Score,
    later_scores: Sequence[Score],
    last_contact: datetime,
) -> Durability:
    """Time to relapse from the end of induction; without a relapse, censored at the last
    contact (the latest PHQ-9 or dose known), as Kaplan and Meier (1958) treat a
    subject lost to follow-up."""
    following = [score for score in later_scores if score.when > response_score.when]
    relapsed_at = relapse_at(following)
    end = relapsed_at if relapsed_at is not None else max(last_contact, response_score.when)
    days = max((end - induction_ended_at).total_seconds() / 86400, 0.0)
    return Durability(days=days, relapsed=relapsed_at is not None)


@dataclass(frozen=True)
class EpisodeOutcome:
    """What an episode counts for in the rates: a measurable baseline, a response, a
    remission (each False when it cannot be judged)."""

    has_baseline: bool
    is_responder: bool
    is_remitter: bool
    induction_ended_at: datetime | None = None
    response_score: Score | None = None


def episode_outcome(
    phq9_scores: Sequence[Score],
    dose_times: Sequence[datetime],
    settings: OutcomeSettings,
    *,
    has_left_treatment: bool,
) -> EpisodeOutcome:
    """An episode's PHQ-9 outcome: the baseline before its first dose, the score after its
    induction, response and remission between them."""
    nothing = EpisodeOutcome(has_baseline=False, is_responder=False, is_remitter=False)
    if not dose_times:
        return nothing
    index = baseline(phq9_scores, min(dose_times), settings.baseline_window_days)
    if index is None or not has_measurable_baseline(index.total):
        return nothing
    ended_at = end_of_induction(
        dose_times, settings.induction_doses, has_left_treatment=has_left_treatment
    )
    after = None
    if ended_at is not None:
        after = outcome_score(phq9_scores, ended_at, settings.end_of_induction_window_days)
    if after is None:
        return EpisodeOutcome(has_baseline=True, is_responder=False, is_remitter=False)
    responder = is_response(index.total, after.total, fall_percent=settings.response_fall_percent)
    return EpisodeOutcome(
        has_baseline=True,
        is_responder=responder,
        is_remitter=is_remission(index.total, after.total, below=settings.remission_phq9_below),
        induction_ended_at=ended_at,
        response_score=after if responder else None,
    )
