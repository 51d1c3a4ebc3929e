"""Fetch a patient's record for a user, check the policy and log the access, in one step.

No view calls `Patient.objects.get()`; they call `get_patient`, so that no page can show
a record without the policy's leave and without a row in the access log.
"""

import uuid

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from kapcare import policy
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.patients.models import Patient


def parse_external_id(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404("No such record.") from exc


def refused(request: HttpRequest, records: QuerySet, external_id, refusal: Exception) -> Exception:
    """The refusal (403 or 404) for the patient-scoped record `external_id` among `records`,
    logged first as a refused attempt when that record exists: who, which record and
    patient, when and which address (HIPAA §164.312(b): attempts, not only accesses). An
    unknown id names no record and no patient, so it is not logged. Every access helper
    refuses through here, so every page and API operation logs alike."""
    try:
        record = records.filter(external_id=uuid.UUID(str(external_id))).first()
    except ValueError:
        record = None
    if record is not None:
        is_patient = isinstance(record, Patient)
        record_access(
            Actor.from_request(request),
            AccessAction.REFUSED,
            patient=record if is_patient else record.patient,
            obj=None if is_patient else record,
            path=request.path,
        )
    return refusal


def get_patient(
    request: HttpRequest,
    external_id,
    action: policy.Action = policy.Action.VIEW_PATIENT,
    *,
    log_as: AccessAction | None = AccessAction.VIEW,
) -> Patient:
    """The patient with `external_id`, if `request.user` may do `action` on them.

    Unknown ids and records out of reach both answer 404, so the existence of another
    clinic's patient is not revealed. A read is logged as `log_as` (None for a write
    whose service logs it in its own transaction).
    """
    if not policy.can(request.user, action):
        raise refused(request, Patient.objects.all(), external_id, PermissionDenied())
    patient = (
        policy.visible_patients(request.user)
        .select_related("clinic")
        .filter(external_id=parse_external_id(external_id))
        .first()
    )
    if patient is None or not policy.can(request.user, action, patient):
        raise refused(request, Patient.objects.all(), external_id, Http404("No such patient."))
    if log_as is not None:
        record_access(Actor.from_request(request), log_as, patient=patient)
    return patient


def get_patient_for_form(request: HttpRequest, external_id, action: policy.Action) -> Patient:
    """For a page with a form: the read (GET) is logged as a view; a POST is not logged
    here, because the service that writes logs its write in its own transaction, and a
    POST that writes nothing calls `log_redisplay`."""
    reading = request.method != "POST"
    return get_patient(request, external_id, action, log_as=AccessAction.VIEW if reading else None)


def log_redisplay(request: HttpRequest, patient: Patient) -> None:
    """A POST that wrote nothing (invalid or refused) still showed the record again."""
    record_access(Actor.from_request(request), AccessAction.VIEW, patient=patient)


def get_own_patient(
    request: HttpRequest,
    action: policy.Action = policy.Action.VIEW_PATIENT,
    *,
    log_as: AccessAction | None = AccessAction.VIEW,
) -> Patient:
    """The signed-in patient's own record, fetched and logged like any other access."""
    external_id = (
        policy.visible_patients(request.user)
        .filter(user_id=request.user.pk)
        .values_list("external_id", flat=True)
        .first()
    )
    if external_id is None:
        raise Http404("No patient record is linked to this account.")
    return get_patient(request, external_id, action, log_as=log_as)
