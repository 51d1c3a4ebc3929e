"""The outside therapist records the preparation and integration sessions they held: when,
how long, in which modality, attended or missed, and a brief note for the clinic — never
their psychotherapy notes, which stay in their own records
(docs/clinical-reference.md#modalities). A session done after a dose is what gate 4
(integration) reads.

`record_therapy_session` is the one write, called by the therapist's page and by
`POST /api/v1/sessions/{id}/record`. It records a planned session of the episode, or a new
one when none was planned. The transition itself goes through
`services.record_session_status` (the rules of `rules.SESSION_TRANSITIONS`, who and when,
the access-log row), so a session recorded here obeys the same rules as one the clinic
records. The fetch helpers below answer 404 for a session or episode that is not the
therapist's to record, as `episodes.access` does for staff.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.formats import date_format

from kapcare import dates, policy
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.episodes import rules, services
from kapcare.episodes.models import CareSession, Episode, SessionKind, SessionStatus
from kapcare.patients.access import parse_external_id, refused
from kapcare.patients.models import Patient
from kapcare.policy import Action
from kapcare.refusals import Refused
from kapcare.therapists.models import Modality

THERAPY_KINDS = frozenset({SessionKind.PREPARATION, SessionKind.INTEGRATION})

# Bounds of what may be typed, not clinical thresholds: a psychotherapy session of more
# than four hours is a typo (an extended KAP integration day is still well under it), and
# the coordination note is brief by design (minimum necessary, 45 CFR 164.502(b)).
LONGEST_SESSION_MINUTES = 240
COORDINATION_NOTE_MAX_CHARS = 1000

NOT_RECORDABLE = "Only a preparation or integration session can be recorded here."


@dataclass(frozen=True)
class TherapySessionInput:
    """A session as the therapist reports it. `held_on` and `start_time` are read in the
    clinic's time zone. `kind` is needed only for a session that was not planned; the length
    and modality only for a session held (a missed one had neither)."""

    held_on: dt.date
    start_time: dt.time
    duration_minutes: int | None
    modality: str
    attended: bool
    coordination_note: str = ""
    kind: str = ""


def input_problems(data: TherapySessionInput, *, needs_kind: bool) -> dict[str, str]:
    """What is wrong with `data`, by field, before anything is read from the database."""
    problems: dict[str, str] = {}
    if needs_kind and data.kind not in THERAPY_KINDS:
        problems["kind"] = (
            "The clinic records dosing sessions; record a preparation or an integration "
            "session here."
            if data.kind == SessionKind.DOSING
            else "Choose preparation or integration."
        )
    if not dates.is_clinic_date(data.held_on):
        problems["held_on"] = dates.OUT_OF_RANGE
    if data.duration_minutes is None:
        if data.attended:
            problems["duration_minutes"] = "Enter how long the session was, in minutes."
    elif not 1 <= data.duration_minutes <= LONGEST_SESSION_MINUTES:
        problems["duration_minutes"] = (
            f"Enter the length in minutes, from 1 to {LONGEST_SESSION_MINUTES}."
        )
    if data.modality not in Modality.values and (data.attended or data.modality):
        problems["modality"] = "Choose a modality from the list."
    note = data.coordination_note.strip()
    if "\x00" in note:
        # As Django's form fields refuse it; PostgreSQL cannot store it.
        problems["coordination_note"] = "Remove the null character from the note."
    elif len(note) > COORDINATION_NOTE_MAX_CHARS:
        problems["coordination_note"] = (
            f"Keep the note to {COORDINATION_NOTE_MAX_CHARS} characters (it has {len(note)}): "
            "only what the clinic needs to coordinate care."
        )
    if not data.attended and not note:
        problems["coordination_note"] = "Say briefly why the session was missed, for the clinic."
    return problems


def held_at(
    data: TherapySessionInput, zone, default_minutes: int
) -> tuple[dt.datetime, dt.datetime]:
    """The session's start and end, from the day and time typed in the clinic's zone; a
    missed session with no length keeps the time it was booked for (`default_minutes`)."""
    starts_at = dt.datetime.combine(data.held_on, data.start_time, tzinfo=zone)
    minutes = data.duration_minutes or default_minutes
    return starts_at, starts_at + dt.timedelta(minutes=minutes)


# Where `services.record_session_status` names a problem, and where the therapist's form
# shows it.
_FIELDS = {"note": "coordination_note", "status": "__all__"}


def record_therapy_session(
    *,
    actor: Actor,
    episode: Episode,
    session: CareSession | None = None,
    data: TherapySessionInput,
    now: dt.datetime | None = None,
) -> CareSession:
    """Record that the therapist held (or the patient missed) a preparation or integration
    session of `episode`: `session` when it was planned, a new session otherwise.

    The time held replaces the planned time, so that gate 4 and the overdue-integration
    list read when the session really took place. Refused, by field: a dosing session, a
    session already done, missed or cancelled, a session the clinic books (with a room or
    clinician: the clinic records it), a closed episode, a date outside the clinic's range,
    and an attended session that starts in the future. One transaction, with the access
    log's rows: UPDATE for the session recorded (and CREATE first for a new one)."""
    if not policy.can(actor.user, Action.RECORD_THERAPY_SESSION, episode):
        raise Refused({"__all__": "You may not record sessions for this patient."})
    problems = input_problems(data, needs_kind=session is None)
    if session is not None and session.kind not in THERAPY_KINDS:
        problems["__all__"] = NOT_RECORDABLE
    if problems:
        raise Refused(problems)
    starts_at, ends_at = _held_times(data, episode, session, now or timezone.now())
    to_status = SessionStatus.DONE if data.attended else SessionStatus.MISSED
    with transaction.atomic():
        locked_episode = _lock_open(episode)
        if data.attended:
            _check_timing(
                locked_episode,
                kind=session.kind if session is not None else data.kind,
                booked_start=session.planned_start if session is not None else starts_at,
                held=(starts_at, ends_at),
            )
        if session is None:
            target = _create(actor, locked_episode, data.kind, (starts_at, ends_at))
        else:
            target = _locked_planned(session, locked_episode, actor.user)
        target.planned_start, target.planned_end = starts_at, ends_at
        target.modality, target.duration_minutes = data.modality, data.duration_minutes
        target.run_by = actor.user
        target.save(
            update_fields=["planned_start", "planned_end", "modality", "duration_minutes", "run_by"]
        )
        try:
            # The transition's rules, who and when, and the UPDATE row of the access log.
            recorded = services.record_session_status(
                actor=actor, session=target, to_status=to_status, note=data.coordination_note
            )
        except Refused as error:
            raise Refused(
                {_FIELDS.get(field, field): message for field, message in error.problems.items()}
            ) from error
    recorded.episode = locked_episode
    return recorded


