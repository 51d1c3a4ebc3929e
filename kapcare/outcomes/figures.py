"""The clinic's outcome figures, read from the database in a fixed number of queries.

Three narrow reads whatever the size of the clinic — the episodes with a dose in the
period (one GROUP BY), their doses' times, their patients' PHQ-9 totals — then the pure
definitions (`definitions.py`) and statistics (`survival.py`) in Python. Only the columns
the figures need are fetched; no patient is named in any figure.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from django.db.models import Count, Min
from django.db.models.functions import Coalesce
from django.utils import timezone
from scipy import stats

from kapcare.episodes import rules
from kapcare.episodes.models import (
    CareModel,
    CareSession,
    DoseRoute,
    Episode,
    GateWaiver,
    SessionKind,
    SessionStatus,
)
from kapcare.measures.instruments import PHQ9
from kapcare.measures.models import Assessment, AssessmentStatus
from kapcare.outcomes import definitions, survival

LEFT_TREATMENT = frozenset({rules.FOLLOW_UP, rules.COMPLETED, rules.DISCONTINUED})
KAP = "kap"
NOT_RECORDED = "not recorded"


class GroupBy(StrEnum):
    MODEL = "model"
    DIAGNOSIS = "diagnosis"
    ROUTE = "route"


@dataclass(frozen=True)
class Period:
    """Episodes whose first dose falls within these days (both included), clinic time."""

    start: date | None = None
    end: date | None = None


@dataclass
class EpisodeFacts:
    episode_id: int
    patient_id: int
    model: str
    diagnosis: str
    route: str
    has_left_treatment: bool
    dose_times: list[datetime] = field(default_factory=list)


def outcome_settings(clinic) -> definitions.OutcomeSettings:
    return definitions.OutcomeSettings(
        baseline_window_days=clinic.baseline_window_days,
        end_of_induction_window_days=clinic.end_of_induction_window_days,
        induction_doses=clinic.induction_doses,
        response_fall_percent=clinic.response_fall_percent,
        remission_phq9_below=clinic.remission_phq9_below,
    )


def _dose_time():
    return Coalesce("started_at", "planned_start")


def _aware(day: date, *, end: bool):
    moment = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    return timezone.make_aware(moment)


def _episodes_in(clinic, period: Period, model: str | None):
    """The clinic's episodes with at least one dose done, first dose in `period`."""
    # One filter() call before annotate(): the minimum is over the doses done only.
    episodes = (
        Episode.objects.filter(
            clinic_id=clinic.pk,
            sessions__kind=SessionKind.DOSING,
            sessions__status=SessionStatus.DONE,
        )
        .annotate(first_dose_at=Min(Coalesce("sessions__started_at", "sessions__planned_start")))
        .order_by()
    )
    if model:
        episodes = episodes.filter(model=model)
    if period.start is not None:
        episodes = episodes.filter(first_dose_at__gte=_aware(period.start, end=False))
    if period.end is not None:
        episodes = episodes.filter(first_dose_at__lt=_aware(period.end, end=True))
    return episodes


def episode_facts(clinic, period: Period, model: str | None = None):
    """Each episode's facts and each patient's PHQ-9 scores: three queries."""
    episodes = _episodes_in(clinic, period, model)
    facts = {
        pk: EpisodeFacts(
            episode_id=pk,
            patient_id=patient_id,
            model=episode_model,
            diagnosis=code.upper() if code else NOT_RECORDED,
            route=route or NOT_RECORDED,
            has_left_treatment=state in LEFT_TREATMENT,
        )
        for pk, patient_id, episode_model, code, route, state in episodes.values_list(
            "pk", "patient_id", "model", "diagnosis_code", "dose_route", "state"
        )
    }
    doses = CareSession.objects.filter(
        episode_id__in=episodes.values("pk"), kind=SessionKind.DOSING, status=SessionStatus.DONE
    ).values_list("episode_id", _dose_time())
    for episode_id, given_at in doses:
        facts[episode_id].dose_times.append(given_at)
    scores: dict[int, list[definitions.Score]] = defaultdict(list)
    phq9 = (
        Assessment.objects.filter(
            patient_id__in=episodes.values("patient_id"),
            instrument=PHQ9.id,
            status=AssessmentStatus.COMPLETED,
            total__isnull=False,
        )
        .order_by()
        .values_list("patient_id", "completed_at", "total")
    )
    for patient_id, completed_at, total in phq9:
        scores[patient_id].append(definitions.Score(completed_at, total))
    return list(facts.values()), scores


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


def _group_of(facts: EpisodeFacts, group_by: GroupBy) -> str:
    return {
        GroupBy.MODEL: facts.model,
        GroupBy.DIAGNOSIS: facts.diagnosis,
        GroupBy.ROUTE: facts.route,
    }[group_by]


def _group_order(group_by: GroupBy):
    order = {
        GroupBy.MODEL: list(CareModel.values),
        GroupBy.ROUTE: list(DoseRoute.values),
        GroupBy.DIAGNOSIS: [],
    }[group_by]
    return lambda group: (order.index(group) if group in order else len(order), group)


def _outcomes(clinic, facts_list, scores):
    settings = outcome_settings(clinic)
    for facts in facts_list:
        yield (
            facts,
            definitions.episode_outcome(
                scores.get(facts.patient_id, []),
                facts.dose_times,
                settings,
                has_left_treatment=facts.has_left_treatment,
            ),
        )


def rates(clinic, group_by: GroupBy, period: Period, model: str | None = None) -> list[RateRow]:
    """Response and remission by group, with Wilson intervals."""
    facts_list, scores = episode_facts(clinic, period, model)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for facts, outcome in _outcomes(clinic, facts_list, scores):
        row = counts[_group_of(facts, group_by)]
        row[0] += 1
        row[1] += outcome.has_baseline
        row[2] += outcome.is_responder
        row[3] += outcome.is_remitter
    return [RateRow(group, *counts[group]) for group in sorted(counts, key=_group_order(group_by))]


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


def durability(clinic, period: Period, model: str | None = None) -> DurabilityFigure:
    """Time to relapse among responders, by model, from the end of induction; the
    log-rank test compares the KAP models together with standalone infusions (one degree
    of freedom: the field's open question, KAP or infusions alone)."""
    facts_list, scores = episode_facts(clinic, period, model)
    durations: dict[str, list[definitions.Durability]] = defaultdict(list)
    for facts, outcome in _outcomes(clinic, facts_list, scores):
        if not outcome.is_responder:
            continue
        patient_scores = scores.get(facts.patient_id, [])
        last_contact = max([*facts.dose_times, *(score.when for score in patient_scores)])
        durations[facts.model].append(
            definitions.durability(
                outcome.induction_ended_at, outcome.response_score, patient_scores, last_contact
            )
        )
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
