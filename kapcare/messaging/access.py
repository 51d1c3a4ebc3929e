"""Fetch a message thread for a user and check the policy in the same step (the read is
logged by `services.read_thread`, with the thread marked read, in one transaction)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from kapcare import policy
from kapcare.messaging.models import Thread
from kapcare.patients.access import parse_external_id, refused


def get_thread(request: HttpRequest, external_id, action: policy.Action) -> Thread:
    """The thread with `external_id` if `request.user` may do `action` on it; 404 for an
    unknown thread and for one out of reach alike (another clinic's, another therapist's,
    a clinic–therapist thread for the patient, a therapist no longer authorised)."""
    records = Thread.objects.select_related("patient__clinic")
    if not policy.can(request.user, action):
        raise refused(request, records, external_id, PermissionDenied())
    thread = (
        Thread.objects.select_related("clinic", "patient__clinic", "patient__user", "therapist")
        .filter(external_id=parse_external_id(external_id))
        .first()
    )
    if thread is None or not policy.can(request.user, action, thread):
        raise refused(request, records, external_id, Http404("No such thread."))
    return thread
