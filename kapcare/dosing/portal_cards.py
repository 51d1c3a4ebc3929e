"""The portal card that asks the patient about their dosing sessions: those that are done
and of which the patient has not yet given an account. Registered in `patients.portal`
from `dosing.registrations`."""

from kapcare import policy
from kapcare.episodes.models import CareSession, SessionKind, SessionStatus
from kapcare.patients import portal
from kapcare.policy import Action

TEMPLATE = "dosing/_portal_card.html"
SHOWN = 5


def experience_card(request, patient) -> dict | None:
    """The latest done dosing sessions without the patient's account, in one query; no
    card when there are none. The portal view has already fetched and logged the patient."""
    if not policy.can(request.user, Action.RECORD_OWN_SESSION_EXPERIENCE, patient):
        return None
    sessions = list(
        CareSession.objects.filter(
            patient_id=patient.pk, kind=SessionKind.DOSING, status=SessionStatus.DONE
        )
        .exclude(dosing_record__patient_experience__isnull=False)
        .only("external_id", "planned_start")
        .order_by("-planned_start", "-id")[:SHOWN]
    )
    if not sessions:
        return None
    return {"sessions": sessions, "zone": patient.clinic.time_zone}


def register() -> None:
    portal.register(
        portal.PortalCard(
            key="session_experience", template=TEMPLATE, context=experience_card, order=8
        )
    )
