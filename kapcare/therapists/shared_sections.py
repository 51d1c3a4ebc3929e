"""“Your sessions with <patient>” on the shared record: the preparation and integration
sessions this therapist runs for the patient, planned ones with a Record button, held or
missed ones with their modality and length. Only for the therapist an episode names, under
a live authorisation (any scope: these are the therapist's own sessions, and recording
them needs no scope, `policy.THERAPIST_SCOPES`). Registered in `patients.shared` under the
key "therapy_sessions" (not a scope) from `portal_registrations`."""

from kapcare import policy
from kapcare.episodes.models import CareSession, Episode
from kapcare.episodes.therapy_sessions import THERAPY_KINDS
from kapcare.patients import shared
from kapcare.policy import Action

KEY = "therapy_sessions"
TEMPLATE = "therapists/portal/_shared_sessions.html"
ORDER = 50


def therapy_sessions_section(request, patient) -> dict | None:
    """The therapist's sessions with `patient`, latest first, or None unless an episode
    of the patient names the user and the policy lets them record in it. Three queries,
    however many sessions."""
    user = request.user
    episodes = list(
        Episode.objects.filter(patient_id=patient.pk, therapist_id=user.pk).order_by(
            "-created_at", "-id"
        )
    )
    if not episodes or not policy.can(user, Action.RECORD_THERAPY_SESSION, episodes[0]):
        return None
    sessions = list(
        CareSession.objects.filter(
            patient_id=patient.pk,
            episode__therapist_id=user.pk,
            run_by_id=user.pk,
            kind__in=THERAPY_KINDS,
        )
        .only(
            "external_id",
            "kind",
            "status",
            "planned_start",
            "planned_end",
            "modality",
            "duration_minutes",
            "appointment_id",
            "status_note",
        )
        .order_by("-planned_start", "-pk")
    )
    return {
        "patient": patient,
        "planned": [s for s in reversed(sessions) if s.is_open],
        "recorded": [s for s in sessions if not s.is_open],
        "can_record_new": any(not e.is_closed for e in episodes),
        "clinic": patient.clinic,
    }


def register() -> None:
    shared.register(
        shared.SharedSection(
            key=KEY, template=TEMPLATE, context=therapy_sessions_section, order=ORDER
        )
    )
