"""Checking a patient in for a session at the clinic: who and when, on the session's row,
logged in the same transaction. The page (the Today board) and the API both call
`check_in`."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from kapcare import policy
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.episodes.check_in import rules
from kapcare.episodes.models import CareSession
from kapcare.policy import Action
from kapcare.refusals import Refused
from kapcare.scheduling.models import AppointmentStatus


def check_in(*, actor: Actor, session: CareSession, now: datetime | None = None) -> CareSession:
    """Record that the patient of `session` has arrived, now. The session's row is locked
    and read again, so two people checking in at once record it once and the second is
    told; `Refused` names why it cannot be checked in (already, not planned, not today)."""
    if not policy.can(actor.user, Action.CHECK_IN_SESSION, session):
        raise Refused({"__all__": "You may not check patients in."})
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            CareSession.objects.select_for_update(of=("self",))
            .select_related("patient__clinic", "appointment")
            .get(pk=session.pk)
        )
        zone = locked.patient.clinic.zone
        appointment = locked.appointment
        problem = rules.check_in_problem(
            status=locked.status,
            holds_booked_slot=(
                appointment is not None and appointment.status == AppointmentStatus.BOOKED
            ),
            booked_day=timezone.localdate(locked.planned_start, zone),
            today=timezone.localdate(now, zone),
            checked_in_at=locked.checked_in_at,
        )
        if problem:
            raise Refused({"__all__": problem})
        locked.checked_in_at = now
        locked.checked_in_by = actor.user
        locked.save(update_fields=["checked_in_at", "checked_in_by"])
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=locked)
    session.checked_in_at, session.checked_in_by = locked.checked_in_at, locked.checked_in_by
    return session
