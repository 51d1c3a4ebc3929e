"""Fetch a consultation request for a user, check the policy and log the access, in one step.

No view calls `ConsultationRequest.objects.get()`; they call `get_consultation_request`,
so no page can show what someone wrote to the clinic without the policy's leave and a row
in the access log.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from kapcare import policy
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.intake.models import ConsultationRequest
from kapcare.patients.access import parse_external_id


def get_consultation_request(
    request: HttpRequest,
    request_id,
    action: policy.Action = policy.Action.MANAGE_CONSULTATION_REQUEST,
    *,
    log_as: AccessAction | None = AccessAction.VIEW,
) -> ConsultationRequest:
    """The request with external id `request_id`, if `request.user` may do `action` on it.

    Unknown ids and other clinics' requests both answer 404, so a user cannot learn that
    another clinic's request exists. A read is logged as `log_as` (None for a write whose
    service logs it in its own transaction). Once converted, the log row also names the
    patient, so the read shows in their "who viewed my record".
    """
    if not policy.can(request.user, action):
        raise PermissionDenied
    consultation_request = (
        ConsultationRequest.objects.filter(
            clinic_id=request.user.clinic_id, external_id=parse_external_id(request_id)
        )
        .select_related("clinic", "patient")
        .first()
    )
    if consultation_request is None or not policy.can(
        request.user, policy.Action.MANAGE_CONSULTATION_REQUEST, consultation_request
    ):
        raise Http404("No such consultation request.")
    if log_as is not None:
        record_access(
            Actor.from_request(request),
            log_as,
            obj=consultation_request,
            patient=consultation_request.patient,
        )
    return consultation_request
