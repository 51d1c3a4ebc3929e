"""API: reschedule, cancel and record a no-show for a session, through the service the
calendar's pages call (`session_changes`), under the same policy (`BOOK_APPOINTMENTS`:
clinic staff). A session out of reach answers 404, as an unknown one does.

- `POST /sessions/{id}/reschedule` `{"start", "room_id"?, "clinician_email"?,
  "move_later"?}` → 200 with the session; 409 naming the conflict (the room or clinician
  booked, or a session that is no longer planned); 422 at the field.
- `POST /sessions/{id}/cancel` `{"reason": "patient"|"clinic"|"late_cancel", "note"}`.
- `POST /sessions/{id}/no-show` `{"note"?}`.
"""

import datetime as dt
import uuid
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Body, Router
from ninja.errors import HttpError
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from kapcare import dates
from kapcare.api_schemas import InputSchema
from kapcare.audit.log import Actor
from kapcare.episodes.access import get_session
from kapcare.episodes.api import clinician_by_email, refused
from kapcare.episodes.models import CareSession
from kapcare.episodes.schemas import Email, SessionOut
from kapcare.policy import Action
from kapcare.refusals import Refused
from kapcare.scheduling import session_changes
from kapcare.scheduling.models import Room
from kapcare.scheduling.services import DoubleBooking
from kapcare.text import bounded_text

router = Router(tags=["scheduling"])

Note = bounded_text(session_changes.NOTE_MAX_CHARS)

RESPONSES = {
    404: {"description": "No such session, or not one you may see."},
    409: {"description": "It cannot be done now, or the slot is taken; `detail` says why."},
    422: {"description": "Not valid; `errors` names each field with its message."},
}


class RescheduleIn(InputSchema):
    start: dt.datetime = Field(
        description=f"ISO 8601, a date from {dates.EARLIEST} to {dates.LATEST}. Without an "
        "offset it is read in the clinic's time zone."
    )
    room_id: uuid.UUID | None = Field(None, description="Another room; left out: the same.")
    clinician_email: Email = Field("", description="Another clinician; left out: the same.")
    move_later: bool = Field(
        False, description="Move the episode's later planned sessions by as much."
    )

    @field_validator("start")
    @classmethod
    def start_within_clinic_dates(cls, start: dt.datetime) -> dt.datetime:
        if not dates.is_clinic_date(start):
            raise PydanticCustomError("out_of_range", dates.OUT_OF_RANGE)
        return start


class CancelIn(InputSchema):
    reason: Literal["patient", "clinic", "late_cancel"] = Field(
        description="Who cancelled; within the clinic's late-cancellation window a "
        'cancellation by the patient is "late_cancel".'
    )
    note: Note = ""


class NoShowIn(InputSchema):
    note: Note = ""


def _session(request: HttpRequest, session_id: str) -> CareSession:
    return get_session(request, session_id, Action.BOOK_APPOINTMENTS, log_as=None)


def _answer(error: Refused):
    """A conflict with the state of things (the slot taken, the session not planned) is a
    409 naming it; anything at a field a 422."""
    if isinstance(error, DoubleBooking | session_changes.NotNow):
        return HttpError(409, " ".join(error.problems.values()))
    if "status" in error.problems:
        return HttpError(409, error.problems["status"])
    return refused(error)


def _fresh(request: HttpRequest, session: CareSession) -> CareSession:
    """The session as it is now, for `SessionOut`."""
    return get_session(request, session.external_id, Action.BOOK_APPOINTMENTS, log_as=None)


@router.post(
    "/sessions/{session_id}/reschedule",
    response=SessionOut,
    summary="Move a session to another time, room or clinician",
    openapi_extra={"responses": RESPONSES},
)
def reschedule(request: HttpRequest, session_id: str, payload: RescheduleIn) -> CareSession:
    """The same checks as booking: no double booking, the clinician's working hours and
    time off, the minimum interval between doses. The patient and (under the schedule
    scope) the therapist are emailed; calendar feeds show the new time."""
    session = _session(request, session_id)
    clinic = session.episode.clinic
    room = None
    if payload.room_id is not None:
        room = Room.objects.filter(clinic_id=clinic.pk, external_id=payload.room_id).first()
        if room is None:
            raise ValidationError({"room_id": "The clinic has no room with this id."})
    start = payload.start
    if timezone.is_naive(start):
        start = timezone.make_aware(start, clinic.zone)
    move = session_changes.Move(
        starts_at=start,
        room=room,
        clinician=clinician_by_email(clinic, payload.clinician_email),
        move_later=payload.move_later,
    )
    try:
        session_changes.reschedule(actor=Actor.from_request(request), session=session, move=move)
    except Refused as error:
        raise _answer(error) from error
    return _fresh(request, session)


@router.post(
    "/sessions/{session_id}/cancel",
    response=SessionOut,
    summary="Cancel a session, with the reason",
    openapi_extra={"responses": RESPONSES},
)
def cancel(request: HttpRequest, session_id: str, payload: CancelIn) -> CareSession:
    """The session stays on record as cancelled, with who, when and why; its slot is free
    at once."""
    session = _session(request, session_id)
    try:
        session_changes.cancel(
            actor=Actor.from_request(request),
            session=session,
            reason=payload.reason,
            note=payload.note,
        )
    except Refused as error:
        raise _answer(error) from error
    return _fresh(request, session)


@router.post(
    "/sessions/{session_id}/no-show",
    response=SessionOut,
    summary="Record that the patient did not come",
    openapi_extra={"responses": RESPONSES},
)
def no_show(
    request: HttpRequest, session_id: str, payload: Body[NoShowIn | None] = None
) -> CareSession:
    """Once its start has passed: the session is missed, its slot free again."""
    session = _session(request, session_id)
    try:
        session_changes.no_show(
            actor=Actor.from_request(request),
            session=session,
            note=payload.note if payload is not None else "",
        )
    except Refused as error:
        raise _answer(error) from error
    return _fresh(request, session)
