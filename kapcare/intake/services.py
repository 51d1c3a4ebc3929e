"""Writes to consultation requests. Each runs in one transaction with its access-log row and
is the only place its change is made, for the web pages and any later API alike."""

from django.db import transaction

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.intake import rules
from kapcare.intake.models import ConsultationRequest, RequestStatus, StatusChange
from kapcare.patients.models import Patient
from kapcare.patients.services import create_patient


class TransitionRefused(Exception):
    """The request cannot make this move from where it is now; the message says why, in
    words fit to show the coordinator."""


def receive_request(*, actor: Actor, clinic, data: dict) -> ConsultationRequest:
    """Store what someone sent through the public form, with the address it came from."""
    with transaction.atomic():
        consultation_request = ConsultationRequest.objects.create(
            clinic=clinic, submitted_from=actor.ip_address, **data
        )
        record_access(actor, AccessAction.CREATE, obj=consultation_request)
    return consultation_request


def _refusal(current: str, target: str) -> str:
    if current == rules.CONVERTED:
        return (
            "This request has already been converted into a patient record; its status "
            "cannot change again."
        )
    return (
        f"A request that is “{RequestStatus(current).label}” cannot be moved to "
        f"“{RequestStatus(target).label}”."
    )


def _move(
    *, actor: Actor, locked: ConsultationRequest, to_status: str, note: str, patient=None
) -> StatusChange:
    """Record the move of `locked` (a row locked by the caller's transaction)."""
    if not rules.can_move(locked.status, to_status):
        raise TransitionRefused(_refusal(locked.status, to_status))
    change = StatusChange.objects.create(
        request=locked,
        from_status=locked.status,
        to_status=to_status,
        note=note.strip(),
        changed_by=actor.user,
    )
    locked.status = to_status
    fields = ["status", "updated_at"]
    if patient is not None:
        locked.patient = patient
        fields.append("patient")
    locked.save(update_fields=fields)
    record_access(actor, AccessAction.UPDATE, obj=locked, patient=locked.patient)
    return change


def _lock(consultation_request: ConsultationRequest) -> ConsultationRequest:
    return (
        ConsultationRequest.objects.select_for_update()
        .select_related("clinic")
        .get(pk=consultation_request.pk)
    )


def _refresh(consultation_request: ConsultationRequest, locked: ConsultationRequest) -> None:
    """Let the caller's object show the stored state without another query."""
    consultation_request.status = locked.status
    consultation_request.patient_id = locked.patient_id
    consultation_request.updated_at = locked.updated_at
    if locked.patient_id is not None:
        consultation_request.patient = locked.patient


def change_status(
    *, actor: Actor, consultation_request: ConsultationRequest, to_status: str, note: str = ""
) -> StatusChange:
    """Move a request by hand (contacted, call scheduled, declined, reopened).

    The row is locked and its status read again inside the transaction, so two people
    working the queue at once cannot make a move the rules forbid. Converting is not a
    move picked by hand: it happens by registering the person (`convert_to_patient`).
    """
    if to_status == rules.CONVERTED:
        raise TransitionRefused(
            "A request is converted by registering the person as a patient, not by picking "
            "the status."
        )
    with transaction.atomic():
        locked = _lock(consultation_request)
        change = _move(actor=actor, locked=locked, to_status=to_status, note=note)
    _refresh(consultation_request, locked)
    return change


def convert_to_patient(
    *, actor: Actor, consultation_request: ConsultationRequest, data: dict
) -> Patient:
    """Register the person who asked for a consultation as a patient of the same clinic,
    link the request to the new record and mark it converted, all or nothing.

    The request is locked and checked before the patient is created, so converting the
    same request twice (a double click, two coordinators) is refused without leaving a
    second patient behind.
    """
    with transaction.atomic():
        locked = _lock(consultation_request)
        if locked.patient_id is not None or locked.status == rules.CONVERTED:
            raise TransitionRefused(
                "This request has already been converted into a patient record; it cannot "
                "be converted twice."
            )
        if not rules.can_move(locked.status, rules.CONVERTED):
            raise TransitionRefused(
                f"A “{RequestStatus(locked.status).label}” request cannot be converted; "
                "reopen it first if the person has got back in touch."
            )
        patient = create_patient(actor=actor, clinic=locked.clinic, data=data)
        _move(
            actor=actor,
            locked=locked,
            to_status=rules.CONVERTED,
            note="Registered as a patient.",
            patient=patient,
        )
    _refresh(consultation_request, locked)
    return patient
