"""The portal home's "Your course so far": the patient's current (or latest) episode as a
timeline — each step of the course (referred, screening, consented, in treatment...) and
each session held, missed or cancelled, newest first. The chart's timeline
(`episodes.timeline`) is the clinic's, with its reasons and links into staff pages; this
one names only the step and the session. Three queries. Registered in `patients.portal`
from EpisodesConfig.ready()."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, IntegerField, Value, When

from kapcare import policy
from kapcare.episodes import rules
from kapcare.episodes.models import CareSession, Episode, EpisodeTransition
from kapcare.policy import Action

TEMPLATE = "episodes/_portal_timeline.html"
# After "Before your next dose" and the session accounts, before the course's cost.
ORDER = 12


@dataclass(frozen=True)
class Step:
    when: datetime
    title: str


def timeline_card(request, patient) -> dict | None:
    """No card before the clinic opens an episode of care."""
    if not policy.can(request.user, Action.VIEW_EPISODES, patient):
        return None
    episode = (
        Episode.objects.filter(patient_id=patient.pk)
        # The newest open episode; else the latest closed one.
        .annotate(
            closed=Case(
                When(state__in=rules.CLOSED_STATES, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("closed", "-created_at", "-id")
        .only("model", "state", "created_at")
        .first()
    )
    if episode is None:
        return None
    steps = [
        Step(t.changed_at, f"Your course: {t.get_to_state_display().lower()}")
        for t in EpisodeTransition.objects.filter(episode_id=episode.pk).only(
            "to_state", "changed_at"
        )
    ]
    steps += [
        Step(s.planned_start, f"{s.get_kind_display()}: {s.get_status_display().lower()}")
        for s in CareSession.objects.filter(episode_id=episode.pk)
        .exclude(status__in=[rules.PLANNED, rules.IN_PROGRESS])
        .only("kind", "status", "planned_start")
    ]
    steps.sort(key=lambda step: step.when, reverse=True)
    return {"episode": episode, "steps": steps, "zone": patient.clinic.time_zone}


def register() -> None:
    """Called once from EpisodesConfig.ready()."""
    from kapcare.patients import portal as patient_portal

    patient_portal.register(
        patient_portal.PortalCard(
            key="course_timeline", template=TEMPLATE, context=timeline_card, order=ORDER
        )
    )
