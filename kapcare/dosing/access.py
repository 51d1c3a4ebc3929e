"""Fetch a dosing session's record for a user, check the policy and log the access, in one
step (as `episodes.access.get_session` does for the session)."""

from django.http import Http404, HttpRequest

from kapcare import policy
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction
from kapcare.dosing import recording
from kapcare.dosing.models import DosingRecord
from kapcare.episodes.access import get_session
from kapcare.episodes.models import SessionKind


def get_record(
    request: HttpRequest,
    session_id,
    action: policy.Action = policy.Action.VIEW_DOSING_RECORD,
    *,
    log_as: AccessAction | None = AccessAction.VIEW,
) -> DosingRecord:
    """The dosing record of the dosing session `session_id` (opened on first use), if
    `request.user` may do `action` on it; 404 for another kind of session."""
    session = get_session(request, session_id, action, log_as=log_as)
    if session.kind != SessionKind.DOSING:
        raise Http404("Only a dosing session has a dosing record.")
    return recording.record_for(Actor.from_request(request), session)
