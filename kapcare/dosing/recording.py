"""The dosing record itself, and what every part's writes share: opening the record,
refusing a change once it is signed, and locking the record's row in the order each kind
of write needs. Each part's writes are in its own `services` module (`vitals`,
`substances`, `events`, `discharge`, `dose`, `signing`, `summary`); each runs in one
transaction with its access-log row, and the HTML views and the API both call them."""

from django.db import IntegrityError, transaction

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.dosing.models import DosingRecord
from kapcare.episodes.models import CareSession, DoseRoute, SessionStatus
from kapcare.refusals import Refused


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


def lock_for_events(record: DosingRecord) -> DosingRecord:
    """The record's row, locked until the transaction ends, with its session and clinic."""
    locked = (
        DosingRecord.objects.select_for_update(of=("self",))
        .select_related("session", "patient__clinic")
        .get(pk=record.pk)
    )
    refuse_if_signed(locked)
    return locked


def refuse_unless_under_way(record: DosingRecord, what: str) -> None:
    """`what` happens only while the session is in progress and the patient is still
    here (not discharged)."""
    session = record.session
    if session.status != SessionStatus.IN_PROGRESS:
        raise Refused(
            {
                "__all__": f"The session is “{session.get_status_display().lower()}”: "
                f"{what} only while it is in progress."
            }
        )
    if record.discharged_at is not None:
        raise Refused({"__all__": f"The patient has been discharged: {what} no more."})


def refuse_unless_clinician(actor: Actor, record: DosingRecord, what: str) -> None:
    """Signing, addenda and the therapist's summary are a clinician's of the clinic."""
    user = actor.user
    if getattr(user, "role", None) != Role.CLINICIAN or user.clinic_id != record.clinic_id:
        raise Refused({"__all__": f"Only a clinician of the clinic may {what}."})


def lock_for_signing(record: DosingRecord) -> DosingRecord:
    """The record's row, locked until the transaction ends (not refused when signed)."""
    return (
        DosingRecord.objects.select_for_update(of=("self",))
        .select_related("session__episode", "patient__clinic")
        .get(pk=record.pk)
    )
