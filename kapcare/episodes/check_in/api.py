"""API: checking a patient in for a session (`POST /api/v1/sessions/{id}/check-in`).

The front desk, a clinician or a nurse of the session's clinic; other roles 403, another
clinic's session 404. A session that cannot be checked in now (already checked in, not
booked, not today) answers 409 with the reason in `detail`."""

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router
from ninja.errors import HttpError

from kapcare.audit.log import Actor
from kapcare.episodes.access import get_session
from kapcare.episodes.check_in import services
from kapcare.episodes.models import CareSession
from kapcare.episodes.schemas import SessionOut
from kapcare.policy import Action
from kapcare.refusals import Refused

router = Router(tags=["episodes"])


class CheckedInSessionOut(SessionOut):
    checked_in_at: dt.datetime | None
    checked_in_by_email: str | None = Field(description="Who checked the patient in.")

    @staticmethod
    def resolve_checked_in_by_email(session: CareSession) -> str | None:
        return session.checked_in_by.email if session.checked_in_by_id else None


@router.post(
    "/sessions/{session_id}/check-in",
    response=CheckedInSessionOut,
    summary="Check the patient in for a session today",
    openapi_extra={
        "responses": {
            409: {"description": "The session cannot be checked in now; `detail` says why."}
        }
    },
)
def check_in(request: HttpRequest, session_id: str) -> CareSession:
    session = get_session(request, session_id, Action.CHECK_IN_SESSION, log_as=None)
    try:
        return services.check_in(actor=Actor.from_request(request), session=session)
    except Refused as error:
        raise HttpError(409, " ".join(error.problems.values())) from error
