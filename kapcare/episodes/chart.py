"""The "Course of care" section of the patient chart: each episode with its model, state,
next session and a compact timeline of its sessions, and a link to open another."""

from django.utils import timezone

from kapcare import policy
from kapcare.episodes.models import CareSession, Episode, SessionStatus
from kapcare.policy import Action

# The patient's latest sessions the section shows (the planned ones included); the rest are
# on each episode's page. The next sessions planned are read apart, up to as many.
SESSIONS_SHOWN = 24


def episodes_with_sessions(patient) -> tuple[list[Episode], bool]:
    """The patient's episodes, newest first, each with `timeline` (its sessions among the
    patient's latest `SESSIONS_SHOWN`, in time order) and `next_session`, and whether
    earlier sessions are left out; in three queries, each reading no more than it shows."""
    episodes = list(
        Episode.objects.filter(patient_id=patient.pk)
        .select_related("treating_clinician", "therapist")
        .order_by("-created_at", "-id")
    )
    by_episode: dict[int, list[CareSession]] = {episode.pk: [] for episode in episodes}
    latest = list(
        CareSession.objects.filter(patient_id=patient.pk).order_by("-planned_start", "-id")[
            : SESSIONS_SHOWN + 1
        ]
    )
    for session in reversed(latest[:SESSIONS_SHOWN]):
        by_episode[session.episode_id].append(session)
    upcoming = CareSession.objects.filter(
        patient_id=patient.pk, status=SessionStatus.PLANNED, planned_start__gte=timezone.now()
    ).order_by("planned_start", "id")[:SESSIONS_SHOWN]
    next_sessions: dict[int, CareSession] = {}
    for session in upcoming:
        next_sessions.setdefault(session.episode_id, session)
    for episode in episodes:
        episode.timeline = by_episode[episode.pk]
        episode.next_session = next_sessions.get(episode.pk)
    return episodes, len(latest) > SESSIONS_SHOWN


def chart_context(request, patient) -> dict | None:
    if not policy.can(request.user, Action.VIEW_EPISODES, patient):
        return None
    episodes, has_earlier_sessions = episodes_with_sessions(patient)
    return {
        "patient": patient,
        "zone": patient.clinic.time_zone,
        "episodes": episodes,
        "has_earlier_sessions": has_earlier_sessions,
        "can_open": policy.can(request.user, Action.MANAGE_EPISODES, patient),
    }


def register() -> None:
    from kapcare.patients import chart as patient_chart

    patient_chart.register(
        patient_chart.ChartSection(
            key="course_of_care",
            template="episodes/_chart_section.html",
            context=chart_context,
            order=10,
        )
    )
