"""API: the outside therapist records the preparation and integration sessions they held
as on their portal's pages and through the same service
(`therapy_sessions.record_therapy_session`).

- `POST /sessions/{session_id}/record`: a planned session, held or missed (200).
- `POST /patients/{patient_id}/therapy-sessions`: a session that was not planned (201).

A session or patient that is not the therapist's to record answers 404, as an unknown id
does: no live authorisation (expired, revoked a moment ago), an episode naming another
therapist, a dosing session. A role other than therapist is refused (403). What is wrong
with a field answers 422 naming it; a session that cannot be recorded now (already done,
missed or cancelled, booked at the clinic, its episode closed) answers 409 with the reason.
"""

import datetime as dt
import uuid
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router
from ninja.errors import HttpError

from kapcare.api_schemas import InputSchema
from kapcare.audit.log import Actor
from kapcare.episodes import therapy_sessions
from kapcare.episodes.models import CareSession
from kapcare.episodes.schemas import SessionOut
from kapcare.refusals import Refused
from kapcare.text import bounded_text, model_text

router = Router(tags=["therapy sessions"])

REFUSALS = {
    404: {"description": "Not a session (or patient) of yours under a live authorisation."},
    409: {"description": "The session cannot be recorded now; `detail` says why."},
    422: {"description": "Not valid; `errors` names each field with its message."},
}


class TherapySessionRecordIn(InputSchema):
    """How a planned session was held, or that it was missed."""

    held_on: dt.date = Field(description="The day, in the clinic's time zone.")
    start_time: dt.time = Field(description="HH:MM, in the clinic's time zone.")
    duration_minutes: int | None = Field(
        None,
        description=f"1 to {therapy_sessions.LONGEST_SESSION_MINUTES}; not needed when missed.",
    )
    modality: model_text(CareSession, "modality") = Field(
        "", description="cbt, ifs, emdr, psychodynamic, act or other; not needed when missed."
    )
    attended: bool = Field(description="False: the patient missed it (say why in the note).")
    coordination_note: bounded_text(therapy_sessions.COORDINATION_NOTE_MAX_CHARS) = Field(
        "",
        description="Only what the clinic needs to coordinate care, at most "
        f"{therapy_sessions.COORDINATION_NOTE_MAX_CHARS} characters; psychotherapy notes stay "
        "in your own records.",
    )


class TherapySessionIn(TherapySessionRecordIn):
    """A session that was not planned with the clinic."""

    kind: Literal["preparation", "integration"]


class TherapySessionOut(SessionOut):
    modality: str | None
    duration_minutes: int | None

    @staticmethod
    def resolve_modality(session: CareSession) -> str | None:
        return session.modality or None


def _input(payload: TherapySessionRecordIn, kind: str = "") -> therapy_sessions.TherapySessionInput:
    return therapy_sessions.TherapySessionInput(
        kind=kind,
        held_on=payload.held_on,
        start_time=payload.start_time,
        duration_minutes=payload.duration_minutes,
        modality=payload.modality,
        attended=payload.attended,
        coordination_note=payload.coordination_note,
    )


def _record(request: HttpRequest, episode, session, data) -> CareSession:
    """The service's answer: a refusal of the whole session (its state) is a 409 with the
    reason; anything at a field is a 422 naming it."""
    try:
        recorded = therapy_sessions.record_therapy_session(
            actor=Actor.from_request(request), episode=episode, session=session, data=data
        )
    except Refused as error:
        if set(error.problems) == {"__all__"}:
            raise HttpError(409, error.problems["__all__"]) from error
        raise ValidationError(
            {field: [message] for field, message in error.problems.items()}
        ) from error
    recorded.appointment = None
    return recorded


@router.post(
    "/sessions/{session_id}/record",
    response=TherapySessionOut,
    summary="Record a planned preparation or integration session (therapist)",
    openapi_extra={"responses": REFUSALS},
)
def record_session(
    request: HttpRequest, session_id: uuid.UUID, payload: TherapySessionRecordIn
) -> CareSession:
    session = therapy_sessions.get_therapy_session(request, session_id, log_as=None)
    return _record(request, session.episode, session, _input(payload))


@router.post(
    "/patients/{patient_id}/therapy-sessions",
    response={201: TherapySessionOut},
    summary="Record a preparation or integration session that was not planned (therapist)",
    openapi_extra={"responses": REFUSALS},
)
def record_new_session(
    request: HttpRequest, patient_id: uuid.UUID, payload: TherapySessionIn
) -> CareSession:
    episode = therapy_sessions.get_therapy_episode(request, patient_id, log_as=None)
    return _record(request, episode, None, _input(payload, payload.kind))
