"""The "Your course of care" card on the patient's portal home: the open episode's model
in plain words and the sessions to come (when, what, where and with whom), in the clinic's
time zone."""

from django.utils import timezone

from kapcare import policy
from kapcare.episodes import rules
from kapcare.episodes.models import CareSession, Episode
from kapcare.policy import Action

# The models as a patient reads them (docs/clinical-reference.md#models-of-care).
PLAIN_WORDS = {
    rules.IN_SESSION: "Your therapist is with you during each ketamine session, and meets "
    "you before and after to prepare and make sense of it.",
    rules.BRACKETED: "Your ketamine sessions are at the clinic; on other days you meet a "
    "therapist to prepare for them and to make sense of them afterwards.",
    rules.BLENDED: "The clinic gives you the ketamine sessions; your own therapist prepares "
    "you and helps you make sense of them, working with the clinic.",
    rules.STANDALONE: "Ketamine infusions at the clinic, without therapy sessions.",
}

UPCOMING_SHOWN = 3


def card_context(request, patient) -> dict | None:
    """The newest open episode and its next sessions, in two queries; no card when the
    patient has no open episode."""
    if not policy.can(request.user, Action.VIEW_EPISODES, patient):
        return None
    episode = (
        Episode.objects.filter(patient_id=patient.pk)
        .exclude(state__in=rules.CLOSED_STATES)
        .order_by("-created_at", "-id")
        .first()
    )
    if episode is None:
        return None
    upcoming = list(
        CareSession.objects.filter(
            episode_id=episode.pk,
            status=rules.PLANNED,
            planned_start__gte=timezone.now(),
        )
        # Where and with whom, in the same query.
        .select_related("appointment__room", "run_by")
        .order_by("planned_start", "id")[:UPCOMING_SHOWN]
    )
    return {
        "episode": episode,
        "plain_words": PLAIN_WORDS[episode.model],
        "upcoming": upcoming,
        "zone": patient.clinic.time_zone,
    }


def register() -> None:
    from kapcare.patients import portal as patient_portal

    patient_portal.register(
        patient_portal.PortalCard(
            key="course_of_care",
            template="episodes/_portal_card.html",
            context=card_context,
            order=5,
        )
    )
