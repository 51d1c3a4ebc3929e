"""Questions asked of many episodes at once, each in a fixed number of queries.

`overdue_integrations`: after each dose in a KAP model an integration session is expected
within the clinic's `integration_window_hours` (default 72;
docs/clinical-reference.md#integration-window); an overdue one is flagged to the clinic and
the therapist.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import DateTimeField, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce

from kapcare.clinics.models import Clinic
from kapcare.episodes import rules
from kapcare.episodes.models import (
    AWAITING_INTEGRATION,
    CareSession,
    Episode,
    SessionKind,
    SessionStatus,
    counted_therapy_sessions,
)


@dataclass(frozen=True)
class OverdueIntegration:
    """An episode whose last dose has had no integration session done within the window."""

    episode: Episode
    dose_given_at: datetime
    dose_ended_at: datetime
    due_by: datetime
    now: datetime

    @property
    def patient(self):
        return self.episode.patient

    @property
    def therapist(self):
        return self.episode.therapist

    @property
    def hours_overdue(self) -> int:
        return int((self.now - self.due_by).total_seconds() // 3600)

    @property
    def overdue_in_words(self) -> str:
        """How late, as people count it: hours on the first two days, then days."""
        hours = self.hours_overdue
        if hours < 48:
            return f"{hours} hour{'' if hours == 1 else 's'}"
        return f"{hours // 24} days"


def overdue_integrations(clinic_id: int, now: datetime) -> list[OverdueIntegration]:
    """Open KAP episodes of the clinic whose last dose done ended more than the window ago
    with no integration session done after it, most overdue first. An integration session
    only planned (or planned past the window) does not settle it: the dose stays overdue
    until one is recorded as done.

    "After the dose" is as gate 4 reads it (`gate_facts`): an integration session starting
    after the dose was given (its start, or its planned start if never started). The dose
    ends at its planned end, or later when it started late. Two queries.
    """
    window_hours = (
        Clinic.objects.filter(pk=clinic_id)
        .values_list("integration_window_hours", flat=True)
        .first()
    )
    if window_hours is None:
        return []
    window = timedelta(hours=window_hours)
    # A necessary condition, read through the partial index of the episodes awaiting an
    # integration (`Episode.unintegrated_dose_planned_end`, kept by the database): the dose
    # cannot have ended before its planned end. The exact end is worked out below, and the
    # last dose and its integration are read again for these few episodes only.
    awaiting = Episode.objects.filter(
        AWAITING_INTEGRATION,
        clinic_id=clinic_id,
        unintegrated_dose_planned_end__lt=now - window,
    )
    episodes = (
        with_last_dose(awaiting)
        .filter(last_dose_planned_end__lt=now - window, is_integrated=False)
        .select_related("patient", "therapist")
    )
    found = []
    for episode in episodes:
        ended_at, due_by = integration_due(episode, window)
        if due_by < now:
            found.append(
                OverdueIntegration(episode, episode.last_dose_given_at, ended_at, due_by, now)
            )
    return sorted(found, key=lambda item: (item.due_by, item.episode.pk))


def with_last_dose(episodes):
    """`episodes` annotated with their last dose done (`last_dose_given_at`: when it
    started, or its planned start if never started; `last_dose_planned_start`,
    `last_dose_planned_end`) and `is_integrated`: an integration session done that starts
    after that dose and counts, as gate 4 reads it (`gate_facts`). No query of its own.
    Standalone episodes, which have no integration, are for the caller to leave out."""
    last_dose = (
        CareSession.objects.filter(
            episode_id=OuterRef("pk"), kind=SessionKind.DOSING, status=SessionStatus.DONE
        )
        .annotate(given_at=Coalesce("started_at", "planned_start"))
        .order_by("-given_at", "-pk")
    )
    # Only a session that counts for gate 4: recorded by the episode's therapist or with
    # their confirmation (`counted_therapy_sessions`).
    integrated = CareSession.objects.filter(
        counted_therapy_sessions(),
        episode_id=OuterRef("pk"),
        kind=SessionKind.INTEGRATION,
        status=SessionStatus.DONE,
        planned_start__gt=OuterRef("last_dose_given_at"),
    )
    return episodes.annotate(
        last_dose_given_at=Subquery(last_dose.values("given_at")[:1], output_field=DateTimeField()),
        last_dose_planned_start=Subquery(last_dose.values("planned_start")[:1]),
        last_dose_planned_end=Subquery(last_dose.values("planned_end")[:1]),
    ).annotate(is_integrated=Exists(integrated))


def integration_due(episode, window: timedelta) -> tuple[datetime, datetime]:
    """When the last dose of an episode from `with_last_dose` ended (its planned end, or
    later when it started late) and the integration is due by (the end + the window)."""
    _, ended_at = rules.dose_block(
        episode.last_dose_planned_start,
        episode.last_dose_planned_end,
        episode.last_dose_given_at,
    )
    return ended_at, ended_at + window
