"""Fetch an estimate for a user, check the policy and log the read, in one step (the
billing app's `get_patient`)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from kapcare import policy
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.billing.models import GoodFaithEstimate
from kapcare.patients.access import parse_external_id, refused


def get_estimate(
    request: HttpRequest, estimate_id, action: policy.Action = policy.Action.VIEW_ESTIMATES
) -> GoodFaithEstimate:
    """The estimate with `estimate_id` if the user may do `action` on it (404 otherwise,
    and 403 for a role that may not at all), its read logged; refusals logged too."""
    records = GoodFaithEstimate.objects.select_related("patient__clinic", "clinic")
    if not policy.can(request.user, action):
        raise refused(request, records, estimate_id, PermissionDenied())
    estimate = records.filter(external_id=parse_external_id(estimate_id)).first()
    if estimate is None or not policy.can(request.user, action, estimate):
        raise refused(request, records, estimate_id, Http404("No such estimate."))
    record_access(
        Actor.from_request(request), AccessAction.VIEW, patient=estimate.patient, obj=estimate
    )
    return estimate
