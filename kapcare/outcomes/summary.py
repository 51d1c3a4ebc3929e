"""Each episode's kept outcome (`models.OutcomeSummary`): baseline, latest PHQ-9, response,
remission, and for a responder the days to relapse or to the last contact.

Written from three narrow reads per batch of patients — their episodes with a dose done,
those doses' times, their PHQ-9 totals — and the pure definitions (`definitions.py`);
the figures (`figures.py`) then aggregate the kept rows in one query each. A change to a
patient's doses, PHQ-9 scores or episodes refreshes that patient's summaries once it
commits (`schedule_refresh`, from `apps.OutcomesConfig.ready`)."""

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Min
from django.db.models.functions import Coalesce
from django.utils import timezone

from kapcare import queue
from kapcare.clinics.models import Clinic
from kapcare.episodes import rules
from kapcare.episodes.models import CareSession, Episode, SessionKind, SessionStatus
from kapcare.measures.instruments import PHQ9
from kapcare.measures.models import Assessment, AssessmentStatus
from kapcare.outcomes import definitions
from kapcare.outcomes.models import OutcomeSummary

logger = logging.getLogger(__name__)

LEFT_TREATMENT = frozenset({rules.FOLLOW_UP, rules.COMPLETED, rules.DISCONTINUED})
NOT_RECORDED = "not recorded"
# Patients refreshed per batch by a rebuild: three reads and one upsert each.
BATCH = 1000


# The clinic's settings the summaries are computed with: a change rebuilds the clinic's.
OUTCOME_SETTINGS = frozenset(
    {
        "baseline_window_days",
        "end_of_induction_window_days",
        "induction_doses",
        "response_fall_percent",
        "remission_phq9_below",
    }
)


def outcome_settings(clinic) -> definitions.OutcomeSettings:
    return definitions.OutcomeSettings(
        baseline_window_days=clinic.baseline_window_days,
        end_of_induction_window_days=clinic.end_of_induction_window_days,
        induction_doses=clinic.induction_doses,
        response_fall_percent=clinic.response_fall_percent,
        remission_phq9_below=clinic.remission_phq9_below,
    )


@dataclass
class EpisodeFacts:
    episode_id: int
    clinic_id: int
    patient_id: int
    model: str
    diagnosis: str
    route: str
    has_left_treatment: bool
    dose_times: list[datetime] = field(default_factory=list)


def dosed_episodes(episodes):
    """`episodes` with at least one dose done, each with its first dose's time."""
    # One filter() call before annotate(): the minimum is over the doses done only.
    return (
        episodes.filter(sessions__kind=SessionKind.DOSING, sessions__status=SessionStatus.DONE)
        .annotate(first_dose_at=Min(Coalesce("sessions__started_at", "sessions__planned_start")))
        .order_by()
    )


