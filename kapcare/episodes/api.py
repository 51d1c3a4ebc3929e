"""API: episodes of care and their sessions.

The same policy, access helpers and services as the pages. Clinic staff list, open and
read their clinic's episodes, plan sessions and complete them; a patient's token may read
their own episodes (`GET`), nothing more; a therapist's token is refused (403). An episode
out of reach answers 404, as an unknown one does.

Errors: what the services refuse comes back as 422 with `errors` per field. Two refusals
are conflicts with the state of the world and answer 409 with the reason in `detail`: a
session whose room or clinician is already booked (the slot in the way is named), and
completing a session that cannot be completed now (a dose not started from its gates,
a session already closed or not begun).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Body, Query, Router
from ninja.errors import HttpError

from kapcare import policy
from kapcare.accounts.models import Role, User
from kapcare.api_pages import page_of
from kapcare.api_schemas import MAX_QUERY_LENGTH, PageQuery
from kapcare.audit.log import Actor, record_list_access
from kapcare.episodes import booking_questions, rules, services
from kapcare.episodes.access import get_episode, get_session
from kapcare.episodes.models import CareSession, Episode
from kapcare.episodes.schemas import (
    CompleteIn,
    EpisodeDetailOut,
    EpisodeIn,
    EpisodePage,
    SessionIn,
    SessionOut,
    StateName,
)
from kapcare.patients.access import get_patient
from kapcare.policy import Action
from kapcare.refusals import Refused
from kapcare.scheduling import services as scheduling
from kapcare.scheduling.models import Room
from kapcare.text import bounded_text

router = Router(tags=["episodes"])

REFUSED = {422: {"description": "Not valid; `errors` names each field with its message."}}
QueryText = bounded_text(MAX_QUERY_LENGTH)
NO_SUCH_PATIENT = {404: {"description": "No such patient, or not one you may see."}}

# The services name people; the API names them by email.
API_FIELDS = {
    "treating_clinician": "clinician_email",
    "therapist": "therapist_email",
    "clinician": "clinician_email",
    "room": "room_id",
    "starts_at": "start",
}


def refused(error: Refused) -> ValidationError:
    """The service's refusal in the API's error format (`errors` per field)."""
    return ValidationError(
        {API_FIELDS.get(field, field): [message] for field, message in error.problems.items()}
    )


def clinician_by_email(clinic, email: str) -> User | None:
    """The clinic's active clinician with `email` (None when no email is given); 422 when
    there is none."""
    if not email.strip():
        return None
    clinician = User.objects.filter(
        email__iexact=email.strip(), clinic_id=clinic.pk, role=Role.CLINICIAN, is_active=True
    ).first()
    if clinician is None:
        raise ValidationError({"clinician_email": "No clinician of the clinic has this email."})
    return clinician


def with_rows(episode: Episode) -> Episode:
    """Attach the episode's sessions (time order) and transitions (oldest first), in two
    queries, for `EpisodeDetailOut`."""
    episode.session_rows = list(
        CareSession.objects.filter(episode_id=episode.pk)
        .select_related("appointment__room", "appointment__clinician", "run_by")
        .order_by("planned_start", "id")
    )
    for session in episode.session_rows:
        session.episode = episode
    episode.transition_rows = list(
        episode.transitions.select_related("changed_by").order_by("changed_at", "id")
    )
    return episode


class EpisodeQuery(PageQuery):
    state: StateName | None = None
    patient_id: QueryText | None = None


@router.get(
    "/episodes",
    response=EpisodePage,
    summary="Episodes of care",
    openapi_extra={"responses": NO_SUCH_PATIENT},
)
def list_episodes(request: HttpRequest, query: Query[EpisodeQuery]) -> dict:
    """The clinic's episodes for staff (a patient's token: their own), newest first, a page
    at a time; optionally one `state` or one patient's. Each patient listed is logged."""
    if not policy.can(request.user, Action.VIEW_EPISODES):
        raise PermissionDenied
    episodes = Episode.objects.filter(
        patient__in=policy.visible_patients(request.user)
    ).select_related("patient", "treating_clinician", "therapist")
    if query.state:
        if query.state not in rules.STATES:
            raise ValidationError({"state": f"Choose one of: {', '.join(rules.STATES)}."})
        episodes = episodes.filter(state=query.state)
    if query.patient_id:
        patient = get_patient(request, query.patient_id, Action.VIEW_EPISODES)
        episodes = episodes.filter(patient=patient)
    shown, next_page = page_of(request, episodes, ("-created_at", "-id"), query)
    patients = {episode.patient_id: episode.patient for episode in shown}
    record_list_access(Actor.from_request(request), patients.values())
    return {"items": shown, "next": next_page}


