"""Keeping the stored conformance results (`ConformanceResult`) current.

`store` writes one episode's evaluation (the episode's report page calls it on each view,
so what a clinician just fixed shows on the clinic page at once); `refresh_conformance`
re-evaluates every dosed episode that is still open or closed within the last
`REFRESH_CLOSED_FOR` — run once an hour by the minute job and by `manage.py
refresh_conformance` — so the clinic page reads a period's shares in one query."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from kapcare.conformance.models import ConformanceResult
from kapcare.conformance.report import Evaluation, evaluate
from kapcare.episodes import rules as episode_rules
from kapcare.episodes.models import Episode, SessionKind

# A closed episode's records still change for a while (signing, addenda, the last
# integration): re-evaluated this long after it closed.
REFRESH_CLOSED_FOR = dt.timedelta(days=30)


def store(episode, evaluation: Evaluation, now: dt.datetime) -> None:
    """Replace the stored results of `episode` with `evaluation` (nothing when no dose)."""
    if evaluation.first_dose_at is None:
        return
    with transaction.atomic():
        for element in evaluation.elements:
            ConformanceResult.objects.update_or_create(
                episode=episode,
                element=element.element,
                defaults={
                    "clinic_id": episode.clinic_id,
                    "patient_id": episode.patient_id,
                    "status": element.status,
                    "detail": element.detail,
                    "url": element.url,
                    "first_dose_at": evaluation.first_dose_at,
                    "computed_at": now,
                },
            )


def refresh_conformance(now: dt.datetime | None = None, *, clinic_id=None) -> int:
    """Re-evaluate the dosed episodes whose results may have changed; how many."""
    now = now or timezone.now()
    episodes = (
        Episode.objects.filter(sessions__kind=SessionKind.DOSING)
        .exclude(
            state__in=sorted(episode_rules.CLOSED_STATES),
            state_changed_at__lt=now - REFRESH_CLOSED_FOR,
        )
        .select_related("clinic", "patient__clinic")
        .distinct()
        .order_by("id")
    )
    if clinic_id is not None:
        episodes = episodes.filter(clinic_id=clinic_id)
    count = 0
    for episode in episodes.iterator(chunk_size=200):
        store(episode, evaluate(episode, now), now)
        count += 1
    return count
