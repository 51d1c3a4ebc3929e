"""Writes to the dosing record, each in one transaction with its access-log row; the HTML
views and the API both call these. Sections: the record itself (here), then one section
per part of the record, added by the modules that own them."""

from django.db import IntegrityError, transaction

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.dosing.models import DosingRecord
from kapcare.episodes.models import CareSession, DoseRoute
from kapcare.refusals import Refused

# --- The record -------------------------------------------------------------------------------


def record_for(actor: Actor, session: CareSession) -> DosingRecord:
    """The session's dosing record, opened (and logged) the first time anyone needs it,
    with the route planned on the episode."""
    record = (
        DosingRecord.objects.select_related("session", "patient__clinic", "clinic")
        .filter(session_id=session.pk)
        .first()
    )
    if record is not None:
        return record
    try:
        with transaction.atomic():
            record = DosingRecord.objects.create(
                session=session,
                patient_id=session.patient_id,
                clinic_id=session.patient.clinic_id,
                route=session.episode.dose_route,
                infusion_minutes=(
                    session.patient.clinic.infusion_minutes
                    if session.episode.dose_route == DoseRoute.IV
                    else None
                ),
            )
            record_access(actor, AccessAction.CREATE, patient=session.patient, obj=record)
    except IntegrityError:
        # Opened by another request at the same moment: use that one.
        record = DosingRecord.objects.get(session_id=session.pk)
    record.session, record.patient = session, session.patient
    return record


def refuse_if_signed(record: DosingRecord) -> None:
    """A signed record is changed only by addenda (the database refuses it too)."""
    if record.is_signed:
        raise Refused({"__all__": "This record is signed: add an addendum instead."})