@router.post(
    "/episodes",
    response={201: EpisodeDetailOut},
    summary="Open an episode of care",
    openapi_extra={"responses": {**NO_SUCH_PATIENT, **REFUSED}},
)
def create_episode(request: HttpRequest, payload: EpisodeIn) -> Episode:
    """Opens the episode in the state "referred", its plan from the clinic's settings.
    An unknown patient answers 404."""
    patient = get_patient(request, payload.patient_id, Action.MANAGE_EPISODES, log_as=None)
    clinician = clinician_by_email(patient.clinic, payload.clinician_email)
    therapist = (
        services.TherapistInput(email=payload.therapist_email, name=payload.therapist_name)
        if payload.therapist_email.strip()
        else None
    )
    try:
        episode = services.open_episode_naming_therapist(
            actor=Actor.from_request(request),
            patient=patient,
            data=services.EpisodeInput(
                model=payload.model,
                diagnosis_code=payload.diagnosis_code,
                diagnosis_text=payload.diagnosis_text,
                treating_clinician=clinician,
                has_trauma_history=payload.has_trauma_history,
                goals=payload.goals,
            ),
            therapist=therapist,
        )
    except Refused as error:
        raise refused(error) from error
    episode.patient = patient
    return with_rows(episode)


@router.get("/episodes/{episode_id}", response=EpisodeDetailOut, summary="One episode")
def read_episode(request: HttpRequest, episode_id: str) -> Episode:
    """The episode with its sessions and every transition. The read is logged."""
    return with_rows(get_episode(request, episode_id, Action.VIEW_EPISODES))


@router.post(
    "/episodes/{episode_id}/sessions",
    response={201: SessionOut},
    summary="Plan a session",
    openapi_extra={
        "responses": {
            409: {"description": "The room or clinician is already booked; `detail` names it."},
            **REFUSED,
        }
    },
)
def create_session(request: HttpRequest, episode_id: str, payload: SessionIn) -> CareSession:
    episode = get_episode(request, episode_id, Action.MANAGE_EPISODES, log_as=None)
    clinic = episode.clinic
    room = None
    if payload.room_id is not None:
        room = Room.objects.filter(clinic_id=clinic.pk, external_id=payload.room_id).first()
        if room is None:
            raise ValidationError({"room_id": "The clinic has no room with this id."})
    clinician = clinician_by_email(clinic, payload.clinician_email)
    start = payload.start
    if timezone.is_naive(start):
        start = timezone.make_aware(start, clinic.zone)
    data = services.SessionInput(kind=payload.kind, starts_at=start, room=room, clinician=clinician)
    try:
        # The questions apps above ask at booking (the coverage question): 422 at the field.
        answers = booking_questions.answers_from_api(episode, payload.dict())
        session = services.add_session(
            actor=Actor.from_request(request), episode=episode, data=data, answers=answers
        )
    except Refused as error:
        if isinstance(error, scheduling.DoubleBooking):
            raise HttpError(409, error.problems["__all__"]) from error
        raise refused(error) from error
    session.episode = episode
    return session


@router.post(
    "/sessions/{session_id}/complete",
    response=SessionOut,
    summary="Record a session as done",
    openapi_extra={
        "responses": {409: {"description": "The session cannot be done now; `detail` says why."}}
    },
)
def complete_session(
    request: HttpRequest, session_id: str, payload: Body[CompleteIn | None] = None
) -> CareSession:
    """A preparation or integration session is done from "planned". A dosing session is
    done only when the patient is discharged from its dosing record, so it answers 409,
    like anything else that cannot be done now, with the reason."""
    session = get_session(request, session_id, Action.RECORD_CARE_SESSION, log_as=None)
    try:
        done = services.record_session_status(
            actor=Actor.from_request(request),
            session=session,
            to_status=rules.DONE,
            note=payload.note if payload is not None else "",
            therapist_confirmation=payload.therapist_confirmation if payload is not None else "",
        )
    except Refused as error:
        raise HttpError(409, " ".join(error.problems.values())) from error
    for name in ("episode", "appointment", "run_by"):
        setattr(done, name, getattr(session, name))
    return done
