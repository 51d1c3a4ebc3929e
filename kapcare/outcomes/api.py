"""API: the clinic's outcome figures, as the dashboard shows them (aggregates of the
clinic's own patients; no patient is named). A clinician's or the admin's token; other
staff get 403, and a therapist's or a patient's token 404, as if there were nothing here:
no clinic's figures are theirs to learn of."""

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from kapcare import policy
from kapcare.dates import OUT_OF_RANGE, is_clinic_date
from kapcare.decorators import refusal_for
from kapcare.outcomes import figures
from kapcare.outcomes.figures import GroupBy, Period
from kapcare.policy import Action
from kapcare.replica import read_replica

router = Router(tags=["outcomes"])

NOT_FOR_YOU = {404: {"description": "Not found: outcome figures are for clinic staff only."}}


class SummaryQuery(Schema):
    group_by: Literal["model", "diagnosis", "route"] = "model"
    start: dt.date | None = Field(None, alias="from", description="First doses on or after.")
    end: dt.date | None = Field(None, alias="to", description="First doses on or before.")


class DurabilityQuery(Schema):
    group_by: Literal["model"] = "model"


class RateOut(Schema):
    group: str
    episodes: int
    with_baseline: int
    responders: int
    remitters: int
    response_rate: float | None
    response_ci: list[float] | None = Field(description="Wilson 95 % interval, [lower, upper].")
    remission_rate: float | None
    remission_ci: list[float] | None = Field(description="Wilson 95 % interval, [lower, upper].")


class StepOut(Schema):
    time: float = Field(description="Days from the end of induction.")
    at_risk: int
    events: int
    survival: float
    ci_lower: float | None
    ci_upper: float | None


class DurabilityGroupOut(Schema):
    group: str
    steps: list[StepOut]
    median: float | None


class LogrankOut(Schema):
    chi2: float
    p_value: float


class DurabilityOut(Schema):
    groups: list[DurabilityGroupOut]
    logrank: LogrankOut | None = Field(
        description="KAP models together against standalone infusions, 1 degree of freedom."
    )


def _clinic_of(request: HttpRequest):
    user = request.user
    if not policy.can(user, Action.VIEW_CLINIC_OUTCOMES) or not user.clinic_id:
        raise refusal_for(user, Action.VIEW_CLINIC_OUTCOMES)
    return user.clinic


def _period(query: SummaryQuery) -> Period:
    errors = {}
    for name, day in (("from", query.start), ("to", query.end)):
        if day is not None and not is_clinic_date(day):
            errors[name] = [OUT_OF_RANGE]
    if not errors and query.start and query.end and query.start > query.end:
        errors["to"] = ["The end of the period is before its start."]
    if errors:
        raise ValidationError(errors)
    return Period(start=query.start, end=query.end)


@router.get(
    "/outcomes/summary",
    response=list[RateOut],
    summary="Response and remission rates",
    openapi_extra={"responses": NOT_FOR_YOU},
)
def outcome_summary(request: HttpRequest, query: Query[SummaryQuery]):
    """Response (≥ 50 % fall of the PHQ-9 from a baseline above 9, NQF 1884) and remission
    (PHQ-9 below 5, CMS159) by model, diagnosis or planned route, for episodes whose first
    dose is in the period; Wilson 95 % intervals."""
    clinic = _clinic_of(request)
    period = _period(query)
    with read_replica():
        rows = figures.rates(clinic, GroupBy(query.group_by), period)
    return [row.as_dict() for row in rows]


@router.get(
    "/outcomes/durability",
    response=DurabilityOut,
    summary="Time to relapse by model (Kaplan–Meier)",
    openapi_extra={"responses": NOT_FOR_YOU},
)
def outcome_durability(request: HttpRequest, query: Query[DurabilityQuery]):
    """Kaplan–Meier steps of time to relapse among responders, by model, from the end of
    induction, with log(−log) Greenwood 95 % bands and each model's median; the log-rank
    test of the KAP models together against standalone infusions."""
    clinic = _clinic_of(request)
    with read_replica():
        figure = figures.durability(clinic, Period())
    return figure.as_dict()