def _facts(patient_ids) -> tuple[list[EpisodeFacts], dict[int, list[definitions.Score]]]:
    """The patients' dosed episodes and their PHQ-9 scores: three queries."""
    episodes = dosed_episodes(Episode.objects.filter(patient_id__in=patient_ids))
    facts = {
        pk: EpisodeFacts(
            episode_id=pk,
            clinic_id=clinic_id,
            patient_id=patient_id,
            model=model,
            diagnosis=code.upper() if code else NOT_RECORDED,
            route=route or NOT_RECORDED,
            has_left_treatment=state in LEFT_TREATMENT,
        )
        for pk, clinic_id, patient_id, model, code, route, state in episodes.values_list(
            "pk", "clinic_id", "patient_id", "model", "diagnosis_code", "dose_route", "state"
        )
    }
    doses = CareSession.objects.filter(
        episode_id__in=list(facts), kind=SessionKind.DOSING, status=SessionStatus.DONE
    ).values_list("episode_id", Coalesce("started_at", "planned_start"))
    for episode_id, given_at in doses:
        facts[episode_id].dose_times.append(given_at)
    scores: dict[int, list[definitions.Score]] = defaultdict(list)
    phq9 = (
        Assessment.objects.filter(
            patient_id__in=patient_ids,
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


def summarise(facts: EpisodeFacts, scores, settings, now: datetime) -> OutcomeSummary:
    """One episode's summary, by the definitions
    (docs/clinical-reference.md#outcome-definitions); censored at the last contact known:
    the latest dose or PHQ-9."""
    first_dose_at = min(facts.dose_times)
    outcome = definitions.episode_outcome(
        scores, facts.dose_times, settings, has_left_treatment=facts.has_left_treatment
    )
    index = definitions.baseline(scores, first_dose_at, settings.baseline_window_days)
    latest = max(scores, key=lambda score: score.when) if scores else None
    relapse_days, relapsed = None, False
    if outcome.is_responder:
        last_contact = max([*facts.dose_times, *(score.when for score in scores)])
        kept = definitions.durability(
            outcome.induction_ended_at, outcome.response_score, scores, last_contact
        )
        relapse_days, relapsed = kept.days, kept.relapsed
    return OutcomeSummary(
        episode_id=facts.episode_id,
        clinic_id=facts.clinic_id,
        model=facts.model,
        diagnosis=facts.diagnosis,
        route=facts.route,
        first_dose_at=first_dose_at,
        baseline_total=index.total if index else None,
        latest_total=latest.total if latest else None,
        has_baseline=outcome.has_baseline,
        is_responder=outcome.is_responder,
        is_remitter=outcome.is_remitter,
        relapse_days=relapse_days,
        relapsed=relapsed,
        computed_at=now,
    )


UPDATED = [
    "clinic",
    "model",
    "diagnosis",
    "route",
    "first_dose_at",
    "baseline_total",
    "latest_total",
    "has_baseline",
    "is_responder",
    "is_remitter",
    "relapse_days",
    "relapsed",
    "computed_at",
]


def refresh_patients(patient_ids) -> int:
    """Rewrite the summaries of the patients' episodes (five queries whatever their
    number); an episode with no dose done any more has none. Returns how many were kept."""
    patient_ids = list(patient_ids)
    facts_list, scores = _facts(patient_ids)
    clinics = {
        c.pk: outcome_settings(c)
        for c in Clinic.objects.filter(pk__in={f.clinic_id for f in facts_list})
    }
    now = timezone.now()
    rows = [
        summarise(facts, scores.get(facts.patient_id, []), clinics[facts.clinic_id], now)
        for facts in facts_list
    ]
    with transaction.atomic():
        OutcomeSummary.objects.filter(episode__patient_id__in=patient_ids).exclude(
            episode_id__in=[row.episode_id for row in rows]
        ).delete()
        OutcomeSummary.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["episode"], update_fields=UPDATED
        )
    return len(rows)


def rebuild(clinic=None) -> int:
    """Every summary of `clinic` (or of every clinic), a batch of patients at a time."""
    episodes = dosed_episodes(Episode.objects.all())
    if clinic is not None:
        episodes = episodes.filter(clinic_id=clinic.pk)
    patient_ids = sorted(set(episodes.values_list("patient_id", flat=True)))
    kept = 0
    for start in range(0, len(patient_ids), BATCH):
        kept += refresh_patients(patient_ids[start : start + BATCH])
    return kept


# --- After a change commits ---------------------------------------------------------------

# Per thread (per greenlet under gevent), like the transaction it waits for.
_local = threading.local()


def _pending() -> set[int]:
    if not hasattr(_local, "patient_ids"):
        _local.patient_ids = set()
    return _local.patient_ids


def schedule_refresh(patient_id: int) -> None:
    """Refresh the patient's summaries once the current transaction commits: one task
    for all the patients a transaction changed (the first callback to run takes them; a
    rolled-back change's patient is only refreshed along with the next commit's)."""
    _pending().add(patient_id)
    transaction.on_commit(_enqueue_pending)


def _enqueue_pending() -> None:
    from kapcare.outcomes.tasks import refresh_outcome_summaries

    pending = _pending()
    if not pending:
        return
    patient_ids = sorted(pending)
    pending.clear()
    try:
        queue.enqueue(refresh_outcome_summaries, patient_ids)
    except Exception:  # the change is committed; a rebuild catches the summary up
        logger.exception("Could not enqueue the outcome summaries of %d patients", len(patient_ids))
