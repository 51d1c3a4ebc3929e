"""Demo calendar changes, so a new user sees what the front desk does when plans change:
one dose of the portal patient's booked week moved by the coordinator, and one of their
integration sessions cancelled at their request (the portal patient, so that the emails go
to the demo's own addresses and the change shows in their portal). Both go through
`scheduling.session_changes`, as the session's page does, so they carry their
`SessionChange` rows and queue the emails."""

import datetime as dt

from django.utils import timezone

from kapcare.audit.log import Actor
from kapcare.episodes.models import CareSession, SessionKind, SessionStatus
from kapcare.refusals import Refused
from kapcare.scheduling import change_rules, session_changes

# Tried in turn until one keeps to the clinician's hours and the interval between doses.
MOVES = (dt.timedelta(hours=1), dt.timedelta(hours=2), dt.timedelta(hours=-1))


def _planned(clinic, kind: str):
    return (
        CareSession.objects.filter(
            episode__clinic=clinic,
            patient__user__isnull=False,
            kind=kind,
            status=SessionStatus.PLANNED,
            planned_start__gt=timezone.now() + dt.timedelta(days=1),
        )
        .select_related("episode__clinic", "patient", "appointment")
        .order_by("-planned_start")
    )


def load_calendar_changes(clinic, front_desk: Actor) -> None:
    """Move the last booked dose by an hour (or the first move that fits) and cancel the
    last planned integration session, as asked by the patient."""
    for dose in _planned(clinic, SessionKind.DOSING)[:3]:
        if _moved(dose, front_desk):
            break
    integration = _planned(clinic, SessionKind.INTEGRATION).first()
    if integration is not None:
        late = session_changes.cancellation_is_late(integration)
        session_changes.cancel(
            actor=front_desk,
            session=integration,
            reason=change_rules.LATE_CANCEL if late else change_rules.PATIENT,
            note="Travelling for work that week; will call to rebook.",
        )


def _moved(dose: CareSession, front_desk: Actor) -> bool:
    for shift in MOVES:
        try:
            session_changes.reschedule(
                actor=front_desk,
                session=dose,
                move=session_changes.Move(starts_at=dose.planned_start + shift),
            )
        except Refused:
            continue
        return True
    return False
