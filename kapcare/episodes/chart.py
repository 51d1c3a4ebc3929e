"""The "Course of care" section of the patient chart: each episode with its model, state,
next session and a compact timeline of its sessions, and a link to open another."""

from django.utils import timezone

from kapcare import policy
from kapcare.episodes.models import CareSession, Episode
from kapcare.policy import Action


def episodes_with_sessions(patient) -> list[Episode]:
    """The patient's episodes, newest first, each with `timeline` (its sessions in time
    order) and `next_session`, in two queries."""
    episodes = list(
        Episode.objects.filter(patient_id=patient.pk)
        .select_related("treating_clinician", "therapist")
        .order_by("-created_at", "-id")
    )
    by_episode: dict[int, list[CareSession]] = {episode.pk: [] for episode in episodes}
    sessions = CareSession.objects.filter(episode_id__in=by_episode).order_by("planned_start", "id")
    for session in sessions:
        by_episode[session.episode_id].append(session)
    now = timezone.now()
    for episode in episodes:
        episode.timeline = by_episode[episode.pk]
        episode.next_session = next(
            (s for s in episode.timeline if s.status == "planned" and s.planned_start >= now),
            None,
        )
    return episodes


def chart_context(request, patient) -> dict | None:
    if not policy.can(request.user, Action.VIEW_EPISODES, patient):
        return None
    return {
        "patient": patient,
        "zone": patient.clinic.time_zone,
        "episodes": episodes_with_sessions(patient),
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
