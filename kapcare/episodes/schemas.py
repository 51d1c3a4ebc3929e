"""API schemas for episodes of care and their sessions.

Records are named by their opaque external ids, people by email. What a caller sends is
checked by `episodes.services`, as on the pages, so the API refuses with the same
messages; the API names a person's field `…_email` where the service names the person.
"""

import datetime as dt
import uuid
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from kapcare import dates
from kapcare.accounts.models import User
from kapcare.api_schemas import InputSchema, Page
from kapcare.episodes import rules
from kapcare.episodes.forms import EpisodeForm, SessionStatusForm
from kapcare.episodes.models import CareSession, Episode, EpisodeTransition
from kapcare.text import bounded_text, form_text, model_text

ModelName = Literal["in_session", "bracketed", "blended", "standalone"]
SessionKindName = Literal["preparation", "dosing", "integration"]
# Checked by the API view, whose message lists the states: documented here as the enum.
StateName = Annotated[
    str, WithJsonSchema({"type": "string", "enum": list(rules.STATES)}, mode="validation")
]


Email = model_text(User, "email")
PersonName = model_text(User, "full_name")


class EpisodeIn(InputSchema):
    """Open an episode of care, in the state "referred"."""

    patient_id: uuid.UUID
    model: ModelName
    diagnosis_code: form_text(EpisodeForm, "diagnosis_code") = Field(
        description="ICD-10-CM, e.g. F33.2."
    )
    therapist_email: Email = Field(
        "",
        description="The outside therapist (KAP models; ignored for `standalone`). Someone "
        "without an account is invited by email, which never names the patient; then "
        "`therapist_name` is required.",
    )
    therapist_name: PersonName = ""
    diagnosis_text: model_text(Episode, "diagnosis_text") = ""
    clinician_email: Email = Field("", description="The treating clinician, of the clinic.")
    has_trauma_history: bool = False
    goals: form_text(EpisodeForm, "goals") = ""


class CoverageAnswerIn(InputSchema):
    """The patient's coverage, asked at booking (the law requires the question: 45 CFR
    149.610(b)). Checked by the money side (`billing.booking`); a changed answer is kept
    as a new coverage record with the booking."""

    status: bounded_text(20) = Field(
        description="`uninsured`, `self_pay` (insured, not filing a claim) or "
        "`filing_claim` (insurer and member_id then required)."
    )
    insurer: bounded_text(120) = Field("", description="When insured.")
    member_id: bounded_text(60) = Field("", description="To file a claim.")


class SessionIn(InputSchema):
    """Plan a session. With a room or a clinician it books an appointment for the whole
    session (a dose: check-in, infusion and recovery, clinic settings)."""

    kind: SessionKindName
    start: dt.datetime = Field(
        description=f"ISO 8601, a date from {dates.EARLIEST} to {dates.LATEST}. Without an "
        "offset it is read in the clinic's time zone."
    )
    room_id: uuid.UUID | None = Field(None, description="A room of the clinic (`GET /rooms`).")
    clinician_email: Email = Field("", description="A clinician of the clinic; a dose needs one.")
    coverage: CoverageAnswerIn | None = Field(
        None,
        description="Required while the patient's coverage has not been asked; otherwise "
        "optional (their current answer stands unless a new one is sent).",
    )

    @field_validator("start")
    @classmethod
    def start_within_clinic_dates(cls, start: dt.datetime) -> dt.datetime:
        """A year such as 9999 or 0001 would overflow once the session's length is added
        or the time is turned into UTC (see `kapcare.dates`): 422 at `start`."""
        if not dates.is_clinic_date(start):
            raise PydanticCustomError("out_of_range", dates.OUT_OF_RANGE)
        return start


class CompleteIn(InputSchema):
    note: form_text(SessionStatusForm, "note") = ""
    therapist_confirmation: model_text(CareSession, "therapist_confirmation") = Field(
        "",
        description="How and when the episode's therapist confirmed a KAP preparation or "
        "integration session was held; required when clinic staff record one as done.",
    )


class TransitionOut(Schema):
    from_state: str | None = Field(description="Null for the opening of the episode.")
    to_state: str
    reason: str
    changed_by: str = Field(description="The email of who moved it.")
    changed_at: dt.datetime

    @staticmethod
    def resolve_from_state(transition: EpisodeTransition) -> str | None:
        return transition.from_state or None

    @staticmethod
    def resolve_changed_by(transition: EpisodeTransition) -> str:
        return transition.changed_by.email


class SessionOut(Schema):
    id: uuid.UUID
    episode_id: uuid.UUID
    kind: SessionKindName
    status: Literal["planned", "in_progress", "done", "missed", "cancelled"]
    start: dt.datetime
    end: dt.datetime
    room_id: uuid.UUID | None
    clinician_email: str | None = Field(description="The clinician booked, if any.")
    run_by_email: str | None = Field(description="Who runs it: a clinician or the therapist.")
    status_note: str
    therapist_confirmation: str

    @staticmethod
    def resolve_id(session: CareSession) -> uuid.UUID:
        return session.external_id

    @staticmethod
    def resolve_episode_id(session: CareSession) -> uuid.UUID:
        return session.episode.external_id

    @staticmethod
    def resolve_start(session: CareSession) -> dt.datetime:
        return session.planned_start

    @staticmethod
    def resolve_end(session: CareSession) -> dt.datetime:
        return session.planned_end

    @staticmethod
    def resolve_room_id(session: CareSession) -> uuid.UUID | None:
        appointment = session.appointment
        if appointment is None or appointment.room_id is None:
            return None
        return appointment.room.external_id

    @staticmethod
    def resolve_clinician_email(session: CareSession) -> str | None:
        appointment = session.appointment
        if appointment is None or appointment.clinician_id is None:
            return None
        return appointment.clinician.email

    @staticmethod
    def resolve_run_by_email(session: CareSession) -> str | None:
        return session.run_by.email if session.run_by_id else None


class EpisodeOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    model: ModelName
    state: str
    state_changed_at: dt.datetime
    next_states: list[str] = Field(description="Where the episode may move from here.")
    diagnosis_code: str
    diagnosis_text: str
    clinician_email: str | None
    therapist_email: str | None
    has_trauma_history: bool
    goals: str
    dose_route: str
    planned_doses: int
    planned_preparation_sessions: int
    planned_integration_sessions: int
    created_at: dt.datetime

    @staticmethod
    def resolve_id(episode: Episode) -> uuid.UUID:
        return episode.external_id

    @staticmethod
    def resolve_patient_id(episode: Episode) -> uuid.UUID:
        return episode.patient.external_id

    @staticmethod
    def resolve_next_states(episode: Episode) -> list[str]:
        return [state for state, _ in episode.next_states]

    @staticmethod
    def resolve_clinician_email(episode: Episode) -> str | None:
        return episode.treating_clinician.email if episode.treating_clinician_id else None

    @staticmethod
    def resolve_therapist_email(episode: Episode) -> str | None:
        return episode.therapist.email if episode.therapist_id else None


class EpisodePage(Page):
    items: list[EpisodeOut]


class EpisodeDetailOut(EpisodeOut):
    sessions: list[SessionOut] = Field(description="In time order.")
    transitions: list[TransitionOut] = Field(description="Every move, oldest first.")

    @staticmethod
    def resolve_sessions(episode: Episode) -> list[CareSession]:
        return episode.session_rows

    @staticmethod
    def resolve_transitions(episode: Episode) -> list[EpisodeTransition]:
        return episode.transition_rows
