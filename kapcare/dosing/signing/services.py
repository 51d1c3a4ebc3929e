"""Writes of the signing part of the dosing record. A clinician signs the record once the
dose was given and the patient discharged; the record is then immutable (here and in the
database, migration 0002) and later changes are addenda. The patient's own account of
the session is not part of the signed record: the patient writes it after the session."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from kapcare.accounts import step_up
from kapcare.accounts.step_up import Reauthentication
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.dosing.models import Addendum, DosingRecord, PatientExperience
from kapcare.dosing.recording import lock_for_signing, refuse_unless_clinician
from kapcare.dosing.summary.rules import DISSOCIATION_MAXIMUM
from kapcare.episodes.models import SessionStatus
from kapcare.refusals import Refused


def what_signing_needs(record: DosingRecord) -> list[str]:
    """What is missing before the record may be signed, in words; empty when nothing."""
    missing = []
    if record.dose_started_at is None:
        missing.append("the dose has not been recorded as given")
    if record.discharged_at is None:
        missing.append("the patient has not been discharged")
    return missing


def sign_record(
    *, actor: Actor, record: DosingRecord, reauthentication: Reauthentication | None, now=None
) -> DosingRecord:
    """Sign the record: a clinician, once the dose was given and the patient discharged,
    re-entering their code at that moment (`step_up`: a signature is irreversible and
    attributable, 21 CFR 11.200). From then on the record is changed only by addenda."""
    refuse_unless_clinician(actor, record, "sign the record")
    step_up.require(reauthentication, actor, what="sign the record")
    with transaction.atomic():
        locked = lock_for_signing(record)
        if locked.is_signed:
            raise Refused({"__all__": "This record is already signed: add an addendum instead."})
        missing = what_signing_needs(locked)
        if missing:
            raise Refused({"__all__": f"The record cannot be signed yet: {'; '.join(missing)}."})
        locked.signed_at = now or timezone.now()
        locked.signed_by = actor.user
        locked.signed_with = reauthentication.method
        locked.save(update_fields=["signed_at", "signed_by", "signed_with", "updated_at"])
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=locked)
    return locked


def add_addendum(*, actor: Actor, record: DosingRecord, text: str):
    """A later change to a signed record, with its author and time (before signing, the
    record itself is edited)."""
    refuse_unless_clinician(actor, record, "add an addendum")
    text = text.strip()
    if not text:
        raise Refused({"text": "Write what the addendum adds or corrects."})
    with transaction.atomic():
        locked = lock_for_signing(record)
        if not locked.is_signed:
            raise Refused(
                {"__all__": "The record is not signed yet: change the record itself instead."}
            )
        addendum = Addendum.objects.create(record=locked, text=text, author=actor.user)
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=addendum)
    return addendum


def record_experience(
    *,
    actor: Actor,
    record: DosingRecord,
    experience: str,
    dissociation: int,
    bring_to_integration: str,
):
    """The patient's own account of a session that is over, from the portal: once per
    session, and never changed afterwards (what the patient wants to add later, they tell
    the clinic or their therapist)."""
    user = actor.user
    if record.patient.user_id is None or record.patient.user_id != getattr(user, "pk", None):
        raise Refused({"__all__": "Only the patient can tell us about their session."})
    if record.session.status != SessionStatus.DONE:
        raise Refused({"__all__": "You can tell us about this session once it is over."})
    if dissociation is None or not 0 <= dissociation <= DISSOCIATION_MAXIMUM:
        raise Refused({"dissociation": f"Choose a number from 0 to {DISSOCIATION_MAXIMUM}."})
    already = {"__all__": "You have already told us about this session; it cannot be changed."}
    if PatientExperience.objects.filter(record_id=record.pk).exists():
        raise Refused(already)
    try:
        with transaction.atomic():
            account = PatientExperience.objects.create(
                record=record,
                patient_id=record.patient_id,
                experience=experience.strip(),
                dissociation=dissociation,
                bring_to_integration=bring_to_integration.strip(),
            )
            record_access(actor, AccessAction.CREATE, patient=record.patient, obj=account)
    except IntegrityError:
        raise Refused(already) from None  # sent twice at the same moment: the first stands
    return account
