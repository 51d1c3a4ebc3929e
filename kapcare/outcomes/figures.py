"""The clinic's outcome figures, one aggregate query each over the kept per-episode
summaries (`models.OutcomeSummary`, written by `summary.py` from the definitions), so a
figure costs the same at 100 patients as at 100,000. No patient is named in any figure.

scipy (and `survival`, which needs it and numpy) is imported inside the functions that
compute with it: this module is imported with the API's URLs, and scipy would otherwise
add about three seconds to every process start and to the first request.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from django.db.models import Count, Q
from django.utils import timezone

from kapcare.episodes import rules
from kapcare.episodes.models import CareModel, DoseRoute, GateWaiver
from kapcare.outcomes.models import OutcomeSummary
from kapcare.outcomes.summary import NOT_RECORDED, outcome_settings

__all__ = ["NOT_RECORDED", "outcome_settings"]

KAP = "kap"


class GroupBy(StrEnum):
    MODEL = "model"
    DIAGNOSIS = "diagnosis"
    ROUTE = "route"


@dataclass(frozen=True)
class Period:
    """Episodes whose first dose falls within these days (both included), clinic time."""

    start: date | None = None
    end: date | None = None


def _aware(day: date, *, end: bool):
    moment = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    return timezone.make_aware(moment)


def summaries(clinic, period: Period, model: str | None = None):
    """The clinic's kept episode outcomes, first dose in `period` (of `model`)."""
    kept = OutcomeSummary.objects.filter(clinic_id=clinic.pk)
    if model:
        kept = kept.filter(model=model)
    if period.start is not None:
        kept = kept.filter(first_dose_at__gte=_aware(period.start, end=False))
    if period.end is not None:
        kept = kept.filter(first_dose_at__lt=_aware(period.end, end=True))
    return kept.order_by()


@dataclass(frozen=True)
class RateRow:
    group: str
    episodes: int
    with_baseline: int
    responders: int
    remitters: int

    @staticmethod
    def _rate(count: int, total: int) -> float | None:
        return round(count / total, 4) if total else None

    @staticmethod
    def _wilson(count: int, total: int) -> list[float] | None:
        """Wilson score 95 % interval (Wilson 1927), from scipy."""
        if not total:
            return None
        from scipy import stats

        interval = stats.binomtest(count, total).proportion_ci(
            confidence_level=0.95, method="wilson"
        )
        return [round(float(interval.low), 4), round(float(interval.high), 4)]

    @property
    def response_rate(self):
        return self._rate(self.responders, self.with_baseline)

    @property
    def response_ci(self):
        return self._wilson(self.responders, self.with_baseline)

    @property
    def remission_rate(self):
        return self._rate(self.remitters, self.with_baseline)

    @property
    def remission_ci(self):
        return self._wilson(self.remitters, self.with_baseline)

    def as_dict(self) -> dict:
        return {
            "group": self.group,
            "episodes": self.episodes,
            "with_baseline": self.with_baseline,
            "responders": self.responders,
            "remitters": self.remitters,
            "response_rate": self.response_rate,
            "response_ci": self.response_ci,
            "remission_rate": self.remission_rate,
            "remission_ci": self.remission_ci,
        }


def _group_order(group_by: GroupBy):
    order = {
        GroupBy.MODEL: list(CareModel.values),
        GroupBy.ROUTE: list(DoseRoute.values),
        GroupBy.DIAGNOSIS: [],
    }[group_by]
    return lambda group: (order.index(group) if group in order else len(order), group)


def rates(clinic, group_by: GroupBy, period: Period, model: str | None = None) -> list[RateRow]:
    """Response and remission by group, with Wilson intervals: one GROUP BY."""
    counted = (
        summaries(clinic, period, model)
        .values(str(group_by))
        .annotate(
            episodes=Count("pk"),
            with_baseline=Count("pk", filter=Q(has_baseline=True)),
            responders=Count("pk", filter=Q(is_responder=True)),
            remitters=Count("pk", filter=Q(is_remitter=True)),
        )
    )
    rows = {
        row[str(group_by)]: RateRow(
            row[str(group_by)],
            row["episodes"],
            row["with_baseline"],
            row["responders"],
            row["remitters"],
        )
        for row in counted
    }
    return [rows[group] for group in sorted(rows, key=_group_order(group_by))]


@dataclass(frozen=True)
class DurabilityGroup:
    group: str
    steps: list[dict]
    median: float | None
    responders: int
    relapses: int
    durations: list[float]
    observed: list[bool]

    def at_risk_at(self, day: float) -> int:
        return sum(1 for duration in self.durations if duration >= day)


@dataclass(frozen=True)
class DurabilityFigure:
    groups: list[DurabilityGroup]
    logrank: dict | None
    logrank_groups: tuple[str, str] = (KAP, rules.STANDALONE)

    def as_dict(self) -> dict:
        return {
            "groups": [
                {"group": group.group, "steps": group.steps, "median": group.median}
                for group in self.groups
            ],
            "logrank": self.logrank,
        }


@dataclass(frozen=True)
class Kept:
    """A responder's time to relapse or censoring, as `definitions.Durability`."""

    days: float
    relapsed: bool


def durability(clinic, period: Period, model: str | None = None) -> DurabilityFigure:
    """Time to relapse among responders, by model, from the end of induction; the
    log-rank test compares the KAP models together with standalone infusions (one degree
    of freedom: the field's open question, KAP or infusions alone). One GROUP BY: the
    responders counted by model, time and whether they relapsed."""
    from kapcare.outcomes import survival

    counted = (
        summaries(clinic, period, model)
        .filter(is_responder=True, relapse_days__isnull=False)
        .values_list("model", "relapse_days", "relapsed")
        .annotate(count=Count("pk"))
    )
    durations: dict[str, list[Kept]] = defaultdict(list)
    for group, days, relapsed, count in counted:
        durations[group] += [Kept(days, relapsed)] * count
    groups = []
    for group in sorted(durations, key=_group_order(GroupBy.MODEL)):
        days = [item.days for item in durations[group]]
        observed = [item.relapsed for item in durations[group]]
        groups.append(
            DurabilityGroup(
                group=group,
                steps=survival.kaplan_meier(days, observed),
                median=survival.median_survival(days, observed),
                responders=len(days),
                relapses=sum(observed),
                durations=days,
                observed=observed,
            )
        )
    return DurabilityFigure(groups=groups, logrank=_kap_against_standalone(durations))


def _kap_against_standalone(durations) -> dict | None:
    kap = [
        item for group, items in durations.items() if group != rules.STANDALONE for item in items
    ]
    standalone = durations.get(rules.STANDALONE, [])
    from kapcare.outcomes import survival

    try:
        chi2, p_value = survival.logrank(
            [item.days for item in kap],
            [item.relapsed for item in kap],
            [item.days for item in standalone],
            [item.relapsed for item in standalone],
        )
    except ValueError:
        return None
    return {"chi2": round(chi2, 4), "p_value": round(p_value, 4)}


def waivers_by_rule(clinic, period: Period) -> list[tuple[str, int]]:
    """How often each gate failed and was waived by a clinician (a waiver records the
    failure it overrode; a failing gate not waived stops the dose and is not kept)."""
    waivers = GateWaiver.objects.filter(session__episode__clinic_id=clinic.pk)
    if period.start is not None:
        waivers = waivers.filter(waived_at__gte=_aware(period.start, end=False))
    if period.end is not None:
        waivers = waivers.filter(waived_at__lt=_aware(period.end, end=True))
    return list(waivers.values_list("rule").annotate(count=Count("pk")).order_by("-count", "rule"))
