"""What the course of care adds to the patient chart's timeline: each move of an
episode's state and each session done, missed or cancelled."""

from django.urls import reverse

from kapcare.episodes import rules
from kapcare.episodes.models import CareSession, EpisodeTransition
from kapcare.patients.timeline import NEWEST, TimelineEvent, TimelineWindow


def episode_events(patient, window: TimelineWindow = NEWEST) -> list[TimelineEvent]:
    """In two queries, each reading the window only (and of its rows, the columns an
    event shows), whatever the size of the record. Planned sessions are not events yet;
    they are on the episode's page."""
    events = []
    urls: dict[int, str] = {}  # one link per episode, however many of its events

    def episode_url(episode) -> str:
        if episode.pk not in urls:
            urls[episode.pk] = reverse("episodes:detail", args=[episode.external_id])
        return urls[episode.pk]

    transitions = window.newest(
        EpisodeTransition.objects.filter(episode__patient_id=patient.pk)
        .select_related("episode", "changed_by")
        .only(
            "changed_at",
            "reason",
            "to_state",
            "episode__model",
            "episode__external_id",
            "changed_by__full_name",
            "changed_by__credentials",
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
                url=episode_url(episode),
                kind="episode",
            )
        )
    sessions = window.newest(
        CareSession.objects.filter(patient_id=patient.pk)
        .exclude(status__in=[rules.PLANNED, rules.IN_PROGRESS])
        .select_related("episode", "run_by")
        .only(
            "planned_start",
            "kind",
            "status",
            "status_note",
            "therapist_confirmation",
            "episode__external_id",
            "run_by__full_name",
            "run_by__credentials",
        ),
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
                url=episode_url(session.episode),
                kind="session",
            )
        )
    return events


def register() -> None:
    from kapcare.patients import timeline as patient_timeline

    patient_timeline.register(episode_events)
