"""What the course of care adds to the patient chart's timeline: each move of an
episode's state and each session done, missed or cancelled."""

from django.urls import reverse

from kapcare.episodes import rules
from kapcare.episodes.models import CareSession, EpisodeTransition
from kapcare.patients.timeline import NEWEST, TimelineEvent, TimelineWindow


def episode_events(patient, window: TimelineWindow = NEWEST) -> list[TimelineEvent]:
    """In two queries, each reading the window only, whatever the size of the record.
    Planned sessions are not events yet; they are on the episode's page."""
    events = []
    transitions = window.newest(
        EpisodeTransition.objects.filter(episode__patient_id=patient.pk).select_related(
            "episode", "changed_by"
        ),
        "changed_at",
    )
    for transition in transitions:
        episode = transition.episode
        detail = f"By {transition.changed_by.display_name}"
        if transition.reason:
            detail += f": {transition.reason}"
        events.append(
            TimelineEvent(
                when=transition.changed_at,
                title=f"{episode.get_model_display()}: {transition.get_to_state_display()}",
                detail=detail,
                url=reverse("episodes:detail", args=[episode.external_id]),
                kind="episode",
            )
        )
    sessions = window.newest(
        CareSession.objects.filter(patient_id=patient.pk)
        .exclude(status__in=[rules.PLANNED, rules.IN_PROGRESS])
        .select_related("episode", "run_by"),
        "planned_start",
    )
    for session in sessions:
        detail = f"Run by {session.run_by.display_name}" if session.run_by_id else ""
        if session.status_note:
            detail = f"{detail}; {session.status_note}" if detail else session.status_note
        if session.therapist_confirmation:
            confirmed = f"confirmed by the therapist: {session.therapist_confirmation}"
            detail = f"{detail}; {confirmed}" if detail else confirmed.capitalize()
        events.append(
            TimelineEvent(
                when=session.planned_start,
                title=f"{session.get_kind_display()}: {session.get_status_display().lower()}",
                detail=detail,
                url=reverse("episodes:detail", args=[session.episode.external_id]),
                kind="session",
            )
        )
    return events


def register() -> None:
    from kapcare.patients import timeline as patient_timeline

    patient_timeline.register(episode_events)