def _held_times(
    data: TherapySessionInput, episode: Episode, session: CareSession | None, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """When the session was held (a missed one with no length keeps its booked length, a
    new one the clinic's); refused, at the date, when an attended session is still ahead."""
    booked_minutes = (
        int((session.planned_end - session.planned_start).total_seconds() // 60)
        if session is not None
        else episode.clinic.therapy_session_minutes
    )
    starts_at, ends_at = held_at(data, episode.clinic.zone, booked_minutes)
    if data.attended and starts_at > now:
        raise Refused(
            {"held_on": "This session starts in the future; record it once it has been held."}
        )
    return starts_at, ends_at


def _lock_open(episode: Episode) -> Episode:
    """The episode, locked for the transaction; refused once it is closed."""
    locked = Episode.objects.select_for_update().get(pk=episode.pk)
    if locked.is_closed:
        raise Refused(
            {
                "__all__": f"This episode is {locked.get_state_display().lower()}; "
                "the clinic no longer takes sessions for it."
            }
        )
    return locked


def _create(
    actor: Actor, episode: Episode, kind: str, held: tuple[dt.datetime, dt.datetime]
) -> CareSession:
    """A session the therapist held without the clinic planning it, logged as created."""
    session = CareSession.objects.create(
        episode=episode,
        patient_id=episode.patient_id,
        kind=kind,
        planned_start=held[0],
        planned_end=held[1],
        run_by=actor.user,
        created_by=actor.user,
    )
    record_access(actor, AccessAction.CREATE, patient=episode.patient, obj=session)
    return session


def _check_timing(
    episode: Episode, *, kind: str, booked_start: dt.datetime, held: tuple[dt.datetime, dt.datetime]
) -> None:
    """Refuse, at the date field, a session held on the wrong side of the dose it belongs
    to (`rules.therapy_session_timing_problem`)."""
    doses = [
        rules.dose_block(*times)
        for times in CareSession.objects.filter(episode=episode, kind=SessionKind.DOSING)
        .exclude(status__in=[SessionStatus.CANCELLED, SessionStatus.MISSED])
        .values_list("planned_start", "planned_end", "started_at")
    ]
    found = rules.therapy_session_timing_problem(kind, booked_start, *held, doses)
    if found is None:
        return
    problem, moment = found
    zone = episode.clinic.zone
    if problem == "before_dose_ended":
        message = (
            "An integration session starts after the dose it follows, which ended at "
            f"{_clinic_time(moment, zone)}. Check the date and time."
        )
    else:
        message = (
            "A preparation session ends before the dose it prepares, which was given at "
            f"{_clinic_time(moment, zone)}. Check the date, time and length."
        )
    raise Refused({"held_on": message})


def _clinic_time(moment: dt.datetime, zone) -> str:
    """'Tuesday, December 1, 9:00 AM', on the clinic's clock."""
    return date_format(moment.astimezone(zone), "l, F j, g:i A")


def _locked_planned(session: CareSession, episode: Episode, therapist) -> CareSession:
    """The planned session's row, locked; refused in words when it cannot be recorded."""
    locked = CareSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
    if locked.episode_id != episode.pk or locked.kind not in THERAPY_KINDS:
        raise Refused({"__all__": NOT_RECORDABLE})
    problem = rules.session_transition_problem(locked.kind, locked.status, SessionStatus.DONE)
    if problem:
        raise Refused({"__all__": problem})
    if locked.appointment_id is not None:
        raise Refused(
            {
                "__all__": "This session is booked at the clinic, with its room and clinician; "
                "the clinic records it."
            }
        )
    if locked.run_by_id not in (None, therapist.pk):
        raise Refused({"__all__": "Another therapist or clinician runs this session."})
    return locked


# --- Fetching, for the page and the API -------------------------------------------------------


def therapist_episode(therapist, patient) -> Episode | None:
    """The episode of `patient` naming `therapist`: the newest open one, else the newest
    closed one (recording then says why it cannot be). None when no episode names them."""
    episodes = list(
        Episode.objects.filter(patient_id=patient.pk, therapist_id=therapist.pk)
        .select_related("clinic", "patient__clinic")
        .order_by("-created_at", "-id")
    )
    return next((e for e in episodes if not e.is_closed), episodes[0] if episodes else None)


def get_therapy_episode(
    request: HttpRequest, patient_id, *, log_as: AccessAction | None
) -> Episode:
    """The episode in which the signed-in therapist records a session for the patient with
    `patient_id`: 404 unless a live authorisation lets them work with the patient and an
    episode names them. Logged as `log_as` once found (None: the write logs itself)."""
    patients = Patient.objects.all()
    if not policy.can(request.user, Action.RECORD_THERAPY_SESSION):
        raise refused(request, patients, patient_id, PermissionDenied())
    patient = (
        policy.visible_patients(request.user)
        .select_related("clinic")
        .filter(external_id=parse_external_id(patient_id))
        .first()
    )
    episode = therapist_episode(request.user, patient) if patient is not None else None
    if episode is None or not policy.can(request.user, Action.RECORD_THERAPY_SESSION, episode):
        raise refused(request, patients, patient_id, Http404("No such patient."))
    episode.patient = patient
    if log_as is not None:
        record_access(Actor.from_request(request), log_as, patient=patient)
    return episode


def get_therapy_session(
    request: HttpRequest, session_id, *, log_as: AccessAction | None
) -> CareSession:
    """A preparation or integration session that the signed-in therapist runs (or that
    nobody runs yet), in an episode naming them, under a live authorisation; 404 for any
    other session (a dosing session, another therapist's, an unknown id), so that nothing
    about it is revealed. Logged as `log_as` once found."""
    user = request.user
    if not policy.can(user, Action.RECORD_THERAPY_SESSION):
        raise PermissionDenied
    session = (
        CareSession.objects.select_related("patient__clinic", "episode__clinic")
        .filter(
            external_id=parse_external_id(session_id),
            patient__in=policy.visible_patients(user),
            kind__in=THERAPY_KINDS,
            episode__therapist_id=user.pk,
        )
        .filter(Q(run_by__isnull=True) | Q(run_by_id=user.pk))
        .first()
    )
    if session is None or not policy.can(user, Action.RECORD_THERAPY_SESSION, session.episode):
        raise Http404("No such session.")
    session.episode.patient = session.patient
    if log_as is not None:
        record_access(Actor.from_request(request), log_as, patient=session.patient, obj=session)
    return session
